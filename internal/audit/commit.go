package audit

// Group commit: Log.AppendWithProof queues the entry, and one goroutine per
// Log commits whatever is queued in one transaction, so that appends made
// at the same time share the transaction's cost (a disk sync on SQLite,
// the tree-head lock and a round trip on PostgreSQL). A caller returns only
// once its entry is committed, so an act answered after its append is in
// the log even if the process dies right after.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

// maxBatch bounds the entries committed in one transaction, so that the
// tree-head lock (which orders the appends of all replicas) is never held
// long.
const maxBatch = 256

// ErrClosed means an append came after Log.Close.
var ErrClosed = errors.New("audit: log closed")

// pending is an entry waiting for the committer.
type pending struct {
	ctx  context.Context
	e    Entry
	done chan committed // buffered: the committer never waits for a caller
}

type committed struct {
	in  Inclusion
	err error
}

// AppendWithProof appends e in a transaction of its own and returns it with
// its inclusion proof, at no cost beyond the append. It returns once the
// entry is committed. Appends to the log made at the same time are
// committed in one transaction, up to 256 of them, in the order they came;
// if that transaction fails, each of them fails.
//
// An entry is checked before it is queued, so a rejected entry fails only
// its own append. When ctx ends before the entry is committed the append
// fails with ctx's error; the entry is then not logged, unless its
// transaction was already under way, as with any act whose answer did not
// reach its caller.
func (l *Log) AppendWithProof(ctx context.Context, e Entry) (Inclusion, error) {
	if err := e.check(); err != nil {
		return Inclusion{}, err
	}
	if err := ctx.Err(); err != nil {
		return Inclusion{}, fmt.Errorf("audit: append %s: %w", e.Kind, err)
	}
	p := &pending{ctx: ctx, e: e, done: make(chan committed, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Inclusion{}, fmt.Errorf("%w: append %s", ErrClosed, e.Kind)
	}
	l.queue = append(l.queue, p)
	if !l.running {
		l.running = true
		l.committer.Add(1)
		go l.commit()
	}
	l.mu.Unlock()
	select {
	case c := <-p.done:
		return c.in, c.err
	case <-ctx.Done():
		select {
		case c := <-p.done: // committed all the same
			return c.in, c.err
		default:
			return Inclusion{}, fmt.Errorf("audit: append %s: %w", e.Kind, ctx.Err())
		}
	}
}

// Close waits for the appends under way to be committed; appends after it
// fail with ErrClosed. It does not close the store, which must stay open
// until Close returns.
func (l *Log) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.committer.Wait()
	return nil
}

// commit is the committer: it commits the queue in batches until it is
// empty, then ends; the next append starts another.
func (l *Log) commit() {
	defer l.committer.Done()
	for {
		l.mu.Lock()
		batch := l.queue
		if len(batch) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		if len(batch) > maxBatch {
			batch, l.queue = batch[:maxBatch:maxBatch], batch[maxBatch:]
		} else {
			l.queue = nil
		}
		l.mu.Unlock()
		l.commitBatch(batch)
	}
}

// commitBatch appends the entries of the callers still waiting in one
// transaction and hands each its result.
func (l *Log) commitBatch(batch []*pending) {
	live := make([]*pending, 0, len(batch))
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			p.done <- committed{err: fmt.Errorf("audit: append %s: %w", p.e.Kind, err)}
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	// The transaction serves every caller in it: it is cancelled only
	// when all of them have gone.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waiting atomic.Int64
	waiting.Store(int64(len(live)))
	for _, p := range live {
		stop := context.AfterFunc(p.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	ins, err := l.appendBatch(ctx, live)
	for i, p := range live {
		if err != nil {
			p.done <- committed{err: fmt.Errorf("audit: append %s: %w", p.e.Kind, err)}
			continue
		}
		p.done <- committed{in: inclusion(ins[i])}
	}
}

// appendBatch appends the entries in one transaction. It runs on the
// committer, not on a request's goroutine, so a panic is turned into the
// batch's error rather than taking the process down.
func (l *Log) appendBatch(ctx context.Context, batch []*pending) (ins []store.AuditInclusion, err error) {
	defer func() {
		if v := recover(); v != nil {
			ins, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	ins, _, err = l.st.AuditAppendBatch(ctx, len(batch), func(i int, index uint64) ([]byte, error) {
		e := &batch[i].e
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		return e.leaf(index)
	})
	return ins, err
}
