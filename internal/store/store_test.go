package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, to create the test schemas

	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/testenv"
)

// The same suite runs on SQLite and on PostgreSQL: the two must not differ in
// anything a caller can see except Dialect.

func TestSQLite(t *testing.T) {
	t.Parallel()
	runSuite(t, store.DialectSQLite, sqliteDSN)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	runSuite(t, store.DialectPostgres, postgresDSN(t))
}

// sqliteDSN returns a new database file.
func sqliteDSN(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "eseal.db")
}

// postgresDSN checks that the test server answers and returns a function
// that creates a fresh schema, eseal_test_<random>, dropped when the test
// ends, and returns a DSN whose search_path selects it.
func postgresDSN(t *testing.T) func(t *testing.T) string {
	base := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL DSN: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		testenv.Missing(t, "PostgreSQL server ("+err.Error()+")",
			"start it with pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set ESEAL_TEST_POSTGRES")
	}
	return func(t *testing.T) string {
		t.Helper()
		b := make([]byte, 6)
		rand.Read(b)
		schema := "eseal_test_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
}

// openStore opens dsn and closes the store when the test ends.
func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// runSuite runs every test of the Store contract. newDSN returns the DSN of a
// new, empty database each time it is called.
func runSuite(t *testing.T, dialect string, newDSN func(t *testing.T) string) {
	tests := []struct {
		name string
		fn   func(t *testing.T, dialect string, newDSN func(t *testing.T) string)
	}{
		{"Migrations", testMigrations},
		{"ConcurrentFirstOpen", testConcurrentFirstOpen},
		{"Settings", testSettings},
		{"Serials", testSerials},
		{"Certificates", testCertificates},
		{"Revocation", testRevocation},
		{"Times", testTimes},
		{"TxCommit", testTxCommit},
		{"TxRollback", testTxRollback},
		{"TxContinuesAfterSentinelErrors", testTxContinues},
		{"ErrorMapping", testErrorMapping},
		{"SerialsConcurrent", testSerialsConcurrent},
		{"SerialsTwoHandles", testSerialsTwoHandles},
		{"TxConcurrent", testTxConcurrent},
		{"Reopen", testReopen},
		{"NewerSchema", testNewerSchema},
		{"Seals", testSeals},
		{"Licenses", testLicenses},
		{"Backup", testBackup},
		{"Clients", testClients},
		{"Audit", testAudit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, dialect, newDSN)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func testMigrations(t *testing.T, dialect string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	dsn := newDSN(t)
	want, err := store.LatestSchemaVersion(dialect)
	if err != nil {
		t.Fatal(err)
	}
	if want < 1 {
		t.Fatalf("LatestSchemaVersion = %d", want)
	}
	s := openStore(t, dsn)
	if got := s.Dialect(); got != dialect {
		t.Errorf("Dialect = %q, want %q", got, dialect)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != want {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, want)
	}
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// Opening again, with the first handle still open, applies nothing and
	// keeps the data.
	s2 := openStore(t, dsn)
	if v, err := s2.SchemaVersion(ctx); err != nil || v != want {
		t.Fatalf("second Open: SchemaVersion = %d, %v; want %d", v, err, want)
	}
	if v, err := s2.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("second Open: Get = %q, %v", v, err)
	}
}

// Replicas (or processes) starting together on a new database all open it.
func testConcurrentFirstOpen(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	dsn := newDSN(t)
	const n = 3
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = store.Open(ctx, dsn) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		if _, err := stores[i].NextSerial(ctx, "s"); err != nil {
			t.Errorf("NextSerial on store %d: %v", i, err)
		}
		stores[i].Close()
	}
}

func testSettings(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	bin := make([]byte, 64<<10)
	rand.Read(bin)
	bin[0], bin[1] = 0, 0xff
	for _, v := range [][]byte{[]byte("first"), []byte("second"), {}, bin} {
		if err := s.Put(ctx, "trustlist/beijing", v); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, err := s.Get(ctx, "trustlist/beijing")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got == nil || !bytes.Equal(got, v) {
			t.Fatalf("Get = %d bytes (nil %v), want %d bytes", len(got), got == nil, len(v))
		}
	}
	if err := s.Put(ctx, "nil", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "nil"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Get(nil value) = %v, %v; want empty", got, err)
	}
	if err := s.Put(ctx, "", []byte("x")); err == nil {
		t.Error("Put with an empty key succeeded")
	}
}

