// Package render draws an issued electronic license (电子证照) as an A4 PDF:
// the face of the certificate, as a holder would see it on paper, ready to
// be sealed.
//
// The page follows the layout of Chinese certificates such as the business
// licence (营业执照): a double border in the accent colour, the title large
// and centred, the license number top right, the face fields (照面信息) as a
// label/value table, a QR code for verification bottom left, and the issuing
// authority and date bottom right, where the issuer's seal is stamped over
// them afterwards (seal.Stamp at the Rect that Render returns). The GB/T
// 36904 identifier is printed small at the foot of the page.
//
// Text is set in an embedded subset of a Chinese TrueType font with a
// ToUnicode map, so the PDF's text can be searched and extracted. Long
// values wrap by measured width; when the fields do not fit the face, the
// type shrinks down to a floor, and what still does not fit continues on
// further pages. Nothing is ever drawn outside the page or silently left
// out: a character the font lacks and a QR text too long to scan at the
// printed size are errors.
package render

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/signintech/gopdf"
)

// Field is one line of the face (照面信息), e.g. {"名称", "某某科技有限公司"}.
type Field struct {
	Label, Value string
}

// Document is what is printed on a license.
type Document struct {
	Title      string    // e.g. 营业执照
	Subtitle   string    // under the title, e.g. (副本); optional
	Number     string    // 证照编号, printed top right; optional
	Fields     []Field   // the face, in order
	Issuer     string    // 颁发机构, printed bottom right above the date
	IssueDate  time.Time // printed as 2026年11月25日, in China Standard Time; the zero time prints no date
	QRText     string    // encoded into the QR code (a verification URL); empty prints no code
	QRCaption  string    // under the QR code, e.g. 扫码核验; optional
	Identifier string    // the GB/T 36904 identifier, printed small at the foot
	Watermark  string    // light diagonal text behind the face, e.g. 电子证照; optional
}

// Options come from the license type's template.
type Options struct {
	// FontPath is a TrueType font (.ttf, or a .ttc collection with TrueType
	// outlines) with Chinese glyphs. Empty means the first of
	// FontSearchPath that is installed.
	FontPath string
	// FontIndex selects the font in a collection; 0 is the first.
	FontIndex int
	// Border draws the decorative double border.
	Border bool
	// Accent colours the border and the title; nil means Chinese red.
	Accent color.Color
	// SealSize is the diameter, in mm, of the seal to be stamped; 0 means
	// 42 mm, the size of a government department's seal.
	SealSize float64
}

// Rect is an area of the first page in mm, from the page's bottom-left
// corner (PDF user space, scaled to mm).
type Rect struct {
	X, Y, W, H float64
}

// ErrMissingGlyph reports text with a character the font has no glyph for,
// typically a rare character in a name (生僻字). Render returns a
// *GlyphError that matches it.
var ErrMissingGlyph = errors.New("render: character missing from the font")

// GlyphError names the characters the font lacks and where they occur.
type GlyphError struct {
	Font  string // the font file
	Where string // e.g. field "名称"
	Runes []rune
}

func (e *GlyphError) Error() string {
	var b strings.Builder
	for i, r := range e.Runes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q (U+%04X)", r, r)
	}
	return fmt.Sprintf("%v: %s has no glyph for %s in %s; set Options.FontPath to a font that has them", ErrMissingGlyph, e.Font, b.String(), e.Where)
}

// Is makes errors.Is(err, ErrMissingGlyph) true.
func (e *GlyphError) Is(target error) bool { return target == ErrMissingGlyph }

