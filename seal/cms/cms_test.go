package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

var content = []byte("%PDF-1.7 某某市市场监督管理局 准予行政许可决定书 byte ranges before and after /Contents")

type profileCase struct {
	name    string
	profile Profile
	gm      bool
}

var profileCases = []profileCase{
	{"SM2", SM2, false},
	{"SM2-GMOIDs", SM2, true},
	{"PAdES", PAdES, false},
}

// attrValues maps the OIDs of DER signed attributes to their SET OF values.
func attrValues(t *testing.T, raw []byte) map[string]asn1.RawValue {
	t.Helper()
	var attrs []struct {
		Type   asn1.ObjectIdentifier
		Values asn1.RawValue
	}
	rest, err := asn1.UnmarshalWithParams(raw, &attrs, "set")
	if err != nil || len(rest) != 0 {
		t.Fatalf("signed attributes: %v (%d trailing bytes)", err, len(rest))
	}
	m := map[string]asn1.RawValue{}
	for _, a := range attrs {
		m[a.Type.String()] = a.Values
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range profileCases {
		t.Run(tc.name, func(t *testing.T) {
			k := newPKI(t, tc.profile)
			opts := k.opts(tc.gm)
			opts.SigningTime = time.Date(2026, 11, 25, 8, 30, 15, 999, time.FixedZone("CST", 8*3600))
			rec := &recordingSigner{Signer: k.key}
			der, err := Sign(bytes.NewReader(content), rec, opts)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if err := sd.VerifyContent(bytes.NewReader(content)); err != nil {
				t.Fatalf("VerifyContent: %v", err)
			}
			h := NewContentHash(tc.profile)
			h.Write(content)
			sum := h.Sum(nil)
			if err := sd.VerifyDigest(sum); err != nil {
				t.Fatalf("VerifyDigest: %v", err)
			}
			if !bytes.Equal(sd.MessageDigest, sum) {
				t.Errorf("MessageDigest %x, want %x", sd.MessageDigest, sum)
			}

			if sd.Profile != tc.profile || sd.GMOIDs != tc.gm {
				t.Errorf("Profile %v GMOIDs %v, want %v %v", sd.Profile, sd.GMOIDs, tc.profile, tc.gm)
			}
			if len(sd.Certificates) != 2 || !sd.Certificates[0].Equal(k.cert) || !sd.Certificates[1].Equal(k.ca) {
				t.Errorf("certificates are not [signer, CA]")
			}
			if sd.Signer == nil || !sd.Signer.Equal(k.cert) {
				t.Errorf("Signer is not the seal certificate")
			}
			if !sd.HasSigningCertV2 || sd.HasSigningCertV1 {
				t.Errorf("HasSigningCertV2 %v, HasSigningCertV1 %v", sd.HasSigningCertV2, sd.HasSigningCertV1)
			}
			if !bytes.Equal(sd.Raw, der) || sd.RawUnsignedAttrs != nil {
				t.Errorf("Raw or RawUnsignedAttrs wrong")
			}

			attrs := attrValues(t, sd.RawSignedAttrs)
			ess, ok := attrs[oidAttrSigningCertificateV2.String()]
			if !ok {
				t.Fatal("no signing-certificate-v2 attribute")
			}
			_, hasTime := attrs[oidAttrSigningTime.String()]
			switch tc.profile {
			case SM2:
				wantData, wantSig := OIDData, OIDSM2WithSM3
				if tc.gm {
					wantData, wantSig = OIDGMData, OIDSM2Sign
				}
				if !sd.DigestAlgorithm.Equal(OIDSM3) || !sd.SignatureAlgorithm.Equal(wantSig) || !sd.ContentType.Equal(wantData) {
					t.Errorf("algorithms %v %v content type %v", sd.DigestAlgorithm, sd.SignatureAlgorithm, sd.ContentType)
				}
				if want := opts.SigningTime.Truncate(time.Second); !hasTime || !sd.SigningTime.Equal(want) {
					t.Errorf("SigningTime %v, want %v", sd.SigningTime, want)
				}
				// The keystore convention: the DER attributes as the
				// message, SM3(Z_A || message) done by the signer.
				o, ok := rec.opts.(*sm2.SM2SignerOption)
				if !ok || !o.ForceGMSign || !bytes.Equal(rec.digest, sd.RawSignedAttrs) {
					t.Errorf("signer called with %T %+v on %d bytes, want SM2SignerOption(true) on the DER attributes", rec.opts, rec.opts, len(rec.digest))
				}
				// ESSCertIDv2 with hashAlgorithm sm3 and an SM3 certHash.
				certHash := sm3.Sum(k.cert.Raw)
				sm3Alg, _ := asn1.Marshal(struct{ Algorithm asn1.ObjectIdentifier }{OIDSM3})
				if !bytes.Contains(ess.Bytes, sm3Alg) ||
					!bytes.Contains(ess.Bytes, certHash[:]) {
					t.Errorf("ESS attribute %x lacks hashAlgorithm sm3 or the SM3 certificate hash", ess.Bytes)
				}
			case PAdES:
				if !sd.DigestAlgorithm.Equal(OIDSHA256) || !sd.SignatureAlgorithm.Equal(OIDECDSAWithSHA256) || !sd.ContentType.Equal(OIDData) {
					t.Errorf("algorithms %v %v content type %v", sd.DigestAlgorithm, sd.SignatureAlgorithm, sd.ContentType)
				}
				if hasTime || !sd.SigningTime.IsZero() {
					t.Errorf("PAdES signature has a signingTime attribute")
				}
				d := sha256.Sum256(sd.RawSignedAttrs)
				if rec.opts != crypto.SHA256 || !bytes.Equal(rec.digest, d[:]) {
					t.Errorf("signer called with %v on %x, want crypto.SHA256 on %x", rec.opts, rec.digest, d)
				}
				// hashAlgorithm omitted (DER DEFAULT id-sha256): the
				// ESSCertIDv2 starts with the certHash OCTET STRING.
				certHash := sha256.Sum256(k.cert.Raw)
				if !bytes.Contains(ess.Bytes, append([]byte{0x04, 0x20}, certHash[:]...)) || bytes.Contains(ess.Bytes, []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}) {
					t.Errorf("ESS attribute %x: want the SHA-256 certHash and no hashAlgorithm", ess.Bytes)
				}
			}

			// Signing the digest gives the same structure.
			der2, err := SignDigest(sum, k.key, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(der2) < len(der)-2 || len(der2) > len(der)+2 {
				t.Errorf("SignDigest gave %d bytes, Sign %d", len(der2), len(der))
			}
			if sd2, err := Parse(der2); err != nil || sd2.VerifyContent(bytes.NewReader(content)) != nil {
				t.Errorf("SignDigest output does not verify: %v", err)
			}

			est, err := EstimateSize(opts)
			if err != nil {
				t.Fatal(err)
			}
			if est < len(der) || est > len(der)+8 {
				t.Errorf("EstimateSize %d for %d bytes of DER", est, len(der))
			}
		})
	}
}

// The signature value's size varies by a byte or two with r and s; the
// estimate must hold for every one of them, and for the default time.
func TestEstimateSizeIsUpperBound(t *testing.T) {
	for _, tc := range profileCases {
		t.Run(tc.name, func(t *testing.T) {
			k := newPKI(t, tc.profile)
			opts := k.opts(tc.gm)
			est, err := EstimateSize(opts)
			if err != nil {
				t.Fatal(err)
			}
			for range 50 {
				der, err := Sign(bytes.NewReader(content), k.key, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(der) > est {
					t.Fatalf("DER is %d bytes, estimate %d", len(der), est)
				}
			}
		})
	}
}

func TestSigningTimeEncoding(t *testing.T) {
	k := newPKI(t, SM2)
	for _, tc := range []struct {
		when time.Time
		tag  byte
	}{
		{time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC), 0x17}, // UTCTime
		{time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC), 0x18},      // GeneralizedTime
		{time.Date(1949, 12, 31, 23, 59, 59, 0, time.UTC), 0x18},
	} {
		opts := k.opts(false)
		opts.SigningTime = tc.when
		der, err := Sign(bytes.NewReader(content), k.key, opts)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		if !sd.SigningTime.Equal(tc.when) {
			t.Errorf("SigningTime %v, want %v", sd.SigningTime, tc.when)
		}
		if v := attrValues(t, sd.RawSignedAttrs)[oidAttrSigningTime.String()]; len(v.Bytes) == 0 || v.Bytes[0] != tc.tag {
			t.Errorf("%v encoded with tag %x, want %x", tc.when, v.Bytes, tc.tag)
		}
		if err := sd.VerifyContent(bytes.NewReader(content)); err != nil {
			t.Error(err)
		}
	}
	// Zero means now.
	der, err := Sign(bytes.NewReader(content), k.key, k.opts(false))
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := Parse(der)
	if d := time.Since(sd.SigningTime); d < 0 || d > time.Minute {
		t.Errorf("default SigningTime %v is not now", sd.SigningTime)
	}
}

