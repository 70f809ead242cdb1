package pdf

// Certification (ISO 32000-1 12.8.2.2, DocMDP): the first signature of a
// document may certify it and say which changes it allows afterwards. A
// certification that allows none (P 1) is broken by any later seal, so the
// stamper refuses such a document, and the verifier holds every
// certification to its level.

import (
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// The access permissions of a certification signature (Table 254).
const (
	DocMDPNoChanges   = 1 // no changes at all
	DocMDPFormFilling = 2 // filling in forms, instantiating page templates and signing
	DocMDPAnnotations = 3 // those, and annotations
)

// ErrCertified means that the document is certified with no changes
// allowed (DocMDP P 1): a seal, or any other change, would break the
// certification.
var ErrCertified = errors.New("the document is certified with no changes allowed (DocMDP P 1)")

// DocMDPLevel is the access permission a signature dictionary certifies,
// from its /Reference array (the entry is covered by the signature), or 0
// when the signature certifies nothing. A /P that is missing is 2, its
// default; one that is not 1, 2 or 3 is read as 1, the strictest.
func (r *Reader) DocMDPLevel(sig types.Dict) int {
	refs, _ := r.Array(sig["Reference"])
	for _, o := range refs {
		ref, _ := r.Dict(o)
		if ref == nil {
			continue
		}
		if m, _ := r.Resolve(ref["TransformMethod"]); m != types.Name("DocMDP") {
			continue
		}
		params, _ := r.Dict(ref["TransformParams"])
		p, ok := r.Number(params["P"])
		switch {
		case params == nil || !ok && params["P"] == nil:
			return DocMDPFormFilling
		case p == 1 || p == 2 || p == 3:
			return int(p)
		default:
			return DocMDPNoChanges
		}
	}
	return 0
}

// CertificationLevel is the access permission of the document's
// certification signature, the one the catalog's /Perms /DocMDP names, or
// 0 when the document is not certified.
func (r *Reader) CertificationLevel() (int, error) {
	cat, _, err := r.Catalog()
	if err != nil {
		return 0, err
	}
	perms, err := r.Dict(cat["Perms"])
	if err != nil || perms == nil {
		return 0, err
	}
	sig, err := r.Dict(perms["DocMDP"])
	if err != nil || sig == nil {
		return 0, err
	}
	return r.DocMDPLevel(sig), nil
}

// docMDPReference is the /Reference entry of a certification signature
// with access permission p.
func docMDPReference(p int) (string, error) {
	if p < DocMDPNoChanges || p > DocMDPAnnotations {
		return "", fmt.Errorf("certification level %d: want 1 (no changes), 2 (forms and signatures) or 3 (also annotations)", p)
	}
	return fmt.Sprintf("[<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>]", p), nil
}
