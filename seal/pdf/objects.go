package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Stream is a stream object: its dictionary and where its data lies.
type Stream struct {
	Dict   types.Dict
	Offset int64 // of the first data byte in the file; -1 inside an object stream (never)
	Length int64
}

// Object returns object num (any generation), or ErrNoObject. Streams are
// returned as Stream values.
func (r *Reader) Object(num int) (types.Object, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.object(num, 0)
}

func (r *Reader) object(num, depth int) (types.Object, error) {
	if depth > maxDepth {
		return nil, broken("object references nest deeper than %d", maxDepth)
	}
	if o, ok := r.cache[num]; ok {
		return o, nil
	}
	e, ok := r.entries[num]
	if !ok || e.kind == entryFree {
		return nil, fmt.Errorf("%w: object %d", ErrNoObject, num)
	}
	var obj types.Object
	switch e.kind {
	case entryInUse:
		n, _, o, streamStart, err := r.readIndirectAt(e.offset)
		if err != nil {
			return nil, broken("object %d: %v", num, err)
		}
		if n != num {
			return nil, broken("xref says object %d is at offset %d, but object %d is there", num, e.offset, n)
		}
		obj = o
		if streamStart >= 0 {
			d, ok := o.(types.Dict)
			if !ok {
				return nil, broken("object %d: stream without a dictionary", num)
			}
			length, err := r.streamLength(d, depth)
			if err != nil {
				return nil, broken("object %d: %v", num, err)
			}
			if streamStart+length > r.size {
				return nil, broken("object %d: stream runs past the end of the file", num)
			}
			obj = Stream{Dict: d, Offset: streamStart, Length: length}
		}
	case entryCompressed:
		os, err := r.objStream(e.stream, depth)
		if err != nil {
			return nil, err
		}
		o, err := os.object(num, e.index)
		if err != nil {
			return nil, broken("object %d in object stream %d: %v", num, e.stream, err)
		}
		obj = o
	}
	if len(r.cache) >= cacheObjects {
		clear(r.cache)
	}
	r.cache[num] = obj
	return obj, nil
}

func (r *Reader) streamLength(d types.Dict, depth int) (int64, error) {
	lo, ok := d.Find("Length")
	if !ok {
		return 0, errors.New("stream has no /Length")
	}
	if ref, ok := RefOf(lo); ok {
		o, err := r.object(ref.Num, depth+1)
		if err != nil {
			return 0, fmt.Errorf("/Length: %v", err)
		}
		lo = o
	}
	switch v := lo.(type) {
	case types.Integer:
		if v < 0 {
			return 0, errors.New("negative /Length")
		}
		return int64(v), nil
	case types.Float:
		if v < 0 || float64(v) != float64(int64(v)) {
			return 0, errors.New("bad /Length")
		}
		return int64(v), nil
	}
	return 0, errors.New("/Length is not a number")
}

// Resolve follows references until a direct object (nil for a missing or
// free object, as the standard says: 7.3.10).
func (r *Reader) Resolve(o types.Object) (types.Object, error) {
	for i := 0; i < maxDepth; i++ {
		ref, ok := RefOf(o)
		if !ok {
			return o, nil
		}
		v, err := r.Object(ref.Num)
		if errors.Is(err, ErrNoObject) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		o = v
	}
	return nil, broken("reference chain longer than %d", maxDepth)
}

// Dict resolves o and returns it as a dictionary (a stream's dictionary for
// a stream), or nil.
func (r *Reader) Dict(o types.Object) (types.Dict, error) {
	v, err := r.Resolve(o)
	if err != nil {
		return nil, err
	}
	switch d := v.(type) {
	case types.Dict:
		return d, nil
	case Stream:
		return d.Dict, nil
	}
	return nil, nil
}

// Array resolves o and returns it as an array, or nil.
func (r *Reader) Array(o types.Object) (types.Array, error) {
	v, err := r.Resolve(o)
	if err != nil {
		return nil, err
	}
	a, _ := v.(types.Array)
	return a, nil
}

// Number resolves o as a number.
func (r *Reader) Number(o types.Object) (float64, bool) {
	v, err := r.Resolve(o)
	if err != nil {
		return 0, false
	}
	switch n := v.(type) {
	case types.Integer:
		return float64(n), true
	case types.Float:
		return float64(n), true
	}
	return 0, false
}

// RawStream returns a reader over the encoded data of a stream.
func (r *Reader) RawStream(s Stream) io.Reader {
	return io.NewSectionReader(r.ra, s.Offset, s.Length)
}

// Decode returns the decoded data of a stream, at most maxDecodedStream
// bytes.
func (r *Reader) Decode(s Stream) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.decodeStream(s.Dict, s.Offset)
}

