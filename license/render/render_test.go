package render

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/eseal-project/eseal/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/sample-license.png")

// writePDF renders doc and writes it to a temporary file.
func writePDF(t *testing.T, doc Document, opts Options) (string, Rect) {
	t.Helper()
	pdf, seal, err := Render(doc, opts)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	p := filepath.Join(t.TempDir(), "license.pdf")
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, seal
}

// rasterize renders one page of a PDF to a PNG at dpi and returns its path.
func rasterize(t *testing.T, pdf string, page, dpi int, extra ...string) string {
	t.Helper()
	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	prefix := filepath.Join(t.TempDir(), fmt.Sprintf("page%d-%ddpi", page, dpi))
	p := strconv.Itoa(page)
	args := append([]string{"-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-singlefile", "-png"}, extra...)
	testenv.Run(t, nil, pdftoppm, append(args, pdf, prefix)...)
	return prefix + ".png"
}

// scanQR returns the QR codes zbarimg reads in a PNG, one per line.
func scanQR(t *testing.T, png string) (string, error) {
	t.Helper()
	zbarimg := testenv.Tool(t, "zbarimg", "zbar-tools")
	out, err := testenv.Output(nil, zbarimg, "--nodbus", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png)
	return strings.TrimSuffix(out, "\n"), err
}

func pdfText(t *testing.T, pdf string, args ...string) string {
	t.Helper()
	pdftotext := testenv.Tool(t, "pdftotext", "poppler-utils")
	return testenv.Run(t, nil, pdftotext, append(append([]string{"-enc", "UTF-8"}, args...), pdf, "-")...)
}

func pdfPages(t *testing.T, pdf string) int {
	t.Helper()
	pdfinfo := testenv.Tool(t, "pdfinfo", "poppler-utils")
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(testenv.Run(t, nil, pdfinfo, pdf))
	if m == nil {
		t.Fatal("pdfinfo printed no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestRenderLicences(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  Document
		opts Options
	}{
		{"营业执照", businessLicence(), businessOptions},
		{"资格证书", qualificationCertificate(), qualificationOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf, seal := writePDF(t, tc.doc, tc.opts)

			qpdf := testenv.Tool(t, "qpdf", "qpdf")
			testenv.Run(t, nil, qpdf, "--check", pdf)
			if n := pdfPages(t, pdf); n != 1 {
				t.Errorf("%d pages, want 1", n)
			}

			// The font is embedded, as a subset, with a ToUnicode map.
			pdffonts := testenv.Tool(t, "pdffonts", "poppler-utils")
			fonts := testenv.Run(t, nil, pdffonts, pdf)
			if !regexp.MustCompile(`CID TrueType\s+Identity-H\s+yes\s+(yes|no)\s+yes`).MatchString(fonts) {
				t.Errorf("font not embedded with a ToUnicode map:\n%s", fonts)
			}

			// In content order, each label comes with its value. pdftotext's
			// default layout analysis finds every value too, but it takes
			// the characters of a spread label (姓　　名) for columns.
			raw := squash(pdfText(t, pdf, "-raw"))
			layout := squash(pdfText(t, pdf))
			want := []string{tc.doc.Title, tc.doc.Subtitle, tc.doc.Number, tc.doc.Issuer, tc.doc.QRCaption, tc.doc.Identifier,
				fmt.Sprintf("%d年%d月%d日", tc.doc.IssueDate.Year(), tc.doc.IssueDate.Month(), tc.doc.IssueDate.Day())}
			for _, f := range tc.doc.Fields {
				if !strings.Contains(raw, squash(f.Label+f.Value)) {
					t.Errorf("pdftotext -raw does not find %q followed by its value", f.Label)
				}
				want = append(want, f.Value)
			}
			for _, w := range want {
				if !strings.Contains(raw, squash(w)) {
					t.Errorf("pdftotext -raw does not find %q", w)
				}
				if !strings.Contains(layout, squash(w)) {
					t.Errorf("pdftotext does not find %q", w)
				}
			}

			png := rasterize(t, pdf, 1, 300)
			got, err := scanQR(t, png)
			if err != nil || got != tc.doc.QRText {
				t.Errorf("zbarimg at 300 dpi = %q, %v; want %q", got, err, tc.doc.QRText)
			}

			// The seal is centred over the issuer and date, on the page,
			// clear of the QR code and of the field table.
			if c := seal.X + seal.W/2; c != issuerX {
				t.Errorf("seal centre x = %g mm, want %g", c, issuerX)
			}
			if seal.W != 42 || seal.H != 42 {
				t.Errorf("seal %gx%g mm, want 42x42", seal.W, seal.H)
			}
			if top := pageH - (seal.Y + seal.H); top < fieldsBot || seal.Y < 15 {
				t.Errorf("seal %+v overlaps the field table or the foot", seal)
			}
			if seal.X < contentL+2+QRSize+QRQuietZone {
				t.Errorf("seal %+v overlaps the QR code", seal)
			}
		})
	}
}

