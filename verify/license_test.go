package verify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/verify"
)

const residentType = "11110000MB12345624001"

type licEnv struct {
	reg  *license.Registry
	iss  *license.Issuer
	pki  *sealtest.PKI
	opts verify.LicenseOptions
	now  time.Time
}

func newLicEnv(t *testing.T) *licEnv {
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := license.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := sm2.GenerateKey(rand.Reader)
	e := &licEnv{iss: &license.Issuer{Code: "11110108MB0000019H", Name: "某市公安局某区分局", Jurisdiction: "110108", Signer: k}, pki: sealtest.NewPKI(t), now: time.Now()}
	e.reg = &license.Registry{Store: st, Catalog: cat, Keys: license.StaticKeys(e.iss.Key()), Now: func() time.Time { return e.now }}
	e.opts = verify.LicenseOptions{Options: verify.Options{Trust: e.pki.Trust()}, Registry: e.reg}
	return e
}

func (e *licEnv) issue(t *testing.T, withPDF bool) *license.Issued {
	req := license.IssueRequest{Type: residentType, Face: map[string]string{"name": "李小明", "sex": "男", "idNumber": "11010519491231002X", "address": "北京市海淀区某某小区3号楼", "since": "2026-01-02"}}
	if withPDF {
		req.PDF = (&license.PDFMaker{Catalog: e.reg.Catalog, BaseURL: "https://v.example", Issuer: e.iss.Signer, Seal: e.pki.Options(seal.ModeSM2)}).Make
	}
	iss, err := e.reg.Issue(context.Background(), e.iss, req)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func expectLicense(t *testing.T, rep *verify.LicenseReport, err error, v verify.Verdict, r verify.Reason) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != v || rep.Reason != r {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("got %s (%s), want %s (%s)\n%s", rep.Verdict, rep.Reason, v, r, b.String())
	}
}

func TestLicenseInputs(t *testing.T) {
	e := newLicEnv(t)
	ctx := context.Background()
	iss := e.issue(t, true)
	rep, err := verify.LicenseByID(ctx, iss.Data.Identifier, e.opts)
	expectLicense(t, rep, err, verify.Valid, verify.ReasonOK)
	if rep.Holder != "李*明" || rep.HolderCode != "110105********002X" || rep.StatusName != "有效" {
		t.Fatalf("report %+v", rep)
	}
	rep, err = verify.LicenseToken(ctx, iss.Token, e.opts)
	expectLicense(t, rep, err, verify.Valid, verify.ReasonOK)
	rep, err = verify.LicensePDF(ctx, iss.PDF, e.opts)
	expectLicense(t, rep, err, verify.Valid, verify.ReasonOK)
	if rep.PDF == nil || rep.PDF.Verdict != verify.Valid {
		t.Fatal("the PDF's seal was not reported")
	}
}

func TestLicenseTwins(t *testing.T) {
	e := newLicEnv(t)
	ctx := context.Background()
	iss := e.issue(t, false)
	parts := strings.Split(iss.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])

	t.Run("edited face data", func(t *testing.T) {
		edited := strings.Replace(string(payload), "海淀区", "朝阳区", 1)
		tok := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(edited)) + "." + parts[2]
		rep, err := verify.LicenseToken(ctx, tok, e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonSigCrypto)
	})
	t.Run("signed by an unknown key", func(t *testing.T) {
		k, _ := sm2.GenerateKey(rand.Reader)
		tok, _ := license.SignToken(k, license.TypLicense, payload)
		rep, err := verify.LicenseToken(ctx, tok, e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonSigCrypto)
	})
	t.Run("signed by another issuer's key", func(t *testing.T) {
		k, _ := sm2.GenerateKey(rand.Reader)
		other := &license.Issuer{Code: "11110108MB1234562W", Signer: k}
		opts := e.opts
		opts.Keys = license.StaticKeys(e.iss.Key(), other.Key())
		tok, _ := license.SignToken(k, license.TypLicense, payload)
		rep, err := verify.LicenseToken(ctx, tok, opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonSigCrypto)
	})
	t.Run("identifier that does not check out", func(t *testing.T) {
		odd := strings.Replace(string(payload), residentType, "11110000MB12345624999", 1)
		tok, _ := license.SignToken(e.iss.Signer, license.TypLicense, []byte(odd))
		rep, err := verify.LicenseToken(ctx, tok, e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonFormat)
	})
	t.Run("unknown license type", func(t *testing.T) {
		newID, err := ids.NewLicenseID("11110000MB12345624999", e.iss.Code, 77, 1)
		if err != nil {
			t.Fatal(err)
		}
		odd := strings.ReplaceAll(string(payload), iss.Data.Identifier, newID.String())
		odd = strings.ReplaceAll(odd, `"typeCode":"`+residentType, `"typeCode":"11110000MB12345624999`)
		tok, _ := license.SignToken(e.iss.Signer, license.TypLicense, []byte(odd))
		rep, err := verify.LicenseToken(ctx, tok, e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonUnknownType)
	})
	t.Run("malformed token", func(t *testing.T) {
		if _, err := verify.LicenseToken(ctx, "eyJ.not-a-token", e.opts); !errors.Is(err, verify.ErrUnusable) {
			t.Fatalf("%v", err)
		}
		rep, err := verify.LicenseToken(ctx, "eyJhbGciOiJTTTJTTTMifQ.e30.AAAA", e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonSigCrypto)
	})
	t.Run("unknown identifier", func(t *testing.T) {
		rep, err := verify.LicenseByID(ctx, "1.2.156.3005.2.11110000MB12345624001.11110108MB0000019H.999.001.K", e.opts)
		if err != nil {
			if !errors.Is(err, verify.ErrUnusable) {
				t.Fatal(err)
			}
			return
		}
		expectLicense(t, rep, nil, verify.Invalid, verify.ReasonLicenseUnknown)
	})
	t.Run("offline", func(t *testing.T) {
		opts := verify.LicenseOptions{Keys: e.reg.Keys}
		rep, err := verify.LicenseToken(ctx, iss.Token, opts)
		expectLicense(t, rep, err, verify.Indeterminate, verify.ReasonStatusUnknown)
	})
	t.Run("revoked", func(t *testing.T) {
		if err := e.reg.Change(ctx, e.iss, iss.Data.Identifier, "revoked", "以欺骗手段取得", "t"); err != nil {
			t.Fatal(err)
		}
		rep, err := verify.LicenseToken(ctx, iss.Token, e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonLicenseRevoked)
	})
	t.Run("expired", func(t *testing.T) {
		iss2 := e.issue(t, false)
		e.now = e.now.AddDate(1, 0, 2)
		defer func() { e.now = time.Now() }()
		rep, err := verify.LicenseByID(ctx, iss2.Data.Identifier, e.opts)
		expectLicense(t, rep, err, verify.Invalid, verify.ReasonLicenseExpired)
	})
}

