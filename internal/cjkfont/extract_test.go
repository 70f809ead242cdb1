package cjkfont

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/testenv"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

const (
	wqyMicroHei = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
	notoSansCJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)

// readFont returns an installed font file, or skips (fails under CI) naming
// the Debian package.
func readFont(t *testing.T, path, debianPackage string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		testenv.Missing(t, path, "apt-get install "+debianPackage)
	}
	return data
}

// unalign rewrites a single-font file with its tables at odd offsets, as
// FontForge wrote wqy-microhei.ttc.
func unalign(data []byte) []byte {
	be := binary.BigEndian
	n := int(be.Uint16(data[4:]))
	out := append([]byte(nil), data[:12+16*n]...)
	for i := range n {
		r := data[12+16*i:]
		o, l := be.Uint32(r[8:]), be.Uint32(r[12:])
		out = append(out, 0) // one byte of padding puts the table off by one
		be.PutUint32(out[12+16*i+8:], uint32(len(out)))
		out = append(out, data[o:o+l]...)
	}
	return out
}

// checkExtracted checks that font, font number index of data as Extract
// made it, has every table of the original, byte for byte, each starting on
// a four-byte boundary and padded with zeros, and that sfnt reads it.
func checkExtracted(t *testing.T, data []byte, index int, font []byte) *sfnt.Font {
	t.Helper()
	be := binary.BigEndian
	off := 0
	if string(data[:4]) == "ttcf" {
		off = int(be.Uint32(data[12+4*index:]))
	}
	n := int(be.Uint16(data[off+4:]))
	if len(font) < 12+16*n || be.Uint16(font[4:]) != uint16(n) {
		t.Fatalf("font %d: %d tables in %d bytes, want %d tables", index, be.Uint16(font[4:]), len(font), n)
	}
	end := 12 + 16*n
	for i := range n {
		r, w := data[off+12+16*i:], font[12+16*i:]
		tag := string(r[:4])
		if !bytes.Equal(r[:8], w[:8]) || !bytes.Equal(r[12:16], w[12:16]) {
			t.Errorf("font %d: table record %d is %x, want %x with a new offset", index, i, w[:16], r[:16])
		}
		o, l := be.Uint32(r[8:]), be.Uint32(r[12:])
		wo := be.Uint32(w[8:])
		if wo%4 != 0 {
			t.Errorf("font %d: table %q at offset %d, not four-byte aligned", index, tag, wo)
		}
		if int(wo) < end || int(wo+l) > len(font) {
			t.Fatalf("font %d: table %q at %d+%d overlaps the directory or an earlier table, or runs past %d bytes", index, tag, wo, l, len(font))
		}
		if !bytes.Equal(font[wo:wo+l], data[o:o+l]) {
			t.Errorf("font %d: table %q differs from the original", index, tag)
		}
		pad := font[wo+l : min(int(wo+l+3)&^3, len(font))]
		if !bytes.Equal(pad, make([]byte, len(pad))) {
			t.Errorf("font %d: table %q is padded with %x, want zeros", index, tag, pad)
		}
		end = max(end, int(wo+l))
	}
	if len(font)%4 != 0 {
		t.Errorf("font %d: %d bytes, not a multiple of four", index, len(font))
	}
	f, err := sfnt.Parse(font)
	if err != nil {
		t.Fatalf("font %d: sfnt.Parse: %v", index, err)
	}
	return f
}

// TestExtractInstalled cuts every font out of the collections Debian
// installs: wqy-microhei.ttc, whose tables FontForge left unaligned, and
// Noto CJK, with CFF outlines shared by ten fonts.
func TestExtractInstalled(t *testing.T) {
	for _, tc := range []struct {
		path, pkg string
		fonts     int
		first     string
	}{
		{wqyMicroHei, "fonts-wqy-microhei", 2, "WenQuanYi Micro Hei"},
		{notoSansCJK, "fonts-noto-cjk", 10, "Noto Sans CJK JP"},
	} {
		t.Run(tc.path[strings.LastIndex(tc.path, "/")+1:], func(t *testing.T) {
			data := readFont(t, tc.path, tc.pkg)
			n, err := Count(data)
			if err != nil || n != tc.fonts {
				t.Fatalf("Count = %d, %v; want %d fonts", n, err, tc.fonts)
			}
			var b sfnt.Buffer
			for i := range n {
				font, err := Extract(data, i)
				if err != nil {
					t.Fatalf("Extract(%d): %v", i, err)
				}
				f := checkExtracted(t, data, i, font)
				name, err := f.Name(&b, sfnt.NameIDFull)
				if err != nil || name == "" {
					t.Errorf("font %d: no full name: %v", i, err)
				}
				if i == 0 && !strings.HasPrefix(name, tc.first) {
					t.Errorf("font 0 is %q, want %s", name, tc.first)
				}
				x, err := f.GlyphIndex(&b, '国')
				if err != nil || x == 0 {
					t.Fatalf("font %d (%s): no glyph for 国: %v", i, name, err)
				}
				if _, err := f.LoadGlyph(&b, x, fixed.I(100), nil); err != nil {
					t.Errorf("font %d (%s): outline of 国: %v", i, name, err)
				}
				t.Logf("font %d: %s, %d bytes", i, name, len(font))
			}
			if _, err := Extract(data, n); err == nil || !strings.Contains(err.Error(), "no font") {
				t.Errorf("Extract(%d) of %d fonts: %v, want an error", n, n, err)
			}
		})
	}
}

