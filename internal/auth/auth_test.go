package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/store"
)

// clock is a settable clock for the cache and the rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore counts the lookups that reach the store.
type countingStore struct {
	store.Store
	lookups atomic.Int64
}

func (s *countingStore) ClientByKeyHash(ctx context.Context, h []byte) (store.ClientRecord, error) {
	s.lookups.Add(1)
	return s.Store.ClientByKeyHash(ctx, h)
}

func (s *countingStore) ClientByCertFingerprint(ctx context.Context, fp string) (store.ClientRecord, error) {
	s.lookups.Add(1)
	return s.Store.ClientByCertFingerprint(ctx, fp)
}

// logBuffer collects log output; safe for concurrent writers.
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

type env struct {
	st    *countingStore
	a     *auth.Authenticator
	clock *clock
	logs  *logBuffer
	mux   *http.ServeMux
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "eseal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: &countingStore{Store: st}, clock: newClock(), logs: &logBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.a = auth.New(e.st, auth.Options{Now: e.clock.Now, Logger: logger})

	// A seal that exists, for the handlers to find or not.
	err = st.PutSeal(ctx, store.SealRecord{ID: "11010000000001", Name: "行政审批专用章", Owner: "某某区政务服务中心", KeyLabel: "seal1"})
	if err != nil {
		t.Fatal(err)
	}
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := auth.FromContext(r.Context())
		if c == nil {
			http.Error(w, "no client in context", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, c.ID)
	})
	e.mux = http.NewServeMux()
	e.mux.Handle("GET /v1/whoami", e.a.Require(nil, whoami))
	e.mux.Handle("POST /v1/verify", e.a.Require(auth.Scopes(auth.ScopeVerify), whoami))
	e.mux.Handle("POST /v1/seals/{id}/stamp", e.a.Require(
		func(r *http.Request) []string { return []string{auth.SealScope(r.PathValue("id"))} },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := st.Seal(r.Context(), r.PathValue("id")); err != nil {
				http.Error(w, "no such seal", http.StatusNotFound)
				return
			}
			io.WriteString(w, "stamped by "+auth.FromContext(r.Context()).ID)
		})))
	return e
}

// add registers a client and returns its id and API key.
func (e *env) add(t *testing.T, role string, scopes []string, rate float64, burst int) (id, key string) {
	t.Helper()
	if err := auth.CheckGrant(role, scopes); err != nil {
		t.Fatal(err)
	}
	key, hash := auth.NewKey()
	id = auth.NewClientID()
	err := e.st.PutClient(context.Background(), store.ClientRecord{ID: id, Name: "client " + id, Role: role, Scopes: scopes, KeyHash: hash, Rate: rate, Burst: burst})
	if err != nil {
		t.Fatal(err)
	}
	return id, key
}

func (e *env) do(method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w
}

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// wantError checks a refusal: status, JSON body with the code, and nothing
// else in it.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) errorBody {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var b errorBody
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if b.Error != code || b.Message == "" {
		t.Fatalf("body %+v, want error %q and a message", b, code)
	}
	return b
}

func TestKeys(t *testing.T) {
	key, hash := auth.NewKey()
	if !strings.HasPrefix(key, "esk_") || len(key) != 47 {
		t.Fatalf("key %q: want esk_ and 43 characters", key)
	}
	raw, err := base64.RawURLEncoding.DecodeString(key[4:])
	if err != nil || len(raw) != 32 {
		t.Fatalf("key body: %d bytes, %v", len(raw), err)
	}
	want := sha256.Sum256([]byte(key))
	if !bytes.Equal(hash, want[:]) || !bytes.Equal(auth.HashKey(key), want[:]) {
		t.Fatal("hash is not the SHA-256 of the key")
	}
	if key2, _ := auth.NewKey(); key2 == key {
		t.Fatal("two keys are the same")
	}
	if id := auth.NewClientID(); !strings.HasPrefix(id, "cl_") || len(id) != 19 || id == auth.NewClientID() {
		t.Fatalf("client id %q", id)
	}
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	fp := sha256.Sum256(der)
	if got := auth.CertFingerprint(der); got != hex.EncodeToString(fp[:]) {
		t.Fatalf("CertFingerprint = %s", got)
	}
}

