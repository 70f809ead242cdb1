package ses

import (
	"bytes"
	encasn1 "encoding/asn1"
	"fmt"
	"math"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Constants of GB/T 38540-2020.
const (
	// HeaderID is SES_Header.id, fixed to "ES".
	HeaderID = "ES"
	// Version is the data structure version this package implements, in
	// SES_Header.version and TBS_Sign.version.
	Version = 4

	// CertListTypeCerts: certList holds the signer certificates (certs).
	CertListTypeCerts = 1
	// CertListTypeDigests: certList holds digests of the signer
	// certificates (certDigestList).
	CertListTypeDigests = 2
)

// Object identifiers (GB/T 33560).
var (
	// OIDSM2WithSM3 is the SM2 signature with SM3 (1.2.156.10197.1.501), the
	// only signAlgID and signatureAlgID this package makes or accepts.
	OIDSM2WithSM3 = encasn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	// OIDSM3 is the SM3 hash (1.2.156.10197.1.401).
	OIDSM3 = encasn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
)

// Seal is an electronic seal (电子印章数据).
//
// GB/T 38540-2020 6 SES_Seal.
type Seal struct {
	ESealInfo   SealInfo                 // eSealInfo: what the maker signs
	Cert        []byte                   // cert: the maker's (制章者) certificate, DER
	SignAlgID   encasn1.ObjectIdentifier // signAlgID: OIDSM2WithSM3
	SignedValue []byte                   // signedValue: SM2 signature (DER) over DER(ESealInfo)
}

// SealInfo is the signed content of a seal (印章信息).
//
// GB/T 38540-2020 6 SES_SealInfo.
type SealInfo struct {
	Header   Header
	ESID     string // esID: the seal's unique identifier (IA5String)
	Property PropertyInfo
	Picture  PictureInfo
	ExtDatas ExtensionDatas // extDatas OPTIONAL: nil when absent
}

// Header identifies the structure (头信息).
//
// GB/T 38540-2020 6 SES_Header.
type Header struct {
	ID      string // id: HeaderID, "ES"
	Version int    // version: 4
	VID     string // vid: vendor (厂商) identifier
}

// PropertyInfo describes the seal and who may use it (印章属性信息).
//
// GB/T 38540-2020 6 SES_ESPropertyInfo.
type PropertyInfo struct {
	// Type is the seal type (印章类型). Version 4 leaves its values to the
	// application; GM/T 0031-2014 had 1 单位印章 and 2 个人印章, and the seals
	// seen in the wild use 3 and 4.
	Type         int
	Name         string   // name: 印章名称 (UTF8String)
	CertListType int      // certListType: CertListTypeCerts or CertListTypeDigests
	CertList     CertList // certList: the authorised signers
	CreateDate   time.Time
	ValidStart   time.Time
	ValidEnd     time.Time
}

// CertList lists the certificates allowed to sign with the seal
// (签章者证书信息列表). Exactly one of its fields is used, as CertListType
// says.
//
// GB/T 38540-2020 6 SES_CertList.
type CertList struct {
	Certs          [][]byte        // certs (CertInfoList): DER certificates
	CertDigestList []CertDigestObj // certDigestList
}

// CertDigestObj is a digest of a signer certificate (签章者证书杂凑值).
//
// GB/T 38540-2020 6 CertDigestObj.
type CertDigestObj struct {
	// Type names the digest algorithm (PrintableString, left to the
	// application by the standard). This package writes "SM3" and matches
	// "SM3", "SHA256", "SHA-256" and the dotted OIDs of SM3 and SHA-256, in
	// any case.
	Type  string
	Value []byte
}

// PictureInfo is the seal's picture (印章图片信息).
//
// GB/T 38540-2020 6 SES_ESPictrueInfo (sic).
type PictureInfo struct {
	Type   string // type: image format, e.g. "PNG", "GIF", "JPG", "SVG", "ofd"
	Data   []byte
	Width  int // display width in millimetres
	Height int // display height in millimetres
}

// ExtensionDatas holds vendor extensions (自定义数据). A nil slice is an
// absent field; a non-nil empty slice is an empty SEQUENCE.
//
// GB/T 38540-2020 ExtensionDatas.
type ExtensionDatas []ExtData

// ExtData is one vendor extension.
//
// GB/T 38540-2020 ExtData.
type ExtData struct {
	ExtnID    encasn1.ObjectIdentifier
	Critical  bool
	ExtnValue []byte

	// criticalOmitted records a parsed ExtData without the critical field
	// (DEFAULT FALSE), so that Marshal reproduces the input. Freshly made
	// extensions always carry it: the seals seen in the wild do, and ofdrw
	// cannot read them otherwise.
	criticalOmitted bool
}

// ParseSeal parses a DER SES_Seal. It rejects anything that is not exactly
// one version 4 structure: trailing data, a wrong header id or version,
// non-DER times, strings or lengths. Parsing does not verify the maker's
// signature; call VerifyMaker.
func ParseSeal(der []byte) (*Seal, error) {
	root := &decoder{s: cryptobyte.String(bytes.Clone(der))}
	s, err := parseSeal(root, "SES_Seal")
	if err != nil {
		return nil, err
	}
	if !root.s.Empty() {
		return nil, &SyntaxError{Field: "SES_Seal", Msg: fmt.Sprintf("%d bytes of trailing data after the structure", len(root.s))}
	}
	return s, nil
}

func parseSeal(parent *decoder, field string) (*Seal, error) {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return nil, err
	}
	s := new(Seal)
	if err := parseSealInfo(d, "eSealInfo", &s.ESealInfo); err != nil {
		return nil, err
	}
	if d.peek(asn1.SEQUENCE) {
		// GM/T 0031-2014 signInfo; the header was version 1 and already
		// refused, unless it lied.
		return nil, d.errorf("cert", "found SEQUENCE (a version 1 SES_SignInfo?), want OCTET STRING")
	}
	if s.Cert, err = d.octets("cert"); err != nil {
		return nil, err
	}
	if s.SignAlgID, err = d.oid("signAlgID"); err != nil {
		return nil, err
	}
	if s.SignedValue, err = d.bitString("signedValue"); err != nil {
		return nil, err
	}
	return s, d.end()
}

