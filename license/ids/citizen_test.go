package ids

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCitizenWeights(t *testing.T) {
	for i, got := range citizenWeights {
		w := 1
		for k := 0; k < 17-i; k++ {
			w = w * 2 % 11
		}
		if got != w {
			t.Errorf("W%d = %d, want 2^%d mod 11 = %d", i+1, got, 17-i, w)
		}
	}
	// The check character c is the one that makes Σ ai×Wi + c ≡ 1 (mod 11),
	// X standing for 10.
	for sum := 0; sum < 11; sum++ {
		v := 10
		if c := citizenCheckChars[sum]; c != 'X' {
			v = int(c - '0')
		}
		if (sum+v)%11 != 1 {
			t.Errorf("check character for sum ≡ %d is %q, which does not make the total ≡ 1", sum, citizenCheckChars[sum])
		}
	}
}

// withCitizenCheck appends the right check character to 17 digits.
func withCitizenCheck(first17 string) string { return first17 + string(citizenCheck(first17)) }

func TestValidateCitizenIDErrors(t *testing.T) {
	// 2026-11-25 16:30 UTC is already 2026-11-26 in Beijing.
	now := time.Date(2026, 11, 25, 16, 30, 0, 0, time.UTC)
	tests := []struct {
		in      string
		kind    error
		pos     int
		message string
	}{
		{"", ErrFormat, 0, "is empty"},
		{"11010519491231002", ErrFormat, 0, "has 17 characters, a citizen identity number has 18"},
		{"110105491231002", ErrFormat, 0, "has 15 digits: it is an old-style number without a check character"},
		{"1101A519491231002X", ErrFormat, 5, "character 5 'A' is not a digit; only character 18 may be X"},
		{"11010519491231002x", ErrFormat, 18, "character 18 'x' must be written as upper-case X"},
		{"11010519491231002Y", ErrFormat, 18, "character 18 'Y' is neither a digit nor X"},
		{"1101051949123１002X", ErrFormat, 14, "character 14 '１' is a full-width character"},
		{"99010519491231002X", ErrFormat, 1, "characters 1-2 are 99, which is not a province-level code"},
		{"10010519491231002X", ErrFormat, 1, "characters 1-2 are 10, which is not a province-level code"},
		{"11010517991231002X", ErrFormat, 7, "characters 7-10 give birth year 1799, before 1800"},
		{"11010519491331002X", ErrFormat, 11, "characters 11-12 give birth month 13; a month is 01 to 12"},
		{"11010519490001002X", ErrFormat, 11, "birth month 00"},
		{"11010519900230002X", ErrFormat, 13, "characters 13-14 give birth day 30; that month has days 01 to 28"},
		{"11010519000229002X", ErrFormat, 13, "birth day 29; that month has days 01 to 28"}, // 1900 was not a leap year
		{"11010519490431002X", ErrFormat, 13, "birth day 31; that month has days 01 to 30"},
		{"11010520261127002X", ErrFormat, 7, "characters 7-14 give a birth date in the future"},
		{"11010530000101002X", ErrFormat, 7, "a birth date in the future"},
		{"110105194912310021", ErrCheck, 18, `ids: citizen identity number "110105********0021": character 18: check character is '1', expected 'X'`},
		{"11010519491231020X", ErrCheck, 18, "character 18: check character is 'X', expected"},
	}
	for _, tt := range tests {
		e := validateCitizenID(tt.in, now)
		if e == nil {
			t.Errorf("validateCitizenID(%q) accepted it", tt.in)
			continue
		}
		if !errors.Is(e, tt.kind) || e.Pos != tt.pos || !strings.Contains(e.Error(), tt.message) {
			t.Errorf("validateCitizenID(%q) = %q (position %d, is %v: %t)\nwant position %d and a message containing %q", tt.in, e, e.Pos, tt.kind, errors.Is(e, tt.kind), tt.pos, tt.message)
		}
		if len(tt.in) == 18 && strings.Contains(e.Error(), tt.in) {
			t.Errorf("error %q repeats the number", e)
		}
	}

	for _, ok := range []string{
		withCitizenCheck("11010520000229002"), // 2000 was a leap year
		withCitizenCheck("11010520261126002"), // born today, Beijing time
		withCitizenCheck("81000019991220001"), // Hong Kong residence permit range
		withCitizenCheck("65010018000101001"), // the earliest birth date accepted
	} {
		if e := validateCitizenID(ok, now); e != nil {
			t.Errorf("validateCitizenID(%s): %v", ok, e)
		}
	}
}

