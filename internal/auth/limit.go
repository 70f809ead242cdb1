package auth

import (
	"math"
	"sync"
	"time"
)

// Limiter keeps a token bucket per client: a client starts with Burst
// tokens, each request takes one, and tokens come back at Rate per second up
// to Burst. It is safe for concurrent use.
//
// It is written here rather than taken from golang.org/x/time/rate because
// it needs an injectable clock and the bucket's parameters change when a
// client's limits do, which this does in a few lines.
type Limiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// maxBuckets is when the limiter starts dropping full buckets: a full bucket
// is the same as no bucket.
const maxBuckets = 10000

// NewLimiter returns a limiter reading the clock now (time.Now if nil).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, buckets: make(map[string]*bucket)}
}

// limits returns a client's rate and burst as the bucket uses them; rate 0
// means no limit.
func limits(c *Client) (rate, burst float64) {
	if c.Rate <= 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		return 0, 0
	}
	burst = float64(c.Burst)
	if burst < 1 {
		burst = max(1, math.Ceil(c.Rate))
	}
	return c.Rate, burst
}

// Allow takes one token from the client's bucket. When there is none, it
// returns false and how long until there will be one.
func (l *Limiter) Allow(c *Client) (ok bool, retryAfter time.Duration) {
	rate, burst := limits(c)
	if rate == 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[c.ID]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{rate: rate, burst: burst, tokens: burst, last: now}
		l.buckets[c.ID] = b
	}
	if b.rate != rate || b.burst != burst {
		b.rate, b.burst = rate, burst
		b.tokens = min(b.tokens, burst)
	}
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / b.rate * float64(time.Second)))
	return false, wait
}

// prune drops the buckets that have filled up again.
func (l *Limiter) prune(now time.Time) {
	for id, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst {
			delete(l.buckets, id)
		}
	}
}

// retryAfterSeconds rounds a wait up to whole seconds for the Retry-After
// header, which has no finer unit; at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	return max(1, s)
}
