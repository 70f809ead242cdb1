package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/hsm"
)

var algs = []hsm.Algorithm{hsm.SM2, hsm.P256}

// newKey makes an in-memory key; the keystores are tested in package hsm.
func newKey(t testing.TB, alg hsm.Algorithm) crypto.Signer {
	t.Helper()
	switch alg {
	case hsm.SM2:
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	case hsm.P256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	t.Fatalf("unknown algorithm %q", alg)
	return nil
}

// newMemCA makes an in-memory root CA named "CN=<org> Root CA,O=<org>".
func newMemCA(t testing.TB, alg hsm.Algorithm, org string) *CA {
	t.Helper()
	key := newKey(t, alg)
	subj, err := ParseSubject("CN=" + org + " Root CA,O=" + org)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := SelfSign(key, subj, ValidDays(3650))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := NewCA(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustSubject(t testing.TB, s string) pkix.Name {
	t.Helper()
	n, err := ParseSubject(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// issue certifies a fresh in-memory key.
func issue(t testing.TB, ca *CA, alg hsm.Algorithm, subject string, p Profile, v Validity) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key := newKey(t, alg)
	c, err := ca.Issue(t.Context(), key.Public(), mustSubject(t, subject), p, v)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantChainError checks that err is a *ChainError with reason about cert.
func wantChainError(t testing.TB, err error, reason Reason, cert *smx509.Certificate) *ChainError {
	t.Helper()
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v (%T), want a *ChainError %s", err, err, reason)
	}
	if ce.Reason != reason {
		t.Fatalf("reason %s, want %s: %v", ce.Reason, reason, err)
	}
	if cert != nil && (ce.Cert == nil || !ce.Cert.Equal(cert)) {
		got := "nil"
		if ce.Cert != nil {
			got = SubjectString(ce.Cert)
		}
		t.Fatalf("error is about %s, want %s: %v", got, SubjectString(cert), err)
	}
	return ce
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
