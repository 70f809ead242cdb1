package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/page"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/verify"
)

// POST /v1/seal?seal=ID[&mode=sm2|ses|pades][&page=N&x=MM&y=MM&corner=bl|...|&anchor=TEXT|&field=NAME|&crossPage=1|&invisible=1][&reason=...]
// body: the PDF. Answers the stamped PDF.
func (s *Server) handleSeal(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sealID := q.Get("seal")
	if sealID == "" {
		fail(w, 400, "bad-request", "give the seal to stamp with: ?seal=ID")
		return
	}
	in, size, inSum, cleanup, ok := s.spool(w, r)
	if !ok {
		return
	}
	defer cleanup()
	ctx := r.Context()
	rec, err := s.Store.Seal(ctx, sealID)
	if err != nil || rec.Status != store.SealActive {
		// The client holds the scope for this seal, so it may know why.
		if err != nil {
			fail(w, 404, "unknown-seal", "seal %s is not in the seal registry", sealID)
		} else {
			fail(w, 409, "seal-not-active", "seal %s is %s in the seal registry and may not be used", sealID, rec.Status)
		}
		return
	}
	opts, err := s.OpenSeal(ctx, sealID)
	if err != nil {
		s.Log.Error("opening a seal", "seal", sealID, "err", err)
		fail(w, 500, "internal", "the seal cannot be used now")
		return
	}
	if m := q.Get("mode"); m != "" {
		if opts.Mode, err = seal.ParseMode(m); err != nil {
			fail(w, 400, "bad-request", "%v", err)
			return
		}
	}
	num := func(k string) (float64, bool) {
		v := q.Get(k)
		if v == "" {
			return 0, true
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fail(w, 400, "bad-request", "%s=%q is not a number", k, v)
			return 0, false
		}
		return f, true
	}
	pg, ok1 := num("page")
	x, ok2 := num("x")
	y, ok3 := num("y")
	if !ok1 || !ok2 || !ok3 {
		return
	}
	opts.Placement = seal.Placement{Page: int(pg), X: x, Y: y, Corner: seal.Corner(q.Get("corner")), Anchor: q.Get("anchor"), Field: q.Get("field"),
		CrossPage: q.Get("crossPage") == "1" || q.Get("crossPage") == "true", Invisible: q.Get("invisible") == "1" || q.Get("invisible") == "true"}
	opts.Reason, opts.Time = q.Get("reason"), s.now()
	out, err := os.CreateTemp("", "eseal-stamped-*")
	if err != nil {
		s.Log.Error("stamping", "err", err)
		fail(w, 500, "internal", "stamping failed")
		return
	}
	defer func() { out.Close(); os.Remove(out.Name()) }()
	h := sha256.New()
	res, err := seal.Stamp(ctx, in, size, io.MultiWriter(out, h), opts)
	if err != nil {
		status, code := 500, "internal"
		switch {
		case errors.Is(err, pdf.ErrNotPDF), errors.Is(err, pdf.ErrBroken), errors.Is(err, pdf.ErrEncrypted), errors.Is(err, pdf.ErrCertified):
			status, code = 422, "unusable-pdf"
		case errors.Is(err, seal.ErrPlacement), errors.Is(err, seal.ErrAnchor), errors.Is(err, seal.ErrNoPicture), errors.Is(err, seal.ErrBadOptions):
			status, code = 400, "bad-placement"
		}
		if status == 500 {
			s.Log.Error("stamping", "seal", sealID, "err", err)
			fail(w, 500, code, "stamping failed")
			return
		}
		fail(w, status, code, "%v", err)
		return
	}
	client := clientID(ctx)
	sum := hex.EncodeToString(h.Sum(nil))
	// The seal's use and its audit entry commit together.
	var index uint64
	err = s.Store.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.RecordSealUse(ctx, sealID, opts.Time, fmt.Sprintf("sha256:%s field %s client %s", sum, res.Field, client)); err != nil {
			return err
		}
		index, err = audit.Append(ctx, tx, audit.Entry{Kind: audit.KindSealStamped, Actor: client, Subject: auditField(sealID, auditMaxField),
			Detail: "sha256:" + sum + " in sha256:" + inSum, Node: s.Node.Name})
		return err
	})
	if err != nil {
		s.Log.Error("recording a seal use", "seal", sealID, "err", err)
		fail(w, 500, "internal", "the stamp could not be recorded")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("X-Eseal-Field", res.Field)
	w.Header().Set("X-Eseal-Sha256", sum)
	w.Header().Set("X-Eseal-Audit-Index", strconv.FormatUint(index, 10))
	w.Header().Set("Content-Length", strconv.FormatInt(res.Size, 10))
	w.WriteHeader(200)
	if _, err := out.Seek(0, io.SeekStart); err == nil {
		io.Copy(w, out)
	}
	s.Metrics.Stamps.Inc()
}

