package cms

// Benchmarks come in pairs: ours and a baseline measured in the same run,
// reported as ratios by `make bench` (internal/benchtable). The baseline is
// gmsm signing or verifying a message of the size of our signed attributes,
// so the ratio is the cost of the CMS layer around one SM2 operation.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

func benchSetup(b *testing.B) (*testPKI, SignOptions, []byte, *SignedData, []byte) {
	b.Helper()
	k := newPKI(b, SM2)
	opts := k.opts(false)
	h := NewContentHash(SM2)
	h.Write(content)
	digest := h.Sum(nil)
	der, err := SignDigest(digest, k.key, opts)
	if err != nil {
		b.Fatal(err)
	}
	sd, err := Parse(der)
	if err != nil {
		b.Fatal(err)
	}
	return k, opts, digest, sd, der
}

// BenchmarkSignSM2/ours vs BenchmarkSignSM2/raw-gmsm: a whole SignedData
// (attributes, certificates, DER) against one bare SM2 signature over as
// many bytes as our signed attributes.
func BenchmarkSignSM2(b *testing.B) {
	k, opts, digest, sd, _ := benchSetup(b)
	msg := bytes.Repeat([]byte{0x5a}, len(sd.RawSignedAttrs))
	signerOpts := sm2.NewSM2SignerOption(true, nil)
	b.Run("raw-gmsm", func(b *testing.B) {
		for b.Loop() {
			if _, err := k.key.Sign(rand.Reader, msg, signerOpts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			if _, err := SignDigest(digest, k.key, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifySM2/ours vs BenchmarkVerifySM2/raw-gmsm: Parse (with its
// two certificates) and VerifyDigest against one bare SM2 verification over
// as many bytes as our signed attributes.
func BenchmarkVerifySM2(b *testing.B) {
	k, _, digest, sd, der := benchSetup(b)
	pub := k.cert.PublicKey.(*ecdsa.PublicKey)
	msg := bytes.Repeat([]byte{0x5a}, len(sd.RawSignedAttrs))
	sig, err := k.key.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw-gmsm", func(b *testing.B) {
		for b.Loop() {
			if !sm2.VerifyASN1WithSM2(pub, nil, msg, sig) {
				b.Fatal("raw verification failed")
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			sd, err := Parse(der)
			if err != nil {
				b.Fatal(err)
			}
			if err := sd.VerifyDigest(digest); err != nil {
				b.Fatal(err)
			}
		}
	})
}
