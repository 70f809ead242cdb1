package appearance

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/eseal-project/eseal/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/sample-seal.png")

// sample is the seal in testdata/sample-seal.png.
var sample = Options{
	Org:  "某某市行政审批服务局",
	Name: "行政审批专用章",
	Code: "1101080012345",
}

// needFont skips (or, under CI, fails) unless the font the tests and the
// sample were made with, Debian's wqy-microhei, is what FindFont picks.
func needFont(t testing.TB) {
	t.Helper()
	want := FontSearchPath[0]
	if _, err := os.Stat(want); err != nil {
		testenv.Missing(t, "the font "+want, "apt-get install fonts-wqy-microhei")
	}
	if _, got, err := FindFont(""); err != nil || got != want {
		t.Fatalf("FindFont() = %q, %v; want %s", got, err, want)
	}
}

func draw1(t testing.TB, o Options) *image.NRGBA {
	t.Helper()
	img, err := Draw(o)
	if err != nil {
		t.Fatalf("Draw(%+v): %v", o, err)
	}
	return img
}

func savePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	b, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// polar returns the pixel at distance rad from the centre, deg clockwise from
// straight up.
func polar(img *image.NRGBA, rad, deg float64) color.NRGBA {
	b := img.Bounds()
	c := float64(b.Dx()) / 2
	a := deg * math.Pi / 180
	x, y := int(c+rad*math.Sin(a)), int(c-rad*math.Cos(a))
	return img.NRGBAAt(x, y)
}

func strong(c color.NRGBA) bool { return c.A >= 200 }

func isRed(c color.NRGBA) bool { return c.R > 150 && c.G < 80 && c.B < 80 }

// opaqueIn counts the strong pixels inside r.
func opaqueIn(img *image.NRGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if strong(img.NRGBAAt(x, y)) {
				n++
			}
		}
	}
	return n
}

func TestDraw(t *testing.T) {
	needFont(t)
	img := draw1(t, sample)
	b := img.Bounds()
	if b.Dx() != DefaultSizePx || b.Dy() != DefaultSizePx {
		t.Fatalf("size %v, want %d×%d", b.Size(), DefaultSizePx, DefaultSizePx)
	}
	savePNG(t, filepath.Join(t.TempDir(), "seal.png"), img)
	s := b.Dx()
	r := float64(s) / 2

	t.Run("corners transparent", func(t *testing.T) {
		for _, p := range []image.Point{{0, 0}, {s - 1, 0}, {0, s - 1}, {s - 1, s - 1}, {s / 10, s / 10}, {s - s/10, s - s/10}} {
			if a := img.NRGBAAt(p.X, p.Y).A; a != 0 {
				t.Errorf("pixel %v has alpha %d, want 0", p, a)
			}
		}
	})
	t.Run("ring", func(t *testing.T) {
		for deg := 0.0; deg < 360; deg += 15 {
			if c := polar(img, 0.97*r, deg); !strong(c) || !isRed(c) {
				t.Errorf("ring at %v°: %v, want strong red", deg, c)
			}
		}
		// Inside the ring, between the ring and the text, there is a gap.
		for _, deg := range []float64{0, 90, 270} {
			if c := polar(img, 0.91*r, deg); c.A > 64 {
				t.Errorf("gap inside the ring at %v°: alpha %d", deg, c.A)
			}
		}
	})
	t.Run("star", func(t *testing.T) {
		c := polar(img, 0, 0)
		if !strong(c) || !isRed(c) {
			t.Errorf("centre pixel %v, want the star's red", c)
		}
		// The star is centred: its top tip and lower tips mirror.
		top := polar(img, 0.2*r, 0)
		left, right := polar(img, 0.2*r, 360-72), polar(img, 0.2*r, 72)
		if !strong(top) || !strong(left) || !strong(right) {
			t.Errorf("star arms at 0°, ±72°: %v %v %v", top, left, right)
		}
		if between := polar(img, 0.2*r, 36); strong(between) {
			t.Errorf("between two arms at 36°: %v, want background", between)
		}
		// Every strong pixel near the centre lies in a symmetric shape.
		asym := 0
		for y := s/2 - s/6; y < s/2+s/6; y++ {
			for x := s/2 - s/6; x < s/2; x++ {
				if strong(img.NRGBAAt(x, y)) != strong(img.NRGBAAt(s-1-x, y)) {
					asym++
				}
			}
		}
		if asym > s/10 {
			t.Errorf("star is not left-right symmetric: %d differing pixels", asym)
		}
	})
	t.Run("organisation name on the upper arc", func(t *testing.T) {
		// A band from 0.62 r to 0.90 r above the centre, at the top.
		top := image.Rect(s/2-int(0.3*r), int(r-0.9*r), s/2+int(0.3*r), int(r-0.62*r))
		if n := opaqueIn(img, top); n < top.Dx()*top.Dy()/20 {
			t.Errorf("top arc %v has %d ink pixels, want text", top, n)
		}
		// The text reaches round to the sides (its ends are at about ±115°).
		for _, deg := range []float64{-100, 100} {
			a := deg * math.Pi / 180
			cx, cy := int(r+0.76*r*math.Sin(a)), int(r-0.76*r*math.Cos(a))
			box := image.Rect(cx-int(0.12*r), cy-int(0.12*r), cx+int(0.12*r), cy+int(0.12*r))
			if n := opaqueIn(img, box); n < 50 {
				t.Errorf("arc text at %v°: %d ink pixels in %v", deg, n, box)
			}
		}
	})
	t.Run("seal name below the star", func(t *testing.T) {
		band := image.Rect(s/2-int(0.45*r), int(r+0.47*r), s/2+int(0.45*r), int(r+0.62*r))
		if n := opaqueIn(img, band); n < band.Dx()*band.Dy()/12 {
			t.Errorf("seal name band %v has %d ink pixels", band, n)
		}
		// and the star does not reach it.
		gap := image.Rect(s/2-int(0.4*r), int(r+0.33*r), s/2+int(0.4*r), int(r+0.42*r))
		if n := opaqueIn(img, gap); n > 0 {
			t.Errorf("gap between star and name %v has %d ink pixels", gap, n)
		}
	})
	t.Run("code on the lower arc", func(t *testing.T) {
		box := image.Rect(s/2-int(0.3*r), int(r+0.78*r), s/2+int(0.3*r), int(r+0.91*r))
		if n := opaqueIn(img, box); n < 100 {
			t.Errorf("code region %v has %d ink pixels", box, n)
		}
	})
	t.Run("ink is red", func(t *testing.T) {
		var opaque, red, partial int
		for i := 0; i < len(img.Pix); i += 4 {
			c := color.NRGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3]}
			switch {
			case c.A == 0:
			case strong(c):
				opaque++
				if isRed(c) {
					red++
				}
			default:
				partial++
			}
		}
		if opaque < s*s/20 {
			t.Fatalf("only %d strong pixels", opaque)
		}
		if red < opaque*99/100 {
			t.Errorf("%d of %d strong pixels are red", red, opaque)
		}
		// Anti-aliased, but slightly: edges, not haze.
		if partial == 0 || partial > opaque/2 {
			t.Errorf("%d partly transparent pixels for %d strong ones", partial, opaque)
		}
	})
}

