// What changed after a signature. An approval seal allows later
// signatures (their signature dictionaries, fields, widgets and the
// widgets' appearance streams) and nothing that alters what the document
// shows or holds: page content, resources, annotations, form fields,
// optional content, actions. This is what makes the incremental saving,
// shadow (hide, replace, hide-and-replace) and evil-annotation attacks of
// the PDF security literature come out INVALID.

package verify

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/eseal-project/eseal/seal/pdf"
)

type objClass int

const (
	classOther objClass = iota
	classSigDict
	classSigField
	classWidget
	classAppearance
	classContainer // object and xref streams: holders, judged by what they hold
	classDSS
)

// analyseChanges compares the revision that ends at revEnd with the
// document as it is now.
func analyseChanges(final *pdf.Reader, revEnd int64) ([]Change, error) {
	old, err := final.Prefix(revEnd)
	if err != nil {
		return nil, err
	}
	a := &analysis{final: final, old: old, revEnd: revEnd, class: map[int]objClass{}, objs: map[int]types.Object{}}
	return a.run()
}

type analysis struct {
	final, old *pdf.Reader
	revEnd     int64
	written    []int // objects whose current version was written after revEnd
	removed    []int
	class      map[int]objClass
	objs       map[int]types.Object
	changes    []Change
	reachable  map[int]bool // from the final trailer; computed when needed
}

func (a *analysis) run() ([]Change, error) {
	// Which objects were written after the signature?
	inOld := map[int]bool{}
	for _, n := range a.old.ObjectNumbers() {
		inOld[n] = true
	}
	for _, n := range a.final.ObjectNumbers() {
		loc := a.final.Locate(n)
		if loc.Offset >= a.revEnd {
			a.written = append(a.written, n)
		}
	}
	for n := range inOld {
		if !a.final.Locate(n).InUse {
			a.removed = append(a.removed, n)
		}
	}
	sort.Ints(a.written)
	sort.Ints(a.removed)

	// Hidden objects and trailing data: bytes a repairing viewer might
	// show although no cross-reference section lists them.
	if err := a.hiddenObjects(); err != nil {
		return nil, err
	}

	// Classify new and rewritten objects.
	for _, n := range a.written {
		o, err := a.final.Object(n)
		if err != nil {
			return nil, fmt.Errorf("object %d: %v", n, err)
		}
		a.objs[n] = o
		a.class[n] = classify(o)
	}
	// Appearances and DSS entries are allowed only as the property of an
	// allowed widget or of the catalog's /DSS.
	for _, n := range a.written {
		switch a.class[n] {
		case classWidget, classSigField:
			if a.isSignatureWidget(n) {
				a.markAppearance(a.objs[n])
			}
		}
	}
	if cat, _, err := a.final.Catalog(); err == nil {
		if dss, ok := cat["DSS"]; ok {
			a.mark(dss, classDSS, 0)
		}
	}

	for _, n := range a.written {
		newObj := a.objs[n]
		oldObj, oldErr := a.old.Object(n)
		if oldErr == nil && sameObject(a.old, a.final, oldObj, newObj) {
			continue // written again unchanged
		}
		kind := "added"
		if oldErr == nil {
			kind = "modified"
		}
		what, ok := a.judge(n, kind, oldObj, newObj)
		if !ok && !a.isReachable(n) {
			// Nothing in the document leads to it, so no viewer shows
			// it or acts on it; signers leave such objects behind (pdfsig
			// does). Making it reachable takes a change to an object that
			// is, which is judged on its own.
			what, ok = "an object nothing in the document refers to, so it is never shown or used: "+describe(newObj), true
		}
		a.changes = append(a.changes, Change{Object: n, Kind: kind, What: what, Allowed: ok})
	}
	for _, n := range a.removed {
		o, _ := a.old.Object(n)
		if classify(o) == classContainer {
			continue
		}
		a.changes = append(a.changes, Change{Object: n, Kind: "removed", What: describe(o), Allowed: false})
	}
	sort.SliceStable(a.changes, func(i, j int) bool { return a.changes[i].Object < a.changes[j].Object })
	return a.changes, nil
}