func testSerials(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	for want := int64(1); want <= 3; want++ {
		if got, err := s.NextSerial(ctx, "cert"); err != nil || got != want {
			t.Fatalf("NextSerial(cert) = %d, %v; want %d", got, err, want)
		}
	}
	if got, err := s.NextSerial(ctx, "license/110000"); err != nil || got != 1 {
		t.Fatalf("NextSerial of a second name = %d, %v; want 1", got, err)
	}
	if _, err := s.NextSerial(ctx, ""); err == nil {
		t.Error("NextSerial(\"\") succeeded")
	}
}

func cert(issuer, serial string) store.CertRecord {
	nb := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
	return store.CertRecord{
		Issuer:    issuer,
		Serial:    serial,
		Subject:   "CN=北京市某某局电子印章,O=某某局,C=CN",
		NotBefore: nb,
		NotAfter:  nb.AddDate(3, 0, 0),
		DER:       []byte{0x30, 0x82, 0x01, 0x00, 0x00, 0xff},
		CreatedAt: nb.Add(-time.Hour),
	}
}

func equalCert(t *testing.T, got, want store.CertRecord) {
	t.Helper()
	ok := got.Issuer == want.Issuer && got.Serial == want.Serial && got.Subject == want.Subject &&
		got.NotBefore.Equal(want.NotBefore) && got.NotAfter.Equal(want.NotAfter) &&
		bytes.Equal(got.DER, want.DER) && got.Revoked == want.Revoked &&
		got.RevokedAt.Equal(want.RevokedAt) && got.Reason == want.Reason &&
		got.CreatedAt.Equal(want.CreatedAt)
	if !ok {
		t.Fatalf("certificate differs:\n got %+v\nwant %+v", got, want)
	}
	for _, tm := range []time.Time{got.NotBefore, got.NotAfter, got.RevokedAt, got.CreatedAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("time %v is not in UTC", tm)
		}
	}
}

