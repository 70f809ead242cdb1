// Package cjkfont finds and loads the Chinese font that seal pictures and
// licence PDFs are set in: the installed files to search, one font cut out
// of a collection (.ttc) as a standalone file with aligned tables, a cache,
// and the error that tells a user what to install or which option takes a
// font file.
package cjkfont

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// debianPackage is the font a user is told to install: TrueType outlines,
// so every caller can use it.
const debianPackage = "fonts-wqy-microhei"

// installed lists, in order of preference, the Chinese fonts Debian
// packages install: fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk,
// fonts-arphic-uming and fonts-droid-fallback.
var installed = []struct {
	path string
	cff  bool
}{
	{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", false},
	{"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", false},
	{"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", true},
	{"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", true},
	{"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", true},
	{"/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", true},
	{"/usr/share/fonts/truetype/arphic/uming.ttc", false},
	{"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", false},
}

// Need says what font a caller can use and how its user names a font file;
// it words the caller's errors.
type Need struct {
	// Err is the caller's sentinel error: it heads the message of an
	// *Error, which matches it with errors.Is.
	Err error
	// Option is how a user names a font file: "--font", "Options.FontPath".
	Option string
	// NoCFF, when set, refuses fonts with CFF (PostScript) outlines and is
	// the reason given: "the PDF writer embeds TrueType outlines only".
	NoCFF string
}

// SearchPath returns, in order, the installed font files to try when the
// user names none, leaving out those with CFF outlines (Noto CJK) if n
// refuses them. The slice is new on each call.
func (n Need) SearchPath() []string {
	var paths []string
	for _, f := range installed {
		if !f.cff || n.NoCFF == "" {
			paths = append(paths, f.path)
		}
	}
	return paths
}

// fileKind describes the font files n can use, for the error message.
func (n Need) fileKind() string {
	if n.NoCFF != "" {
		return "TrueType font file (.ttf, or .ttc with TrueType outlines)"
	}
	return "TrueType/OpenType font file (.ttf, .otf, .ttc)"
}

// check refuses a standalone font (from Extract) whose outlines n cannot
// use.
func (n Need) check(font []byte) error {
	if n.NoCFF == "" {
		return nil
	}
	if string(font[:4]) == versionCFF || hasTable(font, "CFF ") || hasTable(font, "CFF2") {
		return fmt.Errorf("font has CFF (PostScript) outlines, but %s; use a TrueType font such as WenQuanYi Micro Hei", n.NoCFF)
	}
	if !hasTable(font, "glyf") {
		return errors.New("font has no TrueType outlines (glyf table)")
	}
	return nil
}

// Error is the error for a font that is missing or unusable. It matches
// Need.Err.
type Error struct {
	// Need is what the caller asked for.
	Need Need
	// Tried lists each file tried and why it was not used, in order.
	Tried []Attempt
	// Explicit is set when the user named the font file.
	Explicit bool
}

// Attempt is one font file that was tried.
type Attempt struct {
	Path string
	Err  error // names Path
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Need.Err != nil {
		b.WriteString(e.Need.Err.Error())
	} else {
		b.WriteString("no usable Chinese font")
	}
	for i, a := range e.Tried {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.Err.Error())
	}
	install := "(apt-get install " + debianPackage + ")"
	switch {
	case e.Need.Option == "":
		fmt.Fprintf(&b, "; install one %s", install)
	case e.Explicit:
		fmt.Fprintf(&b, "; set %s to a %s that has Chinese glyphs, or leave it unset to use an installed one %s", e.Need.Option, e.Need.fileKind(), install)
	default:
		fmt.Fprintf(&b, "; install one %s or set %s to a %s that has Chinese glyphs", install, e.Need.Option, e.Need.fileKind())
	}
	return b.String()
}

// Is makes errors.Is(err, e.Need.Err) true.
func (e *Error) Is(target error) bool { return target != nil && target == e.Need.Err }

