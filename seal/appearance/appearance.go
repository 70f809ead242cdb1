// Package appearance draws the image of an electronic seal: the round red
// official seal (公章) of a Chinese department or company, with a ring, a
// five-pointed star, the organisation name along the upper arc, an optional
// seal name (合同专用章, 行政审批专用章, ...) below the star and an optional
// seal code along the lower arc. It also loads a user-supplied seal image and
// cuts a seal into strips for cross-page seals (骑缝章).
//
// The proportions follow the physical 42 mm seal of a state organ (ring about
// 1.2 mm, star 14 mm across, name in a band of about 5 mm); the image is
// square with a transparent background, so it can be laid over a page.
package appearance

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/vector"
)

// SealRed is the default ink colour (印泥红, #E60012).
var SealRed = color.NRGBA{R: 0xE6, G: 0x00, B: 0x12, A: 0xFF}

// Limits on Options.
const (
	// DefaultSizePx is 42 mm at about 360 dpi.
	DefaultSizePx = 600
	MinSizePx     = 64
	MaxSizePx     = 4096
	// MaxOrgRunes is the longest organisation name that still fits the
	// upper arc legibly.
	MaxOrgRunes  = 40
	MaxNameRunes = 16
	MaxCodeRunes = 24
)

// ErrInvalidOptions reports Options a seal cannot be drawn from; errors from
// Draw that match it say which field is wrong.
var ErrInvalidOptions = errors.New("appearance: invalid seal options")

// Options describe a round official seal.
type Options struct {
	// Org is the organisation name set along the upper arc, required.
	Org string
	// Name is the seal's name set straight below the star (合同专用章),
	// optional.
	Name string
	// Code is set in small Latin characters along the lower arc, for example
	// the 13-digit seal code; optional. Letters, digits and '-' only.
	Code string
	// SizePx is the width and height of the image; 0 means DefaultSizePx.
	SizePx int
	// Color is the ink; the zero value means SealRed.
	Color color.NRGBA
	// FontPath is a TrueType/OpenType font (or collection) with Chinese
	// glyphs; empty means search FontSearchPath.
	FontPath string
}

// Proportions of the seal, as fractions of the outer radius R of the ring.
const (
	ringWidth = 0.06 // 1.2-1.3 mm of a 21 mm radius

	starRadius = 0.31 // the star's tips, a 14 mm star on a 42 mm seal is 0.33

	orgOuter   = 0.885 // outer edge of the organisation name
	orgHeight  = 0.235 // height of a full ideograph (国) in the name
	orgMaxSX   = 0.9   // seal lettering is a little taller than wide
	orgMinSX   = 0.45  // narrowest glyphs before the text gets smaller
	orgMinH    = 0.10
	orgGapFrac = 0.14               // least gap between neighbours' feet, a share of their spacing
	orgMaxSlot = 45 * math.Pi / 180 // so a name of two to four characters is not strewn round the ring

	nameY     = 0.545 // centre of the seal name below the centre
	nameH     = 0.15
	nameMaxW  = 1.02
	nameMinSX = 0.5
	nameTrack = 0.06 // extra space between characters, times the height

	codeOuter    = 0.895 // outer edge (the digits' feet) of the code
	codeH        = 0.072
	codeTrack    = 0.22
	codeMaxAngle = 90 * math.Pi / 180
	codeMinSX    = 0.5

	// boldFrac is how far glyphs are emboldened, times the text height.
	boldFrac = 0.02
)

// orgSpan is the arc, in radians, that the organisation name occupies: about
// 215° for names up to five characters, opening to 250° for long ones, as on
// real seals. Names of four characters or fewer get at most orgMaxSlot each.
func orgSpan(n int) float64 {
	const lo, hi = 215.0, 250.0
	t := (float64(n) - 5) / 12
	t = min(max(t, 0), 1)
	return (lo + t*(hi-lo)) * math.Pi / 180
}

