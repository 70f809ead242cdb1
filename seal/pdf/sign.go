// Signature fields and the /ByteRange–/Contents mechanics of PDF digital
// signatures (ISO 32000-1 12.7.4.5 signature fields, 12.8 digital
// signatures).

package pdf

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Widget is one visible part of a signature field on a page.
type Widget struct {
	Page       int        // 0-based page index
	Rect       [4]float64 // in the page's default user space
	Appearance Ref        // form XObject for /AP /N; zero for none
}

// SigSpec describes a signature to add by incremental update.
type SigSpec struct {
	Filter    string // "Adobe.PPKLite"
	SubFilter string // "adbe.pkcs7.detached", "ETSI.CAdES.detached", ...
	// ContentsSize is the number of bytes reserved for the signature
	// container in /Contents (written as twice as many hex digits).
	ContentsSize int
	Name         string
	Reason       string
	Location     string
	ContactInfo  string
	SigningTime  time.Time // /M; zero omits it
	FieldName    string    // default: "Seal1", "Seal2", ... whichever is free
	Widgets      []Widget  // none: an invisible signature (on the first page)
	App          string    // /Prop_Build /App /Name
	// Extra entries of the signature dictionary, written as hex strings
	// (covered by the signature like the rest of the dictionary).
	Extra map[string][]byte
	// Type is the dictionary's /Type: "Sig" (the default) or
	// "DocTimeStamp" for a document time-stamp (ISO 32000-2 12.8.5).
	Type string
	// Existing, when set, is an empty signature field of the document to
	// sign into (EmptySignatureField); Widgets then holds at most its
	// appearance.
	Existing *EmptySigField
	// DocMDP, when not 0, makes this a certification signature with that
	// access permission (DocMDPNoChanges, DocMDPFormFilling or
	// DocMDPAnnotations). Only a document's first signature may certify.
	DocMDP int
}

// Prepared is a signature laid out in an update, waiting for its value.
type Prepared struct {
	r      *Reader
	u      *Update
	sig    Ref
	spec   SigSpec
	Field  string
	Update *Serialized
	lead   []byte
	// offsets inside Update.Bytes
	contentsAt, contentsEnd int
	ByteRange               [4]int64
}

var errPlaceholderMissing = errors.New("signature placeholder not found")

