package ids

import "testing"

// TestMOD3736Detection exhausts every case to measure what ISO/IEC 7064
// MOD 37,36, the license identifier's check, detects. A step's outcome
// depends only on the running value P (1 to 36) and the character, and each
// step is a bijection of P for a fixed character, so a difference that
// survives one step survives to the end: counting over (P, a, b) is exact.
//
// Every single substitution is caught. Adjacent transpositions are not all
// caught: 72 of the 45,360 cases (1 in 630) leave P unchanged, for instance
// "HI" and "IH" entering with P = 1; and in 2 of 1,260 cases swapping the
// last data character with the check character goes unnoticed.
func TestMOD3736Detection(t *testing.T) {
	const m = 36
	var swaps, swapEscapes, lastSwaps, lastEscapes int
	for p := 1; p <= m; p++ {
		for a := 0; a < m; a++ {
			for b := 0; b < m; b++ {
				if a == b {
					continue
				}
				if mod3736Step(p, a) == mod3736Step(p, b) {
					t.Errorf("P=%d: substituting %c for %c goes undetected", p, mod3736Alphabet[b], mod3736Alphabet[a])
				}
				swaps++
				if mod3736Step(mod3736Step(p, a), b) == mod3736Step(mod3736Step(p, b), a) {
					swapEscapes++
				}
				// a is the last data character and b the check character it
				// needs; swapped, b is data and a the check character.
				if mod3736Final(mod3736Step(p, a)) == b {
					lastSwaps++
					if mod3736Final(mod3736Step(p, b)) == a {
						lastEscapes++
					}
				}
			}
		}
	}
	seen := map[int]bool{}
	for p := 1; p <= m; p++ {
		seen[mod3736Final(p)] = true
	}
	if len(seen) != m {
		t.Errorf("mod3736Final takes %d values, want %d: a changed final P could go unnoticed", len(seen), m)
	}
	t.Logf("MOD 37,36: adjacent transpositions undetected in %d of %d cases (%.3f%%); last data character swapped with the check character undetected in %d of %d (%.3f%%)",
		swapEscapes, swaps, 100*float64(swapEscapes)/float64(swaps), lastEscapes, lastSwaps, 100*float64(lastEscapes)/float64(lastSwaps))
	if swapEscapes != 72 || swaps != 45360 || lastEscapes != 2 || lastSwaps != 1260 {
		t.Errorf("counts changed: %d/%d and %d/%d, want 72/45360 and 2/1260", swapEscapes, swaps, lastEscapes, lastSwaps)
	}
}

// TestWeightedDetection does the same for the two weighted sums: a single
// substitution or a transposition of neighbours i and i+1 changes the sum
// by (a-b)·W_i or (a-b)·(W_i - W_{i+1}), which is not 0 modulo the prime
// modulus for any two distinct character values a and b. The check
// character's own weight is 1. Both therefore catch every single
// substitution and every adjacent transposition.
func TestWeightedDetection(t *testing.T) {
	for _, s := range []struct {
		name    string
		weights []int
		modulus int
		values  int
	}{
		{"GB 32100 MOD 31", append(usccWeights[:], 1), 31, 31},
		{"ISO 7064 MOD 11-2", append(citizenWeights[:], 1), 11, 11},
	} {
		for i, w := range s.weights {
			for d := 1; d < s.values; d++ {
				if d*w%s.modulus == 0 {
					t.Errorf("%s: substitution at %d with difference %d goes undetected", s.name, i+1, d)
				}
				if i+1 < len(s.weights) && ((d*(w-s.weights[i+1]))%s.modulus+s.modulus)%s.modulus == 0 {
					t.Errorf("%s: transposition at %d,%d with difference %d goes undetected", s.name, i+1, i+2, d)
				}
			}
		}
	}
}