// Draw draws the round official seal that opts describe, with a transparent
// background.
func Draw(opts Options) (*image.NRGBA, error) {
	org, name, code, err := checkOptions(&opts)
	if err != nil {
		return nil, err
	}
	f, fontPath, err := FindFont(opts.FontPath)
	if err != nil {
		return nil, err
	}
	d := drawer{size: opts.SizePx, f: f}
	d.z = vector.NewRasterizer(d.size, d.size)
	d.cx = float64(d.size) / 2
	d.cy = d.cx
	// Leave a pixel or so outside the ring for its anti-aliased edge.
	d.r = float64(d.size)/2 - max(1, float64(d.size)*0.006)

	d.ring()
	d.star()
	if err := d.org(org); err != nil {
		return nil, fmt.Errorf("appearance: organisation name with font %s: %w", fontPath, err)
	}
	if err := d.name(name); err != nil {
		return nil, fmt.Errorf("appearance: seal name with font %s: %w", fontPath, err)
	}
	if err := d.code(code); err != nil {
		return nil, fmt.Errorf("appearance: seal code with font %s: %w", fontPath, err)
	}
	return d.paint(opts.Color), nil
}

// checkOptions fills defaults in and returns the texts to set.
func checkOptions(o *Options) (org, name, code []rune, err error) {
	if o.SizePx == 0 {
		o.SizePx = DefaultSizePx
	}
	if o.SizePx < MinSizePx || o.SizePx > MaxSizePx {
		return nil, nil, nil, fmt.Errorf("%w: size %d px is outside %d..%d", ErrInvalidOptions, o.SizePx, MinSizePx, MaxSizePx)
	}
	if o.Color == (color.NRGBA{}) {
		o.Color = SealRed
	} else if o.Color.A == 0 {
		return nil, nil, nil, fmt.Errorf("%w: colour %v is fully transparent", ErrInvalidOptions, o.Color)
	}
	if org, err = checkText("organisation name", o.Org, MaxOrgRunes); err != nil {
		return nil, nil, nil, err
	}
	if len(org) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: the organisation name is empty", ErrInvalidOptions)
	}
	if name, err = checkText("seal name", o.Name, MaxNameRunes); err != nil {
		return nil, nil, nil, err
	}
	if code, err = checkText("seal code", o.Code, MaxCodeRunes); err != nil {
		return nil, nil, nil, err
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-') {
			return nil, nil, nil, fmt.Errorf("%w: seal code %q: only letters, digits and '-' are allowed, not %q", ErrInvalidOptions, o.Code, r)
		}
	}
	return org, name, code, nil
}

func checkText(what, s string, maxRunes int) ([]rune, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidOptions, what)
	}
	s = strings.TrimSpace(s)
	rs := []rune(s)
	if len(rs) > maxRunes {
		return nil, fmt.Errorf("%w: %s %q has %d characters, at most %d fit on a seal", ErrInvalidOptions, what, s, len(rs), maxRunes)
	}
	for _, r := range rs {
		if !unicode.IsGraphic(r) {
			return nil, fmt.Errorf("%w: %s %q contains the control character %U", ErrInvalidOptions, what, s, r)
		}
	}
	return rs, nil
}

// drawer accumulates every shape of the seal in one rasterizer, so that the
// (size²) accumulation buffer is turned into pixels once.
type drawer struct {
	size   int
	cx, cy float64
	r      float64 // outer radius of the ring
	f      *sfnt.Font
	buf    sfnt.Buffer
	z      *vector.Rasterizer
}

// circle adds a circle as four cubic arcs, clockwise on screen or not. The
// rasterizer sums signed coverage, so a counter-clockwise circle inside a
// clockwise one cuts a hole.
func (d *drawer) circle(radius float64, clockwise bool) {
	const k = 0.5522847498 // cubic approximation of a quarter circle
	dir := 1.0
	if !clockwise {
		dir = -1
	}
	pt := func(a float64) (float64, float64) {
		return d.cx + radius*math.Cos(a), d.cy + radius*math.Sin(a)
	}
	x0, y0 := pt(0)
	d.z.MoveTo(float32(x0), float32(y0))
	for i := 0; i < 4; i++ {
		a0 := dir * float64(i) * math.Pi / 2
		a1 := dir * float64(i+1) * math.Pi / 2
		ax, ay := pt(a0)
		bx, by := pt(a1)
		// Tangents at a0 and a1, in the direction of travel.
		t0x, t0y := -math.Sin(a0)*dir, math.Cos(a0)*dir
		t1x, t1y := -math.Sin(a1)*dir, math.Cos(a1)*dir
		d.z.CubeTo(
			float32(ax+k*radius*t0x), float32(ay+k*radius*t0y),
			float32(bx-k*radius*t1x), float32(by-k*radius*t1y),
			float32(bx), float32(by))
	}
	d.z.ClosePath()
}

func (d *drawer) ring() {
	d.circle(d.r, true)
	d.circle(d.r*(1-ringWidth), false)
}

