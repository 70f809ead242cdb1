// The trust list: its structure, signing, parsing and the checks that make
// a list usable.

package federation

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/jws"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
)

// Token media types ("typ").
const (
	TypTrustList = "eseal-trustlist+jws"
	TypStatus    = "eseal-status+jws"
)

// MediaTypeJOSE is the Content-Type of a compact JWS over HTTP (RFC 7515
// 9.2.1): trust lists at GET /v1/trustlist and status answers.
const MediaTypeJOSE = "application/jose"

// MaxClockSkew is how far ahead of our clock a list's issuedAt or an
// answer's producedAt may be.
const MaxClockSkew = 5 * time.Minute

// Errors a caller may branch on with errors.Is.
var (
	// ErrMalformed: the input is not a signed trust list at all (not a
	// compact JWS, or a JWS of another type).
	ErrMalformed = errors.New("not a signed trust list")
	// ErrSignature: the signature does not verify, or the signing key is
	// none of the federation keys.
	ErrSignature = errors.New("trust list signature does not verify")
	// ErrInvalid: the list is signed but its content is not usable.
	ErrInvalid = errors.New("trust list is not valid")
	// ErrExpired: the list is past its nextUpdate (see ExpiredError).
	ErrExpired = errors.New("trust list has expired")
	// ErrRollback: the list is older than the one in force, or has its
	// sequence number with different content.
	ErrRollback = errors.New("trust list rollback")
	// ErrUnchanged: the list is the one in force.
	ErrUnchanged = errors.New("trust list unchanged")
)

// RegionStatus is a region's standing in the federation.
type RegionStatus string

const (
	RegionActive    RegionStatus = "active"    // trusted
	RegionSuspended RegionStatus = "suspended" // temporarily not trusted
	RegionWithdrawn RegionStatus = "withdrawn" // has left the federation
)

// TrustList is a federation's signed list of regions. The JSON field order
// is the signed order. A list from Parse must not be modified.
type TrustList struct {
	Federation string    `json:"federation"`
	Sequence   uint64    `json:"sequence"`
	IssuedAt   time.Time `json:"issuedAt"`
	NextUpdate time.Time `json:"nextUpdate"`
	Regions    []Region  `json:"regions"`

	token string // the signed token this list came from
	kid   string // the key id in its header
	idx   *index // set by Parse and ParseUnverified
}

// Region is one deployment of the service.
type Region struct {
	Code           string       `json:"code"` // 区划码, GB/T 2260
	Name           string       `json:"name"`
	Status         RegionStatus `json:"status"`
	Endpoints      []string     `json:"endpoints,omitempty"`
	CACertificates []string     `json:"caCertificates,omitempty"`
	Issuers        []Issuer     `json:"issuers,omitempty"`
	IssuerKeys     []Key        `json:"issuerKeys,omitempty"`
	NodeKeys       []Key        `json:"nodeKeys,omitempty"`
}

// Issuer is an issuing department (证照颁发机构) of a region.
type Issuer struct {
	USCC string `json:"uscc"`
	Name string `json:"name,omitempty"`
}

// Key is a public key given as a certificate or as a bare public key.
type Key struct {
	KeyID string `json:"keyId,omitempty"` // license.KeyID; checked if given
	// USCC binds an issuer key to the one issuer it may sign for; "" lets
	// it sign for any issuer. Not used for node keys.
	USCC        string `json:"uscc,omitempty"`
	Certificate string `json:"certificate,omitempty"` // PEM or base64 DER
	PublicKey   string `json:"publicKey,omitempty"`   // PEM or base64 DER SubjectPublicKeyInfo
}

// Public parses the key: its public key, and its certificate if it is given
// as one.
func (k *Key) Public() (*ecdsa.PublicKey, *smx509.Certificate, error) {
	var pub crypto.PublicKey
	var cert *smx509.Certificate
	switch {
	case k.Certificate != "" && k.PublicKey != "":
		return nil, nil, errors.New("give certificate or publicKey, not both")
	case k.Certificate != "":
		c, err := parseCertificate(k.Certificate)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate: %w", err)
		}
		pub, cert = c.PublicKey, c
	case k.PublicKey != "":
		der, err := decodePEMOrBase64(k.PublicKey, "PUBLIC KEY")
		if err != nil {
			return nil, nil, fmt.Errorf("publicKey: %w", err)
		}
		if pub, err = smx509.ParsePKIXPublicKey(der); err != nil {
			return nil, nil, fmt.Errorf("publicKey: %w", err)
		}
	default:
		return nil, nil, errors.New("has neither certificate nor publicKey")
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || hsm.AlgorithmOf(ec) == "" {
		return nil, nil, fmt.Errorf("key is %s: want SM2 or ECDSA P-256", certs.KeyAlgorithmName(pub))
	}
	kid, err := license.KeyID(ec)
	if err != nil {
		return nil, nil, err
	}
	if k.KeyID != "" && k.KeyID != kid {
		return nil, nil, fmt.Errorf("keyId %s does not match the key, whose key id is %s", k.KeyID, kid)
	}
	return ec, cert, nil
}

