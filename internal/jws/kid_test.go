package jws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"crypto/sha256"
	"encoding/base64"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// KeyID answers from its cache exactly as it computes: the same id for
// the same key, and an SM2 and a P-256 key with the same coordinates get
// different ids.
func TestKeyIDCache(t *testing.T) {
	sk, _ := sm2.GenerateKey(rand.Reader)
	pk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if sm2.P256().Params().Name == elliptic.P256().Params().Name {
		t.Fatal("the curves share a name; the cache cannot tell them apart")
	}
	// A P-256 key object with the SM2 key's coordinates (not on the curve,
	// but the cache must not mistake one for the other).
	twin := &ecdsa.PublicKey{Curve: elliptic.P256(), X: sk.PublicKey.X, Y: sk.PublicKey.Y}
	for _, pub := range []*ecdsa.PublicKey{&sk.PublicKey, &pk.PublicKey} {
		der, err := smx509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		want := base64.RawURLEncoding.EncodeToString(sum[:12])
		for range 2 { // computed, then cached
			if got, err := KeyID(pub); err != nil || got != want {
				t.Fatalf("KeyID = %q, %v; want %q", got, err, want)
			}
		}
	}
	a, _ := KeyID(&sk.PublicKey)
	b, err := KeyID(twin)
	if err == nil && a == b {
		t.Fatal("an SM2 key and a P-256 key with the same point share a key id")
	}
}
