package ses

import (
	"bytes"
	"testing"
	"time"
)

// The fuzz targets check that parsing never panics, that whatever parses
// re-encodes to exactly the input (the property verification relies on),
// and that verifying a parsed structure never panics.

func addSeeds(f *testing.F) {
	fx := loadFixtures(f)
	for _, s := range fx.Seals {
		f.Add(readTestdata(f, s.File))
	}
	for _, s := range fx.Signatures {
		f.Add(readTestdata(f, s.File))
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
}

func FuzzParseSeal(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := ParseSeal(der)
		if err != nil {
			if s != nil {
				t.Fatal("non-nil seal with an error")
			}
			return
		}
		re, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed but does not marshal: %v", err)
		}
		if !bytes.Equal(re, der) {
			t.Fatalf("round trip differs:\n in  %x\n out %x", der, re)
		}
		_ = s.VerifyMaker()
		_ = s.ValidAt(time.Now())
		_ = s.CheckSigner(s.Cert)
	})
}

func FuzzParseSignature(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := ParseSignature(der)
		if err != nil {
			if s != nil {
				t.Fatal("non-nil signature with an error")
			}
			return
		}
		re, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed but does not marshal: %v", err)
		}
		if !bytes.Equal(re, der) {
			t.Fatalf("round trip differs:\n in  %x\n out %x", der, re)
		}
		_ = s.Verify(s.ToSign.DataHash)
	})
}
