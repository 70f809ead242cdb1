package ses

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var testContent = []byte(`<ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016">test content</ofd:Signature>`)

func testHash() []byte { h := sm3.Sum(testContent); return h[:] }

func signTest(t *testing.T, p *testPKI, seal *Seal) *Signature {
	t.Helper()
	sig, err := Sign(seal, p.signer.cert, p.signer.key, testHash(), testProperty, testSignedAt)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestMakeSignVerify(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	if err := seal.VerifyMaker(); err != nil {
		t.Fatalf("VerifyMaker: %v", err)
	}
	if err := seal.ValidAt(testSignedAt); err != nil {
		t.Fatalf("ValidAt: %v", err)
	}
	sealDER := mustMarshal(t, seal)
	again, err := ParseSeal(sealDER)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustMarshal(t, again), sealDER) {
		t.Fatal("seal does not round-trip")
	}

	sig := signTest(t, p, seal)
	if err := sig.Verify(testHash()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	sigDER := mustMarshal(t, sig)
	parsed, err := ParseSignature(sigDER)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustMarshal(t, parsed), sigDER) {
		t.Fatal("signature does not round-trip")
	}
	if err := parsed.Verify(testHash()); err != nil {
		t.Fatalf("Verify after parsing: %v", err)
	}
	// The seal inside the signature is byte for byte the seal.
	if !bytes.Equal(mustMarshal(t, &parsed.ToSign.ESeal), sealDER) {
		t.Fatal("embedded seal differs from the seal")
	}
	if parsed.ToSign.TimeInfo != testSignedAt || parsed.ToSign.PropertyInfo != testProperty || parsed.ToSign.Version != Version {
		t.Fatalf("TBS_Sign fields: %+v", parsed.ToSign)
	}
}

func TestMakeSealNormalises(t *testing.T) {
	p := newPKI(t)
	info := testSealInfo(t, CertListTypeCerts, CertList{Certs: [][]byte{p.signer.cert}})
	info.Header.ID, info.Header.Version = "", 0
	cst := time.FixedZone("CST", 8*3600)
	info.Property.ValidStart = time.Date(2025, 1, 1, 8, 0, 0, 123456789, cst)
	seal, err := MakeSeal(info, p.maker.cert, p.maker.key)
	if err != nil {
		t.Fatal(err)
	}
	if h := seal.ESealInfo.Header; h.ID != HeaderID || h.Version != Version {
		t.Errorf("header = %+v", h)
	}
	if got := seal.ESealInfo.Property.ValidStart; !got.Equal(testCreate) || got.Location() != time.UTC {
		t.Errorf("validStart = %v, want %v UTC", got, testCreate)
	}
}

