// Package auth decides who may call the HTTP API, for what, and how often.
//
// # Clients and credentials
//
// Every caller is a registered client (store.ClientRecord) with a role and
// granted scopes. A client authenticates with either
//
//   - an API key, "esk_" followed by 32 random bytes in unpadded base64url
//     (47 characters), sent as "Authorization: Bearer esk_..." or
//     "X-API-Key: esk_...". The store keeps only the key's SHA-256; the key is
//     shown once, when it is made (NewKey), and never logged; or
//   - a TLS client certificate, registered by its fingerprint (the SHA-256 of
//     its DER, lower-case hex; CertFingerprint). Only a certificate the TLS
//     stack verified counts (tls.Config.ClientAuth VerifyClientCertIfGiven or
//     RequireAndVerifyClientCert, with ClientCAs), so TLS must end at eseal
//     serve itself, not at a load balancer in front of it.
//
// A request with an Authorization or X-API-Key header is judged by that
// header alone: a wrong key is refused even if a good certificate came with
// it.
//
// # Scopes
//
// A scope names one thing a client may do:
//
//	seal:<seal id>       stamp with this seal (GB/T 38540 esID)
//	issuer:<USCC>        act for this issuing department (统一社会信用代码)
//	type:<type code>     issue licenses of this type (证照类型代码)
//	verify               call the verification endpoints
//	lookup               look up a holder's licenses, giving a reason
//	admin                administer the service: clients, seals, catalog
//
// The value after the colon is 1 to 128 characters, none of them white space,
// a control character or '*': there are no wildcards; each seal, issuer and
// type is granted by name. Issuing a license needs both issuer:<USCC> and
// type:<code>.
//
// What a role may hold:
//
//	admin        everything, without grants
//	casesystem   verify always; lookup if granted
//	department   seal:<id> as granted; verify if granted
//	issuer       issuer:<USCC> and type:<code> as granted; verify if granted
//
// CheckGrant refuses to grant a role a scope it may not hold, and Can ignores
// such a grant should one reach the store by other means.
//
// # Caching
//
// Authenticator caches what it learns from the store for Options.CacheTTL
// (30 s by default), keyed by the SHA-256 of the credential, so a busy API
// does not read the database on every request. The cost is that changes made
// elsewhere (another replica, the eseal admin command) take up to one TTL to
// reach a running service: a client disabled, or a key rotated, is refused at
// most CacheTTL later; a new client works at once (unknown credentials are
// never cached). Authenticator.Forget applies a change at once in the
// process that made it.
//
// # Rate limits
//
// Each client has a token bucket: Rate requests per second sustained, Burst
// at once. Buckets live in the process, so N replicas behind a load balancer
// allow up to N times the rate.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eseal-project/eseal/internal/store"
)

// Roles of clients.
const (
	RoleAdmin      = "admin"
	RoleDepartment = "department"
	RoleIssuer     = "issuer"
	RoleCaseSystem = "casesystem"
)

// Scopes without a value; see the package documentation.
const (
	ScopeVerify = "verify"
	ScopeLookup = "lookup"
	ScopeAdmin  = "admin"
)

// Kinds of scopes with a value.
const (
	kindSeal   = "seal"
	kindIssuer = "issuer"
	kindType   = "type"
)

// SealScope is the scope to stamp with a seal.
func SealScope(sealID string) string { return kindSeal + ":" + sealID }

// IssuerScope is the scope to act for an issuing department.
func IssuerScope(uscc string) string { return kindIssuer + ":" + uscc }

// TypeScope is the scope to issue licenses of a type.
func TypeScope(typeCode string) string { return kindType + ":" + typeCode }

// Client is an authenticated caller. Clients returned by an Authenticator are
// shared between requests: do not modify them.
type Client struct {
	ID     string
	Name   string
	Role   string
	Scopes []string
	// Rate is the sustained requests per second (0: no limit); Burst how many
	// at once (0: the rate rounded up, at least 1).
	Rate  float64
	Burst int
}

func clientOf(rec store.ClientRecord) *Client {
	return &Client{
		ID:     rec.ID,
		Name:   rec.Name,
		Role:   rec.Role,
		Scopes: slices.Clone(rec.Scopes),
		Rate:   rec.Rate,
		Burst:  rec.Burst,
	}
}

// Can reports whether the client may do what scope names.
func (c *Client) Can(scope string) bool {
	if c == nil || scope == "" {
		return false
	}
	if c.Role == RoleAdmin {
		return true
	}
	kind, ok := parseScope(scope)
	if !ok || !mayHold(c.Role, kind) {
		return false
	}
	if scope == ScopeVerify && c.Role == RoleCaseSystem {
		return true
	}
	return slices.Contains(c.Scopes, scope)
}

