package ses

// The fixtures in testdata/ are a seal and a signature for each kind of
// certList, with the certificates of their tiny CA, described field by field
// in testdata/fixtures.json. TestFixtures checks every field and every
// signature, so they stay valid; other implementations can use them as test
// vectors. Regenerate with
//
//	go test ./seal/ses/ -run TestFixtures -update
//
// (new keys and signatures, same field values).

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

var update = flag.Bool("update", false, "regenerate the fixtures in testdata/")

type fixtureFile struct {
	Comment    string             `json:"comment"`
	CA         string             `json:"ca"`
	Seals      []fixtureSeal      `json:"seals"`
	Signatures []fixtureSignature `json:"signatures"`
}

type fixtureSeal struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`

	HeaderID      string   `json:"header_id"`
	HeaderVersion int      `json:"header_version"`
	VID           string   `json:"vid"`
	ESID          string   `json:"esID"`
	Type          int      `json:"type"`
	Name          string   `json:"name"`
	CertListType  int      `json:"certListType"`
	Certs         []string `json:"certs,omitempty"`          // files holding the listed DER certificates
	CertDigests   []string `json:"certDigestList,omitempty"` // "TYPE:hex"
	CreateDate    string   `json:"createDate"`
	ValidStart    string   `json:"validStart"`
	ValidEnd      string   `json:"validEnd"`
	PictureType   string   `json:"picture_type"`
	PictureSHA256 string   `json:"picture_sha256"`
	PictureLen    int      `json:"picture_len"`
	Width         int      `json:"width_mm"`
	Height        int      `json:"height_mm"`
	ExtDatas      []fixExt `json:"extDatas"`
	MakerCert     string   `json:"cert"` // file
	SignAlgID     string   `json:"signAlgID"`
}

type fixExt struct {
	ExtnID    string `json:"extnID"`
	Critical  bool   `json:"critical"`
	ExtnValue string `json:"extnValue_hex"`
}

type fixtureSignature struct {
	File           string   `json:"file"`
	SHA256         string   `json:"sha256"`
	Version        int      `json:"version"`
	ESeal          string   `json:"eseal"` // file of the embedded seal
	TimeInfo       string   `json:"timeInfo"`
	Content        string   `json:"content"` // file whose SM3 is dataHash
	DataHash       string   `json:"dataHash_hex"`
	PropertyInfo   string   `json:"propertyInfo"`
	ExtDatas       []fixExt `json:"extDatas,omitempty"`
	SignerCert     string   `json:"cert"`
	SignatureAlgID string   `json:"signatureAlgID"`
	TimeStamp      *string  `json:"timeStamp_hex"` // null when absent
}

const fixtureComment = "GB/T 38540-2020 v4 test vectors made by github.com/eseal-project/eseal/seal/ses " +
	"(fixtures_test.go, -update). Test keys only. SM2 signatures: SM3(Z||M), user ID 1234567812345678, DER (r,s). " +
	"signature-digest.der carries a placeholder timeStamp, not a GB/T 20520 token."

var testTimeStamp = []byte("placeholder, not a GB/T 20520 time stamp token")

func testTBSExtDatas() ExtensionDatas {
	return ExtensionDatas{{ExtnID: asn1.ObjectIdentifier{2, 25, 1, 3}, ExtnValue: []byte("range=/Doc_0")}}
}

// generateFixtures writes testdata/ anew.
func generateFixtures(t *testing.T) {
	p := newPKI(t)
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	write("ca.der", p.ca.cert)
	write("maker.der", p.maker.cert)
	write("signer.der", p.signer.cert)
	write("content.xml", testContent)

	seal := makeTestSeal(t, p)
	write("seal.der", mustMarshal(t, seal))
	write("signature.der", mustMarshal(t, signTest(t, p, seal)))

	dseal, err := MakeSeal(testSealInfo(t, CertListTypeDigests, CertList{CertDigestList: []CertDigestObj{CertDigest(p.signer.cert)}}), p.maker.cert, p.maker.key)
	if err != nil {
		t.Fatal(err)
	}
	write("seal-digest.der", mustMarshal(t, dseal))
	tbs := TBSSign{Version: Version, ESeal: *dseal, TimeInfo: testSignedAt, DataHash: testHash(), PropertyInfo: testProperty, ExtDatas: testTBSExtDatas()}
	dsig, err := signTBS(&tbs, p.signer.cert, p.signer.key, &p.signer.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dsig.TimeStamp = testTimeStamp
	write("signature-digest.der", mustMarshal(t, dsig))

	// The description is written from the intended values, not read back
	// from the files.
	info := testSealInfo(t, CertListTypeCerts, CertList{})
	var exts []fixExt
	for _, x := range info.ExtDatas {
		exts = append(exts, fixExt{x.ExtnID.String(), x.Critical, hex.EncodeToString(x.ExtnValue)})
	}
	pic := sha256.Sum256(info.Picture.Data)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	sealFix := func(file string, listType int, certs, digests []string) fixtureSeal {
		return fixtureSeal{
			File: file, SHA256: fileSHA(t, file),
			HeaderID: HeaderID, HeaderVersion: Version, VID: info.Header.VID, ESID: info.ESID,
			Type: info.Property.Type, Name: info.Property.Name, CertListType: listType, Certs: certs, CertDigests: digests,
			CreateDate: rfc(testCreate), ValidStart: rfc(testCreate), ValidEnd: rfc(testValidEnd),
			PictureType: info.Picture.Type, PictureSHA256: hex.EncodeToString(pic[:]), PictureLen: len(info.Picture.Data),
			Width: info.Picture.Width, Height: info.Picture.Height, ExtDatas: exts,
			MakerCert: "maker.der", SignAlgID: OIDSM2WithSM3.String(),
		}
	}
	d := CertDigest(p.signer.cert)
	ts := hex.EncodeToString(testTimeStamp)
	var tbsExts []fixExt
	for _, x := range testTBSExtDatas() {
		tbsExts = append(tbsExts, fixExt{x.ExtnID.String(), x.Critical, hex.EncodeToString(x.ExtnValue)})
	}
	sigFix := func(file, seal string, exts []fixExt, ts *string) fixtureSignature {
		return fixtureSignature{
			File: file, SHA256: fileSHA(t, file), Version: Version, ESeal: seal,
			TimeInfo: rfc(testSignedAt), Content: "content.xml", DataHash: hex.EncodeToString(testHash()),
			PropertyInfo: testProperty, ExtDatas: exts, SignerCert: "signer.der",
			SignatureAlgID: OIDSM2WithSM3.String(), TimeStamp: ts,
		}
	}
	f := fixtureFile{
		Comment: fixtureComment,
		CA:      "ca.der",
		Seals: []fixtureSeal{
			sealFix("seal.der", CertListTypeCerts, []string{"signer.der"}, nil),
			sealFix("seal-digest.der", CertListTypeDigests, nil, []string{d.Type + ":" + hex.EncodeToString(d.Value)}),
		},
		Signatures: []fixtureSignature{
			sigFix("signature.der", "seal.der", nil, nil),
			sigFix("signature-digest.der", "seal-digest.der", tbsExts, &ts),
		},
	}
	j, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	write("fixtures.json", append(j, '\n'))
}

func fileSHA(t *testing.T, name string) string {
	sum := sha256.Sum256(readTestdata(t, name))
	return hex.EncodeToString(sum[:])
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadFixtures(t testing.TB) fixtureFile {
	t.Helper()
	var f fixtureFile
	if err := json.Unmarshal(readTestdata(t, "fixtures.json"), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Seals) == 0 || len(f.Signatures) == 0 {
		t.Fatal("fixtures.json lists no seals or signatures")
	}
	return f
}

func TestFixtures(t *testing.T) {
	if *update {
		generateFixtures(t)
	}
	f := loadFixtures(t)
	ca, err := smx509.ParseCertificate(readTestdata(t, f.CA))
	if err != nil {
		t.Fatal(err)
	}
	chains := func(name string) {
		c, err := smx509.ParseCertificate(readTestdata(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CheckSignatureFrom(ca); err != nil {
			t.Errorf("%s is not issued by %s: %v", name, f.CA, err)
		}
	}
	for _, want := range f.Seals {
		t.Run(want.File, func(t *testing.T) {
			der := readTestdata(t, want.File)
			check(t, "sha256", fileSHA(t, want.File), want.SHA256)
			s, err := ParseSeal(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustMarshal(t, s), der) {
				t.Error("does not round-trip")
			}
			checkSealFields(t, s, want)
			chains(want.MakerCert)
			if err := s.VerifyMaker(); err != nil {
				t.Errorf("VerifyMaker: %v", err)
			}
		})
	}
	for _, want := range f.Signatures {
		t.Run(want.File, func(t *testing.T) {
			der := readTestdata(t, want.File)
			check(t, "sha256", fileSHA(t, want.File), want.SHA256)
			s, err := ParseSignature(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustMarshal(t, s), der) {
				t.Error("does not round-trip")
			}
			tbs := &s.ToSign
			check(t, "version", tbs.Version, want.Version)
			if !bytes.Equal(mustMarshal(t, &tbs.ESeal), readTestdata(t, want.ESeal)) {
				t.Errorf("eseal is not %s", want.ESeal)
			}
			check(t, "timeInfo", tbs.TimeInfo.Format(time.RFC3339), want.TimeInfo)
			check(t, "dataHash", hex.EncodeToString(tbs.DataHash), want.DataHash)
			check(t, "propertyInfo", tbs.PropertyInfo, want.PropertyInfo)
			checkExts(t, "toSign.extDatas", tbs.ExtDatas, want.ExtDatas)
			check(t, "cert", bytes.Equal(s.Cert, readTestdata(t, want.SignerCert)), true)
			check(t, "signatureAlgID", s.SignatureAlgID.String(), want.SignatureAlgID)
			if want.TimeStamp == nil {
				check(t, "timeStamp absent", s.TimeStamp == nil, true)
			} else {
				check(t, "timeStamp", hex.EncodeToString(s.TimeStamp), *want.TimeStamp)
			}
			chains(want.SignerCert)
			h := sm3.Sum(readTestdata(t, want.Content))
			check(t, "SM3(content)", hex.EncodeToString(h[:]), want.DataHash)
			if err := s.Verify(h[:]); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func checkSealFields(t *testing.T, s *Seal, want fixtureSeal) {
	t.Helper()
	si := &s.ESealInfo
	p := &si.Property
	check(t, "header id", si.Header.ID, want.HeaderID)
	check(t, "header version", si.Header.Version, want.HeaderVersion)
	check(t, "vid", si.Header.VID, want.VID)
	check(t, "esID", si.ESID, want.ESID)
	check(t, "type", p.Type, want.Type)
	check(t, "name", p.Name, want.Name)
	check(t, "certListType", p.CertListType, want.CertListType)
	check(t, "certs", len(p.CertList.Certs), len(want.Certs))
	for i, name := range want.Certs {
		if i < len(p.CertList.Certs) && !bytes.Equal(p.CertList.Certs[i], readTestdata(t, name)) {
			t.Errorf("certs[%d] is not %s", i, name)
		}
	}
	check(t, "certDigestList", len(p.CertList.CertDigestList), len(want.CertDigests))
	for i, d := range want.CertDigests {
		if i < len(p.CertList.CertDigestList) {
			got := p.CertList.CertDigestList[i]
			check(t, "certDigestList entry", got.Type+":"+hex.EncodeToString(got.Value), d)
		}
	}
	check(t, "createDate", p.CreateDate.Format(time.RFC3339), want.CreateDate)
	check(t, "validStart", p.ValidStart.Format(time.RFC3339), want.ValidStart)
	check(t, "validEnd", p.ValidEnd.Format(time.RFC3339), want.ValidEnd)
	pic := sha256.Sum256(si.Picture.Data)
	check(t, "picture type", si.Picture.Type, want.PictureType)
	check(t, "picture sha256", hex.EncodeToString(pic[:]), want.PictureSHA256)
	check(t, "picture length", len(si.Picture.Data), want.PictureLen)
	check(t, "width", si.Picture.Width, want.Width)
	check(t, "height", si.Picture.Height, want.Height)
	checkExts(t, "extDatas", si.ExtDatas, want.ExtDatas)
	check(t, "cert", bytes.Equal(s.Cert, readTestdata(t, want.MakerCert)), true)
	check(t, "signAlgID", s.SignAlgID.String(), want.SignAlgID)
}

func checkExts(t *testing.T, what string, got ExtensionDatas, want []fixExt) {
	t.Helper()
	check(t, what, len(got), len(want))
	for i := range min(len(got), len(want)) {
		check(t, what+" extnID", got[i].ExtnID.String(), want[i].ExtnID)
		check(t, what+" critical", got[i].Critical, want[i].Critical)
		check(t, what+" extnValue", hex.EncodeToString(got[i].ExtnValue), want[i].ExtnValue)
	}
}
