// Package store is the service's persistence: one interface with two
// implementations behind it, SQLite (modernc.org/sqlite, pure Go) for a single
// node and PostgreSQL (github.com/jackc/pgx/v5) for replicas that share a
// database. Both run the same SQL through database/sql and the same numbered
// migrations (folder migrations/), which Open applies.
//
// Adding a table: write the next migration in migrations/ (see its
// README.md), add methods to Tx, implement them once on ops in queries.go with
// portable SQL and `?` placeholders, and cover them in the shared test suite,
// which runs on both databases.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Sentinel errors callers branch on. Errors returned by the store wrap them.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means a row with the same key already exists.
	ErrExists = errors.New("already exists")
)

// Dialects reported by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// CertRecord is a certificate issued by a CA, with its revocation state.
// Times are UTC with microsecond precision (finer parts are dropped when
// stored).
type CertRecord struct {
	// Issuer names the CA (for example its subject key identifier in hex, or
	// its name). Issuer and Serial together are the key.
	Issuer string
	// Serial is the serial number as text. The store compares it as an exact
	// string, so callers must keep to one spelling (for example lower-case
	// hex from big.Int.Text(16)).
	Serial    string
	Subject   string
	NotBefore time.Time
	NotAfter  time.Time
	DER       []byte

	Revoked   bool
	RevokedAt time.Time // zero unless Revoked
	Reason    int       // RFC 5280 5.3.1 CRLReason; meaningful only if Revoked

	// CreatedAt is when the record was stored; PutCertificate fills it in
	// when zero.
	CreatedAt time.Time
}

// Tx holds the operations of the store. Inside Store.WithTx they run in one
// transaction; on a Store, each runs on its own.
type Tx interface {
	AuditOps  // the audit log (audit.go)
	ClientOps // API clients and their credentials (clients.go)

	// NextSerial returns 1, 2, 3, ... for each name. The numbers are unique
	// across goroutines, processes and replicas sharing the database; inside
	// a transaction that rolls back, the number is given back.
	NextSerial(ctx context.Context, name string) (int64, error)

	// Get returns the value of a setting, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put creates or replaces a setting. Values are small blobs (cached trust
	// lists, checkpoints).
	Put(ctx context.Context, key string, value []byte) error

	// PutCertificate records an issued certificate; ErrExists if the issuer
	// already has one with that serial. A record with Revoked set is stored
	// as revoked.
	PutCertificate(ctx context.Context, c CertRecord) error
	// Certificate returns the certificate of issuer with serial, or
	// ErrNotFound.
	Certificate(ctx context.Context, issuer, serial string) (CertRecord, error)
	// RevokeCertificate marks a certificate revoked at the given time for the
	// given RFC 5280 reason; ErrNotFound if there is no such certificate.
	// Revoking a revoked certificate changes nothing: the first time and
	// reason stand.
	RevokeCertificate(ctx context.Context, issuer, serial string, reason int, at time.Time) error
	// Revoked lists the revoked certificates of issuer, oldest revocation
	// first.
	Revoked(ctx context.Context, issuer string) ([]CertRecord, error)

	// PutSeal registers a seal (status active unless set); ErrExists if the
	// id is taken. The registration is the seal's first event.
	PutSeal(ctx context.Context, s SealRecord) error
	// Seal returns a registered seal, or ErrNotFound.
	Seal(ctx context.Context, id string) (SealRecord, error)
	// Seals lists every registered seal by id.
	Seals(ctx context.Context) ([]SealRecord, error)
	// SetSealStatus suspends, reactivates or revokes a seal, recording why.
	SetSealStatus(ctx context.Context, id, status, reason string, at time.Time) error
	// RecordSealUse records a stamp made with a seal.
	RecordSealUse(ctx context.Context, id string, at time.Time, detail string) error
	// SealEvents is a seal's history, oldest first.
	SealEvents(ctx context.Context, id string) ([]SealEvent, error)

	// PutLicense adds a license with its first event; ErrExists if the
	// identifier is taken.
	PutLicense(ctx context.Context, l LicenseRecord, first LicenseEvent) error
	// License returns a license, or ErrNotFound.
	License(ctx context.Context, id string) (LicenseRecord, error)
	// LicensesByHolder lists a holder's licenses, oldest first.
	LicensesByHolder(ctx context.Context, holderCode string) ([]LicenseRecord, error)
	// CountLicenses is the number of licenses in the library.
	CountLicenses(ctx context.Context) (int64, error)
	// SetLicenseStatus changes a license's status from one value to another
	// and records the signed event; ErrConflict if it is no longer in from.
	SetLicenseStatus(ctx context.Context, id, from, to, replacedBy string, ev LicenseEvent) error
	// AddLicenseEvent records an event that leaves the status as it is.
	AddLicenseEvent(ctx context.Context, e LicenseEvent) error
	// LicenseEvents is a license's history, oldest first.
	LicenseEvents(ctx context.Context, id string) ([]LicenseEvent, error)
	// IssuedByActor maps actors starting with prefix to the licenses they
	// issued.
	IssuedByActor(ctx context.Context, prefix string) (map[string]string, error)
	// RecordHolderQuery records who looked up a holder's licenses and why.
	RecordHolderQuery(ctx context.Context, q HolderQuery) error
	// HolderQueries lists the holder lookups since a time.
	HolderQueries(ctx context.Context, since time.Time) ([]HolderQuery, error)
}

// Store is a handle on the database. It is safe for concurrent use.
type Store interface {
	Tx

	// WithTx runs fn in one transaction, committed if fn returns nil and
	// rolled back otherwise (also if fn panics). Inside fn use only tx: on
	// SQLite the transaction holds the one write connection, so a write
	// through the Store would wait for the transaction to end.
	//
	// On PostgreSQL a failed statement aborts the transaction; the methods
	// that return ErrNotFound or ErrExists are written so that these do not,
	// and fn may go on after them on both databases.
	WithTx(ctx context.Context, fn func(tx Tx) error) error

	// SchemaVersion is the highest migration version applied to the database.
	SchemaVersion(ctx context.Context) (int64, error)

	// Backup writes every table to w as JSON lines, from one consistent
	// snapshot (backup.go).
	Backup(ctx context.Context, w io.Writer) (BackupStats, error)
	// Restore loads a backup into an empty store of the same schema
	// version, in one transaction.
	Restore(ctx context.Context, r io.Reader) (BackupStats, error)

	// Dialect is DialectSQLite or DialectPostgres.
	Dialect() string

	Close() error
}

// Open opens the store named by dsn and applies pending migrations.
//
//   - SQLite: "sqlite:PATH", "file:PATH", or a bare path ending in .db,
//     .sqlite or .sqlite3. The file is created if missing; its directory must
//     exist.
//   - PostgreSQL: "postgres://..." or "postgresql://..." (pgx syntax). A
//     search_path=SCHEMA or schema=SCHEMA parameter selects the schema, which
//     must exist.
func Open(ctx context.Context, dsn string) (Store, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	switch t.dialect {
	case DialectSQLite:
		return openSQLite(ctx, t.sqlitePath)
	case DialectPostgres:
		return openPostgres(ctx, t)
	}
	return nil, fmt.Errorf("store: unsupported dialect %q", t.dialect)
}
