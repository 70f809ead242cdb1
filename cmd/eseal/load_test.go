package main

// Load through the API of a whole node (eseal setup, then eseal serve on a
// loopback port): benchmarks of license verification by token and of
// signed status answers, each against raw SM2 baselines measured in the
// same run, and a soak test that holds a steady mixed load and watches the
// memory.
//
//	go test -run '^$' -bench BenchmarkAPI -benchtime 2000x ./cmd/eseal/ | go run ./internal/benchtable
//	ESEAL_SOAK=1 go test -run TestSoak -v ./cmd/eseal/

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/deploy"
	"github.com/eseal-project/eseal/internal/store"
)

var soakFlag = flag.Bool("soak", false, "run TestSoak, minutes of steady mixed load through the API (or set ESEAL_SOAK=1)")

// loadNode is a node served on a loopback port for load, with a case
// system's key and one residence permit.
type loadNode struct {
	url        string
	caseSystem string // API key with the verify scope
	permitID   string
	permitTok  string
}

// startLoadNode sets up a node as eseal setup does and serves it until the
// test or benchmark ends. Its clients have no rate limit: the load is the
// point.
func startLoadNode(tb testing.TB) *loadNode {
	tb.Helper()
	const passphrase = "load-test-passphrase"
	tb.Setenv(hsm.PassphraseEnv, passphrase)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx := context.Background()
	res, err := deploy.Setup(ctx, deploy.Options{Dir: filepath.Join(tb.TempDir(), "node"), Region: config.Region{Code: "110108", Name: "某市某区"},
		Listen: addr, PublicURL: "http://" + addr})
	if err != nil {
		tb.Fatal(err)
	}
	n := &loadNode{url: "http://" + addr}
	issuer := addLoadClient(tb, res.ConfigPath, auth.RoleIssuer, auth.IssuerScope(permitIssuer), auth.TypeScope(permitType))
	n.caseSystem = addLoadClient(tb, res.ConfigPath, auth.RoleCaseSystem, auth.ScopeVerify)

	runCtx, cancel := context.WithCancel(ctx)
	srv, err := buildServer(runCtx, res.ConfigPath)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	ready := make(chan string, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		defer srv.close()
		if err := srv.run(runCtx, ready); err != nil {
			tb.Logf("serve %s: %v", addr, err)
		}
	}()
	select {
	case <-ready:
	case <-stopped:
		cancel()
		tb.Fatalf("node %s did not start", addr)
	}
	tb.Cleanup(func() {
		cancel()
		<-stopped
	})

	body, _ := json.Marshal(map[string]any{"type": permitType, "face": permitFace, "pdf": false})
	req, _ := http.NewRequest("POST", n.url+"/v1/licenses", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+issuer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var lic struct{ Identifier, Token string }
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &lic) != nil {
		tb.Fatalf("issuing the permit: %d %.300s", resp.StatusCode, b)
	}
	n.permitID, n.permitTok = lic.Identifier, lic.Token
	return n
}

// addLoadClient registers a client without a rate limit in the node's
// store and returns its key.
func addLoadClient(tb testing.TB, cfgPath, role string, scopes ...string) string {
	tb.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	if err := auth.CheckGrant(role, scopes); err != nil {
		tb.Fatal(err)
	}
	key, hash := auth.NewKey()
	rec := store.ClientRecord{ID: auth.NewClientID(), Name: role + "-load", Role: role, Scopes: scopes, KeyHash: hash}
	if err := st.PutClient(context.Background(), rec); err != nil {
		tb.Fatal(err)
	}
	return key
}

// newLoadHTTPClient keeps one connection per worker alive between requests.
func newLoadHTTPClient(workers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = workers, workers, workers
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// request is one request of a load; it is made afresh for each send.
type request func() (*http.Request, error)

func verifyTokenRequest(n *loadNode) request {
	body := []byte(`{"token":"` + n.permitTok + `"}`)
	return func() (*http.Request, error) {
		req, err := http.NewRequest("POST", n.url+"/v1/verify/license", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+n.caseSystem)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
}

func getRequest(url string) request {
	return func() (*http.Request, error) { return http.NewRequest("GET", url, nil) }
}

// send makes one request and reads the whole answer; anything but 200 is
// an error.
func send(c *http.Client, r request) ([]byte, error) {
	req, err := r()
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %d, answer cut off: %w", req.Method, req.URL.Path, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %.200s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return b, nil
}

// hammer sends n requests from workers goroutines, each one request at a
// time and as fast as answers come, and returns every request's latency,
// how many failed and the first failure.
func hammer(c *http.Client, n, workers int, r request) (lat []time.Duration, failed int64, first error) {
	lat = make([]time.Duration, n)
	var next, fails atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				start := time.Now()
				_, err := send(c, r)
				lat[i] = time.Since(start)
				if err != nil {
					fails.Add(1)
					once.Do(func() { first = err })
				}
			}
		}()
	}
	wg.Wait()
	return lat, fails.Load(), first
}

