package verify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
)

// LicenseOptions are what a license verifier consults.
type LicenseOptions struct {
	Options
	// Registry is the local license library: the status of the licenses
	// this node issued. Nil for offline verification.
	Registry *license.Registry
	// Keys finds issuer keys (this region's, and other regions' from the
	// trust list).
	Keys license.KeyLookup
	// Status, when set, asks for the status of a license this node does not
	// hold (another region's), returning the status and when it was
	// produced.
	Status func(ctx context.Context, id string) (status string, producedAt time.Time, err error)
}

// LicenseReport is the result of verifying a license.
type LicenseReport struct {
	Input      string        `json:"input"` // identifier, token or pdf
	Verdict    Verdict       `json:"verdict"`
	Reason     Reason        `json:"reason"`
	Detail     string        `json:"detail,omitempty"`
	Identifier string        `json:"identifier,omitempty"`
	Name       string        `json:"name,omitempty"`
	Number     string        `json:"number,omitempty"`
	Issuer     string        `json:"issuer,omitempty"`
	IssuerCode string        `json:"issuerCode,omitempty"`
	Holder     string        `json:"holder,omitempty"`     // masked
	HolderCode string        `json:"holderCode,omitempty"` // masked
	ValidFrom  string        `json:"validFrom,omitempty"`
	ValidTo    string        `json:"validTo,omitempty"`
	Status     string        `json:"status,omitempty"`
	StatusName string        `json:"statusName,omitempty"`
	StatusAt   time.Time     `json:"statusAt,omitempty"`
	StatusFrom string        `json:"statusFrom,omitempty"` // local registry, region X, ...
	ReplacedBy string        `json:"replacedBy,omitempty"`
	KeyID      string        `json:"keyId,omitempty"`
	CheckedAt  time.Time     `json:"checkedAt"`
	Checks     []Check       `json:"checks"`
	PDF        *Report       `json:"pdf,omitempty"`
	Copy       *license.Copy `json:"copy,omitempty"` // an annotated copy's statement (加注件)
	Data       *license.Data `json:"-"`
}

func (l *LicenseReport) check(name string, ok bool, format string, a ...any) {
	l.Checks = append(l.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
}

func (l *LicenseReport) fail(v Verdict, r Reason, format string, a ...any) {
	if rank(v) <= rank(l.Verdict) {
		return
	}
	l.Verdict, l.Reason, l.Detail = v, r, fmt.Sprintf(format, a...)
}

// License reasons.
const (
	ReasonLicenseUnknown   Reason = "LICENSE_NOT_FOUND"
	ReasonLicenseRevoked   Reason = "LICENSE_REVOKED"
	ReasonLicenseSuspended Reason = "LICENSE_SUSPENDED"
	ReasonLicenseCancelled Reason = "LICENSE_CANCELLED"
	ReasonLicenseReplaced  Reason = "LICENSE_REPLACED"
	ReasonLicenseExpired   Reason = "LICENSE_EXPIRED"
	ReasonUnknownType      Reason = "UNKNOWN_LICENSE_TYPE"
	ReasonStatusUnknown    Reason = "STATUS_UNAVAILABLE"
	ReasonPDFNotValid      Reason = "SEAL_NOT_VALID"
	ReasonMismatch         Reason = "DATA_MISMATCH"
	ReasonCopyExpired      Reason = "COPY_EXPIRED"
)

// IsLicenseID reports whether s looks like a license identifier.
func IsLicenseID(s string) bool { return strings.HasPrefix(s, ids.LicenseIDRoot+".") }

// IsToken reports whether s looks like a compact JWS: three segments of
// base64url without padding, separated by dots, the first two not empty.
// It scans s once: a token is checked on every verification.
func IsToken(s string) bool {
	dots, seg := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if seg == 0 || dots == 2 {
				return false
			}
			dots, seg = dots+1, 0
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			seg++
		default:
			return false
		}
	}
	return dots == 2
}