// decodePEMOrBase64 reads one PEM block of the given type, or base64 DER.
func decodePEMOrBase64(s, typ string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		b, rest := pem.Decode([]byte(s))
		if b == nil {
			return nil, errors.New("malformed PEM")
		}
		if b.Type != typ {
			return nil, fmt.Errorf("PEM block is %s, want %s", b.Type, typ)
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, fmt.Errorf("more than one PEM block: give one %s per entry", typ)
		}
		return b.Bytes, nil
	}
	compact := strings.Join(strings.Fields(s), "")
	der, err := base64.StdEncoding.DecodeString(compact)
	if err != nil {
		if der, err = base64.RawStdEncoding.DecodeString(compact); err != nil {
			return nil, errors.New("neither PEM nor base64 DER")
		}
	}
	return der, nil
}

func parseCertificate(s string) (*smx509.Certificate, error) {
	der, err := decodePEMOrBase64(s, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	return smx509.ParseCertificate(der)
}

// index is what the checks of a list work out, for lookups.
type index struct {
	canonical  []byte
	digest     string
	byCode     map[string]*Region
	byUSCC     map[string]*Region
	cas        map[string][]*smx509.Certificate // by region code
	issuerKeys map[string]keyEntry              // by key id
	nodeKeys   map[string]keyEntry              // by key id
	pool       *certs.Pool                      // CA certificates of active regions
}

type keyEntry struct {
	region *Region
	key    license.IssuerKey
}

// DecodeJSON reads a trust list's JSON (the signing input of eseal
// trustlist sign). Unknown fields are an error; the content is checked by
// Sign.
func DecodeJSON(data []byte) (*TrustList, error) {
	var tl TrustList
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tl); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the trust list object")
	}
	return &tl, nil
}

// JSON is the list's canonical JSON, the payload that is signed.
func (tl *TrustList) JSON() ([]byte, error) {
	c := *tl
	c.IssuedAt, c.NextUpdate = c.IssuedAt.UTC(), c.NextUpdate.UTC()
	return canonicalJSON(&c)
}

func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// String names the list: federation name and sequence number.
func (tl *TrustList) String() string {
	return fmt.Sprintf("%q #%d", tl.Federation, tl.Sequence)
}

// Token is the signed token the list was parsed from.
func (tl *TrustList) Token() string { return tl.token }

// KeyID is the key id of the key that signed the list, as its header says.
func (tl *TrustList) KeyID() string { return tl.kid }

// Digest is the hex SHA-256 of the list's canonical JSON: two lists with
// the same digest say the same thing.
func (tl *TrustList) Digest() string {
	idx, err := tl.index()
	if err != nil {
		return ""
	}
	return idx.digest
}

// Expired reports whether the list is past its nextUpdate at t.
func (tl *TrustList) Expired(t time.Time) bool { return !t.Before(tl.NextUpdate) }

// Region returns the region with the given code, or nil.
func (tl *TrustList) Region(code string) *Region {
	for i := range tl.Regions {
		if tl.Regions[i].Code == code {
			return &tl.Regions[i]
		}
	}
	return nil
}

// RegionForIssuer returns the region that lists the issuer's USCC, or nil.
func (tl *TrustList) RegionForIssuer(uscc string) *Region {
	if tl.idx != nil {
		return tl.idx.byUSCC[uscc]
	}
	for i := range tl.Regions {
		for _, is := range tl.Regions[i].Issuers {
			if is.USCC == uscc {
				return &tl.Regions[i]
			}
		}
	}
	return nil
}

// RegionForLicense returns the region whose issuers include the issuer of
// the license identifier (GB/T 36904) id. It does not check the region's
// status.
func (tl *TrustList) RegionForLicense(id string) (*Region, error) {
	lid, err := ids.ParseLicenseID(id)
	if err != nil {
		return nil, err
	}
	r := tl.RegionForIssuer(lid.IssuerCode)
	if r == nil {
		return nil, fmt.Errorf("%w: license %s is issued by %s, which no region of trust list %s lists", ErrUnknownRegion, id, lid.IssuerCode, tl)
	}
	return r, nil
}

