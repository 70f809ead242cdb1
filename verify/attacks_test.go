package verify_test

// Negative twins: every verifier check has a case where the verdict must
// change. The attack classes follow the PDF signature literature: universal
// signature forgery (USF), incremental saving (ISA), signature wrapping
// (SWA), shadow attacks (hide, replace, hide-and-replace), evil
// annotations (EAA), plus swapped certificates, revoked seals and
// certificates, expired certificates and damaged files.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/seal/ses"
	"github.com/eseal-project/eseal/verify"
)

func check(t *testing.T, b []byte, opts verify.Options) *verify.Report {
	t.Helper()
	rep, err := verify.PDF(context.Background(), bytes.NewReader(b), int64(len(b)), opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func text(rep *verify.Report) string {
	var b bytes.Buffer
	rep.WriteText(&b)
	return b.String()
}

func expect(t *testing.T, rep *verify.Report, v verify.Verdict, r verify.Reason) {
	t.Helper()
	if rep.Verdict != v || rep.Reason != r {
		t.Fatalf("got %s (%s), want %s (%s):\n%s", rep.Verdict, rep.Reason, v, r, text(rep))
	}
}

// appendUpdate writes an incremental update made by fn after doc, the way
// an attacker (or any PDF editor) would.
func appendUpdate(t *testing.T, doc []byte, fn func(r *pdf.Reader, u *pdf.Update)) []byte {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	u := pdf.NewUpdate(r)
	fn(r, u)
	lead := []byte(nil)
	if doc[len(doc)-1] != '\n' {
		lead = []byte("\n")
	}
	ser, err := u.Serialize(int64(len(doc)), lead)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(doc), ser.Bytes...)
}

func firstPage(t *testing.T, r *pdf.Reader) pdf.Page {
	t.Helper()
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	return pages[0]
}

type fixture struct {
	pki    *sealtest.PKI
	signed []byte // libreoffice.pdf with one SM2 seal
	opts   verify.Options
}

func newFixture(t *testing.T) *fixture {
	p := sealtest.NewPKI(t)
	f := &fixture{pki: p, opts: verify.Options{Trust: p.Trust()}}
	f.signed = sealtest.Stamp(t, sealtest.Fixture(t, "libreoffice.pdf"), p.Options(seal.ModeSM2))
	expect(t, check(t, f.signed, f.opts), verify.Valid, verify.ReasonOK)
	return f
}

func TestFlippedByteInSignedRange(t *testing.T) {
	f := newFixture(t)
	for _, at := range []int{12, len(f.signed) / 3, len(f.signed) - 10} {
		b := bytes.Clone(f.signed)
		b[at] ^= 0x20
		rep, err := verify.PDF(context.Background(), bytes.NewReader(b), int64(len(b)), f.opts)
		if err != nil {
			continue // the flip broke the file's structure: unusable is also "not valid"
		}
		if rep.Verdict != verify.Invalid {
			t.Fatalf("byte %d flipped: %s\n%s", at, rep.Verdict, text(rep))
		}
	}
	b := bytes.Clone(f.signed)
	b[12] ^= 0x01 // inside the binary comment of the header: structure intact
	expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonHash)
}

// ISA: an appended update that changes what a page shows.
func TestIncrementalSavingAttack(t *testing.T) {
	f := newFixture(t)
	t.Run("page content replaced", func(t *testing.T) {
		b := appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) {
			p := firstPage(t, r)
			content := u.AddStream(types.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (Approved: 9,999,999 yuan) Tj ET"))
			d := p.Dict.Clone().(types.Dict)
			d["Contents"] = content.IndirectRef()
			u.Set(p.Ref, d)
		})
		expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonChanged)
	})
	t.Run("content stream object rewritten", func(t *testing.T) {
		b := appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) {
			p := firstPage(t, r)
			ref, ok := pdf.RefOf(p.Dict["Contents"])
			if !ok {
				a, _ := r.Array(p.Dict["Contents"])
				ref, _ = pdf.RefOf(a[0])
			}
			u.SetStream(ref, types.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (rejected) Tj ET"))
		})
		rep := check(t, b, f.opts)
		expect(t, rep, verify.Invalid, verify.ReasonChanged)
		if !strings.Contains(text(rep), "NOT ALLOWED") {
			t.Fatal("the report does not name the disallowed change")
		}
	})
	t.Run("rewritten identically", func(t *testing.T) {
		// A tool that saves the same page dictionary again changes nothing.
		b := appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) {
			p := firstPage(t, r)
			u.Set(p.Ref, p.Dict)
		})
		rep := check(t, b, f.opts)
		expect(t, rep, verify.Valid, verify.ReasonOK)
	})
}

