package ids

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

// example is one line of testdata/examples.txt.
type example struct {
	line   int
	kind   string // uscc, citizen, license
	code   string
	expect string // valid, format, check
	want   string // expected check character named by a "check:X" rejection
	source string
}

func loadExamples(t testing.TB) []example {
	t.Helper()
	f, err := os.Open("testdata/examples.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			t.Fatalf("examples.txt:%d: want kind, code, expect and source, got %q", n, line)
		}
		e := example{line: n, kind: fields[0], code: fields[1], expect: fields[2], source: strings.Join(fields[3:], " ")}
		e.expect, e.want, _ = strings.Cut(e.expect, ":")
		switch e.kind {
		case "uscc", "citizen", "license":
		default:
			t.Fatalf("examples.txt:%d: unknown kind %q", n, e.kind)
		}
		switch e.expect {
		case "valid", "format", "check":
		default:
			t.Fatalf("examples.txt:%d: unknown expectation %q", n, e.expect)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// validate checks code as the kind of code it is.
func validate(kind, code string) error {
	switch kind {
	case "uscc":
		return ValidateUSCC(code)
	case "citizen":
		return ValidateCitizenID(code)
	default:
		_, err := ParseLicenseID(code)
		return err
	}
}

// alphabets are the characters each kind of code may hold; a corruption
// replaces a character with another from this set.
var alphabets = map[string]string{
	"uscc":    usccAlphabet,
	"citizen": "0123456789X",
	"license": mod3736Alphabet + ".",
}

func TestExamples(t *testing.T) {
	counts := map[string]int{}
	for _, e := range loadExamples(t) {
		err := validate(e.kind, e.code)
		switch e.expect {
		case "valid":
			counts[e.kind]++
			if err != nil {
				t.Errorf("examples.txt:%d: %s %s (%s) rejected: %v", e.line, e.kind, e.code, e.source, err)
			}
		case "format", "check":
			want := ErrFormat
			if e.expect == "check" {
				want = ErrCheck
			}
			if !errors.Is(err, want) {
				t.Errorf("examples.txt:%d: %s %s: got %v, want an error wrapping %v", e.line, e.kind, e.code, err, want)
				continue
			}
			if e.want != "" && !strings.Contains(err.Error(), "expected '"+e.want+"'") {
				t.Errorf("examples.txt:%d: %s %s: error %q does not name expected character %q", e.line, e.kind, e.code, err, e.want)
			}
			t.Logf("examples.txt:%d: %v", e.line, err)
		}
	}
	for _, kind := range []string{"uscc", "citizen", "license"} {
		if counts[kind] < 3 {
			t.Errorf("only %d valid %s examples; want several", counts[kind], kind)
		}
	}
}

// TestExampleSubstitutions replaces every character of every valid example
// with every other character the code may hold. Each check scheme here
// detects all single substitutions, so every result must be rejected.
func TestExampleSubstitutions(t *testing.T) {
	total := map[string]int{}
	defer func() {
		t.Logf("single substitutions tried, all rejected: %d USCC, %d citizen, %d license", total["uscc"], total["citizen"], total["license"])
	}()
	for _, e := range loadExamples(t) {
		if e.expect != "valid" {
			continue
		}
		alphabet := alphabets[e.kind]
		tried := 0
		for i := 0; i < len(e.code); i++ {
			for j := 0; j < len(alphabet); j++ {
				c := alphabet[j]
				if c == e.code[i] {
					continue
				}
				bad := e.code[:i] + string(c) + e.code[i+1:]
				tried++
				if err := validate(e.kind, bad); err == nil {
					t.Errorf("%s %s: character %d changed to %q gives %s, which was accepted", e.kind, e.code, i+1, c, bad)
				}
			}
		}
		if tried == 0 {
			t.Errorf("%s %s: no substitutions tried", e.kind, e.code)
		}
		total[e.kind] += tried
	}
}

// TestExampleTranspositions swaps every pair of unequal neighbours in every
// valid example and reports how many swaps each scheme rejects, and how
// many of those only its check character caught (the swap left the code
// well formed). The USCC and citizen checks catch every adjacent
// transposition (TestWeightedDetection); MOD 37,36 misses 1 in 630
// (TestMOD3736Detection), and none of the examples' swaps happens to be one.
func TestExampleTranspositions(t *testing.T) {
	type tally struct{ swaps, rejected, byCheck, wellFormed int }
	tallies := map[string]*tally{}
	for _, e := range loadExamples(t) {
		if e.expect != "valid" {
			continue
		}
		tl := tallies[e.kind]
		if tl == nil {
			tl = &tally{}
			tallies[e.kind] = tl
		}
		for i := 0; i+1 < len(e.code); i++ {
			if e.code[i] == e.code[i+1] {
				continue
			}
			b := []byte(e.code)
			b[i], b[i+1] = b[i+1], b[i]
			tl.swaps++
			err := validate(e.kind, string(b))
			if err == nil {
				t.Errorf("%s %s: swapping characters %d and %d gives %s, which was accepted", e.kind, e.code, i+1, i+2, b)
				continue
			}
			tl.rejected++
			if !errors.Is(err, ErrFormat) {
				tl.wellFormed++
			}
			if errors.Is(err, ErrCheck) {
				tl.byCheck++
			}
		}
	}
	for _, kind := range []string{"uscc", "citizen", "license"} {
		tl := tallies[kind]
		if tl == nil || tl.swaps == 0 {
			t.Errorf("%s: no transpositions tried", kind)
			continue
		}
		t.Logf("%-7s adjacent transpositions: %d tried, %d rejected (%.1f%%); %d left the code well formed and the check character caught %d of them",
			kind, tl.swaps, tl.rejected, 100*float64(tl.rejected)/float64(tl.swaps), tl.wellFormed, tl.byCheck)
	}
}