// parseScope returns the kind of a well-formed scope: the scope itself for
// verify, lookup and admin, the part before the colon for the others.
func parseScope(s string) (kind string, ok bool) {
	switch s {
	case ScopeVerify, ScopeLookup, ScopeAdmin:
		return s, true
	}
	kind, value, found := strings.Cut(s, ":")
	if !found || (kind != kindSeal && kind != kindIssuer && kind != kindType) {
		return "", false
	}
	if value == "" || utf8.RuneCountInString(value) > 128 || !utf8.ValidString(value) {
		return "", false
	}
	for _, r := range value {
		if r == '*' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", false
		}
	}
	return kind, true
}

// mayHold reports whether a role may be granted scopes of a kind.
func mayHold(role, kind string) bool {
	switch role {
	case RoleAdmin:
		return true
	case RoleCaseSystem:
		return kind == ScopeVerify || kind == ScopeLookup
	case RoleDepartment:
		return kind == kindSeal || kind == ScopeVerify
	case RoleIssuer:
		return kind == kindIssuer || kind == kindType || kind == ScopeVerify
	}
	return false
}

// Roles lists the roles a client may have.
func Roles() []string {
	return []string{RoleAdmin, RoleDepartment, RoleIssuer, RoleCaseSystem}
}

// CheckGrant reports whether role is a known role and every scope is well
// formed and one the role may hold.
func CheckGrant(role string, scopes []string) error {
	if !slices.Contains(Roles(), role) {
		return fmt.Errorf("unknown role %q; want one of %s", role, strings.Join(Roles(), ", "))
	}
	for _, s := range scopes {
		kind, ok := parseScope(s)
		if !ok {
			return fmt.Errorf("scope %q: want seal:<seal id>, issuer:<USCC>, type:<type code>, verify, lookup or admin (no wildcards, no spaces)", s)
		}
		if !mayHold(role, kind) {
			return fmt.Errorf("scope %q: a client with role %s may not hold it (%s)", s, role, holds(role))
		}
	}
	return nil
}

func holds(role string) string {
	switch role {
	case RoleCaseSystem:
		return "a case system holds verify and lookup"
	case RoleDepartment:
		return "a department holds seal:<id> and verify"
	case RoleIssuer:
		return "an issuer holds issuer:<USCC>, type:<code> and verify"
	}
	return "an admin holds everything"
}

// KeyPrefix starts every API key, so that keys are recognisable in a leak
// scan and mistakes (a hash or an id pasted as a key) are caught early.
const KeyPrefix = "esk_"

// keyLen is the length of an API key: the prefix and 32 bytes in unpadded
// base64url.
var keyLen = len(KeyPrefix) + base64.RawURLEncoding.EncodedLen(32)

// NewKey makes a new API key and returns it with its hash, the one to store.
// Show the key once to whoever will use it; do not keep or log it.
func NewKey() (key string, hash []byte) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	key = KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashKey(key)
}

// HashKey is the SHA-256 of an API key, as the store keeps it.
func HashKey(key string) []byte {
	h := hashKey(key)
	return h[:]
}

// hashKey hashes without allocating for keys of the usual length.
func hashKey(key string) [sha256.Size]byte {
	var buf [64]byte
	return sha256.Sum256(append(buf[:0], key...))
}

// wellFormedKey reports whether s looks like an API key; anything else is
// refused without asking the store.
func wellFormedKey(s string) bool {
	if len(s) != keyLen || !strings.HasPrefix(s, KeyPrefix) {
		return false
	}
	for i := len(KeyPrefix); i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// CertFingerprint is the fingerprint by which a client certificate is
// registered: the SHA-256 of its DER, lower-case hex.
func CertFingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// NewClientID makes a client id, "cl_" and 16 random hex digits.
func NewClientID() string {
	var b [8]byte
	rand.Read(b[:])
	return "cl_" + hex.EncodeToString(b[:])
}

// ErrUnauthenticated means the request carried no credentials, or ones that
// do not belong to an enabled client. Errors wrapping it say which, and
// never contain the credential.
var ErrUnauthenticated = errors.New("unauthenticated")

var (
	errNoCredentials = fmt.Errorf("%w: no API key or client certificate; send the key as Authorization: Bearer <key>", ErrUnauthenticated)
	errMalformed     = fmt.Errorf("%w: malformed credentials; want Authorization: Bearer <key> or X-API-Key: <key>, with a key (esk_...) made by eseal admin client add", ErrUnauthenticated)
	// A disabled client gets the same answer as an unknown one.
	errNotRecognised = fmt.Errorf("%w: the API key or client certificate is not recognised", ErrUnauthenticated)
)

type ctxKey struct{}

// NewContext returns ctx carrying the client.
func NewContext(ctx context.Context, c *Client) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the client Require put in the request's context, or
// nil.
func FromContext(ctx context.Context) *Client {
	c, _ := ctx.Value(ctxKey{}).(*Client)
	return c
}
