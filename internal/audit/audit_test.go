package audit_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
)

const origin = "eseal.test/audit"

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openStore(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := store.Open(ctxT(t), dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "eseal.db")
}

// postgresDSN returns the DSN of a fresh schema on the test server.
func postgresDSN(t testing.TB) string { return testenv.PostgresSchema(t) }

func sm2Key(t testing.TB) *sm2.PrivateKey {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newLog(t testing.TB, st store.Store, signer crypto.Signer) *audit.Log {
	t.Helper()
	l, err := audit.New(st, signer, origin)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func entry(i int) audit.Entry {
	return audit.Entry{
		Kind:    audit.KindLicenseIssued,
		Actor:   "api:issuer-1",
		Subject: fmt.Sprintf("1101002026%05d", i),
		Detail:  "holder 110105********002X",
		Node:    "eseal-1",
	}
}

func appendN(t testing.TB, l *audit.Log, n int) {
	t.Helper()
	ctx := ctxT(t)
	for i := range n {
		if _, err := l.Append(ctx, entry(i)); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
}

func checkpoint(t testing.TB, l *audit.Log) *audit.Checkpoint {
	t.Helper()
	cp, err := l.Checkpoint(ctxT(t))
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	return cp
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
		k := 1 << (bits.Len(uint(n-1)) - 1)
		return h.HashChildren(mth(leaves[:k]), mth(leaves[k:]))
	}
}

// leaves reads every leaf of the log and checks that each says its index.
func leaves(t testing.TB, st store.Store) [][]byte {
	t.Helper()
	ls, err := st.AuditLeaves(ctxT(t), 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(ls))
	for i, l := range ls {
		e, err := audit.ParseEntry(l.Data)
		if err != nil {
			t.Fatal(err)
		}
		if l.Index != uint64(i) || e.Seq != uint64(i) {
			t.Fatalf("leaf at position %d has index %d and seq %d", i, l.Index, e.Seq)
		}
		out[i] = l.Data
	}
	return out
}

func TestEntry(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	l := newLog(t, st, nil)
	before := time.Now().Add(-time.Second)
	for i := range 3 {
		n, err := l.Append(ctx, entry(i))
		if err != nil || n != uint64(i) {
			t.Fatalf("Append = %d, %v; want %d", n, err, i)
		}
	}
	at := time.Date(2026, 5, 1, 8, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	e := entry(3)
	e.Time, e.Seq = at, 99 // Seq is the log's to set
	if _, err := l.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	leaf, err := l.Leaf(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":3,"time":"2026-05-01T00:00:00.123456Z","kind":"license.issued","actor":"api:issuer-1","subject":"110100202600003","detail":"holder 110105********002X","node":"eseal-1"}`
	if string(leaf) != want {
		t.Fatalf("leaf\n got %s\nwant %s", leaf, want)
	}
	leaf, _ = l.Leaf(ctx, 1)
	got, err := audit.ParseEntry(leaf)
	if err != nil || got.Seq != 1 || got.Time.Before(before) || got.Time.Location() != time.UTC || got.Kind != audit.KindLicenseIssued {
		t.Fatalf("entry 1 = %+v, %v", got, err)
	}
	if _, err := l.Leaf(ctx, 4); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Leaf(4) = %v, want ErrNotFound", err)
	}
}

// Entries never hold a full citizen ID: the caller masks, and Append refuses
// what slipped through.
func TestEntryRejected(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	l := newLog(t, st, nil)
	const id = "11010519491231002X" // the GB 11643 example number
	for name, e := range map[string]audit.Entry{
		"ID in subject":        {Kind: "verify", Subject: id},
		"ID in detail":         {Kind: "verify", Detail: "holder 张三 " + id + " queried"},
		"lower-case x":         {Kind: "verify", Detail: "id=" + strings.ToLower(id)},
		"full-width digits":    {Kind: "verify", Detail: "事由：核查１１０１０５１９４９１２３１００２Ｘ"},
		"ID in actor":          {Kind: "admin", Actor: "user:" + id},
		"no kind":              {Subject: "x"},
		"bad kind":             {Kind: "License Issued"},
		"long detail":          {Kind: "verify", Detail: strings.Repeat("x", 2049)},
		"invalid UTF-8 detail": {Kind: "verify", Detail: "\xff"},
	} {
		_, err := l.Append(ctx, e)
		if !errors.Is(err, audit.ErrRejected) {
			t.Errorf("%s: Append = %v, want ErrRejected", name, err)
		}
		if err != nil && strings.Contains(err.Error(), id[6:14]) {
			t.Errorf("%s: the error repeats the birth date of the ID: %v", name, err)
		}
	}
	if n, _ := l.Size(ctx); n != 0 {
		t.Fatalf("rejected entries were logged: size %d", n)
	}
	for _, ok := range []string{
		"110105********002X",  // masked
		"11010519491231002",   // 17 digits
		"110105194912310027",  // wrong check character
		"1101051949123100212", // 19 digits
		"110105199913450012",  // no such date
	} {
		if got := audit.FindCitizenID(ok); got != "" {
			t.Errorf("FindCitizenID(%q) = %q", ok, got)
		}
	}
	// A SHA-256 digest in hex is not an ID.
	for i := range 2000 {
		d := fmt.Sprintf("%x", rfc6962.DefaultHasher.HashLeaf(fmt.Append(nil, i)))
		if got := audit.FindCitizenID(d); got != "" {
			t.Fatalf("digest %s taken for citizen ID %s", d, got)
		}
	}
}

// 1,000 entries from 50 goroutines take the indexes 0..999, each once, and
// the tree is the RFC 6962 tree of the leaves in index order.
func TestConcurrentAppendSQLite(t *testing.T) {
	t.Parallel()
	st := openStore(t, sqliteDSN(t))
	concurrentAppends(t, []store.Store{st}, 50, 20)
}

// Two store handles on one PostgreSQL schema stand for two replicas.
func TestConcurrentAppendPostgresReplicas(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	concurrentAppends(t, []store.Store{openStore(t, dsn), openStore(t, dsn)}, 50, 20)
}

func concurrentAppends(t *testing.T, stores []store.Store, goroutines, calls int) {
	ctx := ctxT(t)
	key := sm2Key(t)
	var (
		mu  sync.Mutex
		got []uint64
		wg  sync.WaitGroup
	)
	for g := range goroutines {
		l := newLog(t, stores[g%len(stores)], key)
		wg.Go(func() {
			for i := range calls {
				e := entry(g*calls + i)
				e.Node = fmt.Sprintf("replica-%d", g%len(stores))
				n, err := l.Append(ctx, e)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
				if i%7 == 0 { // checkpoints signed while others append
					if _, err := l.Checkpoint(ctx); err != nil {
						t.Errorf("Checkpoint: %v", err)
						return
					}
				}
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
			t.Fatalf("indexes are not 0..%d: position %d holds %d (duplicate or gap)", len(got)-1, i, n)
		}
	}
	total := goroutines * calls
	data := leaves(t, stores[0])
	if len(data) != total {
		t.Fatalf("%d leaves, want %d", len(data), total)
	}
	l := newLog(t, stores[len(stores)-1], key)
	cp := checkpoint(t, l)
	if cp.Size != uint64(total) || !bytes.Equal(cp.Root, mth(data)) {
		t.Fatalf("checkpoint %s; from-scratch root %x", cp, mth(data))
	}
	// Every checkpoint signed along the way is consistent with the last.
	var buf bytes.Buffer
	if _, _, err := l.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyExport(&buf, key.Public())
	if err != nil {
		t.Fatalf("VerifyExport: %v", err)
	}
	if rep.Entries != uint64(total) || rep.Latest.Size != uint64(total) || rep.Checkpoints < goroutines {
		t.Fatalf("report %+v", rep)
	}
}

// The entry commits with the caller's transaction, or not at all.
func TestAppendInTransaction(t *testing.T) {
	for name, dsn := range map[string]func(testing.TB) string{"SQLite": sqliteDSN, "Postgres": postgresDSN} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			st := openStore(t, dsn(t))
			l := newLog(t, st, sm2Key(t))
			appendN(t, l, 3)
			errBoom := errors.New("boom")
			err := st.WithTx(ctx, func(tx store.Tx) error {
				if err := tx.Put(ctx, "license/1", []byte("issued")); err != nil {
					return err
				}
				n, err := audit.Append(ctx, tx, entry(100))
				if err != nil {
					return err
				}
				if n != 3 {
					return fmt.Errorf("index in the transaction %d, want 3", n)
				}
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("WithTx = %v", err)
			}
			if n, _ := l.Size(ctx); n != 3 {
				t.Fatalf("size after rollback %d, want 3", n)
			}
			if _, err := l.Leaf(ctx, 3); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("leaf of the rolled back entry: %v", err)
			}
			err = st.WithTx(ctx, func(tx store.Tx) error {
				if err := tx.Put(ctx, "license/1", []byte("issued")); err != nil {
					return err
				}
				n, err := audit.Append(ctx, tx, entry(101))
				if err == nil && n != 3 {
					err = fmt.Errorf("index after the rollback %d, want 3 (given back)", n)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if v, err := st.Get(ctx, "license/1"); err != nil || string(v) != "issued" {
				t.Fatalf("record: %q, %v", v, err)
			}
			leaf, _ := l.Leaf(ctx, 3)
			if e, err := audit.ParseEntry(leaf); err != nil || e.Subject != entry(101).Subject {
				t.Fatalf("entry 3 = %+v, %v", e, err)
			}
			cp := checkpoint(t, l)
			if !bytes.Equal(cp.Root, mth(leaves(t, st))) {
				t.Fatal("root after a rolled back append differs from a from-scratch computation")
			}
		})
	}
}

func TestInclusionProofs(t *testing.T) {
	ctx := ctxT(t)
	st := openStore(t, sqliteDSN(t))
	key := sm2Key(t)
	l := newLog(t, st, key)
	appendN(t, l, 100)
	data := leaves(t, st)
	cp := checkpoint(t, l)
	check := func(index, size uint64) {
		t.Helper()
		root := mth(data[:size])
		p, err := l.InclusionProof(ctx, index, size)
		if err != nil {
			t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
		}
		leaf := data[index]
		if err := audit.VerifyInclusion(leaf, index, size, p, root); err != nil {
			t.Fatalf("proof of %d in %d: %v", index, size, err)
		}
		// Negative twins: each must fail.
		changed := bytes.Replace(leaf, []byte("issuer-1"), []byte("issuer-2"), 1)
		twins := map[string]error{
			"changed entry": audit.VerifyInclusion(changed, index, size, p, root),
			"other index":   audit.VerifyInclusion(leaf, (index+1)%size, size, p, root),
			"other root":    audit.VerifyInclusion(leaf, index, size, p, mth(data[:size-1])),
			"other leaf":    audit.VerifyInclusion(data[(index+1)%size], index, size, p, root),
			"longer proof":  audit.VerifyInclusion(leaf, index, size, append(slices.Clone(p), root), root),
		}
		if size < uint64(len(data)) {
			// The size and root come together from a checkpoint.
			twins["other size"] = audit.VerifyInclusion(leaf, index, size+1, p, mth(data[:size+1]))
		}
		if len(p) > 0 {
			flipped := slices.Clone(p)
			flipped[len(p)/2] = slices.Clone(flipped[len(p)/2])
			flipped[len(p)/2][3] ^= 1
			twins["flipped proof byte"] = audit.VerifyInclusion(leaf, index, size, flipped, root)
			twins["shorter proof"] = audit.VerifyInclusion(leaf, index, size, p[:len(p)-1], root)
		}
		for name, err := range twins {
			if size == 1 && (name == "other index" || name == "other root" || name == "other leaf") {
				continue // no other index in a tree of one
			}
			if !errors.Is(err, audit.ErrInvalidProof) {
				t.Errorf("proof of %d in %d, %s: %v, want ErrInvalidProof", index, size, name, err)
			}
		}
	}
	for _, c := range [][2]uint64{{0, 1}, {0, 100}, {99, 100}, {63, 64}, {64, 65}, {31, 100}} {
		check(c[0], c[1])
	}
	for range 40 {
		var b [2]byte
		rand.Read(b[:])
		size := uint64(b[0])%100 + 1
		check(uint64(b[1])%size, size)
	}
	// The bundle `eseal audit prove` writes verifies offline against the
	// checkpoint, and not with another key.
	b, err := l.ProveInclusion(ctx, 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size != cp.Size || b.Checkpoint != string(cp.Note) {
		t.Fatalf("bundle against size %d, checkpoint %q", b.Size, b.Checkpoint)
	}
	e, got, err := b.Verify(key.Public())
	if err != nil || e.Seq != 42 || got.Size != 100 {
		t.Fatalf("bundle Verify = %+v, %v", e, err)
	}
	if _, _, err := b.Verify(sm2Key(t).Public()); !errors.Is(err, audit.ErrUnknownKey) {
		t.Fatalf("bundle with another key: %v", err)
	}
	b.Leaf = strings.Replace(b.Leaf, "issuer-1", "issuer-2", 1)
	if _, _, err := b.Verify(key.Public()); !errors.Is(err, audit.ErrInvalidProof) {
		t.Fatalf("bundle with a changed entry: %v", err)
	}
	if _, err := l.InclusionProof(ctx, 5, 101); err == nil {
		t.Fatal("a proof in a tree larger than the log")
	}
}

func TestConsistencyProofs(t *testing.T) {
	ctx := ctxT(t)
	key := sm2Key(t)
	a := newLog(t, openStore(t, sqliteDSN(t)), key)
	fork := newLog(t, openStore(t, sqliteDSN(t)), key)
	// Both logs hold the same first 50 entries, then differ.
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	var cps []*audit.Checkpoint
	for i := range 100 {
		if i == 0 || i == 1 || i == 7 || i == 8 || i == 50 || i == 60 {
			cps = append(cps, checkpoint(t, a))
		}
		e := entry(i)
		e.Time = at.Add(time.Duration(i) * time.Second)
		if _, err := a.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		if i >= 50 {
			e.Detail = "forked"
		}
		if _, err := fork.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	cps = append(cps, checkpoint(t, a))
	for i, older := range cps {
		for _, newer := range cps[i:] {
			p, err := a.ConsistencyProof(ctx, older.Size, newer.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.VerifyCheckpoints(older, newer, p, key.Public()); err != nil {
				t.Fatalf("%d -> %d: %v", older.Size, newer.Size, err)
			}
			if older.Size == 0 || older.Size == newer.Size {
				continue
			}
			// Negative twins: a flipped byte, a proof between other sizes.
			bad := slices.Clone(p)
			bad[0] = slices.Clone(bad[0])
			bad[0][0] ^= 1
			if err := audit.VerifyConsistency(older.Size, newer.Size, bad, older.Root, newer.Root); !errors.Is(err, audit.ErrInvalidProof) {
				t.Errorf("%d -> %d with a flipped byte: %v", older.Size, newer.Size, err)
			}
			if q, _ := a.ConsistencyProof(ctx, older.Size-1, newer.Size); audit.VerifyConsistency(older.Size, newer.Size, q, older.Root, newer.Root) == nil {
				t.Errorf("%d -> %d with the proof from %d", older.Size, newer.Size, older.Size-1)
			}
		}
	}
	// The fork extends the common prefix of 50 entries...
	forked := checkpoint(t, fork)
	cp50 := cps[4]
	p, err := fork.ConsistencyProof(ctx, 50, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyCheckpoints(cp50, forked, p, key.Public()); err != nil {
		t.Fatalf("fork from the common prefix: %v", err)
	}
	// ...but not the log's checkpoint of size 60, whoever makes the proof,
	// and two checkpoints of size 100 with different roots are a fork.
	cp60, cp100 := cps[5], cps[6]
	for name, make := range map[string]*audit.Log{"log": a, "fork": fork} {
		p, err := make.ConsistencyProof(ctx, 60, 100)
		if err != nil {
			t.Fatal(err)
		}
		if err := audit.VerifyCheckpoints(cp60, forked, p, key.Public()); !errors.Is(err, audit.ErrInvalidProof) {
			t.Errorf("fork 60 -> 100 with the %s's proof: %v, want ErrInvalidProof", name, err)
		}
	}
	if err := audit.VerifyCheckpoints(cp100, forked, nil, key.Public()); !errors.Is(err, audit.ErrInvalidProof) {
		t.Errorf("two roots at size 100: %v, want ErrInvalidProof", err)
	}
	// A checkpoint of another key is refused before any proof.
	if err := audit.VerifyCheckpoints(cp60, cp100, nil, sm2Key(t).Public()); !errors.Is(err, audit.ErrUnknownKey) {
		t.Errorf("another key: %v", err)
	}
}

// A node does not sign a tree that no longer extends its last checkpoint.
func TestCheckpointRefusesRewrittenLog(t *testing.T) {
	ctx := ctxT(t)
	dsn := sqliteDSN(t)
	st := openStore(t, dsn)
	l := newLog(t, st, sm2Key(t))
	appendN(t, l, 10)
	checkpoint(t, l)
	appendN(t, l, 2)
	db := rawSQLite(t, dsn)
	if _, err := db.Exec(`UPDATE audit_head SET root = ? WHERE id = 1`, bytes.Repeat([]byte{1}, 32)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(ctx); !errors.Is(err, audit.ErrTampered) {
		t.Fatalf("Checkpoint of a rewritten tree = %v, want ErrTampered", err)
	}
	other, _ := audit.New(st, sm2Key(t), "eseal.test/other")
	if _, err := other.Checkpoint(ctx); err == nil || !strings.Contains(err.Error(), origin) {
		t.Fatalf("Checkpoint under another origin = %v", err)
	}
}

// rawSQLite opens the store's SQLite file directly, as someone with access
// to the database (and not to the signing key) could.
func rawSQLite(t *testing.T, dsn string) *sql.DB {
	db, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCheckpointP256(t *testing.T) {
	st := openStore(t, sqliteDSN(t))
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	l := newLog(t, st, k)
	appendN(t, l, 5)
	cp := checkpoint(t, l)
	if err := audit.VerifyCheckpoint(cp, &k.PublicKey); err != nil {
		t.Fatal(err)
	}
	if !opensslVerifies(t, &k.PublicKey, cp.Text(), cp.Signatures[0].Sig) {
		t.Fatal("OpenSSL rejects the P-256 checkpoint signature")
	}
}
