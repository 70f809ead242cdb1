// The certificate authority: a self-signed root (or any CA certificate) and
// a signer for its key, which stays in a keystore. A CA made by InitCA
// lives in a directory:
//
//	ca.pem              the CA certificate
//	ca.json             algorithm, keystore URI (never a PIN or passphrase),
//	                    key label, last CRL number, CRL validity
//	revoked.json        revoked serial numbers with time and reason
//	issued/SERIAL.pem   every certificate issued, by hex serial
//	keys/               the soft keystore holding the CA key, unless the
//	                    key is in another keystore
//	.lock               serialises processes working on the CA
//
// Files are 0600 and directories 0700; every write is atomic.

package certs

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/hsm"
)

const (
	caCertFile     = "ca.pem"
	caMetaFile     = "ca.json"
	revokedFile    = "revoked.json"
	issuedDir      = "issued"
	defaultKeysDir = "keys"
	caMetaVersion  = 1
)

// DefaultCALabel is the key label InitCA uses when none is given.
const DefaultCALabel = "ca"

// DefaultCRLValidity is how long a CRL is valid when neither the caller nor
// the CA directory says otherwise.
const DefaultCRLValidity = 7 * 24 * time.Hour

// Errors a caller may branch on with errors.Is.
var (
	ErrCAExists       = errors.New("a CA already exists in this directory")
	ErrNotCA          = errors.New("not a CA directory")
	ErrNotIssued      = errors.New("certificate was not issued by this CA")
	ErrAlreadyRevoked = errors.New("certificate is already revoked")
)

// InitOptions configures InitCA.
type InitOptions struct {
	// Algorithm of the CA key: hsm.SM2 or hsm.P256.
	Algorithm hsm.Algorithm
	// Org is the subject's Organization. Required.
	Org string
	// CommonName defaults to "<Org> Root CA".
	CommonName string
	// Country is an optional two-letter subject C (e.g. "CN").
	Country string
	// Keystore is the URI of the keystore for the CA key. Empty means a
	// soft keystore in DIR/keys (passphrase from ESEAL_KEYSTORE_PASSPHRASE).
	// PIN and passphrase values in it are used but never written to disk.
	Keystore string
	// Label of the CA key; DefaultCALabel if empty.
	Label string
	// ExistingKey uses the key already under Label (for instance one made in
	// an HSM key ceremony) instead of generating one.
	ExistingKey bool
	// Validity of the root certificate; 10 years if zero.
	Validity time.Duration
	// CRLValidity is the default time from thisUpdate to nextUpdate of CRLs;
	// DefaultCRLValidity if zero.
	CRLValidity time.Duration
}

// caMeta is ca.json.
type caMeta struct {
	Version   int           `json:"version"`
	Algorithm hsm.Algorithm `json:"algorithm"`
	// Keystore has no secrets; a relative file: directory is relative to
	// the CA directory.
	Keystore string `json:"keystore"`
	Label    string `json:"label"`
	// CRLNumber is the number of the last CRL issued (0: none yet).
	CRLNumber int64 `json:"crl_number"`
	// CRLValidityHours is the next-update policy: nextUpdate = thisUpdate +
	// this many hours.
	CRLValidityHours int64     `json:"crl_validity_hours"`
	Subject          string    `json:"subject"`
	Created          time.Time `json:"created"`
}

// revocationRecord is one entry of revoked.json.
type revocationRecord struct {
	Serial string           `json:"serial"`
	Time   time.Time        `json:"revoked_at"`
	Reason RevocationReason `json:"reason"`
}

// CA issues certificates and CRLs with a key it reaches through a
// crypto.Signer. Its methods are safe for concurrent use.
type CA struct {
	cert   *smx509.Certificate
	signer crypto.Signer

	dir string       // "" for an in-memory CA (NewCA)
	ks  hsm.Keystore // closed by Close; nil for an in-memory CA

	mu sync.Mutex
	// In-memory state of a CA without a directory.
	memIssued    map[string]*smx509.Certificate
	memRevoked   []Revocation
	memCRLNumber int64
	memCRLValid  time.Duration
}

