package ids

import "unicode/utf8"

// GB 32100-2015 法人和其他组织统一社会信用代码编码规则.
//
//	character  1     登记管理部门代码 registration authority code
//	character  2     机构类别代码 organisation category code
//	characters 3-8   登记管理机关行政区划码 administrative division code, digits
//	characters 9-17  主体标识码 (组织机构代码) organisation code, GB 11714-1997,
//	                 whose own check character is character 17
//	character  18    校验码 check character
const (
	usccLen  = 18
	usccCode = "USCC"
)

// usccAlphabet is GB 32100-2015's 代码字符集 in value order: digits, then
// the upper-case letters without I, O, Z, S and V, which are too easily
// read as 1, 0, 2, 5 and U.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are GB 32100-2015's weights W_i = 3^(i-1) mod 31 for the
// first 17 characters.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps a byte to its value in usccAlphabet, or -1.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(usccAlphabet); i++ {
		t[usccAlphabet[i]] = int8(i)
	}
	return t
}()

// orgWeights are the weights of GB 11714-1997 组织机构代码 for its eight
// body characters; the ninth is the check character.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// ValidateUSCC checks a unified social credit code: 18 characters from the
// GB 32100-2015 character set, a numeric administrative division code, a
// matching check character, and a matching GB 11714-1997 check character
// on the embedded organisation code.
//
// The registration authority and category codes (characters 1 and 2) are
// not checked against a list: authorities have been added to that list by
// notice since 2015, and a stale list would reject real codes.
func ValidateUSCC(s string) error {
	if e := validateUSCC(s); e != nil {
		return e
	}
	return nil
}

// USCCCheck returns the check character (character 18) for the first 17
// characters of a unified social credit code.
func USCCCheck(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != usccLen-1 {
		return 0, formatError(usccCode, first17, 0, "has %d characters; USCCCheck takes the first 17 characters of a USCC", n)
	}
	if i := firstNonASCII(first17); i >= 0 {
		pos, r := charAt(first17, i)
		return 0, formatError(usccCode, first17, pos, "%s", nonASCIIReason(pos, r))
	}
	for i := 0; i < len(first17); i++ {
		if usccValue[first17[i]] < 0 {
			return 0, usccCharError(first17, i)
		}
	}
	return usccCheck(first17), nil
}

func validateUSCC(s string) *Error {
	if s == "" {
		return formatError(usccCode, s, 0, "is empty")
	}
	if n := utf8.RuneCountInString(s); n != usccLen {
		return formatError(usccCode, s, 0, "has %d characters, a USCC has 18", n)
	}
	if i := firstNonASCII(s); i >= 0 {
		pos, r := charAt(s, i)
		return formatError(usccCode, s, pos, "%s", nonASCIIReason(pos, r))
	}
	for i := 0; i < usccLen; i++ {
		if usccValue[s[i]] < 0 {
			return usccCharError(s, i)
		}
	}
	for i := 2; i < 8; i++ {
		if c := s[i]; c < '0' || c > '9' {
			return formatError(usccCode, s, i+1, "character %d %q is not a digit: characters 3-8 are the registration authority's administrative division code (登记管理机关行政区划码)", i+1, c)
		}
	}
	if want := usccCheck(s[:17]); s[17] != want {
		return checkError(usccCode, s, 18, "character 18: check character is %q, expected %q; %s", s[17], want, typoHint)
	}
	// A code whose own check character matches but whose organisation code
	// does not was not issued: it was made up or converted by hand.
	if want := orgCodeCheck(s[8:16]); s[16] != want {
		return checkError(usccCode, s, 17, "character 17: check character of the organisation code (组织机构代码, characters 9-17, GB 11714-1997) is %q, expected %q; the code was not issued as written", s[16], want)
	}
	return nil
}

// usccCharError explains why byte i of s, an ASCII string, is not in the
// USCC character set.
func usccCharError(s string, i int) *Error {
	c, pos := s[i], i+1
	switch {
	case c >= 'a' && c <= 'z':
		return formatError(usccCode, s, pos, "character %d %q is lower case; a USCC is written in upper case", pos, c)
	case c == 'I' || c == 'O' || c == 'Z' || c == 'S' || c == 'V':
		return formatError(usccCode, s, pos, "character %d %q is not allowed in a USCC (I, O, Z, S, V are never used)", pos, c)
	default:
		return formatError(usccCode, s, pos, "character %d %q is not allowed in a USCC, which uses digits and the letters %s only", pos, c, usccAlphabet[10:])
	}
}

// usccCheck computes GB 32100-2015's check character
// C18 = 31 - MOD(Σ Ci×Wi, 31), the value 31 written as 0.
// first17 must hold characters of usccAlphabet only.
func usccCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(usccValue[first17[i]]) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// orgCodeCheck computes the GB 11714-1997 check character of an
// organisation code's eight body characters: C9 = 11 - MOD(Σ Ci×Wi, 11),
// 10 written X and 11 written 0. Letters count A=10 … Z=35 here, unlike in
// the USCC alphabet, which skips letters.
func orgCodeCheck(body string) byte {
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}
