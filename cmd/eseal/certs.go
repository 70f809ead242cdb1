package main

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
)

func newCertsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "certs",
		Short: "Run a development CA and check certificate chains",
		Long: `A development CA for SM2 or ECDSA P-256 keys. Its own key and the keys it
certifies stay in keystores; the CA only ever sees public keys.

The CA directory holds ca.pem (the root certificate, to give verifiers),
ca.json (algorithm, keystore URI without secrets, key label, CRL number),
revoked.json and issued/SERIAL.pem. Its key is in DIR/keys (a soft keystore,
passphrase from $ESEAL_KEYSTORE_PASSPHRASE) unless init was given --keystore.

Profiles: seal (digitalSignature + nonRepudiation, no extended key usage, for
electronic seals and document signatures), ca (an issuing CA below the root)
and client (TLS client for mutual TLS).

OpenSSL 3.0 checks SM2 certificate signatures with an empty ID unless told
the standard one: openssl verify -vfyopt distid:1234567812345678 ...`,
		Example: `  export ESEAL_KEYSTORE_PASSPHRASE='correct horse battery staple'
  eseal certs init --dir ./ca --alg sm2 --org 某某市市场监督管理局
  eseal hsm keygen --keystore file:./keys --label seal-1 --alg sm2
  eseal certs issue --ca ./ca --keystore file:./keys --label seal-1 \
      --subject 'CN=某某市市场监督管理局电子印章,O=某某市市场监督管理局,C=CN' --out seal-1.pem
  eseal certs verify --trust ./ca/ca.pem --usage seal seal-1.pem`,
	}
	c.AddCommand(newCertsInitCmd(), newCertsIssueCmd(), newCertsCRLCmd(), newCertsVerifyCmd(), newCertsShowCmd())
	return c
}