// SelfSign makes a self-signed root CA certificate for signer's key:
// basicConstraints cA, keyUsage keyCertSign and cRLSign (critical), subject
// and authority key identifiers, a random 128-bit serial.
func SelfSign(signer crypto.Signer, subject pkix.Name, v Validity) (*smx509.Certificate, error) {
	if hsm.AlgorithmOf(signer.Public()) == "" {
		return nil, fmt.Errorf("CA key is %s: want SM2 or ECDSA P-256", KeyAlgorithmName(signer.Public()))
	}
	if len(subject.ToRDNSequence()) == 0 {
		return nil, errors.New("CA subject is empty")
	}
	if !v.NotAfter.After(v.NotBefore) {
		return nil, fmt.Errorf("validity ends (%s) before it starts (%s)", v.NotAfter.UTC().Format(time.RFC3339), v.NotBefore.UTC().Format(time.RFC3339))
	}
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(signer.Public())
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             v.NotBefore.UTC(),
		NotAfter:              v.NotAfter.UTC(),
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            -1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId:          ski,
		AuthorityKeyId:        ski,
	}
	der, err := smx509.CreateCertificate(rand.Reader, t, t, signer.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("self-signing CA certificate: %w", err)
	}
	return smx509.ParseCertificate(der)
}

// NewCA makes an in-memory CA from a CA certificate and a signer for its
// key. Issued serials, revocations and the CRL number live in memory only;
// use InitCA and OpenCA for a CA that persists.
func NewCA(cert *smx509.Certificate, signer crypto.Signer) (*CA, error) {
	if err := checkCAKey(cert, signer); err != nil {
		return nil, err
	}
	return &CA{cert: cert, signer: signer, memIssued: map[string]*smx509.Certificate{}, memCRLValid: DefaultCRLValidity}, nil
}

func checkCAKey(cert *smx509.Certificate, signer crypto.Signer) error {
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return fmt.Errorf("certificate %s is not a CA certificate (basicConstraints cA is not set)", SubjectString(cert))
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fmt.Errorf("certificate %s may not sign certificates (keyUsage %s)", SubjectString(cert), KeyUsageString(cert.KeyUsage))
	}
	if !publicKeysEqual(signer.Public(), cert.PublicKey) {
		return fmt.Errorf("the CA key does not match the public key of certificate %s", SubjectString(cert))
	}
	return nil
}

