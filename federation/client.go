// The cross-region status client: asks the issuing region's node for the
// status of a license, verifies the signed answer against the trust list,
// and caches it until its nextUpdate.

package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/eseal-project/eseal/license/ids"
)

// DefaultStatusTimeout bounds one status query to a region, all its
// endpoints together.
const DefaultStatusTimeout = 10 * time.Second

const (
	maxAnswerSize     = 64 << 10
	defaultMaxEntries = 10000
	cacheKeyPrefix    = "federation/status/"
)

// StatusCache keeps signed answers beyond the life of the process, for
// instance the settings of internal/store. Get returns an error (any) when
// it has nothing. What it holds is verified again when read.
type StatusCache interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
}

// StatusClient asks other regions for the status of their licenses. Set
// Trust; the rest is optional. It is safe for concurrent use; do not copy
// it after first use.
type StatusClient struct {
	// Trust returns the trust list in force, for instance Store.Current.
	Trust func() (*TrustList, error)
	// HTTPClient makes the requests; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Timeout bounds the query of one region; DefaultStatusTimeout if zero.
	Timeout time.Duration
	// Cache, if set, keeps answers across restarts and replicas.
	Cache StatusCache
	// MaxAge, if set, is the oldest answer (by producedAt) reused from the
	// cache even if its nextUpdate has not come.
	MaxAge time.Duration
	// MaxEntries bounds the in-memory cache; 10000 if zero.
	MaxEntries int
	// Now is the clock; time.Now if nil.
	Now func() time.Time

	mu       sync.Mutex
	mem      map[string]*statusEntry
	inflight map[string]*statusCall
}

// StatusResult is a verified answer.
type StatusResult struct {
	Answer     StatusAnswer
	Token      string // the signed answer, as evidence
	KeyID      string // the node key that signed it
	RegionName string
	FetchedAt  time.Time
	// Cached says the answer came from the cache, not from the region just
	// now; Age is how old it is (now - producedAt).
	Cached bool
	Age    time.Duration
}

// UnreachableError says that no node of a region answered. Stale is the
// last answer known, past its nextUpdate, if there is one.
type UnreachableError struct {
	Region     string
	RegionName string
	Identifier string
	Err        error
	Stale      *StatusResult
}

func (e *UnreachableError) Error() string {
	msg := fmt.Sprintf("region %s (%s) is unreachable for the status of %s: %v", e.Region, e.RegionName, e.Identifier, e.Err)
	if e.Stale != nil {
		a := e.Stale.Answer
		msg += fmt.Sprintf("; the cached answer (%s, produced at %s, good until %s) is stale", a.Status, rfc3339(a.ProducedAt), rfc3339(a.NextUpdate))
	} else {
		msg += "; no answer is cached"
	}
	return msg
}

// Unwrap gives ErrUnreachable and the cause (a context error, a network
// error).
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

type statusEntry struct {
	answer    *StatusAnswer
	token     string
	kid       string
	fetchedAt time.Time
	list      string // digest of the trust list it was verified with
}

type statusCall struct {
	done  chan struct{}
	entry *statusEntry
	err   error
}

// storedAnswer is what goes into a StatusCache.
type storedAnswer struct {
	Token     string    `json:"token"`
	FetchedAt time.Time `json:"fetchedAt"`
}

func (c *StatusClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// LicenseStatus is Status in the form verify.LicenseOptions.Status takes.
func (c *StatusClient) LicenseStatus(ctx context.Context, id string) (string, time.Time, error) {
	r, err := c.Status(ctx, id)
	if err != nil {
		return "", time.Time{}, err
	}
	return r.Answer.Status, r.Answer.ProducedAt, nil
}

// Status returns the status of license id from the region that issued it:
// a cached answer while it is current, otherwise a fresh one. When the
// region cannot be reached it returns an *UnreachableError, which carries
// the stale answer if one is cached.
func (c *StatusClient) Status(ctx context.Context, id string) (*StatusResult, error) {
	if _, err := ids.ParseLicenseID(id); err != nil {
		return nil, err
	}
	if c.Trust == nil {
		return nil, errors.New("status client has no trust list")
	}
	tl, err := c.Trust()
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", id, err)
	}
	r, err := tl.RegionForLicense(id)
	if err != nil {
		return nil, err
	}
	if r.Status != RegionActive {
		return nil, fmt.Errorf("%w: license %s is of region %s, which is %s", ErrRegionNotActive, id, r, r.Status)
	}
	now := c.now()
	cached := c.cached(ctx, tl, r, id)
	if cached != nil && c.fresh(cached, now) {
		return c.result(cached, r, now, true), nil
	}
	e, err := c.fetchShared(ctx, tl, r, id)
	if err == nil {
		return c.result(e, r, c.now(), false), nil
	}
	if errors.Is(err, ErrBadAnswer) || errors.Is(err, ErrUnknownLicense) {
		return nil, err
	}
	ue := &UnreachableError{Region: r.Code, RegionName: r.Name, Identifier: id, Err: err}
	if cached != nil {
		ue.Stale = c.result(cached, r, now, true)
	}
	return nil, ue
}

func (c *StatusClient) fresh(e *statusEntry, now time.Time) bool {
	if e.answer.current(now) != nil {
		return false
	}
	return c.MaxAge <= 0 || now.Sub(e.answer.ProducedAt) < c.MaxAge
}