func TestCertDigestList(t *testing.T) {
	p := newPKI(t)
	info := testSealInfo(t, CertListTypeDigests, CertList{CertDigestList: []CertDigestObj{CertDigest(p.signer.cert)}})
	seal, err := MakeSeal(info, p.maker.cert, p.maker.key)
	if err != nil {
		t.Fatal(err)
	}
	sig := signTest(t, p, seal)
	if err := sig.Verify(testHash()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := Sign(seal, p.stranger.cert, p.stranger.key, testHash(), testProperty, testSignedAt); !errors.Is(err, ErrSignerNotInCertList) {
		t.Fatalf("Sign by a stranger: %v, want ErrSignerNotInCertList", err)
	}
	// A digest type we do not know cannot match, and says so.
	seal.ESealInfo.Property.CertList.CertDigestList[0].Type = "MD5"
	err = seal.CheckSigner(p.signer.cert)
	if !errors.Is(err, ErrSignerNotInCertList) || !strings.Contains(err.Error(), "MD5") {
		t.Fatalf("SignerIn with an unknown digest type: %v", err)
	}
}

// flip returns a copy of b with one byte inverted at the first occurrence of
// sub plus off.
func flip(t *testing.T, b, sub []byte, off int) []byte {
	t.Helper()
	i := bytes.Index(b, sub)
	if i < 0 {
		t.Fatal("flip: pattern not found")
	}
	c := bytes.Clone(b)
	c[i+off] ^= 0xff
	return c
}

func TestTamperedPicture(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	pic := seal.ESealInfo.Picture.Data
	bad, err := ParseSeal(flip(t, mustMarshal(t, seal), pic, len(pic)/2))
	if err != nil {
		t.Fatalf("a flipped picture byte must still parse: %v", err)
	}
	if err := bad.VerifyMaker(); !errors.Is(err, ErrBadMakerSignature) {
		t.Fatalf("VerifyMaker of a tampered seal: %v, want ErrBadMakerSignature", err)
	}
	// The same change in memory is caught the same way: verification is
	// over the fields, not over bytes kept from parsing.
	seal.ESealInfo.Picture.Data = bytes.Clone(pic)
	seal.ESealInfo.Picture.Data[0] ^= 1
	if err := seal.VerifyMaker(); !errors.Is(err, ErrBadMakerSignature) {
		t.Fatalf("VerifyMaker after editing the picture: %v", err)
	}

	// Inside a signature the signer's signature breaks first.
	seal = makeTestSeal(t, p)
	sigDER := mustMarshal(t, signTest(t, p, seal))
	sig, err := ParseSignature(flip(t, sigDER, pic, 7))
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(testHash()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify with a tampered embedded seal: %v, want ErrBadSignature", err)
	}
}

func TestTamperedDataHash(t *testing.T) {
	p := newPKI(t)
	sig := signTest(t, p, makeTestSeal(t, p))
	h := testHash()
	if err := sig.Verify(flipByte(h, 0)); !errors.Is(err, ErrDataHashMismatch) {
		t.Fatalf("Verify of other content: %v, want ErrDataHashMismatch", err)
	}
	// Flipping dataHash inside the DER: the stated hash no longer matches
	// the content, and even for matching content the signature fails.
	tampered, err := ParseSignature(flip(t, mustMarshal(t, sig), h, 3))
	if err != nil {
		t.Fatal(err)
	}
	if err := tampered.Verify(h); !errors.Is(err, ErrDataHashMismatch) {
		t.Fatalf("Verify: %v, want ErrDataHashMismatch", err)
	}
	if err := tampered.Verify(tampered.ToSign.DataHash); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify against the tampered hash: %v, want ErrBadSignature", err)
	}
}

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

