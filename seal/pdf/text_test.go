package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/eseal-project/eseal/internal/testenv"
)

// Poppler is the independent oracle: pdftotext -bbox gives each word's box
// in points, in the page as displayed (turned by /Rotate), y downwards.

type popplerWord struct {
	text string
	box  [4]float64 // xMin yMin xMax yMax as pdftotext writes them
}

var (
	popplerPageRe = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	popplerWordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

// popplerWords runs pdftotext -bbox on a file and returns each page's words.
func popplerWords(t testing.TB, file string) [][]popplerWord {
	t.Helper()
	tool := testenv.Tool(t, "pdftotext", "poppler-utils")
	out, err := testenv.Output(nil, tool, "-bbox", file, "-")
	if err != nil {
		t.Fatalf("pdftotext -bbox %s: %v\n%s", file, err, out)
	}
	var pages [][]popplerWord
	for _, chunk := range popplerPageRe.Split(out, -1)[1:] {
		var words []popplerWord
		for _, m := range popplerWordRe.FindAllStringSubmatch(chunk, -1) {
			var w popplerWord
			for i := range w.box {
				w.box[i], _ = strconv.ParseFloat(m[i+1], 64)
			}
			w.text = html.UnescapeString(m[5])
			words = append(words, w)
		}
		pages = append(pages, words)
	}
	return pages
}

// userBox turns a box pdftotext gives for a page into the page's user
// space: poppler's frame is the crop box turned by /Rotate, with y down.
func userBox(p Page, b [4]float64) [4]float64 {
	x0, y0, x1, y1 := p.CropBox[0], p.CropBox[1], p.CropBox[2], p.CropBox[3]
	switch p.Rotate {
	case 90:
		return [4]float64{x0 + b[1], y0 + b[0], x0 + b[3], y0 + b[2]}
	case 180:
		return [4]float64{x1 - b[2], y0 + b[1], x1 - b[0], y0 + b[3]}
	case 270:
		return [4]float64{x1 - b[3], y1 - b[2], x1 - b[1], y1 - b[0]}
	}
	return [4]float64{x0 + b[0], y1 - b[3], x0 + b[2], y1 - b[1]}
}

// popplerFind finds needle (whitespace ignored) in the page's words and
// returns the user-space box of its characters. A word is split among its
// characters evenly along the baseline (user x here), which is exact for
// the monospaced CJK text of the fixtures and for needles of whole words.
func popplerFind(p Page, words []popplerWord, needle string) ([4]float64, bool) {
	type pchar struct {
		r   rune
		box [4]float64
	}
	var chars []pchar
	for _, w := range words {
		b := userBox(p, w.box)
		rs := stripSpace(w.text)
		for i, r := range rs {
			f0, f1 := float64(i)/float64(len(rs)), float64(i+1)/float64(len(rs))
			chars = append(chars, pchar{r, [4]float64{b[0] + (b[2]-b[0])*f0, b[1], b[0] + (b[2]-b[0])*f1, b[3]}})
		}
	}
	want := stripSpace(needle)
outer:
	for i := 0; i+len(want) <= len(chars); i++ {
		for j, r := range want {
			if chars[i+j].r != r {
				continue outer
			}
		}
		box := chars[i].box
		for _, c := range chars[i+1 : i+len(want)] {
			box = [4]float64{min(box[0], c.box[0]), min(box[1], c.box[1]), max(box[2], c.box[2]), max(box[3], c.box[3])}
		}
		return box, true
	}
	return [4]float64{}, false
}

func centre(b [4]float64) (float64, float64) { return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2 }

func fixturePath(t testing.TB, name string) string {
	if strings.HasPrefix(name, "text/") {
		return filepath.Join("testdata", name)
	}
	return filepath.Join(testenv.RepoRoot(t), "testdata", "pdf", name)
}

func openFile(t testing.TB, path string) (*Reader, []Page) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := openBytes(t, b)
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	return r, pages
}

func runsText(runs []TextRun) string {
	var sb strings.Builder
	for _, ru := range runs {
		sb.WriteString(ru.Text)
	}
	return string(stripSpace(sb.String()))
}

