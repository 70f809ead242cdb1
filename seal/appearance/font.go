package appearance

// Font discovery and glyph outlines. Seal text is set glyph by glyph, each
// glyph rotated to follow the ring, so glyphs are read as outlines
// (sfnt.LoadGlyph) and rasterised by the caller rather than drawn with
// font.Drawer, which cannot rotate.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// ErrNoFont reports that no usable Chinese font was found. Errors returned by
// FindFont and Draw match it with errors.Is; their text names the Debian
// package to install and the option that takes a font file.
var ErrNoFont = errors.New("appearance: no usable Chinese font")

// FontSearchPath lists, in order, the font files FindFont tries when no path
// is given: Debian's fonts-wqy-microhei, fonts-wqy-zenhei and fonts-noto-cjk
// (CFF outlines, which golang.org/x/image/font/sfnt reads too).
var FontSearchPath = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
}

// FontError is the error for a font that is missing or unusable. It matches
// ErrNoFont.
type FontError struct {
	// Tried lists each file tried and why it was not used, in order.
	Tried []FontAttempt
	// Explicit is set when the caller named the font file.
	Explicit bool
}

// FontAttempt is one font file FindFont tried.
type FontAttempt struct {
	Path string
	Err  error
}

func (e *FontError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNoFont.Error())
	for i, a := range e.Tried {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.Err.Error())
	}
	if e.Explicit {
		b.WriteString("; pass a TrueType/OpenType font file (.ttf, .otf, .ttc) with Chinese glyphs to --font, or leave --font out to use an installed one (apt-get install fonts-wqy-microhei)")
	} else {
		b.WriteString("; install one (apt-get install fonts-wqy-microhei) or pass a TrueType/OpenType font file (.ttf, .otf, .ttc) with --font")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoFont) true.
func (e *FontError) Is(target error) bool { return target == ErrNoFont }

// probeRunes must all have glyphs for a font to count as Chinese: common seal
// characters plus the reference glyph used for text height.
const probeRunes = "国印章公司0"

var fontCache struct {
	sync.Mutex
	m map[string]*sfnt.Font
}

// FindFont returns a Chinese font and the file it came from. A non-empty path
// is the only file tried; otherwise FontSearchPath is searched. For a font
// collection (.ttc) the first font with Chinese glyphs is used, preferring a
// Simplified Chinese one. Parsed fonts are cached by path, and are safe for
// concurrent use.
func FindFont(path string) (*sfnt.Font, string, error) {
	paths := FontSearchPath
	if path != "" {
		paths = []string{path}
	}
	fe := &FontError{Explicit: path != ""}
	for _, p := range paths {
		f, err := loadFont(p)
		if err == nil {
			return f, p, nil
		}
		if path == "" && errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%s not found", p)
		}
		fe.Tried = append(fe.Tried, FontAttempt{Path: p, Err: err})
	}
	return nil, "", fe
}

