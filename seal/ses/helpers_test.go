package ses

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"image"
	"image/color"
	"image/png"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// party is a test key with its certificate.
type party struct {
	key  *sm2.PrivateKey
	cert []byte // DER
}

// testPKI is a tiny SM2 hierarchy: a CA, the seal maker (制章者), an
// authorised signer (签章者) and a signer the seal does not list.
type testPKI struct {
	ca, maker, signer, stranger party
}

func newKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	testNotBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	testNotAfter  = time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC)
)

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{}
	p.ca.key = newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"CN"}, Organization: []string{"eseal-project"}, CommonName: "eseal test CA (SM2)"},
		NotBefore:             testNotBefore,
		NotAfter:              testNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := smx509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &p.ca.key.PublicKey, p.ca.key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca.cert = der
	caCert, err := smx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, cn string) party {
		k := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{Country: []string{"CN"}, Organization: []string{"eseal-project"}, CommonName: cn},
			NotBefore:    testNotBefore,
			NotAfter:     testNotAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		}
		der, err := smx509.CreateCertificate(rand.Reader, tmpl, caCert.ToX509(), &k.PublicKey, p.ca.key)
		if err != nil {
			t.Fatal(err)
		}
		return party{key: k, cert: der}
	}
	p.maker = issue(2, "eseal test seal maker 制章者")
	p.signer = issue(3, "eseal test signer 签章者")
	p.stranger = issue(4, "eseal test signer not in any certList")
	return p
}

// sealPicture draws a small red seal ring as a PNG, the same bytes every
// time.
func sealPicture(t testing.TB) []byte {
	t.Helper()
	const n = 48
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.Transparent, color.RGBA{0xd0, 0x10, 0x10, 0xff}})
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := x-n/2, y-n/2
			if r := dx*dx + dy*dy; r <= 22*22 && r >= 19*19 || (dx*dx+dy*dy <= 6*6) {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Fixed content of the fixtures and the tests.
var (
	testCreate   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	testValidEnd = time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC)
	testSignedAt = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	testProperty = "/Doc_0/Signs/Sign_0/Signature.xml"
)

// testSealInfo is the seal information of the fixtures, with the given
// signer list.
func testSealInfo(t testing.TB, certListType int, list CertList) SealInfo {
	return SealInfo{
		Header: Header{ID: HeaderID, Version: Version, VID: "eseal-project"},
		ESID:   "ESEAL-TEST-0001",
		Property: PropertyInfo{
			Type:         1,
			Name:         "测试单位 电子公章 (test only)",
			CertListType: certListType,
			CertList:     list,
			CreateDate:   testCreate,
			ValidStart:   testCreate,
			ValidEnd:     testValidEnd,
		},
		Picture: PictureInfo{Type: "PNG", Data: sealPicture(t), Width: 42, Height: 42},
		// Arc 2.25 (X.667 UUID OIDs) needs no registration; these are
		// test values only.
		ExtDatas: ExtensionDatas{
			{ExtnID: asn1.ObjectIdentifier{2, 25, 1, 1}, Critical: false, ExtnValue: []byte("unit=Example Bureau")},
			{ExtnID: asn1.ObjectIdentifier{2, 25, 1, 2}, Critical: true, ExtnValue: []byte{0x01}},
		},
	}
}

// makeTestSeal makes the seal of the fixtures listing p.signer.
func makeTestSeal(t testing.TB, p *testPKI) *Seal {
	t.Helper()
	s, err := MakeSeal(testSealInfo(t, CertListTypeCerts, CertList{Certs: [][]byte{p.signer.cert}}), p.maker.cert, p.maker.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
