package ids

import (
	"errors"
	"strings"
	"testing"
)

const (
	// Published pair: the same MOHURD 安管人员证书 at versions 001 and 002.
	publishedV1 = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
	publishedV2 = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S"
	// 建筑施工特种作业人员操作资格证书 issued in Jilin.
	publishedJilin = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
)

func TestNewLicenseID(t *testing.T) {
	id, err := NewLicenseID("11100000000013338W032", "11220000013544541J", 2430599, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := id.String(); got != publishedJilin {
		t.Errorf("NewLicenseID gives %s, want the published %s", got, publishedJilin)
	}
	want := LicenseID{TypeCode: "11100000000013338W032", IssuerCode: "11220000013544541J", Serial: "2430599", Version: "001", Check: 'F'}
	if id != want {
		t.Errorf("NewLicenseID = %+v, want %+v", id, want)
	}
	if id, err := NewLicenseID("11100000000013338W032", "11220000013544541J", 0, 999); err != nil || id.Serial != "0" || id.Version != "999" {
		t.Errorf("NewLicenseID(serial 0, version 999) = %+v, %v", id, err)
	}
}

func TestNewLicenseIDErrors(t *testing.T) {
	tests := []struct {
		typeCode, issuer string
		serial           int64
		version          int
		message          string
	}{
		{"11100000000013338W03", "11220000013544541J", 1, 1, `证照类型代码 (license type code) "11100000000013338W03" has 20 characters, need 21`},
		{"11100000000013338X032", "11220000013544541J", 1, 1, `in the defining authority's USCC "11100000000013338X", character 18: check character is 'X', expected 'W'`},
		{"11100000000013338W0A2", "11220000013544541J", 1, 1, `character 20 'A' is not a digit: the type code ends in a 3-digit number`},
		{"11100000000013338W032", "340100", 1, 1, `证照颁发机构代码 (issuer code) "340100" has 6 characters, need 18: the issuing authority's USCC`},
		{"11100000000013338W032", "1122000001354454IJ", 1, 1, `in the issuing authority's USCC "1122000001354454IJ", character 17 'I' is not allowed in a USCC`},
		{"11100000000013338W032", "11220000013544541J", -1, 1, `流水号 (serial number) -1 is negative`},
		{"11100000000013338W032", "11220000013544541J", 1, 0, `版本号 (version) 0 is out of range: versions run from 1 to 999`},
		{"11100000000013338W032", "11220000013544541J", 1, 1000, `版本号 (version) 1000 is out of range`},
	}
	for _, tt := range tests {
		_, err := NewLicenseID(tt.typeCode, tt.issuer, tt.serial, tt.version)
		if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheck) || err == nil || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("NewLicenseID(%q, %q, %d, %d) = %v\nwant a message containing %q", tt.typeCode, tt.issuer, tt.serial, tt.version, err, tt.message)
		}
	}
}

func TestLicenseIDNext(t *testing.T) {
	v1, err := ParseLicenseID(publishedV1)
	if err != nil {
		t.Fatal(err)
	}
	if got := v1.Next(2).String(); got != publishedV2 {
		t.Errorf("Next(2) of %s = %s, want the published %s", publishedV1, got, publishedV2)
	}
	if v1.String() != publishedV1 {
		t.Error("Next changed its receiver")
	}
	for _, v := range []int{0, -1, 1000} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("Next(%d) did not panic", v)
				}
			}()
			v1.Next(v)
		}()
	}
}

func TestParseLicenseIDRoundTrip(t *testing.T) {
	for _, e := range loadExamples(t) {
		if e.kind != "license" || e.expect != "valid" {
			continue
		}
		id, err := ParseLicenseID(e.code)
		if err != nil {
			t.Fatal(err)
		}
		if id.String() != e.code {
			t.Errorf("ParseLicenseID(%s).String() = %s", e.code, id)
		}
		if got := licenseCheck(id.TypeCode, id.IssuerCode, id.Serial, id.Version); got != id.Check {
			t.Errorf("%s: check %q, recomputed %q", e.code, id.Check, got)
		}
	}
}

