package store

import (
	"context"
	"fmt"
	"io/fs"
)

// LatestSchemaVersion is the highest migration version this build carries
// for a dialect.
func LatestSchemaVersion(dialect string) (int64, error) {
	fsys, err := migrationsFor(migrationFiles, dialect)
	if err != nil {
		return 0, err
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(names) == 0 {
		return 0, fmt.Errorf("no migrations: %v", err)
	}
	var v int64
	_, err = fmt.Sscanf(names[len(names)-1], "%d_", &v)
	return v, err
}

// ExecRaw runs a statement through the store's placeholder rebinding and
// driver error mapping, as a method would.
func ExecRaw(ctx context.Context, s Store, query string, args ...any) error {
	_, err := s.(*sqlStore).exec(ctx, query, args...)
	return err
}
