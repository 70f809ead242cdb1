package cms

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// VerifyContent hashes the content read from r (for a PDF, the concatenated
// /ByteRange parts) and checks it as [SignedData.VerifyDigest] does.
func (sd *SignedData) VerifyContent(r io.Reader) error {
	h := NewContentHash(sd.Profile)
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
	return unsupported("digest algorithm %v with signature algorithm %v (want SM3 with SM2, or SHA-256 with ECDSA)", sd.DigestAlgorithm, sd.SignatureAlgorithm)
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
	return fmt.Sprintf("%T", pub)
}