// A Finder finds and loads fonts for one caller and caches what it loads.
// Its methods are safe for concurrent use; its fields must not change once
// it is used.
type Finder[F any] struct {
	Need Need
	// Load makes the caller's font from font number index of the file at
	// path, given as a standalone font file with aligned tables (see
	// Extract) whose outlines Need allows. It checks that the font has
	// the glyphs the caller needs.
	Load func(path string, index int, font []byte) (F, error)

	mu    sync.Mutex
	cache map[cacheKey]cached[F]
}

type cacheKey struct {
	path string
	which
}

// which is the font of a file to load: number index, or with anyFont the one
// FindAny describes.
type which struct {
	index   int
	anyFont bool
}

// cached is a loaded font and the state of the file it came from, so that
// a file replaced in place is read again.
type cached[F any] struct {
	size, mod int64
	font      F
}

// Find returns font number index of the file at path (0 for a single font
// file), or, when path is empty, of the first file in search that has a
// usable one; and the file it came from. The error is an *Error naming each
// file tried.
func (f *Finder[F]) Find(path string, index int, search []string) (F, string, error) {
	return f.find(path, which{index: index}, search)
}

// FindAny is Find taking the first font of a collection that Load accepts,
// preferring a Simplified Chinese one: Noto CJK collections hold Japanese,
// Korean, Simplified and Traditional Chinese fonts, whose ideographs differ
// in detail.
func (f *Finder[F]) FindAny(path string, search []string) (F, string, error) {
	return f.find(path, which{anyFont: true}, search)
}

func (f *Finder[F]) find(path string, w which, search []string) (F, string, error) {
	paths := search
	if path != "" {
		paths = []string{path}
	}
	e := &Error{Need: f.Need, Explicit: path != ""}
	for _, p := range paths {
		font, err := f.load(p, w)
		if err == nil {
			return font, p, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%s not found", p)
		} else {
			err = fmt.Errorf("%s: %w", p, err)
		}
		e.Tried = append(e.Tried, Attempt{Path: p, Err: err})
	}
	var zero F
	return zero, "", e
}

func (f *Finder[F]) load(path string, w which) (F, error) {
	var zero F
	st, err := os.Stat(path)
	if err != nil {
		return zero, withoutPath(err)
	}
	key := cacheKey{path, w}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.cache[key]; ok && c.size == st.Size() && c.mod == st.ModTime().UnixNano() {
		return c.font, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, withoutPath(err)
	}
	font, err := f.pick(path, w, data)
	if err != nil {
		return zero, err
	}
	if f.cache == nil {
		f.cache = make(map[cacheKey]cached[F])
	}
	f.cache[key] = cached[F]{st.Size(), st.ModTime().UnixNano(), font}
	return font, nil
}

// withoutPath drops the path from a file system error, as Find puts it in
// front.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pick loads the font w of data, the file at path.
func (f *Finder[F]) pick(path string, w which, data []byte) (F, error) {
	var zero F
	if !w.anyFont {
		font, err := f.extract(data, w.index)
		if err != nil {
			return zero, err
		}
		return f.Load(path, w.index, font)
	}
	n, err := Count(data)
	if err != nil {
		return zero, err
	}
	var first F
	found := false
	for i := range n {
		font, xerr := f.extract(data, i)
		if xerr != nil {
			err = xerr
			continue
		}
		sc := simplifiedChinese(font)
		if found && !sc {
			continue
		}
		got, lerr := f.Load(path, i, font)
		if lerr != nil {
			err = lerr
			continue
		}
		if sc {
			return got, nil
		}
		if !found {
			first, found = got, true
		}
	}
	if found {
		return first, nil
	}
	return zero, err
}

func (f *Finder[F]) extract(data []byte, index int) ([]byte, error) {
	font, err := Extract(data, index)
	if err != nil {
		return nil, err
	}
	return font, f.Need.check(font)
}