// Shadow attacks hide content at signing time and show it later by
// switching a reference: optional content, resources, the page tree.
func TestShadowAttacks(t *testing.T) {
	f := newFixture(t)
	cases := map[string]func(r *pdf.Reader, u *pdf.Update){
		"hide: optional content visibility": func(r *pdf.Reader, u *pdf.Update) {
			cat, ref, _ := r.Catalog()
			c := cat.Clone().(types.Dict)
			c["OCProperties"] = types.Dict{"OCGs": types.Array{}, "D": types.Dict{"OFF": types.Array{}}}
			u.Set(ref, c)
		},
		"replace: page resources": func(r *pdf.Reader, u *pdf.Update) {
			p := firstPage(t, r)
			d := p.Dict.Clone().(types.Dict)
			d["Resources"] = types.Dict{"Font": types.Dict{"F1": types.Dict{"Type": types.Name("Font"), "Subtype": types.Name("Type1"), "BaseFont": types.Name("Helvetica")}}}
			u.Set(p.Ref, d)
		},
		"hide-and-replace: page tree": func(r *pdf.Reader, u *pdf.Update) {
			cat, ref, _ := r.Catalog()
			pagesRef, _ := pdf.RefOf(cat["Pages"])
			pd, _ := r.Dict(pagesRef.IndirectRef())
			nd := pd.Clone().(types.Dict)
			kids, _ := r.Array(pd["Kids"])
			nd["Kids"] = types.Array{kids[len(kids)-1]}
			nd["Count"] = types.Integer(1)
			u.Set(pagesRef, nd)
			_ = ref
		},
		"open action added": func(r *pdf.Reader, u *pdf.Update) {
			cat, ref, _ := r.Catalog()
			c := cat.Clone().(types.Dict)
			c["OpenAction"] = types.Dict{"S": types.Name("JavaScript"), "JS": types.StringLiteral("app.alert(1)")}
			u.Set(ref, c)
		},
		"form asks for redrawn appearances": func(r *pdf.Reader, u *pdf.Update) {
			cat, _, _ := r.Catalog()
			ar, _ := pdf.RefOf(cat["AcroForm"])
			ad, _ := r.Dict(cat["AcroForm"])
			nd := ad.Clone().(types.Dict)
			nd["NeedAppearances"] = types.Boolean(true)
			u.Set(ar, nd)
		},
	}
	for name, attack := range cases {
		t.Run(name, func(t *testing.T) {
			expect(t, check(t, appendUpdate(t, f.signed, attack), f.opts), verify.Invalid, verify.ReasonChanged)
		})
	}
}

// EAA: annotations added after signing (text over the page, a fake
// signature widget whose "signature" is no signature).
func TestEvilAnnotations(t *testing.T) {
	f := newFixture(t)
	addAnnot := func(annot types.Dict) []byte {
		return appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) {
			p := firstPage(t, r)
			ref := u.Add(annot)
			d := p.Dict.Clone().(types.Dict)
			old, _ := r.Array(p.Dict["Annots"])
			d["Annots"] = append(append(types.Array{}, old...), ref.IndirectRef())
			u.Set(p.Ref, d)
		})
	}
	t.Run("free text", func(t *testing.T) {
		b := addAnnot(types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("FreeText"), "Rect": types.NewNumberArray(50, 700, 500, 750),
			"Contents": types.StringLiteral("Amount: 9,999,999"), "DA": types.StringLiteral("/Helv 20 Tf 0 g")})
		expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonChanged)
	})
	t.Run("signature widget without a signature", func(t *testing.T) {
		b := addAnnot(types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Widget"), "FT": types.Name("Sig"), "T": types.StringLiteral("Fake"),
			"Rect": types.NewNumberArray(50, 700, 500, 750)})
		expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonChanged)
	})
}

