package verify_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/internal/testenv"
	"github.com/eseal-project/eseal/internal/tsa"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/cms"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/seal/ses"
	"github.com/eseal-project/eseal/verify"
)

// docTimestamp adds a document time-stamp from the authority at a (see
// testenv.StartTSA) to doc.
func docTimestamp(t *testing.T, a *testenv.TSA, doc []byte) []byte {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	prep, err := pdf.AddSignature(r, pdf.NewUpdate(r), pdf.SigSpec{Type: "DocTimeStamp", Filter: "Adobe.PPKLite", SubFilter: "ETSI.RFC3161", ContentsSize: 8192})
	if err != nil {
		t.Fatal(err)
	}
	client := &tsa.Client{URL: a.URL}
	stamp := func(digest []byte) ([]byte, error) {
		return client.StampDigest(context.Background(), digest, crypto.SHA256)
	}
	var out bytes.Buffer
	if err := prep.Write(context.Background(), &out, sha256.New(), stamp); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// A document time-stamp by OpenSSL's TSA after our seal: both verify, the
// seal allows it, and the report gives the authority's time. Negative
// twins: an untrusted TSA, changed bytes. (OpenSSL signs no token with a
// certificate lacking the timeStamping usage, so that check is not
// exercised here.)
func TestDocumentTimestamp(t *testing.T) {
	p := sealtest.NewPKI(t)
	signed := sealtest.Stamp(t, sealtest.Fixture(t, "libreoffice.pdf"), p.Options(seal.ModeSM2))
	a := testenv.StartTSA(t)
	doc := docTimestamp(t, a, signed)

	rep := check(t, doc, verify.Options{Trust: p.Trust()})
	expect(t, rep, verify.Indeterminate, verify.ReasonNoChain)
	if rep.Signatures[0].Verdict != verify.Valid {
		t.Fatalf("the seal before the time-stamp:\n%s", text(rep))
	}
	trust := p.Trust()
	tsaCerts, err := certs.LoadCertificates(a.Cert)
	if err != nil {
		t.Fatal(err)
	}
	trust.Add(tsaCerts...)
	rep = check(t, doc, verify.Options{Trust: trust})
	expect(t, rep, verify.Valid, verify.ReasonOK)
	ts := rep.Signatures[1]
	if ts.Format != "timestamp" || ts.SubFilter != "ETSI.RFC3161" || ts.SigningTime.IsZero() || !strings.Contains(ts.TimeSource, "time-stamp") {
		t.Fatalf("time-stamp report:\n%s", text(rep))
	}

	bad := bytes.Clone(doc)
	bad[len(signed)+40] ^= 0x01 // in the time-stamp's own revision
	rep, err = verify.PDF(context.Background(), bytes.NewReader(bad), int64(len(bad)), verify.Options{Trust: trust})
	if err == nil && rep.Verdict == verify.Valid {
		t.Fatalf("a changed byte after the seal still verifies:\n%s", text(rep))
	}
	bad = bytes.Clone(doc)
	bad[100] ^= 0x01 // covered by both
	rep = check(t, bad, verify.Options{Trust: trust})
	if rep.Signatures[1].Verdict != verify.Invalid || rep.Signatures[1].Reason != verify.ReasonHash {
		t.Fatalf("a changed byte under the time-stamp:\n%s", text(rep))
	}

}

// Two years on, the seal certificates have expired. A seal alone is then
// INDETERMINATE (EXPIRED); with a later document time-stamp from a trusted
// authority it is VALID, its chain checked at the time-stamp's time. An
// untrusted time-stamp proves nothing.
func TestPastValidationByTimestamp(t *testing.T) {
	p := sealtest.NewPKI(t)
	later := time.Now().AddDate(2, 0, 0)
	a := testenv.StartTSA(t)
	tsaCerts, err := certs.LoadCertificates(a.Cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []seal.Mode{seal.ModeSM2, seal.ModePAdES} {
		t.Run(string(mode), func(t *testing.T) {
			signed := sealtest.Stamp(t, sealtest.Fixture(t, "ghostscript.pdf"), p.Options(mode))
			trust := p.Trust()
			trust.Add(tsaCerts...)
			opts := verify.Options{Trust: trust, Time: later}
			expect(t, check(t, signed, opts), verify.Indeterminate, verify.ReasonExpired)

			doc := docTimestamp(t, a, signed)
			rep := check(t, doc, opts)
			expect(t, rep, verify.Valid, verify.ReasonOK)
			if !strings.Contains(text(rep), "when the document time-stamp of signature 2") {
				t.Fatalf("the chain check does not name the time-stamp:\n%s", text(rep))
			}
			// The same time-stamp without its authority in the trust store.
			rep = check(t, doc, verify.Options{Trust: p.Trust(), Time: later})
			if rep.Signatures[0].Reason != verify.ReasonExpired || rep.Verdict == verify.Valid {
				t.Fatalf("an untrusted time-stamp vouches for an expired certificate:\n%s", text(rep))
			}
		})
	}
}

// A seal with a signature time-stamp from OpenSSL's authority (PAdES
// B-T): the signing time is the authority's, the seal outlives its
// certificate, and a changed token or an untrusted authority count as
// they should.
func TestSignatureTimestamp(t *testing.T) {
	p := sealtest.NewPKI(t)
	a := testenv.StartTSA(t)
	client := &tsa.Client{URL: a.URL}
	tsaCerts, err := certs.LoadCertificates(a.Cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []seal.Mode{seal.ModeSM2, seal.ModeSES, seal.ModePAdES} {
		t.Run(string(mode), func(t *testing.T) {
			o := p.Options(mode)
			o.Timestamp = func(ctx context.Context, sig []byte) ([]byte, error) { return client.Stamp(ctx, sig, crypto.SHA256) }
			doc := sealtest.Stamp(t, sealtest.Fixture(t, "ghostscript.pdf"), o)
			trust := p.Trust()
			trust.Add(tsaCerts...)

			rep := check(t, doc, verify.Options{Trust: trust})
			expect(t, rep, verify.Valid, verify.ReasonOK)
			if !strings.HasPrefix(rep.Signatures[0].TimeSource, "signature time-stamp by") {
				t.Fatalf("signing time not from the time-stamp:\n%s", text(rep))
			}
			later := time.Now().AddDate(2, 0, 0)
			rep = check(t, doc, verify.Options{Trust: trust, Time: later})
			expect(t, rep, verify.Valid, verify.ReasonOK)
			if !strings.Contains(text(rep), "its own signature time-stamp proves this signature existed") {
				t.Fatalf("past validation not by the signature time-stamp:\n%s", text(rep))
			}

			// The authority untrusted: valid today, its time not relied on;
			// in two years the expired certificate has nothing to stand on.
			rep = check(t, doc, verify.Options{Trust: p.Trust()})
			expect(t, rep, verify.Valid, verify.ReasonOK)
			if !strings.Contains(text(rep), "its time is not relied on") || strings.HasPrefix(rep.Signatures[0].TimeSource, "signature time-stamp") {
				t.Fatalf("an untrusted time-stamp is relied on:\n%s", text(rep))
			}
			expect(t, check(t, doc, verify.Options{Trust: p.Trust(), Time: later}), verify.Indeterminate, verify.ReasonExpired)

			// One byte of the token's TSTInfo changed (its genTime).
			r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
			if err != nil {
				t.Fatal(err)
			}
			fields, _ := r.SignatureFields()
			contents, _ := pdf.Bytes(fields[0].Dict["Contents"])
			var ts *cms.Timestamp
			if mode == seal.ModeSES {
				var elem cryptobyte.String
				var tag cbasn1.Tag
				in := cryptobyte.String(contents)
				in.ReadAnyASN1Element(&elem, &tag) // the DER without the zero padding
				sig, err := ses.ParseSignature(elem)
				if err != nil {
					t.Fatal(err)
				}
				ts, err = cms.ParseTimestamp(sig.TimeStamp)
				if err != nil {
					t.Fatalf("no time-stamp in the SES_Signature: %v", err)
				}
			} else {
				sd, err := cms.Parse(contents)
				if err != nil {
					t.Fatal(err)
				}
				if ts, err = sd.SignatureTimestamp(); err != nil || ts == nil {
					t.Fatalf("no signature time-stamp in the CMS: %v", err)
				}
			}
			gen := []byte(hex.EncodeToString([]byte(ts.GenTime.UTC().Format("20060102150405"))))
			br := rep.Signatures[0].ByteRange // the gap holds /Contents
			i := bytes.Index(bytes.ToLower(doc[br[1]:br[2]]), gen)
			if i < 0 {
				t.Fatal("genTime not found in /Contents")
			}
			i += int(br[1])
			bad := bytes.Clone(doc)
			bad[i+1] ^= 0x01 // one hex digit of the time: another digit
			rep = check(t, bad, verify.Options{Trust: trust})
			if rep.Signatures[0].Verdict != verify.Invalid || rep.Signatures[0].Reason != verify.ReasonSigCrypto {
				t.Fatalf("a changed time-stamp token:\n%s", text(rep))
			}
		})
	}
}