// AddSignature adds a signature field (with its widgets), the AcroForm
// entries (/SigFlags 3) and a signature dictionary with placeholders to u,
// and lays out the update so that the byte range is known.
func AddSignature(r *Reader, u *Update, spec SigSpec) (*Prepared, error) {
	if spec.ContentsSize <= 0 || spec.ContentsSize > 1<<20 {
		return nil, fmt.Errorf("signature size %d out of range", spec.ContentsSize)
	}
	pages, err := r.Pages()
	if err != nil {
		return nil, err
	}
	cat, catRef, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	if level, err := r.CertificationLevel(); err != nil {
		return nil, err
	} else if level == DocMDPNoChanges {
		return nil, ErrCertified
	}
	var reference string
	if spec.DocMDP != 0 {
		if reference, err = docMDPReference(spec.DocMDP); err != nil {
			return nil, err
		}
		signed, err := r.SignatureFields()
		if err != nil {
			return nil, err
		}
		if len(signed) > 0 {
			return nil, fmt.Errorf("the document already has %d signature(s); only the first signature may certify it", len(signed))
		}
	}
	acro, acroRef, err := acroForm(r, cat)
	if err != nil {
		return nil, err
	}
	fieldsObj := acro["Fields"]
	fields, err := r.Array(fieldsObj)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, f := range fields {
		if d, _ := r.Dict(f); d != nil {
			if _, ok := Bytes(d["T"]); ok {
				taken[DecodeText(d["T"])] = true
			}
		}
	}
	name := spec.FieldName
	if spec.Existing != nil {
		name = spec.Existing.Name
	} else if name != "" && taken[name] {
		return nil, fmt.Errorf("the document already has a field named %q", name)
	}
	if name == "" {
		for i := 1; ; i++ {
			if n := "Seal" + strconv.Itoa(i); !taken[n] {
				name = n
				break
			}
		}
	}

	sigRef := u.Reserve()
	if spec.Existing != nil {
		var app Ref
		if len(spec.Widgets) > 0 {
			app = spec.Widgets[0].Appearance
		}
		if err := fillField(r, u, spec.Existing, sigRef, app); err != nil {
			return nil, err
		}
	}
	var fieldRef Ref
	if spec.Existing != nil {
		fieldRef = spec.Existing.Field
	} else {
		fieldRef = u.Reserve()
	}
	widgets := spec.Widgets
	invisible := len(widgets) == 0
	if invisible {
		widgets = []Widget{{Page: 0}}
	}
	for _, w := range widgets {
		if w.Page < 0 || w.Page >= len(pages) {
			return nil, fmt.Errorf("page %d does not exist (the document has %d)", w.Page+1, len(pages))
		}
	}
	widgetDict := func(w Widget) types.Dict {
		d := types.Dict{
			"Type":    types.Name("Annot"),
			"Subtype": types.Name("Widget"),
			"F":       types.Integer(132), // Print | Locked
			"P":       pages[w.Page].Ref.IndirectRef(),
			"Rect":    types.NewNumberArray(w.Rect[0], w.Rect[1], w.Rect[2], w.Rect[3]),
		}
		if w.Appearance != (Ref{}) {
			d["AP"] = types.Dict{"N": w.Appearance.IndirectRef()}
		}
		return d
	}
	field := types.Dict{"FT": types.Name("Sig"), "T": TextObject(name), "V": sigRef.IndirectRef()}
	annotsByPage := map[int][]Ref{}
	switch {
	case spec.Existing != nil:
		// Field, widget and their places in the form and on the page are
		// there already.
	case len(widgets) == 1:
		for k, v := range widgetDict(widgets[0]) {
			field[k] = v
		}
		u.Set(fieldRef, field)
		annotsByPage[widgets[0].Page] = append(annotsByPage[widgets[0].Page], fieldRef)
	default:
		var kids types.Array
		for _, w := range widgets {
			wd := widgetDict(w)
			wd["Parent"] = fieldRef.IndirectRef()
			wr := u.Add(wd)
			kids = append(kids, wr.IndirectRef())
			annotsByPage[w.Page] = append(annotsByPage[w.Page], wr)
		}
		field["Kids"] = kids
		u.Set(fieldRef, field)
	}

	for pi, refs := range annotsByPage {
		if err := addAnnots(r, u, pages[pi], refs); err != nil {
			return nil, err
		}
	}

	// AcroForm: the new field, and SigFlags SignaturesExist|AppendOnly (12.7.2).
	acro = acro.Clone().(types.Dict)
	if spec.Existing == nil {
		newFields := append(types.Array{}, fields...)
		newFields = append(newFields, fieldRef.IndirectRef())
		if fr, ok := RefOf(fieldsObj); ok {
			u.Set(fr, newFields)
		} else {
			acro["Fields"] = newFields
		}
	}
	flags := 0
	if f, ok := r.Number(acro["SigFlags"]); ok {
		flags = int(f)
	}
	acro["SigFlags"] = types.Integer(flags | 3)
	newCat := cat.Clone().(types.Dict)
	switch {
	case acroRef != (Ref{}):
		u.Set(acroRef, acro)
	default:
		if _, had := cat["AcroForm"]; had {
			newCat["AcroForm"] = acro
		} else {
			newCat["AcroForm"] = u.Add(acro).IndirectRef()
		}
	}
	if spec.DocMDP != 0 {
		// The catalog names the certification signature (12.8.4).
		perms, _ := r.Dict(cat["Perms"])
		if perms == nil {
			perms = types.Dict{}
		}
		perms = perms.Clone().(types.Dict)
		perms["DocMDP"] = sigRef.IndirectRef()
		newCat["Perms"] = perms
	}
	if acroRef == (Ref{}) || spec.DocMDP != 0 {
		u.Set(catRef, newCat)
	}

	body, brAt, cAt := sigDictBody(spec, reference)
	u.SetRaw(sigRef, body)

	lead := []byte(nil)
	if last, _ := r.readAt(r.size-1, 1); len(last) == 1 && last[0] != '\n' && last[0] != '\r' {
		lead = []byte("\n")
	}
	ser, err := u.Serialize(r.size, lead)
	if err != nil {
		return nil, err
	}
	p := &Prepared{r: r, u: u, sig: sigRef, spec: spec, Field: name, Update: ser, lead: lead}
	bodyAt := int(ser.Bodies[sigRef.Num] - ser.Base)
	p.contentsAt = bodyAt + cAt
	p.contentsEnd = p.contentsAt + 2 + 2*spec.ContentsSize
	if ser.Bytes[p.contentsAt] != '<' || ser.Bytes[p.contentsEnd-1] != '>' {
		return nil, errPlaceholderMissing
	}
	total := ser.Base + int64(len(ser.Bytes))
	p.ByteRange = [4]int64{0, ser.Base + int64(p.contentsAt), ser.Base + int64(p.contentsEnd), total - (ser.Base + int64(p.contentsEnd))}
	br := fmt.Sprintf("[0 %d %d %d]", p.ByteRange[1], p.ByteRange[2], p.ByteRange[3])
	slot := ser.Bytes[bodyAt+brAt : bodyAt+brAt+len(byteRangePlaceholder)]
	if len(br) > len(slot) {
		return nil, errors.New("byte range does not fit its placeholder")
	}
	copy(slot, br+strings.Repeat(" ", len(slot)-len(br)))
	return p, nil
}