// Page geometry, in mm from the top-left corner (gopdf's coordinates).
const (
	pageW, pageH = 210.0, 297.0
	ptMM         = 25.4 / 72

	contentL, contentR = 27.0, 183.0

	numberY    = 23.0  // baseline of the license number
	titleY     = 48.0  // baseline of the title
	subtitleY  = 60.0  // baseline of the subtitle
	fieldsTop  = 74.0  // top of the field table on the face
	fieldsBot  = 222.0 // bottom of the field table on the face
	contTop    = 50.0  // top of the field table on continuation pages
	contBot    = 268.0 // bottom of the field table on continuation pages
	qrTop      = 229.0 // top of the QR symbol
	issuerX    = 146.0 // centre of the issuer/date block
	issuerY    = 244.0 // baseline of the issuer
	dateY      = 253.0 // baseline of the date
	footY      = 279.5 // baseline of the identifier
	labelGap   = 7.0   // between the label and value columns
	minLabelEm = 4.0   // labels are spread to at least this many ems
	maxLabelEm = 8.0   // labels wider than this wrap

	maxLabelRunes = 32 // longer labels are refused: they would not fit a page
)

// slot is where a line of text goes: its type size, the smallest size it may
// shrink to, and its width in mm.
type slot struct{ size, floor, width float64 }

var (
	titleSlot    = slot{28, 8, contentR - contentL}
	contSlot     = slot{18, 8, contentR - contentL} // the title of continuation pages
	subtitleSlot = slot{14, 8, contentR - contentL}
	numberSlot   = slot{10, 6, contentR - contentL}
	identSlot    = slot{8, 5, contentR - contentL}
	issuerSlot   = slot{13, 10, 2 * (contentR - issuerX)} // wraps, up to maxIssuerLines
	captionSlot  = slot{9, 9, QRSize + 14}                // wraps, up to maxCaptionLines
)

const (
	maxIssuerLines  = 3
	maxCaptionLines = 4
)

// fieldSizes are the type sizes, in pt, tried in turn for the fields until
// they fit on the face; past the last, they continue on further pages.
var fieldSizes = []float64{14, 13, 12, 11.5, 11, 10.5, 10}

var chineseRed = color.RGBA{R: 0xC0, G: 0x1C, B: 0x24, A: 0xFF}

var cst = time.FixedZone("CST", 8*3600)

// Render draws doc as an A4 PDF and returns it with the place of the
// issuer's seal on the first page, centred over the issuer and date.
func Render(doc Document, opts Options) (pdf []byte, seal Rect, err error) {
	if strings.TrimSpace(doc.Title) == "" {
		return nil, Rect{}, errors.New("render: document has no title")
	}
	if err := checkText(doc); err != nil {
		return nil, Rect{}, err
	}
	var qr [][]bool
	if doc.QRText != "" {
		if qr, err = encodeQR(doc.QRText); err != nil {
			return nil, Rect{}, err
		}
	}
	f, err := findFace(opts.FontPath, opts.FontIndex)
	if err != nil {
		return nil, Rect{}, err
	}
	r, err := newRenderer(f, opts)
	if err != nil {
		return nil, Rect{}, err
	}
	if err := r.checkGlyphs(doc); err != nil {
		return nil, Rect{}, err
	}
	if doc.Watermark != "" && f.outlines == nil {
		return nil, Rect{}, fmt.Errorf("render: %s: cannot read glyph outlines for the watermark: %v", f.path, f.outlinesErr)
	}
	pages, l := r.layoutFields(doc.Fields)
	if err := r.checkFits(doc, len(pages)); err != nil {
		return nil, Rect{}, err
	}
	seal = r.draw(doc, pages, l, qr)
	out, err := r.gp.GetBytesPdfReturnErr()
	if err != nil {
		return nil, Rect{}, fmt.Errorf("render: writing the PDF: %w", err)
	}
	return out, seal, nil
}

// checkText refuses text that cannot be printed faithfully.
func checkText(doc Document) error {
	for _, t := range doc.texts() {
		if !utf8.ValidString(t.s) {
			return fmt.Errorf("render: %s is not valid UTF-8", t.where)
		}
		for _, r := range t.s {
			if t.multiline && (r == '\n' || r == '\r' || r == '\t') {
				continue
			}
			if unicode.IsControl(r) {
				return fmt.Errorf("render: %s has the control character U+%04X", t.where, r)
			}
		}
	}
	for _, f := range doc.Fields {
		if n := utf8.RuneCountInString(f.Label); n > maxLabelRunes {
			return fmt.Errorf("render: the label %q has %d characters; a label has at most %d", f.Label, n, maxLabelRunes)
		}
	}
	return nil
}