func loadFont(path string) (*sfnt.Font, error) {
	fontCache.Lock()
	defer fontCache.Unlock()
	if f, ok := fontCache.m[path]; ok {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := parseChineseFont(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fontCache.m == nil {
		fontCache.m = make(map[string]*sfnt.Font)
	}
	fontCache.m[path] = f
	return f, nil
}

// parseChineseFont parses a font file or collection and picks a font that
// has glyphs for probeRunes.
func parseChineseFont(data []byte) (*sfnt.Font, error) {
	c, err := sfnt.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("not a TrueType/OpenType font: %w", err)
	}
	var b sfnt.Buffer
	var first *sfnt.Font
	var lastErr error
	for i := 0; i < c.NumFonts(); i++ {
		f, err := c.Font(i)
		if err != nil {
			// Perhaps only unaligned tables, as in wqy-microhei.ttc.
			single, rerr := realign(data, i)
			if rerr != nil {
				lastErr = err
				continue
			}
			if f, rerr = sfnt.Parse(single); rerr != nil {
				lastErr = err
				continue
			}
		}
		if err := checkGlyphs(f, &b); err != nil {
			lastErr = err
			continue
		}
		// Noto CJK collections hold JP, KR, SC, TC and HK fonts whose
		// ideographs differ in detail; a seal of a Chinese department wants SC.
		name, _ := f.Name(&b, sfnt.NameIDFull)
		if strings.Contains(name, " SC") {
			return f, nil
		}
		if first == nil {
			first = f
		}
	}
	if first != nil {
		return first, nil
	}
	if lastErr == nil {
		lastErr = errors.New("empty font collection")
	}
	return nil, lastErr
}

func checkGlyphs(f *sfnt.Font, b *sfnt.Buffer) error {
	for _, r := range probeRunes {
		x, err := f.GlyphIndex(b, r)
		if err != nil {
			return err
		}
		if x == 0 {
			return fmt.Errorf("font has no glyph for %q, so it is not a Chinese font", r)
		}
		// Reading an outline proves that sfnt can handle this font's
		// glyph format (TrueType or CFF) before it is chosen.
		if _, err := f.LoadGlyph(b, x, fixed.I(int(f.UnitsPerEm())), nil); err != nil {
			return fmt.Errorf("cannot read the outline of %q: %w", r, err)
		}
	}
	return nil
}

// outline is a glyph in font units, Y down, as float32 path segments.
type outline struct {
	segs    []pathSeg
	advance float32
	bounds  rect // ink bounds; empty for blank glyphs
}

type pathSeg struct {
	op   sfnt.SegmentOp
	args [3][2]float32
}

type rect struct{ minX, minY, maxX, maxY float32 }

func (r rect) empty() bool { return r.minX >= r.maxX || r.minY >= r.maxY }

func (r rect) union(s rect) rect {
	if r.empty() {
		return s
	}
	if s.empty() {
		return r
	}
	return rect{min(r.minX, s.minX), min(r.minY, s.minY), max(r.maxX, s.maxX), max(r.maxY, s.maxY)}
}

// loadOutline reads the outline of r in font units. A rune the font has no
// glyph for is an error: a seal must not silently drop characters.
func loadOutline(f *sfnt.Font, b *sfnt.Buffer, r rune) (outline, error) {
	x, err := f.GlyphIndex(b, r)
	if err != nil {
		return outline{}, err
	}
	if x == 0 {
		return outline{}, fmt.Errorf("the font has no glyph for %q", r)
	}
	// At ppem = unitsPerEm, sfnt's 26.6 results are font units times 64.
	ppem := fixed.I(int(f.UnitsPerEm()))
	adv, err := f.GlyphAdvance(b, x, ppem, font.HintingNone)
	if err != nil {
		return outline{}, err
	}
	segs, err := f.LoadGlyph(b, x, ppem, nil)
	if err != nil {
		return outline{}, fmt.Errorf("glyph for %q: %w", r, err)
	}
	o := outline{segs: make([]pathSeg, len(segs)), advance: float32(adv) / 64}
	first := true
	for i, s := range segs {
		o.segs[i].op = s.Op
		n := 1
		switch s.Op {
		case sfnt.SegmentOpQuadTo:
			n = 2
		case sfnt.SegmentOpCubeTo:
			n = 3
		}
		for j := 0; j < n; j++ {
			px, py := float32(s.Args[j].X)/64, float32(s.Args[j].Y)/64
			o.segs[i].args[j] = [2]float32{px, py}
			// Control points bound the curve; for the text box that is
			// close enough and never too small.
			if first {
				o.bounds = rect{px, py, px, py}
				first = false
			} else {
				o.bounds.minX, o.bounds.maxX = min(o.bounds.minX, px), max(o.bounds.maxX, px)
				o.bounds.minY, o.bounds.maxY = min(o.bounds.minY, py), max(o.bounds.maxY, py)
			}
		}
	}
	return o, nil
}

// pather receives a path; *vector.Rasterizer is one.
type pather interface {
	MoveTo(x, y float32)
	LineTo(x, y float32)
	QuadTo(bx, by, cx, cy float32)
	CubeTo(bx, by, cx, cy, dx, dy float32)
	ClosePath()
}

// affine maps (x, y) to (a*x + b*y + c, d*x + e*y + f).
type affine struct{ a, b, c, d, e, f float32 }

func (m affine) apply(p [2]float32) (float32, float32) {
	return m.a*p[0] + m.b*p[1] + m.c, m.d*p[0] + m.e*p[1] + m.f
}

// draw adds the outline, transformed by m, to z. Béziers stay Béziers under
// an affine map, so transforming the control points is exact.
func (o outline) draw(z pather, m affine) {
	open := false
	for _, s := range o.segs {
		switch s.op {
		case sfnt.SegmentOpMoveTo:
			if open {
				z.ClosePath()
			}
			z.MoveTo(m.apply(s.args[0]))
			open = true
		case sfnt.SegmentOpLineTo:
			z.LineTo(m.apply(s.args[0]))
		case sfnt.SegmentOpQuadTo:
			bx, by := m.apply(s.args[0])
			cx, cy := m.apply(s.args[1])
			z.QuadTo(bx, by, cx, cy)
		case sfnt.SegmentOpCubeTo:
			bx, by := m.apply(s.args[0])
			cx, cy := m.apply(s.args[1])
			dx, dy := m.apply(s.args[2])
			z.CubeTo(bx, by, cx, cy, dx, dy)
		}
	}
	if open {
		z.ClosePath()
	}
}
