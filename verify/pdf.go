package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/cms"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/seal/ses"
)

// Options are the verifier's trust settings.
type Options struct {
	Trust *certs.Pool  // trust anchors; without them no chain can be built
	CRLs  []*certs.CRL // revocation lists to consult
	Time  time.Time    // validation time; default now
	// SealStatus, when set, asks the seal registry for a seal's status
	// ("active", "suspended", "revoked"); errors make the verdict
	// INDETERMINATE.
	SealStatus func(ctx context.Context, esID string) (string, error)
}

// ErrUnusable wraps errors for input that cannot be verified at all (not a
// PDF, broken beyond reading, encrypted): no verdict is possible.
var ErrUnusable = errors.New("unusable input")

// PDF verifies every signature of the PDF in (size bytes).
func PDF(ctx context.Context, in io.ReaderAt, size int64, opts Options) (*Report, error) {
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	r, err := pdf.Open(in, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	fields, err := r.SignatureFields()
	if err != nil {
		return nil, fmt.Errorf("%w: reading signature fields: %w", ErrUnusable, err)
	}
	rep := &Report{Size: size, CheckedAt: opts.Time}
	pages, _ := r.Pages()
	for i, f := range fields {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := verifySignature(ctx, r, pages, f, opts)
		s.Index = i + 1
		rep.Signatures = append(rep.Signatures, s)
	}
	validateInPast(rep, opts)
	rep.summarise()
	return rep, nil
}

// validateInPast gives a signature whose certificate has expired since a
// second chance (ETSI EN 319 102-1 5.6, validation of past signatures): a
// valid document time-stamp written after it proves that the signature
// existed at the time-stamp's time, and if the chain was good then (CRLs
// included), the signature is VALID. Only a signature whose one failed
// check is its expired chain qualifies.
func validateInPast(rep *Report, opts Options) {
	for i := range rep.Signatures {
		s := &rep.Signatures[i]
		if s.Verdict != Indeterminate || s.Reason != ReasonExpired || s.signer == nil || len(s.ByteRange) != 4 {
			continue
		}
		failed := -1
		for k, c := range s.Checks {
			if !c.OK {
				if failed >= 0 {
					failed = -2
					break
				}
				failed = k
			}
		}
		if failed < 0 || s.Checks[failed].Name != "certificate chain" {
			continue
		}
		end := s.ByteRange[2] + s.ByteRange[3]
		at, by := s.provenAt, "its own signature time-stamp"
		for j := range rep.Signatures {
			t := &rep.Signatures[j]
			if t.Format != "timestamp" || t.Verdict != Valid || len(t.ByteRange) != 4 || t.ByteRange[2]+t.ByteRange[3] <= end {
				continue
			}
			if at.IsZero() || t.SigningTime.Before(at) {
				at, by = t.SigningTime, fmt.Sprintf("the document time-stamp of signature %d (%s)", t.Index, t.Field)
			}
		}
		if at.IsZero() {
			continue
		}
		if _, err := certs.VerifyChain(s.signer, s.chain, opts.Trust, certs.VerifyOptions{Time: at, CRLs: opts.CRLs, KeyUsage: certs.UsageSeal}); err != nil {
			continue
		}
		s.Checks[failed] = Check{Name: "certificate chain", OK: true, Detail: fmt.Sprintf(
			"valid on %s, when %s proves this signature existed; the certificate has expired since",
			at.UTC().Format(time.RFC3339), by)}
		s.Verdict, s.Reason, s.Detail = Valid, ReasonOK, ""
	}
}

func verifySignature(ctx context.Context, r *pdf.Reader, pages []pdf.Page, f pdf.SigField, opts Options) SignatureReport {
	s := SignatureReport{Field: f.Name, Verdict: Valid, Reason: ReasonOK, Checks: []Check{}}
	s.Pages = widgetPages(r, pages, f)
	d := f.Dict
	if sf, ok := d["SubFilter"].(types.Name); ok {
		s.SubFilter = string(sf)
	}

	// The signature dictionary and its byte range (ISO 32000-1 12.8.1).
	br, contents, err := byteRangeAndContents(r, d)
	if err != nil {
		s.check("signature dictionary", false, "%v", err)
		s.fail(Invalid, ReasonFormat, "%v", err)
		return s
	}
	s.ByteRange = br[:]
	revEnd := br[2] + br[3]
	s.CoversWholeFile = revEnd == r.Size()
	if reason, err := checkByteRange(r, f, br); err != nil {
		s.check("byte range covers the revision except /Contents", false, "%v", err)
		s.fail(Invalid, reason, "%v", err)
		return s
	}
	s.check("byte range covers the revision except /Contents", true, "[%d %d %d %d]", br[0], br[1], br[2], br[3])

	// The container: CMS (SM2 or PAdES) or GB/T 38540 SES_Signature.
	var signer *smx509.Certificate
	var chain []*smx509.Certificate
	switch s.SubFilter {
	case "adbe.pkcs7.detached", "ETSI.CAdES.detached":
		signer, chain = verifyCMS(r, br, contents, d, &s)
	case seal.SESSubFilter:
		signer, chain = verifySES(ctx, r, br, contents, &s, opts)
	case "ETSI.RFC3161":
		signer, chain = verifyDocTimestamp(r, br, contents, &s)
	default:
		s.check("signature format", false, "unknown /SubFilter /%s", s.SubFilter)
		s.fail(Indeterminate, ReasonUnsupported, "the /SubFilter /%s is not one this verifier knows", s.SubFilter)
		return s
	}
	if s.Verdict == Invalid {
		return s
	}

	// The embedded GB/T 38540 seal of CMS signatures (/ESeal).
	if s.Format != "ses" {
		if raw, ok := d["ESeal"]; ok {
			der, _ := pdf.Bytes(raw)
			checkSeal(ctx, der, signer, &s, opts)
		}
	}

	// The certificate chain, at the validation time.
	if signer != nil {
		s.signer, s.chain = signer, chain
		checkChain(signer, chain, &s, opts, s.Format == "timestamp")
		checkSignatureTimestamp(&s, opts)
	}

	// What changed after this signature: nothing at all for a
	// certification that allows no changes.
	s.Certification = r.DocMDPLevel(d)
	if s.Certification == pdf.DocMDPNoChanges && !s.CoversWholeFile {
		s.check("changes after signing", false, "the signature certifies the document with no changes allowed (DocMDP P 1), yet later revisions follow")
		s.fail(Invalid, ReasonChanged, "the document was changed after a certification that allows no changes (DocMDP P 1)")
		return s
	}
	if !s.CoversWholeFile {
		changes, err := analyseChanges(r, revEnd)
		if err != nil {
			s.check("changes after signing", false, "%v", err)
			s.fail(Invalid, ReasonChanged, "the revisions after the signature cannot be analysed: %v", err)
			return s
		}
		s.Changes = changes
		bad := 0
		for _, c := range changes {
			if !c.Allowed {
				bad++
			}
		}
		if bad > 0 {
			s.check("changes after signing", false, "%d change(s) not allowed after signing", bad)
			first := ""
			for _, c := range changes {
				if !c.Allowed {
					first = fmt.Sprintf("object %d %s: %s", c.Object, c.Kind, c.What)
					break
				}
			}
			s.fail(Invalid, ReasonChanged, "the document was changed after this signature (%s)", first)
		} else {
			s.check("changes after signing", true, "%d object(s) written later, all of them later signatures or their fields", len(changes))
		}
	}
	return s
}

// byteRangeAndContents reads /ByteRange and /Contents, rejecting every
// malformed variant used by universal signature forgery attacks.
func byteRangeAndContents(r *pdf.Reader, d types.Dict) ([4]int64, []byte, error) {
	var br [4]int64
	raw, ok := d["ByteRange"]
	if !ok {
		return br, nil, errors.New("the signature dictionary has no /ByteRange")
	}
	a, ok := raw.(types.Array)
	if !ok {
		return br, nil, errors.New("/ByteRange is not a direct array")
	}
	if len(a) != 4 {
		return br, nil, fmt.Errorf("/ByteRange has %d numbers, want 4 (one gap for /Contents)", len(a))
	}
	for i, v := range a {
		n, ok := v.(types.Integer)
		if !ok || n < 0 {
			return br, nil, fmt.Errorf("/ByteRange entry %d is not a non-negative integer", i)
		}
		br[i] = int64(n)
	}
	switch {
	case br[0] != 0:
		return br, nil, fmt.Errorf("/ByteRange starts at %d, not at the beginning of the file", br[0])
	case br[1] <= 0 || br[2] <= br[1] || br[3] <= 0:
		return br, nil, fmt.Errorf("/ByteRange %v is degenerate", br)
	case br[2]+br[3] > r.Size():
		return br, nil, fmt.Errorf("/ByteRange %v reaches beyond the end of the file (%d bytes)", br, r.Size())
	}
	c, ok := d["Contents"]
	if !ok {
		return br, nil, errors.New("the signature dictionary has no /Contents")
	}
	contents, ok := pdf.Bytes(c)
	if !ok || len(bytes.TrimRight(contents, "\x00")) == 0 {
		return br, nil, errors.New("/Contents is empty or not a string")
	}
	return br, contents, nil
}

// checkByteRange makes sure the two ranges cover the whole revision that
// ends at br[2]+br[3] except exactly the /Contents string of this
// signature, and that this revision is part of the document's history:
// signature wrapping attacks fail here.
func checkByteRange(r *pdf.Reader, f pdf.SigField, br [4]int64) (Reason, error) {
	gap := make([]byte, br[2]-br[1])
	if _, err := r.ReaderAt().ReadAt(gap, br[1]); err != nil {
		return ReasonByteRange, fmt.Errorf("reading the gap: %v", err)
	}
	if gap[0] != '<' || gap[len(gap)-1] != '>' {
		return ReasonByteRange, errors.New("the bytes left out of the byte range are not a hex string")
	}
	for _, c := range gap[1 : len(gap)-1] {
		if !isHex(c) {
			return ReasonByteRange, errors.New("the bytes left out of the byte range hold more than the signature value")
		}
	}
	// The gap lies inside this signature's own dictionary object.
	if f.Value.Num != 0 {
		start, end, err := r.ObjectSpan(f.Value.Num)
		if err != nil {
			return ReasonByteRange, fmt.Errorf("locating the signature dictionary: %v", err)
		}
		if br[1] < start || br[2] > end {
			return ReasonByteRange, fmt.Errorf("the gap [%d, %d) is not inside the signature dictionary (object %d at [%d, %d))", br[1], br[2], f.Value.Num, start, end)
		}
	} else {
		return ReasonByteRange, errors.New("the signature value is a direct object; it cannot be located in the file")
	}
	revEnd := br[2] + br[3]
	if !r.EndsWithEOF(revEnd) {
		return ReasonByteRange, fmt.Errorf("the signed bytes end at %d, which is not the end of a revision (%%%%EOF)", revEnd)
	}
	if revEnd == r.Size() {
		return ReasonOK, nil
	}
	prefix, err := r.Prefix(revEnd)
	if err != nil {
		return ReasonNotRevision, fmt.Errorf("the signed bytes are not a readable PDF revision: %v", err)
	}
	for _, sec := range r.Sections() {
		if sec.Offset == prefix.StartXRef() {
			return ReasonOK, nil
		}
	}
	return ReasonNotRevision, errors.New("the signed revision is not part of the document's revision history")
}

// unpadded is the DER element at the start of a /Contents value, without
// the zero bytes that pad it to the placeholder's size. The element itself
// may end in a zero byte (a signature value does, one time in 256), so the
// padding is told by the element's length, not by trimming zeros. Input
// that is no DER element, or is followed by more than zeros, comes back
// whole for the parser to report.
func unpadded(contents []byte) []byte {
	s := cryptobyte.String(contents)
	var elem cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1Element(&elem, &tag) {
		return contents
	}
	for _, c := range s {
		if c != 0 {
			return contents
		}
	}
	return elem
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// rangeReader reads the two signed ranges in order.
func rangeReader(r *pdf.Reader, br [4]int64) io.Reader {
	return io.MultiReader(io.NewSectionReader(r.ReaderAt(), br[0], br[1]), io.NewSectionReader(r.ReaderAt(), br[2], br[3]))
}

func digestRanges(r *pdf.Reader, br [4]int64, h hash.Hash) ([]byte, error) {
	if _, err := io.Copy(h, rangeReader(r, br)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// containerFailed records a signature container that could not be read:
// INDETERMINATE when it is merely outside what this verifier supports,
// INVALID when it is malformed.
func containerFailed(s *SignatureReport, err error) {
	s.check("signature container", false, "%v", err)
	if errors.Is(err, cms.ErrUnsupported) {
		s.fail(Indeterminate, ReasonUnsupported, "%v", err)
	} else {
		s.fail(Invalid, ReasonFormat, "%v", err)
	}
}

// others is the certificates that came with a signature, but the signer's:
// the intermediates its chain may need.
func others(all []*smx509.Certificate, signer *smx509.Certificate) []*smx509.Certificate {
	var out []*smx509.Certificate
	for _, c := range all {
		if !c.Equal(signer) {
			out = append(out, c)
		}
	}
	return out
}

func verifyCMS(r *pdf.Reader, br [4]int64, contents []byte, d types.Dict, s *SignatureReport) (*smx509.Certificate, []*smx509.Certificate) {
	sd, err := cms.Parse(contents)
	if err != nil {
		containerFailed(s, err)
		return nil, nil
	}
	switch sd.Profile {
	case cms.SM2:
		s.Format, s.Algorithm = "sm2", "SM2-with-SM3"
		if sd.GMOIDs {
			s.Algorithm += " (GM/T 0010 OIDs)"
		}
	case cms.PAdES:
		s.Format, s.Algorithm = "pades", "ECDSA-P256-with-SHA256"
	case cms.Foreign:
		// Another signer's signature, in a document sealed here later.
		s.Format, s.Algorithm = "cms", sd.Algorithm()
	default:
		s.check("signature container", false, "unsupported algorithms")
		s.fail(Indeterminate, ReasonUnsupported, "the CMS uses algorithms this verifier does not support")
		return nil, nil
	}
	if sd.BER {
		s.check("signature container", true, "CMS SignedData (BER, read as DER), %s", s.Algorithm)
	} else {
		s.check("signature container", true, "CMS SignedData, %s", s.Algorithm)
	}
	if sd.Signer == nil {
		s.check("signer certificate", false, "the certificate the signature names (issuer and serial) is not in the CMS")
		s.fail(Indeterminate, ReasonNoSigningCert, "the signer's certificate is not in the signature")
		return nil, nil
	}
	describeSigner(sd.Signer, s)
	switch {
	case !sd.SigningTime.IsZero():
		s.SigningTime, s.TimeSource = sd.SigningTime, "signingTime attribute, claimed by the signer"
	default:
		if m, ok := d["M"]; ok {
			if t, ok := parsePDFDate(pdf.DecodeText(m)); ok {
				s.SigningTime, s.TimeSource = t, "/M, claimed by the signer"
			}
		}
	}
	digest, err := digestRanges(r, br, sd.NewHash())
	if err != nil {
		s.check("integrity of the signed bytes", false, "%v", err)
		s.fail(Indeterminate, ReasonUnusable, "reading the signed bytes: %v", err)
		return nil, nil
	}
	if err := sd.VerifyDigest(digest); err != nil {
		switch {
		case errors.Is(err, cms.ErrDigestMismatch):
			s.check("integrity of the signed bytes", false, "%v", err)
			s.fail(Invalid, ReasonHash, "the signed bytes were changed: %v", err)
		default:
			s.check("integrity of the signed bytes", true, "message digest matches")
			s.check("signature value", false, "%v", err)
			s.fail(Invalid, ReasonSigCrypto, "%v", err)
		}
		return nil, nil
	}
	s.check("integrity of the signed bytes", true, "%s digest of %d bytes matches", sd.HashName(), br[1]+br[3])
	s.check("signature value", true, "%s signature verifies with the signer's key", s.Algorithm)
	// A signature time-stamp (CAdES/PAdES B-T): a token over the
	// signature value. A broken one makes the signature INVALID; whether
	// its authority is trusted is decided with the chain.
	ts, err := sd.SignatureTimestamp()
	if err == nil && ts != nil {
		err = ts.VerifyContent(bytes.NewReader(sd.Signature))
	}
	if err != nil {
		s.check("signature time-stamp", false, "%v", err)
		s.fail(Invalid, ReasonSigCrypto, "the signature time-stamp does not hold: %v", err)
		return nil, nil
	}
	s.sigTS = ts
	return sd.Signer, others(sd.Certificates, sd.Signer)
}

// checkSignatureTimestamp decides whether a signature time-stamp's
// authority is trusted; if it is, the token's time becomes the signing
// time, and it proves the signature existed then.
func checkSignatureTimestamp(s *SignatureReport, opts Options) {
	ts := s.sigTS
	if ts == nil || ts.Signer == nil {
		return
	}
	chain := others(ts.Certificates, ts.Signer)
	tsa := certs.SubjectString(ts.Signer)
	eku := len(ts.Signer.ExtKeyUsage) == 1 && ts.Signer.ExtKeyUsage[0] == x509.ExtKeyUsageTimeStamping && len(ts.Signer.UnknownExtKeyUsage) == 0
	var err error
	switch {
	case opts.Trust == nil || opts.Trust.Len() == 0:
		err = errors.New("no trust anchors given")
	case !eku:
		err = errors.New("its certificate is not for time-stamping alone")
	default:
		_, err = certs.VerifyChain(ts.Signer, chain, opts.Trust, certs.VerifyOptions{Time: opts.Time, CRLs: opts.CRLs, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	}
	if err != nil {
		s.check("signature time-stamp", true, "token by %s matches the signature, at %s; the authority is not trusted (%v), so its time is not relied on",
			tsa, ts.GenTime.UTC().Format(time.RFC3339), err)
		return
	}
	s.check("signature time-stamp", true, "by %s, trusted: the signature existed at %s", tsa, ts.GenTime.UTC().Format(time.RFC3339))
	s.SigningTime, s.TimeSource = ts.GenTime, "signature time-stamp by "+tsa
	s.provenAt = ts.GenTime
}

// verifyDocTimestamp checks a document time-stamp (ISO 32000-2 12.8.5): an
// RFC 3161 token whose message imprint is the hash of the byte ranges.
func verifyDocTimestamp(r *pdf.Reader, br [4]int64, contents []byte, s *SignatureReport) (*smx509.Certificate, []*smx509.Certificate) {
	s.Format = "timestamp"
	ts, err := cms.ParseTimestamp(contents)
	if err != nil {
		containerFailed(s, err)
		return nil, nil
	}
	if ts.Profile == 0 {
		s.check("signature container", false, "unsupported algorithms")
		s.fail(Indeterminate, ReasonUnsupported, "the time-stamp token uses algorithms this verifier does not support")
		return nil, nil
	}
	s.Algorithm = ts.Algorithm()
	s.check("signature container", true, "RFC 3161 time-stamp token, serial %x, %s", ts.Serial, s.Algorithm)
	if ts.Signer == nil {
		s.check("signer certificate", false, "the time-stamping authority's certificate is not in the token")
		s.fail(Indeterminate, ReasonNoSigningCert, "the time-stamping authority's certificate is not in the token")
		return nil, nil
	}
	describeSigner(ts.Signer, s)
	s.SigningTime, s.TimeSource = ts.GenTime, "time-stamp token, the authority's time"
	if err := ts.VerifyContent(rangeReader(r, br)); err != nil {
		switch {
		case errors.Is(err, cms.ErrDigestMismatch):
			s.check("integrity of the signed bytes", false, "%v", err)
			s.fail(Invalid, ReasonHash, "the time-stamped bytes were changed: %v", err)
		case errors.Is(err, cms.ErrUnsupported):
			s.check("integrity of the signed bytes", false, "%v", err)
			s.fail(Indeterminate, ReasonUnsupported, "%v", err)
		default:
			s.check("integrity of the signed bytes", true, "%s message imprint matches", ts.ImprintHashName())
			s.check("signature value", false, "%v", err)
			s.fail(Invalid, ReasonSigCrypto, "%v", err)
		}
		return nil, nil
	}
	s.check("integrity of the signed bytes", true, "%s message imprint of %d bytes matches", ts.ImprintHashName(), br[1]+br[3])
	s.check("signature value", true, "%s signature of the time-stamping authority verifies", s.Algorithm)
	return ts.Signer, others(ts.Certificates, ts.Signer)
}

func verifySES(ctx context.Context, r *pdf.Reader, br [4]int64, contents []byte, s *SignatureReport, opts Options) (*smx509.Certificate, []*smx509.Certificate) {
	s.Format, s.Algorithm = "ses", "SM2-with-SM3"
	sig, err := ses.ParseSignature(unpadded(contents))
	if err != nil {
		s.check("signature container", false, "%v", err)
		s.fail(Invalid, ReasonFormat, "%v", err)
		return nil, nil
	}
	s.check("signature container", true, "GB/T 38540 SES_Signature v%d", sig.ToSign.Version)
	signer, err := sig.SignerCertificate()
	if err != nil {
		s.check("signer certificate", false, "%v", err)
		s.fail(Invalid, ReasonFormat, "%v", err)
		return nil, nil
	}
	describeSigner(signer, s)
	s.SigningTime, s.TimeSource = sig.ToSign.TimeInfo, "SES timeInfo, claimed by the signer"
	digest, err := digestRanges(r, br, sm3.New())
	if err != nil {
		s.fail(Indeterminate, ReasonUnusable, "reading the signed bytes: %v", err)
		return nil, nil
	}
	if err := sig.Verify(digest); err != nil {
		switch {
		case errors.Is(err, ses.ErrDataHashMismatch):
			s.check("integrity of the signed bytes", false, "%v", err)
			s.fail(Invalid, ReasonHash, "the signed bytes were changed: %v", err)
		case errors.Is(err, ses.ErrSignerNotInCertList):
			s.check("signer authorised by the seal", false, "%v", err)
			s.fail(Invalid, ReasonSignerNotInSeal, "%v", err)
		case errors.Is(err, ses.ErrBadMakerSignature):
			s.check("seal maker signature", false, "%v", err)
			s.fail(Invalid, ReasonSealMaker, "%v", err)
		default:
			s.check("signature value", false, "%v", err)
			s.fail(Invalid, ReasonSigCrypto, "%v", err)
		}
		return nil, nil
	}
	s.check("integrity of the signed bytes", true, "SM3 digest of %d bytes matches dataHash", br[1]+br[3])
	s.check("signature value", true, "SM2 signature over TBS_Sign verifies")
	if len(sig.TimeStamp) > 0 {
		ts, err := cms.ParseTimestamp(sig.TimeStamp)
		if err == nil {
			err = ts.VerifyContent(bytes.NewReader(sig.Signature))
		}
		if err != nil {
			s.check("signature time-stamp", false, "%v", err)
			s.fail(Invalid, ReasonSigCrypto, "the signature time-stamp does not hold: %v", err)
			return nil, nil
		}
		s.sigTS = ts
	}
	der, err := sig.ToSign.ESeal.Marshal()
	if err == nil {
		checkSeal(ctx, der, signer, s, opts)
	}
	return signer, nil
}

// checkSeal checks a GB/T 38540 seal: the maker's signature, that the
// signer is authorised, the validity window at the signing time, and the
// registry status.
func checkSeal(ctx context.Context, der []byte, signer *smx509.Certificate, s *SignatureReport, opts Options) {
	sl, err := ses.ParseSeal(der)
	if err != nil {
		s.check("seal", false, "%v", err)
		s.fail(Invalid, ReasonFormat, "the seal: %v", err)
		return
	}
	p := sl.ESealInfo.Property
	info := &SealInfo{ID: sl.ESealInfo.ESID, Name: p.Name, Type: p.Type, ValidStart: p.ValidStart, ValidEnd: p.ValidEnd}
	if mc, err := sl.MakerCertificate(); err == nil {
		info.Maker = certs.SubjectString(mc)
	}
	s.Seal = info
	if err := sl.VerifyMaker(); err != nil {
		s.check("seal maker signature", false, "%v", err)
		s.fail(Invalid, ReasonSealMaker, "the seal %s: %v", info.ID, err)
		return
	}
	s.check("seal maker signature", true, "seal %s made by %s", info.ID, info.Maker)
	if signer != nil {
		if err := sl.CheckSigner(signer.Raw); err != nil {
			s.check("signer authorised by the seal", false, "%v", err)
			s.fail(Invalid, ReasonSignerNotInSeal, "%v", err)
			return
		}
		s.check("signer authorised by the seal", true, "the signer certificate is in the seal's list")
	}
	at := s.SigningTime
	if at.IsZero() {
		at = opts.Time
	}
	if err := sl.ValidAt(at); err != nil {
		s.check("seal validity", false, "%v", err)
		s.fail(Invalid, ReasonSealNotValid, "%v", err)
		return
	}
	s.check("seal validity", true, "valid %s to %s, used %s", p.ValidStart.Format(time.DateOnly), p.ValidEnd.Format(time.DateOnly), at.Format(time.DateOnly))
	if opts.SealStatus != nil {
		st, err := opts.SealStatus(ctx, info.ID)
		switch {
		case err != nil:
			s.check("seal registry status", false, "%v", err)
			s.fail(Indeterminate, ReasonRevocationUnknown, "the seal registry could not be asked about %s: %v", info.ID, err)
		case st == "revoked":
			info.Status = st
			s.check("seal registry status", false, "revoked")
			s.fail(Invalid, ReasonSealRevoked, "the seal %s is revoked in the seal registry", info.ID)
		case st == "suspended":
			info.Status = st
			s.check("seal registry status", false, "suspended")
			s.fail(Invalid, ReasonSealSuspended, "the seal %s is suspended in the seal registry", info.ID)
		default:
			info.Status = st
			s.check("seal registry status", true, "%s", st)
		}
	}
}

func describeSigner(c *smx509.Certificate, s *SignatureReport) {
	s.Signer = certs.SubjectString(c)
	s.Issuer = certs.IssuerString(c)
	s.Serial = certs.FormatSerial(c.SerialNumber)
}

// checkChain checks the signer's chain to the trust anchors; tsa asks for a
// time-stamping authority's certificate (RFC 3161 2.3: extended key usage
// timeStamping, and nothing else) instead of a seal's.
func checkChain(signer *smx509.Certificate, chain []*smx509.Certificate, s *SignatureReport, opts Options, tsa bool) {
	if opts.Trust == nil || opts.Trust.Len() == 0 {
		s.check("certificate chain", false, "no trust anchors given (--trust)")
		s.fail(Indeterminate, ReasonNoChain, "no trust anchors were given, so the signer cannot be trusted")
		return
	}
	vo := certs.VerifyOptions{Time: opts.Time, CRLs: opts.CRLs, KeyUsage: certs.UsageSeal}
	if tsa {
		if len(signer.ExtKeyUsage) != 1 || signer.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(signer.UnknownExtKeyUsage) > 0 {
			s.check("certificate chain", false, "the certificate is not a time-stamping authority's: its extended key usage must be timeStamping alone")
			s.fail(Invalid, ReasonCertificateInvalid, "certificate %s is not a time-stamping authority's (extended key usage timeStamping)", certs.SubjectString(signer))
			return
		}
		vo.KeyUsage, vo.ExtKeyUsage = 0, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
	}
	_, err := certs.VerifyChain(signer, chain, opts.Trust, vo)
	if err == nil {
		detail := "chains to a trusted certificate"
		if len(opts.CRLs) > 0 {
			detail += ", not revoked according to the CRLs given"
		}
		s.check("certificate chain", true, "%s", detail)
		return
	}
	s.check("certificate chain", false, "%v", err)
	var ce *certs.ChainError
	if !errors.As(err, &ce) {
		s.fail(Indeterminate, ReasonNoChain, "%v", err)
		return
	}
	switch ce.Reason {
	case certs.Revoked:
		s.fail(Invalid, ReasonRevoked, "%v", err)
	case certs.Expired:
		s.fail(Indeterminate, ReasonExpired, "%v; no time-stamp proves the signature existed before", err)
	case certs.NotYetValid:
		s.fail(Indeterminate, ReasonNotYetValid, "%v", err)
	case certs.UnknownIssuer:
		s.fail(Indeterminate, ReasonNoChain, "%v", err)
	case certs.WrongUsage:
		s.fail(Invalid, ReasonUsage, "%v", err)
	case certs.RevocationUnknown:
		s.fail(Indeterminate, ReasonRevocationUnknown, "%v", err)
	case certs.BadSignature, certs.Malformed:
		s.fail(Invalid, ReasonCertificateInvalid, "%v", err)
	default:
		s.fail(Indeterminate, ReasonNoChain, "%v", err)
	}
}

func widgetPages(r *pdf.Reader, pages []pdf.Page, f pdf.SigField) []int {
	var out []int
	for _, w := range f.Widgets {
		wd, err := r.Dict(w.IndirectRef())
		if err != nil || wd == nil {
			continue
		}
		if rect, err := r.Array(wd["Rect"]); err == nil && len(rect) == 4 {
			x0, _ := r.Number(rect[0])
			x1, _ := r.Number(rect[2])
			if x0 == x1 {
				continue // invisible
			}
		}
		pr, ok := pdf.RefOf(wd["P"])
		for i, p := range pages {
			if ok && p.Ref == pr {
				out = append(out, i+1)
			}
		}
	}
	return out
}

// parsePDFDate reads D:YYYYMMDDHHmmSSOHH'mm' (7.9.4).
func parsePDFDate(s string) (time.Time, bool) {
	if len(s) >= 2 && s[:2] == "D:" {
		s = s[2:]
	}
	if len(s) < 14 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", s[:14])
	if err != nil {
		return time.Time{}, false
	}
	rest := s[14:]
	if len(rest) >= 1 && (rest[0] == '+' || rest[0] == '-') && len(rest) >= 3 {
		var hh, mm int
		fmt.Sscanf(rest[1:3], "%d", &hh)
		if len(rest) >= 6 {
			fmt.Sscanf(rest[4:6], "%d", &mm)
		}
		off := hh*3600 + mm*60
		if rest[0] == '-' {
			off = -off
		}
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone("", off))
	}
	return t, true
}