// text is a piece of a Document; multiline ones are wrapped and may hold
// line breaks.
type text struct {
	where, s  string
	multiline bool
}

func (doc Document) texts() []text {
	t := []text{
		{"the title", doc.Title, false}, {"the subtitle", doc.Subtitle, false},
		{"the number", doc.Number, false}, {"the issuer", doc.Issuer, true},
		{"the QR caption", doc.QRCaption, true}, {"the identifier", doc.Identifier, false},
		{"the watermark", doc.Watermark, false},
	}
	for _, f := range doc.Fields {
		t = append(t, text{fmt.Sprintf("the label %q", f.Label), f.Label, false},
			text{fmt.Sprintf("field %q", f.Label), f.Value, true})
	}
	return t
}

type renderer struct {
	gp     *gopdf.GoPdf
	face   *face
	accent [3]uint8
	opts   Options
	size   float64          // the current type size, pt
	adv    map[rune]float64 // advance widths in mm at 1 pt
}

func newRenderer(f *face, opts Options) (*renderer, error) {
	gp := new(gopdf.GoPdf)
	gp.Start(gopdf.Config{Unit: gopdf.UnitMM, PageSize: *gopdf.PageSizeA4})
	if err := gp.AddTTFFontFromFontContainer(f.family, f.fonts); err != nil {
		return nil, fmt.Errorf("render: %s: %w", f.path, err)
	}
	r := &renderer{gp: gp, face: f, opts: opts, adv: map[rune]float64{}}
	a := opts.Accent
	if a == nil {
		a = chineseRed
	}
	cr, cg, cb, _ := a.RGBA()
	r.accent = [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)}
	if r.opts.SealSize <= 0 {
		r.opts.SealSize = 42
	}
	r.setFont(12)
	return r, nil
}