type issueRequest struct {
	Type     string            `json:"type"`
	Face     map[string]string `json:"face"`
	HolderID string            `json:"holderId,omitempty"`
	Issuer   string            `json:"issuer,omitempty"` // USCC, when the client acts for several
	PDF      *bool             `json:"pdf,omitempty"`    // default true
}

type issueResponse struct {
	Identifier string           `json:"identifier"`
	Number     string           `json:"number"`
	Token      string           `json:"token"`
	Page       string           `json:"page"`
	PDF        string           `json:"pdf,omitempty"` // base64
	Data       *license.Data    `json:"data"`
	Audit      *verify.AuditRef `json:"audit,omitempty"`
}

// issuerFor picks the issuer the client acts for: one it has the scope of.
func (s *Server) issuerFor(ctx context.Context, code string, allowed []string) (*Issuer, bool) {
	for _, c := range allowed {
		if code != "" && c != code {
			continue
		}
		if is, ok := s.Issuers[c]; ok && can(ctx, auth.IssuerScope(c)) {
			return is, true
		}
	}
	return nil, false
}

// POST /v1/licenses
func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request) {
	var req issueRequest
	if !decodeJSON(w, r, 1<<20, &req) {
		return
	}
	ctx := r.Context()
	t, err := s.Registry.Catalog.Type(req.Type)
	if err != nil || !can(ctx, auth.TypeScope(req.Type)) {
		auth.Forbid(w, auth.TypeScope(req.Type))
		return
	}
	is, ok := s.issuerFor(ctx, req.Issuer, t.Issuers)
	if !ok {
		auth.Forbid(w, auth.IssuerScope(req.Issuer))
		return
	}
	client := clientID(ctx)
	ir := license.IssueRequest{Type: req.Type, Face: req.Face, HolderID: req.HolderID, Actor: client}
	wantPDF := req.PDF == nil || *req.PDF
	if wantPDF && is.PDF != nil {
		ir.PDF = is.PDF.Make
	}
	ctx, acts := withActIndexes(ctx)
	iss, err := s.Registry.Issue(ctx, is.Issuer, ir)
	if err != nil {
		licenseError(w, s, err)
		return
	}
	ref := s.actRef(ctx, acts, "issued", iss.Data.Identifier)
	resp := issueResponse{Identifier: iss.Data.Identifier, Number: iss.Data.Number, Token: iss.Token, Data: iss.Data, Audit: ref,
		Page: strings.TrimRight(publicURL(s), "/") + "/v/" + iss.Data.Identifier}
	if iss.PDF != nil {
		resp.PDF = base64.StdEncoding.EncodeToString(iss.PDF)
	}
	s.Metrics.Issued.Inc()
	writeJSON(w, http.StatusCreated, resp)
}

func publicURL(s *Server) string {
	for _, is := range s.Issuers {
		if is.PDF != nil {
			return is.PDF.BaseURL
		}
	}
	return ""
}

