package appearance

// Font discovery and glyph outlines. Seal text is set glyph by glyph, each
// glyph rotated to follow the ring, so glyphs are read as outlines
// (sfnt.LoadGlyph) and rasterised by the caller rather than drawn with
// font.Drawer, which cannot rotate.

import (
	"errors"
	"fmt"

	"github.com/eseal-project/eseal/internal/cjkfont"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// ErrNoFont reports that no usable Chinese font was found. Errors returned by
// FindFont and Draw match it with errors.Is; their text names the Debian
// package to install and the option that takes a font file.
var ErrNoFont = errors.New("appearance: no usable Chinese font")

// need allows CFF outlines: glyphs are read with golang.org/x/image/font/sfnt,
// which reads them as well as TrueType ones.
var need = cjkfont.Need{Err: ErrNoFont, Option: "--font"}

// FontSearchPath lists, in order, the font files FindFont tries when no path
// is given: Debian's fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk
// (CFF outlines, which sfnt reads too), fonts-arphic-uming and
// fonts-droid-fallback.
var FontSearchPath = need.SearchPath()

// FontError is the error for a font that is missing or unusable. It matches
// ErrNoFont.
type FontError = cjkfont.Error

// FontAttempt is one font file FindFont tried.
type FontAttempt = cjkfont.Attempt

// probeRunes must all have glyphs for a font to count as Chinese: common seal
// characters plus the reference glyph used for text height.
const probeRunes = "国印章公司0"

var fonts = cjkfont.Finder[*sfnt.Font]{Need: need, Load: parseChineseFont}

// FindFont returns a Chinese font and the file it came from. A non-empty path
// is the only file tried; otherwise FontSearchPath is searched. For a font
// collection (.ttc) the first font with Chinese glyphs is used, preferring a
// Simplified Chinese one. Parsed fonts are cached by file, read again when
// the file changes, and are safe for concurrent use.
func FindFont(path string) (*sfnt.Font, string, error) {
	return fonts.FindAny(path, FontSearchPath)
}

// parseChineseFont parses one font and checks that it has glyphs for
// probeRunes.
func parseChineseFont(_ string, _ int, data []byte) (*sfnt.Font, error) {
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	if err := checkGlyphs(f, new(sfnt.Buffer)); err != nil {
		return nil, err
	}
	return f, nil
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
