package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Update collects the objects of one incremental update (ISO 32000-1
// 7.5.6): new objects and new versions of existing ones, appended after the
// original bytes with a cross-reference section whose /Prev is the
// original's startxref. The original bytes are never changed.
type Update struct {
	r       *Reader
	next    int
	objects map[int][]byte // object number -> body (the text between "obj" and "endobj")
	gens    map[int]int
}

// NewUpdate starts an update of the document read by r.
func NewUpdate(r *Reader) *Update {
	next := r.MaxObjectNumber() + 1
	if s := r.trailer.Size(); s != nil && *s > next {
		next = *s
	}
	return &Update{r: r, next: next, objects: map[int][]byte{}, gens: map[int]int{}}
}

// Reserve allocates a new object number.
func (u *Update) Reserve() Ref {
	ref := Ref{Num: u.next}
	u.next++
	return ref
}

// Add writes a new object and returns its reference.
func (u *Update) Add(o types.Object) Ref {
	ref := u.Reserve()
	u.Set(ref, o)
	return ref
}

// Set writes obj as the new version of ref (which may be new or existing).
func (u *Update) Set(ref Ref, o types.Object) {
	u.SetRaw(ref, []byte(o.PDFString()))
}

// SetRaw writes a pre-serialised object body.
func (u *Update) SetRaw(ref Ref, body []byte) {
	u.objects[ref.Num] = body
	u.gens[ref.Num] = ref.Gen
}

// AddStream writes a new stream object; data of more than 4 KiB is
// compressed with Flate unless the dictionary already names a filter.
func (u *Update) AddStream(d types.Dict, data []byte) Ref {
	ref := u.Reserve()
	u.SetStream(ref, d, data)
	return ref
}

// SetStream writes a stream object under ref.
func (u *Update) SetStream(ref Ref, d types.Dict, data []byte) {
	d = d.Clone().(types.Dict)
	if _, ok := d["Filter"]; !ok && len(data) > 4096 {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, zlib.DefaultCompression)
		w.Write(data)
		w.Close()
		data = b.Bytes()
		d["Filter"] = types.Name("FlateDecode")
	}
	d["Length"] = types.Integer(len(data))
	var body bytes.Buffer
	body.WriteString(d.PDFString())
	body.WriteString("\nstream\n")
	body.Write(data)
	body.WriteString("\nendstream")
	u.SetRaw(ref, body.Bytes())
}

// Has reports whether the update writes ref.
func (u *Update) Has(ref Ref) bool { _, ok := u.objects[ref.Num]; return ok }

// Serialized is an update laid out after a file of a given size.
type Serialized struct {
	Bytes  []byte
	Base   int64 // file offset of Bytes[0]
	Bodies map[int]int64
}

// Serialize lays the update out after base bytes of original file and
// returns it with the offset of every object body. lead is written first
// (a newline when the original does not end with one).
func (u *Update) Serialize(base int64, lead []byte) (*Serialized, error) {
	var b bytes.Buffer
	size := 1024
	for _, body := range u.objects {
		size += len(body) + 64
	}
	b.Grow(size)
	b.Write(lead)
	nums := make([]int, 0, len(u.objects))
	for n := range u.objects {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	offsets := map[int]int64{}
	bodies := map[int]int64{}
	for _, n := range nums {
		offsets[n] = base + int64(b.Len())
		fmt.Fprintf(&b, "%d %d obj\n", n, u.gens[n])
		bodies[n] = base + int64(b.Len())
		b.Write(u.objects[n])
		b.WriteString("\nendobj\n")
	}
	trailer := types.Dict{}
	old := u.r.trailer
	trailer["Root"] = old["Root"]
	if info, ok := old["Info"]; ok {
		trailer["Info"] = info
	}
	trailer["ID"] = u.newID()
	trailer["Prev"] = types.Integer(u.r.startxref)
	xrefOffset := base + int64(b.Len())
	if u.r.LastSectionIsStream() {
		// Match the original: an xref stream, itself listed in it.
		self := u.next
		nums = append(nums, self)
		offsets[self] = xrefOffset
		size := self + 1
		trailer["Type"] = types.Name("XRef")
		trailer["Size"] = types.Integer(size)
		trailer["W"] = types.NewIntegerArray(1, 8, 2)
		var index types.Array
		var rows bytes.Buffer
		for _, run := range runs(nums) {
			index = append(index, types.Integer(run[0]), types.Integer(len(run)))
			for _, n := range run {
				rows.WriteByte(1)
				var off [8]byte
				binary.BigEndian.PutUint64(off[:], uint64(offsets[n]))
				rows.Write(off[:])
				rows.Write([]byte{byte(u.gens[n] >> 8), byte(u.gens[n])})
			}
		}
		trailer["Index"] = index
		trailer["Length"] = types.Integer(rows.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nstream\n", self, trailer.PDFString())
		b.Write(rows.Bytes())
		b.WriteString("\nendstream\nendobj\n")
	} else {
		b.WriteString("xref\n")
		for _, run := range runs(nums) {
			fmt.Fprintf(&b, "%d %d\n", run[0], len(run))
			for _, n := range run {
				fmt.Fprintf(&b, "%010d %05d n\r\n", offsets[n], u.gens[n])
			}
		}
		trailer["Size"] = types.Integer(u.next)
		fmt.Fprintf(&b, "trailer\n%s\n", trailer.PDFString())
	}
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xrefOffset)
	return &Serialized{Bytes: b.Bytes(), Base: base, Bodies: bodies}, nil
}

// newID keeps the document's permanent identifier and makes a new changing
// one (14.4).
func (u *Update) newID() types.Array {
	fresh := make([]byte, 16)
	rand.Read(fresh)
	first := types.Object(types.HexLiteral(hex.EncodeToString(fresh)))
	if id, ok := u.r.trailer["ID"].(types.Array); ok && len(id) == 2 {
		first = id[0]
	}
	return types.Array{first, types.HexLiteral(hex.EncodeToString(fresh))}
}

// runs groups sorted object numbers into runs of consecutive numbers.
func runs(nums []int) [][]int {
	sort.Ints(nums)
	var out [][]int
	for _, n := range nums {
		if len(out) > 0 {
			last := out[len(out)-1]
			if last[len(last)-1]+1 == n {
				out[len(out)-1] = append(last, n)
				continue
			}
		}
		out = append(out, []int{n})
	}
	return out
}
