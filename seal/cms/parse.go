package cms

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Bounds on repeated fields, so that a hostile /Contents cannot make the
// parser do unbounded work; real PDF signatures are far below them.
const (
	maxCertificates = 64
	maxAttributes   = 64
	maxESSCertIDs   = 64
)

// SignedData is a parsed detached CMS SignedData with its one signer.
type SignedData struct {
	// Profile is SM2 or PAdES, told by the digest and signature
	// algorithms; zero when they are neither (then Verify* return
	// ErrUnsupported).
	Profile Profile
	// GMOIDs reports GM/T 0010 content types (1.2.156.10197.6.1.4.2.x).
	GMOIDs bool
	// ContentType is encapContentInfo's eContentType (id-data or its GM
	// twin).
	ContentType asn1.ObjectIdentifier

	// Certificates are all certificates of the SignedData, in order.
	Certificates []*smx509.Certificate
	// Signer is the certificate named by the SignerInfo's sid, or nil if
	// none of Certificates matches (Verify* then return
	// ErrSignerNotFound).
	Signer *smx509.Certificate

	DigestAlgorithm    asn1.ObjectIdentifier
	SignatureAlgorithm asn1.ObjectIdentifier

	// Signed attributes.
	SigningTime      time.Time // zero if absent
	MessageDigest    []byte
	HasSigningCertV1 bool // ESS signing-certificate (RFC 2634, SHA-1)
	HasSigningCertV2 bool // ESS signing-certificate-v2 (RFC 5035)

	// RawSignedAttrs is DER SET OF Attribute: the signed attributes as they
	// appear in the SignerInfo, re-tagged from [0] to SET (RFC 5652 5.4),
	// i.e. exactly the bytes the signature covers.
	RawSignedAttrs []byte
	// Signature is the SignerInfo's signature value (DER r, s).
	Signature []byte
	// RawUnsignedAttrs is the SignerInfo's [1] unsignedAttrs element, or
	// nil (for a later signature time-stamp).
	RawUnsignedAttrs []byte
	// Raw is the DER ContentInfo, without the zero padding that followed
	// it.
	Raw []byte
	// BER reports that the input was BER, not DER (Raw is its DER
	// re-encoding).
	BER bool
	// EContent is the encapsulated content of a time-stamp token (the DER
	// TSTInfo); nil for a detached signature.
	EContent []byte

	timestamp         bool // parsed as a time-stamp token
	contentTypeAttr   asn1.ObjectIdentifier
	signingCert       *essCertID // the first cert ID of v2, else of v1
	signerIssuer      []byte     // DER Name, or nil with signerKeyID
	signerSerial      *big.Int
	signerKeyID       []byte
	signerInfoVersion int64
}

// essCertID is the first ESSCertID(v2) of a signing-certificate(-v2)
// attribute: the one that identifies the signer (RFC 5035 3).
type essCertID struct {
	hashAlg asn1.ObjectIdentifier
	hash    []byte
	issuer  []byte // DER Name from issuerSerial, or nil
	serial  *big.Int
}

func malformed(where, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, where, fmt.Sprintf(format, args...))
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// Parse reads a ContentInfo holding a SignedData with one signer. It is
// strict (every field as RFC 5652 types it) except that the ContentInfo may
// be followed by zero bytes, as in a PDF /Contents string, which is
// zero-padded to its placeholder's size, and that a SignedData in BER (as
// NSS and other signers write it) is read as its DER re-encoding; then
// BER is set and Raw holds the DER.
func Parse(der []byte) (*SignedData, error) {
	return parse(der, false)
}

func parse(der []byte, timestamp bool) (*SignedData, error) {
	sd, err := parseDER(der, timestamp)
	if err == nil || !errors.Is(err, ErrMalformed) || len(der) == 0 {
		return sd, err
	}
	d, rest, berr := berElement(der)
	if berr != nil || !isZero(rest) || bytes.Equal(d, der[:len(d)]) {
		return nil, err // not BER either: the strict error says most
	}
	sd, derr := parseDER(d, timestamp)
	if derr != nil {
		return nil, derr
	}
	sd.BER = true
	return sd, nil
}

