package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/verify"
)

func newVerifyCmd() *cobra.Command {
	var trust, crls []string
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

Each signature gets VALID, INVALID or INDETERMINATE with a reason code;
the document is VALID only if every signature is.
Exit codes: 0 all valid, 1 not valid (INVALID or INDETERMINATE),
2 the file could not be read as a PDF.`,
		Example: `  eseal verify --trust ca.pem approval-sealed.pdf
  eseal verify --trust ca.pem --crl ca.crl --json approval-sealed.pdf
  eseal verify --trust ca.pem --store sqlite:eseal.db approval-sealed.pdf   # also ask the seal registry`,
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
	c.Flags().StringArrayVar(&trust, "trust", nil, "trusted CA certificates (PEM); repeatable")
	c.Flags().StringArrayVar(&crls, "crl", nil, "CRL to consult (DER or PEM); repeatable")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	envFlag(c, &storeDSN, "store", "ESEAL_STORE", "seal registry to ask about each seal's status (default $ESEAL_STORE)")
	return c
}
