// Package verify is the one verification engine of the service: PDF seals
// and signatures (and, later, licenses), used alike by the CLI, the HTTP API
// and the citizen page. Every signature gets a verdict, a reason code and a
// detailed report, in the manner of ETSI EN 319 102-1 validation reports.
package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/seal/cms"
)

// Verdict is the outcome for one signature or a whole document.
type Verdict string

const (
	Valid         Verdict = "VALID"
	Invalid       Verdict = "INVALID"
	Indeterminate Verdict = "INDETERMINATE"
)

// Reason says why a verdict was reached. Names follow the sub-indications of
// ETSI EN 319 102-1 where one fits.
type Reason string

const (
	ReasonOK                 Reason = "OK"
	ReasonNoSignature        Reason = "NO_SIGNATURE"
	ReasonFormat             Reason = "FORMAT_FAILURE"               // malformed signature dictionary or container
	ReasonHash               Reason = "HASH_FAILURE"                 // the signed bytes changed
	ReasonSigCrypto          Reason = "SIG_CRYPTO_FAILURE"           // the signature value does not verify
	ReasonByteRange          Reason = "BYTE_RANGE_INVALID"           // the byte range does not cover the revision except /Contents
	ReasonNotRevision        Reason = "NOT_A_REVISION"               // the signed bytes are not a revision of this document
	ReasonChanged            Reason = "UNAUTHORISED_CHANGE"          // disallowed changes after signing
	ReasonRevoked            Reason = "REVOKED"                      // the signer certificate is revoked
	ReasonExpired            Reason = "OUT_OF_BOUNDS_NO_POE"         // the certificate expired and no proof of earlier existence
	ReasonNotYetValid        Reason = "NOT_YET_VALID"                // signed before the certificate was valid
	ReasonNoChain            Reason = "NO_CERTIFICATE_CHAIN_FOUND"   // no path to a trusted certificate
	ReasonNoSigningCert      Reason = "NO_SIGNING_CERTIFICATE_FOUND" // the certificate the signature names is not there
	ReasonUsage              Reason = "CHAIN_CONSTRAINTS_FAILURE"    // the certificate may not be used for seals
	ReasonRevocationUnknown  Reason = "TRY_LATER"                    // revocation status could not be established
	ReasonSealMaker          Reason = "SEAL_MAKER_FAILURE"           // the seal's maker signature does not verify
	ReasonSealNotValid       Reason = "SEAL_OUT_OF_VALIDITY"         // the seal was used outside its validity
	ReasonSignerNotInSeal    Reason = "SIGNER_NOT_AUTHORISED"        // the signer is not among the seal's signers
	ReasonSealRevoked        Reason = "SEAL_REVOKED"                 // the seal registry says revoked
	ReasonSealSuspended      Reason = "SEAL_SUSPENDED"               // the seal registry says suspended
	ReasonUnsupported        Reason = "UNSUPPORTED_FORMAT"           // a signature format this engine does not know
	ReasonUnusable           Reason = "UNUSABLE_INPUT"               // the input could not be read at all
	ReasonPartialSignature   Reason = "PARTIAL_COVERAGE"             // (informational) later revisions exist
	ReasonCertificateInvalid Reason = "CERTIFICATE_INVALID"          // the certificate chain is broken
)

// Check is one test made on a signature.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Change is one object written after a signature.
type Change struct {
	Object  int    `json:"object"`
	Kind    string `json:"kind"` // added, modified, removed
	What    string `json:"what"`
	Allowed bool   `json:"allowed"`
}

// SealInfo describes the GB/T 38540 seal used by a signature.
type SealInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Type       int       `json:"type"`
	Maker      string    `json:"maker"`
	ValidStart time.Time `json:"validStart"`
	ValidEnd   time.Time `json:"validEnd"`
	Status     string    `json:"status,omitempty"` // from the seal registry, when consulted
}

// SignatureReport is the detailed result for one signature.
type SignatureReport struct {
	Index       int       `json:"index"`
	Field       string    `json:"field"`
	Verdict     Verdict   `json:"verdict"`
	Reason      Reason    `json:"reason"`
	Detail      string    `json:"detail,omitempty"`
	Format      string    `json:"format"` // sm2, ses, pades; cms for another signer's CMS (RSA or ECDSA with SHA-2); timestamp for an RFC 3161 document time-stamp
	SubFilter   string    `json:"subFilter"`
	Algorithm   string    `json:"algorithm,omitempty"`
	Signer      string    `json:"signer,omitempty"`
	Issuer      string    `json:"issuer,omitempty"`
	Serial      string    `json:"serial,omitempty"`
	SigningTime time.Time `json:"signingTime,omitempty"`
	TimeSource  string    `json:"timeSource,omitempty"`
	Seal        *SealInfo `json:"seal,omitempty"`
	ByteRange   []int64   `json:"byteRange,omitempty"`
	// CoversWholeFile is true when no bytes follow the signed revision.
	CoversWholeFile bool     `json:"coversWholeFile"`
	Checks          []Check  `json:"checks"`
	Changes         []Change `json:"changesAfter,omitempty"`
	Pages           []int    `json:"pages,omitempty"`
	// Certification is the access permission (DocMDP P) when this
	// signature certifies the document: 1 no changes, 2 form filling and
	// signing, 3 also annotations; 0 for an approval signature.
	Certification int `json:"certification,omitempty"`

	// For validation in the past (a later document time-stamp): the
	// signer and the certificates that came with the signature.
	signer *smx509.Certificate
	chain  []*smx509.Certificate
	// sigTS is the signature time-stamp, and provenAt its time once its
	// authority is trusted.
	sigTS    *cms.Timestamp
	provenAt time.Time
}