// InitCA creates a development root CA in dir: a key in a keystore (a soft
// keystore in dir/keys unless opts.Keystore names another), a self-signed
// certificate, and the files described in the package documentation. It
// refuses a directory that already holds a CA (ErrCAExists).
func InitCA(ctx context.Context, dir string, opts InitOptions) (*CA, error) {
	if opts.Algorithm != hsm.SM2 && opts.Algorithm != hsm.P256 {
		return nil, fmt.Errorf("CA key algorithm %q: want sm2 or p256", opts.Algorithm)
	}
	if strings.TrimSpace(opts.Org) == "" {
		return nil, errors.New("CA organization is empty: give the organization name (O=) of the CA")
	}
	label := opts.Label
	if label == "" {
		label = DefaultCALabel
	}
	if err := hsm.ValidLabel(label); err != nil {
		return nil, err
	}
	subject := pkix.Name{Organization: []string{opts.Org}, CommonName: opts.CommonName}
	if subject.CommonName == "" {
		subject.CommonName = opts.Org + " Root CA"
	}
	if opts.Country != "" {
		subject.Country = []string{opts.Country}
	}
	validity := ValidFor(opts.Validity)
	if opts.Validity == 0 {
		validity.NotAfter = validity.NotBefore.Add(backdate).AddDate(10, 0, 0)
	}
	crlValidity := opts.CRLValidity
	if crlValidity == 0 {
		crlValidity = DefaultCRLValidity
	}
	if crlValidity < time.Hour {
		return nil, fmt.Errorf("CRL validity %s is shorter than an hour", crlValidity)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating CA directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for _, f := range []string{caMetaFile, caCertFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("%s: %w (%s exists); refusing to overwrite it: choose another directory", dir, ErrCAExists, f)
		}
	}

	uri, recorded := opts.Keystore, ""
	if uri == "" {
		keys := filepath.Join(dir, defaultKeysDir)
		if err := os.MkdirAll(keys, 0o700); err != nil {
			return nil, fmt.Errorf("creating keystore directory: %w", err)
		}
		uri, recorded = "file:"+keys, "file:"+defaultKeysDir
	} else {
		recorded, err = absFileURI(uri)
		if err != nil {
			return nil, err
		}
		recorded = StripSecrets(recorded)
	}
	ks, err := hsm.Open(uri)
	if err != nil {
		return nil, fmt.Errorf("opening keystore: %w", err)
	}
	signer, err := caSigner(ctx, ks, StripSecrets(uri), label, opts.Algorithm, opts.ExistingKey)
	if err != nil {
		ks.Close()
		return nil, err
	}
	cert, err := SelfSign(signer, subject, validity)
	if err != nil {
		ks.Close()
		return nil, err
	}
	meta := caMeta{
		Version:          caMetaVersion,
		Algorithm:        opts.Algorithm,
		Keystore:         recorded,
		Label:            label,
		CRLValidityHours: int64(crlValidity / time.Hour),
		Subject:          SubjectString(cert),
		Created:          time.Now().UTC().Truncate(time.Second),
	}
	// ca.json is written last: a directory without it holds no CA yet.
	err = os.MkdirAll(filepath.Join(dir, issuedDir), 0o700)
	if err == nil {
		err = writeFileAtomic(filepath.Join(dir, caCertFile), EncodePEM(cert))
	}
	if err == nil {
		err = writeJSON(filepath.Join(dir, revokedFile), []revocationRecord{})
	}
	if err == nil {
		err = writeJSON(filepath.Join(dir, caMetaFile), meta)
	}
	if err != nil {
		ks.Close()
		return nil, fmt.Errorf("writing CA directory %s: %w", dir, err)
	}
	return &CA{cert: cert, signer: signer, dir: dir, ks: ks}, nil
}

// caSigner generates the CA key, or finds an existing one.
func caSigner(ctx context.Context, ks hsm.Keystore, uri, label string, alg hsm.Algorithm, existing bool) (crypto.Signer, error) {
	if existing {
		s, err := ks.Signer(ctx, label)
		if err != nil {
			return nil, fmt.Errorf("CA key %q in %s: %w", label, uri, err)
		}
		if got := hsm.AlgorithmOf(s.Public()); got != alg {
			return nil, fmt.Errorf("CA key %q in %s is %s, not %s", label, uri, KeyAlgorithmName(s.Public()), alg)
		}
		return s, nil
	}
	s, err := ks.Generate(ctx, label, alg)
	if errors.Is(err, hsm.ErrKeyExists) {
		return nil, fmt.Errorf("CA key %q in %s: %w: choose another label, or use that key on purpose (--existing-key, InitOptions.ExistingKey)", label, uri, err)
	}
	if err != nil {
		return nil, fmt.Errorf("generating CA key %q in %s: %w", label, uri, err)
	}
	return s, nil
}