// isReachable reports whether object n can be reached from the final
// trailer's /Root or /Info by following references.
func (a *analysis) isReachable(n int) bool {
	if a.reachable == nil {
		a.reachable = map[int]bool{}
		var todo []types.Object
		t := a.final.Trailer()
		todo = append(todo, t["Root"], t["Info"])
		for len(todo) > 0 {
			o := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			if ref, ok := pdf.RefOf(o); ok {
				if a.reachable[ref.Num] {
					continue
				}
				a.reachable[ref.Num] = true
				var err error
				if o, err = a.final.Object(ref.Num); err != nil {
					continue
				}
			}
			switch v := o.(type) {
			case types.Dict:
				for _, x := range v {
					todo = append(todo, x)
				}
			case pdf.Stream:
				for _, x := range v.Dict {
					todo = append(todo, x)
				}
			case types.Array:
				todo = append(todo, v...)
			}
		}
	}
	return a.reachable[n]
}

// hiddenObjects reports object headers after the signed revision that no
// cross-reference section points at, and anything after the last %%EOF.
func (a *analysis) hiddenObjects() error {
	trailing, err := a.final.Trailing()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(bytes.Trim(trailing, "\x00"))) > 0 {
		a.changes = append(a.changes, Change{Kind: "added", What: fmt.Sprintf("%d bytes after the last %%%%EOF", len(trailing)), Allowed: false})
	}
	headers, err := a.final.ObjectHeaders(a.revEnd, a.final.Size())
	if err != nil {
		return err
	}
	listed := map[int64]bool{}
	for _, n := range a.written {
		listed[a.final.Locate(n).Offset] = true
	}
	// Offsets of xref stream objects and of superseded versions written in
	// later updates are listed in some section.
	for _, sec := range a.final.Sections() {
		listed[sec.Offset] = true
	}
	streams := a.streamSpans()
	for _, h := range headers {
		if listed[h[2]] || inSpans(streams, h[2]) {
			continue
		}
		if a.listedInSomeSection(int(h[0]), h[2]) {
			continue
		}
		a.changes = append(a.changes, Change{Object: int(h[0]), Kind: "added",
			What: fmt.Sprintf("object %d %d at offset %d is in the file but in no cross-reference section", h[0], h[1], h[2]), Allowed: false})
	}
	return nil
}

// listedInSomeSection: an object version superseded by a yet later update
// is still a legitimate part of the file's history.
func (a *analysis) listedInSomeSection(num int, offset int64) bool {
	for _, sec := range a.final.Sections() {
		if sec.Offset < a.revEnd {
			continue
		}
		p, err := a.final.Prefix(sectionEnd(a.final, sec))
		if err != nil {
			continue
		}
		if loc := p.Locate(num); loc.InUse && loc.Offset == offset {
			return true
		}
	}
	return false
}

func sectionEnd(r *pdf.Reader, sec pdf.Section) int64 {
	// The revision of a section ends at the first %%EOF after it.
	for end := sec.Offset + 5; end <= r.Size(); end++ {
		if r.EndsWithEOF(end) {
			for end < r.Size() && r.EndsWithEOF(end+1) {
				end++
			}
			return end
		}
	}
	return r.Size()
}

func (a *analysis) streamSpans() [][2]int64 {
	var spans [][2]int64
	for _, n := range a.written {
		if s, ok := a.objs[n].(pdf.Stream); ok {
			spans = append(spans, [2]int64{s.Offset, s.Offset + s.Length})
		} else if o, err := a.final.Object(n); err == nil {
			if s, ok := o.(pdf.Stream); ok {
				spans = append(spans, [2]int64{s.Offset, s.Offset + s.Length})
			}
		}
	}
	return spans
}

func inSpans(spans [][2]int64, off int64) bool {
	for _, s := range spans {
		if off >= s[0] && off < s[1] {
			return true
		}
	}
	return false
}

func dictOf(o types.Object) types.Dict {
	switch v := o.(type) {
	case types.Dict:
		return v
	case pdf.Stream:
		return v.Dict
	}
	return nil
}

func name(d types.Dict, key string) string {
	if n, ok := d[key].(types.Name); ok {
		return string(n)
	}
	return ""
}

func classify(o types.Object) objClass {
	d := dictOf(o)
	if d == nil {
		return classOther
	}
	switch name(d, "Type") {
	case "Sig", "DocTimeStamp":
		return classSigDict
	case "ObjStm", "XRef":
		return classContainer
	}
	if name(d, "FT") == "Sig" {
		return classSigField
	}
	if name(d, "Subtype") == "Widget" {
		return classWidget
	}
	if _, ok := d["ByteRange"]; ok {
		if _, ok := d["Contents"]; ok {
			return classSigDict
		}
	}
	return classOther
}

