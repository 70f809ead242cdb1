package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite connection settings, as modernc.org/sqlite DSN parameters.
//
// The writer is one connection: database/sql queues the goroutines that
// write, so they never meet SQLITE_BUSY among themselves, and busy_timeout
// makes writers of other processes wait for each other. Transactions begin
// IMMEDIATE, taking the write lock at BEGIN; a deferred transaction that
// reads and then writes could fail with SQLITE_BUSY instead of waiting.
// synchronous=FULL in WAL mode syncs the log at every commit, so an
// acknowledged write survives a crash of the process or the machine.
//
// Readers are a pool of query-only connections: in WAL mode they read the
// last committed state while a write is under way.
const (
	sqliteCommon = "_busy_timeout=10000&_foreign_keys=1"
	sqliteWriter = sqliteCommon + "&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	sqliteReader = sqliteCommon + "&_query_only=1"
)

func openSQLite(ctx context.Context, path string) (_ Store, err error) {
	defer func() {
		if err != nil {
			err = sqliteOpenErr(path, err)
		}
	}()
	if dir := filepath.Dir(path); dir != "" {
		fi, err := os.Stat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("directory %s does not exist; create it first", dir)
		}
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a directory", dir)
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, errors.New("is a directory, not a database file")
	}

	w, err := sql.Open("sqlite", path+"?"+sqliteWriter)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	closeW := true
	defer func() {
		if closeW {
			_ = w.Close()
		}
	}()
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, err
	}
	if mode != "wal" {
		return nil, fmt.Errorf("journal mode is %q, not WAL (is the file system read-only, or does another program hold the file?)", mode)
	}

	r, err := sql.Open("sqlite", path+"?"+sqliteReader)
	if err != nil {
		return nil, err
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	closeR := true
	defer func() {
		if closeR {
			_ = r.Close()
		}
	}()

	if err := migrate(ctx, DialectSQLite, w); err != nil {
		return nil, err
	}
	if err := r.PingContext(ctx); err != nil {
		return nil, err
	}
	prep, err := prepare(ctx, r, w)
	if err != nil {
		return nil, err
	}
	closeW, closeR = false, false
	return newSQLStore(DialectSQLite, w, r, prep), nil
}

// sqliteOpenErr names the file and says what to do about the failures a user
// can act on.
func sqliteOpenErr(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("store: SQLite %s is damaged or is not an SQLite database; restore it from a backup: %w", path, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("store: SQLite %s cannot be opened for writing; check the path and its permissions: %w", path, err)
		}
	}
	return fmt.Errorf("store: SQLite %s: %w", path, err)
}