// A later real signature is allowed; its twin that also slips in a
// content change is not.
func TestLaterSignatureAllowedButNotWithContent(t *testing.T) {
	f := newFixture(t)
	two := sealtest.Stamp(t, f.signed, f.pki.Options(seal.ModePAdES))
	expect(t, check(t, two, f.opts), verify.Valid, verify.ReasonOK)
	bad := appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) {
		p := firstPage(t, r)
		content := u.AddStream(types.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (void) Tj ET"))
		d := p.Dict.Clone().(types.Dict)
		d["Contents"] = content.IndirectRef()
		u.Set(p.Ref, d)
	})
	bad = sealtest.Stamp(t, bad, f.pki.Options(seal.ModePAdES))
	rep := check(t, bad, f.opts)
	if rep.Signatures[0].Verdict != verify.Invalid || rep.Signatures[0].Reason != verify.ReasonChanged || rep.Signatures[1].Verdict != verify.Valid {
		t.Fatalf("first %s/%s second %s\n%s", rep.Signatures[0].Verdict, rep.Signatures[0].Reason, rep.Signatures[1].Verdict, text(rep))
	}
}

// USF: signature dictionaries whose /ByteRange or /Contents are missing,
// empty, indirect or degenerate must not pass as signatures.
func TestUniversalSignatureForgery(t *testing.T) {
	f := newFixture(t)
	doc := sealtest.Fixture(t, "ghostscript.pdf")
	forge := func(sig types.Dict) []byte {
		return appendUpdate(t, doc, func(r *pdf.Reader, u *pdf.Update) {
			p := firstPage(t, r)
			sigRef := u.Add(sig)
			field := u.Add(types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Widget"), "FT": types.Name("Sig"), "T": types.StringLiteral("Forged"),
				"V": sigRef.IndirectRef(), "Rect": types.NewNumberArray(0, 0, 0, 0), "P": p.Ref.IndirectRef()})
			d := p.Dict.Clone().(types.Dict)
			d["Annots"] = types.Array{field.IndirectRef()}
			u.Set(p.Ref, d)
			cat, cref, _ := r.Catalog()
			c := cat.Clone().(types.Dict)
			c["AcroForm"] = types.Dict{"Fields": types.Array{field.IndirectRef()}, "SigFlags": types.Integer(3)}
			u.Set(cref, c)
		})
	}
	// A real container taken from a genuinely signed document.
	r, _ := pdf.Open(bytes.NewReader(f.signed), int64(len(f.signed)))
	fields, _ := r.SignatureFields()
	realContents := fields[0].Dict["Contents"]
	base := func() types.Dict {
		return types.Dict{"Type": types.Name("Sig"), "Filter": types.Name("Adobe.PPKLite"), "SubFilter": types.Name("adbe.pkcs7.detached")}
	}
	variants := map[string]func(d types.Dict){
		"no ByteRange": func(d types.Dict) { d["Contents"] = realContents },
		"no Contents":  func(d types.Dict) { d["ByteRange"] = types.NewIntegerArray(0, 10, 20, 30) },
		"empty Contents": func(d types.Dict) {
			d["ByteRange"] = types.NewIntegerArray(0, 10, 20, 30)
			d["Contents"] = types.HexLiteral("")
		},
		"zero Contents": func(d types.Dict) {
			d["ByteRange"] = types.NewIntegerArray(0, 10, 20, 30)
			d["Contents"] = types.HexLiteral("0000")
		},
		"null ByteRange":     func(d types.Dict) { d["ByteRange"] = nil; d["Contents"] = realContents },
		"indirect ByteRange": func(d types.Dict) { d["ByteRange"] = *types.NewIndirectRef(1, 0); d["Contents"] = realContents },
		"ByteRange [0 0 0 0]": func(d types.Dict) {
			d["ByteRange"] = types.NewIntegerArray(0, 0, 0, 0)
			d["Contents"] = realContents
		},
		"ByteRange beyond the file": func(d types.Dict) {
			d["ByteRange"] = types.NewIntegerArray(0, 100, 200, 1<<30)
			d["Contents"] = realContents
		},
		"ByteRange with six numbers": func(d types.Dict) {
			d["ByteRange"] = types.NewIntegerArray(0, 10, 20, 10, 40, 10)
			d["Contents"] = realContents
		},
	}
	for name, mutate := range variants {
		t.Run(name, func(t *testing.T) {
			d := base()
			mutate(d)
			rep := check(t, forge(d), f.opts)
			if rep.Verdict != verify.Invalid || len(rep.Signatures) != 1 {
				t.Fatalf("%s\n%s", rep.Verdict, text(rep))
			}
			if r := rep.Signatures[0].Reason; r != verify.ReasonFormat && r != verify.ReasonByteRange {
				t.Fatalf("reason %s", r)
			}
		})
	}
}