func TestCan(t *testing.T) {
	dept := &auth.Client{Role: auth.RoleDepartment, Scopes: []string{"seal:A", "verify"}}
	issuer := &auth.Client{Role: auth.RoleIssuer, Scopes: []string{"issuer:91110000000000000X", "type:1001", "seal:A", "lookup"}}
	cs := &auth.Client{Role: auth.RoleCaseSystem}
	csLookup := &auth.Client{Role: auth.RoleCaseSystem, Scopes: []string{"lookup", "admin"}}
	admin := &auth.Client{Role: auth.RoleAdmin}
	unknown := &auth.Client{Role: "root", Scopes: []string{"verify", "admin"}}
	for _, tt := range []struct {
		c     *auth.Client
		scope string
		want  bool
	}{
		{dept, "seal:A", true},
		{dept, "seal:B", false},
		{dept, "verify", true},
		{dept, "lookup", false},
		{dept, "admin", false},
		{dept, "seal:*", false},
		{dept, "", false},
		{issuer, "issuer:91110000000000000X", true},
		{issuer, "type:1001", true},
		{issuer, "type:1002", false},
		{issuer, "seal:A", false}, // granted, but not a scope an issuer may hold
		{issuer, "lookup", false},
		{issuer, "verify", false}, // not granted
		{cs, "verify", true},      // by role
		{cs, "lookup", false},
		{csLookup, "lookup", true},
		{csLookup, "admin", false},
		{admin, "seal:anything", true},
		{admin, "lookup", true},
		{admin, "admin", true},
		{unknown, "verify", false},
		{nil, "verify", false},
	} {
		if got := tt.c.Can(tt.scope); got != tt.want {
			var role string
			if tt.c != nil {
				role = tt.c.Role
			}
			t.Errorf("%s %v Can(%q) = %v, want %v", role, tt.c, tt.scope, got, tt.want)
		}
	}
}

func TestCheckGrant(t *testing.T) {
	for _, tt := range []struct {
		role   string
		scopes []string
		ok     bool
	}{
		{"department", []string{"seal:11010000000001", "verify"}, true},
		{"department", []string{"lookup"}, false},
		{"department", []string{"issuer:X"}, false},
		{"issuer", []string{"issuer:91110000000000000X", "type:1001", "verify"}, true},
		{"issuer", []string{"seal:1"}, false},
		{"casesystem", []string{"lookup", "verify"}, true},
		{"casesystem", []string{"admin"}, false},
		{"admin", []string{"admin", "seal:1"}, true},
		{"admin", nil, true},
		{"root", nil, false},
		{"department", []string{"seal:*"}, false},
		{"department", []string{"seal:"}, false},
		{"department", []string{"seal:a b"}, false},
		{"department", []string{"seal:a\n"}, false},
		{"department", []string{"stamp:1"}, false},
		{"department", []string{"seal:" + strings.Repeat("x", 129)}, false},
		{"department", []string{"seal:" + strings.Repeat("章", 128)}, true},
	} {
		err := auth.CheckGrant(tt.role, tt.scopes)
		if (err == nil) != tt.ok {
			t.Errorf("CheckGrant(%q, %q) = %v, want ok %v", tt.role, tt.scopes, err, tt.ok)
		}
	}
}

