package verify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/verify"
)

// withEmptyField adds to doc, as a form's author would, an empty form
// field on page 1: a signature field (merged with its widget, or with a
// kid widget) or, with ft "Tx", a text field.
func withEmptyField(t *testing.T, doc []byte, name, ft string, kid bool) []byte {
	return appendUpdate(t, doc, func(r *pdf.Reader, u *pdf.Update) {
		p := firstPage(t, r)
		rect := types.NewNumberArray(380, 60, 540, 200)
		widget := types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Widget"), "Rect": rect, "P": p.Ref.IndirectRef(), "F": types.Integer(4)}
		field := types.Dict{"FT": types.Name(ft), "T": pdf.TextObject(name)}
		var fieldRef, widgetRef pdf.Ref
		if kid {
			fieldRef = u.Reserve()
			widget["Parent"] = fieldRef.IndirectRef()
			widgetRef = u.Add(widget)
			field["Kids"] = types.Array{widgetRef.IndirectRef()}
			u.Set(fieldRef, field)
		} else {
			for k, v := range widget {
				field[k] = v
			}
			fieldRef = u.Add(field)
			widgetRef = fieldRef
		}
		d := p.Dict.Clone().(types.Dict)
		old, _ := r.Array(p.Dict["Annots"])
		d["Annots"] = append(append(types.Array{}, old...), widgetRef.IndirectRef())
		u.Set(p.Ref, d)
		cat, catRef, err := r.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		cat = cat.Clone().(types.Dict)
		cat["AcroForm"] = types.Dict{"Fields": types.Array{fieldRef.IndirectRef()}}
		u.Set(catRef, cat)
	})
}

// A seal goes into a form's empty signature field: it takes the field's
// name and box, an earlier seal stays valid, pdfsig and qpdf agree, and
// the field cannot be signed twice. Negative twins: moving the signed
// field's box afterwards, a field that does not exist or is no signature
// field.
func TestSealIntoEmptyField(t *testing.T) {
	p := sealtest.NewPKI(t)
	opts := verify.Options{Trust: p.Trust()}
	base := sealtest.Fixture(t, "ghostscript.pdf")
	for _, kid := range []bool{false, true} {
		name := "merged"
		if kid {
			name = "kid widget"
		}
		t.Run(name, func(t *testing.T) {
			form := withEmptyField(t, base, "盖章处", "Sig", kid)
			// An ordinary seal first, then the form's box filled.
			first := sealtest.Stamp(t, form, p.Options(seal.ModeSM2))
			o := p.Options(seal.ModePAdES)
			o.Placement = seal.Placement{Field: "盖章处"}
			filled := sealtest.Stamp(t, first, o)
			rep := check(t, filled, opts)
			expect(t, rep, verify.Valid, verify.ReasonOK)
			// The form's field comes first in the field tree.
			if len(rep.Signatures) != 2 || rep.Signatures[0].Field != "盖章处" || rep.Signatures[0].Format != "pades" || len(rep.Signatures[0].Pages) != 1 || rep.Signatures[0].Pages[0] != 1 {
				t.Fatalf("the seal is not in the form's field:\n%s", text(rep))
			}
			// poppler reads the value of a signature field whose one widget
			// is a kid from the widget, not from the field (where /V
			// belongs, ISO 32000-1 12.7.3.1), and calls it unsigned.
			checkIndependentTools(t, filled, !kid)

			// The field is signed now.
			if _, err := seal.Stamp(context.Background(), bytes.NewReader(filled), int64(len(filled)), io.Discard, o); err == nil || !strings.Contains(err.Error(), "already signed") {
				t.Fatalf("signing the field twice: %v", err)
			}
			// Negative twin: the signed field's box moved afterwards.
			moved := appendUpdate(t, filled, func(r *pdf.Reader, u *pdf.Update) {
				f, err := r.SignatureFields()
				if err != nil {
					t.Fatal(err)
				}
				w := f[0].Widgets[0]
				d, _ := r.Dict(w.IndirectRef())
				d = d.Clone().(types.Dict)
				d["Rect"] = types.NewNumberArray(0, 0, 595, 842)
				u.Set(w, d)
			})
			rep = check(t, moved, opts)
			if rep.Signatures[0].Verdict != verify.Invalid || rep.Signatures[1].Verdict != verify.Invalid {
				t.Fatalf("the signed field's widget moved:\n%s", text(rep))
			}
		})
	}
	o := p.Options(seal.ModeSM2)
	o.Placement = seal.Placement{Field: "no such field"}
	form := withEmptyField(t, base, "盖章处", "Sig", false)
	if _, err := seal.Stamp(context.Background(), bytes.NewReader(form), int64(len(form)), io.Discard, o); !errors.Is(err, seal.ErrPlacement) {
		t.Errorf("an unknown field: %v, want ErrPlacement", err)
	}
	text := withEmptyField(t, base, "申请人", "Tx", false)
	o.Placement = seal.Placement{Field: "申请人"}
	if _, err := seal.Stamp(context.Background(), bytes.NewReader(text), int64(len(text)), io.Discard, o); err == nil || !strings.Contains(err.Error(), "not a signature field") {
		t.Errorf("a text field: %v", err)
	}
}

// checkIndependentTools: qpdf finds no error, and pdfsig calls the PAdES
// signatures valid.
func checkIndependentTools(t *testing.T, b []byte, withPdfsig bool) {
	t.Helper()
	qpdf := testenv.Tool(t, "qpdf", "qpdf")
	pdfsig := testenv.Tool(t, "pdfsig", "poppler-utils")
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, nil, qpdf, "--check", f)
	if !withPdfsig {
		return
	}
	out, _ := testenv.Output(nil, pdfsig, f)
	if !strings.Contains(out, "Signature is Valid.") {
		t.Fatalf("pdfsig:\n%s", out)
	}
}
