// Chain verification that always says which certificate failed and why.
//
// smx509's Certificate.Verify reports an expired intermediate, a forged
// signature and a missing CA all as "unknown authority" with a hint in
// unexported fields, and "not yet valid" as Expired. So VerifyChain builds
// the chains itself (RFC 5280 6 in the shape of crypto/x509's path
// builder), checks time, CA constraints, key usage and revocation with its
// own messages, and runs smx509's Verify over the chain it accepted as a
// second opinion (name constraints, EKU nesting).

package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Reason classifies why a chain is not valid.
type Reason int

const (
	// Malformed: a certificate cannot be processed (unhandled critical
	// extension, violated name constraint, missing certificate).
	Malformed Reason = iota + 1
	// Expired: a certificate's notAfter is before the time checked.
	Expired
	// NotYetValid: a certificate's notBefore is after the time checked.
	NotYetValid
	// UnknownIssuer: no chain leads to a trusted certificate.
	UnknownIssuer
	// BadSignature: a certificate's signature does not verify with its
	// issuer's key (it was altered, or forged).
	BadSignature
	// WrongUsage: a certificate is used for what it may not do: a leaf
	// without the required key usage, an issuer that is not a CA.
	WrongUsage
	// Revoked: a valid CRL from the issuer lists the certificate.
	Revoked
	// RevocationUnknown: revocation could not be checked: the issuer's CRL
	// is expired, forged or missing while one was required.
	RevocationUnknown
)

var reasonCodes = map[Reason]string{
	Malformed:         "malformed",
	Expired:           "expired",
	NotYetValid:       "not-yet-valid",
	UnknownIssuer:     "unknown-issuer",
	BadSignature:      "bad-signature",
	WrongUsage:        "wrong-usage",
	Revoked:           "revoked",
	RevocationUnknown: "revocation-unknown",
}