// IssuerKeys finds the issuer keys of the list's active regions by key id;
// a key bound to an issuer comes with its IssuerCode. A key of a region
// that is not active is refused with the region's status.
func (tl *TrustList) IssuerKeys() license.KeyLookup {
	idx, err := tl.index()
	return func(kid string) (*license.IssuerKey, error) {
		if err != nil {
			return nil, err
		}
		e, ok := idx.issuerKeys[kid]
		if !ok {
			return nil, fmt.Errorf("key %s is not an issuer key of trust list %s", kid, tl)
		}
		if e.region.Status != RegionActive {
			return nil, fmt.Errorf("key %s is of region %s, which is %s in trust list %s", kid, e.region, e.region.Status, tl)
		}
		k := e.key
		return &k, nil
	}
}

// Pool holds the CA certificates of the list's active regions.
func (tl *TrustList) Pool() *certs.Pool {
	idx, err := tl.index()
	if err != nil {
		return certs.NewPool()
	}
	return certs.NewPool(idx.pool.Certificates()...)
}

// String names the region: code and name.
func (r *Region) String() string { return fmt.Sprintf("%s (%s)", r.Code, r.Name) }

// Certificates parses the region's CA certificates.
func (r *Region) Certificates() ([]*smx509.Certificate, error) {
	var out []*smx509.Certificate
	for i, s := range r.CACertificates {
		c, err := parseCertificate(s)
		if err != nil {
			return nil, fmt.Errorf("caCertificates[%d]: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (tl *TrustList) index() (*index, error) {
	if tl.idx != nil {
		return tl.idx, nil
	}
	return check(tl)
}

// check checks everything in a list that does not depend on the time of
// use, so that a list that was signed parses for as long as it lives.
func check(tl *TrustList) (*index, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if strings.TrimSpace(tl.Federation) == "" {
		return nil, bad("federation name is empty")
	}
	if tl.Sequence == 0 {
		return nil, bad("sequence is 0: sequence numbers start at 1")
	}
	if tl.IssuedAt.IsZero() {
		return nil, bad("issuedAt is missing")
	}
	if !tl.NextUpdate.After(tl.IssuedAt) {
		return nil, bad("nextUpdate %s is not after issuedAt %s", rfc3339(tl.NextUpdate), rfc3339(tl.IssuedAt))
	}
	canon, err := tl.JSON()
	if err != nil {
		return nil, bad("%v", err)
	}
	sum := sha256.Sum256(canon)
	idx := &index{
		canonical:  canon,
		digest:     hex.EncodeToString(sum[:]),
		byCode:     map[string]*Region{},
		byUSCC:     map[string]*Region{},
		cas:        map[string][]*smx509.Certificate{},
		issuerKeys: map[string]keyEntry{},
		nodeKeys:   map[string]keyEntry{},
		pool:       certs.NewPool(),
	}
	for i := range tl.Regions {
		r := &tl.Regions[i]
		if err := checkRegion(r, idx); err != nil {
			return nil, bad("region %d, %s: %v", i+1, r, err)
		}
	}
	return idx, nil
}

func checkRegion(r *Region, idx *index) error {
	if !isRegionCode(r.Code) {
		return fmt.Errorf("code %q: want the six digits of an administrative division code (区划码)", r.Code)
	}
	if idx.byCode[r.Code] != nil {
		return errors.New("the region is listed twice")
	}
	idx.byCode[r.Code] = r
	if strings.TrimSpace(r.Name) == "" {
		return errors.New("name is empty")
	}
	switch r.Status {
	case RegionActive, RegionSuspended, RegionWithdrawn:
	default:
		return fmt.Errorf("status %q: want active, suspended or withdrawn", r.Status)
	}
	seen := map[string]bool{}
	for i, e := range r.Endpoints {
		if err := checkEndpoint(e); err != nil {
			return fmt.Errorf("endpoints[%d] %q: %v", i, e, err)
		}
		if seen[e] {
			return fmt.Errorf("endpoints[%d] %q is listed twice", i, e)
		}
		seen[e] = true
	}
	cas, err := r.Certificates()
	if err != nil {
		return err
	}
	for i, c := range cas {
		if !c.BasicConstraintsValid || !c.IsCA {
			return fmt.Errorf("caCertificates[%d] %s is not a CA certificate (basicConstraints cA is not set)", i, certs.SubjectString(c))
		}
	}
	idx.cas[r.Code] = cas
	if r.Status == RegionActive {
		idx.pool.Add(cas...)
	}
	issuers := map[string]bool{}
	for i, is := range r.Issuers {
		if err := ids.ValidateUSCC(is.USCC); err != nil {
			return fmt.Errorf("issuers[%d]: %v", i, err)
		}
		if other := idx.byUSCC[is.USCC]; other != nil {
			if other == r {
				return fmt.Errorf("issuers[%d]: %s is listed twice", i, is.USCC)
			}
			return fmt.Errorf("issuers[%d]: %s is an issuer of region %s already: an issuer belongs to one region", i, is.USCC, other)
		}
		idx.byUSCC[is.USCC] = r
		issuers[is.USCC] = true
	}
	for i := range r.IssuerKeys {
		k := &r.IssuerKeys[i]
		pub, cert, err := checkKey(k, cas)
		if err != nil {
			return fmt.Errorf("issuerKeys[%d]: %v", i, err)
		}
		if k.USCC != "" && !issuers[k.USCC] {
			return fmt.Errorf("issuerKeys[%d]: uscc %s is not among the region's issuers", i, k.USCC)
		}
		if err := addKey(idx.issuerKeys, r, license.IssuerKey{Public: pub, Cert: cert, IssuerCode: k.USCC}); err != nil {
			return fmt.Errorf("issuerKeys[%d]: %v", i, err)
		}
	}
	for i := range r.NodeKeys {
		k := &r.NodeKeys[i]
		if k.USCC != "" {
			return fmt.Errorf("nodeKeys[%d]: a node key has no uscc", i)
		}
		pub, cert, err := checkKey(k, cas)
		if err != nil {
			return fmt.Errorf("nodeKeys[%d]: %v", i, err)
		}
		if err := addKey(idx.nodeKeys, r, license.IssuerKey{Public: pub, Cert: cert}); err != nil {
			return fmt.Errorf("nodeKeys[%d]: %v", i, err)
		}
	}
	return nil
}

func checkKey(k *Key, cas []*smx509.Certificate) (*ecdsa.PublicKey, *smx509.Certificate, error) {
	pub, cert, err := k.Public()
	if err != nil {
		return nil, nil, err
	}
	if cert != nil && len(cas) > 0 {
		// The question is whether the region's CA issued the certificate,
		// so the chain is checked as of the certificate's notBefore: a key
		// whose certificate has since expired stays listed, for the
		// licenses it signed. The region's CA certificates are all anchors;
		// offering them as intermediates too lets a chain run through any.
		_, err := certs.VerifyChain(cert, cas, certs.NewPool(cas...), certs.VerifyOptions{Time: cert.NotBefore})
		if err != nil {
			return nil, nil, fmt.Errorf("certificate does not chain to the region's CA certificates: %v", err)
		}
	}
	return pub, cert, nil
}

func addKey(m map[string]keyEntry, r *Region, k license.IssuerKey) error {
	kid, err := license.KeyID(k.Public)
	if err != nil {
		return err
	}
	if e, ok := m[kid]; ok {
		return fmt.Errorf("key %s is listed twice (also in region %s)", kid, e.region)
	}
	m[kid] = keyEntry{region: r, key: k}
	return nil
}

func isRegionCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return errors.New("want an http or https URL")
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want a base URL: scheme, host and optional path, no user, query or fragment")
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// since writes a duration as Go does up to two days, then in days and hours.
func since(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// Sign checks a trust list and signs it with a federation key (SM2 or
// ECDSA P-256). It refuses a list that has already expired.
func Sign(tl *TrustList, signer crypto.Signer) (string, error) {
	if tl == nil {
		return "", errors.New("no trust list to sign")
	}
	if _, err := check(tl); err != nil {
		return "", err
	}
	if now := time.Now(); tl.Expired(now) {
		return "", fmt.Errorf("trust list %s would expire at its nextUpdate %s, which has passed", tl, rfc3339(tl.NextUpdate))
	}
	payload, err := tl.JSON()
	if err != nil {
		return "", err
	}
	return jws.Sign(signer, TypTrustList, payload, nil)
}

// ExpiredError is a verified list that is past its nextUpdate.
type ExpiredError struct {
	List *TrustList // verified, but expired
	Now  time.Time
	// Refresh is why no newer list was loaded, if that is known.
	Refresh error
}

func (e *ExpiredError) Error() string {
	msg := fmt.Sprintf("trust list %s expired at %s (%s ago)", e.List, rfc3339(e.List.NextUpdate), since(e.Now.Sub(e.List.NextUpdate)))
	if e.Refresh != nil {
		msg += fmt.Sprintf("; no newer list could be loaded: %v", e.Refresh)
	}
	return msg
}

// Is makes errors.Is(err, ErrExpired) true.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }

// Parse verifies a signed trust list with the federation keys and checks
// it for use now. An expired list is an *ExpiredError that holds the list.
func Parse(token string, federationKeys ...crypto.PublicKey) (*TrustList, error) {
	return ParseAt(token, time.Now(), federationKeys...)
}

// ParseAt is Parse for use at time now.
func ParseAt(token string, now time.Time, federationKeys ...crypto.PublicKey) (*TrustList, error) {
	if len(federationKeys) == 0 {
		return nil, errors.New("no federation key to verify the trust list with")
	}
	keys := map[string]*ecdsa.PublicKey{}
	var kids []string
	for i, k := range federationKeys {
		ec, ok := k.(*ecdsa.PublicKey)
		if !ok || hsm.AlgorithmOf(ec) == "" {
			return nil, fmt.Errorf("federation key %d is %s: want SM2 or ECDSA P-256", i+1, certs.KeyAlgorithmName(k))
		}
		kid, err := license.KeyID(ec)
		if err != nil {
			return nil, err
		}
		keys[kid] = ec
		kids = append(kids, kid)
	}
	token = strings.TrimSpace(token)
	obj, kid, err := tokenHeader(token, TypTrustList, ErrMalformed)
	if err != nil {
		return nil, err
	}
	if keys[kid] == nil {
		return nil, fmt.Errorf("%w: signed by key %s, which is not a federation key given (%s)", ErrSignature, kid, strings.Join(kids, ", "))
	}
	payload, err := jws.Verify(obj, keys[kid])
	if err != nil {
		return nil, fmt.Errorf("%w: the signature does not verify with federation key %s (the list was altered, or that key did not sign it)", ErrSignature, kid)
	}
	tl, err := decodeSigned(payload)
	if err != nil {
		return nil, err
	}
	tl.token, tl.kid = token, kid
	if now.Add(MaxClockSkew).Before(tl.IssuedAt) {
		return nil, fmt.Errorf("%w: trust list %s is issued at %s, in the future; check this machine's clock", ErrInvalid, tl, rfc3339(tl.IssuedAt))
	}
	if tl.Expired(now) {
		return nil, &ExpiredError{List: tl, Now: now}
	}
	return tl, nil
}

// ParseUnverified reads a signed trust list without checking its
// signature or its expiry, for showing it. Never trust what it returns.
func ParseUnverified(token string) (*TrustList, error) {
	token = strings.TrimSpace(token)
	obj, kid, err := tokenHeader(token, TypTrustList, ErrMalformed)
	if err != nil {
		return nil, err
	}
	tl, err := decodeSigned(obj.UnsafePayloadWithoutVerification())
	if err != nil {
		return nil, err
	}
	tl.token, tl.kid = token, kid
	return tl, nil
}

func decodeSigned(payload []byte) (*TrustList, error) {
	tl, err := DecodeJSON(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	idx, err := check(tl)
	if err != nil {
		return nil, err
	}
	tl.idx = idx
	return tl, nil
}

// tokenHeader reads a compact JWS and the key id of its header, whose typ
// must be typ; it wraps kind when the token is not one.
func tokenHeader(token, typ string, kind error) (*jose.JSONWebSignature, string, error) {
	obj, h, err := jws.Parse(token)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s", kind, strings.TrimPrefix(err.Error(), jws.ErrBad.Error()+": "))
	}
	if h.Type != typ {
		return nil, "", fmt.Errorf("%w: the token's type is %q, want %q", kind, h.Type, typ)
	}
	if h.KeyID == "" {
		return nil, "", fmt.Errorf("%w: no key id (kid)", kind)
	}
	return obj, h.KeyID, nil
}

// CheckSuccessor says whether next may replace prev: nil if its sequence
// number is higher, ErrUnchanged if it is the same list, and an error
// wrapping ErrRollback if it is older or reuses prev's sequence number for
// other content. A nil prev may be replaced by anything.
func CheckSuccessor(prev, next *TrustList) error {
	if prev == nil || next.Sequence > prev.Sequence {
		return nil
	}
	if next.Sequence < prev.Sequence {
		return fmt.Errorf("%w: the offered list %s is older than the current %s", ErrRollback, next, prev)
	}
	if a, b := prev.Digest(), next.Digest(); a != b || a == "" {
		return fmt.Errorf("%w: the offered list %s has the sequence number of the current one but other content (SHA-256 %.16s…, current %.16s…): a changed list needs a higher sequence number", ErrRollback, next, b, a)
	}
	return ErrUnchanged
}
