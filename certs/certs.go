// Package certs is the public-key infrastructure of the service: X.509
// certificates for SM2 keys (GB/T 32918, signed SM2-with-SM3 as in
// GM/T 0015) and ECDSA P-256 keys; a development CA whose key stays in a
// keystore (package hsm); certificate profiles for electronic seals, issuing
// CAs and TLS clients; CRLs; a trust store; and chain verification that says
// why a chain is not valid.
//
// Certificates are *smx509.Certificate from github.com/emmansun/gmsm/smx509,
// crypto/x509's Certificate with SM2 support.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Profile says what a certificate may be used for; it fixes the key usage,
// extended key usage and basic constraints that Issue writes.
type Profile string

const (
	// ProfileSeal is for electronic seals and document signatures: keyUsage
	// digitalSignature and contentCommitment (nonRepudiation), critical, and
	// no extendedKeyUsage at all.
	//
	// Why no extendedKeyUsage: an absent EKU means "any purpose", and every
	// verifier we target accepts it for document signing. pdfsig (poppler
	// over NSS) checks signer certificates for certificateUsageEmailSigner,
	// which rejects a certificate whose EKU lacks emailProtection; OpenSSL's
	// smimesign purpose does the same; Acrobat accepts no EKU, or one of
	// emailProtection, Microsoft documentSigning or Adobe's. RFC 9336
	// id-kp-documentSigning would say it best but neither NSS nor OpenSSL
	// 3.0 accept it alone, and adding emailProtection would claim a purpose
	// a seal does not have. GM/T 0015 signing certificates carry no EKU
	// either.
	ProfileSeal Profile = "seal"
	// ProfileCA is an issuing (intermediate) CA below the root: cA true with
	// pathLenConstraint 0, keyUsage keyCertSign and cRLSign.
	ProfileCA Profile = "ca"
	// ProfileClient is a TLS client certificate for mutual TLS: keyUsage
	// digitalSignature, extendedKeyUsage clientAuth.
	ProfileClient Profile = "client"
)

// ParseProfile accepts seal (or signing), ca (or intermediate) and client.
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "seal", "signing", "sign":
		return ProfileSeal, nil
	case "ca", "intermediate", "issuing":
		return ProfileCA, nil
	case "client", "tls-client":
		return ProfileClient, nil
	}
	return "", fmt.Errorf("unknown certificate profile %q: want seal, ca or client", s)
}

// apply sets the profile's extensions on a template.
func (p Profile) apply(t *x509.Certificate) error {
	t.BasicConstraintsValid = true
	switch p {
	case ProfileSeal:
		t.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	case ProfileCA:
		t.IsCA = true
		t.MaxPathLen = 0
		t.MaxPathLenZero = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case ProfileClient:
		t.KeyUsage = x509.KeyUsageDigitalSignature
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return fmt.Errorf("unknown certificate profile %q: want seal, ca or client", string(p))
	}
	return nil
}

// UsageSeal is the key usage a seal or signing certificate must allow.
const UsageSeal = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment

// Validity is the period a certificate is valid for, both ends inclusive.
type Validity struct {
	NotBefore, NotAfter time.Time
}

// backdate allows for clocks that are a little behind ours.
const backdate = time.Minute

// ValidFor is a validity from a minute ago (for clock skew) until d from now.
func ValidFor(d time.Duration) Validity {
	now := time.Now().UTC().Truncate(time.Second)
	return Validity{NotBefore: now.Add(-backdate), NotAfter: now.Add(d)}
}

// ValidDays is ValidFor(days × 24h).
func ValidDays(days int) Validity {
	return ValidFor(time.Duration(days) * 24 * time.Hour)
}

