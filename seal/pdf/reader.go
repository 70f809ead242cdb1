// Package pdf reads the structure of PDF files lazily and writes incremental
// updates. It reads the cross-reference sections (tables, streams, hybrid
// files, linearized files, chains of incremental updates) and parses only
// the objects asked for, so memory does not grow with the size of page
// content; object syntax is parsed with pdfcpu's parser and stream filters
// are pdfcpu's.
//
// References: ISO 32000-1:2008 (PDF 1.7) 7.5 File structure, ISO 32000-2:2020
// (PDF 2.0).
package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Limits that keep hostile files from exhausting memory or time.
const (
	maxObjectBytes   = 16 << 20 // one object's text (not its stream data)
	maxDecodedStream = 64 << 20 // a decoded xref, object or content stream
	maxXRefSections  = 4096
	maxObjectNumber  = 10_000_000
	maxDepth         = 64
	cacheObjects     = 4096
)

// Errors a caller branches on.
var (
	ErrNotPDF    = errors.New("not a PDF file")
	ErrBroken    = errors.New("broken PDF")
	ErrEncrypted = errors.New("encrypted PDF")
	ErrNoObject  = errors.New("no such object")
)

func broken(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBroken, fmt.Sprintf(format, a...))
}

// Ref is an indirect object reference.
type Ref struct{ Num, Gen int }

func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// IndirectRef converts r for use in pdfcpu objects.
func (r Ref) IndirectRef() types.IndirectRef {
	return types.IndirectRef{ObjectNumber: types.Integer(r.Num), GenerationNumber: types.Integer(r.Gen)}
}

// RefOf returns the reference in o, if o is one.
func RefOf(o types.Object) (Ref, bool) {
	switch v := o.(type) {
	case types.IndirectRef:
		return Ref{int(v.ObjectNumber), int(v.GenerationNumber)}, true
	case *types.IndirectRef:
		if v != nil {
			return Ref{int(v.ObjectNumber), int(v.GenerationNumber)}, true
		}
	}
	return Ref{}, false
}

type entryKind byte

const (
	entryFree       entryKind = 'f'
	entryInUse      entryKind = 'n'
	entryCompressed entryKind = 'c'
)

type xrefEntry struct {
	kind   entryKind
	offset int64 // entryInUse
	stream int   // entryCompressed: object stream number
	index  int   // entryCompressed: index in the stream
	gen    int
}

// Section is one cross-reference section (one revision of the file),
// newest first in Reader.Sections.
type Section struct {
	Offset  int64 // of the "xref" keyword or the xref stream object
	Stream  bool  // a cross-reference stream rather than a table
	Trailer types.Dict
	Objects []int // object numbers this section lists (in use or free)
}

// Reader gives access to the objects of a PDF.
type Reader struct {
	ra        io.ReaderAt
	size      int64
	version   string
	startxref int64
	entries   map[int]xrefEntry
	trailer   types.Dict
	sections  []Section

	mu      sync.Mutex
	cache   map[int]types.Object
	objstms map[int]*objStream
}

// Open reads the header and every cross-reference section of the PDF in ra.
func Open(ra io.ReaderAt, size int64) (*Reader, error) {
	r := &Reader{ra: ra, size: size, entries: map[int]xrefEntry{}, cache: map[int]types.Object{}, objstms: map[int]*objStream{}}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	sx, err := r.findStartXRef()
	if err != nil {
		return nil, err
	}
	r.startxref = sx
	if err := r.readXRefChain(sx); err != nil {
		return nil, err
	}
	if r.trailer.IndirectRefEntry("Root") == nil {
		return nil, broken("trailer has no /Root")
	}
	// Every plain object takes at least "1 0 obj\nendobj" in the file; a
	// table that claims more is hostile, and would make every walk over
	// the objects endless.
	plain, packed := 0, 0
	for _, e := range r.entries {
		switch e.kind {
		case entryInUse:
			plain++
		case entryCompressed:
			packed++
		}
	}
	if int64(plain) > size/12+16 || packed > 4<<20 {
		return nil, broken("the cross-reference sections list %d objects, more than a %d-byte file can hold", plain+packed, size)
	}
	if _, ok := r.trailer.Find("Encrypt"); ok {
		return nil, fmt.Errorf("%w: the document is encrypted; remove the encryption (e.g. qpdf --decrypt) before stamping or verifying", ErrEncrypted)
	}
	return r, nil
}

