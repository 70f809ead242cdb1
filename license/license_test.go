package license_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
)

const (
	businessType = "11110000MB0000019Q001"
	residentType = "11110000MB12345624001"
	samrDistrict = "11110108MB1234562W"
	policeBureau = "11110108MB0000019H"
)

type env struct {
	reg    *license.Registry
	samr   *license.Issuer
	police *license.Issuer
	now    time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := license.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := sm2.GenerateKey(rand.Reader)
	k2, _ := sm2.GenerateKey(rand.Reader)
	e := &env{
		samr:   &license.Issuer{Code: samrDistrict, Name: "某市某区市场监督管理局", Jurisdiction: "110108", Signer: k1},
		police: &license.Issuer{Code: policeBureau, Name: "某市公安局某区分局", Jurisdiction: "110108", Signer: k2},
		now:    time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
	}
	e.reg = &license.Registry{Store: st, Catalog: cat, Keys: license.StaticKeys(e.samr.Key(), e.police.Key()), Now: func() time.Time { return e.now }}
	return e
}

func businessFace() map[string]string {
	return map[string]string{
		"uscc": "91440300708461136T", "name": "某某科技有限公司", "kind": "有限责任公司（自然人投资或控股）",
		"representative": "张三", "capital": "100万元人民币", "established": "2020-05-01",
		"address": "北京市海淀区某某路1号", "scope": "技术开发、技术咨询；软件开发。",
	}
}

func residentFace() map[string]string {
	return map[string]string{"name": "李小明", "sex": "男", "idNumber": "11010519491231002X", "address": "北京市海淀区某某小区3号楼", "since": "2026-01-02"}
}

func TestIssueAndGet(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	face := businessFace()
	face["uscc"] = validUSCC(t)
	iss, err := e.reg.Issue(ctx, e.samr, license.IssueRequest{Type: businessType, Face: face, Actor: "窗口 3"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ids.ParseLicenseID(iss.Data.Identifier)
	if err != nil {
		t.Fatalf("identifier %s: %v", iss.Data.Identifier, err)
	}
	if id.TypeCode != businessType || id.IssuerCode != samrDistrict || id.Version != "001" {
		t.Fatalf("identifier %+v", id)
	}
	st, err := e.reg.Get(ctx, iss.Data.Identifier)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != license.StatusValid || st.Data.Holder != "某某科技有限公司" || st.Data.ValidTo != "长期" || len(st.Events) != 1 {
		t.Fatalf("state %+v", st)
	}
	// The JWS header names the private algorithm and the key.
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(iss.Token, ".")[0])
	if !strings.Contains(string(h), `"alg":"SM2SM3"`) || !strings.Contains(string(h), `"kid":`) || !strings.Contains(string(h), license.TypLicense) {
		t.Fatalf("header %s", h)
	}
	// A second license gets the next serial, never the same identifier.
	iss2, err := e.reg.Issue(ctx, e.samr, license.IssueRequest{Type: businessType, Face: face})
	if err != nil || iss2.Data.Identifier == iss.Data.Identifier {
		t.Fatalf("second: %v %s", err, iss2.Data.Identifier)
	}
}

func validUSCC(t testing.TB) string {
	return "91440300708461136T" // a real, published code
}

func TestIssueRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cases := map[string]struct {
		iss  *license.Issuer
		req  license.IssueRequest
		want error
	}{
		"unknown type":      {e.samr, license.IssueRequest{Type: "11110000MB0000019Q999", Face: businessFace()}, license.ErrUnknownType},
		"not its type":      {e.police, license.IssueRequest{Type: businessType, Face: businessFace()}, license.ErrNotIssuer},
		"missing field":     {e.samr, license.IssueRequest{Type: businessType, Face: map[string]string{"name": "x"}}, license.ErrInvalidData},
		"bad USCC":          {e.samr, license.IssueRequest{Type: businessType, Face: with(businessFace(), "uscc", "91110108MA01ABCD2Y")}, license.ErrInvalidData},
		"bad date":          {e.samr, license.IssueRequest{Type: businessType, Face: with(businessFace(), "established", "2020-13-01")}, license.ErrInvalidData},
		"unknown field":     {e.samr, license.IssueRequest{Type: businessType, Face: with(businessFace(), "colour", "red")}, license.ErrInvalidData},
		"bad enum":          {e.samr, license.IssueRequest{Type: businessType, Face: with(businessFace(), "kind", "公司")}, license.ErrInvalidData},
		"bad citizen ID":    {e.police, license.IssueRequest{Type: residentType, Face: with(residentFace(), "idNumber", "110105194912310021")}, license.ErrInvalidData},
		"holder ID differs": {e.police, license.IssueRequest{Type: residentType, Face: residentFace(), HolderID: "11010519491231003X"}, license.ErrInvalidData},
	}
	for name, c := range cases {
		_, err := e.reg.Issue(ctx, c.iss, c.req)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "11010519491231002X") {
			t.Errorf("%s: the error shows a full ID number: %v", name, err)
		}
	}
	if n, _ := e.reg.Store.CountLicenses(ctx); n != 0 {
		t.Fatalf("%d licenses stored by refused requests", n)
	}
}

