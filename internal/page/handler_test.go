package page

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// registry is a Lookup over fixed views, recording the ids it was asked.
type registry struct {
	views map[string]View
	err   error // returned for every id when set
	asked []string
}

func (r *registry) lookup(_ context.Context, id string) (View, error) {
	r.asked = append(r.asked, id)
	if r.err != nil {
		return View{}, r.err
	}
	if strings.HasPrefix(id, "bad") {
		return View{}, fmt.Errorf("id %q: %w", id, ErrBadID)
	}
	v, ok := r.views[id]
	if !ok {
		return View{}, fmt.Errorf("license %s: %w", id, ErrNotFound)
	}
	return v, nil
}

func newServer(t *testing.T, reg *registry) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /v/{id}", Handler(reg.lookup, testService))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
	if p := h.Get("Content-Security-Policy"); !strings.HasPrefix(p, "default-src 'none'; style-src 'sha256-") || !strings.Contains(p, "img-src data:") {
		t.Errorf("%s: Content-Security-Policy %q is not strict", what, p)
	}
}

func TestHandler(t *testing.T) {
	reg := &registry{views: map[string]View{
		testID:        companyView(StatusValid),
		"QmFzZTY0-id": personView(StatusRevoked),
	}}
	// The lookup leaves the time and the service to the handler.
	v := reg.views["QmFzZTY0-id"]
	v.CheckedAt, v.Service = time.Time{}, ""
	reg.views["QmFzZTY0-id"] = v
	srv := newServer(t, reg)

	for _, tt := range []struct {
		method, path string
		code         int
		want         []string
	}{
		{"GET", "/v/" + testID, 200, []string{">有效<", "营业执照", "核验时间：2026-11-25 14:03:12 (北京时间)"}},
		{"GET", "/v/QmFzZTY0-id", 200, []string{">已吊销<", "该证照已被颁发机构吊销", "张*三", testService, "核验时间：20"}},
		{"GET", "/v/1.2.156.3005.2.11100000000013338W001.11310115002486193N.99.001.A", 404, []string{">无法核验<", "未找到该证照", "证照标识：1.2.156.3005.2.11100000000013338W001.11310115002486193N.99.001.A", "核验时间："}},
		{"GET", "/v/unknown-token", 404, []string{">无法核验<", "未找到该证照"}},
		{"GET", "/v/bad-checksum", 400, []string{"链接无效", "核验链接格式不正确"}},
		{"GET", "/v/%3Cscript%3E", 400, []string{"链接无效"}},
		{"GET", "/v/a%20b", 400, []string{"链接无效"}},
		{"GET", "/v/a%2Fb", 400, []string{"链接无效"}},
		{"GET", "/v/" + strings.Repeat("A", maxIDLen+1), 400, []string{"链接无效"}},
		{"GET", "/v/" + strings.Repeat("A", maxIDLen), 404, []string{"未找到该证照"}},
	} {
		resp, body := get(t, tt.method, srv.URL+tt.path)
		what := tt.method + " " + tt.path
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", what, resp.StatusCode, tt.code)
		}
		checkHeaders(t, what, resp.Header)
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", what, w)
			}
		}
		if strings.Contains(body, "<script") {
			t.Errorf("%s: page holds a script element", what)
		}
	}
	for _, id := range reg.asked {
		if _, ok := idOf(httptest.NewRequest("GET", "/v/"+id, nil)); !ok {
			t.Errorf("lookup was called with the malformed id %q", id)
		}
	}

	resp, body := get(t, "HEAD", srv.URL+"/v/"+testID)
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: status %d, body %q", resp.StatusCode, body)
	}
	checkHeaders(t, "HEAD", resp.Header)
}

func TestHandlerLookupFails(t *testing.T) {
	reg := &registry{err: errors.New("database is locked: /var/lib/eseal/eseal.db")}
	srv := newServer(t, reg)
	resp, body := get(t, "GET", srv.URL+"/v/"+testID)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	checkHeaders(t, "500", resp.Header)
	if !strings.Contains(body, ">无法核验<") || !strings.Contains(body, "请稍后再试") {
		t.Error("the page does not say the check could not be done")
	}
	if strings.Contains(body, "database") || strings.Contains(body, "eseal.db") {
		t.Error("the page shows the internal error")
	}
}

// The handler also works mounted on a prefix, without a {id} wildcard, and
// answers methods other than GET and HEAD itself.
func TestHandlerMounted(t *testing.T) {
	reg := &registry{views: map[string]View{testID: companyView(StatusSuspended)}}
	mux := http.NewServeMux()
	mux.Handle("/v/", Handler(reg.lookup, testService))
	mux.Handle("/verify/", http.StripPrefix("/verify/", Handler(reg.lookup, testService)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tt := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/v/" + testID, 200, ">已暂扣<"},
		{"GET", "/verify/" + testID, 200, ">已暂扣<"},
		{"GET", "/v/", 400, "链接无效"},
		{"GET", "/v/a/b", 400, "链接无效"},
		{"POST", "/v/" + testID, 405, "请求无效"},
	} {
		resp, body := get(t, tt.method, srv.URL+tt.path)
		what := tt.method + " " + tt.path
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", what, resp.StatusCode, tt.code)
		}
		checkHeaders(t, what, resp.Header)
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s: page lacks %q", what, tt.want)
		}
	}
	if len(reg.asked) != 2 {
		t.Errorf("lookup called %d times (%q), want 2", len(reg.asked), reg.asked)
	}
}
