// Package seal stamps PDF documents with electronic seals: a visible seal
// picture on the page (or on several pages for a cross-page seal, 骑缝章)
// and a digital signature added by incremental update, in one of three
// forms:
//
//   - ModeSM2: CMS SignedData with SM3 and SM2 (/SubFilter
//     /adbe.pkcs7.detached), standard PKCS#7 OIDs or GM/T 0010 OIDs;
//   - ModeSES: a GB/T 38540-2020 SES_Signature over the signed byte ranges
//     (/SubFilter /GBT38540.SES, see SESSubFilter);
//   - ModePAdES: CAdES with ECDSA P-256 and SHA-256 (/SubFilter
//     /ETSI.CAdES.detached), PAdES baseline B-B, for common PDF readers.
//
// The original bytes are never changed, so earlier signatures stay valid.
package seal

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"image"
	"io"
	"os"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/atomicfile"
	"github.com/eseal-project/eseal/seal/cms"
	"github.com/eseal-project/eseal/seal/pdf"
)

// Mode is the signature format.
type Mode string

const (
	ModeSM2   Mode = "sm2"
	ModeSES   Mode = "ses"
	ModePAdES Mode = "pades"
)

// SESSubFilter is the /SubFilter of signatures whose /Contents hold a
// DER GB/T 38540-2020 SES_Signature. GB/T 38540 defines the structure, not
// a PDF embedding; the name says which standard the container follows.
const SESSubFilter = "GBT38540.SES"

// ParseMode accepts "sm2", "ses" or "pades".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeSM2, ModeSES, ModePAdES:
		return m, nil
	case "":
		return ModeSM2, nil
	}
	return "", fmt.Errorf("unknown seal mode %q: want sm2, ses or pades", s)
}

// Options says how to stamp.
type Options struct {
	Mode   Mode
	Signer crypto.Signer // the seal key, in a keystore
	Cert   *smx509.Certificate
	Chain  []*smx509.Certificate // intermediates to embed
	// Seal is the GB/T 38540 seal (SES_Seal, DER) the stamp uses: required
	// in SES mode; in the CMS modes it is embedded in the signature
	// dictionary (/ESeal) under the signature, and its picture is the
	// default appearance.
	Seal []byte
	// Picture is the seal's appearance (transparent background), drawn
	// SizeMM wide; nil with Invisible for an invisible signature.
	Picture   *image.NRGBA
	SizeMM    float64 // default 42 mm, the usual official seal
	Placement Placement
	GMOIDs    bool // SM2 mode: GM/T 0010 OIDs instead of PKCS#7's
	Reason    string
	Location  string
	Name      string
	Time      time.Time // signing time; default now
	FieldName string
	// Timestamp, when set, asks a time-stamping authority for a token over
	// the signature value: a signature time-stamp, in the CMS (PAdES B-T)
	// or in the SES_Signature's timeStamp. See internal/tsa.
	Timestamp func(ctx context.Context, signature []byte) ([]byte, error)
	// Certify, when not 0, makes the seal a certification of the document
	// (DocMDP) allowing afterwards: 1 no changes, 2 further seals and form
	// filling, 3 those and annotations. Only a document's first signature
	// may certify it.
	Certify int
}

// Placement says where the seal goes. Exactly one of a position, an anchor
// text, cross-page or invisible applies.
type Placement struct {
	Page   int     // 1-based page; 0 means the last page
	X, Y   float64 // mm from Corner of the visible page to the seal's centre
	Corner Corner
	Anchor string // centre the seal on the first occurrence of this text
	// Field signs into the document's empty signature field of this
	// (fully qualified) name, the seal centred in its box.
	Field     string
	CrossPage bool // 骑缝章: strips along the right edge of every page
	Invisible bool
}

// Corner names a corner of the visible page.
type Corner string

const (
	BottomLeft  Corner = "bl"
	BottomRight Corner = "br"
	TopLeft     Corner = "tl"
	TopRight    Corner = "tr"
)

// Errors a caller branches on.
var (
	ErrNoPicture  = errors.New("no seal picture")
	ErrPlacement  = errors.New("bad seal placement")
	ErrAnchor     = errors.New("anchor text not found")
	ErrKeyMatch   = errors.New("the key does not match the certificate")
	ErrBadOptions = errors.New("bad stamping options")
)

// Result describes a stamp made.
type Result struct {
	Field     string
	Mode      Mode
	ByteRange [4]int64
	Pages     []int // 1-based pages that show the seal
	Size      int64 // of the output
}

const mm = 72 / 25.4

// timestampReserve is the room left in /Contents for a signature
// time-stamp token: its TSTInfo, the authority's signature and
// certificate chain.
const timestampReserve = 16 << 10

