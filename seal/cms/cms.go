// Package cms writes and reads the detached CMS SignedData (RFC 5652) that a
// PDF signature carries in its /Contents, in two profiles:
//
//   - [SM2]: SM3 digest and SM2 signature with the default user ID
//     "1234567812345678" (GB/T 32918.2, GM/T 0009), structures of
//     GM/T 0010-2012 (GB/T 35275-2017); PDF /SubFilter /adbe.pkcs7.detached.
//   - [PAdES]: ETSI EN 319 142-1 baseline B-B, ECDSA P-256 with SHA-256
//     (ETSI EN 319 122-1 CAdES); PDF /SubFilter /ETSI.CAdES.detached.
//
// Only what a PDF signature needs is implemented: exactly one signer, detached
// content, signed attributes, DER. The signature key is a [crypto.Signer], so
// the key can live in an HSM.
//
// Verification here covers the CMS layer only (digest, signature, signed
// attributes, which certificate signed). Whether that certificate is trusted,
// valid at the signing time and not revoked is the business of the certs and
// verify packages.
package cms

import (
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"hash"

	"github.com/emmansun/gmsm/sm3"
)

// Profile selects the algorithms and attributes of a signature.
type Profile int

const (
	// SM2 is the national profile: SM3 and SM2, signed attributes
	// contentType, messageDigest, signingTime and ESS signing-certificate-v2
	// (SM3). PDF /SubFilter /adbe.pkcs7.detached.
	SM2 Profile = iota + 1
	// PAdES is PAdES baseline B-B: SHA-256 and ECDSA P-256, signed
	// attributes contentType, messageDigest and ESS signing-certificate-v2;
	// no signingTime (ETSI EN 319 142-1 forbids it: the time goes in the signature
	// dictionary's /M). PDF /SubFilter /ETSI.CAdES.detached.
	PAdES
	// Foreign is a signature this package verifies but never makes, as
	// other signers write them into documents that are sealed here later:
	// RSA PKCS #1 v1.5 (keys of 2048 bits or more) or ECDSA on P-256,
	// P-384 or P-521, with SHA-256, SHA-384 or SHA-512.
	Foreign
)

func (p Profile) String() string {
	switch p {
	case SM2:
		return "SM2"
	case PAdES:
		return "PAdES"
	case Foreign:
		return "foreign"
	}
	return "unknown profile"
}

// SubFilter returns the PDF signature dictionary's /SubFilter value (without
// the slash) for the profile, or "" for an unknown profile.
func (p Profile) SubFilter() string {
	switch p {
	case SM2:
		return "adbe.pkcs7.detached"
	case PAdES:
		return "ETSI.CAdES.detached"
	}
	return ""
}

// NewContentHash returns the hash of the profile's content digest (SM3 or
// SHA-256), so that a caller can stream the PDF byte ranges once and hand the
// sum to [SignDigest] or [SignedData.VerifyDigest]. It returns nil for an
// unknown profile.
func NewContentHash(p Profile) hash.Hash {
	switch p {
	case SM2:
		return sm3.New()
	case PAdES:
		return sha256.New()
	}
	return nil
}

// Object identifiers that appear in the fields of [SignedData].
var (
	// RFC 5652 4, 5.1.
	OIDData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	// GM/T 0010-2012 5 (GB/T 35275-2017 5).
	OIDGMData       = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 1}
	OIDGMSignedData = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 2}

	// GM/T 0006-2012: SM3.
	OIDSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	// RFC 5754 2.2: id-sha256.
	OIDSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

	// GM/T 0006-2012: SM2-with-SM3 ("SM2 signature with SM3"), the OID
	// OpenSSL maps the pair (SM2 key, SM3) to and that X.509 certificates
	// use. Written by default.
	OIDSM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	// GM/T 0006-2012: sm2-1, "SM2 elliptic curve digital signature", the
	// digestEncryptionAlgorithm that GM/T 0010-2012 8.2 names. Written with
	// SignOptions.GMOIDs.
	OIDSM2Sign = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1}
	// RFC 5758 3.2: ecdsa-with-SHA256.
	OIDECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

var (
	// RFC 5480 2.1.1: id-ecPublicKey, which some PAdES signers put in
	// signatureAlgorithm; read, never written.
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA384      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	// Signature algorithms of Foreign signatures. RFC 8017 A.1 and A.2.4:
	// rsaEncryption and sha*WithRSAEncryption (PKCS #1 v1.5); RFC 5758
	// 3.2: ecdsa-with-SHA384 and -SHA512.
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}

	// RFC 5652 11.
	oidAttrContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	// RFC 2634 5.4: id-aa-signingCertificate.
	oidAttrSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	// RFC 5035 3: id-aa-signingCertificateV2.
	oidAttrSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
)

// Errors a verifier branches on (its reason codes). Returned errors wrap
// one of these with details; test with errors.Is.
var (
	// ErrMalformed: the input is not a DER CMS SignedData as RFC 5652
	// defines it (truncated, trailing bytes other than zero padding,
	// wrong types, missing mandatory fields).
	ErrMalformed = errors.New("cms: malformed SignedData")
	// ErrUnsupported: well-formed, but outside what this package handles
	// (other algorithms, several signers, encapsulated content, no signed
	// attributes).
	ErrUnsupported = errors.New("cms: unsupported SignedData")
	// ErrSignerNotFound: no certificate in the SignedData matches the
	// signer's issuerAndSerialNumber (or subjectKeyIdentifier).
	ErrSignerNotFound = errors.New("cms: signer certificate not found in the SignedData")
	// ErrBadSignature: the signature over the signed attributes does not
	// verify with the signer certificate's public key.
	ErrBadSignature = errors.New("cms: signature does not verify with the signer certificate's key")
	// ErrDigestMismatch: the content's digest differs from the signed
	// messageDigest attribute: the signed bytes were changed.
	ErrDigestMismatch = errors.New("cms: content digest does not match the signed messageDigest attribute")
	// ErrCertMismatch: the ESS signing-certificate(-v2) attribute names
	// another certificate than the one that verifies the signature.
	ErrCertMismatch = errors.New("cms: signing-certificate attribute does not match the signer certificate")
	// ErrContentType: the contentType attribute is not id-data or differs
	// from encapContentInfo's eContentType.
	ErrContentType = errors.New("cms: contentType attribute does not match the signed content type")
	// ErrKeyMismatch: at signing, the signer's public key is not the key
	// of the first certificate, or does not fit the profile.
	ErrKeyMismatch = errors.New("cms: signer key does not match the signer certificate")
)
