package cms

// Checks by implementations other than ours: OpenSSL 3 (command line) and
// tjfoc/gmsm, a second SM2 implementation.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	tjsm2 "github.com/tjfoc/gmsm/sm2"

	"github.com/eseal-project/eseal/internal/testenv"
)

// writeFiles writes name → content into a fresh directory and returns it.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func certPEM(c *smx509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(t *testing.T, k crypto.Signer) []byte {
	t.Helper()
	der, err := smx509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func pubPEM(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func flipped(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/3] ^= 0x20
	return c
}

func TestOpenSSLParsesOurDER(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	for _, tc := range profileCases {
		t.Run(tc.name, func(t *testing.T) {
			k := newPKI(t, tc.profile)
			der, err := Sign(bytes.NewReader(content), k.key, k.opts(tc.gm))
			if err != nil {
				t.Fatal(err)
			}
			dir := writeFiles(t, map[string][]byte{"sig.der": der})
			out := testenv.Run(t, nil, openssl, "asn1parse", "-inform", "DER", "-in", filepath.Join(dir, "sig.der"), "-i")
			for _, want := range []string{"messageDigest", "contentType", "id-smime-aa-signingCertificateV2"} {
				if !strings.Contains(out, want) {
					t.Errorf("openssl asn1parse output lacks %q:\n%s", want, out)
				}
			}
			if got := strings.Contains(out, "signingTime"); got != (tc.profile == SM2) {
				t.Errorf("signingTime in output: %v, want %v", got, tc.profile == SM2)
			}
		})
	}
}

// openssl cms -verify checks the chain, the signature, the message digest
// and (-cades) the ESS signing-certificate-v2 of our PAdES output.
func TestOpenSSLVerifiesPAdES(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	k := newPKI(t, PAdES)
	der, err := Sign(bytes.NewReader(content), k.key, k.opts(false))
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string][]byte{
		"sig.der": der, "data": content, "tampered": flipped(content), "ca.pem": certPEM(k.ca),
	})
	verify := func(data string) (string, error) {
		return testenv.Output(nil, openssl, "cms", "-verify", "-binary", "-inform", "DER",
			"-in", filepath.Join(dir, "sig.der"), "-content", filepath.Join(dir, data),
			"-CAfile", filepath.Join(dir, "ca.pem"), "-purpose", "any", "-cades", "-out", os.DevNull)
	}
	out, err := verify("data")
	// With -cades OpenSSL says "CAdES Verification successful".
	if err != nil || !strings.Contains(out, "Verification successful") {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
	if out, err := verify("tampered"); err == nil || !strings.Contains(out, "Verification failure") {
		t.Fatalf("openssl cms -verify accepted tampered content: %v\n%s", err, out)
	}
}

// OpenSSL's dgst and tjfoc/gmsm check the SM2 signature over the DER signed
// attributes with the default ID 1234567812345678.
func TestOpenSSLAndTjfocVerifySM2Signature(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	for _, gm := range []bool{false, true} {
		k := newPKI(t, SM2)
		der, err := Sign(bytes.NewReader(content), k.key, k.opts(gm))
		if err != nil {
			t.Fatal(err)
		}
		sd, err := Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		if sd.RawSignedAttrs[0] != 0x31 {
			t.Fatalf("RawSignedAttrs starts with %#x, want SET 0x31", sd.RawSignedAttrs[0])
		}
		dir := writeFiles(t, map[string][]byte{
			"attrs.der": sd.RawSignedAttrs, "tampered.der": flipped(sd.RawSignedAttrs),
			"sig.der": sd.Signature, "pub.pem": pubPEM(t, k.cert.PublicKey),
		})
		verify := func(msg string) (string, error) {
			return testenv.Output(nil, openssl, "dgst", "-sm3", "-verify", filepath.Join(dir, "pub.pem"),
				"-sigopt", "distid:1234567812345678", "-signature", filepath.Join(dir, "sig.der"), filepath.Join(dir, msg))
		}
		if out, err := verify("attrs.der"); err != nil || out != "Verified OK\n" {
			t.Fatalf("GMOIDs %v: openssl dgst -sm3 -verify: %v\n%s", gm, err, out)
		}
		if out, err := verify("tampered.der"); err == nil {
			t.Fatalf("GMOIDs %v: openssl verified tampered attributes:\n%s", gm, out)
		}

		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(sd.Signature, &rs); err != nil || len(rest) != 0 {
			t.Fatalf("signature is not DER SEQUENCE { r, s }: %v", err)
		}
		pub := k.cert.PublicKey.(*ecdsa.PublicKey)
		tp := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: pub.X, Y: pub.Y}
		uid := []byte("1234567812345678")
		if !tjsm2.Sm2Verify(tp, sd.RawSignedAttrs, uid, rs.R, rs.S) {
			t.Fatalf("GMOIDs %v: tjfoc/gmsm rejects the signature", gm)
		}
		if tjsm2.Sm2Verify(tp, flipped(sd.RawSignedAttrs), uid, rs.R, rs.S) {
			t.Fatalf("GMOIDs %v: tjfoc/gmsm accepts tampered attributes", gm)
		}
	}
}

