package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/deploy"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/appearance"
	"github.com/eseal-project/eseal/verify"
)

const demoMarker = ".eseal-demo"

// demoPassphrase is used only when the caller sets none; the demo says so.
const demoPassphrase = "eseal demo passphrase - not for production"

func newDemoCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Run the main job end to end on the embedded defaults",
		Long: `demo runs the service's main job on the embedded defaults, a soft
keystore and SQLite, in a directory of its own, and says what it did and
where the outputs are. Running it again starts the directory afresh (only a
directory the demo made itself is ever removed).`,
		Example: `  eseal demo --dir demo-out
  make demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), dir)
		},
	}
	c.Flags().StringVar(&dir, "dir", "demo-out", "directory for the demo's keys, CA, database and documents")
	return c
}

func runDemo(ctx context.Context, w io.Writer, dir string) error {
	if err := prepareDemoDir(dir); err != nil {
		return err
	}
	step := func(format string, a ...any) { fmt.Fprintf(w, "• "+format+"\n", a...) }
	if os.Getenv(hsm.PassphraseEnv) == "" {
		os.Setenv(hsm.PassphraseEnv, demoPassphrase)
		fmt.Fprintf(w, "note: %s is not set; the demo keystore uses a built-in demo passphrase\n", hsm.PassphraseEnv)
	}

	// 1. The keystore: the embedded default, keys encrypted at rest.
	keysURI := "file:" + filepath.Join(dir, "keys")
	ks, err := hsm.Open(keysURI)
	if err != nil {
		return err
	}
	defer ks.Close()
	sealKey, err := ks.Generate(ctx, "seal-1", hsm.SM2)
	if err != nil {
		return err
	}
	padesKey, err := ks.Generate(ctx, "pades-1", hsm.P256)
	if err != nil {
		return err
	}
	step("soft keystore %s: SM2 key seal-1 and P-256 key pades-1 (private keys sealed with AES-256-GCM under an Argon2id key)", keysURI)

	// 2. A development root CA whose key is in its own keystore.
	caDir := filepath.Join(dir, "ca")
	ca, err := certs.InitCA(ctx, caDir, certs.InitOptions{Algorithm: hsm.SM2, Org: "某市人民政府（演示）"})
	if err != nil {
		return err
	}
	defer ca.Close()
	step("SM2 root CA in %s: %s", caDir, certs.SubjectString(ca.Certificate()))

	// 3. Seal certificates for the keys, recorded in the store.
	db := filepath.Join(dir, "eseal.db")
	st, err := store.Open(ctx, "sqlite:"+db)
	if err != nil {
		return err
	}
	defer st.Close()
	subject, err := certs.ParseSubject("CN=某市市场监督管理局电子印章,O=某市市场监督管理局,C=CN")
	if err != nil {
		return err
	}
	sealCert, err := ca.Issue(ctx, sealKey.Public(), subject, certs.ProfileSeal, certs.ValidDays(365))
	if err != nil {
		return err
	}
	sealPEM := filepath.Join(dir, "seal-1.pem")
	if err := writeFileAtomic(sealPEM, certs.EncodePEM(sealCert), 0o644); err != nil {
		return err
	}
	issuer := hex.EncodeToString(ca.Certificate().SubjectKeyId)
	if err := st.PutCertificate(ctx, store.CertRecord{Issuer: issuer, Serial: certs.FormatSerial(sealCert.SerialNumber),
		Subject: certs.SubjectString(sealCert), NotBefore: sealCert.NotBefore, NotAfter: sealCert.NotAfter, DER: sealCert.Raw}); err != nil {
		return err
	}
	step("seal certificate %s (serial %s), recorded in SQLite store %s", sealPEM, certs.FormatSerial(sealCert.SerialNumber), db)

	// 4. Sign a document with the seal key and check it as a verifier would.
	doc := filepath.Join(dir, "approval.txt")
	text := []byte("准予行政许可决定书 某市市监许字〔2026〕第 0123 号\n")
	if err := writeFileAtomic(doc, text, 0o644); err != nil {
		return err
	}
	sig, err := hsm.SignStream(sealKey, bytes.NewReader(text), nil)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(doc+".sig", sig, 0o644); err != nil {
		return err
	}
	pool := certs.NewPool(ca.Certificate())
	if _, err := certs.VerifyChain(sealCert, nil, pool, certs.VerifyOptions{Time: time.Now(), KeyUsage: certs.UsageSeal}); err != nil {
		return fmt.Errorf("demo: the seal certificate does not verify: %w", err)
	}
	pub := sealCert.PublicKey.(*ecdsa.PublicKey)
	if !sm2.VerifyASN1WithSM2(pub, nil, text, sig) {
		return errors.New("demo: the SM2 signature does not verify")
	}
	tampered := append([]byte("X"), text...)
	if sm2.VerifyASN1WithSM2(pub, nil, tampered, sig) {
		return errors.New("demo: a tampered document verified")
	}
	step("signed %s with SM2/SM3 (signature %s): VALID; the same signature on a changed document: INVALID", doc, doc+".sig")

	// 5. A seal: GB/T 38540, made by the seal maker, registered.
	makerKey, err := ks.Generate(ctx, "maker", hsm.SM2)
	if err != nil {
		return err
	}
	makerSubject, _ := certs.ParseSubject("CN=某市印章制作中心（演示）,O=某市公安局（演示）,C=CN")
	makerCert, err := ca.Issue(ctx, makerKey.Public(), makerSubject, certs.ProfileSeal, certs.ValidDays(365))
	if err != nil {
		return err
	}
	picture, err := appearance.Draw(appearance.Options{Org: "某市市场监督管理局", Name: "行政审批专用章", Code: "1101080012345"})
	if errors.Is(err, appearance.ErrNoFont) {
		fmt.Fprintf(w, "note: no Chinese font found (apt-get install fonts-wqy-microhei); the seal picture has no text\n")
		picture, err = appearance.Emblem(600, appearance.SealRed), nil
	}
	if err != nil {
		return err
	}
	sl, err := seal.Make(seal.MakeOptions{Name: "行政审批专用章", Picture: picture, Signers: []*smx509.Certificate{sealCert}, MakerCert: makerCert, Maker: makerKey})
	if err != nil {
		return err
	}
	sealDER, _ := sl.Marshal()
	sealPath := filepath.Join(dir, "seal-1.esl")
	if err := writeFileAtomic(sealPath, sealDER, 0o644); err != nil {
		return err
	}
	p := sl.ESealInfo.Property
	if err := st.PutSeal(ctx, store.SealRecord{ID: sl.ESealInfo.ESID, Name: p.Name, Owner: "某市市场监督管理局", Keystore: keysURI, KeyLabel: "seal-1",
		SignerCert: sealCert.Raw, SealDER: sealDER, ValidFrom: p.ValidStart, ValidTo: p.ValidEnd}); err != nil {
		return err
	}
	step("GB/T 38540 seal %s %q made by the seal maker: %s (picture drawn in a Chinese font); registered", sl.ESealInfo.ESID, p.Name, sealPath)

	// 6. Stamp an approval document where it says （盖章）, and verify it.
	in := filepath.Join(dir, "approval.pdf")
	if err := writeFileAtomic(in, demoApproval, 0o644); err != nil {
		return err
	}
	stamped := filepath.Join(dir, "approval-sealed.pdf")
	opts := seal.Options{Mode: seal.ModeSM2, Signer: sealKey, Cert: sealCert, Seal: sealDER, Picture: picture, Reason: "准予行政许可", Location: "某市",
		Placement: seal.Placement{Anchor: "（盖章）"}}
	res, err := seal.StampFile(ctx, in, stamped, opts)
	if errors.Is(err, seal.ErrAnchor) {
		opts.Placement = seal.Placement{Page: 1, X: 150, Y: 80}
		res, err = seal.StampFile(ctx, in, stamped, opts)
	}
	if err != nil {
		return err
	}
	if err := st.RecordSealUse(ctx, sl.ESealInfo.ESID, time.Now(), "approval-sealed.pdf"); err != nil {
		return err
	}
	step("stamped %s -> %s (SM2/SM3 CMS, field %s, page %v)", in, stamped, res.Field, res.Pages)
	trustOpts := verify.Options{Trust: pool, SealStatus: func(ctx context.Context, id string) (string, error) {
		rec, err := st.Seal(ctx, id)
		return rec.Status, err
	}}
	rep, err := verifyFile(ctx, stamped, trustOpts)
	if err != nil {
		return err
	}
	step("verified %s: %s (%d signature, seal %s, registry: %s)", stamped, rep.Verdict, len(rep.Signatures), rep.Signatures[0].Seal.ID, rep.Signatures[0].Seal.Status)
	tamperedPath := filepath.Join(dir, "approval-tampered.pdf")
	b, err := os.ReadFile(stamped)
	if err != nil {
		return err
	}
	b[12] ^= 1
	if err := writeFileAtomic(tamperedPath, b, 0o644); err != nil {
		return err
	}
	rep, err = verifyFile(ctx, tamperedPath, trustOpts)
	if err != nil {
		return err
	}
	step("one byte changed in %s: %s (%s)", tamperedPath, rep.Verdict, rep.Reason)

	// 7. Revocation: the CA revokes the seal certificate; the CRL says so.
	if err := ca.Revoke(sealCert.SerialNumber, certs.KeyCompromise); err != nil {
		return err
	}
	crlDER, err := ca.CRL(ctx, time.Time{})
	if err != nil {
		return err
	}
	crlPath := filepath.Join(dir, "ca.crl")
	if err := writeFileAtomic(crlPath, crlDER, 0o644); err != nil {
		return err
	}
	crl, err := certs.ParseCRL(crlDER)
	if err != nil {
		return err
	}
	trustOpts.CRLs = []*certs.CRL{crl}
	rep, err = verifyFile(ctx, stamped, trustOpts)
	if err != nil {
		return err
	}
	step("revoked the seal certificate (CRL %s); %s now verifies as %s (%s)", crlPath, stamped, rep.Verdict, rep.Reason)
	_ = padesKey

	// 8. A license: a node with issuing departments, a residence permit
	// issued, its page, its verdict before and after revocation.
	if err := demoLicense(ctx, w, step, filepath.Join(dir, "node")); err != nil {
		return err
	}

	fmt.Fprintf(w, "\ndone: outputs are in %s\n", dir)
	fmt.Fprintf(w, "  verify the stamped document:  %s verify --trust %s %s\n", os.Args[0], filepath.Join(caDir, "ca.pem"), stamped)
	fmt.Fprintf(w, "  look at it:                   pdftoppm -png -r 80 %s page\n", stamped)
	fmt.Fprintf(w, "  check the signature yourself:\n")
	fmt.Fprintf(w, "    %s hsm pubkey --keystore %s --label seal-1 > %s\n", os.Args[0], keysURI, filepath.Join(dir, "seal-1.pub"))
	fmt.Fprintf(w, "    openssl dgst -sm3 -verify %s -sigopt distid:1234567812345678 -signature %s %s\n", filepath.Join(dir, "seal-1.pub"), doc+".sig", doc)
	return nil
}

// demoLicense sets up a node in dir, issues a residence permit, shows its
// page and its verdict before and after revocation.
func demoLicense(ctx context.Context, w io.Writer, step func(string, ...any), dir string) error {
	res, err := deploy.Setup(ctx, deploy.Options{Dir: dir, Listen: "127.0.0.1:8080"})
	if err != nil {
		return err
	}
	step("node set up in %s: config %s, %d issuing departments with SM2 keys and GB/T 38540 seals", dir, res.ConfigPath, len(res.Config.Issuers))
	n, err := openNode(ctx, res.ConfigPath)
	if err != nil {
		return err
	}
	defer n.close()
	const permitType = "11110000MB12345624001"
	t, err := n.cat.Type(permitType)
	if err != nil {
		return err
	}
	is, err := n.cfg.IssuerForType(t.Issuers)
	if err != nil {
		return err
	}
	iss, maker, err := n.issuer(ctx, is)
	if err != nil {
		return err
	}
	face := map[string]string{"name": "李小明", "sex": "男", "idNumber": "11010519491231002X", "address": "某市某区某某路1号3单元", "since": "2026-01-02"}
	issued, err := n.reg.Issue(ctx, iss, license.IssueRequest{Type: permitType, Face: face, Actor: "demo", PDF: maker.Make})
	if err != nil {
		return err
	}
	pdfPath := filepath.Join(dir, "residence-permit.pdf")
	if err := writeFileAtomic(pdfPath, issued.PDF, 0o644); err != nil {
		return err
	}
	id := issued.Data.Identifier
	step("issued 居住证 %s to %s: %s (sealed, with QR code)", id, ids.MaskName(issued.Data.Holder), pdfPath)
	step("its page: %s/v/%s (eseal serve --config %s)", strings.TrimRight(n.cfg.PublicURL, "/"), id, res.ConfigPath)
	opts := n.licenseOptions()
	b, err := os.ReadFile(pdfPath)
	if err != nil {
		return err
	}
	lrep, err := verify.LicensePDF(ctx, b, opts)
	if err != nil {
		return err
	}
	step("verify the permit PDF: %s, status %s", lrep.Verdict, lrep.StatusName)

	// The service: the citizen page and a case system's verification with
	// a signed receipt, on a loopback port for the length of the demo.
	svc, err := startDemoService(ctx, res.ConfigPath)
	if err != nil {
		return err
	}
	defer svc.stop()
	step("service running on http://%s (eseal serve): the page says %s", svc.addr, svc.pageStatus(id))
	key, err := demoClient(ctx, n)
	if err != nil {
		return err
	}
	receipt, verdict, err := svc.verifyLicense(id, key)
	if err != nil {
		return err
	}
	rcPath := filepath.Join(dir, "receipt.jws")
	if err := writeFileAtomic(rcPath, []byte(receipt), 0o644); err != nil {
		return err
	}
	trust, err := certs.LoadPool(filepath.Join(dir, "ca", "ca.pem"))
	if err != nil {
		return err
	}
	vr, err := verify.VerifyReceipt(receipt, trust)
	if err != nil {
		return fmt.Errorf("demo: the receipt does not verify: %w", err)
	}
	step("a case system verified it through the API: %s; signed receipt %s (node %s, audit entry %d), checked offline: genuine", verdict, rcPath, vr.Node, vr.Audit.Index)

	if err := n.reg.Change(ctx, iss, id, "revoked", "演示：以欺骗手段取得", "demo"); err != nil {
		return err
	}
	lrep, err = verify.LicensePDF(ctx, b, opts)
	if err != nil {
		return err
	}
	step("revoked it; the same PDF now: %s (%s), status %s; the page says %s", lrep.Verdict, lrep.Reason, lrep.StatusName, svc.pageStatus(id))
	return nil
}

// demoService is eseal serve on a loopback port.
type demoService struct {
	addr   string
	cancel context.CancelFunc
	done   chan struct{}
}

func startDemoService(ctx context.Context, cfgPath string) (*demoService, error) {
	srv, err := buildServer(ctx, cfgPath)
	if err != nil {
		return nil, err
	}
	srv.node.cfg.Listen = "127.0.0.1:0"
	srv.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv.api.Log = srv.log
	cctx, cancel := context.WithCancel(ctx)
	d := &demoService{cancel: cancel, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		defer close(d.done)
		defer srv.close()
		srv.run(cctx, ready)
	}()
	select {
	case d.addr = <-ready:
		return d, nil
	case <-d.done:
		cancel()
		return nil, errors.New("demo: the service did not start")
	}
}

func (d *demoService) stop() {
	d.cancel()
	<-d.done
}

// pageStatus fetches the citizen page and returns the status it shows.
func (d *demoService) pageStatus(id string) string {
	resp, err := http.Get("http://" + d.addr + "/v/" + id)
	if err != nil {
		return "(unreachable: " + err.Error() + ")"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, w := range []string{"已吊销", "已暂扣", "已注销", "已过期", "已换发", "无法核验", "有效"} {
		if strings.Contains(string(b), ">"+w+"<") {
			return w
		}
	}
	return fmt.Sprintf("(HTTP %d)", resp.StatusCode)
}

func (d *demoService) verifyLicense(id, key string) (receipt string, verdict string, err error) {
	body, _ := json.Marshal(map[string]string{"identifier": id})
	req, _ := http.NewRequest("POST", "http://"+d.addr+"/v1/verify/license", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var out struct {
		Report  map[string]any `json:"report"`
		Receipt string         `json:"receipt"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		return "", "", fmt.Errorf("demo: verify through the API: HTTP %d %v", resp.StatusCode, err)
	}
	return out.Receipt, fmt.Sprint(out.Report["verdict"]), nil
}

// demoClient registers a case system and returns its API key.
func demoClient(ctx context.Context, n *node) (string, error) {
	key, hash := auth.NewKey()
	err := n.st.PutClient(ctx, store.ClientRecord{ID: auth.NewClientID(), Name: "演示核验系统", Role: auth.RoleCaseSystem, KeyHash: hash, Rate: 10, Burst: 20})
	return key, err
}

//go:embed assets/approval.pdf
var demoApproval []byte

func verifyFile(ctx context.Context, path string, opts verify.Options) (*verify.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return verify.PDF(ctx, f, fi.Size(), opts)
}

// prepareDemoDir empties dir if the demo made it, creates it if missing, and
// refuses any other non-empty directory.
func prepareDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("demo: %s is not empty and was not made by the demo; choose another --dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by eseal demo; removed when the demo runs again\n"), 0o644)
}
