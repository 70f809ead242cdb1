package seal

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/seal/appearance"
	"github.com/eseal-project/eseal/seal/ses"
)

// MakeOptions describe a GB/T 38540 seal to make.
type MakeOptions struct {
	ID      string // esID; default NewSealID()
	Name    string // 印章名称, e.g. 行政审批专用章
	Type    int    // seal type; default 1 (organisation seal)
	Vendor  string // header vid; default "eseal"
	Picture *image.NRGBA
	SizeMM  float64 // picture width and height; default 42
	// Signers are the certificates allowed to sign with the seal.
	Signers    []*smx509.Certificate
	ValidStart time.Time // default now
	ValidEnd   time.Time // default the earliest expiry of the signers
	MakerCert  *smx509.Certificate
	Maker      crypto.Signer // the seal maker's key (制章人)
}

// NewSealID makes a seal identifier: "ES", the date and 10 random digits.
func NewSealID(t time.Time) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e10))
	return fmt.Sprintf("ES%s%010d", t.Format("20060102"), n)
}

// Make draws up and signs a seal (GB/T 38540-2020 6).
func Make(o MakeOptions) (*ses.Seal, error) {
	if o.Name == "" {
		return nil, errors.New("make seal: a seal name is required")
	}
	if o.Picture == nil {
		return nil, fmt.Errorf("make seal: %w", ErrNoPicture)
	}
	if len(o.Signers) == 0 || o.MakerCert == nil || o.Maker == nil {
		return nil, errors.New("make seal: a signer certificate, the maker's certificate and the maker's key are required")
	}
	now := time.Now()
	if o.ID == "" {
		o.ID = NewSealID(now)
	}
	if o.Type == 0 {
		o.Type = 1
	}
	if o.Vendor == "" {
		o.Vendor = "eseal"
	}
	if o.SizeMM == 0 {
		o.SizeMM = 42
	}
	if o.ValidStart.IsZero() {
		o.ValidStart = now
	}
	if o.ValidEnd.IsZero() {
		for _, c := range o.Signers {
			if o.ValidEnd.IsZero() || c.NotAfter.Before(o.ValidEnd) {
				o.ValidEnd = c.NotAfter
			}
		}
	}
	if !o.ValidEnd.After(o.ValidStart) {
		return nil, fmt.Errorf("make seal: validity ends (%s) before it starts (%s)", o.ValidEnd.Format(time.RFC3339), o.ValidStart.Format(time.RFC3339))
	}
	png, err := appearance.EncodePNG(o.Picture)
	if err != nil {
		return nil, err
	}
	var certList [][]byte
	for _, c := range o.Signers {
		certList = append(certList, c.Raw)
	}
	info := ses.SealInfo{
		Header: ses.Header{ID: ses.HeaderID, Version: ses.Version, VID: o.Vendor},
		ESID:   o.ID,
		Property: ses.PropertyInfo{
			Type: o.Type, Name: o.Name, CertListType: ses.CertListTypeCerts, CertList: ses.CertList{Certs: certList},
			CreateDate: now, ValidStart: o.ValidStart, ValidEnd: o.ValidEnd,
		},
		Picture: ses.PictureInfo{Type: "PNG", Data: png, Width: int(o.SizeMM + 0.5), Height: int(o.SizeMM + 0.5)},
	}
	return ses.MakeSeal(info, o.MakerCert.Raw, o.Maker)
}

// Picture returns a seal's picture and its size in millimetres, for the
// stamp's appearance.
func Picture(s *ses.Seal) (*image.NRGBA, float64, error) {
	p := s.ESealInfo.Picture
	if p.Type != "PNG" && p.Type != "png" {
		return nil, 0, fmt.Errorf("seal %s: picture type %q: only PNG pictures can be drawn", s.ESealInfo.ESID, p.Type)
	}
	img, err := appearance.DecodePNG(p.Data)
	if err != nil {
		return nil, 0, fmt.Errorf("seal %s: picture: %w", s.ESealInfo.ESID, err)
	}
	return img, float64(p.Width), nil
}