// OpenSSL 3.0's CMS code computes the SM2 Z value with an empty ID, not the
// GM/T 0009 default 1234567812345678, and offers no option to set it (nor
// for the certificate chain: an SM2 certificate signed with the default ID
// fails "certificate signature failure" unless -noverify). So `openssl cms
// -verify` rejects a correct SM2 CMS. This test records what the installed
// OpenSSL does, and proves that the rest of our structure is right: the same
// SignedData signed over the empty ID is accepted.
func TestOpenSSLCMSVerifySM2(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	k := newPKI(t, SM2)
	opts := k.opts(false)
	der, err := Sign(bytes.NewReader(content), k.key, opts)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	// The control: the same attributes signed as SM3(Z(empty ID) || attrs).
	priv := k.key.(*sm2.PrivateKey)
	za, err := sm2.CalculateZA(&priv.PublicKey, []byte{})
	if err != nil {
		t.Fatal(err)
	}
	h := NewContentHash(SM2)
	h.Write(za)
	h.Write(sd.RawSignedAttrs)
	sig, err := sm2.SignASN1(rand.Reader, priv, h.Sum(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	control, err := contentInfo(&opts, mustParams(t, &opts), sd.RawSignedAttrs, sig)
	if err != nil {
		t.Fatal(err)
	}
	if sd2, err := Parse(control); err != nil || !errors.Is(sd2.VerifyContent(bytes.NewReader(content)), ErrBadSignature) {
		t.Fatalf("the empty-ID control must fail our verification with ErrBadSignature: %v", err)
	}
	dir := writeFiles(t, map[string][]byte{"sig.der": der, "control.der": control, "data": content, "ca.pem": certPEM(k.ca)})
	verify := func(sig string, chain bool) (string, error) {
		args := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", filepath.Join(dir, sig),
			"-content", filepath.Join(dir, "data"), "-out", os.DevNull}
		if chain {
			args = append(args, "-CAfile", filepath.Join(dir, "ca.pem"), "-purpose", "any")
		} else {
			args = append(args, "-noverify")
		}
		return testenv.Output(nil, openssl, args...)
	}
	version := strings.TrimSpace(testenv.Run(t, nil, openssl, "version"))
	out, err := verify("sig.der", true)
	t.Logf("%s: openssl cms -verify -CAfile (default-ID SM2, ours): err=%v\n%s", version, err, out)
	out, err = verify("sig.der", false)
	t.Logf("%s: openssl cms -verify -noverify (default-ID SM2, ours): err=%v\n%s", version, err, out)
	if err == nil {
		return // an OpenSSL that uses the default ID: nothing more to prove
	}
	if out, err := verify("control.der", false); err != nil {
		t.Fatalf("%s rejects even the empty-ID control, so something else in our SM2 CMS is wrong: %v\n%s", version, err, out)
	}
	t.Logf("%s accepts the same SignedData signed over the empty ID: it rejects ours only for the SM2 ID", version)
}

// OpenSSL-made CMS goes through Parse and Verify.
func TestParseOpenSSLSigned(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	for _, p := range []Profile{PAdES, SM2} {
		t.Run(p.String(), func(t *testing.T) {
			k := newPKI(t, p)
			md := map[Profile]string{PAdES: "sha256", SM2: "sm3"}[p]
			dir := writeFiles(t, map[string][]byte{
				"data": content, "cert.pem": certPEM(k.cert), "ca.pem": certPEM(k.ca), "key.pem": keyPEM(t, k.key),
			})
			sign := func(name string, extra ...string) ([]byte, string, error) {
				sigFile := filepath.Join(dir, name+".der")
				args := append([]string{"cms", "-sign", "-binary", "-in", filepath.Join(dir, "data"),
					"-signer", filepath.Join(dir, "cert.pem"), "-inkey", filepath.Join(dir, "key.pem"),
					"-md", md, "-outform", "DER", "-out", sigFile}, extra...)
				out, err := testenv.Output(nil, openssl, args...)
				if err != nil {
					return nil, out, err
				}
				der, err := os.ReadFile(sigFile)
				return der, out, err
			}
			if _, out, err := sign("probe"); err != nil && p == SM2 {
				// OpenSSL 3.0 cannot make SM2 CMS: it sets no
				// signatureAlgorithm ("illegal zero content").
				t.Skipf("SKIPPED: openssl cms -sign -md sm3 with an SM2 key fails on this OpenSSL: %v\n%s", err, out)
			}
			for _, variant := range []struct {
				name  string
				extra []string
			}{
				{"plain", nil},
				{"cades", []string{"-cades"}},
				{"chain", []string{"-certfile", filepath.Join(dir, "ca.pem")}},
				{"attached", []string{"-nodetach"}},
			} {
				t.Run(variant.name, func(t *testing.T) {
					der, out, err := sign(variant.name, variant.extra...)
					if err != nil {
						t.Fatalf("openssl cms -sign: %v\n%s", err, out)
					}
					sd, err := Parse(der)
					if variant.name == "attached" {
						if !errors.Is(err, ErrUnsupported) {
							t.Fatalf("attached content: got %v, want ErrUnsupported", err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if sd.Profile != p || sd.SigningTime.IsZero() || sd.Signer == nil || !sd.Signer.Equal(k.cert) {
						t.Errorf("Profile %v, SigningTime %v, Signer %v", sd.Profile, sd.SigningTime, sd.Signer)
					}
					if sd.HasSigningCertV2 != (variant.name == "cades") {
						t.Errorf("HasSigningCertV2 = %v", sd.HasSigningCertV2)
					}
					if variant.name == "chain" && len(sd.Certificates) != 2 {
						t.Errorf("%d certificates, want 2", len(sd.Certificates))
					}
					if err := sd.VerifyContent(bytes.NewReader(content)); err != nil {
						t.Fatalf("VerifyContent: %v", err)
					}
					if err := sd.VerifyContent(bytes.NewReader(flipped(content))); !errors.Is(err, ErrDigestMismatch) {
						t.Fatalf("tampered content: got %v, want ErrDigestMismatch", err)
					}
				})
			}
		})
	}
}
