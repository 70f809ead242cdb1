package audit_test

import (
	"context"
	"testing"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/store"
)

// BenchmarkAppendConcurrent/ours vs
// BenchmarkAppendConcurrent/one-per-transaction, on SQLite: 16 goroutines
// per CPU append at once, as the handlers of a busy node do. Ours is
// Log.AppendWithProof, which commits what is queued together and returns
// each entry's inclusion proof; the baseline commits each entry in a
// transaction of its own (audit.Append on the store) and returns only the
// index. Both wait for a durable commit (WAL, synchronous=FULL).
func BenchmarkAppendConcurrent(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, append func(e audit.Entry) error) {
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := append(entry(0)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	open := func(b *testing.B) store.Store {
		st, err := store.Open(ctx, sqliteDSN(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	b.Run("one-per-transaction", func(b *testing.B) {
		st := open(b)
		run(b, func(e audit.Entry) error {
			_, err := audit.Append(ctx, st, e)
			return err
		})
	})
	b.Run("ours", func(b *testing.B) {
		l, err := audit.New(open(b), nil, "")
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		run(b, func(e audit.Entry) error {
			_, err := l.AppendWithProof(ctx, e)
			return err
		})
	})
}
