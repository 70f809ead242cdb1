package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgMaxConns bounds the connections of one replica; PostgreSQL's default
// max_connections (100) is shared by all replicas.
const pgMaxConns = 10

func openPostgres(ctx context.Context, t target) (_ Store, err error) {
	cfg, err := pgx.ParseConfig(t.pgDSN)
	if err != nil {
		// pgx's message quotes the DSN; scrub passwords from it all the same.
		return nil, fmt.Errorf("store: PostgreSQL DSN %s: %w", t.redacted, scrub(err, t.pgDSN))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	defer func() {
		if err != nil {
			_ = db.Close()
			err = fmt.Errorf("store: PostgreSQL %s: %w", t.redacted, scrub(err, t.pgDSN))
		}
	}()

	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	var schema sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, err
	}
	if !schema.Valid {
		var path string
		_ = conn.QueryRowContext(ctx, "SHOW search_path").Scan(&path)
		return nil, fmt.Errorf("no schema of search_path %q exists; create it (CREATE SCHEMA ...) or fix the DSN's search_path/schema", path)
	}

	// Replicas starting together migrate one at a time. The lock is per
	// database, so its id names the schema: stores in different schemas do
	// not wait for each other.
	lockID := migrationLockID(schema.String)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return nil, fmt.Errorf("waiting for the migration lock: %w", err)
	}
	err = migrate(ctx, DialectPostgres, db)
	var unlocked bool
	uerr := conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID).Scan(&unlocked)
	if uerr == nil && !unlocked {
		uerr = errors.New("the lock was not held")
	}
	if uerr != nil {
		// Closing the pool (on the error path) ends the session and with it
		// the lock; a pooled session must not keep holding it.
		err = errors.Join(err, fmt.Errorf("releasing the migration lock: %w", uerr))
	}
	if err != nil {
		return nil, err
	}
	return newSQLStore(DialectPostgres, db, db, nil), nil
}

func migrationLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("eseal/internal/store migrate\x00" + schema))
	return int64(h.Sum64())
}
