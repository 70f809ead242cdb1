package cjkfont

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

var errTestNoFont = errors.New("test: no usable Chinese font")

// loadChinese is a Finder.Load that takes a font with a glyph for 国 and
// returns its full name.
func loadChinese(_ string, _ int, font []byte) (string, error) {
	f, err := sfnt.Parse(font)
	if err != nil {
		return "", err
	}
	if x, err := f.GlyphIndex(nil, '国'); err != nil || x == 0 {
		return "", fmt.Errorf("font has no glyph for %q, so it is not a Chinese font", '国')
	}
	return f.Name(nil, sfnt.NameIDFull)
}

func TestSearchPath(t *testing.T) {
	all := Need{}.SearchPath()
	trueType := Need{NoCFF: "no CFF here"}.SearchPath()
	if len(all) == 0 || all[0] != wqyMicroHei || trueType[0] != wqyMicroHei {
		t.Errorf("search paths %q and %q do not start with %s", all, trueType, wqyMicroHei)
	}
	for _, p := range trueType {
		if strings.Contains(p, "Noto") {
			t.Errorf("TrueType-only search path has %s", p)
		}
		if !slices.Contains(all, p) {
			t.Errorf("%s is searched for TrueType only, not for any outlines", p)
		}
	}
	if !slices.Contains(all, notoSansCJK) {
		t.Errorf("search path for CFF or TrueType %q has no Noto CJK", all)
	}
	// Each caller gets its own slice to change.
	all[0] = "changed"
	if (Need{}).SearchPath()[0] != wqyMicroHei {
		t.Error("SearchPath returns a shared slice")
	}
}

// TestMissingFont checks that the error for a font that is missing or
// unusable matches the caller's sentinel, names every file tried and why,
// and tells the user what to install or which option takes a font file.
func TestMissingFont(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-font.ttc")
	junk := filepath.Join(dir, "junk.ttf")
	latin := filepath.Join(dir, "goregular.ttf")
	for p, data := range map[string][]byte{junk: []byte("this is not a font file"), latin: goregular.TTF} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flag := Need{Err: errTestNoFont, Option: "--font"}
	api := Need{Err: errTestNoFont, Option: "Options.FontPath", NoCFF: "the PDF writer embeds TrueType outlines only"}
	for _, tc := range []struct {
		need   Need
		path   string
		search []string
		want   []string
	}{
		{flag, missing, nil, []string{
			"test: no usable Chinese font: " + missing + " not found; set --font to a TrueType/OpenType font file (.ttf, .otf, .ttc) that has Chinese glyphs, or leave it unset to use an installed one (apt-get install fonts-wqy-microhei)",
		}},
		{api, junk, nil, []string{
			junk + `: not a TrueType/OpenType font (it starts with "this")`,
			"set Options.FontPath to a TrueType font file (.ttf, or .ttc with TrueType outlines) that has Chinese glyphs, or leave it unset",
			"apt-get install fonts-wqy-microhei",
		}},
		{flag, latin, nil, []string{latin + ": font has no glyph for '国', so it is not a Chinese font", "--font"}},
		{flag, dir, nil, []string{dir + ": is a directory"}},
		{flag, "", []string{missing, junk}, []string{
			"test: no usable Chinese font: " + missing + " not found; " + junk + ": not a TrueType/OpenType font",
			"; install one (apt-get install fonts-wqy-microhei) or set --font to a TrueType/OpenType font file (.ttf, .otf, .ttc) that has Chinese glyphs",
		}},
		{api, "", []string{missing}, []string{"install one (apt-get install fonts-wqy-microhei) or set Options.FontPath to a TrueType font file"}},
		{Need{}, "", nil, []string{"no usable Chinese font; install one (apt-get install fonts-wqy-microhei)"}},
	} {
		f := &Finder[string]{Need: tc.need, Load: loadChinese}
		_, got, err := f.FindAny(tc.path, tc.search)
		if err == nil {
			t.Errorf("FindAny(%q, %q) found %s", tc.path, tc.search, got)
			continue
		}
		if tc.need.Err != nil && !errors.Is(err, tc.need.Err) {
			t.Errorf("error %v does not match the caller's sentinel", err)
		}
		var e *Error
		if !errors.As(err, &e) || e.Explicit != (tc.path != "") {
			t.Fatalf("error %#v, want an *Error with Explicit %v", err, tc.path != "")
		}
		tried := tc.search
		if tc.path != "" {
			tried = []string{tc.path}
		}
		if len(e.Tried) != len(tried) {
			t.Errorf("error %v: tried %d files, want %d", err, len(e.Tried), len(tried))
		}
		for i, a := range e.Tried {
			if a.Path != tried[i] || !strings.Contains(a.Err.Error(), tried[i]) {
				t.Errorf("attempt %d: %s, %v; want %s named in the error", i, a.Path, a.Err, tried[i])
			}
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error\n\t%s\ndoes not say\n\t%s", err, want)
			}
		}
	}
	if errors.Is(&Error{}, nil) || errors.Is(&Error{Need: flag}, errors.New(errTestNoFont.Error())) {
		t.Error("an *Error matches an error that is not its Need.Err")
	}
}

