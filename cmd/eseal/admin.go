package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/store"
)

func newAdminCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "admin",
		Short: "Administer the service: API clients and their credentials",
	}
	c.AddCommand(newAdminClientCmd())
	return c
}

func newAdminClientCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "client",
		Short: "Register API clients, give them keys and scopes, disable them",
		Long: `client manages who may call the HTTP API. A client has a role (admin,
department, issuer, casesystem), scopes that say what it may do, an API key
(shown once, when made; the store keeps only its SHA-256), optionally a TLS
client certificate, and a rate limit.

Scopes:
  seal:<seal id>     stamp with this seal (departments)
  issuer:<USCC>      act for this issuing department (issuers)
  type:<type code>   issue licenses of this type (issuers)
  verify             call the verification endpoints (case systems always)
  lookup             look up a holder's licenses, with a reason (case systems)
  admin              everything (admins hold it without a grant)

Running services cache clients for 30 s: a client disabled, or a key
rotated, is refused at most 30 s later.`,
	}
	c.AddCommand(newAdminClientAddCmd(), newAdminClientListCmd(),
		newAdminClientEnableCmd("disable"), newAdminClientEnableCmd("enable"),
		newAdminClientRotateCmd(), newAdminClientScopesCmd(), newAdminClientLimitCmd())
	return c
}

// openClientStore opens the store named by --store.
func openClientStore(ctx context.Context, dsn string) (store.Store, error) {
	if dsn == "" {
		return nil, usageErrorf("--store is required (or set ESEAL_STORE)")
	}
	return store.Open(ctx, dsn)
}

// clientOrUsage reads a client, turning a missing one into a message that
// says where to look.
func clientOrUsage(ctx context.Context, st store.Store, id string) (store.ClientRecord, error) {
	c, err := st.Client(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, usageErrorf("no client %q; eseal admin client list shows them", id)
	}
	return c, err
}

// printKey shows a new API key, the only time it is shown.
func printKey(cmd *cobra.Command, id, key string) {
	fmt.Fprintf(cmd.OutOrStdout(), "id:  %s\nkey: %s\n", id, key)
	fmt.Fprintln(cmd.ErrOrStderr(), "eseal: warning: the API key above is shown only now and cannot be shown again;"+
		" hand it to the client over a secure channel (eseal admin client rotate "+id+" makes a new one)")
}

