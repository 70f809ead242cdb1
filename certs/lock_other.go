//go:build !unix

package certs

import "os"

// Without flock, concurrent processes on one CA directory are not
// serialised; a single process still is (CA.mu).
func lockFile(f *os.File) error { return nil }

func unlockFile(f *os.File) {}