// OpenCA loads the CA in dir and opens its key. The keystore's PIN or
// passphrase comes from the environment or from a pin-source /
// passphrase-file named in the recorded URI, never from ca.json.
func OpenCA(ctx context.Context, dir string) (*CA, error) {
	meta, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	certs, err := LoadCertificates(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, fmt.Errorf("CA directory %s: %w", dir, err)
	}
	cert := certs[0]
	if got := hsm.AlgorithmOf(cert.PublicKey); got != meta.Algorithm {
		return nil, fmt.Errorf("CA directory %s: %s holds a %s key but %s says %s", dir, caCertFile, KeyAlgorithmName(cert.PublicKey), caMetaFile, meta.Algorithm)
	}
	uri := resolveKeystoreURI(dir, meta.Keystore)
	ks, err := hsm.Open(uri)
	if err != nil {
		return nil, fmt.Errorf("CA %s: opening keystore: %w", dir, err)
	}
	signer, err := ks.Signer(ctx, meta.Label)
	if err != nil {
		ks.Close()
		return nil, fmt.Errorf("CA %s: key %q in %s: %w", dir, meta.Label, StripSecrets(uri), err)
	}
	if err := checkCAKey(cert, signer); err != nil {
		ks.Close()
		return nil, fmt.Errorf("CA %s: %w", dir, err)
	}
	return &CA{cert: cert, signer: signer, dir: dir, ks: ks}, nil
}

func readMeta(dir string) (*caMeta, error) {
	raw, err := os.ReadFile(filepath.Join(dir, caMetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (no %s): initialise a CA there first", dir, ErrNotCA, caMetaFile)
	}
	if err != nil {
		return nil, err
	}
	var m caMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %s is not valid JSON: %w", dir, caMetaFile, err)
	}
	if m.Version != caMetaVersion {
		return nil, fmt.Errorf("%s: %s has version %d; this program reads version %d", dir, caMetaFile, m.Version, caMetaVersion)
	}
	if m.Keystore == "" || m.Label == "" {
		return nil, fmt.Errorf("%s: %s names no keystore or key label", dir, caMetaFile)
	}
	return &m, nil
}

// Certificate is the CA certificate.
func (ca *CA) Certificate() *smx509.Certificate { return ca.cert }

// Dir is the CA directory, "" for an in-memory CA.
func (ca *CA) Dir() string { return ca.dir }

// Close releases the keystore.
func (ca *CA) Close() error {
	if ca.ks == nil {
		return nil
	}
	return ca.ks.Close()
}

// Issue certifies pub, whose private key stays wherever it is, for subject
// under profile. The certificate gets a random 128-bit serial, subject and
// authority key identifiers, and must not outlive the CA certificate. A CA
// with a directory records it in issued/SERIAL.pem.
func (ca *CA) Issue(ctx context.Context, pub crypto.PublicKey, subject pkix.Name, profile Profile, v Validity) (*smx509.Certificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if hsm.AlgorithmOf(pub) == "" {
		return nil, fmt.Errorf("public key is %s: want SM2 or ECDSA P-256", KeyAlgorithmName(pub))
	}
	if len(subject.ToRDNSequence()) == 0 {
		return nil, errors.New("certificate subject is empty")
	}
	if der, err := asn1.Marshal(subject.ToRDNSequence()); err == nil && bytes.Equal(der, ca.cert.RawSubject) {
		return nil, fmt.Errorf("subject %s is the CA's own name: give the certificate a name of its own", FormatName(subject))
	}
	if !v.NotAfter.After(v.NotBefore) {
		return nil, fmt.Errorf("validity ends (%s) before it starts (%s)", v.NotAfter.UTC().Format(time.RFC3339), v.NotBefore.UTC().Format(time.RFC3339))
	}
	if v.NotAfter.After(ca.cert.NotAfter) {
		return nil, fmt.Errorf("validity until %s outlives the CA certificate, which expires at %s: ask for at most %d days",
			v.NotAfter.UTC().Format(time.RFC3339), ca.cert.NotAfter.UTC().Format(time.RFC3339), int(time.Until(ca.cert.NotAfter).Hours()/24))
	}
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("subject key identifier: %w", err)
	}
	t := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        subject,
		NotBefore:      v.NotBefore.UTC().Truncate(time.Second),
		NotAfter:       v.NotAfter.UTC().Truncate(time.Second),
		SubjectKeyId:   ski,
		AuthorityKeyId: ca.cert.SubjectKeyId,
	}
	if err := profile.apply(t); err != nil {
		return nil, err
	}
	der, err := smx509.CreateCertificate(rand.Reader, t, ca.cert.ToX509(), pub, ca.signer)
	if err != nil {
		return nil, fmt.Errorf("signing certificate for %s: %w", FormatName(subject), err)
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate just issued: %w", err)
	}
	if err := ca.recordIssued(cert); err != nil {
		return nil, err
	}
	return cert, nil
}