// TestSampleSeal writes testdata/sample-seal.png for reviewers to look at
// when run with -update, and otherwise checks that the drawing still matches
// it closely (fonts differ between machines, so not pixel for pixel).
func TestSampleSeal(t *testing.T) {
	needFont(t)
	img := draw1(t, sample)
	golden := filepath.Join("testdata", "sample-seal.png")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		savePNG(t, golden, img)
	}
	fi, err := os.Stat(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSampleSeal -update)", err)
	}
	if fi.Size() > 200<<10 {
		t.Errorf("%s is %d bytes, keep it under 200 KB", golden, fi.Size())
	}
	want, err := LoadPNG(golden, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("sample is %v, drawing %v", want.Bounds(), img.Bounds())
	}
	diff := 0
	for i := 3; i < len(img.Pix); i += 4 {
		if (img.Pix[i] >= 128) != (want.Pix[i] >= 128) {
			diff++
		}
	}
	if diff > len(img.Pix)/4/200 {
		t.Errorf("drawing differs from %s in %d pixels; look at both, then run go test -run TestSampleSeal -update", golden, diff)
	}
}

func TestDrawVariants(t *testing.T) {
	needFont(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		file string
		o    Options
	}{
		{"short.png", Options{Org: "某某公司", Name: "合同专用章"}},
		{"no-name.png", Options{Org: "某某省某某市人民政府"}},
		{"long.png", Options{Org: "某某省某某市某某区某某街道某某社区居民委员会服务中心有限公司", Name: "建设工程项目合同专用章", Code: "110108001234567890"}},
		{"max.png", Options{Org: strings.Repeat("国", MaxOrgRunes), Name: strings.Repeat("章", MaxNameRunes), Code: strings.Repeat("0", MaxCodeRunes)}},
		{"small.png", Options{Org: "某某市人民政府", Name: "电子证照专用章", SizePx: 160}},
		{"blue.png", Options{Org: "某某市人民政府", SizePx: 300, Color: color.NRGBA{0, 0x40, 0xC0, 0xFF}}},
	} {
		img := draw1(t, tc.o)
		savePNG(t, filepath.Join(dir, tc.file), img)
		if s := img.Bounds().Dx(); img.Bounds().Dy() != s {
			t.Errorf("%s: not square: %v", tc.file, img.Bounds())
		}
		// Nothing but the ring reaches beyond the text radius.
		s := img.Bounds().Dx()
		r := float64(s) / 2
		for deg := 0.0; deg < 360; deg += 5 {
			if c := polar(img, 0.91*r, deg); c.A > 160 && s >= 300 {
				t.Errorf("%s: ink at 0.91 r, %v°: text runs into the ring", tc.file, deg)
			}
		}
	}
	t.Logf("variants in %s", dir)
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "organisation name is empty"},
		{Options{Org: "   "}, "organisation name is empty"},
		{Options{Org: strings.Repeat("国", MaxOrgRunes+1)}, "41 characters, at most 40"},
		{Options{Org: "某某公司", Name: strings.Repeat("章", MaxNameRunes+1)}, "seal name"},
		{Options{Org: "某某公司", Code: "12 34"}, "only letters, digits"},
		{Options{Org: "某某\n公司"}, "control character"},
		{Options{Org: "某某公司", SizePx: 10}, "size 10 px"},
		{Options{Org: "\xff"}, "not valid UTF-8"},
		{Options{Org: "某某公司", Color: color.NRGBA{R: 255}}, "fully transparent"},
	} {
		_, err := Draw(tc.o)
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Draw(%+v) = %v, want ErrInvalidOptions saying %q", tc.o, err, tc.want)
		}
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStrips(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 101, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for _, n := range []int{1, 2, 3, 7, 101} {
		strips := Strips(img, n)
		if len(strips) != n {
			t.Fatalf("Strips(%d): %d strips", n, len(strips))
		}
		back := image.NewNRGBA(img.Bounds())
		x, minW, maxW := 0, 1<<30, 0
		for _, s := range strips {
			if s.Bounds().Min != (image.Point{}) || s.Bounds().Dy() != 40 {
				t.Fatalf("strip bounds %v", s.Bounds())
			}
			w := s.Bounds().Dx()
			minW, maxW = min(minW, w), max(maxW, w)
			draw.Draw(back, image.Rect(x, 0, x+w, 40), s, image.Point{}, draw.Src)
			x += w
		}
		if x != 101 {
			t.Errorf("Strips(%d): widths add up to %d, want 101", n, x)
		}
		if maxW-minW > 1 {
			t.Errorf("Strips(%d): widths from %d to %d", n, minW, maxW)
		}
		if !bytes.Equal(back.Pix, img.Pix) {
			t.Errorf("Strips(%d): strips side by side differ from the image", n)
		}
	}
	for _, n := range []int{0, -1, 102} {
		if s := Strips(img, n); s != nil {
			t.Errorf("Strips(%d) = %d strips, want nil", n, len(s))
		}
	}
}

