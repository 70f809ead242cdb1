package main

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/tsa"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/appearance"
	"github.com/eseal-project/eseal/seal/pdf"
	"github.com/eseal-project/eseal/seal/ses"
)

func newSealCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "seal",
		Short: "Make GB/T 38540 seals and stamp PDF documents with them",
	}
	c.AddCommand(newSealMakeCmd(), newSealStampCmd(), newSealShowCmd(), newSealStatusCmd("suspend"), newSealStatusCmd("revoke"), newSealStatusCmd("reactivate"), newSealListCmd())
	return c
}

func storeFlag(c *cobra.Command, p *string, usage string) {
	envFlag(c, p, "store", "ESEAL_STORE", usage+" (default $ESEAL_STORE; sqlite:FILE or postgres://...)")
}

// envFlag registers a string flag whose default comes from an environment
// variable. The value is not shown in --help, where a DSN password or a
// PIN in a URI would otherwise appear.
func envFlag(c *cobra.Command, p *string, name, env, usage string) {
	c.Flags().StringVar(p, name, "", usage)
	*p = os.Getenv(env)
}

func loadCert(path string) (*smx509.Certificate, []*smx509.Certificate, error) {
	cs, err := certs.LoadCertificates(path)
	if err != nil {
		return nil, nil, err
	}
	if len(cs) == 0 {
		return nil, nil, fmt.Errorf("%s holds no certificate", path)
	}
	return cs[0], cs[1:], nil
}

func loadPicture(imagePath, org, name, code, font string) (*image.NRGBA, error) {
	switch {
	case imagePath != "" && org != "":
		return nil, usageErrorf("give --image or --org, not both")
	case imagePath != "":
		return appearance.LoadPNG(imagePath, appearance.DefaultMaxPNGBytes)
	case org != "":
		return appearance.Draw(appearance.Options{Org: org, Name: name, Code: code, FontPath: font})
	}
	return nil, nil
}

