package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openSQLiteT(tb testing.TB) *sqlStore {
	tb.Helper()
	st, err := Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "eseal.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st.(*sqlStore)
}

// Every hot statement is prepared where it runs: reads on both pools,
// writes on the writer, and inside a transaction through the writer's.
func TestPrepared(t *testing.T) {
	s := openSQLiteT(t)
	ctx := context.Background()
	for _, q := range hotReads {
		if s.prep.stmt(ctx, s.readDB, q) == nil || s.prep.stmt(ctx, s.writeDB, q) == nil {
			t.Errorf("read %q is not prepared on both pools", q)
		}
	}
	for _, q := range hotWrites {
		if s.prep.stmt(ctx, s.writeDB, q) == nil {
			t.Errorf("write %q is not prepared on the writer", q)
		}
		if s.prep.stmt(ctx, s.readDB, q) != nil {
			t.Errorf("write %q is prepared on the read-only pool", q)
		}
	}
	if s.prep.stmt(ctx, s.readDB, `SELECT 1`) != nil {
		t.Error("a statement not listed is prepared")
	}
	err := s.WithTx(ctx, func(tx Tx) error {
		o := tx.(ops)
		if o.prep.stmt(ctx, o.w, sqlAuditMoveHead) == nil {
			t.Error("a transaction does not use the writer's prepared statements")
		}
		_, _, err := o.AuditAppendBatch(ctx, 3, func(int, uint64) ([]byte, error) { return []byte("x"), nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := s.AuditHead(ctx); err != nil || h.Size != 3 {
		t.Fatalf("head after a prepared batch: %+v, %v", h, err)
	}
	// Another pool has none of them; nor has a PostgreSQL store, whose
	// statements pgx prepares and caches itself.
	other := openSQLiteT(t)
	if s.prep.stmt(ctx, other.readDB, sqlAuditHead) != nil {
		t.Error("a statement prepared on another store's pool")
	}
	var none *prepared
	if none.stmt(ctx, s.readDB, sqlAuditHead) != nil {
		t.Error("a statement from no prepared statements")
	}
}

// BenchmarkLicenseByID/ours vs BenchmarkLicenseByID/unprepared, on SQLite:
// the license lookup of every status answer and verification, with the
// statement prepared once and kept, against parsing it on every call.
func BenchmarkLicenseByID(b *testing.B) {
	s := openSQLiteT(b)
	ctx := context.Background()
	now := time.Now()
	l := LicenseRecord{ID: "11010020260001", TypeCode: "t", IssuerCode: "i", HolderCode: "h", Status: "active",
		Token: strings.Repeat("x", 1500), ValidFrom: now, IssuedAt: now}
	if err := s.PutLicense(ctx, l, LicenseEvent{LicenseID: l.ID, At: now, Event: "issued", Token: l.Token}); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, o ops) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := o.License(ctx, l.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("unprepared", func(b *testing.B) {
		o := s.ops
		o.prep = nil
		run(b, o)
	})
	b.Run("ours", func(b *testing.B) { run(b, s.ops) })
}
