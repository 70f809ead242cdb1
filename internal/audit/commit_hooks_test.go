package audit

// Queued is the number of appends waiting for the committer of l, for tests
// that hold a batch and watch the next one form.
func Queued(l *Log) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// MaxBatch is the most entries committed in one transaction.
const MaxBatch = maxBatch
