package license_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/seal"
)

// BenchmarkIssue: issuing without a PDF (validate, sign, store durably)
// against one raw SM2 signature of the same license data; the store is
// SQLite (every issuance is its own synchronous commit) and PostgreSQL with
// 16 issuers at once (which share WAL flushes).
func BenchmarkIssue(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	raw, _ := sm2.GenerateKey(rand.Reader)
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		b.Fatal(err)
	}
	payload, _ := iss.Data.Canonical()
	opt := sm2.NewSM2SignerOption(true, nil)
	b.Run("raw-sm2-sign", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := raw.Sign(rand.Reader, payload, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours-sqlite", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours-postgres-16", func(b *testing.B) {
		dsn := testenv.PostgresSchema(b)
		st, err := store.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		reg := &license.Registry{Store: st, Catalog: e.reg.Catalog, Keys: e.reg.Keys}
		work := make(chan struct{})
		var wg sync.WaitGroup
		b.ResetTimer()
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					if _, err := reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()}); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for i := 0; i < b.N; i++ {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
	})
}

// BenchmarkIssueWithPDF: full issuance, drawn, sealed and stored;
// licenses/s is the figure.
func BenchmarkIssueWithPDF(b *testing.B) {
	e := newEnv(b)
	p := sealtest.NewPKI(b)
	maker := &license.PDFMaker{Catalog: e.reg.Catalog, BaseURL: "https://v.example", Issuer: e.police.Signer, Seal: p.Options(seal.ModeSM2)}
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace(), PDF: maker.Make}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "licenses/s")
}

// BenchmarkVerifyToken: checking signed license data offline against one
// raw SM2 verification of the same signature.
func BenchmarkVerifyToken(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := sm2.GenerateKey(rand.Reader)
	payload, _ := iss.Data.Canonical()
	sig, _ := raw.Sign(rand.Reader, payload, sm2.NewSM2SignerOption(true, nil))
	b.Run("raw-sm2-verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if !sm2.VerifyASN1WithSM2(&raw.PublicKey, nil, payload, sig) {
				b.Fatal("bad")
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			v, err := license.VerifyToken(iss.Token, e.reg.Keys)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := license.ParseData(v.Payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	_ = fmt.Sprint
}