// SWA: the signed bytes are real, but the signature dictionary the
// document now uses was moved (a copy in a later update pointing at the old
// /Contents), so that the signed revision is no longer the document shown.
func TestSignatureWrapping(t *testing.T) {
	f := newFixture(t)
	b := appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) {
		fields, _ := r.SignatureFields()
		sf := fields[0]
		copyRef := u.Add(sf.Dict) // same /ByteRange and /Contents, new object
		fd, _ := r.Dict(sf.Field.IndirectRef())
		nd := fd.Clone().(types.Dict)
		nd["V"] = copyRef.IndirectRef()
		u.Set(sf.Field, nd)
		// and the attacker's content
		p := firstPage(t, r)
		content := u.AddStream(types.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (forged) Tj ET"))
		d := p.Dict.Clone().(types.Dict)
		d["Contents"] = content.IndirectRef()
		u.Set(p.Ref, d)
	})
	rep := check(t, b, f.opts)
	if rep.Verdict != verify.Invalid {
		t.Fatalf("%s\n%s", rep.Verdict, text(rep))
	}
	if r := rep.Signatures[0].Reason; r != verify.ReasonByteRange {
		t.Fatalf("reason %s", r)
	}

	// The gap of the byte range holds more than the signature value: the
	// file is either unreadable or its signature invalid, never valid.
	rep0 := check(t, f.signed, f.opts)
	br := rep0.Signatures[0].ByteRange
	for _, junk := range []string{"endobj 1 0 obj", ">> /X <", "ZZZZ"} {
		g := bytes.Clone(f.signed)
		copy(g[br[1]+1:], junk)
		rep, err := verify.PDF(context.Background(), bytes.NewReader(g), int64(len(g)), f.opts)
		if err == nil && rep.Verdict == verify.Valid {
			t.Fatalf("junk %q in the gap: VALID", junk)
		}
	}
}

// Objects written into the file that no cross-reference section lists, and
// data after %%EOF: invisible to us, but a repairing viewer may show them.
func TestHiddenObjectsAndTrailingData(t *testing.T) {
	f := newFixture(t)

	// A new object that nothing refers to changes nothing a viewer shows;
	// the same object put on the page does.
	forged := types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("FreeText"), "Rect": types.NewNumberArray(0, 0, 500, 500), "Contents": types.StringLiteral("forged")}
	var forgedRef pdf.Ref
	loose := appendUpdate(t, f.signed, func(r *pdf.Reader, u *pdf.Update) { forgedRef = u.Add(forged) })
	rep := check(t, loose, f.opts)
	expect(t, rep, verify.Valid, verify.ReasonOK)
	if !strings.Contains(text(rep), "nothing in the document refers to") {
		t.Fatalf("the unreferenced object is not reported:\n%s", text(rep))
	}
	shown := appendUpdate(t, loose, func(r *pdf.Reader, u *pdf.Update) {
		p := firstPage(t, r)
		d := p.Dict.Clone().(types.Dict)
		old, _ := r.Array(p.Dict["Annots"])
		d["Annots"] = append(append(types.Array{}, old...), forgedRef.IndirectRef())
		u.Set(p.Ref, d)
	})
	expect(t, check(t, shown, f.opts), verify.Invalid, verify.ReasonChanged)

	b := append(bytes.Clone(f.signed), []byte("\n90 0 obj\n<< /Type /Annot /Subtype /FreeText /Rect [0 0 500 500] /Contents (forged) >>\nendobj\n")...)
	rep = check(t, b, f.opts)
	expect(t, rep, verify.Invalid, verify.ReasonChanged)

	// The same object followed by a proper (empty) update that does not
	// list it: the file ends well, the object is still there.
	hidden := append(bytes.Clone(f.signed), []byte("90 0 obj\n<< /Type /Annot /Subtype /FreeText /Rect [0 0 500 500] /Contents (forged) >>\nendobj\n")...)
	b = appendUpdate(t, hidden, func(r *pdf.Reader, u *pdf.Update) {})
	rep = check(t, b, f.opts)
	expect(t, rep, verify.Invalid, verify.ReasonChanged)
	if !strings.Contains(text(rep), "in no cross-reference section") {
		t.Fatalf("report:\n%s", text(rep))
	}
}

