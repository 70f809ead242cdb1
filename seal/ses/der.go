package ses

// DER reading and writing helpers over cryptobyte. The reader is strict
// (minimal lengths and integers, canonical times and booleans, no extra
// elements at the end of a SEQUENCE) so that what it accepts re-encodes to the
// same bytes, and it names the field that failed.

import (
	encasn1 "encoding/asn1"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

var tagExplicit0 = asn1.Tag(0).ContextSpecific().Constructed()

// decoder reads the elements of one constructed value in order.
type decoder struct {
	s    cryptobyte.String
	path string
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (d *decoder) errorf(field, format string, args ...any) error {
	return &SyntaxError{Field: join(d.path, field), Msg: fmt.Sprintf(format, args...)}
}

var tagNames = map[asn1.Tag]string{
	asn1.BOOLEAN:           "BOOLEAN",
	asn1.INTEGER:           "INTEGER",
	asn1.BIT_STRING:        "BIT STRING",
	asn1.OCTET_STRING:      "OCTET STRING",
	asn1.NULL:              "NULL",
	asn1.OBJECT_IDENTIFIER: "OBJECT IDENTIFIER",
	asn1.UTF8String:        "UTF8String",
	asn1.SEQUENCE:          "SEQUENCE",
	asn1.SET:               "SET",
	asn1.PrintableString:   "PrintableString",
	asn1.IA5String:         "IA5String",
	asn1.UTCTime:           "UTCTime",
	asn1.GeneralizedTime:   "GeneralizedTime",
	tagExplicit0:           "[0]",
}

func tagName(t asn1.Tag) string {
	if n, ok := tagNames[t]; ok {
		return n
	}
	return fmt.Sprintf("tag 0x%02x", uint8(t))
}

// element reads the next element, which must carry tag, and returns its
// contents.
func (d *decoder) element(field string, tag asn1.Tag) (cryptobyte.String, error) {
	if d.s.Empty() {
		return nil, d.errorf(field, "missing %s: the enclosing structure ends early", tagName(tag))
	}
	if !d.s.PeekASN1Tag(tag) {
		return nil, d.errorf(field, "found %s, want %s", tagName(asn1.Tag(d.s[0])), tagName(tag))
	}
	var out cryptobyte.String
	if !d.s.ReadASN1(&out, tag) {
		return nil, d.errorf(field, "bad DER length (truncated, indefinite or not minimal)")
	}
	return out, nil
}

// sub descends into a constructed element.
func (d *decoder) sub(field string, tag asn1.Tag) (*decoder, error) {
	s, err := d.element(field, tag)
	if err != nil {
		return nil, err
	}
	return &decoder{s: s, path: join(d.path, field)}, nil
}

func (d *decoder) peek(tag asn1.Tag) bool { return d.s.PeekASN1Tag(tag) }

func (d *decoder) end() error {
	if !d.s.Empty() {
		what := tagName(asn1.Tag(d.s[0]))
		return &SyntaxError{Field: d.path, Msg: fmt.Sprintf("unexpected %s after the last field (%d bytes)", what, len(d.s))}
	}
	return nil
}

func (d *decoder) integer(field string) (int64, error) {
	s, err := d.element(field, asn1.INTEGER)
	if err != nil {
		return 0, err
	}
	switch {
	case len(s) == 0:
		return 0, d.errorf(field, "INTEGER has no content octets")
	case len(s) > 1 && (s[0] == 0 && s[1]&0x80 == 0 || s[0] == 0xff && s[1]&0x80 != 0):
		return 0, d.errorf(field, "INTEGER is not minimally encoded")
	case len(s) > 8:
		return 0, d.errorf(field, "INTEGER does not fit in 64 bits")
	}
	v := int64(int8(s[0])) // sign-extend the first octet
	for _, c := range s[1:] {
		v = v<<8 | int64(c)
	}
	return v, nil
}

func (d *decoder) intField(field string, min int64) (int, error) {
	v, err := d.integer(field)
	if err != nil {
		return 0, err
	}
	if v < min || v > math.MaxInt {
		return 0, d.errorf(field, "value %d out of range", v)
	}
	return int(v), nil
}

func (d *decoder) octets(field string) ([]byte, error) {
	s, err := d.element(field, asn1.OCTET_STRING)
	return []byte(s), err
}

func (d *decoder) bitString(field string) ([]byte, error) {
	s, err := d.element(field, asn1.BIT_STRING)
	if err != nil {
		return nil, err
	}
	if len(s) == 0 {
		return nil, d.errorf(field, "BIT STRING has no unused-bits octet")
	}
	if s[0] != 0 {
		return nil, d.errorf(field, "BIT STRING has %d unused bits; want whole octets", s[0])
	}
	return []byte(s[1:]), nil
}

func (d *decoder) oid(field string) (encasn1.ObjectIdentifier, error) {
	if d.s.Empty() || !d.peek(asn1.OBJECT_IDENTIFIER) {
		_, err := d.element(field, asn1.OBJECT_IDENTIFIER) // for the message
		return nil, err
	}
	var el cryptobyte.String
	if !d.s.ReadASN1Element(&el, asn1.OBJECT_IDENTIFIER) {
		return nil, d.errorf(field, "bad DER length (truncated, indefinite or not minimal)")
	}
	full := []byte(el)
	var oid encasn1.ObjectIdentifier
	if !el.ReadASN1ObjectIdentifier(&oid) {
		return nil, d.errorf(field, "invalid OBJECT IDENTIFIER encoding")
	}
	// Only accept what re-encodes to the same bytes.
	var e cryptobyte.Builder
	e.AddASN1ObjectIdentifier(oid)
	if re, err := e.Bytes(); err != nil || string(re) != string(full) {
		return nil, d.errorf(field, "OBJECT IDENTIFIER is not in canonical form")
	}
	return oid, nil
}

func (d *decoder) ia5(field string) (string, error) {
	s, err := d.element(field, asn1.IA5String)
	if err != nil {
		return "", err
	}
	if i := notIA5(string(s)); i >= 0 {
		return "", d.errorf(field, "IA5String has a non-ASCII byte 0x%02x at offset %d", s[i], i)
	}
	return string(s), nil
}

func (d *decoder) utf8(field string) (string, error) {
	s, err := d.element(field, asn1.UTF8String)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(s) {
		return "", d.errorf(field, "UTF8String is not valid UTF-8")
	}
	return string(s), nil
}

func (d *decoder) printable(field string) (string, error) {
	s, err := d.element(field, asn1.PrintableString)
	if err != nil {
		return "", err
	}
	if i := notPrintable(string(s)); i >= 0 {
		return "", d.errorf(field, "PrintableString has a forbidden byte 0x%02x at offset %d", s[i], i)
	}
	return string(s), nil
}

// generalizedTime accepts only the DER form YYYYMMDDHHMMSSZ: UTC, whole
// seconds. (DER allows fractional seconds; no seal producer we know of writes
// them, and they would not survive the round trip.)
func (d *decoder) generalizedTime(field string) (time.Time, error) {
	if d.peek(asn1.UTCTime) {
		return time.Time{}, d.errorf(field, "found UTCTime, want GeneralizedTime (UTCTime is GM/T 0031-2014 version 1)")
	}
	s, err := d.element(field, asn1.GeneralizedTime)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(generalizedTimeLayout, string(s))
	if err != nil || len(s) != len(generalizedTimeLayout) || t.Format(generalizedTimeLayout) != string(s) {
		return time.Time{}, d.errorf(field, "GeneralizedTime %q is not of the DER form YYYYMMDDHHMMSSZ", printableOrHex(s))
	}
	return t, nil
}

const generalizedTimeLayout = "20060102150405Z"

func printableOrHex(b []byte) string {
	if notIA5(string(b)) < 0 {
		return string(b)
	}
	return fmt.Sprintf("%x", b)
}

// optionalBool reads a BOOLEAN if one is next; present reports whether it
// was.
func (d *decoder) optionalBool(field string) (v, present bool, err error) {
	if !d.peek(asn1.BOOLEAN) {
		return false, false, nil
	}
	s, err := d.element(field, asn1.BOOLEAN)
	if err != nil {
		return false, false, err
	}
	if len(s) != 1 || (s[0] != 0 && s[0] != 0xff) {
		return false, false, d.errorf(field, "BOOLEAN must be one octet 0x00 or 0xff in DER")
	}
	return s[0] == 0xff, true, nil
}

func notIA5(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return i
		}
	}
	return -1
}

