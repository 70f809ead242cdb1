package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
	"github.com/eseal-project/eseal/verify"
)

func newLicenseCmd() *cobra.Command {
	var cfgPath string
	c := &cobra.Command{
		Use:   "license",
		Short: "Issue electronic licenses, change their status, look them up and verify them",
		Long: `license works on this node's license library (电子证照库), configured in
eseal.json (eseal setup makes one): issuing departments, their keys and
seals, the store, and the public URL printed in QR codes.`,
	}
	configFlag(c, &cfgPath)
	c.AddCommand(newLicenseTypesCmd(&cfgPath), newLicenseIssueCmd(&cfgPath), newLicenseShowCmd(&cfgPath), newLicenseVerifyCmd(&cfgPath),
		newLicenseHolderCmd(&cfgPath), newLicenseReplaceCmd(&cfgPath), newLicenseCopyCmd(&cfgPath))
	for _, ev := range []struct{ use, event, short string }{
		{"suspend", "suspended", "Suspend a license (暂扣)"},
		{"reinstate", "reinstated", "Lift a suspension"},
		{"revoke", "revoked", "Revoke a license (吊销/撤销)"},
		{"cancel", "cancelled", "Cancel a license (注销)"},
	} {
		c.AddCommand(newLicenseChangeCmd(&cfgPath, ev.use, ev.event, ev.short))
	}
	return c
}

func newLicenseTypesCmd(cfgPath *string) *cobra.Command {
	return &cobra.Command{
		Use:     "types",
		Short:   "List the license types of the catalog (证照目录)",
		Example: `  eseal license types`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNode(cmd.Context(), *cfgPath)
			if err != nil {
				return err
			}
			defer n.close()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CODE\tNAME\tHOLDER\tVALIDITY\tFIELDS")
			for _, t := range n.cat.Types() {
				var keys []string
				for _, f := range t.Fields {
					k := f.Key
					if f.Required {
						k += "*"
					}
					keys = append(keys, k)
				}
				v := t.Validity
				validity := "长期"
				if !v.LongTerm {
					validity = fmt.Sprintf("%dy%dm%dd", v.Years, v.Months, v.Days)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Code, t.Name, t.HolderCodeType, validity, strings.Join(keys, ","))
			}
			return w.Flush()
		},
	}
}

func readFace(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var face map[string]string
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&face); err != nil {
		return nil, fmt.Errorf("%s: face data must be a JSON object of strings: %v", path, err)
	}
	return face, nil
}