// LicenseByID verifies a license held in the registry by its identifier.
func LicenseByID(ctx context.Context, id string, opts LicenseOptions) (*LicenseReport, error) {
	rep := newLicenseReport("identifier", opts)
	if _, err := ids.ParseLicenseID(id); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnusable, err)
	}
	rep.Identifier = id
	if opts.Registry == nil {
		rep.fail(Indeterminate, ReasonStatusUnknown, "no license library to look the identifier up in")
		return rep, nil
	}
	rec, err := opts.Registry.Store.License(ctx, id)
	if err != nil {
		if opts.Status != nil {
			// Not ours: without a token we can only report the other region's status.
			return remoteOnly(ctx, rep, id, opts), nil
		}
		rep.check("license in the library", false, "%v", err)
		rep.fail(Invalid, ReasonLicenseUnknown, "no license with identifier %s", id)
		return rep, nil
	}
	verifyToken(ctx, rep, rec.Token, opts)
	return rep, nil
}

// LicenseToken verifies signed license data (a compact JWS).
func LicenseToken(ctx context.Context, token string, opts LicenseOptions) (*LicenseReport, error) {
	if !IsToken(token) {
		return nil, fmt.Errorf("%w: not a license token (compact JWS)", ErrUnusable)
	}
	rep := newLicenseReport("token", opts)
	verifyToken(ctx, rep, token, opts)
	return rep, nil
}

// LicensePDF verifies a license PDF: its seal, and the signed data it
// carries with the license's status.
func LicensePDF(ctx context.Context, in []byte, opts LicenseOptions) (*LicenseReport, error) {
	return LicensePDFAt(ctx, bytes.NewReader(in), int64(len(in)), opts)
}

// LicensePDFAt is LicensePDF for a PDF of size bytes read from in, such as
// an uploaded file spooled to disk, which need not be read into memory
// first.
func LicensePDFAt(ctx context.Context, in io.ReaderAt, size int64, opts LicenseOptions) (*LicenseReport, error) {
	pdfRep, err := PDF(ctx, in, size, opts.Options)
	if err != nil {
		return nil, err
	}
	rep := newLicenseReport("pdf", opts)
	rep.PDF = pdfRep
	if pdfRep.Verdict == Valid {
		rep.check("issuer's seal on the PDF", true, "%d signature(s) valid", len(pdfRep.Signatures))
	} else {
		rep.check("issuer's seal on the PDF", false, "%s (%s): %s", pdfRep.Verdict, pdfRep.Reason, pdfRep.Detail)
		v := Invalid
		if pdfRep.Verdict == Indeterminate {
			v = Indeterminate
		}
		rep.fail(v, ReasonPDFNotValid, "the seal on the PDF is %s: %s", pdfRep.Verdict, pdfRep.Detail)
	}
	tok, err := license.TokenFromPDF(in, size)
	if err != nil {
		rep.check("license data in the PDF", false, "%v", err)
		rep.fail(Invalid, ReasonFormat, "%v", err)
		return rep, nil
	}
	verifyToken(ctx, rep, tok, opts)
	checkCopy(rep, in, size, opts)
	return rep, nil
}

// checkCopy reads an annotated copy's statement (加注件), when the PDF is
// one: it must be signed by a known issuer key, name this license, and not
// have run out.
func checkCopy(rep *LicenseReport, in io.ReaderAt, size int64, opts LicenseOptions) {
	keys := opts.Keys
	if keys == nil && opts.Registry != nil {
		keys = opts.Registry.Keys
	}
	if keys == nil {
		return
	}
	c, err := license.CopyFromPDF(in, size, keys)
	if err != nil {
		rep.check("annotated copy statement", false, "%v", err)
		rep.fail(Invalid, ReasonSigCrypto, "the annotated copy's statement: %v", err)
		return
	}
	if c == nil {
		return
	}
	rep.Copy = c
	if rep.Identifier != "" && c.License != rep.Identifier {
		rep.check("annotated copy statement", false, "the statement is for %s", c.License)
		rep.fail(Invalid, ReasonMismatch, "the annotated copy's statement is for %s, not %s", c.License, rep.Identifier)
		return
	}
	if rep.CheckedAt.After(c.Until) {
		rep.check("annotated copy in force", false, "for %s, %s; ran out %s", c.Requester, c.Purpose, c.Until.Format(time.RFC3339))
		rep.fail(Invalid, ReasonCopyExpired, "this annotated copy for %s (%s) ran out on %s", c.Requester, c.Purpose, c.Until.Format(time.DateOnly))
		return
	}
	rep.check("annotated copy in force", true, "for %s, %s; until %s", c.Requester, c.Purpose, c.Until.Format(time.RFC3339))
}

