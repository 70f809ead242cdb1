package tsa

import (
	"context"
	"crypto"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/seal/cms"
)

// A token from OpenSSL's authority over HTTP answers the request; an
// authority that answers garbage, an error status or someone else's token
// is refused with a clear error.
func TestStamp(t *testing.T) {
	a := testenv.StartTSA(t)
	c := &Client{URL: a.URL}
	msg := []byte("signature value")
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
		tok, err := c.Stamp(context.Background(), msg, h)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := cms.ParseTimestamp(tok)
		if err != nil {
			t.Fatal(err)
		}
		if ts.Signer == nil || ts.Nonce == nil || ts.GenTime.IsZero() {
			t.Fatalf("token lacks the authority's certificate, nonce or time")
		}
		if err := ts.VerifyContent(strings.NewReader("another value")); err == nil {
			t.Fatal("the token time-stamps another message too")
		}
	}
	if _, err := c.Stamp(context.Background(), msg, crypto.SHA1); err == nil {
		t.Error("SHA-1 accepted")
	}

	// A replayed answer: the token of an earlier request.
	old, _ := c.Stamp(context.Background(), msg, crypto.SHA256)
	replay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// TimeStampResp { status { granted }, token }
		body := append([]byte{0x30, 0x82, byte((len(old) + 5) >> 8), byte(len(old) + 5), 0x30, 0x03, 0x02, 0x01, 0x00}, old...)
		w.Write(body)
	}))
	defer replay.Close()
	if _, err := (&Client{URL: replay.URL}).Stamp(context.Background(), msg, crypto.SHA256); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("a replayed token: %v, want a nonce error", err)
	}
	for name, h := range map[string]http.HandlerFunc{
		"HTTP 500": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) },
		"garbage":  func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) },
		"rejected": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02})
		},
	} {
		srv := httptest.NewServer(h)
		_, err := (&Client{URL: srv.URL}).Stamp(context.Background(), msg, crypto.SHA256)
		srv.Close()
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if a.Requests < 3 {
		t.Errorf("the authority answered %d requests", a.Requests)
	}
}