// Size is the length of the file in bytes.
func (r *Reader) Size() int64 { return r.size }

// Version is the header version, e.g. "1.7".
func (r *Reader) Version() string { return r.version }

// StartXRef is the offset named by the last startxref keyword.
func (r *Reader) StartXRef() int64 { return r.startxref }

// Trailer is the newest trailer dictionary (for xref streams, the stream
// dictionary).
func (r *Reader) Trailer() types.Dict { return r.trailer }

// Sections lists the cross-reference sections, newest first.
func (r *Reader) Sections() []Section { return r.sections }

// LastSectionIsStream reports whether the newest section is an xref stream.
func (r *Reader) LastSectionIsStream() bool { return len(r.sections) > 0 && r.sections[0].Stream }

// MaxObjectNumber is the largest object number in use or listed.
func (r *Reader) MaxObjectNumber() int {
	m := 0
	for n := range r.entries {
		m = max(m, n)
	}
	return m
}

// ObjectNumbers lists every object number that is in use.
func (r *Reader) ObjectNumbers() []int {
	var out []int
	for n, e := range r.entries {
		if e.kind != entryFree {
			out = append(out, n)
		}
	}
	return out
}

// ReaderAt is the underlying file.
func (r *Reader) ReaderAt() io.ReaderAt { return r.ra }

var headerRe = regexp.MustCompile(`%PDF-(\d\.\d)`)

func (r *Reader) readHeader() error {
	buf := make([]byte, 1024)
	n, _ := r.ra.ReadAt(buf, 0)
	m := headerRe.FindSubmatch(buf[:n])
	if m == nil {
		return fmt.Errorf("%w: no %%PDF- header in the first 1024 bytes", ErrNotPDF)
	}
	r.version = string(m[1])
	return nil
}

func (r *Reader) findStartXRef() (int64, error) {
	tail := int64(2048)
	if tail > r.size {
		tail = r.size
	}
	buf := make([]byte, tail)
	if _, err := r.ra.ReadAt(buf, r.size-tail); err != nil && err != io.EOF {
		return 0, err
	}
	i := bytes.LastIndex(buf, []byte("startxref"))
	if i < 0 {
		return 0, broken("no startxref near the end of the file (truncated?)")
	}
	rest := bytes.TrimLeft(buf[i+len("startxref"):], " \t\r\n\f\x00")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	off, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil || off <= 0 || off >= r.size {
		return 0, broken("startxref offset %q points outside the file", rest[:j])
	}
	if !bytes.Contains(buf[i:], []byte("%%EOF")) {
		return 0, broken("no %%%%EOF after the last startxref (truncated?)")
	}
	return off, nil
}

func (r *Reader) readXRefChain(off int64) error {
	seen := map[int64]bool{}
	for n := 0; ; n++ {
		if n >= maxXRefSections {
			return broken("more than %d cross-reference sections", maxXRefSections)
		}
		if seen[off] {
			return broken("cross-reference sections form a loop at offset %d", off)
		}
		seen[off] = true
		sec, err := r.readSection(off)
		if err != nil {
			return err
		}
		r.sections = append(r.sections, *sec)
		if r.trailer == nil {
			r.trailer = sec.Trailer
		}
		prev := sec.Trailer.Prev()
		if prev == nil {
			return nil
		}
		if *prev <= 0 || *prev >= r.size {
			return broken("/Prev %d points outside the file", *prev)
		}
		off = *prev
	}
}