func newLicenseReport(input string, opts LicenseOptions) *LicenseReport {
	at := opts.Time
	if at.IsZero() {
		at = time.Now()
	}
	return &LicenseReport{Input: input, Verdict: Valid, Reason: ReasonOK, CheckedAt: at, Checks: []Check{}}
}

func verifyToken(ctx context.Context, rep *LicenseReport, token string, opts LicenseOptions) {
	keys := opts.Keys
	if keys == nil && opts.Registry != nil {
		keys = opts.Registry.Keys
	}
	if keys == nil {
		rep.fail(Indeterminate, ReasonNoChain, "no issuer keys to check the signature with")
		return
	}
	v, err := license.VerifyToken(token, keys)
	if err != nil {
		rep.check("issuer's signature on the license data", false, "%v", err)
		rep.fail(Invalid, ReasonSigCrypto, "%v", err)
		return
	}
	rep.KeyID = v.KeyID
	d, err := license.ParseData(v.Payload)
	if err != nil {
		rep.check("license data", false, "%v", err)
		rep.fail(Invalid, ReasonFormat, "%v", err)
		return
	}
	rep.check("issuer's signature on the license data", true, "%s key %s", algName(token), v.KeyID)
	if rep.Identifier != "" && rep.Identifier != d.Identifier {
		rep.check("identifier", false, "the signed data is for %s", d.Identifier)
		rep.fail(Invalid, ReasonMismatch, "the signed data is for %s, not %s", d.Identifier, rep.Identifier)
		return
	}
	rep.Data = d
	rep.Identifier, rep.Name, rep.Number, rep.Issuer, rep.IssuerCode = d.Identifier, d.Name, d.Number, d.Issuer, d.IssuerCode
	rep.Holder, rep.HolderCode = ids.MaskName(d.Holder), maskHolderCode(d.HolderCode)
	rep.ValidFrom, rep.ValidTo = d.ValidFrom, d.ValidTo
	// The key must belong to the issuer named in the data.
	if v.Key.IssuerCode != "" {
		if v.Key.IssuerCode != d.IssuerCode {
			rep.check("signing key belongs to the issuer", false, "the key is %s's, the data names %s", v.Key.IssuerCode, d.IssuerCode)
			rep.fail(Invalid, ReasonSigCrypto, "the license data names issuer %s but is signed with a key of %s", d.IssuerCode, v.Key.IssuerCode)
			return
		}
		rep.check("signing key belongs to the issuer", true, "%s", d.IssuerCode)
	}
	if opts.Registry != nil {
		if _, err := opts.Registry.Catalog.Type(d.TypeCode); err != nil && opts.Status == nil {
			rep.check("license type in the catalog", false, "%v", err)
			rep.fail(Invalid, ReasonUnknownType, "%v", err)
			return
		}
	}
	status(ctx, rep, d, token, opts)
}

func algName(token string) string {
	if strings.HasPrefix(token, "eyJhbGciOiJFUzI1NiI") {
		return "ES256"
	}
	return "SM2SM3"
}

