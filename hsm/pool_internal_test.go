package hsm

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/testenv"
)

// When every session of the pool is taken, a signer waits, and its context
// ends the wait.
func TestPoolWaitHonoursContext(t *testing.T) {
	module := testenv.SoftHSMToken(t, "wait", "123456", "87654321")
	ks, err := OpenPKCS11(fmt.Sprintf("pkcs11:token=wait?module-path=%s&pin-value=123456&x-pool-size=2", module))
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	s, err := ks.Generate(context.Background(), "k", P256)
	if err != nil {
		t.Fatal(err)
	}
	held := []session{}
	for i := 0; i < ks.PoolSize(); i++ {
		sess, err := ks.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, sess)
	}
	d := sha256.Sum256([]byte("x"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.(*p11Signer).SignContext(ctx, d[:], crypto.SHA256)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with the pool exhausted: got %v, want context.DeadlineExceeded", err)
	}
	// Give one back: the next signer gets it.
	ks.put(held[0], true)
	if _, err := s.(*p11Signer).SignContext(context.Background(), d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	ks.put(held[1], true)
}