// Report is the result for a document.
type Report struct {
	File       string            `json:"file,omitempty"`
	Size       int64             `json:"size"`
	Verdict    Verdict           `json:"verdict"`
	Reason     Reason            `json:"reason"`
	Detail     string            `json:"detail,omitempty"`
	CheckedAt  time.Time         `json:"checkedAt"`
	Signatures []SignatureReport `json:"signatures"`
}

func (s *SignatureReport) check(name string, ok bool, format string, a ...any) bool {
	s.Checks = append(s.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
	return ok
}

// fail sets the verdict unless a worse one is already set: INVALID beats
// INDETERMINATE beats VALID.
func (s *SignatureReport) fail(v Verdict, r Reason, format string, a ...any) {
	if rank(v) <= rank(s.Verdict) {
		return
	}
	s.Verdict, s.Reason, s.Detail = v, r, fmt.Sprintf(format, a...)
}

func rank(v Verdict) int {
	switch v {
	case Invalid:
		return 3
	case Indeterminate:
		return 2
	case Valid:
		return 1
	}
	return 0
}

// summarise sets the document verdict from its signatures.
func (r *Report) summarise() {
	if len(r.Signatures) == 0 {
		r.Verdict, r.Reason, r.Detail = Invalid, ReasonNoSignature, "the document carries no signature"
		return
	}
	r.Verdict, r.Reason = Valid, ReasonOK
	for _, s := range r.Signatures {
		if rank(s.Verdict) > rank(r.Verdict) {
			r.Verdict, r.Reason = s.Verdict, s.Reason
			r.Detail = fmt.Sprintf("signature %d (%s): %s", s.Index, s.Field, s.Detail)
		}
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(r)
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	name := r.File
	if name == "" {
		name = "document"
	}
	fmt.Fprintf(&b, "%s: %s", name, r.Verdict)
	if r.Verdict != Valid {
		fmt.Fprintf(&b, " (%s)", r.Reason)
	}
	fmt.Fprintf(&b, "\n")
	if r.Detail != "" && r.Verdict != Valid {
		fmt.Fprintf(&b, "  %s\n", r.Detail)
	}
	fmt.Fprintf(&b, "  %d signature(s), %d bytes, checked %s\n", len(r.Signatures), r.Size, r.CheckedAt.Format(time.RFC3339))
	for _, s := range r.Signatures {
		fmt.Fprintf(&b, "\nsignature %d, field %q: %s", s.Index, s.Field, s.Verdict)
		if s.Verdict != Valid {
			fmt.Fprintf(&b, " (%s)", s.Reason)
		}
		fmt.Fprintf(&b, "\n")
		if s.Detail != "" {
			fmt.Fprintf(&b, "  reason:    %s\n", s.Detail)
		}
		fmt.Fprintf(&b, "  format:    %s (/SubFilter /%s)", s.Format, s.SubFilter)
		if s.Algorithm != "" {
			fmt.Fprintf(&b, ", %s", s.Algorithm)
		}
		fmt.Fprintf(&b, "\n")
		if s.Signer != "" {
			fmt.Fprintf(&b, "  signer:    %s\n  issuer:    %s\n  serial:    %s\n", s.Signer, s.Issuer, s.Serial)
		}
		if s.Seal != nil {
			fmt.Fprintf(&b, "  seal:      %s %q, maker %s, valid %s to %s", s.Seal.ID, s.Seal.Name, s.Seal.Maker,
				s.Seal.ValidStart.Format("2006-01-02"), s.Seal.ValidEnd.Format("2006-01-02"))
			if s.Seal.Status != "" {
				fmt.Fprintf(&b, ", registry: %s", s.Seal.Status)
			}
			fmt.Fprintf(&b, "\n")
		}
		if !s.SigningTime.IsZero() {
			fmt.Fprintf(&b, "  signed at: %s (%s)\n", s.SigningTime.Format(time.RFC3339), s.TimeSource)
		}
		if len(s.Pages) > 0 {
			fmt.Fprintf(&b, "  pages:     %v\n", s.Pages)
		}
		if s.Certification != 0 {
			fmt.Fprintf(&b, "  certifies: the document, allowing %s afterwards (DocMDP P %d)\n", certificationAllows[s.Certification], s.Certification)
		}
		if len(s.ByteRange) == 4 {
			cover := "the whole file"
			if !s.CoversWholeFile {
				cover = fmt.Sprintf("revision ending at byte %d; later revisions follow", s.ByteRange[2]+s.ByteRange[3])
			}
			fmt.Fprintf(&b, "  covers:    %s, byte range %v\n", cover, s.ByteRange)
		}
		for _, c := range s.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(&b, "    [%s] %s", mark, c.Name)
			if c.Detail != "" {
				fmt.Fprintf(&b, ": %s", c.Detail)
			}
			fmt.Fprintf(&b, "\n")
		}
		for _, c := range s.Changes {
			verdict := "allowed"
			if !c.Allowed {
				verdict = "NOT ALLOWED"
			}
			fmt.Fprintf(&b, "    after signing: object %d %s: %s (%s)\n", c.Object, c.Kind, c.What, verdict)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// certificationAllows says what a certification level allows.
var certificationAllows = map[int]string{
	1: "no changes",
	2: "further signatures and form filling",
	3: "further signatures, form filling and annotations",
}
