package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/verify"
)

func newVerifyCmd() *cobra.Command {
	var trust, crls, fedKeys []string
	var trustList string
	var asJSON bool
	var storeDSN string
	c := &cobra.Command{
		Use:   "verify [--trust PEM]... [--crl FILE]... [--json] FILE.pdf",
		Short: "Verify every seal and signature of a PDF",
		Long: `verify checks every signature of a PDF: the signed byte ranges and that
they cover the whole revision except the signature value, the signature
itself (SM2 CMS, GB/T 38540 SES or PAdES), the GB/T 38540 seal (maker's
signature, validity, authorised signer), the certificate chain to the
trust anchors with the CRLs given, and everything that changed after each
signature: later signatures are allowed, any change to pages, content,
fields or annotations is not.

A document sealed in another region verifies offline with the
federation's trust list: --trustlist FILE (as GET /v1/trustlist serves it)
and --federation-key PEM add the CA certificates of the list's active
regions to the trust anchors, once the list's signature and expiry check.

Each signature gets VALID, INVALID or INDETERMINATE with a reason code;
the document is VALID only if every signature is.
Exit codes: 0 all valid, 1 not valid (INVALID or INDETERMINATE),
2 the file could not be read as a PDF.`,
		Example: `  eseal verify --trust ca.pem approval-sealed.pdf
  eseal verify --trust ca.pem --crl ca.crl --json approval-sealed.pdf
  eseal verify --trust ca.pem --store sqlite:eseal.db approval-sealed.pdf   # also ask the seal registry
  eseal verify --trustlist trustlist.jws --federation-key federation.pem from-another-region.pdf`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := verify.Options{}
			if len(trust) > 0 {
				pool, err := certs.LoadPool(trust...)
				if err != nil {
					return fmt.Errorf("trust store: %w", err)
				}
				opts.Trust = pool
			}
			if (trustList == "") != (len(fedKeys) == 0) {
				return usageErrorf("--trustlist and --federation-key go together: the list is trusted only once its signature checks")
			}
			if trustList != "" {
				keys, err := trustlistKeys(fedKeys)
				if err != nil {
					return err
				}
				tok, err := os.ReadFile(trustList)
				if err != nil {
					return err
				}
				tl, err := federation.Parse(string(tok), keys...)
				if err != nil {
					return fmt.Errorf("trust list %s: %w", trustList, err)
				}
				if opts.Trust == nil {
					opts.Trust = certs.NewPool()
				}
				opts.Trust.Add(tl.Pool().Certificates()...)
			}
			for _, p := range crls {
				crl, err := certs.LoadCRL(p)
				if err != nil {
					return fmt.Errorf("CRL: %w", err)
				}
				opts.CRLs = append(opts.CRLs, crl)
			}
			if storeDSN != "" {
				st, err := store.Open(cmd.Context(), storeDSN)
				if err != nil {
					return err
				}
				defer st.Close()
				opts.SealStatus = func(ctx context.Context, id string) (string, error) {
					rec, err := st.Seal(ctx, id)
					if errors.Is(err, store.ErrNotFound) {
						return "not registered", nil
					}
					return rec.Status, err
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s is not a file", args[0])
			}
			rep, err := verify.PDF(cmd.Context(), f, fi.Size(), opts)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			rep.File = args[0]
			if asJSON {
				err = rep.WriteJSON(cmd.OutOrStdout())
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
	c.AddCommand(newVerifyReceiptCmd())
	c.Flags().StringArrayVar(&trust, "trust", nil, "trusted CA certificates (PEM); repeatable")
	c.Flags().StringArrayVar(&crls, "crl", nil, "CRL to consult (DER or PEM); repeatable")
	c.Flags().StringVar(&trustList, "trustlist", "", "federation trust list (JWS): trust the CA certificates of its active regions")
	c.Flags().StringArrayVar(&fedKeys, "federation-key", nil, "PEM file of a federation public key or certificate, to check --trustlist (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	envFlag(c, &storeDSN, "store", "ESEAL_STORE", "seal registry to ask about each seal's status (default $ESEAL_STORE)")
	return c
}

func newVerifyReceiptCmd() *cobra.Command {
	var trust []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "receipt --trust PEM FILE",
		Short: "Verify a verification receipt (核验回执) offline",
		Long: `receipt checks a receipt from POST /v1/verify/...: the node's signature
with the certificate the receipt carries, and that certificate against the
trust anchors (the node's CA, or the regions' CAs from the trust list).
It prints what was checked, the verdict, the time and the input's hash.
Exit codes: 0 the receipt is genuine, 1 it is not, 2 unusable input.`,
		Example: `  eseal verify receipt --trust ca.pem receipt.jws`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(trust) == 0 {
				return usageErrorf("--trust is required: the receipt's signer is checked against it")
			}
			pool, err := certs.LoadPool(trust...)
			if err != nil {
				return fmt.Errorf("trust store: %w", err)
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			r, err := verify.VerifyReceipt(string(b), pool)
			if err != nil {
				return &verdictError{msg: err.Error()}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				e := json.NewEncoder(w)
				e.SetIndent("", "  ")
				e.SetEscapeHTML(false)
				return e.Encode(r.Receipt)
			}
			fmt.Fprintf(w, "receipt %s: genuine, signed by %s\n", r.ID, certs.SubjectString(r.Signer))
			fmt.Fprintf(w, "  node:     %s (region %s)\n  checked:  %s %s\n  verdict:  %s (%s)\n  input:    sha256 %s\n  at:       %s\n",
				r.Node, r.Region, r.Kind, r.Subject, r.Verdict, r.Reason, r.InputSHA256, r.CheckedAt.Format(time.RFC3339))
			if r.Client != "" {
				fmt.Fprintf(w, "  client:   %s\n", r.Client)
			}
			if r.Audit != nil {
				if r.Audit.TreeSize > 0 {
					fmt.Fprintf(w, "  audit:    entry %d of the node's log, included in its tree of %d entries (root %s)\n", r.Audit.Index, r.Audit.TreeSize, r.Audit.Root)
				} else {
					fmt.Fprintf(w, "  audit:    entry %d of the node's log\n", r.Audit.Index)
				}
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&trust, "trust", nil, "trusted CA certificates (PEM); repeatable")
	c.Flags().BoolVar(&asJSON, "json", false, "print the receipt as JSON")
	return c
}
