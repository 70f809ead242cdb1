package seal_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"image/png"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	tjsm2 "github.com/tjfoc/gmsm/sm2"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/cms"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/verify"
)

func verifyBytes(t *testing.T, b []byte, opts verify.Options) *verify.Report {
	t.Helper()
	rep, err := verify.PDF(context.Background(), bytes.NewReader(b), int64(len(b)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func requireValid(t *testing.T, rep *verify.Report, n int) {
	t.Helper()
	if rep.Verdict != verify.Valid || len(rep.Signatures) != n {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("want %d valid signatures, got %s:\n%s", n, rep.Verdict, b.String())
	}
}

// checkIndependent runs qpdf --check and pdfcpu's validation.
func checkIndependent(t *testing.T, b []byte) {
	t.Helper()
	qpdf := testenv.Tool(t, "qpdf", "qpdf")
	f := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(f, b, 0o600)
	out, err := testenv.Output(nil, qpdf, "--check", f)
	if err != nil || !strings.Contains(out, "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	if _, err := api.ReadAndValidate(bytes.NewReader(b), conf); err != nil {
		t.Fatalf("pdfcpu: %v", err)
	}
}

// Every producer's document takes every mode, and the result verifies,
// keeps the original bytes, and passes qpdf and pdfcpu.
func TestStampProducersAndModes(t *testing.T) {
	p := sealtest.NewPKI(t)
	for _, name := range sealtest.Producers {
		in := sealtest.Fixture(t, name)
		for _, mode := range []seal.Mode{seal.ModeSM2, seal.ModeSES, seal.ModePAdES} {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				out := sealtest.Stamp(t, in, p.Options(mode))
				if !bytes.HasPrefix(out, in) {
					t.Fatal("the original bytes changed")
				}
				rep := verifyBytes(t, out, verify.Options{Trust: p.Trust()})
				requireValid(t, rep, 1)
				if rep.Signatures[0].Format != string(mode) || !rep.Signatures[0].CoversWholeFile {
					t.Fatalf("format %s covers-all %v", rep.Signatures[0].Format, rep.Signatures[0].CoversWholeFile)
				}
				if mode != seal.ModePAdES && (rep.Signatures[0].Seal == nil || rep.Signatures[0].Seal.ID != "ES2026112500000001") {
					t.Fatalf("seal not reported: %+v", rep.Signatures[0].Seal)
				}
				checkIndependent(t, out)
			})
		}
	}
}

// Seals one after another: later seals never break earlier ones.
func TestStampSeveral(t *testing.T) {
	p := sealtest.NewPKI(t)
	doc := sealtest.Fixture(t, "libreoffice.pdf")
	doc = sealtest.Stamp(t, doc, p.Options(seal.ModeSM2))
	o := p.Options(seal.ModePAdES)
	o.Placement = seal.Placement{Page: 2, X: 40, Y: 40, Corner: seal.TopRight}
	doc = sealtest.Stamp(t, doc, o)
	o = p.Options(seal.ModeSES)
	o.Placement = seal.Placement{CrossPage: true}
	doc = sealtest.Stamp(t, doc, o)
	o = p.Options(seal.ModeSM2)
	o.GMOIDs = true
	o.Placement = seal.Placement{Invisible: true}
	doc = sealtest.Stamp(t, doc, o)
	rep := verifyBytes(t, doc, verify.Options{Trust: p.Trust()})
	requireValid(t, rep, 4)
	if got := rep.Signatures[2].Pages; fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("cross-page seal on pages %v", got)
	}
	if len(rep.Signatures[3].Pages) != 0 {
		t.Fatalf("invisible seal shown on %v", rep.Signatures[3].Pages)
	}
	for _, s := range rep.Signatures[:3] {
		if s.CoversWholeFile || len(s.Changes) == 0 {
			t.Fatalf("signature %d should be followed by allowed changes", s.Index)
		}
	}
	checkIndependent(t, doc)
}