// isSignatureWidget: a signature field (merged with its widget or not) whose
// value is a new signature dictionary, or a widget whose parent is one.
func (a *analysis) isSignatureWidget(n int) bool {
	d := dictOf(a.objs[n])
	if d == nil {
		return false
	}
	if name(d, "FT") != "Sig" {
		pr, ok := pdf.RefOf(d["Parent"])
		if !ok {
			return false
		}
		pd, err := a.final.Dict(pr.IndirectRef())
		if err != nil || pd == nil || name(pd, "FT") != "Sig" {
			return false
		}
		d = pd
	}
	vr, ok := pdf.RefOf(d["V"])
	if !ok {
		return false
	}
	return a.class[vr.Num] == classSigDict && a.isWritten(vr.Num)
}

func (a *analysis) isWritten(n int) bool {
	i := sort.SearchInts(a.written, n)
	return i < len(a.written) && a.written[i] == n
}

// markAppearance marks the objects a widget's /AP reaches as its
// appearance (form XObjects, images, masks, fonts they use).
func (a *analysis) markAppearance(o types.Object) {
	d := dictOf(o)
	if d == nil {
		return
	}
	if ap, ok := d["AP"]; ok {
		a.mark(ap, classAppearance, 0)
	}
}

func (a *analysis) mark(o types.Object, c objClass, depth int) {
	if depth > 32 {
		return
	}
	if ref, ok := pdf.RefOf(o); ok {
		if !a.isWritten(ref.Num) {
			return // old objects are judged on their own
		}
		if a.class[ref.Num] == c {
			return
		}
		if a.class[ref.Num] != classOther {
			return
		}
		a.class[ref.Num] = c
		o = a.objs[ref.Num]
	}
	switch v := o.(type) {
	case types.Dict:
		for k, x := range v {
			if k == "Parent" || k == "P" {
				continue
			}
			a.mark(x, c, depth+1)
		}
	case pdf.Stream:
		a.mark(v.Dict, c, depth+1)
	case types.Array:
		for _, x := range v {
			a.mark(x, c, depth+1)
		}
	}
}

// judge decides whether one new or rewritten object is an allowed change.
func (a *analysis) judge(n int, kind string, oldObj, newObj types.Object) (string, bool) {
	switch a.class[n] {
	case classSigDict:
		if kind == "added" {
			return "a later signature", true
		}
		return "a signature dictionary was rewritten", false
	case classSigField, classWidget:
		if kind == "added" {
			if a.isSignatureWidget(n) {
				return "the field and widget of a later signature", true
			}
			return "a new form field or widget that is not a signature: " + describe(newObj), false
		}
		if ok := a.fieldSigned(oldObj, newObj); ok {
			return "an empty signature field was signed", true
		}
		if a.widgetOfSignedField(n, oldObj, newObj) {
			return "the widget of an empty signature field that was signed got its appearance", true
		}
		return "a form field or widget was changed", false
	case classAppearance:
		return "the appearance of a later signature's widget", true
	case classDSS:
		return "validation data (/DSS) for long-term validation", true
	case classContainer:
		return "object or cross-reference stream", true
	}
	if what, ok, isArray := a.judgeArray(oldObj, newObj); isArray {
		return what, ok
	}
	infoRef, hasInfo := pdf.RefOf(a.final.Trailer()["Info"])
	if kind == "added" {
		if a.isAcroForm(n) {
			return a.judgeAcroForm(nil, dictOf(newObj))
		}
		if _, isDict := newObj.(types.Dict); isDict && hasInfo && n == infoRef.Num {
			return "document information (metadata) was written anew", true
		}
		return "a new object that is neither a signature nor part of one: " + describe(newObj), false
	}
	oldD, newD := dictOf(oldObj), dictOf(newObj)
	if _, isStream := newObj.(pdf.Stream); isStream || oldD == nil || newD == nil {
		return "changed content: " + describe(oldObj), false
	}
	// Rewritten dictionaries: the catalog, the form, pages, arrays.
	rootRef, _ := pdf.RefOf(a.final.Trailer()["Root"])
	switch {
	case n == rootRef.Num:
		return a.judgeCatalog(oldD, newD)
	case hasInfo && n == infoRef.Num:
		return "document information (metadata) was updated", true
	case name(oldD, "Type") == "Page":
		return a.judgePage(oldD, newD)
	case a.isAcroForm(n):
		return a.judgeAcroForm(oldD, newD)
	}
	return "changed object: " + describe(oldObj), false
}

