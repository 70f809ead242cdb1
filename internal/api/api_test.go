package api_test

// Tests of the HTTP service as a client sees it: request decoding and its
// limits, authentication and scopes, receipts, the OpenAPI document. The
// server is a whole api.Server on a temporary SQLite store with keys in
// memory (newTestServer); fuzz_test.go uses the same one.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/internal/api"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/jws"
	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/verify"
)

// The built-in catalog's residence permit and business licence, with the
// only departments that may issue them.
const (
	permitType   = "11110000MB12345624001"
	permitIssuer = "11110108MB0000019H"
	bizType      = "11110000MB0000019Q001"
	bizIssuer    = "11110108MB1234562W"

	region   = "110108"
	nodeName = "eseal-test"

	// A registered seal the department may stamp with, one it may not,
	// and one that is not registered.
	ownSeal     = "ES2026112500000001"
	otherSeal   = "ES2026112500000002"
	unknownSeal = "ES2026112599999999"

	testMaxUpload = 1 << 20
)

// holderID is the permit holder's citizen identity number.
const holderID = "11010519491231002X"

func permitFace(idNumber string) map[string]string {
	return map[string]string{"name": "李小明", "sex": "男", "idNumber": idNumber, "address": "某市某区某某路1号", "since": "2026-01-02"}
}

// citizenID completes 17 digits with their GB 11643 check character.
func citizenID(first17 string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

// logBuffer collects the server's log; safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

type issued struct {
	Identifier string           `json:"identifier"`
	Number     string           `json:"number"`
	Token      string           `json:"token"`
	Page       string           `json:"page"`
	Audit      *verify.AuditRef `json:"audit"`
}

// testServer is an api.Server served on a loopback port.
type testServer struct {
	*httptest.Server
	API     *api.Server
	Handler http.Handler
	Store   store.Store
	Audit   *audit.Log
	PKI     *sealtest.PKI
	NodeKey *sm2.PrivateKey
	Logs    *logBuffer // errors the server logged

	// API keys: the permit issuer (issuer:, type: and verify), a case system
	// (verify, lookup), a department (seal:ownSeal only), and the issuer of
	// business licences (no rights over permits).
	Issuer, CaseSystem, Department, OtherIssuer string
	CaseSystemID                                string // client id, as receipts name it

	Permit issued // a residence permit issued through the API
}

// newTestServer builds the service with an SM2 node key certified by a test
// CA, the permit issuer's key (licenses without PDF, so issuance is fast),
// an audit log, two registered seals, four clients without rate limits, and
// one permit issued. edit may change the server before it starts.
func newTestServer(t testing.TB, edit ...func(*api.Server)) *testServer {
	t.Helper()
	ctx := context.Background()
	ts := &testServer{Logs: &logBuffer{}}
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "eseal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts.Store = st
	cat, err := license.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ts.PKI = sealtest.NewPKI(t)
	mustKey := func() *sm2.PrivateKey {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ts.NodeKey = mustKey()
	nodeCert, err := ts.PKI.SM2CA.Issue(ctx, ts.NodeKey.Public(), pkix.Name{CommonName: nodeName, Organization: []string{"某市人民政府"}}, certs.ProfileSeal, certs.ValidDays(365))
	if err != nil {
		t.Fatal(err)
	}
	permitIss := &license.Issuer{Code: permitIssuer, Name: "某市某区公安分局", Jurisdiction: region, Signer: mustKey()}
	bizIss := &license.Issuer{Code: bizIssuer, Name: "某市某区市场监督管理局", Jurisdiction: region, Signer: mustKey()}
	reg := &license.Registry{Store: st, Catalog: cat, Keys: license.StaticKeys(permitIss.Key(), bizIss.Key())}
	alog, err := audit.New(st, ts.NodeKey, "test")
	if err != nil {
		t.Fatal(err)
	}
	ts.Audit = alog
	for _, id := range []string{ownSeal, otherSeal} {
		err := st.PutSeal(ctx, store.SealRecord{ID: id, Name: "行政审批专用章", Owner: "某市行政审批服务局", KeyLabel: "seal-" + id,
			SignerCert: ts.PKI.SealCert.Raw, SealDER: ts.PKI.SealDER})
		if err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelError}))
	trust := ts.PKI.Trust()
	ts.API = &api.Server{
		Node:     api.Node{Name: nodeName, Region: region, Signer: ts.NodeKey, Chain: []*smx509.Certificate{nodeCert}},
		Store:    st,
		Registry: reg,
		Issuers:  map[string]*api.Issuer{permitIssuer: {Issuer: permitIss}, bizIssuer: {Issuer: bizIss}},
		OpenSeal: func(ctx context.Context, id string) (seal.Options, error) {
			return seal.Options{}, errors.New("this test server has no seal keys")
		},
		Verify: verify.Options{Trust: trust},
		License: func() verify.LicenseOptions {
			return verify.LicenseOptions{Options: verify.Options{Trust: trust}, Registry: reg}
		},
		Auth:       auth.New(st, auth.Options{Logger: log}),
		Audit:      api.AuditLog{Log: alog, Node: nodeName},
		SignStatus: func(a *federation.StatusAnswer) (string, error) { return federation.SignStatus(a, ts.NodeKey) },
		// The handler passes the trust list through as it is; what it
		// holds is federation's to test.
		TrustList: func() (string, error) { return "eyJhbGciOiJTTTIifQ.e30.c2ln", nil },
		Log:       log,
		MaxUpload: testMaxUpload,
		Service:   "某市政务服务中心（测试）",
		Ready: func(ctx context.Context) error {
			_, err := st.SchemaVersion(ctx)
			return err
		},
	}
	for _, e := range edit {
		e(ts.API)
	}
	ts.Handler = ts.API.Handler()
	ts.Server = httptest.NewServer(ts.Handler)
	t.Cleanup(ts.Server.Close)

	ts.Issuer = ts.addClient(t, auth.RoleIssuer, 0, 0, auth.IssuerScope(permitIssuer), auth.TypeScope(permitType), auth.ScopeVerify)
	ts.CaseSystem, ts.CaseSystemID = ts.addClientID(t, auth.RoleCaseSystem, 0, 0, auth.ScopeVerify, auth.ScopeLookup)
	ts.Department = ts.addClient(t, auth.RoleDepartment, 0, 0, auth.SealScope(ownSeal))
	ts.OtherIssuer = ts.addClient(t, auth.RoleIssuer, 0, 0, auth.IssuerScope(bizIssuer), auth.TypeScope(bizType))
	ts.Permit = ts.issue(t, holderID)
	return ts
}