// The SM2 signature inside the CMS verifies with OpenSSL and with tjfoc's
// SM2, over the DER signed attributes.
func TestSM2SignatureIndependently(t *testing.T) {
	p := sealtest.NewPKI(t)
	out := sealtest.Stamp(t, sealtest.Fixture(t, "ghostscript.pdf"), p.Options(seal.ModeSM2))
	r, err := pdf.Open(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := r.SignatureFields()
	if err != nil || len(fields) != 1 {
		t.Fatalf("%d fields, %v", len(fields), err)
	}
	contents, _ := pdf.Bytes(fields[0].Dict["Contents"])
	sd, err := cms.Parse(contents)
	if err != nil {
		t.Fatal(err)
	}
	pub := p.SealCert.PublicKey
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sd.Signature, &rs); err != nil {
		t.Fatal(err)
	}
	ec := pub.(*ecdsa.PublicKey)
	tp := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: ec.X, Y: ec.Y}
	if !tjsm2.Sm2Verify(tp, sd.RawSignedAttrs, []byte("1234567812345678"), rs.R, rs.S) {
		t.Fatal("tjfoc/gmsm does not verify the SM2 signature over the signed attributes")
	}
	bad := bytes.Clone(sd.RawSignedAttrs)
	bad[len(bad)-1] ^= 1
	if tjsm2.Sm2Verify(tp, bad, []byte("1234567812345678"), rs.R, rs.S) {
		t.Fatal("tjfoc/gmsm verifies altered signed attributes")
	}

	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	der, _ := smx509.MarshalPKIXPublicKey(pub)
	os.WriteFile(filepath.Join(dir, "pub.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "attrs.der"), sd.RawSignedAttrs, 0o600)
	os.WriteFile(filepath.Join(dir, "bad.der"), bad, 0o600)
	os.WriteFile(filepath.Join(dir, "sig.der"), sd.Signature, 0o600)
	args := []string{"dgst", "-sm3", "-verify", filepath.Join(dir, "pub.pem"), "-sigopt", "distid:1234567812345678", "-signature", filepath.Join(dir, "sig.der")}
	if out, err := testenv.Output(nil, openssl, append(args, filepath.Join(dir, "attrs.der"))...); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl: %v %s", err, out)
	}
	if out, err := testenv.Output(nil, openssl, append(args, filepath.Join(dir, "bad.der"))...); err == nil {
		t.Fatalf("openssl verifies altered attributes: %s", out)
	}
}

// pdfsig (poppler with NSS) says our PAdES signature is valid, and trusted
// when the CA is in its NSS database.
func TestPdfsigPAdES(t *testing.T) {
	pdfsig := testenv.Tool(t, "pdfsig", "poppler-utils")
	certutil := testenv.Tool(t, "certutil", "libnss3-tools")
	p := sealtest.NewPKI(t)
	out := sealtest.Stamp(t, sealtest.Fixture(t, "libreoffice.pdf"), p.Options(seal.ModePAdES))
	dir := t.TempDir()
	f := filepath.Join(dir, "s.pdf")
	os.WriteFile(f, out, 0o600)
	db := filepath.Join(dir, "nss")
	os.MkdirAll(db, 0o700)
	testenv.Run(t, nil, certutil, "-N", "-d", "sql:"+db, "--empty-password")
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.P256CA.Certificate().Raw}), 0o600)
	testenv.Run(t, nil, certutil, "-A", "-d", "sql:"+db, "-n", "eseal-ca", "-t", "CT,C,C", "-i", ca)
	res, _ := testenv.Output(nil, pdfsig, "-nssdir", "sql:"+db, f)
	if !strings.Contains(res, "Signature Validation: Signature is Valid.") || !strings.Contains(res, "Certificate Validation: Certificate is Trusted.") || !strings.Contains(res, "Total document signed") {
		t.Fatalf("pdfsig:\n%s", res)
	}
	// Negative twin: one byte of the signed content flipped.
	bad := bytes.Clone(out)
	bad[100] ^= 0x01
	os.WriteFile(f, bad, 0o600)
	res, _ = testenv.Output(nil, pdfsig, "-nssdir", "sql:"+db, f)
	if strings.Contains(res, "Signature is Valid.") {
		t.Fatalf("pdfsig accepts a changed document:\n%s", res)
	}
}

