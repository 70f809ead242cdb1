package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ClientOps are the operations on API clients: who may call the HTTP API,
// with which credentials, for what and how often. Package internal/auth
// gives the roles and scopes their meaning; the store keeps them as strings.
type ClientOps interface {
	// PutClient registers a client; ErrExists if its id, key hash or
	// certificate fingerprint is taken.
	PutClient(ctx context.Context, c ClientRecord) error
	// Client returns a client, or ErrNotFound.
	Client(ctx context.Context, id string) (ClientRecord, error)
	// ClientByKeyHash returns the client whose API key has this SHA-256, or
	// ErrNotFound. Disabled clients are returned too; the caller refuses them.
	ClientByKeyHash(ctx context.Context, hash []byte) (ClientRecord, error)
	// ClientByCertFingerprint returns the client whose TLS certificate has
	// this fingerprint (SHA-256 of the DER, lower-case hex), or ErrNotFound.
	ClientByCertFingerprint(ctx context.Context, fingerprint string) (ClientRecord, error)
	// Clients lists every client by id, disabled ones included.
	Clients(ctx context.Context) ([]ClientRecord, error)
	// UpdateClient changes the fields of u that are set; ErrNotFound if
	// there is no such client.
	UpdateClient(ctx context.Context, id string, u ClientUpdate) error
	// RotateClientKey replaces a client's API key hash; the old key stops
	// working. ErrNotFound if there is no such client.
	RotateClientKey(ctx context.Context, id string, newHash []byte) error
}

// ClientRecord is an API client. Times are UTC with microsecond precision.
type ClientRecord struct {
	ID   string
	Name string
	Role string // admin, department, issuer or casesystem; see internal/auth
	// Scopes are what the client was granted (see internal/auth). The store
	// keeps them sorted, without duplicates.
	Scopes []string
	// KeyHash is the SHA-256 of the client's API key. The key itself is
	// shown once, when made, and never stored.
	KeyHash []byte
	// CertFingerprint is the SHA-256 of the DER of the client's TLS
	// certificate, in lower-case hex; empty if the client has none.
	CertFingerprint string
	// Rate is the sustained number of requests per second the client may
	// make, Burst how many it may make at once. Rate 0 means no limit.
	Rate  float64
	Burst int

	Disabled   bool
	DisabledAt time.Time // zero unless Disabled

	// CreatedAt is filled in by PutClient when zero; UpdatedAt is set by
	// every change.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientUpdate holds the changes UpdateClient makes; nil fields stay as they
// are.
type ClientUpdate struct {
	Scopes   *[]string // the new set of scopes, replacing the old
	Rate     *float64
	Burst    *int
	Disabled *bool
}

const clientColumns = `id, name, role, scopes, key_hash, cert_fingerprint, rate_per_sec, burst, disabled_at_us, created_at_us, updated_at_us`

func (o ops) PutClient(ctx context.Context, c ClientRecord) error {
	if c.ID == "" || c.Name == "" || c.Role == "" {
		return fmt.Errorf("store: client %q: id, name and role are required", c.ID)
	}
	if err := checkKeyHash(c.KeyHash); err != nil {
		return fmt.Errorf("store: client %s: %w", c.ID, err)
	}
	if err := checkFingerprint(c.CertFingerprint); err != nil {
		return fmt.Errorf("store: client %s: %w", c.ID, err)
	}
	if err := checkRate(c.Rate, c.Burst); err != nil {
		return fmt.Errorf("store: client %s: %w", c.ID, err)
	}
	scopes, err := encodeScopes(c.Scopes)
	if err != nil {
		return fmt.Errorf("store: client %s: %w", c.ID, err)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	var disabledAt sql.NullInt64
	if c.Disabled {
		if c.DisabledAt.IsZero() {
			c.DisabledAt = c.CreatedAt
		}
		disabledAt = nullMicros(c.DisabledAt)
	}
	var fp sql.NullString
	if c.CertFingerprint != "" {
		fp = sql.NullString{String: c.CertFingerprint, Valid: true}
	}
	// No conflict target: a taken id, key hash or fingerprint all mean
	// ErrExists, without aborting a PostgreSQL transaction.
	res, err := o.exec(ctx, `
		INSERT INTO clients (`+clientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		c.ID, c.Name, c.Role, scopes, c.KeyHash, fp, c.Rate, c.Burst, disabledAt,
		toMicros(c.CreatedAt), toMicros(c.CreatedAt))
	if err == nil {
		err = mustChange(res, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store: put client %s: %w", c.ID, err)
	}
	return nil
}

func (o ops) Client(ctx context.Context, id string) (ClientRecord, error) {
	c, err := scanClient(o.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
	if err != nil {
		return ClientRecord{}, fmt.Errorf("store: client %s: %w", id, err)
	}
	return c, nil
}

func (o ops) ClientByKeyHash(ctx context.Context, hash []byte) (ClientRecord, error) {
	if err := checkKeyHash(hash); err != nil {
		return ClientRecord{}, fmt.Errorf("store: client by key: %w", err)
	}
	c, err := scanClient(o.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE key_hash = ?`, hash))
	if err != nil {
		// Neither the hash nor anything derived from the key goes into errors.
		return ClientRecord{}, fmt.Errorf("store: client by key: %w", err)
	}
	return c, nil
}

func (o ops) ClientByCertFingerprint(ctx context.Context, fingerprint string) (ClientRecord, error) {
	if err := checkFingerprint(fingerprint); err != nil || fingerprint == "" {
		return ClientRecord{}, fmt.Errorf("store: client by certificate %q: want 64 lower-case hex digits", fingerprint)
	}
	c, err := scanClient(o.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE cert_fingerprint = ?`, fingerprint))
	if err != nil {
		return ClientRecord{}, fmt.Errorf("store: client by certificate %s: %w", fingerprint, err)
	}
	return c, nil
}

func (o ops) Clients(ctx context.Context) ([]ClientRecord, error) {
	rows, err := o.query(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: clients: %w", err)
	}
	defer rows.Close()
	var out []ClientRecord
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("store: clients: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: clients: %w", driverErr(err))
	}
	return out, nil
}

func (o ops) UpdateClient(ctx context.Context, id string, u ClientUpdate) error {
	now := toMicros(time.Now())
	set := []string{"updated_at_us = ?"}
	args := []any{now}
	if u.Scopes != nil {
		scopes, err := encodeScopes(*u.Scopes)
		if err != nil {
			return fmt.Errorf("store: update client %s: %w", id, err)
		}
		set, args = append(set, "scopes = ?"), append(args, scopes)
	}
	if u.Rate != nil || u.Burst != nil {
		rate, burst := 0.0, 0
		if u.Rate != nil {
			rate = *u.Rate
		}
		if u.Burst != nil {
			burst = *u.Burst
		}
		if err := checkRate(rate, burst); err != nil {
			return fmt.Errorf("store: update client %s: %w", id, err)
		}
		if u.Rate != nil {
			set, args = append(set, "rate_per_sec = ?"), append(args, rate)
		}
		if u.Burst != nil {
			set, args = append(set, "burst = ?"), append(args, burst)
		}
	}
	if u.Disabled != nil {
		if *u.Disabled {
			// Disabling a disabled client keeps the first time.
			set, args = append(set, "disabled_at_us = COALESCE(disabled_at_us, ?)"), append(args, now)
		} else {
			set = append(set, "disabled_at_us = NULL")
		}
	}
	args = append(args, id)
	res, err := o.exec(ctx, `UPDATE clients SET `+strings.Join(set, ", ")+` WHERE id = ?`, args...)
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: update client %s: %w", id, err)
	}
	return nil
}

func (o ops) RotateClientKey(ctx context.Context, id string, newHash []byte) error {
	if err := checkKeyHash(newHash); err != nil {
		return fmt.Errorf("store: rotate key of client %s: %w", id, err)
	}
	res, err := o.exec(ctx, `UPDATE clients SET key_hash = ?, updated_at_us = ? WHERE id = ?`,
		newHash, toMicros(time.Now()), id)
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: rotate key of client %s: %w", id, err)
	}
	return nil
}

