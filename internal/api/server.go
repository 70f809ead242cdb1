// Package api is the HTTP service: departments stamp PDFs, issuers issue
// and manage licenses, case systems of any region verify licenses and
// stamped documents and get signed receipts, citizens check a license on
// its page. Every endpoint is authenticated except the citizen page, the
// status answers, the trust list and health.
package api

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/page"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/verify"
)

// Node is this deployment's identity: its key signs receipts, status
// answers and audit checkpoints.
type Node struct {
	Name   string // e.g. the region's node name
	Region string // 区划码
	Signer crypto.Signer
	Chain  []*smx509.Certificate // the node's certificate first
}

// Issuer is a configured issuing department.
type Issuer struct {
	Issuer *license.Issuer
	PDF    *license.PDFMaker // nil: licenses without PDF
}

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, kind, actor, subject, detail string) (*verify.AuditRef, error)
}

// StatusSigner signs a status answer for a license.
type StatusSigner func(a *federation.StatusAnswer) (string, error)

// Server holds the service's parts; Handler serves them.
type Server struct {
	Node     Node
	Store    store.Store
	Registry *license.Registry
	Issuers  map[string]*Issuer // by USCC
	OpenSeal func(ctx context.Context, sealID string) (seal.Options, error)
	Verify   verify.Options
	// PDFTrust, when set, gives the trust anchors for stamped documents at
	// the time of a request: this node's and those of the federation's
	// active regions (the trust list in force). Without it Verify.Trust.
	PDFTrust   func() *certs.Pool
	License    func() verify.LicenseOptions
	Auth       *auth.Authenticator
	Audit      Auditor
	SignStatus StatusSigner
	TrustList  func() (string, error)
	Log        *slog.Logger
	Metrics    *Metrics
	MaxUpload  int64 // bytes; default 64 MiB
	// StatusTTL is how long a status answer may be relied on (next-update).
	StatusTTL time.Duration
	Service   string // shown on the citizen page
	Ready     func(ctx context.Context) error
	Now       func() time.Time
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) maxUpload() int64 {
	if s.MaxUpload > 0 {
		return s.MaxUpload
	}
	return 64 << 20
}

// Handler is the whole service.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Metrics == nil {
		s.Metrics = NewMetrics()
	}
	if s.StatusTTL == 0 {
		s.StatusTTL = 5 * time.Minute
	}
	if s.Registry != nil && s.Registry.Record == nil {
		// Every act on a license is audited in its own transaction.
		s.Registry.Record = LicenseActs(s.Node.Name)
	}
	mux := http.NewServeMux()
	scope := auth.Scopes
	// Public. The page answers every path under /v/ itself, so that a
	// phone gets a page, not JSON, for a link it cannot use.
	pg := page.Handler(s.pageLookup, s.Service)
	mux.Handle("GET /v/{id}", pg)
	mux.Handle("/v/", pg)
	mux.HandleFunc("GET /v1/licenses/{id}/status", s.handleStatus)
	mux.HandleFunc("GET /v1/trustlist", s.handleTrustList)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	// Departments.
	mux.Handle("POST /v1/seal", s.Auth.Require(func(r *http.Request) []string { return []string{auth.SealScope(r.URL.Query().Get("seal"))} }, http.HandlerFunc(s.handleSeal)))
	// Issuers: scopes depend on the license, checked in the handlers.
	mux.Handle("POST /v1/licenses", s.Auth.Require(scope(), http.HandlerFunc(s.handleIssue)))
	mux.Handle("POST /v1/licenses/{id}/{action}", s.Auth.Require(scope(), http.HandlerFunc(s.handleChange)))
	// Case systems.
	mux.Handle("POST /v1/verify/pdf", s.Auth.Require(scope(auth.ScopeVerify), http.HandlerFunc(s.handleVerifyPDF)))
	mux.Handle("POST /v1/verify/license", s.Auth.Require(scope(auth.ScopeVerify), http.HandlerFunc(s.handleVerifyLicense)))
	mux.Handle("GET /v1/licenses", s.Auth.Require(scope(auth.ScopeLookup), http.HandlerFunc(s.handleHolder)))
	return s.Metrics.Wrap(s.recoverer(unrouted(mux)))
}

// unrouted answers what mux has no route for with the JSON error of every
// other refusal, where the mux alone would answer a plain-text 404 or 405:
// 404 not-found, or 405 method-not-allowed with the mux's Allow header.
// Its redirects to a cleaned path stay as they are.
func unrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// Ask the mux's own handler what it would answer, without its body.
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusNotFound:
			fail(w, http.StatusNotFound, "not-found", "nothing is served at %.200q; the API is described at /openapi.json", r.URL.Path)
		case http.StatusMethodNotAllowed:
			allow := probe.header.Get("Allow")
			w.Header().Set("Allow", allow)
			fail(w, http.StatusMethodNotAllowed, "method-not-allowed", "%s is not allowed on %.200q; use %s", r.Method, r.URL.Path, allow)
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// headerProbe is a ResponseWriter that keeps the status and headers and
// drops the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }

