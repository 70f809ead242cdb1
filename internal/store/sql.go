package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ops runs the store's statements. Statements are written once, in portable
// SQL with `?` placeholders; ops rebinds them for the dialect. Reads go to r
// and writes to w: on SQLite these are a pool of read-only connections and
// the one write connection; in a transaction and on PostgreSQL they are the
// same. The hot statements run prepared (prep, SQLite only); a transaction
// carries prep only if it runs on the write pool.
type ops struct {
	dialect string
	r, w    querier
	prep    *prepared
}

func (o ops) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var (
		res sql.Result
		err error
	)
	if s := o.prep.stmt(ctx, o.w, query); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = o.w.ExecContext(ctx, rebind(o.dialect, query), args...)
	}
	return res, driverErr(err)
}

// query reads rows; the caller closes them.
func (o ops) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if s := o.prep.stmt(ctx, o.r, query); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = o.r.QueryContext(ctx, rebind(o.dialect, query), args...)
	}
	return rows, driverErr(err)
}

// queryRow reads one row; scanRow maps its errors.
func (o ops) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := o.prep.stmt(ctx, o.r, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return o.r.QueryRowContext(ctx, rebind(o.dialect, query), args...)
}

// writeRow runs a write that returns one row (INSERT/UPDATE ... RETURNING),
// or a read that must see the transaction's writes.
func (o ops) writeRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := o.prep.stmt(ctx, o.w, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return o.w.QueryRowContext(ctx, rebind(o.dialect, query), args...)
}

// scanRow scans a single row, mapping no row to ErrNotFound and driver errors
// through driverErr.
func scanRow(row interface{ Scan(...any) error }, dest ...any) error {
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return driverErr(err)
}

// rebind turns the `?` placeholders of a portable statement into PostgreSQL's
// $1, $2, ... Question marks inside quoted strings, quoted identifiers and
// comments are left alone. Statements must not use PostgreSQL's `?` JSON
// operators.
func rebind(dialect, query string) string {
	if dialect != DialectPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+4])
			i += j + 3
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// driverErr is the one place that maps driver errors to the store's sentinel
// errors, for both drivers. The driver's error stays in the chain.
func driverErr(err error) error {
	if err == nil {
		return nil
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: %w", ErrExists, err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

// toMicros converts a time for storage: microseconds since the Unix epoch,
// UTC. Finer precision is dropped (rounded towards the past).
func toMicros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of toMicros; the result is in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toMicros(t), Valid: true}
}