// status fills in the license's current status: from the local library
// when it holds the license, else from the issuing region.
func status(ctx context.Context, rep *LicenseReport, d *license.Data, token string, opts LicenseOptions) {
	var st string
	if opts.Registry != nil {
		rec, err := opts.Registry.Store.License(ctx, d.Identifier)
		switch {
		case err == nil:
			if rec.Token != token {
				rep.check("license data matches the library", false, "the library holds other signed data for %s", d.Identifier)
				rep.fail(Invalid, ReasonMismatch, "the library holds other signed data for %s", d.Identifier)
				return
			}
			st = opts.Registry.CurrentStatus(rec.Status, rec.ValidTo)
			rep.StatusAt, rep.StatusFrom, rep.ReplacedBy = rep.CheckedAt, "local license library", rec.ReplacedBy
		case opts.Status == nil:
			rep.check("license in the library", false, "%v", err)
			rep.fail(Invalid, ReasonLicenseUnknown, "the license %s is not in the library", d.Identifier)
			return
		}
	}
	if st == "" && opts.Status != nil {
		s, at, err := opts.Status(ctx, d.Identifier)
		if err != nil {
			rep.check("status from the issuing region", false, "%v", err)
			rep.fail(Indeterminate, ReasonStatusUnknown, "the status could not be established: %v", err)
			return
		}
		st, rep.StatusAt, rep.StatusFrom = s, at, "issuing region"
	}
	if st == "" {
		// Offline: the signature holds; expiry by date is all we can tell.
		st = license.StatusValid
		if d.ValidTo != "长期" {
			if to, err := time.Parse(time.DateOnly, d.ValidTo); err == nil && rep.CheckedAt.After(to.Add(24*time.Hour)) {
				st = license.StatusExpired
			}
		}
		rep.StatusFrom = "signed data only (no status source)"
		rep.Status, rep.StatusName = st, license.StatusName(st)
		rep.check("status", false, "no status source was consulted")
		if st == license.StatusExpired {
			rep.fail(Invalid, ReasonLicenseExpired, "the license expired on %s", d.ValidTo)
		} else {
			rep.fail(Indeterminate, ReasonStatusUnknown, "the signature is valid but the current status could not be checked")
		}
		return
	}
	rep.Status, rep.StatusName = st, license.StatusName(st)
	ok := st == license.StatusValid
	rep.check("status", ok, "%s (%s), from %s", rep.StatusName, st, rep.StatusFrom)
	switch st {
	case license.StatusValid:
	case license.StatusRevoked:
		rep.fail(Invalid, ReasonLicenseRevoked, "the license was revoked (已吊销)")
	case license.StatusSuspended:
		rep.fail(Invalid, ReasonLicenseSuspended, "the license is suspended (已暂扣)")
	case license.StatusCancelled:
		rep.fail(Invalid, ReasonLicenseCancelled, "the license was cancelled (已注销)")
	case license.StatusReplaced:
		rep.fail(Invalid, ReasonLicenseReplaced, "the license was replaced (已换发) by %s", rep.ReplacedBy)
	case license.StatusExpired:
		rep.fail(Invalid, ReasonLicenseExpired, "the license expired on %s (已过期)", d.ValidTo)
	default:
		rep.fail(Indeterminate, ReasonStatusUnknown, "unknown status %q", st)
	}
}

func remoteOnly(ctx context.Context, rep *LicenseReport, id string, opts LicenseOptions) *LicenseReport {
	s, at, err := opts.Status(ctx, id)
	if err != nil {
		rep.check("status from the issuing region", false, "%v", err)
		rep.fail(Indeterminate, ReasonStatusUnknown, "the license is not held here and its region could not be asked: %v", err)
		return rep
	}
	rep.Status, rep.StatusName, rep.StatusAt, rep.StatusFrom = s, license.StatusName(s), at, "issuing region"
	rep.check("status from the issuing region", s == license.StatusValid, "%s", license.StatusName(s))
	if s != license.StatusValid {
		rep.fail(Invalid, ReasonLicenseRevoked, "the issuing region reports %s", license.StatusName(s))
	}
	return rep
}

func maskHolderCode(code string) string {
	if kind, err := ids.DetectHolderCode(code); err == nil && kind == ids.HolderUSCC {
		return code
	}
	return ids.MaskCitizenID(code)
}

// WriteText writes a license report for people.
func (l *LicenseReport) WriteText(w interface{ Write([]byte) (int, error) }) error {
	var b strings.Builder
	fmt.Fprintf(&b, "license %s: %s", l.Identifier, l.Verdict)
	if l.Verdict != Valid {
		fmt.Fprintf(&b, " (%s)", l.Reason)
	}
	fmt.Fprintln(&b)
	if l.Detail != "" {
		fmt.Fprintf(&b, "  %s\n", l.Detail)
	}
	if l.Name != "" {
		fmt.Fprintf(&b, "  %s, number %s\n  holder:  %s (%s)\n  issuer:  %s (%s)\n  valid:   %s to %s\n", l.Name, l.Number, l.Holder, l.HolderCode, l.Issuer, l.IssuerCode, l.ValidFrom, l.ValidTo)
	}
	if l.Status != "" {
		fmt.Fprintf(&b, "  status:  %s %s, from %s\n", l.StatusName, l.Status, l.StatusFrom)
	}
	if l.Copy != nil {
		fmt.Fprintf(&b, "  加注件:  for %s, %s, until %s\n", l.Copy.Requester, l.Copy.Purpose, l.Copy.Until.Format(time.DateOnly))
	}
	fmt.Fprintf(&b, "  checked: %s\n", l.CheckedAt.Format(time.RFC3339))
	for _, c := range l.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "    [%s] %s: %s\n", mark, c.Name, c.Detail)
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
