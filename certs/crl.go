// Certificate revocation lists (RFC 5280 5): making them with a CA key that
// may be SM2, reading them, and checking that one is genuine and current.

package certs

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// RevocationReason is a CRLReason code (RFC 5280 5.3.1).
type RevocationReason int

// CRLReason values, named as in RFC 5280 5.3.1. 7 is not used.
const (
	Unspecified          RevocationReason = 0
	KeyCompromise        RevocationReason = 1
	CACompromise         RevocationReason = 2
	AffiliationChanged   RevocationReason = 3
	Superseded           RevocationReason = 4
	CessationOfOperation RevocationReason = 5
	CertificateHold      RevocationReason = 6
	RemoveFromCRL        RevocationReason = 8
	PrivilegeWithdrawn   RevocationReason = 9
	AACompromise         RevocationReason = 10
)

var reasonNames = map[RevocationReason]string{
	Unspecified:          "unspecified",
	KeyCompromise:        "keyCompromise",
	CACompromise:         "cACompromise",
	AffiliationChanged:   "affiliationChanged",
	Superseded:           "superseded",
	CessationOfOperation: "cessationOfOperation",
	CertificateHold:      "certificateHold",
	RemoveFromCRL:        "removeFromCRL",
	PrivilegeWithdrawn:   "privilegeWithdrawn",
	AACompromise:         "aACompromise",
}

func (r RevocationReason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// ParseRevocationReason accepts a CRLReason code (0-10) or its RFC 5280
// name, case-insensitively ("keyCompromise", "superseded", ...).
func ParseRevocationReason(s string) (RevocationReason, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		r := RevocationReason(n)
		if _, ok := reasonNames[r]; ok {
			return r, nil
		}
		return 0, fmt.Errorf("revocation reason %d: not a CRLReason code (0-6, 8-10)", n)
	}
	for r, name := range reasonNames {
		if strings.EqualFold(name, s) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q: want a code 0-10 or a name such as keyCompromise, superseded, cessationOfOperation", s)
}

// check accepts the reasons a CA may put in a full CRL: removeFromCRL
// belongs to delta CRLs only.
func (r RevocationReason) check() error {
	if _, ok := reasonNames[r]; !ok || r == RemoveFromCRL {
		return fmt.Errorf("revocation reason %s cannot be used in a full CRL: use 0-6, 9 or 10", r)
	}
	return nil
}

// Revocation is one revoked certificate as a CA records it.
type Revocation struct {
	Serial *big.Int
	Time   time.Time
	Reason RevocationReason
}

var (
	oidCRLReason    = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidSignatureSM2 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
)

// signCRL makes a v2 CRL signed by signer (SM2 or ECDSA) and checks the
// signature before returning it, as smx509.CreateCertificate does for
// certificates.
func signCRL(issuer *smx509.Certificate, signer crypto.Signer, number int64, thisUpdate, nextUpdate time.Time, revoked []Revocation) ([]byte, error) {
	entries := make([]pkix.RevokedCertificate, 0, len(revoked))
	for _, r := range revoked {
		e := pkix.RevokedCertificate{SerialNumber: r.Serial, RevocationTime: r.Time.UTC()}
		// RFC 5280 5.3.1: omit reasonCode rather than write unspecified.
		if r.Reason != Unspecified {
			v, err := asn1.Marshal(asn1.Enumerated(r.Reason))
			if err != nil {
				return nil, err
			}
			e.Extensions = []pkix.Extension{{Id: oidCRLReason, Value: v}}
		}
		entries = append(entries, e)
	}
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(number),
		ThisUpdate: thisUpdate,
		NextUpdate: nextUpdate,
	}
	// smx509 v0.15.5 reads only the older RevokedCertificates field.
	tmpl.RevokedCertificates = entries //lint:ignore SA1019 smx509.CreateRevocationList reads no other field
	der, err := smx509.CreateRevocationList(rand.Reader, tmpl, issuer, signer)
	if err != nil {
		return nil, fmt.Errorf("signing CRL: %w", err)
	}
	crl, err := ParseCRL(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the CRL just signed: %w", err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("the CRL just signed does not verify (keystore signer misbehaved?): %w", err)
	}
	return der, nil
}

// Errors of CRL checks, for errors.Is.
var (
	ErrCRLExpired   = errors.New("CRL expired")
	ErrCRLSignature = errors.New("CRL signature does not verify")
	ErrCRLIssuer    = errors.New("CRL is from another issuer")
)

// detailError is an error with a full message that also matches a sentinel.
type detailError struct {
	msg string
	err error
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.err }

// CRL is a parsed certificate revocation list. The embedded RevocationList
// has the content (Issuer, ThisUpdate, NextUpdate, Number, AuthorityKeyId,
// RevokedCertificateEntries); its SignatureAlgorithm is Unknown for SM2,
// which CRL handles itself.
type CRL struct {
	*x509.RevocationList
	sigAlg x509.SignatureAlgorithm
}