func TestZeroPaddingAccepted(t *testing.T) {
	for _, tc := range profileCases {
		t.Run(tc.name, func(t *testing.T) {
			k := newPKI(t, tc.profile)
			der, err := Sign(bytes.NewReader(content), k.key, k.opts(tc.gm))
			if err != nil {
				t.Fatal(err)
			}
			padded := append(bytes.Clone(der), make([]byte, 8192-len(der))...)
			sd, err := Parse(padded)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sd.Raw, der) {
				t.Error("Raw includes the padding")
			}
			if err := sd.VerifyContent(bytes.NewReader(content)); err != nil {
				t.Error(err)
			}
		})
	}
}

// Negative twins: each changes one thing of a good signature and must fail
// with the error a verifier turns into its reason code.
func TestNegativeTwins(t *testing.T) {
	for _, tc := range profileCases {
		t.Run(tc.name, func(t *testing.T) {
			k := newPKI(t, tc.profile)
			opts := k.opts(tc.gm)
			der, err := Sign(bytes.NewReader(content), k.key, opts)
			if err != nil {
				t.Fatal(err)
			}
			good, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}

			t.Run("flipped content byte", func(t *testing.T) {
				c := bytes.Clone(content)
				c[len(c)/2] ^= 0x01
				if err := good.VerifyContent(bytes.NewReader(c)); !errors.Is(err, ErrDigestMismatch) {
					t.Fatalf("got %v, want ErrDigestMismatch", err)
				}
				if err := good.VerifyContent(bytes.NewReader(content[:len(content)-1])); !errors.Is(err, ErrDigestMismatch) {
					t.Fatalf("truncated content: got %v, want ErrDigestMismatch", err)
				}
			})

			t.Run("flipped signature byte", func(t *testing.T) {
				for _, pos := range []int{4, len(good.Signature) / 2, len(good.Signature) - 1} {
					bad := bytes.Clone(der)
					i := bytes.Index(bad, good.Signature)
					bad[i+pos] ^= 0x04
					sd, err := Parse(bad)
					if err != nil {
						t.Fatal(err)
					}
					if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrBadSignature) {
						t.Fatalf("byte %d: got %v, want ErrBadSignature", pos, err)
					}
				}
			})

			t.Run("flipped signed attribute byte", func(t *testing.T) {
				bad := bytes.Clone(der)
				i := bytes.Index(bad, good.MessageDigest)
				bad[i] ^= 0x80
				sd, err := Parse(bad)
				if err != nil {
					t.Fatal(err)
				}
				if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("got %v, want ErrBadSignature", err)
				}
			})

			attrs, err := signedAttrs(&opts, mustParams(t, &opts), good.MessageDigest, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			sign := func(key crypto.Signer, attrs []byte) []byte {
				t.Helper()
				var sig []byte
				var err error
				if tc.profile == SM2 {
					sig, err = key.Sign(rand.Reader, attrs, sm2.NewSM2SignerOption(true, nil))
				} else {
					d := sha256.Sum256(attrs)
					sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
				}
				if err != nil {
					t.Fatal(err)
				}
				return sig
			}

			t.Run("another certificate in place of the signer's", func(t *testing.T) {
				other, _ := k.other(t, false)
				o := opts
				o.Certificates = []*smx509.Certificate{other, k.ca}
				// The SignerInfo still names the genuine certificate.
				bad, err := contentInfo(&o, mustParams(t, &opts), attrs, sign(k.key, attrs))
				if err != nil {
					t.Fatal(err)
				}
				sd, err := Parse(bad)
				if err != nil {
					t.Fatal(err)
				}
				if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrSignerNotFound) {
					t.Fatalf("got %v, want ErrSignerNotFound", err)
				}
			})

			t.Run("forged twin certificate with another key", func(t *testing.T) {
				// Same issuer and serial, another key: the lookup finds
				// it, the signature does not verify with it.
				twin, _ := k.other(t, true)
				o := opts
				o.Certificates = []*smx509.Certificate{twin, k.ca}
				bad, err := contentInfo(&o, mustParams(t, &o), attrs, sign(k.key, attrs))
				if err != nil {
					t.Fatal(err)
				}
				sd, err := Parse(bad)
				if err != nil {
					t.Fatal(err)
				}
				if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("got %v, want ErrBadSignature", err)
				}
			})

			t.Run("signing-certificate-v2 names another certificate", func(t *testing.T) {
				// Attributes naming a twin (same issuer and serial,
				// another key), signed with the genuine key: the
				// signature verifies, the certificate reference does not.
				twin, _ := k.other(t, true)
				p := mustParams(t, &opts)
				p.essHash = func([]byte) []byte { return mustParams(t, &opts).essHash(twin.Raw) }
				attrs, err := signedAttrs(&opts, p, good.MessageDigest, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				bad, err := contentInfo(&opts, mustParams(t, &opts), attrs, sign(k.key, attrs))
				if err != nil {
					t.Fatal(err)
				}
				sd, err := Parse(bad)
				if err != nil {
					t.Fatal(err)
				}
				if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrCertMismatch) {
					t.Fatalf("got %v, want ErrCertMismatch", err)
				}
			})

			t.Run("contentType attribute is not data", func(t *testing.T) {
				p := mustParams(t, &opts)
				p.dataOID = OIDSignedData
				attrs, err := signedAttrs(&opts, p, good.MessageDigest, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				bad, err := contentInfo(&opts, mustParams(t, &opts), attrs, sign(k.key, attrs))
				if err != nil {
					t.Fatal(err)
				}
				sd, err := Parse(bad)
				if err != nil {
					t.Fatal(err)
				}
				if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrContentType) {
					t.Fatalf("got %v, want ErrContentType", err)
				}
			})

			t.Run("truncated", func(t *testing.T) {
				for n := 0; n < len(der); n++ {
					if _, err := Parse(der[:n]); !errors.Is(err, ErrMalformed) {
						t.Fatalf("%d of %d bytes: got %v, want ErrMalformed", n, len(der), err)
					}
				}
			})

			t.Run("trailing garbage", func(t *testing.T) {
				for _, tail := range [][]byte{{0x01}, {0, 0, 0, 0x30}, append(make([]byte, 100), 0xff), der} {
					_, err := Parse(append(bytes.Clone(der), tail...))
					if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "not zero padding") {
						t.Fatalf("tail %x: got %v, want ErrMalformed about padding", tail, err)
					}
				}
			})
		})
	}
}