func (r *Reader) decodeStream(d types.Dict, start int64) ([]byte, error) {
	length, err := r.streamLength(d, 0)
	if err != nil {
		return nil, err
	}
	if start+length > r.size {
		return nil, errors.New("stream runs past the end of the file")
	}
	if length > maxDecodedStream {
		return nil, fmt.Errorf("stream of %d bytes is larger than %d", length, maxDecodedStream)
	}
	raw := make([]byte, length)
	if _, err := r.ra.ReadAt(raw, start); err != nil && err != io.EOF {
		return nil, err
	}
	filters, parms, err := r.filters(d)
	if err != nil {
		return nil, err
	}
	data := raw
	for i, name := range filters {
		f, err := filter.NewFilter(name, parms[i], maxDecodedStream)
		if err != nil {
			return nil, fmt.Errorf("filter %s: %v", name, err)
		}
		rd, err := f.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("filter %s: %v", name, err)
		}
		data, err = io.ReadAll(io.LimitReader(rd, maxDecodedStream+1))
		if err != nil {
			return nil, fmt.Errorf("filter %s: %v", name, err)
		}
		if len(data) > maxDecodedStream {
			return nil, fmt.Errorf("decoded stream larger than %d bytes", maxDecodedStream)
		}
	}
	return data, nil
}

func (r *Reader) filters(d types.Dict) ([]string, []map[string]int, error) {
	fo, _ := d.Find("Filter")
	fo, err := r.resolveLocked(fo)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	switch f := fo.(type) {
	case nil:
		return nil, nil, nil
	case types.Name:
		names = []string{string(f)}
	case types.Array:
		for _, x := range f {
			n, ok := x.(types.Name)
			if !ok {
				return nil, nil, errors.New("bad /Filter")
			}
			names = append(names, string(n))
		}
	default:
		return nil, nil, errors.New("bad /Filter")
	}
	po, _ := d.Find("DecodeParms")
	po, _ = r.resolveLocked(po)
	parms := make([]map[string]int, len(names))
	toMap := func(o types.Object) map[string]int {
		pd, _ := o.(types.Dict)
		if pd == nil {
			return nil
		}
		m := map[string]int{}
		for k, v := range pd {
			switch n := v.(type) {
			case types.Integer:
				m[k] = int(n)
			case types.Boolean:
				if n {
					m[k] = 1
				} else {
					m[k] = 0
				}
			}
		}
		return m
	}
	switch p := po.(type) {
	case types.Dict:
		if len(parms) > 0 {
			parms[0] = toMap(p)
		}
	case types.Array:
		for i := range parms {
			if i < len(p) {
				parms[i] = toMap(p[i])
			}
		}
	}
	return names, parms, nil
}

// resolveLocked resolves a reference while r.mu may or may not be held: it
// only reads direct values or uncached entries without locking again.
func (r *Reader) resolveLocked(o types.Object) (types.Object, error) {
	ref, ok := RefOf(o)
	if !ok {
		return o, nil
	}
	if v, ok := r.cache[ref.Num]; ok {
		return v, nil
	}
	return r.object(ref.Num, 1)
}

// objStream is a decoded object stream (7.5.7).
type objStream struct {
	data  []byte
	first int
	nums  []int
	offs  []int
}

func (r *Reader) objStream(num, depth int) (*objStream, error) {
	if os, ok := r.objstms[num]; ok {
		return os, nil
	}
	e, ok := r.entries[num]
	if !ok || e.kind != entryInUse {
		return nil, broken("object stream %d is missing", num)
	}
	_, _, o, start, err := r.readIndirectAt(e.offset)
	if err != nil {
		return nil, broken("object stream %d: %v", num, err)
	}
	d, ok := o.(types.Dict)
	if !ok || start < 0 || !d.IsObjStm() {
		return nil, broken("object %d is not an object stream", num)
	}
	data, err := r.decodeStream(d, start)
	if err != nil {
		return nil, broken("object stream %d: %v", num, err)
	}
	n, first := d.N(), d.First()
	if n == nil || first == nil || *n < 0 || *first < 0 || *first > len(data) || *n > len(data) {
		return nil, broken("object stream %d: bad /N or /First", num)
	}
	os := &objStream{data: data, first: *first}
	fields := bytes.Fields(data[:*first])
	if len(fields) < 2**n {
		return nil, broken("object stream %d: header lists fewer than /N objects", num)
	}
	for i := 0; i < *n; i++ {
		on, err1 := strconv.Atoi(string(fields[2*i]))
		off, err2 := strconv.Atoi(string(fields[2*i+1]))
		if err1 != nil || err2 != nil || off < 0 || *first+off > len(data) {
			return nil, broken("object stream %d: bad header", num)
		}
		os.nums = append(os.nums, on)
		os.offs = append(os.offs, off)
	}
	if len(r.objstms) > 64 {
		clear(r.objstms)
	}
	r.objstms[num] = os
	return os, nil
}

