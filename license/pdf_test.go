package license_test

import (
	"bytes"
	"context"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/verify"
)

// A license PDF: drawn, carrying its signed data, sealed; the seal
// verifies, the embedded token is the issued one, and the printed QR code
// decodes (zbarimg) to a URL whose payload verifies offline.
func TestLicensePDF(t *testing.T) {
	e := newEnv(t)
	p := sealtest.NewPKI(t)
	ctx := context.Background()
	maker := &license.PDFMaker{Catalog: e.reg.Catalog, BaseURL: "https://verify.example.gov.cn", Issuer: e.samr.Signer, Seal: p.Options(seal.ModeSM2)}
	face := businessFace()
	face["scope"] = strings.Repeat("技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务；", 6)
	iss, err := e.reg.Issue(ctx, e.samr, license.IssueRequest{Type: businessType, Face: face, PDF: maker.Make})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.PDF(ctx, bytes.NewReader(iss.PDF), int64(len(iss.PDF)), verify.Options{Trust: p.Trust()})
	if err != nil || rep.Verdict != verify.Valid {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("%v\n%s", err, b.String())
	}
	tok, err := license.TokenFromPDF(bytes.NewReader(iss.PDF), int64(len(iss.PDF)))
	if err != nil || tok != iss.Token {
		t.Fatalf("embedded token: %v", err)
	}
	st, err := e.reg.Get(ctx, iss.Data.Identifier)
	if err != nil || st.Record.PDFSHA256 == "" {
		t.Fatalf("record %+v %v", st, err)
	}

	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	zbarimg := testenv.Tool(t, "zbarimg", "zbar-tools")
	dir := t.TempDir()
	f := filepath.Join(dir, "license.pdf")
	os.WriteFile(f, iss.PDF, 0o600)
	testenv.Run(t, nil, pdftoppm, "-r", "200", "-f", "1", "-l", "1", "-png", f, filepath.Join(dir, "p"))
	pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	out := testenv.RunStdout(t, zbarimg, "-q", "--raw", pngs[0])
	text := strings.TrimSpace(out)
	if !strings.HasPrefix(text, "https://verify.example.gov.cn/v/"+iss.Data.Identifier+"#") {
		t.Fatalf("QR decodes to %q", text)
	}
	if _, err := license.VerifyQRText(text, []crypto.PublicKey{e.samr.Signer.Public()}); err != nil {
		t.Fatalf("the printed QR payload: %v", err)
	}
}
