package appearance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"
)

func TestMissingGlyph(t *testing.T) {
	needFont(t)
	// U+2A6D6 (CJK extension B) is beyond the fonts Debian packages.
	_, err := Draw(Options{Org: "某某公司\U0002A6D6"})
	if err == nil || !strings.Contains(err.Error(), "no glyph") {
		t.Errorf("Draw with an unmapped character: %v, want a missing glyph error", err)
	}
}

func TestNoFont(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-font.ttc")
	for _, path := range []string{missing, writeFile(t, "not-a-font.ttf", []byte("this is not a font"))} {
		_, err := Draw(Options{Org: "某某公司", FontPath: path})
		if !errors.Is(err, ErrNoFont) {
			t.Fatalf("Draw with font %s: %v, want ErrNoFont", path, err)
		}
		var fe *FontError
		if !errors.As(err, &fe) || len(fe.Tried) != 1 || fe.Tried[0].Path != path {
			t.Errorf("error %#v, want a FontError naming %s", err, path)
		}
		for _, want := range []string{path, "fonts-wqy-microhei", "--font"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	}

	// A search that finds nothing says what it tried.
	saved := FontSearchPath
	t.Cleanup(func() { FontSearchPath = saved })
	FontSearchPath = []string{missing}
	_, _, err := FindFont("")
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "apt-get install fonts-wqy-microhei") || !strings.Contains(err.Error(), missing+" not found") {
		t.Errorf("FindFont with nothing installed: %v", err)
	}
}

func TestNotChineseFont(t *testing.T) {
	// A Latin-only font is a font, but not one a seal can be set in.
	var latin string
	for _, p := range []string{
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
		"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
	} {
		if _, err := os.Stat(p); err == nil {
			latin = p
			break
		}
	}
	if latin == "" {
		t.Skip("no Latin-only font installed to try")
	}
	_, _, err := FindFont(latin)
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "not a Chinese font") {
		t.Errorf("FindFont(%s) = %v, want ErrNoFont saying it is not a Chinese font", latin, err)
	}
}

// TestWQYMicroHei checks the font the service finds first on Debian, whose
// unaligned tables sfnt reads only once cjkfont.Extract has aligned them.
func TestWQYMicroHei(t *testing.T) {
	needFont(t)
	f, path, err := FindFont(FontSearchPath[0])
	if err != nil {
		t.Fatal(err)
	}
	var b sfnt.Buffer
	if name, _ := f.Name(&b, sfnt.NameIDFull); !strings.Contains(name, "WenQuanYi Micro Hei") {
		t.Errorf("%s: font %q, want WenQuanYi Micro Hei", path, name)
	}
	// The cache hands back the same font.
	if g, _, _ := FindFont(FontSearchPath[0]); g != f {
		t.Error("second FindFont parsed the font again")
	}
}

// TestCFFFonts draws with Noto CJK (CFF outlines) where fonts-noto-cjk is
// installed; it is optional, so its absence only skips.
func TestCFFFonts(t *testing.T) {
	var found bool
	for _, p := range FontSearchPath {
		if !strings.Contains(p, "Noto") {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			continue
		}
		found = true
		f, _, err := FindFont(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		var b sfnt.Buffer
		// Noto CJK collections start with the Japanese font; a Chinese
		// seal wants the Simplified Chinese one.
		if name, _ := f.Name(&b, sfnt.NameIDFull); !strings.Contains(name, " SC") {
			t.Errorf("%s: picked %q, want the SC font", p, name)
		}
		o := sample
		o.FontPath = p
		img, err := Draw(o)
		if err != nil {
			t.Errorf("Draw with %s: %v", p, err)
			continue
		}
		savePNG(t, filepath.Join(t.TempDir(), filepath.Base(p)+".png"), img)
		r := float64(img.Bounds().Dx()) / 2
		if c := polar(img, 0.97*r, 45); !strong(c) || polar(img, 0, 0).A == 0 {
			t.Errorf("%s: no ring or star", p)
		}
	}
	if !found {
		t.Skip("fonts-noto-cjk is not installed; CFF fonts not tried")
	}
}
