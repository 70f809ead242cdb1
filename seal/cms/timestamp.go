package cms

// RFC 3161 time-stamp tokens, as a PDF carries them in a document
// time-stamp (ISO 32000-2 12.8.5, /SubFilter /ETSI.RFC3161): a SignedData
// by a time-stamping authority that encapsulates a TSTInfo, whose message
// imprint is the hash of the signed byte ranges.

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"hash"
	"io"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// RFC 3161 2.4.2: id-ct-TSTInfo.
var oidTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

// Timestamp is a parsed time-stamp token.
type Timestamp struct {
	*SignedData
	Policy        asn1.ObjectIdentifier
	ImprintAlg    asn1.ObjectIdentifier
	HashedMessage []byte
	Serial        *big.Int
	GenTime       time.Time
	Nonce         *big.Int // nil when the request had none
}

// ParseTimestamp reads a time-stamp token (RFC 3161 2.4.2), DER or BER,
// possibly followed by zero padding.
func ParseTimestamp(der []byte) (*Timestamp, error) {
	sd, err := parse(der, true)
	if err != nil {
		return nil, err
	}
	ts := &Timestamp{SignedData: sd}
	if err := ts.parseTSTInfo(sd.EContent); err != nil {
		return nil, err
	}
	return ts, nil
}

// parseTSTInfo reads RFC 3161 2.4.2 TSTInfo: the fields a verifier needs;
// accuracy, ordering, nonce, tsa and extensions are left alone.
func (ts *Timestamp) parseTSTInfo(b []byte) error {
	in := cryptobyte.String(b)
	var s, mi, hm cryptobyte.String
	var version int64
	if !in.ReadASN1(&s, cbasn1.SEQUENCE) || !in.Empty() {
		return malformed("TSTInfo", "not one SEQUENCE")
	}
	if !s.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) || version != 1 {
		return malformed("TSTInfo", "version is not 1")
	}
	if !s.ReadASN1ObjectIdentifier(&ts.Policy) {
		return malformed("TSTInfo", "policy is not an OBJECT IDENTIFIER")
	}
	if !s.ReadASN1(&mi, cbasn1.SEQUENCE) {
		return malformed("TSTInfo", "messageImprint is not a SEQUENCE")
	}
	alg, err := readAlgorithm(&mi, "TSTInfo messageImprint")
	if err != nil {
		return err
	}
	ts.ImprintAlg = alg
	if !mi.ReadASN1(&hm, cbasn1.OCTET_STRING) || !mi.Empty() || len(hm) == 0 {
		return malformed("TSTInfo", "hashedMessage is not a non-empty OCTET STRING")
	}
	ts.HashedMessage = bytes.Clone(hm)
	ts.Serial = new(big.Int)
	if !s.ReadASN1Integer(ts.Serial) {
		return malformed("TSTInfo", "serialNumber is not an INTEGER")
	}
	if !s.ReadASN1GeneralizedTime(&ts.GenTime) {
		return malformed("TSTInfo", "genTime is not a GeneralizedTime")
	}
	// accuracy Accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce
	// INTEGER OPTIONAL.
	if !s.SkipOptionalASN1(cbasn1.SEQUENCE) || !s.SkipOptionalASN1(cbasn1.BOOLEAN) {
		return malformed("TSTInfo", "bad accuracy or ordering")
	}
	if s.PeekASN1Tag(cbasn1.INTEGER) {
		ts.Nonce = new(big.Int)
		if !s.ReadASN1Integer(ts.Nonce) {
			return malformed("TSTInfo", "nonce is not an INTEGER")
		}
	}
	return nil
}

// NewImprintHash returns the hash of the token's message imprint, or nil
// when the algorithm is not SHA-256, SHA-384, SHA-512 or SM3.
func (ts *Timestamp) NewImprintHash() hash.Hash {
	if ts.ImprintAlg.Equal(OIDSM3) {
		return sm3.New()
	}
	if h, ok := foreignHash(ts.ImprintAlg); ok {
		return h.New()
	}
	return nil
}

// VerifyContent checks that the token time-stamps the content read from r
// and that the TSA's signature over the TSTInfo verifies. It does not
// judge the TSA's certificate.
func (ts *Timestamp) VerifyContent(r io.Reader) error {
	h := ts.NewImprintHash()
	if h == nil {
		return unsupported("message imprint hashed with %v", ts.ImprintAlg)
	}
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("cms: time-stamp: reading content: %w", err)
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, ts.HashedMessage) {
		return fmt.Errorf("%w: the token time-stamps %x, the content hashes to %x", ErrDigestMismatch, ts.HashedMessage, sum)
	}
	return ts.VerifySignature()
}