func maskCode(code string) string {
	if kind, err := ids.DetectHolderCode(code); err == nil && kind == ids.HolderUSCC {
		return code
	}
	return ids.MaskCitizenID(code)
}

func licenseError(w http.ResponseWriter, s *Server, err error) {
	switch {
	case errors.Is(err, license.ErrInvalidData):
		fail(w, 422, "invalid-data", "%v", err)
	case errors.Is(err, license.ErrUnknownType):
		fail(w, 422, "unknown-type", "%v", err)
	case errors.Is(err, license.ErrBadLifecycle):
		fail(w, 409, "bad-lifecycle", "%v", err)
	case errors.Is(err, store.ErrConflict):
		fail(w, 409, "conflict", "%v", err)
	case errors.Is(err, license.ErrNotFound), errors.Is(err, license.ErrNotIssuer):
		auth.Forbid(w, auth.IssuerScope(""))
	default:
		s.Log.Error("license", "err", err)
		fail(w, 500, "internal", "the request could not be completed")
	}
}

type changeRequest struct {
	Reason string            `json:"reason"`
	Face   map[string]string `json:"face,omitempty"` // replace: the new face (default: unchanged)
}

// copyRequest asks for an annotated copy (加注件).
type copyRequest struct {
	Purpose   string `json:"purpose"`        // 用途
	Requester string `json:"requester"`      // 使用单位
	Days      *int   `json:"days,omitempty"` // how long the copy is in force; default 30
}

// The days an annotated copy may be in force, as eseal license copy allows.
const (
	copyDefaultDays = 30
	copyMaxDays     = 3660
	// copyMaxText bounds purpose and requester in characters: both are
	// printed in the note on the copy's PDF.
	copyMaxText = 200
)

type copyResponse struct {
	Identifier string           `json:"identifier"`
	PDF        string           `json:"pdf"` // base64
	Until      time.Time        `json:"until"`
	Audit      *verify.AuditRef `json:"audit,omitempty"`
}

// POST /v1/licenses/{id}/{revoke|suspend|reinstate|cancel|replace|copy}
func (s *Server) handleChange(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	events := map[string]string{"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated", "cancel": "cancelled", "replace": "replace", "copy": "copied"}
	event, ok := events[action]
	if !ok {
		fail(w, 404, "not-found", "unknown action %q: revoke, suspend, reinstate, cancel, replace or copy", action)
		return
	}
	var req changeRequest
	var creq copyRequest
	if event == "copied" {
		if !decodeJSON(w, r, 1<<20, &creq) {
			return
		}
	} else if !decodeJSON(w, r, 1<<20, &req) {
		return
	}
	ctx := r.Context()
	rec, err := s.Store.License(ctx, id)
	// Unknown license and someone else's license look the same.
	if err != nil || !can(ctx, auth.IssuerScope(rec.IssuerCode)) {
		auth.Forbid(w, auth.IssuerScope(""))
		return
	}
	is, ok := s.Issuers[rec.IssuerCode]
	if !ok {
		auth.Forbid(w, auth.IssuerScope(""))
		return
	}
	client := clientID(ctx)
	ctx, acts := withActIndexes(ctx)
	switch event {
	case "replace":
		ir := license.IssueRequest{Face: req.Face, Actor: client, Reason: req.Reason}
		if is.PDF != nil {
			ir.PDF = is.PDF.Make
		}
		iss, err := s.Registry.Replace(ctx, is.Issuer, id, ir)
		if err != nil {
			licenseError(w, s, err)
			return
		}
		ref := s.actRef(ctx, acts, "replaced", id)
		resp := issueResponse{Identifier: iss.Data.Identifier, Number: iss.Data.Number, Token: iss.Token, Data: iss.Data, Audit: ref,
			Page: strings.TrimRight(publicURL(s), "/") + "/v/" + iss.Data.Identifier}
		if iss.PDF != nil {
			resp.PDF = base64.StdEncoding.EncodeToString(iss.PDF)
		}
		writeJSON(w, 200, resp)
		return
	case "copied":
		s.annotatedCopy(ctx, w, is, id, creq, client, acts)
		return
	}
	if err := s.Registry.Change(ctx, is.Issuer, id, event, req.Reason, client); err != nil {
		licenseError(w, s, err)
		return
	}
	ref := s.actRef(ctx, acts, event, id)
	writeJSON(w, 200, map[string]any{"identifier": id, "event": event, "audit": ref})
}

