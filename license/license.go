package license

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license/ids"
)

// Statuses of a license (证照状态).
const (
	StatusValid     = "valid"     // 有效
	StatusSuspended = "suspended" // 已暂扣
	StatusRevoked   = "revoked"   // 已吊销 / 已撤销
	StatusCancelled = "cancelled" // 已注销
	StatusReplaced  = "replaced"  // 已换发
	StatusExpired   = "expired"   // 已过期 (by date; never stored)
)

// StatusName is the Chinese word for a status, as printed and shown.
func StatusName(s string) string {
	switch s {
	case StatusValid:
		return "有效"
	case StatusSuspended:
		return "已暂扣"
	case StatusRevoked:
		return "已吊销"
	case StatusCancelled:
		return "已注销"
	case StatusReplaced:
		return "已换发"
	case StatusExpired:
		return "已过期"
	}
	return "无法核验"
}

// Metadata are the core metadata of an electronic license (GB/T
// 36903-2018, 电子证照 元数据规范); JSON names are English, the comments
// give the standard's element names.
type Metadata struct {
	Name           string `json:"name"`           // 证照名称
	Identifier     string `json:"identifier"`     // 证照标识 (GB/T 36904)
	TypeCode       string `json:"typeCode"`       // 证照类型代码
	Number         string `json:"number"`         // 证照编号
	Issuer         string `json:"issuer"`         // 证照颁发机构
	IssuerCode     string `json:"issuerCode"`     // 证照颁发机构代码
	IssueDate      string `json:"issueDate"`      // 证照颁发日期, YYYY-MM-DD
	Holder         string `json:"holder"`         // 持证主体
	HolderCode     string `json:"holderCode"`     // 持证主体代码
	HolderCodeType string `json:"holderCodeType"` // 持证主体代码类型: 统一社会信用代码 | 公民身份号码
	ValidFrom      string `json:"validFrom"`      // 有效期起始日期
	ValidTo        string `json:"validTo"`        // 有效期截止日期; "长期" for long-term
	Jurisdiction   string `json:"jurisdiction"`   // 管辖属地编码 (GB/T 2260)
	Status         string `json:"status"`         // 证照状态 at issue: valid
	Version        int    `json:"version"`
	Replaces       string `json:"replaces,omitempty"` // the identifier this license replaces (换发)
}

// Data is what an issuer signs: the metadata and the face (照面信息).
type Data struct {
	Metadata
	Face     map[string]string `json:"face"`
	IssuedAt time.Time         `json:"issuedAt"`
}

// Canonical is the JSON form that is signed: fixed field order, face keys
// sorted, no HTML escaping.
func (d *Data) Canonical() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// ParseData reads signed license data.
func ParseData(b []byte) (*Data, error) {
	var d Data
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: license data: %v", ErrBadToken, err)
	}
	if _, err := ids.ParseLicenseID(d.Identifier); err != nil {
		return nil, fmt.Errorf("%w: license data: %v", ErrBadToken, err)
	}
	return &d, nil
}

// Issuer is an issuing department with its signing key.
type Issuer struct {
	Code         string // USCC
	Name         string
	Jurisdiction string // 6-digit administrative division code
	Signer       crypto.Signer
	Cert         *smx509.Certificate // may be nil
}

// Registry is the license library (电子证照库).
type Registry struct {
	Store   store.Store
	Catalog *Catalog
	// Keys finds issuer keys by key id, for verifying tokens and events.
	Keys KeyLookup
	Now  func() time.Time
	// Record, when set, is called inside the transaction that commits each
	// act on a license (an issuance, a status change, a replacement, an
	// annotated copy), so the act and what Record writes (an audit entry)
	// commit together or not at all.
	Record func(ctx context.Context, tx store.Tx, a Act) error
}

// Act is one act on a license, as Registry.Record sees it.
type Act struct {
	Event   string // issued, suspended, reinstated, revoked, cancelled, replaced, copied
	License string
	Actor   string
	Reason  string
	Data    *Data // issued: the data signed
}

func (r *Registry) record(ctx context.Context, tx store.Tx, a Act) error {
	if r.Record == nil {
		return nil
	}
	return r.Record(ctx, tx, a)
}

