package page

import (
	"strings"
	"unicode/utf8"
)

// Masking for display on a public page. The rules are the same as those of
// license/ids (MaskName, MaskCitizenID), kept here on purpose so that this
// package stands alone until the two are unified.

// MaskName hides a personal name: the first and last characters stay, and
// every character between becomes one '*'. 张三 becomes 张*, 张小三 becomes
// 张*三, 欧阳小明 becomes 欧**明. A name of one character becomes "*".
// Surrounding white space is dropped first.
//
// The rule counts characters, not surnames: a compound surname (欧阳) is not
// recognised, so the masked name keeps its length and says as little as
// possible. MaskName is idempotent: a masked name masks to itself.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	default:
		return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
	}
}

// MaskCitizenID hides the birth date and most of the sequence of a GB
// 11643-1999 citizen identity number: 18 characters keep the first 6 (the
// address code) and the last 4, with 8 '*' between (110101********1234). An
// old 15-digit number keeps its first 6 and last 3. Anything else, which a
// public page cannot tell the meaning of, becomes one '*' per character.
// Surrounding white space is dropped first. MaskCitizenID is idempotent.
func MaskCitizenID(id string) string {
	id = strings.TrimSpace(id)
	n := utf8.RuneCountInString(id)
	switch {
	case n == 18 || n == 15:
		r := []rune(id)
		if n == 18 {
			return string(r[:6]) + "********" + string(r[14:])
		}
		return string(r[:6]) + "******" + string(r[12:])
	default:
		return strings.Repeat("*", n)
	}
}

// scrubCitizenIDs masks, with MaskCitizenID, every run of characters in s
// that looks like an unmasked 18-character citizen identity number: 17 ASCII
// digits and a digit or X, not touching another digit, starting with a
// province-level code and holding a plausible birth date in characters 7-14.
// The check character is not tested: a mistyped number is still personal.
//
// It is the page's last line of defence: a lookup that wrongly passes a full
// number in any field still does not publish it.
func scrubCitizenIDs(s string) string {
	if len(s) < 18 {
		return s
	}
	var b *strings.Builder
	last := 0 // bytes of s before last are in b
	for i := 0; i+18 <= len(s); {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		// s[i] starts a run of digits: measure it.
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		end := j
		if j-i == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') {
			end = j + 1
		}
		if end-i == 18 && (end == len(s) || !isIDChar(s[end])) && looksLikeCitizenID(s[i:end]) {
			if b == nil {
				b = new(strings.Builder)
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			b.WriteString(MaskCitizenID(s[i:end]))
			last = end
		}
		i = j
	}
	if b == nil {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// looksLikeCitizenID reports whether 18 ASCII characters have a province
// code (GB/T 2260, 11-82) and a birth date of 1800-2099.
func looksLikeCitizenID(s string) bool {
	p := num(s[0:2])
	if p < 11 || p > 82 {
		return false
	}
	y, m, d := num(s[6:10]), num(s[10:12]), num(s[12:14])
	return y >= 1800 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIDChar(c byte) bool { return isDigit(c) || c == 'X' || c == 'x' }