// addClient registers a client and returns its API key; rate 0 is no limit.
func (ts *testServer) addClient(t testing.TB, role string, rate float64, burst int, scopes ...string) string {
	t.Helper()
	key, _ := ts.addClientID(t, role, rate, burst, scopes...)
	return key
}

func (ts *testServer) addClientID(t testing.TB, role string, rate float64, burst int, scopes ...string) (key, id string) {
	t.Helper()
	if err := auth.CheckGrant(role, scopes); err != nil {
		t.Fatal(err)
	}
	key, hash := auth.NewKey()
	id = auth.NewClientID()
	err := ts.Store.PutClient(context.Background(), store.ClientRecord{ID: id, Name: role + "-test", Role: role, Scopes: scopes, KeyHash: hash, Rate: rate, Burst: burst})
	if err != nil {
		t.Fatal(err)
	}
	return key, id
}

// issue issues a residence permit for the holder through the API.
func (ts *testServer) issue(t testing.TB, idNumber string) issued {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace(idNumber)})
	rec := ts.serve("POST", "/v1/licenses", ts.Issuer, "application/json", body)
	var out issued
	if rec.Code != http.StatusCreated {
		t.Fatalf("issue: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// serve runs one request through the handler, without a network.
func (ts *testServer) serve(method, target, key, contentType string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	ts.Handler.ServeHTTP(w, r)
	return w
}

// call makes a request over HTTP. A nil body sends none; a body that is
// not a *bytes.Reader is sent chunked, without Content-Length.
func (ts *testServer) call(t testing.TB, method, path, key, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return resp, b
}

// apiError decodes the JSON error body every refusal has, failing the test
// if it is not one.
func apiError(t testing.TB, what string, resp *http.Response, body []byte) (code, message string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: %d with Content-Type %q, not JSON: %s", what, resp.StatusCode, ct, body)
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%s: %d, error body is not JSON: %v\n%s", what, resp.StatusCode, err, body)
	}
	code, _ = e["error"].(string)
	message, _ = e["message"].(string)
	if code == "" || message == "" || len(e) != 2 {
		t.Fatalf("%s: %d, error body is not {error, message}: %s", what, resp.StatusCode, body)
	}
	return code, message
}

// counts are what a refused request must leave unchanged.
type counts struct {
	audit    uint64
	licenses int64
	sealUses int
}

func (ts *testServer) counts(t testing.TB) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	var err error
	if c.audit, err = ts.Audit.Size(ctx); err != nil {
		t.Fatal(err)
	}
	if c.licenses, err = ts.Store.CountLicenses(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ownSeal, otherSeal} {
		evs, err := ts.Store.SealEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c.sealUses += len(evs)
	}
	return c
}

// chunked hides a body's length, so that the client sends it without
// Content-Length.
type chunked struct{ io.Reader }

// An upload over the limit is refused with 413 whether or not the client
// says its size up front, and leaves nothing behind.
func TestOversizedUpload(t *testing.T) {
	ts := newTestServer(t)
	spool := t.TempDir() // where the server spools uploads
	t.Setenv("TMPDIR", spool)
	big := bytes.Repeat([]byte("%PDF-1.7\n"), testMaxUpload/9+1)
	bigJSON := []byte(`{"type":"` + strings.Repeat("a", 1<<20) + `"}`)
	bigVerify := []byte(`{"token":"` + strings.Repeat("a", 64<<10) + `"}`)
	cases := []struct {
		name, path, key, ctype string
		body                   []byte
		limit                  int
	}{
		{"verify pdf", "/v1/verify/pdf", ts.CaseSystem, "application/pdf", big, testMaxUpload},
		{"verify license pdf", "/v1/verify/license", ts.CaseSystem, "application/pdf", big, testMaxUpload},
		{"seal", "/v1/seal?seal=" + ownSeal, ts.Department, "application/pdf", big, testMaxUpload},
		{"issue", "/v1/licenses", ts.Issuer, "application/json", bigJSON, 1 << 20},
		{"verify license json", "/v1/verify/license", ts.CaseSystem, "application/json", bigVerify, 64 << 10},
	}
	before := ts.counts(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, withLength := range []bool{true, false} {
				var body io.Reader = bytes.NewReader(c.body)
				if !withLength {
					body = chunked{body}
				}
				resp, b := ts.call(t, "POST", c.path, c.key, c.ctype, body)
				what := fmt.Sprintf("%s (Content-Length sent: %v)", c.name, withLength)
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Fatalf("%s: %d %s, want 413", what, resp.StatusCode, b)
				}
				code, msg := apiError(t, what, resp, b)
				if code != "too-large" || !strings.Contains(msg, strconv.Itoa(c.limit)) {
					t.Errorf("%s: %s %q: want too-large and the limit %d in the message", what, code, msg, c.limit)
				}
			}
		})
	}
	if after := ts.counts(t); after != before {
		t.Errorf("refused uploads left traces: before %+v, after %+v", before, after)
	}
	if left, _ := os.ReadDir(spool); len(left) > 0 {
		t.Errorf("refused uploads left %d spooled file(s), e.g. %s", len(left), left[0].Name())
	}
}

// A client that announces an upload over the limit is refused on the
// headers alone, before it sends a byte of the body.
func TestOversizedUploadRefusedOnHeaders(t *testing.T) {
	ts := newTestServer(t)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /v1/verify/pdf HTTP/1.1\r\nHost: eseal\r\nAuthorization: Bearer %s\r\nContent-Type: application/pdf\r\nContent-Length: %d\r\n\r\n%%PDF-",
		ts.CaseSystem, int64(10)<<30)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s, want 413", resp.StatusCode, b)
	}
	if _, msg := apiError(t, "announced 10 GiB", resp, b); !strings.Contains(msg, "10737418240") || !strings.Contains(msg, strconv.Itoa(testMaxUpload)) {
		t.Errorf("message %q does not give the size and the limit", msg)
	}
}

