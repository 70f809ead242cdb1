package ids

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDetectHolderCode(t *testing.T) {
	for _, e := range loadExamples(t) {
		if e.expect != "valid" || e.kind == "license" {
			continue
		}
		want := map[string]string{"uscc": HolderUSCC, "citizen": HolderCitizenID}[e.kind]
		if got, err := DetectHolderCode(e.code); got != want || err != nil {
			t.Errorf("DetectHolderCode(%s) = %q, %v; want %q", e.code, got, err, want)
		}
	}

	tests := []struct {
		in      string
		kind    error
		message string
	}{
		{"", ErrFormat, "ids: holder code: is empty"},
		{"91440300", ErrFormat, `ids: holder code "********": has 8 characters; citizen identity numbers and USCCs both have 18`},
		{"110105194912310021", ErrCheck, `ids: holder code "110105********0021": neither a citizen identity number (character 18: check character is '1', expected 'X'; `},
		{"91440300708461136K", ErrFormat, `neither a citizen identity number (character 1`},
		{"11010519491231002x", ErrFormat, `nor a USCC (character 18 'x' is lower case`},
	}
	for _, tt := range tests {
		kind, err := DetectHolderCode(tt.in)
		if kind != "" || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("DetectHolderCode(%q) = %q, %v\nwant an error wrapping %v containing %q", tt.in, kind, err, tt.kind, tt.message)
		}
		if len(tt.in) == 18 && strings.Contains(err.Error(), tt.in) {
			t.Errorf("error %q repeats the code unmasked", err)
		}
	}
}

// TestDetectHolderCodeAmbiguous finds citizen identity numbers that also
// pass every USCC check and makes sure they are reported as citizen
// identity numbers; it also measures how common they are.
func TestDetectHolderCodeAmbiguous(t *testing.T) {
	now := time.Now()
	both, total := 0, 0
	for day := 1; day <= 28; day++ {
		for seq := 0; seq < 1000; seq++ {
			first17 := "110105" + "198402" + string(rune('0'+day/10)) + string(rune('0'+day%10)) +
				string(rune('0'+seq/100)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
			s := withCitizenCheck(first17)
			if validateCitizenID(s, now) != nil {
				t.Fatalf("%s is not valid", s)
			}
			total++
			if validateUSCC(s) != nil {
				continue
			}
			both++
			if kind, err := DetectHolderCode(s); kind != HolderCitizenID || err != nil {
				t.Errorf("DetectHolderCode(%s) = %q, %v; want %q", s, kind, err, HolderCitizenID)
			}
		}
	}
	if both == 0 {
		t.Fatal("no citizen identity number that is also a valid USCC was found")
	}
	t.Logf("%d of %d citizen identity numbers (%.2f%%) also pass every USCC check", both, total, 100*float64(both)/float64(total))
}