// parseDER is parse for DER input. A time-stamp token encapsulates its
// TSTInfo; every other SignedData here is detached.
func parseDER(der []byte, timestamp bool) (*SignedData, error) {
	if len(der) == 0 {
		return nil, malformed("ContentInfo", "empty input")
	}
	in := cryptobyte.String(der)
	var ciElem cryptobyte.String
	if !in.ReadASN1Element(&ciElem, cbasn1.SEQUENCE) {
		if isZero(der) {
			return nil, malformed("ContentInfo", "input is all zero bytes (an empty signature placeholder?)")
		}
		return nil, malformed("ContentInfo", "not a DER SEQUENCE, or truncated (input %d bytes)", len(der))
	}
	if !isZero(in) {
		return nil, malformed("ContentInfo", "%d bytes after the ContentInfo are not zero padding", len(in))
	}
	// A copy, so that the byte fields of SignedData do not alias the
	// caller's buffer.
	ciElem = bytes.Clone(ciElem)
	sd := &SignedData{Raw: ciElem, timestamp: timestamp}
	ci := body(ciElem)
	var ctype asn1.ObjectIdentifier
	var content cryptobyte.String
	if !ci.ReadASN1ObjectIdentifier(&ctype) {
		return nil, malformed("ContentInfo", "contentType is not an OBJECT IDENTIFIER")
	}
	switch {
	case ctype.Equal(OIDSignedData):
	case ctype.Equal(OIDGMSignedData):
		sd.GMOIDs = true
	default:
		return nil, malformed("ContentInfo", "contentType %v is not signedData", ctype)
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() {
		return nil, malformed("ContentInfo", "content is not one [0] EXPLICIT element")
	}
	if err := sd.parseSignedData(content); err != nil {
		return nil, err
	}
	return sd, nil
}

// body returns elem without its tag and length (elem is a valid element).
func body(elem cryptobyte.String) cryptobyte.String {
	var out cryptobyte.String
	var tag cbasn1.Tag
	e := elem
	e.ReadAnyASN1(&out, &tag)
	return out
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parseSignedData reads RFC 5652 5.1 SignedData.
func (sd *SignedData) parseSignedData(content cryptobyte.String) error {
	var s cryptobyte.String
	if !content.ReadASN1(&s, cbasn1.SEQUENCE) || !content.Empty() {
		return malformed("SignedData", "not one SEQUENCE")
	}
	var version int64
	if !s.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) {
		return malformed("SignedData", "version is not an INTEGER")
	}
	// 1 for ours; up to 5 for others (RFC 5652 5.1), all read the same.
	if version < 1 || version > 5 {
		return malformed("SignedData", "version %d", version)
	}
	var digestAlgs cryptobyte.String
	if !s.ReadASN1(&digestAlgs, cbasn1.SET) {
		return malformed("SignedData", "digestAlgorithms is not a SET")
	}
	for n := 0; !digestAlgs.Empty(); n++ {
		if n == maxAttributes {
			return malformed("SignedData", "more than %d digestAlgorithms", maxAttributes)
		}
		if _, err := readAlgorithm(&digestAlgs, "SignedData digestAlgorithms"); err != nil {
			return err
		}
	}
	// RFC 5652 5.2 EncapsulatedContentInfo.
	var eci cryptobyte.String
	if !s.ReadASN1(&eci, cbasn1.SEQUENCE) {
		return malformed("encapContentInfo", "not a SEQUENCE")
	}
	if !eci.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return malformed("encapContentInfo", "eContentType is not an OBJECT IDENTIFIER")
	}
	if !eci.Empty() {
		if !eci.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return malformed("encapContentInfo", "unexpected element after eContentType")
		}
		if !sd.timestamp {
			return unsupported("the SignedData encapsulates its content; a PDF signature is detached")
		}
		var explicit, octets cryptobyte.String
		if !eci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) || !eci.Empty() ||
			!explicit.ReadASN1(&octets, cbasn1.OCTET_STRING) || !explicit.Empty() {
			return malformed("encapContentInfo", "eContent is not [0] EXPLICIT OCTET STRING")
		}
		sd.EContent = octets
	}
	switch {
	case sd.timestamp:
		if !sd.ContentType.Equal(oidTSTInfo) || sd.EContent == nil {
			return malformed("encapContentInfo", "a time-stamp token must encapsulate a TSTInfo (eContentType %v)", sd.ContentType)
		}
	case !sd.ContentType.Equal(OIDData) && !sd.ContentType.Equal(OIDGMData):
		return unsupported("eContentType %v is not data", sd.ContentType)
	}
	// certificates [0] IMPLICIT CertificateSet OPTIONAL.
	var certs cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&certs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return malformed("certificates", "bad encoding")
	}
	for n := 0; !certs.Empty(); n++ {
		if n == maxCertificates {
			return malformed("certificates", "more than %d certificates", maxCertificates)
		}
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&elem, &tag) {
			return malformed("certificates", "certificate %d: bad encoding", n)
		}
		if tag != cbasn1.SEQUENCE {
			continue // other CertificateChoices (attribute certificates): not ours to use
		}
		c, err := smx509.ParseCertificate(elem)
		if err != nil {
			return malformed("certificates", "certificate %d: %v", n, err)
		}
		sd.Certificates = append(sd.Certificates, c)
	}
	// crls [1] IMPLICIT RevocationInfoChoices OPTIONAL: revocation is
	// checked elsewhere.
	if !s.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return malformed("crls", "bad encoding")
	}
	var signerInfos cryptobyte.String
	if !s.ReadASN1(&signerInfos, cbasn1.SET) || !s.Empty() {
		return malformed("SignedData", "signerInfos is not a SET at the end of the SEQUENCE")
	}
	var si cryptobyte.String
	if !signerInfos.ReadASN1(&si, cbasn1.SEQUENCE) {
		if signerInfos.Empty() {
			return malformed("signerInfos", "no signer")
		}
		return malformed("signerInfos", "SignerInfo is not a SEQUENCE")
	}
	if !signerInfos.Empty() {
		return unsupported("more than one SignerInfo; a PDF signature has one signer")
	}
	if err := sd.parseSignerInfo(si); err != nil {
		return err
	}
	sd.Signer = sd.findSigner()
	sd.Profile = profileOf(sd.DigestAlgorithm, sd.SignatureAlgorithm)
	return nil
}

