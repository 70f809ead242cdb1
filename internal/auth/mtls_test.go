package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/store"
)

// testCA issues ECDSA P-256 client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "eseal test client CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) issue(t *testing.T, name string, serial int64) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestMutualTLS(t *testing.T) {
	e := newEnv(t)
	ca := newTestCA(t)
	registered := ca.issue(t, "case system A", 2)
	stranger := ca.issue(t, "case system B", 3)

	id := auth.NewClientID()
	_, hash := auth.NewKey()
	err := e.st.PutClient(context.Background(), store.ClientRecord{ID: id, Name: "case system A", Role: auth.RoleCaseSystem,
		KeyHash: hash, CertFingerprint: auth.CertFingerprint(registered.Certificate[0])})
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey := e.add(t, auth.RoleCaseSystem, nil, 0, 0)

	srv := httptest.NewUnstartedServer(e.mux)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()

	get := func(cert tls.Certificate, header ...string) (int, string) {
		t.Helper()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
		defer tr.CloseIdleConnections()
		req, err := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if code, body := get(registered); code != 200 || body != id {
		t.Fatalf("registered certificate: %d %s, want 200 %s", code, body, id)
	}
	if code, body := get(stranger); code != http.StatusUnauthorized {
		t.Fatalf("unregistered certificate: %d %s, want 401", code, body)
	}
	// An API key decides alone: a wrong one is refused whatever the
	// certificate, a good one names its own client.
	unknown, _ := auth.NewKey()
	if code, body := get(registered, bearer(unknown)...); code != http.StatusUnauthorized {
		t.Fatalf("registered certificate with an unknown key: %d %s, want 401", code, body)
	}
	if code, body := get(stranger, bearer(otherKey)...); code != 200 || body == id {
		t.Fatalf("good key over an unregistered certificate: %d %s", code, body)
	}

	// A certificate the TLS stack did not verify does not count.
	r := httptest.NewRequest("GET", "/v1/whoami", nil)
	leaf, err := x509.ParseCertificate(registered.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	if _, err := e.a.Identify(r); err == nil {
		t.Fatal("identified by an unverified certificate")
	}
}
