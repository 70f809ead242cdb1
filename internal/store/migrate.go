package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
)

// migrationFiles are the numbered migrations: portable SQL in migrations/,
// SQL that must differ per database in migrations/sqlite/ and
// migrations/postgres/ (see migrations/README.md).
//
//go:embed migrations
var migrationFiles embed.FS

// migrationsFor returns the migrations of one dialect: the portable files
// overlaid with the dialect's folder.
func migrationsFor(files fs.FS, dialect string) (fs.FS, error) {
	base, err := fs.Sub(files, "migrations")
	if err != nil {
		return nil, err
	}
	over, err := fs.Sub(base, dialect)
	if err != nil {
		return nil, err
	}
	root, err := fs.ReadDir(base, ".")
	if err != nil {
		return nil, err
	}
	own, err := fs.ReadDir(over, ".")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range own {
		if slices.ContainsFunc(root, func(b fs.DirEntry) bool { return b.Name() == e.Name() }) {
			return nil, fmt.Errorf("migration %s is both portable and in %s/; keep one", e.Name(), dialect)
		}
	}
	root = append(root, own...)
	slices.SortFunc(root, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return overlayFS{base: base, over: over, root: root}, nil
}

// overlayFS shows the files of over and base side by side, which is as much
// of a file system as goose needs: ReadDir of the root and Open of files.
type overlayFS struct {
	base, over fs.FS
	root       []fs.DirEntry
}

func (o overlayFS) Open(name string) (fs.File, error) {
	f, err := o.over.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.base.Open(name)
	}
	return f, err
}

func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return fs.ReadDir(o.base, name)
	}
	return slices.Clone(o.root), nil
}

// migrate applies pending migrations and checks that the database is not
// newer than this binary. Callers on PostgreSQL hold a lock so that replicas
// migrate one at a time; SQLite has none to hold outside the transaction
// goose opens, so two processes opening a new file together may both try a
// migration: the loser fails, finds the work done, and succeeds.
func migrate(ctx context.Context, dialect string, db *sql.DB) error {
	fsys, err := migrationsFor(migrationFiles, dialect)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	gd := goose.DialectPostgres
	if dialect == DialectSQLite {
		gd = goose.DialectSQLite3
	}
	p, err := goose.NewProvider(gd, db, fsys,
		goose.WithLogger(goose.NopLogger()),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	const attempts = 3
	for i := 1; ; i++ {
		_, err = p.Up(ctx)
		if err == nil {
			break
		}
		if current, target, verr := p.GetVersions(ctx); verr == nil && current >= target {
			break // another process applied them
		}
		if i == attempts || ctx.Err() != nil {
			return fmt.Errorf("applying migrations: %w", driverErr(err))
		}
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if current > target {
		return fmt.Errorf("the database has schema version %d, newer than this program knows (%d); run a newer eseal", current, target)
	}
	return nil
}
