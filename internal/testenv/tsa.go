package testenv

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TSA is an RFC 3161 time-stamping authority over HTTP, answered by
// `openssl ts -reply`: an implementation other than ours.
type TSA struct {
	URL  string
	Cert string // PEM certificate of the authority (self-signed, 10 years)
	// Requests counts the queries answered.
	Requests int
}

const tsaConfig = `[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = SERIAL
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.156.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`

// StartTSA starts an authority for the test.
func StartTSA(t testing.TB) *TSA {
	t.Helper()
	openssl := Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	a := &TSA{Cert: file("tsa.pem")}
	Run(t, nil, openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("tsa.key"), "-out", a.Cert,
		"-days", "3650", "-subj", "/CN=Test TSA/O=Time Authority",
		"-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=critical,timeStamping")
	if err := os.WriteFile(file("serial"), []byte("01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file("ts.cnf"), []byte(strings.ReplaceAll(tsaConfig, "SERIAL", file("serial"))), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "POST an application/timestamp-query", http.StatusBadRequest)
			return
		}
		q, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil || os.WriteFile(file("q.tsq"), q, 0o600) != nil {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		out, err := exec.Command(openssl, "ts", "-reply", "-config", file("ts.cnf"), "-queryfile", file("q.tsq"),
			"-inkey", file("tsa.key"), "-signer", a.Cert, "-out", file("r.tsr")).CombinedOutput()
		if err != nil {
			http.Error(w, fmt.Sprintf("openssl ts -reply: %v: %s", err, out), http.StatusInternalServerError)
			return
		}
		resp, err := os.ReadFile(file("r.tsr"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		a.Requests++
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}