func TestParseLicenseIDErrors(t *testing.T) {
	valid := publishedJilin // 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F
	with := func(old, new string) string { return strings.Replace(valid, old, new, 1) }
	tests := []struct {
		in      string
		kind    error
		pos     int
		message string
	}{
		{"", ErrFormat, 0, "ids: electronic license identifier: is empty"},
		{with("1.2.156.3005.2.", "1.2.156.3005.3."), ErrFormat, 14, "does not start with the root 1.2.156.3005.2 (电子证照根代码) followed by a dot; it differs at character 14"},
		{"urn:" + valid, ErrFormat, 1, "does not start with the root"},
		{"1.2.156.3005.2", ErrFormat, 0, "ends early: the root 1.2.156.3005.2 (电子证照根代码) must be followed by a dot and five segments"},
		{with("1.2", "１.2"), ErrFormat, 1, "character 1 '１' is a full-width character"},
		{with(".001", ""), ErrFormat, 0, "has 4 dot-separated segments after the root, need 5: 证照类型代码.证照颁发机构代码.流水号.版本号.校验位"},
		{valid + ".0", ErrFormat, 0, "has 6 dot-separated segments after the root"},
		{with(".2430599", "."), ErrFormat, 56, "segment 3, 流水号 (serial number), is empty (after the dot at character 56)"},
		{with(".F", "."), ErrFormat, 68, "segment 5, 校验位 (check character), is empty (after the dot at character 68)"},
		{with("W032", "W03"), ErrFormat, 16, `证照类型代码 (license type code) "11100000000013338W03" has 20 characters, need 21`},
		{with("13338W032", "1333IW032"), ErrFormat, 32, `证照类型代码 (license type code): in the defining authority's USCC "1110000000001333IW", character 17 'I' is not allowed in a USCC (I, O, Z, S, V are never used)`},
		{with("W032", "W03A"), ErrFormat, 36, `character 36 'A' is not a digit`},
		{with("44541J", "44541K"), ErrCheck, 55, `证照颁发机构代码 (issuer code): in the issuing authority's USCC "11220000013544541K", character 18: check character is 'K', expected 'J'`},
		{with("2430599", "243059a"), ErrFormat, 63, `流水号 (serial number): character 63 'a' is lower case; identifiers use upper-case letters`},
		{with("2430599", "2430_99"), ErrFormat, 61, `流水号 (serial number): character 61 '_' is not allowed; use digits and upper-case letters only`},
		{with("2430599", strings.Repeat("9", 65)), ErrFormat, 57, "流水号 (serial number) has 65 characters; at most 64 are accepted"},
		{with(".001.", ".01."), ErrFormat, 65, `版本号 (version) "01" must be 3 digits, 001 to 999`},
		{with(".001.", ".00A."), ErrFormat, 65, `版本号 (version) "00A" must be 3 digits`},
		{with(".001.", ".000."), ErrFormat, 65, "版本号 (version) 000 is not used: versions count from 001"},
		{with(".F", ".FF"), ErrFormat, 69, `校验位 (check character) "FF" has 2 characters, need 1`},
		{with(".F", ".f"), ErrFormat, 69, `校验位 (check character): character 69 'f' is lower case`},
		{with(".F", ".K"), ErrCheck, 69, "character 69: check character is 'K', expected 'F' (ISO/IEC 7064 MOD 37,36 over the segments after the root); a character was probably mistyped"},
		{with("2430599", "2430959"), ErrCheck, 69, "check character is 'F', expected"},
	}
	for _, tt := range tests {
		_, err := ParseLicenseID(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseLicenseID(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if !errors.Is(err, tt.kind) || e.Pos != tt.pos || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("ParseLicenseID(%q) = %q (position %d, is %v: %t)\nwant position %d and a message containing %q", tt.in, err, e.Pos, tt.kind, errors.Is(err, tt.kind), tt.pos, tt.message)
		}
		if e.Pos > 0 && e.Pos <= len(tt.in) && tt.kind == ErrCheck && tt.pos == len(tt.in) && tt.in[e.Pos-1] != tt.in[len(tt.in)-1] {
			t.Errorf("ParseLicenseID(%q): position %d is not the check character", tt.in, e.Pos)
		}
	}
}

func TestErrorQuotesLongInputShort(t *testing.T) {
	_, err := ParseLicenseID(strings.Repeat("1", 10000))
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error for a 10000-character input is %d bytes long: %v", len(err.Error()), err)
	}
}
