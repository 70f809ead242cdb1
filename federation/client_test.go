package federation

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal-project/eseal/license"
)

// statusServer is a region's node answering GET /v1/licenses/{id}/status
// with signed answers, as internal/api does.
type statusServer struct {
	*httptest.Server
	clk *clock

	mu   sync.Mutex
	hits int
	cfg  answerSettings
}

// answerSettings say how a statusServer answers.
type answerSettings struct {
	signer   crypto.Signer
	region   string
	status   string
	about    string        // answer about this identifier instead
	skew     time.Duration // the server's clock minus ours
	body     string        // answer this instead of a signed answer
	notFound bool
	delay    time.Duration
	hang     chan struct{} // if set, do not answer until it is closed
}

func newStatusServer(t *testing.T, signer crypto.Signer, region string, clk *clock) *statusServer {
	s := &statusServer{clk: clk, cfg: answerSettings{signer: signer, region: region, status: license.StatusValid}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/licenses/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits++
		c := s.cfg
		s.mu.Unlock()
		if c.hang != nil {
			select {
			case <-c.hang:
			case <-r.Context().Done():
			}
			return
		}
		time.Sleep(c.delay)
		id := r.PathValue("id")
		if c.notFound {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"not-found","message":"no license `+id+` here"}`)
			return
		}
		if c.body != "" {
			io.WriteString(w, c.body)
			return
		}
		if c.about != "" {
			id = c.about
		}
		now := s.clk.Now().Add(c.skew)
		tok, err := SignStatus(&StatusAnswer{Identifier: id, Status: c.status, ProducedAt: now, NextUpdate: now.Add(5 * time.Minute), Region: c.region}, c.signer)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", MediaTypeJOSE)
		io.WriteString(w, tok)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *statusServer) set(fn func(c *answerSettings)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.cfg)
}

func (s *statusServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// statusSetup is a federation whose 浙江 node is a statusServer.
type statusSetup struct {
	f     *federation
	clk   *clock
	srv   *statusServer
	trust atomic.Pointer[TrustList]
	id    string
}

func newStatusSetup(t *testing.T) *statusSetup {
	f := newFederation(t)
	s := &statusSetup{f: f, clk: newClock(f.now)}
	s.srv = newStatusServer(t, f.nodeZJ, "330000", s.clk)
	f.endpointsZJ = []string{s.srv.URL}
	s.trust.Store(f.parsed(t, 1))
	s.id = licenseID(t, usccZJ, 2430599)
	return s
}

func (s *statusSetup) client() *StatusClient {
	return &StatusClient{Trust: func() (*TrustList, error) { return s.trust.Load(), nil }, Now: s.clk.Now}
}

func TestStatusFreshThenCached(t *testing.T) {
	s := newStatusSetup(t)
	c := s.client()
	ctx := context.Background()

	r, err := c.Status(ctx, s.id)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := license.KeyID(s.f.nodeZJ.Public())
	if r.Cached || r.Answer.Status != license.StatusValid || r.Answer.Identifier != s.id || r.Answer.Region != "330000" ||
		r.RegionName != "浙江省" || r.KeyID != kid || r.Token == "" || r.Age != 0 {
		t.Errorf("fresh answer: %+v", r)
	}
	if n := s.srv.requests(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}

	// Within nextUpdate the answer is reused.
	s.clk.Add(2 * time.Minute)
	r, err = c.Status(ctx, s.id)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Cached || r.Age != 2*time.Minute {
		t.Errorf("second answer: cached %v, age %v; want cached, 2m", r.Cached, r.Age)
	}
	if st, at, err := c.LicenseStatus(ctx, s.id); err != nil || st != license.StatusValid || !at.Equal(s.f.now) {
		t.Errorf("LicenseStatus = %s, %v, %v", st, at, err)
	}
	if n := s.srv.requests(); n != 1 {
		t.Fatalf("%d requests, want 1: the cached answer was not reused", n)
	}

	// At nextUpdate the region is asked again.
	s.clk.Add(3 * time.Minute)
	s.srv.set(func(s *answerSettings) { s.status = license.StatusRevoked })
	r, err = c.Status(ctx, s.id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cached || r.Answer.Status != license.StatusRevoked {
		t.Errorf("after nextUpdate: %+v", r)
	}
	if n := s.srv.requests(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}

	// MaxAge makes answers older than it go back to the region.
	c.MaxAge = time.Minute
	s.clk.Add(90 * time.Second)
	if r, err := c.Status(ctx, s.id); err != nil || r.Cached {
		t.Errorf("past MaxAge: %+v, %v; want a fresh answer", r, err)
	}
}

func TestStatusUnreachable(t *testing.T) {
	s := newStatusSetup(t)
	c := s.client()
	ctx := context.Background()
	if _, err := c.Status(ctx, s.id); err != nil {
		t.Fatal(err)
	}
	s.srv.Close()

	// Still current: the cached answer serves.
	s.clk.Add(time.Minute)
	if r, err := c.Status(ctx, s.id); err != nil || !r.Cached {
		t.Fatalf("cached answer while the region is down: %+v, %v", r, err)
	}

	// Stale: the error says the region is unreachable and the cached
	// answer is stale, and carries it.
	s.clk.Add(10 * time.Minute)
	_, err := c.Status(ctx, s.id)
	var ue *UnreachableError
	if !errors.Is(err, ErrUnreachable) || !errors.As(err, &ue) {
		t.Fatalf("got %v, want an UnreachableError", err)
	}
	if ue.Stale == nil || ue.Stale.Answer.Status != license.StatusValid || ue.Stale.Age != 11*time.Minute {
		t.Errorf("stale answer: %+v", ue.Stale)
	}
	for _, want := range []string{"region 330000 (浙江省) is unreachable", s.id, "the cached answer (valid, produced at", "is stale"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	// A license never asked about: nothing cached.
	_, err = c.Status(ctx, licenseID(t, usccZJ, 77))
	if !errors.As(err, &ue) || ue.Stale != nil || !strings.Contains(err.Error(), "no answer is cached") {
		t.Errorf("got %v, want an UnreachableError with no answer cached", err)
	}
}

func TestStatusTimeouts(t *testing.T) {
	s := newStatusSetup(t)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	s.srv.set(func(s *answerSettings) { s.hang = hang })

	for _, tc := range []struct {
		name    string
		timeout time.Duration // the client's
		ctx     time.Duration // the caller's
	}{
		{"caller's deadline", time.Minute, 100 * time.Millisecond},
		{"client's timeout", 100 * time.Millisecond, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.client()
			c.Timeout = tc.timeout
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			start := time.Now()
			_, err := c.Status(ctx, s.id)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want ErrUnreachable and DeadlineExceeded", err)
			}
		})
	}
}

func TestStatusRefusedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(s *answerSettings, f *federation)
		want error
		says string
	}{
		{"key the list does not know", func(s *answerSettings, f *federation) { s.signer = sm2Key(t) }, ErrBadAnswer,
			"does not list as a node key of region 330000 (浙江省)"},
		{"issuer key, not a node key", func(s *answerSettings, f *federation) { s.signer = f.issuerZJ }, ErrBadAnswer,
			"does not list as a node key"},
		{"node key of another region", func(s *answerSettings, f *federation) { s.signer = f.nodeSD }, ErrBadAnswer,
			"a node key of region 370000 (山东省), not of region 330000 (浙江省)"},
		{"answer about another license", func(s *answerSettings, f *federation) { s.about = licenseID(t, usccZJ, 1) }, ErrBadAnswer,
			"the answer is about 1.2.156.3005.2." + typeEx + "." + usccZJ + ".1.001."},
		{"answer naming another region", func(s *answerSettings, f *federation) { s.region = "370000" }, ErrBadAnswer,
			"names region 370000, not 330000"},
		{"answer already past nextUpdate", func(s *answerSettings, f *federation) { s.skew = -10 * time.Minute }, ErrBadAnswer,
			"was good until"},
		{"answer from the future", func(s *answerSettings, f *federation) { s.skew = time.Hour }, ErrBadAnswer,
			"in the future"},
		{"not a JWS", func(s *answerSettings, f *federation) { s.body = "OK" }, ErrBadAnswer, "not a compact JWS"},
		{"a trust list instead", func(s *answerSettings, f *federation) { s.body = f.sign(t, f.list(t, 1)) }, ErrBadAnswer,
			`type is "eseal-trustlist+jws"`},
		{"unknown license", func(s *answerSettings, f *federation) { s.notFound = true }, ErrUnknownLicense, "HTTP 404: no license"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStatusSetup(t)
			s.srv.set(func(srv *answerSettings) { tc.set(srv, s.f) })
			_, err := s.client().Status(context.Background(), s.id)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want %v saying %q", err, tc.want, tc.says)
			}
			if errors.Is(err, ErrUnreachable) {
				t.Error("a refused answer is reported as an unreachable region")
			}
		})
	}
}

func TestStatusRegionOfLicense(t *testing.T) {
	s := newStatusSetup(t)
	c := s.client()
	ctx := context.Background()
	if _, err := c.Status(ctx, licenseID(t, usccJL, 1)); !errors.Is(err, ErrRegionNotActive) || !strings.Contains(err.Error(), "220000 (吉林省), which is suspended") {
		t.Errorf("license of a suspended region: %v", err)
	}
	if _, err := c.Status(ctx, licenseID(t, usccXX, 1)); !errors.Is(err, ErrUnknownRegion) {
		t.Errorf("license of an issuer in no region: %v", err)
	}
	if _, err := c.Status(ctx, "1.2.156.3005.2.x"); err == nil {
		t.Error("a malformed identifier was looked up")
	}
	if n := s.srv.requests(); n != 0 {
		t.Errorf("%d requests", n)
	}
	// 山东 has no reachable node in the test: its endpoint's host is in
	// .invalid (RFC 6761), so the error is about reaching it.
	c.Timeout = 2 * time.Second
	if _, err := c.Status(ctx, licenseID(t, usccSD1, 1)); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "370000 (山东省)") {
		t.Errorf("license of 山东: %v", err)
	}
}

func TestStatusSecondEndpoint(t *testing.T) {
	s := newStatusSetup(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	s.f.endpointsZJ = []string{dead.URL, s.srv.URL + "/"}
	s.trust.Store(s.f.parsed(t, 2))
	if _, err := s.client().Status(context.Background(), s.id); err != nil {
		t.Fatal(err)
	}
}

func TestStatusOneRequestForConcurrentCallers(t *testing.T) {
	s := newStatusSetup(t)
	s.srv.set(func(s *answerSettings) { s.delay = 100 * time.Millisecond })
	c := s.client()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Status(context.Background(), s.id)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.srv.requests(); n != 1 {
		t.Errorf("%d requests for 20 concurrent callers, want 1", n)
	}
}

func TestStatusCacheFollowsTrustList(t *testing.T) {
	s := newStatusSetup(t)
	c := s.client()
	ctx := context.Background()
	if _, err := c.Status(ctx, s.id); err != nil {
		t.Fatal(err)
	}
	// A new list that says the same about 浙江: the cached answer stands.
	s.trust.Store(s.f.parsed(t, 2))
	if r, err := c.Status(ctx, s.id); err != nil || !r.Cached {
		t.Fatalf("after an unrelated list change: %+v, %v", r, err)
	}
	// 浙江 rolls its node key: the answer signed with the old key no longer
	// counts, and the region is asked again.
	newKey := sm2Key(t)
	tl := s.f.list(t, 3)
	tl.Regions[0].NodeKeys = []Key{{PublicKey: pubPEM(t, newKey.Public())}}
	p, err := ParseAt(s.f.sign(t, tl), s.f.now, s.f.fedKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	s.trust.Store(p)
	s.srv.set(func(s *answerSettings) { s.signer = newKey })
	if r, err := c.Status(ctx, s.id); err != nil || r.Cached {
		t.Fatalf("after the key roll: %+v, %v; want a fresh answer", r, err)
	}
	if n := s.srv.requests(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// mapCache is a StatusCache in memory, as the store's settings would be.
type mapCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (m *mapCache) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	if !ok {
		return nil, errors.New("not found")
	}
	return v, nil
}

func (m *mapCache) Put(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = value
	return nil
}

func TestStatusPersistentCache(t *testing.T) {
	s := newStatusSetup(t)
	cache := &mapCache{m: map[string][]byte{}}
	ctx := context.Background()
	c1 := s.client()
	c1.Cache = cache
	if _, err := c1.Status(ctx, s.id); err != nil {
		t.Fatal(err)
	}
	// Another replica, or this one restarted, uses the cached answer.
	c2 := s.client()
	c2.Cache = cache
	s.clk.Add(time.Minute)
	r, err := c2.Status(ctx, s.id)
	if err != nil || !r.Cached || r.Age != time.Minute {
		t.Fatalf("from the persistent cache: %+v, %v", r, err)
	}
	if n := s.srv.requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	// What the cache holds is verified: a forged entry is not used.
	var stored storedAnswer
	json.Unmarshal(cache.m[cacheKeyPrefix+s.id], &stored)
	stored.Token = flip(stored.Token, 1)
	cache.m[cacheKeyPrefix+s.id], _ = json.Marshal(stored)
	c3 := s.client()
	c3.Cache = cache
	if r, err := c3.Status(ctx, s.id); err != nil || r.Cached {
		t.Fatalf("with a forged cache entry: %+v, %v; want a fresh answer", r, err)
	}
}

func TestSignVerifyStatus(t *testing.T) {
	f := newFederation(t)
	tl := f.parsed(t, 1)
	id := licenseID(t, usccZJ, 5)
	next := licenseID(t, usccZJ, 6)
	a := &StatusAnswer{Identifier: id, Status: license.StatusReplaced, ReplacedBy: next, ProducedAt: f.now, NextUpdate: f.now.Add(time.Hour), Region: "330000"}
	tok, err := SignStatus(a, f.nodeZJ)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyStatus(tok, tl, id, f.now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if *got != *a {
		t.Errorf("verified %+v, signed %+v", got, a)
	}
	if _, err := VerifyStatus(tok, tl, id, f.now.Add(time.Hour)); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("at nextUpdate: %v", err)
	}
	if _, err := VerifyStatus(tok, tl, next, f.now); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("for another license: %v", err)
	}
	if _, err := VerifyStatus(flip(tok, 1), tl, id, f.now); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("tampered: %v", err)
	}

	for _, tc := range []struct {
		name string
		edit func(a *StatusAnswer)
		says string
	}{
		{"unknown status", func(a *StatusAnswer) { a.Status = "ok" }, "want valid, suspended"},
		{"replacedBy of a valid license", func(a *StatusAnswer) { a.Status = license.StatusValid }, "not replaced"},
		{"bad identifier", func(a *StatusAnswer) { a.Identifier = "1.2.3" }, "identifier"},
		{"nextUpdate not after producedAt", func(a *StatusAnswer) { a.NextUpdate = a.ProducedAt }, "is not after producedAt"},
		{"bad region", func(a *StatusAnswer) { a.Region = "33" }, "region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := *a
			tc.edit(&b)
			if _, err := SignStatus(&b, f.nodeZJ); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want an error saying %q", err, tc.says)
			}
		})
	}
}
