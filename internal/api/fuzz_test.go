package api_test

// Fuzz targets for what the service reads from a request. Whatever the
// bytes, the answer is never a 5xx or a panic; a 4xx is the JSON error
// {"error","message"} (the citizen page: HTML), whether or not the path is
// routed, and a 405 says what is allowed; an act that succeeds is in
// the audit log; and no answer carries a citizen identity number in full,
// except an issuer's own issuance, which returns the data it sent.
//
//	go test -run '^$' -fuzz '^FuzzIssueBody$' -fuzztime 2m ./internal/api/
//
// Inputs that failed once are kept in testdata/fuzz/<target> and run with
// every go test.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/seal"
)

// findCitizenID returns the first citizen identity number in s that passes
// every check of ids.ValidateCitizenID (upper-casing a final x), standing
// alone: not inside a longer run of digits. With inIdentifiers, one that is
// the serial of a license identifier is passed over: a report names the
// license it checked by its identifier, whatever its issuer numbered it
// with.
func findCitizenID(s string, inIdentifiers bool) string {
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	for i := 0; i+18 <= len(s); i++ {
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == 'X' || s[i-1] == 'x') {
			continue
		}
		if inIdentifiers && i > 0 && s[i-1] == '.' && strings.Contains(s[max(0, i-60):i], ids.LicenseIDRoot+".") {
			continue
		}
		c := s[i : i+18]
		if i+18 < len(s) && (isDigit(s[i+18]) || s[i+18] == 'X' || s[i+18] == 'x') {
			continue
		}
		if !isDigit(c[0]) {
			continue
		}
		if ids.ValidateCitizenID(strings.ToUpper(c)) == nil {
			return c
		}
	}
	return ""
}

// answer is what a fuzz target checks of a response.
type answer struct {
	page    bool // the citizen page: errors are HTML
	echoOK  bool // a 2xx may carry identity numbers (issuance returns its data)
	audited bool // a 2xx must name its audit log entry
}

