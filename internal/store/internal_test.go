package store

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRebind(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`x = '?' AND y = ?`, `x = '?' AND y = $1`},
		{`x = 'it''s ?' AND y = ?`, `x = 'it''s ?' AND y = $1`},
		{`"odd?col" = ?`, `"odd?col" = $1`},
		{"-- what?\nx = ?", "-- what?\nx = $1"},
		{"/* why? */ x = ?", "/* why? */ x = $1"},
		{`x = 'unterminated ?`, `x = 'unterminated ?`},
	} {
		if got := rebind(DialectPostgres, tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := rebind(DialectSQLite, tt.in); got != tt.in {
			t.Errorf("rebind for SQLite changed %q to %q", tt.in, got)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"postgres://u:pw@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://:pw@h/db", "postgres://:xxxxx@h/db"},
		{"host=h password=pw user=u", "host=h password=xxxxx user=u"},
		{"host=h password='p w' user=u", "host=h password=xxxxx user=u"},
		{"postgres://h/db?password=pw&sslmode=disable", "postgres://h/db?password=xxxxx&sslmode=disable"},
	} {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, s := range secrets(tt.in) {
			if strings.Contains(redact(tt.in), s) {
				t.Errorf("redact(%q) keeps secret %q", tt.in, s)
			}
		}
	}
}

func TestParseDSN(t *testing.T) {
	for _, tt := range []struct{ in, dialect, path string }{
		{"sqlite:/var/lib/eseal/eseal.db", DialectSQLite, "/var/lib/eseal/eseal.db"},
		{"sqlite:///var/lib/eseal/eseal.db", DialectSQLite, "/var/lib/eseal/eseal.db"},
		{"sqlite:eseal.data", DialectSQLite, "eseal.data"},
		{"file:rel/eseal.db", DialectSQLite, "rel/eseal.db"},
		{"eseal.db", DialectSQLite, "eseal.db"},
		{"C:\\eseal\\eseal.db", DialectSQLite, "C:\\eseal\\eseal.db"},
		{"postgres://h/db", DialectPostgres, ""},
		{"PostgreSQL://h/db", DialectPostgres, ""},
	} {
		got, err := parseDSN(tt.in)
		if err != nil || got.dialect != tt.dialect || got.sqlitePath != tt.path {
			t.Errorf("parseDSN(%q) = %+v, %v; want %s %q", tt.in, got, err, tt.dialect, tt.path)
		}
	}
	got, err := parseDSN("postgres://u@h/db?schema=eseal&sslmode=disable")
	if err != nil || !strings.Contains(got.pgDSN, "search_path=eseal") || strings.Contains(got.pgDSN, "schema=") {
		t.Errorf("schema= became %q, %v", got.pgDSN, err)
	}
}

// The migrations of a dialect are the portable ones plus the dialect's own.
func TestMigrationsOverlay(t *testing.T) {
	files := fstest.MapFS{
		"migrations/00001_init.sql":          {Data: []byte("portable")},
		"migrations/00003_more.sql":          {Data: []byte("portable")},
		"migrations/README.md":               {Data: []byte("doc")},
		"migrations/postgres/00002_x.sql":    {Data: []byte("pg")},
		"migrations/sqlite/00002_x.sql":      {Data: []byte("lite")},
		"migrations/sqlite/00004_only.sql":   {Data: []byte("lite")},
		"migrations/postgres/00004_only.sql": {Data: []byte("pg")},
	}
	for dialect, want := range map[string]string{DialectPostgres: "pg", DialectSQLite: "lite"} {
		fsys, err := migrationsFor(files, dialect)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names, " "); got != "00001_init.sql 00002_x.sql 00003_more.sql 00004_only.sql" {
			t.Errorf("%s: migrations %s", dialect, got)
		}
		b, err := fs.ReadFile(fsys, "00002_x.sql")
		if err != nil || string(b) != want {
			t.Errorf("%s: 00002_x.sql = %q, %v", dialect, b, err)
		}
	}
	files["migrations/sqlite/00001_init.sql"] = &fstest.MapFile{Data: []byte("clash")}
	if _, err := migrationsFor(files, DialectSQLite); err == nil {
		t.Error("a migration both portable and dialect-specific was accepted")
	}
	// Without dialect folders, as now, the portable files are all there is.
	delete(files, "migrations/sqlite/00001_init.sql")
	for name := range files {
		if strings.Count(name, "/") > 1 {
			delete(files, name)
		}
	}
	fsys, _ := migrationsFor(files, DialectSQLite)
	if names, err := fs.Glob(fsys, "*.sql"); err != nil || len(names) != 2 {
		t.Errorf("without dialect folders: %v, %v", names, err)
	}
}
