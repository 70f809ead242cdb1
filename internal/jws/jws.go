// Package jws signs and verifies compact JWS (RFC 7515) with keys that
// stay in a keystore: SM2 under the private algorithm name "SM2SM3" (SM2
// over SM3(Z_A || signing input), default ID 1234567812345678, GB/T 32918.2,
// GM/T 0009; signature r || s as RFC 7518 3.4 writes ECDSA signatures) and
// ECDSA P-256 as ES256. Licenses, status answers, trust lists and receipts
// all travel this way.
package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/eseal-project/eseal/hsm"
)

// AlgSM2SM3 is the JWS "alg" of SM2 signatures.
const AlgSM2SM3 jose.SignatureAlgorithm = "SM2SM3"

// Algs are the algorithms accepted on verification.
var Algs = []jose.SignatureAlgorithm{AlgSM2SM3, jose.ES256}

// ErrBad reports a token that is malformed or does not verify.
var ErrBad = errors.New("token does not verify")

// KeyID names a public key: base64url of the first 12 bytes of SHA-256 of
// its DER SubjectPublicKeyInfo.
func KeyID(pub crypto.PublicKey) (string, error) {
	ec, isEC := pub.(*ecdsa.PublicKey)
	var key keyIDKey
	if isEC && ec.X != nil && ec.Y != nil && ec.Curve != nil && ec.Params().BitSize == 256 && ec.X.BitLen() <= 256 && ec.Y.BitLen() <= 256 {
		key.curve = ec.Params().Name // SM2 and P-256 points apart
		ec.X.FillBytes(key.x[:])
		ec.Y.FillBytes(key.y[:])
		if kid, ok := keyIDs.Load(key); ok {
			return kid.(string), nil
		}
	} else {
		isEC = false
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	kid := base64.RawURLEncoding.EncodeToString(sum[:12])
	if isEC && keyIDCount.Load() < keyIDCacheMax {
		if _, loaded := keyIDs.LoadOrStore(key, kid); !loaded {
			keyIDCount.Add(1)
		}
	}
	return kid, nil
}

// The key ids of the keys seen, since every token a node signs or checks
// names one; bounded like hsm's Z_A cache.
const keyIDCacheMax = 4096

var (
	keyIDs     sync.Map // keyIDKey -> key id
	keyIDCount atomic.Int64
)

type keyIDKey struct {
	curve string
	x, y  [32]byte
}

type opaqueSigner struct {
	s   crypto.Signer
	alg jose.SignatureAlgorithm
	kid string
}

func (o *opaqueSigner) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{KeyID: o.kid, Algorithm: string(o.alg)}
}

func (o *opaqueSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{o.alg} }

func (o *opaqueSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	var der []byte
	var err error
	switch alg {
	case AlgSM2SM3:
		der, err = o.s.Sign(rand.Reader, payload, sm2.NewSM2SignerOption(true, nil))
	case jose.ES256:
		d := sha256.Sum256(payload)
		der, err = o.s.Sign(rand.Reader, d[:], crypto.SHA256)
	default:
		return nil, jose.ErrUnsupportedAlgorithm
	}
	if err != nil {
		return nil, err
	}
	return DERToRaw(der)
}

// DERToRaw converts SEQUENCE{r, s} to r || s, 32 bytes each.
func DERToRaw(der []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 256 || rs.S.BitLen() > 256 {
		return nil, errors.New("signer returned a malformed signature")
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}

// RawToDER converts r || s to SEQUENCE{r, s}.
func RawToDER(raw []byte) ([]byte, error) {
	if len(raw) != 64 {
		return nil, fmt.Errorf("signature is %d bytes, want 64 (r || s)", len(raw))
	}
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
}

// AlgFor is the JWS algorithm of a public key.
func AlgFor(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch hsm.AlgorithmOf(pub) {
	case hsm.SM2:
		return AlgSM2SM3, nil
	case hsm.P256:
		return jose.ES256, nil
	}
	return "", errors.New("signing keys must be SM2 or ECDSA P-256")
}

// Sign signs payload as a compact JWS of media type typ ("typ" header),
// with the key id ("kid") of the signer and any extra protected headers.
func Sign(signer crypto.Signer, typ string, payload []byte, extra map[string]any) (string, error) {
	alg, err := AlgFor(signer.Public())
	if err != nil {
		return "", err
	}
	kid, err := KeyID(signer.Public())
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	for k, v := range extra {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: &opaqueSigner{s: signer, alg: alg, kid: kid}}, opts)
	if err != nil {
		return "", err
	}
	obj, err := js.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

type opaqueVerifier struct{ pub *ecdsa.PublicKey }

func (o opaqueVerifier) VerifyPayload(payload, signature []byte, alg jose.SignatureAlgorithm) error {
	der, err := RawToDER(signature)
	if err != nil {
		return err
	}
	switch {
	case alg == AlgSM2SM3 && hsm.AlgorithmOf(o.pub) == hsm.SM2:
		if !hsm.VerifySM2(o.pub, payload, der) {
			return errors.New("SM2 signature does not verify")
		}
	case alg == jose.ES256 && hsm.AlgorithmOf(o.pub) == hsm.P256:
		d := sha256.Sum256(payload)
		if !ecdsa.VerifyASN1(o.pub, d[:], der) {
			return errors.New("ECDSA signature does not verify")
		}
	default:
		return fmt.Errorf("algorithm %s does not fit the key", alg)
	}
	return nil
}

// Header is the protected header of a token.
type Header struct {
	KeyID string
	Type  string
	Extra map[string]any
}

// Parse reads a compact JWS without verifying it, for the header.
func Parse(token string) (*jose.JSONWebSignature, *Header, error) {
	obj, err := jose.ParseSignedCompact(token, Algs)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: not a compact JWS with alg SM2SM3 or ES256: %v", ErrBad, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, nil, fmt.Errorf("%w: want one signature", ErrBad)
	}
	h := obj.Signatures[0].Protected
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	extra := map[string]any{}
	for k, v := range h.ExtraHeaders {
		extra[string(k)] = v
	}
	return obj, &Header{KeyID: h.KeyID, Type: typ, Extra: extra}, nil
}

// Verify checks a compact JWS with pub and returns its payload.
func Verify(obj *jose.JSONWebSignature, pub *ecdsa.PublicKey) ([]byte, error) {
	payload, err := obj.Verify(opaqueVerifier{pub: pub})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	return payload, nil
}