func TestAPIKey(t *testing.T) {
	e := newEnv(t)
	id, key := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
	for _, h := range [][]string{bearer(key), {"Authorization", "bearer " + key}, {"X-API-Key", key}} {
		w := e.do("GET", "/v1/whoami", h...)
		if w.Code != 200 || w.Body.String() != id {
			t.Fatalf("%s: %d %s, want 200 and the client id in the context", h[0], w.Code, w.Body)
		}
	}
	if w := e.do("POST", "/v1/verify", bearer(key)...); w.Code != 200 {
		t.Fatalf("a case system verifying: %d %s", w.Code, w.Body)
	}
}

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	disabledID, disabledKey := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
	yes := true
	if err := e.st.UpdateClient(context.Background(), disabledID, store.ClientUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	unknown, _ := auth.NewKey()
	for _, tt := range []struct {
		name    string
		header  []string
		invalid bool // credentials were sent
	}{
		{"missing", nil, false},
		{"unknown key", bearer(unknown), true},
		{"unknown key in X-API-Key", []string{"X-API-Key", unknown}, true},
		{"disabled client", bearer(disabledKey), true},
		{"malformed key", bearer("esk_short"), true},
		{"not an eseal key", bearer(strings.Repeat("a", 47)), true},
		{"bad base64", bearer("esk_" + strings.Repeat("!", 43)), true},
		{"basic auth", []string{"Authorization", "Basic dXNlcjpwYXNz"}, true},
		{"empty bearer", []string{"Authorization", "Bearer"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do("GET", "/v1/whoami", tt.header...)
			wantError(t, w, http.StatusUnauthorized, "unauthenticated")
			ch := w.Header().Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, "Bearer") || strings.Contains(ch, "invalid_token") != tt.invalid {
				t.Errorf("WWW-Authenticate %q", ch)
			}
		})
	}
	// Disabled and unknown are told apart in the log, not in the answer.
	a := e.do("GET", "/v1/whoami", bearer(unknown)...)
	d := e.do("GET", "/v1/whoami", bearer(disabledKey)...)
	if a.Body.String() != d.Body.String() {
		t.Errorf("unknown key: %s\ndisabled client: %s\nwant the same answer", a.Body, d.Body)
	}
	if !strings.Contains(e.logs.String(), disabledID) {
		t.Errorf("the log does not name the disabled client:\n%s", e.logs)
	}
}

