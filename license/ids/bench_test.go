package ids

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkParseLicenseID parses a published identifier and reports the
// cost as a multiple of strings.Split on the same identifier, measured in
// the same run (x-split): parsing validates two embedded USCCs and a check
// character on top of splitting, without allocating.
func BenchmarkParseLicenseID(b *testing.B) {
	const s = publishedJilin
	const baseN = 20000
	start := time.Now()
	for i := 0; i < baseN; i++ {
		if len(strings.Split(s, ".")) != 10 {
			b.Fatal("split")
		}
	}
	base := time.Since(start) / baseN

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseLicenseID(s); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x-split")
}

func BenchmarkValidateUSCC(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ValidateUSCC("914403001922038216"); err != nil {
			b.Fatal(err)
		}
	}
}