// annotatedCopy makes an annotated copy (加注件) of license id for the
// client, which holds its issuer's scope: a sealed PDF of the license with
// a signed note of its purpose, requester and end, like eseal license copy.
func (s *Server) annotatedCopy(ctx context.Context, w http.ResponseWriter, is *Issuer, id string, req copyRequest, client string, acts *actIndexes) {
	days := copyDefaultDays
	if req.Days != nil {
		days = *req.Days
	}
	if days < 1 || days > copyMaxDays {
		fail(w, 422, "invalid-data", "days is %d: an annotated copy is in force for 1 to %d days", days, copyMaxDays)
		return
	}
	for _, f := range []struct{ name, v string }{{"purpose", req.Purpose}, {"requester", req.Requester}} {
		if n := utf8.RuneCountInString(f.v); n > copyMaxText {
			fail(w, 422, "invalid-data", "%s has %d characters; the copy's note holds at most %d", f.name, n, copyMaxText)
			return
		}
	}
	if is.PDF == nil {
		fail(w, 409, "no-pdf", "issuer %s (%s) has no seal configured on this node, so no PDF and no annotated copy can be made; the node's operator configures the issuer's seal", is.Issuer.Name, is.Issuer.Code)
		return
	}
	until := s.now().Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
	b, err := s.Registry.AnnotatedCopy(ctx, is.Issuer, is.PDF, id, strings.TrimSpace(req.Purpose), strings.TrimSpace(req.Requester), until, client)
	if err != nil {
		licenseError(w, s, err)
		return
	}
	writeJSON(w, http.StatusCreated, copyResponse{Identifier: id, PDF: base64.StdEncoding.EncodeToString(b), Until: until,
		Audit: s.actRef(ctx, acts, "copied", id)})
}

type verifyResponse struct {
	Report  any    `json:"report"`
	Receipt string `json:"receipt"`
}

// receipt signs a receipt for a verification and records it in the log.
func (s *Server) receipt(ctx context.Context, kind, subject, inputHash string, v verify.Verdict, reason verify.Reason, detail string, report any) (string, error) {
	rb, _ := json.Marshal(report)
	client := clientID(ctx)
	ref, err := s.Audit.Record(ctx, "verify."+kind, client, subject, fmt.Sprintf("%s %s sha256:%s", v, reason, inputHash))
	if err != nil {
		return "", err
	}
	rc := &verify.Receipt{Node: s.Node.Name, Region: s.Node.Region, Kind: kind, Subject: subject, InputSHA256: inputHash,
		Verdict: v, Reason: reason, Detail: detail, CheckedAt: s.now().UTC(), Client: client, Report: rb, Audit: ref}
	return verify.SignReceipt(rc, s.Node.Signer, s.Node.Chain)
}

// POST /v1/verify/pdf, body: the PDF.
func (s *Server) handleVerifyPDF(w http.ResponseWriter, r *http.Request) {
	in, size, sum, cleanup, ok := s.spool(w, r)
	if !ok {
		return
	}
	defer cleanup()
	ctx := r.Context()
	opts := s.Verify
	if s.PDFTrust != nil {
		opts.Trust = s.PDFTrust()
	}
	opts.Time = s.now()
	opts.SealStatus = s.sealStatus
	rep, err := verify.PDF(ctx, in, size, opts)
	if err != nil {
		fail(w, 422, "unusable-pdf", "%v", err)
		return
	}
	rc, err := s.receipt(ctx, "pdf", "", sum, rep.Verdict, rep.Reason, rep.Detail, rep)
	if err != nil {
		s.Log.Error("receipt", "err", err)
		fail(w, 500, "internal", "the receipt could not be made")
		return
	}
	s.Metrics.Verifications.WithLabelValues("pdf", string(rep.Verdict)).Inc()
	writeJSON(w, 200, verifyResponse{Report: rep, Receipt: rc})
}

