package main

// kill -9 of `eseal serve` in the middle of a verification load: the audit
// entries of verifications share transactions (group commit), and each is
// answered only once its transaction is committed, so every receipt handed
// out names an entry that survives, with the tree head the log has.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/verify"
)

// verifyTokenOnce verifies a license by its token without failing the
// test. It returns the receipt of a 200 answer, or err when no answer came.
func verifyTokenOnce(ctx context.Context, c *http.Client, baseURL, key, token string) (status int, receipt string, err error) {
	req, err := http.NewRequestWithContext(ctx, "POST", baseURL+"/v1/verify/license", strings.NewReader(`{"token":"`+token+`"}`))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", fmt.Errorf("%d answer cut off: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, "", fmt.Errorf("%d %.300s", resp.StatusCode, b)
	}
	var ans struct{ Receipt string }
	if err := json.Unmarshal(b, &ans); err != nil || ans.Receipt == "" {
		return resp.StatusCode, "", fmt.Errorf("200 without a receipt (%v): %.300s", err, b)
	}
	return resp.StatusCode, ans.Receipt, nil
}

// The server process is killed (SIGKILL) while 16 case systems verify a
// license by its token, once 300 receipts were answered. After the kill
// every receipt verifies, its entry is in the log exactly as the receipt
// quotes it, and the root the receipt states for the tree its entry
// completes is the log's root of that size; the restarted server answers,
// and the log exports and verifies offline.
func TestCrashVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds eseal and kills it under load; skipped with -short")
	}
	bin := buildEseal(t)
	t.Run("sqlite", func(t *testing.T) { testCrashVerify(t, bin, "") })
	t.Run("postgres", func(t *testing.T) { testCrashVerify(t, bin, testenv.PostgresSchema(t)) })
}

func testCrashVerify(t *testing.T, bin, pgDSN string) {
	const workers, killAfter = 16, 300
	var edit func(*config.Config)
	if pgDSN != "" {
		edit = func(c *config.Config) { c.Store = pgDSN }
	}
	n := setupNode(t, config.Region{Code: "110108", Name: "某市某区"}, edit)
	cfg, err := config.Load(n.cfg)
	if err != nil {
		t.Fatal(err)
	}
	issuer := n.client(t, auth.RoleIssuer, auth.IssuerScope(permitIssuer), auth.TypeScope(permitType))
	caseSystem := n.client(t, auth.RoleCaseSystem, auth.ScopeVerify)
	logPath := filepath.Join(t.TempDir(), "serve.log")
	p := startProcess(t, bin, n.cfg, n.url, logPath)
	client := loadClient(workers)
	r := issuePermitOnce(context.Background(), client, n.url, issuer)
	var permit struct{ Token string }
	if r.err != nil || r.status != http.StatusCreated || json.Unmarshal(r.body, &permit) != nil || permit.Token == "" {
		t.Fatalf("issuing the permit: %d %v %.300s", r.status, r.err, r.body)
	}

	var (
		mu       sync.Mutex
		receipts []string
		inFlight int
		failures []error
		killed   atomic.Bool
		wg       sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for range workers {
		wg.Go(func() {
			for !killed.Load() {
				_, rc, err := verifyTokenOnce(context.Background(), client, n.url, caseSystem, permit.Token)
				after := killed.Load()
				mu.Lock()
				switch {
				case err == nil:
					receipts = append(receipts, rc)
					if len(receipts) == killAfter {
						once.Do(func() { close(enough) })
					}
				case after:
					inFlight++
				default:
					failures = append(failures, err)
				}
				mu.Unlock()
				if err != nil && !after {
					return
				}
			}
		})
	}
	select {
	case <-enough:
	case <-p.exited:
		killed.Store(true)
		wg.Wait()
		t.Fatalf("eseal serve exited under load (%v); its log:\n%s", p.err, p.tail())
	}
	killed.Store(true)
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-p.exited
	wg.Wait()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("eseal serve ended with %v, not by SIGKILL; log:\n%s", p.err, p.tail())
	}
	for _, err := range failures {
		t.Errorf("a verification failed before the kill: %v", err)
	}
	t.Logf("killed after %d receipts, %d requests in flight", len(receipts), inFlight)
	if t.Failed() {
		t.FailNow()
	}
	if dbPath, ok := strings.CutPrefix(cfg.Store, "sqlite:"); ok {
		sqliteIntegrity(t, dbPath)
	}

	// Every receipt's entry and tree head are the log's.
	st, err := store.Open(context.Background(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := audit.New(st, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	trust, err := certs.LoadPool(filepath.Join(n.dir, "ca", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seen := map[uint64]bool{}
	for i, rc := range receipts {
		vr, err := verify.VerifyReceipt(rc, trust)
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		a := vr.Audit
		if a == nil || a.TreeSize != a.Index+1 {
			t.Fatalf("receipt %d: no inclusion proof: %+v", i, a)
		}
		if seen[a.Index] {
			t.Fatalf("two receipts name audit entry %d", a.Index)
		}
		seen[a.Index] = true
		if err := a.Verify(); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		leaf, err := l.Leaf(ctx, a.Index)
		if err != nil {
			t.Fatalf("receipt %d names audit entry %d, which the log lost: %v", i, a.Index, err)
		}
		if want, _ := base64.StdEncoding.DecodeString(a.Leaf); !bytes.Equal(leaf, want) {
			t.Fatalf("audit entry %d is not what receipt %d quotes", a.Index, i)
		}
		root, err := l.Root(ctx, a.TreeSize)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := base64.StdEncoding.DecodeString(a.Root); !bytes.Equal(root, want) {
			t.Fatalf("receipt %d states a root of size %d the log does not have", i, a.TreeSize)
		}
	}

	// The restarted server verifies again; a graceful stop signs a
	// checkpoint, and the log verifies offline.
	p = startProcess(t, bin, n.cfg, n.url, logPath)
	if _, _, err := verifyTokenOnce(ctx, client, n.url, caseSystem, permit.Token); err != nil {
		t.Fatalf("verifying after the restart: %v\nserver log:\n%s", err, p.tail())
	}
	p.stop(t)
	verifiedAuditLog(t, st, nodeKey(t, n.dir))
}