func newLicenseIssueCmd(cfgPath *string) *cobra.Command {
	var typ, data, holder, out, issuerCode, tokenOut, batch, outDir string
	c := &cobra.Command{
		Use:   "issue --type CODE (--data face.json --out license.pdf | --batch faces.jsonl --out-dir DIR)",
		Short: "Issue a license: validate, sign, render with seal and QR code, store",
		Long: `issue checks the face data against the license type, assigns the GB/T
36904 identifier and the printed number, signs the license data with the
issuing department's SM2 key, draws the license PDF with a QR code, stamps
it with the department's seal and stores all of it in one transaction.
The identifier is printed on stdout.

With --batch, issue one license per line of a JSON Lines file
({"ref":"A001","face":{...}} per line) or per row of a CSV file (a header of
face keys, optionally ref and holderId). Each PDF is written to
DIR/REF.pdf and journaled in DIR/issued.csv (ref, identifier, number, file).
An interrupted or crashed batch is resumed by running the same command
again: lines already issued are not issued twice, and a license that was
issued just before a crash gets its file.`,
		Example: `  cat > face.json <<'END'
  {"name":"李小明","sex":"男","idNumber":"11010519491231002X","address":"某市某区某某路1号","since":"2026-01-02"}
  END
  eseal license issue --type 11110000MB12345624001 --data face.json --out permit.pdf
  eseal license issue --type 11110000MB12345624001 --batch permits.jsonl --out-dir permits/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if typ == "" || (data == "") == (batch == "") {
				return usageErrorf("--type and one of --data or --batch are required")
			}
			if batch != "" && (outDir == "" || out != "" || tokenOut != "") {
				return usageErrorf("--batch writes into --out-dir (and not --out or --token-out)")
			}
			ctx := cmd.Context()
			var face map[string]string
			var lines []batchLine
			var err error
			if batch != "" {
				lines, err = readBatch(batch)
			} else {
				face, err = readFace(data)
			}
			if err != nil {
				return err
			}
			n, err := openNode(ctx, *cfgPath)
			if err != nil {
				return err
			}
			defer n.close()
			t, err := n.cat.Type(typ)
			if err != nil {
				return err
			}
			is, err := n.cfg.Issuer(issuerCode)
			if issuerCode == "" {
				is, err = n.cfg.IssuerForType(t.Issuers)
			}
			if err != nil {
				return err
			}
			iss, maker, err := n.issuer(ctx, is)
			if err != nil {
				return err
			}
			if batch != "" {
				if maker == nil {
					return fmt.Errorf("issuer %s has no seal configured, so no PDF can be made", is.Code)
				}
				b, err := openBatchRun(outDir, batch, typ)
				if err != nil {
					return err
				}
				defer b.close()
				return issueBatch(ctx, n, iss, maker, typ, holder, lines, b, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			req := license.IssueRequest{Type: typ, Face: face, HolderID: holder, Actor: "cli"}
			if out != "" {
				if maker == nil {
					return fmt.Errorf("issuer %s has no seal configured, so no PDF can be made (leave out --out)", is.Code)
				}
				req.PDF = maker.Make
			}
			res, err := n.reg.Issue(ctx, iss, req)
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeFileAtomic(out, res.PDF, 0o644); err != nil {
					return fmt.Errorf("license %s was issued, but writing %s failed: %w", res.Data.Identifier, out, err)
				}
			}
			if tokenOut != "" {
				if err := writeFileAtomic(tokenOut, []byte(res.Token+"\n"), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Data.Identifier)
			fmt.Fprintf(cmd.ErrOrStderr(), "issued %s %s to %s, number %s, valid %s to %s; page %s/v/%s\n", res.Data.Name, res.Data.Identifier,
				ids.MaskName(res.Data.Holder), res.Data.Number, res.Data.ValidFrom, res.Data.ValidTo, strings.TrimRight(n.cfg.PublicURL, "/"), res.Data.Identifier)
			return nil
		},
	}
	c.Flags().StringVar(&typ, "type", "", "license type code (eseal license types)")
	c.Flags().StringVar(&data, "data", "", "face data (照面信息), a JSON object")
	c.Flags().StringVar(&holder, "holder-id", "", "holder's code (ID number or USCC); must match the face data")
	c.Flags().StringVar(&out, "out", "", "write the sealed license PDF here")
	c.Flags().StringVar(&tokenOut, "token-out", "", "write the signed license data (compact JWS) here")
	c.Flags().StringVar(&issuerCode, "issuer", "", "issuing department's USCC (default: the configured one allowed for the type)")
	c.Flags().StringVar(&batch, "batch", "", "issue one license per line of this JSON Lines or CSV file")
	c.Flags().StringVar(&outDir, "out-dir", "", "with --batch: write the PDFs and the journal issued.csv here")
	return c
}

func newLicenseCopyCmd(cfgPath *string) *cobra.Command {
	var purpose, requester, out string
	var days int
	c := &cobra.Command{
		Use:   "copy ID --purpose TEXT --requester NAME [--days N] --out copy.pdf",
		Short: "Make an annotated copy (加注件) of a valid license for one purpose",
		Long: `copy draws the license again with a note stating what the copy may be used
for, by whom and until when (加注件), marks it as a copy, signs a statement
of the annotation with the issuer's key and seals the PDF. Verifying the
copy reports the statement, and an expired copy verifies as invalid
(COPY_EXPIRED). Making a copy is recorded in the license's history.`,
		Example: `  eseal license copy 1.2.156.3005.2....K --purpose 办理公司变更登记 --requester 某区政务服务中心 --days 30 --out copy.pdf`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if purpose == "" || requester == "" || out == "" {
				return usageErrorf("--purpose, --requester and --out are required")
			}
			if days < 1 || days > 3660 {
				return usageErrorf("--days must be between 1 and 3660")
			}
			ctx := cmd.Context()
			n, iss, maker, err := openIssuerOf(ctx, *cfgPath, args[0])
			if err != nil {
				return err
			}
			defer n.close()
			if maker == nil {
				return fmt.Errorf("issuer %s has no seal configured, so no PDF can be made", iss.Code)
			}
			until := time.Now().Add(time.Duration(days) * 24 * time.Hour)
			p, err := n.reg.AnnotatedCopy(ctx, iss, maker, args[0], purpose, requester, until, "cli")
			if err != nil {
				return err
			}
			if err := writeFileAtomic(out, p, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "annotated copy of %s for %s (%s), valid until %s: %s\n", args[0], requester, purpose, until.Format(time.DateOnly), out)
			return nil
		},
	}
	c.Flags().StringVar(&purpose, "purpose", "", "what the copy may be used for (用途)")
	c.Flags().StringVar(&requester, "requester", "", "who may use it (使用单位)")
	c.Flags().IntVar(&days, "days", 30, "how many days the copy is valid")
	c.Flags().StringVar(&out, "out", "", "write the copy here")
	return c
}

