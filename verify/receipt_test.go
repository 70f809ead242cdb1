package verify_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/verify"
)

func TestReceipt(t *testing.T) {
	p := sealtest.NewPKI(t)
	r := &verify.Receipt{Node: "eseal-110108", Region: "110108", Kind: "license", Subject: "1.2.156.3005.2.x", InputSHA256: verify.InputHash([]byte("x")),
		Verdict: verify.Valid, Reason: verify.ReasonOK, CheckedAt: time.Now().UTC(), Client: "cl_1"}
	tok, err := verify.SignReceipt(r, p.SealKey, []*smx509.Certificate{p.SealCert})
	if err != nil {
		t.Fatal(err)
	}
	trust := certs.NewPool(p.SM2CA.Certificate())
	got, err := verify.VerifyReceipt(tok, trust)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" || got.Verdict != verify.Valid || got.Subject != r.Subject {
		t.Fatalf("%+v", got)
	}
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	edited := strings.Replace(string(payload), `"VALID"`, `"INVALID"`, 1)
	for name, bad := range map[string]string{
		"edited verdict": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(edited)) + "." + parts[2],
		"garbage":        "not a receipt",
	} {
		if _, err := verify.VerifyReceipt(bad, trust); !errors.Is(err, verify.ErrBadReceipt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Signed by a node whose CA is not trusted.
	if _, err := verify.VerifyReceipt(tok, certs.NewPool(p.P256CA.Certificate())); !errors.Is(err, verify.ErrBadReceipt) {
		t.Fatalf("untrusted signer: %v", err)
	}
	// A key that is not the certificate's.
	forged, _ := verify.SignReceipt(r, p.MakerKey, []*smx509.Certificate{p.SealCert})
	if _, err := verify.VerifyReceipt(forged, trust); !errors.Is(err, verify.ErrBadReceipt) {
		t.Fatalf("forged: %v", err)
	}
}
