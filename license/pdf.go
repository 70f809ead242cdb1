package license

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/license/render"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/pdf"
)

// CatalogKey is the catalog entry of a license PDF that holds the signed
// license data: << /Token (compact JWS) /Identifier (...) >>. It is written
// before the issuer's seal, so the seal covers it.
const CatalogKey = "ESealLicense"

// PDFMaker turns signed license data into the sealed license PDF: drawn
// from the type's template with a QR code, the signed data embedded, and
// the issuing department's seal stamped by incremental update.
type PDFMaker struct {
	Catalog  *Catalog
	BaseURL  string        // of the citizen page, for the QR code
	Issuer   crypto.Signer // the license issuer's key, which signs the QR payload
	Seal     seal.Options  // the issuer's seal (signer, certificate, seal, picture)
	FontPath string
}

// Make is an IssueRequest.PDF function.
func (m *PDFMaker) Make(ctx context.Context, d *Data, token string) ([]byte, error) {
	return m.make(ctx, d, token, nil)
}

// Copy is an annotated copy's request (加注件).
type Copy struct {
	License   string    `json:"license"`
	Purpose   string    `json:"purpose"`   // 用途
	Requester string    `json:"requester"` // 使用单位
	Until     time.Time `json:"until"`     // the copy is valid until
	MadeAt    time.Time `json:"madeAt"`
}

// TypCopy is the media type of an annotated copy's signed statement.
const TypCopy = "eseal-license-copy+jws"

// CopyKey is the catalog entry of an annotated copy: << /Token (signed Copy) >>.
const CopyKey = "ESealLicenseCopy"

// MakeCopy draws an annotated copy (加注件) of a license: the license face
// with a note stating purpose, requester and expiry, marked 加注件, carrying
// the license's signed data and a signed statement of the annotation, sealed
// by the issuer.
func (m *PDFMaker) MakeCopy(ctx context.Context, d *Data, token string, c *Copy) ([]byte, error) {
	return m.make(ctx, d, token, c)
}

func (m *PDFMaker) make(ctx context.Context, d *Data, token string, annot *Copy) ([]byte, error) {
	t, err := m.Catalog.Type(d.TypeCode)
	if err != nil {
		return nil, err
	}
	payload, err := tokenPayload(token)
	if err != nil {
		return nil, err
	}
	qr, err := QRText(m.BaseURL, d, payload, m.Issuer)
	if err != nil {
		return nil, err
	}
	doc := render.Document{
		Title: t.Template.Title, Subtitle: t.Template.Subtitle, Number: d.Number,
		Issuer: d.Issuer, QRText: qr, QRCaption: "扫码核验", Identifier: d.Identifier, Watermark: t.Template.Watermark,
	}
	if issued, err := time.ParseInLocation(time.DateOnly, d.IssueDate, beijing); err == nil {
		doc.IssueDate = issued
	}
	for _, f := range t.Fields {
		if v := d.Face[f.Key]; v != "" {
			doc.Fields = append(doc.Fields, render.Field{Label: f.Label, Value: v})
		}
	}
	validity := d.ValidFrom + " 至 " + d.ValidTo
	if d.ValidTo == "长期" {
		validity = d.ValidFrom + " 至 长期"
	}
	doc.Fields = append(doc.Fields, render.Field{Label: "有效期", Value: validity})
	if d.Replaces != "" {
		doc.Fields = append(doc.Fields, render.Field{Label: "换发说明", Value: fmt.Sprintf("第 %d 版，换发自 %s", d.Version, d.Replaces)})
	}
	var copyToken string
	if annot != nil {
		note := fmt.Sprintf("本件为电子证照加注件，仅供%s办理%s使用，有效期至%s，他用无效。", annot.Requester, annot.Purpose, annot.Until.In(beijing).Format("2006年01月02日"))
		doc.Fields = append(doc.Fields, render.Field{Label: "加注", Value: note})
		doc.Watermark = "加注件"
		b, err := json.Marshal(annot)
		if err != nil {
			return nil, err
		}
		if copyToken, err = SignToken(m.Issuer, TypCopy, b); err != nil {
			return nil, err
		}
	}
	size := m.Seal.SizeMM
	if size == 0 {
		size = 42
	}
	opts := render.Options{FontPath: m.FontPath, Border: true, Accent: parseColor(t.Template.Accent), SealSize: size}
	raw, box, err := render.Render(doc, opts)
	if err != nil {
		return nil, err
	}
	withData, err := embedToken(raw, d.Identifier, token, copyToken)
	if err != nil {
		return nil, err
	}
	so := m.Seal
	so.Mode = seal.ModeSM2
	if so.Signer != nil && hsm.AlgorithmOf(so.Signer.Public()) == hsm.P256 {
		so.Mode = seal.ModePAdES
	}
	so.Reason = "颁发电子证照 " + d.Identifier
	so.Placement = seal.Placement{Page: 1, X: box.X + box.W/2, Y: box.Y + box.H/2, Corner: seal.BottomLeft}
	so.SizeMM = size
	var out bytes.Buffer
	if _, err := seal.Stamp(ctx, bytes.NewReader(withData), int64(len(withData)), &out, so); err != nil {
		return nil, fmt.Errorf("stamping the license: %w", err)
	}
	return out.Bytes(), nil
}

// embedToken writes the signed license data into the PDF's catalog by
// incremental update.
func embedToken(doc []byte, id, token, copyToken string) ([]byte, error) {
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return nil, err
	}
	cat, ref, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	u := pdf.NewUpdate(r)
	c := cat.Clone().(types.Dict)
	c[CatalogKey] = types.Dict{"Token": types.StringLiteral(token), "Identifier": types.StringLiteral(id)}
	if copyToken != "" {
		c[CopyKey] = types.Dict{"Token": types.StringLiteral(copyToken)}
	}
	u.Set(ref, c)
	ser, err := u.Serialize(int64(len(doc)), []byte("\n"))
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(doc), ser.Bytes...), nil
}

// TokenFromPDF reads the signed license data embedded in a license PDF.
func TokenFromPDF(in io.ReaderAt, size int64) (string, error) {
	r, err := pdf.Open(in, size)
	if err != nil {
		return "", err
	}
	cat, _, err := r.Catalog()
	if err != nil {
		return "", err
	}
	d, err := r.Dict(cat[CatalogKey])
	if err != nil {
		return "", err
	}
	if d == nil {
		return "", errors.New("the PDF carries no license data (not a license issued by this service)")
	}
	b, ok := pdf.Bytes(d["Token"])
	if !ok || len(b) == 0 {
		return "", errors.New("the PDF's license data has no token")
	}
	return string(b), nil
}

func tokenPayload(token string) ([]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrBadToken)
	}
	return base64.RawURLEncoding.DecodeString(parts[1])
}

func parseColor(s string) color.Color {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return nil
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return nil
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// CopyFromPDF reads an annotated copy's signed statement, if the PDF is one.
func CopyFromPDF(in io.ReaderAt, size int64, keys KeyLookup) (*Copy, error) {
	r, err := pdf.Open(in, size)
	if err != nil {
		return nil, err
	}
	cat, _, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	d, err := r.Dict(cat[CopyKey])
	if err != nil || d == nil {
		return nil, err
	}
	b, _ := pdf.Bytes(d["Token"])
	v, err := VerifyToken(string(b), keys)
	if err != nil {
		return nil, err
	}
	if v.Type != TypCopy {
		return nil, fmt.Errorf("%w: an annotated copy's statement has media type %q", ErrBadToken, v.Type)
	}
	var c Copy
	if err := json.Unmarshal(v.Payload, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return &c, nil
}