// TestRefuseCFF checks that a caller that cannot use CFF outlines is told
// so for Noto CJK, and that one that can gets the Simplified Chinese font
// of the collection.
func TestRefuseCFF(t *testing.T) {
	readFont(t, notoSansCJK, "fonts-noto-cjk")
	f := &Finder[string]{Need: Need{Err: errTestNoFont, Option: "--font"}, Load: loadChinese}
	name, _, err := f.FindAny(notoSansCJK, nil)
	if err != nil || name != "Noto Sans CJK SC" {
		t.Errorf("FindAny(%s) = %q, %v; want Noto Sans CJK SC", notoSansCJK, name, err)
	}
	if name, _, err := f.Find(notoSansCJK, 0, nil); err != nil || name != "Noto Sans CJK JP" {
		t.Errorf("Find(%s, 0) = %q, %v; want Noto Sans CJK JP", notoSansCJK, name, err)
	}

	f = &Finder[string]{Need: Need{Err: errTestNoFont, Option: "Options.FontPath", NoCFF: "the PDF writer embeds TrueType outlines only"}, Load: loadChinese}
	for _, find := range []func() (string, string, error){
		func() (string, string, error) { return f.FindAny(notoSansCJK, nil) },
		func() (string, string, error) { return f.Find(notoSansCJK, 2, nil) },
	} {
		_, _, err := find()
		if !errors.Is(err, errTestNoFont) || !strings.Contains(err.Error(), notoSansCJK+": font has CFF (PostScript) outlines, but the PDF writer embeds TrueType outlines only") {
			t.Errorf("Noto CJK for a TrueType-only caller: %v", err)
		}
	}
}

// TestCache checks that a font is loaded once, and again when its file is
// replaced.
func TestCache(t *testing.T) {
	loads := 0
	f := &Finder[int]{Need: Need{Err: errTestNoFont}, Load: func(_ string, index int, font []byte) (int, error) {
		loads++
		return len(font), nil
	}}
	path := filepath.Join(t.TempDir(), "font.ttf")
	if err := os.WriteFile(path, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	n1, got, err := f.Find("", 0, []string{filepath.Join(t.TempDir(), "missing.ttf"), path})
	if err != nil || got != path {
		t.Fatalf("Find = %s, %v; want %s", got, err, path)
	}
	if n2, _, _ := f.Find(path, 0, nil); n2 != n1 || loads != 1 {
		t.Errorf("second Find: %d loads, want 1", loads)
	}
	// FindAny and other indexes are cached apart.
	if _, _, err := f.FindAny(path, nil); err != nil || loads != 2 {
		t.Errorf("FindAny after Find: %v, %d loads, want 2", err, loads)
	}
	if _, _, err := f.Find(path, -1, nil); err == nil || !strings.Contains(err.Error(), "no font -1 in a single font file") {
		t.Errorf("Find(path, -1): %v, want an error", err)
	}

	if err := os.WriteFile(path, unalign(goregular.TTF), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Find(path, 0, nil); err != nil || loads != 3 {
		t.Errorf("Find after the file changed: %v, %d loads, want 3", err, loads)
	}
}