func mustParams(t *testing.T, o *SignOptions) *signParams {
	t.Helper()
	p, err := o.params(nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseErrorsAreClear(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty input"},
		{"placeholder", make([]byte, 4096), "all zero bytes"},
		{"not DER", []byte("%PDF"), "not a DER SEQUENCE"},
		{"BER, not a SignedData", []byte{0x30, 0x80, 0x06, 0x01, 0x00, 0x00, 0x00}, "is not signedData"},
		{"BER without end-of-contents", []byte{0x30, 0x80, 0x06, 0x01, 0x00}, "not a DER SEQUENCE"},
		{"other content type", []byte{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x00}, "is not signedData"},
	} {
		_, err := Parse(tc.in)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrMalformed with %q", tc.name, err, tc.want)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	sm := newPKI(t, SM2)
	ec := newPKI(t, PAdES)
	digest32 := make([]byte, 32)
	for _, tc := range []struct {
		name   string
		signer crypto.Signer
		opts   SignOptions
		digest []byte
		want   error
	}{
		{"no profile", sm.key, SignOptions{Certificates: []*smx509.Certificate{sm.cert}}, digest32, nil},
		{"no certificate", sm.key, SignOptions{Profile: SM2}, digest32, nil},
		{"nil certificate", sm.key, SignOptions{Profile: SM2, Certificates: []*smx509.Certificate{sm.cert, nil}}, digest32, nil},
		{"key of another certificate", sm.key, SignOptions{Profile: SM2, Certificates: []*smx509.Certificate{sm.ca}}, digest32, ErrKeyMismatch},
		{"PAdES with an SM2 certificate", sm.key, SignOptions{Profile: PAdES, Certificates: []*smx509.Certificate{sm.cert}}, digest32, ErrKeyMismatch},
		{"SM2 with a P-256 certificate", ec.key, SignOptions{Profile: SM2, Certificates: []*smx509.Certificate{ec.cert}}, digest32, ErrKeyMismatch},
		{"GM OIDs with PAdES", ec.key, SignOptions{Profile: PAdES, GMOIDs: true, Certificates: []*smx509.Certificate{ec.cert}}, digest32, nil},
		{"short digest", ec.key, ec.opts(false), digest32[:20], nil},
		{"raw r||s signature", rawSigner{ec.key}, ec.opts(false), digest32, nil},
		{"nil signer", nil, ec.opts(false), digest32, nil},
	} {
		_, err := SignDigest(tc.digest, tc.signer, tc.opts)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: got %v, want an error (%v)", tc.name, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}