// Arrays are judged where they are used: the Fields and Annots arrays.
func (a *analysis) judgeArray(oldObj, newObj types.Object) (string, bool, bool) {
	newA, ok := newObj.(types.Array)
	if !ok {
		return "", false, false
	}
	oldA, _ := oldObj.(types.Array) // nil for a new array
	if !a.appendsSignatures(oldA, newA) {
		return "an array was changed other than by adding later signatures", false, true
	}
	return "later signatures added to a list of fields or annotations", true, true
}

// appendsSignatures: newA is oldA followed by new signature fields/widgets.
func (a *analysis) appendsSignatures(oldA, newA types.Array) bool {
	if len(newA) < len(oldA) {
		return false
	}
	for i := range oldA {
		if !equalValue(oldA[i], newA[i]) {
			return false
		}
	}
	for _, x := range newA[len(oldA):] {
		ref, ok := pdf.RefOf(x)
		if !ok || !a.isWritten(ref.Num) || !a.isSignatureWidget(ref.Num) {
			return false
		}
	}
	return true
}

func (a *analysis) judgeCatalog(oldD, newD types.Dict) (string, bool) {
	for _, k := range keysUnion(oldD, newD) {
		if k == "AcroForm" || k == "DSS" || k == "Extensions" {
			continue
		}
		if !equalValue(oldD[k], newD[k]) {
			return fmt.Sprintf("the catalog's /%s was changed", k), false
		}
	}
	// A direct AcroForm is judged here; an indirect one as its own object.
	oldF, _ := oldD["AcroForm"].(types.Dict)
	newF, newDirect := newD["AcroForm"].(types.Dict)
	if newDirect {
		if oldF == nil {
			if ref, ok := pdf.RefOf(oldD["AcroForm"]); ok {
				oldF, _ = a.old.Dict(ref.IndirectRef())
			}
		}
		if what, ok := a.judgeAcroForm(oldF, newF); !ok {
			return what, false
		}
	}
	return "the catalog gained a form entry for later signatures", true
}

func (a *analysis) isAcroForm(n int) bool {
	cat, _, err := a.final.Catalog()
	if err != nil {
		return false
	}
	ref, ok := pdf.RefOf(cat["AcroForm"])
	return ok && ref.Num == n
}

func (a *analysis) judgeAcroForm(oldD, newD types.Dict) (string, bool) {
	if oldD == nil {
		oldD = types.Dict{}
	}
	for _, k := range keysUnion(oldD, newD) {
		switch k {
		case "Fields", "SigFlags", "DR", "DA":
			continue
		case "NeedAppearances":
			if b, ok := newD[k].(types.Boolean); ok && bool(b) {
				return "the form asks viewers to redraw field appearances (/NeedAppearances)", false
			}
			continue
		}
		if !equalValue(oldD[k], newD[k]) {
			return fmt.Sprintf("the form's /%s was changed", k), false
		}
	}
	oldFields, _ := a.old.Array(oldD["Fields"])
	newFields, _ := a.final.Array(newD["Fields"])
	if !a.appendsSignatures(oldFields, newFields) {
		return "form fields were changed other than by adding later signatures", false
	}
	return "the form lists later signature fields", true
}

func (a *analysis) judgePage(oldD, newD types.Dict) (string, bool) {
	for _, k := range keysUnion(oldD, newD) {
		if k == "Annots" {
			continue
		}
		if !equalValue(oldD[k], newD[k]) {
			return fmt.Sprintf("a page's /%s was changed", k), false
		}
	}
	oldA, _ := a.old.Array(oldD["Annots"])
	newA, _ := a.final.Array(newD["Annots"])
	if !a.appendsSignatures(oldA, newA) {
		return "a page's annotations were changed other than by adding later signatures", false
	}
	return "a page lists the widget of a later signature", true
}

// fieldSigned: an empty signature field that received its value.
func (a *analysis) fieldSigned(oldObj, newObj types.Object) bool {
	oldD, newD := dictOf(oldObj), dictOf(newObj)
	if oldD == nil || newD == nil || name(newD, "FT") != "Sig" && name(oldD, "FT") != "Sig" {
		return false
	}
	if _, had := oldD["V"]; had {
		return false
	}
	for _, k := range keysUnion(oldD, newD) {
		switch k {
		case "V", "AP", "Lock", "SV":
			continue
		}
		if !equalValue(oldD[k], newD[k]) {
			return false
		}
	}
	vr, ok := pdf.RefOf(newD["V"])
	return ok && a.class[vr.Num] == classSigDict
}

