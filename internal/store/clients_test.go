package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

func keyHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func fingerprint(s string) string {
	h := sha256.Sum256([]byte("cert " + s))
	return hex.EncodeToString(h[:])
}

func client(id string) store.ClientRecord {
	return store.ClientRecord{
		ID:        id,
		Name:      "北京市某某区政务服务中心 " + id,
		Role:      "department",
		Scopes:    []string{"seal:11010000000001", "seal:11010000000002", "verify"}, // sorted, as stored
		KeyHash:   keyHash("key " + id),
		Rate:      2.5,
		Burst:     10,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),
	}
}

func equalClient(t *testing.T, got, want store.ClientRecord) {
	t.Helper()
	ok := got.ID == want.ID && got.Name == want.Name && got.Role == want.Role &&
		slices.Equal(got.Scopes, want.Scopes) && slices.Equal(got.KeyHash, want.KeyHash) &&
		got.CertFingerprint == want.CertFingerprint && got.Rate == want.Rate && got.Burst == want.Burst &&
		got.Disabled == want.Disabled && got.DisabledAt.Equal(want.DisabledAt) && got.CreatedAt.Equal(want.CreatedAt)
	if !ok {
		t.Fatalf("client differs:\n got %+v\nwant %+v", got, want)
	}
	if got.Scopes == nil {
		t.Error("Scopes is nil, want an empty slice")
	}
	for _, tm := range []time.Time{got.DisabledAt, got.CreatedAt, got.UpdatedAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("time %v is not in UTC", tm)
		}
	}
}

