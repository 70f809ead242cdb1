package main

// kill -9 of `eseal serve` in the middle of an issuance load: what was
// acknowledged survives, the audit log still verifies, the database is
// sound (ARCHITECTURE.md: "an acknowledged request survives a crash").

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, for the integrity check

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
)

// buildEseal builds the eseal binary once per test into a temporary
// directory: the crash test needs the server in a process of its own.
func buildEseal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "eseal")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/eseal")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/eseal: %v\n%s", err, out)
	}
	return bin
}

// serverProcess is `eseal serve` running as a child process.
type serverProcess struct {
	cmd    *exec.Cmd
	url    string
	log    string // its standard error and output
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

// startProcess runs `eseal serve --config cfgPath` and waits until /readyz
// answers 200 (at most 60 s). The process is killed when the test ends if
// it still runs.
func startProcess(t *testing.T, bin, cfgPath, url, logPath string) *serverProcess {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	env := []string{hsm.PassphraseEnv + "=" + testPassphrase}
	for _, kv := range os.Environ() {
		// The configuration file alone says what the node is.
		if !strings.HasPrefix(kv, "ESEAL_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, url: url, log: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("eseal serve exited before it was ready (%v); its log:\n%s", p.err, p.tail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("eseal serve at %s not ready after 60 s (last: %v); its log:\n%s", url, err, p.tail())
		}
	}
}

// tail is the end of the process's log, for failure messages.
func (p *serverProcess) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop ends the process with SIGTERM (in-flight requests finish, a final
// checkpoint is signed) and waits at most 60 s for it to exit.
func (p *serverProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("eseal serve still running 60 s after SIGTERM; its log:\n%s", p.tail())
	}
	if p.err != nil {
		t.Fatalf("eseal serve after SIGTERM: %v; its log:\n%s", p.err, p.tail())
	}
}

// sqliteIntegrity runs PRAGMA integrity_check on a database file, read-only.
func sqliteIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity check of %s: %v", path, err)
	}
	defer rows.Close()
	var res []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		res = append(res, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0] != "ok" {
		t.Fatalf("PRAGMA integrity_check of %s: %s", path, strings.Join(res, "; "))
	}
}

// The server process is killed (SIGKILL) while 16 clients issue licenses.
// After a restart every license that was answered 201 is in the store with
// its issued event; licenses committed without an answer (requests in
// flight at the kill) are counted, never more than the requests that were
// in flight; every license in the store, answered or not, has exactly one
// license.issued audit entry (they commit together); the server issues again; the
// audit log exports and verifies offline; the SQLite database passes
// PRAGMA integrity_check right after the kill and at the end.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds eseal and kills it under load; skipped with -short")
	}
	bin := buildEseal(t)
	t.Run("sqlite", func(t *testing.T) { testCrash(t, bin, "") })
	t.Run("postgres", func(t *testing.T) { testCrash(t, bin, testenv.PostgresSchema(t)) })
}

