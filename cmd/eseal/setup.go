package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/deploy"
)

func newSetupCmd() *cobra.Command {
	var dir, regionCode, regionName, caOrg, publicURL, listen string
	c := &cobra.Command{
		Use:   "setup --dir DIR",
		Short: "Set up a working node: keystore, CA, issuing departments with keys and seals, database, eseal.json",
		Long: `setup makes a complete single-node deployment in an empty directory, on
the embedded defaults: the soft keystore (passphrase from
$ESEAL_KEYSTORE_PASSPHRASE), a development SM2 root CA, for every issuer of
the built-in license types an SM2 signing key, a seal key, certificates and
a GB/T 38540 seal (registered), the SQLite database, and eseal.json, which
the other commands read (--config DIR/eseal.json or ESEAL_CONFIG).
Production deployments configure HSM keys and real CA certificates.`,
		Example: `  export ESEAL_KEYSTORE_PASSPHRASE='a long passphrase'
  eseal setup --dir node --region-code 110108 --region-name 某市某区 --public-url https://zz.example.gov.cn
  export ESEAL_CONFIG=node/eseal.json
  eseal license types`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageErrorf("--dir is required")
			}
			res, err := deploy.Setup(cmd.Context(), deploy.Options{Dir: dir, Region: config.Region{Code: regionCode, Name: regionName}, CAOrg: caOrg, PublicURL: publicURL, Listen: listen})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, n := range res.Notes {
				fmt.Fprintf(w, "note: %s\n", n)
			}
			fmt.Fprintf(w, "node set up in %s\n  config:  %s\n  CA:      %s\n  store:   %s\n", dir, res.ConfigPath, res.CACert, res.Config.Store)
			for _, is := range res.Config.Issuers {
				fmt.Fprintf(w, "  issuer:  %s %s (keys %s, %s; seal %s)\n", is.Code, is.Name, is.KeyLabel, is.SealKeyLabel, is.Seal)
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "directory for the node (must be empty)")
	c.Flags().StringVar(&regionCode, "region-code", "110108", "the region's administrative division code (区划码)")
	c.Flags().StringVar(&regionName, "region-name", "某市某区", "the region's name")
	c.Flags().StringVar(&caOrg, "ca-org", "某市人民政府", "organisation of the development root CA")
	c.Flags().StringVar(&publicURL, "public-url", "", "base URL of this node's citizen page, printed in QR codes (default http://LISTEN)")
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address eseal serve listens on")
	return c
}