// TestQRResolution reads the QR code from the page rasterised at falling
// resolutions, as a scanned or photographed copy would be. It must read at
// 300 and 150 dpi; the smallest resolution that reads is logged.
func TestQRResolution(t *testing.T) {
	doc := businessLicence()
	pdf, _ := writePDF(t, doc, businessOptions)
	smallest := 0 // the lowest resolution from 300 dpi down at which all read
	for _, dpi := range []int{300, 200, 150, 120, 100, 90, 80, 72} {
		got, err := scanQR(t, rasterize(t, pdf, 1, dpi))
		ok := err == nil && got == doc.QRText
		t.Logf("%3d dpi (%.2f px per module): decoded=%v", dpi, QRSize/float64(17+4*11)/25.4*float64(dpi), ok)
		if ok && smallest == 0 || ok && smallest > dpi {
			smallest = dpi
		}
		if !ok {
			if dpi >= 150 {
				t.Errorf("zbarimg at %d dpi = %q, %v; want %q", dpi, got, err, doc.QRText)
			}
			break
		}
	}
	t.Logf("smallest resolution that decodes: %d dpi", smallest)

	// Without anti-aliasing too, as a plain bitmap printer would see it.
	got, err := scanQR(t, rasterize(t, pdf, 1, 150, "-aa", "no", "-aaVector", "no"))
	if err != nil || got != doc.QRText {
		t.Errorf("zbarimg at 150 dpi without anti-aliasing = %q, %v", got, err)
	}
}

// TestQRPrintedSize measures the QR symbol on the page rendered at 300 dpi:
// it must be QRSize (25 mm, 2.5 cm) square, quiet zone aside.
func TestQRPrintedSize(t *testing.T) {
	pdf, _ := writePDF(t, businessLicence(), businessOptions)
	const dpi = 300
	f, err := os.Open(rasterize(t, pdf, 1, dpi))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	px := func(mm float64) int { return int(mm / 25.4 * dpi) }
	// Search the symbol's place, margin included, no further than its
	// quiet zone reaches, for dark pixels.
	left := contentL + 2
	area := image.Rect(px(left-1.5), px(qrTop-1.5), px(left+QRSize+1.5), px(qrTop+QRSize+1.5))
	found := image.Rectangle{}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray); g.Y < 128 {
				found = found.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	w := float64(found.Dx()) / dpi * 25.4
	h := float64(found.Dy()) / dpi * 25.4
	t.Logf("QR symbol printed %.2f × %.2f mm", w, h)
	if math.Abs(w-QRSize) > 0.2 || math.Abs(h-QRSize) > 0.2 {
		t.Errorf("QR symbol printed %.2f × %.2f mm, want %g mm (2.5 cm) square", w, h, QRSize)
	}
	if found.Min.X <= area.Min.X || found.Min.Y <= area.Min.Y || found.Max.X >= area.Max.X || found.Max.Y >= area.Max.Y {
		t.Errorf("dark pixels at the edge of the quiet zone: %v in %v", found, area)
	}
}