// A 403 says nothing about the resource: the same answer whether the seal
// exists or not.
func TestForbiddenDisclosesNothing(t *testing.T) {
	e := newEnv(t)
	_, dept := e.add(t, auth.RoleDepartment, []string{"seal:11010000000099"}, 0, 0)
	_, admin := e.add(t, auth.RoleAdmin, nil, 0, 0)

	exists := e.do("POST", "/v1/seals/11010000000001/stamp", bearer(dept)...)
	missing := e.do("POST", "/v1/seals/11019999999999/stamp", bearer(dept)...)
	odd := e.do("POST", "/v1/seals/%2A/stamp", bearer(dept)...) // "*"
	b := wantError(t, exists, http.StatusForbidden, "forbidden")
	if !strings.HasPrefix(b.Message, "this client may not ") {
		t.Errorf("message %q", b.Message)
	}
	for name, w := range map[string]*httptest.ResponseRecorder{"missing seal": missing, "malformed id": odd} {
		wantError(t, w, http.StatusForbidden, "forbidden")
		if !bytes.Equal(w.Body.Bytes(), exists.Body.Bytes()) || fmt.Sprint(w.Header()) != fmt.Sprint(exists.Header()) {
			t.Errorf("%s: %v %s\nexisting seal: %v %s\nwant the same answer", name, w.Header(), w.Body, exists.Header(), exists.Body)
		}
	}
	if strings.Contains(exists.Body.String(), "1101") {
		t.Errorf("the 403 names the seal: %s", exists.Body)
	}
	// The granted seal reaches the handler (which finds it missing); an
	// admin reaches it for any seal.
	if w := e.do("POST", "/v1/seals/11010000000099/stamp", bearer(dept)...); w.Code != http.StatusNotFound {
		t.Errorf("granted seal: %d %s, want the handler's 404", w.Code, w.Body)
	}
	if w := e.do("POST", "/v1/seals/11010000000001/stamp", bearer(admin)...); w.Code != 200 {
		t.Errorf("admin: %d %s", w.Code, w.Body)
	}
	// A department may not verify unless granted.
	wantError(t, e.do("POST", "/v1/verify", bearer(dept)...), http.StatusForbidden, "forbidden")
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	_, key := e.add(t, auth.RoleCaseSystem, nil, 1, 3)
	_, other := e.add(t, auth.RoleCaseSystem, nil, 1, 3)
	_, slow := e.add(t, auth.RoleCaseSystem, nil, 0.5, 0) // burst defaults to 1
	_, free := e.add(t, auth.RoleCaseSystem, nil, 0, 0)   // no limit

	expect := func(k string, status int, retryAfter string) {
		t.Helper()
		w := e.do("GET", "/v1/whoami", bearer(k)...)
		if w.Code != status {
			t.Fatalf("status %d, want %d (%s)", w.Code, status, w.Body)
		}
		if status == http.StatusTooManyRequests {
			wantError(t, w, status, "rate_limited")
		}
		if got := w.Header().Get("Retry-After"); got != retryAfter {
			t.Fatalf("Retry-After %q, want %q", got, retryAfter)
		}
	}
	for range 3 {
		expect(key, 200, "")
	}
	expect(key, 429, "1")
	expect(other, 200, "") // each client has its own bucket
	e.clock.Advance(500 * time.Millisecond)
	expect(key, 429, "1")
	e.clock.Advance(500 * time.Millisecond)
	expect(key, 200, "")
	expect(key, 429, "1")
	// Idle for long, the bucket holds no more than the burst.
	e.clock.Advance(time.Hour)
	for range 3 {
		expect(key, 200, "")
	}
	expect(key, 429, "1")

	expect(slow, 200, "")
	expect(slow, 429, "2")
	e.clock.Advance(2 * time.Second)
	expect(slow, 200, "")

	for range 100 {
		expect(free, 200, "")
	}
}

func TestLimiterFollowsChanges(t *testing.T) {
	c := newClock()
	l := auth.NewLimiter(c.Now)
	cl := &auth.Client{ID: "cl_1", Rate: 10, Burst: 10}
	for range 10 {
		if ok, _ := l.Allow(cl); !ok {
			t.Fatal("refused within the burst")
		}
	}
	if ok, wait := l.Allow(cl); ok || wait != 100*time.Millisecond {
		t.Fatalf("over the burst: %v, %v; want false, 100ms", ok, wait)
	}
	// The limits are lowered: the bucket keeps no more than the new burst.
	c.Advance(time.Hour)
	lowered := &auth.Client{ID: "cl_1", Rate: 1, Burst: 2}
	for i := range 3 {
		if ok, _ := l.Allow(lowered); ok != (i < 2) {
			t.Fatalf("request %d after lowering: %v", i, ok)
		}
	}
	// A clock going backwards gives no tokens.
	c.Advance(-time.Minute)
	if ok, _ := l.Allow(lowered); ok {
		t.Fatal("allowed after the clock went back")
	}
	// Full buckets are dropped when there are many.
	for i := range 10001 {
		l.Allow(&auth.Client{ID: fmt.Sprint("cl_many", i), Rate: 1, Burst: 1})
	}
	c.Advance(2 * time.Hour)
	l.Allow(&auth.Client{ID: "cl_last", Rate: 1, Burst: 1})
	if n := auth.BucketCount(l); n > 10 {
		t.Errorf("%d buckets after pruning", n)
	}
}

