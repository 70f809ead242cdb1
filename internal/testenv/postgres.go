package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// PostgresSchema creates a fresh schema on the test PostgreSQL server,
// dropped when the test ends, and returns a DSN selecting it. A server
// that does not answer fails the test under CI=true and skips it elsewhere.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresDSN(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL DSN: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		Missing(t, "PostgreSQL server ("+err.Error()+")",
			"start it with pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set ESEAL_TEST_POSTGRES")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "eseal_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
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
