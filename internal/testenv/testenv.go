// Package testenv finds the external tools that integration tests use for
// real (SoftHSM2, OpenSSL, PostgreSQL, pdfsig, Chromium, ...). A missing tool
// fails the test with a clear message when CI=true and skips it loudly
// elsewhere, so that a developer sees what was not run.
package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// CI reports whether the tests run under CI (CI=true), where a missing tool
// is a failure rather than a skip.
func CI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1" || v == "yes"
}

// Missing fails (under CI) or skips the test, naming what is missing and how
// to get it.
func Missing(t testing.TB, what, hint string) {
	t.Helper()
	msg := fmt.Sprintf("MISSING %s: %s (make test installs it)", what, hint)
	if CI() {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED, " + msg)
}

// Tool returns the path of an executable, or fails/skips naming the Debian
// package that provides it.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, "apt-get install "+debianPackage)
	}
	return p
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	out, err := Output(env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// Output runs a command with extra environment variables and returns its
// combined output.
func Output(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// RepoRoot returns the module root (the directory holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot locate source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SoftHSMModule returns the path of the SoftHSM2 PKCS#11 module.
func SoftHSMModule(t testing.TB) string {
	t.Helper()
	for _, p := range []string{
		os.Getenv("SOFTHSM2_MODULE"),
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/local/lib/softhsm/libsofthsm2.so",
	} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	Missing(t, "SoftHSM2 module libsofthsm2.so", "apt-get install softhsm2")
	return ""
}

// SoftHSMToken creates a fresh SoftHSM2 token in a temporary directory and
// points SOFTHSM2_CONF at it for the rest of the test. It returns the module
// path. The token has the given label, user PIN and SO PIN.
func SoftHSMToken(t testing.TB, label, pin, soPIN string) (module string) {
	t.Helper()
	module = SoftHSMModule(t)
	util := Tool(t, "softhsm2-util", "softhsm2")
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	Run(t, nil, util, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", soPIN)
	return module
}

var (
	tokenOnce sync.Once
	tokenPath string
	tokenErr  error
)

// SM2TokenModule builds (once per test binary) and returns the SM2 PKCS#11
// test token, a module in C on OpenSSL's libcrypto (hsm/testtoken). It needs
// gcc and libssl-dev.
func SM2TokenModule(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ESEAL_SM2TOKEN"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	Tool(t, "gcc", "gcc")
	if _, err := os.Stat("/usr/include/openssl/evp.h"); err != nil {
		Missing(t, "OpenSSL headers /usr/include/openssl/evp.h", "apt-get install libssl-dev")
	}
	root := RepoRoot(t)
	tokenOnce.Do(func() {
		// One build per version of the sources, shared by test binaries.
		h := sha256.New()
		src, _ := filepath.Glob(filepath.Join(root, "hsm", "testtoken", "*.[ch]"))
		for _, f := range src {
			b, _ := os.ReadFile(f)
			h.Write(b)
		}
		dir := filepath.Join(os.TempDir(), "eseal-sm2token-"+hex.EncodeToString(h.Sum(nil))[:16])
		if p := filepath.Join(dir, "libsm2token.so"); fileExists(p) {
			tokenPath = p
			return
		}
		tmp, err := os.MkdirTemp(os.TempDir(), "eseal-sm2token-build-")
		if err != nil {
			tokenErr = err
			return
		}
		defer os.RemoveAll(tmp)
		built, err := BuildSM2Token(root, tmp)
		if err != nil {
			tokenErr = err
			return
		}
		os.MkdirAll(dir, 0o755)
		final := filepath.Join(dir, "libsm2token.so")
		if err := os.Rename(built, final); err != nil && !fileExists(final) {
			tokenErr = err
			return
		}
		tokenPath = final
	})
	if tokenErr != nil {
		t.Fatalf("building the SM2 test token: %v", tokenErr)
	}
	return tokenPath
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// BuildSM2Token compiles hsm/testtoken into outDir/libsm2token.so.
func BuildSM2Token(root, outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	// The PKCS#11 headers come with github.com/miekg/pkcs11.
	list := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/miekg/pkcs11")
	list.Dir = root
	hdr, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/miekg/pkcs11: %w", err)
	}
	out := filepath.Join(outDir, "libsm2token.so")
	src, _ := filepath.Glob(filepath.Join(root, "hsm", "testtoken", "*.c"))
	if len(src) == 0 {
		return "", fmt.Errorf("no C sources in %s", filepath.Join(root, "hsm", "testtoken"))
	}
	args := []string{"-shared", "-fPIC", "-O2", "-Wall", "-pthread",
		"-I" + filepath.Join(root, "hsm", "testtoken"),
		"-I" + strings.TrimSpace(string(hdr)),
		"-o", out}
	args = append(args, src...)
	args = append(args, "-lcrypto")
	if o, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s: %v\n%s", strings.Join(args, " "), err, o)
	}
	return out, nil
}

// PostgresDSN returns the DSN of the test PostgreSQL server
// (ESEAL_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("ESEAL_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	return dsn
}

// RunStdout runs a command and returns its standard output only, failing
// the test with its standard error if it fails.
func RunStdout(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
