package hsm_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/testenv"
)

const (
	testPIN   = "123456"
	testSOPIN = "87654321"
)

func softHSMURI(module, token string, extra ...string) string {
	u := fmt.Sprintf("pkcs11:token=%s?module-path=%s&pin-value=%s", token, module, testPIN)
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

func openP11(t *testing.T, uri string) *hsm.PKCS11 {
	t.Helper()
	ks, err := hsm.OpenPKCS11(uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	return ks
}

func TestSoftHSMP256(t *testing.T) {
	module := testenv.SoftHSMToken(t, "p256", testPIN, testSOPIN)
	ctx := context.Background()
	ks := openP11(t, softHSMURI(module, "p256"))
	s, err := ks.Generate(ctx, "pades-1", hsm.P256)
	if err != nil {
		t.Fatal(err)
	}
	if s.Algorithm() != hsm.P256 {
		t.Fatalf("algorithm %s", s.Algorithm())
	}
	checkSigner(t, s, otherKey(t, hsm.P256))
	if _, err := ks.Generate(ctx, "pades-1", hsm.P256); !errors.Is(err, hsm.ErrKeyExists) {
		t.Fatalf("duplicate label: %v", err)
	}
	keys, err := ks.List(ctx)
	if err != nil || len(keys) != 1 || keys[0].Label != "pades-1" || !keys[0].Public.(*ecdsa.PublicKey).Equal(s.Public()) {
		t.Fatalf("List = %+v, %v", keys, err)
	}
	// SM2 is not a SoftHSM2 mechanism: a clear error, not a crash.
	if _, err := ks.Generate(ctx, "sm2-1", hsm.SM2); !errors.Is(err, hsm.ErrUnsupported) || !strings.Contains(err.Error(), "profile") {
		t.Fatalf("SM2 keygen on SoftHSM2: %v", err)
	}

	// The private key is sensitive and not extractable on the token.
	p11 := pkcs11.New(module)
	p11.Initialize() // already initialised in this process: shares its state
	slots, _ := p11.GetSlotList(true)
	sh, err := p11.OpenSession(slots[0], pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer p11.CloseSession(sh)
	p11.FindObjectsInit(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)})
	objs, _, _ := p11.FindObjects(sh, 10)
	p11.FindObjectsFinal(sh)
	if len(objs) != 1 {
		t.Fatalf("found %d private keys", len(objs))
	}
	attrs, err := p11.GetAttributeValue(sh, objs[0], []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil), pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil)})
	if err != nil || attrs[0].Value[0] != 1 || attrs[1].Value[0] != 0 {
		t.Fatalf("private key attributes: sensitive %v extractable %v (%v)", attrs[0].Value, attrs[1].Value, err)
	}
}

