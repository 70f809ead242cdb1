// Distinguished names as users type them ("CN=..,O=..,C=CN") and as this
// package prints them in messages.

package certs

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"
)

// oidOrganizationIdentifier is X.520 organizationIdentifier (2.5.4.97),
// which ETSI EN 319 412-1 5.1.4 uses for the legal person of a seal
// certificate ("NTRCN-" followed by the unified social credit code).
var oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

// attribute names in RFC 4514 3 spelling, by OID; organizationIdentifier as
// ETSI writes it.
var attrNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{asn1.ObjectIdentifier{2, 5, 4, 3}, "CN"},
	{asn1.ObjectIdentifier{2, 5, 4, 5}, "SERIALNUMBER"},
	{asn1.ObjectIdentifier{2, 5, 4, 6}, "C"},
	{asn1.ObjectIdentifier{2, 5, 4, 7}, "L"},
	{asn1.ObjectIdentifier{2, 5, 4, 8}, "ST"},
	{asn1.ObjectIdentifier{2, 5, 4, 9}, "STREET"},
	{asn1.ObjectIdentifier{2, 5, 4, 10}, "O"},
	{asn1.ObjectIdentifier{2, 5, 4, 11}, "OU"},
	{asn1.ObjectIdentifier{2, 5, 4, 17}, "POSTALCODE"},
	{oidOrganizationIdentifier, "organizationIdentifier"},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, "emailAddress"},
}

// ParseSubject parses a distinguished name written as comma-separated
// TYPE=value pairs, for example
//
//	CN=某某市市场监督管理局电子印章,O=某某市市场监督管理局,C=CN
//
// Types (case-insensitive): CN, O, OU, C, L, ST, STREET, POSTALCODE,
// SERIALNUMBER, organizationIdentifier. A value may contain a comma, plus,
// equals sign or backslash when escaped with a backslash (O=Foo\, Inc.);
// "\XX" with two hex digits is a raw byte as in RFC 4514. Spaces around
// types and values are dropped. A type may repeat (OU=a,OU=b); "+" joins
// attributes as "," does.
//
// The encoded order is the conventional one (C, ST, L, O, OU, CN), not the
// order typed, and the values of a repeated type form one RDN as
// crypto/x509 writes them (FormatName shows OU=a+OU=b).
func ParseSubject(s string) (pkix.Name, error) {
	var n pkix.Name
	if strings.TrimSpace(s) == "" {
		return n, errors.New("empty subject: want for example CN=Name,O=Organization,C=CN")
	}
	parts, err := splitUnescaped(s, ",+")
	if err != nil {
		return n, fmt.Errorf("subject %q: %w", s, err)
	}
	for _, part := range parts {
		key, rawVal, ok := cutUnescaped(part, '=')
		if !ok {
			return n, fmt.Errorf("subject %q: %q is not TYPE=value", s, strings.TrimSpace(part))
		}
		key = strings.TrimSpace(key)
		val, err := unescapeValue(rawVal)
		if err != nil {
			return n, fmt.Errorf("subject %q: %s: %w", s, key, err)
		}
		if val == "" {
			return n, fmt.Errorf("subject %q: %s has an empty value", s, key)
		}
		if !utf8.ValidString(val) {
			return n, fmt.Errorf("subject %q: %s is not valid UTF-8", s, key)
		}
		// Upper bounds from RFC 5280 Appendix A.1 (ub-common-name etc.).
		limit := 128
		switch strings.ToUpper(key) {
		case "CN":
			limit = 64
			if n.CommonName != "" {
				return n, fmt.Errorf("subject %q: CN given twice", s)
			}
			n.CommonName = val
		case "O":
			limit = 64
			n.Organization = append(n.Organization, val)
		case "OU":
			limit = 64
			n.OrganizationalUnit = append(n.OrganizationalUnit, val)
		case "C":
			if len(val) != 2 || !isUpperASCII(val) {
				return n, fmt.Errorf("subject %q: C=%s: want a two-letter ISO 3166 country code such as CN", s, val)
			}
			n.Country = append(n.Country, val)
		case "L":
			n.Locality = append(n.Locality, val)
		case "ST", "S":
			n.Province = append(n.Province, val)
		case "STREET":
			n.StreetAddress = append(n.StreetAddress, val)
		case "POSTALCODE":
			limit = 40
			n.PostalCode = append(n.PostalCode, val)
		case "SERIALNUMBER":
			limit = 64
			if !isPrintableString(val) {
				return n, fmt.Errorf("subject %q: SERIALNUMBER must use only letters, digits and ' ()+,-./:=?", s)
			}
			if n.SerialNumber != "" {
				return n, fmt.Errorf("subject %q: SERIALNUMBER given twice", s)
			}
			n.SerialNumber = val
		case "ORGANIZATIONIDENTIFIER", "2.5.4.97":
			n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{Type: oidOrganizationIdentifier, Value: val})
		default:
			return n, fmt.Errorf("subject %q: unknown attribute type %q: use CN, O, OU, C, L, ST, STREET, POSTALCODE, SERIALNUMBER or organizationIdentifier", s, key)
		}
		if c := utf8.RuneCountInString(val); c > limit {
			return n, fmt.Errorf("subject %q: %s is %d characters long; at most %d are allowed (RFC 5280)", s, key, c, limit)
		}
	}
	return n, nil
}

