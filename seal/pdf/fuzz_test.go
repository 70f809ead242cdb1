package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzOpen feeds the reader damaged and hostile files: it must return an
// error or a usable reader, never panic or run away with memory.
func FuzzOpen(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pdf", "*.pdf"))
	for _, name := range files {
		// Small seeds keep each run short, so the fuzzer spends its time
		// mutating rather than minimising large inputs.
		if b, err := os.ReadFile(name); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Add(minimalPDF(2))
	// A form with an empty signature field, in a certified document.
	f.Add(pdfOf(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /Perms << /DocMDP 5 0 R >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
		"<< /FT /Sig /T (Seal1) /Type /Annot /Subtype /Widget /Rect [10 10 100 100] /P 3 0 R >>",
		"<< /Type /Sig /Reference [<< /TransformMethod /DocMDP /TransformParams << /P 1 >> >>] >>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				os.WriteFile(filepath.Join(os.TempDir(), "fuzzopen-hang.pdf"), b, 0o644)
				panic("FuzzOpen: one input took more than 20 s")
			}
		}()
		r, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		r.Pages()
		if fields, err := r.SignatureFields(); err == nil {
			for _, f := range fields {
				r.DocMDPLevel(f.Dict)
			}
		}
		r.CertificationLevel()
		r.EmptySignatureField("Seal1")
		for _, n := range r.ObjectNumbers() {
			o, err := r.Object(n)
			if s, ok := o.(Stream); ok && err == nil {
				r.Decode(s)
			}
		}
		if len(r.Sections()) > 0 {
			r.ObjectHeaders(0, r.Size())
		}
	})
}

// pdfOf writes objects 1, 2, ... with a cross-reference table; object 1
// is the catalog.
func pdfOf(objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objects {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// The seed above: its empty field is found and its certification read.
func TestFormSeed(t *testing.T) {
	b := pdfOf(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /Perms << /DocMDP 5 0 R >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
		"<< /FT /Sig /T (Seal1) /Type /Annot /Subtype /Widget /Rect [10 10 100 100] /P 3 0 R >>",
		"<< /Type /Sig /Reference [<< /TransformMethod /DocMDP /TransformParams << /P 1 >> >>] >>")
	r := openBytes(t, b)
	f, err := r.EmptySignatureField("Seal1")
	if err != nil || f.Page != 0 || f.Rect != [4]float64{10, 10, 100, 100} {
		t.Fatalf("EmptySignatureField = %+v, %v", f, err)
	}
	if level, err := r.CertificationLevel(); level != DocMDPNoChanges || err != nil {
		t.Fatalf("CertificationLevel = %d, %v", level, err)
	}
	if _, err := r.EmptySignatureField("Seal2"); !errors.Is(err, ErrNoField) {
		t.Fatalf("an unknown field: %v", err)
	}
}
