package cms

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// VerifyContent hashes the content read from r (for a PDF, the concatenated
// /ByteRange parts) and checks it as [SignedData.VerifyDigest] does.
func (sd *SignedData) VerifyContent(r io.Reader) error {
	h := sd.NewHash()
	if h == nil {
		return sd.unsupportedAlgorithms()
	}
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("cms: verify: reading content: %w", err)
	}
	return sd.VerifyDigest(h.Sum(nil))
}

// VerifyDigest checks the SignedData against the digest of the content
// (computed with [NewContentHash] of sd.Profile):
//
//   - the signer's certificate is among the certificates
//     (ErrSignerNotFound);
//   - the signature over the signed attributes verifies with its public key,
//     SM2 with the default ID or ECDSA P-256 (ErrBadSignature);
//   - the ESS signing-certificate(-v2) attribute, if present, names that
//     certificate (ErrCertMismatch);
//   - the contentType attribute is the eContentType, id-data
//     (ErrContentType);
//   - the messageDigest attribute equals digest (ErrDigestMismatch).
//
// It does not judge the certificate (trust, validity, revocation, key usage).
func (sd *SignedData) VerifyDigest(digest []byte) error {
	if sd.Profile == 0 {
		return sd.unsupportedAlgorithms()
	}
	if sd.Signer == nil {
		if sd.signerKeyID != nil {
			return fmt.Errorf("%w: none of %d certificates has subjectKeyIdentifier %x", ErrSignerNotFound, len(sd.Certificates), sd.signerKeyID)
		}
		return fmt.Errorf("%w: none of %d certificates has serial %x and the issuer the SignerInfo names", ErrSignerNotFound, len(sd.Certificates), sd.signerSerial)
	}
	pub, ok := sd.Signer.PublicKey.(*ecdsa.PublicKey)
	switch sd.Profile {
	case SM2:
		if !sm2.IsSM2PublicKey(sd.Signer.PublicKey) {
			return fmt.Errorf("%w: SM2 signature, but signer certificate %q has an %s key", ErrBadSignature, sd.Signer.Subject.CommonName, keyName(sd.Signer.PublicKey))
		}
		if !sm2.VerifyASN1WithSM2(pub, nil, sd.RawSignedAttrs, sd.Signature) {
			return fmt.Errorf("%w (SM2, signer %q)", ErrBadSignature, sd.Signer.Subject.CommonName)
		}
	case PAdES:
		if !ok || pub.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ECDSA P-256 signature, but signer certificate %q has an %s key", ErrBadSignature, sd.Signer.Subject.CommonName, keyName(sd.Signer.PublicKey))
		}
		d := sha256.Sum256(sd.RawSignedAttrs)
		if !ecdsa.VerifyASN1(pub, d[:], sd.Signature) {
			return fmt.Errorf("%w (ECDSA P-256, signer %q)", ErrBadSignature, sd.Signer.Subject.CommonName)
		}
	case Foreign:
		if err := sd.verifyForeign(); err != nil {
			return err
		}
	}
	if e := sd.signingCert; e != nil {
		sum, err := essHash(e.hashAlg, sd.Signer.Raw)
		if err != nil {
			return err
		}
		if !bytes.Equal(sum, e.hash) {
			return fmt.Errorf("%w: the attribute's %v hash is %x, the signer certificate's is %x", ErrCertMismatch, e.hashAlg, e.hash, sum)
		}
		if e.serial != nil && e.serial.Cmp(sd.Signer.SerialNumber) != 0 {
			return fmt.Errorf("%w: the attribute names serial %x, the signer certificate has %x", ErrCertMismatch, e.serial, sd.Signer.SerialNumber)
		}
		if e.issuer != nil && !bytes.Equal(e.issuer, sd.Signer.RawIssuer) {
			return fmt.Errorf("%w: the attribute names another issuer than the signer certificate's", ErrCertMismatch)
		}
	}
	if !sd.contentTypeAttr.Equal(sd.ContentType) {
		return fmt.Errorf("%w: attribute %v, eContentType %v", ErrContentType, sd.contentTypeAttr, sd.ContentType)
	}
	if !bytes.Equal(sd.MessageDigest, digest) {
		return fmt.Errorf("%w: signed %x, content %x", ErrDigestMismatch, sd.MessageDigest, digest)
	}
	return nil
}

func (sd *SignedData) unsupportedAlgorithms() error {
	return unsupported("digest algorithm %v with signature algorithm %v (want SM3 with SM2, SHA-256 with ECDSA, or SHA-2 with RSA PKCS #1 v1.5 or ECDSA)", sd.DigestAlgorithm, sd.SignatureAlgorithm)
}

// NewHash returns the hash of the signature's digest algorithm, for the
// content, or nil when the algorithms are not supported.
func (sd *SignedData) NewHash() hash.Hash {
	if sd.Profile == Foreign {
		h, _ := foreignHash(sd.DigestAlgorithm)
		return h.New()
	}
	return NewContentHash(sd.Profile)
}