func testCertificates(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	c := cert("ca-sm2", "1f")
	if err := s.PutCertificate(ctx, c); err != nil {
		t.Fatalf("PutCertificate: %v", err)
	}
	got, err := s.Certificate(ctx, "ca-sm2", "1f")
	if err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	equalCert(t, got, c)

	dup := c
	dup.Subject = "CN=other"
	if err := s.PutCertificate(ctx, dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate PutCertificate = %v, want ErrExists", err)
	}
	if got, _ := s.Certificate(ctx, "ca-sm2", "1f"); got.Subject != c.Subject {
		t.Fatalf("duplicate PutCertificate changed the record: %q", got.Subject)
	}
	// The same serial under another issuer is another certificate.
	if err := s.PutCertificate(ctx, cert("ca-p256", "1f")); err != nil {
		t.Fatalf("same serial, other issuer: %v", err)
	}
	if _, err := s.Certificate(ctx, "ca-sm2", "20"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Certificate(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Certificate(ctx, "nobody", "1f"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Certificate(other issuer) = %v, want ErrNotFound", err)
	}

	// CreatedAt is filled in when zero.
	before := time.Now().Add(-time.Second)
	c2 := cert("ca-sm2", "21")
	c2.CreatedAt = time.Time{}
	if err := s.PutCertificate(ctx, c2); err != nil {
		t.Fatal(err)
	}
	got, err = s.Certificate(ctx, "ca-sm2", "21")
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}

	// A record may be stored as revoked.
	c3 := cert("ca-sm2", "22")
	c3.Revoked, c3.RevokedAt, c3.Reason = true, c3.NotBefore.Add(time.Hour), 1
	if err := s.PutCertificate(ctx, c3); err != nil {
		t.Fatal(err)
	}
	got, err = s.Certificate(ctx, "ca-sm2", "22")
	if err != nil {
		t.Fatal(err)
	}
	equalCert(t, got, c3)
	bad := cert("ca-sm2", "23")
	bad.Revoked = true
	if err := s.PutCertificate(ctx, bad); err == nil {
		t.Error("PutCertificate revoked without a time succeeded")
	}
	if err := s.PutCertificate(ctx, cert("", "1")); err == nil {
		t.Error("PutCertificate without an issuer succeeded")
	}
}

func testRevocation(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	for _, serial := range []string{"01", "02", "03"} {
		if err := s.PutCertificate(ctx, cert("ca", serial)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCertificate(ctx, cert("other-ca", "01")); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Revoked(ctx, "ca"); err != nil || len(list) != 0 {
		t.Fatalf("Revoked before any revocation = %v, %v", list, err)
	}
	at := time.Date(2026, 3, 1, 8, 0, 0, 999999000, time.UTC)
	if err := s.RevokeCertificate(ctx, "ca", "99", 1, at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeCertificate(missing) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeCertificate(ctx, "ca", "03", 4, at); err != nil { // superseded
		t.Fatal(err)
	}
	if err := s.RevokeCertificate(ctx, "ca", "01", 1, at.Add(-time.Minute)); err != nil { // keyCompromise
		t.Fatal(err)
	}
	// Revoking again keeps the first time and reason.
	if err := s.RevokeCertificate(ctx, "ca", "01", 5, at.Add(time.Hour)); err != nil {
		t.Fatalf("second RevokeCertificate: %v", err)
	}
	got, err := s.Certificate(ctx, "ca", "01")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Revoked || !got.RevokedAt.Equal(at.Add(-time.Minute)) || got.Reason != 1 {
		t.Fatalf("after revoking twice: Revoked=%v RevokedAt=%v Reason=%d; want the first revocation", got.Revoked, got.RevokedAt, got.Reason)
	}
	list, err := s.Revoked(ctx, "ca")
	if err != nil {
		t.Fatal(err)
	}
	var serials []string
	for _, c := range list {
		serials = append(serials, c.Serial)
		if !c.Revoked || c.Issuer != "ca" || len(c.DER) == 0 {
			t.Errorf("Revoked returned %+v", c)
		}
	}
	if !slices.Equal(serials, []string{"01", "03"}) {
		t.Fatalf("Revoked serials = %v, want [01 03] (oldest revocation first)", serials)
	}
	if got, _ := s.Certificate(ctx, "ca", "02"); got.Revoked || !got.RevokedAt.IsZero() || got.Reason != 0 {
		t.Errorf("unrevoked certificate reads as %+v", got)
	}
	if list, err := s.Revoked(ctx, "other-ca"); err != nil || len(list) != 0 {
		t.Fatalf("Revoked(other-ca) = %v, %v; want none", list, err)
	}
	if err := s.RevokeCertificate(ctx, "ca", "02", 0, time.Time{}); err == nil {
		t.Error("RevokeCertificate with a zero time succeeded")
	}
}

// Times come back in UTC, exact to the microsecond, whatever zone they were
// given in.
func testTimes(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	shanghai := time.FixedZone("CST", 8*3600)
	cases := []time.Time{
		time.Date(2025, 6, 30, 23, 59, 59, 999999999, shanghai),
		time.Date(1969, 12, 31, 23, 59, 59, 1500, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Now(), // has a monotonic reading
	}
	for i, tm := range cases {
		c := cert("ca", fmt.Sprint(i))
		c.NotBefore, c.NotAfter, c.CreatedAt = tm, tm.Add(time.Nanosecond), tm
		if err := s.PutCertificate(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeCertificate(ctx, "ca", c.Serial, 0, tm); err != nil {
			t.Fatal(err)
		}
		got, err := s.Certificate(ctx, "ca", c.Serial)
		if err != nil {
			t.Fatal(err)
		}
		want := tm.UTC().Truncate(time.Microsecond)
		for name, g := range map[string]time.Time{"NotBefore": got.NotBefore, "CreatedAt": got.CreatedAt, "RevokedAt": got.RevokedAt} {
			if g != want {
				t.Errorf("%s of %v: got %v, want %v", name, tm, g, want)
			}
		}
		if wantAfter := tm.Add(time.Nanosecond).UTC().Truncate(time.Microsecond); got.NotAfter != wantAfter {
			t.Errorf("NotAfter: got %v, want %v", got.NotAfter, wantAfter)
		}
	}
}

func testTxCommit(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	err := s.WithTx(ctx, func(tx store.Tx) error {
		n, err := tx.NextSerial(ctx, "cert")
		if err != nil {
			return err
		}
		c := cert("ca", fmt.Sprint(n))
		if err := tx.PutCertificate(ctx, c); err != nil {
			return err
		}
		// The transaction reads its own writes.
		if _, err := tx.Certificate(ctx, "ca", c.Serial); err != nil {
			return err
		}
		if err := tx.RevokeCertificate(ctx, "ca", c.Serial, 1, time.Now()); err != nil {
			return err
		}
		if l, err := tx.Revoked(ctx, "ca"); err != nil || len(l) != 1 {
			return fmt.Errorf("Revoked in tx = %v, %v", l, err)
		}
		if err := tx.Put(ctx, "checkpoint", []byte("1")); err != nil {
			return err
		}
		v, err := tx.Get(ctx, "checkpoint")
		if err != nil || string(v) != "1" {
			return fmt.Errorf("Get in tx = %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("WithTx: %v", err)
	}
	if _, err := s.Certificate(ctx, "ca", "1"); err != nil {
		t.Fatalf("after commit: %v", err)
	}
	if v, err := s.Get(ctx, "checkpoint"); err != nil || string(v) != "1" {
		t.Fatalf("after commit: Get = %q, %v", v, err)
	}
}

func testTxRollback(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	if err := s.PutCertificate(ctx, cert("ca", "keep")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.NextSerial(ctx, "cert"); err != nil || n != 1 {
		t.Fatalf("NextSerial = %d, %v", n, err)
	}
	errBoom := errors.New("boom")
	err := s.WithTx(ctx, func(tx store.Tx) error {
		if n, err := tx.NextSerial(ctx, "cert"); err != nil || n != 2 {
			return fmt.Errorf("NextSerial in tx = %d, %v", n, err)
		}
		if err := tx.Put(ctx, "k", []byte("v")); err != nil {
			return err
		}
		if err := tx.PutCertificate(ctx, cert("ca", "gone")); err != nil {
			return err
		}
		if err := tx.RevokeCertificate(ctx, "ca", "keep", 1, time.Now()); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("WithTx = %v, want the callback's error", err)
	}
	checkNothingLeft := func(when string) {
		t.Helper()
		if _, err := s.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: setting survived: %v", when, err)
		}
		if _, err := s.Certificate(ctx, "ca", "gone"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: certificate survived: %v", when, err)
		}
		if c, err := s.Certificate(ctx, "ca", "keep"); err != nil || c.Revoked {
			t.Errorf("%s: revocation survived: %+v, %v", when, c, err)
		}
	}
	checkNothingLeft("after an error")
	// The serial handed out in the rolled back transaction is given back.
	if n, err := s.NextSerial(ctx, "cert"); err != nil || n != 2 {
		t.Fatalf("NextSerial after rollback = %d, %v; want 2", n, err)
	}

	// A panic rolls back too, and propagates.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("WithTx swallowed a panic")
			}
		}()
		_ = s.WithTx(ctx, func(tx store.Tx) error {
			if err := tx.Put(ctx, "k", []byte("v")); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	checkNothingLeft("after a panic")

	// A Tx used after its transaction ended fails rather than writing
	// outside it.
	var leaked store.Tx
	if err := s.WithTx(ctx, func(tx store.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := leaked.Put(ctx, "late", []byte("x")); err == nil {
		t.Error("Put on an ended transaction succeeded")
	}
}

// ErrExists and ErrNotFound inside a transaction leave it usable: on
// PostgreSQL a failed statement would abort it.
func testTxContinues(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	if err := s.PutCertificate(ctx, cert("ca", "1")); err != nil {
		t.Fatal(err)
	}
	err := s.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.PutCertificate(ctx, cert("ca", "1")); !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("duplicate = %v, want ErrExists", err)
		}
		if _, err := tx.Certificate(ctx, "ca", "2"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("missing = %v, want ErrNotFound", err)
		}
		if err := tx.RevokeCertificate(ctx, "ca", "2", 0, time.Now()); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("revoke missing = %v, want ErrNotFound", err)
		}
		if _, err := tx.Get(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get missing = %v, want ErrNotFound", err)
		}
		return tx.PutCertificate(ctx, cert("ca", "2"))
	})
	if err != nil {
		t.Fatalf("WithTx: %v", err)
	}
	if _, err := s.Certificate(ctx, "ca", "2"); err != nil {
		t.Fatal(err)
	}
}

// Driver errors for unique violations map to ErrExists on both drivers, for
// the tables and methods later issues add.
func testErrorMapping(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	s := openStore(t, newDSN(t))
	const ins = `INSERT INTO serials (name, value) VALUES (?, ?)`
	if err := store.ExecRaw(ctx, s, ins, "x", 1); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecRaw(ctx, s, ins, "x", 2); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate key = %v, want ErrExists", err)
	}
	if err := store.ExecRaw(ctx, s, `INSERT INTO nosuchtable VALUES (?)`, 1); err == nil || errors.Is(err, store.ErrExists) {
		t.Fatalf("other error = %v, want a plain error", err)
	}
}

// checkContiguous fails unless got holds exactly 1..len(got).
func checkContiguous(t *testing.T, got []int64) {
	t.Helper()
	slices.Sort(got)
	for i, n := range got {
		if n != int64(i+1) {
			t.Fatalf("serials are not 1..%d: position %d holds %d (duplicate or gap)", len(got), i, n)
		}
	}
}

// nextSerials calls NextSerial from goroutines×calls goroutines on the given
// stores in turn and returns every number handed out.
func nextSerials(t *testing.T, stores []store.Store, goroutines, calls int) []int64 {
	ctx := ctxT(t)
	var (
		mu  sync.Mutex
		all []int64
		wg  sync.WaitGroup
	)
	for g := range goroutines {
		s := stores[g%len(stores)]
		wg.Go(func() {
			got := make([]int64, 0, calls)
			for range calls {
				n, err := s.NextSerial(ctx, "seal")
				if err != nil {
					t.Errorf("NextSerial: %v", err)
					return
				}
				got = append(got, n)
			}
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(all) != goroutines*calls {
		t.Fatalf("got %d serials, want %d", len(all), goroutines*calls)
	}
	return all
}

func testSerialsConcurrent(t *testing.T, _ string, newDSN func(*testing.T) string) {
	s := openStore(t, newDSN(t))
	checkContiguous(t, nextSerials(t, []store.Store{s}, 50, 20))
}

// Two handles on one database stand for two processes or replicas.
func testSerialsTwoHandles(t *testing.T, _ string, newDSN func(*testing.T) string) {
	dsn := newDSN(t)
	a, b := openStore(t, dsn), openStore(t, dsn)
	checkContiguous(t, nextSerials(t, []store.Store{a, b}, 20, 25))
}

// Concurrent transactions and plain calls never fail with a lock error.
func testTxConcurrent(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	dsn := newDSN(t)
	stores := []store.Store{openStore(t, dsn), openStore(t, dsn)}
	var wg sync.WaitGroup
	for g := range 10 {
		s := stores[g%2]
		wg.Go(func() {
			for i := range 10 {
				err := s.WithTx(ctx, func(tx store.Tx) error {
					n, err := tx.NextSerial(ctx, "cert")
					if err != nil {
						return err
					}
					if err := tx.PutCertificate(ctx, cert("ca", fmt.Sprint(n))); err != nil {
						return err
					}
					return tx.Put(ctx, "last", []byte(fmt.Sprint(n)))
				})
				if err != nil {
					t.Errorf("WithTx: %v", err)
					return
				}
				if _, err := s.Get(ctx, "last"); err != nil {
					t.Errorf("Get: %v", err)
				}
				if _, err := s.Certificate(ctx, "ca", fmt.Sprint(g*10+i+1)); err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Certificate: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for i := 1; i <= 100; i++ {
		if _, err := stores[0].Certificate(ctx, "ca", fmt.Sprint(i)); err != nil {
			t.Fatalf("certificate %d: %v", i, err)
		}
	}
}

// What was written before Close is there after reopening.
func testReopen(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	dsn := newDSN(t)
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	c := cert("ca", "7")
	for _, err := range []error{
		s.Put(ctx, "k", []byte("v")),
		s.PutCertificate(ctx, c),
		s.RevokeCertificate(ctx, "ca", "7", 3, c.NotBefore),
		func() error { _, err := s.NextSerial(ctx, "n"); return err }(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Get(ctx, "k"); err == nil {
		t.Error("Get on a closed store succeeded")
	}

	s = openStore(t, dsn)
	if v, err := s.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get after reopen = %q, %v", v, err)
	}
	got, err := s.Certificate(ctx, "ca", "7")
	if err != nil {
		t.Fatal(err)
	}
	c.Revoked, c.RevokedAt, c.Reason = true, c.NotBefore, 3
	equalCert(t, got, c)
	if n, err := s.NextSerial(ctx, "n"); err != nil || n != 2 {
		t.Fatalf("NextSerial after reopen = %d, %v; want 2", n, err)
	}
}

// A database migrated by a newer program is not used by an older one.
func testNewerSchema(t *testing.T, _ string, newDSN func(*testing.T) string) {
	ctx := ctxT(t)
	dsn := newDSN(t)
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	err = store.ExecRaw(ctx, s, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`, 99999, true)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(ctx, dsn)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema = %v; want an error saying it is newer", err)
	}
}
