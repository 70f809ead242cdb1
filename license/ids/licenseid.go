package ids

import (
	"fmt"
	"strconv"
	"strings"
)

// GB/T 36904-2018 电子证照 标识规范: the electronic license identifier
//
//	1.2.156.3005.2.<证照类型代码>.<证照颁发机构代码>.<流水号>.<版本号>.<校验位>
//
// The text of the standard was not at hand when this was written, so no
// clause is cited; the format below is what published implementations and
// identifiers issued on the national platform agree on (see
// testdata/examples.txt):
//
//	证照类型代码 license type code: the defining authority's USCC and a
//	             3-digit number, 21 characters
//	证照颁发机构代码 issuer code: the issuing authority's USCC, 18 characters
//	流水号 serial number: chosen by the issuer (a running number, the
//	       licence number, or a UUID's 32 hex digits), digits and upper-case
//	       letters
//	版本号 version: 3 digits from 001, raised when a licence is replaced
//	校验位 check character: ISO/IEC 7064 MOD 37,36 (GB/T 17710) over the
//	       four segments above, concatenated without the dots; the root is
//	       not included
const LicenseIDRoot = "1.2.156.3005.2"

const (
	licenseCode = "electronic license identifier"

	typeCodeLen = 21
	// maxSerialLen is our bound, not the standard's: issued serials run to
	// 32 characters (UUIDs), and the databases that hold identifiers use
	// varchar(128), which leaves 66 for the serial.
	maxSerialLen = 64

	segType    = "证照类型代码 (license type code)"
	segIssuer  = "证照颁发机构代码 (issuer code)"
	segSerial  = "流水号 (serial number)"
	segVersion = "版本号 (version)"
	segCheck   = "校验位 (check character)"
)

// LicenseID is a GB/T 36904-2018 electronic license identifier (电子证照标识).
type LicenseID struct {
	TypeCode   string // 证照类型代码: defining authority's USCC + 3 digits
	IssuerCode string // 证照颁发机构代码: issuing authority's USCC
	Serial     string // 流水号
	Version    string // 版本号: "001" to "999"
	Check      byte   // 校验位: ISO/IEC 7064 MOD 37,36
}

// NewLicenseID builds the identifier of a licence: typeCode is the 21-
// character license type code from the licence catalogue (证照目录),
// issuerCode the issuing authority's USCC, serial the issuer's running
// number (written in decimal, without padding) and version 1 for a first
// issue.
func NewLicenseID(typeCode, issuerCode string, serial int64, version int) (LicenseID, error) {
	if e := checkTypeCode(typeCode, "", 0); e != nil {
		return LicenseID{}, e
	}
	if e := checkIssuerCode(issuerCode, "", 0); e != nil {
		return LicenseID{}, e
	}
	if serial < 0 {
		return LicenseID{}, formatError(licenseCode, "", 0, "%s %d is negative", segSerial, serial)
	}
	if version < 1 || version > 999 {
		return LicenseID{}, formatError(licenseCode, "", 0, "%s %d is out of range: versions run from 1 to 999", segVersion, version)
	}
	id := LicenseID{
		TypeCode:   typeCode,
		IssuerCode: issuerCode,
		Serial:     strconv.FormatInt(serial, 10),
		Version:    formatVersion(version),
	}
	id.Check = licenseCheck(id.TypeCode, id.IssuerCode, id.Serial, id.Version)
	return id, nil
}

