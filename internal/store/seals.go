package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Seal statuses.
const (
	SealActive    = "active"
	SealSuspended = "suspended"
	SealRevoked   = "revoked"
)

// SealRecord is a seal in the registry.
type SealRecord struct {
	ID         string // GB/T 38540 esID
	Name       string
	Owner      string // owning department
	Keystore   string // keystore URI without secrets
	KeyLabel   string
	SignerCert []byte // DER
	SealDER    []byte // SES_Seal DER
	Status     string
	ValidFrom  time.Time
	ValidTo    time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SealEvent is one entry of a seal's history.
type SealEvent struct {
	SealID string
	Seq    int64
	At     time.Time
	Event  string
	Detail string
}

func validSealStatus(s string) bool {
	return s == SealActive || s == SealSuspended || s == SealRevoked
}

func (o ops) PutSeal(ctx context.Context, s SealRecord) error {
	if s.ID == "" || s.Name == "" || s.Owner == "" || s.KeyLabel == "" {
		return fmt.Errorf("store: seal %q: id, name, owner and key label are required", s.ID)
	}
	if s.Status == "" {
		s.Status = SealActive
	}
	if !validSealStatus(s.Status) {
		return fmt.Errorf("store: seal %s: unknown status %q", s.ID, s.Status)
	}
	now := time.Now()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	res, err := o.exec(ctx, `
		INSERT INTO seals (id, name, owner, keystore, key_label, signer_cert, seal_der, status, valid_from_us, valid_to_us, created_at_us, updated_at_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		s.ID, s.Name, s.Owner, s.Keystore, s.KeyLabel, nonNil(s.SignerCert), nonNil(s.SealDER), s.Status,
		toMicros(s.ValidFrom), toMicros(s.ValidTo), toMicros(s.CreatedAt), toMicros(s.CreatedAt))
	if err == nil {
		err = mustChange(res, ErrExists)
	}
	if err == nil {
		err = o.addSealEvent(ctx, s.ID, s.CreatedAt, "registered", s.Owner)
	}
	if err != nil {
		return fmt.Errorf("store: put seal %s: %w", s.ID, err)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const sealColumns = `id, name, owner, keystore, key_label, signer_cert, seal_der, status, valid_from_us, valid_to_us, created_at_us, updated_at_us`

func scanSeal(row interface{ Scan(...any) error }) (SealRecord, error) {
	var s SealRecord
	var from, to, created, updated int64
	if err := scanRow(row, &s.ID, &s.Name, &s.Owner, &s.Keystore, &s.KeyLabel, &s.SignerCert, &s.SealDER, &s.Status, &from, &to, &created, &updated); err != nil {
		return SealRecord{}, err
	}
	s.ValidFrom, s.ValidTo, s.CreatedAt, s.UpdatedAt = fromMicros(from), fromMicros(to), fromMicros(created), fromMicros(updated)
	return s, nil
}

func (o ops) Seal(ctx context.Context, id string) (SealRecord, error) {
	s, err := scanSeal(o.queryRow(ctx, `SELECT `+sealColumns+` FROM seals WHERE id = ?`, id))
	if err != nil {
		return SealRecord{}, fmt.Errorf("store: seal %s: %w", id, err)
	}
	return s, nil
}

func (o ops) Seals(ctx context.Context) ([]SealRecord, error) {
	rows, err := o.query(ctx, `SELECT `+sealColumns+` FROM seals ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: seals: %w", err)
	}
	defer rows.Close()
	var out []SealRecord
	for rows.Next() {
		s, err := scanSeal(rows)
		if err != nil {
			return nil, fmt.Errorf("store: seals: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: seals: %w", driverErr(err))
	}
	return out, nil
}

// SetSealStatus changes a seal's status; a revoked seal stays revoked.
func (o ops) SetSealStatus(ctx context.Context, id, status, reason string, at time.Time) error {
	if !validSealStatus(status) {
		return fmt.Errorf("store: seal %s: unknown status %q", id, status)
	}
	cur, err := o.Seal(ctx, id)
	if err != nil {
		return err
	}
	if cur.Status == status {
		return nil
	}
	if cur.Status == SealRevoked {
		return fmt.Errorf("store: seal %s is revoked; a revoked seal cannot become %s", id, status)
	}
	if _, err := o.exec(ctx, `UPDATE seals SET status = ?, updated_at_us = ? WHERE id = ?`, status, toMicros(at), id); err != nil {
		return fmt.Errorf("store: seal %s: %w", id, err)
	}
	event := status
	if status == SealActive {
		event = "reactivated"
	}
	return o.addSealEvent(ctx, id, at, event, reason)
}

// RecordSealUse records that a seal stamped a document.
func (o ops) RecordSealUse(ctx context.Context, id string, at time.Time, detail string) error {
	return o.addSealEvent(ctx, id, at, "stamped", detail)
}

func (o ops) addSealEvent(ctx context.Context, id string, at time.Time, event, detail string) error {
	// The next sequence number of this seal, in one statement so that
	// concurrent writers on both databases cannot take the same one.
	res, err := o.exec(ctx, `
		INSERT INTO seal_events (seal_id, seq, at_us, event, detail)
		SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM seal_events WHERE seal_id = ?`,
		id, toMicros(at), event, detail, id)
	if err == nil {
		err = mustChange(res, nil)
	}
	if err != nil {
		if errors.Is(err, ErrExists) {
			return fmt.Errorf("store: seal %s: concurrent event, try again: %w", id, err)
		}
		return fmt.Errorf("store: seal %s event: %w", id, err)
	}
	return nil
}

func (o ops) SealEvents(ctx context.Context, id string) ([]SealEvent, error) {
	rows, err := o.query(ctx, `SELECT seal_id, seq, at_us, event, detail FROM seal_events WHERE seal_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: seal %s events: %w", id, err)
	}
	defer rows.Close()
	var out []SealEvent
	for rows.Next() {
		var e SealEvent
		var at int64
		if err := rows.Scan(&e.SealID, &e.Seq, &at, &e.Event, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: seal %s events: %w", id, driverErr(err))
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
