package render

import (
	"testing"
	"time"

	"github.com/signintech/gopdf"
)

// baseline writes a one-page PDF holding the title in the same font: the
// floor that any PDF this package writes costs (font subsetting and
// compression).
func baseline(b *testing.B, f *face) {
	gp := new(gopdf.GoPdf)
	gp.Start(gopdf.Config{Unit: gopdf.UnitMM, PageSize: *gopdf.PageSizeA4})
	if err := gp.AddTTFFontFromFontContainer(f.family, f.fonts); err != nil {
		b.Fatal(err)
	}
	gp.AddPage()
	if err := gp.SetFont(f.family, "", 28); err != nil {
		b.Fatal(err)
	}
	gp.SetXY(80, 48)
	if err := gp.Text("营业执照"); err != nil {
		b.Fatal(err)
	}
	if _, err := gp.GetBytesPdfReturnErr(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRender renders a one-page business licence, and reports its
// cost as a ratio to the baseline measured in the same run.
func BenchmarkRender(b *testing.B) {
	doc := businessLicence()
	if _, _, err := Render(doc, businessOptions); err != nil {
		b.Skip("SKIPPED: ", err)
	}
	f, err := findFace("", 0)
	if err != nil {
		b.Fatal(err)
	}
	const baseN = 50
	start := time.Now()
	for range baseN {
		baseline(b, f)
	}
	base := time.Since(start) / baseN
	b.ResetTimer()

	for b.Loop() {
		if _, _, err := Render(doc, businessOptions); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
	b.ReportMetric(float64(base.Microseconds()), "baseline-µs")
}
