package render

// Font discovery and loading. The PDF writer (gopdf) embeds subsets of
// TrueType fonts only: it reads glyf/loca, not CFF, and it takes a single
// font file, not a collection. Debian's Chinese fonts come as collections
// (.ttc), and Noto CJK has CFF outlines, so a font is cut out of its
// collection here, and CFF fonts are refused with an error that says which
// package to install instead.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/sfnt"
)

// ErrNoFont reports that no usable Chinese TrueType font was found. Errors
// from Render match it with errors.Is; their text names the Debian package to
// install and the option that takes a font file.
var ErrNoFont = errors.New("render: no usable Chinese TrueType font")

// FontSearchPath lists, in order, the font files tried when Options.FontPath
// is empty: Debian's fonts-wqy-microhei, fonts-wqy-zenhei,
// fonts-arphic-uming and fonts-droid-fallback. Noto CJK is not listed: its
// outlines are CFF, which the PDF writer cannot embed.
var FontSearchPath = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// FontError is the error for a font that is missing or unusable. It matches
// ErrNoFont.
type FontError struct {
	// Tried lists each file tried and why it was not used, in order.
	Tried []FontAttempt
	// Explicit is set when the caller named the font file (Options.FontPath).
	Explicit bool
}

// FontAttempt is one font file that was tried.
type FontAttempt struct {
	Path string
	Err  error
}

func (e *FontError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNoFont.Error())
	for i, a := range e.Tried {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.Err.Error())
	}
	if e.Explicit {
		b.WriteString("; set Options.FontPath to a TrueType font (.ttf, or .ttc with TrueType outlines) that has Chinese glyphs, or leave it empty to use an installed one (apt-get install fonts-wqy-microhei)")
	} else {
		b.WriteString("; install one (apt-get install fonts-wqy-microhei) or set Options.FontPath to a TrueType font (.ttf, or .ttc with TrueType outlines) that has Chinese glyphs")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoFont) true.
func (e *FontError) Is(target error) bool { return target == ErrNoFont }

// probeRunes must all have glyphs for a font to count as Chinese.
const probeRunes = "证照编号标识续页第共年月日：（）0A"

// face is a loaded font, parsed once and shared by every Render call.
type face struct {
	path   string
	family string
	fonts  *gopdf.FontContainer
	// outlines is the same font for drawing glyphs as shapes (the
	// watermark); nil, with the reason in outlinesErr, if sfnt cannot read it.
	outlines    *sfnt.Font
	outlinesErr error
}

var faceCache struct {
	sync.Mutex
	m map[faceKey]*face
}

type faceKey struct {
	path  string
	index int
	size  int64
	mod   int64
}

// findFace returns the font named by path (font index in a collection), or
// the first usable one on FontSearchPath when path is empty.
func findFace(path string, index int) (*face, error) {
	paths := FontSearchPath
	if path != "" {
		paths = []string{path}
	}
	fe := &FontError{Explicit: path != ""}
	for _, p := range paths {
		f, err := loadFace(p, index)
		if err == nil {
			return f, nil
		}
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%s not found", p)
		} else {
			err = fmt.Errorf("%s: %w", p, err)
		}
		fe.Tried = append(fe.Tried, FontAttempt{Path: p, Err: err})
	}
	return nil, fe
}

func loadFace(path string, index int) (*face, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	key := faceKey{path, index, st.Size(), st.ModTime().UnixNano()}
	faceCache.Lock()
	defer faceCache.Unlock()
	if f, ok := faceCache.m[key]; ok {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ttf, err := singleTrueType(data, index)
	if err != nil {
		return nil, err
	}
	f := &face{path: path, family: familyName(path, index), fonts: new(gopdf.FontContainer)}
	if err := f.fonts.AddTTFFontData(f.family, ttf); err != nil {
		return nil, fmt.Errorf("not a usable TrueType font: %w", err)
	}
	if err := f.probe(); err != nil {
		return nil, err
	}
	f.outlines, f.outlinesErr = sfnt.Parse(ttf)
	if faceCache.m == nil {
		faceCache.m = make(map[faceKey]*face)
	}
	faceCache.m[key] = f
	return f, nil
}

// probe checks that the font has Chinese glyphs.
func (f *face) probe() error {
	gp := new(gopdf.GoPdf)
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := gp.AddTTFFontFromFontContainer(f.family, f.fonts); err != nil {
		return err
	}
	if err := gp.SetFont(f.family, "", 12); err != nil {
		return err
	}
	for _, r := range probeRunes {
		if ok, err := gp.IsCurrFontContainGlyph(r); err != nil || !ok {
			return fmt.Errorf("font has no glyph for %q, so it is not a Chinese font", r)
		}
	}
	return nil
}

// singleTrueType returns font number index of data (a TrueType font, or a
// TrueType collection) as a standalone font file whose tables start on
// four-byte boundaries. gopdf copies tables by their padded length, so an
// unaligned table, as in Debian's wqy-microhei.ttc (written by FontForge),
// would drag in bytes of its neighbour. Offsets inside a table are relative
// to the table, so moving whole tables is safe; the table checksums stay
// valid because the padding is zeros.
func singleTrueType(data []byte, index int) ([]byte, error) {
	be := binary.BigEndian
	if len(data) < 12 {
		return nil, errors.New("truncated font file")
	}
	off := 0
	switch string(data[:4]) {
	case "ttcf":
		n := int(be.Uint32(data[8:]))
		if index < 0 || index >= n || 12+4*(index+1) > len(data) {
			return nil, fmt.Errorf("no font %d in a collection of %d", index, n)
		}
		off = int(be.Uint32(data[12+4*index:]))
	default:
		if index != 0 {
			return nil, fmt.Errorf("no font %d in a single font file", index)
		}
	}
	if off < 0 || off+12 > len(data) {
		return nil, errors.New("truncated font file")
	}
	switch v := string(data[off : off+4]); v {
	case "\x00\x01\x00\x00", "true":
	case "OTTO":
		return nil, errors.New("font has CFF (PostScript) outlines, which the PDF writer cannot embed; use a TrueType font such as WenQuanYi Micro Hei")
	default:
		return nil, fmt.Errorf("not a TrueType font (version %q)", v)
	}
	numTables := int(be.Uint16(data[off+4:]))
	dir := off + 12
	if dir+16*numTables > len(data) {
		return nil, errors.New("truncated font file")
	}
	size := 12 + 16*numTables
	hasGlyf := false
	for i := range numTables {
		r := data[dir+16*i:]
		o, n := int64(be.Uint32(r[8:])), int64(be.Uint32(r[12:]))
		if o+n > int64(len(data)) {
			return nil, fmt.Errorf("table %q runs past the end of the file", r[:4])
		}
		if string(r[:4]) == "glyf" {
			hasGlyf = true
		}
		size += int(n+3) &^ 3
	}
	if !hasGlyf {
		return nil, errors.New("font has no TrueType outlines (glyf table)")
	}
	out := make([]byte, 12+16*numTables, size)
	copy(out, data[off:off+12])
	// gopdf checks for the Windows/OpenType TrueType version tag only.
	copy(out, "\x00\x01\x00\x00")
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

// familyName makes the PDF font name (BaseFont) from the file name, which
// is what a reader of pdffonts output recognises: wqy-microhei-0.
func familyName(path string, index int) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	name := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return r
		}
		return -1
	}, base)
	if name == "" {
		name = "font"
	}
	return fmt.Sprintf("%s-%d", name, index)
}