func newSealMakeCmd() *cobra.Command {
	var makerURI, makerLabel, makerCert, signerCert, name, imagePath, org, code, font, id, out, storeDSN, owner, signerKeystore, signerLabel string
	var typ, days int
	var sizeMM float64
	c := &cobra.Command{
		Use:   "make --maker-keystore URI --maker-label NAME --maker-cert PEM --signer-cert PEM --name NAME [--image PNG | --org TEXT] --out seal.esl",
		Short: "Make a GB/T 38540 seal (SES_Seal), signed by the seal maker",
		Long: `make draws up an electronic seal (GB/T 38540-2020 SES_Seal): its id, name,
type, the certificates allowed to sign with it, its validity and its
picture, signed by the seal maker (制章人) with a key in a keystore.

The picture is a PNG (--image, transparent background preferred) or drawn
as the standard round red official seal (--org, with --name below the star
and --code along the lower arc) in a Chinese font (fonts-wqy-microhei or
fonts-noto-cjk, or --font FILE).

With --store the seal is also registered in the seal registry, with its
owner department and the keystore label of the signing key.`,
		Example: `  eseal seal make --maker-keystore file:maker-keys --maker-label maker --maker-cert maker.pem \
      --signer-cert seal-1.pem --name 行政审批专用章 --org 某市行政审批服务局 --code 1101080012345 --out seal-1.esl
  eseal seal make ... --image seal.png --out seal-1.esl --store sqlite:eseal.db --owner 某市行政审批服务局 --signer-label seal-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if makerLabel == "" || makerCert == "" || signerCert == "" || name == "" || out == "" {
				return usageErrorf("--maker-label, --maker-cert, --signer-cert, --name and --out are required")
			}
			pic, err := loadPicture(imagePath, org, name, code, font)
			if err != nil {
				return err
			}
			if pic == nil {
				return usageErrorf("give the seal's picture: --image PNG or --org TEXT")
			}
			mc, _, err := loadCert(makerCert)
			if err != nil {
				return fmt.Errorf("maker certificate: %w", err)
			}
			sc, _, err := loadCert(signerCert)
			if err != nil {
				return fmt.Errorf("signer certificate: %w", err)
			}
			ks, err := openKeystore(makerURI)
			if err != nil {
				return err
			}
			defer ks.Close()
			maker, err := ks.Signer(cmd.Context(), makerLabel)
			if err != nil {
				return err
			}
			mo := seal.MakeOptions{ID: id, Name: name, Type: typ, Picture: pic, SizeMM: sizeMM, Signers: []*smx509.Certificate{sc}, MakerCert: mc, Maker: maker}
			if days > 0 {
				mo.ValidStart = time.Now()
				mo.ValidEnd = mo.ValidStart.AddDate(0, 0, days)
			}
			s, err := seal.Make(mo)
			if err != nil {
				return err
			}
			der, err := s.Marshal()
			if err != nil {
				return err
			}
			if storeDSN != "" {
				if owner == "" || signerLabel == "" {
					return usageErrorf("registering a seal (--store) needs --owner and --signer-label")
				}
				st, err := store.Open(cmd.Context(), storeDSN)
				if err != nil {
					return err
				}
				defer st.Close()
				p := s.ESealInfo.Property
				err = st.PutSeal(cmd.Context(), store.SealRecord{ID: s.ESealInfo.ESID, Name: p.Name, Owner: owner,
					Keystore: hsm.RedactURI(signerKeystore), KeyLabel: signerLabel, SignerCert: sc.Raw, SealDER: der,
					ValidFrom: p.ValidStart, ValidTo: p.ValidEnd})
				if err != nil {
					return err
				}
			}
			if err := writeFileAtomic(out, der, 0o644); err != nil {
				return err
			}
			p := s.ESealInfo.Property
			fmt.Fprintf(cmd.OutOrStdout(), "made seal %s %q, valid %s to %s, %d bytes: %s\n", s.ESealInfo.ESID, p.Name,
				p.ValidStart.Format(time.DateOnly), p.ValidEnd.Format(time.DateOnly), len(der), out)
			if storeDSN != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "registered in the seal registry for %s\n", owner)
			}
			return nil
		},
	}
	keystoreFlag(c, &makerURI, "maker-keystore", "keystore of the seal maker's key")
	c.Flags().StringVar(&makerLabel, "maker-label", "", "label of the seal maker's key")
	c.Flags().StringVar(&makerCert, "maker-cert", "", "the seal maker's certificate (PEM)")
	c.Flags().StringVar(&signerCert, "signer-cert", "", "certificate allowed to sign with the seal (PEM)")
	c.Flags().StringVar(&name, "name", "", "seal name, e.g. 行政审批专用章")
	c.Flags().StringVar(&imagePath, "image", "", "seal picture (PNG)")
	c.Flags().StringVar(&org, "org", "", "draw the picture: organisation name along the upper arc")
	c.Flags().StringVar(&code, "code", "", "draw the picture: code along the lower arc")
	c.Flags().StringVar(&font, "font", "", "draw the picture with this font file")
	c.Flags().StringVar(&id, "id", "", "seal id (esID); default ES<date><10 digits>")
	c.Flags().IntVar(&typ, "type", 1, "seal type")
	c.Flags().IntVar(&days, "days", 0, "validity in days from now (default: until the signer certificate expires)")
	c.Flags().Float64Var(&sizeMM, "size-mm", 42, "picture width and height in mm")
	c.Flags().StringVar(&out, "out", "", "output file (DER SES_Seal)")
	storeFlag(c, &storeDSN, "register the seal in this store")
	c.Flags().StringVar(&owner, "owner", "", "owning department (with --store)")
	c.Flags().StringVar(&signerKeystore, "signer-keystore", "", "keystore of the signing key (with --store; recorded without secrets)")
	c.Flags().StringVar(&signerLabel, "signer-label", "", "label of the signing key (with --store)")
	return c
}

func newSealShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show seal.esl",
		Short:   "Describe a seal file and check its maker's signature",
		Example: `  eseal seal show seal-1.esl`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			der, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			s, err := ses.ParseSeal(der)
			if err != nil {
				return err
			}
			p := s.ESealInfo.Property
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Seal:       %s\nName:       %s\nType:       %d\nVendor:     %s\nCreated:    %s\nValid:      %s to %s\n",
				s.ESealInfo.ESID, p.Name, p.Type, s.ESealInfo.Header.VID, p.CreateDate.Format(time.RFC3339), p.ValidStart.Format(time.RFC3339), p.ValidEnd.Format(time.RFC3339))
			fmt.Fprintf(w, "Picture:    %s, %d x %d mm, %d bytes\n", s.ESealInfo.Picture.Type, s.ESealInfo.Picture.Width, s.ESealInfo.Picture.Height, len(s.ESealInfo.Picture.Data))
			for _, c := range p.CertList.Certs {
				if cert, err := smx509.ParseCertificate(c); err == nil {
					fmt.Fprintf(w, "Signer:     %s (serial %s)\n", certs.SubjectString(cert), certs.FormatSerial(cert.SerialNumber))
				}
			}
			if mc, err := s.MakerCertificate(); err == nil {
				fmt.Fprintf(w, "Maker:      %s\n", certs.SubjectString(mc))
			}
			if err := s.VerifyMaker(); err != nil {
				fmt.Fprintf(w, "Maker signature: INVALID (%v)\n", err)
				return &verdictError{msg: "the seal's maker signature does not verify"}
			}
			fmt.Fprintf(w, "Maker signature: valid\n")
			return nil
		},
	}
}

func newSealListCmd() *cobra.Command {
	var storeDSN string
	c := &cobra.Command{
		Use:     "list --store DSN",
		Short:   "List the seals in the seal registry",
		Example: `  eseal seal list --store sqlite:eseal.db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if storeDSN == "" {
				return usageErrorf("--store is required")
			}
			st, err := store.Open(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			seals, err := st.Seals(cmd.Context())
			if err != nil {
				return err
			}
			for _, s := range seals {
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\t%s\tvalid to %s\n", s.ID, s.Status, s.Name, s.Owner, s.ValidTo.Format(time.DateOnly))
			}
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the seal registry")
	return c
}

func newSealStatusCmd(action string) *cobra.Command {
	var storeDSN, reason string
	status := map[string]string{"suspend": store.SealSuspended, "revoke": store.SealRevoked, "reactivate": store.SealActive}[action]
	c := &cobra.Command{
		Use:     action + " SEAL-ID --store DSN --reason TEXT",
		Short:   strings.ToUpper(action[:1]) + action[1:] + " a seal in the seal registry",
		Example: fmt.Sprintf("  eseal seal %s ES202611250123456789 --store sqlite:eseal.db --reason '...'", action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if storeDSN == "" || reason == "" {
				return usageErrorf("--store and --reason are required")
			}
			st, err := store.Open(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetSealStatus(cmd.Context(), args[0], status, reason, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "seal %s is now %s\n", args[0], status)
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the seal registry")
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the seal's history)")
	return c
}

type stampFlags struct {
	keystore, label, cert, chain, sealFile, mode, anchor, corner, imagePath, org, code, font, reason, location, storeDSN string
	page                                                                                                                 int
	x, y, sizeMM                                                                                                         float64
	crossPage, invisible, gmOIDs                                                                                         bool
	jobs, certify                                                                                                        int
	tsaURL, field                                                                                                        string
}

func newSealStampCmd() *cobra.Command {
	var f stampFlags
	var in, out string
	c := &cobra.Command{
		Use:   "stamp --keystore URI --label NAME --cert PEM [--seal seal.esl] [--mode sm2|ses|pades] [--page N --x MM --y MM | --anchor TEXT | --cross-page | --invisible] --in IN.pdf --out OUT.pdf",
		Short: "Stamp a PDF (or a directory of PDFs) with a seal, by incremental update",
		Long: `stamp adds a seal to a PDF by incremental update: the original bytes stay
as they are (earlier signatures stay valid), the seal's picture appears on
the page and a digital signature covers the whole document.

Modes:
  sm2    CMS with SM3 and SM2 (/SubFilter /adbe.pkcs7.detached), the default;
         --gm-oids writes GM/T 0010 OIDs instead of PKCS#7's
  ses    a GB/T 38540 SES_Signature (/SubFilter /GBT38540.SES); needs --seal
  pades  ECDSA P-256 with SHA-256 (/SubFilter /ETSI.CAdES.detached), PAdES
         B-B, which common PDF readers verify

Placement: --page N (default the last) with --x/--y, the distance in mm
from --corner (bl, br, tl, tr; default bl) of the displayed page to the
seal's centre (without --x/--y: lower right); --anchor TEXT centres the
seal on the first occurrence of a text such as （盖章）; --field NAME signs
into the form's empty signature field NAME, the seal centred in its box;
--cross-page cuts the seal into strips along the right edge of every page
(骑缝章, one signature); --invisible adds no picture.

--certify 1|2|3 makes the seal a certification of the document (DocMDP),
allowed only as its first signature: 1 allows no change afterwards, not
even another seal; 2 allows further seals and form filling; 3 also
annotations. A document certified with 1 is refused.

--tsa URL asks an RFC 3161 time-stamping authority for a token over the
signature value and adds it to the CMS (PAdES B-T) or, in ses mode, to the
SES_Signature's timeStamp (GB/T 20520): the signing time then
rests on the authority's clock, and the seal stays verifiable after its
certificate expires. The authority's certificate goes in verify's --trust.

With --in DIR --out DIR every PDF in DIR is stamped into DIR with a progress
bar; documents already in the output directory are skipped, so an
interrupted batch can be run again. Every output is written to a temporary
file and renamed when complete.`,
		Example: `  eseal seal stamp --keystore file:keys --label seal-1 --cert seal-1.pem --seal seal-1.esl \
      --anchor （盖章） --in approval.pdf --out approval-sealed.pdf
  eseal seal stamp --keystore file:keys --label seal-1 --cert seal-1.pem --org 某市行政审批服务局 \
      --page 1 --x 150 --y 60 --in a.pdf --out b.pdf
  eseal seal stamp --keystore file:keys --label pades-1 --cert pades-1.pem --mode pades --image seal.png --in a.pdf --out b.pdf
  eseal seal stamp ... --cross-page --in contract.pdf --out contract-sealed.pdf
  eseal seal stamp ... --in inbox/ --out sealed/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" {
				return usageErrorf("--in and --out are required")
			}
			st, err := newStamper(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer st.close()
			fi, err := os.Stat(in)
			if err != nil {
				return err
			}
			if fi.IsDir() {
				return st.batch(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), in, out, f.jobs)
			}
			res, err := st.stampFile(cmd.Context(), in, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "stamped %s -> %s: field %s, mode %s, pages %v, byte range %v\n", in, out, res.Field, res.Mode, res.Pages, res.ByteRange)
			return nil
		},
	}
	keystoreFlag(c, &f.keystore, "keystore", "keystore of the seal key")
	c.Flags().StringVar(&f.label, "label", "", "label of the seal key")
	c.Flags().StringVar(&f.cert, "cert", "", "the seal key's certificate (PEM; further certificates in the file are the chain)")
	c.Flags().StringVar(&f.chain, "chain", "", "intermediate certificates to embed (PEM)")
	c.Flags().StringVar(&f.sealFile, "seal", "", "GB/T 38540 seal (from eseal seal make)")
	c.Flags().StringVar(&f.mode, "mode", "sm2", "sm2, ses or pades")
	c.Flags().IntVar(&f.page, "page", 0, "page to stamp, from 1 (default the last)")
	c.Flags().Float64Var(&f.x, "x", 0, "mm from the corner to the seal's centre, horizontally")
	c.Flags().Float64Var(&f.y, "y", 0, "mm from the corner to the seal's centre, vertically")
	c.Flags().StringVar(&f.corner, "corner", "bl", "corner the position is measured from: bl, br, tl, tr")
	c.Flags().StringVar(&f.anchor, "anchor", "", "centre the seal on this text, e.g. （盖章）")
	c.Flags().StringVar(&f.field, "field", "", "sign into the document's empty signature field of this name (the seal centred in its box)")
	c.Flags().BoolVar(&f.crossPage, "cross-page", false, "cross-page seal (骑缝章) along the right edge of every page")
	c.Flags().BoolVar(&f.invisible, "invisible", false, "sign without a picture")
	c.Flags().Float64Var(&f.sizeMM, "size-mm", 0, "seal diameter in mm (default the seal picture's, or 42)")
	c.Flags().StringVar(&f.imagePath, "image", "", "seal picture (PNG), instead of the seal's")
	c.Flags().StringVar(&f.org, "org", "", "draw the seal picture with this organisation name")
	c.Flags().StringVar(&f.code, "code", "", "drawn picture: code along the lower arc")
	c.Flags().StringVar(&f.font, "font", "", "drawn picture: font file")
	c.Flags().StringVar(&f.reason, "reason", "", "reason for signing, e.g. 审批")
	c.Flags().StringVar(&f.location, "location", "", "place of signing")
	c.Flags().BoolVar(&f.gmOIDs, "gm-oids", false, "sm2 mode: GM/T 0010 OIDs in the CMS")
	c.Flags().StringVar(&f.tsaURL, "tsa", "", "RFC 3161 time-stamping authority URL: add a signature time-stamp (in the CMS: PAdES B-T; in ses mode the SES_Signature timeStamp)")
	c.Flags().IntVar(&f.certify, "certify", 0, "certify the document (first signature only): 1 no changes after, 2 seals and forms, 3 also annotations")
	storeFlag(c, &f.storeDSN, "seal registry: refuse a suspended or revoked seal and record the use")
	c.Flags().IntVar(&f.jobs, "jobs", runtime.GOMAXPROCS(0), "batch mode: documents stamped at once")
	c.Flags().StringVar(&in, "in", "", "PDF to stamp, or a directory of PDFs")
	c.Flags().StringVar(&out, "out", "", "output PDF, or a directory")
	return c
}

// stamper holds what every document of a run shares.
type stamper struct {
	ks     hsm.Keystore
	st     store.Store
	opts   seal.Options
	sealID string
}

func newStamper(ctx context.Context, f stampFlags) (*stamper, error) {
	if f.label == "" || f.cert == "" {
		return nil, usageErrorf("--label and --cert are required")
	}
	mode, err := seal.ParseMode(f.mode)
	if err != nil {
		return nil, err
	}
	cert, chain, err := loadCert(f.cert)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if f.chain != "" {
		more, err := certs.LoadCertificates(f.chain)
		if err != nil {
			return nil, fmt.Errorf("chain: %w", err)
		}
		chain = append(chain, more...)
	}
	opts := seal.Options{Mode: mode, Cert: cert, Chain: chain, SizeMM: f.sizeMM, GMOIDs: f.gmOIDs, Reason: f.reason, Location: f.location, Certify: f.certify,
		Placement: seal.Placement{Page: f.page, X: f.x, Y: f.y, Corner: seal.Corner(f.corner), Anchor: f.anchor, Field: f.field, CrossPage: f.crossPage, Invisible: f.invisible}}
	if f.tsaURL != "" {
		u, err := url.Parse(f.tsaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErrorf("--tsa %q is not an http or https URL", f.tsaURL)
		}
		client := &tsa.Client{URL: f.tsaURL}
		opts.Timestamp = func(ctx context.Context, sig []byte) ([]byte, error) { return client.Stamp(ctx, sig, crypto.SHA256) }
	}
	st := &stamper{opts: opts}
	if f.sealFile != "" {
		der, err := os.ReadFile(f.sealFile)
		if err != nil {
			return nil, err
		}
		s, err := ses.ParseSeal(der)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.sealFile, err)
		}
		if err := s.VerifyMaker(); err != nil {
			return nil, fmt.Errorf("%s: %w", f.sealFile, err)
		}
		st.opts.Seal, st.sealID = der, s.ESealInfo.ESID
		if pic, size, err := seal.Picture(s); err == nil {
			st.opts.Picture = pic
			if st.opts.SizeMM == 0 {
				st.opts.SizeMM = size
			}
		}
	}
	pic, err := loadPicture(f.imagePath, f.org, "", f.code, f.font)
	if err != nil {
		return nil, err
	}
	if pic != nil {
		st.opts.Picture = pic
	}
	if f.storeDSN != "" {
		if st.sealID == "" {
			return nil, usageErrorf("--store checks a registered seal: give --seal")
		}
		st.st, err = store.Open(ctx, f.storeDSN)
		if err != nil {
			return nil, err
		}
		rec, err := st.st.Seal(ctx, st.sealID)
		if err != nil {
			st.close()
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("seal %s is not in the seal registry", st.sealID)
			}
			return nil, err
		}
		if rec.Status != store.SealActive {
			st.close()
			return nil, fmt.Errorf("seal %s is %s in the seal registry and may not be used", st.sealID, rec.Status)
		}
	}
	st.ks, err = openKeystore(f.keystore)
	if err != nil {
		st.close()
		return nil, err
	}
	st.opts.Signer, err = st.ks.Signer(ctx, f.label)
	if err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

func (s *stamper) close() {
	if s.ks != nil {
		s.ks.Close()
	}
	if s.st != nil {
		s.st.Close()
	}
}

func (s *stamper) stampFile(ctx context.Context, in, out string) (*seal.Result, error) {
	opts := s.opts
	opts.Time = time.Now()
	res, err := seal.StampFile(ctx, in, out, opts)
	if errors.Is(err, pdf.ErrBroken) {
		// A seal is added by incremental update, which keeps the file's
		// own cross-reference data: it must be sound.
		return nil, fmt.Errorf("%s: %w (a rewrite repairs most such files, e.g. qpdf IN.pdf FIXED.pdf, before stamping)", in, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	if s.st != nil {
		sum, err := fileSHA256(out)
		if err != nil {
			return nil, err
		}
		if err := s.st.RecordSealUse(ctx, s.sealID, opts.Time, fmt.Sprintf("%s sha256:%s field %s", filepath.Base(out), sum, res.Field)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// batch stamps every PDF under inDir into the same place under outDir,
// skipping outputs that exist: each was renamed into place complete.
func (s *stamper) batch(ctx context.Context, stdout, stderr io.Writer, inDir, outDir string, jobs int) error {
	var files []string
	err := filepath.WalkDir(inDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".pdf") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	var todo []string
	skipped := 0
	for _, p := range files {
		rel, _ := filepath.Rel(inDir, p)
		if _, err := os.Stat(filepath.Join(outDir, rel)); err == nil {
			skipped++
			continue
		}
		todo = append(todo, p)
	}
	bar := progressbar.NewOptions(len(todo), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("stamping"),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("docs"), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
	if jobs < 1 {
		jobs = 1
	}
	work := make(chan string)
	var mu sync.Mutex
	var failures []string
	done := 0
	var wg sync.WaitGroup
	for i := 0; i < jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				rel, _ := filepath.Rel(inDir, p)
				dst := filepath.Join(outDir, rel)
				err := os.MkdirAll(filepath.Dir(dst), 0o755)
				if err == nil {
					_, err = s.stampFile(ctx, p, dst)
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					done++
				}
				bar.Add(1)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range todo {
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	bar.Finish()
	fmt.Fprintf(stdout, "stamped %d, skipped %d already in %s, failed %d\n", done, skipped, outDir, len(failures))
	for _, f := range failures {
		fmt.Fprintf(stderr, "  %s\n", f)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; run again to stamp the rest: %w", ctx.Err())
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d documents could not be stamped", len(failures), len(todo))
	}
	return nil
}
