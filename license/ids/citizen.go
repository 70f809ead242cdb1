package ids

import (
	"strings"
	"time"
	"unicode/utf8"
)

// GB 11643-1999 公民身份号码: 17 digits of 本体码 and a check character.
//
//	characters 1-6    地址码 address code (GB/T 2260 administrative division)
//	characters 7-14   出生日期码 birth date, YYYYMMDD
//	characters 15-17  顺序码 sequence code, odd for men and even for women
//	character  18     校验码 check character, ISO 7064 MOD 11-2
const (
	citizenLen  = 18
	citizenCode = "citizen identity number"
)

// citizenWeights are ISO 7064 MOD 11-2's weights W_i = 2^(18-i) mod 11 for
// the first 17 characters.
var citizenWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// citizenCheckChars is the check character for each value of Σ ai×Wi mod 11.
const citizenCheckChars = "10X98765432"

// provinces are the GB/T 2260 province-level codes an address code can
// start with, 71 (Taiwan), 81 (Hong Kong) and 82 (Macao) included.
var provinces = func() (t [100]bool) {
	for _, p := range []int{
		11, 12, 13, 14, 15,
		21, 22, 23,
		31, 32, 33, 34, 35, 36, 37,
		41, 42, 43, 44, 45, 46,
		50, 51, 52, 53, 54,
		61, 62, 63, 64, 65,
		71, 81, 82,
	} {
		t[p] = true
	}
	return t
}()

// earliestBirthYear is the first birth year accepted. Numbers for people
// born before 1900 exist: GB 11643-1999's own example 440524188001010014
// (附录A) was born in 1880, and 15-digit numbers of centenarians became
// 18yy numbers when upgraded.
const earliestBirthYear = 1800

// chinaTime is the zone in which a birth date is "not in the future": a
// child born just after midnight in Beijing is born today, not tomorrow.
var chinaTime = time.FixedZone("UTC+8", 8*60*60)

// ValidateCitizenID checks an 18-character citizen identity number: digits,
// a province-level address code, a birth date that exists and lies between
// 1800-01-01 and today (Beijing time), and a matching check character. The
// last character may be X, written in upper case.
//
// The old 15-digit numbers, which have no check character, are rejected.
func ValidateCitizenID(s string) error {
	if e := validateCitizenID(s, time.Now()); e != nil {
		return e
	}
	return nil
}

func validateCitizenID(s string, now time.Time) *Error {
	masked := MaskCitizenID(s)
	if s == "" {
		return formatError(citizenCode, "", 0, "is empty")
	}
	if n := utf8.RuneCountInString(s); n != citizenLen {
		if n == 15 && firstNonASCII(s) < 0 && allDigits(s) {
			return formatError(citizenCode, masked, 0, "has 15 digits: it is an old-style number without a check character; ask for the 18-character number on the current identity card")
		}
		return formatError(citizenCode, masked, 0, "has %d characters, a citizen identity number has 18", n)
	}
	if i := firstNonASCII(s); i >= 0 {
		pos, r := charAt(s, i)
		return formatError(citizenCode, masked, pos, "%s", nonASCIIReason(pos, r))
	}
	for i := 0; i < 17; i++ {
		if c := s[i]; c < '0' || c > '9' {
			return formatError(citizenCode, masked, i+1, "character %d %q is not a digit; only character 18 may be X", i+1, c)
		}
	}
	switch c := s[17]; {
	case c == 'x':
		return formatError(citizenCode, masked, 18, "character 18 'x' must be written as upper-case X")
	case c != 'X' && (c < '0' || c > '9'):
		return formatError(citizenCode, masked, 18, "character 18 %q is neither a digit nor X", c)
	}
	if p := atoi2(s[0:2]); !provinces[p] {
		return formatError(citizenCode, masked, 1, "characters 1-2 are %02d, which is not a province-level code of GB/T 2260 (11 to 82)", p)
	}
	if e := checkBirthDate(s, masked, now); e != nil {
		return e
	}
	if want := citizenCheck(s[:17]); s[17] != want {
		return checkError(citizenCode, masked, 18, "character 18: check character is %q, expected %q; %s", s[17], want, typoHint)
	}
	return nil
}

// checkBirthDate checks characters 7-14. Its messages name the field that is
// wrong without repeating the whole date.
func checkBirthDate(s, masked string, now time.Time) *Error {
	year := atoi2(s[6:8])*100 + atoi2(s[8:10])
	month, day := atoi2(s[10:12]), atoi2(s[12:14])
	if year < earliestBirthYear {
		return formatError(citizenCode, masked, 7, "characters 7-10 give birth year %d, before %d", year, earliestBirthYear)
	}
	if month < 1 || month > 12 {
		return formatError(citizenCode, masked, 11, "characters 11-12 give birth month %02d; a month is 01 to 12", month)
	}
	// Day 0 of the next month is the last day of this one.
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day < 1 || day > last {
		return formatError(citizenCode, masked, 13, "characters 13-14 give birth day %02d; that month has days 01 to %02d", day, last)
	}
	ty, tm, td := now.In(chinaTime).Date()
	if year > ty || year == ty && (time.Month(month) > tm || time.Month(month) == tm && day > td) {
		return formatError(citizenCode, masked, 7, "characters 7-14 give a birth date in the future")
	}
	return nil
}

// citizenCheck computes the ISO 7064 MOD 11-2 check character of 17 digits.
func citizenCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * citizenWeights[i]
	}
	return citizenCheckChars[sum%11]
}