func testCrash(t *testing.T, bin, pgDSN string) {
	const workers = 16
	var edit func(*config.Config)
	if pgDSN != "" {
		edit = func(c *config.Config) { c.Store = pgDSN }
	}
	n := setupNode(t, config.Region{Code: "110108", Name: "某市某区"}, edit)
	cfg, err := config.Load(n.cfg)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := ""
	if pgDSN == "" {
		var ok bool
		if dbPath, ok = strings.CutPrefix(cfg.Store, "sqlite:"); !ok {
			t.Fatalf("store %q is not SQLite", cfg.Store)
		}
	}
	key := n.client(t, auth.RoleIssuer, auth.IssuerScope(permitIssuer), auth.TypeScope(permitType))
	logPath := filepath.Join(t.TempDir(), "serve.log")
	p := startProcess(t, bin, n.cfg, n.url, logPath)

	// The load: each worker issues until the server is gone.
	type outcome struct {
		res   issueResult
		after bool // the answer or failure came after the kill was sent
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		killed   atomic.Bool
		acked    atomic.Int64
		wg       sync.WaitGroup
	)
	client := loadClient(workers)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !killed.Load() && ctx.Err() == nil {
				r := issuePermitOnce(ctx, client, n.url, key)
				after := killed.Load()
				if r.err == nil && r.status == http.StatusCreated {
					acked.Add(1)
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{r, after})
				mu.Unlock()
				if r.err != nil && !after {
					return // reported below
				}
			}
		}()
	}

	// Kill 1.5 s after the first acknowledgement, when the load runs at
	// full speed (the first issuances of a fresh process are slow).
	began := time.Now()
	deadline := began.Add(60 * time.Second)
	for acked.Load() == 0 {
		if time.Now().After(deadline) {
			killed.Store(true)
			cancel()
			wg.Wait()
			t.Fatalf("no issuance acknowledged in 60 s; server log:\n%s", p.tail())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	killed.Store(true)
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("eseal serve still running 30 s after SIGKILL")
	}
	wg.Wait()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("eseal serve ended with %v, not by SIGKILL: it was not killed under load; log:\n%s", p.err, p.tail())
	}

	// Before the kill every request was answered 201; after it, requests
	// fail without an answer.
	answers := map[string]issueAnswer{}
	inFlight := 0
	for _, o := range outcomes {
		r := o.res
		switch {
		case r.err == nil && r.status == http.StatusCreated:
			if _, dup := answers[r.answer.Identifier]; dup {
				t.Errorf("identifier %s answered twice", r.answer.Identifier)
			}
			answers[r.answer.Identifier] = r.answer
		case r.err != nil && o.after:
			inFlight++
		case r.err != nil:
			t.Errorf("an issuance failed before the kill: %v", r.err)
		default:
			t.Errorf("an issuance was answered %d: %.300s", r.status, r.body)
		}
	}
	t.Logf("killed after %.1f s: %d issuances acknowledged (201), %d requests in flight at the kill", time.Since(began).Seconds(), len(answers), inFlight)
	if t.Failed() {
		t.FailNow()
	}
	if dbPath != "" {
		sqliteIntegrity(t, dbPath)
	}

	// Restart: the acknowledged licenses are all there.
	p = startProcess(t, bin, n.cfg, n.url, logPath)
	st, err := store.Open(context.Background(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	var closeOnce sync.Once
	closeStore := func() { closeOnce.Do(func() { st.Close() }) }
	defer closeStore()
	byID := checkLicenses(t, st, answers)
	extra := len(byID) - len(answers)
	t.Logf("after the restart the store holds %d licenses of the holder: %d acknowledged, %d committed without an answer", len(byID), len(answers), extra)
	if extra < 0 || extra > inFlight {
		t.Fatalf("%d licenses committed without an answer, but only %d requests were in flight at the kill", extra, inFlight)
	}

	// The restarted server issues again, with fresh serial numbers.
	for range 5 {
		r := issuePermitOnce(context.Background(), client, n.url, key)
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("issuing after the restart: %d %v: %.300s\nserver log:\n%s", r.status, r.err, r.body, p.tail())
		}
		if _, dup := byID[r.answer.Identifier]; dup {
			t.Fatalf("after the restart %s was issued again", r.answer.Identifier)
		}
		answers[r.answer.Identifier] = r.answer
	}

	// A graceful stop signs a checkpoint; the log verifies offline and has
	// the license.issued entry of every acknowledged license.
	p.stop(t)
	entries := verifiedAuditLog(t, st, nodeKey(t, n.dir))
	logged := issuedEntries(entries)
	// A license and its entry commit together: every license in the store,
	// answered or not, has exactly one entry.
	for id := range byID {
		if logged[id] != 1 {
			_, acked := answers[id]
			t.Errorf("license %s (acknowledged: %v) has %d license.issued audit entries, want 1", id, acked, logged[id])
		}
	}
	if dbPath != "" {
		closeStore()
		sqliteIntegrity(t, dbPath)
	}
}