func TestSignerNotInCertList(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	if _, err := Sign(seal, p.stranger.cert, p.stranger.key, testHash(), testProperty, testSignedAt); !errors.Is(err, ErrSignerNotInCertList) {
		t.Fatalf("Sign: %v, want ErrSignerNotInCertList", err)
	}
	// A signature made around Sign's checks is refused by Verify.
	tbs := TBSSign{Version: Version, ESeal: *seal, TimeInfo: testSignedAt, DataHash: testHash(), PropertyInfo: testProperty}
	sig, err := signTBS(&tbs, p.stranger.cert, p.stranger.key, &p.stranger.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	err = sig.Verify(testHash())
	if !errors.Is(err, ErrSignerNotInCertList) {
		t.Fatalf("Verify: %v, want ErrSignerNotInCertList", err)
	}
	for _, e := range []error{ErrBadSignature, ErrBadMakerSignature, ErrDataHashMismatch, ErrSealNotValid} {
		if errors.Is(err, e) {
			t.Errorf("error %v also matches %v", err, e)
		}
	}
}

func TestValidity(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{testCreate.Add(-time.Second), "is not yet valid"},
		{testValidEnd.Add(time.Second), "has expired"},
	} {
		err := seal.ValidAt(tc.at)
		var ve *ValidityError
		if !errors.As(err, &ve) || !errors.Is(err, ErrSealNotValid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidAt(%v) = %v, want a ValidityError saying %q", tc.at, err, tc.want)
		}
		if _, err := Sign(seal, p.signer.cert, p.signer.key, testHash(), testProperty, tc.at); !errors.Is(err, ErrSealNotValid) {
			t.Errorf("Sign at %v: %v, want ErrSealNotValid", tc.at, err)
		}
		tbs := TBSSign{Version: Version, ESeal: *seal, TimeInfo: tc.at, DataHash: testHash(), PropertyInfo: testProperty}
		sig, err := signTBS(&tbs, p.signer.cert, p.signer.key, &p.signer.key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if err := sig.Verify(testHash()); !errors.Is(err, ErrSealNotValid) {
			t.Errorf("Verify of a signature made at %v: %v, want ErrSealNotValid", tc.at, err)
		}
	}
	// Both ends of the window are inside it.
	for _, at := range []time.Time{testCreate, testValidEnd} {
		if err := seal.ValidAt(at); err != nil {
			t.Errorf("ValidAt(%v): %v", at, err)
		}
	}
}

func TestWrongKeys(t *testing.T) {
	p := newPKI(t)
	info := testSealInfo(t, CertListTypeCerts, CertList{Certs: [][]byte{p.signer.cert}})
	if _, err := MakeSeal(info, p.maker.cert, p.signer.key); err == nil || !strings.Contains(err.Error(), "does not hold the signer's public key") {
		t.Errorf("MakeSeal with another key: %v", err)
	}
	if _, err := MakeSeal(info, []byte("not a certificate"), p.maker.key); !errors.Is(err, ErrBadCertificate) {
		t.Errorf("MakeSeal with a bad certificate: %v", err)
	}
	seal := makeTestSeal(t, p)
	if _, err := Sign(seal, p.signer.cert, p.maker.key, testHash(), testProperty, testSignedAt); err == nil || !strings.Contains(err.Error(), "does not hold the signer's public key") {
		t.Errorf("Sign with another key: %v", err)
	}
	// A maker key from elsewhere (e.g. a trust list) that is not the one
	// that signed.
	if err := seal.VerifyMakerKey(&p.signer.key.PublicKey); !errors.Is(err, ErrBadMakerSignature) {
		t.Errorf("VerifyMakerKey with another key: %v", err)
	}
	if err := seal.VerifyMakerKey(&p.maker.key.PublicKey); err != nil {
		t.Errorf("VerifyMakerKey: %v", err)
	}
	sig := signTest(t, p, seal)
	sig.SignatureAlgID = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	if err := sig.Verify(testHash()); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("Verify with ECDSA-SHA256 algID: %v", err)
	}
	seal.SignAlgID = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	if err := seal.VerifyMaker(); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("VerifyMaker with ECDSA-SHA256 algID: %v", err)
	}
}