// testClients covers ClientOps: registration, the three lookups, updates,
// key rotation, and the uniqueness of ids, key hashes and fingerprints.
func testClients(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))

	if list, err := s.Clients(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Clients on a new store = %v, %v", list, err)
	}

	a := client("cl_a")
	a.Scopes = []string{"seal:2", "verify", "seal:1", "verify"} // stored sorted, once each
	if err := s.PutClient(ctx, a); err != nil {
		t.Fatalf("PutClient: %v", err)
	}
	a.Scopes = []string{"seal:1", "seal:2", "verify"}
	got, err := s.Client(ctx, "cl_a")
	if err != nil {
		t.Fatalf("Client: %v", err)
	}
	equalClient(t, got, a)
	if !got.UpdatedAt.Equal(a.CreatedAt) {
		t.Errorf("UpdatedAt of a new client = %v, want CreatedAt %v", got.UpdatedAt, a.CreatedAt)
	}
	if got, err := s.ClientByKeyHash(ctx, a.KeyHash); err != nil {
		t.Fatalf("ClientByKeyHash: %v", err)
	} else {
		equalClient(t, got, a)
	}

	b := client("cl_b")
	b.Role, b.Scopes, b.Rate, b.Burst = "casesystem", nil, 0, 0
	b.CertFingerprint = fingerprint("b")
	b.CreatedAt = time.Time{}
	before := time.Now().Add(-time.Second)
	if err := s.PutClient(ctx, b); err != nil {
		t.Fatalf("PutClient with a certificate: %v", err)
	}
	got, err = s.ClientByCertFingerprint(ctx, b.CertFingerprint)
	if err != nil {
		t.Fatalf("ClientByCertFingerprint: %v", err)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}
	b.CreatedAt, b.Scopes = got.CreatedAt, []string{}
	equalClient(t, got, b)

	// Not found.
	if _, err := s.Client(ctx, "cl_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Client(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.ClientByKeyHash(ctx, keyHash("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClientByKeyHash(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.ClientByCertFingerprint(ctx, fingerprint("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClientByCertFingerprint(unknown) = %v, want ErrNotFound", err)
	}
	// A client without a certificate is not found by an empty fingerprint.
	if _, err := s.ClientByCertFingerprint(ctx, ""); err == nil {
		t.Error("ClientByCertFingerprint(\"\") found a client")
	}

	// The id, the key hash and the fingerprint are each unique.
	for name, dup := range map[string]func(c *store.ClientRecord){
		"id":          func(c *store.ClientRecord) { c.ID = "cl_a" },
		"key hash":    func(c *store.ClientRecord) { c.KeyHash = a.KeyHash },
		"fingerprint": func(c *store.ClientRecord) { c.CertFingerprint = b.CertFingerprint },
	} {
		c := client("cl_dup")
		dup(&c)
		if err := s.PutClient(ctx, c); !errors.Is(err, store.ErrExists) {
			t.Errorf("PutClient with a taken %s = %v, want ErrExists", name, err)
		}
	}
	if got, _ := s.Client(ctx, "cl_a"); got.Name != a.Name {
		t.Errorf("a duplicate PutClient changed the client: %q", got.Name)
	}
	if _, err := s.Client(ctx, "cl_dup"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused PutClient left a row: %v", err)
	}
	// Any number of clients have no certificate.
	c := client("cl_c")
	if err := s.PutClient(ctx, c); err != nil {
		t.Fatalf("second client without a certificate: %v", err)
	}

	// Input the store refuses.
	for name, bad := range map[string]func(c *store.ClientRecord){
		"no id":              func(c *store.ClientRecord) { c.ID = "" },
		"no name":            func(c *store.ClientRecord) { c.Name = "" },
		"no role":            func(c *store.ClientRecord) { c.Role = "" },
		"no key hash":        func(c *store.ClientRecord) { c.KeyHash = nil },
		"short key hash":     func(c *store.ClientRecord) { c.KeyHash = c.KeyHash[:16] },
		"upper-case hex":     func(c *store.ClientRecord) { c.CertFingerprint = "AB" + fingerprint("x")[2:] },
		"short fingerprint":  func(c *store.ClientRecord) { c.CertFingerprint = "abcd" },
		"negative rate":      func(c *store.ClientRecord) { c.Rate = -1 },
		"negative burst":     func(c *store.ClientRecord) { c.Burst = -1 },
		"empty scope":        func(c *store.ClientRecord) { c.Scopes = []string{"verify", ""} },
		"NaN rate":           func(c *store.ClientRecord) { c.Rate = math.NaN() },
		"fingerprint as key": func(c *store.ClientRecord) { c.KeyHash = []byte(fingerprint("k")) },
	} {
		c := client("cl_bad")
		bad(&c)
		if err := s.PutClient(ctx, c); err == nil || errors.Is(err, store.ErrExists) {
			t.Errorf("PutClient with %s = %v, want an input error", name, err)
		}
	}

	// A client may be registered disabled.
	d := client("cl_d")
	d.Disabled = true
	if err := s.PutClient(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.DisabledAt = d.CreatedAt
	got, err = s.Client(ctx, "cl_d")
	if err != nil {
		t.Fatal(err)
	}
	equalClient(t, got, d)

	// Clients lists every client by id.
	list, err := s.Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"cl_a", "cl_b", "cl_c", "cl_d"}) {
		t.Fatalf("Clients = %v", ids)
	}
	equalClient(t, list[0], a)

	testClientUpdates(t, s, a)
}

