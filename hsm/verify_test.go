package hsm_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	tjsm2 "github.com/tjfoc/gmsm/sm2"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/testenv"
)

// The checks below are independent of our code: OpenSSL 3 and tjfoc/gmsm,
// a second SM2 implementation.

// opensslVerifies reports whether `openssl dgst` accepts sig over msg.
func opensslVerifies(t *testing.T, alg hsm.Algorithm, pub *ecdsa.PublicKey, msg, sig []byte) bool {
	t.Helper()
	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubFile, msgFile, sigFile := filepath.Join(dir, "pub.pem"), filepath.Join(dir, "msg"), filepath.Join(dir, "sig.der")
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	os.WriteFile(msgFile, msg, 0o600)
	os.WriteFile(sigFile, sig, 0o600)
	args := []string{"dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, msgFile}
	if alg == hsm.SM2 {
		args = []string{"dgst", "-sm3", "-verify", pubFile, "-sigopt", "distid:1234567812345678", "-signature", sigFile, msgFile}
	}
	out, err := exec.Command(openssl, args...).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("openssl: %v", err)
		}
		return false
	}
	return string(out) == "Verified OK\n"
}

// tjfocVerifies checks an SM2 signature with the default ID using tjfoc/gmsm.
func tjfocVerifies(t *testing.T, pub *ecdsa.PublicKey, msg, sig []byte) bool {
	t.Helper()
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 {
		return false
	}
	tp := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: pub.X, Y: pub.Y}
	return tjsm2.Sm2Verify(tp, msg, []byte("1234567812345678"), rs.R, rs.S)
}

// gmsmVerifies checks an SM2 signature with emmansun/gmsm.
func gmsmVerifies(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	return sm2.VerifyASN1WithSM2(pub, nil, msg, sig)
}

// checkSigner signs a message with s in every way callers use and checks
// the signatures with independent implementations, then the negative
// twins: flipped message byte, flipped signature byte, another key.
func checkSigner(t *testing.T, s hsm.Signer, other *ecdsa.PublicKey) {
	t.Helper()
	msg := []byte("某某市市场监督管理局 approval 2026-11-25 #" + s.Label())
	pub := s.Public().(*ecdsa.PublicKey)
	var sigs [][]byte
	sig, err := hsm.SignStream(s, bytes.NewReader(msg), nil)
	if err != nil {
		t.Fatalf("SignStream: %v", err)
	}
	sigs = append(sigs, sig)
	if s.Algorithm() == hsm.SM2 {
		sig, err := s.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
		if err != nil {
			t.Fatalf("Sign with SM2SignerOption: %v", err)
		}
		sigs = append(sigs, sig)
	} else {
		d := sha256.Sum256(msg)
		sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		sigs = append(sigs, sig)
	}
	flipped := bytes.Clone(msg)
	flipped[len(flipped)-1] ^= 1
	for i, sig := range sigs {
		badSig := bytes.Clone(sig)
		badSig[len(badSig)-3] ^= 0x10
		if s.Algorithm() == hsm.SM2 {
			if !gmsmVerifies(pub, msg, sig) || !tjfocVerifies(t, pub, msg, sig) {
				t.Fatalf("signature %d: SM2 verification failed (gmsm %v, tjfoc %v)", i, gmsmVerifies(pub, msg, sig), tjfocVerifies(t, pub, msg, sig))
			}
			if gmsmVerifies(pub, flipped, sig) || tjfocVerifies(t, pub, flipped, sig) || gmsmVerifies(pub, msg, badSig) || gmsmVerifies(other, msg, sig) {
				t.Fatalf("signature %d: a negative twin verified", i)
			}
		} else {
			d, fd := sha256.Sum256(msg), sha256.Sum256(flipped)
			if !ecdsa.VerifyASN1(pub, d[:], sig) {
				t.Fatalf("signature %d: ECDSA verification failed", i)
			}
			if ecdsa.VerifyASN1(pub, fd[:], sig) || ecdsa.VerifyASN1(pub, d[:], badSig) || ecdsa.VerifyASN1(other, d[:], sig) {
				t.Fatalf("signature %d: a negative twin verified", i)
			}
		}
		if !opensslVerifies(t, s.Algorithm(), pub, msg, sig) {
			t.Fatalf("signature %d: openssl dgst does not verify it", i)
		}
		if opensslVerifies(t, s.Algorithm(), pub, flipped, sig) || opensslVerifies(t, s.Algorithm(), other, msg, sig) {
			t.Fatalf("signature %d: openssl verifies a negative twin", i)
		}
	}
}

// otherKey is a public key of the given algorithm that signed nothing.
func otherKey(t *testing.T, alg hsm.Algorithm) *ecdsa.PublicKey {
	t.Helper()
	if alg == hsm.SM2 {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return &k.PublicKey
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}
