package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

// The DSN spellings of a SQLite file all open it.
func TestSQLiteDSNForms(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "forms.db")
	for _, dsn := range []string{path, "sqlite:" + path, "file:" + path, "sqlite://" + path} {
		s, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if s.Dialect() != store.DialectSQLite {
			t.Errorf("Open(%q).Dialect() = %q", dsn, s.Dialect())
		}
		if _, err := s.NextSerial(ctx, "n"); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	s := openStore(t, path)
	if n, err := s.NextSerial(ctx, "n"); err != nil || n != 5 {
		t.Fatalf("NextSerial = %d, %v; want 5: the forms did not open the same file", n, err)
	}
	for _, name := range []string{"x.sqlite", "x.SQLITE3"} {
		if _, err := store.Open(ctx, filepath.Join(dir, name)); err != nil {
			t.Errorf("Open(%s): %v", name, err)
		}
	}
}

// The store keeps SQLite in WAL mode with full sync, so that a commit is on
// disk when the call returns.
func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.db")
	openStore(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Bytes 18 and 19 of the header are 2 for WAL (file format versions).
	if len(b) < 100 || b[18] != 2 || b[19] != 2 {
		t.Fatalf("database header does not say WAL mode")
	}
}

func TestSQLiteCorrupt(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	dir := t.TempDir()

	garbage := filepath.Join(dir, "garbage.db")
	junk := []byte(strings.Repeat("this is not a database, it is a license scan. ", 200))
	if err := os.WriteFile(garbage, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(ctx, garbage)
	if err == nil || !strings.Contains(err.Error(), garbage) || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Fatalf("Open(garbage) = %v; want an error naming the file and the problem", err)
	}

	// A database cut short, as by a failed copy.
	cut := filepath.Join(dir, "cut.db")
	s, err := store.Open(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		c := cert("ca", fmt.Sprint(i))
		c.DER = make([]byte, 1000)
		if err := s.PutCertificate(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{50, 4096 + 100, 3 * 4096} {
		b, err := os.ReadFile(cut)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("cut-%d.db", size))
		if err := os.WriteFile(p, b[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(ctx, p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("Open(cut to %d bytes) = %v; want the error to name the file", size, err)
			}
			t.Logf("cut to %d bytes: %v", size, err)
			continue
		}
		// Open may not read far enough to notice; reading must fail
		// cleanly then.
		_, rerr := s.Revoked(ctx, "ca")
		_, cerr := s.Certificate(ctx, "ca", "499")
		s.Close()
		if rerr == nil && cerr == nil {
			t.Errorf("cut to %d bytes: opened and read without an error", size)
		}
		t.Logf("cut to %d bytes: Open succeeded; reads: %v; %v", size, rerr, cerr)
	}

	// A directory is not a database.
	if _, err := store.Open(ctx, "sqlite:"+dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Open(directory) = %v", err)
	}
}

// Two handles on one file stand for two processes: both write, neither gets
// SQLITE_BUSY, and each sees the other's writes.
func TestSQLiteTwoHandles(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := openStore(t, path), openStore(t, path)
	if err := a.Put(ctx, "from-a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "from-a"); err != nil || string(v) != "1" {
		t.Fatalf("b sees a's write: %q, %v", v, err)
	}
	checkContiguous(t, nextSerials(t, []store.Store{a, b}, 50, 20))
}

const crashEnv = "ESEAL_STORE_CRASH_DB"

// An acknowledged write survives kill -9 of the process that made it. The
// test runs itself as the child that writes, prints "ack N" after each
// write returns, and is killed.
func TestSQLiteCrash(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	t.Parallel()
	ctx := ctxT(t)
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var last int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue
		}
		if last, err = strconv.ParseInt(n, 10, 64); err != nil {
			t.Fatal(err)
		}
		if last == 200 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if last < 200 {
		t.Fatalf("child acknowledged only %d writes", last)
	}

	s := openStore(t, path)
	for i := int64(1); i <= last; i++ {
		if _, err := s.Get(ctx, fmt.Sprint("ack/", i)); err != nil {
			t.Fatalf("acknowledged write %d lost: %v", i, err)
		}
	}
	n, err := s.NextSerial(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	if n <= last {
		t.Fatalf("NextSerial after the crash = %d, but %d was acknowledged", n, last)
	}
}

// crashChild writes until it is killed (or a minute has passed).
func crashChild(path string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for ctx.Err() == nil {
		n, err := s.NextSerial(ctx, "crash")
		if err == nil {
			err = s.Put(ctx, fmt.Sprint("ack/", n), []byte("x"))
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("ack %d\n", n)
	}
	os.Exit(3)
}
