package cms

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics, fails only with ErrMalformed or
// ErrUnsupported, and what it accepts can be verified without panicking.
func FuzzParse(f *testing.F) {
	for _, tc := range profileCases {
		k := newPKI(f, tc.profile)
		der, err := Sign(bytes.NewReader(content), k.key, k.opts(tc.gm))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
		f.Add(append(bytes.Clone(der), 0, 0, 0, 0))
		f.Add(toBER(f, der))
		one := k.opts(tc.gm)
		one.Certificates = one.Certificates[:1]
		if der, err = Sign(bytes.NewReader(content), k.key, one); err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	if der, err := os.ReadFile(filepath.Join("testdata", "tst-openssl-sha384.der")); err == nil {
		f.Add(der)
	}
	for _, v := range vectors {
		der, err := os.ReadFile(filepath.Join("testdata", v.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		if ts, err := ParseTimestamp(der); err == nil {
			_ = ts.VerifySignature()
			_ = ts.VerifyContent(bytes.NewReader(content))
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("ParseTimestamp error %v wraps neither ErrMalformed nor ErrUnsupported", err)
		}
		sd, err := Parse(der)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Parse error %v wraps neither ErrMalformed nor ErrUnsupported", err)
			}
			return
		}
		if len(sd.Raw) == 0 || len(sd.RawSignedAttrs) == 0 || sd.RawSignedAttrs[0] != 0x31 || len(sd.Signature) == 0 {
			t.Fatalf("accepted SignedData lacks raw parts")
		}
		_ = sd.VerifyDigest(sd.MessageDigest)
		_ = sd.VerifyContent(bytes.NewReader(content))
	})
}
