package certs

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseSubject(t *testing.T) {
	n, err := ParseSubject("CN=某某市市场监督管理局电子印章, O=某某市市场监督管理局,OU=办公室,C=CN,L=某某市,ST=某某省")
	if err != nil {
		t.Fatal(err)
	}
	if n.CommonName != "某某市市场监督管理局电子印章" || n.Organization[0] != "某某市市场监督管理局" ||
		n.OrganizationalUnit[0] != "办公室" || n.Country[0] != "CN" || n.Locality[0] != "某某市" || n.Province[0] != "某某省" {
		t.Fatalf("parsed %+v", n)
	}
	if got, want := FormatName(n), "CN=某某市市场监督管理局电子印章,OU=办公室,O=某某市市场监督管理局,L=某某市,ST=某某省,C=CN"; got != want {
		t.Errorf("FormatName = %q, want %q", got, want)
	}

	n, err = ParseSubject(`CN=Seal\, Finance,O=ACME\\Group \+ Co,organizationIdentifier=NTRCN-91350100M000100Y43,SERIALNUMBER=A-1`)
	if err != nil {
		t.Fatal(err)
	}
	if n.CommonName != "Seal, Finance" || n.Organization[0] != `ACME\Group + Co` || n.SerialNumber != "A-1" {
		t.Fatalf("parsed %+v", n)
	}
	if len(n.ExtraNames) != 1 || n.ExtraNames[0].Value != "NTRCN-91350100M000100Y43" {
		t.Fatalf("organizationIdentifier: %+v", n.ExtraNames)
	}
	// What FormatName writes, ParseSubject reads back.
	back, err := ParseSubject(FormatName(n))
	if err != nil {
		t.Fatal(err)
	}
	if FormatName(back) != FormatName(n) {
		t.Errorf("round trip: %q != %q", FormatName(back), FormatName(n))
	}
	// Repeated types form one RDN, as crypto/x509 encodes them.
	n, err = ParseSubject("CN=x,OU=a,OU=b")
	if err != nil || len(n.OrganizationalUnit) != 2 || FormatName(n) != "CN=x,OU=a+OU=b" {
		t.Errorf("repeated OU: %q, %v", FormatName(n), err)
	}
	if back, err := ParseSubject(FormatName(n)); err != nil || FormatName(back) != FormatName(n) {
		t.Errorf("repeated OU round trip: %q, %v", FormatName(back), err)
	}
	// RFC 4514 hex pairs are bytes of UTF-8.
	if n, err := ParseSubject(`CN=\E5\8D\B0`); err != nil || n.CommonName != "印" {
		t.Errorf(`CN=\E5\8D\B0: %q, %v`, n.CommonName, err)
	}
}

func TestParseSubjectErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty subject"},
		{"CN", "not TYPE=value"},
		{"CN=a,,O=b", "empty attribute"},
		{"CN=a,", "empty attribute"},
		{"CN=", "empty value"},
		{"X=1", "unknown attribute type"},
		{"CN=a,C=China", "two-letter"},
		{"CN=a,CN=b", "CN given twice"},
		{`CN=a\`, "lone backslash"},
		{"CN=" + strings.Repeat("印", 65), "at most 64"},
		{"CN=a,SERIALNUMBER=编号", "SERIALNUMBER must use"},
	} {
		_, err := ParseSubject(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSubject(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestSerial(t *testing.T) {
	for i := 0; i < 100; i++ {
		n, err := NewSerial()
		if err != nil {
			t.Fatal(err)
		}
		if n.Sign() <= 0 || n.BitLen() > 128 {
			t.Fatalf("serial %s", n)
		}
		back, err := ParseSerial(FormatSerial(n))
		if err != nil || back.Cmp(n) != 0 {
			t.Fatalf("round trip of %s: %v %v", FormatSerial(n), back, err)
		}
	}
	n, err := ParseSerial("0A:3F:FF")
	if err != nil || n.Cmp(big.NewInt(0x0a3fff)) != 0 {
		t.Fatalf("OpenSSL form: %v %v", n, err)
	}
	if FormatSerial(big.NewInt(0xa3fff)) != "0a3fff" {
		t.Errorf("FormatSerial pads to whole bytes: %s", FormatSerial(big.NewInt(0xa3fff)))
	}
	for _, bad := range []string{"", "xyz", "0", "-1"} {
		if _, err := ParseSerial(bad); err == nil {
			t.Errorf("ParseSerial(%q) accepted", bad)
		}
	}
}

func TestStripSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"pkcs11:token=seals;pin-value=1234?module-path=/usr/lib/x.so":           "pkcs11:token=seals?module-path=/usr/lib/x.so",
		"pkcs11:token=seals?module-path=/x.so&pin-value=1234&pin-source=file:p": "pkcs11:token=seals?module-path=/x.so&pin-source=file:p",
		"pkcs11:token=seals?pin-value=1234":                                     "pkcs11:token=seals",
		"file:/ca/keys?passphrase=hunter22&passphrase-file=/run/p":              "file:/ca/keys?passphrase-file=/run/p",
		"file:keys": "file:keys",
	} {
		if got := StripSecrets(in); got != want {
			t.Errorf("StripSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRevocationReason(t *testing.T) {
	for in, want := range map[string]RevocationReason{"1": KeyCompromise, "keycompromise": KeyCompromise, "superseded": Superseded, "0": Unspecified} {
		if got, err := ParseRevocationReason(in); err != nil || got != want {
			t.Errorf("ParseRevocationReason(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"7", "11", "lost"} {
		if _, err := ParseRevocationReason(bad); err == nil {
			t.Errorf("ParseRevocationReason(%q) accepted", bad)
		}
	}
	if err := RemoveFromCRL.check(); err == nil {
		t.Error("removeFromCRL accepted in a full CRL")
	}
}

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"CN=某某市市场监督管理局电子印章,O=某某市市场监督管理局,C=CN", `CN=a\,b,OU=\E5\8D\B0`, "CN= x ,O=y\\ ", "C=CN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSubject(s)
		if err != nil {
			return
		}
		back, err := ParseSubject(FormatName(n))
		if err != nil {
			t.Fatalf("FormatName output %q does not parse: %v", FormatName(n), err)
		}
		if FormatName(back) != FormatName(n) {
			t.Fatalf("round trip %q -> %q", FormatName(n), FormatName(back))
		}
	})
}