// MaskCitizenID hides the birth date and address detail of a citizen
// identity number for display: 110105********002X keeps the first 6 and the
// last 4 characters of an 18-character number. A 15-character (old-style)
// number keeps the first 6 and last 3. Anything else, being of no known
// shape, is masked completely, one asterisk per character. The input is not
// validated.
func MaskCitizenID(s string) string {
	r := []rune(s)
	switch len(r) {
	case 18:
		return string(r[:6]) + "********" + string(r[14:])
	case 15:
		return string(r[:6]) + "******" + string(r[12:])
	default:
		return strings.Repeat("*", len(r))
	}
}

// MaskName hides a personal name for display: 张三 becomes 张*, 张小三
// becomes 张*三, and longer names keep their first and last characters with
// one asterisk for each character between (欧阳娜娜 becomes 欧**娜). A name of
// one character becomes "*". Surrounding white space is dropped first.
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

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi2 reads two ASCII digits.
func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// FindCitizenID reports where the first citizen identity number in free
// text s is, as s[start:end]: 17 digits and a digit, X or x, with no digit
// just before or just after, starting with a digit 1-9, whose characters
// 7-14 are a calendar date in the years 1800 to 2199. Digits and X may be
// ASCII or full-width (０-９, Ｘ, ｘ), as Chinese input methods type them.
//
// It finds what may be someone's number rather than what is a valid one,
// so that text can be masked before it is shown, logged or recorded: the
// check character is not tested (a mistyped number is still personal), nor
// is the address code beyond its first digit, and the years reach past
// today so that a mistyped year is caught too.
//
// A license number of this project (6-digit jurisdiction, 4-digit year,
// 8-digit serial) reads as one only when its serial starts with a month
// and a day, from 01010000 on; below that its characters 11-12 are 00 and
// it is never found. From there on it is the same string as the number of
// a child born that day in that district, and some licenses are numbered
// with the holder's identity number (a driving licence's is), so it is
// found.
func FindCitizenID(s string) (start, end int, ok bool) {
	start, end = findCitizenID(s, 0)
	return start, end, start >= 0
}

// MaskCitizenIDsIn returns s with every citizen identity number that
// FindCitizenID finds in it masked as MaskCitizenID does, each hidden
// character replaced by an asterisk of its own width (* or ＊), so that
// the text keeps its length. Masked text has none left, so masking again
// changes nothing.
func MaskCitizenIDsIn(s string) string {
	start, end := findCitizenID(s, 0)
	if start < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for start >= 0 {
		b.WriteString(s[last:start])
		k := 0
		for _, r := range s[start:end] {
			switch {
			case k < 6 || k >= 14:
				b.WriteRune(r)
			case r < utf8.RuneSelf:
				b.WriteByte('*')
			default:
				b.WriteRune('＊')
			}
			k++
		}
		last = end
		start, end = findCitizenID(s, end)
	}
	b.WriteString(s[last:])
	return b.String()
}

// NarrowCitizenID writes a number that FindCitizenID found with ASCII
// characters, as ValidateCitizenID reads them: full-width digits become
// 0-9, and x, Ｘ and ｘ become X.
func NarrowCitizenID(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		v, size := idChar(s, i)
		switch {
		case v == 10:
			b.WriteByte('X')
		case v >= 0:
			b.WriteByte(byte('0' + v))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// idChar reads the character at s[i] as a digit (0-9), X (10) or neither
// (-1), ASCII or full-width, and its length in bytes.
func idChar(s string, i int) (v, size int) {
	c := s[i]
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), 1
	case c == 'X' || c == 'x':
		return 10, 1
	case c == 0xEF && i+2 < len(s):
		// U+FF10-U+FF19 ０-９ (EF BC 90-99), U+FF38 Ｘ (EF BC B8),
		// U+FF58 ｘ (EF BD 98).
		switch {
		case s[i+1] == 0xBC && 0x90 <= s[i+2] && s[i+2] <= 0x99:
			return int(s[i+2] - 0x90), 3
		case s[i+1] == 0xBC && s[i+2] == 0xB8, s[i+1] == 0xBD && s[i+2] == 0x98:
			return 10, 3
		}
	}
	return -1, 1
}

// findCitizenID is FindCitizenID from byte from on; start is -1 when there
// is none.
func findCitizenID(s string, from int) (start, end int) {
	var digits [citizenLen]byte
	for i := from; i < len(s); {
		v, size := idChar(s, i)
		if v < 0 || v == 10 {
			i += size
			continue
		}
		// s[i] starts a run of digits (the character before is not a
		// digit: it ended the previous run, or is where the search began,
		// which follows a number found or a non-digit).
		n, j := 0, i
		for j < len(s) {
			v, size := idChar(s, j)
			if v < 0 || v == 10 {
				break
			}
			if n < citizenLen {
				digits[n] = byte('0' + v)
			}
			n++
			j += size
		}
		end := j
		if n == 17 && j < len(s) {
			if v, size := idChar(s, j); v == 10 {
				digits[17] = 'X'
				n, end = 18, j+size
			}
		}
		if n == citizenLen && (end == len(s) || !isIDDigit(s, end)) && digits[0] != '0' && birthDateLike(string(digits[6:14])) {
			return i, end
		}
		i = j
	}
	return -1, -1
}

// isIDDigit reports whether a digit, ASCII or full-width, starts at s[i].
func isIDDigit(s string, i int) bool {
	v, _ := idChar(s, i)
	return v >= 0 && v < 10
}

// birthDateLike reports whether 8 ASCII digits are a date YYYYMMDD that
// exists, in the years 1800 to 2199.
func birthDateLike(d string) bool {
	year := atoi2(d[0:2])*100 + atoi2(d[2:4])
	month, day := atoi2(d[4:6]), atoi2(d[6:8])
	if year < earliestBirthYear || year > 2199 || month < 1 || month > 12 || day < 1 {
		return false
	}
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
