package cms

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/eseal-project/eseal/internal/testenv"
)

var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/*.der (needs openssl)")

// Test vectors in testdata/, shared with other implementations: each
// signs testdata/content.bin. They pin what this package writes and reads
// from run to run, with or without OpenSSL installed.
var vectors = []struct {
	file    string
	profile Profile
	gm      bool
	want    error // nil: verifies
	about   string
}{
	{"sm2.der", SM2, false, nil, "ours: SM2 profile, PKCS #7 OIDs, SM2-with-SM3"},
	{"sm2-gm.der", SM2, true, nil, "ours: SM2 profile, GM/T 0010 OIDs, sm2-1"},
	{"pades.der", PAdES, false, nil, "ours: PAdES B-B, ECDSA P-256"},
	{"openssl-ecdsa-cades.der", PAdES, false, nil, "OpenSSL 3.0 cms -sign -cades -md sha256, with the CA certificate"},
	{"sm2-empty-id.der", SM2, false, ErrBadSignature, "SM2 signed over Z with an empty ID, as OpenSSL 3.0's CMS expects: not GM/T 0009"},
}

func TestVectors(t *testing.T) {
	if *updateVectors {
		writeVectors(t)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "content.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			der, err := os.ReadFile(filepath.Join("testdata", v.file))
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(der)
			if err != nil {
				t.Fatalf("%s: %v", v.about, err)
			}
			if sd.Profile != v.profile || sd.GMOIDs != v.gm {
				t.Errorf("Profile %v GMOIDs %v, want %v %v", sd.Profile, sd.GMOIDs, v.profile, v.gm)
			}
			if err := sd.VerifyContent(bytes.NewReader(data)); !errors.Is(err, v.want) {
				t.Fatalf("%s: got %v, want %v", v.about, err, v.want)
			}
			if v.want == nil {
				if err := sd.VerifyContent(bytes.NewReader(flipped(data))); !errors.Is(err, ErrDigestMismatch) {
					t.Fatalf("tampered: got %v, want ErrDigestMismatch", err)
				}
			}
		})
	}
}

func writeVectors(t *testing.T) {
	t.Helper()
	openssl := testenv.Tool(t, "openssl", "openssl")
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	write("content.bin", content)
	when := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	sm, ec := newPKI(t, SM2), newPKI(t, PAdES)
	for _, v := range []struct {
		name string
		k    *testPKI
		gm   bool
	}{{"sm2.der", sm, false}, {"sm2-gm.der", sm, true}, {"pades.der", ec, false}} {
		opts := v.k.opts(v.gm)
		opts.SigningTime = when
		der, err := Sign(bytes.NewReader(content), v.k.key, opts)
		if err != nil {
			t.Fatal(err)
		}
		write(v.name, der)
	}

	opts := sm.opts(false)
	p := mustParams(t, &opts)
	h := NewContentHash(SM2)
	h.Write(content)
	attrs, err := signedAttrs(&opts, p, h.Sum(nil), when)
	if err != nil {
		t.Fatal(err)
	}
	priv := sm.key.(*sm2.PrivateKey)
	za, _ := sm2.CalculateZA(&priv.PublicKey, []byte{})
	h = NewContentHash(SM2)
	h.Write(za)
	h.Write(attrs)
	sig, err := sm2.SignASN1(rand.Reader, priv, h.Sum(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := contentInfo(&opts, p, attrs, sig)
	if err != nil {
		t.Fatal(err)
	}
	write("sm2-empty-id.der", der)

	dir := writeFiles(t, map[string][]byte{
		"data": content, "cert.pem": certPEM(ec.cert), "ca.pem": certPEM(ec.ca), "key.pem": keyPEM(t, ec.key),
	})
	out := filepath.Join("testdata", "openssl-ecdsa-cades.der")
	testenv.Run(t, nil, openssl, "cms", "-sign", "-binary", "-cades", "-in", filepath.Join(dir, "data"),
		"-signer", filepath.Join(dir, "cert.pem"), "-inkey", filepath.Join(dir, "key.pem"),
		"-certfile", filepath.Join(dir, "ca.pem"), "-md", "sha256", "-outform", "DER", "-out", out)
}