// parseSignerInfo reads RFC 5652 5.3 SignerInfo.
func (sd *SignedData) parseSignerInfo(si cryptobyte.String) error {
	if !si.ReadASN1Int64WithTag(&sd.signerInfoVersion, cbasn1.INTEGER) {
		return malformed("SignerInfo", "version is not an INTEGER")
	}
	switch {
	case sd.signerInfoVersion == 1 && si.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias cryptobyte.String
		var issuer cryptobyte.String
		sd.signerSerial = new(big.Int)
		if !si.ReadASN1(&ias, cbasn1.SEQUENCE) ||
			!ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
			!ias.ReadASN1Integer(sd.signerSerial) || !ias.Empty() {
			return malformed("SignerInfo", "issuerAndSerialNumber is not SEQUENCE { Name, INTEGER }")
		}
		sd.signerIssuer = issuer
	case sd.signerInfoVersion == 3 && si.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !si.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) || len(ski) == 0 {
			return malformed("SignerInfo", "subjectKeyIdentifier is not a [0] OCTET STRING")
		}
		sd.signerKeyID = ski
	default:
		return malformed("SignerInfo", "version %d does not go with its sid (1: issuerAndSerialNumber, 3: subjectKeyIdentifier)", sd.signerInfoVersion)
	}
	var err error
	if sd.DigestAlgorithm, err = readAlgorithm(&si, "SignerInfo digestAlgorithm"); err != nil {
		return err
	}
	var attrsElem cryptobyte.String
	var present bool
	if !readOptionalElement(&si, &attrsElem, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return malformed("SignerInfo", "signedAttrs: bad encoding")
	}
	if !present {
		return unsupported("SignerInfo has no signed attributes")
	}
	// RFC 5652 5.4: the signature covers the DER of SET OF, not [0].
	sd.RawSignedAttrs = append([]byte{0x31}, attrsElem[1:]...)
	if err := sd.parseSignedAttrs(body(attrsElem)); err != nil {
		return err
	}
	if sd.SignatureAlgorithm, err = readAlgorithm(&si, "SignerInfo signatureAlgorithm"); err != nil {
		return err
	}
	var sig cryptobyte.String
	if !si.ReadASN1(&sig, cbasn1.OCTET_STRING) || len(sig) == 0 {
		return malformed("SignerInfo", "signature is not a non-empty OCTET STRING")
	}
	sd.Signature = sig
	var unsigned cryptobyte.String
	if !readOptionalElement(&si, &unsigned, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return malformed("SignerInfo", "unsignedAttrs: bad encoding")
	}
	if present {
		sd.RawUnsignedAttrs = unsigned
	}
	if !si.Empty() {
		return malformed("SignerInfo", "unexpected data after the last field")
	}
	return nil
}

