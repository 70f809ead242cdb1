// The trust list a node works with: loaded from the federation (a URL or a
// file) at start and every Interval, kept only if it verifies, has not
// expired and is newer than the one in force, and cached on disk so that a
// node restarted while the federation is unreachable works on until the
// cached list expires.

package federation

import (
	"github.com/eseal-project/eseal/internal/atomicfile"

	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eseal-project/eseal/license"
)

// Defaults of StoreOptions.
const (
	DefaultRefreshInterval = 15 * time.Minute
	DefaultFetchTimeout    = 30 * time.Second
)

// maxListSize bounds what is read from a source: hundreds of regions with
// a few certificates each are well under a megabyte.
const maxListSize = 8 << 20

// ErrNoTrustList: no list has been loaded yet.
var ErrNoTrustList = errors.New("no trust list loaded")

// StoreOptions configures a Store.
type StoreOptions struct {
	// Source is where the list is published: an http(s) URL (another
	// node's GET /v1/trustlist, say), or a file (file:PATH or a path).
	Source string
	// FederationKeys verify the list; during a key rollover, give both.
	FederationKeys []crypto.PublicKey
	// CacheFile keeps the last good list; "" keeps none, and a restarted
	// node then has no list until the source answers.
	CacheFile string
	// Interval between refreshes; DefaultRefreshInterval if zero.
	Interval time.Duration
	// Timeout of one fetch; DefaultFetchTimeout if zero.
	Timeout time.Duration
	// HTTPClient fetches http(s) sources; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Logger reports refreshes and failures; slog.Default() if nil.
	Logger *slog.Logger
}

// Store holds the trust list in force. It is safe for concurrent use.
type Store struct {
	opts StoreOptions

	refreshMu sync.Mutex // one refresh at a time

	mu            sync.Mutex
	cur           *TrustList // may have expired; never replaced by an older one
	fromCache     bool
	loadedAt      time.Time
	lastAttempt   time.Time
	lastSuccess   time.Time
	lastErr       error
	cacheDirty    bool // cur is not in the cache file yet
	expiredLogged bool
}

// StoreStatus is a Store's state, for metrics and health checks.
type StoreStatus struct {
	Source     string    `json:"source"`
	Loaded     bool      `json:"loaded"` // a list is held, current or not
	Federation string    `json:"federation,omitempty"`
	Sequence   uint64    `json:"sequence,omitempty"`
	Digest     string    `json:"digest,omitempty"`
	IssuedAt   time.Time `json:"issuedAt,omitzero"`
	NextUpdate time.Time `json:"nextUpdate,omitzero"`
	// Age is how old the list is (now - issuedAt); ExpiresIn is how long
	// until its nextUpdate, negative once it has expired.
	Age       time.Duration `json:"age"`
	ExpiresIn time.Duration `json:"expiresIn"`
	Expired   bool          `json:"expired"`
	// FromCache says the list was read from the cache file and not yet
	// confirmed by the source.
	FromCache   bool      `json:"fromCache"`
	LoadedAt    time.Time `json:"loadedAt,omitzero"`
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
}

// NewStore makes a store and reads the cache file, if there is one; it
// does not reach the source (Refresh and Run do). A cache file that does
// not verify is ignored and reported in Status; an expired one still
// guards against rollback.
func NewStore(opts StoreOptions) (*Store, error) {
	if opts.Source == "" {
		return nil, errors.New("trust list store: no source: give the URL or file the federation publishes the list at")
	}
	if len(opts.FederationKeys) == 0 {
		return nil, errors.New("trust list store: no federation key")
	}
	s := &Store{opts: opts}
	if opts.CacheFile == "" {
		return s, nil
	}
	b, err := os.ReadFile(opts.CacheFile)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trust list cache: %w", err)
	}
	now := s.now()
	tl, err := ParseAt(string(b), now, opts.FederationKeys...)
	var exp *ExpiredError
	switch {
	case errors.As(err, &exp):
		tl = exp.List
		s.log().Error("the cached federation trust list has expired; licenses of other regions cannot be verified until a newer list is loaded",
			"file", opts.CacheFile, "list", tl.String(), "expired", rfc3339(tl.NextUpdate))
		s.expiredLogged = true
	case err != nil:
		s.lastErr = fmt.Errorf("cache file %s: %w", opts.CacheFile, err)
		s.log().Warn("ignoring the trust list cache file", "file", opts.CacheFile, "err", err)
		return s, nil
	}
	s.cur, s.fromCache, s.loadedAt = tl, true, now
	return s, nil
}

func (s *Store) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *Store) log() *slog.Logger {
	if s.opts.Logger != nil {
		return s.opts.Logger
	}
	return slog.Default()
}

// Current returns the list in force. Before any list is loaded it returns
// an error wrapping ErrNoTrustList; once the list has expired, an
// *ExpiredError that says why no newer one was loaded.
func (s *Store) Current() (*TrustList, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		why := "not fetched yet"
		if s.lastErr != nil {
			why = s.lastErr.Error()
		}
		return nil, fmt.Errorf("%w from %s: %s", ErrNoTrustList, s.opts.Source, why)
	}
	if s.cur.Expired(now) {
		s.logExpired(now)
		return nil, &ExpiredError{List: s.cur, Now: now, Refresh: s.lastErr}
	}
	return s.cur, nil
}