func TestStripsOfSeal(t *testing.T) {
	needFont(t)
	img := draw1(t, sample)
	strips := Strips(img, 3)
	dir := t.TempDir()
	x := 0
	for i, s := range strips {
		savePNG(t, filepath.Join(dir, "strip"+string(rune('1'+i))+".png"), s)
		w := s.Bounds().Dx()
		for y := 0; y < img.Rect.Dy(); y++ {
			for xx := 0; xx < w; xx++ {
				if s.NRGBAAt(xx, y) != img.NRGBAAt(x+xx, y) {
					t.Fatalf("strip %d differs at (%d,%d)", i, xx, y)
				}
			}
		}
		x += w
	}
	if len(strips) != 3 || x != img.Rect.Dx() {
		t.Errorf("3 strips of total width %d, want %d", x, img.Rect.Dx())
	}
}

func TestLoadPNG(t *testing.T) {
	// A red disc on white paper, as a scan would give.
	scan := image.NewNRGBA(image.Rect(0, 0, 120, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 120; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if d := math.Hypot(float64(x)-60, float64(y)-60); d < 40 {
				c = color.NRGBA{230, 0, 18, 255}
			} else if d < 41 { // an anti-aliased, pinkish edge
				c = color.NRGBA{242, 128, 136, 255}
			}
			scan.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, scan); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "scan.png", buf.Bytes())

	img, err := LoadPNG(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != scan.Bounds() || !bytes.Equal(img.Pix, scan.Pix) {
		t.Fatalf("LoadPNG changed the image")
	}

	clear := WhiteToAlpha(img)
	if c := clear.NRGBAAt(2, 2); c.A != 0 {
		t.Errorf("white paper after WhiteToAlpha: %v, want transparent", c)
	}
	if c := clear.NRGBAAt(60, 60); c != (color.NRGBA{230, 0, 18, 255}) {
		t.Errorf("ink after WhiteToAlpha: %v, want unchanged", c)
	}
	edge := clear.NRGBAAt(100, 60) // d = 40: the pink edge
	if edge.A < 100 || edge.A > 160 || !isRed(edge) {
		t.Errorf("pink edge after WhiteToAlpha: %v, want half-transparent red", edge)
	}
	if c := img.NRGBAAt(2, 2); c.A != 255 {
		t.Errorf("WhiteToAlpha changed its input")
	}

	// Other pixel formats come back as NRGBA.
	gray := image.NewGray(image.Rect(0, 0, 64, 64))
	buf.Reset()
	if err := png.Encode(&buf, gray); err != nil {
		t.Fatal(err)
	}
	if g, err := DecodePNG(buf.Bytes()); err != nil || g.Bounds().Dx() != 64 || g.NRGBAAt(3, 3) != (color.NRGBA{0, 0, 0, 255}) {
		t.Errorf("gray PNG: %v", err)
	}
}

func TestLoadPNGErrors(t *testing.T) {
	enc := func(w, h int) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	ok := enc(100, 100)
	// A header claiming 100000×100000 px, refused before decoding.
	huge := append([]byte(nil), ok...)
	copy(huge[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))

	for _, tc := range []struct {
		name     string
		data     []byte
		maxBytes int64
		want     string
	}{
		{"text.png", []byte("hello"), 0, "not a PNG"},
		{"tiny.png", enc(8, 8), 0, "8×8 px"},
		{"huge.png", huge, 0, "100000×100000 px"},
		{"thin.png", enc(1000, 100), 0, "too elongated"},
		{"big.png", ok, 50, "larger than 50 bytes"},
		{"cut.png", ok[:len(ok)-20], 0, "corrupt PNG"},
	} {
		_, err := LoadPNG(writeFile(t, tc.name, tc.data), tc.maxBytes)
		if !errors.Is(err, ErrInvalidImage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalidImage saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadPNG(filepath.Join(t.TempDir(), "none.png"), 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestEncodePNG(t *testing.T) {
	needFont(t)
	img := draw1(t, Options{Org: "某某公司", SizePx: 200})
	b, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := back.(*image.NRGBA); !ok || !bytes.Equal(n.Pix, img.Pix) {
		t.Errorf("PNG round trip changed the image (%T)", back)
	}
}

func TestConcurrentDraw(t *testing.T) {
	needFont(t)
	done := make(chan *image.NRGBA)
	for i := 0; i < 4; i++ {
		go func() {
			img, err := Draw(Options{Org: "某某市人民政府", Name: "合同专用章", SizePx: 200})
			if err != nil {
				t.Error(err)
			}
			done <- img
		}()
	}
	var first *image.NRGBA
	for i := 0; i < 4; i++ {
		img := <-done
		if first == nil {
			first = img
		} else if img != nil && !bytes.Equal(img.Pix, first.Pix) {
			t.Error("concurrent draws differ")
		}
	}
}

// BenchmarkDraw compares Draw with a baseline from the same run: the same
// characters drawn upright, at the same sizes, by x/image's own font.Drawer
// on an opentype face (no rotation, ring, star or emboldening).
func BenchmarkDraw(b *testing.B) {
	needFont(b)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			if _, err := Draw(sample); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-fontdrawer", func(b *testing.B) {
		f, _, err := FindFont("")
		if err != nil {
			b.Fatal(err)
		}
		r := float64(DefaultSizePx) / 2
		face := func(px float64) font.Face {
			fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72})
			if err != nil {
				b.Fatal(err)
			}
			return fc
		}
		org, name, code := face(orgHeight*r), face(nameH*r), face(codeH*r)
		for b.Loop() {
			dst := image.NewAlpha(image.Rect(0, 0, DefaultSizePx, DefaultSizePx))
			for i, t := range []struct {
				face font.Face
				s    string
			}{{org, sample.Org}, {name, sample.Name}, {code, sample.Code}} {
				d := font.Drawer{Dst: dst, Src: image.Opaque, Face: t.face, Dot: fixed.P(10, 150*(i+1))}
				d.DrawString(t.s)
			}
		}
	})
}

func TestEmblem(t *testing.T) {
	img := Emblem(200, color.NRGBA{})
	if c := img.NRGBAAt(100, 100); !isRed(c) || c.A < 200 {
		t.Fatalf("centre (star) is %v", c)
	}
	if c := img.NRGBAAt(0, 0); c.A != 0 {
		t.Fatalf("corner is %v, want transparent", c)
	}
	if c := img.NRGBAAt(100, 2); !isRed(c) {
		t.Fatalf("ring at the top is %v", c)
	}
	if c := img.NRGBAAt(100, 40); c.A != 0 {
		t.Fatalf("between ring and star is %v, want transparent", c)
	}
}
