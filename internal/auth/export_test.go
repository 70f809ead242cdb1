package auth

// CacheLen is the number of credentials the cache holds.
func CacheLen(a *Authenticator) int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.cache)
}

// BucketCount is the number of token buckets the limiter holds.
func BucketCount(l *Limiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
