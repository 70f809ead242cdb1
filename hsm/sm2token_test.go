package hsm_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/testenv"
)

// sm2TestToken builds the SM2 test token (hsm/testtoken), points
// SM2TOKEN_FILE at a fresh file and initialises a token there with
// pkcs11-tool, as an operator would. It returns the module path.
func sm2TestToken(t testing.TB, label string) string {
	t.Helper()
	module := testenv.SM2TokenModule(t)
	tool := testenv.Tool(t, "pkcs11-tool", "opensc")
	file := filepath.Join(t.TempDir(), "sm2token.state")
	// An empty state file is an uninitialised token in its slot.
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SM2TOKEN_FILE", file)
	testenv.Run(t, nil, tool, "--module", module, "--init-token", "--label", label, "--so-pin", testSOPIN)
	testenv.Run(t, nil, tool, "--module", module, "--init-pin", "--login", "--login-type", "so", "--so-pin", testSOPIN, "--pin", testPIN)
	return module
}

func TestSM2TokenProfiles(t *testing.T) {
	module := sm2TestToken(t, "sm2")
	ctx := context.Background()
	// Profile "ibm": the process computes e, the token signs it (CKM_IBM_SM2).
	ks := openP11(t, softHSMURI(module, "sm2"))
	s, err := ks.Generate(ctx, "seal-1", hsm.SM2)
	if err != nil {
		t.Fatal(err)
	}
	checkSigner(t, s, otherKey(t, hsm.SM2))

	// A non-default distinguishing ID goes into Z_A.
	msg := []byte("with another ID")
	sig, err := s.Sign(nil, msg, sm2.NewSM2SignerOption(true, []byte("eseal@example")))
	if err != nil {
		t.Fatal(err)
	}
	pub := s.Public().(*ecdsa.PublicKey)
	if !sm2.VerifyASN1WithSM2(pub, []byte("eseal@example"), msg, sig) || sm2.VerifyASN1WithSM2(pub, nil, msg, sig) {
		t.Fatal("the signer ID was not used for Z_A")
	}
	ks.Close()

	// Profile "ibm-sm3": the token computes SM3(Z_A || M) (CKM_IBM_SM2_SM3).
	ks2 := openP11(t, softHSMURI(module, "sm2", "x-sm2-profile=ibm-sm3"))
	s2, err := ks2.Signer(ctx, "seal-1")
	if err != nil {
		t.Fatal(err)
	}
	checkSigner(t, s2, otherKey(t, hsm.SM2))
	// A precomputed e cannot go to a message-style token only if it lacks
	// the sign-e mechanism; this profile has it, so both work.
	if _, err := s2.Sign(nil, make([]byte, 32), nil); err != nil {
		t.Fatalf("precomputed e on ibm-sm3: %v", err)
	}

	// A profile whose sign-e mechanism the token does not know: a clear error.
	ks3 := openP11(t, softHSMURI(module, "sm2", "x-sm2-sign-e=0x80050099"))
	s3, err := ks3.Signer(ctx, "seal-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Sign(nil, make([]byte, 32), nil); err == nil {
		t.Fatal("signing with an unknown mechanism succeeded")
	}
}

func TestSM2TokenRecovery(t *testing.T) {
	module := sm2TestToken(t, "rec")
	tool := testenv.Tool(t, "pkcs11-tool", "opensc")
	ctx := context.Background()
	ks := openP11(t, softHSMURI(module, "rec"))
	s, err := ks.Generate(ctx, "k", hsm.SM2)
	if err != nil {
		t.Fatal(err)
	}
	sign := func() error {
		sig, err := s.Sign(nil, benchMsg, sm2.NewSM2SignerOption(true, nil))
		if err == nil && !gmsmVerifies(s.Public().(*ecdsa.PublicKey), benchMsg, sig) {
			return errors.New("bad signature")
		}
		return err
	}
	if err := sign(); err != nil {
		t.Fatal(err)
	}
	file := os.Getenv("SM2TOKEN_FILE")

	// Concurrent signers while nothing goes wrong.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if err := sign(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Token pulled out: a clear error; plugged back in: signing resumes.
	if err := os.Rename(file, file+".away"); err != nil {
		t.Fatal(err)
	}
	if err := sign(); !errors.Is(err, hsm.ErrTokenRemoved) {
		t.Fatalf("token removed: got %v, want ErrTokenRemoved", err)
	}
	if err := os.Rename(file+".away", file); err != nil {
		t.Fatal(err)
	}
	if err := sign(); err != nil {
		t.Fatalf("token back: %v", err)
	}

	// Re-initialised by another process: the key is gone, and we say so.
	testenv.Run(t, nil, tool, "--module", module, "--init-token", "--label", "rec", "--so-pin", testSOPIN)
	testenv.Run(t, nil, tool, "--module", module, "--init-pin", "--login", "--login-type", "so", "--so-pin", testSOPIN, "--pin", testPIN)
	if err := sign(); !errors.Is(err, hsm.ErrKeyNotFound) {
		t.Fatalf("after re-initialisation: got %v, want ErrKeyNotFound", err)
	}
	// and the same keystore value can make a new key and use it.
	s2, err := ks.Generate(ctx, "k2", hsm.SM2)
	if err != nil {
		t.Fatal(err)
	}
	checkSigner(t, s2, otherKey(t, hsm.SM2))
}