// splitUnescaped splits s at each byte of seps not preceded by a
// backslash.
func splitUnescaped(s string, seps string) ([]string, error) {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s) {
				return nil, errors.New("ends with a lone backslash")
			}
		default:
			if strings.IndexByte(seps, s[i]) >= 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, s[start:])
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, errors.New("empty attribute (two commas in a row, or a comma at an end?)")
		}
	}
	return parts, nil
}

// cutUnescaped is strings.Cut at the first sep not preceded by a backslash.
func cutUnescaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unescapeValue removes RFC 4514 escapes and unescaped outer spaces.
func unescapeValue(raw string) (string, error) {
	// Spaces are trimmed unless escaped: "\ " at either end stays.
	raw = strings.TrimLeft(raw, " ")
	for strings.HasSuffix(raw, " ") && !strings.HasSuffix(raw, "\\ ") {
		raw = raw[:len(raw)-1]
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(raw) {
			return "", errors.New("ends with a lone backslash")
		}
		if i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			v, _ := hex.DecodeString(raw[i+1 : i+3])
			b.WriteByte(v[0])
			i += 2
			continue
		}
		b.WriteByte(raw[i+1])
		i++
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// isPrintableString reports whether s fits an ASN.1 PrintableString.
func isPrintableString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(" '()+,-./:=?", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// FormatName writes a name the way ParseSubject reads it, most specific
// attribute first as in RFC 4514 (CN=..,O=..,C=..). Non-ASCII text is kept
// as it is.
func FormatName(n pkix.Name) string {
	return formatRDNs(n.ToRDNSequence())
}

// SubjectString is the certificate's subject as FormatName writes it, in
// the order the certificate encodes it.
func SubjectString(c *smx509.Certificate) string {
	return rawNameString(c.RawSubject, c.Subject)
}

// IssuerString is the certificate's issuer as FormatName writes it.
func IssuerString(c *smx509.Certificate) string {
	return rawNameString(c.RawIssuer, c.Issuer)
}

func rawNameString(raw []byte, parsed pkix.Name) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdns); err == nil && len(rest) == 0 {
		if s := formatRDNs(rdns); s != "" {
			return s
		}
	}
	if s := FormatName(parsed); s != "" {
		return s
	}
	return "(empty name)"
}

func formatRDNs(rdns pkix.RDNSequence) string {
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		for j, atv := range rdns[i] {
			switch {
			case j > 0:
				b.WriteByte('+')
			case b.Len() > 0:
				b.WriteByte(',')
			}
			b.WriteString(attrName(atv.Type))
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				b.WriteString(escapeValue(s))
			} else {
				fmt.Fprintf(&b, "%v", atv.Value)
			}
		}
	}
	return b.String()
}

func attrName(oid asn1.ObjectIdentifier) string {
	for _, a := range attrNames {
		if a.oid.Equal(oid) {
			return a.name
		}
	}
	return oid.String()
}

// escapeValue escapes what RFC 4514 2.4 requires, leaving UTF-8 as is.
func escapeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		esc := strings.IndexByte(",+\"\\<>;=", c) >= 0 ||
			(i == 0 && (c == ' ' || c == '#')) ||
			(i == len(s)-1 && c == ' ')
		if esc {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