func notPrintable(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == ' ', c == '\'', c == '(', c == ')', c == '+', c == ',', c == '-', c == '.', c == '/', c == ':', c == '=', c == '?':
		default:
			return i
		}
	}
	return -1
}

// encoder wraps a cryptobyte.Builder and records the first value that cannot
// be encoded, with the field it belongs to.
type encoder struct {
	path string
	err  error
}

func (e *encoder) fail(field, format string, args ...any) {
	if e.err == nil {
		e.err = &SyntaxError{Field: join(e.path, field), Msg: fmt.Sprintf(format, args...)}
	}
}

func (e *encoder) in(field string) *encoder { return &encoder{path: join(e.path, field)} }

func (e *encoder) absorb(sub *encoder) {
	if e.err == nil {
		e.err = sub.err
	}
}

func (e *encoder) ia5(b *cryptobyte.Builder, field, s string) {
	if i := notIA5(s); i >= 0 {
		e.fail(field, "IA5String must be ASCII; byte 0x%02x at offset %d is not", s[i], i)
	}
	b.AddASN1(asn1.IA5String, func(c *cryptobyte.Builder) { c.AddBytes([]byte(s)) })
}

func (e *encoder) utf8(b *cryptobyte.Builder, field, s string) {
	if !utf8.ValidString(s) {
		e.fail(field, "UTF8String is not valid UTF-8")
	}
	b.AddASN1(asn1.UTF8String, func(c *cryptobyte.Builder) { c.AddBytes([]byte(s)) })
}

func (e *encoder) printable(b *cryptobyte.Builder, field, s string) {
	if i := notPrintable(s); i >= 0 {
		e.fail(field, "PrintableString cannot hold byte 0x%02x at offset %d", s[i], i)
	}
	b.AddASN1(asn1.PrintableString, func(c *cryptobyte.Builder) { c.AddBytes([]byte(s)) })
}

func (e *encoder) oid(b *cryptobyte.Builder, field string, oid encasn1.ObjectIdentifier) {
	var t cryptobyte.Builder
	t.AddASN1ObjectIdentifier(oid)
	der, err := t.Bytes()
	if err != nil || len(oid) == 0 {
		e.fail(field, "cannot encode OBJECT IDENTIFIER %v", oid)
		return
	}
	b.AddBytes(der)
}

func (e *encoder) generalizedTime(b *cryptobyte.Builder, field string, t time.Time) {
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		e.fail(field, "year %d cannot be written as GeneralizedTime", t.Year())
		return
	}
	b.AddASN1(asn1.GeneralizedTime, func(c *cryptobyte.Builder) {
		c.AddBytes([]byte(t.Format(generalizedTimeLayout)))
	})
}

func bitString(b *cryptobyte.Builder, data []byte) {
	b.AddASN1(asn1.BIT_STRING, func(c *cryptobyte.Builder) {
		c.AddUint8(0)
		c.AddBytes(data)
	})
}
