// Package hsm performs every private-key operation of the service. Keys live
// in a keystore (a PKCS#11 token or an encrypted soft keystore) and callers
// only ever receive a crypto.Signer; no private key is exposed.
//
// Signers follow the conventions of github.com/emmansun/gmsm so that
// smx509.CreateCertificate and friends work with any of them:
//
//   - SM2 (GB/T 32918.2, GM/T 0009): when opts is a *sm2.SM2SignerOption with
//     ForceGMSign set, the digest argument is the raw message and the signer
//     computes e = SM3(Z_A || M) with opts.UID (default "1234567812345678").
//     Otherwise the digest argument is a precomputed 32-byte e.
//   - ECDSA P-256: the digest argument is a SHA-256 digest.
//
// Both return a DER SEQUENCE{r, s}.
package hsm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// Algorithm names a key algorithm supported by the keystores.
type Algorithm string

const (
	// SM2 is the Chinese national elliptic-curve algorithm (GB/T 32918) with SM3.
	SM2 Algorithm = "sm2"
	// P256 is ECDSA over NIST P-256 with SHA-256.
	P256 Algorithm = "p256"
)

// ParseAlgorithm accepts "sm2" or "p256" (case-insensitive; "ecdsa-p256" and
// "p-256" too).
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sm2":
		return SM2, nil
	case "p256", "p-256", "ecdsa-p256", "ecdsa":
		return P256, nil
	}
	return "", fmt.Errorf("unknown key algorithm %q: want sm2 or p256", s)
}

// DefaultSM2UID is the signer identity used in Z_A when none is configured
// (GB/T 35276-2017 5.2; GM/T 0009-2012 10).
var DefaultSM2UID = []byte("1234567812345678")

// Sentinel errors a caller may branch on. Errors returned by keystores wrap
// one of these where it applies, so errors.Is works.
var (
	ErrKeyNotFound   = errors.New("key not found")
	ErrKeyExists     = errors.New("key already exists")
	ErrBadPIN        = errors.New("wrong PIN or passphrase")
	ErrNoPIN         = errors.New("no PIN or passphrase given")
	ErrTokenNotFound = errors.New("token not found")
	ErrTokenRemoved  = errors.New("token removed or unavailable")
	ErrCorrupt       = errors.New("keystore data is corrupt")
	ErrUnsupported   = errors.New("operation not supported by this keystore")
)

// KeyInfo describes one key pair held by a keystore.
type KeyInfo struct {
	Label     string
	Algorithm Algorithm
	Public    crypto.PublicKey
}

// Signer is a crypto.Signer whose key stays in its keystore.
type Signer interface {
	crypto.Signer
	// Algorithm reports the key algorithm.
	Algorithm() Algorithm
	// Label is the key's label in its keystore.
	Label() string
}

// Keystore holds key pairs and signs with them.
type Keystore interface {
	// Generate creates a new key pair under label. It fails with ErrKeyExists
	// if the label is taken.
	Generate(ctx context.Context, label string, alg Algorithm) (Signer, error)
	// Signer returns a signer for the key pair under label, or ErrKeyNotFound.
	Signer(ctx context.Context, label string) (Signer, error)
	// List describes every key pair in the keystore, sorted by label.
	List(ctx context.Context) ([]KeyInfo, error)
	// Close releases sessions, handles and in-memory key material.
	Close() error
}

// Open opens the keystore named by uri:
//
//	file:DIR                          soft keystore (see OpenSoft)
//	pkcs11:token=T?module-path=...    PKCS#11 token (see OpenPKCS11)
func Open(uri string) (Keystore, error) {
	switch {
	case strings.HasPrefix(uri, "file:"):
		return OpenSoft(uri)
	case strings.HasPrefix(uri, "pkcs11:"):
		return OpenPKCS11(uri)
	case uri == "":
		return nil, errors.New("no keystore URI given: want file:DIR or pkcs11:token=LABEL?module-path=PATH")
	}
	return nil, fmt.Errorf("keystore URI %q: unknown scheme: want file:DIR or pkcs11:token=LABEL?module-path=PATH", RedactURI(uri))
}