// The seal is drawn where it was asked for: render the page and find red.
func TestStampRendersWhereAsked(t *testing.T) {
	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	p := sealtest.NewPKI(t)
	in := sealtest.Fixture(t, "libreoffice.pdf") // A4: 210 × 297 mm
	for _, c := range []struct {
		corner seal.Corner
		x, y   float64 // mm from the corner
		fx, fy float64 // expected centre as fractions of width and height from the top-left
	}{
		{seal.BottomLeft, 150, 60, 150.0 / 210, 1 - 60.0/297},
		{seal.TopLeft, 40, 40, 40.0 / 210, 40.0 / 297},
		{seal.TopRight, 40, 50, 1 - 40.0/210, 50.0 / 297},
	} {
		o := p.Options(seal.ModeSM2)
		o.Placement = seal.Placement{Page: 1, X: c.x, Y: c.y, Corner: c.corner}
		out := sealtest.Stamp(t, in, o)
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "s.pdf"), out, 0o600)
		testenv.Run(t, nil, pdftoppm, "-r", "50", "-f", "1", "-l", "1", "-png", filepath.Join(dir, "s.pdf"), filepath.Join(dir, "p"))
		matches, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
		if len(matches) != 1 {
			t.Fatalf("pdftoppm wrote %v", matches)
		}
		fh, _ := os.Open(matches[0])
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		var sx, sy, n float64
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bb, _ := img.At(x, y).RGBA()
				if r>>8 > 180 && g>>8 < 90 && bb>>8 < 90 {
					sx, sy, n = sx+float64(x), sy+float64(y), n+1
				}
			}
		}
		if n < 50 {
			t.Fatalf("%s: no red seal on the rendered page", c.corner)
		}
		gx, gy := sx/n/float64(b.Dx()), sy/n/float64(b.Dy())
		if abs(gx-c.fx) > 0.03 || abs(gy-c.fy) > 0.03 {
			t.Fatalf("%s %v,%v: red centre at (%.3f, %.3f) of the page, want (%.3f, %.3f)", c.corner, c.x, c.y, gx, gy, c.fx, c.fy)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestStampBadInput(t *testing.T) {
	p := sealtest.NewPKI(t)
	ctx := context.Background()
	stamp := func(in []byte, o seal.Options) error {
		_, err := seal.Stamp(ctx, bytes.NewReader(in), int64(len(in)), &bytes.Buffer{}, o)
		return err
	}
	doc := sealtest.Fixture(t, "ghostscript.pdf")
	cases := []struct {
		name string
		in   []byte
		opt  func(*seal.Options)
		want error
	}{
		{"encrypted", sealtest.Fixture(t, "encrypted.pdf"), nil, pdf.ErrEncrypted},
		{"truncated", sealtest.Fixture(t, "truncated.pdf"), nil, pdf.ErrBroken},
		{"not a PDF", []byte("hello, world"), nil, pdf.ErrNotPDF},
		{"key and certificate differ", doc, func(o *seal.Options) { o.Cert = p.MakerCert }, seal.ErrKeyMatch},
		{"pades with an SM2 key", doc, func(o *seal.Options) { o.Mode = seal.ModePAdES }, seal.ErrBadOptions},
		{"ses without a seal", doc, func(o *seal.Options) { o.Mode, o.Seal = seal.ModeSES, nil }, seal.ErrBadOptions},
		{"no picture", doc, func(o *seal.Options) { o.Picture = nil }, seal.ErrNoPicture},
		{"page out of range", doc, func(o *seal.Options) { o.Placement.Page = 9 }, seal.ErrPlacement},
		{"off the page", doc, func(o *seal.Options) { o.Placement.X = 500 }, seal.ErrPlacement},
		{"two placements", doc, func(o *seal.Options) { o.Placement.CrossPage, o.Placement.Invisible = true, true }, seal.ErrPlacement},
	}
	for _, c := range cases {
		o := p.Options(seal.ModeSM2)
		if c.opt != nil {
			c.opt(&o)
		}
		if err := stamp(c.in, o); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// StampFile leaves nothing behind when it fails, and a whole file when it
// succeeds.
func TestStampFileAtomic(t *testing.T) {
	p := sealtest.NewPKI(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "truncated.pdf")
	os.WriteFile(bad, sealtest.Fixture(t, "truncated.pdf"), 0o600)
	if _, err := seal.StampFile(context.Background(), bad, filepath.Join(dir, "out.pdf"), p.Options(seal.ModeSM2)); err == nil {
		t.Fatal("stamping a truncated file succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	good := filepath.Join(dir, "good.pdf")
	os.WriteFile(good, sealtest.Fixture(t, "ghostscript.pdf"), 0o600)
	if _, err := seal.StampFile(context.Background(), good, filepath.Join(dir, "out.pdf"), p.Options(seal.ModeSM2)); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Fatalf("files: %v", entries)
	}
}

// The anchor text （盖章） is found on page 1 and the seal centred on it;
// a text on no page is a clear error.
func TestStampAtAnchor(t *testing.T) {
	p := sealtest.NewPKI(t)
	in := sealtest.Fixture(t, "libreoffice.pdf")
	o := p.Options(seal.ModeSM2)
	o.Placement = seal.Placement{Anchor: "（盖章）"}
	out := sealtest.Stamp(t, in, o)
	rep := verifyBytes(t, out, verify.Options{Trust: p.Trust()})
	requireValid(t, rep, 1)
	if fmt.Sprint(rep.Signatures[0].Pages) != "[1]" {
		t.Fatalf("pages %v", rep.Signatures[0].Pages)
	}
	r, _ := pdf.Open(bytes.NewReader(out), int64(len(out)))
	fields, _ := r.SignatureFields()
	w, _ := r.Dict(fields[0].Widgets[0].IndirectRef())
	rect, _ := r.Array(w["Rect"])
	x0, _ := r.Number(rect[0])
	y0, _ := r.Number(rect[1])
	x1, _ := r.Number(rect[2])
	y1, _ := r.Number(rect[3])
	// poppler puts （盖章） at (539.1, 532.4) on page 1.
	if cx, cy := (x0+x1)/2, (y0+y1)/2; abs(cx-539.1) > 2 || abs(cy-532.4) > 2 {
		t.Fatalf("seal centred at (%.1f, %.1f)", cx, cy)
	}
	o.Placement = seal.Placement{Anchor: "（不存在的文字）"}
	if _, err := seal.Stamp(context.Background(), bytes.NewReader(in), int64(len(in)), &bytes.Buffer{}, o); !errors.Is(err, seal.ErrAnchor) {
		t.Fatalf("missing anchor: %v", err)
	}
}