func (s *Server) sealStatus(ctx context.Context, id string) (string, error) {
	rec, err := s.Store.Seal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "not registered here", nil
	}
	return rec.Status, err
}

type verifyLicenseRequest struct {
	Identifier string `json:"identifier,omitempty"`
	Token      string `json:"token,omitempty"`
}

// POST /v1/verify/license: JSON {identifier} or {token}, or the PDF as
// the body (Content-Type application/pdf).
func (s *Server) handleVerifyLicense(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	opts := s.License()
	opts.Time = s.now()
	var rep *verify.LicenseReport
	var err error
	var inputHash, subject string // what the receipt names
	if mt, _ := mediaType(r); mt == "application/pdf" {
		in, size, sum, cleanup, ok := s.spool(w, r)
		if !ok {
			return
		}
		defer cleanup()
		inputHash = sum
		rep, err = verify.LicensePDFAt(ctx, in, size, opts)
	} else {
		var req verifyLicenseRequest
		if !decodeJSON(w, r, 64<<10, &req) {
			return
		}
		switch {
		case req.Identifier != "" && req.Token == "":
			inputHash, subject = verify.InputHash([]byte(req.Identifier)), req.Identifier
			rep, err = verify.LicenseByID(ctx, req.Identifier, opts)
		case req.Token != "" && req.Identifier == "":
			inputHash = verify.InputHash([]byte(req.Token))
			rep, err = verify.LicenseToken(ctx, req.Token, opts)
		default:
			fail(w, 400, "bad-request", "give exactly one of identifier and token, or send the PDF with Content-Type application/pdf")
			return
		}
	}
	if err != nil {
		fail(w, 422, "unusable-input", "%v", err)
		return
	}
	if subject == "" {
		subject = rep.Identifier
	}
	rc, err := s.receipt(ctx, "license", subject, inputHash, rep.Verdict, rep.Reason, rep.Detail, rep)
	if err != nil {
		s.Log.Error("receipt", "err", err)
		fail(w, 500, "internal", "the receipt could not be made")
		return
	}
	s.Metrics.Verifications.WithLabelValues("license", string(rep.Verdict)).Inc()
	writeJSON(w, 200, verifyResponse{Report: rep, Receipt: rc})
}

