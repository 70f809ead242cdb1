package ses

// An independent check of the fixtures with OpenSSL: its ASN.1 parser reads
// the structures, and its SM2 implementation verifies the maker's and the
// signer's signatures over the DER this package produces.

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/internal/testenv"
)

func TestOpenSSL(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pubPEM := func(name string, certDER []byte) string {
		c, err := smx509.ParseCertificate(certDER)
		if err != nil {
			t.Fatal(err)
		}
		spki, err := smx509.MarshalPKIXPublicKey(c.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	}
	// verify runs openssl dgst -sm3 -verify with the default SM2 ID.
	verify := func(pub, sig, data string) (string, error) {
		return testenv.Output(nil, openssl, "dgst", "-sm3", "-verify", pub,
			"-sigopt", "distid:1234567812345678", "-signature", sig, data)
	}

	for _, f := range loadFixtures(t).Signatures {
		t.Run(f.File, func(t *testing.T) {
			sigDER := readTestdata(t, f.File)
			sealDER := readTestdata(t, f.ESeal)
			for _, file := range []string{f.File, f.ESeal} {
				out := testenv.Run(t, nil, openssl, "asn1parse", "-inform", "DER", "-in", filepath.Join("testdata", file))
				for _, want := range []string{"IA5STRING         :ES", "GENERALIZEDTIME   :20250101000000Z", "SM2-with-SM3", "BIT STRING"} {
					if !strings.Contains(out, want) {
						t.Errorf("openssl asn1parse %s: no %q in\n%s", file, want, out)
					}
				}
			}

			seal, err := ParseSeal(sealDER)
			if err != nil {
				t.Fatal(err)
			}
			makerPub := pubPEM("maker.pem", seal.Cert)
			info := write("sealinfo.der", mustMarshal(t, &seal.ESealInfo))
			makerSig := write("maker.sig", seal.SignedValue)
			if out, err := verify(makerPub, makerSig, info); err != nil || !strings.Contains(out, "Verified OK") {
				t.Fatalf("OpenSSL does not verify the maker signature of %s: %v\n%s", f.ESeal, err, out)
			}

			sig, err := ParseSignature(sigDER)
			if err != nil {
				t.Fatal(err)
			}
			signerPub := pubPEM("signer.pem", sig.Cert)
			tbs := write("tbs.der", mustMarshal(t, &sig.ToSign))
			signerSig := write("signer.sig", sig.Signature)
			if out, err := verify(signerPub, signerSig, tbs); err != nil || !strings.Contains(out, "Verified OK") {
				t.Fatalf("OpenSSL does not verify the signature of %s: %v\n%s", f.File, err, out)
			}

			// OpenSSL's negative twin: one flipped picture byte.
			seal.ESealInfo.Picture.Data[10] ^= 0x01
			bad := write("sealinfo-bad.der", mustMarshal(t, &seal.ESealInfo))
			if out, err := verify(makerPub, makerSig, bad); err == nil || !strings.Contains(out, "Verification failure") {
				t.Fatalf("OpenSSL verified a tampered seal: %v\n%s", err, out)
			}
		})
	}
}