func newCertsInitCmd() *cobra.Command {
	var dir, alg, org, cn, country, uri, label string
	var existing bool
	var days, crlDays int
	c := &cobra.Command{
		Use:   "init --dir DIR --alg sm2|p256 --org NAME [--keystore URI --label NAME]",
		Short: "Create a development root CA in a new directory",
		Long: `Create a self-signed root CA (10 years, keyCertSign + cRLSign) in DIR. Its
key is generated in a soft keystore in DIR/keys, or with --keystore in any
keystore (a PKCS#11 token, for instance); --existing-key uses a key already
there under --label. A PIN or passphrase in the URI is used but never
written to DIR. init refuses a directory that already holds a CA.`,
		Example: `  export ESEAL_KEYSTORE_PASSPHRASE='correct horse battery staple'
  eseal certs init --dir ./ca --alg sm2 --org 某某市市场监督管理局
  eseal certs init --dir ./ca-intl --alg p256 --org 'Example Province' --country CN
  eseal certs init --dir ./ca --alg sm2 --org 某某省 --label root-2026 \
      --keystore 'pkcs11:token=ca?module-path=/usr/lib/vendor/libsm2.so&pin-source=file:/run/pin'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || org == "" {
				return usageErrorf("--dir and --org are required")
			}
			a, err := hsm.ParseAlgorithm(alg)
			if err != nil {
				return err
			}
			if days < 0 || crlDays <= 0 || cmd.Flags().Changed("days") && days == 0 {
				return usageErrorf("--days and --crl-days must be positive")
			}
			opts := certs.InitOptions{
				Algorithm: a, Org: org, CommonName: cn, Country: country,
				Keystore: uri, Label: label, ExistingKey: existing,
				CRLValidity: time.Duration(crlDays) * 24 * time.Hour,
			}
			if days > 0 { // else 10 calendar years
				opts.Validity = time.Duration(days) * 24 * time.Hour
			}
			ca, err := certs.InitCA(cmd.Context(), dir, opts)
			if err != nil {
				return err
			}
			defer ca.Close()
			where := "file:" + filepath.Join(dir, "keys")
			if uri != "" {
				where = certs.StripSecrets(uri)
			}
			if label == "" {
				label = certs.DefaultCALabel
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "created root CA in %s\n", dir)
			certsPrintCert(w, ca.Certificate())
			fmt.Fprintf(w, "  key:        %s key %q in %s\n", a, label, where)
			fmt.Fprintf(w, "  trust:      give %s/ca.pem to verifiers\n", dir)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "dir", "", "new CA directory")
	f.StringVar(&alg, "alg", "sm2", "CA key algorithm: sm2 or p256")
	f.StringVar(&org, "org", "", "organization (O=) of the CA")
	f.StringVar(&cn, "cn", "", `common name (default "<org> Root CA")`)
	f.StringVar(&country, "country", "", "two-letter country (C=), e.g. CN")
	f.StringVar(&uri, "keystore", "", "keystore for the CA key (default: a soft keystore in DIR/keys)")
	f.StringVar(&label, "label", certs.DefaultCALabel, "label of the CA key")
	f.BoolVar(&existing, "existing-key", false, "use the key already under --label instead of generating one")
	f.IntVar(&days, "days", 0, "validity of the root certificate in days (default: 10 years)")
	f.IntVar(&crlDays, "crl-days", 7, "default validity of CRLs in days (nextUpdate)")
	return c
}

func newCertsIssueCmd() *cobra.Command {
	var caDir, uri, label, subject, profile, out string
	var days int
	var chain bool
	c := &cobra.Command{
		Use:   "issue --ca DIR --keystore URI --label NAME --subject DN --out FILE",
		Short: "Certify a key held in a keystore",
		Long: `Issue a certificate for the public key of the key pair under --label in
--keystore; the private key is not touched. The subject is written
TYPE=value,TYPE=value with types CN, O, OU, C, L, ST, STREET, POSTALCODE,
SERIALNUMBER and organizationIdentifier; escape a comma in a value as \,.
The serial number (128 random bits, hex) is printed and the certificate is
kept in the CA directory as issued/SERIAL.pem.`,
		Example: `  eseal certs issue --ca ./ca --keystore file:./keys --label seal-1 \
      --subject 'CN=某某市市场监督管理局电子印章,O=某某市市场监督管理局,C=CN' --out seal-1.pem
  eseal certs issue --ca ./ca --keystore file:./keys --label issuing-1 --profile ca \
      --subject 'CN=某某市 Issuing CA,O=某某市' --days 1825 --out issuing-1.pem
  eseal certs issue --ca ./ca --keystore file:./keys --label case-sys --profile client \
      --subject 'CN=case-system-1,O=Example\, Inc.' --days 90 --chain --out client.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if caDir == "" || label == "" || subject == "" || out == "" {
				return usageErrorf("--ca, --label, --subject and --out are required")
			}
			name, err := certs.ParseSubject(subject)
			if err != nil {
				return err
			}
			p, err := certs.ParseProfile(profile)
			if err != nil {
				return err
			}
			if days <= 0 {
				return usageErrorf("--days must be positive")
			}
			pub, err := certsPublicKey(cmd, uri, label)
			if err != nil {
				return err
			}
			ca, err := certs.OpenCA(cmd.Context(), caDir)
			if err != nil {
				return err
			}
			defer ca.Close()
			cert, err := ca.Issue(cmd.Context(), pub, name, p, certs.ValidDays(days))
			if err != nil {
				return err
			}
			data := certs.EncodePEM(cert)
			if chain {
				data = append(data, certs.EncodePEM(ca.Certificate())...)
			}
			if err := writeFileAtomic(out, data, 0o644); err != nil {
				return fmt.Errorf("writing %s (the certificate is recorded in %s/issued): %w", out, caDir, err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "issued %s certificate to %s\n", p, out)
			certsPrintCert(w, cert)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&caDir, "ca", "", "CA directory (made by certs init)")
	keystoreFlag(c, &uri, "keystore", "keystore holding the key to certify")
	f.StringVar(&label, "label", "", "label of the key to certify")
	f.StringVar(&subject, "subject", "", "subject name, e.g. 'CN=Name,O=Organization,C=CN'")
	f.StringVar(&profile, "profile", "seal", "certificate profile: seal, ca or client")
	f.IntVar(&days, "days", 365, "validity in days")
	f.StringVar(&out, "out", "", "write the PEM certificate here")
	f.BoolVar(&chain, "chain", false, "append the CA certificate to --out")
	return c
}

// certsPublicKey reads the public half of a key pair from its keystore's
// listing, which needs no private-key access (and, for the soft keystore,
// no passphrase).
func certsPublicKey(cmd *cobra.Command, uri, label string) (any, error) {
	ks, err := openKeystore(uri)
	if err != nil {
		return nil, err
	}
	defer ks.Close()
	keys, err := ks.List(cmd.Context())
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Label == label && k.Public != nil {
			if k.Algorithm == "" {
				return nil, fmt.Errorf("key %q in %s is neither SM2 nor P-256", label, hsm.RedactURI(uri))
			}
			return k.Public, nil
		}
	}
	return nil, fmt.Errorf("key %q in %s: %w", label, hsm.RedactURI(uri), hsm.ErrKeyNotFound)
}

