package main

// Replicas of one node sharing a PostgreSQL store, under a concurrent
// issuance load: every license issued once, with its event and its audit
// entry, and an audit log that verifies offline. The helpers here (issuing
// from many goroutines, checking the store and the audit log) serve the
// crash test too.

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
)

// permitHolder is the holder code on permitFace.
const permitHolder = "11010519491231002X"

// issueAnswer is what the load keeps of a 201 answer to POST /v1/licenses.
type issueAnswer struct {
	Identifier string `json:"identifier"`
	Number     string `json:"number"` // 证照编号, as printed
	Audit      *struct {
		Index uint64 `json:"index"`
	} `json:"audit"`
}

// issueResult is the outcome of one issuance request: an answer with its
// status, or err when no answer came (connection refused or cut).
type issueResult struct {
	status int
	body   []byte
	answer issueAnswer
	err    error
}

// loadClient keeps enough idle connections for the load's goroutines, so
// that the load does not open and close a connection per request.
func loadClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns*2, conns*2
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

// issuePermitOnce issues one residence permit without failing the test, so
// that load goroutines can use it. The loads ask for no PDF: rendering and
// sealing it is CPU work away from the store, which would only thin out
// the concurrent commits these tests are about (TestLicenseEndToEnd covers
// the PDF).
func issuePermitOnce(ctx context.Context, c *http.Client, baseURL, key string) issueResult {
	body, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace, "pdf": false})
	req, err := http.NewRequestWithContext(ctx, "POST", baseURL+"/v1/licenses", bytes.NewReader(body))
	if err != nil {
		return issueResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return issueResult{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line came but not the whole answer: the issuance
		// may or may not be recorded, as for a request cut off.
		return issueResult{err: fmt.Errorf("%d answer cut off: %w", resp.StatusCode, err)}
	}
	r := issueResult{status: resp.StatusCode, body: b}
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &r.answer); err != nil || r.answer.Identifier == "" {
			r.err = fmt.Errorf("201 with an unreadable answer (%v): %.200s", err, b)
		}
	}
	return r
}

// serveReplica serves the node configured in cfgPath on listen (as
// `eseal serve --listen` does) until the returned stop is called or the
// test ends, and returns its base URL.
func serveReplica(t *testing.T, cfgPath, listen string) (url string, stop func()) {
	t.Helper()
	t.Setenv(hsm.PassphraseEnv, testPassphrase)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := buildServer(ctx, cfgPath)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv.node.cfg.Listen = listen
	ready := make(chan string, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		defer srv.close()
		if err := srv.run(ctx, ready); err != nil {
			t.Logf("serve %s: %v", listen, err)
		}
	}()
	select {
	case addr := <-ready:
		url = "http://" + addr
	case <-stopped:
		cancel()
		t.Fatalf("replica on %s did not start", listen)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("replica on %s not listening after 60 s", listen)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-stopped
		})
	}
	t.Cleanup(stop)
	return url, stop
}