// A license PDF whose face is changed after sealing: the seal says no.
func TestLicensePDFTampered(t *testing.T) {
	e := newLicEnv(t)
	iss := e.issue(t, true)
	bad := bytes.Clone(iss.PDF)
	bad[40] ^= 1
	rep, err := verify.LicensePDF(context.Background(), bad, e.opts)
	if err != nil {
		return // unreadable is not valid either
	}
	if rep.Verdict != verify.Invalid {
		t.Fatalf("%s", rep.Verdict)
	}
}

// An annotated copy (加注件) verifies while in force and names its purpose;
// its twins: run out, the license revoked, a statement for another
// license, a statement signed by a stranger, and copies of a license that
// is not valid are refused.
func TestAnnotatedCopy(t *testing.T) {
	e := newLicEnv(t)
	ctx := context.Background()
	iss := e.issue(t, true)
	id := iss.Data.Identifier
	maker := &license.PDFMaker{Catalog: e.reg.Catalog, BaseURL: "https://v.example", Issuer: e.iss.Signer, Seal: e.pki.Options(seal.ModeSM2)}
	until := e.now.Add(72 * time.Hour)
	cp, err := e.reg.AnnotatedCopy(ctx, e.iss, maker, id, "办理营业执照变更", "某区政务服务中心", until, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	opts := e.opts
	opts.Time = e.now
	rep, err := verify.LicensePDF(ctx, cp, opts)
	expectLicense(t, rep, err, verify.Valid, verify.ReasonOK)
	if rep.Copy == nil || rep.Copy.Purpose != "办理营业执照变更" || rep.Copy.Requester != "某区政务服务中心" || rep.Copy.License != id {
		t.Fatalf("copy statement %+v", rep.Copy)
	}
	evs, err := e.reg.Store.LicenseEvents(ctx, id)
	if err != nil || evs[len(evs)-1].Event != "copied" {
		t.Fatalf("events %+v %v", evs, err)
	}
	// The original is not a copy.
	rep, err = verify.LicensePDF(ctx, iss.PDF, opts)
	expectLicense(t, rep, err, verify.Valid, verify.ReasonOK)
	if rep.Copy != nil {
		t.Fatal("the original reported as a copy")
	}

	// Run out.
	late := opts
	late.Time = until.Add(time.Minute)
	e.now = late.Time
	rep, err = verify.LicensePDF(ctx, cp, late)
	expectLicense(t, rep, err, verify.Invalid, verify.ReasonCopyExpired)
	e.now = opts.Time

	// Stranger's statement: the copy's key is not an issuer key.
	k, _ := sm2.GenerateKey(rand.Reader)
	stranger := *maker
	stranger.Issuer = k
	forged, err := stranger.MakeCopy(ctx, iss.Data, iss.Token, &license.Copy{License: id, Purpose: "任意用途", Requester: "任意单位", Until: until.Add(24 * 365 * time.Hour), MadeAt: e.now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = verify.LicensePDF(ctx, forged, opts)
	expectLicense(t, rep, err, verify.Invalid, verify.ReasonSigCrypto)

	// A statement for another license.
	other := e.issue(t, false)
	wrong, err := maker.MakeCopy(ctx, iss.Data, iss.Token, &license.Copy{License: other.Data.Identifier, Purpose: "p", Requester: "r", Until: until, MadeAt: e.now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = verify.LicensePDF(ctx, wrong, opts)
	expectLicense(t, rep, err, verify.Invalid, verify.ReasonMismatch)

	// Refused: no purpose, a past date, a license not valid.
	if _, err := e.reg.AnnotatedCopy(ctx, e.iss, maker, id, "", "r", until, "clerk"); !errors.Is(err, license.ErrInvalidData) {
		t.Fatalf("no purpose: %v", err)
	}
	if _, err := e.reg.AnnotatedCopy(ctx, e.iss, maker, id, "p", "r", e.now.Add(-time.Hour), "clerk"); !errors.Is(err, license.ErrInvalidData) {
		t.Fatalf("past date: %v", err)
	}
	if err := e.reg.Change(ctx, e.iss, id, license.StatusRevoked, "注销", "clerk"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.AnnotatedCopy(ctx, e.iss, maker, id, "p", "r", until, "clerk"); !errors.Is(err, license.ErrBadLifecycle) {
		t.Fatalf("revoked: %v", err)
	}
	// The copy made before revocation now reports the revocation.
	rep, err = verify.LicensePDF(ctx, cp, opts)
	expectLicense(t, rep, err, verify.Invalid, verify.ReasonLicenseRevoked)
}
