package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignOptions says how to sign.
type SignOptions struct {
	// Profile is SM2 or PAdES; there is no default.
	Profile Profile
	// GMOIDs writes the GM/T 0010-2012 OIDs (SM2 profile only): content
	// types 1.2.156.10197.6.1.4.2.2 / .2.1 and signatureAlgorithm sm2-1
	// 1.2.156.10197.1.301.1. Without it the SM2 profile writes the PKCS #7
	// content types and SM2-with-SM3 1.2.156.10197.1.501, which OpenSSL
	// and most PDF tools know.
	GMOIDs bool
	// SigningTime goes in the signingTime attribute of the SM2 profile;
	// the zero value means now. PAdES has no signingTime attribute and
	// ignores it: put the time in the PDF signature dictionary's /M.
	SigningTime time.Time
	// Certificates are put in the SignedData: the signer's certificate
	// first (it must hold the signer's public key), then any chain
	// certificates.
	Certificates []*smx509.Certificate
}

// maxSignatureSize is the largest DER ECDSA/SM2 signature over a 256-bit
// curve: SEQUENCE header 2 + 2 × (INTEGER header 2 + 33).
const maxSignatureSize = 72

// Sign hashes the content read from r (for a PDF, the concatenated /ByteRange
// parts; it is streamed, never held in memory) and returns the DER
// ContentInfo of a detached SignedData signed by signer.
//
// For the SM2 profile, signer.Sign is called with the DER signed attributes
// as "digest" and sm2.NewSM2SignerOption(true, nil): the signer computes
// SM3(Z_A || message) with the default ID, as gmsm's sm2.PrivateKey and the
// hsm package's signers do. For PAdES it is called with the SHA-256 digest of
// the DER signed attributes and crypto.SHA256.
func Sign(r io.Reader, signer crypto.Signer, opts SignOptions) ([]byte, error) {
	h := NewContentHash(opts.Profile)
	if h == nil {
		return nil, fmt.Errorf("cms: sign: %v (want cms.SM2 or cms.PAdES)", opts.Profile)
	}
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("cms: sign: reading content: %w", err)
	}
	return SignDigest(h.Sum(nil), signer, opts)
}

