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