// ParseLicenseID parses and checks an electronic license identifier: the
// root, the number of segments, each segment's length and characters, the
// check characters of the two USCCs inside it, and its own check character.
func ParseLicenseID(s string) (LicenseID, error) {
	if s == "" {
		return LicenseID{}, formatError(licenseCode, s, 0, "is empty")
	}
	if i := firstNonASCII(s); i >= 0 {
		pos, r := charAt(s, i)
		return LicenseID{}, formatError(licenseCode, s, pos, "%s", nonASCIIReason(pos, r))
	}
	const prefix = LicenseIDRoot + "."
	if !strings.HasPrefix(s, prefix) {
		i := 0
		for i < len(s) && i < len(prefix) && s[i] == prefix[i] {
			i++
		}
		if i == len(s) {
			return LicenseID{}, formatError(licenseCode, s, 0, "ends early: the root %s (电子证照根代码) must be followed by a dot and five segments", LicenseIDRoot)
		}
		return LicenseID{}, formatError(licenseCode, s, i+1, "does not start with the root %s (电子证照根代码) followed by a dot; it differs at character %d", LicenseIDRoot, i+1)
	}

	// Split the rest into its five segments without allocating; off holds
	// each segment's byte offset in s, which is also its character offset
	// since s is ASCII.
	var seg [5]string
	var off [5]int
	n, start := 0, len(prefix)
	for i := start; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if n < len(seg) {
				seg[n], off[n] = s[start:i], start
			}
			n++
			start = i + 1
		}
	}
	if n != len(seg) {
		return LicenseID{}, formatError(licenseCode, s, 0, "has %d dot-separated segments after the root, need 5: 证照类型代码.证照颁发机构代码.流水号.版本号.校验位", n)
	}
	names := [5]string{segType, segIssuer, segSerial, segVersion, segCheck}
	for i, v := range seg {
		if v == "" {
			// Point at the dot before the missing segment: the segment
			// itself has no character, and may be past the end of s.
			return LicenseID{}, formatError(licenseCode, s, off[i], "segment %d, %s, is empty (after the dot at character %d)", i+1, names[i], off[i])
		}
	}
	if e := checkTypeCode(seg[0], s, off[0]); e != nil {
		return LicenseID{}, e
	}
	if e := checkIssuerCode(seg[1], s, off[1]); e != nil {
		return LicenseID{}, e
	}
	if e := checkSerial(seg[2], s, off[2]); e != nil {
		return LicenseID{}, e
	}
	if e := checkVersion(seg[3], s, off[3]); e != nil {
		return LicenseID{}, e
	}
	c := seg[4]
	if len(c) != 1 {
		return LicenseID{}, formatError(licenseCode, s, off[4]+1, "%s %q has %d characters, need 1", segCheck, c, len(c))
	}
	if mod3736Value[c[0]] < 0 {
		return LicenseID{}, alnumError(s, off[4], segCheck)
	}
	id := LicenseID{TypeCode: seg[0], IssuerCode: seg[1], Serial: seg[2], Version: seg[3], Check: c[0]}
	if want := licenseCheck(id.TypeCode, id.IssuerCode, id.Serial, id.Version); id.Check != want {
		return LicenseID{}, checkError(licenseCode, s, off[4]+1, "character %d: check character is %q, expected %q (ISO/IEC 7064 MOD 37,36 over the segments after the root); %s", off[4]+1, id.Check, want, typoHint)
	}
	return id, nil
}

// String returns the identifier in its dotted form.
func (id LicenseID) String() string {
	var b strings.Builder
	b.Grow(len(LicenseIDRoot) + len(id.TypeCode) + len(id.IssuerCode) + len(id.Serial) + len(id.Version) + 6)
	b.WriteString(LicenseIDRoot)
	for _, v := range [...]string{id.TypeCode, id.IssuerCode, id.Serial, id.Version} {
		b.WriteByte('.')
		b.WriteString(v)
	}
	b.WriteByte('.')
	b.WriteByte(id.Check)
	return b.String()
}

// Next returns the identifier of a replacement licence: the same type,
// issuer and serial number with a new version, normally the current one
// plus one, and its check character recomputed. It panics if version is
// not between 1 and 999, as that is a mistake in the calling program, not in
// its input. On a LicenseID that did not come from NewLicenseID or
// ParseLicenseID the result may not parse.
func (id LicenseID) Next(version int) LicenseID {
	if version < 1 || version > 999 {
		panic(fmt.Sprintf("ids: LicenseID.Next: version %d is out of range 1 to 999", version))
	}
	id.Version = formatVersion(version)
	id.Check = licenseCheck(id.TypeCode, id.IssuerCode, id.Serial, id.Version)
	return id
}

func formatVersion(v int) string {
	return string([]byte{byte('0' + v/100), byte('0' + v/10%10), byte('0' + v%10)})
}