const byteRangePlaceholder = "[0 0000000000 0000000000 0000000000]"

// sigDictBody writes the signature dictionary (12.8.1, Table 252) with
// fixed-width placeholders; it returns the offsets of the /ByteRange array
// and of the /Contents string within the body.
func sigDictBody(spec SigSpec, reference string) (body []byte, byteRangeAt, contentsAt int) {
	var b bytes.Buffer
	size := 512 + 2*spec.ContentsSize
	for _, v := range spec.Extra {
		size += 2*len(v) + 64
	}
	b.Grow(size)
	typ := spec.Type
	if typ == "" {
		typ = "Sig"
	}
	b.WriteString("<<\n/Type /" + types.EncodeName(typ) + "\n/Filter /")
	b.WriteString(types.EncodeName(spec.Filter))
	b.WriteString("\n/SubFilter /")
	b.WriteString(types.EncodeName(spec.SubFilter))
	if !spec.SigningTime.IsZero() {
		b.WriteString("\n/M ")
		b.WriteString(pdfDate(spec.SigningTime))
	}
	for _, kv := range [][2]string{{"Name", spec.Name}, {"Reason", spec.Reason}, {"Location", spec.Location}, {"ContactInfo", spec.ContactInfo}} {
		if kv[1] != "" {
			b.WriteString("\n/" + kv[0] + " " + TextString(kv[1]))
		}
	}
	if spec.App != "" {
		b.WriteString("\n/Prop_Build << /App << /Name /" + types.EncodeName(spec.App) + " >> >>")
	}
	if reference != "" {
		b.WriteString("\n/Reference " + reference)
	}
	keys := make([]string, 0, len(spec.Extra))
	for k := range spec.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("\n/" + types.EncodeName(k) + " <")
		v := spec.Extra[k]
		at := b.Len()
		b.Write(make([]byte, 2*len(v)))
		hex.Encode(b.Bytes()[at:], v)
		b.WriteString(">")
	}
	b.WriteString("\n/ByteRange ")
	byteRangeAt = b.Len()
	b.WriteString(byteRangePlaceholder)
	b.WriteString("\n/Contents ")
	contentsAt = b.Len()
	b.WriteByte('<')
	b.Write(bytes.Repeat([]byte("0"), 2*spec.ContentsSize))
	b.WriteString(">\n>>")
	return b.Bytes(), byteRangeAt, contentsAt
}

