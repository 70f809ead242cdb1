package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

// Lookup is what an Authenticator reads from the store; a store.Store is
// one.
type Lookup interface {
	ClientByKeyHash(ctx context.Context, hash []byte) (store.ClientRecord, error)
	ClientByCertFingerprint(ctx context.Context, fingerprint string) (store.ClientRecord, error)
}

// Options tune an Authenticator. The zero value is the default.
type Options struct {
	// CacheTTL is how long a client looked up in the store is remembered,
	// and so the longest a change to it (disabled, key rotated, scopes) takes
	// to apply. 0 means 30 s; negative means no cache.
	CacheTTL time.Duration
	// CacheSize bounds the number of remembered credentials; 0 means 10000.
	CacheSize int
	// Now is the clock of the cache and the rate limits; nil means time.Now.
	Now func() time.Time
	// Logger receives refusals, with client ids and never credentials; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Authenticator identifies the client of a request, limits its rate and
// checks its scopes. It is safe for concurrent use.
type Authenticator struct {
	lookup Lookup
	ttl    time.Duration
	size   int
	now    func() time.Time
	log    *slog.Logger
	limits *Limiter

	mu    sync.RWMutex
	cache map[credential]cached
}

// credential is the cache key: the SHA-256 of an API key or of a
// certificate's DER.
type credential struct {
	cert bool
	sum  [sha256.Size]byte
}

type cached struct {
	id      string
	client  *Client // nil: the client is disabled
	expires time.Time
}

// New returns an Authenticator that reads clients from st.
func New(st Lookup, opts Options) *Authenticator {
	a := &Authenticator{
		lookup: st,
		ttl:    opts.CacheTTL,
		size:   opts.CacheSize,
		now:    opts.Now,
		log:    opts.Logger,
		cache:  make(map[credential]cached),
	}
	if a.ttl == 0 {
		a.ttl = 30 * time.Second
	}
	if a.size <= 0 {
		a.size = 10000
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.limits = NewLimiter(a.now)
	return a
}

// Identify returns the client that made the request. Errors wrap
// ErrUnauthenticated when the request carries no credentials or ones of no
// enabled client; any other error is the store's, and the caller should
// answer "try again later" rather than "who are you".
func (a *Authenticator) Identify(r *http.Request) (*Client, error) {
	cred, err := credentialOf(r)
	if err != nil {
		return nil, err
	}
	now := a.now()
	if a.ttl > 0 {
		a.mu.RLock()
		e, ok := a.cache[cred]
		a.mu.RUnlock()
		if ok && now.Before(e.expires) {
			return a.answer(r.Context(), e)
		}
	}
	var rec store.ClientRecord
	if cred.cert {
		rec, err = a.lookup.ClientByCertFingerprint(r.Context(), hex.EncodeToString(cred.sum[:]))
	} else {
		hash := cred.sum // a copy, so that cred stays on the stack on the cached path
		rec, err = a.lookup.ClientByKeyHash(r.Context(), hash[:])
		// The store found the row by this hash; compare anyway, in constant
		// time, rather than trust the database's idea of equal bytes.
		if err == nil && subtle.ConstantTimeCompare(rec.KeyHash, cred.sum[:]) != 1 {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		// Not cached: a new client works at once, and a flood of bad keys
		// cannot push good entries out of the cache.
		return nil, errNotRecognised
	}
	if err != nil {
		return nil, fmt.Errorf("auth: looking up the client: %w", err)
	}
	e := cached{id: rec.ID, expires: now.Add(a.ttl)}
	if !rec.Disabled {
		e.client = clientOf(rec)
	}
	if a.ttl > 0 {
		a.remember(cred, e, now)
	}
	return a.answer(r.Context(), e)
}

func (a *Authenticator) answer(ctx context.Context, e cached) (*Client, error) {
	if e.client == nil {
		a.log.WarnContext(ctx, "auth: refused a disabled client", "client", e.id)
		return nil, errNotRecognised
	}
	return e.client, nil
}

func (a *Authenticator) remember(cred credential, e cached, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[cred]; !ok && len(a.cache) >= a.size {
		for k, old := range a.cache {
			if !now.Before(old.expires) {
				delete(a.cache, k)
			}
		}
		// Still full: drop entries at random (map order); they are read
		// again from the store when next needed.
		for k := range a.cache {
			if len(a.cache) < a.size {
				break
			}
			delete(a.cache, k)
		}
	}
	a.cache[cred] = e
}

// Forget drops what the cache holds about a client, so that a change made
// by this process applies to its next request.
func (a *Authenticator) Forget(clientID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.cache {
		if e.id == clientID {
			delete(a.cache, k)
		}
	}
}

// Allow takes one request from the client's rate limit. When the client is
// over it, Allow returns false and how long until the next request would be
// allowed.
func (a *Authenticator) Allow(c *Client) (ok bool, retryAfter time.Duration) {
	return a.limits.Allow(c)
}

// credentialOf finds the request's credential: an API key in Authorization
// or X-API-Key, else a verified TLS client certificate.
func credentialOf(r *http.Request) (credential, error) {
	key, present := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return credential{}, errMalformed
		}
		key, present = strings.TrimSpace(token), true
	} else if h := r.Header.Get("X-API-Key"); h != "" {
		key, present = strings.TrimSpace(h), true
	}
	if present {
		if !wellFormedKey(key) {
			return credential{}, errMalformed
		}
		return credential{sum: hashKey(key)}, nil
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return credential{cert: true, sum: sha256.Sum256(r.TLS.VerifiedChains[0][0].Raw)}, nil
	}
	return credential{}, errNoCredentials
}