func TestSoftHSMBadInput(t *testing.T) {
	module := testenv.SoftHSMToken(t, "bad", testPIN, testSOPIN)
	ctx := context.Background()

	t.Run("wrong PIN", func(t *testing.T) {
		_, err := hsm.OpenPKCS11(fmt.Sprintf("pkcs11:token=bad?module-path=%s&pin-value=999999", module))
		if !errors.Is(err, hsm.ErrBadPIN) || strings.Contains(err.Error(), "999999") {
			t.Fatalf("got %v, want ErrBadPIN without the PIN in it", err)
		}
	})
	t.Run("missing module", func(t *testing.T) {
		_, err := hsm.OpenPKCS11("pkcs11:token=bad?module-path=/nonexistent/libvendor.so&pin-value=1")
		if err == nil || !strings.Contains(err.Error(), "/nonexistent/libvendor.so") || !strings.Contains(err.Error(), "no such file") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not a module", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "lib.so")
		os.WriteFile(f, []byte("not ELF"), 0o600)
		_, err := hsm.OpenPKCS11("pkcs11:token=bad?module-path=" + f + "&pin-value=1")
		if err == nil || !strings.Contains(err.Error(), "cannot load") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		_, err := hsm.OpenPKCS11(softHSMURI(module, "nosuchtoken"))
		if !errors.Is(err, hsm.ErrTokenNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unknown label", func(t *testing.T) {
		ks := openP11(t, softHSMURI(module, "bad"))
		_, err := ks.Signer(ctx, "nope")
		if !errors.Is(err, hsm.ErrKeyNotFound) || !strings.Contains(err.Error(), `"nope"`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("pin-source file", func(t *testing.T) {
		pf := filepath.Join(t.TempDir(), "pin")
		os.WriteFile(pf, []byte(testPIN+"\n"), 0o600)
		ks := openP11(t, fmt.Sprintf("pkcs11:token=bad?module-path=%s&pin-source=file:%s", module, pf))
		if _, err := ks.Generate(ctx, "k", hsm.P256); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bad URIs", func(t *testing.T) {
		for _, u := range []string{
			"pkcs11:token=x",                                  // no module
			"pkcs11:?module-path=/x",                          // no token
			"pkcs11:token=x;bogus=1?module-path=/x",           // unknown attribute
			"pkcs11:token=x?module-path=/x&x-pool-size=0",     // bad pool size
			"pkcs11:token=x?module-path=/x&x-sm2-profile=zzz", // unknown profile
			"pkcs11:token=x?module-path=/x&pin-value=1&pin-source=file:/p",
		} {
			if _, err := hsm.OpenPKCS11(u); err == nil {
				t.Errorf("%s: accepted", u)
			}
		}
	})
}

// TestSoftHSMConcurrent signs from many goroutines through a pool smaller
// than the number of goroutines; run with -race.
func TestSoftHSMConcurrent(t *testing.T) {
	module := testenv.SoftHSMToken(t, "conc", testPIN, testSOPIN)
	ks := openP11(t, softHSMURI(module, "conc", "x-pool-size=3"))
	s, err := ks.Generate(context.Background(), "k", hsm.P256)
	if err != nil {
		t.Fatal(err)
	}
	pub := s.Public().(*ecdsa.PublicKey)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				d := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", g, i)))
				sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
				if err != nil {
					errs <- err
					return
				}
				if !ecdsa.VerifyASN1(pub, d[:], sig) {
					errs <- fmt.Errorf("goroutine %d: bad signature", g)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if ks.PoolSize() != 3 {
		t.Fatalf("pool size %d", ks.PoolSize())
	}
}

// TestSoftHSMRecovery: sessions killed from outside, the token removed and
// put back, the token re-initialised with the same key: the same keystore
// value keeps working without a restart.
func TestSoftHSMRecovery(t *testing.T) {
	module := testenv.SoftHSMToken(t, "rec", testPIN, testSOPIN)
	util := testenv.Tool(t, "softhsm2-util", "softhsm2")
	ctx := context.Background()

	// A key we can import again after a re-initialisation.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	importKey := func() {
		testenv.Run(t, nil, util, "--import", keyFile, "--token", "rec", "--label", "k", "--id", "01", "--pin", testPIN)
	}
	importKey()

	ks := openP11(t, softHSMURI(module, "rec"))
	s, err := ks.Signer(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	sign := func() error {
		d := sha256.Sum256([]byte(time.Now().String()))
		sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
		if err == nil && !ecdsa.VerifyASN1(&key.PublicKey, d[:], sig) {
			return errors.New("bad signature")
		}
		return err
	}
	if err := sign(); err != nil {
		t.Fatal(err)
	}

	t.Run("sessions closed behind our back", func(t *testing.T) {
		p11 := pkcs11.New(module)
		p11.Initialize()
		slots, _ := p11.GetSlotList(true)
		for _, sl := range slots {
			if err := p11.CloseAllSessions(sl); err != nil {
				t.Fatal(err)
			}
		}
		if err := sign(); err != nil {
			t.Fatalf("after C_CloseAllSessions (which also logs out): %v", err)
		}
	})

	tokens := filepath.Join(filepath.Dir(os.Getenv("SOFTHSM2_CONF")), "tokens")
	t.Run("token removed and put back", func(t *testing.T) {
		away := tokens + ".away"
		if err := os.Rename(tokens, away); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(tokens, 0o700)
		err := sign()
		if !errors.Is(err, hsm.ErrTokenRemoved) {
			t.Fatalf("signing with the token gone: got %v, want ErrTokenRemoved", err)
		}
		os.RemoveAll(tokens)
		if err := os.Rename(away, tokens); err != nil {
			t.Fatal(err)
		}
		if err := sign(); err != nil {
			t.Fatalf("after the token came back: %v", err)
		}
	})

	t.Run("token re-initialised", func(t *testing.T) {
		testenv.Run(t, nil, util, "--delete-token", "--token", "rec")
		testenv.Run(t, nil, util, "--init-token", "--free", "--label", "rec", "--pin", testPIN, "--so-pin", testSOPIN)
		importKey()
		if err := sign(); err != nil {
			t.Fatalf("after re-initialisation: %v", err)
		}
	})
}
