// Package sealtest builds, for tests, the parties of a stamping: an SM2 and
// a P-256 CA, a seal key with its certificate, a seal maker, a GB/T 38540
// seal, and stamped documents. Keys are in memory; nothing here is used
// outside tests.
package sealtest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/ses"
)

// PKI is a small certificate world for tests.
type PKI struct {
	SM2CA, P256CA     *certs.CA
	SM2CAKey          crypto.Signer
	SealKey, MakerKey crypto.Signer // SM2
	PAdESKey          crypto.Signer // P-256
	SealCert          *smx509.Certificate
	MakerCert         *smx509.Certificate
	PAdESCert         *smx509.Certificate
	Seal              *ses.Seal
	SealDER           []byte
	Picture           *image.NRGBA
}

// NewPKI makes the CAs, keys, certificates and a seal valid for a year.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	ctx := context.Background()
	p := &PKI{}
	mustSM2 := func() *sm2.PrivateKey {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	sm2CAKey := mustSM2()
	caCert, err := certs.SelfSign(sm2CAKey, pkix.Name{CommonName: "某市人民政府 Root CA", Organization: []string{"某市人民政府"}}, certs.ValidDays(3650))
	if err != nil {
		t.Fatal(err)
	}
	p.SM2CAKey = sm2CAKey
	if p.SM2CA, err = certs.NewCA(caCert, sm2CAKey); err != nil {
		t.Fatal(err)
	}
	pKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pCert, err := certs.SelfSign(pKey, pkix.Name{CommonName: "Example City Root CA", Organization: []string{"Example City"}}, certs.ValidDays(3650))
	if err != nil {
		t.Fatal(err)
	}
	if p.P256CA, err = certs.NewCA(pCert, pKey); err != nil {
		t.Fatal(err)
	}
	sealKey, makerKey := mustSM2(), mustSM2()
	p.SealKey, p.MakerKey = sealKey, makerKey
	padesKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.PAdESKey = padesKey
	if p.SealCert, err = p.SM2CA.Issue(ctx, sealKey.Public(), pkix.Name{CommonName: "某市行政审批服务局电子印章", Organization: []string{"某市行政审批服务局"}}, certs.ProfileSeal, certs.ValidDays(365)); err != nil {
		t.Fatal(err)
	}
	if p.MakerCert, err = p.SM2CA.Issue(ctx, makerKey.Public(), pkix.Name{CommonName: "某市印章制作中心", Organization: []string{"某市公安局"}}, certs.ProfileSeal, certs.ValidDays(365)); err != nil {
		t.Fatal(err)
	}
	if p.PAdESCert, err = p.P256CA.Issue(ctx, padesKey.Public(), pkix.Name{CommonName: "Example City Seal", Organization: []string{"Example City"}}, certs.ProfileSeal, certs.ValidDays(365)); err != nil {
		t.Fatal(err)
	}
	p.Picture = Disc(240)
	p.Seal, err = seal.Make(seal.MakeOptions{ID: "ES2026112500000001", Name: "行政审批专用章", Picture: p.Picture,
		Signers: []*smx509.Certificate{p.SealCert}, MakerCert: p.MakerCert, Maker: makerKey})
	if err != nil {
		t.Fatal(err)
	}
	if p.SealDER, err = p.Seal.Marshal(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Disc is a red ring with a red centre on a transparent background: a seal
// picture that needs no font.
func Disc(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	red := color.NRGBA{R: 230, G: 0, B: 18, A: 255}
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			d := math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c)
			if d <= c && d >= c*0.9 || d <= c*0.25 {
				img.SetNRGBA(x, y, red)
			}
		}
	}
	return img
}

// Options returns stamping options for mode with the PKI's keys.
func (p *PKI) Options(mode seal.Mode) seal.Options {
	o := seal.Options{Mode: mode, Picture: p.Picture, Placement: seal.Placement{Page: 1, X: 150, Y: 60}}
	switch mode {
	case seal.ModePAdES:
		o.Signer, o.Cert = p.PAdESKey, p.PAdESCert
	default:
		o.Signer, o.Cert, o.Seal = p.SealKey, p.SealCert, p.SealDER
	}
	return o
}

// Trust is a pool of both CAs.
func (p *PKI) Trust() *certs.Pool {
	return certs.NewPool(p.SM2CA.Certificate(), p.P256CA.Certificate())
}

// Stamp stamps in with opts and returns the output.
func Stamp(t testing.TB, in []byte, opts seal.Options) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := seal.Stamp(context.Background(), bytes.NewReader(in), int64(len(in)), &out, opts); err != nil {
		t.Fatalf("stamp (%s): %v", opts.Mode, err)
	}
	return out.Bytes()
}

// Fixture reads testdata/pdf/NAME at the module root.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Producers are the fixture documents from different producers and
// structures that every stamping test runs over.
var Producers = []string{"libreoffice.pdf", "ghostscript.pdf", "chromium.pdf", "cairo.pdf", "qdf.pdf", "objstm.pdf", "linearized.pdf", "v14.pdf", "v20.pdf"}

// Now is a fixed reference time some tests use.
var Now = time.Now()
