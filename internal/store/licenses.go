package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LicenseRecord is a license in the license library.
type LicenseRecord struct {
	ID             string // GB/T 36904 identifier
	TypeCode       string
	Number         string
	IssuerCode     string
	IssuerName     string
	HolderName     string
	HolderCode     string
	HolderCodeType string
	Status         string
	Version        int
	Replaces       string
	ReplacedBy     string
	ValidFrom      time.Time
	ValidTo        time.Time // zero: long-term
	Token          string
	PDFSHA256      string
	IssuedAt       time.Time
	UpdatedAt      time.Time
}

// LicenseEvent is one step of a license's life, signed by its issuer.
type LicenseEvent struct {
	LicenseID string
	Seq       int64
	At        time.Time
	Event     string
	Reason    string
	Actor     string
	Token     string
}

// HolderQuery records a lookup of a holder's licenses.
type HolderQuery struct {
	At      time.Time
	Client  string
	Holder  string // masked
	Reason  string
	Results int
}

// ErrConflict means the row changed under the caller (for example a status
// that is no longer the one the change started from).
var ErrConflict = errors.New("changed concurrently")

const licenseColumns = `id, type_code, number, issuer_code, issuer_name, holder_name, holder_code, holder_code_type, status, version, replaces, replaced_by, valid_from_us, valid_to_us, token, pdf_sha256, issued_at_us, updated_at_us`

func microsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toMicros(t)
}

func timeOrZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func (o ops) PutLicense(ctx context.Context, l LicenseRecord, first LicenseEvent) error {
	if l.ID == "" || l.TypeCode == "" || l.IssuerCode == "" || l.HolderCode == "" || l.Token == "" {
		return fmt.Errorf("store: license %q: id, type, issuer, holder and token are required", l.ID)
	}
	if l.IssuedAt.IsZero() {
		l.IssuedAt = time.Now()
	}
	res, err := o.exec(ctx, `
		INSERT INTO licenses (`+licenseColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		l.ID, l.TypeCode, l.Number, l.IssuerCode, l.IssuerName, l.HolderName, l.HolderCode, l.HolderCodeType, l.Status, l.Version,
		l.Replaces, l.ReplacedBy, toMicros(l.ValidFrom), microsOrZero(l.ValidTo), l.Token, l.PDFSHA256, toMicros(l.IssuedAt), toMicros(l.IssuedAt))
	if err == nil {
		err = mustChange(res, ErrExists)
	}
	if err == nil {
		first.LicenseID = l.ID
		err = o.addLicenseEvent(ctx, first)
	}
	if err != nil {
		return fmt.Errorf("store: put license %s: %w", l.ID, err)
	}
	return nil
}

func scanLicense(row interface{ Scan(...any) error }) (LicenseRecord, error) {
	var l LicenseRecord
	var from, to, issued, updated int64
	err := scanRow(row, &l.ID, &l.TypeCode, &l.Number, &l.IssuerCode, &l.IssuerName, &l.HolderName, &l.HolderCode, &l.HolderCodeType,
		&l.Status, &l.Version, &l.Replaces, &l.ReplacedBy, &from, &to, &l.Token, &l.PDFSHA256, &issued, &updated)
	if err != nil {
		return LicenseRecord{}, err
	}
	l.ValidFrom, l.ValidTo, l.IssuedAt, l.UpdatedAt = fromMicros(from), timeOrZero(to), fromMicros(issued), fromMicros(updated)
	return l, nil
}

const sqlLicenseByID = `SELECT ` + licenseColumns + ` FROM licenses WHERE id = ?`

func (o ops) License(ctx context.Context, id string) (LicenseRecord, error) {
	l, err := scanLicense(o.queryRow(ctx, sqlLicenseByID, id))
	if err != nil {
		return LicenseRecord{}, fmt.Errorf("store: license %s: %w", id, err)
	}
	return l, nil
}