// readOptionalElement is cryptobyte's ReadOptionalASN1 keeping the header.
func readOptionalElement(s *cryptobyte.String, out *cryptobyte.String, present *bool, tag cbasn1.Tag) bool {
	*present = s.PeekASN1Tag(tag)
	if !*present {
		return true
	}
	return s.ReadASN1Element(out, tag)
}

// readAlgorithm reads an AlgorithmIdentifier whose parameters are absent or
// NULL, as for every digest and signature algorithm of both profiles.
func readAlgorithm(s *cryptobyte.String, where string) (asn1.ObjectIdentifier, error) {
	var ai cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&ai, cbasn1.SEQUENCE) || !ai.ReadASN1ObjectIdentifier(&oid) {
		return nil, malformed(where, "not an AlgorithmIdentifier")
	}
	if !ai.Empty() {
		var null cryptobyte.String
		if !ai.ReadASN1(&null, cbasn1.NULL) || len(null) != 0 || !ai.Empty() {
			return nil, unsupported("%s %v has parameters", where, oid)
		}
	}
	return oid, nil
}

// parseSignedAttrs reads the SET OF Attribute (RFC 5652 5.3) and the
// attributes of both profiles; others are covered by the signature and left
// alone.
func (sd *SignedData) parseSignedAttrs(attrs cryptobyte.String) error {
	seen := map[string]bool{}
	for n := 0; !attrs.Empty(); n++ {
		if n == maxAttributes {
			return malformed("signedAttrs", "more than %d attributes", maxAttributes)
		}
		var attr, values, value cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !attrs.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, cbasn1.SET) || !attr.Empty() {
			return malformed("signedAttrs", "attribute %d is not SEQUENCE { OBJECT IDENTIFIER, SET }", n)
		}
		known := oid.Equal(oidAttrContentType) || oid.Equal(oidAttrMessageDigest) || oid.Equal(oidAttrSigningTime) ||
			oid.Equal(oidAttrSigningCertificate) || oid.Equal(oidAttrSigningCertificateV2)
		if !known {
			continue
		}
		// RFC 5652 11 and RFC 5035 3: single-valued, at most once.
		if seen[oid.String()] {
			return malformed("signedAttrs", "attribute %v appears twice", oid)
		}
		seen[oid.String()] = true
		var tag cbasn1.Tag
		if !values.ReadAnyASN1Element(&value, &tag) || !values.Empty() {
			return malformed("signedAttrs", "attribute %v does not have exactly one value", oid)
		}
		var err error
		switch {
		case oid.Equal(oidAttrContentType):
			if !value.ReadASN1ObjectIdentifier(&sd.contentTypeAttr) || !value.Empty() {
				err = malformed("signedAttrs", "contentType is not an OBJECT IDENTIFIER")
			}
		case oid.Equal(oidAttrMessageDigest):
			var md cryptobyte.String
			if !value.ReadASN1(&md, cbasn1.OCTET_STRING) || !value.Empty() {
				err = malformed("signedAttrs", "messageDigest is not an OCTET STRING")
			}
			sd.MessageDigest = md
		case oid.Equal(oidAttrSigningTime):
			// RFC 5652 11.3: Time ::= CHOICE { UTCTime, GeneralizedTime }.
			ok := false
			switch tag {
			case cbasn1.UTCTime:
				ok = value.ReadASN1UTCTime(&sd.SigningTime)
			case cbasn1.GeneralizedTime:
				ok = value.ReadASN1GeneralizedTime(&sd.SigningTime)
			}
			if !ok || !value.Empty() {
				err = malformed("signedAttrs", "signingTime is not a UTCTime or GeneralizedTime")
			}
		case oid.Equal(oidAttrSigningCertificateV2):
			sd.HasSigningCertV2 = true
			sd.signingCert, err = parseSigningCertificate(value, true)
		case oid.Equal(oidAttrSigningCertificate):
			sd.HasSigningCertV1 = true
			var v1 *essCertID
			v1, err = parseSigningCertificate(value, false)
			if sd.signingCert == nil { // v2 wins when both are there
				sd.signingCert = v1
			}
		}
		if err != nil {
			return err
		}
	}
	// RFC 5652 5.3: with signed attributes, contentType and messageDigest
	// are mandatory.
	if sd.contentTypeAttr == nil {
		return malformed("signedAttrs", "no contentType attribute")
	}
	if sd.MessageDigest == nil {
		return malformed("signedAttrs", "no messageDigest attribute")
	}
	return nil
}