func scanClient(row interface{ Scan(...any) error }) (ClientRecord, error) {
	var (
		c                ClientRecord
		scopes           string
		fp               sql.NullString
		disabledAt       sql.NullInt64
		created, updated int64
	)
	err := scanRow(row, &c.ID, &c.Name, &c.Role, &scopes, &c.KeyHash, &fp, &c.Rate, &c.Burst, &disabledAt, &created, &updated)
	if err != nil {
		return ClientRecord{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return ClientRecord{}, fmt.Errorf("client %s: scopes %q: %w", c.ID, scopes, err)
	}
	if c.Scopes == nil {
		c.Scopes = []string{}
	}
	c.CertFingerprint = fp.String
	if disabledAt.Valid {
		c.Disabled, c.DisabledAt = true, fromMicros(disabledAt.Int64)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// encodeScopes stores scopes as a sorted JSON array without duplicates.
func encodeScopes(scopes []string) (string, error) {
	s := slices.Clone(scopes)
	slices.Sort(s)
	s = slices.Compact(s)
	if s == nil {
		s = []string{}
	}
	for _, sc := range s {
		if sc == "" {
			return "", errors.New("empty scope")
		}
	}
	b, err := json.Marshal(s)
	return string(b), err
}

func checkKeyHash(h []byte) error {
	if len(h) != sha256.Size {
		return fmt.Errorf("API key hash is %d bytes, want a SHA-256 (%d bytes)", len(h), sha256.Size)
	}
	return nil
}

// checkFingerprint accepts "" (no certificate) or 64 lower-case hex digits,
// the one spelling lookups compare against.
func checkFingerprint(fp string) error {
	if fp == "" {
		return nil
	}
	if b, err := hex.DecodeString(fp); err != nil || len(b) != sha256.Size || strings.ToLower(fp) != fp {
		return fmt.Errorf("certificate fingerprint %q: want the SHA-256 of the DER as 64 lower-case hex digits", fp)
	}
	return nil
}

func checkRate(rate float64, burst int) error {
	if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) || burst < 0 {
		return fmt.Errorf("rate %v, burst %d: want a finite rate and burst, neither negative", rate, burst)
	}
	return nil
}