func (r *Registry) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// IssueRequest asks for a license.
type IssueRequest struct {
	Type     string
	Face     map[string]string
	HolderID string    // optional; must match the face's holder code when given
	From     time.Time // start of validity; default today
	Actor    string    // who asked, for the record
	Reason   string    // for a replacement: why, kept in the old license's history
	// PDF, when set, turns the signed data into the sealed license PDF.
	PDF func(ctx context.Context, d *Data, token string) ([]byte, error)
}

// Issued is a license just issued.
type Issued struct {
	Data  *Data
	Token string
	PDF   []byte
}

func holderCodeTypeName(t string) string {
	if t == "uscc" {
		return "统一社会信用代码"
	}
	return "公民身份号码"
}

// Issue validates the request against the catalog, assigns the identifier
// and printed number, signs the license data with the issuer's key, makes
// the PDF if asked, and stores record, signed data and PDF digest in one
// transaction.
func (r *Registry) Issue(ctx context.Context, iss *Issuer, req IssueRequest) (*Issued, error) {
	return r.issue(ctx, iss, req, 1, "")
}

func (r *Registry) issue(ctx context.Context, iss *Issuer, req IssueRequest, version int, replaces string) (*Issued, error) {
	t, err := r.Catalog.Type(req.Type)
	if err != nil {
		return nil, err
	}
	if !t.MayIssue(iss.Code) {
		return nil, fmt.Errorf("%w: %s (%s) may not issue %s (%s)", ErrNotIssuer, iss.Name, iss.Code, t.Name, t.Code)
	}
	face := map[string]string{}
	for k, v := range req.Face {
		face[k] = strings.TrimSpace(v)
	}
	if err := t.ValidateFace(face); err != nil {
		return nil, err
	}
	holderCode := face[t.HolderCodeField]
	if req.HolderID != "" && req.HolderID != holderCode {
		return nil, fmt.Errorf("%w: the holder code given (%s) differs from the face's %s", ErrInvalidData, maskCode(req.HolderID), t.HolderCodeField)
	}
	if kind, err := ids.DetectHolderCode(holderCode); err != nil || kind != t.HolderCodeType {
		return nil, fmt.Errorf("%w: holder code %s is not a %s", ErrInvalidData, maskCode(holderCode), holderCodeTypeName(t.HolderCodeType))
	}
	now := r.now()
	from := req.From
	if from.IsZero() {
		from = now
	}
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, beijing)
	to := t.ValidTo(from)

	var id ids.LicenseID
	var number string
	if replaces == "" {
		serial, err := r.Store.NextSerial(ctx, "license:"+t.Code+":"+iss.Code)
		if err != nil {
			return nil, err
		}
		if id, err = ids.NewLicenseID(t.Code, iss.Code, serial, version); err != nil {
			return nil, err
		}
		number = fmt.Sprintf("%s%04d%08d", iss.Jurisdiction, from.Year(), serial)
	} else {
		// A replacement keeps the serial and printed number; the version
		// goes up (GB/T 36904: 版本号).
		old, err := ids.ParseLicenseID(replaces)
		if err != nil {
			return nil, err
		}
		id = old.Next(version)
		rec, err := r.Store.License(ctx, replaces)
		if err != nil {
			return nil, err
		}
		number = rec.Number
	}
	validTo := "长期"
	if !to.IsZero() {
		validTo = to.In(beijing).Format(time.DateOnly)
	}
	d := &Data{
		Metadata: Metadata{
			Name: t.Name, Identifier: id.String(), TypeCode: t.Code, Number: number,
			Issuer: iss.Name, IssuerCode: iss.Code, IssueDate: now.In(beijing).Format(time.DateOnly),
			Holder: face[t.HolderField], HolderCode: holderCode, HolderCodeType: holderCodeTypeName(t.HolderCodeType),
			ValidFrom: from.Format(time.DateOnly), ValidTo: validTo, Jurisdiction: iss.Jurisdiction,
			Status: StatusValid, Version: version, Replaces: replaces,
		},
		Face:     face,
		IssuedAt: now.UTC().Truncate(time.Second),
	}
	payload, err := d.Canonical()
	if err != nil {
		return nil, err
	}
	token, err := SignToken(iss.Signer, TypLicense, payload)
	if err != nil {
		return nil, fmt.Errorf("signing license %s: %w", d.Identifier, err)
	}
	out := &Issued{Data: d, Token: token}
	pdfSum := ""
	if req.PDF != nil {
		out.PDF, err = req.PDF(ctx, d, token)
		if err != nil {
			return nil, fmt.Errorf("license %s: making the PDF: %w", d.Identifier, err)
		}
		sum := sha256.Sum256(out.PDF)
		pdfSum = hex.EncodeToString(sum[:])
	}
	event, err := r.eventToken(iss, d.Identifier, "issued", "", "", req.Actor, now)
	if err != nil {
		return nil, err
	}
	rec := store.LicenseRecord{
		ID: d.Identifier, TypeCode: t.Code, Number: number, IssuerCode: iss.Code, IssuerName: iss.Name,
		HolderName: d.Holder, HolderCode: holderCode, HolderCodeType: t.HolderCodeType, Status: StatusValid,
		Version: version, Replaces: replaces, ValidFrom: from, ValidTo: to, Token: token, PDFSHA256: pdfSum, IssuedAt: now,
	}
	ev := store.LicenseEvent{At: now, Event: "issued", Actor: req.Actor, Token: event}
	if replaces == "" {
		// Record and first event in one transaction: one commit.
		err := r.Store.WithTx(ctx, func(tx store.Tx) error {
			if err := tx.PutLicense(ctx, rec, ev); err != nil {
				return err
			}
			return r.record(ctx, tx, Act{Event: "issued", License: d.Identifier, Actor: req.Actor, Data: d})
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	// A replacement: the new version and the old one's change in one
	// transaction.
	err = r.Store.WithTx(ctx, func(tx store.Tx) error {
		old, err := tx.License(ctx, replaces)
		if err != nil {
			return err
		}
		if old.Status != StatusValid && old.Status != StatusSuspended {
			return fmt.Errorf("%w: %s is %s and cannot be replaced", ErrBadLifecycle, replaces, old.Status)
		}
		if err := tx.PutLicense(ctx, rec, ev); err != nil {
			return err
		}
		if err := r.record(ctx, tx, Act{Event: "issued", License: d.Identifier, Actor: req.Actor, Reason: "replaces " + replaces, Data: d}); err != nil {
			return err
		}
		why := "replaced by " + d.Identifier
		if req.Reason != "" {
			why = req.Reason + "; " + why
		}
		oldEv, err := r.eventToken(iss, replaces, "replaced", old.Status, why, req.Actor, now)
		if err != nil {
			return err
		}
		err = tx.SetLicenseStatus(ctx, replaces, old.Status, StatusReplaced, d.Identifier,
			store.LicenseEvent{At: now, Event: "replaced", Reason: why, Actor: req.Actor, Token: oldEv})
		if err != nil {
			return err
		}
		return r.record(ctx, tx, Act{Event: "replaced", License: replaces, Actor: req.Actor, Reason: why})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var beijing = time.FixedZone("CST", 8*3600)

// Event is a signed lifecycle change.
type Event struct {
	License string    `json:"license"`
	Event   string    `json:"event"`
	From    string    `json:"from,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Actor   string    `json:"actor,omitempty"`
	At      time.Time `json:"at"`
}

func (r *Registry) eventToken(iss *Issuer, id, event, from, reason, actor string, at time.Time) (string, error) {
	b, err := json.Marshal(Event{License: id, Event: event, From: from, Reason: reason, Actor: actor, At: at.UTC().Truncate(time.Second)})
	if err != nil {
		return "", err
	}
	return SignToken(iss.Signer, TypEvent, b)
}

// transitions lists the lifecycle changes: event → allowed from-statuses
// and the status it leads to.
var transitions = map[string]struct {
	from []string
	to   string
}{
	"suspended":  {[]string{StatusValid}, StatusSuspended},
	"reinstated": {[]string{StatusSuspended}, StatusValid},
	"revoked":    {[]string{StatusValid, StatusSuspended}, StatusRevoked},
	"cancelled":  {[]string{StatusValid, StatusSuspended}, StatusCancelled},
}

// Change applies a lifecycle event (suspended, reinstated, revoked,
// cancelled) by the license's issuer, signed and kept.
func (r *Registry) Change(ctx context.Context, iss *Issuer, id, event, reason, actor string) error {
	tr, ok := transitions[event]
	if !ok {
		return fmt.Errorf("%w: unknown change %q", ErrBadLifecycle, event)
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: a reason is required", ErrBadLifecycle)
	}
	rec, err := r.Store.License(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return err
	}
	if rec.IssuerCode != iss.Code {
		return fmt.Errorf("%w: %s was issued by %s, not %s", ErrNotIssuer, id, rec.IssuerName, iss.Name)
	}
	allowed := false
	for _, f := range tr.from {
		allowed = allowed || rec.Status == f
	}
	if !allowed {
		return fmt.Errorf("%w: %s is %s (%s); it cannot be %s", ErrBadLifecycle, id, rec.Status, StatusName(rec.Status), event)
	}
	now := r.now()
	tok, err := r.eventToken(iss, id, event, rec.Status, reason, actor, now)
	if err != nil {
		return err
	}
	return r.Store.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.SetLicenseStatus(ctx, id, rec.Status, tr.to, "", store.LicenseEvent{At: now, Event: event, Reason: reason, Actor: actor, Token: tok}); err != nil {
			return err
		}
		return r.record(ctx, tx, Act{Event: event, License: id, Actor: actor, Reason: reason})
	})
}

// Replace issues a new version of a license (换发) with new face data and
// marks the old one replaced, linking the two.
func (r *Registry) Replace(ctx context.Context, iss *Issuer, id string, req IssueRequest) (*Issued, error) {
	rec, err := r.Store.License(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	if rec.IssuerCode != iss.Code {
		return nil, fmt.Errorf("%w: %s was issued by %s", ErrNotIssuer, id, rec.IssuerName)
	}
	if req.Type == "" {
		req.Type = rec.TypeCode
	}
	if req.Type != rec.TypeCode {
		return nil, fmt.Errorf("%w: a replacement keeps the license type", ErrBadLifecycle)
	}
	if req.Face == nil {
		old, err := r.verifiedData(rec)
		if err != nil {
			return nil, err
		}
		req.Face = old.Face
	}
	return r.issue(ctx, iss, req, rec.Version+1, id)
}

// State is a license as the library knows it now.
type State struct {
	Record store.LicenseRecord
	Data   *Data
	Status string // including expired, computed from the date
	Events []store.LicenseEvent
	KeyID  string
	Cert   *smx509.Certificate
}

// Get returns a license with its signature checked and its current status.
func (r *Registry) Get(ctx context.Context, id string) (*State, error) {
	rec, err := r.Store.License(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	v, err := VerifyToken(rec.Token, r.Keys)
	if err != nil {
		return nil, err
	}
	d, err := ParseData(v.Payload)
	if err != nil {
		return nil, err
	}
	if d.Identifier != rec.ID {
		return nil, fmt.Errorf("%w: the signed data is for %s, not %s", ErrBadToken, d.Identifier, rec.ID)
	}
	if v.Key.IssuerCode != "" && v.Key.IssuerCode != d.IssuerCode {
		return nil, fmt.Errorf("%w: signed with a key of %s, not of the issuer %s", ErrBadToken, v.Key.IssuerCode, d.IssuerCode)
	}
	events, err := r.Store.LicenseEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	return &State{Record: rec, Data: d, Status: r.CurrentStatus(rec.Status, rec.ValidTo), Events: events, KeyID: v.KeyID, Cert: v.Cert}, nil
}

// CurrentStatus is a stored status with expiry by date applied.
func (r *Registry) CurrentStatus(stored string, validTo time.Time) string {
	if stored == StatusValid && !validTo.IsZero() && r.now().After(validTo) {
		return StatusExpired
	}
	return stored
}

func (r *Registry) verifiedData(rec store.LicenseRecord) (*Data, error) {
	v, err := VerifyToken(rec.Token, r.Keys)
	if err != nil {
		return nil, err
	}
	return ParseData(v.Payload)
}

// AnnotatedCopy makes a sealed annotated copy (加注件) of a valid license
// for one purpose and requester until a date; making it is a recorded event.
func (r *Registry) AnnotatedCopy(ctx context.Context, iss *Issuer, maker *PDFMaker, id, purpose, requester string, until time.Time, actor string) ([]byte, error) {
	if strings.TrimSpace(purpose) == "" || strings.TrimSpace(requester) == "" {
		return nil, fmt.Errorf("%w: an annotated copy states its purpose and requester", ErrInvalidData)
	}
	now := r.now()
	if !until.After(now) {
		return nil, fmt.Errorf("%w: the copy's expiry %s is not in the future", ErrInvalidData, until.Format(time.DateOnly))
	}
	st, err := r.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Record.IssuerCode != iss.Code {
		return nil, fmt.Errorf("%w: %s was issued by %s", ErrNotIssuer, id, st.Record.IssuerName)
	}
	if st.Status != StatusValid {
		return nil, fmt.Errorf("%w: %s is %s (%s); only a valid license has copies made", ErrBadLifecycle, id, st.Status, StatusName(st.Status))
	}
	c := &Copy{License: id, Purpose: purpose, Requester: requester, Until: until.UTC().Truncate(time.Second), MadeAt: now.UTC().Truncate(time.Second)}
	b, err := maker.MakeCopy(ctx, st.Data, st.Record.Token, c)
	if err != nil {
		return nil, err
	}
	tok, err := r.eventToken(iss, id, "copied", "", fmt.Sprintf("加注件: %s, %s, until %s", requester, purpose, c.Until.Format(time.DateOnly)), actor, now)
	if err != nil {
		return nil, err
	}
	why := fmt.Sprintf("%s; %s; until %s", requester, purpose, c.Until.Format(time.DateOnly))
	err = r.Store.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.AddLicenseEvent(ctx, store.LicenseEvent{LicenseID: id, At: now, Event: "copied", Reason: why, Actor: actor, Token: tok}); err != nil {
			return err
		}
		return r.record(ctx, tx, Act{Event: "copied", License: id, Actor: actor, Reason: why})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ByHolder lists a holder's licenses (the "一号" lookup) for an authorised
// client that states its reason (申请事由); the query is recorded.
func (r *Registry) ByHolder(ctx context.Context, holderCode, client, reason string) ([]store.LicenseRecord, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: looking up a holder's licenses needs a reason (申请事由)", ErrInvalidData)
	}
	if _, err := ids.DetectHolderCode(holderCode); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidData, err)
	}
	recs, err := r.Store.LicensesByHolder(ctx, holderCode)
	if err != nil {
		return nil, err
	}
	q := store.HolderQuery{At: r.now(), Client: client, Holder: maskCode(holderCode), Reason: reason, Results: len(recs)}
	if err := r.Store.RecordHolderQuery(ctx, q); err != nil {
		return nil, err
	}
	return recs, nil
}

// maskCode hides the middle of a holder code for messages and logs.
func maskCode(s string) string {
	if len(s) == 18 {
		return ids.MaskCitizenID(s)
	}
	if len(s) > 6 {
		return s[:4] + strings.Repeat("*", len(s)-6) + s[len(s)-2:]
	}
	return strings.Repeat("*", len(s))
}

// StaticKeys is a KeyLookup over a fixed set of issuer keys.
func StaticKeys(keys ...IssuerKey) KeyLookup {
	m := map[string]*IssuerKey{}
	for i := range keys {
		k := keys[i]
		if k.Public == nil && k.Cert != nil {
			k.Public, _ = k.Cert.PublicKey.(*ecdsa.PublicKey)
		}
		if k.Public == nil {
			continue
		}
		if kid, err := KeyID(k.Public); err == nil {
			m[kid] = &k
		}
	}
	return func(kid string) (*IssuerKey, error) {
		k, ok := m[kid]
		if !ok {
			return nil, errors.New("unknown issuer key")
		}
		return k, nil
	}
}

// Key is an IssuerKey for an issuer's signer.
func (iss *Issuer) Key() IssuerKey {
	pub, _ := iss.Signer.Public().(*ecdsa.PublicKey)
	return IssuerKey{Public: pub, Cert: iss.Cert, IssuerCode: iss.Code}
}