// acroForm returns the interactive form dictionary and, if it is an
// indirect object, its reference.
func acroForm(r *Reader, cat types.Dict) (types.Dict, Ref, error) {
	o, ok := cat["AcroForm"]
	if !ok {
		return types.Dict{}, Ref{}, nil
	}
	ref, indirect := RefOf(o)
	d, err := r.Dict(o)
	if err != nil {
		return nil, Ref{}, err
	}
	if d == nil {
		d = types.Dict{}
		indirect = false
	}
	if !indirect {
		ref = Ref{}
	}
	return d, ref, nil
}

// addAnnots appends annotation references to a page's /Annots.
func addAnnots(r *Reader, u *Update, p Page, refs []Ref) error {
	var add types.Array
	for _, ref := range refs {
		add = append(add, ref.IndirectRef())
	}
	if ar, ok := RefOf(p.Dict["Annots"]); ok {
		old, err := r.Array(p.Dict["Annots"])
		if err != nil {
			return err
		}
		u.Set(ar, append(append(types.Array{}, old...), add...))
		return nil
	}
	d := p.Dict.Clone().(types.Dict)
	old, _ := d["Annots"].(types.Array)
	d["Annots"] = append(append(types.Array{}, old...), add...)
	u.Set(p.Ref, d)
	return nil
}

// Covered returns a reader over exactly the bytes the signature covers:
// the original file and the update without the /Contents string.
func (p *Prepared) Covered() io.Reader {
	b := p.Update.Bytes
	return io.MultiReader(
		io.NewSectionReader(p.r.ra, 0, p.r.size),
		bytes.NewReader(b[:p.contentsAt]),
		bytes.NewReader(b[p.contentsEnd:]),
	)
}

// Write streams the original file to out while hashing it with h, hashes
// the update, asks sign for the signature container over the digest, and
// writes the update with the container in /Contents. The original is read
// once. On error, out may hold a partial file: write to a temporary file.
func (p *Prepared) Write(ctx context.Context, out io.Writer, h hash.Hash, sign func(digest []byte) ([]byte, error)) error {
	src := &ctxReader{ctx: ctx, r: io.NewSectionReader(p.r.ra, 0, p.r.size)}
	if _, err := io.Copy(io.MultiWriter(out, h), src); err != nil {
		return fmt.Errorf("copying the original: %w", err)
	}
	b := p.Update.Bytes
	h.Write(b[:p.contentsAt])
	h.Write(b[p.contentsEnd:])
	sig, err := sign(h.Sum(nil))
	if err != nil {
		return err
	}
	if len(sig) > p.spec.ContentsSize {
		return fmt.Errorf("signature container is %d bytes, more than the %d reserved", len(sig), p.spec.ContentsSize)
	}
	hexSig := make([]byte, 2*len(sig))
	const digits = "0123456789ABCDEF"
	for i, c := range sig {
		hexSig[2*i], hexSig[2*i+1] = digits[c>>4], digits[c&15]
	}
	copy(b[p.contentsAt+1:], hexSig)
	_, err = out.Write(b)
	return err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// pdfDate formats a date string (7.9.4).
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("(D:%s%c%02d'%02d')", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}

// TextString encodes a text string (7.9.2.2): literal PDFDocEncoding-safe
// ASCII as is, anything else as UTF-16BE with a byte order mark, in hex.
func TextString(s string) string {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return "(" + escapeText(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// TextObject is TextString as a pdfcpu object.
func TextObject(s string) types.Object {
	t := TextString(s)
	if t[0] == '<' {
		return types.HexLiteral(t[1 : len(t)-1])
	}
	return types.StringLiteral(t[1 : len(t)-1])
}

var textEscaper = strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)

func escapeText(s string) string { return textEscaper.Replace(s) }