// readAt reads up to n bytes at off.
func (r *Reader) readAt(off int64, n int) ([]byte, error) {
	if off < 0 || off >= r.size {
		return nil, broken("offset %d outside the file", off)
	}
	if int64(n) > r.size-off {
		n = int(r.size - off)
	}
	buf := make([]byte, n)
	m, err := r.ra.ReadAt(buf, off)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf[:m], nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0 }

func (r *Reader) readSection(off int64) (*Section, error) {
	head, err := r.readAt(off, 32)
	if err != nil {
		return nil, err
	}
	i := skipWS(head, 0)
	if bytes.HasPrefix(head[i:], []byte("xref")) {
		return r.readXRefTable(off + int64(i))
	}
	return r.readXRefStream(off)
}

// setEntry records an entry unless a newer section already did.
func (r *Reader) setEntry(num int, e xrefEntry) {
	if _, ok := r.entries[num]; !ok {
		r.entries[num] = e
	}
}

func (r *Reader) readXRefTable(off int64) (*Section, error) {
	sec := &Section{Offset: off}
	pos := off + 4
	tok := newTokenizer(r, pos)
	var pending []struct {
		num int
		e   xrefEntry
	}
	for {
		t, err := tok.next()
		if err != nil {
			return nil, broken("xref table at %d: %v", off, err)
		}
		if t == "trailer" {
			break
		}
		start, err1 := strconv.Atoi(t)
		c, err2 := tok.next()
		count, err3 := strconv.Atoi(c)
		if err1 != nil || err2 != nil || err3 != nil || start < 0 || count < 0 || start+count > maxObjectNumber {
			return nil, broken("xref table at %d: bad subsection header %q %q", off, t, c)
		}
		for k := 0; k < count; k++ {
			o, err1 := tok.next()
			g, err2 := tok.next()
			typ, err3 := tok.next()
			if err1 != nil || err2 != nil || err3 != nil {
				return nil, broken("xref table at %d: truncated", off)
			}
			offset, e1 := strconv.ParseInt(o, 10, 64)
			gen, e2 := strconv.Atoi(g)
			if e1 != nil || e2 != nil || (typ != "n" && typ != "f") {
				return nil, broken("xref table at %d: bad entry %q %q %q", off, o, g, typ)
			}
			e := xrefEntry{kind: entryKind(typ[0]), offset: offset, gen: gen}
			if e.kind == entryInUse && (offset <= 0 || offset >= r.size) {
				if offset == 0 {
					e.kind = entryFree // some writers mark missing objects like this
				} else {
					return nil, broken("xref table at %d: object %d at offset %d outside the file", off, start+k, offset)
				}
			}
			pending = append(pending, struct {
				num int
				e   xrefEntry
			}{start + k, e})
		}
	}
	trailerOff := tok.pos
	obj, _, err := r.parseObjectAt(trailerOff)
	if err != nil {
		return nil, broken("trailer at %d: %v", trailerOff, err)
	}
	d, ok := obj.(types.Dict)
	if !ok {
		return nil, broken("trailer at %d is not a dictionary", trailerOff)
	}
	sec.Trailer = d
	// Hybrid file (7.5.8.4): the table first, then the xref stream it
	// names, whose entries stand in for the table's free ones.
	for _, p := range pending {
		r.setEntry(p.num, p.e)
		sec.Objects = append(sec.Objects, p.num)
	}
	if xs := d.Int64Entry("XRefStm"); xs != nil {
		if *xs <= 0 || *xs >= r.size {
			return nil, broken("/XRefStm %d outside the file", *xs)
		}
		hidden, err := r.readXRefStream(*xs)
		if err != nil {
			return nil, err
		}
		_ = hidden
	}
	return sec, nil
}

// setHybridEntry lets an entry from a hybrid file's xref stream replace a
// free entry of its table.
func (r *Reader) setHybridEntry(num int, e xrefEntry) {
	if old, ok := r.entries[num]; !ok || old.kind == entryFree {
		r.entries[num] = e
	}
}