func (os *objStream) object(num, index int) (types.Object, error) {
	if index < 0 || index >= len(os.nums) {
		return nil, fmt.Errorf("index %d out of range", index)
	}
	if os.nums[index] != num {
		return nil, fmt.Errorf("holds object %d at index %d, not %d", os.nums[index], index, num)
	}
	start := os.first + os.offs[index]
	end := len(os.data)
	if index+1 < len(os.offs) {
		end = os.first + os.offs[index+1]
	}
	if end < start {
		return nil, errors.New("offsets out of order")
	}
	s := string(os.data[start:end])
	o, err := model.ParseObject(&s)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, errors.New("empty object")
	}
	return o, nil
}

// Catalog returns the document catalog.
func (r *Reader) Catalog() (types.Dict, Ref, error) {
	ref, _ := RefOf(r.trailer["Root"])
	d, err := r.Dict(r.trailer["Root"])
	if err != nil {
		return nil, ref, err
	}
	if d == nil {
		return nil, ref, broken("/Root %v is not a dictionary", ref)
	}
	return d, ref, nil
}

// Page is one page of the document with its inherited attributes.
type Page struct {
	Ref       Ref
	Dict      types.Dict
	MediaBox  [4]float64
	CropBox   [4]float64
	Rotate    int
	Resources types.Object
}

// Pages walks the page tree (7.7.3) in document order.
func (r *Reader) Pages() ([]Page, error) {
	cat, _, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	root, ok := RefOf(cat["Pages"])
	if !ok {
		return nil, broken("catalog has no /Pages reference")
	}
	var pages []Page
	seen := map[int]bool{}
	type inherited struct {
		media, crop *[4]float64
		rotate      *int
		res         types.Object
	}
	var walk func(ref Ref, inh inherited, depth int) error
	walk = func(ref Ref, inh inherited, depth int) error {
		if depth > maxDepth {
			return broken("page tree deeper than %d", maxDepth)
		}
		if seen[ref.Num] {
			return broken("page tree has a loop at object %d", ref.Num)
		}
		seen[ref.Num] = true
		d, err := r.Dict(ref.IndirectRef())
		if err != nil {
			return err
		}
		if d == nil {
			return broken("page tree node %v is not a dictionary", ref)
		}
		if b, ok := r.box(d["MediaBox"]); ok {
			inh.media = &b
		}
		if b, ok := r.box(d["CropBox"]); ok {
			inh.crop = &b
		}
		if n, ok := r.Number(d["Rotate"]); ok {
			v := int(n)
			inh.rotate = &v
		}
		if res, ok := d["Resources"]; ok {
			inh.res = res
		}
		t := d.Type()
		kids, _ := r.Array(d["Kids"])
		if t != nil && *t == "Page" || t == nil && kids == nil {
			p := Page{Ref: ref, Dict: d, Resources: inh.res}
			if inh.media == nil {
				p.MediaBox = [4]float64{0, 0, 612, 792} // US Letter, the default (7.7.3.3)
			} else {
				p.MediaBox = *inh.media
			}
			p.CropBox = p.MediaBox
			if inh.crop != nil {
				p.CropBox = intersect(*inh.crop, p.MediaBox)
			}
			if inh.rotate != nil {
				p.Rotate = ((*inh.rotate % 360) + 360) % 360
			}
			pages = append(pages, p)
			if len(pages) > 1_000_000 {
				return broken("more than a million pages")
			}
			return nil
		}
		for _, k := range kids {
			kr, ok := RefOf(k)
			if !ok {
				return broken("page tree node %v has a direct kid", ref)
			}
			if err := walk(kr, inh, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, inherited{}, 0); err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, broken("the document has no pages")
	}
	return pages, nil
}

func (r *Reader) box(o types.Object) ([4]float64, bool) {
	a, err := r.Array(o)
	if err != nil || len(a) != 4 {
		return [4]float64{}, false
	}
	var b [4]float64
	for i := range b {
		v, ok := r.Number(a[i])
		if !ok {
			return [4]float64{}, false
		}
		b[i] = v
	}
	// Normalise to lower-left / upper-right.
	if b[0] > b[2] {
		b[0], b[2] = b[2], b[0]
	}
	if b[1] > b[3] {
		b[1], b[3] = b[3], b[1]
	}
	return b, true
}

func intersect(a, b [4]float64) [4]float64 {
	r := [4]float64{max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])}
	if r[0] >= r[2] || r[1] >= r[3] {
		return b
	}
	return r
}

// Stream implements types.Object so that it can sit in the object cache;
// its PDFString is the dictionary only (the data stays in the file).
func (s Stream) Clone() types.Object {
	return Stream{Dict: s.Dict.Clone().(types.Dict), Offset: s.Offset, Length: s.Length}
}
func (s Stream) String() string    { return s.Dict.String() + " stream" }
func (s Stream) PDFString() string { return s.Dict.PDFString() }
