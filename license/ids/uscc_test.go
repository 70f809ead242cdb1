package ids

import (
	"errors"
	"strings"
	"testing"
)

func TestUSCCWeights(t *testing.T) {
	w := 1
	for i, got := range usccWeights {
		if got != w {
			t.Errorf("W%d = %d, want 3^%d mod 31 = %d", i+1, got, i, w)
		}
		w = w * 3 % 31
	}
	if len(usccAlphabet) != 31 {
		t.Errorf("alphabet has %d characters, want 31", len(usccAlphabet))
	}
	for _, c := range "IOZSV" {
		if strings.ContainsRune(usccAlphabet, c) {
			t.Errorf("alphabet contains %q", c)
		}
	}
}

func TestUSCCCheck(t *testing.T) {
	// The worked example circulated with GB 32100-2015: the first 17
	// characters of 91350100M000100Y4Z give check character 3.
	if c, err := USCCCheck("91350100M000100Y4"); err != nil || c != '3' {
		t.Errorf("USCCCheck(91350100M000100Y4) = %q, %v; want '3'", c, err)
	}
	for _, e := range loadExamples(t) {
		if e.kind == "uscc" && e.expect == "valid" {
			if c, err := USCCCheck(e.code[:17]); err != nil || c != e.code[17] {
				t.Errorf("USCCCheck(%s) = %q, %v; want %q", e.code[:17], c, err, e.code[17])
			}
		}
	}
	for _, in := range []string{"", "9144030019220382", "914403001922038216", "9144030019220382I", "9144030019220382i", "91440300192203８21"} {
		if _, err := USCCCheck(in); !errors.Is(err, ErrFormat) {
			t.Errorf("USCCCheck(%q) = %v, want ErrFormat", in, err)
		}
	}
}

// withUSCCCheck appends the right check character to 17 characters.
func withUSCCCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, err := USCCCheck(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func TestValidateUSCCErrors(t *testing.T) {
	// A code whose USCC check character matches, but whose organisation
	// code (characters 9-17) ends in 2 where GB 11714 computes 1.
	badOrg := withUSCCCheck(t, "91440300192203822")
	tests := []struct {
		in      string
		kind    error
		pos     int
		message string
	}{
		{"", ErrFormat, 0, `ids: USCC: is empty`},
		{"9144030019220382", ErrFormat, 0, `has 16 characters, a USCC has 18`},
		{"9144030019220382160", ErrFormat, 0, `has 19 characters, a USCC has 18`},
		{"9144I3001922038216", ErrFormat, 5, `character 5 'I' is not allowed in a USCC (I, O, Z, S, V are never used)`},
		{"91440300192203821O", ErrFormat, 18, `character 18 'O' is not allowed in a USCC (I, O, Z, S, V are never used)`},
		{"91440300708461136t", ErrFormat, 18, `character 18 't' is lower case; a USCC is written in upper case`},
		{"91440300-922038216", ErrFormat, 9, `character 9 '-' is not allowed in a USCC, which uses digits and the letters ABCDEFGHJKLMNPQRTUWXY only`},
		{"９14403001922038216", ErrFormat, 1, `character 1 '９' is a full-width character; type the code with half-width (ASCII) digits and letters`},
		{"91A403001922038216", ErrFormat, 3, `character 3 'A' is not a digit: characters 3-8 are the registration authority's administrative division code`},
		{"914403001922038217", ErrCheck, 18, `ids: USCC "914403001922038217": character 18: check character is '7', expected '6'; a character was probably mistyped`},
		{"914403001922083216", ErrCheck, 18, `character 18: check character is '6', expected`},
		{badOrg, ErrCheck, 17, `character 17: check character of the organisation code (组织机构代码, characters 9-17, GB 11714-1997) is '2', expected '1'`},
	}
	for _, tt := range tests {
		err := ValidateUSCC(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ValidateUSCC(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if !errors.Is(err, tt.kind) || e.Pos != tt.pos || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("ValidateUSCC(%q) = %q (position %d, is %v: %t)\nwant position %d and a message containing %q", tt.in, err, e.Pos, tt.kind, errors.Is(err, tt.kind), tt.pos, tt.message)
		}
	}
}

func TestOrgCodeCheck(t *testing.T) {
	// Organisation codes (GB 11714-1997) as they appear in characters 9-17
	// of the valid USCC examples, letters among them.
	for _, code := range []string{"MB2855918", "00001332X", "192203821", "799655058", "71526726X"} {
		if got := orgCodeCheck(code[:8]); got != code[8] {
			t.Errorf("orgCodeCheck(%s) = %q, want %q", code[:8], got, code[8])
		}
	}
}