func (r *Reader) readXRefStream(off int64) (*Section, error) {
	num, _, obj, streamStart, err := r.readIndirectAt(off)
	if err != nil {
		return nil, broken("xref stream at %d: %v", off, err)
	}
	d, ok := obj.(types.Dict)
	if !ok || streamStart < 0 {
		return nil, broken("offset %d holds neither an xref table nor an xref stream", off)
	}
	if t := d.Type(); t == nil || *t != "XRef" {
		return nil, broken("object %d at %d is not an xref stream", num, off)
	}
	data, err := r.decodeStream(d, streamStart)
	if err != nil {
		return nil, broken("xref stream %d: %v", num, err)
	}
	w := d.W()
	if len(w) != 3 {
		return nil, broken("xref stream %d: /W must have 3 entries", num)
	}
	var widths [3]int
	for i := range widths {
		v, ok := w[i].(types.Integer)
		if !ok || v < 0 || v > 8 {
			return nil, broken("xref stream %d: bad /W", num)
		}
		widths[i] = int(v)
	}
	size := d.Size()
	if size == nil || *size < 0 || *size > maxObjectNumber {
		return nil, broken("xref stream %d: bad /Size", num)
	}
	index := []int{0, *size}
	if ia := d.Index(); ia != nil {
		index = index[:0]
		for _, v := range ia {
			iv, ok := v.(types.Integer)
			if !ok || iv < 0 || iv > maxObjectNumber {
				return nil, broken("xref stream %d: bad /Index", num)
			}
			index = append(index, int(iv))
		}
		if len(index)%2 != 0 {
			return nil, broken("xref stream %d: /Index has an odd length", num)
		}
	}
	rowLen := widths[0] + widths[1] + widths[2]
	if rowLen == 0 {
		return nil, broken("xref stream %d: /W is all zero", num)
	}
	sec := &Section{Offset: off, Stream: true, Trailer: d}
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	pos := 0
	for k := 0; k+1 < len(index); k += 2 {
		first, count := index[k], index[k+1]
		if first+count > maxObjectNumber {
			return nil, broken("xref stream %d: /Index beyond %d objects", num, maxObjectNumber)
		}
		for j := 0; j < count; j++ {
			if pos+rowLen > len(data) {
				return nil, broken("xref stream %d: data shorter than /Index says", num)
			}
			row := data[pos : pos+rowLen]
			pos += rowLen
			typ := int64(1)
			if widths[0] > 0 {
				typ = field(row[:widths[0]])
			}
			f2 := field(row[widths[0] : widths[0]+widths[1]])
			f3 := field(row[widths[0]+widths[1]:])
			var e xrefEntry
			switch typ {
			case 0:
				e = xrefEntry{kind: entryFree, gen: int(f3)}
			case 1:
				if f2 <= 0 || f2 >= r.size {
					return nil, broken("xref stream %d: object %d at offset %d outside the file", num, first+j, f2)
				}
				e = xrefEntry{kind: entryInUse, offset: f2, gen: int(f3)}
			case 2:
				if f2 <= 0 || f2 > maxObjectNumber {
					return nil, broken("xref stream %d: object %d in bad object stream %d", num, first+j, f2)
				}
				e = xrefEntry{kind: entryCompressed, stream: int(f2), index: int(f3)}
			default:
				continue // reserved types are ignored (7.5.8.3)
			}
			r.setHybridEntry(first+j, e)
			sec.Objects = append(sec.Objects, first+j)
		}
	}
	return sec, nil
}

// tokenizer reads whitespace-separated tokens from the file (for xref tables).
type tokenizer struct {
	r   *Reader
	pos int64
	buf []byte
	bp  int64 // file offset of buf[0]
}

func newTokenizer(r *Reader, pos int64) *tokenizer { return &tokenizer{r: r, pos: pos} }

func (t *tokenizer) byteAt(p int64) (byte, bool) {
	if p >= t.r.size {
		return 0, false
	}
	if p < t.bp || p >= t.bp+int64(len(t.buf)) {
		b, err := t.r.readAt(p, 64<<10)
		if err != nil || len(b) == 0 {
			return 0, false
		}
		t.buf, t.bp = b, p
	}
	return t.buf[p-t.bp], true
}

