package hsm_test

// Benchmarks come in pairs: ours and a baseline measured in the same run,
// reported as ratios by `make bench` (internal/benchtable).

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/miekg/pkcs11"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/testenv"
)

var benchMsg = []byte("a short approval document digest input, as a seal signs")

// BenchmarkSoftSign/ours vs BenchmarkSoftSign/raw-gmsm: the soft keystore's
// SM2 signer against gmsm's own private key, same message and options.
func BenchmarkSoftSign(b *testing.B) {
	b.Setenv(hsm.PassphraseEnv, "benchmark passphrase")
	ks, err := hsm.OpenSoft("file:" + filepath.Join(b.TempDir(), "keys"))
	if err != nil {
		b.Fatal(err)
	}
	ks.SetKDF(fastKDF)
	defer ks.Close()
	s, err := ks.Generate(context.Background(), "k", hsm.SM2)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := sm2.GenerateKey(rand.Reader)
	opts := sm2.NewSM2SignerOption(true, nil)
	b.Run("raw-gmsm", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := raw.Sign(rand.Reader, benchMsg, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Sign(rand.Reader, benchMsg, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// parallelN runs fn b.N times spread over g goroutines, each with its own
// state from setup.
func parallelN(b *testing.B, g int, setup func() func() error) {
	b.Helper()
	fns := make([]func() error, g)
	for i := range fns {
		fns[i] = setup()
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, g)
	for i := 0; i < g; i++ {
		n := b.N / g
		if i < b.N%g {
			n++
		}
		wg.Add(1)
		go func(fn func() error, n int) {
			defer wg.Done()
			for j := 0; j < n; j++ {
				if err := fn(); err != nil {
					errs <- err
					return
				}
			}
		}(fns[i], n)
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchToken compares the pooled signer with bare miekg/pkcs11 loops, one
// session per goroutine, on the same token and key.
func benchToken(b *testing.B, module, token string, alg hsm.Algorithm, extra ...string) {
	ks, err := hsm.OpenPKCS11(softHSMURI(module, token, extra...))
	if err != nil {
		b.Fatal(err)
	}
	defer ks.Close()
	s, err := ks.Generate(context.Background(), "bench", alg)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256(benchMsg) // for SM2 this stands for a precomputed e
	var opts crypto.SignerOpts = crypto.SHA256
	mech := uint(pkcs11.CKM_ECDSA)
	if alg == hsm.SM2 {
		opts, mech = nil, hsm.CKM_IBM_SM2
	}

	raw := pkcs11.New(module)
	raw.Initialize() // shares the process's initialised library
	slots, err := raw.GetSlotList(true)
	if err != nil {
		b.Fatal(err)
	}
	var slot uint
	for _, sl := range slots {
		if ti, _ := raw.GetTokenInfo(sl); ti.Label == token {
			slot = sl
		}
	}
	var handle pkcs11.ObjectHandle
	{
		sh, err := raw.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			b.Fatal(err)
		}
		raw.FindObjectsInit(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), pkcs11.NewAttribute(pkcs11.CKA_LABEL, "bench")})
		objs, _, err := raw.FindObjects(sh, 1)
		raw.FindObjectsFinal(sh)
		if err != nil || len(objs) != 1 {
			b.Fatalf("finding the key: %v (%d objects)", err, len(objs))
		}
		handle = objs[0]
		// keep sh open: the login of the keystore stays valid regardless
	}

	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("bare-g%d", g), func(b *testing.B) {
			var sessions []pkcs11.SessionHandle
			defer func() {
				for _, sh := range sessions {
					raw.CloseSession(sh)
				}
			}()
			parallelN(b, g, func() func() error {
				sh, err := raw.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
				if err != nil {
					b.Fatal(err)
				}
				sessions = append(sessions, sh)
				m := []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}
				return func() error {
					if err := raw.SignInit(sh, m, handle); err != nil {
						return err
					}
					_, err := raw.Sign(sh, digest[:])
					return err
				}
			})
		})
		b.Run(fmt.Sprintf("ours-g%d", g), func(b *testing.B) {
			parallelN(b, g, func() func() error {
				return func() error {
					_, err := s.Sign(nil, digest[:], opts)
					return err
				}
			})
		})
	}
}

// BenchmarkPKCS11SoftHSM: ECDSA P-256 on SoftHSM2.
func BenchmarkPKCS11SoftHSM(b *testing.B) {
	module := testenv.SoftHSMToken(b, "bench", testPIN, testSOPIN)
	benchToken(b, module, "bench", hsm.P256)
}

// BenchmarkPKCS11SM2Token: SM2 (sign e) on the SM2 test token.
func BenchmarkPKCS11SM2Token(b *testing.B) {
	module := sm2TestToken(b, "bench")
	benchToken(b, module, "bench", hsm.SM2)
}