// VerifySignature checks the TSA's signature over the encapsulated TSTInfo.
func (ts *Timestamp) VerifySignature() error {
	h := ts.NewHash()
	if h == nil {
		return ts.unsupportedAlgorithms()
	}
	h.Write(ts.EContent)
	return ts.VerifyDigest(h.Sum(nil))
}

// ImprintHashName names the imprint's hash.
func (ts *Timestamp) ImprintHashName() string {
	if ts.ImprintAlg.Equal(OIDSM3) {
		return "SM3"
	}
	if h, ok := foreignHash(ts.ImprintAlg); ok {
		return h.String()
	}
	return ts.ImprintAlg.String()
}

// RFC 3161 Appendix A (ETSI EN 319 122-1 5.3): id-aa-timeStampToken, the
// unsigned attribute that carries a time-stamp over a SignerInfo's
// signature value (a signature time-stamp, CAdES/PAdES B-T).
var oidAttrTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}

// SignatureTimestamp returns the first signature time-stamp among the
// unsigned attributes, or nil when there is none. The token is parsed, not
// verified: see [Timestamp.VerifyContent] over [SignedData.Signature].
func (sd *SignedData) SignatureTimestamp() (*Timestamp, error) {
	if len(sd.RawUnsignedAttrs) == 0 {
		return nil, nil
	}
	in := cryptobyte.String(sd.RawUnsignedAttrs)
	var attrs cryptobyte.String
	if !in.ReadASN1(&attrs, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, malformed("unsignedAttrs", "not a [1] SET OF Attribute")
	}
	for n := 0; !attrs.Empty(); n++ {
		if n == maxAttributes {
			return nil, malformed("unsignedAttrs", "more than %d attributes", maxAttributes)
		}
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !attrs.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) {
			return nil, malformed("unsignedAttrs", "attribute %d is not SEQUENCE { OID, SET }", n)
		}
		if !oid.Equal(oidAttrTimeStampToken) {
			continue
		}
		var token cryptobyte.String
		if !values.ReadASN1Element(&token, cbasn1.SEQUENCE) {
			return nil, malformed("unsignedAttrs", "timeStampToken is not a ContentInfo")
		}
		return ParseTimestamp(token)
	}
	return nil, nil
}

// AddSignatureTimestamp returns the DER SignedData der (one signer, as this
// package writes it) with token added to its SignerInfo as an unsigned
// timeStampToken attribute. The signature, being over the signed
// attributes, is untouched.
func AddSignatureTimestamp(der, token []byte) ([]byte, error) {
	ts, err := ParseTimestamp(token)
	if err != nil {
		return nil, err
	}
	token = ts.Raw // DER, without padding
	in := cryptobyte.String(der)
	var ci, content, sdSeq cryptobyte.String
	var ctype asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ctype) ||
		!ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() ||
		!content.ReadASN1(&sdSeq, cbasn1.SEQUENCE) || !content.Empty() {
		return nil, malformed("ContentInfo", "not ContentInfo { OID, [0] SignedData }")
	}
	// Every field of SignedData up to signerInfos, kept as it is.
	var fields [][]byte
	for !sdSeq.Empty() {
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !sdSeq.ReadAnyASN1Element(&elem, &tag) {
			return nil, malformed("SignedData", "bad encoding")
		}
		fields = append(fields, elem)
	}
	if len(fields) < 4 {
		return nil, malformed("SignedData", "too few fields")
	}
	last := cryptobyte.String(fields[len(fields)-1])
	var infos, si cryptobyte.String
	if !last.ReadASN1(&infos, cbasn1.SET) || !infos.ReadASN1(&si, cbasn1.SEQUENCE) || !infos.Empty() {
		return nil, unsupported("signerInfos does not hold exactly one SignerInfo")
	}
	var siFields [][]byte
	var unsigned cryptobyte.String
	for !si.Empty() {
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !si.ReadAnyASN1Element(&elem, &tag) {
			return nil, malformed("SignerInfo", "bad encoding")
		}
		if tag == cbasn1.Tag(1).Constructed().ContextSpecific() {
			unsigned = elem
			continue
		}
		siFields = append(siFields, elem)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(ctype)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, f := range fields[:len(fields)-1] {
					b.AddBytes(f)
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, f := range siFields {
							b.AddBytes(f)
						}
						b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							if unsigned != nil {
								var old cryptobyte.String
								u := unsigned
								u.ReadASN1(&old, cbasn1.Tag(1).Constructed().ContextSpecific())
								b.AddBytes(old)
							}
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(oidAttrTimeStampToken)
								b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(token) })
							})
						})
					})
				})
			})
		})
	})
	return b.Bytes()
}
