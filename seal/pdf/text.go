// Text on a page and where it lies, so that a seal can be placed at an
// anchor such as "（盖章）". This is a content stream interpreter that
// follows only what moves text: the graphics state and its CTM (ISO
// 32000-1:2008 8.4), form XObjects (8.10), text state, text objects and the
// text-showing operators (9.3, 9.4), and glyph widths (9.2.4, 9.6.3, 9.7.4.3).
// Shown strings become Unicode through ToUnicode CMaps, predefined CMaps and
// simple-font encodings (9.10, 9.7.5, 9.6.6, Annex D).

package pdf

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	corefont "github.com/pdfcpu/pdfcpu/pkg/font"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Limits on page content, which is as hostile as any other input. A page
// and the forms it draws share them.
const (
	maxContentOps    = 5_000_000  // operators
	maxContentTokens = 50_000_000 // operands and operators
	maxGlyphs        = 1_000_000
	maxContentBytes  = 256 << 20 // decoded content, forms, CMaps and font programs read
	maxOperands      = 64        // operands kept for one operator
	maxArrayLen      = 1 << 16   // items kept in one array or dictionary
	maxNesting       = 16        // arrays and dictionaries in content
	maxSaveDepth     = 256       // q without Q
	maxFormDepth     = 16        // forms drawing forms
	maxCMapEntries   = 1 << 17   // mappings kept from one CMap or /W array
)

// TextRun is a piece of text shown by one text-showing operator, with its
// origin and size in the page's default user space (which /Rotate does not
// turn). X, Y is the origin of the first glyph on the baseline (raised by
// the text rise); Width is the length of the run's advance along the
// baseline and Height the font size, both scaled by the text matrix and the
// CTM. Text set at an angle keeps the angle out of Width and Height.
type TextRun struct {
	Text          string
	X, Y          float64
	Width, Height float64
}

// PageText interprets the page's content streams, and the form XObjects they
// draw, and returns the text they show in content order. Malformed content
// is read as far as it makes sense, the way viewers read it, and a broken
// font or form only loses its text or its positions. A content stream that
// cannot be decoded is an error (ErrBroken), and so is content beyond the
// limits on operators, glyphs and decoded bytes; then the runs found up to
// the limit come with the error.
func (r *Reader) PageText(page Page) ([]TextRun, error) {
	runs, err := r.pageRuns(page)
	out := make([]TextRun, 0, len(runs))
	for i := range runs {
		out = append(out, runs[i].textRun())
	}
	return out, err
}

// FindText returns the user-space centre of the first occurrence of needle
// on the page: of the box around its glyphs, from the font's descent to its
// ascent. Runs that follow each other on one line are searched as one, and
// whitespace is ignored in both the needle and the page, so "Seal here:"
// matches "Seal" and "here:" shown apart, and "（盖章）" matches "（盖" "章）".
// ok is false if the page does not show the needle.
func (r *Reader) FindText(page Page, needle string) (x, y float64, ok bool, err error) {
	box, ok, err := r.findText(page, needle)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, true, nil
}

// findText returns the user-space box [llx lly urx ury] of the first
// occurrence of needle.
func (r *Reader) findText(page Page, needle string) ([4]float64, bool, error) {
	want := stripSpace(needle)
	if len(want) == 0 {
		return [4]float64{}, false, nil
	}
	runs, err := r.pageRuns(page)
	if err != nil {
		return [4]float64{}, false, err
	}
	box, ok := findInRuns(runs, want)
	return box, ok, nil
}

func stripSpace(s string) []rune {
	var out []rune
	for _, c := range s {
		if !unicode.IsSpace(c) {
			out = append(out, c)
		}
	}
	return out
}

func (r *Reader) pageRuns(page Page) ([]run, error) {
	data, err := r.pageContent(page)
	if err != nil {
		return nil, err
	}
	res, err := r.Dict(page.Resources)
	if err != nil {
		return nil, fmt.Errorf("page %v: /Resources: %w", page.Ref, err)
	}
	in := newInterp(r)
	in.bytes = len(data)
	in.content(data, res, 0)
	if in.err != nil {
		return in.runs, broken("page %v: %v", page.Ref, in.err)
	}
	return in.runs, nil
}

// pageContent returns the page's content streams decoded and joined with
// a newline between them (7.8.2: the division may fall inside a token's
// neighbourhood but not inside a token).
func (r *Reader) pageContent(page Page) ([]byte, error) {
	c, err := r.Resolve(page.Dict["Contents"])
	if err != nil {
		return nil, fmt.Errorf("page %v: /Contents: %w", page.Ref, err)
	}
	var parts []types.Object
	switch v := c.(type) {
	case Stream:
		parts = []types.Object{page.Dict["Contents"]}
	case types.Array:
		parts = v
	}
	var buf []byte
	for _, p := range parts {
		o, err := r.Resolve(p)
		if err != nil {
			return nil, fmt.Errorf("page %v: content stream %v: %w", page.Ref, p, err)
		}
		s, ok := o.(Stream)
		if !ok {
			continue
		}
		d, err := r.Decode(s)
		if err != nil {
			return nil, broken("page %v: content stream %v: %v", page.Ref, p, err)
		}
		if len(buf)+len(d) > maxContentBytes {
			return nil, broken("page %v: content streams longer than %d bytes", page.Ref, maxContentBytes)
		}
		buf = append(buf, d...)
		buf = append(buf, '\n')
	}
	return buf, nil
}

// matrix is a transformation [a b c d e f] (8.3.3), applied to row vectors.
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n: first m, then n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

// linear applies m without its translation.
func (m matrix) linear(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2], x*m[1] + y*m[3]
}

func (m matrix) inverse() (matrix, bool) {
	det := m[0]*m[3] - m[1]*m[2]
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return matrix{}, false
	}
	a, b, c, d := m[3]/det, -m[1]/det, -m[2]/det, m[0]/det
	return matrix{a, b, c, d, -(m[4]*a + m[5]*c), -(m[4]*b + m[5]*d)}, true
}

// run is the text of one showing operator with a box for each character in
// the text space the run started in (text space scaled by the font size is
// glyph space; this is text space itself, before Tm).
type run struct {
	m        matrix // text space at the start of the run to user space: Tm × CTM
	rise     float64
	size     float64
	vertical bool
	ex, ey   float64 // where the run ended, in its text space
	chars    []char
}

type char struct {
	r              rune
	x0, y0, x1, y1 float64
}

func (ru *run) textRun() TextRun {
	rs := make([]rune, len(ru.chars))
	for i, c := range ru.chars {
		rs[i] = c.r
	}
	x, y := ru.m.apply(0, ru.rise)
	wx, wy := ru.m.linear(ru.ex, ru.ey)
	hx, hy := ru.m.linear(0, ru.size)
	return TextRun{Text: string(rs), X: x, Y: y, Width: math.Hypot(wx, wy), Height: math.Hypot(hx, hy)}
}

// add records the text of one glyph, splitting the glyph's box among its
// characters along the advance (ligatures, multi-character mappings).
func (ru *run) add(s string, r rune, x0, x1, y0, y1 float64) {
	if s == "" {
		if r <= 0 {
			return
		}
		ru.chars = append(ru.chars, char{r, x0, y0, x1, y1})
		return
	}
	n := utf8.RuneCountInString(s)
	i := 0
	for _, c := range s {
		f0, f1 := float64(i)/float64(n), float64(i+1)/float64(n)
		if ru.vertical {
			ru.chars = append(ru.chars, char{c, x0, y1 + (y0-y1)*f1, x1, y1 + (y0-y1)*f0})
		} else {
			ru.chars = append(ru.chars, char{c, x0 + (x1-x0)*f0, y0, x0 + (x1-x0)*f1, y1})
		}
		i++
	}
}

// userBox is the bounding box in user space of a character's box.
func (ru *run) userBox(c char) [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range [4][2]float64{{c.x0, c.y0}, {c.x1, c.y0}, {c.x0, c.y1}, {c.x1, c.y1}} {
		x, y := ru.m.apply(p[0], p[1])
		b[0], b[1], b[2], b[3] = min(b[0], x), min(b[1], y), max(b[2], x), max(b[3], y)
	}
	return b
}

