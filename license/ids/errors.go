package ids

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

var (
	// ErrFormat is wrapped by errors for input that is not shaped like the
	// code: wrong length, a character the code never uses, a segment
	// missing, a birth date that does not exist.
	ErrFormat = errors.New("ids: malformed code")
	// ErrCheck is wrapped by errors for well-formed input whose check
	// character does not match the characters before it: most often one
	// character was mistyped or two neighbours were swapped.
	ErrCheck = errors.New("ids: check character mismatch")
)

// Error is the error returned for every rejected code.
type Error struct {
	// Code names what was being checked, e.g. "USCC".
	Code string
	// Input is the rejected input. Citizen identity numbers are masked.
	Input string
	// Pos is the 1-based position, counted in characters, of the offending
	// character in Input; 0 when the problem is not at one character (a
	// wrong length, say).
	Pos int
	// Reason says what is wrong and, where it helps, what to do.
	Reason string
	// Err is ErrFormat or ErrCheck.
	Err error
}

// maxQuoted bounds how much of a rejected input an error message repeats:
// a megabyte pasted into a form must not come back as a megabyte of log.
const maxQuoted = 80

func (e *Error) Error() string {
	s := "ids: " + e.Code
	if e.Input != "" {
		in := e.Input
		if utf8.RuneCountInString(in) > maxQuoted {
			in = string([]rune(in)[:maxQuoted]) + "…"
		}
		s += " " + strconv.Quote(in)
	}
	return s + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func formatError(code, input string, pos int, format string, args ...any) *Error {
	return &Error{Code: code, Input: input, Pos: pos, Reason: fmt.Sprintf(format, args...), Err: ErrFormat}
}

func checkError(code, input string, pos int, format string, args ...any) *Error {
	return &Error{Code: code, Input: input, Pos: pos, Reason: fmt.Sprintf(format, args...), Err: ErrCheck}
}

// typoHint is what a user can do about a check character that does not
// match: the code cannot tell which character is wrong, only that one is.
const typoHint = "a character was probably mistyped or two neighbours swapped; compare the code with the document it was copied from"

// charAt returns the 1-based character position of byte offset i in s and
// the character that starts there.
func charAt(s string, i int) (int, rune) {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return utf8.RuneCountInString(s[:i]) + 1, r
}

// firstNonASCII returns the byte offset of the first byte of s outside
// ASCII, or -1.
func firstNonASCII(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// nonASCIIReason explains a character outside ASCII at character position
// pos. Full-width digits and letters are what Chinese input methods produce,
// so they get their own advice.
func nonASCIIReason(pos int, r rune) string {
	if r >= 0xFF01 && r <= 0xFF5E {
		return fmt.Sprintf("character %d %q is a full-width character; type the code with half-width (ASCII) digits and letters", pos, r)
	}
	if r == utf8.RuneError {
		return fmt.Sprintf("character %d is not valid UTF-8", pos)
	}
	return fmt.Sprintf("character %d %q is not an ASCII digit or letter", pos, r)
}