// parseSigningCertificate reads RFC 5035 SigningCertificateV2 (v2) or RFC
// 2634 SigningCertificate and returns its first cert ID.
func parseSigningCertificate(value cryptobyte.String, v2 bool) (*essCertID, error) {
	name := "signing-certificate"
	if v2 {
		name += "-v2"
	}
	var sc, ids cryptobyte.String
	if !value.ReadASN1(&sc, cbasn1.SEQUENCE) || !value.Empty() || !sc.ReadASN1(&ids, cbasn1.SEQUENCE) {
		return nil, malformed(name, "not SEQUENCE { SEQUENCE OF ESSCertID }")
	}
	// policies SEQUENCE OF PolicyInformation OPTIONAL: not used.
	if !sc.SkipOptionalASN1(cbasn1.SEQUENCE) || !sc.Empty() {
		return nil, malformed(name, "unexpected data after certs")
	}
	var first *essCertID
	for n := 0; !ids.Empty(); n++ {
		if n == maxESSCertIDs {
			return nil, malformed(name, "more than %d cert IDs", maxESSCertIDs)
		}
		var id cryptobyte.String
		if !ids.ReadASN1(&id, cbasn1.SEQUENCE) {
			return nil, malformed(name, "cert ID %d is not a SEQUENCE", n)
		}
		e := &essCertID{hashAlg: oidSHA1}
		if v2 {
			e.hashAlg = OIDSHA256 // DEFAULT
			if id.PeekASN1Tag(cbasn1.SEQUENCE) {
				oid, err := readAlgorithm(&id, name+" hashAlgorithm")
				if err != nil {
					return nil, err
				}
				e.hashAlg = oid
			}
		}
		var h cryptobyte.String
		if !id.ReadASN1(&h, cbasn1.OCTET_STRING) {
			return nil, malformed(name, "certHash is not an OCTET STRING")
		}
		e.hash = h
		if !id.Empty() {
			// IssuerSerial ::= SEQUENCE { issuer GeneralNames,
			// serialNumber, issuerUID OPTIONAL }.
			var is, names cryptobyte.String
			e.serial = new(big.Int)
			if !id.ReadASN1(&is, cbasn1.SEQUENCE) || !id.Empty() ||
				!is.ReadASN1(&names, cbasn1.SEQUENCE) || !is.ReadASN1Integer(e.serial) {
				return nil, malformed(name, "issuerSerial is not SEQUENCE { GeneralNames, INTEGER }")
			}
			if !is.SkipOptionalASN1(cbasn1.BIT_STRING) || !is.Empty() {
				return nil, malformed(name, "unexpected data in issuerSerial")
			}
			for !names.Empty() {
				var gn cryptobyte.String
				var tag cbasn1.Tag
				if !names.ReadAnyASN1(&gn, &tag) {
					return nil, malformed(name, "issuerSerial: bad GeneralName")
				}
				if tag == cbasn1.Tag(4).Constructed().ContextSpecific() { // directoryName [4] Name
					var dn cryptobyte.String
					if !gn.ReadASN1Element(&dn, cbasn1.SEQUENCE) || !gn.Empty() {
						return nil, malformed(name, "issuerSerial: directoryName is not a Name")
					}
					if e.issuer == nil {
						e.issuer = dn
					}
				}
			}
		}
		if first == nil {
			first = e
		}
	}
	if first == nil {
		return nil, malformed(name, "no cert ID")
	}
	return first, nil
}

