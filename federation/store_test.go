package federation

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eseal-project/eseal/license"
)

// listServer publishes a trust list as a node's GET /v1/trustlist does.
type listServer struct {
	*httptest.Server
	mu    sync.Mutex
	token string
	hits  int
}

func newListServer(t *testing.T, token string) *listServer {
	s := &listServer{token: token}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		tok := s.token
		s.hits++
		s.mu.Unlock()
		if r.URL.Path != "/v1/trustlist" {
			http.NotFound(w, r)
			return
		}
		if tok == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"no-trust-list","message":"this node has no trust list yet"}`)
			return
		}
		w.Header().Set("Content-Type", MediaTypeJOSE)
		io.WriteString(w, tok)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *listServer) set(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

func (s *listServer) url() string { return s.URL + "/v1/trustlist" }

// logBuffer collects a store's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (f *federation) storeOptions(source, cache string, clk *clock, log io.Writer) StoreOptions {
	if log == nil {
		log = io.Discard
	}
	return StoreOptions{
		Source:         source,
		FederationKeys: []crypto.PublicKey{f.fedKey.Public()},
		CacheFile:      cache,
		Now:            clk.Now,
		Logger:         slog.New(slog.NewTextHandler(log, nil)),
	}
}

func mustCurrent(t *testing.T, st *Store, seq uint64) *TrustList {
	t.Helper()
	tl, err := st.Current()
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	if tl.Sequence != seq {
		t.Fatalf("Current is #%d, want #%d", tl.Sequence, seq)
	}
	return tl
}

func TestStoreRefresh(t *testing.T) {
	f := newFederation(t)
	clk := newClock(f.now)
	srv := newListServer(t, "")
	cache := filepath.Join(t.TempDir(), "federation", "trustlist.jws")
	st, err := NewStore(f.storeOptions(srv.url(), cache, clk, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if _, err := st.Current(); !errors.Is(err, ErrNoTrustList) || !strings.Contains(err.Error(), "not fetched yet") {
		t.Fatalf("before any refresh: %v", err)
	}
	if err := st.Refresh(ctx); err == nil || !strings.Contains(err.Error(), "HTTP 503: this node has no trust list yet") {
		t.Fatalf("refresh from a node without a list: %v", err)
	}
	if _, err := st.Current(); !errors.Is(err, ErrNoTrustList) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("after a failed refresh: %v", err)
	}

	tok1 := f.sign(t, f.list(t, 1))
	srv.set(tok1)
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	mustCurrent(t, st, 1)
	if b, err := os.ReadFile(cache); err != nil || strings.TrimSpace(string(b)) != tok1 {
		t.Fatalf("cache file after the first list: %v", err)
	}

	list2 := f.list(t, 2)
	tok2 := f.sign(t, list2)
	srv.set(tok2)
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	two := mustCurrent(t, st, 2)
	if s := st.Status(); s.Sequence != 2 || s.LastError != "" || s.FromCache || !s.Loaded || s.Expired || s.LastSuccess.IsZero() {
		t.Errorf("status after #2: %+v", s)
	}

	changed := f.list(t, 2)
	changed.Regions[0].Status = RegionSuspended
	other := sm2Key(t)
	signedByOther, err := Sign(f.list(t, 3), other)
	if err != nil {
		t.Fatal(err)
	}
	short := f.list(t, 3)
	short.NextUpdate = f.now.Add(time.Hour)
	expiring := f.sign(t, short)

	for _, tc := range []struct {
		name, token string
		want        error
		at          time.Duration // clock offset from f.now
		says        string
	}{
		{"rolled back to #1", tok1, ErrRollback, 0, "#1 is older than the current"},
		{"#2 again with other content", f.sign(t, changed), ErrRollback, 0, "other content"},
		{"#3 signed by another key", signedByOther, ErrSignature, 0, "not a federation key"},
		{"#3 but expired", expiring, ErrExpired, 2 * time.Hour, "#3 expired at"},
		{"not a trust list", "<html>maintenance</html>", ErrMalformed, 0, "not a compact JWS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.mu.Lock()
			clk.t = f.now.Add(tc.at)
			clk.mu.Unlock()
			srv.set(tc.token)
			if err := st.Refresh(ctx); !errors.Is(err, tc.want) {
				t.Fatalf("Refresh: %v, want %v", err, tc.want)
			}
			if got := mustCurrent(t, st, 2); got != two {
				t.Fatal("the list in force changed")
			}
			if s := st.Status(); !strings.Contains(s.LastError, tc.says) {
				t.Errorf("status says %q", s.LastError)
			}
		})
	}

	// The same list signed again is no change, and clears the error.
	srv.set(f.sign(t, list2))
	if err := st.Refresh(ctx); err != nil {
		t.Fatalf("the same list signed again: %v", err)
	}
	if got := mustCurrent(t, st, 2); got != two {
		t.Error("the same list signed again replaced the list in force")
	}
	if st.Status().LastError != "" {
		t.Error("the error stayed after a good refresh")
	}
	if b, _ := os.ReadFile(cache); strings.TrimSpace(string(b)) != tok2 {
		t.Error("the cache file does not hold #2")
	}
}

func TestStoreOutageRestartAndExpiry(t *testing.T) {
	f := newFederation(t)
	clk := newClock(f.now)
	cache := filepath.Join(t.TempDir(), "trustlist.jws")
	srv := newListServer(t, f.sign(t, f.list(t, 5)))
	st, err := NewStore(f.storeOptions(srv.url(), cache, clk, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	// The federation goes away: the node works on.
	deadURL := srv.url()
	srv.Close()
	if err := st.Refresh(ctx); err == nil {
		t.Fatal("refresh from a closed server succeeded")
	}
	mustCurrent(t, st, 5)
	if s := st.Status(); s.LastError == "" || s.Sequence != 5 {
		t.Errorf("status during the outage: %+v", s)
	}

	// The node restarts during the outage: it works on the cached list.
	var log logBuffer
	clk.Add(time.Hour)
	st2, err := NewStore(f.storeOptions(deadURL, cache, clk, &log))
	if err != nil {
		t.Fatal(err)
	}
	mustCurrent(t, st2, 5)
	kidZJ, _ := license.KeyID(f.issuerZJ.Public())
	if k, err := st2.IssuerKeys()(kidZJ); err != nil || k.IssuerCode != usccZJ {
		t.Errorf("issuer key from the cached list: %v", err)
	}
	if tok, err := st2.Token(); err != nil || tok == "" {
		t.Errorf("Token from the cached list: %v", err)
	}
	if s := st2.Status(); !s.FromCache || s.Age != time.Hour {
		t.Errorf("status after the restart: %+v", s)
	}
	refreshErr := st2.Refresh(ctx)
	if refreshErr == nil {
		t.Fatal("refresh from a closed server succeeded")
	}
	mustCurrent(t, st2, 5)

	// The cached list expires: the store says so, with why no newer list
	// came, and logs it once.
	clk.Add(30 * 24 * time.Hour)
	for range 3 {
		_, err = st2.Current()
	}
	var exp *ExpiredError
	if !errors.As(err, &exp) || exp.List.Sequence != 5 {
		t.Fatalf("after the expiry: %v", err)
	}
	nextUpdate := f.now.Add(30 * 24 * time.Hour).Format(time.RFC3339)
	for _, want := range []string{"expired at " + nextUpdate, "1h0m0s ago", "no newer list could be loaded", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if s := st2.Status(); !s.Expired || s.ExpiresIn != -time.Hour {
		t.Errorf("status after the expiry: %+v", s)
	}
	if _, err := st2.IssuerKeys()(kidZJ); !errors.Is(err, ErrExpired) {
		t.Errorf("issuer key lookup after the expiry: %v", err)
	}
	if _, err := st2.Token(); !errors.Is(err, ErrExpired) {
		t.Errorf("Token after the expiry: %v", err)
	}
	if n := strings.Count(log.String(), "has expired"); n != 1 {
		t.Errorf("the expiry was logged %d times, want once:\n%s", n, log.String())
	}

	// Restarted again with the expired cache: still no rollback to an
	// older list, and a newer one is taken.
	srv4 := newListServer(t, "")
	st3, err := NewStore(f.storeOptions(srv4.url(), cache, clk, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st3.Current(); !errors.Is(err, ErrExpired) {
		t.Fatalf("restart with an expired cache: %v", err)
	}
	later := *f
	later.now = clk.Now()
	srv4.set(later.sign(t, later.list(t, 4)))
	if err := st3.Refresh(ctx); !errors.Is(err, ErrRollback) {
		t.Fatalf("older list after a restart with an expired cache: %v", err)
	}
	srv4.set(later.sign(t, later.list(t, 6)))
	if err := st3.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	mustCurrent(t, st3, 6)
}

func TestStoreRestartRefusesRollback(t *testing.T) {
	f := newFederation(t)
	clk := newClock(f.now)
	cache := filepath.Join(t.TempDir(), "trustlist.jws")
	if err := os.WriteFile(cache, []byte(f.sign(t, f.list(t, 9))), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := newListServer(t, f.sign(t, f.list(t, 8)))
	st, err := NewStore(f.storeOptions(srv.url(), cache, clk, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh(context.Background()); !errors.Is(err, ErrRollback) {
		t.Fatalf("got %v, want ErrRollback", err)
	}
	mustCurrent(t, st, 9)
}

func TestStoreBadCacheFile(t *testing.T) {
	f := newFederation(t)
	clk := newClock(f.now)
	cache := filepath.Join(t.TempDir(), "trustlist.jws")
	// Tampered: a list with one byte of its payload changed.
	if err := os.WriteFile(cache, []byte(flip(f.sign(t, f.list(t, 9)), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := newListServer(t, f.sign(t, f.list(t, 2)))
	st, err := NewStore(f.storeOptions(srv.url(), cache, clk, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Current(); !errors.Is(err, ErrNoTrustList) || !strings.Contains(err.Error(), "cache file") {
		t.Fatalf("with a tampered cache: %v", err)
	}
	if err := st.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustCurrent(t, st, 2)
}

func TestStoreFileSource(t *testing.T) {
	f := newFederation(t)
	clk := newClock(f.now)
	dir := t.TempDir()
	path := filepath.Join(dir, "published.jws")
	if err := os.WriteFile(path, []byte(f.sign(t, f.list(t, 1))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{path, "file:" + path} {
		st, err := NewStore(f.storeOptions(src, "", clk, nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Refresh(context.Background()); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		mustCurrent(t, st, 1)
	}
	st, _ := NewStore(f.storeOptions(filepath.Join(dir, "missing.jws"), "", clk, nil))
	if err := st.Refresh(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestStoreRun(t *testing.T) {
	f := newFederation(t)
	clk := newClock(f.now)
	srv := newListServer(t, f.sign(t, f.list(t, 1)))
	opts := f.storeOptions(srv.url(), filepath.Join(t.TempDir(), "tl.jws"), clk, nil)
	opts.Interval = 5 * time.Millisecond
	st, err := NewStore(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- st.Run(ctx) }()
	// Readers while the store refreshes, for the race detector.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st.Current()
		st.Status()
		srv.mu.Lock()
		hits := srv.hits
		srv.mu.Unlock()
		if hits >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not refresh")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	mustCurrent(t, st, 1)
}

func TestNewStoreNeedsSourceAndKeys(t *testing.T) {
	if _, err := NewStore(StoreOptions{FederationKeys: []crypto.PublicKey{sm2Key(t).Public()}}); err == nil {
		t.Error("no source accepted")
	}
	if _, err := NewStore(StoreOptions{Source: "https://x.example/v1/trustlist"}); err == nil {
		t.Error("no federation key accepted")
	}
}