func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// apiError is the JSON error body of every failure.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// fail answers an error. Messages often quote what the client sent (a
// face value, an identifier, a header), so citizen identity numbers in
// them are masked (ids.MaskCitizenIDsIn): an error is logged and cached in
// more places than the request was.
func fail(w http.ResponseWriter, status int, code, format string, a ...any) {
	writeJSON(w, status, apiError{Error: code, Message: ids.MaskCitizenIDsIn(fmt.Sprintf(format, a...))})
}

// recoverer turns a panic into a 500 without taking the process down.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v))
				fail(w, 500, "internal", "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// mediaType is the request's media type without parameters, in lower case
// (RFC 9110 8.3.1: the names are case-insensitive): "" without a
// Content-Type, and ok false when the header does not parse.
func mediaType(r *http.Request) (mt string, ok bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return mt, err == nil
}

// decodeJSON reads a JSON request body strictly, with a size limit.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if mt, ok := mediaType(r); !ok || mt != "" && mt != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, "unsupported-media-type", "send application/json, not %s", r.Header.Get("Content-Type"))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			fail(w, http.StatusRequestEntityTooLarge, "too-large", "the request body is larger than %d bytes", limit)
		case errors.Is(err, io.EOF):
			fail(w, http.StatusBadRequest, "bad-request", "the request body is empty: send a JSON object")
		default:
			fail(w, http.StatusBadRequest, "bad-json", "the request body is not valid JSON for this call: %v", err)
		}
		return false
	}
	// Only white space may follow the value. (dec.More would let a stray
	// '}' or ']' through.)
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, "too-large", "the request body is larger than %d bytes", limit)
		} else {
			fail(w, http.StatusBadRequest, "bad-json", "the request body has data after the JSON object")
		}
		return false
	}
	return true
}

// spool streams an uploaded document to a temporary file, with the size
// limit, hashing it on the way: large PDFs never sit in memory. The caller
// closes and removes the file with the returned cleanup.
func (s *Server) spool(w http.ResponseWriter, r *http.Request) (f *os.File, size int64, sum string, cleanup func(), ok bool) {
	limit := s.maxUpload()
	if r.ContentLength > limit {
		fail(w, http.StatusRequestEntityTooLarge, "too-large", "the upload is %d bytes; the limit is %d", r.ContentLength, limit)
		return nil, 0, "", nil, false
	}
	f, err := os.CreateTemp("", "eseal-upload-*")
	if err != nil {
		s.Log.Error("spooling an upload", "err", err)
		fail(w, 500, "internal", "the upload could not be stored")
		return nil, 0, "", nil, false
	}
	cleanup = func() { f.Close(); os.Remove(f.Name()) }
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		cleanup()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, "too-large", "the upload is larger than the limit of %d bytes", limit)
		} else {
			fail(w, http.StatusBadRequest, "bad-upload", "reading the upload: %v", err)
		}
		return nil, 0, "", nil, false
	}
	if size == 0 {
		cleanup()
		fail(w, http.StatusBadRequest, "bad-upload", "the upload is empty: send the PDF as the request body")
		return nil, 0, "", nil, false
	}
	return f, size, hex.EncodeToString(h.Sum(nil)), cleanup, true
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			fail(w, http.StatusServiceUnavailable, "not-ready", "%v", err)
			return
		}
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

func (s *Server) handleTrustList(w http.ResponseWriter, r *http.Request) {
	if s.TrustList == nil {
		fail(w, http.StatusNotFound, "no-trust-list", "this node has no federation trust list")
		return
	}
	tok, err := s.TrustList()
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "no-trust-list", "%v", err)
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Cache-Control", "public, max-age=60")
	io.WriteString(w, tok)
}

// clientID is the authenticated client of a request.
func clientID(ctx context.Context) string {
	if c := auth.FromContext(ctx); c != nil {
		return c.ID
	}
	return ""
}

// can reports whether the request's client holds a scope.
func can(ctx context.Context, scope string) bool {
	c := auth.FromContext(ctx)
	return c != nil && c.Can(scope)
}

// AuditLog records acts in the node's audit log.
type AuditLog struct {
	Log  *audit.Log
	Node string
}

// Record appends an entry and returns where it is, with its inclusion
// proof in the tree as it stands just after: the receipt that carries it
// is signed by the node, so the tree size and root in it are a signed tree
// head that later checkpoints must be consistent with.
//
// Subject and detail may come from the client (an identifier, a reason),
// and the log refuses an entry holding a citizen ID number or a field over
// its limit; an act that has happened must be recorded all the same, so
// they are masked and cut to fit here.
func (a AuditLog) Record(ctx context.Context, kind, actor, subject, detail string) (*verify.AuditRef, error) {
	e := audit.Entry{Kind: kind, Actor: actor, Subject: auditField(subject, auditMaxField), Detail: auditField(detail, auditMaxDetail), Node: a.Node}
	in, err := a.Log.AppendWithProof(ctx, e)
	if err != nil {
		return nil, err
	}
	return auditRef(in), nil
}

// The audit log's limits on a subject and a detail, in bytes (internal/audit).
const (
	auditMaxField  = 256
	auditMaxDetail = 2048
)

// auditField makes s fit in an audit entry: valid UTF-8, citizen ID
// numbers masked, at most max bytes (cut on a character boundary, with an
// ellipsis).
func auditField(s string, max int) string {
	s = ids.MaskCitizenIDsIn(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= max {
		return s
	}
	const more = "…"
	cut := max - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}
