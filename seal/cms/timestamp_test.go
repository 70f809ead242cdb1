package cms

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A token made by OpenSSL's TSA parses, time-stamps its content, and its
// signature verifies; other content, a changed TSTInfo, or the token read
// as a detached signature do not pass.
func TestTimestampVector(t *testing.T) {
	der, err := os.ReadFile(filepath.Join("testdata", "tst-openssl-sha384.der"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "tst-openssl-sha384.content"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseTimestamp(append(bytes.Clone(der), 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if ts.ImprintHashName() != "SHA-384" || ts.Serial.Sign() <= 0 || ts.GenTime.IsZero() || ts.Signer == nil || ts.Profile != Foreign {
		t.Fatalf("imprint %s serial %v time %v signer %v profile %v", ts.ImprintHashName(), ts.Serial, ts.GenTime, ts.Signer != nil, ts.Profile)
	}
	if err := ts.VerifyContent(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := ts.VerifyContent(bytes.NewReader(flipped(data))); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("other content: %v, want ErrDigestMismatch", err)
	}
	// One byte of the genTime changed inside the signed TSTInfo.
	i := bytes.Index(der, []byte(ts.GenTime.UTC().Format("20060102150405")))
	if i < 0 {
		t.Fatal("genTime not found in the token")
	}
	bad := bytes.Clone(der)
	bad[i] ^= 0x01
	if ts2, err := ParseTimestamp(bad); err == nil {
		if err := ts2.VerifySignature(); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("changed TSTInfo: %v, want ErrDigestMismatch", err)
		}
	}
	if _, err := Parse(der); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a token read as a PDF signature: %v, want ErrUnsupported (encapsulated content)", err)
	}
	if _, err := ParseTimestamp(mustRead(t, "pades.der")); !errors.Is(err, ErrMalformed) {
		t.Errorf("a detached signature read as a token: %v, want ErrMalformed", err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