func (c *StatusClient) result(e *statusEntry, r *Region, now time.Time, cached bool) *StatusResult {
	return &StatusResult{Answer: *e.answer, Token: e.token, KeyID: e.kid, RegionName: r.Name,
		FetchedAt: e.fetchedAt, Cached: cached, Age: now.Sub(e.answer.ProducedAt)}
}

// cached returns the answer known for id, current or not, verified with
// the trust list in force: an answer verified with an earlier list is
// verified again, so that a key the federation dropped stops counting.
func (c *StatusClient) cached(ctx context.Context, tl *TrustList, r *Region, id string) *statusEntry {
	digest := tl.Digest()
	c.mu.Lock()
	e := c.mem[id]
	c.mu.Unlock()
	if e == nil && c.Cache != nil {
		if b, err := c.Cache.Get(ctx, cacheKeyPrefix+id); err == nil {
			var s storedAnswer
			if json.Unmarshal(b, &s) == nil {
				e = &statusEntry{token: s.Token, fetchedAt: s.FetchedAt}
			}
		}
	}
	if e == nil {
		return nil
	}
	if e.list != digest {
		a, kid, err := verifyStatus(e.token, tl, r, id)
		if err != nil {
			c.forget(id, e)
			return nil
		}
		e = &statusEntry{answer: a, token: e.token, kid: kid, fetchedAt: e.fetchedAt, list: digest}
		c.remember(id, e)
	}
	return e
}

// fetchShared asks the region once for all callers that want id at the
// same time. The request runs on its own, bounded by Timeout, so that a
// caller that gives up does not cancel it for the others.
func (c *StatusClient) fetchShared(ctx context.Context, tl *TrustList, r *Region, id string) (*statusEntry, error) {
	c.mu.Lock()
	if c.inflight == nil {
		c.inflight = map[string]*statusCall{}
	}
	call := c.inflight[id]
	if call == nil {
		call = &statusCall{done: make(chan struct{})}
		c.inflight[id] = call
		go func() {
			timeout := c.Timeout
			if timeout <= 0 {
				timeout = DefaultStatusTimeout
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			call.entry, call.err = c.fetch(fctx, tl, r, id)
			if call.err == nil {
				c.remember(id, call.entry)
				if c.Cache != nil {
					if b, err := json.Marshal(storedAnswer{Token: call.entry.token, FetchedAt: call.entry.fetchedAt}); err == nil {
						c.Cache.Put(fctx, cacheKeyPrefix+id, b)
					}
				}
			}
			c.mu.Lock()
			delete(c.inflight, id)
			c.mu.Unlock()
			close(call.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.entry, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch tries the region's endpoints in turn. An answer that is refused
// outweighs endpoints that did not answer: it is what an attacker in the
// path would produce.
func (c *StatusClient) fetch(ctx context.Context, tl *TrustList, r *Region, id string) (*statusEntry, error) {
	if len(r.Endpoints) == 0 {
		return nil, fmt.Errorf("region %s lists no endpoint", r)
	}
	var down, refused []error
	for _, base := range r.Endpoints {
		u := strings.TrimRight(base, "/") + "/v1/licenses/" + url.PathEscape(id) + "/status"
		token, err := c.get(ctx, u)
		if errors.Is(err, ErrUnknownLicense) {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		if err != nil {
			down = append(down, fmt.Errorf("%s: %w", u, err))
			continue
		}
		a, kid, err := verifyStatus(token, tl, r, id)
		if err == nil {
			err = a.current(c.now())
			if err != nil {
				err = fmt.Errorf("%w: %v", ErrBadAnswer, err)
			}
		}
		if err != nil {
			refused = append(refused, fmt.Errorf("%s: %w", u, err))
			continue
		}
		return &statusEntry{answer: a, token: token, kid: kid, fetchedAt: c.now(), list: tl.Digest()}, nil
	}
	if len(refused) > 0 {
		return nil, errors.Join(refused...)
	}
	if len(down) == 1 {
		return nil, down[0]
	}
	return nil, errors.Join(down...)
}

func (c *StatusClient) get(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", MediaTypeJOSE)
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return "", ue.Err // the caller names the URL
		}
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize+1))
	if err != nil {
		return "", err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("%w (HTTP 404%s)", ErrUnknownLicense, apiMessage(body))
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("HTTP %d%s", resp.StatusCode, apiMessage(body))
	case len(body) > maxAnswerSize:
		return "", fmt.Errorf("the answer is larger than %d bytes", maxAnswerSize)
	}
	return string(body), nil
}

// apiMessage is the message of the service's JSON error body, if it has one.
func apiMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return ""
	}
	if r := []rune(e.Message); len(r) > 200 {
		e.Message = string(r[:200]) + "…"
	}
	return ": " + e.Message
}

func (c *StatusClient) remember(id string, e *statusEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mem == nil {
		c.mem = map[string]*statusEntry{}
	}
	limit := c.MaxEntries
	if limit <= 0 {
		limit = defaultMaxEntries
	}
	if _, ok := c.mem[id]; !ok && len(c.mem) >= limit {
		// Drop the stale first, then any, until there is room.
		now := c.now()
		for k, old := range c.mem {
			if old.answer == nil || !now.Before(old.answer.NextUpdate) {
				delete(c.mem, k)
			}
		}
		for k := range c.mem {
			if len(c.mem) < limit {
				break
			}
			delete(c.mem, k)
		}
	}
	c.mem[id] = e
}

func (c *StatusClient) forget(id string, e *statusEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mem[id] == e {
		delete(c.mem, id)
	}
}