func (o ops) LicensesByHolder(ctx context.Context, holderCode string) ([]LicenseRecord, error) {
	rows, err := o.query(ctx, `SELECT `+licenseColumns+` FROM licenses WHERE holder_code = ? ORDER BY issued_at_us, id`, holderCode)
	if err != nil {
		return nil, fmt.Errorf("store: licenses of a holder: %w", err)
	}
	defer rows.Close()
	var out []LicenseRecord
	for rows.Next() {
		l, err := scanLicense(rows)
		if err != nil {
			return nil, fmt.Errorf("store: licenses of a holder: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: licenses of a holder: %w", driverErr(err))
	}
	return out, nil
}

// CountLicenses is the number of licenses in the library.
func (o ops) CountLicenses(ctx context.Context) (int64, error) {
	var n int64
	if err := scanRow(o.queryRow(ctx, `SELECT COUNT(*) FROM licenses`), &n); err != nil {
		return 0, fmt.Errorf("store: counting licenses: %w", err)
	}
	return n, nil
}

// SetLicenseStatus moves a license from status from to status to, recording
// the signed event; ErrConflict if the license is no longer in from.
func (o ops) SetLicenseStatus(ctx context.Context, id, from, to, replacedBy string, ev LicenseEvent) error {
	res, err := o.exec(ctx, `UPDATE licenses SET status = ?, replaced_by = CASE WHEN ? <> '' THEN ? ELSE replaced_by END, updated_at_us = ? WHERE id = ? AND status = ?`,
		to, replacedBy, replacedBy, toMicros(ev.At), id, from)
	if err == nil {
		err = mustChange(res, nil)
	}
	if errors.Is(err, errNoChange) {
		if _, gerr := o.License(ctx, id); gerr != nil {
			return gerr
		}
		return fmt.Errorf("store: license %s is no longer %s: %w", id, from, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: license %s status: %w", id, err)
	}
	ev.LicenseID = id
	return o.addLicenseEvent(ctx, ev)
}

// AddLicenseEvent records an event that does not change the status (an
// annotated copy made, for instance).
func (o ops) AddLicenseEvent(ctx context.Context, e LicenseEvent) error {
	if _, err := o.License(ctx, e.LicenseID); err != nil {
		return err
	}
	return o.addLicenseEvent(ctx, e)
}

func (o ops) addLicenseEvent(ctx context.Context, e LicenseEvent) error {
	res, err := o.exec(ctx, `
		INSERT INTO license_events (license_id, seq, at_us, event, reason, actor, token)
		SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM license_events WHERE license_id = ?`,
		e.LicenseID, toMicros(e.At), e.Event, e.Reason, e.Actor, e.Token, e.LicenseID)
	if err == nil {
		err = mustChange(res, nil)
	}
	if err != nil {
		return fmt.Errorf("store: license %s event: %w", e.LicenseID, err)
	}
	return nil
}

func (o ops) LicenseEvents(ctx context.Context, id string) ([]LicenseEvent, error) {
	rows, err := o.query(ctx, `SELECT license_id, seq, at_us, event, reason, actor, token FROM license_events WHERE license_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: license %s events: %w", id, err)
	}
	defer rows.Close()
	var out []LicenseEvent
	for rows.Next() {
		var e LicenseEvent
		var at int64
		if err := rows.Scan(&e.LicenseID, &e.Seq, &at, &e.Event, &e.Reason, &e.Actor, &e.Token); err != nil {
			return nil, fmt.Errorf("store: license %s events: %w", id, driverErr(err))
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// IssuedByActor maps the actors starting with prefix to the licenses they
// issued: how a resumed batch finds the lines it already issued.
func (o ops) IssuedByActor(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := o.query(ctx, `SELECT actor, license_id FROM license_events WHERE event = 'issued' AND substr(actor, 1, ?) = ?`, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("store: licenses issued by %s*: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var actor, id string
		if err := rows.Scan(&actor, &id); err != nil {
			return nil, fmt.Errorf("store: licenses issued by %s*: %w", prefix, driverErr(err))
		}
		out[actor] = id
	}
	return out, rows.Err()
}

func (o ops) RecordHolderQuery(ctx context.Context, q HolderQuery) error {
	if q.Reason == "" || q.Client == "" {
		return errors.New("store: a holder query needs a client and a reason")
	}
	_, err := o.exec(ctx, `INSERT INTO holder_queries (at_us, client, holder, reason, results) VALUES (?, ?, ?, ?, ?)`,
		toMicros(q.At), q.Client, q.Holder, q.Reason, q.Results)
	if err != nil {
		return fmt.Errorf("store: recording a holder query: %w", err)
	}
	return nil
}

func (o ops) HolderQueries(ctx context.Context, since time.Time) ([]HolderQuery, error) {
	rows, err := o.query(ctx, `SELECT at_us, client, holder, reason, results FROM holder_queries WHERE at_us >= ? ORDER BY at_us`, toMicros(since))
	if err != nil {
		return nil, fmt.Errorf("store: holder queries: %w", err)
	}
	defer rows.Close()
	var out []HolderQuery
	for rows.Next() {
		var q HolderQuery
		var at int64
		if err := rows.Scan(&at, &q.Client, &q.Holder, &q.Reason, &q.Results); err != nil {
			return nil, fmt.Errorf("store: holder queries: %w", driverErr(err))
		}
		q.At = fromMicros(at)
		out = append(out, q)
	}
	return out, rows.Err()
}
