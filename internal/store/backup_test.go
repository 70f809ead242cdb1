package store_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

// A backup restores into a new store, of either database, with every row;
// a damaged or cut backup restores nothing; a non-empty store is refused.
func testBackup(t *testing.T, dialect string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	src := openStore(t, newDSN(t))
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, serial := range []string{"01", "02"} {
		c := cert("ca", serial)
		if err := src.PutCertificate(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.PutSeal(ctx, store.SealRecord{ID: "ES1", Name: "章", Owner: "局", KeyLabel: "k", SignerCert: []byte{0, 1, 2, 255}, SealDER: []byte("der"), ValidFrom: now, ValidTo: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := src.RecordSealUse(ctx, "ES1", now, "doc"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.NextSerial(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st, err := src.Backup(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows < 6 {
		t.Fatalf("backup of %d rows", st.Rows)
	}
	dst := openStore(t, newDSN(t))
	got, err := dst.Restore(ctx, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != st.Rows {
		t.Fatalf("restored %d of %d rows", got.Rows, st.Rows)
	}
	sl, err := dst.Seal(ctx, "ES1")
	if err != nil || !bytes.Equal(sl.SignerCert, []byte{0, 1, 2, 255}) || !sl.ValidTo.Equal(now.Add(time.Hour)) {
		t.Fatalf("restored seal %+v %v", sl, err)
	}
	if evs, _ := dst.SealEvents(ctx, "ES1"); len(evs) != 2 {
		t.Fatalf("restored %d events", len(evs))
	}
	if n, _ := dst.NextSerial(ctx, "x"); n != 2 {
		t.Fatalf("serial after restore %d", n)
	}
	// Restoring again into the now non-empty store is refused.
	if _, err := dst.Restore(ctx, bytes.NewReader(buf.Bytes())); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("second restore: %v", err)
	}
	// A cut backup restores nothing.
	cut := buf.Bytes()[:buf.Len()*2/3]
	empty := openStore(t, newDSN(t))
	if _, err := empty.Restore(ctx, bytes.NewReader(cut)); err == nil {
		t.Fatal("a cut backup was restored")
	}
	if _, err := empty.Seal(ctx, "ES1"); err == nil {
		t.Fatal("a failed restore left rows behind")
	}
	if _, err := empty.Restore(ctx, strings.NewReader("not a backup")); err == nil {
		t.Fatal("garbage restored")
	}
}