func TestQRTooLong(t *testing.T) {
	doc := businessLicence()
	doc.QRText = strings.Repeat("https://verify.example.org/v/1?p=", 20)[:600]
	_, _, err := Render(doc, businessOptions)
	if !errors.Is(err, ErrQRTooLong) {
		t.Fatalf("Render with a 600-byte QR text: %v, want ErrQRTooLong", err)
	}
	for _, want := range []string{"600 bytes", "QR version", "0.33 mm", "362 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	t.Log(err)

	// Longer than any QR symbol holds.
	doc.QRText = strings.Repeat("x", 3000)
	if _, _, err := Render(doc, businessOptions); !errors.Is(err, ErrQRTooLong) {
		t.Errorf("Render with a 3000-byte QR text: %v, want ErrQRTooLong", err)
	}

	// The longest text that is allowed still reads at 150 dpi.
	doc.QRText = qrText("max") + strings.Repeat("A", 362-220)
	pdf, _ := writePDF(t, doc, businessOptions)
	if got, err := scanQR(t, rasterize(t, pdf, 1, 150)); err != nil || got != doc.QRText {
		t.Errorf("362-byte QR text at 150 dpi: %q, %v", got, err)
	}
}

func TestMissingFont(t *testing.T) {
	_, _, err := Render(businessLicence(), Options{FontPath: "/nonexistent/simsun.ttf"})
	if !errors.Is(err, ErrNoFont) {
		t.Fatalf("Render with a missing font: %v, want ErrNoFont", err)
	}
	for _, want := range []string{"/nonexistent/simsun.ttf", "fonts-wqy-microhei", "Options.FontPath"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}

	// No font installed at all.
	saved := FontSearchPath
	FontSearchPath = []string{"/nonexistent/wqy-microhei.ttc"}
	defer func() { FontSearchPath = saved }()
	_, _, err = Render(businessLicence(), Options{})
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "apt-get install fonts-wqy-microhei") {
		t.Errorf("Render with no font installed: %v", err)
	}
	t.Log(err)
}

func TestUnusableFonts(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "CFF"},
		{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "not a Chinese font"},
	} {
		if _, err := os.Stat(tc.path); err != nil {
			t.Logf("SKIPPED %s: not installed", tc.path)
			continue
		}
		_, _, err := Render(businessLicence(), Options{FontPath: tc.path})
		if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "fonts-wqy-microhei") {
			t.Errorf("Render with %s: %v, want ErrNoFont saying %q", tc.path, err, tc.want)
		}
	}
	// Not a font at all.
	junk := filepath.Join(t.TempDir(), "junk.ttf")
	os.WriteFile(junk, []byte("this is not a font file"), 0o644)
	if _, _, err := Render(businessLicence(), Options{FontPath: junk}); !errors.Is(err, ErrNoFont) {
		t.Errorf("Render with a junk font file: %v, want ErrNoFont", err)
	}
}

func TestMissingGlyph(t *testing.T) {
	doc := qualificationCertificate()
	doc.Fields[0].Value = "李𰻝" // biáng, U+30EDD, in no GBK font
	_, _, err := Render(doc, qualificationOptions)
	var ge *GlyphError
	if !errors.Is(err, ErrMissingGlyph) || !errors.As(err, &ge) {
		t.Fatalf("Render with a character the font lacks: %v, want a GlyphError", err)
	}
	if len(ge.Runes) != 1 || ge.Runes[0] != 0x30EDD || !strings.Contains(err.Error(), `field "姓名"`) || !strings.Contains(err.Error(), "U+30EDD") {
		t.Errorf("error %q does not name the character and the field", err)
	}
}