func (t *tokenizer) next() (string, error) {
	for {
		c, ok := t.byteAt(t.pos)
		if !ok {
			return "", io.ErrUnexpectedEOF
		}
		if !isWS(c) {
			break
		}
		t.pos++
	}
	var sb []byte
	for len(sb) < 32 {
		c, ok := t.byteAt(t.pos)
		if !ok || isWS(c) {
			break
		}
		sb = append(sb, c)
		t.pos++
	}
	return string(sb), nil
}

// parseObjectAt parses one direct object (e.g. a trailer dictionary) at off,
// returning it and the offset just after it.
func (r *Reader) parseObjectAt(off int64) (types.Object, int64, error) {
	for n := 4096; ; n *= 4 {
		buf, err := r.readAt(off, n)
		if err != nil {
			return nil, 0, err
		}
		s := string(buf)
		obj, err := model.ParseObject(&s)
		if err == nil && obj != nil && (len(s) > 0 || len(buf) < n) {
			return obj, off + int64(len(buf)-len(s)), nil
		}
		if len(buf) < n || n >= maxObjectBytes {
			if err == nil {
				err = errors.New("no object")
			}
			return nil, 0, err
		}
	}
}

var objHeaderRe = regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+obj\b`)

// readIndirectAt parses "N G obj ... " at off. For a stream it returns the
// dictionary and the offset of the stream data, else streamStart is -1.
// The object is parsed from a window of the file that grows until the
// parser sees the object end in "endobj" or "stream".
func (r *Reader) readIndirectAt(off int64) (num, gen int, obj types.Object, streamStart int64, err error) {
	for n := 4096; ; n *= 4 {
		buf, rerr := r.readAt(off, n)
		if rerr != nil {
			return 0, 0, nil, 0, rerr
		}
		atEnd := len(buf) < n
		m := objHeaderRe.FindSubmatchIndex(buf)
		if m == nil {
			return 0, 0, nil, 0, fmt.Errorf("no object header at offset %d", off)
		}
		num, _ = strconv.Atoi(string(buf[m[2]:m[3]]))
		gen, _ = strconv.Atoi(string(buf[m[4]:m[5]]))
		body := buf[m[1]:]
		s := string(body)
		o, perr := model.ParseObject(&s)
		if perr == nil && o != nil {
			rest := bytes.TrimLeft([]byte(s), " \t\r\n\f\x00")
			switch {
			case bytes.HasPrefix(rest, []byte("stream")):
				p := len(body) - len(rest) + len("stream")
				// The keyword is followed by CRLF or LF (7.3.8.1); accept a lone CR too.
				if p < len(body) && body[p] == '\r' {
					p++
				}
				if p < len(body) && body[p] == '\n' {
					p++
				}
				return num, gen, o, off + int64(m[1]+p), nil
			case bytes.HasPrefix(rest, []byte("endobj")), atEnd:
				return num, gen, o, -1, nil
			}
			// The object may have been cut by the window (a number, say).
		}
		if atEnd || n >= maxObjectBytes {
			if perr == nil {
				perr = errors.New("object is not followed by endobj")
			}
			return 0, 0, nil, 0, fmt.Errorf("object %d at offset %d: %v", num, off, perr)
		}
	}
}

// indexKeyword finds kw as a token (preceded and followed by a delimiter).
func indexKeyword(b []byte, kw string) int {
	from := 0
	for {
		k := bytes.Index(b[from:], []byte(kw))
		if k < 0 {
			return -1
		}
		k += from
		before := k == 0 || isWS(b[k-1]) || isDelim(b[k-1])
		after := k+len(kw) >= len(b) || isWS(b[k+len(kw)]) || isDelim(b[k+len(kw)])
		if before && after {
			return k
		}
		from = k + 1
	}
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}