func (ca *CA) recordIssued(cert *smx509.Certificate) error {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	s := FormatSerial(cert.SerialNumber)
	if ca.dir == "" {
		ca.memIssued[s] = cert
		return nil
	}
	if err := writeFileAtomic(filepath.Join(ca.dir, issuedDir, s+".pem"), EncodePEM(cert)); err != nil {
		return fmt.Errorf("recording issued certificate %s: %w", s, err)
	}
	return nil
}

// Lookup returns the certificate this CA issued with serial, or an error
// matching ErrNotIssued.
func (ca *CA) Lookup(serial *big.Int) (*smx509.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.lookup(serial)
}

func (ca *CA) lookup(serial *big.Int) (*smx509.Certificate, error) {
	s := FormatSerial(serial)
	if ca.dir == "" {
		if c := ca.memIssued[s]; c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("serial %s: %w", s, ErrNotIssued)
	}
	certs, err := LoadCertificates(filepath.Join(ca.dir, issuedDir, s+".pem"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("serial %s: %w (no %s/%s.pem)", s, ErrNotIssued, issuedDir, s)
	}
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// Revoke marks the certificate with serial as revoked from now on, for
// reason. It fails with ErrNotIssued for a serial this CA did not issue and
// with ErrAlreadyRevoked for one revoked before. The revocation appears in
// the next CRL.
func (ca *CA) Revoke(serial *big.Int, reason RevocationReason) error {
	if err := reason.check(); err != nil {
		return err
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.dir != "" {
		unlock, err := lockDir(ca.dir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if _, err := ca.lookup(serial); err != nil {
		return err
	}
	revoked, err := ca.loadRevoked()
	if err != nil {
		return err
	}
	for _, r := range revoked {
		if r.Serial.Cmp(serial) == 0 {
			return fmt.Errorf("serial %s: %w (at %s, %s)", FormatSerial(serial), ErrAlreadyRevoked, r.Time.Format(time.RFC3339), r.Reason)
		}
	}
	revoked = append(revoked, Revocation{Serial: new(big.Int).Set(serial), Time: time.Now().UTC().Truncate(time.Second), Reason: reason})
	return ca.saveRevoked(revoked)
}

// Revoked lists the revocations recorded so far, oldest first.
func (ca *CA) Revoked() ([]Revocation, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.loadRevoked()
}

func (ca *CA) loadRevoked() ([]Revocation, error) {
	if ca.dir == "" {
		return append([]Revocation(nil), ca.memRevoked...), nil
	}
	raw, err := os.ReadFile(filepath.Join(ca.dir, revokedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []revocationRecord
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, fmt.Errorf("%s: %s is not valid JSON: %w", ca.dir, revokedFile, err)
	}
	out := make([]Revocation, 0, len(recs))
	for _, r := range recs {
		n, err := ParseSerial(r.Serial)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", ca.dir, revokedFile, err)
		}
		out = append(out, Revocation{Serial: n, Time: r.Time, Reason: r.Reason})
	}
	return out, nil
}

func (ca *CA) saveRevoked(revoked []Revocation) error {
	if ca.dir == "" {
		ca.memRevoked = revoked
		return nil
	}
	recs := make([]revocationRecord, 0, len(revoked))
	for _, r := range revoked {
		recs = append(recs, revocationRecord{Serial: FormatSerial(r.Serial), Time: r.Time, Reason: r.Reason})
	}
	return writeJSON(filepath.Join(ca.dir, revokedFile), recs)
}

// CRL signs a new X.509 v2 CRL of every revocation so far, with the next
// CRL number, an authority key identifier and thisUpdate now. A zero
// nextUpdate means now plus the CA's CRL validity (7 days by default).
func (ca *CA) CRL(ctx context.Context, nextUpdate time.Time) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	var meta *caMeta
	number, validity := ca.memCRLNumber, ca.memCRLValid
	if ca.dir != "" {
		unlock, err := lockDir(ca.dir)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if meta, err = readMeta(ca.dir); err != nil {
			return nil, err
		}
		number, validity = meta.CRLNumber, time.Duration(meta.CRLValidityHours)*time.Hour
		if validity <= 0 {
			validity = DefaultCRLValidity
		}
	}
	revoked, err := ca.loadRevoked()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	if nextUpdate.IsZero() {
		nextUpdate = now.Add(validity)
	}
	if !nextUpdate.After(now) {
		return nil, fmt.Errorf("CRL nextUpdate %s is not in the future", nextUpdate.UTC().Format(time.RFC3339))
	}
	number++
	der, err := signCRL(ca.cert, ca.signer, number, now, nextUpdate.UTC().Truncate(time.Second), revoked)
	if err != nil {
		return nil, err
	}
	// The number is spent once the CRL exists, whether or not the caller
	// manages to publish it: CRL numbers only grow (RFC 5280 5.2.3).
	if meta != nil {
		meta.CRLNumber = number
		if err := writeJSON(filepath.Join(ca.dir, caMetaFile), meta); err != nil {
			return nil, fmt.Errorf("recording CRL number: %w", err)
		}
	} else {
		ca.memCRLNumber = number
	}
	return der, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// secretAttrs are URI attributes whose values are secrets.
var secretAttrs = map[string]bool{"pin-value": true, "passphrase": true, "password": true, "pin": true}

// StripSecrets removes PIN and passphrase values (pin-value=, passphrase=)
// from a keystore URI, keeping references to them (pin-source=,
// passphrase-file=, passphrase-env=).
func StripSecrets(uri string) string {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return uri
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	keep := func(s, sep string) string {
		var out []string
		for _, a := range strings.Split(s, sep) {
			name, _, _ := strings.Cut(a, "=")
			if !secretAttrs[strings.ToLower(strings.TrimSpace(name))] {
				out = append(out, a)
			}
		}
		return strings.Join(out, sep)
	}
	if scheme == "pkcs11" {
		path = keep(path, ";")
	}
	s := scheme + ":" + path
	if hasQuery {
		if q := keep(query, "&"); q != "" {
			s += "?" + q
		}
	}
	return s
}

// absFileURI makes the directory and passphrase-file of a file: URI
// absolute, so the CA works from any working directory. Other URIs are
// returned as they are.
func absFileURI(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return uri, nil
	}
	rest = strings.TrimPrefix(rest, "//")
	path, query, hasQuery := strings.Cut(rest, "?")
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	s := "file:" + abs
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", fmt.Errorf("keystore URI: bad query: %w", err)
		}
		if f := q.Get("passphrase-file"); f != "" {
			af, err := filepath.Abs(f)
			if err != nil {
				return "", err
			}
			q.Set("passphrase-file", af)
		}
		s += "?" + q.Encode()
	}
	return s, nil
}

// resolveKeystoreURI turns a recorded URI into one to open: a relative
// file: directory is taken relative to the CA directory.
func resolveKeystoreURI(dir, uri string) string {
	rest, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return uri
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	s := "file:" + path
	if hasQuery {
		s += "?" + query
	}
	return s
}