func TestSignInputs(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	for name, tc := range map[string]struct {
		hash []byte
		prop string
		want string
	}{
		"short hash":    {testHash()[:31], testProperty, "want the 32-byte SM3 digest"},
		"empty prop":    {testHash(), "", "propertyInfo is empty"},
		"non-ASCII":     {testHash(), "/文档/Signature.xml", "must be ASCII"},
		"nil hash":      {nil, testProperty, "dataHash is 0 bytes"},
		"too long hash": {append(testHash(), 0), testProperty, "dataHash is 33 bytes"},
	} {
		if _, err := Sign(seal, p.signer.cert, p.signer.key, tc.hash, tc.prop, testSignedAt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if _, err := Sign(nil, p.signer.cert, p.signer.key, testHash(), testProperty, testSignedAt); err == nil {
		t.Error("Sign(nil seal) succeeded")
	}
}

func TestMakeSealInputs(t *testing.T) {
	p := newPKI(t)
	for name, tc := range map[string]struct {
		edit func(*SealInfo)
		want string
	}{
		"no esID":         {func(s *SealInfo) { s.ESID = "" }, "esID is empty"},
		"non-ASCII esID":  {func(s *SealInfo) { s.ESID = "印章1" }, "esID: IA5String must be ASCII"},
		"no signers":      {func(s *SealInfo) { s.Property.CertList.Certs = nil }, "no signer certificates"},
		"bad signer cert": {func(s *SealInfo) { s.Property.CertList.Certs = [][]byte{{1, 2, 3}} }, "bad certificate"},
		"inverted window": {func(s *SealInfo) { s.Property.ValidEnd = testCreate.Add(-time.Hour) }, "is not before validEnd"},
		"no picture":      {func(s *SealInfo) { s.Picture.Data = nil }, "picture type and data"},
		"zero size":       {func(s *SealInfo) { s.Picture.Width = 0 }, "must be positive"},
		"list type 3":     {func(s *SealInfo) { s.Property.CertListType = 3 }, "certListType is 3"},
		"both lists": {func(s *SealInfo) {
			s.Property.CertList.CertDigestList = []CertDigestObj{CertDigest(p.signer.cert)}
		}, "certDigestList is set"},
		"bad header id": {func(s *SealInfo) { s.Header.ID = "EX" }, `is "EX", want "ES"`},
		"version 1":     {func(s *SealInfo) { s.Header.Version = 1 }, "is 1, want 4"},
		"bad utf8":      {func(s *SealInfo) { s.Property.Name = "\xff" }, "not valid UTF-8"},
		"bad digest": {func(s *SealInfo) {
			s.Property.CertListType = 2
			s.Property.CertList = CertList{CertDigestList: []CertDigestObj{{Type: "CRC_32"}}}
		}, "unknown digest type"},
	} {
		info := testSealInfo(t, CertListTypeCerts, CertList{Certs: [][]byte{p.signer.cert}})
		tc.edit(&info)
		if _, err := MakeSeal(info, p.maker.cert, p.maker.key); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// TestCriticalOmitted: an ExtData without its DEFAULT FALSE critical field
// parses and re-encodes unchanged.
func TestCriticalOmitted(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	seal.ESealInfo.ExtDatas[0].criticalOmitted = true
	der := mustMarshal(t, seal)
	again, err := ParseSeal(der)
	if err != nil {
		t.Fatal(err)
	}
	if x := again.ESealInfo.ExtDatas[0]; !x.criticalOmitted || x.Critical {
		t.Fatalf("ExtData = %+v", x)
	}
	if !bytes.Equal(mustMarshal(t, again), der) {
		t.Fatal("does not round-trip")
	}
	// Setting it true brings the field back.
	again.ESealInfo.ExtDatas[0].Critical = true
	if back, err := ParseSeal(mustMarshal(t, again)); err != nil || !back.ESealInfo.ExtDatas[0].Critical {
		t.Fatalf("critical TRUE lost: %v", err)
	}
}

// TestEmptyVersusAbsent: nil extDatas and timeStamp are absent, empty ones
// are present and survive a round trip.
func TestEmptyVersusAbsent(t *testing.T) {
	p := newPKI(t)
	info := testSealInfo(t, CertListTypeCerts, CertList{Certs: [][]byte{p.signer.cert}})
	info.ExtDatas = ExtensionDatas{}
	seal, err := MakeSeal(info, p.maker.cert, p.maker.key)
	if err != nil {
		t.Fatal(err)
	}
	if seal.ESealInfo.ExtDatas == nil {
		t.Fatal("empty extDatas became absent")
	}
	tbs := TBSSign{Version: Version, ESeal: *seal, TimeInfo: testSignedAt, DataHash: testHash(), PropertyInfo: testProperty, ExtDatas: ExtensionDatas{}}
	sig, err := signTBS(&tbs, p.signer.cert, p.signer.key, &p.signer.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sig.TimeStamp = []byte{}
	der := mustMarshal(t, sig)
	back, err := ParseSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	if back.ToSign.ExtDatas == nil || back.TimeStamp == nil {
		t.Fatalf("empty fields became absent: extDatas %v, timeStamp %v", back.ToSign.ExtDatas, back.TimeStamp)
	}
	if !bytes.Equal(mustMarshal(t, back), der) {
		t.Fatal("does not round-trip")
	}
	if err := back.Verify(testHash()); err != nil {
		t.Fatal(err)
	}
	seal.ESealInfo.ExtDatas = nil
	if back, _ := ParseSeal(mustMarshal(t, seal)); back.ESealInfo.ExtDatas != nil {
		t.Fatal("absent extDatas became present")
	}
}

// rewrap re-encodes the outer SEQUENCE of der with extra bytes appended to
// its contents.
func rewrap(t *testing.T, der, extra []byte) []byte {
	t.Helper()
	s := cryptobyte.String(der)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) {
		t.Fatal("rewrap: not a SEQUENCE")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(body); b.AddBytes(extra) })
	return b.BytesOrPanic()
}

// longForm re-encodes the outer length of der with one needless leading
// zero octet.
func longForm(t *testing.T, der []byte) []byte {
	t.Helper()
	if der[1] != 0x82 {
		t.Fatalf("longForm: outer length form 0x%02x", der[1])
	}
	return append([]byte{der[0], 0x83, 0x00}, der[2:]...)
}

func replaceOnce(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(old))
	if i < 0 {
		t.Fatalf("replace: %q not found", old)
	}
	return append(append(bytes.Clone(b[:i]), new...), b[i+len(old):]...)
}

func TestParseErrors(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	sealDER := mustMarshal(t, seal)
	sigDER := mustMarshal(t, signTest(t, p, seal))
	validEnd := "\x18\x0f" + testValidEnd.Format(generalizedTimeLayout)
	timeInfo := "\x18\x0f" + testSignedAt.Format(generalizedTimeLayout)

	for _, tc := range []struct {
		name  string
		seal  bool // ParseSeal, else ParseSignature
		der   []byte
		is    error
		field string // part of the message
	}{
		{"empty", true, nil, ErrMalformed, "SES_Seal: missing SEQUENCE"},
		{"not DER", true, []byte("hello, seal"), ErrMalformed, "SES_Seal: found tag 0x68, want SEQUENCE"},
		{"trailing garbage", true, append(bytes.Clone(sealDER), 0, 0), ErrMalformed, "2 bytes of trailing data"},
		{"trailing garbage", false, append(bytes.Clone(sigDER), 0x30, 0), ErrMalformed, "2 bytes of trailing data"},
		{"extra element", true, rewrap(t, sealDER, []byte{5, 0}), ErrMalformed, "SES_Seal: unexpected NULL after the last field"},
		{"extra element", false, rewrap(t, sigDER, []byte{2, 1, 0}), ErrMalformed, "SES_Signature: unexpected INTEGER after the last field"},
		{"non-minimal length", true, longForm(t, sealDER), ErrMalformed, "bad DER length"},
		{"indefinite length", true, append(append([]byte{0x30, 0x80}, sealDER[4:]...), 0, 0), ErrMalformed, "bad DER length"},
		{"wrong header id", true, replaceOnce(t, sealDER, "\x16\x02ES", "\x16\x02EX"), ErrMalformed, `eSealInfo.header.id: is "EX", want "ES"`},
		{"header version 1", true, replaceOnce(t, sealDER, "\x16\x02ES\x02\x01\x04", "\x16\x02ES\x02\x01\x01"), ErrUnsupportedVersion, "GM/T 0031-2014"},
		{"header version 5", false, replaceOnce(t, sigDER, "\x16\x02ES\x02\x01\x04", "\x16\x02ES\x02\x01\x05"), ErrUnsupportedVersion, "toSign.eseal.eSealInfo.header.version is 5"},
		{"TBS version 1", false, replaceOnce(t, sigDER, "\x02\x01\x04\x30", "\x02\x01\x01\x30"), ErrUnsupportedVersion, "SES_Signature.toSign.version is 1"},
		{"non-minimal integer", true, replaceOnce(t, sealDER, "\x16\x02ES\x02\x01\x04", "\x16\x02E\x02\x02\x00\x04"), ErrMalformed, ""},
		{"UTCTime", true, replaceOnce(t, sealDER, validEnd, "\x17"+validEnd[1:]), ErrMalformed, "property.validEnd: found UTCTime, want GeneralizedTime"},
		{"month 13", true, replaceOnce(t, sealDER, validEnd, "\x18\x0f20451301000000Z"), ErrMalformed, `validEnd: GeneralizedTime "20451301000000Z" is not`},
		{"local time", false, replaceOnce(t, sigDER, timeInfo, "\x18\x0f202506010800000"), ErrMalformed, "toSign.timeInfo"},
		{"validEnd before validStart", true, replaceOnce(t, sealDER, validEnd, "\x18\x0f20241231000000Z"), ErrMalformed, "is before validStart"},
		{"BIT STRING unused bits", false, replaceOnce(t, sigDER, "\x03\x21\x00", "\x03\x21\x03"), ErrMalformed, "toSign.dataHash: BIT STRING has 3 unused bits"},
		{"non-ASCII IA5", false, replaceOnce(t, sigDER, testProperty, "\xe6"+testProperty[1:]), ErrMalformed, "propertyInfo: IA5String has a non-ASCII byte"},
		{"bad boolean", true, replaceOnce(t, sealDER, "\x06\x03\x69\x01\x02\x01\x01\xff", "\x06\x03\x69\x01\x02\x01\x01\x01"), ErrMalformed, "extDatas.[1].critical: BOOLEAN"},
		{"certListType 3", true, replaceOnce(t, sealDER, "\x02\x01\x01\x30", "\x02\x01\x03\x30"), ErrMalformed, "certListType: is 3"},
		{"seal is a signature", true, sigDER, ErrMalformed, "SES_Seal.eSealInfo.header: found INTEGER, want SEQUENCE"},
		{"signature is a seal", false, sealDER, ErrMalformed, "SES_Signature.toSign.version: found SEQUENCE, want INTEGER"},
	} {
		var err error
		if tc.seal {
			_, err = ParseSeal(tc.der)
		} else {
			_, err = ParseSignature(tc.der)
		}
		if !errors.Is(err, tc.is) || !strings.Contains(fmtErr(err), tc.field) {
			t.Errorf("%s: %v; want %v mentioning %q", tc.name, err, tc.is, tc.field)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestTruncated parses every proper prefix of a seal and a signature: each
// must fail cleanly.
func TestTruncated(t *testing.T) {
	p := newPKI(t)
	seal := makeTestSeal(t, p)
	sealDER := mustMarshal(t, seal)
	sigDER := mustMarshal(t, signTest(t, p, seal))
	for n := range len(sealDER) {
		if _, err := ParseSeal(sealDER[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("ParseSeal of %d/%d bytes: %v", n, len(sealDER), err)
		}
	}
	for n := range len(sigDER) {
		if _, err := ParseSignature(sigDER[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("ParseSignature of %d/%d bytes: %v", n, len(sigDER), err)
		}
	}
}

// TestVersion1Refused: a GM/T 0031-2014 seal (header version 1, UTCTime,
// no certListType, SES_SignInfo) is recognised and refused by its header.
func TestVersion1Refused(t *testing.T) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SES_SealInfo
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SES_Header
				b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("ES")) })
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("v1")) })
			})
		})
	})
	_, err := ParseSeal(b.BytesOrPanic())
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != 1 || !strings.Contains(err.Error(), "GM/T 0031-2014 (version 1)") {
		t.Fatalf("ParseSeal(v1) = %v", err)
	}
}
