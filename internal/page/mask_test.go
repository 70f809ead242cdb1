package page

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eseal-project/eseal/license/ids"
)

func TestMaskName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"  ", ""},
		{"张", "*"},
		{"张三", "张*"},
		{"张小三", "张*三"},
		{"欧阳小明", "欧**明"}, // characters are counted, compound surnames are not recognised
		{"司马相如", "司**如"},
		{" 李四 ", "李*"},
		{"阿卜杜拉·艾买提", "阿******提"},
		{"John Smith", "J********h"},
		{"张*三", "张*三"}, // already masked
		{"欧**明", "欧**明"},
		{"\xff\xfe", "\ufffd*"}, // invalid UTF-8 does not panic
	} {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskCitizenID(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"110101199003071234", "110101********1234"},
		{"11010519491231002X", "110105********002X"},
		{" 110101199003071234\n", "110101********1234"},
		{"110101********1234", "110101********1234"}, // already masked
		{"110105491231002", "110105******002"},       // old 15-digit number
		{"", ""},
		{"1234", "****"},
		{"11010119900307123", "*****************"},     // 17: no telling what it is
		{"1101011990030712345", "*******************"}, // 19
		{"１１０１０１１９９００３０７１２３４", "１１０１０１********１２３４"}, // full-width digits: 18 characters
	} {
		if got := MaskCitizenID(tt.in); got != tt.want {
			t.Errorf("MaskCitizenID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every field of the page is masked with ids.MaskCitizenIDsIn; its cases
// are license/ids's to test. These are the page's own.
func TestClean(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{" 110101199003071234\n", "110101********1234"},
		{"身份证号110101199003071234。", "身份证号110101********1234。"},
		{"91310115MA1H7GKQ3D", "91310115MA1H7GKQ3D"}, // USCC
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F", "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"}, // GB/T 36904
		{"110108202600000123", "110108202600000123"}, // a license number
		{"", ""},
	} {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// citizenLike matches what must never reach the page: 17 digits and a digit
// or X, not inside a longer run, with a province code and a birth date.
var citizenLike = regexp.MustCompile(`(?:^|[^0-9])([1-8][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])(?:[^0-9]|$)`)

func FuzzMask(f *testing.F) {
	for _, s := range []string{"", "张小三", "110101199003071234", "a110101199003071234b", "11010119900307123411010119900307123X", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := MaskName(s)
		if MaskName(n) != n {
			t.Errorf("MaskName is not idempotent on %q: %q then %q", s, n, MaskName(n))
		}
		c := MaskCitizenID(s)
		if MaskCitizenID(c) != c {
			t.Errorf("MaskCitizenID is not idempotent on %q: %q then %q", s, c, MaskCitizenID(c))
		}
		if utf8.RuneCountInString(c) != utf8.RuneCountInString(strings.TrimSpace(s)) {
			t.Errorf("MaskCitizenID(%q) = %q changes the length", s, c)
		}
		out := clean(s)
		for _, m := range citizenLike.FindAllStringSubmatch(out, -1) {
			if ids.ValidateCitizenID(strings.ToUpper(m[1])) == nil {
				t.Errorf("clean(%q) = %q still holds %s", s, out, m[1])
			}
		}
	})
}
