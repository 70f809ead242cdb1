package render

// Line breaking for field values. Chinese text may break between any two
// ideographs, but not before closing punctuation nor after opening
// punctuation (避头尾, the kinsoku rules of GB/T 15834 practice); Latin
// words and numbers (addresses, URLs, registered capital) break at spaces,
// and only when a word is wider than the line is it cut.

import (
	"strings"
	"unicode"
)

// noStart may not begin a line; noEnd may not end one.
const (
	noStart = "，。、；：？！）》」』】〕〉”’…—·%‰℃．,.;:?!)]}"
	noEnd   = "（《「『【〔〈“‘([{"
)

type token struct {
	s     string
	w     float64
	space bool
}

// breakLines splits text into lines no wider than width, where adv gives
// each rune's advance width. A newline in text always breaks. Spaces at the
// end of a line are dropped. Every line is at most width wide, except a
// line holding a single rune wider than width.
func breakLines(text string, width float64, adv func(rune) float64) []string {
	var lines []string
	for _, l := range breakText(text, width, adv) {
		lines = append(lines, l.s)
	}
	return lines
}

// line is a line of a broken text; last marks the last line of a paragraph,
// which is not justified.
type line struct {
	s    string
	last bool
}

// breakText is breakLines, telling which lines end a paragraph.
func breakText(text string, width float64, adv func(rune) float64) []line {
	var lines []line
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		p := breakParagraph(para, width, adv)
		for i, s := range p {
			lines = append(lines, line{s: s, last: i == len(p)-1})
		}
	}
	return lines
}

func breakParagraph(text string, width float64, adv func(rune) float64) []string {
	var (
		lines []string
		cur   []token
		curW  float64
	)
	flush := func() {
		for len(cur) > 0 && cur[len(cur)-1].space {
			curW -= cur[len(cur)-1].w
			cur = cur[:len(cur)-1]
		}
		var b strings.Builder
		for _, t := range cur {
			b.WriteString(t.s)
		}
		lines = append(lines, b.String())
		cur, curW = cur[:0], 0
	}
	for _, t := range tokenize(text, adv) {
		switch {
		case t.space:
			// No line starts with a space; one at the end of a line may hang
			// past it, as it is dropped when the line breaks at the next
			// token, where the punctuation rules apply.
			if len(cur) > 0 {
				cur = append(cur, t)
				curW += t.w
			}
		case curW+t.w <= width:
			cur = append(cur, t)
			curW += t.w
		case t.w > width:
			// A word wider than the line: fill the line with it, then go on.
			for _, r := range t.s {
				w := adv(r)
				if curW+w > width && len(cur) > 0 {
					flush()
				}
				cur = append(cur, token{s: string(r), w: w})
				curW += w
			}
		default:
			// Break before t. Keep opening punctuation with what follows it,
			// and never start a line with closing punctuation: carry the last
			// token over with t instead.
			for len(cur) > 0 && cur[len(cur)-1].space {
				curW -= cur[len(cur)-1].w
				cur = cur[:len(cur)-1]
			}
			var carry []token
			for len(cur) > 1 {
				last := cur[len(cur)-1]
				if last.space {
					// A space between the carried tokens goes.
					cur = cur[:len(cur)-1]
					curW -= last.w
					continue
				}
				next := t.s
				if len(carry) > 0 {
					next = carry[0].s
				}
				if !endsWithNoEnd(last.s) && !startsWithNoStart(next) {
					break
				}
				carry = append([]token{last}, carry...)
				cur = cur[:len(cur)-1]
				curW -= last.w
			}
			flush()
			for _, c := range carry {
				cur = append(cur, c)
				curW += c.w
			}
			cur = append(cur, t)
			curW += t.w
			// A carried token plus t could be wider than the line only with
			// absurdly narrow lines; start over from the carried tokens then.
			if curW > width && len(cur) > 1 {
				rest := cur[1:]
				cur, curW = cur[:1], cur[0].w
				flush()
				for _, c := range rest {
					cur = append(cur, c)
					curW += c.w
				}
			}
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// tokenize splits text into breakable units: single ideographs and
// punctuation, Latin words (letters, digits and the symbols inside them),
// and runs of spaces.
func tokenize(text string, adv func(rune) float64) []token {
	var toks []token
	var word strings.Builder
	var wordW float64
	end := func() {
		if word.Len() > 0 {
			toks = append(toks, token{s: word.String(), w: wordW})
			word.Reset()
			wordW = 0
		}
	}
	for _, r := range text {
		if r == '\t' {
			r = ' '
		}
		switch {
		case unicode.IsSpace(r):
			end()
			if n := len(toks); n > 0 && toks[n-1].space {
				continue // collapse runs of spaces
			}
			toks = append(toks, token{s: " ", w: adv(' '), space: true})
		case isWide(r):
			end()
			toks = append(toks, token{s: string(r), w: adv(r)})
		default:
			word.WriteRune(r)
			wordW += adv(r)
		}
	}
	end()
	return toks
}

// isWide reports a character that stands alone for line breaking: CJK
// ideographs, kana, hangul, fullwidth forms and CJK punctuation.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) ||
		unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		r >= 0x3000 && r <= 0x303F || // CJK symbols and punctuation
		r >= 0xFF00 && r <= 0xFFEF || // fullwidth forms
		r >= 0x2010 && r <= 0x2027 // dashes, quotes, ellipsis
}

func startsWithNoStart(s string) bool {
	for _, r := range s {
		return strings.ContainsRune(noStart, r)
	}
	return false
}

func endsWithNoEnd(s string) bool {
	if s == "" {
		return false
	}
	r := []rune(s)
	return strings.ContainsRune(noEnd, r[len(r)-1])
}
