package pdf

// Empty signature fields: forms often carry a box for the seal (a
// signature field without a value, placed by the form's author). A seal can
// go into it instead of into a field of its own (ISO 32000-1 12.7.4.5).

import (
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// EmptySigField is an unsigned signature field and its (first) widget.
type EmptySigField struct {
	Name   string
	Field  Ref
	Widget Ref // the same as Field when field and widget are merged
	Page   int // 0-based
	Rect   [4]float64
}

// ErrNoField means the document has no field of that name.
var ErrNoField = errors.New("no such form field")

// EmptySignatureField finds the signature field with the fully qualified
// name and checks that it can take a signature: it has no value yet, and a
// widget on a page.
func (r *Reader) EmptySignatureField(name string) (*EmptySigField, error) {
	cat, _, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	acro, err := r.Dict(cat["AcroForm"])
	if err != nil {
		return nil, err
	}
	fields, err := r.Array(acro["Fields"])
	if err != nil {
		return nil, err
	}
	var found *EmptySigField
	var foundDict types.Dict
	var ft string
	seen := map[int]bool{}
	var walk func(o types.Object, parentName, parentFT string, depth int) error
	walk = func(o types.Object, parentName, parentFT string, depth int) error {
		if depth > maxDepth {
			return broken("field tree deeper than %d", maxDepth)
		}
		ref, ok := RefOf(o)
		if !ok || seen[ref.Num] || found != nil {
			return nil
		}
		seen[ref.Num] = true
		d, err := r.Dict(o)
		if err != nil || d == nil {
			return err
		}
		full := parentName
		if t, ok := d["T"]; ok {
			if full != "" {
				full += "."
			}
			full += DecodeText(t)
		}
		typ := parentFT
		if n, ok := d["FT"].(types.Name); ok {
			typ = string(n)
		}
		if full == name {
			found, foundDict, ft = &EmptySigField{Name: full, Field: ref}, d, typ
			return nil
		}
		kids, err := r.Array(d["Kids"])
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := walk(k, full, typ, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range fields {
		if err := walk(f, "", "", 0); err != nil {
			return nil, err
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoField, name)
	}
	if ft != "Sig" {
		return nil, fmt.Errorf("field %q is not a signature field (/FT /%s)", name, ft)
	}
	if _, signed := foundDict["V"]; signed {
		return nil, fmt.Errorf("signature field %q is already signed", name)
	}
	// The widget: the field itself, or its first kid without a /T.
	wd := foundDict
	found.Widget = found.Field
	if st, _ := foundDict["Subtype"].(types.Name); st != "Widget" {
		kids, _ := r.Array(foundDict["Kids"])
		wd = nil
		for _, k := range kids {
			kd, _ := r.Dict(k)
			if kr, ok := RefOf(k); ok && kd != nil && kd["T"] == nil {
				found.Widget, wd = kr, kd
				break
			}
		}
		if wd == nil {
			return nil, fmt.Errorf("signature field %q has no widget to show a seal in", name)
		}
	}
	rect, err := r.Array(wd["Rect"])
	if err != nil || len(rect) != 4 {
		return nil, fmt.Errorf("signature field %q: its widget has no /Rect", name)
	}
	var v [4]float64
	for i, x := range rect {
		f, ok := r.Number(x)
		if !ok {
			return nil, fmt.Errorf("signature field %q: /Rect is not four numbers", name)
		}
		v[i] = f
	}
	found.Rect = [4]float64{min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])}
	// The page: the widget's /P, else the page whose /Annots lists it.
	pages, err := r.Pages()
	if err != nil {
		return nil, err
	}
	found.Page = -1
	if pr, ok := RefOf(wd["P"]); ok {
		for i, p := range pages {
			if p.Ref == pr {
				found.Page = i
			}
		}
	}
	for i := 0; found.Page < 0 && i < len(pages); i++ {
		annots, _ := r.Array(pages[i].Dict["Annots"])
		for _, a := range annots {
			if ar, ok := RefOf(a); ok && ar == found.Widget {
				found.Page = i
			}
		}
	}
	if found.Page < 0 {
		return nil, fmt.Errorf("signature field %q: its widget is on no page", name)
	}
	return found, nil
}

// fillField signs the empty field f with the signature sigRef: the field
// gets its /V and its widget the appearance (if any). The field and widget
// already belong to the form and the page.
func fillField(r *Reader, u *Update, f *EmptySigField, sigRef, appearance Ref) error {
	fd, err := r.Dict(f.Field.IndirectRef())
	if err != nil || fd == nil {
		return fmt.Errorf("signature field %q: %v", f.Name, err)
	}
	fd = fd.Clone().(types.Dict)
	fd["V"] = sigRef.IndirectRef()
	if f.Widget == f.Field {
		if appearance != (Ref{}) {
			fd["AP"] = types.Dict{"N": appearance.IndirectRef()}
		}
		u.Set(f.Field, fd)
		return nil
	}
	u.Set(f.Field, fd)
	if appearance != (Ref{}) {
		wd, err := r.Dict(f.Widget.IndirectRef())
		if err != nil || wd == nil {
			return fmt.Errorf("signature field %q: its widget: %v", f.Name, err)
		}
		wd = wd.Clone().(types.Dict)
		wd["AP"] = types.Dict{"N": appearance.IndirectRef()}
		u.Set(f.Widget, wd)
	}
	return nil
}