// nodeKey returns the node's public key, from its certificate DIR/node.pem.
func nodeKey(t *testing.T, dir string) crypto.PublicKey {
	t.Helper()
	cs, err := certs.LoadCertificates(filepath.Join(dir, "node.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return cs[0].PublicKey
}

// signCheckpoint signs a checkpoint of the audit log in st with the node
// key from the node's keystore, as the node would.
func signCheckpoint(t *testing.T, cfgPath string, st store.Store) *audit.Checkpoint {
	t.Helper()
	t.Setenv(hsm.PassphraseEnv, testPassphrase)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := hsm.Open(cfg.Keystore)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	signer, err := ks.Signer(context.Background(), cfg.NodeKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(st, signer, cfg.NodeName)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("audit checkpoint: %v", err)
	}
	return cp
}

// verifiedAuditLog exports the audit log in st, verifies the export offline
// against the node key, and returns its entries in order. It fails the test
// if the export does not verify, if an entry's index is not its place, or
// if entries are left unsigned by the latest checkpoint.
func verifiedAuditLog(t *testing.T, st store.Store, pub crypto.PublicKey) []audit.Entry {
	t.Helper()
	ctx := context.Background()
	l, err := audit.New(st, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	size, err := l.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var exp bytes.Buffer
	n, cps, err := l.Export(ctx, &exp)
	if err != nil {
		t.Fatalf("audit export: %v", err)
	}
	if n != size {
		t.Fatalf("audit export holds %d entries, the log %d", n, size)
	}
	rep, err := audit.VerifyExport(bytes.NewReader(exp.Bytes()), pub)
	if err != nil {
		t.Fatalf("the audit export (%d entries, %d checkpoints) does not verify against the node key: %v", n, cps, err)
	}
	if rep.Entries != size || rep.Unsigned != 0 {
		t.Fatalf("audit export verified %d entries of %d, %d of them not covered by a checkpoint", rep.Entries, size, rep.Unsigned)
	}
	t.Logf("audit log: %d entries, %d checkpoints, verified offline against the node key", rep.Entries, rep.Checkpoints)

	// The entries as exported, and the leaves as stored: entry i is leaf i.
	var entries []audit.Entry
	sc := bufio.NewScanner(&exp)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Leaf *string `json:"leaf"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("export line: %v", err)
		}
		if line.Leaf == nil {
			continue
		}
		e, err := audit.ParseEntry([]byte(*line.Leaf))
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != uint64(len(entries)) {
			t.Fatalf("audit entry %d of the export says it is entry %d", len(entries), e.Seq)
		}
		entries = append(entries, e)
	}
	leaves, err := st.AuditLeaves(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(leaves)) != size {
		t.Fatalf("the store holds %d audit leaves, its head says %d", len(leaves), size)
	}
	for i, lf := range leaves {
		if lf.Index != uint64(i) {
			t.Fatalf("audit leaf %d has index %d: two entries share an index or one is missing", i, lf.Index)
		}
	}
	return entries
}

// issuedEntries maps each license identifier to the number of
// license.issued audit entries naming it.
func issuedEntries(entries []audit.Entry) map[string]int {
	m := map[string]int{}
	for _, e := range entries {
		if e.Kind == audit.KindLicenseIssued {
			m[e.Subject]++
		}
	}
	return m
}

// checkLicenses checks that every identifier in want is in st with its
// "issued" event, and returns the holder's licenses by identifier.
func checkLicenses(t *testing.T, st store.Store, want map[string]issueAnswer) map[string]store.LicenseRecord {
	t.Helper()
	ctx := context.Background()
	recs, err := st.LicensesByHolder(ctx, permitHolder)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.LicenseRecord{}
	for _, r := range recs {
		if _, dup := byID[r.ID]; dup {
			t.Errorf("license %s listed twice", r.ID)
		}
		byID[r.ID] = r
	}
	missing := 0
	for id, a := range want {
		r, ok := byID[id]
		if !ok {
			missing++
			if missing <= 10 {
				t.Errorf("license %s was acknowledged (201) but is not in the store", id)
			}
			continue
		}
		if r.Number != a.Number || r.Status != "valid" || r.Token == "" {
			t.Errorf("license %s in the store: number %q status %q, token %d bytes; answered number %q", id, r.Number, r.Status, len(r.Token), a.Number)
		}
		evs, err := st.LicenseEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Event != "issued" || evs[0].Token == "" {
			t.Errorf("license %s has events %+v, want one signed issued event", id, evs)
		}
	}
	if missing > 0 {
		t.Fatalf("%d acknowledged licenses are not in the store", missing)
	}
	return byID
}

// Two `serve` replicas of one node on one PostgreSQL store, 1,000 licenses
// issued concurrently through both: each answered 201 once, with its own
// identifier, printed number and audit index; the store holds exactly
// those, each with its issued event; the audit log has one license.issued
// entry per license and verifies offline against the node key.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("a load of 1,000 issuances; skipped with -short")
	}
	const (
		total   = 1000
		workers = 32
	)
	pgDSN := testenv.PostgresSchema(t)
	n := setupNode(t, config.Region{Code: "110108", Name: "某市某区"}, func(c *config.Config) { c.Store = pgDSN })
	key := n.client(t, auth.RoleIssuer, auth.IssuerScope(permitIssuer), auth.TypeScope(permitType))

	// Behind a load balancer both would answer at the configured public
	// URL; here each listens on a port of its own.
	urlA, stopA := serveReplica(t, n.cfg, "127.0.0.1:0")
	urlB, stopB := serveReplica(t, n.cfg, "127.0.0.1:0")
	replicas := []string{urlA, urlB}

	client := loadClient(workers)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	jobs := make(chan int)
	results := make([]issueResult, total)
	var wg sync.WaitGroup
	began := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = issuePermitOnce(ctx, client, replicas[i%len(replicas)], key)
			}
		}()
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(began)
	t.Logf("%d issuances through 2 replicas, %d clients: %.1f s, %.0f issuances/s", total, workers, elapsed.Seconds(), total/elapsed.Seconds())

	// Every request answered 201 with a fresh identifier, number and
	// audit index. Nothing is retried: a 5xx is a failure.
	answers := map[string]issueAnswer{}
	numbers := map[string]string{}
	indexes := map[uint64]string{}
	failed := 0
	for i, r := range results {
		if r.err != nil || r.status != http.StatusCreated {
			failed++
			if failed <= 10 {
				t.Errorf("issuance %d at %s: status %d, err %v: %.300s", i, replicas[i%len(replicas)], r.status, r.err, r.body)
			}
			continue
		}
		a := r.answer
		if _, dup := answers[a.Identifier]; dup {
			t.Errorf("identifier %s answered twice", a.Identifier)
		}
		answers[a.Identifier] = a
		if other, dup := numbers[a.Number]; dup {
			t.Errorf("printed number %s given to %s and %s", a.Number, other, a.Identifier)
		}
		numbers[a.Number] = a.Identifier
		if a.Audit == nil {
			t.Errorf("license %s: the answer has no audit reference", a.Identifier)
		} else {
			if other, dup := indexes[a.Audit.Index]; dup {
				t.Errorf("audit index %d given to %s and %s", a.Audit.Index, other, a.Identifier)
			}
			indexes[a.Audit.Index] = a.Identifier
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d issuances were not answered 201", failed, total)
	}
	if len(answers) != total || len(numbers) != total {
		t.Fatalf("%d distinct identifiers and %d distinct printed numbers for %d issuances", len(answers), len(numbers), total)
	}

	// Both replicas stop; each signs a final checkpoint.
	stopA()
	stopB()

	st, err := store.Open(context.Background(), pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	byID := checkLicenses(t, st, answers)
	if len(byID) != total {
		t.Fatalf("the store holds %d licenses of the holder, want exactly %d", len(byID), total)
	}
	if c, err := st.CountLicenses(context.Background()); err != nil || c != total {
		t.Fatalf("CountLicenses = %d, %v; want %d", c, err, total)
	}

	entries := verifiedAuditLog(t, st, nodeKey(t, n.dir))
	if len(entries) < total {
		t.Fatalf("the audit log holds %d entries, fewer than the %d issuances", len(entries), total)
	}
	logged := issuedEntries(entries)
	for id := range answers {
		if logged[id] != 1 {
			t.Errorf("license %s has %d license.issued audit entries, want 1", id, logged[id])
		}
	}
	for id, k := range logged {
		if _, ok := answers[id]; !ok {
			t.Errorf("audit entry license.issued for %s (%d times), a license nobody was given", id, k)
		}
	}
	for idx, id := range indexes {
		if idx >= uint64(len(entries)) || entries[idx].Subject != id || entries[idx].Kind != audit.KindLicenseIssued {
			t.Errorf("the answer for %s names audit entry %d, which is not its license.issued entry", id, idx)
		}
	}

	// A checkpoint signed after the replicas stopped extends theirs.
	if cp := signCheckpoint(t, n.cfg, st); cp.Size != uint64(len(entries)) {
		t.Fatalf("checkpoint of size %d, the log holds %d entries", cp.Size, len(entries))
	}
	verifiedAuditLog(t, st, nodeKey(t, n.dir))
}
