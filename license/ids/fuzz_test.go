package ids

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// checkFuzzError fails the fuzz target unless err is an *Error of one of the two
// kinds, pointing inside the input.
func checkFuzzError(t *testing.T, in string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v is not an *Error", in, err)
	}
	if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheck) {
		t.Fatalf("%q: error %v wraps neither ErrFormat nor ErrCheck", in, err)
	}
	if e.Pos < 0 || e.Pos > utf8.RuneCountInString(in) {
		t.Fatalf("%q: position %d is outside the input", in, e.Pos)
	}
	_ = err.Error()
}

func addSeeds(f *testing.F, kind string) {
	for _, e := range loadExamples(f) {
		if e.kind == kind {
			f.Add(e.code)
		}
	}
}

func FuzzParseLicenseID(f *testing.F) {
	addSeeds(f, "license")
	f.Add("1.2.156.3005.2.....")
	f.Add("1.2.156.3005.2")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseLicenseID(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		if id.String() != s {
			t.Fatalf("ParseLicenseID(%q).String() = %q", s, id)
		}
		if next := id.Next(999); next.Check == 0 {
			t.Fatalf("Next of %q has no check character", s)
		} else if _, err := ParseLicenseID(next.String()); err != nil {
			t.Fatalf("Next of %q does not parse: %v", s, err)
		}
	})
}

func FuzzValidateUSCC(f *testing.F) {
	addSeeds(f, "uscc")
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateUSCC(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		if c, err := USCCCheck(s[:17]); err != nil || c != s[17] {
			t.Fatalf("%q validated but USCCCheck gives %q, %v", s, c, err)
		}
		if kind, err := DetectHolderCode(s); err != nil || kind == "" {
			t.Fatalf("%q validated as a USCC but DetectHolderCode gives %q, %v", s, kind, err)
		}
	})
}

func FuzzValidateCitizenID(f *testing.F) {
	addSeeds(f, "citizen")
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidateCitizenID(s); err != nil {
			checkFuzzError(t, s, err)
		} else if kind, err := DetectHolderCode(s); kind != HolderCitizenID || err != nil {
			t.Fatalf("%q validated but DetectHolderCode gives %q, %v", s, kind, err)
		}
		if m := MaskCitizenID(s); utf8.RuneCountInString(m) != utf8.RuneCountInString(s) {
			t.Fatalf("MaskCitizenID(%q) = %q changes the length", s, m)
		}
		_ = MaskName(s)
	})
}

func FuzzMaskCitizenIDsIn(f *testing.F) {
	addSeeds(f, "citizen")
	for _, s := range []string{"", "a110101199003071234b", "11010119900307123411010119900307123X", "X11010519491231002x1", "110108202601010000", "\xff1101011990030712341", "号１１０１０１１９９００３０７１２３４", "１１０１０５１９４９１２３１００２ｘ1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := MaskCitizenIDsIn(s)
		if start, end, ok := FindCitizenID(out); ok {
			t.Fatalf("MaskCitizenIDsIn(%q) = %q still holds %q", s, out, out[start:end])
		}
		if MaskCitizenIDsIn(out) != out {
			t.Fatalf("MaskCitizenIDsIn is not idempotent on %q", s)
		}
		if len(out) != len(s) {
			t.Fatalf("MaskCitizenIDsIn(%q) = %q changes the length", s, out)
		}
		// Every valid number is found.
		if ValidateCitizenID(s) == nil {
			if start, end, ok := FindCitizenID(s); !ok || start != 0 || end != len(s) {
				t.Fatalf("FindCitizenID(%q) = %d, %d, %t: a valid number not found", s, start, end, ok)
			}
		}
	})
}
