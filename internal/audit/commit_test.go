package audit_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/store"
)

// gatedStore holds each batch of appends at the store's door: it reports
// the batch's size on entered and appends only when the test sends on
// release (nil to append, an error to fail the batch with), or gives up
// when the batch's context ends.
type gatedStore struct {
	store.Store
	entered chan int
	release chan error
}

func gate(st store.Store) *gatedStore {
	return &gatedStore{Store: st, entered: make(chan int), release: make(chan error)}
}

func (g *gatedStore) AuditAppendBatch(ctx context.Context, n int, leaf func(int, uint64) ([]byte, error)) ([]store.AuditInclusion, store.AuditHead, error) {
	g.entered <- n
	select {
	case err := <-g.release:
		if err != nil {
			return nil, store.AuditHead{}, err
		}
	case <-ctx.Done():
		return nil, store.AuditHead{}, ctx.Err()
	}
	return g.Store.AuditAppendBatch(ctx, n, leaf)
}

// openLog is newLog, closed when the test ends (before its store).
func openLog(t testing.TB, st store.Store, signer crypto.Signer) *audit.Log {
	t.Helper()
	l := newLog(t, st, signer)
	t.Cleanup(func() { l.Close() })
	return l
}

// appended is the outcome of one AppendWithProof.
type appended struct {
	name string
	in   audit.Inclusion
	err  error
}

// appendAsync appends e from a new goroutine and sends the outcome on out.
func appendAsync(ctx context.Context, l *audit.Log, name string, e audit.Entry, out chan<- appended) {
	go func() {
		in, err := l.AppendWithProof(ctx, e)
		out <- appended{name, in, err}
	}()
}

// waitQueued waits until n appends wait for l's committer.
func waitQueued(l *audit.Log, n int) {
	for audit.Queued(l) < n {
		runtime.Gosched()
	}
}

// checkInclusions checks that the appends took distinct indexes and that
// each came back with the entry as logged and an inclusion proof, in the
// tree it completes, that transparency-dev/merkle accepts; InclusionOf
// reads the same back.
func checkInclusions(t *testing.T, l *audit.Log, st store.Store, ins []audit.Inclusion) {
	t.Helper()
	ctx := ctxT(t)
	data := leaves(t, st)
	seen := map[uint64]bool{}
	for _, in := range ins {
		if seen[in.Index] {
			t.Fatalf("index %d handed out twice", in.Index)
		}
		seen[in.Index] = true
		if in.Index >= uint64(len(data)) || !bytes.Equal(in.Leaf, data[in.Index]) {
			t.Fatalf("entry %d: the append's leaf is not the log's", in.Index)
		}
		if want := mth(data[:in.Size()]); !bytes.Equal(in.Root, want) {
			t.Fatalf("entry %d: root %x, want the from-scratch root %x", in.Index, in.Root, want)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, in.Index, in.Size(), audit.LeafHash(in.Leaf), in.Proof, in.Root); err != nil {
			t.Fatalf("entry %d: %v", in.Index, err)
		}
		if err := audit.VerifyInclusion(in.Leaf, in.Index, in.Size(), in.Proof, in.Root); err != nil {
			t.Fatalf("entry %d: %v", in.Index, err)
		}
		got, err := l.InclusionOf(ctx, in.Index)
		if err != nil {
			t.Fatalf("InclusionOf(%d): %v", in.Index, err)
		}
		if !bytes.Equal(got.Leaf, in.Leaf) || !bytes.Equal(got.Root, in.Root) || !slices.EqualFunc(got.Proof, in.Proof, bytes.Equal) {
			t.Fatalf("InclusionOf(%d) differs from what the append returned", in.Index)
		}
	}
}