func TestBadRequestBodies(t *testing.T) {
	ts := newTestServer(t)
	permit, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace(holderID)})
	cases := []struct {
		name, path, key, ctype string
		body                   string
		status                 int
		code                   string
	}{
		{"issue: malformed JSON", "/v1/licenses", ts.Issuer, "application/json", `{"type":`, 400, "bad-json"},
		{"issue: not an object", "/v1/licenses", ts.Issuer, "application/json", `["type"]`, 400, "bad-json"},
		{"issue: wrong type of value", "/v1/licenses", ts.Issuer, "application/json", `{"type":1}`, 400, "bad-json"},
		{"issue: unknown field", "/v1/licenses", ts.Issuer, "application/json", `{"type":"` + permitType + `","face":{},"expires":"never"}`, 400, "bad-json"},
		{"issue: second object", "/v1/licenses", ts.Issuer, "application/json", string(permit) + ` {}`, 400, "bad-json"},
		{"issue: trailing garbage", "/v1/licenses", ts.Issuer, "application/json", string(permit) + `x`, 400, "bad-json"},
		{"issue: trailing brace", "/v1/licenses", ts.Issuer, "application/json", string(permit) + `}`, 400, "bad-json"},
		{"issue: trailing bracket", "/v1/licenses", ts.Issuer, "application/json", string(permit) + `]`, 400, "bad-json"},
		{"issue: empty", "/v1/licenses", ts.Issuer, "application/json", ``, 400, "bad-request"},
		{"issue: only white space", "/v1/licenses", ts.Issuer, "application/json", " \n", 400, "bad-request"},
		{"issue: text/plain", "/v1/licenses", ts.Issuer, "text/plain", string(permit), 415, "unsupported-media-type"},
		{"issue: form", "/v1/licenses", ts.Issuer, "application/x-www-form-urlencoded", string(permit), 415, "unsupported-media-type"},
		{"issue: json look-alike", "/v1/licenses", ts.Issuer, "application/jsonp", string(permit), 415, "unsupported-media-type"},
		{"issue: garbled media type", "/v1/licenses", ts.Issuer, "application/json; charset", string(permit), 415, "unsupported-media-type"},
		{"change: malformed JSON", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", ts.Issuer, "application/json", `{"reason":"x"`, 400, "bad-json"},
		{"change: unknown field", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", ts.Issuer, "application/json", `{"reason":"x","force":true}`, 400, "bad-json"},
		{"change: trailing data", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", ts.Issuer, "application/json", `{"reason":"x"}{"reason":"y"}`, 400, "bad-json"},
		{"change: empty", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", ts.Issuer, "application/json", ``, 400, "bad-request"},
		{"change: wrong media type", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", ts.Issuer, "application/xml", `<reason/>`, 415, "unsupported-media-type"},
		{"verify license: malformed JSON", "/v1/verify/license", ts.CaseSystem, "application/json", `{"token":}`, 400, "bad-json"},
		{"verify license: unknown field", "/v1/verify/license", ts.CaseSystem, "application/json", `{"licence":"x"}`, 400, "bad-json"},
		{"verify license: trailing data", "/v1/verify/license", ts.CaseSystem, "application/json", `{"identifier":"` + ts.Permit.Identifier + `"}]`, 400, "bad-json"},
		{"verify license: empty", "/v1/verify/license", ts.CaseSystem, "application/json", ``, 400, "bad-request"},
		{"verify license: neither", "/v1/verify/license", ts.CaseSystem, "application/json", `{}`, 400, "bad-request"},
		{"verify license: both", "/v1/verify/license", ts.CaseSystem, "application/json", `{"identifier":"` + ts.Permit.Identifier + `","token":"` + ts.Permit.Token + `"}`, 400, "bad-request"},
		{"verify license: wrong media type", "/v1/verify/license", ts.CaseSystem, "image/png", "\x89PNG", 415, "unsupported-media-type"},
		{"verify license: empty pdf", "/v1/verify/license", ts.CaseSystem, "application/pdf", ``, 400, "bad-upload"},
		{"verify pdf: empty", "/v1/verify/pdf", ts.CaseSystem, "application/pdf", ``, 400, "bad-upload"},
		{"seal: empty", "/v1/seal?seal=" + ownSeal, ts.Department, "application/pdf", ``, 400, "bad-upload"},
		{"seal: no seal", "/v1/seal", ts.Department, "application/pdf", `%PDF-`, 403, "forbidden"},
	}
	before := ts.counts(t)
	for _, c := range cases {
		resp, b := ts.call(t, "POST", c.path, c.key, c.ctype, strings.NewReader(c.body))
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, b, c.status)
			continue
		}
		if code, _ := apiError(t, c.name, resp, b); code != c.code {
			t.Errorf("%s: error %q, want %q (%s)", c.name, code, c.code, b)
		}
	}
	if after := ts.counts(t); after != before {
		t.Errorf("refused requests left traces: before %+v, after %+v", before, after)
	}
	// The media type is compared as RFC 9110 says: case-insensitively,
	// with parameters.
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", ""} {
		resp, b := ts.call(t, "POST", "/v1/verify/license", ts.CaseSystem, ct, strings.NewReader(`{"token":"`+ts.Permit.Token+`"}`))
		if resp.StatusCode != 200 {
			t.Errorf("Content-Type %q: %d %s", ct, resp.StatusCode, b)
		}
	}
}

// A PDF that cannot be read at all gets no verdict, and no receipt: 422.
func TestVerifyUnusablePDF(t *testing.T) {
	ts := newTestServer(t)
	before := ts.counts(t)
	for _, name := range []string{"truncated.pdf", "encrypted.pdf"} {
		for _, path := range []string{"/v1/verify/pdf", "/v1/verify/license"} {
			resp, b := ts.call(t, "POST", path, ts.CaseSystem, "application/pdf", bytes.NewReader(sealtest.Fixture(t, name)))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s to %s: %d %s, want 422", name, path, resp.StatusCode, b)
				continue
			}
			if code, msg := apiError(t, name, resp, b); code != "unusable-pdf" && code != "unusable-input" || msg == "" {
				t.Errorf("%s to %s: %s %q", name, path, code, msg)
			}
		}
	}
	resp, b := ts.call(t, "POST", "/v1/verify/pdf", ts.CaseSystem, "application/pdf", strings.NewReader("GIF89a not a PDF"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("not a PDF: %d %s, want 422", resp.StatusCode, b)
	}
	if after := ts.counts(t); after != before {
		t.Errorf("unusable PDFs left traces: before %+v, after %+v", before, after)
	}
}

type endpoint struct {
	method, path, ctype, body string
}

// authenticated lists every endpoint that needs a client, with a body it
// would accept.
func authenticated(ts *testServer) []endpoint {
	permit, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace(holderID)})
	return []endpoint{
		{"POST", "/v1/seal?seal=" + ownSeal, "application/pdf", "%PDF-1.7"},
		{"POST", "/v1/licenses", "application/json", string(permit)},
		{"GET", "/v1/licenses?holder=" + holderID + "&reason=test", "", ""},
		{"POST", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", "application/json", `{"reason":"test"}`},
		{"POST", "/v1/verify/pdf", "application/pdf", "%PDF-1.7"},
		{"POST", "/v1/verify/license", "application/json", `{"token":"` + ts.Permit.Token + `"}`},
	}
}

