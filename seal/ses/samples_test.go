package ses

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/eseal-project/eseal/internal/testenv"
)

// Real seals and signatures made by other implementations. They are
// third-party data and are not committed here; see samplesDir.

// samplesDir returns the directory of the real samples: $ESEAL_SES_SAMPLES,
// or shared/testdata/ses beside the repository. The files and where they
// come from are listed in SOURCES.txt there.
func samplesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ESEAL_SES_SAMPLES")
	if dir == "" {
		dir = filepath.Join(testenv.RepoRoot(t), "..", "shared", "testdata", "ses")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.txt")); err != nil {
		t.Skipf("SKIPPED: real SES samples not found in %s (set ESEAL_SES_SAMPLES); interoperability with other vendors not checked", dir)
	}
	return dir
}

func readSample(t *testing.T, dir, name, sha string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != sha {
		t.Fatalf("%s: SHA-256 %x, want %s: not the sample this test was written for", name, sum, sha)
	}
	return b
}

func TestRealSamples(t *testing.T) {
	dir := samplesDir(t)

	t.Run("KingGrid invoice signature", func(t *testing.T) {
		// zc310/ofd test/testdata/999.ofd, Doc_0/Signs/Sign_0.
		der := readSample(t, dir, "kinggrid-invoice-SignedValue.dat", "dc10a090ea5f40f7d7f8ff6b057eb4bbd185dfa386d7842506a339671f8e82d3")
		xml := readSample(t, dir, "kinggrid-invoice-Signature.xml", "e3175084ded6f0d87c431d78e5a046a6c2a7254af6c3c26b3a5ae469cc24193e")
		sig, err := ParseSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		if re := mustMarshal(t, sig); !bytes.Equal(re, der) {
			t.Fatal("does not round-trip byte for byte")
		}
		tbs := sig.ToSign
		si := tbs.ESeal.ESealInfo
		check(t, "vid", si.Header.VID, "GOMAIN")
		check(t, "esID", si.ESID, "50011200000323")
		check(t, "type", si.Property.Type, 3)
		check(t, "name", si.Property.Name, "测试全国统一发票监制章国家税务总局重庆市税务局")
		check(t, "certListType", si.Property.CertListType, CertListTypeCerts)
		check(t, "certs", len(si.Property.CertList.Certs), 1)
		check(t, "validStart", si.Property.ValidStart, time.Date(2020, 7, 23, 16, 0, 0, 0, time.UTC))
		check(t, "validEnd", si.Property.ValidEnd, time.Date(2023, 7, 23, 16, 0, 0, 0, time.UTC))
		check(t, "picture", si.Picture.Type+" "+strconv.Itoa(si.Picture.Width)+"x"+strconv.Itoa(si.Picture.Height), "ofd 30x20")
		check(t, "extDatas", len(si.ExtDatas), 1)
		check(t, "ext critical", si.ExtDatas[0].Critical, false)
		check(t, "timeInfo", tbs.TimeInfo, time.Date(2020, 8, 17, 11, 13, 29, 0, time.UTC))
		check(t, "propertyInfo", tbs.PropertyInfo, "/Doc_0/Signs/Sign_0/Signature.xml")
		check(t, "timeStamp", sig.TimeStamp == nil, true)
		h := sm3.Sum(xml)
		if err := sig.Verify(h[:]); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if err := sig.Verify(flipByte(h[:], 31)); !errors.Is(err, ErrDataHashMismatch) {
			t.Fatalf("Verify of other content: %v", err)
		}
	})

	for _, tc := range []struct {
		file, sha, vid, name, picture string
		signers, exts                 int
		makerVerifies                 bool
	}{
		{"ofdrw-UserV4.esl", "b73dd33ec01c66a99ce9b99f898027363553ebccfe0bd1cb85bec36e6c3e05fd", "OFDR&WTest", "OFD R&W 测试用印章", "PNG 40x40", 1, 0, true},
		// Its signedValue verifies under none of: SM3(Z||DER(SES_SealInfo)),
		// the version 1 SEQUENCE {info, cert, algID}, plain SM3 or SHA-256
		// without Z (with the maker certificate, which is also its only
		// signer). ofdrw never verifies it either. Parsed for its
		// structure: two signers, three ExtData with critical TRUE and FALSE.
		{"hebeigede-SESealData.DER", "e52b164451ebddd48e01ed466546e5b248572588d2dd8c255a987efa7393b9be", "Vid HebeiGede", "测试单位名称 合同专用章", "GIF 42x42", 2, 3, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			der := readSample(t, dir, tc.file, tc.sha)
			s, err := ParseSeal(der)
			if err != nil {
				t.Fatal(err)
			}
			if re := mustMarshal(t, s); !bytes.Equal(re, der) {
				t.Fatal("does not round-trip byte for byte")
			}
			si := s.ESealInfo
			check(t, "vid", si.Header.VID, tc.vid)
			check(t, "name", si.Property.Name, tc.name)
			check(t, "picture", si.Picture.Type+" "+strconv.Itoa(si.Picture.Width)+"x"+strconv.Itoa(si.Picture.Height), tc.picture)
			check(t, "signers", len(si.Property.CertList.Certs), tc.signers)
			check(t, "extDatas", len(si.ExtDatas), tc.exts)
			if err := s.VerifyMaker(); tc.makerVerifies && err != nil {
				t.Fatalf("VerifyMaker: %v", err)
			} else if !tc.makerVerifies && !errors.Is(err, ErrBadMakerSignature) {
				t.Fatalf("VerifyMaker: %v, want ErrBadMakerSignature (known bad sample)", err)
			}
		})
	}

	t.Run("GM/T 0031-2014 seal refused", func(t *testing.T) {
		der := readSample(t, dir, "ofdrw-UserV1.esl", "305df82d82b0111a55702aaca7ccea05b412e4cd80b78cc7086aa675ef46f8f3")
		_, err := ParseSeal(der)
		var ve *VersionError
		if !errors.As(err, &ve) || ve.Version != 1 {
			t.Fatalf("ParseSeal: %v, want a VersionError for version 1", err)
		}
	})
}

func check[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