func (r *renderer) checkGlyphs(doc Document) error {
	for _, t := range doc.texts() {
		var missing []rune
		for _, c := range t.s {
			if c == '\n' || c == '\r' || c == '\t' || c == ' ' || slices.Contains(missing, c) {
				continue
			}
			if ok, err := r.gp.IsCurrFontContainGlyph(c); err != nil || !ok {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return &GlyphError{Font: r.face.path, Where: t.where, Runes: missing}
		}
	}
	return nil
}

// setFont sets the type size in pt. The font is always the one face.
func (r *renderer) setFont(size float64) {
	// SetFont fails only for a family that was not added.
	_ = r.gp.SetFont(r.face.family, "", size)
	r.size = size
}

// advance returns the advance width of c in mm at size pt. It must not be
// called while a character spacing is set: gopdf's measure includes it.
func (r *renderer) advance(c rune, size float64) float64 {
	w, ok := r.adv[c]
	if !ok {
		cur := r.size
		r.setFont(100)
		m, err := r.gp.MeasureTextWidth(string(c))
		if err != nil {
			m = 0
		}
		r.setFont(cur)
		w = m / 100
		r.adv[c] = w
	}
	return w * size
}

func (r *renderer) width(s string, size float64) float64 {
	var w float64
	for _, c := range s {
		w += r.advance(c, size)
	}
	return w
}

// ErrTooLong reports text that does not fit its place on the page even at
// the smallest type size allowed there.
var ErrTooLong = errors.New("render: text too long for its place")

// checkFits makes sure that every line outside the field table fits its
// place, so that drawing never has to overflow.
func (r *renderer) checkFits(doc Document, pages int) error {
	one := func(what, s string, sl slot) error {
		if w := r.width(s, sl.floor); w > sl.width {
			return fmt.Errorf("%w: %s is %.0f mm wide at %g pt, and has %.0f mm", ErrTooLong, what, w, sl.floor, sl.width)
		}
		return nil
	}
	wrapped := func(what, s string, sl slot, max int) error {
		if n := len(breakLines(s, sl.width, func(c rune) float64 { return r.advance(c, sl.floor) })); n > max {
			return fmt.Errorf("%w: %s takes %d lines at %g pt, and has %d", ErrTooLong, what, n, sl.floor, max)
		}
		return nil
	}
	errs := []error{
		one("the title", doc.Title, titleSlot),
		one("the subtitle", doc.Subtitle, subtitleSlot),
		one("the number", numberLine(doc.Number), numberSlot),
		one("the identifier", identLine(doc.Identifier), identSlot),
		wrapped("the issuer", doc.Issuer, issuerSlot, maxIssuerLines),
		wrapped("the QR caption", doc.QRCaption, captionSlot, maxCaptionLines),
	}
	if pages > 1 {
		errs = append(errs, one("the title of continuation pages", contTitle(doc.Title), contSlot))
	}
	return errors.Join(errs...)
}

func numberLine(n string) string    { return "证照编号：" + n }
func identLine(id string) string    { return "证照标识：" + id }
func contTitle(title string) string { return title + "（续页）" }

// fitSlot returns the type size for s in sl: sl.size, or smaller so that s
// fits sl.width, but not below sl.floor.
func (r *renderer) fitSlot(s string, sl slot) float64 {
	size := sl.size
	if w := r.width(s, size); w > sl.width {
		size = math.Max(sl.floor, math.Floor(size*sl.width/w*10)/10)
	}
	return size
}

// row is one field laid out: label lines and value lines, top aligned.
type row struct {
	label []labelLine
	value []line
}

type labelLine struct {
	s      string
	spread float64 // width to spread the characters over; 0 sets them plain
}

// layout is the field table at one type size.
type layout struct {
	size      float64
	lineH     float64 // baseline to baseline, mm
	rowGap    float64 // extra space between fields, mm
	labelW    float64 // label column width, mm
	rows      []row
	valueLeft float64
	offset    float64 // from the top of the field area to the table, mm
}

func (r *renderer) layoutAt(fields []Field, size float64) layout {
	l := layout{size: size, lineH: size * ptMM * 1.6, rowGap: size * ptMM * 0.55}
	em := size * ptMM
	for _, f := range fields {
		l.labelW = math.Max(l.labelW, r.width(f.Label, size))
	}
	l.labelW = math.Min(math.Max(l.labelW, minLabelEm*em), maxLabelEm*em)
	// Labels are spread to a common width, as on paper licences (名　　称
	// over 法定代表人): the widest label of up to six characters. Longer
	// ones (统一社会信用代码) are set plain in the wider column.
	spread := minLabelEm * em
	for _, f := range fields {
		if w := r.width(strings.TrimSpace(f.Label), size); w <= 6*em+0.01 {
			spread = math.Max(spread, w)
		}
	}
	l.valueLeft = contentL + l.labelW + labelGap
	valueW := contentR - l.valueLeft
	for _, f := range fields {
		var rw row
		label := strings.TrimSpace(f.Label)
		if r.width(label, size) <= spread && utf8.RuneCountInString(label) > 1 && !strings.ContainsAny(label, " \n") {
			rw.label = []labelLine{{s: label, spread: spread}}
		} else {
			for _, s := range breakLines(label, l.labelW, func(c rune) float64 { return r.advance(c, size) }) {
				rw.label = append(rw.label, labelLine{s: s})
			}
		}
		rw.value = breakText(strings.TrimSpace(f.Value), valueW, func(c rune) float64 { return r.advance(c, size) })
		l.rows = append(l.rows, rw)
	}
	return l
}

func (l layout) height() float64 {
	var h float64
	for i, rw := range l.rows {
		if i > 0 {
			h += l.rowGap
		}
		h += float64(max(len(rw.label), len(rw.value))) * l.lineH
	}
	return h
}

// layoutFields picks the largest type size at which the fields fit the face,
// or else splits them over pages at the smallest, line by line: a field may
// break across pages, its label repeated on the next.
func (r *renderer) layoutFields(fields []Field) ([][]row, layout) {
	var l layout
	for _, size := range fieldSizes {
		l = r.layoutAt(fields, size)
		if h := l.height(); h <= fieldsBot-fieldsTop {
			// A short table is spaced out and moved down a little, so that
			// the face does not look top-heavy.
			spare := fieldsBot - fieldsTop - h
			if n := len(l.rows); n > 1 {
				l.rowGap += math.Min(spare*0.5/float64(n-1), l.lineH*0.5)
			}
			l.offset = math.Min((fieldsBot-fieldsTop-l.height())*0.3, 18)
			return [][]row{l.rows}, l
		}
	}
	var pages [][]row
	var cur []row
	avail, used := fieldsBot-fieldsTop, 0.0
	for _, rw := range l.rows {
		for {
			gap := 0.0
			if len(cur) > 0 {
				gap = l.rowGap
			}
			free := int(math.Floor((avail - used - gap + 1e-9) / l.lineH))
			need := max(len(rw.label), len(rw.value))
			if need <= free {
				cur = append(cur, rw)
				used += gap + float64(need)*l.lineH
				break
			}
			// Split the value if two lines of it fit here, or if the page is
			// empty (a field longer than a page). Labels are short enough
			// (maxLabelRunes) to fit any page.
			if free >= max(2, len(rw.label)) || len(cur) == 0 && free >= len(rw.label) {
				cur = append(cur, row{label: rw.label, value: rw.value[:free]})
				rw.value = rw.value[free:]
			}
			pages = append(pages, cur)
			cur = nil
			avail, used = contBot-contTop, 0
		}
	}
	if len(cur) > 0 || len(pages) == 0 {
		pages = append(pages, cur)
	}
	return pages, l
}

// draw draws every page and returns the seal's place on the first.
func (r *renderer) draw(doc Document, pages [][]row, l layout, qr [][]bool) Rect {
	gp := r.gp
	gp.SetInfo(gopdf.PdfInfo{Title: doc.Title, Subject: doc.Identifier, Creator: "eseal license/render"})
	var seal Rect
	for i, rows := range pages {
		gp.AddPage()
		r.drawFrame(doc, i == 0)
		top := fieldsTop + l.offset
		if i > 0 {
			top = contTop
		} else {
			seal = r.drawFoot(doc, qr)
		}
		r.drawRows(rows, l, top)
		if len(pages) > 1 {
			r.setFont(9)
			gp.SetTextColor(90, 90, 90)
			s := fmt.Sprintf("第%d页 共%d页", i+1, len(pages))
			r.text(s, contentR-r.width(s, 9), footY-5.5)
		}
	}
	return seal
}

// drawFrame draws what every page has: watermark, border, number, title,
// identifier.
func (r *renderer) drawFrame(doc Document, face bool) {
	gp := r.gp
	if doc.Watermark != "" {
		r.drawWatermark(doc.Watermark)
	}
	if r.opts.Border {
		r.drawBorder()
	}
	if doc.Number != "" {
		s := numberLine(doc.Number)
		size := r.fitSlot(s, numberSlot)
		r.setFont(size)
		gp.SetTextColor(40, 40, 40)
		r.text(s, contentR-r.width(s, size), numberY)
	}
	if face {
		r.drawTitle(doc.Title, titleSlot, titleY)
		if doc.Subtitle != "" {
			size := r.fitSlot(doc.Subtitle, subtitleSlot)
			r.setFont(size)
			gp.SetTextColor(20, 20, 20)
			r.centred(doc.Subtitle, pageW/2, subtitleY, size)
		}
	} else {
		r.drawTitle(contTitle(doc.Title), contSlot, contTop-14)
	}
	if doc.Identifier != "" {
		s := identLine(doc.Identifier)
		size := r.fitSlot(s, identSlot)
		r.setFont(size)
		gp.SetTextColor(70, 70, 70)
		r.centred(s, pageW/2, footY, size)
	}
}

// drawTitle sets the title centred, letter-spaced when short, as
// certificate titles are (营 业 执 照).
func (r *renderer) drawTitle(title string, sl slot, y float64) {
	size := sl.size
	n := utf8.RuneCountInString(title)
	track := 0.0 // extra space after each character, in ems
	switch {
	case n <= 4:
		track = 0.6
	case n <= 6:
		track = 0.35
	case n <= 10:
		track = 0.15
	}
	w := func() float64 { return r.width(title, size) + track*size*ptMM*float64(n-1) }
	for w() > sl.width && track > 0 {
		track = math.Max(0, track-0.05)
	}
	if w() > sl.width {
		size = r.fitSlot(title, sl)
	}
	r.setFont(size)
	r.gp.SetTextColor(r.accent[0], r.accent[1], r.accent[2])
	x := pageW/2 - w()/2
	for _, c := range title {
		r.text(string(c), x, y)
		x += r.advance(c, size) + track*size*ptMM
	}
}

func (r *renderer) drawRows(rows []row, l layout, top float64) {
	gp := r.gp
	r.setFont(l.size)
	ascent := l.size * ptMM * 0.88
	y := top + ascent
	for i, rw := range rows {
		if i > 0 {
			y += l.rowGap
		}
		gp.SetTextColor(25, 25, 25)
		for j, ll := range rw.label {
			r.spreadText(ll, contentL, y+float64(j)*l.lineH, l.size)
		}
		gp.SetTextColor(0, 0, 0)
		for j, v := range rw.value {
			r.justified(v, l.valueLeft, y+float64(j)*l.lineH, contentR-l.valueLeft, l.size)
		}
		y += float64(max(len(rw.label), len(rw.value))) * l.lineH
	}
}

// justified sets a line of a value. Lines that a paragraph was broken into
// are justified to the full width, as Chinese text is set, by spacing the
// characters evenly; the last line of a paragraph is set plain.
func (r *renderer) justified(v line, x, y, width, size float64) {
	n := utf8.RuneCountInString(v.s)
	slack := width - r.width(v.s, size)
	if v.last || n < 2 || slack <= 0 || slack > 2*size*ptMM {
		r.text(v.s, x, y)
		return
	}
	// gopdf takes the spacing (Tc) in the document unit, mm.
	_ = r.gp.SetCharSpacing(slack / float64(n-1))
	r.text(v.s, x, y)
	_ = r.gp.SetCharSpacing(0)
}

// spreadText sets a label, its characters spread evenly over ll.spread
// with character spacing (Tc). The label is one run of text, so that text
// extraction in content order (pdftotext -raw, copy and paste) keeps it
// together; pdftotext's default layout analysis takes characters more than
// about an em apart for separate columns, and splits 姓　　名.
func (r *renderer) spreadText(ll labelLine, x, y, size float64) {
	n := utf8.RuneCountInString(ll.s)
	if ll.spread == 0 || n < 2 {
		r.text(ll.s, x, y)
		return
	}
	_ = r.gp.SetCharSpacing((ll.spread - r.width(ll.s, size)) / float64(n-1))
	r.text(ll.s, x, y)
	_ = r.gp.SetCharSpacing(0)
}

// drawFoot draws the QR code and the issuer block of the face and returns
// the seal's place.
func (r *renderer) drawFoot(doc Document, qr [][]bool) Rect {
	gp := r.gp
	qrLeft := contentL + 2
	if qr != nil {
		drawQR(gp, qr, qrLeft, qrTop, QRSize)
		if doc.QRCaption != "" {
			sl := captionSlot
			r.setFont(sl.size)
			gp.SetTextColor(40, 40, 40)
			lh := sl.size * ptMM * 1.35
			for i, s := range breakLines(doc.QRCaption, sl.width, func(c rune) float64 { return r.advance(c, sl.size) }) {
				r.centred(s, qrLeft+QRSize/2, qrTop+QRSize+5.5+float64(i)*lh, sl.size)
			}
		}
	}
	// The issuer and date, centred on one axis; a long issuer name shrinks,
	// then wraps upwards.
	gp.SetTextColor(0, 0, 0)
	if doc.Issuer != "" {
		sl := issuerSlot
		size := r.fitSlot(doc.Issuer, sl)
		lines := breakLines(doc.Issuer, sl.width, func(c rune) float64 { return r.advance(c, size) })
		r.setFont(size)
		lh := size * ptMM * 1.4
		for i, s := range lines {
			r.centred(s, issuerX, issuerY-float64(len(lines)-1-i)*lh, size)
		}
	}
	if !doc.IssueDate.IsZero() {
		d := doc.IssueDate.In(cst)
		s := fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
		r.setFont(12)
		r.centred(s, issuerX, dateY, 12)
	}
	// The seal covers the issuer's name and the date, its centre between
	// them, as a seal is stamped on paper (骑年盖月).
	d := r.opts.SealSize
	cy := (issuerY+dateY)/2 - 1.5
	return Rect{X: issuerX - d/2, Y: pageH - (cy + d/2), W: d, H: d}
}

// drawBorder draws the double border in the accent colour: a heavy outer
// rule, a fine inner rule, and a band of small lozenges between them, with
// square corner pieces, after the guilloché frames of paper certificates.
func (r *renderer) drawBorder() {
	gp := r.gp
	a := r.accent
	gp.SetStrokeColor(a[0], a[1], a[2])
	gp.SetFillColor(a[0], a[1], a[2])
	const outer, inner = 9.0, 13.0
	gp.SetLineWidth(0.9)
	gp.RectFromUpperLeft(outer, outer, pageW-2*outer, pageH-2*outer)
	gp.SetLineWidth(0.3)
	gp.RectFromUpperLeft(inner, inner, pageW-2*inner, pageH-2*inner)
	gp.RectFromUpperLeft(inner+1.2, inner+1.2, pageW-2*inner-2.4, pageH-2*inner-2.4)
	// Lozenges along the band, spaced evenly on each side.
	mid := (outer + inner) / 2
	band := func(x0, y0, x1, y1 float64) {
		length := math.Hypot(x1-x0, y1-y0)
		n := int(length / 5)
		for i := 0; i <= n; i++ {
			t := float64(i) / float64(n)
			x, y := x0+(x1-x0)*t, y0+(y1-y0)*t
			gp.Polygon([]gopdf.Point{{X: x - 1.1, Y: y}, {X: x, Y: y - 1.1}, {X: x + 1.1, Y: y}, {X: x, Y: y + 1.1}}, "F")
		}
	}
	c := inner - outer + 2 // corner piece size
	band(outer+c, mid, pageW-outer-c, mid)
	band(outer+c, pageH-mid, pageW-outer-c, pageH-mid)
	band(mid, outer+c, mid, pageH-outer-c)
	band(pageW-mid, outer+c, pageW-mid, pageH-outer-c)
	for _, p := range [][2]float64{{outer, outer}, {pageW - outer - c, outer}, {outer, pageH - outer - c}, {pageW - outer - c, pageH - outer - c}} {
		gp.SetFillColor(255, 255, 255)
		gp.RectFromUpperLeftWithStyle(p[0], p[1], c, c, "FD")
		gp.SetFillColor(a[0], a[1], a[2])
		gp.RectFromUpperLeftWithStyle(p[0]+c/2-1.4, p[1]+c/2-1.4, 2.8, 2.8, "F")
	}
	gp.SetLineWidth(0.2)
}

func (r *renderer) centred(s string, cx, y, size float64) {
	r.text(s, cx-r.width(s, size)/2, y)
}

// text sets s with its baseline at y. The font and colour are the current
// ones.
func (r *renderer) text(s string, x, y float64) {
	r.gp.SetXY(x, y)
	// Text fails only for characters that checkGlyphs let through.
	_ = r.gp.Text(s)
}
