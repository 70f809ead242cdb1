package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "eseal",
		Short: "Electronic seals, signatures and licenses with keys in an HSM",
		Long: `eseal stamps PDFs with electronic seals, issues and verifies electronic
licenses, and runs the verification service. Private keys stay in a keystore:
a PKCS#11 token (pkcs11:token=...) or the encrypted soft keystore (file:DIR).

Exit codes: 0 ok, 1 a verification said no, 2 bad usage or unusable input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newHSMCmd(), newCertsCmd(), newSealCmd(), newVerifyCmd(), newLicenseCmd(), newSetupCmd(), newServeCmd(), newTrustlistCmd(), newAuditCmd(), newBackupCmd(), newRestoreCmd(), newAdminCmd(), newDemoCmd())
	return root
}