// Token is the signed list in force, for serving it (GET /v1/trustlist) to
// nodes that load it from this one.
func (s *Store) Token() (string, error) {
	tl, err := s.Current()
	if err != nil {
		return "", err
	}
	return tl.Token(), nil
}

// IssuerKeys is TrustList.IssuerKeys of the list in force at each lookup,
// so that it follows refreshes; once the list has expired, every lookup
// fails with the expiry.
func (s *Store) IssuerKeys() license.KeyLookup {
	return func(kid string) (*license.IssuerKey, error) {
		tl, err := s.Current()
		if err != nil {
			return nil, err
		}
		return tl.IssuerKeys()(kid)
	}
}

// logExpired says once that the list in force has expired. s.mu is held.
func (s *Store) logExpired(now time.Time) {
	if s.expiredLogged {
		return
	}
	s.expiredLogged = true
	s.log().Error("the federation trust list has expired; licenses of other regions cannot be verified until a newer list is loaded",
		"list", s.cur.String(), "expired", rfc3339(s.cur.NextUpdate), "source", s.opts.Source, "lastError", errString(s.lastErr))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Status reports the store's state.
func (s *Store) Status() StoreStatus {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := StoreStatus{Source: s.opts.Source, FromCache: s.fromCache, LoadedAt: s.loadedAt,
		LastAttempt: s.lastAttempt, LastSuccess: s.lastSuccess, LastError: errString(s.lastErr)}
	if tl := s.cur; tl != nil {
		st.Loaded = true
		st.Federation, st.Sequence, st.Digest = tl.Federation, tl.Sequence, tl.Digest()
		st.IssuedAt, st.NextUpdate = tl.IssuedAt, tl.NextUpdate
		st.Age, st.ExpiresIn = now.Sub(tl.IssuedAt), tl.NextUpdate.Sub(now)
		st.Expired = tl.Expired(now)
	}
	return st
}

// Run refreshes the list now and every Interval until ctx is done. Errors
// are logged and kept in Status.
func (s *Store) Run(ctx context.Context) error {
	interval := s.opts.Interval
	if interval <= 0 {
		interval = DefaultRefreshInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Refresh(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Refresh fetches the list from the source and puts it in force if it
// verifies, has not expired and is newer than the list in force. The same
// list again is not an error.
func (s *Store) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	now := s.now()
	token, err := s.fetch(ctx)
	if err != nil {
		return s.failed(now, fmt.Errorf("fetching the trust list from %s: %w", s.opts.Source, err))
	}
	tl, err := ParseAt(token, now, s.opts.FederationKeys...)
	if err != nil {
		return s.failed(now, fmt.Errorf("the trust list from %s: %w", s.opts.Source, err))
	}
	s.mu.Lock()
	prev, dirty := s.cur, s.cacheDirty
	s.mu.Unlock()
	err = CheckSuccessor(prev, tl)
	switch {
	case errors.Is(err, ErrUnchanged):
		tl = prev
	case err != nil:
		return s.failed(now, fmt.Errorf("refusing the trust list from %s: %w", s.opts.Source, err))
	default:
		dirty = true
	}
	var cacheErr error
	if dirty && s.opts.CacheFile != "" {
		if cacheErr = writeFileAtomic(s.opts.CacheFile, []byte(tl.Token()+"\n")); cacheErr != nil {
			cacheErr = fmt.Errorf("writing the trust list cache: %w", cacheErr)
			s.log().Error("trust list cache", "file", s.opts.CacheFile, "err", cacheErr)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAttempt, s.lastSuccess, s.lastErr = now, now, cacheErr
	s.cacheDirty = cacheErr != nil
	s.fromCache = false
	if tl != prev {
		s.cur, s.loadedAt, s.expiredLogged = tl, now, false
		args := []any{"list", tl.String(), "nextUpdate", rfc3339(tl.NextUpdate), "regions", len(tl.Regions), "digest", tl.Digest()}
		if prev != nil {
			args = append(args, "previous", prev.Sequence)
		}
		s.log().Info("federation trust list in force", args...)
	}
	return cacheErr
}

func (s *Store) failed(now time.Time, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAttempt, s.lastErr = now, err
	s.log().Warn("trust list refresh failed", "err", err)
	if s.cur != nil && s.cur.Expired(now) {
		s.logExpired(now)
	}
	return err
}

func (s *Store) fetch(ctx context.Context) (string, error) {
	timeout := s.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	src := s.opts.Source
	var r io.Reader
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Accept", MediaTypeJOSE)
		hc := s.opts.HTTPClient
		if hc == nil {
			hc = http.DefaultClient
		}
		resp, err := hc.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				return "", ue.Err
			}
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return "", fmt.Errorf("HTTP %d%s", resp.StatusCode, apiMessage(b))
		}
		r = resp.Body
	} else {
		f, err := os.Open(strings.TrimPrefix(src, "file:"))
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxListSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxListSize {
		return "", fmt.Errorf("the trust list is larger than %d bytes", maxListSize)
	}
	return string(b), nil
}

// writeFileAtomic writes data through a synced temporary file in the same
// directory and a rename, so that a crash leaves the old file or the new
// one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}
