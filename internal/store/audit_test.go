package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/eseal-project/eseal/internal/store"
)

// testAudit covers AuditOps: the tree the store keeps is the RFC 6962 tree of
// its leaves, whoever appends and however concurrently.
func testAudit(t *testing.T, dialect string, newDSN func(*testing.T) string) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, dialect string, newDSN func(*testing.T) string)
	}{
		{"Sequential", testAuditSequential},
		{"Concurrent", testAuditConcurrent},
		{"TwoHandles", testAuditTwoHandles},
		{"Rollback", testAuditRollback},
		{"Checkpoints", testAuditCheckpoints},
		{"BackupRestore", testAuditBackup},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, dialect, newDSN)
		})
	}
}

// mth is the Merkle tree hash of RFC 6962 2.1, computed from scratch.
func mth(leaves [][]byte) []byte {
	h := rfc6962.DefaultHasher
	switch n := len(leaves); n {
	case 0:
		return h.EmptyRoot()
	case 1:
		return h.HashLeaf(leaves[0])
	default:
		k := 1 << (bits.Len(uint(n-1)) - 1) // largest power of two < n
		return h.HashChildren(mth(leaves[:k]), mth(leaves[k:]))
	}
}

func leafData(index uint64) []byte { return fmt.Appendf(nil, `{"seq":%d}`, index) }

func appendLeaf(t *testing.T, tx store.Tx) (store.AuditLeaf, store.AuditHead) {
	t.Helper()
	l, h, err := tx.AuditAppend(ctxT(t), func(index uint64) ([]byte, error) { return leafData(index), nil })
	if err != nil {
		t.Fatalf("AuditAppend: %v", err)
	}
	return l, h
}

// checkAuditTree checks that the store holds leaves 0..size-1, each written
// with its own index, and that the head, the nodes and a from-scratch
// computation agree on the root.
func checkAuditTree(t *testing.T, s store.Store, size uint64) {
	t.Helper()
	ctx := ctxT(t)
	head, err := s.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != size {
		t.Fatalf("head size %d, want %d", head.Size, size)
	}
	leaves, err := s.AuditLeaves(ctx, 0, size+10)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(leaves)) != size {
		t.Fatalf("%d leaves, want %d", len(leaves), size)
	}
	data := make([][]byte, len(leaves))
	for i, l := range leaves {
		if l.Index != uint64(i) || !bytes.Equal(l.Data, leafData(uint64(i))) {
			t.Fatalf("leaf at position %d: index %d, data %s", i, l.Index, l.Data)
		}
		if !bytes.Equal(l.Hash, rfc6962.DefaultHasher.HashLeaf(l.Data)) {
			t.Fatalf("leaf %d: stored hash is not SHA-256(0x00 || data)", i)
		}
		data[i] = l.Data
	}
	want := mth(data)
	if !bytes.Equal(head.Root, want) {
		t.Fatalf("head root %x, want %x", head.Root, want)
	}
	// Every size's compact range is in the nodes table and folds to that
	// size's root.
	f := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	for _, n := range []uint64{size / 3, size/2 + 1, size} {
		if n == 0 || n > size {
			continue
		}
		hashes, err := s.AuditNodes(ctx, compact.RangeNodes(0, n, nil))
		if err != nil {
			t.Fatalf("nodes of size %d: %v", n, err)
		}
		r, err := f.NewRange(0, n, hashes)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := r.GetRootHash(nil)
		if want := mth(data[:n]); !bytes.Equal(got, want) {
			t.Fatalf("root of size %d from nodes %x, want %x", n, got, want)
		}
	}
}

