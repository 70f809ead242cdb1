package audit_test

// Benchmarks come in pairs: ours and a baseline measured in the same run,
// reported as ratios by `make bench` (internal/benchtable).

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/store"
)

// BenchmarkAppend/ours vs BenchmarkAppend/plain-insert, on SQLite: an audit
// append (entry checks, JSON, the head lock, the leaf, the new nodes and the
// head in one transaction) against a plain INSERT of the same leaf row. Both
// commit each row on its own with the store's durability (WAL,
// synchronous=FULL), so the ratio is the cost of the tree over the row.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	b.Run("plain-insert", func(b *testing.B) {
		dsn := sqliteDSN(b)
		st, err := store.Open(ctx, dsn) // for the schema
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
		// The store's writer settings (internal/store/sqlite.go).
		db, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:")+"?_busy_timeout=10000&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e := entry(i)
			e.Seq, e.Time = uint64(i), time.Now().UTC().Truncate(time.Microsecond)
			data, err := json.Marshal(e)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO audit_leaves (idx, leaf_hash, data) VALUES (?, ?, ?)`, i, audit.LeafHash(data), data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		st, err := store.Open(ctx, sqliteDSN(b))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		l, err := audit.New(st, nil, "")
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := l.Append(ctx, entry(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
