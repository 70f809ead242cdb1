package main

// End-to-end tests of `eseal serve`: nodes set up with eseal setup, served
// on loopback ports, exercised over HTTP like a case system, an issuer and
// a citizen's phone would.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/deploy"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
)

const testPassphrase = "correct-horse-battery-staple"

// freePort reserves a loopback port for a node whose public URL must be
// known before it starts (it is printed in QR codes).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

type testNode struct {
	dir     string
	cfg     string // path of eseal.json
	url     string
	stop    func()
	stopped chan struct{}
	region  config.Region
}

// setupNode makes a node (eseal setup) in a fresh directory; edit may change
// its configuration before it starts.
func setupNode(t *testing.T, region config.Region, edit func(c *config.Config)) *testNode {
	t.Helper()
	t.Setenv(hsm.PassphraseEnv, testPassphrase)
	dir := filepath.Join(t.TempDir(), "node-"+region.Code)
	addr := freePort(t)
	res, err := deploy.Setup(context.Background(), deploy.Options{Dir: dir, Region: region, Listen: addr, PublicURL: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		raw, _ := os.ReadFile(res.ConfigPath)
		var c config.Config
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		edit(&c)
		if err := c.Save(res.ConfigPath); err != nil {
			t.Fatal(err)
		}
	}
	return &testNode{dir: dir, cfg: res.ConfigPath, url: "http://" + addr, region: region}
}

// start serves the node until stop is called or the test ends.
func (n *testNode) start(t *testing.T) {
	t.Helper()
	t.Setenv(hsm.PassphraseEnv, testPassphrase)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := buildServer(ctx, n.cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	n.stopped = make(chan struct{})
	go func() {
		defer close(n.stopped)
		defer srv.close()
		if err := srv.run(ctx, ready); err != nil {
			t.Logf("serve %s: %v", n.url, err)
		}
	}()
	select {
	case <-ready:
	case <-n.stopped:
		cancel()
		t.Fatalf("node %s did not start", n.url)
	}
	n.stop = func() {
		cancel()
		<-n.stopped
	}
	t.Cleanup(func() { n.stop() })
}

// client registers an API client in the node's store and returns its key.
func (n *testNode) client(t *testing.T, role string, scopes ...string) string {
	t.Helper()
	cfg, err := config.Load(n.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, hash := auth.NewKey()
	if err := auth.CheckGrant(role, scopes); err != nil {
		t.Fatal(err)
	}
	err = st.PutClient(context.Background(), store.ClientRecord{ID: auth.NewClientID(), Name: role + "-test", Role: role, Scopes: scopes, KeyHash: hash, Rate: 1000, Burst: 2000})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// call makes a request and decodes a JSON answer into out (if not nil).
func call(t *testing.T, method, url, key, contentType string, body []byte, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const (
	permitType   = "11110000MB12345624001"
	permitIssuer = "11110108MB0000019H"
)

var permitFace = map[string]string{"name": "李小明", "sex": "男", "idNumber": "11010519491231002X", "address": "某市某区某某路1号", "since": "2026-01-02"}

type issued struct {
	Identifier string `json:"identifier"`
	Token      string `json:"token"`
	PDF        string `json:"pdf"`
	Page       string `json:"page"`
}

func issuePermit(t *testing.T, n *testNode, key string) issued {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace})
	var out issued
	if code := call(t, "POST", n.url+"/v1/licenses", key, "application/json", body, &out); code != 201 {
		t.Fatalf("issue: %d %+v", code, out)
	}
	return out
}

// Issue → PDF → pdftoppm → zbarimg decodes the QR → the URL from a running
// server says 有效; revoke → the same page says 已吊销; the PDF's seal
// verifies with eseal verify; the page in Chromium at 390×844.
func TestLicenseEndToEnd(t *testing.T) {
	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	zbarimg := testenv.Tool(t, "zbarimg", "zbar-tools")
	n := setupNode(t, config.Region{Code: "110108", Name: "某市某区"}, nil)
	n.start(t)
	issuer := n.client(t, auth.RoleIssuer, auth.IssuerScope(permitIssuer), auth.TypeScope(permitType))
	lic := issuePermit(t, n, issuer)

	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "permit.pdf")
	raw, err := base64.StdEncoding.DecodeString(lic.PDF)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pdfPath, raw, 0o600)
	testenv.Run(t, nil, pdftoppm, "-r", "150", "-f", "1", "-l", "1", "-png", pdfPath, filepath.Join(dir, "page"))
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	qr := strings.TrimSpace(testenv.RunStdout(t, zbarimg, "-q", "--raw", pngs[0]))
	if !strings.HasPrefix(qr, n.url+"/v/"+lic.Identifier+"#") {
		t.Fatalf("QR decodes to %q", qr)
	}
	pageURL := qr[:strings.IndexByte(qr, '#')]
	code, html := getText(t, pageURL)
	if code != 200 || !strings.Contains(html, "有效") || strings.Contains(html, "11010519491231002X") || !strings.Contains(html, "李*明") {
		t.Fatalf("page before revocation: %d\n%s", code, html)
	}
	shot := func(name string) {
		if testing.Short() {
			return
		}
		lay := testenv.Screenshot(t, pageURL, 390, 844, filepath.Join(t.TempDir(), name))
		if lay.ScrollsSideways() {
			t.Fatalf("%s: the page scrolls sideways (%d > %d)", name, lay.ScrollWidth, lay.Width)
		}
	}
	shot("valid.png")

	// The seal on the PDF verifies with the seal verifier.
	if code := run([]string{"verify", "--trust", filepath.Join(n.dir, "ca", "ca.pem"), pdfPath}); code != exitOK {
		t.Fatalf("eseal verify: exit %d", code)
	}

	body := []byte(`{"reason":"以欺骗手段取得"}`)
	var changed map[string]any
	if code := call(t, "POST", n.url+"/v1/licenses/"+lic.Identifier+"/revoke", issuer, "application/json", body, &changed); code != 200 {
		t.Fatalf("revoke: %d %v", code, changed)
	}
	code, html = getText(t, pageURL)
	if code != 200 || !strings.Contains(html, "已吊销") {
		t.Fatalf("page after revocation: %d\n%s", code, html)
	}
	shot("revoked.png")

	// A case system verifies the revoked permit: INVALID, with a receipt.
	cs := n.client(t, auth.RoleCaseSystem)
	var vr struct {
		Report  map[string]any `json:"report"`
		Receipt string         `json:"receipt"`
	}
	if code := call(t, "POST", n.url+"/v1/verify/license", cs, "application/pdf", raw, &vr); code != 200 {
		t.Fatalf("verify: %d", code)
	}
	if vr.Report["verdict"] != "INVALID" || vr.Report["reason"] != "LICENSE_REVOKED" || vr.Receipt == "" {
		t.Fatalf("report %v", vr.Report)
	}
	rc := filepath.Join(dir, "receipt.jws")
	os.WriteFile(rc, []byte(vr.Receipt), 0o600)
	if code := run([]string{"verify", "receipt", "--trust", filepath.Join(n.dir, "ca", "ca.pem"), rc}); code != exitOK {
		t.Fatalf("eseal verify receipt: exit %d", code)
	}

}

// A department stamps an approval document through the API with its seal;
// the result verifies; another seal, a suspended seal, a broken PDF and an
// oversized upload are refused with the right status.
func TestStampThroughAPI(t *testing.T) {
	n := setupNode(t, config.Region{Code: "110108", Name: "某市某区"}, func(c *config.Config) { c.MaxUploadMB = 1 })
	n.start(t)
	cfg, _ := config.Load(n.cfg)
	st, err := store.Open(context.Background(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seals, err := st.Seals(context.Background())
	if err != nil || len(seals) < 2 {
		t.Fatalf("seals %d %v", len(seals), err)
	}
	dept := n.client(t, auth.RoleDepartment, auth.SealScope(seals[0].ID))
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "pdf", "libreoffice.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	stamp := func(sealID, query string, body []byte) (int, []byte) {
		req, _ := http.NewRequest("POST", n.url+"/v1/seal?seal="+sealID+query, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+dept)
		req.Header.Set("Content-Type", "application/pdf")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, out := stamp(seals[0].ID, "&anchor=%EF%BC%88%E7%9B%96%E7%AB%A0%EF%BC%89", doc)
	if code != 200 || !bytes.HasPrefix(out, doc) {
		t.Fatalf("stamp: %d %.200s", code, out)
	}
	f := filepath.Join(t.TempDir(), "sealed.pdf")
	os.WriteFile(f, out, 0o600)
	if c := run([]string{"verify", "--trust", filepath.Join(n.dir, "ca", "ca.pem"), f}); c != exitOK {
		t.Fatalf("eseal verify of the stamped PDF: exit %d", c)
	}
	if code, _ := stamp(seals[1].ID, "", doc); code != 403 {
		t.Fatalf("another department's seal: %d", code)
	}
	if code, b := stamp(seals[0].ID, "", doc[:len(doc)/2]); code != 422 {
		t.Fatalf("truncated PDF: %d %s", code, b)
	}
	if code, b := stamp(seals[0].ID, "", make([]byte, 2<<20)); code != 413 {
		t.Fatalf("oversized upload: %d %s", code, b)
	}
	if err := st.SetSealStatus(context.Background(), seals[0].ID, store.SealSuspended, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	if code, b := stamp(seals[0].ID, "", doc); code != 409 {
		t.Fatalf("suspended seal: %d %s", code, b)
	}
	events, _ := st.SealEvents(context.Background(), seals[0].ID)
	stamped := 0
	for _, e := range events {
		if e.Event == "stamped" {
			stamped++
		}
	}
	if stamped != 1 {
		t.Fatalf("%d stamps recorded", stamped)
	}
}

// With a time-stamping authority in the configuration, a seal stamped
// through the API carries its signature time-stamp, and verify takes the
// signing time from it once the authority is trusted.
func TestStampThroughAPIWithTSA(t *testing.T) {
	a := testenv.StartTSA(t)
	n := setupNode(t, config.Region{Code: "110108", Name: "某市某区"}, func(c *config.Config) { c.TSA = a.URL })
	n.start(t)
	out := stampAt(t, n)
	if a.Requests != 1 {
		t.Fatalf("%d time-stamp requests for one seal", a.Requests)
	}
	f := filepath.Join(t.TempDir(), "sealed.pdf")
	os.WriteFile(f, out, 0o600)
	var stdout bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&stdout)
	cmd.SetArgs([]string{"verify", "--trust", filepath.Join(n.dir, "ca", "ca.pem"), "--trust", a.Cert, f})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("verify: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "(signature time-stamp by ") || !strings.Contains(stdout.String(), "CN=Test TSA, trusted") {
		t.Fatalf("the signing time is not the authority's:\n%s", stdout.String())
	}
}
