package cjkfont

// Debian's Chinese fonts come as collections (.ttc), and
// wqy-microhei.ttc (written by FontForge) has tables that do not start on
// four-byte boundaries, as the OpenType spec asks. Neither reader takes that
// as it is: golang.org/x/image/font/sfnt fails with "sfnt: invalid table
// offset", and gopdf, which takes a single font file only, copies tables by
// their padded length and so drags in bytes of the next table. Extract
// copies one font into a fresh single-font file with aligned tables, which
// both read. Offsets inside a table are relative to the table, so moving
// whole tables is safe; checksums stay valid because the padding is zeros.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/image/font/sfnt"
)

var errShort = errors.New("truncated font file")

// The sfntVersion that opens a font's table directory (OpenType,
// "Organization of an OpenType font"): TrueType outlines, CFF outlines, and
// Apple's tag for TrueType; and the tag that opens a collection ("Font
// collections").
const (
	versionTrueType = "\x00\x01\x00\x00"
	versionCFF      = "OTTO"
	versionApple    = "true"
	tagCollection   = "ttcf"
)

func checkVersion(v string) error {
	switch v {
	case versionTrueType, versionCFF, versionApple:
		return nil
	}
	return fmt.Errorf("not a TrueType/OpenType font (it starts with %q)", v)
}

// Count returns how many fonts data holds: the number in a collection
// (.ttc), or 1 for a single font file.
func Count(data []byte) (int, error) {
	if len(data) < 12 {
		return 0, errShort
	}
	if string(data[:4]) != tagCollection {
		if err := checkVersion(string(data[:4])); err != nil {
			return 0, err
		}
		return 1, nil
	}
	n := int64(binary.BigEndian.Uint32(data[8:]))
	if n == 0 {
		return 0, errors.New("empty font collection")
	}
	if 12+4*n > int64(len(data)) {
		return 0, errShort
	}
	return int(n), nil
}

// Extract returns font number index of data (a font file, or a collection)
// as a standalone font file whose tables start on four-byte boundaries.
// Apple's "true" version tag becomes the OpenType one, the only one gopdf
// knows.
func Extract(data []byte, index int) ([]byte, error) {
	be := binary.BigEndian
	n, err := Count(data)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= n {
		if string(data[:4]) != tagCollection {
			return nil, fmt.Errorf("no font %d in a single font file", index)
		}
		return nil, fmt.Errorf("no font %d in a collection of %d", index, n)
	}
	off := int64(0)
	if string(data[:4]) == tagCollection {
		off = int64(be.Uint32(data[12+4*index:]))
	}
	if off+12 > int64(len(data)) {
		return nil, errShort
	}
	if err := checkVersion(string(data[off : off+4])); err != nil {
		return nil, err
	}
	numTables := int64(be.Uint16(data[off+4:]))
	dir := off + 12
	if dir+16*numTables > int64(len(data)) {
		return nil, errShort
	}
	size := 12 + 16*numTables
	for i := range numTables {
		r := data[dir+16*i:]
		o, n := int64(be.Uint32(r[8:])), int64(be.Uint32(r[12:]))
		if o+n > int64(len(data)) {
			return nil, fmt.Errorf("table %q runs past the end of the file", r[:4])
		}
		size += (n + 3) &^ 3
	}
	out := make([]byte, 12+16*numTables, size)
	copy(out, data[off:off+12])
	if string(out[:4]) == versionApple {
		copy(out, versionTrueType)
	}
	for i := range numTables {
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

// hasTable reports whether a font from Extract has the table tag.
func hasTable(font []byte, tag string) bool {
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := range n {
		if string(font[12+16*i:12+16*i+4]) == tag {
			return true
		}
	}
	return false
}

// simplifiedChinese reports whether a font from Extract is named as the
// Simplified Chinese one of a family, as Noto CJK's "Noto Sans CJK SC" is.
func simplifiedChinese(font []byte) bool {
	f, err := sfnt.Parse(font)
	if err != nil {
		return false
	}
	name, _ := f.Name(nil, sfnt.NameIDFull)
	return strings.Contains(name, " SC")
}
