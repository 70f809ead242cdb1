// Signing license data as a compact JWS (see internal/jws: alg "SM2SM3"
// for SM2 issuers, ES256 for P-256 ones). The key id ("kid") is KeyID of
// the public key.

package license

import (
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/internal/jws"
)

// AlgSM2SM3 is the JWS "alg" of SM2 signatures.
const AlgSM2SM3 = jws.AlgSM2SM3

// Token media types ("typ").
const (
	TypLicense = "eseal-license+jws"
	TypEvent   = "eseal-license-event+jws"
)

// KeyID names a public key (see jws.KeyID).
func KeyID(pub crypto.PublicKey) (string, error) { return jws.KeyID(pub) }

func derToRaw(der []byte) ([]byte, error) { return jws.DERToRaw(der) }
func rawToDER(raw []byte) ([]byte, error) { return jws.RawToDER(raw) }

// SignToken signs payload as a compact JWS of media type typ.
func SignToken(signer crypto.Signer, typ string, payload []byte) (string, error) {
	return jws.Sign(signer, typ, payload, nil)
}

// IssuerKey is an issuer's public key as a verifier knows it.
type IssuerKey struct {
	Public *ecdsa.PublicKey
	Cert   *smx509.Certificate // may be nil
	// IssuerCode is the USCC of the only issuer the key may sign for; ""
	// if the key is not bound to one.
	IssuerCode string
}

// KeyLookup finds an issuer's key by key id.
type KeyLookup func(kid string) (*IssuerKey, error)

// Verified is a token whose signature checked out.
type Verified struct {
	Payload []byte
	KeyID   string
	Type    string
	Key     *IssuerKey
	Cert    *smx509.Certificate
}

// VerifyToken checks a compact JWS against the key its kid names.
func VerifyToken(token string, keys KeyLookup) (*Verified, error) {
	obj, h, err := jws.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if h.KeyID == "" {
		return nil, fmt.Errorf("%w: no key id (kid)", ErrBadToken)
	}
	key, err := keys(h.KeyID)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key %s: %w", ErrBadToken, h.KeyID, err)
	}
	if key == nil || key.Public == nil {
		return nil, fmt.Errorf("%w: signing key %s: %w", ErrBadToken, h.KeyID, errors.New("no public key"))
	}
	payload, err := jws.Verify(obj, key.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return &Verified{Payload: payload, KeyID: h.KeyID, Type: h.Type, Key: key, Cert: key.Cert}, nil
}
