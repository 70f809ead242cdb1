package certs

import (
	"testing"
	"time"
)

// BenchmarkVerifyChain verifies a seal certificate against its root with
// a CRL, and reports the cost as a multiple of one bare signature check of
// the same algorithm measured in the same run (x-sigcheck): a chain of two
// costs two signature checks (certificate, CRL) plus bookkeeping, and the
// second opinion from smx509 adds one more.
func BenchmarkVerifyChain(b *testing.B) {
	for _, alg := range algs {
		b.Run(string(alg), func(b *testing.B) {
			ca := newMemCA(b, alg, "Bench")
			leaf, _ := issue(b, ca, alg, "CN=seal", ProfileSeal, ValidDays(30))
			crl := mustCRL(b, ca)
			pool := NewPool(ca.Certificate())
			opts := VerifyOptions{KeyUsage: UsageSeal, CRLs: []*CRL{crl}, RequireCRL: true}

			const baseN = 200
			start := time.Now()
			for i := 0; i < baseN; i++ {
				if err := checkCertSignature(leaf, ca.Certificate()); err != nil {
					b.Fatal(err)
				}
			}
			base := time.Since(start) / baseN

			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := VerifyChain(leaf, nil, pool, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x-sigcheck")
		})
	}
}