// findSigner returns the certificate that the SignerInfo's sid names.
func (sd *SignedData) findSigner() *smx509.Certificate {
	for _, c := range sd.Certificates {
		if sd.signerKeyID != nil {
			if bytes.Equal(c.SubjectKeyId, sd.signerKeyID) {
				return c
			}
			continue
		}
		if bytes.Equal(c.RawIssuer, sd.signerIssuer) && c.SerialNumber != nil && c.SerialNumber.Cmp(sd.signerSerial) == 0 {
			return c
		}
	}
	return nil
}

// profileOf tells the profile from the algorithms, or 0.
func profileOf(digest, sig asn1.ObjectIdentifier) Profile {
	switch {
	case digest.Equal(OIDSM3) && (sig.Equal(OIDSM2WithSM3) || sig.Equal(OIDSM2Sign)):
		return SM2
	case digest.Equal(OIDSHA256) && (sig.Equal(OIDECDSAWithSHA256) || sig.Equal(oidECPublicKey)):
		return PAdES
	}
	if _, ok := foreignHash(digest); !ok {
		return 0
	}
	switch {
	case sig.Equal(oidRSAEncryption), sig.Equal(oidECPublicKey):
		return Foreign // the digest algorithm says which hash
	case sig.Equal(oidSHA256WithRSA), sig.Equal(OIDECDSAWithSHA256):
		if digest.Equal(OIDSHA256) {
			return Foreign
		}
	case sig.Equal(oidSHA384WithRSA), sig.Equal(oidECDSAWithSHA384):
		if digest.Equal(oidSHA384) {
			return Foreign
		}
	case sig.Equal(oidSHA512WithRSA), sig.Equal(oidECDSAWithSHA512):
		if digest.Equal(oidSHA512) {
			return Foreign
		}
	}
	return 0
}

// foreignHash is the hash of a Foreign signature's digest algorithm.
func foreignHash(digest asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case digest.Equal(OIDSHA256):
		return crypto.SHA256, true
	case digest.Equal(oidSHA384):
		return crypto.SHA384, true
	case digest.Equal(oidSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}