// ParseCRL reads a CRL in DER or PEM ("X509 CRL").
func ParseCRL(data []byte) (*CRL, error) {
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "X509 CRL" {
			return nil, fmt.Errorf("PEM block is %q, not X509 CRL", b.Type)
		}
		data = b.Bytes
	}
	rl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("parsing CRL: %w", err)
	}
	alg, err := crlSignatureAlgorithm(rl)
	if err != nil {
		return nil, err
	}
	return &CRL{RevocationList: rl, sigAlg: alg}, nil
}

// LoadCRL reads a CRL file in DER or PEM.
func LoadCRL(path string) (*CRL, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseCRL(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// crlSignatureAlgorithm reads the signature AlgorithmIdentifier in the
// TBSCertList, which crypto/x509 has compared with the outer one, and
// maps SM2-with-SM3, which crypto/x509 does not know.
func crlSignatureAlgorithm(rl *x509.RevocationList) (x509.SignatureAlgorithm, error) {
	if rl.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return rl.SignatureAlgorithm, nil
	}
	tbs := cryptobyte.String(rl.RawTBSRevocationList)
	var seq, ai cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !tbs.ReadASN1(&seq, cbasn1.SEQUENCE) ||
		!seq.SkipOptionalASN1(cbasn1.INTEGER) ||
		!seq.ReadASN1(&ai, cbasn1.SEQUENCE) ||
		!ai.ReadASN1ObjectIdentifier(&oid) {
		return 0, errors.New("parsing CRL: malformed signature algorithm")
	}
	if oid.Equal(oidSignatureSM2) {
		return smx509.SM2WithSM3, nil
	}
	return 0, fmt.Errorf("CRL signature algorithm %s is not supported", oid)
}

// SignatureAlgorithm is the CRL's signature algorithm, SM2-with-SM3
// included.
func (c *CRL) SignatureAlgorithm() x509.SignatureAlgorithm { return c.sigAlg }

// IssuerString is the CRL issuer's name as FormatName writes it.
func (c *CRL) IssuerString() string { return rawNameString(c.RawIssuer, c.Issuer) }

func (c *CRL) describe() string {
	if c.Number != nil {
		return fmt.Sprintf("CRL number %s from %s", c.Number, c.IssuerString())
	}
	return "CRL from " + c.IssuerString()
}

// CheckSignatureFrom checks that issuer signed the CRL: same name, same key
// identifier when both carry one, cRLSign allowed, and a valid signature.
// Errors match ErrCRLIssuer or ErrCRLSignature.
func (c *CRL) CheckSignatureFrom(issuer *smx509.Certificate) error {
	if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
		return &detailError{fmt.Sprintf("%s is not from %s", c.describe(), SubjectString(issuer)), ErrCRLIssuer}
	}
	if len(c.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, issuer.SubjectKeyId) {
		return &detailError{fmt.Sprintf("%s names the key %x, but the CA certificate %s has key %x (another CA with the same name?)",
			c.describe(), c.AuthorityKeyId, SubjectString(issuer), issuer.SubjectKeyId), ErrCRLIssuer}
	}
	if issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return &detailError{fmt.Sprintf("%s: %s may not sign CRLs (keyUsage %s)", c.describe(), SubjectString(issuer), KeyUsageString(issuer.KeyUsage)), ErrCRLIssuer}
	}
	if err := issuer.CheckSignature(c.sigAlg, c.RawTBSRevocationList, c.Signature); err != nil {
		return &detailError{fmt.Sprintf("%s: signature does not verify with the key of %s: %v", c.describe(), SubjectString(issuer), err), ErrCRLSignature}
	}
	return nil
}

// CheckTime rejects a CRL whose nextUpdate is before t (ErrCRLExpired): it
// no longer says anything about t. A CRL newer than t is fine; it speaks
// for every time before its thisUpdate too.
func (c *CRL) CheckTime(t time.Time) error {
	if !c.NextUpdate.IsZero() && t.After(c.NextUpdate) {
		return &detailError{fmt.Sprintf("%s expired at %s (checked at %s): get a fresh CRL",
			c.describe(), c.NextUpdate.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339)), ErrCRLExpired}
	}
	return nil
}

// Check is CheckSignatureFrom(issuer) and CheckTime(t).
func (c *CRL) Check(issuer *smx509.Certificate, t time.Time) error {
	if err := c.CheckSignatureFrom(issuer); err != nil {
		return err
	}
	return c.CheckTime(t)
}

// Lookup finds serial among the revoked certificates.
func (c *CRL) Lookup(serial *big.Int) (x509.RevocationListEntry, bool) {
	for _, e := range c.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(serial) == 0 {
			return e, true
		}
	}
	return x509.RevocationListEntry{}, false
}
