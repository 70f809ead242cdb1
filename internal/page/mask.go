package page

import (
	"strings"

	"github.com/eseal-project/eseal/license/ids"
)

// Masking for display on a public page follows license/ids.

// MaskName hides a personal name: the first and last characters stay, and
// every character between becomes one '*' (张*三, 欧**明); see ids.MaskName.
func MaskName(name string) string { return ids.MaskName(name) }

// MaskCitizenID hides the birth date and most of the sequence of a citizen
// identity number (110101********1234); see ids.MaskCitizenID. Surrounding
// white space is dropped first.
func MaskCitizenID(id string) string { return ids.MaskCitizenID(strings.TrimSpace(id)) }

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
