package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

func testSeals(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	now := time.Now().UTC().Truncate(time.Microsecond)
	rec := store.SealRecord{ID: "1101080012345", Name: "行政审批专用章", Owner: "某市行政审批服务局", Keystore: "file:keys",
		KeyLabel: "seal-1", SignerCert: []byte{1, 2}, SealDER: []byte{3, 4}, ValidFrom: now, ValidTo: now.Add(time.Hour)}
	if err := s.PutSeal(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSeal(ctx, rec); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate seal: %v", err)
	}
	got, err := s.Seal(ctx, rec.ID)
	if err != nil || got.Status != store.SealActive || got.Name != rec.Name || !got.ValidTo.Equal(rec.ValidTo) || string(got.SealDER) != string(rec.SealDER) {
		t.Fatalf("Seal = %+v, %v", got, err)
	}
	if _, err := s.Seal(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing seal: %v", err)
	}
	if err := s.SetSealStatus(ctx, rec.ID, store.SealSuspended, "key under investigation", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSealStatus(ctx, rec.ID, store.SealActive, "cleared", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSealStatus(ctx, rec.ID, store.SealRevoked, "department merged", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSealStatus(ctx, rec.ID, store.SealActive, "", now); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("reactivating a revoked seal: %v", err)
	}
	if err := s.SetSealStatus(ctx, rec.ID, "lost", "", now); err == nil {
		t.Fatal("unknown status accepted")
	}
	// Uses recorded concurrently keep distinct, gap-free sequence numbers.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for try := 0; try < 20; try++ {
				err := s.RecordSealUse(ctx, rec.ID, now, fmt.Sprintf("doc %d", i))
				if err == nil {
					return
				}
				if !errors.Is(err, store.ErrExists) {
					errs <- err
					return
				}
			}
			errs <- errors.New("gave up")
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	events, err := s.SealEvents(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 24 { // registered, suspended, reactivated, revoked, 20 stamps
		t.Fatalf("%d events", len(events))
	}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	if events[0].Event != "registered" || events[1].Event != "suspended" || events[2].Event != "reactivated" || events[3].Event != "revoked" {
		t.Fatalf("events %+v", events[:4])
	}
	all, err := s.Seals(ctx)
	if err != nil || len(all) != 1 || all[0].Status != store.SealRevoked {
		t.Fatalf("Seals = %+v, %v", all, err)
	}
}
