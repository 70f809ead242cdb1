package render

// Font loading. The PDF writer (gopdf) embeds subsets of TrueType fonts
// only: it reads glyf/loca, not CFF, and it takes a single font file, not a
// collection. cjkfont cuts the font out of Debian's collections (.ttc) and
// refuses Noto CJK's CFF outlines with an error that says which package to
// install instead.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/eseal-project/eseal/internal/cjkfont"
	"github.com/signintech/gopdf"
	"golang.org/x/image/font/sfnt"
)

// ErrNoFont reports that no usable Chinese TrueType font was found. Errors
// from Render match it with errors.Is; their text names the Debian package to
// install and the option that takes a font file.
var ErrNoFont = errors.New("render: no usable Chinese TrueType font")

var need = cjkfont.Need{Err: ErrNoFont, Option: "Options.FontPath", NoCFF: "the PDF writer embeds TrueType outlines only"}

// FontSearchPath lists, in order, the font files tried when Options.FontPath
// is empty: Debian's fonts-wqy-microhei, fonts-wqy-zenhei,
// fonts-arphic-uming and fonts-droid-fallback. Noto CJK is not listed: its
// outlines are CFF, which the PDF writer cannot embed.
var FontSearchPath = need.SearchPath()

// FontError is the error for a font that is missing or unusable. It matches
// ErrNoFont.
type FontError = cjkfont.Error

// FontAttempt is one font file that was tried.
type FontAttempt = cjkfont.Attempt

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

var faces = cjkfont.Finder[*face]{Need: need, Load: newFace}

// findFace returns the font named by path (font index in a collection), or
// the first usable one on FontSearchPath when path is empty. Faces are
// cached, and read again when their file changes.
func findFace(path string, index int) (*face, error) {
	f, _, err := faces.Find(path, index, FontSearchPath)
	return f, err
}

// newFace loads ttf, font number index of the file at path.
func newFace(path string, index int, ttf []byte) (*face, error) {
	f := &face{path: path, family: familyName(path, index), fonts: new(gopdf.FontContainer)}
	if err := f.fonts.AddTTFFontData(f.family, ttf); err != nil {
		return nil, fmt.Errorf("not a usable TrueType font: %w", err)
	}
	if err := f.probe(); err != nil {
		return nil, err
	}
	f.outlines, f.outlinesErr = sfnt.Parse(ttf)
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