// String is a stable code for reports: "expired", "unknown-issuer", ...
func (r Reason) String() string {
	if s, ok := reasonCodes[r]; ok {
		return s
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// ChainError says why a chain is not valid: what (Reason), for which
// certificate (Cert), and in words (Detail). Err is the underlying error
// when there is one.
type ChainError struct {
	Reason Reason
	Cert   *smx509.Certificate
	Detail string
	Err    error
}

func (e *ChainError) Error() string {
	if e.Cert == nil {
		return "certificate " + e.Detail
	}
	return "certificate " + SubjectString(e.Cert) + " " + e.Detail
}

func (e *ChainError) Unwrap() error { return e.Err }

// VerifyOptions says what VerifyChain checks besides the chain itself.
type VerifyOptions struct {
	// Time to check validity, CRL freshness and revocation at; now if zero.
	// A certificate revoked after Time was still good at Time.
	Time time.Time
	// CRLs to check revocation with. A CRL applies to the certificates whose
	// issuer's name it carries; it must verify with that issuer's key and
	// be current at Time, else the result is RevocationUnknown.
	CRLs []*CRL
	// RequireCRL makes a missing CRL an error: every certificate in the
	// chain except the trust anchor needs a CRL from its issuer among CRLs.
	RequireCRL bool
	// KeyUsage bits the leaf must allow, e.g. UsageSeal. When set, the leaf
	// must carry a keyUsage extension: a seal is a legal act and a
	// certificate that does not say it may make one is not taken to.
	KeyUsage x509.KeyUsage
	// ExtKeyUsage, when set, needs one of these (or anyExtendedKeyUsage) in
	// the leaf's extendedKeyUsage, if it has one; no extension allows all.
	ExtKeyUsage []x509.ExtKeyUsage
}

// maxChainLen bounds path building; real chains have two to four
// certificates.
const maxChainLen = 8

// maxSignatureChecks bounds path building work, as crypto/x509 does.
const maxSignatureChecks = 100

// VerifyChain verifies leaf up to a certificate in roots, using
// intermediates as needed, and returns the chain, leaf first. On failure
// the error is a *ChainError naming the certificate and the reason. Name
// constraints are checked; policies are not.
func VerifyChain(leaf *smx509.Certificate, intermediates []*smx509.Certificate, roots *Pool, opts VerifyOptions) ([]*smx509.Certificate, error) {
	if leaf == nil {
		return nil, &ChainError{Reason: Malformed, Detail: "is missing: nothing to verify"}
	}
	t := opts.Time
	if t.IsZero() {
		t = time.Now()
	}
	if roots.Len() == 0 {
		return nil, &ChainError{Reason: UnknownIssuer, Cert: leaf, Detail: "cannot be verified: the trust store is empty"}
	}
	b := &chainBuilder{inter: NewPool(intermediates...), roots: roots}
	b.extend([]*smx509.Certificate{leaf})
	if len(b.chains) == 0 {
		if b.badSig != nil {
			return nil, b.badSig
		}
		if b.unknown != nil {
			return nil, b.unknown
		}
		return nil, &ChainError{Reason: UnknownIssuer, Cert: leaf, Detail: "has no chain to a trusted CA"}
	}
	var first error
	for _, chain := range b.chains {
		err := checkChain(chain, t, opts)
		if err == nil {
			return chain, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// chainBuilder finds every chain from a leaf to a root, remembering why
// dead ends died.
type chainBuilder struct {
	inter, roots *Pool
	chains       [][]*smx509.Certificate
	sigChecks    int

	badSig       *ChainError // first signature that failed with a matching issuer
	unknown      *ChainError // the highest certificate whose issuer was missing
	unknownDepth int
}

func (b *chainBuilder) extend(chain []*smx509.Certificate) {
	c := chain[len(chain)-1]
	if len(chain) == 1 && b.roots.Contains(c) {
		b.chains = append(b.chains, chain)
		return
	}
	if len(chain) > maxChainLen {
		b.setUnknown(c, len(chain), fmt.Sprintf("is more than %d certificates away from a trusted CA", maxChainLen))
		return
	}
	found := false
	var otherKey *smx509.Certificate
	try := func(p *smx509.Certificate, isRoot bool) {
		if inChain(p, chain) {
			return
		}
		if len(c.AuthorityKeyId) > 0 && len(p.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, p.SubjectKeyId) {
			otherKey = p
			return
		}
		found = true
		if b.sigChecks++; b.sigChecks > maxSignatureChecks {
			return
		}
		if err := checkCertSignature(c, p); err != nil {
			if b.badSig == nil {
				b.badSig = &ChainError{Reason: BadSignature, Cert: c, Err: err,
					Detail: fmt.Sprintf("has an invalid signature: it does not verify with the key of its issuer %s (%v)", SubjectString(p), err)}
			}
			return
		}
		next := append(append([]*smx509.Certificate(nil), chain...), p)
		if isRoot {
			b.chains = append(b.chains, next)
			return
		}
		b.extend(next)
	}
	for _, p := range b.roots.named(c.RawIssuer) {
		try(p, true)
	}
	for _, p := range b.inter.named(c.RawIssuer) {
		try(p, false)
	}
	if found {
		return
	}
	detail := fmt.Sprintf("was issued by %s, which is neither trusted nor among the intermediate certificates given", IssuerString(c))
	if otherKey != nil {
		detail = fmt.Sprintf("was issued by %s with key %x, but the known CA of that name has key %x (another CA with the same name?)",
			IssuerString(c), c.AuthorityKeyId, otherKey.SubjectKeyId)
	}
	b.setUnknown(c, len(chain), detail)
}

func (b *chainBuilder) setUnknown(c *smx509.Certificate, depth int, detail string) {
	if b.unknown == nil || depth > b.unknownDepth {
		b.unknown = &ChainError{Reason: UnknownIssuer, Cert: c, Detail: detail}
		b.unknownDepth = depth
	}
}

func inChain(c *smx509.Certificate, chain []*smx509.Certificate) bool {
	for _, x := range chain {
		if bytes.Equal(x.Raw, c.Raw) || bytes.Equal(x.RawSubject, c.RawSubject) && publicKeysEqual(x.PublicKey, c.PublicKey) {
			return true
		}
	}
	return false
}

// insecure lists signature algorithms whose signatures prove nothing.
var insecure = map[x509.SignatureAlgorithm]bool{
	x509.MD2WithRSA: true, x509.MD5WithRSA: true,
	x509.SHA1WithRSA: true, x509.DSAWithSHA1: true, x509.ECDSAWithSHA1: true,
}

// checkCertSignature checks c's signature with issuer's key alone; whether
// issuer may issue certificates is checkChain's business.
func checkCertSignature(c, issuer *smx509.Certificate) error {
	if insecure[c.SignatureAlgorithm] {
		return fmt.Errorf("insecure signature algorithm %s", SignatureAlgorithmName(c.SignatureAlgorithm))
	}
	return issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
}

// checkChain checks a chain whose signatures verify, in order of gravity:
// malformed certificates, issuers that may not issue, revocation, time,
// leaf usage, then revocation that could not be checked.
func checkChain(chain []*smx509.Certificate, t time.Time, opts VerifyOptions) error {
	leaf := chain[0]
	for _, c := range chain {
		if len(c.UnhandledCriticalExtensions) > 0 {
			return &ChainError{Reason: Malformed, Cert: c, Detail: fmt.Sprintf("has a critical extension this verifier does not know (%s)", c.UnhandledCriticalExtensions[0])}
		}
	}
	for i := 1; i < len(chain); i++ {
		if err := checkIssuer(chain[i], chain[i-1], i-1); err != nil {
			return err
		}
	}
	revoked, unknown := checkRevocation(chain, t, opts)
	if revoked != nil {
		return revoked
	}
	for _, c := range chain {
		if t.Before(c.NotBefore) {
			return &ChainError{Reason: NotYetValid, Cert: c, Detail: fmt.Sprintf("is not valid before %s (checked at %s)", rfc3339(c.NotBefore), rfc3339(t))}
		}
		if t.After(c.NotAfter) {
			return &ChainError{Reason: Expired, Cert: c, Detail: fmt.Sprintf("expired at %s (checked at %s)", rfc3339(c.NotAfter), rfc3339(t))}
		}
	}
	if err := checkLeafUsage(leaf, opts); err != nil {
		return err
	}
	if unknown != nil {
		return unknown
	}
	return secondOpinion(chain, t, opts)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkIssuer checks that ca may have issued child, below which are below
// intermediate CAs (RFC 5280 6.1.4 (k), (l), (n)).
func checkIssuer(ca, child *smx509.Certificate, below int) error {
	if ca.Version == 3 && !ca.BasicConstraintsValid || ca.BasicConstraintsValid && !ca.IsCA {
		return &ChainError{Reason: WrongUsage, Cert: ca, Detail: fmt.Sprintf("is not a CA (basicConstraints cA is not set) but issued %s", SubjectString(child))}
	}
	if ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return &ChainError{Reason: WrongUsage, Cert: ca, Detail: fmt.Sprintf("may not sign certificates (keyUsage %s) but issued %s", KeyUsageString(ca.KeyUsage), SubjectString(child))}
	}
	if ca.BasicConstraintsValid && ca.MaxPathLen >= 0 && below > ca.MaxPathLen {
		return &ChainError{Reason: WrongUsage, Cert: ca, Detail: fmt.Sprintf("allows %d intermediate CAs below it (pathLenConstraint) but the chain has %d", ca.MaxPathLen, below)}
	}
	return nil
}

func checkLeafUsage(leaf *smx509.Certificate, opts VerifyOptions) error {
	if want := opts.KeyUsage; want != 0 && leaf.KeyUsage&want != want {
		detail := fmt.Sprintf("may be used for %s only, not for %s", KeyUsageString(leaf.KeyUsage), KeyUsageString(want&^leaf.KeyUsage))
		if leaf.KeyUsage == 0 {
			detail = fmt.Sprintf("has no keyUsage extension; %s is required", KeyUsageString(want))
		}
		return &ChainError{Reason: WrongUsage, Cert: leaf, Detail: detail}
	}
	if len(opts.ExtKeyUsage) == 0 || len(leaf.ExtKeyUsage)+len(leaf.UnknownExtKeyUsage) == 0 {
		return nil
	}
	for _, have := range leaf.ExtKeyUsage {
		if have == x509.ExtKeyUsageAny {
			return nil
		}
		for _, want := range opts.ExtKeyUsage {
			if have == want {
				return nil
			}
		}
	}
	return &ChainError{Reason: WrongUsage, Cert: leaf, Detail: fmt.Sprintf("has extendedKeyUsage %s; %s is required",
		ExtKeyUsageString(leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage), ExtKeyUsageString(opts.ExtKeyUsage, nil))}
}

// checkRevocation looks up every certificate but the trust anchor in the
// CRLs from its issuer. revoked is set when a usable CRL lists one; unknown
// when a certificate's status could not be established.
func checkRevocation(chain []*smx509.Certificate, t time.Time, opts VerifyOptions) (revoked, unknown *ChainError) {
	for i := 0; i+1 < len(chain); i++ {
		c, issuer := chain[i], chain[i+1]
		var usable []*CRL
		var problem error
		for _, crl := range opts.CRLs {
			if crl == nil || !bytes.Equal(crl.RawIssuer, c.RawIssuer) {
				continue
			}
			if err := crl.Check(issuer, t); err != nil {
				if problem == nil {
					problem = err
				}
				continue
			}
			usable = append(usable, crl)
		}
		for _, crl := range usable {
			e, ok := crl.Lookup(c.SerialNumber)
			if !ok || e.RevocationTime.After(t) {
				continue
			}
			detail := fmt.Sprintf("was revoked at %s", rfc3339(e.RevocationTime))
			if e.ReasonCode != 0 {
				detail += fmt.Sprintf(" (%s)", RevocationReason(e.ReasonCode))
			}
			detail += fmt.Sprintf(" according to %s (checked at %s)", crl.describe(), rfc3339(t))
			return &ChainError{Reason: Revoked, Cert: c, Detail: detail}, nil
		}
		if len(usable) > 0 || unknown != nil {
			continue
		}
		switch {
		case problem != nil:
			unknown = &ChainError{Reason: RevocationUnknown, Cert: c, Err: problem,
				Detail: "has unknown revocation status: " + problem.Error()}
		case opts.RequireCRL:
			unknown = &ChainError{Reason: RevocationUnknown, Cert: c, Err: errNoCRL,
				Detail: fmt.Sprintf("has unknown revocation status: no CRL from its issuer %s was given", SubjectString(issuer))}
		}
	}
	return nil, unknown
}

var errNoCRL = errors.New("no CRL from the issuer")

// secondOpinion runs smx509's verifier over exactly the chain accepted, so
// that what it checks and this file does not (name constraints, EKU
// nesting through CAs) is not lost.
func secondOpinion(chain []*smx509.Certificate, t time.Time, opts VerifyOptions) error {
	roots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	for i := 1; i < len(chain)-1; i++ {
		inter.AddCert(chain[i])
	}
	ekus := opts.ExtKeyUsage
	if len(ekus) == 0 {
		ekus = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	_, err := chain[0].Verify(smx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: t, KeyUsages: ekus})
	if err == nil {
		return nil
	}
	ce := &ChainError{Reason: Malformed, Cert: chain[0], Err: err, Detail: "is rejected by the X.509 verifier: " + err.Error()}
	var inv x509.CertificateInvalidError
	var unk smx509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv):
		if inv.Cert != nil {
			ce.Cert = (*smx509.Certificate)(inv.Cert)
		}
		switch inv.Reason {
		case x509.Expired:
			ce.Reason = Expired
			if t.Before(inv.Cert.NotBefore) {
				ce.Reason = NotYetValid
			}
		case x509.NotAuthorizedToSign, x509.TooManyIntermediates, x509.IncompatibleUsage,
			x509.CANotAuthorizedForExtKeyUsage, x509.CANotAuthorizedForThisName:
			ce.Reason = WrongUsage
		}
	case errors.As(err, &unk):
		ce.Reason = UnknownIssuer
	}
	return ce
}
