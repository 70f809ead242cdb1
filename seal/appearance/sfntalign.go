package appearance

// golang.org/x/image/font/sfnt refuses a font whose tables do not start on
// four-byte boundaries, as the OpenType spec asks. Debian's
// wqy-microhei.ttc (written by FontForge) has such tables, and sfnt fails
// with "sfnt: invalid table offset". realign copies one font out of a font
// file or collection into a fresh single-font file with aligned tables,
// which sfnt reads. Table contents are untouched; offsets inside tables are
// relative to their own table, so moving whole tables is safe.

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var errShortFont = errors.New("truncated font file")

// realign returns font number index of data (a TTF/OTF, or a TTC/OTC
// collection) as a single font file whose tables are four-byte aligned.
func realign(data []byte, index int) ([]byte, error) {
	be := binary.BigEndian
	if len(data) < 12 {
		return nil, errShortFont
	}
	off := 0
	if string(data[:4]) == "ttcf" {
		n := int(be.Uint32(data[8:]))
		if index < 0 || index >= n || 12+4*(index+1) > len(data) {
			return nil, fmt.Errorf("no font %d in a collection of %d", index, n)
		}
		off = int(be.Uint32(data[12+4*index:]))
	} else if index != 0 {
		return nil, fmt.Errorf("no font %d in a single font file", index)
	}
	if off < 0 || off+12 > len(data) {
		return nil, errShortFont
	}
	numTables := int(be.Uint16(data[off+4:]))
	dir := off + 12
	if dir+16*numTables > len(data) {
		return nil, errShortFont
	}
	size := 12 + 16*numTables
	for i := 0; i < numTables; i++ {
		r := data[dir+16*i:]
		o, n := int64(be.Uint32(r[8:])), int64(be.Uint32(r[12:]))
		if o+n > int64(len(data)) {
			return nil, fmt.Errorf("table %q runs past the end of the file", r[:4])
		}
		size += int(n+3) &^ 3
	}
	out := make([]byte, 12+16*numTables, size)
	copy(out, data[off:off+12])
	for i := 0; i < numTables; i++ {
		r := data[dir+16*i : dir+16*i+16]
		o, n := be.Uint32(r[8:]), be.Uint32(r[12:])
		w := out[12+16*i : 12+16*i+16]
		copy(w, r)
		be.PutUint32(w[8:], uint32(len(out)))
		out = append(out, data[o:o+n]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}