func parseSealInfo(parent *decoder, field string, si *SealInfo) error {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return err
	}
	if err := parseHeader(d, "header", &si.Header); err != nil {
		return err
	}
	if si.ESID, err = d.ia5("esID"); err != nil {
		return err
	}
	if err := parseProperty(d, "property", &si.Property); err != nil {
		return err
	}
	if err := parsePicture(d, "picture", &si.Picture); err != nil {
		return err
	}
	if !d.s.Empty() {
		if si.ExtDatas, err = parseExtensionDatas(d, "extDatas"); err != nil {
			return err
		}
	}
	return d.end()
}

func parseHeader(parent *decoder, field string, h *Header) error {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return err
	}
	if h.ID, err = d.ia5("id"); err != nil {
		return err
	}
	if h.ID != HeaderID {
		return d.errorf("id", "is %q, want %q", h.ID, HeaderID)
	}
	v, err := d.integer("version")
	if err != nil {
		return err
	}
	if v != Version {
		return &VersionError{Field: join(d.path, "version"), Version: v}
	}
	h.Version = int(v)
	if h.VID, err = d.ia5("vid"); err != nil {
		return err
	}
	return d.end()
}

func parseProperty(parent *decoder, field string, p *PropertyInfo) error {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return err
	}
	if p.Type, err = d.intField("type", math.MinInt); err != nil {
		return err
	}
	if p.Name, err = d.utf8("name"); err != nil {
		return err
	}
	if d.peek(asn1.SEQUENCE) {
		return d.errorf("certListType", "missing: found the certList SEQUENCE (GM/T 0031-2014 version 1 layout)")
	}
	if p.CertListType, err = d.intField("certListType", 0); err != nil {
		return err
	}
	l, err := d.sub("certList", asn1.SEQUENCE)
	if err != nil {
		return err
	}
	switch p.CertListType {
	case CertListTypeCerts:
		p.CertList.Certs = [][]byte{}
		for i := 0; !l.s.Empty(); i++ {
			c, err := l.octets(fmt.Sprintf("certs[%d]", i))
			if err != nil {
				return err
			}
			p.CertList.Certs = append(p.CertList.Certs, c)
		}
	case CertListTypeDigests:
		p.CertList.CertDigestList = []CertDigestObj{}
		for i := 0; !l.s.Empty(); i++ {
			o, err := l.sub(fmt.Sprintf("certDigestList[%d]", i), asn1.SEQUENCE)
			if err != nil {
				return err
			}
			var c CertDigestObj
			if c.Type, err = o.printable("type"); err != nil {
				return err
			}
			if c.Value, err = o.octets("value"); err != nil {
				return err
			}
			if err := o.end(); err != nil {
				return err
			}
			p.CertList.CertDigestList = append(p.CertList.CertDigestList, c)
		}
	default:
		return d.errorf("certListType", "is %d, want %d (certificates) or %d (certificate digests)",
			p.CertListType, CertListTypeCerts, CertListTypeDigests)
	}
	if p.CreateDate, err = d.generalizedTime("createDate"); err != nil {
		return err
	}
	if p.ValidStart, err = d.generalizedTime("validStart"); err != nil {
		return err
	}
	if p.ValidEnd, err = d.generalizedTime("validEnd"); err != nil {
		return err
	}
	if p.ValidEnd.Before(p.ValidStart) {
		return d.errorf("validEnd", "%s is before validStart %s",
			p.ValidEnd.Format(time.RFC3339), p.ValidStart.Format(time.RFC3339))
	}
	return d.end()
}