// NewSerial returns a random positive 128-bit serial number (CA/Browser
// Forum BR 7.1 asks for at least 64 random bits).
func NewSerial() (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("serial number: %w", err)
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// FormatSerial writes a serial number as lower-case hex with an even number
// of digits, the form Issue reports and issued/<SERIAL>.pem uses.
func FormatSerial(n *big.Int) string {
	if n == nil {
		return ""
	}
	if n.Sign() < 0 {
		return "-" + FormatSerial(new(big.Int).Neg(n))
	}
	s := n.Text(16)
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// ParseSerial reads a hex serial number as FormatSerial or OpenSSL writes it
// ("3a5f..", "0x3A5F..", "3A:5F:..").
func ParseSerial(s string) (*big.Int, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
	t = strings.ReplaceAll(t, ":", "")
	if t == "" {
		return nil, errors.New("empty serial number")
	}
	n, ok := new(big.Int).SetString(t, 16)
	if !ok {
		return nil, fmt.Errorf("serial number %q: want hexadecimal digits", s)
	}
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("serial number %q: must be positive", s)
	}
	return n, nil
}

// ParseCertificates reads every certificate in data: PEM with one or more
// CERTIFICATE blocks (other blocks are skipped), or a single DER
// certificate.
func ParseCertificates(data []byte) ([]*smx509.Certificate, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		c, err := smx509.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("not a PEM file and not a DER certificate: %w", err)
		}
		return []*smx509.Certificate{c}, nil
	}
	var out []*smx509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := smx509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d in PEM: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE block in PEM data")
	}
	return out, nil
}

// LoadCertificates reads every certificate in a PEM or DER file.
func LoadCertificates(path string) ([]*smx509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// EncodePEM returns certificates as PEM CERTIFICATE blocks.
func EncodePEM(certs ...*smx509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// SignatureAlgorithmName names a signature algorithm the way OpenSSL does
// ("SM2-with-SM3", "ecdsa-with-SHA256").
func SignatureAlgorithmName(alg x509.SignatureAlgorithm) string {
	switch alg {
	case smx509.SM2WithSM3:
		return "SM2-with-SM3"
	case x509.ECDSAWithSHA256:
		return "ecdsa-with-SHA256"
	case x509.ECDSAWithSHA384:
		return "ecdsa-with-SHA384"
	case x509.ECDSAWithSHA512:
		return "ecdsa-with-SHA512"
	}
	return alg.String()
}

// KeyAlgorithmName names a public key: "SM2", "ECDSA P-256", "RSA-2048", ...
func KeyAlgorithmName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case sm2.P256():
			return "SM2"
		case elliptic.P256():
			return "ECDSA P-256"
		case elliptic.P384():
			return "ECDSA P-384"
		case elliptic.P521():
			return "ECDSA P-521"
		}
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// keyUsageNames are the RFC 5280 4.2.1.3 names, in bit order.
var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

// KeyUsageString lists key usage bits by their RFC 5280 names
// ("digitalSignature, contentCommitment"); "none" for zero.
func KeyUsageString(ku x509.KeyUsage) string {
	var names []string
	for _, k := range keyUsageNames {
		if ku&k.bit != 0 {
			names = append(names, k.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// ExtKeyUsageString lists extended key usages by their RFC 5280 names.
func ExtKeyUsageString(ekus []x509.ExtKeyUsage, unknown []asn1.ObjectIdentifier) string {
	var names []string
	for _, u := range ekus {
		names = append(names, extKeyUsageName(u))
	}
	for _, o := range unknown {
		names = append(names, o.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func extKeyUsageName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "anyExtendedKeyUsage"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	}
	return fmt.Sprintf("extKeyUsage(%d)", int(u))
}

// subjectKeyID is RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey
// BIT STRING contents. Used for SM2 keys too; the identifier only has to be
// unique per CA, not cryptographically strong.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	h := sha1.Sum(spki.PublicKey.Bytes)
	return h[:], nil
}

// publicKeysEqual compares public keys of any supported type.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// Fingerprint is the hex SHA-256 of a certificate's DER encoding.
func Fingerprint(c *smx509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}