// SignDigest is [Sign] for a caller that has already hashed the content with
// [NewContentHash].
func SignDigest(digest []byte, signer crypto.Signer, opts SignOptions) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("cms: sign: no signer")
	}
	p, err := opts.params(signer.Public())
	if err != nil {
		return nil, err
	}
	if len(digest) != p.digestSize {
		return nil, fmt.Errorf("cms: sign: content digest is %d bytes, %s needs %d", len(digest), opts.Profile, p.digestSize)
	}
	t := opts.SigningTime
	if t.IsZero() {
		t = time.Now()
	}
	attrs, err := signedAttrs(&opts, p, digest, t)
	if err != nil {
		return nil, err
	}
	var sig []byte
	switch opts.Profile {
	case SM2:
		sig, err = signer.Sign(rand.Reader, attrs, sm2.NewSM2SignerOption(true, nil))
	case PAdES:
		d := sha256.Sum256(attrs)
		sig, err = signer.Sign(rand.Reader, d[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("cms: sign: %w", err)
	}
	if err := checkSignatureEncoding(sig); err != nil {
		return nil, fmt.Errorf("cms: sign: the signer returned %d bytes that are not a DER ECDSA/SM2 signature: %w", len(sig), err)
	}
	return contentInfo(&opts, p, attrs, sig)
}

// EstimateSize returns an upper bound on the length of the DER that [Sign]
// returns for opts, computed from the actual certificates, so that a PDF
// /Contents placeholder can be sized (twice this in hex digits). It fails on
// options that Sign would refuse, except that it does not know the signer.
func EstimateSize(opts SignOptions) (int, error) {
	p, err := opts.params(nil)
	if err != nil {
		return 0, err
	}
	t := opts.SigningTime
	if t.IsZero() {
		// A GeneralizedTime is two bytes longer than the UTCTime of
		// today's dates.
		t = time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	attrs, err := signedAttrs(&opts, p, make([]byte, p.digestSize), t)
	if err != nil {
		return 0, err
	}
	der, err := contentInfo(&opts, p, attrs, make([]byte, maxSignatureSize))
	if err != nil {
		return 0, err
	}
	return len(der), nil
}

// signParams are what a profile writes.
type signParams struct {
	digestOID, sigOID      asn1.ObjectIdentifier
	signedDataOID, dataOID asn1.ObjectIdentifier
	digestSize             int
	// essHashOID is nil when the ESS hash is SHA-256, the DER DEFAULT.
	essHashOID asn1.ObjectIdentifier
	essHash    func([]byte) []byte
	signer     *smx509.Certificate
}

// params checks opts and, if pub is not nil, that it is the first
// certificate's key.
func (o *SignOptions) params(pub crypto.PublicKey) (*signParams, error) {
	if len(o.Certificates) == 0 || o.Certificates[0] == nil {
		return nil, errors.New("cms: sign: no signer certificate (SignOptions.Certificates[0])")
	}
	for i, c := range o.Certificates {
		if c == nil || len(c.Raw) == 0 {
			return nil, fmt.Errorf("cms: sign: SignOptions.Certificates[%d] is empty", i)
		}
	}
	cert := o.Certificates[0]
	p := &signParams{signer: cert, signedDataOID: OIDSignedData, dataOID: OIDData}
	switch o.Profile {
	case SM2:
		p.digestOID, p.sigOID, p.digestSize = OIDSM3, OIDSM2WithSM3, sm3.Size
		p.essHashOID = OIDSM3
		p.essHash = func(b []byte) []byte { s := sm3.Sum(b); return s[:] }
		if o.GMOIDs {
			p.signedDataOID, p.dataOID, p.sigOID = OIDGMSignedData, OIDGMData, OIDSM2Sign
		}
		if !sm2.IsSM2PublicKey(cert.PublicKey) {
			return nil, fmt.Errorf("%w: the SM2 profile needs an SM2 certificate, %q has an %s key", ErrKeyMismatch, cert.Subject.CommonName, keyName(cert.PublicKey))
		}
	case PAdES:
		if o.GMOIDs {
			return nil, errors.New("cms: sign: GM/T 0010 OIDs (SignOptions.GMOIDs) only go with the SM2 profile")
		}
		p.digestOID, p.sigOID, p.digestSize = OIDSHA256, OIDECDSAWithSHA256, sha256.Size
		p.essHash = func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
		if k, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: the PAdES profile needs an ECDSA P-256 certificate, %q has an %s key", ErrKeyMismatch, cert.Subject.CommonName, keyName(cert.PublicKey))
		}
	default:
		return nil, fmt.Errorf("cms: sign: %v (want cms.SM2 or cms.PAdES)", o.Profile)
	}
	if pub != nil {
		k, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !k.Equal(cert.PublicKey) {
			return nil, fmt.Errorf("%w: the signer's public key is not the key of certificate %q (serial %x)", ErrKeyMismatch, cert.Subject.CommonName, cert.SerialNumber)
		}
	}
	return p, nil
}

// signedAttrs returns DER SET OF Attribute (RFC 5652 5.4: what is signed),
// sorted as DER wants.
func signedAttrs(o *SignOptions, p *signParams, digest []byte, t time.Time) ([]byte, error) {
	var attrs [][]byte
	add := func(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) error {
		b := cryptobyte.NewBuilder(make([]byte, 0, 128+len(p.signer.RawIssuer)))
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, value)
		})
		der, err := b.Bytes()
		if err != nil {
			return fmt.Errorf("cms: encoding attribute %v: %w", oid, err)
		}
		attrs = append(attrs, der)
		return nil
	}
	// RFC 5652 11.1, 11.2.
	if err := add(oidAttrContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(p.dataOID) }); err != nil {
		return nil, err
	}
	if err := add(oidAttrMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }); err != nil {
		return nil, err
	}
	if o.Profile == SM2 {
		// RFC 5652 11.3: UTCTime for 1950-2049, GeneralizedTime otherwise.
		t = t.UTC().Truncate(time.Second)
		if err := add(oidAttrSigningTime, func(b *cryptobyte.Builder) {
			if y := t.Year(); y >= 1950 && y < 2050 {
				b.AddASN1UTCTime(t)
			} else {
				b.AddASN1GeneralizedTime(t)
			}
		}); err != nil {
			return nil, err
		}
	}
	// RFC 5035 3: SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF
	// ESSCertIDv2 }, ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT
	// id-sha256, certHash, issuerSerial }. issuerSerial is included
	// because EU DSS reports a reference without it as unmatched.
	cert := p.signer
	if err := add(oidAttrSigningCertificateV2, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					if p.essHashOID != nil {
						addAlgorithm(b, p.essHashOID)
					}
					b.AddASN1OctetString(p.essHash(cert.Raw))
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
							b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddBytes(cert.RawIssuer)
							})
						})
						b.AddASN1BigInt(cert.SerialNumber)
					})
				})
			})
		})
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(attrs, bytes.Compare)
	n := 4
	for _, a := range attrs {
		n += len(a)
	}
	b := cryptobyte.NewBuilder(make([]byte, 0, n))
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	return b.Bytes()
}

// addAlgorithm adds an AlgorithmIdentifier without parameters (RFC 5754 2,
// RFC 5758 3.2; GM/T implementations write SM3 and SM2 the same way).
func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
}

// contentInfo assembles RFC 5652 3 ContentInfo around 5.1 SignedData with
// one 5.3 SignerInfo. attrs is the DER SET from signedAttrs.
func contentInfo(o *SignOptions, p *signParams, attrs, sig []byte) ([]byte, error) {
	var set cryptobyte.String
	in := cryptobyte.String(attrs)
	if !in.ReadASN1(&set, cbasn1.SET) {
		return nil, errors.New("cms: internal error: signed attributes are not a SET")
	}
	cert := p.signer
	n := 256 + len(attrs) + len(sig) + len(cert.RawIssuer)
	for _, c := range o.Certificates {
		n += len(c.Raw)
	}
	b := cryptobyte.NewBuilder(make([]byte, 0, n))
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(p.signedDataOID)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1) // version
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, p.digestOID) })
				// encapContentInfo without eContent: detached.
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(p.dataOID) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range o.Certificates {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1) // version: issuerAndSerialNumber
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						addAlgorithm(b, p.digestOID)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(set)
						})
						addAlgorithm(b, p.sigOID)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("cms: encoding SignedData: %w", err)
	}
	return der, nil
}

// checkSignatureEncoding checks that sig is SEQUENCE { r INTEGER, s INTEGER },
// the form both ECDSA (RFC 5480) and SM2 (GM/T 0009) signatures take, so that
// a signer returning raw r||s is caught at signing, not at verification.
func checkSignatureEncoding(sig []byte) error {
	in := cryptobyte.String(sig)
	var seq cryptobyte.String
	var r, s []byte
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return errors.New("want SEQUENCE { r INTEGER, s INTEGER }")
	}
	return nil
}