func TestMaskCitizenID(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"11010519491231002X", "110105********002X"},
		{"440524188001010014", "440524********0014"},
		{"110105491231002", "110105******002"},
		{"1101051949", "**********"},
		{"", ""},
		{"张三", "**"},
	} {
		if got := MaskCitizenID(tt.in); got != tt.want {
			t.Errorf("MaskCitizenID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"  ", ""},
		{"张", "*"},
		{"张三", "张*"},
		{"张小三", "张*三"},
		{"欧阳娜娜", "欧**娜"},
		{"迪丽热巴·迪力木拉提", "迪********提"},
		{" 李四 ", "李*"},
		{"John Smith", "J********h"},
		{"\xff\xfe", "\uFFFD*"},
	} {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindCitizenID(t *testing.T) {
	id := withCitizenCheck("11010119900307123")
	tests := []struct {
		name, in string
		found    string // "" when there is none
	}{
		{"alone", id, id},
		{"X check character", "11010519491231002X", "11010519491231002X"},
		{"x check character", "11010519491231002x", "11010519491231002x"},
		{"born 1880 (GB 11643 附录A)", "440524188001010014", "440524188001010014"},
		{"in Chinese text", "身份证号" + id + "。", id},
		{"between letters", "a" + id + "b", id},
		{"after an X", "X" + id, id},
		{"before an X", id + "X", id},
		{"after another number's X", "11010519491231002X" + id, id},
		{"wrong check character", "110105194912310021", "110105194912310021"},
		{"address code not in GB/T 2260", "990101199003071234", "990101199003071234"},
		{"29 February 2000", "110101200002291234", "110101200002291234"},
		{"the serial of a license identifier", "1.2.156.3005.2.11110000MB12345624001.11110108MB0000019H." + id + ".001.K", id},
		{"a license number with a serial from 01010000", "110108202601010000", "110108202601010000"},

		{"full-width digits", "号码：１１０１０１１９９００３０７１２３４。", "１１０１０１１９９００３０７１２３４"},
		{"full-width X", "１１０１０５１９４９１２３１００２Ｘ", "１１０１０５１９４９１２３１００２Ｘ"},
		{"widths mixed", "110101１９９００３０７1234", "110101１９９００３０７1234"},

		{"empty", "", ""},
		{"17 digits", id[:17], ""},
		{"full-width, 19 digits", "１１０１０１１９９００３０７１２３４５", ""},
		{"full-width digit before", "１" + id, ""},
		{"19 digits", id + "5", ""},
		{"a digit before", "0" + id, ""},
		{"two numbers run together", id + "11010519491231002X", ""},
		{"X inside a run", "11010119900307123X5", ""},
		{"leading zero", "010101199003071234", ""},
		{"month 13", "110101199013071234", ""},
		{"30 February", "110101199002301234", ""},
		{"29 February 1900", "110101190002291234", ""},
		{"year 1799", "110101179912311234", ""},
		{"year 2200", "110101220001011234", ""},
		{"already masked", "110101********1234", ""},
		{"USCC", "91310115MA1H7GKQ3D", ""},
		{"all-digit USCC-like code", "911101080000000001", ""},
		{"license identifier", "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F", ""},
		{"license number, serial 1", "110108202600000001", ""},
		{"license number, serial 1009999", "110108202601009999", ""},
		{"license number, serial 12345678", "110108202612345678", ""},
		{"SHA-256 digest", "sha256:0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", ""},
	}
	for _, tt := range tests {
		start, end, ok := FindCitizenID(tt.in)
		got := ""
		if ok {
			got = tt.in[start:end]
		}
		if got != tt.found {
			t.Errorf("%s: FindCitizenID(%q) found %q, want %q", tt.name, tt.in, got, tt.found)
		}
		if ok && tt.in[:start]+tt.in[end:] != strings.Replace(tt.in, tt.found, "", 1) {
			t.Errorf("%s: FindCitizenID(%q) = %d, %d: not the first occurrence", tt.name, tt.in, start, end)
		}
	}
}

func TestMaskCitizenIDsIn(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"110101199003071234", "110101********1234"},
		{"身份证号110101199003071234。", "身份证号110101********1234。"},
		{"ID:11010519491231002x, 2nd 440524188001010014", "ID:110105********002x, 2nd 440524********0014"},
		{"110101199003071234,11010519491231002X", "110101********1234,110105********002X"},
		{"<b>110101199003071234</b>", "<b>110101********1234</b>"},
		{"持证人110101199003071234冒用他人身份", "持证人110101********1234冒用他人身份"},
		{"11010519491231002X110101199003071234", "11010519491231002X110101********1234"},
		{"证照编号 110108202600000123 已注销", "证照编号 110108202600000123 已注销"},
		{"1101011990030712345", "1101011990030712345"},
		{"no number here", "no number here"},
		{"身份证１１０１０１１９９００３０７１２３４号", "身份证１１０１０１＊＊＊＊＊＊＊＊１２３４号"},
		{"核查１１０１０５１９４９１２３１００２Ｘ", "核查１１０１０５＊＊＊＊＊＊＊＊００２Ｘ"},
	} {
		got := MaskCitizenIDsIn(tt.in)
		if got != tt.want {
			t.Errorf("MaskCitizenIDsIn(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if again := MaskCitizenIDsIn(got); again != got {
			t.Errorf("MaskCitizenIDsIn is not idempotent on %q: %q then %q", tt.in, got, again)
		}
	}
}