// direction is the unit vector in user space along which the run advances.
func (ru *run) direction() (float64, float64) {
	x, y := ru.m.linear(1, 0)
	if ru.vertical {
		x, y = ru.m.linear(0, -1)
	}
	l := math.Hypot(x, y)
	return x / l, y / l
}

// continues reports whether b, shown right after a, carries on a's line:
// it advances the same way, starts on a's baseline and not far from where a
// ended (a gap up to three ems, a word space or a tab; an overlap up to
// half an em, kerning).
func continues(a, b *run) bool {
	if a.vertical != b.vertical {
		return false
	}
	ax, ay := a.direction()
	bx, by := b.direction()
	if !(ax*bx+ay*by >= 0.99) {
		return false
	}
	inv, ok := a.m.inverse()
	if !ok {
		return false
	}
	px, py := inv.apply(b.m.apply(0, 0))
	fs := math.Abs(a.size)
	along, across := px-a.ex, py-a.ey
	if a.vertical {
		along, across = a.ey-py, px-a.ex
	}
	return math.Abs(across) <= fs/2 && along >= -fs/2 && along <= 3*fs
}

// findInRuns searches each line (consecutive runs that continue each other)
// for want, which holds no whitespace, and returns the box of the first
// match.
func findInRuns(runs []run, want []rune) ([4]float64, bool) {
	type placed struct {
		r   rune
		run *run
		c   char
	}
	var line []placed
	search := func() ([4]float64, bool) {
	outer:
		for i := 0; i+len(want) <= len(line); i++ {
			for j, w := range want {
				if line[i+j].r != w {
					continue outer
				}
			}
			box := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for _, p := range line[i : i+len(want)] {
				b := p.run.userBox(p.c)
				box = [4]float64{min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]), max(box[3], b[3])}
			}
			if finite(box[0]) && finite(box[1]) && finite(box[2]) && finite(box[3]) {
				return box, true
			}
		}
		return [4]float64{}, false
	}
	for i := range runs {
		ru := &runs[i]
		if i > 0 && !continues(&runs[i-1], ru) {
			if box, ok := search(); ok {
				return box, true
			}
			line = line[:0]
		}
		for _, c := range ru.chars {
			if !unicode.IsSpace(c.r) {
				line = append(line, placed{c.r, ru, c})
			}
		}
	}
	return search()
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// gstate is the part of the graphics state that places text (8.4, 9.3).
type gstate struct {
	ctm      matrix
	tc, tw   float64 // character and word spacing
	th       float64 // horizontal scaling, Tz/100
	tl       float64 // leading
	rise     float64
	font     *textFont
	fontSize float64
}

type interp struct {
	r       *Reader
	runs    []run
	gs      gstate
	saved   []gstate
	tm, tlm matrix

	ops, tokens, glyphs, bytes int
	err                        error

	fonts  map[any]*textFont // by object number, or by the map of a direct dictionary
	cmaps  map[int]*cmap     // CMap streams by object number
	forms  map[int][]byte    // decoded form content by object number
	active map[int]bool      // forms being drawn
}

func newInterp(r *Reader) *interp {
	return &interp{
		r:      r,
		gs:     gstate{ctm: identity, th: 1},
		tm:     identity,
		tlm:    identity,
		fonts:  map[any]*textFont{},
		cmaps:  map[int]*cmap{},
		forms:  map[int][]byte{},
		active: map[int]bool{},
	}
}

// content interprets one content stream with its resources.
func (in *interp) content(data []byte, res types.Dict, depth int) {
	l := lexer{b: data}
	base := len(in.saved)
	stack := make([]operand, 0, 8)
	for in.err == nil {
		o, op, ok := l.next()
		if !ok {
			break
		}
		if in.tokens++; in.tokens > maxContentTokens {
			in.err = fmt.Errorf("more than %d tokens in the content", maxContentTokens)
			break
		}
		if op == nil {
			if len(stack) >= maxOperands {
				stack = append(stack[:0], stack[maxOperands/2:]...)
			}
			stack = append(stack, o)
			continue
		}
		if in.ops++; in.ops > maxContentOps {
			in.err = fmt.Errorf("more than %d operators in the content", maxContentOps)
			break
		}
		in.operator(&l, op, stack, res, depth, base)
		stack = stack[:0]
	}
	in.saved = in.saved[:base]
}

// operator carries out one operator; operands it cannot use make it a no-op.
func (in *interp) operator(l *lexer, op []byte, args []operand, res types.Dict, depth, base int) {
	gs := &in.gs
	switch string(op) {
	case "q":
		if len(in.saved) < maxSaveDepth {
			in.saved = append(in.saved, in.gs)
		}
	case "Q":
		if n := len(in.saved); n > base {
			in.gs = in.saved[n-1]
			in.saved = in.saved[:n-1]
		}
	case "cm":
		if v, ok := nums(args, 6); ok {
			gs.ctm = matrix(v).mul(gs.ctm)
		}
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Tc":
		if v, ok := nums(args, 1); ok {
			gs.tc = v[0]
		}
	case "Tw":
		if v, ok := nums(args, 1); ok {
			gs.tw = v[0]
		}
	case "Tz":
		if v, ok := nums(args, 1); ok {
			gs.th = v[0] / 100
		}
	case "TL":
		if v, ok := nums(args, 1); ok {
			gs.tl = v[0]
		}
	case "Ts":
		if v, ok := nums(args, 1); ok {
			gs.rise = v[0]
		}
	case "Tf":
		if n := len(args); n >= 2 && args[n-2].kind == kName && args[n-1].kind == kNum {
			gs.font = in.font(res, string(args[n-2].str))
			gs.fontSize = args[n-1].num
		}
	case "Td":
		if v, ok := nums(args, 2); ok {
			in.td(v[0], v[1])
		}
	case "TD":
		if v, ok := nums(args, 2); ok {
			gs.tl = -v[1]
			in.td(v[0], v[1])
		}
	case "Tm":
		if v, ok := nums(args, 6); ok {
			in.tm, in.tlm = matrix(v), matrix(v)
		}
	case "T*":
		in.td(0, -gs.tl)
	case "Tj":
		if n := len(args); n >= 1 && args[n-1].kind == kStr {
			in.show(args[n-1:])
		}
	case "'":
		if n := len(args); n >= 1 && args[n-1].kind == kStr {
			in.td(0, -gs.tl)
			in.show(args[n-1:])
		}
	case "\"":
		if n := len(args); n >= 3 && args[n-3].kind == kNum && args[n-2].kind == kNum && args[n-1].kind == kStr {
			gs.tw, gs.tc = args[n-3].num, args[n-2].num
			in.td(0, -gs.tl)
			in.show(args[n-1:])
		}
	case "TJ":
		if n := len(args); n >= 1 && args[n-1].kind == kArray {
			in.show(args[n-1].arr)
		}
	case "Do":
		if n := len(args); n >= 1 && args[n-1].kind == kName {
			in.drawForm(res, string(args[n-1].str), depth)
		}
	case "BI":
		l.skipInlineImage()
	}
}

// nums returns the last n operands (n ≤ 6) if they are numbers.
func nums(args []operand, n int) ([6]float64, bool) {
	var v [6]float64
	if len(args) < n {
		return v, false
	}
	for i, a := range args[len(args)-n:] {
		if a.kind != kNum {
			return v, false
		}
		v[i] = a.num
	}
	return v, true
}

func (in *interp) td(tx, ty float64) {
	in.tlm = matrix{1, 0, 0, 1, tx, ty}.mul(in.tlm)
	in.tm = in.tlm
}

// fallbackFont shows text when no font is set: bytes as Latin-1, half an
// em wide.
var fallbackFont = func() *textFont {
	f := &textFont{asc: 0.95, desc: -0.35}
	for i := range f.widths {
		f.widths[i] = 0.5
		f.enc[i] = latin1[i]
	}
	return f
}()