func newCertsCRLCmd() *cobra.Command {
	var caDir, reason, out string
	var revoke []string
	var days int
	var asPEM bool
	c := &cobra.Command{
		Use:   "crl --ca DIR [--revoke SERIAL|CERT]... [--reason N] [--days N] --out FILE",
		Short: "Revoke certificates and write a new CRL",
		Long: `Revoke the certificates with the given serial numbers (hex, as issue prints
them; or name the certificate file) and write a new CRL of every revocation
so far, signed by the CA key, with the next CRL number. Without --revoke it
only re-issues the CRL. Every serial must have been issued by this CA.
Reasons (RFC 5280): 0 unspecified, 1 keyCompromise, 2 cACompromise,
3 affiliationChanged, 4 superseded, 5 cessationOfOperation,
6 certificateHold, 9 privilegeWithdrawn, 10 aACompromise.`,
		Example: `  eseal certs crl --ca ./ca --revoke 5f0c3e9a1b7d4c2e8a6f0b1d3c5e7a9b --reason keyCompromise --out ca.crl
  eseal certs crl --ca ./ca --revoke seal-1.pem --reason superseded --out ca.crl
  eseal certs crl --ca ./ca --out ca.crl --days 1
  openssl crl -inform DER -in ca.crl -noout -text`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if caDir == "" || out == "" {
				return usageErrorf("--ca and --out are required")
			}
			r, err := certs.ParseRevocationReason(reason)
			if err != nil {
				return err
			}
			var serials []*big.Int
			for _, s := range revoke {
				n, err := certsSerialArg(s)
				if err != nil {
					return err
				}
				serials = append(serials, n...)
			}
			if days < 0 {
				return usageErrorf("--days must not be negative")
			}
			ca, err := certs.OpenCA(cmd.Context(), caDir)
			if err != nil {
				return err
			}
			defer ca.Close()
			// Every serial must be known before any is revoked.
			issued := make([]*smx509.Certificate, len(serials))
			for i, n := range serials {
				if issued[i], err = ca.Lookup(n); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			for i, n := range serials {
				err := ca.Revoke(n, r)
				if errors.Is(err, certs.ErrAlreadyRevoked) {
					fmt.Fprintf(cmd.ErrOrStderr(), "eseal: %v; unchanged\n", err)
					continue
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "revoked %s %s (%s)\n", certs.FormatSerial(n), certs.SubjectString(issued[i]), r)
			}
			var next time.Time
			if days > 0 {
				next = time.Now().Add(time.Duration(days) * 24 * time.Hour)
			}
			der, err := ca.CRL(cmd.Context(), next)
			if err != nil {
				return err
			}
			crl, err := certs.ParseCRL(der)
			if err != nil {
				return err
			}
			data := der
			if asPEM {
				data = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
			}
			if err := writeFileAtomic(out, data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(w, "wrote CRL number %s to %s: %d revoked, next update %s\n",
				crl.Number, out, len(crl.RevokedCertificateEntries), crl.NextUpdate.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&caDir, "ca", "", "CA directory")
	f.StringArrayVar(&revoke, "revoke", nil, "serial number (hex) or certificate file to revoke; repeatable, serials also comma-separated")
	f.StringVar(&reason, "reason", "0", "revocation reason: a code or an RFC 5280 name")
	f.IntVar(&days, "days", 0, "days until the CRL's nextUpdate (default: the CA's --crl-days)")
	f.StringVar(&out, "out", "", "write the CRL here (DER)")
	f.BoolVar(&asPEM, "pem", false, "write PEM instead of DER")
	return c
}

// certsSerialArg reads a --revoke value: hex serials separated by commas,
// or the name of a certificate file.
func certsSerialArg(s string) ([]*big.Int, error) {
	if fi, err := os.Stat(s); err == nil && !fi.IsDir() {
		list, err := certs.LoadCertificates(s)
		if err != nil {
			return nil, err
		}
		return []*big.Int{list[0].SerialNumber}, nil
	}
	var out []*big.Int
	for _, part := range strings.Split(s, ",") {
		n, err := certs.ParseSerial(part)
		if err != nil {
			return nil, fmt.Errorf("--revoke %q: not a certificate file, and %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func newCertsVerifyCmd() *cobra.Command {
	var trust, crls []string
	var usage, at string
	c := &cobra.Command{
		Use:   "verify --trust PEM [--crl FILE]... [--usage seal] CERT",
		Short: "Check a certificate's chain, validity, usage and revocation",
		Long: `Verify the first certificate in CERT up to a certificate in the --trust
files, using the other certificates in CERT as intermediates. With --crl,
every certificate below the trust anchor needs a current CRL from its issuer.

Exit code 0: valid. 1: not valid, with the reason (expired, not-yet-valid,
unknown-issuer, bad-signature, wrong-usage, revoked, revocation-unknown,
malformed). 2: unusable input (unreadable file, not a certificate).`,
		Example: `  eseal certs verify --trust ./ca/ca.pem seal-1.pem
  eseal certs verify --trust ./ca/ca.pem --crl ca.crl --usage seal seal-1.pem
  eseal certs verify --trust roots.pem --usage client --at 2027-01-01T00:00:00Z client.pem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(trust) == 0 {
				return usageErrorf("--trust is required: the PEM file(s) of the CA certificates to trust")
			}
			var opts certs.VerifyOptions
			switch strings.ToLower(usage) {
			case "seal", "signing":
				opts.KeyUsage = certs.UsageSeal
			case "client":
				opts.KeyUsage = x509.KeyUsageDigitalSignature
				opts.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			case "ca":
				opts.KeyUsage = x509.KeyUsageCertSign
			case "any", "":
			default:
				return usageErrorf("--usage %q: want seal, client, ca or any", usage)
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usageErrorf("--at %q: want an RFC 3339 time such as 2027-01-01T00:00:00Z", at)
				}
				opts.Time = t
			}
			pool, err := certs.LoadPool(trust...)
			if err != nil {
				return err
			}
			for _, p := range crls {
				crl, err := certs.LoadCRL(p)
				if err != nil {
					return err
				}
				opts.CRLs = append(opts.CRLs, crl)
			}
			opts.RequireCRL = len(crls) > 0
			list, err := certs.LoadCertificates(args[0])
			if err != nil {
				return err
			}
			chain, err := certs.VerifyChain(list[0], list[1:], pool, opts)
			var ce *certs.ChainError
			if errors.As(err, &ce) {
				return &verdictError{fmt.Sprintf("not valid (%s): %v", ce.Reason, ce)}
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "valid: %s\n", certs.SubjectString(chain[0]))
			for i, c := range chain {
				role := "issued by"
				if i == 0 {
					role = "certificate"
				}
				note := ""
				if i == len(chain)-1 {
					note = " (trusted)"
				}
				fmt.Fprintf(w, "  %-12s %s, serial %s%s\n", role+":", certs.SubjectString(c), certs.FormatSerial(c.SerialNumber), note)
			}
			if len(opts.CRLs) > 0 {
				fmt.Fprintln(w, "  revocation:  not revoked according to the CRLs given")
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringArrayVar(&trust, "trust", nil, "PEM file of trusted CA certificates (repeatable)")
	f.StringArrayVar(&crls, "crl", nil, "CRL file, DER or PEM (repeatable)")
	f.StringVar(&usage, "usage", "any", "required usage: seal, client, ca or any")
	f.StringVar(&at, "at", "", "check at this RFC 3339 time instead of now")
	return c
}

func newCertsShowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "show FILE...",
		Short: "Describe certificates or CRLs",
		Example: `  eseal certs show seal-1.pem
  eseal certs show ./ca/ca.pem ca.crl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			for i, path := range args {
				if i > 0 {
					fmt.Fprintln(w)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				list, certErr := certs.ParseCertificates(data)
				if certErr == nil {
					for j, c := range list {
						if j > 0 {
							fmt.Fprintln(w)
						}
						fmt.Fprintf(w, "certificate %d of %d in %s\n", j+1, len(list), path)
						certsShowCert(w, c)
					}
					continue
				}
				crl, crlErr := certs.ParseCRL(data)
				if crlErr != nil {
					return fmt.Errorf("%s: neither certificates (%v) nor a CRL (%v)", path, certErr, crlErr)
				}
				fmt.Fprintf(w, "CRL in %s\n", path)
				certsShowCRL(w, crl)
			}
			return nil
		},
	}
	return c
}

// certsPrintCert is the short form used after init and issue.
func certsPrintCert(w io.Writer, c *smx509.Certificate) {
	fmt.Fprintf(w, "  serial:     %s\n", certs.FormatSerial(c.SerialNumber))
	fmt.Fprintf(w, "  subject:    %s\n", certs.SubjectString(c))
	fmt.Fprintf(w, "  issuer:     %s\n", certs.IssuerString(c))
	fmt.Fprintf(w, "  valid:      %s to %s\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
}

var certsOIDKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

func certsShowCert(w io.Writer, c *smx509.Certificate) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("Subject", certs.SubjectString(c))
	row("Issuer", certs.IssuerString(c))
	row("Serial", certs.FormatSerial(c.SerialNumber))
	now := time.Now()
	state := "valid now"
	switch {
	case now.Before(c.NotBefore):
		state = "not yet valid"
	case now.After(c.NotAfter):
		state = "expired"
	}
	row("Validity", fmt.Sprintf("%s to %s (%s)", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), state))
	row("Public key", certs.KeyAlgorithmName(c.PublicKey))
	row("Signature", certs.SignatureAlgorithmName(c.SignatureAlgorithm))
	ku := certs.KeyUsageString(c.KeyUsage)
	for _, e := range c.Extensions {
		if e.Id.Equal(certsOIDKeyUsage) && e.Critical {
			ku += " (critical)"
		}
	}
	row("Key usage", ku)
	row("Extended key usage", certs.ExtKeyUsageString(c.ExtKeyUsage, c.UnknownExtKeyUsage))
	ca := "no"
	if c.BasicConstraintsValid && c.IsCA {
		ca = "yes, no path length limit"
		if c.MaxPathLen >= 0 {
			ca = fmt.Sprintf("yes, at most %d CAs below it", c.MaxPathLen)
		}
	}
	row("CA", ca)
	if len(c.SubjectKeyId) > 0 {
		row("Subject key ID", hex.EncodeToString(c.SubjectKeyId))
	}
	if len(c.AuthorityKeyId) > 0 {
		row("Authority key ID", hex.EncodeToString(c.AuthorityKeyId))
	}
	row("SHA-256", certs.Fingerprint(c))
	tw.Flush()
}

func certsShowCRL(w io.Writer, crl *certs.CRL) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("Issuer", crl.IssuerString())
	if crl.Number != nil {
		row("Number", crl.Number.String())
	}
	row("This update", crl.ThisUpdate.UTC().Format(time.RFC3339))
	if !crl.NextUpdate.IsZero() {
		next := crl.NextUpdate.UTC().Format(time.RFC3339)
		if time.Now().After(crl.NextUpdate) {
			next += " (expired)"
		}
		row("Next update", next)
	}
	row("Signature", certs.SignatureAlgorithmName(crl.SignatureAlgorithm()))
	if len(crl.AuthorityKeyId) > 0 {
		row("Authority key ID", hex.EncodeToString(crl.AuthorityKeyId))
	}
	row("Revoked", fmt.Sprint(len(crl.RevokedCertificateEntries)))
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range crl.RevokedCertificateEntries {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", certs.FormatSerial(e.SerialNumber), e.RevocationTime.UTC().Format(time.RFC3339), certs.RevocationReason(e.ReasonCode))
	}
	tw.Flush()
}