// checkExport checks that the whole log verifies offline, with a
// checkpoint of its current size.
func checkExport(t *testing.T, l *audit.Log, st store.Store, key crypto.Signer, size uint64) {
	t.Helper()
	cp := checkpoint(t, l)
	if cp.Size != size || !bytes.Equal(cp.Root, mth(leaves(t, st))) {
		t.Fatalf("checkpoint %s; want size %d", cp, size)
	}
	var buf bytes.Buffer
	if _, _, err := l.Export(ctxT(t), &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyExport(&buf, key.Public())
	if err != nil || rep.Entries != size {
		t.Fatalf("VerifyExport = %+v, %v", rep, err)
	}
}

// Concurrent appends to one Log take the indexes 0..n-1, each with its own
// proof, and the log verifies; on PostgreSQL two Logs on two handles stand
// for two replicas, whose batches the tree-head lock orders.
func TestGroupCommit(t *testing.T) {
	for name, dsn := range map[string]func(testing.TB) string{"SQLite": sqliteDSN, "Postgres": postgresDSN} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			key := sm2Key(t)
			d := dsn(t)
			stores := []store.Store{openStore(t, d)}
			if name == "Postgres" {
				stores = append(stores, openStore(t, d))
			}
			var logs []*audit.Log
			for _, st := range stores {
				logs = append(logs, openLog(t, st, key))
			}
			const goroutines, calls = 100, 5
			var (
				mu  sync.Mutex
				ins []audit.Inclusion
				wg  sync.WaitGroup
			)
			for g := range goroutines {
				l := logs[g%len(logs)]
				wg.Go(func() {
					for i := range calls {
						in, err := l.AppendWithProof(ctx, entry(g*calls+i))
						if err != nil {
							t.Errorf("AppendWithProof: %v", err)
							return
						}
						mu.Lock()
						ins = append(ins, in)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			const total = goroutines * calls
			indexes := make([]uint64, len(ins))
			for i, in := range ins {
				indexes[i] = in.Index
			}
			slices.Sort(indexes)
			for i, n := range indexes {
				if n != uint64(i) {
					t.Fatalf("indexes are not 0..%d: position %d holds %d (duplicate or gap)", total-1, i, n)
				}
			}
			checkInclusions(t, logs[0], stores[0], ins)
			checkExport(t, logs[0], stores[0], key, total)
		})
	}
}

// Appends that queue while a batch commits go together in the next one, at
// most MaxBatch at a time, in the order they came.
func TestGroupCommitBatches(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	g := gate(st)
	key := sm2Key(t)
	l := openLog(t, g, key)
	const queued = audit.MaxBatch + 44
	out := make(chan appended, queued+1)
	appendAsync(ctx, l, "first", entry(0), out)
	if n := <-g.entered; n != 1 {
		t.Fatalf("first batch of %d entries, want 1", n)
	}
	for i := 1; i <= queued; i++ {
		appendAsync(ctx, l, fmt.Sprint(i), entry(i), out)
	}
	waitQueued(l, queued)
	g.release <- nil
	for _, want := range []int{audit.MaxBatch, queued - audit.MaxBatch} {
		if n := <-g.entered; n != want {
			t.Fatalf("batch of %d entries, want %d", n, want)
		}
		g.release <- nil
	}
	var ins []audit.Inclusion
	for range queued + 1 {
		a := <-out
		if a.err != nil {
			t.Fatalf("append %s: %v", a.name, a.err)
		}
		ins = append(ins, a.in)
	}
	checkInclusions(t, l, st, ins)
	checkExport(t, l, st, key, queued+1)
}

// A caller that goes away fails alone: before its batch starts its entry
// is dropped; once the batch is under way the entry is logged for the
// others' sake; only when every caller of a batch has gone does the batch
// give up.
func TestGroupCommitCancel(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	g := gate(st)
	key := sm2Key(t)
	l := openLog(t, g, key)
	out := make(chan appended, 16)
	want := func(names ...string) map[string]appended {
		t.Helper()
		got := map[string]appended{}
		for range names {
			a := <-out
			got[a.name] = a
		}
		for _, n := range names {
			if _, ok := got[n]; !ok {
				t.Fatalf("no outcome for %s; got %v", n, got)
			}
		}
		return got
	}
	plug := func(name string) {
		t.Helper()
		appendAsync(ctx, l, name, entry(0), out)
		if n := <-g.entered; n != 1 {
			t.Fatalf("plug batch of %d, want 1", n)
		}
	}
	var ins []audit.Inclusion
	ok := func(a appended) {
		t.Helper()
		if a.err != nil {
			t.Fatalf("%s: %v", a.name, a.err)
		}
		ins = append(ins, a.in)
	}

	// Gone before its batch starts: dropped.
	plug("plug-1")
	gone, cancel := context.WithCancel(ctx)
	appendAsync(gone, l, "gone", entry(1), out)
	waitQueued(l, 1)
	appendAsync(ctx, l, "b", entry(2), out)
	waitQueued(l, 2)
	appendAsync(ctx, l, "c", entry(3), out)
	waitQueued(l, 3)
	cancel()
	if a := want("gone")["gone"]; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("cancelled append = %v, want context.Canceled", a.err)
	}
	g.release <- nil
	if n := <-g.entered; n != 2 {
		t.Fatalf("batch of %d after a caller left, want 2", n)
	}
	g.release <- nil
	got := want("plug-1", "b", "c")
	ok(got["plug-1"])
	ok(got["b"])
	ok(got["c"])
	if got["b"].in.Index != 1 || got["c"].in.Index != 2 {
		t.Fatalf("b and c took %d and %d, want 1 and 2 (in the order they came, after the plug)", got["b"].in.Index, got["c"].in.Index)
	}

	// Gone while its batch is under way: the others are served.
	plug("plug-2")
	gone, cancel = context.WithCancel(ctx)
	appendAsync(gone, l, "leaving", entry(4), out)
	waitQueued(l, 1)
	appendAsync(ctx, l, "staying", entry(5), out)
	waitQueued(l, 2)
	g.release <- nil
	if n := <-g.entered; n != 2 {
		t.Fatalf("batch of %d, want 2", n)
	}
	ok(want("plug-2")["plug-2"])
	cancel()
	if a := want("leaving")["leaving"]; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("cancelled append = %v, want context.Canceled", a.err)
	}
	g.release <- nil
	ok(want("staying")["staying"])

	// Every caller of a batch gone: the batch gives up.
	plug("plug-3")
	gone, cancel = context.WithCancel(ctx)
	appendAsync(gone, l, "x", entry(6), out)
	appendAsync(gone, l, "y", entry(7), out)
	waitQueued(l, 2)
	g.release <- nil
	if n := <-g.entered; n != 2 {
		t.Fatalf("batch of %d, want 2", n)
	}
	ok(want("plug-3")["plug-3"])
	cancel()
	for _, a := range want("x", "y") {
		if !errors.Is(a.err, context.Canceled) {
			t.Fatalf("%s: %v, want context.Canceled", a.name, a.err)
		}
	}
	// The log goes on.
	appendAsync(ctx, l, "after", entry(8), out)
	if n := <-g.entered; n != 1 {
		t.Fatalf("batch of %d, want 1", n)
	}
	g.release <- nil
	ok(want("after")["after"])

	// plug-1, b, c, plug-2, leaving, staying, plug-3, after.
	const size = 8
	if n, _ := l.Size(ctx); n != size {
		t.Fatalf("log size %d, want %d", n, size)
	}
	checkInclusions(t, l, st, ins)
	checkExport(t, l, st, key, size)
}

