// Looking at a PDF the way a signature verifier must: its signature fields,
// its earlier revisions, and where each object was written.

package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// SigField is a signature field (12.7.4.5) with a value.
type SigField struct {
	Name    string // fully qualified field name
	Field   Ref    // the field dictionary (terminal field)
	Value   Ref    // the signature dictionary (/V); zero if /V is direct
	Dict    types.Dict
	Widgets []Ref // widget annotations of the field
}

// SignatureFields lists the signature fields that have a value, in the
// order of the field tree.
func (r *Reader) SignatureFields() ([]SigField, error) {
	cat, _, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	acro, err := r.Dict(cat["AcroForm"])
	if err != nil || acro == nil {
		return nil, err
	}
	fields, err := r.Array(acro["Fields"])
	if err != nil {
		return nil, err
	}
	var out []SigField
	seen := map[int]bool{}
	var walk func(o types.Object, parentName, parentFT string, depth int) error
	walk = func(o types.Object, parentName, parentFT string, depth int) error {
		if depth > maxDepth {
			return broken("field tree deeper than %d", maxDepth)
		}
		ref, _ := RefOf(o)
		if ref.Num != 0 {
			if seen[ref.Num] {
				return nil
			}
			seen[ref.Num] = true
		}
		d, err := r.Dict(o)
		if err != nil || d == nil {
			return err
		}
		name := parentName
		if t, ok := d["T"]; ok {
			part := DecodeText(t)
			if name != "" {
				name += "."
			}
			name += part
		}
		ft := parentFT
		if n, ok := d["FT"].(types.Name); ok {
			ft = string(n)
		}
		kids, err := r.Array(d["Kids"])
		if err != nil {
			return err
		}
		// Kids that carry /T are fields; kids without are widgets.
		var widgets []Ref
		hasFieldKids := false
		for _, k := range kids {
			kd, err := r.Dict(k)
			if err != nil {
				return err
			}
			if kd == nil {
				continue
			}
			if _, isField := kd["T"]; isField {
				hasFieldKids = true
				if err := walk(k, name, ft, depth+1); err != nil {
					return err
				}
			} else if kr, ok := RefOf(k); ok {
				widgets = append(widgets, kr)
			}
		}
		if hasFieldKids || ft != "Sig" {
			return nil
		}
		v, ok := d["V"]
		if !ok {
			return nil
		}
		vd, err := r.Dict(v)
		if err != nil {
			return err
		}
		if vd == nil {
			return nil
		}
		sf := SigField{Name: name, Field: ref, Dict: vd, Widgets: widgets}
		sf.Value, _ = RefOf(v)
		if len(widgets) == 0 && ref.Num != 0 {
			if st, ok := d["Subtype"].(types.Name); ok && st == "Widget" {
				sf.Widgets = []Ref{ref}
			}
		}
		out = append(out, sf)
		return nil
	}
	for _, f := range fields {
		if err := walk(f, "", "", 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DecodeText decodes a text string (7.9.2.2): UTF-16BE with a byte order
// mark, UTF-8 with one (PDF 2.0), or PDFDocEncoding (taken as Latin-1).
func DecodeText(o types.Object) string {
	var b []byte
	switch v := o.(type) {
	case types.StringLiteral:
		u, err := types.Unescape(string(v))
		if err != nil {
			return string(v)
		}
		b = u
	case types.HexLiteral:
		b = decodeHexLoose(string(v))
	default:
		return ""
	}
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		var rs []rune
		for i := 2; i+1 < len(b); i += 2 {
			rs = append(rs, rune(b[i])<<8|rune(b[i+1]))
		}
		return string(utf16Decode(rs))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return string(b[3:])
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

func decodeHexLoose(s string) []byte {
	var out []byte
	var hi byte
	half := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
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

func utf16Decode(units []rune) []rune {
	var out []rune
	for i := 0; i < len(units); i++ {
		u := units[i]
		if u >= 0xD800 && u < 0xDC00 && i+1 < len(units) && units[i+1] >= 0xDC00 && units[i+1] < 0xE000 {
			out = append(out, (u-0xD800)<<10+(units[i+1]-0xDC00)+0x10000)
			i++
			continue
		}
		out = append(out, u)
	}
	return out
}

// Bytes returns the raw bytes of a string object: a literal string
// unescaped, a hex string decoded.
func Bytes(o types.Object) ([]byte, bool) {
	switch v := o.(type) {
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		return b, err == nil
	case types.HexLiteral:
		return decodeHexLoose(string(v)), true
	}
	return nil, false
}

// Prefix opens the first n bytes of the file as a PDF of its own: the
// revision that ends there.
func (r *Reader) Prefix(n int64) (*Reader, error) {
	if n <= 0 || n > r.size {
		return nil, fmt.Errorf("revision length %d outside the file", n)
	}
	return Open(io.NewSectionReader(r.ra, 0, n), n)
}

// Location says where the current version of an object was written.
type Location struct {
	InUse      bool
	Offset     int64 // of "N G obj" for a plain object, or of its object stream
	Compressed bool
	Stream     int // object stream number when Compressed
}

// Locate reports where the current version of object num lives.
func (r *Reader) Locate(num int) Location {
	e, ok := r.entries[num]
	if !ok || e.kind == entryFree {
		return Location{}
	}
	if e.kind == entryCompressed {
		l := Location{InUse: true, Compressed: true, Stream: e.stream}
		if se, ok := r.entries[e.stream]; ok && se.kind == entryInUse {
			l.Offset = se.offset
		}
		return l
	}
	return Location{InUse: true, Offset: e.offset}
}

// ObjectSpan returns the byte range [start, end) of a plain (not compressed)
// object from its header to the end of "endobj".
func (r *Reader) ObjectSpan(num int) (start, end int64, err error) {
	e, ok := r.entries[num]
	if !ok || e.kind != entryInUse {
		return 0, 0, fmt.Errorf("%w: object %d is not a plain object", ErrNoObject, num)
	}
	start = e.offset
	for n := 4096; ; n *= 4 {
		buf, err := r.readAt(start, n)
		if err != nil {
			return 0, 0, err
		}
		if k := indexKeyword(buf, "endobj"); k >= 0 {
			return start, start + int64(k+len("endobj")), nil
		}
		if len(buf) < n || n >= maxObjectBytes {
			return 0, 0, broken("object %d has no endobj", num)
		}
	}
}

var objHeaderAnyRe = regexp.MustCompile(`(?m)(?:^|[\r\n\s])(\d{1,9})\s+(\d{1,5})\s+obj\b`)

// ObjectHeaders finds every "N G obj" header in [from, to), for noticing
// objects written into a file but not listed in any cross-reference
// section (which a repairing viewer might still show).
func (r *Reader) ObjectHeaders(from, to int64) ([][3]int64, error) {
	if from < 0 || to > r.size || from > to {
		return nil, errors.New("range outside the file")
	}
	var out [][3]int64
	const chunk = 1 << 20
	for pos := from; pos < to; pos += chunk {
		n := min(int64(chunk+64), to-pos)
		buf, err := r.readAt(pos, int(n))
		if err != nil {
			return nil, err
		}
		for _, m := range objHeaderAnyRe.FindAllSubmatchIndex(buf, -1) {
			at := pos + int64(m[2])
			if at >= pos+chunk && pos+chunk < to {
				continue // the next chunk sees it
			}
			num, _ := strconv.ParseInt(string(buf[m[2]:m[3]]), 10, 64)
			gen, _ := strconv.ParseInt(string(buf[m[4]:m[5]]), 10, 64)
			out = append(out, [3]int64{num, gen, at})
		}
	}
	return out, nil
}

// EndsWithEOF reports whether the first n bytes end with %%EOF and at most
// an end-of-line marker: the end of a revision.
func (r *Reader) EndsWithEOF(n int64) bool {
	if n < 5 || n > r.size {
		return false
	}
	buf, err := r.readAt(max(0, n-8), int(min(8, n)))
	if err != nil {
		return false
	}
	buf = bytes.TrimRight(buf, "\r\n")
	return bytes.HasSuffix(buf, []byte("%%EOF"))
}

// Trailing returns the bytes after the last %%EOF (and its end-of-line).
func (r *Reader) Trailing() ([]byte, error) {
	tail := min(int64(4096), r.size)
	buf, err := r.readAt(r.size-tail, int(tail))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndex(buf, []byte("%%EOF"))
	if i < 0 {
		return nil, broken("no %%%%EOF at the end")
	}
	return bytes.TrimLeft(buf[i+5:], "\r\n"), nil
}

// Generation returns the generation number of the current version of num.
func (r *Reader) Generation(num int) int { return r.entries[num].gen }
