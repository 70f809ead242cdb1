package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/eseal-project/eseal/internal/testenv"
)

// minimalPDF writes a small classic-xref PDF with n pages by hand.
func minimalPDF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	var offs []int
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf("%d 0 R ", 3+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", kids, n))
	for i := 0; i < n; i++ {
		content := fmt.Sprintf("BT /F1 24 Tf 72 700 Td (Page %d) Tj ET", i+1)
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>", 4+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func openBytes(t testing.TB, b []byte) *Reader {
	t.Helper()
	r, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadMinimal(t *testing.T) {
	r := openBytes(t, minimalPDF(3))
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 || pages[0].MediaBox != [4]float64{0, 0, 595, 842} {
		t.Fatalf("pages: %+v", pages)
	}
	s, err := r.Object(4)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.Decode(s.(Stream))
	if err != nil || !strings.Contains(string(data), "(Page 1) Tj") {
		t.Fatalf("content %q %v", data, err)
	}
}

// signOnce adds an invisible signature whose "container" is a fake value,
// returning the output.
func signOnce(t *testing.T, in []byte, spec SigSpec) ([]byte, *Prepared) {
	t.Helper()
	r := openBytes(t, in)
	u := NewUpdate(r)
	if spec.ContentsSize == 0 {
		spec.ContentsSize = 64
	}
	spec.Filter, spec.SubFilter = "Adobe.PPKLite", "adbe.pkcs7.detached"
	p, err := AddSignature(r, u, spec)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var got []byte
	if err := p.Write(context.Background(), &out, sha256.New(), func(d []byte) ([]byte, error) { got = d; return d, nil }); err != nil {
		t.Fatal(err)
	}
	// The digest given to sign covers exactly the byte range.
	o := out.Bytes()
	br := p.ByteRange
	h := sha256.New()
	h.Write(o[br[0] : br[0]+br[1]])
	h.Write(o[br[2] : br[2]+br[3]])
	if !bytes.Equal(h.Sum(nil), got) || br[2]+br[3] != int64(len(o)) {
		t.Fatalf("byte range %v does not match the signed digest (len %d)", br, len(o))
	}
	if !bytes.HasPrefix(o, in) {
		t.Fatal("original bytes changed")
	}
	return o, p
}

func TestIncrementalSignature(t *testing.T) {
	in := minimalPDF(2)
	out, p := signOnce(t, in, SigSpec{Reason: "批准", SigningTime: time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))})
	if p.Field != "Seal1" {
		t.Fatalf("field %q", p.Field)
	}
	r := openBytes(t, out)
	cat, _, _ := r.Catalog()
	acro, _ := r.Dict(cat["AcroForm"])
	if acro == nil || acro["SigFlags"].String() != "3" {
		t.Fatalf("AcroForm %v", acro)
	}
	// A second signature on top keeps the first's bytes.
	out2, p2 := signOnce(t, out, SigSpec{})
	if p2.Field != "Seal2" || !bytes.HasPrefix(out2, out) {
		t.Fatalf("second field %q", p2.Field)
	}
	checkQPDF(t, out2)
}

func checkQPDF(t *testing.T, b []byte) {
	t.Helper()
	qpdf := testenv.Tool(t, "qpdf", "qpdf")
	f := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(f, b, 0o600)
	out, err := testenv.Output(nil, qpdf, "--check", f)
	if err != nil || !strings.Contains(out, "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	// pdfcpu, a second independent reader, parses and validates it.
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	if _, err := api.ReadAndValidate(bytes.NewReader(b), conf); err != nil {
		t.Fatalf("pdfcpu: %v", err)
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Documents from several producers and structural variants: each takes two
// signatures in a row, and qpdf and pdfcpu still read the result.
func TestProducers(t *testing.T) {
	for _, name := range []string{"libreoffice.pdf", "ghostscript.pdf", "objstm.pdf", "linearized.pdf", "v14.pdf", "v20.pdf"} {
		t.Run(name, func(t *testing.T) {
			in := fixture(t, name)
			r := openBytes(t, in)
			pages, err := r.Pages()
			if err != nil || len(pages) != 2 {
				t.Fatalf("pages: %d %v", len(pages), err)
			}
			out, _ := signOnce(t, in, SigSpec{})
			out2, p2 := signOnce(t, out, SigSpec{})
			if p2.Field != "Seal2" {
				t.Fatalf("second field %q", p2.Field)
			}
			checkQPDF(t, out2)
			wantStream := openBytes(t, in).LastSectionIsStream()
			if got := openBytes(t, out2).LastSectionIsStream(); got != wantStream {
				t.Fatalf("update xref is stream=%v, original stream=%v", got, wantStream)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	for name, want := range map[string]error{"encrypted.pdf": ErrEncrypted, "truncated.pdf": ErrBroken} {
		b := fixture(t, name)
		if _, err := Open(bytes.NewReader(b), int64(len(b))); !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
	}
	if _, err := Open(bytes.NewReader([]byte("hello")), 5); !errors.Is(err, ErrNotPDF) {
		t.Errorf("not a PDF: %v", err)
	}
}
