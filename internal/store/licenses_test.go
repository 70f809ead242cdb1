package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

func testLicenses(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	now := time.Now().UTC().Truncate(time.Microsecond)
	rec := store.LicenseRecord{ID: "1.2.156.3005.2.x.y.1.001.Z", TypeCode: "T", Number: "N1", IssuerCode: "I", IssuerName: "某局",
		HolderName: "张三", HolderCode: "11010519491231002X", HolderCodeType: "citizen_id", Status: "valid", Version: 1,
		ValidFrom: now, Token: "a.b.c", IssuedAt: now}
	if err := s.PutLicense(ctx, rec, store.LicenseEvent{At: now, Event: "issued", Token: "e.v.1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLicense(ctx, rec, store.LicenseEvent{At: now, Event: "issued"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := s.License(ctx, rec.ID)
	if err != nil || got.HolderName != "张三" || !got.ValidTo.IsZero() || !got.ValidFrom.Equal(now) || got.Status != "valid" {
		t.Fatalf("License = %+v, %v", got, err)
	}
	if err := s.SetLicenseStatus(ctx, rec.ID, "valid", "suspended", "", store.LicenseEvent{At: now, Event: "suspended", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLicenseStatus(ctx, rec.ID, "valid", "revoked", "", store.LicenseEvent{At: now, Event: "revoked"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale change: %v", err)
	}
	if err := s.SetLicenseStatus(ctx, "nope", "valid", "revoked", "", store.LicenseEvent{At: now}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing license: %v", err)
	}
	evs, err := s.LicenseEvents(ctx, rec.ID)
	if err != nil || len(evs) != 2 || evs[1].Event != "suspended" || evs[1].Seq != 2 {
		t.Fatalf("events %+v %v", evs, err)
	}
	list, err := s.LicensesByHolder(ctx, "11010519491231002X")
	if err != nil || len(list) != 1 {
		t.Fatalf("by holder %d %v", len(list), err)
	}
	if n, err := s.CountLicenses(ctx); err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	if err := s.RecordHolderQuery(ctx, store.HolderQuery{At: now, Client: "c", Holder: "110105********002X", Reason: "公积金", Results: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordHolderQuery(ctx, store.HolderQuery{At: now, Client: "c"}); err == nil {
		t.Fatal("a query without a reason was recorded")
	}
	qs, err := s.HolderQueries(ctx, now.Add(-time.Second))
	if err != nil || len(qs) != 1 || qs[0].Reason != "公积金" {
		t.Fatalf("queries %+v %v", qs, err)
	}
}
