package render

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// unit gives every character the width 1, a space 0.5.
func unit(r rune) float64 {
	if r == ' ' {
		return 0.5
	}
	return 1
}

func TestBreakLines(t *testing.T) {
	for _, tc := range []struct {
		text  string
		width float64
		want  []string
	}{
		{"一二三四五六七", 5, []string{"一二三四五", "六七"}},
		{"一二三四五", 5, []string{"一二三四五"}},
		{"", 5, []string{""}},
		// Closing punctuation does not start a line: the character before
		// it moves down with it.
		{"一二三四五，六", 5, []string{"一二三四", "五，六"}},
		{"一二三四五。）六", 5, []string{"一二三四", "五。）六"}},
		// Opening punctuation does not end a line.
		{"一二三四（五六", 5, []string{"一二三四", "（五六"}},
		// Latin words break at spaces; spaces at a break are dropped.
		{"abc defgh ij", 6, []string{"abc", "defgh", "ij"}},
		{"注册资本 1000 万元", 7, []string{"注册资本", "1000 万元"}},
		{"注册资本 1000 万元", 9, []string{"注册资本 1000", "万元"}},
		// A word wider than the line is cut.
		{"https://example.org/v/1", 10, []string{"https://ex", "ample.org/", "v/1"}},
		{"住所：abcdefghijkl", 6, []string{"住所：abc", "defghi", "jkl"}},
		// A newline always breaks.
		{"一二\n三四", 5, []string{"一二", "三四"}},
		{"一二\r\n\n三", 5, []string{"一二", "", "三"}},
	} {
		if got := breakLines(tc.text, tc.width, unit); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("breakLines(%q, %g) = %q, want %q", tc.text, tc.width, got, tc.want)
		}
	}
}

func TestBreakTextLast(t *testing.T) {
	got := breakText("一二三四五六\n七", 4, unit)
	want := []line{{"一二三四", false}, {"五六", true}, {"七", true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("breakText = %v, want %v", got, want)
	}
}

// TestBreakLinesProperties breaks random text and checks that no line is
// too wide, that no text is lost, and that the kinsoku rules hold where
// they can.
func TestBreakLinesProperties(t *testing.T) {
	alphabet := []rune("一二三四五六七八九十，。、；：）》（《ab1 .-")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		n := rng.IntN(60)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		width := float64(2 + rng.IntN(12))
		lines := breakLines(text, width, unit)
		for _, l := range lines {
			var w float64
			for _, r := range l {
				w += unit(r)
			}
			if w > width && utf8.RuneCountInString(l) > 1 {
				t.Fatalf("breakLines(%q, %g): line %q is %g wide", text, width, l, w)
			}
			if strings.HasPrefix(l, " ") || strings.HasSuffix(l, " ") {
				t.Fatalf("breakLines(%q, %g): line %q starts or ends with a space", text, width, l)
			}
		}
		if squash(strings.Join(lines, "")) != squash(text) {
			t.Fatalf("breakLines(%q, %g) = %q loses text", text, width, lines)
		}
		// A line starts with closing punctuation only if the line before
		// is a single unit that cannot be broken.
		for k, l := range lines[1:] {
			prev := lines[k]
			single := utf8.RuneCountInString(prev) == 1 || !strings.ContainsFunc(prev, func(r rune) bool { return isWide(r) || r == ' ' })
			if width >= 4 && startsWithNoStart(l) && isWide([]rune(l)[0]) && !single {
				t.Fatalf("breakLines(%q, %g) = %q: line %d starts with closing punctuation", text, width, lines, k+1)
			}
		}
	}
}