// Stamp reads the PDF in (size bytes) and writes it, with the seal added by
// incremental update, to out. The input is read once while it is copied
// and hashed. On error, out may hold part of a file; StampFile writes
// atomically.
func Stamp(ctx context.Context, in io.ReaderAt, size int64, out io.Writer, opts Options) (*Result, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	r, err := pdf.Open(in, size)
	if err != nil {
		return nil, err
	}
	pages, err := r.Pages()
	if err != nil {
		return nil, err
	}
	u := pdf.NewUpdate(r)
	var existing *pdf.EmptySigField
	if opts.Placement.Field != "" {
		if existing, err = r.EmptySignatureField(opts.Placement.Field); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPlacement, err)
		}
	}
	widgets, shown, err := placeWidgets(r, u, pages, opts, existing)
	if err != nil {
		return nil, err
	}
	spec := pdf.SigSpec{
		Filter:      "Adobe.PPKLite",
		Name:        opts.Name,
		Reason:      opts.Reason,
		Location:    opts.Location,
		SigningTime: opts.Time,
		FieldName:   opts.FieldName,
		Widgets:     widgets,
		App:         "eseal",
		DocMDP:      opts.Certify,
		Existing:    existing,
	}
	var h hash.Hash
	var sign func(digest []byte) ([]byte, error)
	switch opts.Mode {
	case ModeSM2, ModePAdES:
		profile := cms.SM2
		if opts.Mode == ModePAdES {
			profile = cms.PAdES
		}
		co := cms.SignOptions{Profile: profile, GMOIDs: opts.GMOIDs, SigningTime: opts.Time,
			Certificates: append([]*smx509.Certificate{opts.Cert}, opts.Chain...)}
		n, err := cms.EstimateSize(co)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadOptions, err)
		}
		spec.SubFilter = profile.SubFilter()
		spec.ContentsSize = n
		if len(opts.Seal) > 0 {
			spec.Extra = map[string][]byte{"ESeal": opts.Seal}
		}
		h = cms.NewContentHash(profile)
		sign = func(digest []byte) ([]byte, error) { return cms.SignDigest(digest, opts.Signer, co) }
		if opts.Timestamp != nil {
			spec.ContentsSize += timestampReserve
			signOnly := sign
			sign = func(digest []byte) ([]byte, error) {
				der, err := signOnly(digest)
				if err != nil {
					return nil, err
				}
				sd, err := cms.Parse(der)
				if err != nil {
					return nil, err
				}
				token, err := opts.Timestamp(ctx, sd.Signature)
				if err != nil {
					return nil, fmt.Errorf("signature time-stamp: %w", err)
				}
				return cms.AddSignatureTimestamp(der, token)
			}
		}
	case ModeSES:
		s, err := newSESSigner(opts)
		if err != nil {
			return nil, err
		}
		spec.SubFilter = SESSubFilter
		spec.ContentsSize = s.size
		h = s.hash()
		sign = func(digest []byte) ([]byte, error) { return s.sign(ctx, digest) }
	}
	prep, err := pdf.AddSignature(r, u, spec)
	if err != nil {
		return nil, err
	}
	cw := &countingWriter{w: out}
	if err := prep.Write(ctx, cw, h, sign); err != nil {
		return nil, err
	}
	return &Result{Field: prep.Field, Mode: opts.Mode, ByteRange: prep.ByteRange, Pages: shown, Size: cw.n}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func checkOptions(o *Options) error {
	if o.Mode == "" {
		o.Mode = ModeSM2
	}
	if o.Signer == nil || o.Cert == nil {
		return fmt.Errorf("%w: a signer and its certificate are required", ErrBadOptions)
	}
	if o.Certify < 0 || o.Certify > 3 {
		return fmt.Errorf("%w: certification level %d: want 1 (no changes), 2 (seals and forms) or 3 (also annotations)", ErrBadOptions, o.Certify)
	}
	if !publicKeysEqual(o.Signer.Public(), o.Cert.PublicKey) {
		return fmt.Errorf("%w: %s", ErrKeyMatch, o.Cert.Subject)
	}
	alg := hsm.AlgorithmOf(o.Signer.Public())
	switch {
	case o.Mode == ModePAdES && alg != hsm.P256:
		return fmt.Errorf("%w: PAdES mode needs an ECDSA P-256 key, this one is %s", ErrBadOptions, algName(alg))
	case (o.Mode == ModeSM2 || o.Mode == ModeSES) && alg != hsm.SM2:
		return fmt.Errorf("%w: %s mode needs an SM2 key, this one is %s", ErrBadOptions, o.Mode, algName(alg))
	case o.Mode == ModeSES && len(o.Seal) == 0:
		return fmt.Errorf("%w: SES mode needs a seal (SES_Seal made with eseal seal make)", ErrBadOptions)
	}
	if o.SizeMM == 0 {
		o.SizeMM = 42
	}
	if o.SizeMM < 5 || o.SizeMM > 300 {
		return fmt.Errorf("%w: seal size %.1f mm", ErrPlacement, o.SizeMM)
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	p := o.Placement
	n := 0
	for _, b := range []bool{p.Anchor != "", p.CrossPage, p.Invisible} {
		if b {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w: choose one of a position, an anchor text, a cross-page seal or invisible", ErrPlacement)
	}
	if o.Placement.Corner == "" {
		o.Placement.Corner = BottomLeft
	}
	switch o.Placement.Corner {
	case BottomLeft, BottomRight, TopLeft, TopRight:
	default:
		return fmt.Errorf("%w: corner %q: want bl, br, tl or tr", ErrPlacement, o.Placement.Corner)
	}
	if !p.Invisible && o.Picture == nil {
		return fmt.Errorf("%w: give a picture (--image PNG, --org to draw one, or a seal with a picture), or stamp invisibly", ErrNoPicture)
	}
	return nil
}

func algName(a hsm.Algorithm) string {
	if a == "" {
		return "neither SM2 nor P-256"
	}
	return string(a)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// StampFile stamps inPath into outPath atomically: the output is written to
// a temporary file in the same directory, synced and renamed; on any error
// nothing is left behind.
func StampFile(ctx context.Context, inPath, outPath string, opts Options) (*Result, error) {
	in, err := os.Open(inPath)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", inPath)
	}
	out, err := atomicfile.Create(outPath, 0o644)
	if err != nil {
		return nil, err
	}
	res, err := Stamp(ctx, in, fi.Size(), out, opts)
	if err != nil {
		out.Abort()
		return nil, err
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}