func TestUnauthenticated(t *testing.T) {
	ts := newTestServer(t)
	before := ts.counts(t)
	unknown, _ := auth.NewKey()
	creds := []struct {
		name   string
		header string
	}{
		{"none", ""},
		{"unknown key", "Bearer " + unknown},
		{"malformed key", "Bearer esk_short"},
		{"basic auth", "Basic dXNlcjpwYXNz"},
	}
	for _, e := range authenticated(ts) {
		for _, c := range creds {
			req, _ := http.NewRequest(e.method, ts.URL+e.path, strings.NewReader(e.body))
			if e.ctype != "" {
				req.Header.Set("Content-Type", e.ctype)
			}
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			what := fmt.Sprintf("%s %s with %s", e.method, e.path, c.name)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: %d %s, want 401", what, resp.StatusCode, b)
				continue
			}
			if code, _ := apiError(t, what, resp, b); code != "unauthenticated" {
				t.Errorf("%s: error %q", what, code)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", what, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if after := ts.counts(t); after != before {
		t.Errorf("unauthenticated requests left traces: before %+v, after %+v", before, after)
	}
}

// A client without the scope is refused with 403, and the refusal is the
// same whether or not what it asked about exists: a refusal tells nothing.
func TestForbiddenSaysNothing(t *testing.T) {
	ts := newTestServer(t)
	missing, err := ids.NewLicenseID(permitType, permitIssuer, 999999, 1)
	if err != nil {
		t.Fatal(err)
	}
	otherHolder := citizenID("11010119800101123")
	if err := ids.ValidateCitizenID(otherHolder); err != nil {
		t.Fatal(err)
	}
	permitFor := func(typ, issuer string) string {
		b, _ := json.Marshal(map[string]any{"type": typ, "issuer": issuer, "face": permitFace(holderID)})
		return string(b)
	}
	groups := []struct {
		name string
		key  string
		reqs []endpoint // first: about something that exists
	}{
		{"seal the department may not use", ts.Department, []endpoint{
			{"POST", "/v1/seal?seal=" + otherSeal, "application/pdf", "%PDF-1.7"},
			{"POST", "/v1/seal?seal=" + unknownSeal, "application/pdf", "%PDF-1.7"},
		}},
		{"seal, as a case system", ts.CaseSystem, []endpoint{
			{"POST", "/v1/seal?seal=" + ownSeal, "application/pdf", "%PDF-1.7"},
			{"POST", "/v1/seal?seal=" + unknownSeal, "application/pdf", "%PDF-1.7"},
		}},
		{"another department's license", ts.OtherIssuer, []endpoint{
			{"POST", "/v1/licenses/" + ts.Permit.Identifier + "/revoke", "application/json", `{"reason":"test"}`},
			{"POST", "/v1/licenses/" + missing.String() + "/revoke", "application/json", `{"reason":"test"}`},
			{"POST", "/v1/licenses/not-an-identifier/revoke", "application/json", `{"reason":"test"}`},
			{"POST", "/v1/licenses/" + ts.Permit.Identifier + "/replace", "application/json", `{"reason":"test"}`},
			{"POST", "/v1/licenses/" + missing.String() + "/replace", "application/json", `{"reason":"test"}`},
			{"POST", "/v1/licenses/" + ts.Permit.Identifier + "/copy", "application/json", `{"purpose":"test","requester":"test"}`},
			{"POST", "/v1/licenses/" + missing.String() + "/copy", "application/json", `{"purpose":"test","requester":"test"}`},
		}},
		{"a license, as a case system", ts.CaseSystem, []endpoint{
			{"POST", "/v1/licenses/" + ts.Permit.Identifier + "/suspend", "application/json", `{"reason":"test"}`},
			{"POST", "/v1/licenses/" + missing.String() + "/suspend", "application/json", `{"reason":"test"}`},
		}},
		{"a type the issuer may not issue", ts.OtherIssuer, []endpoint{
			{"POST", "/v1/licenses", "application/json", permitFor(permitType, "")},
			{"POST", "/v1/licenses", "application/json", permitFor("11110000MB12345624999", "")},
		}},
		{"an issuer the client may not act for", ts.Issuer, []endpoint{
			{"POST", "/v1/licenses", "application/json", permitFor(permitType, bizIssuer)},
			{"POST", "/v1/licenses", "application/json", permitFor(permitType, "91110000600037341L")},
		}},
		{"holder lookup without the lookup scope", ts.Issuer, []endpoint{
			{"GET", "/v1/licenses?holder=" + holderID + "&reason=test", "", ""},
			{"GET", "/v1/licenses?holder=" + otherHolder + "&reason=test", "", ""},
		}},
		{"verification without the verify scope", ts.Department, []endpoint{
			{"POST", "/v1/verify/license", "application/json", `{"identifier":"` + ts.Permit.Identifier + `"}`},
			{"POST", "/v1/verify/license", "application/json", `{"identifier":"` + missing.String() + `"}`},
			{"POST", "/v1/verify/pdf", "application/pdf", "%PDF-1.7"},
		}},
	}
	before := ts.counts(t)
	for _, g := range groups {
		var first []byte
		for i, e := range g.reqs {
			resp, b := ts.call(t, e.method, e.path, g.key, e.ctype, strings.NewReader(e.body))
			what := fmt.Sprintf("%s: %s %s", g.name, e.method, e.path)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d %s, want 403", what, resp.StatusCode, b)
				continue
			}
			if code, _ := apiError(t, what, resp, b); code != "forbidden" {
				t.Errorf("%s: error %q", what, code)
			}
			if i == 0 {
				first = b
			} else if !bytes.Equal(b, first) {
				t.Errorf("%s: the refusal differs from the one about what exists:\n%s\n%s", what, b, first)
			}
		}
	}
	if after := ts.counts(t); after != before {
		t.Errorf("forbidden requests left traces: before %+v, after %+v", before, after)
	}
	// The permit was not touched.
	resp, b := ts.call(t, "POST", "/v1/verify/license", ts.CaseSystem, "application/json", strings.NewReader(`{"token":"`+ts.Permit.Token+`"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"verdict":"VALID"`) {
		t.Fatalf("the permit after refused changes: %d %s", resp.StatusCode, b)
	}
}

// publicRoutes are the routes the server answers without credentials
// (Server.Handler); each must be in the OpenAPI document as such.
var publicRoutes = []string{
	"GET /v/{id}",
	"GET /v1/licenses/{id}/status",
	"GET /v1/trustlist",
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
	"GET /openapi.json",
}

func TestPublicEndpoints(t *testing.T) {
	ts := newTestServer(t)
	id := ts.Permit.Identifier
	cases := []struct {
		path, ctype, contains string
	}{
		{"/v/" + id, "text/html", "有效"},
		{"/v1/licenses/" + id + "/status", "application/jose", "."},
		{"/v1/trustlist", "application/jose", "."},
		{"/healthz", "application/json", `"ok"`},
		{"/readyz", "application/json", `"ready"`},
		{"/metrics", "text/plain", "eseal_http_requests_total"},
		{"/openapi.json", "application/json", `"openapi"`},
	}
	for _, c := range cases {
		resp, b := ts.call(t, "GET", c.path, "", "", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.contains) {
			t.Errorf("GET %s: %d %s\n%.300s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
	// The page masks the holder.
	_, page := ts.call(t, "GET", "/v/"+id, "", "", nil)
	if strings.Contains(string(page), holderID) || !strings.Contains(string(page), "李*明") {
		t.Errorf("the page does not mask the holder:\n%s", page)
	}
	// The status answer is signed by the node.
	_, tok := ts.call(t, "GET", "/v1/licenses/"+id+"/status", "", "", nil)
	obj, _, err := jws.Parse(string(tok))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(obj, &ts.NodeKey.PublicKey)
	if err != nil {
		t.Fatalf("status answer: %v", err)
	}
	var a federation.StatusAnswer
	if err := json.Unmarshal(payload, &a); err != nil || a.Identifier != id || a.Status != license.StatusValid || a.Region != region {
		t.Errorf("status answer %+v (%v)", a, err)
	}
}

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		Security  *[]map[string][]string     `json:"security"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
}

// handlerRoutes lists the patterns Server.Handler registers, read from its
// source: a ServeMux cannot list them.
func handlerRoutes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "server.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Handler" || fn.Recv == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "mux" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Fatalf("server.go: mux.%s with a pattern that is not a literal", sel.Sel.Name)
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			routes = append(routes, pattern)
			return true
		})
	}
	if len(routes) == 0 {
		t.Fatal("no routes found in Server.Handler in server.go")
	}
	return routes
}

// notRouted reports whether an answer is the one for a path or method
// the server has no route for.
func notRouted(resp *http.Response, body []byte) bool {
	if resp.StatusCode == http.StatusMethodNotAllowed {
		return true
	}
	var e struct{ Error, Message string }
	return resp.StatusCode == http.StatusNotFound && json.Unmarshal(body, &e) == nil && e.Error == "not-found" && strings.HasPrefix(e.Message, "nothing is served at")
}

// The OpenAPI document parses; it documents every route Server.Handler
// registers and no other; the server routes every operation in it and
// asks for credentials exactly where it says; every public route is in it;
// and every operation lists the refusals it can answer.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := newTestServer(t)
	resp, b := ts.call(t, "GET", "/openapi.json", "", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /openapi.json: %d", resp.StatusCode)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("openapi.json has no paths")
	}
	all := map[string]bool{}
	documented := map[string]bool{} // public ones
	for path, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			route := method + " " + path
			all[route] = true
			public := op.Security != nil && len(*op.Security) == 0
			if public {
				documented[route] = true
			}
			want := []string{"500"}
			if !public {
				want = append(want, "401", "403", "429", "503")
			}
			for _, code := range want {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s does not document %s", route, code)
				}
			}
			target := strings.NewReplacer("{id}", ts.Permit.Identifier, "{action}", "suspend").Replace(path)
			resp, b := ts.call(t, method, target, "", "", nil)
			if notRouted(resp, b) {
				t.Errorf("%s is documented but not routed: %d %s", route, resp.StatusCode, b)
				continue
			}
			switch {
			case public && resp.StatusCode == http.StatusUnauthorized:
				t.Errorf("%s is documented as public but asks for credentials", route)
			case !public && resp.StatusCode != http.StatusUnauthorized:
				t.Errorf("%s is documented as needing credentials but answers %d without", route, resp.StatusCode)
			}
		}
	}
	registered := map[string]bool{}
	for _, r := range handlerRoutes(t) {
		method, path, ok := strings.Cut(r, " ")
		if !ok {
			// A subtree without a method (the page's "/v/"): some
			// documented path must lie in it.
			found := false
			for d := range all {
				_, p, _ := strings.Cut(d, " ")
				found = found || strings.HasPrefix(p, r)
			}
			if !found {
				t.Errorf("Server.Handler serves the subtree %s, in which openapi.json documents nothing", r)
			}
			continue
		}
		registered[r] = true
		if !all[r] {
			t.Errorf("Server.Handler registers %s %s, which openapi.json does not document", method, path)
		}
	}
	for r := range all {
		if !registered[r] {
			t.Errorf("openapi.json documents %s, which Server.Handler does not register", r)
		}
	}
	for _, r := range publicRoutes {
		if !documented[r] {
			t.Errorf("public route %s is not in openapi.json with security: []", r)
		}
	}
	for r := range documented {
		found := false
		for _, p := range publicRoutes {
			found = found || p == r
		}
		if !found {
			t.Errorf("openapi.json documents %s as public; add it to publicRoutes if the server serves it so", r)
		}
	}
}

var (
	b64   = base64.StdEncoding.EncodeToString
	unb64 = base64.StdEncoding.DecodeString
)

type verifyAnswer struct {
	Report  json.RawMessage `json:"report"`
	Receipt string          `json:"receipt"`
}

// A receipt verifies offline against the node's CA, and its audit entry is
// in the log: the inclusion proof leads to the root it carries, the leaf is
// the log's, and a later checkpoint extends that tree.
func TestReceiptVerifies(t *testing.T) {
	ts := newTestServer(t)
	stamped := sealtest.Stamp(t, sealtest.Fixture(t, "v14.pdf"), ts.PKI.Options(seal.ModeSM2))
	cases := []struct {
		name, method, path, ctype string
		body                      []byte
		kind, subject             string
	}{
		{"token", "POST", "/v1/verify/license", "application/json", []byte(`{"token":"` + ts.Permit.Token + `"}`), "license", ts.Permit.Identifier},
		{"identifier", "POST", "/v1/verify/license", "application/json", []byte(`{"identifier":"` + ts.Permit.Identifier + `"}`), "license", ts.Permit.Identifier},
		{"pdf", "POST", "/v1/verify/pdf", "application/pdf", stamped, "pdf", ""},
		{"holder", "GET", "/v1/licenses?holder=" + holderID + "&reason=" + url.QueryEscape("办理居住登记"), "", nil, "holder-lookup", ids.MaskCitizenID(holderID)},
	}
	trust := certs.NewPool(ts.PKI.SM2CA.Certificate())
	ctx := context.Background()
	for _, c := range cases {
		resp, b := ts.call(t, c.method, c.path, ts.CaseSystem, c.ctype, bytes.NewReader(c.body))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, b)
		}
		var ans verifyAnswer
		if err := json.Unmarshal(b, &ans); err != nil {
			t.Fatal(err)
		}
		rc, err := verify.VerifyReceipt(ans.Receipt, trust)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rc.Kind != c.kind || rc.Subject != c.subject || rc.Node != nodeName || rc.Region != region || rc.Client != ts.CaseSystemID {
			t.Errorf("%s: receipt %+v", c.name, rc.Receipt)
		}
		if c.body != nil && rc.InputSHA256 != verify.InputHash(inputOf(c.body)) {
			t.Errorf("%s: input hash %s", c.name, rc.InputSHA256)
		}
		a := rc.Audit
		if a == nil || a.TreeSize != a.Index+1 || len(a.Leaf) == 0 {
			t.Fatalf("%s: no audit inclusion proof in the receipt: %+v", c.name, a)
		}
		if err := a.Verify(); err != nil {
			t.Fatalf("%s: inclusion proof: %v", c.name, err)
		}
		leaf, err := ts.Audit.Leaf(ctx, a.Index)
		if err != nil || a.Leaf != b64(leaf) {
			t.Fatalf("%s: the receipt's leaf is not the log's entry %d (%v)", c.name, a.Index, err)
		}
		entry, err := audit.ParseEntry(leaf)
		if err != nil || entry.Kind != "verify."+c.kind || entry.Actor != ts.CaseSystemID {
			t.Errorf("%s: audit entry %+v (%v)", c.name, entry, err)
		}
		cp, err := ts.Audit.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ts.Audit.ConsistencyProof(ctx, a.TreeSize, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		root, _ := unb64(a.Root)
		if err := audit.VerifyConsistency(a.TreeSize, cp.Size, p, root, cp.Root); err != nil {
			t.Errorf("%s: the receipt's tree head is not extended by checkpoint %d: %v", c.name, cp.Size, err)
		}
	}
	// A receipt does not verify against another CA.
	_, b := ts.call(t, "POST", "/v1/verify/license", ts.CaseSystem, "application/json", strings.NewReader(`{"token":"`+ts.Permit.Token+`"}`))
	var ans verifyAnswer
	json.Unmarshal(b, &ans)
	if _, err := verify.VerifyReceipt(ans.Receipt, certs.NewPool(ts.PKI.P256CA.Certificate())); err == nil {
		t.Error("a receipt verified against a CA that did not certify the node")
	}
}

// inputOf is what a verification request's receipt hashes: the token or
// identifier of a JSON request, else the body.
func inputOf(body []byte) []byte {
	var req struct{ Token, Identifier string }
	if json.Unmarshal(body, &req) == nil {
		if req.Token != "" {
			return []byte(req.Token)
		}
		return []byte(req.Identifier)
	}
	return body
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t)
	key := ts.addClient(t, auth.RoleCaseSystem, 1, 2)
	body := `{"token":"` + ts.Permit.Token + `"}`
	for i := range 2 {
		if resp, b := ts.call(t, "POST", "/v1/verify/license", key, "application/json", strings.NewReader(body)); resp.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d %s", i+1, resp.StatusCode, b)
		}
	}
	before := ts.counts(t)
	resp, b := ts.call(t, "POST", "/v1/verify/license", key, "application/json", strings.NewReader(body))
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request at once: %d %s, want 429", resp.StatusCode, b)
	}
	if code, _ := apiError(t, "rate limited", resp, b); code != "rate_limited" {
		t.Errorf("error %q", code)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Errorf("Retry-After %q, want 1 or 2 seconds", resp.Header.Get("Retry-After"))
	}
	if after := ts.counts(t); after != before {
		t.Errorf("a refused request left traces: before %+v, after %+v", before, after)
	}
	// Other clients are not held up.
	if resp, b := ts.call(t, "POST", "/v1/verify/license", ts.CaseSystem, "application/json", strings.NewReader(body)); resp.StatusCode != 200 {
		t.Fatalf("another client: %d %s", resp.StatusCode, b)
	}
}

// An act the client asked for is in the audit log even when what the
// client wrote would not be allowed there: a citizen ID number in a reason
// or an identifier is masked, and an over-long reason is cut.
func TestActsAreAudited(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	entry := func(t *testing.T, what string, ref *verify.AuditRef) audit.Entry {
		t.Helper()
		if ref == nil {
			t.Fatalf("%s: no audit entry in the answer; server log:\n%s", what, ts.Logs.String())
		}
		leaf, err := ts.Audit.Leaf(ctx, ref.Index)
		if err != nil {
			t.Fatal(err)
		}
		e, err := audit.ParseEntry(leaf)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	type changed struct {
		Audit *verify.AuditRef `json:"audit"`
	}

	lic := ts.issue(t, holderID)
	reason := "持证人" + holderID + "冒用他人身份"
	var out changed
	resp, b := ts.call(t, "POST", "/v1/licenses/"+lic.Identifier+"/revoke", ts.Issuer, "application/json", strings.NewReader(`{"reason":"`+reason+`"}`))
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	if e := entry(t, "revoke", out.Audit); e.Kind != "license.revoked" || e.Subject != lic.Identifier || e.Detail != "持证人"+ids.MaskCitizenID(holderID)+"冒用他人身份" {
		t.Errorf("revoke: audit entry %+v", e)
	}

	lic = ts.issue(t, holderID)
	long := strings.Repeat("证", 1000) // 3000 bytes
	out = changed{}
	resp, b = ts.call(t, "POST", "/v1/licenses/"+lic.Identifier+"/suspend", ts.Issuer, "application/json", strings.NewReader(`{"reason":"`+long+`"}`))
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("suspend: %d %s", resp.StatusCode, b)
	}
	if e := entry(t, "suspend", out.Audit); len(e.Detail) > 2048 || !strings.HasSuffix(e.Detail, "证…") {
		t.Errorf("suspend: audit detail of %d bytes: %.40q...%q", len(e.Detail), e.Detail, e.Detail[max(0, len(e.Detail)-10):])
	}

	// A well-formed identifier no one issued, numbered with an identity
	// number: INVALID, with a receipt naming it in full and a log entry
	// naming it masked.
	serial := citizenID("11010119800101123")
	n, _ := strconv.ParseInt(serial, 10, 64)
	id, err := ids.NewLicenseID(permitType, permitIssuer, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ans verifyAnswer
	resp, b = ts.call(t, "POST", "/v1/verify/license", ts.CaseSystem, "application/json", strings.NewReader(`{"identifier":"`+id.String()+`"}`))
	if resp.StatusCode != 200 || json.Unmarshal(b, &ans) != nil {
		t.Fatalf("verify: %d %s\nserver log:\n%s", resp.StatusCode, b, ts.Logs.String())
	}
	rc, err := verify.VerifyReceipt(ans.Receipt, certs.NewPool(ts.PKI.SM2CA.Certificate()))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Verdict != verify.Invalid || rc.Subject != id.String() {
		t.Errorf("receipt %+v", rc.Receipt)
	}
	if e := entry(t, "verify", rc.Audit); e.Subject != strings.Replace(id.String(), serial, ids.MaskCitizenID(serial), 1) {
		t.Errorf("verify: audit entry %+v", e)
	}
}

// What the server has no route for is refused like everything else: JSON
// {error, message}, with Allow on a 405; under /v/ the citizen page
// answers, in HTML.
func TestUnrouted(t *testing.T) {
	ts := newTestServer(t)
	id := ts.Permit.Identifier
	before := ts.counts(t)
	cases := []struct {
		method, target string
		status         int
		code           string // JSON error; "" for the HTML page
		allow          []string
	}{
		{"GET", "/v1/licenses/%2F/status", 404, "not-found", nil},
		{"POST", "/v1/licenses/%2F/revoke", 404, "not-found", nil},
		{"GET", "/v1/licenses/" + id + "/status/more", 404, "not-found", nil},
		{"GET", "/nothing", 404, "not-found", nil},
		{"GET", "/v1/seal/" + holderID, 404, "not-found", nil},
		{"GET", "/v1/verify/license", 405, "method-not-allowed", []string{"POST"}},
		{"GET", "/v1/verify/pdf", 405, "method-not-allowed", []string{"POST"}},
		{"DELETE", "/v1/licenses/" + id + "/status", 405, "method-not-allowed", []string{"GET", "POST"}},
		{"PUT", "/v1/licenses", 405, "method-not-allowed", []string{"GET", "POST"}},
		{"POST", "/healthz", 405, "method-not-allowed", []string{"GET"}},
		{"POST", "/v/" + id, 405, "", []string{"GET"}},
		{"DELETE", "/v/" + id, 405, "", []string{"GET"}},
		{"GET", "/v/a/b", 400, "", nil},
		{"GET", "/v/", 400, "", nil},
		{"GET", "/v/%2F", 400, "", nil},
	}
	for _, c := range cases {
		what := c.method + " " + c.target
		rec := ts.serve(c.method, c.target, "", "", nil)
		if rec.Code != c.status {
			t.Errorf("%s: %d %q %.300s, want %d", what, rec.Code, rec.Header().Get("Content-Type"), rec.Body, c.status)
			continue
		}
		resp := rec.Result()
		if c.code == "" {
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(rec.Body.String(), "<html") {
				t.Errorf("%s: %d with Content-Type %q, not the citizen page", what, rec.Code, ct)
			}
		} else if code, msg := apiError(t, what, resp, rec.Body.Bytes()); code != c.code || strings.Contains(msg, holderID) {
			t.Errorf("%s: %s %q", what, code, msg)
		}
		allow := resp.Header.Get("Allow")
		for _, m := range c.allow {
			if !strings.Contains(allow, m) {
				t.Errorf("%s: Allow %q, want %s in it", what, allow, m)
			}
		}
	}
	// The mux still sends an unclean path to its clean form.
	if rec := ts.serve("GET", "/v1/licenses//status", "", "", nil); rec.Code/100 != 3 || rec.Header().Get("Location") == "" {
		t.Errorf("GET /v1/licenses//status: %d, Location %q: want a redirect", rec.Code, rec.Header().Get("Location"))
	}
	if after := ts.counts(t); after != before {
		t.Errorf("unrouted requests left traces: before %+v, after %+v", before, after)
	}
}

type copied struct {
	Identifier string           `json:"identifier"`
	PDF        []byte           `json:"pdf"` // base64 in JSON
	Until      time.Time        `json:"until"`
	Audit      *verify.AuditRef `json:"audit"`
}

// An issuer gets an annotated copy (加注件) of its valid license over the
// API: a PDF that verifies and carries its signed statement of purpose,
// requester and end, with the act in the audit log. A copy without
// purpose or requester, for too long, of a license that is not valid, by
// an issuer without a seal, or asked by another client is refused and
// leaves nothing behind.
func TestAnnotatedCopy(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	lic := ts.Permit.Identifier
	path := "/v1/licenses/" + lic + "/copy"
	ask := `{"purpose":"办理子女入学","requester":"某区某小学"}`

	// This node has no seal for the issuer: no PDF, so no copy.
	before := ts.counts(t)
	resp, b := ts.call(t, "POST", path, ts.Issuer, "application/json", strings.NewReader(ask))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("issuer without a seal: %d %s, want 409", resp.StatusCode, b)
	}
	if code, msg := apiError(t, "issuer without a seal", resp, b); code != "no-pdf" || !strings.Contains(msg, "seal") || !strings.Contains(msg, permitIssuer) {
		t.Errorf("issuer without a seal: %s %q", code, msg)
	}
	if after := ts.counts(t); after != before {
		t.Errorf("a refused copy left traces: before %+v, after %+v", before, after)
	}

	is := ts.API.Issuers[permitIssuer]
	is.PDF = &license.PDFMaker{Catalog: ts.API.Registry.Catalog, BaseURL: "https://v.example", Issuer: is.Issuer.Signer, Seal: ts.PKI.Options(seal.ModeSM2)}
	opts := ts.API.License()

	for _, c := range []struct {
		body string
		days int
	}{
		{ask, 30},
		{`{"purpose":"办理子女入学","requester":"某区某小学","days":1}`, 1},
		{`{"purpose":"办理子女入学","requester":"某区某小学","days":3660}`, 3660},
	} {
		now := time.Now()
		resp, b := ts.call(t, "POST", path, ts.Issuer, "application/json", strings.NewReader(c.body))
		var out copied
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
			t.Fatalf("copy %s: %d %.500s\nserver log:\n%s", c.body, resp.StatusCode, b, ts.Logs.String())
		}
		want := now.Add(time.Duration(c.days) * 24 * time.Hour)
		if out.Identifier != lic || out.Until.Before(want.Add(-time.Minute)) || out.Until.After(want.Add(time.Minute)) || len(out.PDF) == 0 {
			t.Errorf("copy for %d days: identifier %s, until %s (want about %s), %d bytes of PDF", c.days, out.Identifier, out.Until, want, len(out.PDF))
		}
		// In the audit log, in the act's own transaction.
		if out.Audit == nil {
			t.Fatalf("copy: no audit entry in the answer")
		}
		leaf, err := ts.Audit.Leaf(ctx, out.Audit.Index)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := audit.ParseEntry(leaf); err != nil || e.Kind != "license.copied" || e.Subject != lic || e.Actor == "" || !strings.Contains(e.Detail, "办理子女入学") {
			t.Errorf("copy: audit entry %+v (%v)", e, err)
		}
		if out.Audit.TreeSize > 0 {
			if err := out.Audit.Verify(); err != nil {
				t.Errorf("copy: inclusion proof: %v", err)
			}
		}
		// The PDF verifies, and says what it is for.
		rep, err := verify.LicensePDF(ctx, out.PDF, opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != verify.Valid || rep.Identifier != lic {
			t.Errorf("the copy verifies %s (%s): %s", rep.Verdict, rep.Reason, rep.Detail)
		}
		if cp := rep.Copy; cp == nil || cp.License != lic || cp.Purpose != "办理子女入学" || cp.Requester != "某区某小学" || !cp.Until.Equal(out.Until) {
			t.Errorf("the copy's statement: %+v, until %s", rep.Copy, out.Until)
		}
	}

	// A case system checks the copy: the PDF is spooled, and the receipt
	// names it by its digest.
	var copy1 copied
	_, b = ts.call(t, "POST", path, ts.Issuer, "application/json", strings.NewReader(ask))
	if err := json.Unmarshal(b, &copy1); err != nil {
		t.Fatal(err)
	}
	resp, b = ts.call(t, "POST", "/v1/verify/license", ts.CaseSystem, "application/pdf", bytes.NewReader(copy1.PDF))
	var ans verifyAnswer
	if resp.StatusCode != 200 || json.Unmarshal(b, &ans) != nil {
		t.Fatalf("verifying the copy: %d %.500s", resp.StatusCode, b)
	}
	var rep verify.LicenseReport
	if err := json.Unmarshal(ans.Report, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != verify.Valid || rep.Copy == nil || rep.Copy.Requester != "某区某小学" {
		t.Errorf("verifying the copy: %s (%s), statement %+v", rep.Verdict, rep.Reason, rep.Copy)
	}
	rc, err := verify.VerifyReceipt(ans.Receipt, certs.NewPool(ts.PKI.SM2CA.Certificate()))
	if err != nil {
		t.Fatal(err)
	}
	if rc.InputSHA256 != verify.InputHash(copy1.PDF) || rc.Subject != lic {
		t.Errorf("receipt for the copy: input %s subject %s", rc.InputSHA256, rc.Subject)
	}

	// Refusals.
	revoked, suspended := ts.issue(t, holderID).Identifier, ts.issue(t, holderID).Identifier
	for id, act := range map[string]string{revoked: "revoke", suspended: "suspend"} {
		if resp, b := ts.call(t, "POST", "/v1/licenses/"+id+"/"+act, ts.Issuer, "application/json", strings.NewReader(`{"reason":"测试"}`)); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", act, resp.StatusCode, b)
		}
	}
	missing, err := ids.NewLicenseID(permitType, permitIssuer, 999999, 1)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("证", 201)
	cases := []struct {
		name, key, id, body string
		status              int
		code                string
	}{
		{"no purpose", ts.Issuer, lic, `{"requester":"某区某小学"}`, 422, "invalid-data"},
		{"blank purpose", ts.Issuer, lic, `{"purpose":" \t","requester":"某区某小学"}`, 422, "invalid-data"},
		{"no requester", ts.Issuer, lic, `{"purpose":"办理子女入学"}`, 422, "invalid-data"},
		{"purpose too long", ts.Issuer, lic, `{"purpose":"` + long + `","requester":"某区某小学"}`, 422, "invalid-data"},
		{"requester too long", ts.Issuer, lic, `{"purpose":"办理子女入学","requester":"` + long + `"}`, 422, "invalid-data"},
		{"0 days", ts.Issuer, lic, `{"purpose":"p","requester":"r","days":0}`, 422, "invalid-data"},
		{"negative days", ts.Issuer, lic, `{"purpose":"p","requester":"r","days":-1}`, 422, "invalid-data"},
		{"3661 days", ts.Issuer, lic, `{"purpose":"p","requester":"r","days":3661}`, 422, "invalid-data"},
		{"days as a string", ts.Issuer, lic, `{"purpose":"p","requester":"r","days":"30"}`, 400, "bad-json"},
		{"a change's body", ts.Issuer, lic, `{"reason":"x"}`, 400, "bad-json"},
		{"empty body", ts.Issuer, lic, ``, 400, "bad-request"},
		{"revoked", ts.Issuer, revoked, ask, 409, "bad-lifecycle"},
		{"suspended", ts.Issuer, suspended, ask, 409, "bad-lifecycle"},
		{"another issuer", ts.OtherIssuer, lic, ask, 403, "forbidden"},
		{"a case system", ts.CaseSystem, lic, ask, 403, "forbidden"},
		{"a license that does not exist", ts.Issuer, missing.String(), ask, 403, "forbidden"},
	}
	before = ts.counts(t)
	for _, c := range cases {
		resp, b := ts.call(t, "POST", "/v1/licenses/"+c.id+"/copy", c.key, "application/json", strings.NewReader(c.body))
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %.300s, want %d", c.name, resp.StatusCode, b, c.status)
			continue
		}
		if code, _ := apiError(t, c.name, resp, b); code != c.code {
			t.Errorf("%s: error %q, want %q (%s)", c.name, code, c.code, b)
		}
	}
	if after := ts.counts(t); after != before {
		t.Errorf("refused copies left traces: before %+v, after %+v", before, after)
	}
}