func newLicenseShowCmd(cfgPath *string) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "show ID",
		Short:   "Show a license: metadata, face, status and history",
		Example: `  eseal license show 1.2.156.3005.2.11110000MB12345624001.11110108MB0000019H.1.001.K`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := openNode(cmd.Context(), *cfgPath)
			if err != nil {
				return err
			}
			defer n.close()
			st, err := n.reg.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				e := json.NewEncoder(w)
				e.SetIndent("", "  ")
				e.SetEscapeHTML(false)
				return e.Encode(map[string]any{"license": st.Data, "status": st.Status, "events": st.Events})
			}
			d := st.Data
			fmt.Fprintf(w, "%s %s\n  identifier: %s\n  number:     %s\n  issuer:     %s (%s)\n  holder:     %s (%s %s)\n  valid:      %s to %s\n  status:     %s (%s)\n",
				d.Name, d.Number, d.Identifier, d.Number, d.Issuer, d.IssuerCode, d.Holder, d.HolderCodeType, d.HolderCode, d.ValidFrom, d.ValidTo, license.StatusName(st.Status), st.Status)
			if st.Record.ReplacedBy != "" {
				fmt.Fprintf(w, "  replaced by: %s\n", st.Record.ReplacedBy)
			}
			if d.Replaces != "" {
				fmt.Fprintf(w, "  replaces:   %s\n", d.Replaces)
			}
			t, _ := n.cat.Type(d.TypeCode)
			if t != nil {
				for _, f := range t.Fields {
					if v, ok := d.Face[f.Key]; ok {
						fmt.Fprintf(w, "  %s: %s\n", f.Label, v)
					}
				}
			}
			fmt.Fprintln(w, "  history:")
			for _, e := range st.Events {
				fmt.Fprintf(w, "    %d %s %s %s %s\n", e.Seq, e.At.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05"), e.Event, e.Reason, e.Actor)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newLicenseChangeCmd(cfgPath *string, use, event, short string) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:     use + " ID --reason TEXT",
		Short:   short,
		Example: fmt.Sprintf("  eseal license %s 1.2.156.3005.2....K --reason '...'", use),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return usageErrorf("--reason is required: every change is kept with its reason")
			}
			ctx := cmd.Context()
			n, iss, _, err := openIssuerOf(ctx, *cfgPath, args[0])
			if err != nil {
				return err
			}
			defer n.close()
			if err := n.reg.Change(ctx, iss, args[0], event, reason, "cli"); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", args[0], event)
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (kept, signed, in the license's history)")
	return c
}

func newLicenseReplaceCmd(cfgPath *string) *cobra.Command {
	var data, out, reason string
	c := &cobra.Command{
		Use:     "replace ID [--data face.json] --out new.pdf",
		Short:   "Replace a license (换发): a new version linked to the old identifier",
		Example: `  eseal license replace 1.2.156.3005.2....K --data new-face.json --out permit-v2.pdf`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			n, iss, maker, err := openIssuerOf(ctx, *cfgPath, args[0])
			if err != nil {
				return err
			}
			defer n.close()
			req := license.IssueRequest{Actor: "cli", Reason: reason}
			if data != "" {
				if req.Face, err = readFace(data); err != nil {
					return err
				}
			}
			if out != "" && maker != nil {
				req.PDF = maker.Make
			}
			res, err := n.reg.Replace(ctx, iss, args[0], req)
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeFileAtomic(out, res.PDF, 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Data.Identifier)
			return nil
		},
	}
	c.Flags().StringVar(&data, "data", "", "new face data (default: the old license's)")
	c.Flags().StringVar(&out, "out", "", "write the new license PDF here")
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the old license's history)")
	return c
}

