// Crash-safe files of a CA directory: every write goes to a temporary file
// in the same directory, is synced, then renamed over the old file, so a
// reader sees the old or the new content and never half of it.

package certs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/eseal-project/eseal/internal/atomicfile"
)

// writeFileAtomic replaces path with data, mode 0600.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o600)
}

// lockDir takes an exclusive lock on dir/.lock, serialising CA operations
// of concurrent processes; unlock releases it.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking CA directory: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking CA directory: %w", err)
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}