// show shows strings and, in TJ arrays, position adjustments (9.4.3, 9.4.4).
func (in *interp) show(items []operand) {
	gs := &in.gs
	f := gs.font
	if f == nil {
		f = fallbackFont
	}
	fs, th := gs.fontSize, gs.th
	ru := run{m: in.tm.mul(gs.ctm), rise: gs.rise, size: fs, vertical: f.vertical}
	y0, y1 := gs.rise+f.desc*fs, gs.rise+f.asc*fs
	var ox, oy float64
	for _, it := range items {
		switch it.kind {
		case kNum:
			if f.vertical {
				oy -= it.num / 1000 * fs
			} else {
				ox -= it.num / 1000 * fs * th
			}
		case kStr:
			for s := it.str; len(s) > 0; {
				n, code := f.code(s)
				b := s[:n]
				s = s[n:]
				if in.glyphs++; in.glyphs > maxGlyphs {
					in.err = fmt.Errorf("more than %d glyphs on the page", maxGlyphs)
					return
				}
				text, r := f.text(code, b)
				w := f.width(code, r)
				spacing := gs.tc
				if n == 1 && code == 32 {
					spacing += gs.tw
				}
				if f.vertical {
					half := w * fs / 2
					ty := f.w1*fs + spacing
					ru.add(text, r, ox-half, ox+half, oy+f.w1*fs, oy)
					oy += ty
				} else {
					ru.add(text, r, ox, ox+w*fs*th, y0, y1)
					ox += (w*fs + spacing) * th
				}
			}
		}
	}
	ru.ex, ru.ey = ox, oy
	in.tm = matrix{1, 0, 0, 1, ox, oy}.mul(in.tm)
	if len(ru.chars) > 0 {
		in.runs = append(in.runs, ru)
	}
}

// drawForm draws a form XObject (8.10): its content with its own
// resources, under its matrix, in a graphics state saved around it. Images
// and broken forms draw nothing here.
func (in *interp) drawForm(res types.Dict, name string, depth int) {
	xobjs, _ := in.r.Dict(res["XObject"])
	o := xobjs[name]
	ref, ok := RefOf(o)
	if !ok || in.active[ref.Num] || depth >= maxFormDepth {
		return
	}
	v, err := in.r.Resolve(o)
	s, isStream := v.(Stream)
	if err != nil || !isStream || in.name(s.Dict["Subtype"]) != "Form" {
		return
	}
	data, seen := in.forms[ref.Num]
	if !seen {
		data, _ = in.decode(s)
		if in.err != nil {
			return
		}
		in.forms[ref.Num] = data
	}
	m := identity
	if a, _ := in.r.Array(s.Dict["Matrix"]); len(a) == 6 {
		for i := range m {
			if n, ok := in.r.Number(a[i]); ok {
				m[i] = n
			} else {
				m = identity
				break
			}
		}
	}
	fres, _ := in.r.Dict(s.Dict["Resources"])
	if fres == nil {
		fres = res // older files let forms use the page's resources
	}
	gs, tm, tlm := in.gs, in.tm, in.tlm
	in.gs.ctm = m.mul(in.gs.ctm)
	in.active[ref.Num] = true
	in.content(data, fres, depth+1)
	delete(in.active, ref.Num)
	in.gs, in.tm, in.tlm = gs, tm, tlm
}

// decode decodes a stream that the page needs (a form, a CMap, a font
// program), within the limit on decoded bytes.
func (in *interp) decode(s Stream) ([]byte, bool) {
	d, err := in.r.Decode(s)
	if err != nil {
		return nil, false
	}
	if in.bytes += len(d); in.bytes > maxContentBytes {
		in.err = fmt.Errorf("page content, forms, fonts and CMaps longer than %d bytes decoded", maxContentBytes)
		return nil, false
	}
	return d, true
}

func (in *interp) name(o types.Object) string {
	v, _ := in.r.Resolve(o)
	n, _ := v.(types.Name)
	return string(n)
}

// Lexer for content streams and CMaps (7.2, 7.3).

type opKind uint8

const (
	kNone  opKind = iota
	kNum          // num
	kStr          // str: the string's bytes
	kName         // str: the name without its slash
	kArray        // arr
	kDict         // arr: keys and values in turn
	kOther        // str: true, false, null, or a keyword inside an array
)

type operand struct {
	kind opKind
	num  float64
	str  []byte
	arr  []operand
}

type lexer struct {
	b   []byte
	pos int
}

func isRegular(c byte) bool { return !isWS(c) && !isDelim(c) }

func isNumStart(c byte) bool { return c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' }

func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if c == '%' {
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		if !isWS(c) {
			return
		}
		l.pos++
	}
}

// next returns the next operand, or the next operator as op; ok is false
// at the end of the data. Stray closing delimiters are skipped.
func (l *lexer) next() (o operand, op []byte, ok bool) {
	for {
		l.skipSpace()
		if l.pos >= len(l.b) {
			return operand{}, nil, false
		}
		c := l.b[l.pos]
		switch {
		case c == ')' || c == ']' || c == '>' || c == '{' || c == '}':
			l.pos++
			continue
		case isRegular(c) && !isNumStart(c):
			start := l.pos
			for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
				l.pos++
			}
			kw := l.b[start:l.pos]
			switch string(kw) {
			case "true", "false", "null":
				return operand{kind: kOther, str: kw}, nil, true
			}
			return operand{}, kw, true
		}
		return l.object(0), nil, true
	}
}

// object reads one object at l.pos, which is not whitespace.
func (l *lexer) object(depth int) operand {
	c := l.b[l.pos]
	switch {
	case c == '(':
		return operand{kind: kStr, str: l.literal()}
	case c == '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			if depth >= maxNesting {
				return operand{kind: kOther}
			}
			return l.collection(depth, kDict, '>')
		}
		return operand{kind: kStr, str: l.hex()}
	case c == '[':
		l.pos++
		if depth >= maxNesting {
			return operand{kind: kOther}
		}
		return l.collection(depth, kArray, ']')
	case c == '/':
		return operand{kind: kName, str: l.name()}
	case isNumStart(c):
		return operand{kind: kNum, num: l.number()}
	}
	start := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	if l.pos == start {
		l.pos++ // a delimiter out of place
	}
	return operand{kind: kOther, str: l.b[start:l.pos]}
}

func (l *lexer) collection(depth int, kind opKind, end byte) operand {
	o := operand{kind: kind}
	for {
		l.skipSpace()
		if l.pos >= len(l.b) {
			return o
		}
		c := l.b[l.pos]
		if c == end {
			l.pos++
			if end == '>' && l.pos < len(l.b) && l.b[l.pos] == '>' {
				l.pos++
			}
			return o
		}
		if c == ')' || c == ']' || c == '>' || c == '{' || c == '}' {
			l.pos++
			continue
		}
		item := l.object(depth + 1)
		if len(o.arr) < maxArrayLen {
			o.arr = append(o.arr, item)
		}
	}
}

// literal reads a literal string (7.3.4.2), returning a slice of the data
// when it holds no escapes.
func (l *lexer) literal() []byte {
	l.pos++
	start, depth := l.pos, 1
	for i := start; i < len(l.b); i++ {
		switch l.b[i] {
		case '\\':
			return l.literalEscaped(start)
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				l.pos = i + 1
				return l.b[start:i]
			}
		}
	}
	l.pos = len(l.b)
	return l.b[start:]
}