// star adds a regular five-pointed star, one tip straight up.
func (d *drawer) star() {
	outer := d.r * starRadius
	inner := outer * math.Sin(18*math.Pi/180) / math.Sin(54*math.Pi/180)
	for i := 0; i < 10; i++ {
		rad := outer
		if i%2 == 1 {
			rad = inner
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		x, y := float32(d.cx+rad*math.Cos(a)), float32(d.cy+rad*math.Sin(a))
		if i == 0 {
			d.z.MoveTo(x, y)
		} else {
			d.z.LineTo(x, y)
		}
	}
	d.z.ClosePath()
}

// text is a run of glyphs with the vertical box they are set in.
type text struct {
	glyphs []outline
	// box is the vertical extent (font units, Y down) that is scaled to the
	// text height: a reference glyph's joined with every glyph's, so that a
	// name of flat characters (一二三) is not blown up.
	top, bottom float32
	maxInkW     float32 // widest glyph ink, font units
}

func (d *drawer) load(rs []rune, ref rune) (text, error) {
	refO, err := loadOutline(d.f, &d.buf, ref)
	if err != nil {
		return text{}, err
	}
	box := refO.bounds
	t := text{glyphs: make([]outline, len(rs))}
	for i, r := range rs {
		o, err := loadOutline(d.f, &d.buf, r)
		if err != nil {
			return text{}, err
		}
		t.glyphs[i] = o
		box = box.union(o.bounds)
		if !o.bounds.empty() {
			t.maxInkW = max(t.maxInkW, o.bounds.maxX-o.bounds.minX)
		}
	}
	t.top, t.bottom = box.minY, box.maxY
	return t, nil
}

// place adds glyph o so that the middle of its advance and of the text box
// lands on (px, py), scaled by s (sx more horizontally) and turned by phi
// (clockwise on screen).
//
// Engraved seal lettering is heavier than a regular-weight screen font, so
// the glyph is also emboldened by bold pixels: drawn again shifted that far
// in eight directions. The rasterizer clips summed coverage at full, which
// makes the copies a union.
func (d *drawer) place(o outline, t text, px, py, s, sx, phi float64) {
	cos, sin := math.Cos(phi), math.Sin(phi)
	ax, ym := float64(o.advance)/2, float64(t.top+t.bottom)/2
	a, b := cos*s*sx, -sin*s
	dd, e := sin*s*sx, cos*s
	m := affine{
		a: float32(a), b: float32(b), c: float32(px - a*ax - b*ym),
		d: float32(dd), e: float32(e), f: float32(py - dd*ax - e*ym),
	}
	o.draw(d.z, m)
	bold := float64(t.bottom-t.top) * s * boldFrac
	if bold < 0.1 {
		return
	}
	// Narrowed glyphs are emboldened less across, or their strokes merge.
	bu := bold * min(1, sx)
	for i := 0; i < 8; i++ {
		q := float64(i) * math.Pi / 4
		ou, ov := bu*math.Cos(q), bold*math.Sin(q)
		mm := m
		mm.c += float32(ou*cos - ov*sin)
		mm.f += float32(ou*sin + ov*cos)
		o.draw(d.z, mm)
	}
}

// org sets the organisation name clockwise along the upper arc, each glyph
// upright with its foot towards the centre. Long names first get narrower
// glyphs, then smaller ones.
func (d *drawer) org(rs []rune) error {
	t, err := d.load(rs, '国')
	if err != nil {
		return err
	}
	n := len(rs)
	span := min(orgSpan(n), float64(n)*orgMaxSlot)
	slot := span / float64(n)
	boxH := float64(t.bottom - t.top)
	outer := d.r * orgOuter
	h := d.r * orgHeight
	var sx float64
	for {
		inner := outer - h
		s := h / boxH
		// Neighbours come closest at the feet, on the inner edge.
		fit := (1 - orgGapFrac) * 2 * inner * math.Sin(min(slot, math.Pi)/2)
		sx = min(orgMaxSX, fit/(float64(t.maxInkW)*s))
		if sx >= orgMinSX || h <= d.r*orgMinH {
			break
		}
		h *= 0.96
	}
	s := h / boxH
	rc := outer - h/2
	for i, o := range t.glyphs {
		theta := -span/2 + slot*(float64(i)+0.5)
		px, py := d.cx+rc*math.Sin(theta), d.cy-rc*math.Cos(theta)
		d.place(o, t, px, py, s, sx, theta)
	}
	return nil
}

// name sets the seal name on a straight line below the star.
func (d *drawer) name(rs []rune) error {
	if len(rs) == 0 {
		return nil
	}
	t, err := d.load(rs, '国')
	if err != nil {
		return err
	}
	boxH := float64(t.bottom - t.top)
	h := d.r * nameH
	maxW := d.r * nameMaxW
	width := func(h, sx float64) float64 {
		s := h / boxH
		w := 0.0
		for _, o := range t.glyphs {
			w += float64(o.advance) * s * sx
		}
		return w + float64(len(rs)-1)*nameTrack*h
	}
	sx := 1.0
	if w := width(h, 1); w > maxW {
		sx = max(nameMinSX, maxW/w)
		for width(h, sx) > maxW {
			h *= 0.96
		}
	}
	s := h / boxH
	x := d.cx - width(h, sx)/2
	y := d.cy + d.r*nameY
	for _, o := range t.glyphs {
		w := float64(o.advance) * s * sx
		d.place(o, t, x+w/2, y, s, sx, 0)
		x += w + nameTrack*h
	}
	return nil
}

// code sets the code along the lower arc, read left to right with the feet of
// the characters towards the ring.
func (d *drawer) code(rs []rune) error {
	if len(rs) == 0 {
		return nil
	}
	t, err := d.load(rs, '0')
	if err != nil {
		return err
	}
	boxH := float64(t.bottom - t.top)
	h := d.r * codeH
	var s, rc float64
	// pitches returns each character's share of the arc length and the
	// angle of the whole code.
	pitches := func(sx float64) ([]float64, float64) {
		p := make([]float64, len(t.glyphs))
		sum := 0.0
		for i, o := range t.glyphs {
			p[i] = float64(o.advance)*s*sx + codeTrack*h
			sum += p[i]
		}
		return p, sum / rc
	}
	var p []float64
	var span, sx float64
	for {
		s = h / boxH
		rc = d.r*codeOuter - h/2
		sx = 1
		p, span = pitches(sx)
		if span <= codeMaxAngle {
			break
		}
		// Narrow the characters, not the gaps between them, then, for a
		// very long code, make everything smaller.
		gaps := float64(len(rs)) * codeTrack * h / rc
		sx = max(codeMinSX, (codeMaxAngle-gaps)/(span-gaps))
		p, span = pitches(sx)
		if span <= codeMaxAngle*1.001 {
			break
		}
		h *= 0.96
	}
	theta := math.Pi + span/2
	for i, o := range t.glyphs {
		a := theta - p[i]/2/rc
		px, py := d.cx+rc*math.Sin(a), d.cy-rc*math.Cos(a)
		d.place(o, t, px, py, s, sx, a+math.Pi)
		theta -= p[i] / rc
	}
	return nil
}

// paint turns the accumulated coverage into ink: the ink's colour with the
// coverage as alpha. Untouched pixels are transparent black (0, 0, 0, 0), as
// image/draw makes them; keeping the ink's colour there as well would guard
// against dark fringes in viewers that resample without premultiplying, but
// makes PNG encoding some twenty times slower (compress/flate on the
// repeating pattern), so the PDF embedder is the place for that if needed.
func (d *drawer) paint(ink color.NRGBA) *image.NRGBA {
	mask := image.NewAlpha(image.Rect(0, 0, d.size, d.size))
	d.z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	img := image.NewNRGBA(mask.Rect)
	for i, a := range mask.Pix {
		if a == 0 {
			continue
		}
		p := img.Pix[4*i : 4*i+4 : 4*i+4]
		p[0], p[1], p[2] = ink.R, ink.G, ink.B
		p[3] = uint8((uint32(a)*uint32(ink.A) + 127) / 255)
	}
	return img
}

// Emblem draws the ring and the star only, without text, so it needs no
// font: the picture of last resort when no Chinese font is installed.
func Emblem(sizePx int, ink color.NRGBA) *image.NRGBA {
	if sizePx < MinSizePx || sizePx > MaxSizePx {
		sizePx = DefaultSizePx
	}
	if ink == (color.NRGBA{}) {
		ink = SealRed
	}
	d := drawer{size: sizePx}
	d.z = vector.NewRasterizer(d.size, d.size)
	d.cx = float64(d.size) / 2
	d.cy = d.cx
	d.r = float64(d.size)/2 - max(1, float64(d.size)*0.006)
	d.ring()
	d.star()
	return d.paint(ink)
}
