package ses

// Benchmarks of the hot paths against raw gmsm SM2 in the same run: compare
// "ours" with "raw-gmsm" as a ratio, not as absolute times.
//
//	go test -run '^$' -bench . ./seal/ses/

import (
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// BenchmarkSign: Sign (build TBS_Sign, SM2 sign, self-check, encode and
// re-parse) against one raw SM2 signature over a message of the same size.
func BenchmarkSign(b *testing.B) {
	p := newPKI(b)
	seal := makeTestSeal(b, p)
	h := testHash()
	tbs := TBSSign{Version: Version, ESeal: *seal, TimeInfo: testSignedAt, DataHash: h, PropertyInfo: testProperty}
	msg := mustMarshal(b, &tbs)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			if _, err := Sign(seal, p.signer.cert, p.signer.key, h, testProperty, testSignedAt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-gmsm", func(b *testing.B) {
		opts := sm2.NewSM2SignerOption(true, nil)
		for b.Loop() {
			if _, err := p.signer.key.Sign(rand.Reader, msg, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify: Signature.Verify (two SM2 verifications, signer and
// maker, two certificate parses, re-encoding) against one raw SM2
// verification of the TBS_Sign bytes.
func BenchmarkVerify(b *testing.B) {
	p := newPKI(b)
	sig, err := Sign(makeTestSeal(b, p), p.signer.cert, p.signer.key, testHash(), testProperty, testSignedAt)
	if err != nil {
		b.Fatal(err)
	}
	h := testHash()
	msg := mustMarshal(b, &sig.ToSign)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			if err := sig.Verify(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-gmsm", func(b *testing.B) {
		pub := &p.signer.key.PublicKey
		for b.Loop() {
			if !sm2.VerifyASN1WithSM2(pub, nil, msg, sig.Signature) {
				b.Fatal("raw verify failed")
			}
		}
	})
}

// BenchmarkParseSignature: parsing alone, for scale.
func BenchmarkParseSignature(b *testing.B) {
	der := readTestdata(b, "signature.der")
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if _, err := ParseSignature(der); err != nil {
			b.Fatal(err)
		}
	}
}
