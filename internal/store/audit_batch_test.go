package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/eseal-project/eseal/internal/store"
)

func TestAuditBatchSQLite(t *testing.T) {
	t.Parallel()
	testAuditBatch(t, sqliteDSN)
}

func TestAuditBatchPostgres(t *testing.T) {
	t.Parallel()
	testAuditBatch(t, postgresDSN(t))
}

func testAuditBatch(t *testing.T, newDSN func(*testing.T) string) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, newDSN func(*testing.T) string)
	}{
		{"Sizes", testAuditBatchSizes},
		{"Abort", testAuditBatchAbort},
		{"TwoHandles", testAuditBatchTwoHandles},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDSN)
		})
	}
}

// appendBatch appends n leaves in one batch and checks what it returns:
// consecutive indexes from the head's size, and for each leaf the root of
// the tree it completes and an inclusion proof that transparency-dev/merkle
// accepts. all holds the leaves before the batch and gets the new ones.
func appendBatch(t *testing.T, tx store.Tx, n int, all *[][]byte) {
	t.Helper()
	first := uint64(len(*all))
	ins, head, err := tx.AuditAppendBatch(ctxT(t), n, func(i int, index uint64) ([]byte, error) {
		if index != first+uint64(i) {
			return nil, fmt.Errorf("leaf %d of the batch gets index %d, want %d", i, index, first+uint64(i))
		}
		return leafData(index), nil
	})
	if err != nil {
		t.Fatalf("AuditAppendBatch(%d): %v", n, err)
	}
	if len(ins) != n {
		t.Fatalf("AuditAppendBatch(%d) returned %d leaves", n, len(ins))
	}
	for i, in := range ins {
		index := first + uint64(i)
		*all = append(*all, leafData(index))
		if in.Index != index || !bytes.Equal(in.Data, leafData(index)) || !bytes.Equal(in.Hash, rfc6962.DefaultHasher.HashLeaf(in.Data)) {
			t.Fatalf("leaf %d of the batch: %+v", i, in.AuditLeaf)
		}
		if want := mth(*all); !bytes.Equal(in.Root, want) {
			t.Fatalf("leaf %d: root %x, want %x", index, in.Root, want)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, index+1, in.Hash, in.Proof, in.Root); err != nil {
			t.Fatalf("leaf %d: %v", index, err)
		}
	}
	if head.Size != uint64(len(*all)) || !bytes.Equal(head.Root, ins[n-1].Root) {
		t.Fatalf("head after the batch %d/%x, want %d/%x", head.Size, head.Root, len(*all), ins[n-1].Root)
	}
}

// Batches of any size, across the row limit of one INSERT, keep the tree.
func testAuditBatchSizes(t *testing.T, newDSN func(*testing.T) string) {
	s := openStore(t, newDSN(t))
	var all [][]byte
	for _, n := range []int{1, 2, 3, 7, 64, 65, 127, 256, 1, 300} {
		appendBatch(t, s, n, &all)
	}
	checkAuditTree(t, s, uint64(len(all)))
	// A single append goes on from the batch.
	if l, _ := appendLeaf(t, s); l.Index != uint64(len(all)) {
		t.Fatalf("append after batches: index %d, want %d", l.Index, len(all))
	}
	if _, _, err := s.AuditAppendBatch(ctxT(t), 0, nil); err == nil {
		t.Fatal("a batch of no leaves")
	}
}

// A failing leaf aborts the whole batch; in a transaction that rolls back,
// the batch rolls back with it.
func testAuditBatchAbort(t *testing.T, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	var all [][]byte
	appendBatch(t, s, 5, &all)
	errBoom := errors.New("boom")
	_, _, err := s.AuditAppendBatch(ctx, 10, func(i int, index uint64) ([]byte, error) {
		if i == 7 {
			return nil, errBoom
		}
		return leafData(index), nil
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("batch with a failing leaf = %v", err)
	}
	checkAuditTree(t, s, 5)
	err = s.WithTx(ctx, func(tx store.Tx) error {
		more := slices.Clone(all)
		appendBatch(t, tx, 20, &more)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("WithTx = %v", err)
	}
	checkAuditTree(t, s, 5)
	appendBatch(t, s, 20, &all)
	checkAuditTree(t, s, 25)
}

// Batches from two handles on one database (two replicas) interleave
// without gaps or duplicates.
func testAuditBatchTwoHandles(t *testing.T, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	dsn := newDSN(t)
	stores := []store.Store{openStore(t, dsn), openStore(t, dsn)}
	var (
		mu  sync.Mutex
		got []uint64
		wg  sync.WaitGroup
	)
	for g := range 10 {
		s := stores[g%2]
		wg.Go(func() {
			for range 5 {
				ins, _, err := s.AuditAppendBatch(ctx, 1+g, func(_ int, index uint64) ([]byte, error) { return leafData(index), nil })
				if err != nil {
					t.Errorf("AuditAppendBatch: %v", err)
					return
				}
				mu.Lock()
				for _, in := range ins {
					got = append(got, in.Index)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	slices.Sort(got)
	for i, n := range got {
		if n != uint64(i) {
			t.Fatalf("indexes are not 0..%d: position %d holds %d", len(got)-1, i, n)
		}
	}
	checkAuditTree(t, stores[1], uint64(len(got)))
}