func TestBadInput(t *testing.T) {
	for name, edit := range map[string]func(*Document){
		"no title":          func(d *Document) { d.Title = " " },
		"invalid UTF-8":     func(d *Document) { d.Fields[1].Value = "上海\xff" },
		"control character": func(d *Document) { d.Issuer = "上海\x00" },
		"long label":        func(d *Document) { d.Fields[1].Label = strings.Repeat("名", 40) },
		"newline in title":  func(d *Document) { d.Title = "营业\n执照" },
	} {
		doc := businessLicence()
		edit(&doc)
		if _, _, err := Render(doc, businessOptions); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestTooLong(t *testing.T) {
	for name, edit := range map[string]func(*Document){
		"title":      func(d *Document) { d.Title = strings.Repeat("营业执照", 16) },
		"number":     func(d *Document) { d.Number = strings.Repeat("310115000202611250123", 8) },
		"identifier": func(d *Document) { d.Identifier = strings.Repeat(d.Identifier, 3) },
		"issuer":     func(d *Document) { d.Issuer = strings.Repeat("上海市浦东新区市场监督管理局", 5) },
		"caption": func(d *Document) {
			d.QRCaption = strings.Repeat("扫描二维码登录国家企业信用信息公示系统", 3)
		},
	} {
		doc := businessLicence()
		edit(&doc)
		_, _, err := Render(doc, businessOptions)
		if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want ErrTooLong naming it", name, err)
		}
	}
}

// TestLongTexts renders texts at the limits of their places: a long title
// shrinks, a long issuer and a long QR caption wrap, values keep their
// line breaks.
func TestLongTexts(t *testing.T) {
	doc := businessLicence()
	doc.Title = "中华人民共和国道路运输经营许可证及其附属资格证书副本"
	doc.Issuer = "中国（上海）自由贸易试验区临港新片区管理委员会市场监督管理局"
	doc.QRCaption = "扫描二维码登录“国家企业信用信息公示系统”了解更多登记、备案、许可、监管信息"
	doc.Fields[8].Value = "第一行\r\n第二行\n\t第三行"
	pdf, _ := writePDF(t, doc, businessOptions)
	raw := squash(pdfText(t, pdf, "-raw"))
	for _, w := range []string{doc.Title, doc.Issuer, doc.QRCaption, "第一行第二行第三行"} {
		if !strings.Contains(raw, squash(w)) {
			t.Errorf("pdftotext -raw does not find %q", w)
		}
	}
	if got, err := scanQR(t, rasterize(t, pdf, 1, 150)); err != nil || got != doc.QRText {
		t.Errorf("zbarimg at 150 dpi = %q, %v", got, err)
	}
}

// longLicence has a business scope too long for one page at any size.
func longLicence() Document {
	doc := businessLicence()
	doc.Watermark = ""
	var scope strings.Builder
	for i := 0; scope.Len() < 9000; i++ {
		fmt.Fprintf(&scope, "第%d项：%s", i+1, businessScope)
	}
	doc.Fields[4].Value = scope.String()
	return doc
}

// TestContinuationPages checks that fields too long for the face continue on
// further pages, that no text is lost at the page break, and that no text is
// set outside the frame.
func TestContinuationPages(t *testing.T) {
	doc := longLicence()
	pdf, seal := writePDF(t, doc, businessOptions)
	n := pdfPages(t, pdf)
	if n < 2 {
		t.Fatalf("%d pages, want at least 2", n)
	}
	qpdf := testenv.Tool(t, "qpdf", "qpdf")
	testenv.Run(t, nil, qpdf, "--check", pdf)

	// Read the field area of each page (pdftotext crops in points) and
	// join the parts of the scope: each page's part starts with the label
	// repeated.
	const mm = 72 / 25.4
	area := func(page int, top, bot float64) string {
		p := strconv.Itoa(page)
		return squash(pdfText(t, pdf, "-f", p, "-l", p, "-x", "0", "-y", strconv.Itoa(int(top*mm)),
			"-W", "600", "-H", strconv.Itoa(int((bot-top)*mm)+1)))
	}
	joined := area(1, fieldsTop, fieldsBot)
	for p := 2; p <= n; p++ {
		joined += strings.TrimPrefix(area(p, contTop, contBot), "经营范围")
	}
	for _, f := range doc.Fields {
		if !strings.Contains(joined, squash(f.Label+f.Value)) {
			t.Errorf("field %q is not found whole across the pages", f.Label)
		}
	}
	all := squash(pdfText(t, pdf))
	for _, w := range []string{fmt.Sprintf("第1页共%d页", n), fmt.Sprintf("第%d页共%d页", n, n), "营业执照（续页）", doc.Identifier} {
		if !strings.Contains(all, w) {
			t.Errorf("pdftotext does not find %q", w)
		}
	}

	// Every word lies inside the frame, on every page.
	bbox := pdfText(t, pdf, "-bbox")
	re := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	words := re.FindAllStringSubmatch(bbox, -1)
	if len(words) < 100 {
		t.Fatalf("pdftotext -bbox found %d words", len(words))
	}
	for _, w := range words {
		x0, _ := strconv.ParseFloat(w[1], 64)
		y0, _ := strconv.ParseFloat(w[2], 64)
		x1, _ := strconv.ParseFloat(w[3], 64)
		y1, _ := strconv.ParseFloat(w[4], 64)
		if x0 < (contentL-1)*mm || x1 > (contentR+1)*mm || y0 < 15*mm || y1 > (pageH-15)*mm {
			t.Errorf("word %q at (%.0f,%.0f)-(%.0f,%.0f) pt is outside the frame", w[5], x0, y0, x1, y1)
		}
	}
	if seal.W == 0 {
		t.Error("no seal place on a multi-page licence")
	}
}

// TestShrinkToFit checks that a table a little too long for the face at the
// normal size is set smaller rather than continued.
func TestShrinkToFit(t *testing.T) {
	doc := businessLicence()
	doc.Fields[4].Value = businessScope + string([]rune(businessScope)[:150])
	f, err := findFace("", 0)
	if err != nil {
		testenv.Missing(t, "a Chinese TrueType font", "apt-get install fonts-wqy-microhei")
	}
	r, err := newRenderer(f, businessOptions)
	if err != nil {
		t.Fatal(err)
	}
	pages, l := r.layoutFields(doc.Fields)
	if len(pages) != 1 || l.size >= 12 || l.size < fieldSizes[len(fieldSizes)-1] {
		t.Errorf("%d pages at %g pt, want 1 page below 12 pt", len(pages), l.size)
	}
	pdf, _ := writePDF(t, doc, businessOptions)
	if n := pdfPages(t, pdf); n != 1 {
		t.Errorf("%d pages, want 1", n)
	}
	if !strings.Contains(squash(pdfText(t, pdf)), squash(doc.Fields[4].Value)) {
		t.Error("pdftotext does not find the whole scope")
	}
}

func TestDeterministic(t *testing.T) {
	a, _, err := Render(businessLicence(), businessOptions)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Render(businessLicence(), businessOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two renders of the same licence differ")
	}
}

func TestConcurrentRender(t *testing.T) {
	want, _, err := Render(businessLicence(), businessOptions)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			doc, opts := businessLicence(), businessOptions
			if i%2 == 1 {
				doc, opts = qualificationCertificate(), qualificationOptions
			}
			got, _, err := Render(doc, opts)
			if err != nil {
				t.Error(err)
			} else if i%2 == 0 && !bytes.Equal(got, want) {
				t.Error("a concurrent render differs")
			}
		}()
	}
	wg.Wait()
}

// TestSample renders the business licence to a PNG for a person to look at.
// go test -run TestSample -update rewrites testdata/sample-license.png.
func TestSample(t *testing.T) {
	pdf, _ := writePDF(t, businessLicence(), businessOptions)
	png := rasterize(t, pdf, 1, 300)
	t.Logf("page 1 at 300 dpi: %s", png)
	if !*update {
		return
	}
	small := rasterize(t, pdf, 1, 96)
	b, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 300<<10 {
		t.Fatalf("sample PNG is %d KB, over 300 KB", len(b)>>10)
	}
	if err := os.WriteFile(filepath.Join("testdata", "sample-license.png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
