package verify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/verify"
)

// A certification (DocMDP) holds the document to its level: P 2 lets
// later seals in but not content changes; P 1 lets nothing in, and the
// stamper refuses to add to it.
func TestCertification(t *testing.T) {
	p := sealtest.NewPKI(t)
	opts := verify.Options{Trust: p.Trust()}
	doc := sealtest.Fixture(t, "libreoffice.pdf")
	certify := func(level int) []byte {
		o := p.Options(seal.ModeSM2)
		o.Certify = level
		return sealtest.Stamp(t, doc, o)
	}
	later := p.Options(seal.ModePAdES)
	later.Placement.X = 50

	t.Run("P2", func(t *testing.T) {
		c := certify(2)
		rep := check(t, c, opts)
		expect(t, rep, verify.Valid, verify.ReasonOK)
		if rep.Signatures[0].Certification != 2 || !strings.Contains(text(rep), "DocMDP P 2") {
			t.Fatalf("certification not reported:\n%s", text(rep))
		}
		two := sealtest.Stamp(t, c, later)
		rep = check(t, two, opts)
		expect(t, rep, verify.Valid, verify.ReasonOK)
		if rep.Signatures[1].Certification != 0 {
			t.Fatal("the later seal is reported as a certification")
		}
		// Negative twin: a content change after the certification.
		bad := appendUpdate(t, c, func(r *pdf.Reader, u *pdf.Update) {
			pg := firstPage(t, r)
			content := u.AddStream(types.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (void) Tj ET"))
			d := pg.Dict.Clone().(types.Dict)
			d["Contents"] = content.IndirectRef()
			u.Set(pg.Ref, d)
		})
		expect(t, check(t, bad, opts), verify.Invalid, verify.ReasonChanged)
	})

	t.Run("P1", func(t *testing.T) {
		c := certify(1)
		expect(t, check(t, c, opts), verify.Valid, verify.ReasonOK)
		_, err := seal.Stamp(context.Background(), bytes.NewReader(c), int64(len(c)), io.Discard, later)
		if !errors.Is(err, pdf.ErrCertified) {
			t.Fatalf("stamping a document certified with no changes: %v, want ErrCertified", err)
		}
		// The /Perms entry taken out of the catalog, so that a stamper
		// does not see the certification, then a seal: the certification
		// itself says P 1, and it is broken.
		b := appendUpdate(t, c, func(r *pdf.Reader, u *pdf.Update) {
			cat, ref, err := r.Catalog()
			if err != nil {
				t.Fatal(err)
			}
			cat = cat.Clone().(types.Dict)
			delete(cat, "Perms")
			u.Set(ref, cat)
		})
		b = sealtest.Stamp(t, b, later)
		rep := check(t, b, opts)
		if rep.Signatures[0].Verdict != verify.Invalid || rep.Signatures[0].Reason != verify.ReasonChanged || !strings.Contains(rep.Signatures[0].Detail, "DocMDP P 1") {
			t.Fatalf("a certification allowing no changes, changed:\n%s", text(rep))
		}
	})

	t.Run("only first", func(t *testing.T) {
		signed := sealtest.Stamp(t, doc, p.Options(seal.ModeSM2))
		o := later
		o.Certify = 2
		if _, err := seal.Stamp(context.Background(), bytes.NewReader(signed), int64(len(signed)), io.Discard, o); err == nil || !strings.Contains(err.Error(), "first signature") {
			t.Fatalf("certifying a signed document: %v", err)
		}
		o.Certify = 4
		if _, err := seal.Stamp(context.Background(), bytes.NewReader(doc), int64(len(doc)), io.Discard, o); !errors.Is(err, seal.ErrBadOptions) {
			t.Fatalf("level 4: %v", err)
		}
	})
}