// check asserts the properties every answer has.
func (ts *testServer) check(t *testing.T, what string, rec *httptest.ResponseRecorder, a answer) {
	t.Helper()
	body := rec.Body.String()
	code := rec.Code
	if code >= 500 {
		t.Fatalf("%s: %d %.500s\nserver log:\n%s", what, code, body, ts.Logs.String())
	}
	if code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
		t.Fatalf("%s: 405 without Allow", what)
	}
	if code >= 400 {
		ct := rec.Header().Get("Content-Type")
		if a.page {
			if !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("%s: %d with Content-Type %q, not the HTML page", what, code, ct)
			}
		} else {
			var e map[string]any
			if !strings.HasPrefix(ct, "application/json") || json.Unmarshal(rec.Body.Bytes(), &e) != nil {
				t.Fatalf("%s: %d %q, not a JSON error: %.500s", what, code, ct, body)
			}
			c, _ := e["error"].(string)
			m, _ := e["message"].(string)
			if c == "" || m == "" || len(e) != 2 {
				t.Fatalf("%s: %d, not {error, message}: %.500s", what, code, body)
			}
		}
	}
	ok := code >= 200 && code < 300
	if !ok || !a.echoOK {
		if id := findCitizenID(body, ok); id != "" {
			t.Fatalf("%s: %d answer carries citizen identity number %s in full:\n%.1000s", what, code, id, body)
		}
		for k, vs := range rec.Header() {
			for _, v := range vs {
				if id := findCitizenID(v, false); id != "" {
					t.Fatalf("%s: header %s carries citizen identity number %s in full", what, k, id)
				}
			}
		}
	}
	if code >= 200 && code < 300 && a.audited {
		var r struct {
			Audit *struct {
				Index *uint64 `json:"index"`
			} `json:"audit"`
			Receipt *string `json:"receipt"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("%s: %d, not JSON: %v", what, code, err)
		}
		if r.Receipt == nil && (r.Audit == nil || r.Audit.Index == nil) {
			t.Fatalf("%s: %d but the act is not in the audit log (no audit entry in the answer): %.500s\nserver log:\n%s", what, code, body, ts.Logs.String())
		}
	}
}

// permitIDWithSerial is the identifier of a permit whose serial is the
// given citizen identity number: a well-formed identifier no one issued,
// which some issuers' numbering could produce.
func permitIDWithSerial(t testing.TB, serial string) string {
	n, err := strconv.ParseInt(serial, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ids.NewLicenseID(permitType, permitIssuer, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// A holder whose identity number ends in a digit, so that it can be a
// license's serial too.
var otherHolderID = citizenID("11010119800101123")

func FuzzIssueBody(f *testing.F) {
	ts := newTestServer(f)
	valid, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace(holderID)})
	withFace := func(face map[string]string, extra ...string) string {
		m := map[string]any{"type": permitType, "face": face}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	misplaced := func(key string) map[string]string {
		m := permitFace(holderID)
		m[key] = holderID
		return m
	}
	seeds := []struct{ ctype, body string }{
		{"application/json", string(valid)},
		{"application/json; charset=utf-8", string(valid)},
		{"", string(valid)},
		{"text/plain", string(valid)},
		{"application/json", withFace(permitFace(holderID), "holderId", holderID)},
		{"application/json", withFace(permitFace(holderID), "holderId", otherHolderID)},
		{"application/json", withFace(permitFace(holderID), "issuer", bizIssuer)},
		{"application/json", withFace(permitFace("11010519491231002x"))},
		{"application/json", withFace(permitFace("110105194912310021"))}, // check character wrong
		{"application/json", withFace(misplaced("since"))},
		{"application/json", withFace(misplaced("sex"))},
		{"application/json", withFace(misplaced("name"))},
		{"application/json", withFace(misplaced(holderID))},
		{"application/json", `{"type":"` + holderID + `","face":{}}`},
		{"application/json", `{"type":"` + bizType + `","face":{"uscc":"91110000600037341L"}}`},
		{"application/json", `{"type":"` + permitType + `","face":{"name":"\u0000","idNumber":"\ud800"}}`},
		{"application/json", `{"type":"` + permitType + `","face":null,"pdf":true}`},
		{"application/json", `{"type":"` + permitType + `","face":{"name":1}}`},
		{"application/json", `{"type":"` + permitType + `","face":{},"pdf":"yes"}`},
		{"application/json", `{"type":"` + permitType + `","type":"` + bizType + `"}`},
		{"application/json", `{}`},
		{"application/json", `null`},
		{"application/json", `[]`},
		{"application/json", ``},
		{"application/json", string(valid) + `}`},
		{"application/json", strings.Repeat("[", 100000)},
		{"application/json", `{"type":1e999999}`},
		{"application/json", "\xff\xfe{\x00}"},
		{"Application/JSON; charset=\"utf-8\"", string(valid)},
		{"application/json; " + holderID, `{`},
		{holderID + "/json", string(valid)},
	}
	for _, s := range seeds {
		f.Add(s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		ts.Logs.Reset()
		rec := ts.serve("POST", "/v1/licenses", ts.Issuer, ctype, body)
		ts.check(t, "POST /v1/licenses", rec, answer{echoOK: true, audited: true})
		if rec.Code == http.StatusCreated && strings.ContainsAny(ctype, "\x00\r\n") {
			t.Fatalf("issued with Content-Type %q", ctype)
		}
	})
}

func FuzzVerifyLicenseBody(f *testing.F) {
	ts := newTestServer(f)
	stamped := sealtest.Stamp(f, sealtest.Fixture(f, "v14.pdf"), ts.PKI.Options(seal.ModeSM2))
	tok := ts.Permit.Token
	dot := strings.LastIndexByte(tok, '.')
	seeds := []struct{ ctype, body string }{
		{"application/json", `{"token":"` + tok + `"}`},
		{"application/json", `{"identifier":"` + ts.Permit.Identifier + `"}`},
		{"", `{"identifier":"` + ts.Permit.Identifier + `"}`},
		{"application/json", `{"identifier":"` + permitIDWithSerial(f, otherHolderID) + `"}`},
		{"application/json", `{"identifier":"` + holderID + `"}`},
		{"application/json", `{"token":"` + holderID + `.` + holderID + `.` + holderID + `"}`},
		{"application/json", `{"token":"` + tok[:dot] + `.AAAA"}`},
		{"application/json", `{"token":"` + tok[:dot+10] + `"}`},
		{"application/json", `{"token":"eyJhbGciOiJub25lIn0.e30."}`},
		{"application/json", `{"token":"a.b.c"}`},
		{"application/json", `{"token":"` + tok + `","identifier":"` + ts.Permit.Identifier + `"}`},
		{"application/json", `{}`},
		{"application/json", `{"token":"` + tok + `"}]`},
		{"application/pdf", string(stamped)},
		{"application/pdf", string(sealtest.Fixture(f, "truncated.pdf"))},
		{"application/pdf", string(sealtest.Fixture(f, "encrypted.pdf"))},
		{"application/pdf", "%PDF-1.7\n%%EOF\n"},
		{"application/pdf", ""},
		{"application/pdf; name=" + holderID, "%PDF-"},
		{"APPLICATION/PDF", string(stamped[:len(stamped)/2])},
		{"application/octet-stream", "%PDF-1.7"},
	}
	for _, s := range seeds {
		f.Add(s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		ts.Logs.Reset()
		rec := ts.serve("POST", "/v1/verify/license", ts.CaseSystem, ctype, body)
		ts.check(t, "POST /v1/verify/license", rec, answer{audited: true})
	})
}

func FuzzVerifyPDFBody(f *testing.F) {
	ts := newTestServer(f)
	v14 := sealtest.Fixture(f, "v14.pdf")
	f.Add(v14)
	f.Add(sealtest.Fixture(f, "ghostscript.pdf"))
	f.Add(sealtest.Fixture(f, "truncated.pdf"))
	f.Add(sealtest.Fixture(f, "encrypted.pdf"))
	f.Add(sealtest.Stamp(f, v14, ts.PKI.Options(seal.ModeSM2)))
	f.Add(sealtest.Stamp(f, v14, ts.PKI.Options(seal.ModeSES)))
	f.Add(sealtest.Stamp(f, v14, ts.PKI.Options(seal.ModePAdES)))
	f.Add([]byte("%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"))
	f.Add([]byte("%PDF-1.4\n" + holderID + "\n%%EOF"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		ts.Logs.Reset()
		rec := ts.serve("POST", "/v1/verify/pdf", ts.CaseSystem, "application/pdf", body)
		ts.check(t, "POST /v1/verify/pdf", rec, answer{audited: true})
	})
}

// freshPermit in FuzzChangeBody's id stands for a permit issued for that
// input, so that every input can act on a license that is still valid.
const freshPermit = "PERMIT"

func FuzzChangeBody(f *testing.F) {
	ts := newTestServer(f)
	missing := permitIDWithSerial(f, "999999")
	long := strings.Repeat("证照", 1200)
	seeds := []struct{ id, action, body string }{
		{freshPermit, "revoke", `{"reason":"以欺骗手段取得"}`},
		{freshPermit, "suspend", `{"reason":"配合调查"}`},
		{freshPermit, "reinstate", `{"reason":"调查结束"}`},
		{freshPermit, "cancel", `{"reason":"持证人申请注销"}`},
		{freshPermit, "replace", `{"reason":"信息变更"}`},
		{freshPermit, "replace", `{"reason":"信息变更","face":{"name":"李小明","sex":"男","idNumber":"` + holderID + `","address":"某市某区新路2号","since":"2026-01-02"}}`},
		{freshPermit, "replace", `{"face":{"idNumber":"` + otherHolderID + `"}}`},
		{freshPermit, "replace", `{"face":{"name":"李小明","sex":"男","idNumber":"` + otherHolderID + `","address":"x","since":"2026-01-02"}}`},
		{freshPermit, "revoke", `{"reason":"持证人` + holderID + `冒用他人身份"}`},
		{freshPermit, "suspend", `{"reason":"` + long + `"}`},
		{freshPermit, "revoke", `{"reason":""}`},
		{freshPermit, "revoke", `{"reason":" \t"}`},
		{freshPermit, "revoke", `{}`},
		{freshPermit, "revoke", ``},
		{freshPermit, "status", `{"reason":"x"}`},
		{freshPermit, "REVOKE", `{"reason":"x"}`},
		{missing, "revoke", `{"reason":"x"}`},
		{permitIDWithSerial(f, otherHolderID), "revoke", `{"reason":"x"}`},
		{holderID, "revoke", `{"reason":"x"}`},
		{"", "revoke", `{"reason":"x"}`},
		{"..", "revoke", `{"reason":"x"}`},
		{"a/b", "revoke", `{"reason":"x"}`},
		{freshPermit, "", `{"reason":"x"}`},
		{freshPermit, holderID, `{"reason":"x"}`},
		// This server's issuers have no seal: a copy is refused, for
		// whatever reason comes first.
		{freshPermit, "copy", `{"purpose":"办理入学","requester":"某区某小学"}`},
		{freshPermit, "copy", `{"purpose":"办理入学","requester":"` + holderID + `","days":3660}`},
		{freshPermit, "copy", `{"purpose":"","requester":"x","days":0}`},
		{freshPermit, "copy", `{"reason":"x"}`},
		{missing, "copy", `{"purpose":"p","requester":"r"}`},
	}
	for _, s := range seeds {
		f.Add(s.id, s.action, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, id, action string, body []byte) {
		ts.Logs.Reset()
		if id == freshPermit {
			id = ts.issue(t, holderID).Identifier
		}
		target := "/v1/licenses/" + url.PathEscape(id) + "/" + url.PathEscape(action)
		rec := ts.serve("POST", target, ts.Issuer, "application/json", body)
		if rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusPermanentRedirect {
			return // the mux cleaning the path ("..", "//"): nothing was done
		}
		ts.check(t, "POST "+target, rec, answer{echoOK: action == "replace", audited: true})
	})
}

func FuzzQuery(f *testing.F) {
	ts := newTestServer(f)
	id := ts.Permit.Identifier
	seeds := []struct{ holder, reason, id string }{
		{holderID, "办理居住登记", id},
		{"11010519491231002x", "x", id[:len(id)-1] + "0"},
		{otherHolderID, "查询 " + otherHolderID + " 名下证照", permitIDWithSerial(f, otherHolderID)},
		{"91110000600037341L", "营业执照核验", permitIDWithSerial(f, "1")},
		{"110105194912310021", " ", holderID},
		{"", "", ""},
		{holderID, "", "1.2.156.3005.2"},
		{"1101051949123100", "x", "1.2.156.3005.2." + holderID},
		{holderID + holderID, strings.Repeat("理由", 5000), strings.Repeat("1", 200)},
		{"\x00", "\xff", "%2F..%2F"},
	}
	for _, s := range seeds {
		f.Add(s.holder, s.reason, s.id)
	}
	f.Fuzz(func(t *testing.T, holder, reason, id string) {
		ts.Logs.Reset()
		q := url.Values{"holder": {holder}, "reason": {reason}}
		target := "/v1/licenses?" + q.Encode()
		rec := ts.serve("GET", target, ts.CaseSystem, "", nil)
		ts.check(t, "GET "+target, rec, answer{audited: true})

		// The mux's redirects to a cleaned path ("..", "//") are not
		// checked; every other answer is, routed or not.
		target = "/v1/licenses/" + url.PathEscape(id) + "/status"
		rec = ts.serve("GET", target, "", "", nil)
		if rec.Code < 300 || rec.Code >= 400 {
			ts.check(t, "GET "+target, rec, answer{})
		}

		target = "/v/" + url.PathEscape(id)
		rec = ts.serve("GET", target, "", "", nil)
		if rec.Code < 300 || rec.Code >= 400 {
			ts.check(t, "GET "+target, rec, answer{page: true})
		}
	})
}
