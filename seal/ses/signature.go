package ses

import (
	"bytes"
	encasn1 "encoding/asn1"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Signature is an electronic seal signature (电子签章数据): a seal applied to
// content by one of the seal's authorised signers.
//
// GB/T 38540-2020 7 SES_Signature.
type Signature struct {
	ToSign         TBSSign
	Cert           []byte                   // cert: the signer's (签章者) certificate, DER
	SignatureAlgID encasn1.ObjectIdentifier // signatureAlgID: OIDSM2WithSM3
	Signature      []byte                   // signature: SM2 signature (DER) over DER(ToSign)
	// TimeStamp is timeStamp [0] EXPLICIT BIT STRING OPTIONAL: a GB/T 20520
	// (RFC 3161) time-stamp token over Signature, kept as opaque bytes (nil
	// when absent). seal/cms parses it (ParseTimestamp); verify checks it.
	TimeStamp []byte
}

// TBSSign is the signed content of a signature (签章信息).
//
// GB/T 38540-2020 7 TBS_Sign.
type TBSSign struct {
	Version      int       // version: 4, as the seal's header
	ESeal        Seal      // eseal: the seal applied
	TimeInfo     time.Time // timeInfo: signing time, as claimed by the signer
	DataHash     []byte    // dataHash: SM3 of the protected content
	PropertyInfo string    // propertyInfo: what was signed, e.g. "/Doc_0/Signs/Sign_0/Signature.xml"
	// ExtDatas is extDatas [0] EXPLICIT ExtensionDatas OPTIONAL; nil when
	// absent.
	ExtDatas ExtensionDatas
}

// ParseSignature parses a DER SES_Signature, strictly as ParseSeal does. It
// does not verify anything; call Verify.
func ParseSignature(der []byte) (*Signature, error) {
	root := &decoder{s: cryptobyte.String(bytes.Clone(der))}
	d, err := root.sub("SES_Signature", asn1.SEQUENCE)
	if err != nil {
		return nil, err
	}
	s := new(Signature)
	if err := parseTBSSign(d, "toSign", &s.ToSign); err != nil {
		return nil, err
	}
	if s.Cert, err = d.octets("cert"); err != nil {
		return nil, err
	}
	if s.SignatureAlgID, err = d.oid("signatureAlgID"); err != nil {
		return nil, err
	}
	if s.Signature, err = d.bitString("signature"); err != nil {
		return nil, err
	}
	if d.peek(tagExplicit0) {
		t, err := d.sub("timeStamp", tagExplicit0)
		if err != nil {
			return nil, err
		}
		if s.TimeStamp, err = t.bitString("BIT STRING"); err != nil {
			return nil, err
		}
		if err := t.end(); err != nil {
			return nil, err
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if !root.s.Empty() {
		return nil, &SyntaxError{Field: "SES_Signature", Msg: fmt.Sprintf("%d bytes of trailing data after the structure", len(root.s))}
	}
	return s, nil
}

func parseTBSSign(parent *decoder, field string, t *TBSSign) error {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return err
	}
	v, err := d.integer("version")
	if err != nil {
		return err
	}
	if v != Version {
		return &VersionError{Field: join(d.path, "version"), Version: v}
	}
	t.Version = int(v)
	seal, err := parseSeal(d, "eseal")
	if err != nil {
		return err
	}
	t.ESeal = *seal
	if d.peek(asn1.BIT_STRING) {
		return d.errorf("timeInfo", "found BIT STRING, want GeneralizedTime (BIT STRING is GM/T 0031-2014 version 1)")
	}
	if t.TimeInfo, err = d.generalizedTime("timeInfo"); err != nil {
		return err
	}
	if t.DataHash, err = d.bitString("dataHash"); err != nil {
		return err
	}
	if t.PropertyInfo, err = d.ia5("propertyInfo"); err != nil {
		return err
	}
	if d.peek(tagExplicit0) {
		x, err := d.sub("extDatas", tagExplicit0)
		if err != nil {
			return err
		}
		if t.ExtDatas, err = parseExtensionDatas(x, "ExtensionDatas"); err != nil {
			return err
		}
		if err := x.end(); err != nil {
			return err
		}
	}
	return d.end()
}

// Marshal returns the DER encoding of the signature.
func (s *Signature) Marshal() ([]byte, error) {
	var b cryptobyte.Builder
	e := &encoder{path: "SES_Signature"}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		te := e.in("toSign")
		s.ToSign.build(b, te)
		e.absorb(te)
		b.AddASN1OctetString(s.Cert)
		e.oid(b, "signatureAlgID", s.SignatureAlgID)
		bitString(b, s.Signature)
		if s.TimeStamp != nil {
			b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { bitString(b, s.TimeStamp) })
		}
	})
	if e.err != nil {
		return nil, e.err
	}
	return b.Bytes()
}

// Marshal returns the DER encoding of TBS_Sign: the bytes the signer signs.
func (t *TBSSign) Marshal() ([]byte, error) {
	var b cryptobyte.Builder
	e := &encoder{path: "TBS_Sign"}
	t.build(&b, e)
	if e.err != nil {
		return nil, e.err
	}
	return b.Bytes()
}

func (t *TBSSign) build(b *cryptobyte.Builder, e *encoder) {
	if t.Version != Version {
		e.fail("version", "is %d, want %d", t.Version, Version)
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(t.Version))
		se := e.in("eseal")
		t.ESeal.build(b, se)
		e.absorb(se)
		e.generalizedTime(b, "timeInfo", t.TimeInfo)
		bitString(b, t.DataHash)
		e.ia5(b, "propertyInfo", t.PropertyInfo)
		if t.ExtDatas != nil {
			b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
				x := e.in("extDatas")
				t.ExtDatas.build(b, x)
				e.absorb(x)
			})
		}
	})
}
