package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

// A bad DSN fails with an error that says what was wrong and never shows the
// password.
func TestOpenBadDSN(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	const secret = "s3cr%40t-pw"
	for _, tt := range []struct {
		dsn  string
		want string // in the error
	}{
		{"", "empty DSN"},
		{"   ", "empty DSN"},
		{"eseal", "unrecognised DSN"},
		{"mysql://root:" + secret + "@localhost/eseal", "unrecognised DSN"},
		{"postgress://u:" + secret + "@localhost/eseal", "unrecognised DSN"},
		{"sqlite:", "no file path"},
		{"sqlite::memory:", "in-memory"},
		{"file:" + filepath.Join(dir, "x.db") + "?mode=ro", "parameters"},
		{filepath.Join(dir, "no", "such", "dir", "x.db"), "does not exist"},
		{"postgres://u:" + secret + "@127.0.0.1:notaport/db", "PostgreSQL DSN"},
		{"postgres://u:" + secret + "@127.0.0.1/db?schema=a&search_path=b", "both schema and search_path"},
		{"postgres://u:" + secret + "@127.0.0.1/db?schema=", "schema parameter is empty"},
		{"postgres://u:" + secret + "@127.0.0.1/db?sslmode=bogus", "sslmode"},
		// Nothing listens on port 1: the connection fails.
		{"postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", "connect"},
	} {
		s, err := store.Open(ctx, tt.dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", tt.dsn)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) {
			t.Errorf("Open(%q) = %q; want it to mention %q", tt.dsn, msg, tt.want)
		}
		for _, pw := range []string{secret, "s3cr@t-pw"} {
			if strings.Contains(msg, pw) {
				t.Errorf("Open(%q) error shows the password: %q", tt.dsn, msg)
			}
		}
		if !strings.HasPrefix(msg, "store: ") {
			t.Errorf("Open(%q) = %q; want a store: prefix", tt.dsn, msg)
		}
	}
}

// A schema that does not exist is named in the error, and schema= works like
// search_path=.
func TestPostgresSchemaParam(t *testing.T) {
	t.Parallel()
	newDSN := postgresDSN(t)
	ctx := ctxT(t)
	dsn := newDSN(t)
	schemaDSN := strings.Replace(dsn, "search_path=", "schema=", 1)
	a := openStore(t, schemaDSN)
	if err := a.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	b := openStore(t, dsn)
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("schema= and search_path= opened different schemas: %q, %v", v, err)
	}

	missing := strings.Replace(dsn, "search_path=eseal_test_", "search_path=eseal_missing_", 1)
	if _, err := store.Open(ctx, missing); err == nil || !strings.Contains(err.Error(), "CREATE SCHEMA") {
		t.Fatalf("Open(missing schema) = %v; want advice to create it", err)
	}
}
