package render

// The watermark is drawn as hollow characters (空心字), the glyph outlines
// stroked, rather than as text. Text would be extracted with the face's
// text: pdftotext and a reader's copy and paste interleave a large rotated
// word with the lines it crosses, cutting field values apart. Outlines are
// read with golang.org/x/image/font/sfnt from the same TrueType font.

import (
	"math"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// outlineUnits is the ppem glyphs are loaded at: coordinates in 1/1000 em.
const outlineUnits = 1000

// glyphContours returns the contours of c's glyph, flattened to polygons,
// in 1/1000 em with Y down from the baseline, and its advance width.
func glyphContours(f *sfnt.Font, c rune) (contours [][]gopdf.Point, advance float64, err error) {
	var b sfnt.Buffer
	x, err := f.GlyphIndex(&b, c)
	if err != nil {
		return nil, 0, err
	}
	ppem := fixed.I(outlineUnits)
	adv, err := f.GlyphAdvance(&b, x, ppem, font.HintingNone)
	if err != nil {
		return nil, 0, err
	}
	segs, err := f.LoadGlyph(&b, x, ppem, nil)
	if err != nil {
		return nil, 0, err
	}
	pt := func(p fixed.Point26_6) gopdf.Point {
		return gopdf.Point{X: float64(p.X) / 64, Y: float64(p.Y) / 64}
	}
	var cur []gopdf.Point
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if len(cur) > 2 {
				contours = append(contours, cur)
			}
			cur = []gopdf.Point{pt(s.Args[0])}
		case sfnt.SegmentOpLineTo:
			cur = append(cur, pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			p0, p1, p2 := cur[len(cur)-1], pt(s.Args[0]), pt(s.Args[1])
			for i := 1; i <= 8; i++ {
				t := float64(i) / 8
				u := 1 - t
				cur = append(cur, gopdf.Point{
					X: u*u*p0.X + 2*u*t*p1.X + t*t*p2.X,
					Y: u*u*p0.Y + 2*u*t*p1.Y + t*t*p2.Y,
				})
			}
		case sfnt.SegmentOpCubeTo:
			p0, p1, p2, p3 := cur[len(cur)-1], pt(s.Args[0]), pt(s.Args[1]), pt(s.Args[2])
			for i := 1; i <= 10; i++ {
				t := float64(i) / 10
				u := 1 - t
				cur = append(cur, gopdf.Point{
					X: u*u*u*p0.X + 3*u*u*t*p1.X + 3*u*t*t*p2.X + t*t*t*p3.X,
					Y: u*u*u*p0.Y + 3*u*u*t*p1.Y + 3*u*t*t*p2.Y + t*t*t*p3.Y,
				})
			}
		}
	}
	if len(cur) > 2 {
		contours = append(contours, cur)
	}
	return contours, float64(adv) / 64, nil
}

// drawWatermark strokes the outlines of s, large and light, on a diagonal
// across the middle of the page, beneath everything else.
func (r *renderer) drawWatermark(s string) {
	gp := r.gp
	const angle = 30.0
	type glyph struct {
		contours [][]gopdf.Point
		advance  float64
	}
	var glyphs []glyph
	var width float64 // in 1/1000 em
	for _, c := range s {
		cs, adv, err := glyphContours(r.face.outlines, c)
		if err != nil {
			continue // checkGlyphs has vouched for every character
		}
		glyphs = append(glyphs, glyph{cs, adv})
		width += adv
	}
	if width == 0 {
		return
	}
	// 72 pt, or smaller to keep the word within 150 mm.
	size := math.Min(72*ptMM, 150/(width/outlineUnits)) // mm per em
	scale := size / outlineUnits
	cx, cy := pageW/2, pageH/2+5
	x := cx - width*scale/2
	base := cy + size*0.35

	a := r.accent
	tint := func(c uint8) uint8 { return uint8(255 - (255-float64(c))*0.3) }
	gp.SetStrokeColor(tint(a[0]), tint(a[1]), tint(a[2]))
	gp.SetLineWidth(0.25)
	gp.Rotate(angle, cx, cy)
	for _, g := range glyphs {
		for _, c := range g.contours {
			pts := make([]gopdf.Point, len(c))
			for i, p := range c {
				pts[i] = gopdf.Point{X: x + p.X*scale, Y: base + p.Y*scale}
			}
			gp.Polygon(pts, "D")
		}
		x += g.advance * scale
	}
	gp.RotateReset()
}