// percentile is the p-th percentile (0 < p < 100) of sorted latencies.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// runLoad is the "ours" side of a benchmark: b.N requests through the API,
// ns/op the wall time per request, with p50 and p99 latency and the rate
// (in unit, e.g. answers/s) as metrics. A failed request fails it.
func runLoad(b *testing.B, c *http.Client, r request, unit string) {
	workers := runtime.GOMAXPROCS(0)
	if _, err := send(c, r); err != nil { // connections, the auth cache
		b.Fatal(err)
	}
	b.ResetTimer()
	lat, failed, first := hammer(c, b.N, workers, r)
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d of %d requests failed; the first: %v", failed, b.N, first)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// signingInput is the part of a compact JWS its signature covers.
func signingInput(token string) []byte {
	return []byte(token[:strings.LastIndexByte(token, '.')])
}

// sm2Fixture is an SM2 key and a signature by it over msg, for baselines.
func sm2Fixture(b *testing.B, msg []byte) (*sm2.PrivateKey, []byte) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sig, err := key.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		b.Fatal(err)
	}
	return key, sig
}

// A case system verifies a license by its signed data through the API, as
// fast as GOMAXPROCS client goroutines on keep-alive connections can. Each
// verification also appends to the audit log and signs a receipt, which is
// what a verification through the API costs. The baselines on the same
// cores: one SM2 verification of a payload the token's size
// (raw-sm2-verify), and that plus one SM2 signature of a payload the
// receipt's size (raw-sm2-verify-and-sign), the cryptography a verification
// with a receipt cannot do without. The API has no way to verify without a
// receipt, so there is no "ours" without one.
func BenchmarkAPIVerifyToken(b *testing.B) {
	n := startLoadNode(b)
	c := newLoadHTTPClient(runtime.GOMAXPROCS(0))
	defer c.CloseIdleConnections()
	r := verifyTokenRequest(n)
	ans, err := send(c, r)
	if err != nil {
		b.Fatal(err)
	}
	var v struct{ Receipt string }
	if err := json.Unmarshal(ans, &v); err != nil || v.Receipt == "" {
		b.Fatalf("no receipt in %.300s", ans)
	}
	token, receipt := signingInput(n.permitTok), signingInput(v.Receipt)

	b.Run("ours", func(b *testing.B) { runLoad(b, c, r, "licenses/s") })
	b.Run("raw-sm2-verify", func(b *testing.B) {
		key, sig := sm2Fixture(b, token)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !sm2.VerifyASN1WithSM2(&key.PublicKey, nil, token, sig) {
					b.Error("the SM2 signature does not verify")
					return
				}
			}
		})
	})
	b.Run("raw-sm2-verify-and-sign", func(b *testing.B) {
		key, sig := sm2Fixture(b, token)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !sm2.VerifyASN1WithSM2(&key.PublicKey, nil, token, sig) {
					b.Error("the SM2 signature does not verify")
					return
				}
				if _, err := key.Sign(rand.Reader, receipt, sm2.NewSM2SignerOption(true, nil)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// Anyone asks for a license's status, unauthenticated; each answer is
// signed by the node. The baseline: one SM2 signature of a payload the
// answer's size, on the same cores.
func BenchmarkAPIStatus(b *testing.B) {
	n := startLoadNode(b)
	c := newLoadHTTPClient(runtime.GOMAXPROCS(0))
	defer c.CloseIdleConnections()
	r := getRequest(n.url + "/v1/licenses/" + n.permitID + "/status")
	ans, err := send(c, r)
	if err != nil {
		b.Fatal(err)
	}
	answer := signingInput(string(ans))

	b.Run("ours", func(b *testing.B) { runLoad(b, c, r, "answers/s") })
	b.Run("raw-sm2-sign", func(b *testing.B) {
		key, _ := sm2Fixture(b, answer)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := key.Sign(rand.Reader, answer, sm2.NewSM2SignerOption(true, nil)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// memSample is the process's memory at one moment of the soak.
type memSample struct {
	at       time.Duration
	heapLive uint64 // bytes marked live by the last GC
	rss      uint64 // bytes resident
	requests int64  // answered so far
}

// sampleMemory collects the garbage first, so that the live heap is now's
// and not the last cycle's, then reads it and the resident set size.
func sampleMemory(at time.Duration, requests int64) memSample {
	runtime.GC()
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	s := memSample{at: at, requests: requests}
	if m[0].Value.Kind() == metrics.KindUint64 {
		s.heapLive = m[0].Value.Uint64()
	}
	s.rss, _ = vmRSS()
	return s
}

// vmRSS reads the process's resident set size from /proc/self/status.
func vmRSS() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

// A node under a steady mixed load for two minutes (ESEAL_SOAK_DURATION,
// ESEAL_SOAK_RATE requests/s change it): token verifications, status
// answers and page views, sent on schedule whatever the answers' pace. No
// request may fail, and the heap must stay flat: at the end at most 50%
// above what it was after the first 20 s. Memory is sampled every 5 s.
func TestSoak(t *testing.T) {
	if os.Getenv("ESEAL_SOAK") != "1" && !*soakFlag {
		t.Skip("the soak runs for minutes: ESEAL_SOAK=1 go test -run TestSoak -v ./cmd/eseal/")
	}
	duration, rate := 2*time.Minute, 100.0
	if d, err := time.ParseDuration(os.Getenv("ESEAL_SOAK_DURATION")); err == nil && d > 0 {
		duration = d
	}
	if r, err := strconv.ParseFloat(os.Getenv("ESEAL_SOAK_RATE"), 64); err == nil && r > 0 {
		rate = r
	}
	const warmUp, every = 20 * time.Second, 5 * time.Second
	if duration < 2*warmUp {
		t.Fatalf("a soak of %s is too short to compare with the heap after %s", duration, warmUp)
	}
	n := startLoadNode(t)
	mix := []struct {
		name string
		r    request
	}{
		{"verify token", verifyTokenRequest(n)},
		{"status", getRequest(n.url + "/v1/licenses/" + n.permitID + "/status")},
		{"page", getRequest(n.url + "/v/" + n.permitID)},
		{"verify token", verifyTokenRequest(n)},
		{"status", getRequest(n.url + "/v1/licenses/" + n.permitID + "/status")},
	}
	const workers = 16
	c := newLoadHTTPClient(workers)
	defer c.CloseIdleConnections()
	jobs := make(chan int, workers)
	var answered, failed, late atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if _, err := send(c, mix[i%len(mix)].r); err != nil {
					failed.Add(1)
					once.Do(func() { first = fmt.Errorf("%s: %w", mix[i%len(mix)].name, err) })
				}
				answered.Add(1)
			}
		}()
	}

	start := time.Now()
	samples := []memSample{sampleMemory(0, 0)}
	var sampleMu sync.Mutex
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				s := sampleMemory(time.Since(start), answered.Load())
				sampleMu.Lock()
				samples = append(samples, s)
				sampleMu.Unlock()
			}
		}
	}()
	interval := time.Duration(float64(time.Second) / rate)
	sent := 0
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= duration {
			break
		}
		time.Sleep(time.Until(due))
		select {
		case jobs <- i:
			sent++
		default:
			late.Add(1) // every worker busy and the queue full: the node is behind
		}
	}
	close(jobs)
	wg.Wait()
	close(stopSampling)
	<-sampled
	samples = append(samples, sampleMemory(time.Since(start), answered.Load()))

	t.Logf("%s at %.0f requests/s (verify token 2/5, status 2/5, page 1/5): %d sent, %d answered, %d failed, %d not sent for want of a free worker",
		duration, rate, sent, answered.Load(), failed.Load(), late.Load())
	t.Logf("%8s %10s %12s %10s", "time", "answered", "heap live", "RSS")
	var base *memSample
	for i := range samples {
		s := &samples[i]
		t.Logf("%7.0fs %10d %10.1f MB %7.1f MB", s.at.Seconds(), s.requests, float64(s.heapLive)/(1<<20), float64(s.rss)/(1<<20))
		if base == nil && s.at >= warmUp {
			base = s
		}
	}
	if failed.Load() > 0 {
		t.Errorf("%d requests failed; the first: %v", failed.Load(), first)
	}
	end := samples[len(samples)-1]
	if base == nil {
		t.Fatal("no sample after the warm-up")
	}
	if float64(end.heapLive) > 1.5*float64(base.heapLive) {
		t.Errorf("the heap grew from %.1f MB after %s to %.1f MB at the end: more than 50%%", float64(base.heapLive)/(1<<20), base.at.Round(time.Second), float64(end.heapLive)/(1<<20))
	}
}