func TestCache(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, key := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
	ok := func(k string) bool { return e.do("GET", "/v1/whoami", bearer(k)...).Code == 200 }

	for range 50 {
		if !ok(key) {
			t.Fatal("refused")
		}
	}
	if n := e.st.lookups.Load(); n != 1 {
		t.Fatalf("%d store lookups for 50 requests, want 1", n)
	}

	// Disabled elsewhere: refused within the TTL, not before it.
	yes, no := true, false
	if err := e.st.UpdateClient(ctx, id, store.ClientUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(29 * time.Second)
	if !ok(key) {
		t.Fatal("refused from the cache before the TTL")
	}
	e.clock.Advance(time.Second)
	if ok(key) {
		t.Fatal("a disabled client was allowed after the cache TTL")
	}
	// Enabled again: the refusal is cached as long.
	if err := e.st.UpdateClient(ctx, id, store.ClientUpdate{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	if ok(key) {
		t.Fatal("re-enabled before the TTL")
	}
	e.clock.Advance(30 * time.Second)
	if !ok(key) {
		t.Fatal("refused after re-enabling and the TTL")
	}

	// Forget applies a change at once.
	if err := e.st.UpdateClient(ctx, id, store.ClientUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	e.a.Forget(id)
	if ok(key) {
		t.Fatal("allowed after disabling and Forget")
	}
	if err := e.st.UpdateClient(ctx, id, store.ClientUpdate{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	e.a.Forget(id)

	// A rotated key: the new one works at once, the old one until the TTL.
	if !ok(key) {
		t.Fatal("refused after re-enabling and Forget")
	}
	newKey, newHash := auth.NewKey()
	if err := e.st.RotateClientKey(ctx, id, newHash); err != nil {
		t.Fatal(err)
	}
	if !ok(newKey) || !ok(key) {
		t.Fatal("after rotating: want both keys accepted within the TTL")
	}
	e.clock.Advance(30 * time.Second)
	if !ok(newKey) || ok(key) {
		t.Fatal("after rotating and the TTL: want only the new key")
	}

	// Unknown keys are not cached: each one asks the store.
	unknown, _ := auth.NewKey()
	before := e.st.lookups.Load()
	for range 5 {
		ok(unknown)
	}
	if n := e.st.lookups.Load() - before; n != 5 {
		t.Errorf("%d lookups for 5 requests with an unknown key, want 5", n)
	}
	// A new client works at once.
	_, fresh := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
	if !ok(fresh) {
		t.Fatal("a new client was refused")
	}
}

func TestCacheBounded(t *testing.T) {
	e := newEnv(t)
	e.a = auth.New(e.st, auth.Options{Now: e.clock.Now, CacheSize: 3, Logger: slog.New(slog.DiscardHandler)})
	var keys []string
	for range 10 {
		_, k := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
		keys = append(keys, k)
	}
	for range 3 {
		for _, k := range keys {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("X-API-Key", k)
			if _, err := e.a.Identify(r); err != nil {
				t.Fatal(err)
			}
			if n := auth.CacheLen(e.a); n > 3 {
				t.Fatalf("cache holds %d entries, bound 3", n)
			}
		}
	}
}

func TestStoreDown(t *testing.T) {
	e := newEnv(t)
	_, key := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
	e.st.Store.Close()
	w := e.do("GET", "/v1/whoami", bearer(key)...)
	wantError(t, w, http.StatusServiceUnavailable, "unavailable")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-API-Key", key)
	if _, err := e.a.Identify(r); err == nil || errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Identify with the store closed = %v, want a store error", err)
	}
}

// No API key, nor its hash, appears in logs, error messages or answers.
func TestKeysNeverLogged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, key := e.add(t, auth.RoleDepartment, []string{"seal:A"}, 1, 1)
	disID, disKey := e.add(t, auth.RoleCaseSystem, nil, 0, 0)
	yes := true
	if err := e.st.UpdateClient(ctx, disID, store.ClientUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	unknown, _ := auth.NewKey()
	secrets := []string{key, disKey, unknown}

	var answers strings.Builder
	for _, req := range []struct {
		method, path string
		header       []string
	}{
		{"POST", "/v1/seals/A/stamp", bearer(key)},              // 404 from the handler
		{"POST", "/v1/seals/B/stamp", bearer(key)},              // 429
		{"POST", "/v1/verify", []string{"X-API-Key", key}},      // 429
		{"GET", "/v1/whoami", bearer(unknown)},                  // 401
		{"GET", "/v1/whoami", bearer(disKey)},                   // 401
		{"GET", "/v1/whoami", bearer(key[:len(key)-1] + "!")},   // 401 malformed
		{"GET", "/v1/whoami", []string{"X-API-Key", key + "x"}}, // 401 malformed
	} {
		w := e.do(req.method, req.path, req.header...)
		fmt.Fprintf(&answers, "%d %v %s\n", w.Code, w.Header(), w.Body)
	}
	e.clock.Advance(time.Second)
	w := e.do("POST", "/v1/seals/B/stamp", bearer(key)...) // 403
	fmt.Fprintf(&answers, "%d %v %s\n", w.Code, w.Header(), w.Body)
	for _, k := range []string{key, disKey, unknown} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+k)
		if _, err := e.a.Identify(r); err != nil {
			fmt.Fprintln(&answers, err)
		}
	}

	logs := e.logs.String()
	if !strings.Contains(logs, id) || !strings.Contains(logs, "forbidden") || !strings.Contains(logs, "rate limited") {
		t.Errorf("the log lacks the refusals of client %s:\n%s", id, logs)
	}
	for _, k := range secrets {
		h := auth.HashKey(k)
		for _, s := range []string{k, k[len("esk_"):], k[len("esk_") : len("esk_")+16], hex.EncodeToString(h), base64.StdEncoding.EncodeToString(h)} {
			if strings.Contains(logs, s) {
				t.Errorf("the log holds %q:\n%s", s, logs)
			}
			if strings.Contains(answers.String(), s) {
				t.Errorf("an answer or error holds %q:\n%s", s, answers.String())
			}
		}
	}
}

// Many clients at once, under -race.
func TestConcurrent(t *testing.T) {
	e := newEnv(t)
	e.a = auth.New(e.st, auth.Options{CacheTTL: time.Millisecond, CacheSize: 4, Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.Handle("/", e.a.Require(auth.Scopes(auth.ScopeVerify), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, auth.FromContext(r.Context()).ID)
	})))
	type cl struct{ id, key string }
	var clients []cl
	for i := range 8 {
		rate := 0.0
		if i%2 == 0 {
			rate = 1000
		}
		id, key := e.add(t, auth.RoleCaseSystem, nil, rate, 5)
		clients = append(clients, cl{id, key})
	}
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := range 32 {
		wg.Go(func() {
			for i := range 50 {
				c := clients[(g+i)%len(clients)]
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("X-API-Key", c.key)
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, r)
				switch {
				case w.Code == 200 && w.Body.String() == c.id:
				case w.Code == http.StatusTooManyRequests:
				default:
					bad.Add(1)
				}
				if i%10 == 0 {
					e.a.Forget(c.id)
				}
			}
		})
	}
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d requests answered wrongly", n)
	}
}

// BenchmarkIdentify compares identifying a client from the cache with its
// floor, the one SHA-256 of the key that every request needs.
func BenchmarkIdentify(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "eseal.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key, hash := auth.NewKey()
	if err := st.PutClient(ctx, store.ClientRecord{ID: "cl_bench", Name: "bench", Role: auth.RoleCaseSystem, KeyHash: hash}); err != nil {
		b.Fatal(err)
	}
	a := auth.New(st, auth.Options{CacheTTL: time.Hour})
	r := httptest.NewRequest("POST", "/v1/verify", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	if _, err := a.Identify(r); err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Identify(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.Identify(r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("sha256-key", func(b *testing.B) {
		b.ReportAllocs()
		var sink [32]byte
		for b.Loop() {
			var buf [64]byte // no allocation, as Identify hashes
			sink = sha256.Sum256(append(buf[:0], key...))
		}
		_ = sink
	})
}