func newAdminClientAddCmd() *cobra.Command {
	var (
		storeDSN, name, role, certPath string
		scopes                         []string
		rate                           float64
		burst                          int
	)
	c := &cobra.Command{
		Use:   "add --store DSN --name NAME --role ROLE [--scope S]... [--rate N --burst N] [--cert client.pem]",
		Short: "Register an API client and print its API key, once",
		Example: `  # A department that stamps with two seals:
  eseal admin client add --store sqlite:eseal.db --name 海淀区政务服务中心 --role department \
      --scope seal:11010800000001 --scope seal:11010800000002

  # An issuing department for one license type, 5 requests/s, bursts of 10:
  eseal admin client add --name 海淀区市场监管局 --role issuer \
      --scope issuer:91110108MA01XXXX0X --scope type:1001 --rate 5 --burst 10

  # A case system of another region, also identified by its TLS certificate:
  eseal admin client add --name 上海一网通办 --role casesystem --scope lookup --cert casesys.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(name) == "" || role == "" {
				return usageErrorf("--name and --role are required")
			}
			if err := auth.CheckGrant(role, scopes); err != nil {
				return usageErrorf("%v", err)
			}
			if rate < 0 || burst < 0 {
				return usageErrorf("--rate and --burst must not be negative (--rate 0: no limit)")
			}
			var fp string
			if certPath != "" {
				var err error
				if fp, err = clientCertFingerprint(certPath); err != nil {
					return usageErrorf("--cert %s: %v", certPath, err)
				}
			}
			st, err := openClientStore(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			key, hash := auth.NewKey()
			rec := store.ClientRecord{ID: auth.NewClientID(), Name: strings.TrimSpace(name), Role: role, Scopes: scopes,
				KeyHash: hash, CertFingerprint: fp, Rate: rate, Burst: burst}
			if err := st.PutClient(cmd.Context(), rec); err != nil {
				if errors.Is(err, store.ErrExists) && fp != "" {
					return usageErrorf("a client with this certificate (sha256 %s) is already registered", fp)
				}
				return err
			}
			printKey(cmd, rec.ID, key)
			if fp != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "cert: sha256 %s\n", fp)
			}
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the clients")
	c.Flags().StringVar(&name, "name", "", "who the client is, as people call it")
	c.Flags().StringVar(&role, "role", "", "admin, department, issuer or casesystem")
	c.Flags().StringSliceVar(&scopes, "scope", nil, "a scope to grant (repeat, or separate with commas)")
	c.Flags().Float64Var(&rate, "rate", 10, "requests per second sustained (0: no limit)")
	c.Flags().IntVar(&burst, "burst", 20, "requests at once")
	c.Flags().StringVar(&certPath, "cert", "", "the client's TLS certificate (PEM), to identify it without its key")
	return c
}

// clientCertFingerprint reads a client certificate (PEM or DER) and returns
// its fingerprint. Go's TLS stack must be able to verify it, so it is parsed
// with crypto/x509 (RSA, ECDSA, Ed25519; not SM2).
func clientCertFingerprint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	der := b
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "CERTIFICATE" {
			return "", fmt.Errorf("the first PEM block is %q, want CERTIFICATE", blk.Type)
		}
		der = blk.Bytes
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", err
	}
	if len(cert.ExtKeyUsage) > 0 && !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) && !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return "", fmt.Errorf("certificate %q is not for TLS clients: it has extended key usages but not clientAuth, so TLS would refuse it", cert.Subject)
	}
	return auth.CertFingerprint(der), nil
}

func newAdminClientListCmd() *cobra.Command {
	var storeDSN string
	c := &cobra.Command{
		Use:     "list --store DSN",
		Short:   "List the API clients (never their keys)",
		Example: `  eseal admin client list --store sqlite:eseal.db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openClientStore(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.Clients(cmd.Context())
			// NAME last: tabwriter counts a CJK character as one column.
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tROLE\tSTATUS\tRATE\tCERT\tSCOPES\tNAME")
			for _, cl := range list {
				status := "enabled"
				if cl.Disabled {
					status = "disabled " + cl.DisabledAt.Format(time.DateOnly)
				}
				limit := "unlimited"
				if cl.Rate > 0 {
					limit = fmt.Sprintf("%g/s burst %d", cl.Rate, cl.Burst)
				}
				cert := "-"
				if cl.CertFingerprint != "" {
					cert = cl.CertFingerprint[:16] + "…"
				}
				scopes := strings.Join(cl.Scopes, ",")
				if scopes == "" {
					scopes = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Role, status, limit, cert, scopes, cl.Name)
			}
			return w.Flush()
		},
	}
	storeFlag(c, &storeDSN, "the store holding the clients")
	return c
}