// A certificate swapped inside the CMS: the bytes still hash right, but the
// signature does not belong to the certificate now shown. A twin with the
// same issuer and serial (a forged certificate naming the signer) gives a
// signature that does not verify: INVALID. Another certificate leaves the
// signature without its signing certificate: INDETERMINATE.
func TestSwappedCertificate(t *testing.T) {
	f := newFixture(t)
	orig := f.pki.SealCert
	t.Run("forged twin", func(t *testing.T) {
		swapCert(t, f, func() []byte {
			tmpl := orig.ToX509() // everything the same but the key
			der, err := smx509.CreateCertificate(rand.Reader, tmpl, f.pki.SM2CA.Certificate().ToX509(), f.pki.MakerKey.Public(), f.pki.SM2CAKey)
			if err != nil {
				t.Fatal(err)
			}
			return der
		}, verify.Invalid, verify.ReasonSigCrypto)
	})
	t.Run("other certificate", func(t *testing.T) {
		swapCert(t, f, func() []byte {
			c, err := f.pki.SM2CA.Issue(context.Background(), f.pki.MakerKey.Public(), pkix.Name{CommonName: "某市行政审批服务局电子印章", Organization: []string{"某市行政审批服务局"}}, certs.ProfileSeal, certs.ValidDays(365))
			if err != nil {
				t.Fatal(err)
			}
			return c.Raw
		}, verify.Indeterminate, verify.ReasonNoSigningCert)
	})
}

// swapCert puts a certificate of the same length in place of the signer's
// inside /Contents (which the byte range leaves out).
func swapCert(t *testing.T, f *fixture, other func() []byte, v verify.Verdict, reason verify.Reason) {
	t.Helper()
	orig := f.pki.SealCert.Raw
	for i := 0; i < 100; i++ {
		der := other()
		if len(der) != len(orig) {
			continue
		}
		at := bytes.Index(f.signed, []byte(strings.ToUpper(hex.EncodeToString(orig))))
		if at < 0 {
			t.Fatal("signer certificate not found in /Contents")
		}
		b := bytes.Clone(f.signed)
		copy(b[at:], strings.ToUpper(hex.EncodeToString(der)))
		expect(t, check(t, b, f.opts), v, reason)
		return
	}
	t.Fatal("no same-length certificate in 100 tries")
}