// Each page's text is poppler's, up to whitespace, for every producer and
// structural variant of the fixtures. On turned pages poppler reads the
// lines in the turned frame's order, so there each of its words must be in
// our text and the characters must be the same.
func TestPageTextMatchesPoppler(t *testing.T) {
	for _, name := range []string{"libreoffice.pdf", "objstm.pdf", "linearized.pdf", "v20.pdf", "ghostscript.pdf", "text/rotated.pdf"} {
		t.Run(name, func(t *testing.T) {
			path := fixturePath(t, name)
			r, pages := openFile(t, path)
			words := popplerWords(t, path)
			if len(words) != len(pages) {
				t.Fatalf("poppler sees %d pages, we see %d", len(words), len(pages))
			}
			for i, p := range pages {
				runs, err := r.PageText(p)
				if err != nil {
					t.Fatal(err)
				}
				got, want := runsText(runs), runsText(wordsRuns(words[i]))
				if p.Rotate != 0 {
					for _, w := range words[i] {
						if !strings.Contains(got, string(stripSpace(w.text))) {
							t.Errorf("page %d: no %q in %s", i+1, w.text, got)
						}
					}
					got, want = sortedRunes(got), sortedRunes(want)
				}
				if got != want {
					t.Errorf("page %d:\n got %s\nwant %s", i+1, got, want)
				}
			}
		})
	}
}

// The anchors a seal is placed at are found where poppler draws them, in
// user space also on turned pages.
func TestFindTextMatchesPoppler(t *testing.T) {
	for _, c := range []struct {
		file   string
		page   int
		needle string
	}{
		{"libreoffice.pdf", 1, "（盖章）"},
		{"libreoffice.pdf", 1, "某市市场监督管理局（盖章）"},
		{"libreoffice.pdf", 1, "某市市场监督管理局 （盖 章）"},
		{"libreoffice.pdf", 2, "（骑缝章处）"},
		{"objstm.pdf", 1, "（盖章）"},
		{"v20.pdf", 2, "（骑缝章处）"},
		{"ghostscript.pdf", 1, "Seal here:"},
		{"ghostscript.pdf", 1, "Sealhere:"},
		{"text/rotated.pdf", 1, "（盖章）"},
		{"text/rotated.pdf", 2, "（骑缝章处）"},
	} {
		t.Run(fmt.Sprintf("%s/%d/%s", c.file, c.page, c.needle), func(t *testing.T) {
			path := fixturePath(t, c.file)
			r, pages := openFile(t, path)
			p := pages[c.page-1]
			want, ok := popplerFind(p, popplerWords(t, path)[c.page-1], c.needle)
			if !ok {
				t.Fatalf("poppler does not find %q", c.needle)
			}
			x, y, ok, err := r.FindText(p, c.needle)
			if err != nil || !ok {
				t.Fatalf("FindText: ok=%v err=%v", ok, err)
			}
			wx, wy := centre(want)
			d := math.Hypot(x-wx, y-wy)
			if d > 3 {
				t.Errorf("centre (%.2f, %.2f), poppler's (%.2f, %.2f): %.2f pt apart", x, y, wx, wy, d)
			}
			t.Logf("centre (%.3f, %.3f), poppler's (%.3f, %.3f): %.3f pt apart", x, y, wx, wy, d)
			if c.file == "text/rotated.pdf" {
				// /Rotate turns the view, not user space.
				ur, upages := openFile(t, fixturePath(t, "libreoffice.pdf"))
				ux, uy, _, _ := ur.FindText(upages[c.page-1], c.needle)
				if ux != x || uy != y {
					t.Errorf("turned page: (%.2f, %.2f), unturned (%.2f, %.2f)", x, y, ux, uy)
				}
			}
		})
	}
}

// Every word poppler finds once on a page is found by FindText with the
// same box: the accuracy over all the fixtures' text.
func TestFindEveryWordMatchesPoppler(t *testing.T) {
	var acc wordAccuracy
	for _, name := range []string{"libreoffice.pdf", "ghostscript.pdf", "text/rotated.pdf"} {
		path := fixturePath(t, name)
		r, pages := openFile(t, path)
		for i, words := range popplerWords(t, path) {
			acc.check(t, r, pages[i], words, 3)
		}
	}
	if acc.n < 40 {
		t.Fatalf("only %d words compared", acc.n)
	}
	t.Logf("%d words: box edges within %.3f pt of poppler's (mean %.4f)", acc.n, acc.worst, acc.sum/float64(acc.n))
}