// widgetOfSignedField: the widget (a kid without /T) of a signature field
// that was empty and is now signed, changed only in its appearance.
func (a *analysis) widgetOfSignedField(n int, oldObj, newObj types.Object) bool {
	oldD, newD := dictOf(oldObj), dictOf(newObj)
	if oldD == nil || newD == nil || newD["T"] != nil || !a.isSignatureWidget(n) {
		return false
	}
	for _, k := range keysUnion(oldD, newD) {
		if k != "AP" && !equalValue(oldD[k], newD[k]) {
			return false
		}
	}
	pr, ok := pdf.RefOf(newD["Parent"])
	if !ok {
		return false
	}
	oldParent, err := a.old.Dict(pr.IndirectRef())
	if err != nil || oldParent == nil {
		return false
	}
	_, had := oldParent["V"]
	return !had
}

func keysUnion(a, b types.Dict) []string {
	seen := map[string]bool{}
	var out []string
	for k := range a {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for k := range b {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// equalValue compares two direct values by what they mean, not by how
// they are written: writers that rewrite an object (pdfsig does, when it
// adds its widget to a page) print numbers with other precision, integers
// as reals and strings in hex. Numbers within numberTolerance are equal.
func equalValue(a, b types.Object) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && math.Abs(x-y) <= numberTolerance
	}
	switch va := a.(type) {
	case types.Dict:
		vb, ok := b.(types.Dict)
		if !ok || len(va) != len(vb) {
			return false
		}
		for k, x := range va {
			y, ok := vb[k]
			if !ok || !equalValue(x, y) {
				return false
			}
		}
		return true
	case types.Array:
		vb, ok := b.(types.Array)
		if !ok || len(va) != len(vb) {
			return false
		}
		for i := range va {
			if !equalValue(va[i], vb[i]) {
				return false
			}
		}
		return true
	case types.StringLiteral, types.HexLiteral:
		x, okA := pdf.Bytes(a)
		y, okB := pdf.Bytes(b)
		return okA && okB && bytes.Equal(x, y)
	}
	return a.PDFString() == b.PDFString()
}

// numberTolerance: a ten-thousandth of a point (1/720000 inch) is far
// below anything a viewer can show, and far above the rounding of writers
// that print ten or six decimals.
const numberTolerance = 1e-4

func number(o types.Object) (float64, bool) {
	switch v := o.(type) {
	case types.Integer:
		return float64(v), true
	case types.Float:
		return float64(v), true
	}
	return 0, false
}

// sameObject compares two versions of an object: dictionaries and arrays by
// their serialisation, streams by dictionary and raw data.
func sameObject(oldR, newR *pdf.Reader, a, b types.Object) bool {
	sa, aStream := a.(pdf.Stream)
	sb, bStream := b.(pdf.Stream)
	if aStream != bStream {
		return false
	}
	if !aStream {
		return equalValue(a, b)
	}
	da, db := sa.Dict.Clone().(types.Dict), sb.Dict.Clone().(types.Dict)
	delete(da, "Length")
	delete(db, "Length")
	if !equalValue(da, db) || sa.Length != sb.Length {
		return false
	}
	if sa.Length > 64<<20 {
		return false
	}
	ba := make([]byte, sa.Length)
	bb := make([]byte, sb.Length)
	if _, err := oldR.ReaderAt().ReadAt(ba, sa.Offset); err != nil {
		return false
	}
	if _, err := newR.ReaderAt().ReadAt(bb, sb.Offset); err != nil {
		return false
	}
	return bytes.Equal(ba, bb)
}

func describe(o types.Object) string {
	d := dictOf(o)
	if d == nil {
		switch o.(type) {
		case types.Array:
			return "an array"
		case nil:
			return "an object"
		}
		return "a value"
	}
	parts := ""
	if t := name(d, "Type"); t != "" {
		parts = "/Type /" + t
	}
	if st := name(d, "Subtype"); st != "" {
		if parts != "" {
			parts += " "
		}
		parts += "/Subtype /" + st
	}
	if _, ok := o.(pdf.Stream); ok {
		if parts == "" {
			return "a stream (e.g. page content)"
		}
		return "a stream " + parts
	}
	if parts == "" {
		return "a dictionary"
	}
	return "a dictionary " + parts
}