// checkTypeCode checks a license type code found at character offset off of
// input (off 0 and input "" when it stands alone).
func checkTypeCode(v, input string, off int) *Error {
	if i := firstNonASCII(v); i >= 0 {
		pos, r := charAt(v, i)
		return formatError(licenseCode, input, off+pos, "%s: %s", segType, nonASCIIReason(off+pos, r))
	}
	if len(v) != typeCodeLen {
		return formatError(licenseCode, input, off+1, "%s %q has %d characters, need 21: the defining authority's USCC (18 characters) and a 3-digit number", segType, v, len(v))
	}
	if e := validateUSCC(v[:usccLen]); e != nil {
		return embeddedUSCCError(e, input, off, fmt.Sprintf("%s: in the defining authority's USCC %q", segType, v[:usccLen]))
	}
	for i := usccLen; i < typeCodeLen; i++ {
		if c := v[i]; c < '0' || c > '9' {
			return formatError(licenseCode, input, off+i+1, "%s: character %d %q is not a digit: the type code ends in a 3-digit number", segType, off+i+1, c)
		}
	}
	return nil
}

func checkIssuerCode(v, input string, off int) *Error {
	if i := firstNonASCII(v); i >= 0 {
		pos, r := charAt(v, i)
		return formatError(licenseCode, input, off+pos, "%s: %s", segIssuer, nonASCIIReason(off+pos, r))
	}
	if len(v) != usccLen {
		return formatError(licenseCode, input, off+1, "%s %q has %d characters, need 18: the issuing authority's USCC", segIssuer, v, len(v))
	}
	if e := validateUSCC(v); e != nil {
		return embeddedUSCCError(e, input, off, fmt.Sprintf("%s: in the issuing authority's USCC %q", segIssuer, v))
	}
	return nil
}

// embeddedUSCCError restates a USCC error for a USCC at character offset off
// of input: the position becomes one in input, and the reason, whose
// "character N" counts within the USCC, says which USCC it is.
func embeddedUSCCError(e *Error, input string, off int, where string) *Error {
	pos := e.Pos
	if pos > 0 {
		pos += off
	}
	return &Error{Code: licenseCode, Input: input, Pos: pos, Reason: where + ", " + e.Reason, Err: e.Err}
}

func checkSerial(v, input string, off int) *Error {
	if len(v) > maxSerialLen {
		return formatError(licenseCode, input, off+1, "%s has %d characters; at most %d are accepted", segSerial, len(v), maxSerialLen)
	}
	for i := 0; i < len(v); i++ {
		if mod3736Value[v[i]] < 0 {
			return alnumError(input, off+i, segSerial)
		}
	}
	return nil
}

func checkVersion(v, input string, off int) *Error {
	if len(v) != 3 || !allDigits(v) {
		return formatError(licenseCode, input, off+1, "%s %q must be 3 digits, 001 to 999", segVersion, v)
	}
	if v == "000" {
		return formatError(licenseCode, input, off+1, "%s 000 is not used: versions count from 001", segVersion)
	}
	return nil
}

// alnumError explains why byte i of s is not allowed in segment seg, which
// takes digits and upper-case letters.
func alnumError(s string, i int, seg string) *Error {
	c, pos := s[i], i+1
	if c >= 'a' && c <= 'z' {
		return formatError(licenseCode, s, pos, "%s: character %d %q is lower case; identifiers use upper-case letters", seg, pos, c)
	}
	return formatError(licenseCode, s, pos, "%s: character %d %q is not allowed; use digits and upper-case letters only", seg, pos, c)
}

// mod3736Alphabet is the character set of ISO/IEC 7064 MOD 37,36, in value
// order.
const mod3736Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

var mod3736Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(mod3736Alphabet); i++ {
		t[mod3736Alphabet[i]] = int8(i)
	}
	return t
}()

// licenseCheck computes the check character over the segments, which must
// hold characters of mod3736Alphabet only; it returns 0 if one does not.
func licenseCheck(segs ...string) byte {
	p := mod3736Start
	for _, s := range segs {
		for i := 0; i < len(s); i++ {
			v := mod3736Value[s[i]]
			if v < 0 {
				return 0
			}
			p = mod3736Step(p, int(v))
		}
	}
	return mod3736Alphabet[mod3736Final(p)]
}

// ISO/IEC 7064 hybrid system MOD 37,36 (M = 36, M+1 = 37): starting from
// P = M, each character value a gives S = (P + a) mod M, with 0 read as M,
// and then P = 2S mod (M+1). The check value c makes (P + c) mod M = 1.
const mod3736Start = 36

func mod3736Step(p, a int) int {
	s := (p + a) % 36
	if s == 0 {
		s = 36
	}
	return s * 2 % 37
}

func mod3736Final(p int) int { return (37 - p) % 36 }
