package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var _ Tx = ops{}

func (o ops) NextSerial(ctx context.Context, name string) (int64, error) {
	if name == "" {
		return 0, errors.New("store: NextSerial: empty sequence name")
	}
	// One statement, so the increment is atomic on both databases: SQLite
	// holds the write lock, PostgreSQL the row lock, until the transaction
	// ends.
	var n int64
	err := scanRow(o.writeRow(ctx, `
		INSERT INTO serials (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = serials.value + 1
		RETURNING value`, name), &n)
	if err != nil {
		return 0, fmt.Errorf("store: next serial %q: %w", name, err)
	}
	return n, nil
}

func (o ops) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	if err := scanRow(o.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, key), &v); err != nil {
		return nil, fmt.Errorf("store: setting %q: %w", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func (o ops) Put(ctx context.Context, key string, value []byte) error {
	if key == "" {
		return errors.New("store: Put: empty key")
	}
	if value == nil {
		value = []byte{}
	}
	_, err := o.exec(ctx, `
		INSERT INTO settings (name, value, updated_at_us) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at_us = excluded.updated_at_us`,
		key, value, toMicros(time.Now()))
	if err != nil {
		return fmt.Errorf("store: put setting %q: %w", key, err)
	}
	return nil
}

const certColumns = `issuer, serial, subject, not_before_us, not_after_us, der, revoked_at_us, reason, created_at_us`

func (o ops) PutCertificate(ctx context.Context, c CertRecord) error {
	if c.Issuer == "" || c.Serial == "" {
		return fmt.Errorf("store: certificate %q/%q: issuer and serial must not be empty", c.Issuer, c.Serial)
	}
	if c.Revoked && c.RevokedAt.IsZero() {
		return fmt.Errorf("store: certificate %s/%s: revoked without a revocation time", c.Issuer, c.Serial)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	der := c.DER
	if der == nil {
		der = []byte{}
	}
	var revokedAt sql.NullInt64
	reason := 0
	if c.Revoked {
		revokedAt, reason = nullMicros(c.RevokedAt), c.Reason
	}
	// DO NOTHING rather than a unique violation: on PostgreSQL a failed
	// statement would abort the caller's transaction.
	res, err := o.exec(ctx, `
		INSERT INTO certificates (`+certColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (issuer, serial) DO NOTHING`,
		c.Issuer, c.Serial, c.Subject, toMicros(c.NotBefore), toMicros(c.NotAfter), der,
		revokedAt, reason, toMicros(c.CreatedAt))
	if err == nil {
		err = mustChange(res, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store: put certificate %s/%s: %w", c.Issuer, c.Serial, err)
	}
	return nil
}

func (o ops) Certificate(ctx context.Context, issuer, serial string) (CertRecord, error) {
	c, err := scanCert(o.queryRow(ctx, `SELECT `+certColumns+` FROM certificates WHERE issuer = ? AND serial = ?`, issuer, serial))
	if err != nil {
		return CertRecord{}, fmt.Errorf("store: certificate %s/%s: %w", issuer, serial, err)
	}
	return c, nil
}

func (o ops) RevokeCertificate(ctx context.Context, issuer, serial string, reason int, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("store: revoke certificate %s/%s: zero revocation time", issuer, serial)
	}
	res, err := o.exec(ctx, `
		UPDATE certificates SET revoked_at_us = ?, reason = ?
		WHERE issuer = ? AND serial = ? AND revoked_at_us IS NULL`,
		toMicros(at), reason, issuer, serial)
	if err == nil {
		err = mustChange(res, nil)
	}
	if errors.Is(err, errNoChange) {
		// Either already revoked (keep the first revocation) or missing.
		var one int
		err = scanRow(o.queryRow(ctx, `SELECT 1 FROM certificates WHERE issuer = ? AND serial = ?`, issuer, serial), &one)
	}
	if err != nil {
		return fmt.Errorf("store: revoke certificate %s/%s: %w", issuer, serial, err)
	}
	return nil
}

func (o ops) Revoked(ctx context.Context, issuer string) ([]CertRecord, error) {
	rows, err := o.query(ctx, `
		SELECT `+certColumns+` FROM certificates
		WHERE issuer = ? AND revoked_at_us IS NOT NULL
		ORDER BY revoked_at_us, serial`, issuer)
	if err != nil {
		return nil, fmt.Errorf("store: revoked certificates of %s: %w", issuer, err)
	}
	defer rows.Close()
	var out []CertRecord
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, fmt.Errorf("store: revoked certificates of %s: %w", issuer, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: revoked certificates of %s: %w", issuer, driverErr(err))
	}
	return out, nil
}

func scanCert(row interface{ Scan(...any) error }) (CertRecord, error) {
	var (
		c                          CertRecord
		notBefore, notAfter, crtAt int64
		revokedAt                  sql.NullInt64
	)
	err := scanRow(row, &c.Issuer, &c.Serial, &c.Subject, &notBefore, &notAfter, &c.DER, &revokedAt, &c.Reason, &crtAt)
	if err != nil {
		return CertRecord{}, err
	}
	c.NotBefore, c.NotAfter, c.CreatedAt = fromMicros(notBefore), fromMicros(notAfter), fromMicros(crtAt)
	if revokedAt.Valid {
		c.Revoked, c.RevokedAt = true, fromMicros(revokedAt.Int64)
	} else {
		c.Reason = 0
	}
	if c.DER == nil {
		c.DER = []byte{}
	}
	return c, nil
}

// errNoChange is mustChange's default answer when a statement changed no row.
var errNoChange = errors.New("no row changed")

// mustChange returns errIfNone (errNoChange when nil) if the statement
// changed no row.
func mustChange(res sql.Result, errIfNone error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		if errIfNone == nil {
			return errNoChange
		}
		return errIfNone
	}
	return nil
}