// TestExtractUnaligned checks, on a font shipped with the Go module, that
// Extract makes a font with unaligned tables readable by sfnt and changes
// no glyph.
func TestExtractUnaligned(t *testing.T) {
	bad := unalign(goregular.TTF)
	if _, err := sfnt.Parse(bad); err == nil {
		t.Fatal("sfnt now reads fonts with unaligned tables; aligning them may be unneeded")
	}
	good, err := Extract(bad, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := checkExtracted(t, bad, 0, good)
	orig, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 sfnt.Buffer
	for _, r := range "Seal 0123" {
		x1, _ := orig.GlyphIndex(&b1, r)
		x2, _ := f.GlyphIndex(&b2, r)
		s1, err1 := orig.LoadGlyph(&b1, x1, fixed.I(100), nil)
		s2, err2 := f.LoadGlyph(&b2, x2, fixed.I(100), nil)
		if x1 != x2 || err1 != nil || err2 != nil || len(s1) != len(s2) {
			t.Fatalf("glyph %q: index %d/%d, %v/%v, %d/%d segments", r, x1, x2, err1, err2, len(s1), len(s2))
		}
		for i := range s1 {
			if s1[i] != s2[i] {
				t.Fatalf("glyph %q segment %d: %v, want %v", r, i, s2[i], s1[i])
			}
		}
	}

	// Apple's version tag becomes the one gopdf knows.
	apple := append([]byte("true"), goregular.TTF[4:]...)
	if font, err := Extract(apple, 0); err != nil || string(font[:4]) != versionTrueType {
		t.Errorf("Extract of a font tagged \"true\": %q..., %v", font[:min(4, len(font))], err)
	}
}

// TestExtractBadInput checks that truncated or lying input is an error,
// not a panic.
func TestExtractBadInput(t *testing.T) {
	bad := unalign(goregular.TTF)
	for _, cut := range []int{0, 5, 12, 40, len(bad) / 2, len(bad) - 1} {
		if _, err := Extract(bad[:cut], 0); err == nil {
			t.Errorf("Extract of %d of %d bytes: no error", cut, len(bad))
		}
	}
	for _, tc := range []struct {
		data  []byte
		index int
		want  string
	}{
		{bad, 1, "no font 1 in a single font file"},
		{bad, -1, "no font -1 in a single font file"},
		{[]byte("this is not a font file"), 0, `not a TrueType/OpenType font (it starts with "this")`},
		{append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x05"), make([]byte, 8)...), 3, "truncated font file"},
		{append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...), 0, "empty font collection"},
		{append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\xff\xff\xff\xf0"), make([]byte, 8)...), 0, "truncated font file"},
		{append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"), make([]byte, 8)...), 0, "not a TrueType/OpenType font"},
	} {
		_, err := Extract(tc.data, tc.index)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Extract(%q, %d) = %v, want an error saying %q", tc.data[:min(16, len(tc.data))], tc.index, err, tc.want)
		}
	}
}

func TestNeedCheck(t *testing.T) {
	trueTypeOnly := Need{NoCFF: "the PDF writer embeds TrueType outlines only"}
	if err := trueTypeOnly.check(goregular.TTF); err != nil {
		t.Errorf("TrueType font refused: %v", err)
	}
	data := readFont(t, notoSansCJK, "fonts-noto-cjk")
	font, err := Extract(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Need{}).check(font); err != nil {
		t.Errorf("CFF font refused by a Need that takes CFF: %v", err)
	}
	err = trueTypeOnly.check(font)
	if err == nil || !strings.Contains(err.Error(), "CFF") || !strings.Contains(err.Error(), trueTypeOnly.NoCFF) {
		t.Errorf("CFF font with NoCFF set: %v, want an error naming CFF and the reason", err)
	}
}