func testAuditSequential(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	head, err := s.AuditHead(ctx)
	if err != nil || head.Size != 0 || !bytes.Equal(head.Root, rfc6962.DefaultHasher.EmptyRoot()) {
		t.Fatalf("empty head = %+v, %v", head, err)
	}
	for i := range uint64(37) {
		l, h := appendLeaf(t, s)
		if l.Index != i || h.Size != i+1 {
			t.Fatalf("append %d: index %d, size %d", i, l.Index, h.Size)
		}
	}
	checkAuditTree(t, s, 37)
	if got, err := s.AuditLeaves(ctx, 5, 8); err != nil || len(got) != 3 || got[0].Index != 5 || got[2].Index != 7 {
		t.Fatalf("AuditLeaves(5, 8) = %d leaves, %v", len(got), err)
	}
	if got, err := s.AuditLeaves(ctx, 40, 50); err != nil || len(got) != 0 {
		t.Fatalf("AuditLeaves past the end = %d leaves, %v", len(got), err)
	}
	// Nodes: leaf hashes at level 0, a perfect subtree, and one that does
	// not exist yet.
	hs, err := s.AuditNodes(ctx, []compact.NodeID{compact.NewNodeID(0, 3), compact.NewNodeID(5, 0), compact.NewNodeID(0, 3)})
	if err != nil || len(hs) != 3 || !bytes.Equal(hs[0], hs[2]) {
		t.Fatalf("AuditNodes = %d hashes, %v", len(hs), err)
	}
	if _, err := s.AuditNodes(ctx, []compact.NodeID{compact.NewNodeID(3, 4)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AuditNodes of a subtree not complete yet = %v, want ErrNotFound", err)
	}
	// An error from the leaf function aborts the append.
	errBoom := errors.New("boom")
	if _, _, err := s.AuditAppend(ctx, func(uint64) ([]byte, error) { return nil, errBoom }); !errors.Is(err, errBoom) {
		t.Fatalf("AuditAppend with a failing leaf = %v", err)
	}
	if l, _ := appendLeaf(t, s); l.Index != 37 {
		t.Fatalf("after a failed append, index %d, want 37", l.Index)
	}
}

// auditAppends appends from goroutines spread over the stores and returns
// every index handed out.
func auditAppends(t *testing.T, stores []store.Store, goroutines, calls int) []uint64 {
	ctx := ctxT(t)
	var (
		mu  sync.Mutex
		all []uint64
		wg  sync.WaitGroup
	)
	for g := range goroutines {
		s := stores[g%len(stores)]
		wg.Go(func() {
			for range calls {
				l, _, err := s.AuditAppend(ctx, func(index uint64) ([]byte, error) { return leafData(index), nil })
				if err != nil {
					t.Errorf("AuditAppend: %v", err)
					return
				}
				mu.Lock()
				all = append(all, l.Index)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	slices.Sort(all)
	for i, n := range all {
		if n != uint64(i) {
			t.Fatalf("indexes are not 0..%d: position %d holds %d (duplicate or gap)", len(all)-1, i, n)
		}
	}
	return all
}

func testAuditConcurrent(t *testing.T, _ string, newDSN func(*testing.T) string) {
	s := openStore(t, newDSN(t))
	auditAppends(t, []store.Store{s}, 50, 20)
	checkAuditTree(t, s, 1000)
}

// Two handles on one database stand for two replicas.
func testAuditTwoHandles(t *testing.T, _ string, newDSN func(*testing.T) string) {
	dsn := newDSN(t)
	a, b := openStore(t, dsn), openStore(t, dsn)
	auditAppends(t, []store.Store{a, b}, 20, 25)
	checkAuditTree(t, b, 500)
}

func testAuditRollback(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	appendLeaf(t, s)
	appendLeaf(t, s)
	errBoom := errors.New("boom")
	err := s.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.PutCertificate(ctx, cert("ca", "rolled-back")); err != nil {
			return err
		}
		if l, _ := appendLeaf(t, tx); l.Index != 2 {
			return fmt.Errorf("index in tx %d, want 2", l.Index)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("WithTx = %v", err)
	}
	checkAuditTree(t, s, 2)
	if _, err := s.AuditNodes(ctx, []compact.NodeID{compact.NewNodeID(0, 2)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("leaf of a rolled back append: %v", err)
	}
	// The record and its entry commit together.
	err = s.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.PutCertificate(ctx, cert("ca", "kept")); err != nil {
			return err
		}
		if l, _ := appendLeaf(t, tx); l.Index != 2 {
			return fmt.Errorf("index after rollback %d, want 2 (given back)", l.Index)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAuditTree(t, s, 3)
	if _, err := s.Certificate(ctx, "ca", "kept"); err != nil {
		t.Fatal(err)
	}
}

func testAuditCheckpoints(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	if _, err := s.LatestAuditCheckpoint(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LatestAuditCheckpoint on an empty log = %v, want ErrNotFound", err)
	}
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	root := bytes.Repeat([]byte{7}, 32)
	var seqs []int64
	for _, size := range []uint64{0, 5, 5, 3, 9} {
		seq, err := s.PutAuditCheckpoint(ctx, store.AuditCheckpoint{Size: size, Root: root, At: at, Note: fmt.Appendf(nil, "note %d/%d", size, len(seqs))})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Fatalf("seqs %v are not increasing", seqs)
	}
	cps, err := s.AuditCheckpoints(ctx, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, c := range cps {
		notes = append(notes, string(c.Note))
		if !c.At.Equal(at) || !bytes.Equal(c.Root, root) {
			t.Errorf("checkpoint %+v", c)
		}
	}
	if want := []string{"note 3/3", "note 5/1", "note 5/2"}; !slices.Equal(notes, want) {
		t.Fatalf("AuditCheckpoints(3, 5) = %q, want %q", notes, want)
	}
	latest, err := s.LatestAuditCheckpoint(ctx)
	if err != nil || latest.Size != 9 || string(latest.Note) != "note 9/4" {
		t.Fatalf("LatestAuditCheckpoint = %+v, %v", latest, err)
	}
	if _, err := s.PutAuditCheckpoint(ctx, store.AuditCheckpoint{Size: 1, Root: []byte{1}, Note: []byte("x")}); err == nil {
		t.Fatal("a checkpoint with a short root was stored")
	}
}

// A restored store goes on with the same tree.
func testAuditBackup(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	src := openStore(t, newDSN(t))
	for range 21 {
		appendLeaf(t, src)
	}
	var buf bytes.Buffer
	if _, err := src.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	dst := openStore(t, newDSN(t))
	if _, err := dst.Restore(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	checkAuditTree(t, dst, 21)
	if l, _ := appendLeaf(t, dst); l.Index != 21 {
		t.Fatalf("first append after restore: index %d, want 21", l.Index)
	}
	checkAuditTree(t, dst, 22)
}