func parsePicture(parent *decoder, field string, p *PictureInfo) error {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return err
	}
	if p.Type, err = d.ia5("type"); err != nil {
		return err
	}
	if p.Data, err = d.octets("data"); err != nil {
		return err
	}
	if p.Width, err = d.intField("width", 0); err != nil {
		return err
	}
	if p.Height, err = d.intField("height", 0); err != nil {
		return err
	}
	return d.end()
}

func parseExtensionDatas(parent *decoder, field string) (ExtensionDatas, error) {
	d, err := parent.sub(field, asn1.SEQUENCE)
	if err != nil {
		return nil, err
	}
	exts := ExtensionDatas{}
	for i := 0; !d.s.Empty(); i++ {
		e, err := d.sub(fmt.Sprintf("[%d]", i), asn1.SEQUENCE)
		if err != nil {
			return nil, err
		}
		var x ExtData
		if x.ExtnID, err = e.oid("extnID"); err != nil {
			return nil, err
		}
		var present bool
		if x.Critical, present, err = e.optionalBool("critical"); err != nil {
			return nil, err
		}
		x.criticalOmitted = !present
		if x.ExtnValue, err = e.octets("extnValue"); err != nil {
			return nil, err
		}
		if err := e.end(); err != nil {
			return nil, err
		}
		exts = append(exts, x)
	}
	return exts, nil
}

// Marshal returns the DER encoding of the seal. It fails, naming the field,
// on values the structure cannot hold (non-ASCII IA5String, wrong header,
// certList not matching certListType, ...). Times are written in UTC to the
// second.
func (s *Seal) Marshal() ([]byte, error) {
	var b cryptobyte.Builder
	e := &encoder{path: "SES_Seal"}
	s.build(&b, e)
	if e.err != nil {
		return nil, e.err
	}
	return b.Bytes()
}

