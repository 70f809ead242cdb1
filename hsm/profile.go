// SM2 mechanism profiles. PKCS#11 v2.40 and v3.0 define no SM2 key type or
// mechanism; every SM2 HSM uses vendor-defined constants (CKK_VENDOR_DEFINED
// and CKM_VENDOR_DEFINED ranges), and vendors differ in whether the token
// computes SM3(Z_A || M) itself or signs a precomputed e. A profile records
// those choices for one vendor.

package hsm

import (
	"fmt"
	"sort"
	"sync"
)

// SignStyle says what an SM2 token is given to sign.
type SignStyle string

const (
	// SignDigest: the process computes e = SM3(Z_A || M) and the token signs
	// e (GB/T 32918.2-2016 6.1 steps A3 onwards).
	SignDigest SignStyle = "e"
	// SignMessage: the token is given M and computes Z_A (with the default
	// ID) and e itself.
	SignMessage SignStyle = "message"
)

// SigFormat is the encoding of signatures returned by a token.
type SigFormat string

const (
	SigRaw SigFormat = "raw" // r || s, 32 bytes each, as CKM_ECDSA
	SigDER SigFormat = "der" // SEQUENCE { r INTEGER, s INTEGER }
)

// SM2Profile holds one vendor's SM2 constants.
type SM2Profile struct {
	Name        string
	KeyType     uint      // CKA_KEY_TYPE of SM2 keys
	KeyGen      uint      // key-pair generation mechanism
	SignE       uint      // sign a precomputed 32-byte e; 0 if unsupported
	SignMessage uint      // sign a message with SM3 and Z_A in the token; 0 if unsupported
	Style       SignStyle // which of SignE / SignMessage to prefer
	SigFormat   SigFormat
	// KeyGenECParams sets CKA_EC_PARAMS (the SM2 curve OID) in the public key
	// template at generation, as some vendors require.
	KeyGenECParams bool
}

// The IBM openCryptoki constants (openCryptoki's pkcs11types.h, "IBM
// specific" vendor range), also used by SM2 forks of SoftHSM2.
const (
	CKK_IBM_SM2              = 0x80050002
	CKM_IBM_SM2_KEY_PAIR_GEN = 0x8005000A
	CKM_IBM_SM2              = 0x8005000B // sign e
	CKM_IBM_SM2_SM3          = 0x8005000C // sign message, SM3 and Z_A in the token
)

var (
	profilesMu sync.RWMutex
	profiles   = map[string]SM2Profile{
		"ibm": {Name: "ibm", KeyType: CKK_IBM_SM2, KeyGen: CKM_IBM_SM2_KEY_PAIR_GEN,
			SignE: CKM_IBM_SM2, SignMessage: CKM_IBM_SM2_SM3, Style: SignDigest, SigFormat: SigRaw, KeyGenECParams: true},
		"ibm-sm3": {Name: "ibm-sm3", KeyType: CKK_IBM_SM2, KeyGen: CKM_IBM_SM2_KEY_PAIR_GEN,
			SignE: CKM_IBM_SM2, SignMessage: CKM_IBM_SM2_SM3, Style: SignMessage, SigFormat: SigRaw, KeyGenECParams: true},
	}
)

// RegisterSM2Profile adds or replaces a named profile, so that URIs can
// select it with x-sm2-profile=NAME.
func RegisterSM2Profile(p SM2Profile) error {
	if err := p.validate(); err != nil {
		return err
	}
	profilesMu.Lock()
	defer profilesMu.Unlock()
	profiles[p.Name] = p
	return nil
}

// LookupSM2Profile returns a registered profile.
func LookupSM2Profile(name string) (SM2Profile, error) {
	profilesMu.RLock()
	defer profilesMu.RUnlock()
	p, ok := profiles[name]
	if !ok {
		var names []string
		for n := range profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return SM2Profile{}, fmt.Errorf("unknown SM2 mechanism profile %q (known: %v)", name, names)
	}
	return p, nil
}

func (p SM2Profile) validate() error {
	if p.Name == "" {
		return fmt.Errorf("SM2 profile: no name")
	}
	if p.KeyType == 0 || p.KeyGen == 0 {
		return fmt.Errorf("SM2 profile %s: key type and key-pair generation mechanism are required", p.Name)
	}
	switch p.Style {
	case SignDigest:
		if p.SignE == 0 {
			return fmt.Errorf("SM2 profile %s: style %q needs a sign-e mechanism", p.Name, p.Style)
		}
	case SignMessage:
		if p.SignMessage == 0 {
			return fmt.Errorf("SM2 profile %s: style %q needs a sign-message mechanism", p.Name, p.Style)
		}
	default:
		return fmt.Errorf("SM2 profile %s: style must be %q or %q", p.Name, SignDigest, SignMessage)
	}
	if p.SigFormat != SigRaw && p.SigFormat != SigDER {
		return fmt.Errorf("SM2 profile %s: signature format must be %q or %q", p.Name, SigRaw, SigDER)
	}
	return nil
}

// merge returns p with the non-zero fields of o applied.
func (p SM2Profile) merge(o SM2Profile) SM2Profile {
	p.Name += "+custom"
	if o.KeyType != 0 {
		p.KeyType = o.KeyType
	}
	if o.KeyGen != 0 {
		p.KeyGen = o.KeyGen
	}
	if o.SignE != 0 {
		p.SignE = o.SignE
	}
	if o.SignMessage != 0 {
		p.SignMessage = o.SignMessage
	}
	if o.Style != "" {
		p.Style = o.Style
	}
	if o.SigFormat != "" {
		p.SigFormat = o.SigFormat
	}
	return p
}