type wordAccuracy struct {
	n          int
	worst, sum float64
}

// check compares the box FindText finds for each word that occurs once on
// the page with poppler's box for it.
func (acc *wordAccuracy) check(t *testing.T, r *Reader, p Page, words []popplerWord, tolerance float64) {
	t.Helper()
	var all strings.Builder
	for _, w := range words {
		all.WriteString(string(stripSpace(w.text)))
	}
	for _, w := range words {
		if strings.Count(all.String(), string(stripSpace(w.text))) != 1 {
			continue
		}
		want := userBox(p, w.box)
		got, ok, err := r.findText(p, w.text)
		if err != nil || !ok {
			t.Errorf("page %v: %q not found (%v)", p.Ref, w.text, err)
			continue
		}
		d := 0.0
		for k := range got {
			d = max(d, math.Abs(got[k]-want[k]))
		}
		if d > tolerance {
			t.Errorf("page %v: %q box %.2f, poppler's %.2f", p.Ref, w.text, got, want)
		}
		acc.worst, acc.sum, acc.n = max(acc.worst, d), acc.sum+d, acc.n+1
	}
}

func TestFindTextAbsent(t *testing.T) {
	r, pages := openFile(t, fixturePath(t, "libreoffice.pdf"))
	for _, needle := range []string{"（签字）", "盖章盖章", "", "  ", "（盖章）2026年"} {
		// The last one is on two lines: not a match.
		if _, _, ok, err := r.FindText(pages[0], needle); ok || err != nil {
			t.Errorf("%q: ok=%v err=%v", needle, ok, err)
		}
	}
	if _, _, ok, _ := r.FindText(pages[1], "（盖章）"); ok {
		t.Error("（盖章） found on page 2")
	}
}

// A hand-written document that exercises the operators: every run's
// position is worked out by hand below, and poppler agrees on all words.

type testObj struct {
	dict string // for a stream, its dictionary without /Length
	data []byte // stream data; nil for other objects
}