func testClientUpdates(t *testing.T, s store.Store, a store.ClientRecord) {
	ctx := ctxT(t)
	get := func() store.ClientRecord {
		t.Helper()
		c, err := s.Client(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// Scopes are replaced; nothing else changes.
	scopes := []string{"seal:9", "lookup", "seal:9"}
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Scopes: &scopes}); err != nil {
		t.Fatalf("UpdateClient(scopes): %v", err)
	}
	got := get()
	want := a
	want.Scopes = []string{"lookup", "seal:9"}
	equalClient(t, got, want)
	if !got.UpdatedAt.After(a.CreatedAt) {
		t.Errorf("UpdatedAt = %v, not after the change", got.UpdatedAt)
	}
	none := []string{}
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Scopes: &none}); err != nil {
		t.Fatal(err)
	}
	want.Scopes = []string{}
	equalClient(t, get(), want)

	// Rate and burst, each alone.
	rate, burst := 0.5, 3
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Rate: &rate}); err != nil {
		t.Fatal(err)
	}
	want.Rate = 0.5
	equalClient(t, get(), want)
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Burst: &burst}); err != nil {
		t.Fatal(err)
	}
	want.Burst = 3
	equalClient(t, get(), want)
	neg := -1.0
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Rate: &neg}); err == nil {
		t.Error("UpdateClient with a negative rate succeeded")
	}

	// Disable, disable again (the first time stays), enable.
	yes, no := true, false
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	first := get()
	if !first.Disabled || first.DisabledAt.IsZero() {
		t.Fatalf("after disabling: Disabled=%v DisabledAt=%v", first.Disabled, first.DisabledAt)
	}
	if byKey, err := s.ClientByKeyHash(ctx, a.KeyHash); err != nil || !byKey.Disabled {
		t.Fatalf("ClientByKeyHash of a disabled client = %+v, %v; want it, disabled", byKey, err)
	}
	time.Sleep(2 * time.Millisecond)
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if again := get(); !again.DisabledAt.Equal(first.DisabledAt) {
		t.Errorf("disabling twice moved DisabledAt from %v to %v", first.DisabledAt, again.DisabledAt)
	}
	if err := s.UpdateClient(ctx, a.ID, store.ClientUpdate{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	equalClient(t, get(), want)

	// Several fields at once, inside a transaction.
	all := []string{"verify"}
	rate = 7
	err := s.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.UpdateClient(ctx, "cl_missing", store.ClientUpdate{Disabled: &yes}); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("UpdateClient(missing) in tx = %v, want ErrNotFound", err)
		}
		return tx.UpdateClient(ctx, a.ID, store.ClientUpdate{Scopes: &all, Rate: &rate, Disabled: &yes})
	})
	if err != nil {
		t.Fatal(err)
	}
	got = get()
	if !slices.Equal(got.Scopes, all) || got.Rate != 7 || got.Burst != 3 || !got.Disabled {
		t.Errorf("after a combined update: %+v", got)
	}
	if err := s.UpdateClient(ctx, "cl_missing", store.ClientUpdate{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateClient(missing) = %v, want ErrNotFound", err)
	}

	// Rotating the key: the new hash finds the client, the old one nothing.
	newHash := keyHash("rotated")
	if err := s.RotateClientKey(ctx, a.ID, newHash); err != nil {
		t.Fatalf("RotateClientKey: %v", err)
	}
	if got, err := s.ClientByKeyHash(ctx, newHash); err != nil || got.ID != a.ID {
		t.Fatalf("ClientByKeyHash(new) = %+v, %v", got, err)
	}
	if _, err := s.ClientByKeyHash(ctx, a.KeyHash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ClientByKeyHash(old) = %v, want ErrNotFound", err)
	}
	if err := s.RotateClientKey(ctx, "cl_missing", keyHash("x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateClientKey(missing) = %v, want ErrNotFound", err)
	}
	// Another client's hash is taken.
	if err := s.RotateClientKey(ctx, a.ID, keyHash("key cl_c")); !errors.Is(err, store.ErrExists) {
		t.Errorf("RotateClientKey to a taken hash = %v, want ErrExists", err)
	}
	if err := s.RotateClientKey(ctx, a.ID, []byte("short")); err == nil {
		t.Error("RotateClientKey with a short hash succeeded")
	}

	// Concurrent updates of one client all land and leave it readable.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			sc := []string{fmt.Sprintf("seal:%d", i)}
			errs[i] = s.UpdateClient(ctx, a.ID, store.ClientUpdate{Scopes: &sc})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent UpdateClient %d: %v", i, err)
		}
	}
	if got := get(); len(got.Scopes) != 1 {
		t.Errorf("after concurrent updates: scopes %v", got.Scopes)
	}
}