// Marshal returns the DER encoding of the seal information: the bytes the
// maker signs.
func (si *SealInfo) Marshal() ([]byte, error) {
	var b cryptobyte.Builder
	e := &encoder{path: "SES_SealInfo"}
	si.build(&b, e)
	if e.err != nil {
		return nil, e.err
	}
	return b.Bytes()
}

func (s *Seal) build(b *cryptobyte.Builder, e *encoder) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		ie := e.in("eSealInfo")
		s.ESealInfo.build(b, ie)
		e.absorb(ie)
		b.AddASN1OctetString(s.Cert)
		e.oid(b, "signAlgID", s.SignAlgID)
		bitString(b, s.SignedValue)
	})
}

func (si *SealInfo) build(b *cryptobyte.Builder, e *encoder) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		h := e.in("header")
		if si.Header.ID != HeaderID {
			h.fail("id", "is %q, want %q", si.Header.ID, HeaderID)
		}
		if si.Header.Version != Version {
			h.fail("version", "is %d, want %d", si.Header.Version, Version)
		}
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			h.ia5(b, "id", si.Header.ID)
			b.AddASN1Int64(int64(si.Header.Version))
			h.ia5(b, "vid", si.Header.VID)
		})
		e.absorb(h)
		e.ia5(b, "esID", si.ESID)
		pe := e.in("property")
		si.Property.build(b, pe)
		e.absorb(pe)
		p := e.in("picture")
		if si.Picture.Width < 0 || si.Picture.Height < 0 {
			p.fail("width", "picture size %dx%d mm is negative", si.Picture.Width, si.Picture.Height)
		}
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p.ia5(b, "type", si.Picture.Type)
			b.AddASN1OctetString(si.Picture.Data)
			b.AddASN1Int64(int64(si.Picture.Width))
			b.AddASN1Int64(int64(si.Picture.Height))
		})
		e.absorb(p)
		if si.ExtDatas != nil {
			x := e.in("extDatas")
			si.ExtDatas.build(b, x)
			e.absorb(x)
		}
	})
}

func (p *PropertyInfo) build(b *cryptobyte.Builder, e *encoder) {
	if p.ValidEnd.Before(p.ValidStart) {
		e.fail("validEnd", "%s is before validStart %s", p.ValidEnd.UTC().Format(time.RFC3339), p.ValidStart.UTC().Format(time.RFC3339))
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(p.Type))
		e.utf8(b, "name", p.Name)
		b.AddASN1Int64(int64(p.CertListType))
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			switch p.CertListType {
			case CertListTypeCerts:
				if len(p.CertList.CertDigestList) > 0 {
					e.fail("certList", "certListType %d (certificates) but certDigestList is set", p.CertListType)
				}
				for _, c := range p.CertList.Certs {
					b.AddASN1OctetString(c)
				}
			case CertListTypeDigests:
				if len(p.CertList.Certs) > 0 {
					e.fail("certList", "certListType %d (certificate digests) but certs is set", p.CertListType)
				}
				for i, c := range p.CertList.CertDigestList {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						e.printable(b, fmt.Sprintf("certList.certDigestList[%d].type", i), c.Type)
						b.AddASN1OctetString(c.Value)
					})
				}
			default:
				e.fail("certListType", "is %d, want %d (certificates) or %d (certificate digests)",
					p.CertListType, CertListTypeCerts, CertListTypeDigests)
			}
		})
		e.generalizedTime(b, "createDate", p.CreateDate)
		e.generalizedTime(b, "validStart", p.ValidStart)
		e.generalizedTime(b, "validEnd", p.ValidEnd)
	})
}

func (x ExtensionDatas) build(b *cryptobyte.Builder, e *encoder) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i, ext := range x {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				e.oid(b, fmt.Sprintf("[%d].extnID", i), ext.ExtnID)
				if ext.Critical || !ext.criticalOmitted {
					b.AddASN1Boolean(ext.Critical)
				}
				b.AddASN1OctetString(ext.ExtnValue)
			})
		}
	})
}