// buildPDF writes objects 1, 2, ... (1 being the catalog) into a PDF with a
// classic cross-reference table.
func buildPDF(objs ...testObj) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		if o.data == nil {
			b.WriteString(o.dict)
		} else {
			d := strings.TrimSuffix(strings.TrimSpace(o.dict), ">>")
			fmt.Fprintf(&b, "%s /Length %d >>\nstream\n", d, len(o.data))
			b.Write(o.data)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

const testToUnicode = `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Test-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
2 beginbfchar
<0001> <76D6>
<0002> <7AE0>
endbfchar
2 beginbfrange
<0003> <0003> [<D842DFB7>]
<0004> <0006> <0041>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end`

// textTestPDF is a one-page document with the given content and resources:
// /F1 and /R7 Helvetica (no widths: the standard 14 metrics), /F2 a Type0
// font (Identity-H, ToUnicode with a surrogate pair, /W), /F3 a TrueType
// font with /Differences, /T3 a Type 3 font; /Fm1 a form with a matrix
// drawing the form /Fm2 under a cm, /Fm3 a form that draws itself, /Im0 an
// image.
func textTestPDF(content []byte) []byte {
	return buildPDF(
		testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		testObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 5 0 R >>"},
		testObj{dict: "<< >>", data: content},
		testObj{dict: "<< /Font << /F1 6 0 R /R7 6 0 R /F2 7 0 R /F3 11 0 R /T3 13 0 R >> /XObject << /Fm1 14 0 R /Fm2 15 0 R /Fm3 16 0 R /Im0 17 0 R >> >>"},
		testObj{dict: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"},
		testObj{dict: "<< /Type /Font /Subtype /Type0 /BaseFont /TestCJK /Encoding /Identity-H /DescendantFonts [8 0 R] /ToUnicode 10 0 R >>"},
		testObj{dict: "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestCJK /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 9 0 R /DW 1000 /W [1 [1000 1000] 3 3 900 4 6 500] /CIDToGIDMap /Identity >>"},
		testObj{dict: "<< /Type /FontDescriptor /FontName /TestCJK /Flags 4 /FontBBox [0 -120 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"},
		testObj{dict: "<< >>", data: []byte(testToUnicode)},
		testObj{dict: "<< /Type /Font /Subtype /TrueType /BaseFont /TestLatin /FirstChar 65 /LastChar 66 /Widths [800 600] /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /uni4E2D] >> /FontDescriptor 12 0 R >>"},
		testObj{dict: "<< /Type /FontDescriptor /FontName /TestLatin /Flags 32 /FontBBox [0 -200 1000 800] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>"},
		testObj{dict: "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 750 750] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a 18 0 R >> /Encoding << /Type /Encoding /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] /Resources << >> >>"},
		testObj{dict: "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Matrix [2 0 0 2 0 0] /Resources << /XObject << /Fm2 15 0 R >> >> >>",
			data: []byte("q 0.5 0 0 0.5 10 20 cm /Fm2 Do Q")},
		testObj{dict: "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 6 0 R >> >> >>",
			data: []byte("BT /F1 10 Tf 0 0 Td (Nested) Tj ET")},
		testObj{dict: "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 6 0 R >> /XObject << /Fm3 16 0 R >> >> >>",
			data: []byte("BT /F1 8 Tf 300 300 Td (Loop) Tj ET /Fm3 Do")},
		testObj{dict: "<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray >>", data: []byte{0x80}},
		testObj{dict: "<< >>", data: []byte("1000 0 0 0 750 750 d1 0 0 750 750 re f")},
	)
}

// The unfiltered inline image's eight bytes hold "EI" twice, each time
// between whitespace, and a ")", which a search for EI would stop at.
var operatorContent = []byte(`% kerning, then horizontal scaling and rise inside q/Q
BT /F1 12 Tf 72 700 Td [(Ke) 120 (rned) -250 (text)] TJ ET
q BT /F1 12 Tf 50 Tz 72 680 Td (Squeezed) Tj ET Q
q BT /F1 12 Tf 72 660 Td 5 Ts (Raised) Tj ET Q
q 1 0 0 1 100 100 cm /Fm1 Do Q
/Fm3 Do /Im0 Do
BI /W 4 /H 2 /BPC 8 /CS /G ID EI EI
)(
EI
BT /F1 12 Tf 72 600 Td (After image) Tj ET
BT /F2 20 Tf 72 560 Td <00010002000300040005> Tj ET
BT /F3 10 Tf 72 520 Td (AB) Tj ET
BT /F1 12 Tf 14 TL 72 480 Td (Line one) Tj (Line two) ' 2 0 (Line three) " ET
BT /T3 10 Tf 300 480 Td (aa) Tj ET
BT /R7 10 Tf 1 0 0 1 300 400 Tm (\(Paren\) \101\
B) Tj ET
`)

func TestContentOperators(t *testing.T) {
	doc := textTestPDF(operatorContent)
	r := openBytes(t, doc)
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	runs, err := r.PageText(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	// Helvetica widths: K 667 e 556 r 333 n 556 d 556 t 278 x 500 S 667
	// q 556 u 556 z 500 R 722 a 556 i 222 s 500 N 722 L 556 o 556 w 722 h 556
	// A 667 f 278 m 833 g 556 ( ) 333 B 667 P 667; space 278.
	want := []TextRun{
		{"Kernedtext", 72, 700, (1223 - 120 + 2001 + 250 + 1612) * 0.012, 12},
		{"Squeezed", 72, 680, 4503 * 0.012 * 0.5, 12},
		{"Raised", 72, 665, 3112 * 0.012, 12},
		{"Nested", 120, 140, 3168 * 0.010, 10},
		{"Loop", 300, 300, (556 + 556 + 556 + 556) * 0.008, 8},
		{"After image", 72, 600, (667 + 278 + 278 + 556 + 333 + 278 + 222 + 833 + 556 + 556 + 556) * 0.012, 12},
		{"盖章\U00020BB7AB", 72, 560, 20 + 20 + 18 + 10 + 10, 20},
		{"中B", 72, 520, 14, 10},
		{"Line one", 72, 480, (556 + 222 + 556 + 556 + 278 + 556 + 556 + 556) * 0.012, 12},
		{"Line two", 72, 466, (556 + 222 + 556 + 556 + 278 + 278 + 722 + 556) * 0.012, 12},
		{"Line three", 72, 452, (556+222+556+556+278+278+556+333+556+556)*0.012 + 2, 12},
		{"aa", 300, 480, 20, 10},
		// The word spacing " set is graphics state: it stays after ET.
		{"(Paren) AB", 300, 400, (333+667+556+333+556+556+333+278+667+667)*0.010 + 2, 10},
	}
	if len(runs) != len(want) {
		t.Fatalf("%d runs, want %d: %+v", len(runs), len(want), runs)
	}
	for i, w := range want {
		g := runs[i]
		if g.Text != w.Text || math.Abs(g.X-w.X) > 1e-6 || math.Abs(g.Y-w.Y) > 1e-6 || math.Abs(g.Width-w.Width) > 1e-6 || math.Abs(g.Height-w.Height) > 1e-6 {
			t.Errorf("run %d: %+v\n          want %+v", i, g, w)
		}
	}

	// Poppler reads the same document the same way.
	path := filepath.Join(t.TempDir(), "operators.pdf")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	words := popplerWords(t, path)[0]
	if got, want := sortedRunes(runsText(runs)), sortedRunes(runsText(wordsRuns(words))); got != want {
		t.Errorf("text:\n got %s\nwant %s (poppler)", got, want)
	}
	// Poppler gives Type 3 text a box of its own devising; ours is the
	// font's bounding box.
	var acc wordAccuracy
	acc.check(t, r, pages[0], slices.DeleteFunc(words, func(w popplerWord) bool { return w.text == "aa" }), 0.5)
	if acc.n < 10 {
		t.Errorf("only %d words compared", acc.n)
	}
	t.Logf("%d words: box edges within %.3f pt of poppler's (mean %.4f)", acc.n, acc.worst, acc.sum/float64(acc.n))
}

// sortedRunes compares text whose order poppler changes: it reorders text
// by position (and on turned pages, in the turned frame).
func sortedRunes(s string) string {
	rs := []rune(s)
	slices.Sort(rs)
	return string(rs)
}

func wordsRuns(words []popplerWord) []TextRun {
	var out []TextRun
	for _, w := range words {
		out = append(out, TextRun{Text: w.text})
	}
	return out
}

func pageOf(t testing.TB, doc []byte) (*Reader, Page) {
	t.Helper()
	r := openBytes(t, doc)
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	return r, pages[0]
}

// Filtered inline image data can only be skipped by looking for EI: one
// followed by binary data is not the end.
func TestInlineImageSearch(t *testing.T) {
	content := []byte("BT /F1 10 Tf 10 10 Td (One) Tj ET\nBI /W 8 /H 8 /BPC 8 /CS /RGB /F /Fl ID x\x9c EI \x01\xff\x00 EI\x80\x81 EI\n BT /F1 10 Tf 10 30 Td (Two) Tj ET\n" +
		"BI /W 2 /H 2 /BPC 8 /CS /G /F [/AHx] ID 00ff00ff> EI BT /F1 10 Tf 10 50 Td (Three) Tj ET\n" +
		"BI /W 1 /H 1 /CS /Indexed /BPC 8 /L 3 ID EI EI (Four) Tj")
	r, p := pageOf(t, textTestPDF(content))
	runs, err := r.PageText(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := runsText(runs); got != "OneTwoThreeFour" {
		t.Errorf("text %q", got)
	}
}

// Simple fonts without ToUnicode: encodings, /Differences with glyph
// names, and bytes as Latin-1 when nothing says more.
func TestSimpleFontEncodings(t *testing.T) {
	font := func(enc string) string {
		return "<< /Type /Font /Subtype /TrueType /BaseFont /Arial " + enc + " >>"
	}
	for _, c := range []struct {
		font, text, want string
	}{
		{font("/Encoding /WinAnsiEncoding"), `(\200\221Caf\351\225)`, "€‘Café•"},
		{font("/Encoding /MacRomanEncoding"), `(\200\216\245\312)`, "Äé•\u00a0"},
		{font(""), `(it's \341)`, "it’s Æ"}, // StandardEncoding
		{font("/Encoding << /Differences [39 /quotesingle 200 /uni5370 /u1F600 /f_f_i /e.sc /Yacute /g123] >>"), `(it's \310\311\312\313\314\315)`, "it's 印😀ffieÝ\u00cd"},
		{"<< /Type /Font /Subtype /TrueType /BaseFont /Wingdings /FontDescriptor << /Flags 4 >> >>", `(\101\351)`, "Aé"},
	} {
		content := "BT /X 10 Tf 0 0 Td " + c.text + " Tj ET"
		doc := buildPDF(
			testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
			testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
			testObj{dict: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /X " + c.font + " >> >> >>"},
			testObj{dict: "<< >>", data: []byte(content)},
		)
		r, p := pageOf(t, doc)
		runs, err := r.PageText(p)
		if err != nil || len(runs) != 1 || runs[0].Text != c.want {
			t.Errorf("%s %s: %+v %v, want %q", c.font, c.text, runs, err, c.want)
		}
	}
	// Arial without widths is measured as Helvetica.
	r, p := pageOf(t, buildPDF(
		testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		testObj{dict: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /X << /Type /Font /Subtype /TrueType /BaseFont /Arial,Bold >> >> >> >>"},
		testObj{dict: "<< >>", data: []byte("BT /X 10 Tf (Wi) Tj ET")},
	))
	runs, _ := r.PageText(p)
	if len(runs) != 1 || math.Abs(runs[0].Width-(944+278)*0.01) > 1e-9 {
		t.Errorf("Arial,Bold: %+v", runs)
	}
}

// Composite fonts with predefined CMaps and no ToUnicode: the codes are
// Unicode or GBK; widths by CID with the ASCII assumption.
func TestPredefinedCMaps(t *testing.T) {
	for _, c := range []struct {
		enc, text, want string
		width           float64
	}{
		{"/UniGB-UCS2-H", "<4E2D0041>", "中A", 10 + 6},
		{"/UniGB-UTF16-H", "<4E2DD842DFB7>", "中\U00020BB7", 20},
		{"/GBK-EUC-H", "<D6D041C7A9>", "中A签", 10 + 6 + 10},
		{"/Identity-H", "<00220041>", "\ufffd\ufffd", 6 + 10},
		{"/Identity-V", "<00220041>", "\ufffd\ufffd", 20},
	} {
		font := "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding " + c.enc +
			" /DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /DW 1000 /W [34 [600]] >>] >>"
		r, p := pageOf(t, buildPDF(
			testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
			testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
			testObj{dict: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /X " + font + " >> >> >>"},
			testObj{dict: "<< >>", data: []byte("BT /X 10 Tf 100 100 Td " + c.text + " Tj ET")},
		))
		runs, err := r.PageText(p)
		if err != nil || len(runs) != 1 || runs[0].Text != c.want || math.Abs(runs[0].Width-c.width) > 1e-9 {
			t.Errorf("%s %s: %+v %v, want %q width %g", c.enc, c.text, runs, err, c.want, c.width)
		}
	}
}

func TestCMap(t *testing.T) {
	cm := parseCMap([]byte(`/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/WMode 1 def
2 begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange
1 beginbfchar <41> /Aacute endbfchar
3 beginbfrange
<8140> <8142> [<4E00> <D83DDE00> <00660069>]
<9000> <9FFF> <5000>
<A0FF> <A101> <00FF>
endbfrange
1 begincidrange <8140> <FEFE> 100 endcidrange
1 begincidchar <20> 1 endcidchar
/UniGB-UCS2-H usecmap
endcmap`))
	if cm.wmode != 1 || cm.use != "UniGB-UCS2-H" || len(cm.spaces) != 2 {
		t.Fatalf("cmap %+v", cm)
	}
	for _, c := range []struct {
		in   string
		n    int
		code uint32
	}{{"\x41\x81\x40", 1, 0x41}, {"\x81\x40", 2, 0x8140}, {"\x81", 1, 0x81}, {"\xff\xff", 1, 0xff}} {
		f := &textFont{composite: true, cmap: cm}
		if n, code := f.code([]byte(c.in)); n != c.n || code != c.code {
			t.Errorf("code(% x) = %d %#x, want %d %#x", c.in, n, code, c.n, c.code)
		}
	}
	for code, want := range map[uint32]string{0x41: "Á", 0x8140: "一", 0x8141: "😀", 0x8142: "fi", 0x9000: "倀", 0x9FFF: "忿", 0xA0FF: "ÿ", 0xA100: "Ā", 0xA101: "ā"} {
		if got, ok := cm.unicode(code); !ok || got != want {
			t.Errorf("unicode(%#x) = %q %v, want %q", code, got, ok, want)
		}
	}
	if _, ok := cm.unicode(0x8143); ok {
		t.Error("0x8143 mapped")
	}
	if cid, ok := cm.cid(0x8150); !ok || cid != 116 {
		t.Errorf("cid(0x8150) = %d %v", cid, ok)
	}
	if cid, ok := cm.cid(0x20); !ok || cid != 1 {
		t.Errorf("cid(0x20) = %d %v", cid, ok)
	}
}

func TestGlyphNames(t *testing.T) {
	if n := len(strings.Fields(asciiGlyphNames)); n != 0x7F-0x20 {
		t.Errorf("%d ASCII glyph names", n)
	}
	if n := len(strings.Fields(latin1GlyphNames)); n != 0x100-0xA0 {
		t.Errorf("%d Latin-1 glyph names", n)
	}
	if n := utf8.RuneCountInString(macRomanHigh); n != 128 {
		t.Errorf("%d MacRoman characters", n)
	}
	for name, want := range map[string]string{
		"A": "A", "zero": "0", "quoteright": "’", "Euro": "€", "germandbls": "ß", "ydieresis": "ÿ",
		"uni4E2D": "中", "uni4e2d": "中", "uni00660069": "fi", "u1F600": "😀", "u4E2D": "中",
		"f_f_i": "ffi", "a.sc": "a", "uni4E2D.vert": "中", "uniD800": "", "g123": "", ".notdef": "", "": "",
	} {
		if got := glyphText(name); got != want {
			t.Errorf("glyphText(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{
		"Helvetica": "Helvetica", "ABCDEF+Arial-BoldMT": "Helvetica-Bold", "TimesNewRoman,Italic": "Times-Italic",
		"TimesNewRomanPSMT": "Times-Roman", "CourierNewPS-BoldItalicMT": "Courier-BoldOblique", "SimSun": "",
	} {
		if got := standardFont(name); got != want {
			t.Errorf("standardFont(%q) = %q, want %q", name, got, want)
		}
	}
}

// Broken content is read as far as it goes and never panics; content past
// the limits is an error.
func TestMalformedContent(t *testing.T) {
	for _, content := range []string{
		"",
		"BT (unterminated",
		"BT /F1 12 Tf 72 700 Td <41 4",
		"Q Q Q ET ET BT BT /F1 Tf 12 Tj TJ ] >> } { ) 1 2 3 4 5 6 7 cm (x) Tj",
		strings.Repeat("[", 100000) + "(deep) Tj",
		strings.Repeat("<<", 100000) + "(deep) Tj",
		"BI /W 10 /H 10 ID \x00\x01",
		"BI",
		"/F1 1e999 Tf 1e308 1e308 1e308 1e308 1e308 1e308 cm (x) Tj 0 0 0 0 0 0 Tm (y) Tj",
		"--5 .-3 +-2. 1.2.3 Td (z) Tj",
		"/F2 12 Tf <0001000100> Tj /NoSuchFont 12 Tf (a) Tj /Im0 Do /Missing Do",
		"BT /F1 12 Tf [(a) -1e30 (b) (c) /name [nested] <<>>] TJ ET",
	} {
		r, p := pageOf(t, textTestPDF([]byte(content)))
		if _, err := r.PageText(p); err != nil {
			t.Errorf("%.40q: %v", content, err)
		}
		if _, _, _, err := r.FindText(p, "x"); err != nil {
			t.Errorf("%.40q: %v", content, err)
		}
	}

	// Six million operators, few bytes: a form drawn 600 times.
	if testing.Short() {
		t.Skip("skipping the operator limit in -short mode")
	}
	doc := buildPDF(
		testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		testObj{dict: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>"},
		testObj{dict: "<< >>", data: bytes.Repeat([]byte("/X Do\n"), 600)},
		testObj{dict: "<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] >>", data: bytes.Repeat([]byte("n "), 10000)},
	)
	r, p := pageOf(t, doc)
	if _, err := r.PageText(p); !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "more than 5000000 operators") {
		t.Errorf("six million operators: %v", err)
	}
}

// /Contents may be an array of streams: they join with whitespace between,
// so an operator may take operands from the stream before.
func TestContentsArray(t *testing.T) {
	doc := buildPDF(
		testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		testObj{dict: "<< /Type /Page /Parent 2 0 R /Contents [4 0 R 5 0 R 6 0 R] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"},
		testObj{dict: "<< >>", data: []byte("BT /F1 12 Tf 72 700 Td (Split)")},
		testObj{dict: "<< >>", data: []byte("Tj (A)")},
		testObj{dict: "<< >>", data: []byte("Tj ET")},
	)
	r, p := pageOf(t, doc)
	runs, err := r.PageText(p)
	if err != nil || len(runs) != 2 || runs[0].Text != "Split" || runs[1].Text != "A" || math.Abs(runs[1].X-(72+(667+556+222+222+278)*0.012)) > 1e-9 {
		t.Fatalf("%+v %v", runs, err)
	}
	if x, y, ok, err := r.FindText(p, "SplitA"); !ok || err != nil || math.Abs(y-(700+(0.718-0.207)/2*12)) > 1e-9 || math.Abs(x-(72+(667+556+222+222+278+667)*0.006)) > 1e-9 {
		t.Errorf("FindText: %g %g %v %v", x, y, ok, err)
	}

	// A content stream that cannot be decoded is an error.
	doc = buildPDF(
		testObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		testObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		testObj{dict: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"},
		testObj{dict: "<< /Filter /FlateDecode >>", data: []byte("not deflate data")},
	)
	r, p = pageOf(t, doc)
	if _, err := r.PageText(p); !errors.Is(err, ErrBroken) {
		t.Errorf("undecodable content: %v", err)
	}
	if _, _, _, err := r.FindText(p, "x"); !errors.Is(err, ErrBroken) {
		t.Errorf("undecodable content: %v", err)
	}
}

// FuzzPageText interprets arbitrary content with the resources of the
// hand-written document (fonts of every kind, forms, a form that draws
// itself), seeded with the fixtures' content streams.
func FuzzPageText(f *testing.F) {
	for _, name := range []string{"libreoffice.pdf", "ghostscript.pdf"} {
		r := openBytes(f, fixture(f, name))
		pages, err := r.Pages()
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range pages {
			data, err := r.pageContent(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add(operatorContent)
	f.Add([]byte("BI /W 8 /H 8 /BPC 8 /CS /RGB /F /Fl ID x\x9c EI \x01\xff EI\n BT /F1 10 Tf (Two) Tj ET"))
	r, p := pageOf(f, textTestPDF(nil))
	res, _ := r.Dict(p.Resources)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := newInterp(r)
		in.content(data, res, 0)
		for i := range in.runs {
			in.runs[i].textRun()
		}
		findInRuns(in.runs, []rune("a中"))
		if len(in.runs) > 0 && len(in.runs[0].chars) > 0 {
			findInRuns(in.runs, []rune{in.runs[0].chars[0].r})
		}
	})
}

func FuzzCMap(f *testing.F) {
	f.Add([]byte(testToUnicode))
	f.Add([]byte("1 begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange 1 beginbfrange <0000> <ffff> <00> endbfrange 1 begincidrange <00> <ff> 4294967295 endcidrange"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cm := parseCMap(data)
		font := &textFont{composite: true, cmap: cm, toUni: cm}
		for s := data; len(s) > 0; {
			n, code := font.code(s)
			if n < 1 || n > len(s) {
				t.Fatalf("code length %d of %d bytes", n, len(s))
			}
			font.text(code, s[:n])
			font.width(code, 'a')
			s = s[n:]
		}
	})
}

// BenchmarkPageText extracts the text of the Chinese fixture's first page,
// and reports the cost as a multiple of decoding the page's content
// streams alone, measured in the same run (x-decode).
func BenchmarkPageText(b *testing.B) {
	r := openBytes(b, fixture(b, "libreoffice.pdf"))
	pages, err := r.Pages()
	if err != nil {
		b.Fatal(err)
	}
	p := pages[0]
	const baseN = 200
	start := time.Now()
	for i := 0; i < baseN; i++ {
		if _, err := r.pageContent(p); err != nil {
			b.Fatal(err)
		}
	}
	base := time.Since(start) / baseN

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.PageText(p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x-decode")
}
