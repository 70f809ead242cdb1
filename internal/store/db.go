package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pressly/goose/v3"
)

// sqlStore is the Store for both databases. They differ only in how they
// are opened (sqlite.go, postgres.go) and in rebind.
type sqlStore struct {
	ops
	writeDB *sql.DB
	readDB  *sql.DB // == writeDB on PostgreSQL
}

func newSQLStore(dialect string, writeDB, readDB *sql.DB, prep *prepared) *sqlStore {
	return &sqlStore{
		ops:     ops{dialect: dialect, r: readDB, w: writeDB, prep: prep},
		writeDB: writeDB,
		readDB:  readDB,
	}
}

func (s *sqlStore) Dialect() string { return s.dialect }

func (s *sqlStore) WithTx(ctx context.Context, fn func(tx Tx) error) error {
	tx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin transaction: %w", driverErr(err))
	}
	// Rolls back when fn fails or panics; after Commit it does nothing.
	defer tx.Rollback()
	if err := fn(ops{dialect: s.dialect, r: tx, w: tx, prep: s.prep}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", driverErr(err))
	}
	return nil
}

func (s *sqlStore) SchemaVersion(ctx context.Context) (int64, error) {
	// goose's version table; read directly so that it works inside WithTx
	// on SQLite, where goose would wait for the one write connection.
	var v sql.NullInt64
	if err := scanRow(s.queryRow(ctx, `SELECT MAX(version_id) FROM `+goose.DefaultTablename), &v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v.Int64, nil
}

func (s *sqlStore) Close() error {
	err := errors.Join(s.prep.close(), s.writeDB.Close())
	if s.readDB != s.writeDB {
		err = errors.Join(err, s.readDB.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
