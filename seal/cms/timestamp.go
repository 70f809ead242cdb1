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
