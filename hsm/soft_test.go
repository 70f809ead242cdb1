package hsm_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/eseal-project/eseal/hsm"
)

// fastKDF keeps test keystores quick; the format stores the parameters, so
// opening works the same way as with the defaults.
var fastKDF = hsm.KDFParams{Name: "argon2id", Time: 1, MemKiB: 1024, Threads: 1}

func newSoft(t *testing.T, dir string) *hsm.Soft {
	t.Helper()
	ks, err := hsm.OpenSoft("file:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	ks.SetKDF(fastKDF)
	t.Cleanup(func() { ks.Close() })
	return ks
}

func TestSoftGenerateSignReopen(t *testing.T) {
	t.Setenv(hsm.PassphraseEnv, "correct horse battery staple")
	dir := filepath.Join(t.TempDir(), "keys")
	ctx := context.Background()
	ks := newSoft(t, dir)
	sm, err := ks.Generate(ctx, "seal-1", hsm.SM2)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ks.Generate(ctx, "pades-1", hsm.P256)
	if err != nil {
		t.Fatal(err)
	}
	checkSigner(t, sm, otherKey(t, hsm.SM2))
	checkSigner(t, p2, otherKey(t, hsm.P256))
	if _, err := ks.Generate(ctx, "seal-1", hsm.SM2); !errors.Is(err, hsm.ErrKeyExists) {
		t.Fatalf("second keygen under the same label: got %v, want ErrKeyExists", err)
	}

	// Files are private to the owner.
	for _, name := range []string{"keystore.json", "seal-1.key", "pades-1.key"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("keystore dir has mode %v, want 0700", fi.Mode().Perm())
	}

	// The private scalar is not in the file in the clear.
	raw, _ := os.ReadFile(filepath.Join(dir, "seal-1.key"))
	msg := []byte("approval document")
	sig, err := sm.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !sm2.VerifyASN1WithSM2(sm.Public().(*ecdsa.PublicKey), nil, msg, sig) {
		t.Fatal("SM2 signature does not verify")
	}
	if sm2.VerifyASN1WithSM2(sm.Public().(*ecdsa.PublicKey), nil, append([]byte{'x'}, msg...), sig) {
		t.Fatal("SM2 signature verifies for another message")
	}

	// Reopen in a new keystore value: same keys, still usable.
	ks.Close()
	ks2 := newSoft(t, dir)
	keys, err := ks2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Label != "pades-1" || keys[1].Label != "seal-1" || keys[0].Algorithm != hsm.P256 || keys[1].Algorithm != hsm.SM2 {
		t.Fatalf("List = %+v", keys)
	}
	sm2again, err := ks2.Signer(ctx, "seal-1")
	if err != nil {
		t.Fatal(err)
	}
	if !sm2again.Public().(*ecdsa.PublicKey).Equal(sm.Public()) {
		t.Fatal("reopened key has another public key")
	}
	if bytes.Contains(raw, []byte("PRIVATE KEY")) || bytes.Contains(raw, []byte(`"d"`)) {
		t.Fatal("key file holds a plaintext private key field")
	}
	digest := sha256.Sum256(msg)
	p2s, err := ks2.Signer(ctx, "pades-1")
	if err != nil {
		t.Fatal(err)
	}
	psig, err := p2s.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(p2.Public().(*ecdsa.PublicKey), digest[:], psig) {
		t.Fatal("P-256 signature does not verify")
	}
	digest[0] ^= 1
	if ecdsa.VerifyASN1(p2.Public().(*ecdsa.PublicKey), digest[:], psig) {
		t.Fatal("P-256 signature verifies for a flipped digest")
	}
}

func TestSoftBadInput(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "keys")
	t.Setenv(hsm.PassphraseEnv, "correct horse battery staple")
	ks := newSoft(t, dir)
	if _, err := ks.Generate(ctx, "k", hsm.SM2); err != nil {
		t.Fatal(err)
	}
	ks.Close()

	t.Run("wrong passphrase", func(t *testing.T) {
		t.Setenv(hsm.PassphraseEnv, "not the passphrase")
		_, err := newSoft(t, dir).Signer(ctx, "k")
		if !errors.Is(err, hsm.ErrBadPIN) {
			t.Fatalf("got %v, want ErrBadPIN", err)
		}
		if strings.Contains(err.Error(), "not the passphrase") {
			t.Fatal("error message shows the passphrase")
		}
	})
	t.Run("no passphrase", func(t *testing.T) {
		t.Setenv(hsm.PassphraseEnv, "")
		_, err := newSoft(t, dir).Signer(ctx, "k")
		if !errors.Is(err, hsm.ErrNoPIN) || !strings.Contains(err.Error(), hsm.PassphraseEnv) {
			t.Fatalf("got %v, want ErrNoPIN naming %s", err, hsm.PassphraseEnv)
		}
	})
	t.Run("passphrase file", func(t *testing.T) {
		t.Setenv(hsm.PassphraseEnv, "")
		pf := filepath.Join(t.TempDir(), "pass")
		os.WriteFile(pf, []byte("correct horse battery staple\n"), 0o600)
		ks, err := hsm.OpenSoft("file:" + dir + "?passphrase-file=" + pf)
		if err != nil {
			t.Fatal(err)
		}
		defer ks.Close()
		if _, err := ks.Signer(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown label", func(t *testing.T) {
		_, err := newSoft(t, dir).Signer(ctx, "nope")
		if !errors.Is(err, hsm.ErrKeyNotFound) || !strings.Contains(err.Error(), `"nope"`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("bad label", func(t *testing.T) {
		_, err := newSoft(t, dir).Generate(ctx, "../evil", hsm.SM2)
		if err == nil || !strings.Contains(err.Error(), "only letters") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("short passphrase on create", func(t *testing.T) {
		t.Setenv(hsm.PassphraseEnv, "short")
		_, err := newSoft(t, filepath.Join(t.TempDir(), "new")).Generate(ctx, "k", hsm.SM2)
		if err == nil || !strings.Contains(err.Error(), "too short") {
			t.Fatalf("got %v", err)
		}
	})

	// Corruptions: each a clear ErrCorrupt naming the file, never a panic.
	keyFile := filepath.Join(dir, "k.key")
	orig, _ := os.ReadFile(keyFile)
	corruptions := map[string]func([]byte) []byte{
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"not json":  func(b []byte) []byte { return []byte("garbage") },
		"flipped ciphertext byte": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"ciphertext": "`)) + len(`"ciphertext": "`) + 2
			c := bytes.Clone(b)
			if c[i] == 'A' {
				c[i] = 'B'
			} else {
				c[i] = 'A'
			}
			return c
		},
		"swapped algorithm": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"algorithm": "sm2"`), []byte(`"algorithm": "p256"`), 1)
		},
	}
	for name, corrupt := range corruptions {
		t.Run("corrupt key file: "+name, func(t *testing.T) {
			os.WriteFile(keyFile, corrupt(orig), 0o600)
			defer os.WriteFile(keyFile, orig, 0o600)
			_, err := newSoft(t, dir).Signer(ctx, "k")
			if !errors.Is(err, hsm.ErrCorrupt) || !strings.Contains(err.Error(), "k.key") {
				t.Fatalf("got %v, want ErrCorrupt naming k.key", err)
			}
		})
	}
	t.Run("corrupt header", func(t *testing.T) {
		meta := filepath.Join(dir, "keystore.json")
		b, _ := os.ReadFile(meta)
		os.WriteFile(meta, b[:10], 0o600)
		defer os.WriteFile(meta, b, 0o600)
		_, err := newSoft(t, dir).Signer(ctx, "k")
		if !errors.Is(err, hsm.ErrCorrupt) {
			t.Fatalf("got %v, want ErrCorrupt", err)
		}
	})
	t.Run("key moved to another label", func(t *testing.T) {
		b, _ := os.ReadFile(keyFile)
		other := filepath.Join(dir, "k2.key")
		os.WriteFile(other, bytes.Replace(b, []byte(`"label": "k"`), []byte(`"label": "k2"`), 1), 0o600)
		defer os.Remove(other)
		_, err := newSoft(t, dir).Signer(ctx, "k2")
		if !errors.Is(err, hsm.ErrCorrupt) {
			t.Fatalf("got %v, want ErrCorrupt (label is bound into the AEAD)", err)
		}
	})
}

func TestSoftURI(t *testing.T) {
	for _, bad := range []string{"file:", "file:/x?pin=1", "file:/x?passphrase=hunter2"} {
		_, err := hsm.Open(bad)
		if err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error shows the secret: %v", bad, err)
		}
	}
	if _, err := hsm.Open("s3://bucket"); err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("unknown scheme: %v", err)
	}
}