func with(m map[string]string, k, v string) map[string]string {
	m[k] = v
	return m
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		t.Fatal(err)
	}
	id := iss.Data.Identifier
	status := func() string {
		st, err := e.reg.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Status
	}
	if err := e.reg.Change(ctx, e.police, id, "suspended", "涉嫌违法，暂扣", "执法科"); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != license.StatusSuspended {
		t.Fatalf("status %s", s)
	}
	if err := e.reg.Change(ctx, e.police, id, "suspended", "again", "x"); !errors.Is(err, license.ErrBadLifecycle) {
		t.Fatalf("suspending twice: %v", err)
	}
	if err := e.reg.Change(ctx, e.samr, id, "reinstated", "not mine", "x"); !errors.Is(err, license.ErrNotIssuer) {
		t.Fatalf("another issuer: %v", err)
	}
	if err := e.reg.Change(ctx, e.police, id, "reinstated", "", "x"); !errors.Is(err, license.ErrBadLifecycle) {
		t.Fatalf("no reason: %v", err)
	}
	if err := e.reg.Change(ctx, e.police, id, "reinstated", "调查结束", "执法科"); err != nil {
		t.Fatal(err)
	}
	// Replacement: a new version linked to the old identifier.
	face := residentFace()
	face["address"] = "北京市朝阳区某某路8号"
	rep, err := e.reg.Replace(ctx, e.police, id, license.IssueRequest{Face: face, Actor: "窗口 1"})
	if err != nil {
		t.Fatal(err)
	}
	nid, _ := ids.ParseLicenseID(rep.Data.Identifier)
	oid, _ := ids.ParseLicenseID(id)
	if nid.Serial != oid.Serial || nid.Version != "002" || rep.Data.Replaces != id || rep.Data.Number != iss.Data.Number {
		t.Fatalf("replacement %s of %s: %+v", rep.Data.Identifier, id, rep.Data.Metadata)
	}
	if s := status(); s != license.StatusReplaced {
		t.Fatalf("old status %s", s)
	}
	old, _ := e.reg.Get(ctx, id)
	if old.Record.ReplacedBy != rep.Data.Identifier {
		t.Fatalf("replaced by %q", old.Record.ReplacedBy)
	}
	if _, err := e.reg.Replace(ctx, e.police, id, license.IssueRequest{Face: face}); !errors.Is(err, license.ErrBadLifecycle) {
		t.Fatalf("replacing a replaced license: %v", err)
	}
	if err := e.reg.Change(ctx, e.police, rep.Data.Identifier, "revoked", "以欺骗手段取得", "执法科"); err != nil {
		t.Fatal(err)
	}
	// Every change is signed by the issuer and kept, in order.
	events, err := e.reg.Store.LicenseEvents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range events {
		v, err := license.VerifyToken(ev.Token, e.reg.Keys)
		if err != nil || v.Type != license.TypEvent {
			t.Fatalf("event %d: %v", ev.Seq, err)
		}
		names = append(names, ev.Event)
	}
	if strings.Join(names, ",") != "issued,suspended,reinstated,replaced" {
		t.Fatalf("events %v", names)
	}
	// Expiry by date: a one-year permit a year and a day later.
	iss3, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.AddDate(1, 0, 1)
	st, _ := e.reg.Get(ctx, iss3.Data.Identifier)
	if st.Status != license.StatusExpired {
		t.Fatalf("a year later: %s", st.Status)
	}
}

// Concurrent changes on one license: exactly one suspension wins.
func TestConcurrentChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e.reg.Change(ctx, e.police, iss.Data.Identifier, "suspended", "race", "x") == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d suspensions succeeded", ok)
	}
}

// Negative twins of token verification.
func TestTokenTwins(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := license.VerifyToken(iss.Token, e.reg.Keys); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(iss.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	edited := strings.Replace(string(payload), "李小明", "李大明", 1)
	cases := map[string]string{
		"edited face data": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(edited)) + "." + parts[2],
		"malformed":        "not.a.token",
		"two parts":        parts[0] + "." + parts[1],
		"flipped sig":      parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"alg none":         base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"x"}`)) + "." + parts[1] + ".",
	}
	for name, tok := range cases {
		if _, err := license.VerifyToken(tok, e.reg.Keys); !errors.Is(err, license.ErrBadToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Signed by a key nobody trusts.
	stranger, _ := sm2.GenerateKey(rand.Reader)
	forged, err := license.SignToken(stranger, license.TypLicense, payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := license.VerifyToken(forged, e.reg.Keys); !errors.Is(err, license.ErrBadToken) || !strings.Contains(err.Error(), "unknown issuer key") {
		t.Fatalf("unknown key: %v", err)
	}
	// A P-256 issuer signs with ES256 and verifies too.
	pk, _ := ecdsa.GenerateKey(ecdsaP256(), rand.Reader)
	tok, err := license.SignToken(pk, license.TypLicense, payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := license.VerifyToken(tok, license.StaticKeys(license.IssuerKey{Public: &pk.PublicKey})); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256"`))[:10]) {
		t.Fatalf("ES256 header: %s", tok[:20])
	}
	_ = jose.ES256
}

