package hsm

import (
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// VerifySM2 with its cached Z_A agrees with gmsm's own verification, and
// a key's cached Z_A never verifies another key's signature.
func TestVerifySM2CachedZA(t *testing.T) {
	var keys []*sm2.PrivateKey
	for range 3 {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	msg := []byte("eyJhbGciOiJTTTJTTTMifQ.eyJpZCI6IjEifQ")
	for round := range 2 { // the second round hits the cache
		for i, k := range keys {
			sig, err := k.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
			if err != nil {
				t.Fatal(err)
			}
			if !sm2.VerifyASN1WithSM2(&k.PublicKey, nil, msg, sig) || !VerifySM2(&k.PublicKey, msg, sig) {
				t.Fatalf("round %d key %d: a good signature does not verify", round, i)
			}
			other := &keys[(i+1)%len(keys)].PublicKey
			if VerifySM2(other, msg, sig) {
				t.Fatalf("round %d key %d: verifies with another key", round, i)
			}
			bad := append([]byte(nil), msg...)
			bad[3] ^= 1
			if VerifySM2(&k.PublicKey, bad, sig) {
				t.Fatalf("round %d key %d: verifies a changed message", round, i)
			}
		}
	}
	if n := zaCount.Load(); n < 3 {
		t.Fatalf("%d keys cached, want 3", n)
	}
}