// HashName names the digest algorithm: SM3, SHA-256, SHA-384 or SHA-512.
func (sd *SignedData) HashName() string {
	switch sd.Profile {
	case SM2:
		return "SM3"
	case Foreign:
		h, _ := foreignHash(sd.DigestAlgorithm)
		return h.String()
	}
	return "SHA-256"
}

// Algorithm names the signature algorithm, such as SM2-with-SM3,
// ECDSA-P256-with-SHA256 or RSA-2048-with-SHA256 (the key from the signer
// certificate, when there is one).
func (sd *SignedData) Algorithm() string {
	switch sd.Profile {
	case SM2:
		return "SM2-with-SM3"
	case PAdES:
		return "ECDSA-P256-with-SHA256"
	case Foreign:
		h := strings.ReplaceAll(sd.HashName(), "-", "")
		switch k := sd.signerKey().(type) {
		case *rsa.PublicKey:
			return fmt.Sprintf("RSA-%d-with-%s", k.N.BitLen(), h)
		case *ecdsa.PublicKey:
			return fmt.Sprintf("ECDSA-%s-with-%s", strings.ReplaceAll(k.Curve.Params().Name, "-", ""), h)
		}
		if oidIn(sd.SignatureAlgorithm, oidRSAEncryption, oidSHA256WithRSA, oidSHA384WithRSA, oidSHA512WithRSA) {
			return "RSA-with-" + h
		}
		return "ECDSA-with-" + h
	}
	return "unknown"
}

func (sd *SignedData) signerKey() any {
	if sd.Signer == nil {
		return nil
	}
	return sd.Signer.PublicKey
}

func oidIn(o asn1.ObjectIdentifier, set ...asn1.ObjectIdentifier) bool {
	for _, s := range set {
		if o.Equal(s) {
			return true
		}
	}
	return false
}

// minRSABits is the smallest RSA key a Foreign signature is checked with;
// smaller keys are ErrUnsupported (ETSI TS 119 312 retired them).
const minRSABits = 2048

// verifyForeign checks a Foreign signature over the signed attributes.
func (sd *SignedData) verifyForeign() error {
	h, _ := foreignHash(sd.DigestAlgorithm)
	hh := h.New()
	hh.Write(sd.RawSignedAttrs)
	d := hh.Sum(nil)
	rsaAlg := oidIn(sd.SignatureAlgorithm, oidRSAEncryption, oidSHA256WithRSA, oidSHA384WithRSA, oidSHA512WithRSA)
	switch k := sd.Signer.PublicKey.(type) {
	case *rsa.PublicKey:
		if !rsaAlg {
			return fmt.Errorf("%w: ECDSA signature, but signer certificate %q has an RSA key", ErrBadSignature, sd.Signer.Subject.CommonName)
		}
		if k.N.BitLen() < minRSABits {
			return unsupported("RSA key of %d bits (at least %d are needed)", k.N.BitLen(), minRSABits)
		}
		if err := rsa.VerifyPKCS1v15(k, h, d, sd.Signature); err != nil {
			return fmt.Errorf("%w (RSA PKCS #1 v1.5, signer %q)", ErrBadSignature, sd.Signer.Subject.CommonName)
		}
	case *ecdsa.PublicKey:
		if rsaAlg {
			return fmt.Errorf("%w: RSA signature, but signer certificate %q has an %s key", ErrBadSignature, sd.Signer.Subject.CommonName, keyName(k))
		}
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return unsupported("ECDSA on curve %s", keyName(k))
		}
		if !ecdsa.VerifyASN1(k, d, sd.Signature) {
			return fmt.Errorf("%w (ECDSA %s, signer %q)", ErrBadSignature, k.Curve.Params().Name, sd.Signer.Subject.CommonName)
		}
	default:
		return unsupported("signer certificate %q has an %s key", sd.Signer.Subject.CommonName, keyName(sd.Signer.PublicKey))
	}
	return nil
}

func essHash(alg asn1.ObjectIdentifier, b []byte) ([]byte, error) {
	switch {
	case alg.Equal(OIDSHA256):
		s := sha256.Sum256(b)
		return s[:], nil
	case alg.Equal(OIDSM3):
		s := sm3.Sum(b)
		return s[:], nil
	case alg.Equal(oidSHA384):
		s := sha512.Sum384(b)
		return s[:], nil
	case alg.Equal(oidSHA512):
		s := sha512.Sum512(b)
		return s[:], nil
	case alg.Equal(oidSHA1):
		s := sha1.Sum(b)
		return s[:], nil
	}
	return nil, unsupported("signing-certificate attribute hashes with %v", alg)
}

func keyName(pub any) string {
	if sm2.IsSM2PublicKey(pub) {
		return "SM2"
	}
	if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve != nil {
		return "ECDSA " + k.Curve.Params().Name
	}
	if k, ok := pub.(*rsa.PublicKey); ok && k.N != nil {
		return fmt.Sprintf("RSA %d-bit", k.N.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}
