package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/hsm"
)

// keystoreFlag registers --keystore, defaulting to $ESEAL_KEYSTORE.
func keystoreFlag(cmd *cobra.Command, p *string, name, usage string) {
	envFlag(cmd, p, name, "ESEAL_KEYSTORE", usage+" (default $ESEAL_KEYSTORE)")
}

func openKeystore(uri string) (hsm.Keystore, error) {
	if uri == "" {
		return nil, usageErrorf("no keystore: give --keystore file:DIR or --keystore 'pkcs11:token=...?module-path=...' (or set ESEAL_KEYSTORE)")
	}
	return hsm.Open(uri)
}

func newHSMCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "hsm",
		Short: "Generate keys, list them and sign with them in a keystore",
		Long: `Keystores hold the private keys; they never leave them.

Keystore URIs:
  file:DIR                 the encrypted soft keystore; passphrase from
                           $ESEAL_KEYSTORE_PASSPHRASE or file:DIR?passphrase-file=PATH
  pkcs11:token=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:PIN
                           a PKCS#11 token (RFC 7512); PIN also from $ESEAL_PKCS11_PIN.
                           SM2 tokens: x-sm2-profile=ibm (default) or ibm-sm3.`,
	}
	c.AddCommand(newHSMKeygenCmd(), newHSMListCmd(), newHSMPubkeyCmd(), newHSMSignCmd())
	return c
}

func newHSMKeygenCmd() *cobra.Command {
	var uri, label, alg string
	c := &cobra.Command{
		Use:   "keygen --keystore URI --label NAME --alg sm2|p256",
		Short: "Generate a key pair in the keystore",
		Example: `  export ESEAL_KEYSTORE_PASSPHRASE='correct horse battery staple'
  eseal hsm keygen --keystore file:./keys --label seal-1 --alg sm2
  eseal hsm keygen --keystore 'pkcs11:token=seals?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:pin.txt' --label pades-1 --alg p256`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := hsm.ParseAlgorithm(alg)
			if err != nil {
				return err
			}
			if label == "" {
				return usageErrorf("--label is required")
			}
			ks, err := openKeystore(uri)
			if err != nil {
				return err
			}
			defer ks.Close()
			s, err := ks.Generate(cmd.Context(), label, a)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "generated %s key %q, public key SHA-256 %s\n", a, label, fingerprint(s.Public()))
			return nil
		},
	}
	keystoreFlag(c, &uri, "keystore", "keystore URI")
	c.Flags().StringVar(&label, "label", "", "label of the new key")
	c.Flags().StringVar(&alg, "alg", "sm2", "key algorithm: sm2 or p256")
	return c
}

func newHSMListCmd() *cobra.Command {
	var uri string
	c := &cobra.Command{
		Use:     "list --keystore URI",
		Short:   "List the key pairs in the keystore",
		Example: `  eseal hsm list --keystore file:./keys`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := openKeystore(uri)
			if err != nil {
				return err
			}
			defer ks.Close()
			keys, err := ks.List(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "LABEL\tALGORITHM\tPUBLIC KEY SHA-256")
			for _, k := range keys {
				alg, fp := string(k.Algorithm), "-"
				if alg == "" {
					alg = "unsupported"
				} else {
					fp = fingerprint(k.Public)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", k.Label, alg, fp)
			}
			return w.Flush()
		},
	}
	keystoreFlag(c, &uri, "keystore", "keystore URI")
	return c
}

func newHSMPubkeyCmd() *cobra.Command {
	var uri, label string
	c := &cobra.Command{
		Use:     "pubkey --keystore URI --label NAME",
		Short:   "Print a key's public key as PEM (SubjectPublicKeyInfo)",
		Example: `  eseal hsm pubkey --keystore file:./keys --label seal-1 > seal-1.pub.pem`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if label == "" {
				return usageErrorf("--label is required")
			}
			ks, err := openKeystore(uri)
			if err != nil {
				return err
			}
			defer ks.Close()
			keys, err := ks.List(cmd.Context())
			if err != nil {
				return err
			}
			for _, k := range keys {
				if k.Label != label || k.Public == nil {
					continue
				}
				der, err := smx509.MarshalPKIXPublicKey(k.Public)
				if err != nil {
					return err
				}
				return pem.Encode(cmd.OutOrStdout(), &pem.Block{Type: "PUBLIC KEY", Bytes: der})
			}
			return fmt.Errorf("label %q: %w", label, hsm.ErrKeyNotFound)
		},
	}
	keystoreFlag(c, &uri, "keystore", "keystore URI")
	c.Flags().StringVar(&label, "label", "", "key label")
	return c
}

func newHSMSignCmd() *cobra.Command {
	var uri, label, in, out, id string
	c := &cobra.Command{
		Use:   "sign --keystore URI --label NAME --in FILE",
		Short: "Sign a file; the DER signature goes to stdout",
		Long: `Sign a file with a key in the keystore and write the DER signature
SEQUENCE{r, s} to stdout (or --out). SM2 keys sign SM3(Z_A || file) with the
default ID 1234567812345678 (GB/T 32918.2, GM/T 0009) unless --id is given;
P-256 keys sign SHA-256(file) with ECDSA.

Check with OpenSSL:
  openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der FILE
  openssl dgst -sha256 -verify pub.pem -signature sig.der FILE`,
		Example: `  eseal hsm sign --keystore file:./keys --label seal-1 --in approval.pdf > approval.sig
  eseal hsm pubkey --keystore file:./keys --label seal-1 > pub.pem
  openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature approval.sig approval.pdf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if label == "" || in == "" {
				return usageErrorf("--label and --in are required")
			}
			f, err := os.Open(in)
			if err != nil {
				return err
			}
			defer f.Close()
			ks, err := openKeystore(uri)
			if err != nil {
				return err
			}
			defer ks.Close()
			s, err := ks.Signer(cmd.Context(), label)
			if err != nil {
				return err
			}
			var uid []byte
			if id != "" {
				if s.Algorithm() != hsm.SM2 {
					return usageErrorf("--id applies to SM2 keys only")
				}
				uid = []byte(id)
			}
			sig, err := hsm.SignStream(s, f, uid)
			if err != nil {
				return err
			}
			if out != "" {
				return writeFileAtomic(out, sig, 0o644)
			}
			_, err = cmd.OutOrStdout().Write(sig)
			return err
		},
	}
	keystoreFlag(c, &uri, "keystore", "keystore URI")
	c.Flags().StringVar(&label, "label", "", "key label")
	c.Flags().StringVar(&in, "in", "", "file to sign")
	c.Flags().StringVar(&out, "out", "", "write the signature here instead of stdout")
	c.Flags().StringVar(&id, "id", "", "SM2 distinguishing ID (default 1234567812345678)")
	return c
}

// fingerprint is the SHA-256 of the DER SubjectPublicKeyInfo, hex.
func fingerprint(pub any) string {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "?"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