type holderLicense struct {
	Identifier string `json:"identifier"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Number     string `json:"number"`
	Issuer     string `json:"issuer"`
	Status     string `json:"status"`
	ValidFrom  string `json:"validFrom"`
	ValidTo    string `json:"validTo"`
}

// GET /v1/licenses?holder=CODE&reason=TEXT: a holder's licenses (一号查询).
func (s *Server) handleHolder(w http.ResponseWriter, r *http.Request) {
	holder, reason := r.URL.Query().Get("holder"), strings.TrimSpace(r.URL.Query().Get("reason"))
	if holder == "" || reason == "" {
		fail(w, 400, "bad-request", "give holder=CODE and reason=申请事由: looking up a holder's licenses needs a stated reason")
		return
	}
	ctx := r.Context()
	client := clientID(ctx)
	recs, err := s.Registry.ByHolder(ctx, holder, client, reason)
	if err != nil {
		if errors.Is(err, license.ErrInvalidData) {
			fail(w, 400, "bad-request", "%v", err)
			return
		}
		licenseError(w, s, err)
		return
	}
	var out []holderLicense
	for _, rec := range recs {
		name := rec.TypeCode
		if t, err := s.Registry.Catalog.Type(rec.TypeCode); err == nil {
			name = t.Name
		}
		to := "长期"
		if !rec.ValidTo.IsZero() {
			to = rec.ValidTo.Format(time.DateOnly)
		}
		out = append(out, holderLicense{Identifier: rec.ID, Type: rec.TypeCode, Name: name, Number: rec.Number, Issuer: rec.IssuerName,
			Status: s.Registry.CurrentStatus(rec.Status, rec.ValidTo), ValidFrom: rec.ValidFrom.Format(time.DateOnly), ValidTo: to})
	}
	report := map[string]any{"holder": maskCode(holder), "reason": reason, "licenses": out}
	rc, err := s.receipt(ctx, "holder-lookup", maskCode(holder), verify.InputHash([]byte(holder)), verify.Valid, verify.ReasonOK, fmt.Sprintf("%d license(s)", len(out)), report)
	if err != nil {
		s.Log.Error("receipt", "err", err)
		fail(w, 500, "internal", "the receipt could not be made")
		return
	}
	writeJSON(w, 200, map[string]any{"holder": maskCode(holder), "licenses": out, "receipt": rc})
}

// GET /v1/licenses/{id}/status: a signed status answer, like OCSP.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := ids.ParseLicenseID(id); err != nil {
		fail(w, 400, "bad-identifier", "%v", err)
		return
	}
	rec, err := s.Store.License(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		fail(w, 404, "not-found", "no license %s here", id)
		return
	}
	if err != nil {
		s.Log.Error("status", "err", err)
		fail(w, 500, "internal", "status unavailable")
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	a := &federation.StatusAnswer{Identifier: id, Status: s.Registry.CurrentStatus(rec.Status, rec.ValidTo), ReplacedBy: rec.ReplacedBy,
		ProducedAt: now, NextUpdate: now.Add(s.StatusTTL), Region: s.Node.Region}
	tok, err := s.SignStatus(a)
	if err != nil {
		s.Log.Error("signing a status answer", "err", err)
		fail(w, 500, "internal", "status unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(s.StatusTTL.Seconds())))
	w.Write([]byte(tok))
	s.Metrics.StatusAnswers.Inc()
}

// pageLookup checks the license's signature on every view.
func (s *Server) pageLookup(ctx context.Context, id string) (page.View, error) {
	if _, err := ids.ParseLicenseID(id); err != nil {
		return page.View{}, page.ErrBadID
	}
	v := page.View{Identifier: id, CheckedAt: s.now(), Service: s.Service}
	st, err := s.Registry.Get(ctx, id)
	switch {
	case errors.Is(err, license.ErrNotFound):
		return page.View{}, page.ErrNotFound
	case errors.Is(err, license.ErrBadToken):
		v.Status, v.Reason = page.StatusUnverifiable, "证照数据签名校验失败，请勿采信"
		return v, nil
	case err != nil:
		return page.View{}, err
	}
	d := st.Data
	v.LicenseName, v.Number, v.Issuer = d.Name, d.Number, d.Issuer
	v.HolderName, v.HolderCodeKind = d.Holder, st.Record.HolderCodeType
	if st.Record.HolderCodeType != ids.HolderUSCC {
		v.HolderName = ids.MaskName(d.Holder) // a person: masked; a company's name is public
	}
	v.HolderCode = maskCode(d.HolderCode)
	if t, err := time.ParseInLocation(time.DateOnly, d.IssueDate, time.FixedZone("CST", 8*3600)); err == nil {
		v.IssueDate = t
	}
	v.ValidFrom, v.ValidTo = st.Record.ValidFrom, st.Record.ValidTo
	v.Status = page.Status(st.Status)
	if st.Status == license.StatusReplaced {
		v.ReplacedBy = st.Record.ReplacedBy
	}
	s.Metrics.PageViews.Inc()
	return v, nil
}