func TestCertificateStatus(t *testing.T) {
	f := newFixture(t)
	t.Run("unknown issuer", func(t *testing.T) {
		expect(t, check(t, f.signed, verify.Options{Trust: certs.NewPool(f.pki.P256CA.Certificate())}), verify.Indeterminate, verify.ReasonNoChain)
	})
	t.Run("no trust anchors", func(t *testing.T) {
		expect(t, check(t, f.signed, verify.Options{}), verify.Indeterminate, verify.ReasonNoChain)
	})
	t.Run("expired by now", func(t *testing.T) {
		o := f.opts
		o.Time = time.Now().AddDate(2, 0, 0)
		expect(t, check(t, f.signed, o), verify.Indeterminate, verify.ReasonExpired)
	})
	t.Run("revoked", func(t *testing.T) {
		if err := f.pki.SM2CA.Revoke(f.pki.SealCert.SerialNumber, certs.KeyCompromise); err != nil {
			t.Fatal(err)
		}
		der, err := f.pki.SM2CA.CRL(context.Background(), time.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		crl, err := certs.ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		o := f.opts
		o.CRLs = []*certs.CRL{crl}
		expect(t, check(t, f.signed, o), verify.Invalid, verify.ReasonRevoked)
	})
}

func TestSealChecks(t *testing.T) {
	f := newFixture(t)
	t.Run("revoked in the registry", func(t *testing.T) {
		o := f.opts
		o.SealStatus = func(context.Context, string) (string, error) { return "revoked", nil }
		expect(t, check(t, f.signed, o), verify.Invalid, verify.ReasonSealRevoked)
		o.SealStatus = func(context.Context, string) (string, error) { return "suspended", nil }
		expect(t, check(t, f.signed, o), verify.Invalid, verify.ReasonSealSuspended)
		o.SealStatus = func(context.Context, string) (string, error) { return "", errors.New("registry down") }
		expect(t, check(t, f.signed, o), verify.Indeterminate, verify.ReasonRevocationUnknown)
		o.SealStatus = func(context.Context, string) (string, error) { return "active", nil }
		expect(t, check(t, f.signed, o), verify.Valid, verify.ReasonOK)
	})
	t.Run("maker signature broken", func(t *testing.T) {
		s, _ := ses.ParseSeal(f.pki.SealDER)
		s.ESealInfo.Picture.Data[len(s.ESealInfo.Picture.Data)-20] ^= 1
		der, _ := s.Marshal()
		o := f.pki.Options(seal.ModeSM2)
		o.Seal = der
		b := sealtest.Stamp(t, sealtest.Fixture(t, "ghostscript.pdf"), o)
		expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonSealMaker)
	})
	t.Run("signer not authorised by the seal", func(t *testing.T) {
		other, err := seal.Make(seal.MakeOptions{Name: "合同专用章", Picture: f.pki.Picture, Signers: []*smx509.Certificate{f.pki.MakerCert},
			MakerCert: f.pki.MakerCert, Maker: f.pki.MakerKey})
		if err != nil {
			t.Fatal(err)
		}
		der, _ := other.Marshal()
		o := f.pki.Options(seal.ModeSM2)
		o.Seal = der
		b := sealtest.Stamp(t, sealtest.Fixture(t, "ghostscript.pdf"), o)
		expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonSignerNotInSeal)
	})
	t.Run("seal out of its validity", func(t *testing.T) {
		old, err := seal.Make(seal.MakeOptions{Name: "旧章", Picture: f.pki.Picture, Signers: []*smx509.Certificate{f.pki.SealCert},
			MakerCert: f.pki.MakerCert, Maker: f.pki.MakerKey, ValidStart: time.Now().AddDate(-2, 0, 0), ValidEnd: time.Now().AddDate(-1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		der, _ := old.Marshal()
		o := f.pki.Options(seal.ModeSM2)
		o.Seal = der
		b := sealtest.Stamp(t, sealtest.Fixture(t, "ghostscript.pdf"), o)
		expect(t, check(t, b, f.opts), verify.Invalid, verify.ReasonSealNotValid)
	})
}

func TestUnusableInput(t *testing.T) {
	f := newFixture(t)
	for name, b := range map[string][]byte{
		"truncated": f.signed[:len(f.signed)/2],
		"not a PDF": []byte("<html></html>"),
		"encrypted": sealtest.Fixture(t, "encrypted.pdf"),
	} {
		_, err := verify.PDF(context.Background(), bytes.NewReader(b), int64(len(b)), f.opts)
		if !errors.Is(err, verify.ErrUnusable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	rep := check(t, sealtest.Fixture(t, "ghostscript.pdf"), f.opts)
	expect(t, rep, verify.Invalid, verify.ReasonNoSignature)
}

func TestReportJSON(t *testing.T) {
	f := newFixture(t)
	var b bytes.Buffer
	if err := check(t, f.signed, f.opts).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"verdict": "VALID"`, `"format": "sm2"`, `"subFilter": "adbe.pkcs7.detached"`, `"coversWholeFile": true`, `"id": "ES2026112500000001"`} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}
