package main

import (
	"github.com/eseal-project/eseal/internal/atomicfile"

	"fmt"
	"os"
)

// usageErrorf reports bad usage (exit code 2).
func usageErrorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

// writeFileAtomic writes data to path through a synced temporary file in the
// same directory and a rename, so that a reader or a crash never sees half
// a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