// A batch that fails fails each of its callers; none waits forever.
func TestGroupCommitFailure(t *testing.T) {
	ctx := ctxT(t)
	t.Run("batch", func(t *testing.T) {
		st := openStore(t, sqliteDSN(t))
		g := gate(st)
		l := openLog(t, g, nil)
		out := make(chan appended, 16)
		appendAsync(ctx, l, "plug", entry(0), out)
		<-g.entered
		for i := range 10 {
			appendAsync(ctx, l, fmt.Sprint(i), entry(i), out)
		}
		waitQueued(l, 10)
		g.release <- nil
		if n := <-g.entered; n != 10 {
			t.Fatalf("batch of %d, want 10", n)
		}
		errBoom := errors.New("boom")
		g.release <- errBoom
		for range 11 {
			a := <-out
			if a.name == "plug" {
				if a.err != nil {
					t.Fatal(a.err)
				}
			} else if !errors.Is(a.err, errBoom) {
				t.Errorf("append %s in a failed batch = %v", a.name, a.err)
			}
		}
		if n, _ := l.Size(ctx); n != 1 {
			t.Fatalf("log size %d after a failed batch, want 1", n)
		}
	})
	t.Run("store closed", func(t *testing.T) {
		st, err := store.Open(ctx, sqliteDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		l := openLog(t, st, nil)
		if _, err := l.Append(ctx, entry(0)); err != nil {
			t.Fatal(err)
		}
		st.Close()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if _, err := l.Append(ctx, entry(i)); err == nil {
					t.Errorf("append %d to a closed store succeeded", i)
				}
			})
		}
		wg.Wait()
	})
}

// An entry the log refuses fails its own append only.
func TestGroupCommitRejected(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	key := sm2Key(t)
	l := openLog(t, st, key)
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ins []audit.Inclusion
	)
	for i := range 60 {
		wg.Go(func() {
			e := entry(i)
			if i%3 == 0 {
				e.Detail = "holder 11010519491231002X" // an unmasked citizen ID
			}
			in, err := l.AppendWithProof(ctx, e)
			switch {
			case i%3 == 0 && !errors.Is(err, audit.ErrRejected):
				t.Errorf("append %d with a citizen ID = %v, want ErrRejected", i, err)
			case i%3 != 0 && err != nil:
				t.Errorf("append %d: %v", i, err)
			case err == nil:
				mu.Lock()
				ins = append(ins, in)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(ins) != 40 {
		t.Fatalf("%d appends succeeded, want 40", len(ins))
	}
	checkInclusions(t, l, st, ins)
	checkExport(t, l, st, key, 40)
}

// Close lets the appends under way commit; later appends fail.
func TestGroupCommitClose(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	g := gate(st)
	l := openLog(t, g, nil)
	out := make(chan appended, 16)
	appendAsync(ctx, l, "plug", entry(0), out)
	<-g.entered
	for i := range 5 {
		appendAsync(ctx, l, fmt.Sprint(i), entry(i), out)
	}
	waitQueued(l, 5)
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	g.release <- nil
	if n := <-g.entered; n != 5 {
		t.Fatalf("batch of %d, want 5", n)
	}
	g.release <- nil
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n, _ := l.Size(ctx); n != 6 {
		t.Fatalf("log size %d after Close, want 6: Close did not wait for the appends under way", n)
	}
	for range 6 {
		if a := <-out; a.err != nil {
			t.Fatalf("append %s: %v", a.name, a.err)
		}
	}
	if _, err := l.Append(ctx, entry(9)); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