func (l *lexer) literalEscaped(i int) []byte {
	b := l.b
	out := make([]byte, 0, 32)
	depth := 1
	for i < len(b) {
		c := b[i]
		i++
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				l.pos = i
				return out
			}
		case '\\':
			if i >= len(b) {
				continue
			}
			e := b[i]
			i++
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				if i < len(b) && b[i] == '\n' {
					i++
				}
			case '\n':
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(e - '0')
				for k := 0; k < 2 && i < len(b) && b[i] >= '0' && b[i] <= '7'; k++ {
					v = v*8 + int(b[i]-'0')
					i++
				}
				out = append(out, byte(v))
			default:
				out = append(out, e)
			}
			continue
		}
		out = append(out, c)
	}
	l.pos = len(b)
	return out
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hex reads a hexadecimal string (7.3.4.3); a final odd digit counts as
// followed by 0.
func (l *lexer) hex() []byte {
	l.pos++
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		v, ok := hexValue(c)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

// name reads a name (7.3.5), decoding #xx escapes.
func (l *lexer) name() []byte {
	l.pos++
	start := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	n := l.b[start:l.pos]
	if bytes.IndexByte(n, '#') < 0 {
		return n
	}
	out := make([]byte, 0, len(n))
	for i := 0; i < len(n); i++ {
		if n[i] == '#' && i+2 < len(n) {
			h, ok1 := hexValue(n[i+1])
			lo, ok2 := hexValue(n[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, n[i])
	}
	return out
}

// number reads a number (7.3.3) leniently: extra signs and a second point
// end it, as in the readers most files were tested with.
func (l *lexer) number() float64 {
	start := l.pos
	for l.pos < len(l.b) && isNumStart(l.b[l.pos]) {
		l.pos++
	}
	s := l.b[start:l.pos]
	neg := false
	i := 0
	for ; i < len(s) && (s[i] == '-' || s[i] == '+'); i++ {
		neg = neg != (s[i] == '-')
	}
	var mant uint64
	exp, digits := 0, 0
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' && !dot {
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		switch {
		case digits < 18:
			mant = mant*10 + uint64(c-'0')
			if mant > 0 {
				digits++
			}
			if dot {
				exp--
			}
		case !dot:
			exp++
		}
	}
	v := float64(mant)
	if exp != 0 {
		v *= math.Pow10(exp)
	}
	if neg {
		v = -v
	}
	if !finite(v) {
		return 0
	}
	return v
}

// skipInlineImage skips an inline image (8.9.7) after its BI: the
// parameters, ID, the data, and EI. The data is binary and may hold "EI",
// so its length is computed when the image is unfiltered (or says it, PDF
// 2.0 /L); otherwise EI counts only between whitespace and followed by
// something that looks like content.
func (l *lexer) skipInlineImage() {
	var params []operand
	for {
		o, op, ok := l.next()
		if !ok {
			return
		}
		if op != nil {
			switch string(op) {
			case "ID":
			case "EI":
				return
			default:
				continue
			}
			break
		}
		if len(params) < 64 {
			params = append(params, o)
		}
	}
	if l.pos < len(l.b) && isWS(l.b[l.pos]) {
		l.pos++
	}
	if n, ok := inlineImageLength(params); ok {
		for _, start := range []int{l.pos, l.pos + 1} {
			if end := start + n; end <= len(l.b) {
				p := skipWS(l.b, end)
				if keywordAt(l.b, p, "EI") {
					l.pos = p + 2
					return
				}
			}
		}
	}
	b := l.b
	for i := l.pos; i+2 <= len(b); i++ {
		if b[i] != 'E' || b[i+1] != 'I' {
			continue
		}
		if i > l.pos && !isWS(b[i-1]) && b[i-1] != '>' {
			continue
		}
		if i+2 < len(b) && isRegular(b[i+2]) || !looksLikeContent(b[i+2:]) {
			continue
		}
		l.pos = i + 2
		return
	}
	l.pos = len(b)
}

func keywordAt(b []byte, p int, kw string) bool {
	return p+len(kw) <= len(b) && string(b[p:p+len(kw)]) == kw && (p+len(kw) == len(b) || !isRegular(b[p+len(kw)]))
}

// looksLikeContent reports whether b starts like content rather than
// binary data: text up to the first string, at most 32 bytes.
func looksLikeContent(b []byte) bool {
	for _, c := range b[:min(len(b), 32)] {
		if c == '(' || c == '<' {
			return true
		}
		if c >= 0x7F || c < 0x20 && !isWS(c) {
			return false
		}
	}
	return true
}

// inlineImageLength computes the length of unfiltered inline image data.
func inlineImageLength(params []operand) (int, bool) {
	w, h, bpc, comps := -1.0, -1.0, -1.0, -1.0
	filtered, mask := false, false
	for i := 0; i+1 < len(params); i += 2 {
		k, v := params[i], params[i+1]
		if k.kind != kName {
			continue
		}
		switch string(k.str) {
		case "L", "Length":
			if v.kind == kNum && v.num >= 0 && v.num < 1<<31 {
				return int(v.num), true
			}
		case "W", "Width":
			w = v.num
		case "H", "Height":
			h = v.num
		case "BPC", "BitsPerComponent":
			bpc = v.num
		case "IM", "ImageMask":
			mask = v.kind == kOther && string(v.str) == "true"
		case "F", "Filter":
			filtered = v.kind == kName || v.kind == kArray && len(v.arr) > 0
		case "CS", "ColorSpace":
			cs := v
			if v.kind == kArray && len(v.arr) > 0 {
				cs = v.arr[0]
			}
			switch string(cs.str) {
			case "G", "DeviceGray", "CalGray", "I", "Indexed":
				comps = 1
			case "RGB", "DeviceRGB", "CalRGB", "Lab":
				comps = 3
			case "CMYK", "DeviceCMYK":
				comps = 4
			}
		}
	}
	if mask {
		comps, bpc = 1, 1
	}
	if filtered || !(w >= 1 && w <= 1<<20 && h >= 1 && h <= 1<<20 && comps >= 1) {
		return 0, false
	}
	switch bpc {
	case 1, 2, 4, 8, 16:
	default:
		return 0, false
	}
	rowBits := int64(w) * int64(comps) * int64(bpc)
	n := int64(h) * ((rowBits + 7) / 8)
	if n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// Fonts: from character codes to Unicode and widths.

// cmapKind names what a predefined CMap (9.7.5.2) makes of codes.
type cmapKind uint8

const (
	cmapIdentity cmapKind = iota // 2-byte codes that are CIDs
	cmapUCS2                     // Uni*-UCS2-*: UCS-2 codes
	cmapUTF16                    // Uni*-UTF16-*: UTF-16BE codes
	cmapUTF8                     // Uni*-UTF8-*
	cmapGBK                      // GB-EUC, GBpc-EUC, GBK-EUC, GBKp-EUC
	cmapGB18030                  // GBK2K
	cmapBig5                     // B5pc, ETen-B5, ETenms-B5, HKscs-B5
	cmapOther                    // other predefined CMaps: 2-byte codes of unknown text
)

func predefinedCMap(name string) cmapKind {
	switch {
	case strings.HasPrefix(name, "Identity"):
		return cmapIdentity
	case strings.Contains(name, "UCS2"):
		return cmapUCS2
	case strings.Contains(name, "UTF16"):
		return cmapUTF16
	case strings.Contains(name, "UTF8"):
		return cmapUTF8
	case strings.HasPrefix(name, "GBK2K"):
		return cmapGB18030
	case strings.HasPrefix(name, "GB-EUC"), strings.HasPrefix(name, "GBpc-EUC"), strings.HasPrefix(name, "GBK-EUC"), strings.HasPrefix(name, "GBKp-EUC"):
		return cmapGBK
	case strings.HasPrefix(name, "B5pc"), strings.HasPrefix(name, "ETen-B5"), strings.HasPrefix(name, "ETenms-B5"), strings.HasPrefix(name, "HKscs-B5"):
		return cmapBig5
	}
	return cmapOther
}

type textFont struct {
	composite bool
	vertical  bool
	asc, desc float64 // in ems

	// Simple fonts: text and width (in ems) by code.
	enc    [256]string
	widths [256]float64

	// Composite fonts.
	cmap  *cmap    // an embedded encoding CMap
	kind  cmapKind // the predefined CMap, or the one the embedded CMap uses
	dec   *encoding.Decoder
	dw    float64
	w     map[uint32]float64
	wr    []cidWidths
	w1    float64 // vertical displacement in ems (negative: downwards)
	toUni *cmap
	ident bool // /ToUnicode /Identity-H: codes are UCS-2
}

type cidWidths struct {
	lo, hi uint32
	w      float64
}

// code returns the length and value of the character code at the start of
// s (9.7.6.2).
func (f *textFont) code(s []byte) (int, uint32) {
	if !f.composite {
		return 1, uint32(s[0])
	}
	var n int
	switch {
	case f.cmap != nil && len(f.cmap.spaces) > 0:
		n = f.cmap.codeLen(s)
	case f.kind == cmapUTF16:
		n = 2
		if s[0] >= 0xD8 && s[0] <= 0xDB && len(s) >= 4 {
			n = 4
		}
	case f.kind == cmapUTF8:
		switch {
		case s[0] < 0x80:
			n = 1
		case s[0] < 0xE0:
			n = 2
		case s[0] < 0xF0:
			n = 3
		default:
			n = 4
		}
	case f.kind == cmapGBK || f.kind == cmapBig5:
		n = 2
		if s[0] <= 0x80 {
			n = 1
		}
	case f.kind == cmapGB18030:
		n = 2
		if s[0] <= 0x80 {
			n = 1
		} else if len(s) >= 4 && s[1] >= 0x30 && s[1] <= 0x39 {
			n = 4
		}
	default:
		n = 2
	}
	n = max(1, min(n, len(s)))
	var c uint32
	for _, b := range s[:n] {
		c = c<<8 | uint32(b)
	}
	return n, c
}

// text returns the Unicode text of a code: a string, or a rune when the
// string is empty (nothing when both are empty).
func (f *textFont) text(code uint32, b []byte) (string, rune) {
	if !f.composite {
		return f.enc[code&0xFF], 0
	}
	if f.toUni != nil {
		if s, ok := f.toUni.unicode(code); ok {
			return s, 0
		}
	}
	if f.ident && len(b) == 2 {
		return "", rune(code)
	}
	switch f.kind {
	case cmapUCS2:
		if len(b) == 2 && !utf16.IsSurrogate(rune(code)) {
			return "", rune(code)
		}
	case cmapUTF16:
		if len(b) == 4 {
			return "", utf16.DecodeRune(rune(code>>16), rune(code&0xFFFF))
		}
		if len(b) == 2 && !utf16.IsSurrogate(rune(code)) {
			return "", rune(code)
		}
	case cmapUTF8:
		r, _ := utf8.DecodeRune(b)
		return "", r
	case cmapGBK, cmapGB18030, cmapBig5:
		if len(b) == 1 && b[0] < 0x80 {
			return "", rune(b[0])
		}
		if f.dec != nil {
			if out, err := f.dec.Bytes(b); err == nil {
				return string(out), 0
			}
		}
	}
	return "", unicode.ReplacementChar
}

// width returns the horizontal displacement of a code in ems.
func (f *textFont) width(code uint32, r rune) float64 {
	if !f.composite {
		return f.widths[code&0xFF]
	}
	cid, ok := code, true
	switch {
	case f.cmap != nil:
		cid, ok = f.cmap.cid(code)
		if !ok && f.kind == cmapIdentity {
			cid, ok = code, true
		}
	case f.kind != cmapIdentity:
		// Without the predefined CMap's tables, assume what holds for
		// Adobe-GB1, -CNS1, -Japan1 and -Korea1: CIDs 1 to 95 are the
		// proportional ASCII glyphs.
		cid, ok = uint32(r-31), r >= 0x20 && r <= 0x7E
	}
	if ok {
		if w, found := f.w[cid]; found {
			return w
		}
		if i := findRange(len(f.wr), func(i int) uint32 { return f.wr[i].lo }, func(i int) uint32 { return f.wr[i].hi }, cid); i >= 0 {
			return f.wr[i].w
		}
	}
	return f.dw
}

// font returns the font named in the resources; nil if there is none.
func (in *interp) font(res types.Dict, name string) *textFont {
	fonts, _ := in.r.Dict(res["Font"])
	o, ok := fonts[name]
	if !ok {
		return nil
	}
	var key any
	if ref, ok := RefOf(o); ok {
		key = ref.Num
	} else if d, ok := o.(types.Dict); ok {
		key = reflect.ValueOf(d).UnsafePointer()
	} else {
		return nil
	}
	if f, ok := in.fonts[key]; ok {
		return f
	}
	d, _ := in.r.Dict(o)
	f := in.loadFont(d)
	in.fonts[key] = f
	return f
}

func (in *interp) loadFont(d types.Dict) *textFont {
	if d == nil {
		return nil
	}
	f := &textFont{asc: 0.95, desc: -0.35} // what viewers assume without better
	subtype := in.name(d["Subtype"])
	if subtype == "Type0" {
		in.loadComposite(f, d)
		return f
	}
	base := in.name(d["BaseFont"])
	std := standardFont(base)
	fd, _ := in.r.Dict(d["FontDescriptor"])
	scale := 0.001 // glyph space to text space
	if subtype == "Type3" {
		fm := [6]float64{0.001, 0, 0, 0.001, 0, 0}
		if a, _ := in.r.Array(d["FontMatrix"]); len(a) == 6 {
			for i := range fm {
				fm[i], _ = in.r.Number(a[i])
			}
		}
		if fm[0] != 0 && finite(fm[0]) {
			scale = fm[0]
		}
		if bb, _ := in.r.Array(d["FontBBox"]); len(bb) == 4 {
			lo, _ := in.r.Number(bb[1])
			hi, _ := in.r.Number(bb[3])
			if a, de := hi*fm[3], lo*fm[3]; a > 0 && a < 3 && de <= 0 && de > -3 {
				f.asc, f.desc = a, de
			}
		}
	} else {
		in.fontMetrics(f, fd, std)
	}
	tu := in.toUnicode(d["ToUnicode"])
	f.enc = in.simpleEncoding(d, fd, std, subtype, tu == nil)

	// Widths (9.6.2.1, 9.6.5); the standard 14 fonts may come without.
	widths, _ := in.r.Array(d["Widths"])
	missing, _ := in.r.Number(fd["MissingWidth"])
	for i := range f.widths {
		f.widths[i] = missing * scale
	}
	switch {
	case len(widths) > 0:
		first, _ := in.r.Number(d["FirstChar"])
		for i, w := range widths {
			c := first + float64(i)
			if !(c >= 0 && c <= 255) {
				continue
			}
			if v, ok := in.r.Number(w); ok {
				f.widths[int(c)] = v * scale
			}
		}
	case std == "Symbol" || std == "ZapfDingbats":
		for c := range f.widths {
			if w, err := corefont.CharWidth(std, rune(c)); err == nil {
				f.widths[c] = float64(w) / 1000
			}
		}
	case std != "":
		for c := range f.widths {
			f.widths[c] = 0.5
			r, _ := utf8.DecodeRuneInString(f.enc[c])
			if wc, ok := winAnsiCode[r]; ok {
				if w, err := corefont.CharWidth(std, rune(wc)); err == nil {
					f.widths[c] = float64(w) / 1000
				}
			}
		}
	case missing == 0:
		for c := range f.widths {
			f.widths[c] = 0.5
		}
	}

	// ToUnicode comes first; codes it leaves out keep the encoding's text.
	if tu != nil {
		for c := range f.enc {
			if s, ok := tu.unicode(uint32(c)); ok {
				f.enc[c] = s
			}
		}
	}
	return f
}

func (in *interp) loadComposite(f *textFont, d types.Dict) {
	f.composite = true
	f.dw, f.w1 = 1, -1
	f.w = map[uint32]float64{}
	switch v, _ := in.r.Resolve(d["Encoding"]); e := v.(type) {
	case types.Name:
		f.kind = predefinedCMap(string(e))
		f.vertical = strings.HasSuffix(string(e), "-V")
	case Stream:
		ref, _ := RefOf(d["Encoding"])
		if cm := in.cmapStream(ref.Num, e); cm != nil {
			f.cmap = cm
			f.vertical = cm.wmode == 1
			f.kind = cmapOther
			if cm.use != "" {
				f.kind = predefinedCMap(cm.use)
			}
		}
	}
	switch f.kind {
	case cmapGBK:
		f.dec = simplifiedchinese.GBK.NewDecoder()
	case cmapGB18030:
		f.dec = simplifiedchinese.GB18030.NewDecoder()
	case cmapBig5:
		f.dec = traditionalchinese.Big5.NewDecoder()
	}
	if v, _ := in.r.Resolve(d["ToUnicode"]); v != nil {
		if n, ok := v.(types.Name); ok {
			f.ident = strings.HasPrefix(string(n), "Identity")
		} else {
			f.toUni = in.toUnicode(d["ToUnicode"])
		}
	}
	desc, _ := in.r.Array(d["DescendantFonts"])
	if len(desc) == 0 {
		return
	}
	cid, _ := in.r.Dict(desc[0])
	if cid == nil {
		return
	}
	if dw, ok := in.r.Number(cid["DW"]); ok {
		f.dw = dw / 1000
	}
	if dw2, _ := in.r.Array(cid["DW2"]); len(dw2) == 2 {
		if w1, ok := in.r.Number(dw2[1]); ok {
			f.w1 = w1 / 1000
		}
	}
	in.cidWidths(f, cid["W"])
	fd, _ := in.r.Dict(cid["FontDescriptor"])
	in.fontMetrics(f, fd, "")
}

// cidWidths reads a CIDFont's /W array (9.7.4.3): "c [w1 w2 ...]" and
// "cfirst clast w".
func (in *interp) cidWidths(f *textFont, o types.Object) {
	w, _ := in.r.Array(o)
	for i := 0; i+1 < len(w); {
		first, ok := in.r.Number(w[i])
		if !ok || !(first >= 0 && first <= math.MaxUint32) {
			return
		}
		if v, _ := in.r.Resolve(w[i+1]); v != nil {
			if a, ok := v.(types.Array); ok {
				for j, x := range a {
					c := first + float64(j)
					if wv, ok := in.r.Number(x); ok && c <= math.MaxUint32 && len(f.w) < maxCMapEntries {
						f.w[uint32(c)] = wv / 1000
					}
				}
				i += 2
				continue
			}
		}
		if i+2 >= len(w) {
			return
		}
		last, ok1 := in.r.Number(w[i+1])
		wv, ok2 := in.r.Number(w[i+2])
		if ok1 && ok2 && last >= first && last <= math.MaxUint32 && len(f.wr) < maxCMapEntries {
			f.wr = append(f.wr, cidWidths{uint32(first), uint32(last), wv / 1000})
		}
		i += 3
	}
	sort.SliceStable(f.wr, func(i, j int) bool { return f.wr[i].lo < f.wr[j].lo })
}

// fontMetrics sets the ascent and descent from the font descriptor when it
// gives sane ones (some give 0 or the descent as a positive number), else
// from the standard 14 fonts' metrics.
func (in *interp) fontMetrics(f *textFont, fd types.Dict, std string) {
	if m, ok := standardMetrics[std]; ok {
		f.asc, f.desc = m[0], m[1]
	}
	if a, ok := in.r.Number(fd["Ascent"]); ok {
		if a = math.Abs(a) / 1000; a != 0 && a < 3 {
			f.asc = a
		}
	}
	if d, ok := in.r.Number(fd["Descent"]); ok {
		if d = -math.Abs(d) / 1000; d != 0 && d > -3 {
			f.desc = d
		}
	}
}

// simpleEncoding returns the text of each code of a simple font from its
// encoding (9.6.6): a base encoding (named, or the font's built-in one)
// with /Differences; codes with nothing are taken as Latin-1. The built-in
// encoding of an embedded Type 1 font is read from the font program only
// when there is no ToUnicode to say more (inflating it costs more than the
// rest of a page).
func (in *interp) simpleEncoding(d, fd types.Dict, std, subtype string, program bool) [256]string {
	var enc [256]string
	var base *[256]string
	var diffs types.Array
	switch v, _ := in.r.Resolve(d["Encoding"]); e := v.(type) {
	case types.Name:
		base = namedEncoding(string(e))
	case types.Dict:
		base = namedEncoding(in.name(e["BaseEncoding"]))
		diffs, _ = in.r.Array(e["Differences"])
	}
	if base == nil {
		flags, _ := in.r.Number(fd["Flags"])
		symbolic := int64(flags)&4 != 0
		switch {
		case std == "Symbol" || std == "ZapfDingbats" || subtype == "Type3":
		case subtype == "Type1" && fd["FontFile"] != nil && program:
			base = in.type1Encoding(fd["FontFile"])
		}
		if base == nil && !symbolic && subtype != "Type3" {
			base = &standardEncoding
		}
	}
	if base != nil {
		enc = *base
	}
	code := 0
	for _, x := range diffs {
		switch v := x.(type) {
		case types.Integer:
			code = int(v)
		case types.Float:
			code = int(max(-1, min(float64(v), 256)))
		case types.Name:
			if code >= 0 && code < 256 {
				enc[code] = glyphText(string(v))
			}
			code++
		}
	}
	for c := range enc {
		if enc[c] == "" {
			enc[c] = latin1[c]
		}
	}
	return enc
}

// type1Encoding reads the built-in encoding from the clear-text part of an
// embedded Type 1 font program: "/Encoding StandardEncoding def" or
// "dup code /name put" lines.
func (in *interp) type1Encoding(o types.Object) *[256]string {
	v, _ := in.r.Resolve(o)
	s, ok := v.(Stream)
	if !ok {
		return nil
	}
	data, ok := in.decode(s)
	if !ok {
		return nil
	}
	if i := bytes.Index(data, []byte("eexec")); i >= 0 {
		data = data[:i]
	}
	i := bytes.Index(data, []byte("/Encoding"))
	if i < 0 {
		return nil
	}
	l := lexer{b: data, pos: i + len("/Encoding")}
	var enc [256]string
	code, glyph, found := -1.0, "", false
	for {
		o, op, ok := l.next()
		if !ok {
			break
		}
		if op == nil {
			switch o.kind {
			case kNum:
				code = o.num
			case kName:
				glyph = string(o.str)
			}
			continue
		}
		switch string(op) {
		case "StandardEncoding":
			return &standardEncoding
		case "put":
			if code >= 0 && code < 256 && glyph != "" {
				enc[int(code)] = glyphText(glyph)
				found = true
			}
		case "def", "readonly":
			if found {
				return &enc
			}
			return nil
		}
	}
	if found {
		return &enc
	}
	return nil
}

func (in *interp) toUnicode(o types.Object) *cmap {
	ref, ok := RefOf(o)
	if !ok {
		return nil
	}
	v, _ := in.r.Resolve(o)
	s, ok := v.(Stream)
	if !ok {
		return nil
	}
	return in.cmapStream(ref.Num, s)
}

// cmapStream parses a CMap stream once per object.
func (in *interp) cmapStream(num int, s Stream) *cmap {
	if cm, ok := in.cmaps[num]; ok {
		return cm
	}
	var cm *cmap
	if data, ok := in.decode(s); ok {
		cm = parseCMap(data)
	}
	in.cmaps[num] = cm
	return cm
}

// CMaps (9.7.5, 9.10.3; Adobe Technical Note #5014).

type cmap struct {
	spaces []codespace
	uni    map[uint32]string // bfchar, and small bfranges spelt out
	uniR   []uniRange
	cids   map[uint32]uint32
	cidR   []cidRange
	wmode  int
	use    string // usecmap
}

type codespace struct {
	n      int
	lo, hi [4]byte
}

type uniRange struct {
	lo, hi uint32
	dst    []uint16 // UTF-16 for lo; its last unit counts up
}

type cidRange struct{ lo, hi, cid uint32 }

// codeLen matches the codespace ranges, shortest first; a code that
// matches none takes the shortest length.
func (c *cmap) codeLen(b []byte) int {
	shortest := 4
	for _, s := range c.spaces {
		shortest = min(shortest, s.n)
	}
	for n := 1; n <= 4 && n <= len(b); n++ {
	spaces:
		for _, s := range c.spaces {
			if s.n != n {
				continue
			}
			for i := 0; i < n; i++ {
				if b[i] < s.lo[i] || b[i] > s.hi[i] {
					continue spaces
				}
			}
			return n
		}
	}
	return shortest
}

func (c *cmap) unicode(code uint32) (string, bool) {
	if s, ok := c.uni[code]; ok {
		return s, true
	}
	if i := findRange(len(c.uniR), func(i int) uint32 { return c.uniR[i].lo }, func(i int) uint32 { return c.uniR[i].hi }, code); i >= 0 {
		return rangeText(c.uniR[i].dst, code-c.uniR[i].lo), true
	}
	return "", false
}

func (c *cmap) cid(code uint32) (uint32, bool) {
	if v, ok := c.cids[code]; ok {
		return v, true
	}
	if i := findRange(len(c.cidR), func(i int) uint32 { return c.cidR[i].lo }, func(i int) uint32 { return c.cidR[i].hi }, code); i >= 0 {
		return c.cidR[i].cid + (code - c.cidR[i].lo), true
	}
	return 0, false
}

// findRange finds the range holding code among n ranges sorted by their
// low ends (stably, so that of equal starts the later definition wins): the
// last one starting at or below code, or one of the few before it when
// ranges overlap. It returns -1 if there is none.
func findRange(n int, lo, hi func(int) uint32, code uint32) int {
	i := sort.Search(n, func(i int) bool { return lo(i) > code }) - 1
	for k := i; k >= 0 && k > i-8; k-- {
		if code <= hi(k) {
			return k
		}
	}
	return -1
}

func rangeText(dst []uint16, off uint32) string {
	u := make([]uint16, len(dst))
	copy(u, dst)
	u[len(u)-1] += uint16(off)
	return string(utf16.Decode(u))
}

// parseCMap reads the parts of a CMap that matter here; what it does not
// understand it skips.
func parseCMap(data []byte) *cmap {
	c := &cmap{uni: map[uint32]string{}, cids: map[uint32]uint32{}}
	l := lexer{b: data}
	var ops []operand
	entries := 0
	for {
		o, op, ok := l.next()
		if !ok {
			break
		}
		if op == nil {
			if len(ops) < maxArrayLen {
				ops = append(ops, o)
			}
			continue
		}
		switch string(op) {
		case "endcodespacerange":
			for i := 0; i+1 < len(ops) && len(c.spaces) < 64; i += 2 {
				lo, hi := ops[i].str, ops[i+1].str
				if ops[i].kind == kStr && ops[i+1].kind == kStr && len(lo) == len(hi) && len(lo) >= 1 && len(lo) <= 4 {
					s := codespace{n: len(lo)}
					copy(s.lo[:], lo)
					copy(s.hi[:], hi)
					c.spaces = append(c.spaces, s)
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(ops) && entries < maxCMapEntries; i += 2 {
				code, ok := codeValue(ops[i])
				if !ok {
					continue
				}
				switch dst := ops[i+1]; dst.kind {
				case kStr:
					c.uni[code] = utf16Text(dst.str)
				case kName:
					c.uni[code] = glyphText(string(dst.str))
				}
				entries++
			}
		case "endbfrange":
			for i := 0; i+2 < len(ops) && entries < maxCMapEntries; i += 3 {
				lo, ok1 := codeValue(ops[i])
				hi, ok2 := codeValue(ops[i+1])
				if !ok1 || !ok2 || hi < lo {
					continue
				}
				switch dst := ops[i+2]; dst.kind {
				case kStr:
					u := utf16Units(dst.str)
					if len(u) == 0 {
						continue
					}
					if hi-lo < 256 {
						for k := uint32(0); k <= hi-lo; k++ {
							c.uni[lo+k] = rangeText(u, k)
						}
						entries += int(hi-lo) + 1
					} else {
						c.uniR = append(c.uniR, uniRange{lo, hi, u})
						entries++
					}
				case kArray:
					for k, item := range dst.arr {
						if uint64(k) > uint64(hi-lo) {
							break
						}
						if item.kind == kStr {
							c.uni[lo+uint32(k)] = utf16Text(item.str)
							entries++
						}
					}
				}
			}
		case "endcidchar":
			for i := 0; i+1 < len(ops) && entries < maxCMapEntries; i += 2 {
				code, ok := codeValue(ops[i])
				if ok && ops[i+1].kind == kNum && ops[i+1].num >= 0 && ops[i+1].num <= math.MaxUint32 {
					c.cids[code] = uint32(ops[i+1].num)
					entries++
				}
			}
		case "endcidrange":
			for i := 0; i+2 < len(ops) && entries < maxCMapEntries; i += 3 {
				lo, ok1 := codeValue(ops[i])
				hi, ok2 := codeValue(ops[i+1])
				if ok1 && ok2 && hi >= lo && ops[i+2].kind == kNum && ops[i+2].num >= 0 && ops[i+2].num <= math.MaxUint32 {
					c.cidR = append(c.cidR, cidRange{lo, hi, uint32(ops[i+2].num)})
					entries++
				}
			}
		case "usecmap":
			if n := len(ops); n > 0 && ops[n-1].kind == kName {
				c.use = string(ops[n-1].str)
			}
		case "def":
			if n := len(ops); n >= 2 && ops[n-2].kind == kName && string(ops[n-2].str) == "WMode" && ops[n-1].kind == kNum {
				c.wmode = int(min(max(ops[n-1].num, 0), 1))
			}
		}
		ops = ops[:0]
	}
	sort.SliceStable(c.uniR, func(i, j int) bool { return c.uniR[i].lo < c.uniR[j].lo })
	sort.SliceStable(c.cidR, func(i, j int) bool { return c.cidR[i].lo < c.cidR[j].lo })
	return c
}

func codeValue(o operand) (uint32, bool) {
	if o.kind != kStr || len(o.str) == 0 || len(o.str) > 4 {
		return 0, false
	}
	var v uint32
	for _, b := range o.str {
		v = v<<8 | uint32(b)
	}
	return v, true
}

// utf16Units reads a CMap destination as UTF-16BE; a single byte is a code
// unit of its own.
func utf16Units(b []byte) []uint16 {
	if len(b)%2 == 1 {
		b = append([]byte{0}, b...)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return u
}

func utf16Text(b []byte) string { return string(utf16.Decode(utf16Units(b))) }

// Simple font encodings (Annex D) and glyph names (Adobe Glyph List).

// Glyph names of U+0020 to U+007E and U+00A0 to U+00FF in order.
const (
	asciiGlyphNames = `space exclam quotedbl numbersign dollar percent ampersand quotesingle
		parenleft parenright asterisk plus comma hyphen period slash
		zero one two three four five six seven eight nine colon semicolon less equal greater question
		at A B C D E F G H I J K L M N O P Q R S T U V W X Y Z
		bracketleft backslash bracketright asciicircum underscore grave
		a b c d e f g h i j k l m n o p q r s t u v w x y z braceleft bar braceright asciitilde`
	latin1GlyphNames = `nbspace exclamdown cent sterling currency yen brokenbar section
		dieresis copyright ordfeminine guillemotleft logicalnot sfthyphen registered macron
		degree plusminus twosuperior threesuperior acute mu paragraph periodcentered
		cedilla onesuperior ordmasculine guillemotright onequarter onehalf threequarters questiondown
		Agrave Aacute Acircumflex Atilde Adieresis Aring AE Ccedilla
		Egrave Eacute Ecircumflex Edieresis Igrave Iacute Icircumflex Idieresis
		Eth Ntilde Ograve Oacute Ocircumflex Otilde Odieresis multiply
		Oslash Ugrave Uacute Ucircumflex Udieresis Yacute Thorn germandbls
		agrave aacute acircumflex atilde adieresis aring ae ccedilla
		egrave eacute ecircumflex edieresis igrave iacute icircumflex idieresis
		eth ntilde ograve oacute ocircumflex otilde odieresis divide
		oslash ugrave uacute ucircumflex udieresis yacute thorn ydieresis`
	// The upper halves of StandardEncoding and of WinAnsiEncoding's
	// 0x80-0x9F, as "code name" pairs.
	standardHigh = `A1 exclamdown A2 cent A3 sterling A4 fraction A5 yen A6 florin A7 section
		A8 currency A9 quotesingle AA quotedblleft AB guillemotleft AC guilsinglleft
		AD guilsinglright AE fi AF fl B1 endash B2 dagger B3 daggerdbl B4 periodcentered
		B6 paragraph B7 bullet B8 quotesinglbase B9 quotedblbase BA quotedblright
		BB guillemotright BC ellipsis BD perthousand BF questiondown C1 grave C2 acute
		C3 circumflex C4 tilde C5 macron C6 breve C7 dotaccent C8 dieresis CA ring
		CB cedilla CD hungarumlaut CE ogonek CF caron D0 emdash E1 AE E3 ordfeminine
		E8 Lslash E9 Oslash EA OE EB ordmasculine F1 ae F5 dotlessi F8 lslash F9 oslash
		FA oe FB germandbls`
	winAnsiHigh = `80 Euro 82 quotesinglbase 83 florin 84 quotedblbase 85 ellipsis 86 dagger
		87 daggerdbl 88 circumflex 89 perthousand 8A Scaron 8B guilsinglleft 8C OE 8E Zcaron
		91 quoteleft 92 quoteright 93 quotedblleft 94 quotedblright 95 bullet 96 endash
		97 emdash 98 tilde 99 trademark 9A scaron 9B guilsinglright 9C oe 9E zcaron 9F Ydieresis`
	// MacRomanEncoding 0x80-0xFF (0xCA is a no-break space).
	macRomanHigh = "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø" +
		"¿¡¬√ƒ≈∆«»…\u00A0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄¤‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uF8FFÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ"
)

var glyphRunes = func() map[string]rune {
	m := map[string]rune{
		"quoteleft": '‘', "quoteright": '’', "quotesinglbase": '‚', "quotedblleft": '“',
		"quotedblright": '”', "quotedblbase": '„', "guilsinglleft": '‹', "guilsinglright": '›',
		"endash": '–', "emdash": '—', "dagger": '†', "daggerdbl": '‡', "bullet": '•',
		"ellipsis": '…', "perthousand": '‰', "trademark": '™', "Euro": '€', "fraction": '⁄',
		"florin": 'ƒ', "fi": 'ﬁ', "fl": 'ﬂ', "ff": 'ﬀ', "ffi": 'ﬃ', "ffl": 'ﬄ',
		"circumflex": 'ˆ', "tilde": '˜', "breve": '˘', "dotaccent": '˙', "ring": '˚',
		"hungarumlaut": '˝', "ogonek": '˛', "caron": 'ˇ', "dotlessi": 'ı', "Lslash": 'Ł',
		"lslash": 'ł', "OE": 'Œ', "oe": 'œ', "Scaron": 'Š', "scaron": 'š', "Zcaron": 'Ž',
		"zcaron": 'ž', "Ydieresis": 'Ÿ', "minus": '−', "notequal": '≠', "lessequal": '≤',
		"greaterequal": '≥', "infinity": '∞', "partialdiff": '∂', "summation": '∑',
		"product": '∏', "pi": 'π', "integral": '∫', "Omega": 'Ω', "radical": '√',
		"approxequal": '≈', "Delta": '∆', "lozenge": '◊', "middot": '·', "apple": '\uF8FF',
		"nonbreakingspace": '\u00A0', "softhyphen": '\u00AD', "Dcroat": 'Đ', "dcroat": 'đ',
	}
	for i, n := range strings.Fields(asciiGlyphNames) {
		m[n] = rune(0x20 + i)
	}
	for i, n := range strings.Fields(latin1GlyphNames) {
		m[n] = rune(0xA0 + i)
	}
	return m
}()

// glyphText maps a glyph name to text as the Adobe Glyph List
// specification does: a suffix after a period is dropped, components
// joined by underscores map one by one, and uniXXXX[XXXX...] and
// uXXXX[XX] name code points. Unknown names map to "".
func glyphText(name string) string {
	if r, ok := glyphRunes[name]; ok {
		return string(r)
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	var sb strings.Builder
	for _, part := range strings.Split(name, "_") {
		if r, ok := glyphRunes[part]; ok {
			sb.WriteRune(r)
			continue
		}
		switch {
		case strings.HasPrefix(part, "uni") && len(part) > 3 && (len(part)-3)%4 == 0:
			for h := part[3:]; h != ""; h = h[4:] {
				r, ok := hexRune(h[:4])
				if !ok {
					return ""
				}
				sb.WriteRune(r)
			}
		case strings.HasPrefix(part, "u") && len(part) >= 5 && len(part) <= 7:
			r, ok := hexRune(part[1:])
			if !ok {
				return ""
			}
			sb.WriteRune(r)
		default:
			return ""
		}
	}
	return sb.String()
}

// hexRune parses hexadecimal digits naming a code point that is not a
// surrogate. (The glyph list writes them in upper case; producers do not
// all follow it.)
func hexRune(h string) (rune, bool) {
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil || v > unicode.MaxRune || v >= 0xD800 && v < 0xE000 {
		return 0, false
	}
	return rune(v), true
}

var latin1 = func() (t [256]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return t
}()

var (
	standardEncoding, winAnsiEncoding, macRomanEncoding [256]string
	winAnsiCode                                         = map[rune]int{} // for the standard 14 fonts' widths
)

func init() {
	for c := 0x20; c < 0x7F; c++ {
		standardEncoding[c] = latin1[c]
		winAnsiEncoding[c] = latin1[c]
		macRomanEncoding[c] = latin1[c]
	}
	standardEncoding['\''], standardEncoding['`'] = "’", "‘"
	pairs := func(t *[256]string, list string) {
		f := strings.Fields(list)
		for i := 0; i+1 < len(f); i += 2 {
			c, _ := strconv.ParseUint(f[i], 16, 8)
			t[c] = glyphText(f[i+1])
		}
	}
	pairs(&standardEncoding, standardHigh)
	pairs(&winAnsiEncoding, winAnsiHigh)
	for c := 0xA0; c <= 0xFF; c++ {
		winAnsiEncoding[c] = latin1[c]
	}
	winAnsiEncoding[0xAD] = "-" // Annex D: hyphen
	i := 0x80
	for _, r := range macRomanHigh {
		macRomanEncoding[i] = string(r)
		i++
	}
	for c := 0xFF; c >= 0x20; c-- {
		if r, _ := utf8.DecodeRuneInString(winAnsiEncoding[c]); winAnsiEncoding[c] != "" {
			winAnsiCode[r] = c
		}
	}
}

func namedEncoding(name string) *[256]string {
	switch name {
	case "StandardEncoding":
		return &standardEncoding
	case "WinAnsiEncoding":
		return &winAnsiEncoding
	case "MacRomanEncoding":
		return &macRomanEncoding
	}
	return nil
}

// standardMetrics are the ascender and descender of the standard 14 fonts
// (their AFM files; the bounding box for Symbol and ZapfDingbats).
var standardMetrics = map[string][2]float64{
	"Helvetica": {0.718, -0.207}, "Helvetica-Bold": {0.718, -0.207},
	"Helvetica-Oblique": {0.718, -0.207}, "Helvetica-BoldOblique": {0.718, -0.207},
	"Times-Roman": {0.683, -0.217}, "Times-Bold": {0.683, -0.217},
	"Times-Italic": {0.683, -0.217}, "Times-BoldItalic": {0.683, -0.217},
	"Courier": {0.629, -0.157}, "Courier-Bold": {0.629, -0.157},
	"Courier-Oblique": {0.629, -0.157}, "Courier-BoldOblique": {0.629, -0.157},
	"Symbol": {1.010, -0.293}, "ZapfDingbats": {0.820, -0.143},
}

// standardFont returns the standard 14 font that a font name stands for
// (9.6.2.2), also under the names Windows and Acrobat give them (Arial,
// TimesNewRoman,Bold, CourierNewPSMT), or "".
func standardFont(base string) string {
	if len(base) > 7 && base[6] == '+' {
		base = base[7:] // a subset tag
	}
	if _, ok := standardMetrics[base]; ok {
		return base
	}
	l := strings.ToLower(strings.ReplaceAll(base, " ", ""))
	bold := strings.Contains(l, "bold")
	italic := strings.Contains(l, "italic") || strings.Contains(l, "oblique")
	switch {
	case strings.HasPrefix(l, "arial") || strings.HasPrefix(l, "helvetica"):
		return "Helvetica" + map[[2]bool]string{{true, false}: "-Bold", {false, true}: "-Oblique", {true, true}: "-BoldOblique"}[[2]bool{bold, italic}]
	case strings.HasPrefix(l, "times"):
		return "Times-" + map[[2]bool]string{{false, false}: "Roman", {true, false}: "Bold", {false, true}: "Italic", {true, true}: "BoldItalic"}[[2]bool{bold, italic}]
	case strings.HasPrefix(l, "courier"):
		return "Courier" + map[[2]bool]string{{true, false}: "-Bold", {false, true}: "-Oblique", {true, true}: "-BoldOblique"}[[2]bool{bold, italic}]
	}
	return ""
}
