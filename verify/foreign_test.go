package verify_test

import (
	"bytes"
	"crypto"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/verify"
)

// A document that another tool signed first: poppler's pdfsig signs with
// an RSA key from an NSS database, writing its CMS in BER, as NSS does. We
// seal it twice after that (SM2, then PAdES). Every signature verifies,
// by pdfsig too for the two it knows; the first signer's unknown CA makes
// the document INDETERMINATE until its certificate is trusted; a changed
// byte in the first revision makes it INVALID.
func TestSealAfterAnotherSigner(t *testing.T) {
	pdfsig := testenv.Tool(t, "pdfsig", "poppler-utils")
	certutil := testenv.Tool(t, "certutil", "libnss3-tools")
	pk12util := testenv.Tool(t, "pk12util", "libnss3-tools")
	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }

	db := "sql:" + file("nss")
	os.MkdirAll(file("nss"), 0o700)
	testenv.Run(t, nil, certutil, "-N", "-d", db, "--empty-password")
	testenv.Run(t, nil, openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("other.key"), "-out", file("other.pem"),
		"-days", "30", "-subj", "/CN=Other Signer/O=Another Agency", "-addext", "keyUsage=digitalSignature,nonRepudiation")
	testenv.Run(t, nil, openssl, "pkcs12", "-export", "-inkey", file("other.key"), "-in", file("other.pem"), "-out", file("other.p12"), "-passout", "pass:", "-name", "other")
	testenv.Run(t, nil, pk12util, "-i", file("other.p12"), "-d", db, "-W", "")
	testenv.Run(t, nil, certutil, "-M", "-d", db, "-n", "other", "-t", "CT,C,C")

	for _, fixture := range []string{"libreoffice.pdf", "objstm.pdf"} {
		t.Run(fixture, func(t *testing.T) {
			os.WriteFile(file("in.pdf"), sealtest.Fixture(t, fixture), 0o600)
			os.Remove(file("signed.pdf"))
			testenv.Run(t, nil, pdfsig, "-add-signature", "-nssdir", db, "-nick", "other", file("in.pdf"), file("signed.pdf"))
			signed, err := os.ReadFile(file("signed.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			p := sealtest.NewPKI(t)
			out := sealtest.Stamp(t, signed, p.Options(seal.ModeSM2))
			pades := p.Options(seal.ModePAdES)
			pades.Placement.X = 40
			out = sealtest.Stamp(t, out, pades)

			trust := p.Trust()
			rep := check(t, out, verify.Options{Trust: trust})
			expect(t, rep, verify.Indeterminate, verify.ReasonNoChain)
			first := rep.Signatures[0]
			if first.Format != "cms" || first.Algorithm != "RSA-2048-with-SHA256" || !strings.Contains(text(rep), "BER") {
				t.Fatalf("the first signature is not read as pdfsig's BER RSA CMS:\n%s", text(rep))
			}
			for _, s := range rep.Signatures[1:] {
				if s.Verdict != verify.Valid {
					t.Fatalf("our seal after another signer's: %s (%s):\n%s", s.Verdict, s.Reason, text(rep))
				}
			}

			other, err := certs.LoadCertificates(file("other.pem"))
			if err != nil {
				t.Fatal(err)
			}
			trust.Add(other...)
			expect(t, check(t, out, verify.Options{Trust: trust}), verify.Valid, verify.ReasonOK)

			// pdfsig agrees on the signatures it can check: its own RSA one
			// and our PAdES one (it knows no SM2).
			os.WriteFile(file("out.pdf"), out, 0o600)
			res, _ := testenv.Output(nil, pdfsig, "-nssdir", db, file("out.pdf"))
			sigs := strings.Split(res, "Signature #")
			if len(sigs) != 4 || !strings.Contains(sigs[1], "Signature is Valid.") || !strings.Contains(sigs[3], "Signature is Valid.") {
				t.Fatalf("pdfsig:\n%s", res)
			}

			// The other order: our seal first, pdfsig's signature after it.
			// pdfsig's update leaves unreferenced form XObjects behind,
			// which change nothing a viewer shows: both stay valid.
			p2 := sealtest.NewPKI(t)
			os.WriteFile(file("ours.pdf"), sealtest.Stamp(t, sealtest.Fixture(t, fixture), p2.Options(seal.ModeSM2)), 0o600)
			os.Remove(file("theirs.pdf"))
			testenv.Run(t, nil, pdfsig, "-add-signature", "-nssdir", db, "-nick", "other", file("ours.pdf"), file("theirs.pdf"))
			theirs, err := os.ReadFile(file("theirs.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			trust2 := p2.Trust()
			trust2.Add(other...)
			expect(t, check(t, theirs, verify.Options{Trust: trust2}), verify.Valid, verify.ReasonOK)

			// Negative twin: one byte of the first revision changed.
			bad := bytes.Clone(out)
			bad[200] ^= 0x01
			rep = check(t, bad, verify.Options{Trust: trust})
			if rep.Verdict != verify.Invalid || rep.Signatures[0].Reason != verify.ReasonHash {
				t.Fatalf("a changed first revision:\n%s", text(rep))
			}
		})
	}
}

// zeroEnding signs like its key, but only returns a signature whose last
// byte is zero: the signature container then ends in a zero byte, just
// like the padding after it in /Contents.
type zeroEnding struct{ crypto.Signer }

func (z zeroEnding) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	for {
		sig, err := z.Signer.Sign(r, digest, opts)
		if err != nil || sig[len(sig)-1] == 0 {
			return sig, err
		}
	}
}

// A signature container whose last byte is zero is read whole, in every
// mode.
func TestContainerEndingInZero(t *testing.T) {
	p := sealtest.NewPKI(t)
	doc := sealtest.Fixture(t, "ghostscript.pdf")
	for _, mode := range []seal.Mode{seal.ModeSM2, seal.ModeSES, seal.ModePAdES} {
		t.Run(string(mode), func(t *testing.T) {
			o := p.Options(mode)
			o.Signer = zeroEnding{o.Signer}
			expect(t, check(t, sealtest.Stamp(t, doc, o), verify.Options{Trust: p.Trust()}), verify.Valid, verify.ReasonOK)
		})
	}
}
