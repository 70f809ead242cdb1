// PKCS#11 URIs (RFC 7512).

package hsm

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// PKCS11URI is a parsed RFC 7512 URI. Only the attributes this package
// uses are kept; unknown standard attributes are rejected so that a typo
// does not silently select a different token.
type PKCS11URI struct {
	// Path attributes (RFC 7512 2.3) selecting the token and object.
	Token        string
	Manufacturer string
	Serial       string
	Model        string
	SlotID       *uint
	Object       string
	ID           []byte
	Type         string

	// Query attributes (RFC 7512 2.3).
	ModulePath string
	ModuleName string
	PINValue   string
	PINSource  string

	// Vendor query attributes (RFC 7512 allows "x-" names).
	SM2Profile string // x-sm2-profile: a registered profile name (default "ibm")
	PoolSize   int    // x-pool-size: maximum concurrent sessions (default 2*GOMAXPROCS, at least 4)
	SM2UID     []byte // x-sm2-id: distinguishing ID for SM2 Z_A when the caller gives none
	Profile    *SM2Profile
}

// ParsePKCS11URI parses a pkcs11: URI.
func ParsePKCS11URI(s string) (*PKCS11URI, error) {
	rest, ok := strings.CutPrefix(s, "pkcs11:")
	if !ok {
		return nil, errors.New("PKCS#11 URI must start with \"pkcs11:\"")
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &PKCS11URI{}
	if path != "" {
		for _, attr := range strings.Split(path, ";") {
			if attr == "" {
				continue
			}
			name, raw, ok := strings.Cut(attr, "=")
			if !ok {
				return nil, fmt.Errorf("PKCS#11 URI: path attribute %q has no '='", attr)
			}
			val, err := url.PathUnescape(raw)
			if err != nil {
				return nil, fmt.Errorf("PKCS#11 URI: attribute %s: bad percent-encoding", name)
			}
			switch name {
			case "token":
				u.Token = val
			case "manufacturer":
				u.Manufacturer = val
			case "serial":
				u.Serial = val
			case "model":
				u.Model = val
			case "slot-id":
				n, err := strconv.ParseUint(val, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("PKCS#11 URI: slot-id %q is not a number", val)
				}
				id := uint(n)
				u.SlotID = &id
			case "object":
				u.Object = val
			case "id":
				u.ID = []byte(val)
			case "type":
				u.Type = val
			case "library-manufacturer", "library-description", "library-version", "slot-description", "slot-manufacturer":
				// Accepted and ignored: they describe, not select, here.
			default:
				return nil, fmt.Errorf("PKCS#11 URI: unknown path attribute %q", name)
			}
		}
	}
	if query != "" {
		for _, attr := range strings.Split(query, "&") {
			if attr == "" {
				continue
			}
			name, raw, _ := strings.Cut(attr, "=")
			val, err := url.QueryUnescape(raw)
			if err != nil {
				return nil, fmt.Errorf("PKCS#11 URI: attribute %s: bad percent-encoding", name)
			}
			switch name {
			case "module-path":
				u.ModulePath = val
			case "module-name":
				u.ModuleName = val
			case "pin-value":
				u.PINValue = val
			case "pin-source":
				u.PINSource = val
			case "x-sm2-profile":
				u.SM2Profile = val
			case "x-sm2-id":
				u.SM2UID = []byte(val)
			case "x-pool-size":
				n, err := strconv.Atoi(val)
				if err != nil || n < 1 || n > 1024 {
					return nil, fmt.Errorf("PKCS#11 URI: x-pool-size %q: want a number from 1 to 1024", val)
				}
				u.PoolSize = n
			default:
				if !strings.HasPrefix(name, "x-") {
					return nil, fmt.Errorf("PKCS#11 URI: unknown query attribute %q", name)
				}
				if err := u.profileOverride(name, val); err != nil {
					return nil, err
				}
			}
		}
	}
	if u.ModulePath == "" && u.ModuleName == "" {
		return nil, errors.New("PKCS#11 URI: no module: add ?module-path=/path/to/module.so")
	}
	if u.Token == "" && u.Serial == "" && u.SlotID == nil {
		return nil, errors.New("PKCS#11 URI: no token: add token=LABEL (or serial= or slot-id=)")
	}
	if u.PINValue != "" && u.PINSource != "" {
		return nil, errors.New("PKCS#11 URI: give pin-value or pin-source, not both")
	}
	base := u.SM2Profile
	if base == "" {
		base = "ibm"
	}
	p, err := LookupSM2Profile(base)
	if err != nil {
		return nil, err
	}
	if u.Profile != nil { // x-sm2-* overrides on top of the named profile
		p = p.merge(*u.Profile)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	u.Profile = &p
	return u, nil
}

// profileOverride applies x-sm2-keytype, x-sm2-keygen, x-sm2-sign-e,
// x-sm2-sign-msg, x-sm2-style and x-sm2-sig-format.
func (u *PKCS11URI) profileOverride(name, val string) error {
	if u.Profile == nil {
		u.Profile = &SM2Profile{}
	}
	num := func() (uint, error) {
		n, err := strconv.ParseUint(val, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("PKCS#11 URI: %s=%q is not a number (use 0x... for hex)", name, val)
		}
		return uint(n), nil
	}
	var err error
	switch name {
	case "x-sm2-keytype":
		u.Profile.KeyType, err = num()
	case "x-sm2-keygen":
		u.Profile.KeyGen, err = num()
	case "x-sm2-sign-e":
		u.Profile.SignE, err = num()
	case "x-sm2-sign-msg":
		u.Profile.SignMessage, err = num()
	case "x-sm2-style":
		switch SignStyle(val) {
		case SignDigest, SignMessage:
			u.Profile.Style = SignStyle(val)
		default:
			return fmt.Errorf("PKCS#11 URI: x-sm2-style=%q: want %q or %q", val, SignDigest, SignMessage)
		}
	case "x-sm2-sig-format":
		switch SigFormat(val) {
		case SigRaw, SigDER:
			u.Profile.SigFormat = SigFormat(val)
		default:
			return fmt.Errorf("PKCS#11 URI: x-sm2-sig-format=%q: want %q or %q", val, SigRaw, SigDER)
		}
	default:
		return fmt.Errorf("PKCS#11 URI: unknown vendor attribute %q", name)
	}
	return err
}

// PIN returns the PIN from pin-value, pin-source (file:PATH or a plain
// path; env:VAR as an extension) or, when the URI names none, the
// ESEAL_PKCS11_PIN environment variable. ok is false when there is none.
func (u *PKCS11URI) PIN() (pin string, ok bool, err error) {
	switch {
	case u.PINValue != "":
		return u.PINValue, true, nil
	case u.PINSource != "":
		src := u.PINSource
		if name, isEnv := strings.CutPrefix(src, "env:"); isEnv {
			v := os.Getenv(name)
			if v == "" {
				return "", false, fmt.Errorf("pin-source env:%s: %w: the variable is empty", name, ErrNoPIN)
			}
			return v, true, nil
		}
		path := strings.TrimPrefix(strings.TrimPrefix(src, "file://"), "file:")
		b, err := readSecretFile(path)
		if err != nil {
			return "", false, fmt.Errorf("pin-source: %w", err)
		}
		return string(b), true, nil
	}
	if v := os.Getenv("ESEAL_PKCS11_PIN"); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// Redacted is the URI with PIN values hidden, for logs and messages.
func (u *PKCS11URI) Redacted() string {
	var path []string
	if u.Token != "" {
		path = append(path, "token="+url.PathEscape(u.Token))
	}
	if u.Serial != "" {
		path = append(path, "serial="+url.PathEscape(u.Serial))
	}
	if u.SlotID != nil {
		path = append(path, fmt.Sprintf("slot-id=%d", *u.SlotID))
	}
	s := "pkcs11:" + strings.Join(path, ";")
	if u.ModulePath != "" {
		s += "?module-path=" + u.ModulePath
	}
	return s
}