// newAdminClientEnableCmd makes "disable" and "enable".
func newAdminClientEnableCmd(action string) *cobra.Command {
	var storeDSN string
	disable := action == "disable"
	short := "Enable a disabled API client again"
	if disable {
		short = "Disable an API client: its key and certificate stop working"
	}
	c := &cobra.Command{
		Use:     action + " ID --store DSN",
		Short:   short,
		Example: fmt.Sprintf("  eseal admin client %s cl_3f9a0c1d2e4b5a67 --store sqlite:eseal.db", action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openClientStore(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := clientOrUsage(cmd.Context(), st, args[0]); err != nil {
				return err
			}
			if err := st.UpdateClient(cmd.Context(), args[0], store.ClientUpdate{Disabled: &disable}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "client %s %sd; running services apply this within 30 s\n", args[0], action)
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the clients")
	return c
}

func newAdminClientRotateCmd() *cobra.Command {
	var storeDSN string
	c := &cobra.Command{
		Use:   "rotate ID --store DSN",
		Short: "Give an API client a new key; the old one stops working",
		Example: `  eseal admin client rotate cl_3f9a0c1d2e4b5a67 --store sqlite:eseal.db
  # prints the new key once; running services accept the old one for up to 30 s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openClientStore(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := clientOrUsage(cmd.Context(), st, args[0]); err != nil {
				return err
			}
			key, hash := auth.NewKey()
			if err := st.RotateClientKey(cmd.Context(), args[0], hash); err != nil {
				return err
			}
			printKey(cmd, args[0], key)
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the clients")
	return c
}

func newAdminClientScopesCmd() *cobra.Command {
	var (
		storeDSN string
		set      []string
	)
	c := &cobra.Command{
		Use:   "scopes ID --store DSN --set S...",
		Short: "Replace the scopes of an API client",
		Example: `  eseal admin client scopes cl_3f9a0c1d2e4b5a67 --set seal:11010800000001,seal:11010800000003
  eseal admin client scopes cl_9b8e7d6c5a4f3e21 --set lookup
  eseal admin client scopes cl_9b8e7d6c5a4f3e21 --set ''    # none`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("set") {
				return usageErrorf("--set is required (--set '' removes every scope)")
			}
			set = slices.DeleteFunc(set, func(s string) bool { return strings.TrimSpace(s) == "" })
			st, err := openClientStore(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			cl, err := clientOrUsage(cmd.Context(), st, args[0])
			if err != nil {
				return err
			}
			if err := auth.CheckGrant(cl.Role, set); err != nil {
				return usageErrorf("%v", err)
			}
			if err := st.UpdateClient(cmd.Context(), args[0], store.ClientUpdate{Scopes: &set}); err != nil {
				return err
			}
			cl, err = st.Client(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			scopes := strings.Join(cl.Scopes, " ")
			if scopes == "" {
				scopes = "none"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "client %s (%s) scopes: %s\n", cl.ID, cl.Role, scopes)
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the clients")
	c.Flags().StringSliceVar(&set, "set", nil, "the scopes the client holds from now on (repeat, or separate with commas)")
	return c
}

func newAdminClientLimitCmd() *cobra.Command {
	var (
		storeDSN string
		rate     float64
		burst    int
	)
	c := &cobra.Command{
		Use:   "limit ID --store DSN [--rate N] [--burst N]",
		Short: "Change the rate limit of an API client",
		Example: `  eseal admin client limit cl_3f9a0c1d2e4b5a67 --rate 50 --burst 100
  eseal admin client limit cl_3f9a0c1d2e4b5a67 --rate 0    # no limit`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var u store.ClientUpdate
			if cmd.Flags().Changed("rate") {
				u.Rate = &rate
			}
			if cmd.Flags().Changed("burst") {
				u.Burst = &burst
			}
			if u.Rate == nil && u.Burst == nil {
				return usageErrorf("give --rate, --burst or both")
			}
			if rate < 0 || burst < 0 {
				return usageErrorf("--rate and --burst must not be negative (--rate 0: no limit)")
			}
			st, err := openClientStore(cmd.Context(), storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := clientOrUsage(cmd.Context(), st, args[0]); err != nil {
				return err
			}
			if err := st.UpdateClient(cmd.Context(), args[0], u); err != nil {
				return err
			}
			cl, err := st.Client(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			limit := "no limit"
			if cl.Rate > 0 {
				limit = fmt.Sprintf("%g requests/s, burst %d", cl.Rate, cl.Burst)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "client %s: %s\n", cl.ID, limit)
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the clients")
	c.Flags().Float64Var(&rate, "rate", 0, "requests per second sustained (0: no limit)")
	c.Flags().IntVar(&burst, "burst", 0, "requests at once")
	return c
}
