package ids

import (
	"errors"
	"time"
	"unicode/utf8"
)

// Kinds of holder code (持证主体代码) returned by DetectHolderCode.
const (
	HolderCitizenID = "citizen_id" // GB 11643-1999 公民身份号码
	HolderUSCC      = "uscc"       // GB 32100-2015 统一社会信用代码
)

// DetectHolderCode tells whether s is a valid citizen identity number or a
// valid unified social credit code, and returns HolderCitizenID or
// HolderUSCC.
//
// Both are 18 characters long and about 0.3% of citizen identity numbers
// also pass every USCC check (a 1 in 31 chance for the USCC check character
// times 1 in 11 for the organisation code's). The reverse is far rarer,
// because a USCC seldom holds a real birth date in characters 7-14 and most
// start with 9, which no province code does. So a code valid as both is
// reported as a citizen identity number.
//
// When s is neither, the error (wrapping ErrFormat, or ErrCheck if s failed
// only on check characters both ways) gives the reason for each reading and
// quotes s masked, as it may be a personal number.
func DetectHolderCode(s string) (kind string, err error) {
	cerr := validateCitizenID(s, time.Now())
	if cerr == nil {
		return HolderCitizenID, nil
	}
	uerr := validateUSCC(s)
	if uerr == nil {
		return HolderUSCC, nil
	}
	const code = "holder code"
	masked := MaskCitizenID(s)
	if s == "" {
		return "", formatError(code, "", 0, "is empty")
	}
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", formatError(code, masked, 0, "has %d characters; citizen identity numbers and USCCs both have 18", n)
	}
	kindErr := ErrFormat
	if errors.Is(cerr, ErrCheck) && errors.Is(uerr, ErrCheck) {
		kindErr = ErrCheck
	}
	return "", &Error{
		Code:   code,
		Input:  masked,
		Reason: "neither a citizen identity number (" + cerr.Reason + ") nor a USCC (" + uerr.Reason + ")",
		Err:    kindErr,
	}
}