func flip(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func TestQR(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		t.Fatal(err)
	}
	payload := tokenPayload(t, iss.Token)
	text, err := license.QRText("https://verify.example.gov.cn", iss.Data, payload, e.police.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if len(text) > 240 || strings.Contains(text, "11010519491231002X") || strings.Contains(text, "李小明") {
		t.Fatalf("QR text (%d chars) %s", len(text), text)
	}
	keys := []crypto.PublicKey{e.samr.Signer.Public(), e.police.Signer.Public()}
	c, err := license.VerifyQRText(text, keys)
	if err != nil {
		t.Fatal(err)
	}
	if c.Identifier != iss.Data.Identifier || c.ValidTo.IsZero() {
		t.Fatalf("claim %+v", c)
	}
	// Twins: another identifier, a flipped payload byte, unknown issuer.
	oid, _ := ids.ParseLicenseID(iss.Data.Identifier)
	nextID, _ := ids.NewLicenseID(oid.TypeCode, oid.IssuerCode, 999, 1) // a valid identifier of another license
	other := strings.Replace(text, iss.Data.Identifier, nextID.String(), 1)
	for name, tx := range map[string]string{"other id": other, "flipped": text[:len(text)-5] + flip(text[len(text)-5:])} {
		if _, err := license.VerifyQRText(tx, keys); !errors.Is(err, license.ErrBadQR) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := license.VerifyQRText(text, []crypto.PublicKey{e.samr.Signer.Public()}); !errors.Is(err, license.ErrBadQR) {
		t.Errorf("unknown issuer: %v", err)
	}
}

func tokenPayload(t *testing.T, tok string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestByHolder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.reg.ByHolder(ctx, "11010519491231002X", "case-system-7", ""); !errors.Is(err, license.ErrInvalidData) {
		t.Fatalf("no reason: %v", err)
	}
	recs, err := e.reg.ByHolder(ctx, "11010519491231002X", "case-system-7", "办理公积金提取")
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d, %v", len(recs), err)
	}
	qs, err := e.reg.Store.HolderQueries(ctx, time.Time{})
	if err != nil || len(qs) != 1 || qs[0].Reason != "办理公积金提取" || qs[0].Client != "case-system-7" || qs[0].Results != 2 || strings.Contains(qs[0].Holder, "19491231") {
		t.Fatalf("query log %+v %v", qs, err)
	}
}

func ecdsaP256() elliptic.Curve { return elliptic.P256() }

// Registry.Record runs inside each act's transaction: when it fails the
// act is not committed, and it sees every act with its event.
func TestRecordHook(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var seen []string
	fail := true
	e.reg.Record = func(ctx context.Context, tx store.Tx, a license.Act) error {
		if fail {
			return errors.New("audit log unavailable")
		}
		seen = append(seen, a.Event+" "+a.License)
		return nil
	}
	if _, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()}); err == nil {
		t.Fatal("issued although recording failed")
	}
	if n, err := e.reg.Store.CountLicenses(ctx); err != nil || n != 0 {
		t.Fatalf("%d licenses committed without their record (%v)", n, err)
	}
	fail = false
	iss, err := e.reg.Issue(ctx, e.police, license.IssueRequest{Type: residentType, Face: residentFace()})
	if err != nil {
		t.Fatal(err)
	}
	id := iss.Data.Identifier
	fail = true
	if err := e.reg.Change(ctx, e.police, id, "suspended", "核查", "clerk"); err == nil {
		t.Fatal("suspended although recording failed")
	}
	if st, _ := e.reg.Get(ctx, id); st.Status != license.StatusValid {
		t.Fatalf("status %s after a failed record", st.Status)
	}
	fail = false
	if err := e.reg.Change(ctx, e.police, id, "suspended", "核查", "clerk"); err != nil {
		t.Fatal(err)
	}
	nv, err := e.reg.Replace(ctx, e.police, id, license.IssueRequest{Actor: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"issued " + id, "suspended " + id, "issued " + nv.Data.Identifier, "replaced " + id}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("recorded %q, want %q", seen, want)
	}
}