// AlgorithmOf reports the algorithm of a public key, or "" if it is neither
// SM2 nor P-256.
func AlgorithmOf(pub crypto.PublicKey) Algorithm {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return ""
	}
	switch k.Curve {
	case sm2.P256():
		return SM2
	case elliptic.P256():
		return P256
	}
	return ""
}

// SM2Digest returns the value e that an SM2 signer signs for the given
// crypto.Signer arguments: SM3(Z_A || msg) when opts asks for GM signing
// (digest is then the message), otherwise digest itself, which must be 32
// bytes.
func SM2Digest(pub *ecdsa.PublicKey, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if o, ok := opts.(*sm2.SM2SignerOption); ok && o.ForceGMSign {
		uid := o.UID
		if len(uid) == 0 {
			uid = DefaultSM2UID
		}
		return sm2Hash(pub, uid, digest)
	}
	if len(digest) != 32 {
		return nil, fmt.Errorf("sm2: precomputed digest must be 32 bytes, got %d (pass sm2.NewSM2SignerOption(true, uid) to sign a message)", len(digest))
	}
	return digest, nil
}

func sm2Hash(pub *ecdsa.PublicKey, uid, msg []byte) ([]byte, error) {
	za, err := SM2ZA(pub, uid)
	if err != nil {
		return nil, fmt.Errorf("sm2: Z_A: %w", err)
	}
	h := sm3.New()
	h.Write(za)
	h.Write(msg)
	return h.Sum(nil), nil
}

// checkP256Digest validates the arguments of an ECDSA P-256 Sign call.
func checkP256Digest(digest []byte, opts crypto.SignerOpts) error {
	if opts != nil && opts.HashFunc() != crypto.SHA256 && opts.HashFunc() != 0 {
		return fmt.Errorf("ecdsa p256: unsupported hash %v: want SHA-256", opts.HashFunc())
	}
	if len(digest) != 32 {
		return fmt.Errorf("ecdsa p256: digest must be 32 bytes (SHA-256), got %d", len(digest))
	}
	return nil
}

// ValidLabel rejects labels that cannot be used as file names or PKCS#11
// labels portably.
func ValidLabel(label string) error {
	if label == "" {
		return errors.New("empty key label")
	}
	if len(label) > 64 {
		return fmt.Errorf("key label %q: longer than 64 bytes", label)
	}
	for _, r := range label {
		ok := r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return fmt.Errorf("key label %q: only letters, digits, '-', '_' and '.' are allowed", label)
		}
	}
	if label[0] == '.' {
		return fmt.Errorf("key label %q: must not start with '.'", label)
	}
	return nil
}

// messageSigner is implemented by signers whose token must be given the
// whole message for SM2 (profile style "message").
type messageSigner interface{ wantsMessage() bool }

// SignStream signs the content of r the way `eseal hsm sign` does: SM2 with
// SM3 over Z_A(uid) || content (uid nil means the default ID), P-256 with
// SHA-256. The content is hashed as it streams, except for SM2 tokens that
// must compute Z_A themselves, which get the whole message.
func SignStream(s Signer, r io.Reader, uid []byte) ([]byte, error) {
	switch s.Algorithm() {
	case P256:
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return nil, err
		}
		return s.Sign(rand.Reader, h.Sum(nil), crypto.SHA256)
	case SM2:
		if ms, ok := s.(messageSigner); ok && ms.wantsMessage() && (uid == nil || bytes.Equal(uid, DefaultSM2UID)) {
			msg, err := io.ReadAll(r)
			if err != nil {
				return nil, err
			}
			return s.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
		}
		if uid == nil {
			uid = DefaultSM2UID
		}
		pub, ok := s.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, errors.New("sm2 signer without an EC public key")
		}
		za, err := sm2.CalculateZA(pub, uid)
		if err != nil {
			return nil, err
		}
		h := sm3.New()
		h.Write(za)
		if _, err := io.Copy(h, r); err != nil {
			return nil, err
		}
		return s.Sign(rand.Reader, h.Sum(nil), nil)
	}
	return nil, fmt.Errorf("unknown algorithm %q", s.Algorithm())
}