func newLicenseHolderCmd(cfgPath *string) *cobra.Command {
	var reason, client string
	c := &cobra.Command{
		Use:     "holder CODE --reason TEXT",
		Short:   "List a holder's licenses (一号查询); the query and its reason are recorded",
		Example: `  eseal license holder 11010519491231002X --reason '办理公积金提取' --client 公积金中心窗口3`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := openNode(cmd.Context(), *cfgPath)
			if err != nil {
				return err
			}
			defer n.close()
			recs, err := n.reg.ByHolder(cmd.Context(), args[0], client, reason)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "IDENTIFIER\tTYPE\tNUMBER\tSTATUS\tISSUER")
			for _, r := range recs {
				name := r.TypeCode
				if t, err := n.cat.Type(r.TypeCode); err == nil {
					name = t.Name
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, name, r.Number, license.StatusName(n.reg.CurrentStatus(r.Status, r.ValidTo)), r.IssuerName)
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "申请事由: why the holder's licenses are needed (required, recorded)")
	c.Flags().StringVar(&client, "client", "cli", "who asks (recorded)")
	return c
}

func newLicenseVerifyCmd(cfgPath *string) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify license.pdf|TOKEN|ID [--json]",
		Short: "Verify a license given as its PDF, its signed data (token) or its identifier",
		Long: `verify checks the issuer's SM2 signature on the license data, the license's
status in the library (revoked, suspended, cancelled, replaced, expired),
and for a PDF also the issuer's seal on it. On a node in a federation
(federation in eseal.json), a license of another region is checked with
that region's keys from the trust list and its signed status answer.
Exit codes: 0 valid, 1 not valid (INVALID or INDETERMINATE), 2 unusable input.`,
		Example: `  eseal license verify permit.pdf
  eseal license verify 1.2.156.3005.2.11110000MB12345624001.11110108MB0000019H.1.001.K
  eseal license verify "$(cat permit.jws)" --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			n, err := openNode(ctx, *cfgPath)
			if err != nil {
				return err
			}
			defer n.close()
			in := strings.TrimSpace(args[0])
			// A node in a federation verifies other regions' licenses too:
			// their keys from the trust list, their status from them.
			fed, status, err := n.openFederation(ctx, slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn})))
			if err != nil {
				return err
			}
			opts := n.federatedLicenseOptions(fed, status)
			var rep *verify.LicenseReport
			switch {
			case verify.IsLicenseID(in):
				rep, err = verify.LicenseByID(ctx, in, opts)
			case verify.IsToken(in):
				rep, err = verify.LicenseToken(ctx, in, opts)
			default:
				f, rerr := os.Open(in)
				if rerr != nil {
					if errors.Is(rerr, os.ErrNotExist) {
						return fmt.Errorf("%q is neither a license identifier, a token nor a file", in)
					}
					return rerr
				}
				defer f.Close()
				st, rerr := f.Stat()
				if rerr != nil {
					return rerr
				}
				// A token in a file is small; a PDF is read where it lies.
				head := make([]byte, 256<<10)
				k, _ := f.ReadAt(head, 0)
				if tok := strings.TrimSpace(string(head[:k])); int64(k) == st.Size() && verify.IsToken(tok) {
					rep, err = verify.LicenseToken(ctx, tok, opts)
				} else {
					rep, err = verify.LicensePDFAt(ctx, f, st.Size(), opts)
				}
			}
			if err != nil {
				return err
			}
			if asJSON {
				e := json.NewEncoder(cmd.OutOrStdout())
				e.SetIndent("", "  ")
				e.SetEscapeHTML(false)
				err = e.Encode(rep)
			} else {
				err = rep.WriteText(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			if rep.Verdict != verify.Valid {
				return &verdictError{}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

// openIssuerOf opens the node and the issuer of license id; the caller
// closes the node.
func openIssuerOf(ctx context.Context, cfgPath, id string) (*node, *license.Issuer, *license.PDFMaker, error) {
	n, err := openNode(ctx, cfgPath)
	if err != nil {
		return nil, nil, nil, err
	}
	iss, maker, err := n.licenseIssuer(ctx, id)
	if err != nil {
		n.close()
		return nil, nil, nil, err
	}
	return n, iss, maker, nil
}

// licenseIssuer opens the issuer of a license in the library: the one that
// may change it.
func (n *node) licenseIssuer(ctx context.Context, id string) (*license.Issuer, *license.PDFMaker, error) {
	rec, err := n.st.License(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	is, err := n.cfg.Issuer(rec.IssuerCode)
	if err != nil {
		return nil, nil, err
	}
	return n.issuer(ctx, is)
}
