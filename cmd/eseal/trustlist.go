// eseal trustlist: sign, show and verify the federation's trust list of
// regions (package federation).

package main

import (
	"bytes"
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/license"
)

func newTrustlistCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "trustlist",
		Short: "Sign, show and verify the federation trust list of regions",
		Long: `Regions recognise each other's licenses (跨区域互认) through a trust list
signed by the federation: each region's code (区划码), status (active,
suspended, withdrawn), node URLs, CA certificates, issuing departments
(USCCs), issuer keys and node keys. Nodes load it from a URL or file, refuse
a list that is older than the one they have (rollback), and stop trusting a
list once it is past its nextUpdate.

The source is JSON (see the federation package documentation); the signed
list is a compact JWS (typ eseal-trustlist+jws), SM2 (SM2SM3) or P-256 (ES256).`,
	}
	c.AddCommand(newTrustlistSignCmd(), newTrustlistShowCmd(), newTrustlistVerifyCmd())
	return c
}

func newTrustlistSignCmd() *cobra.Command {
	var in, uri, label, out, previous, validFor string
	c := &cobra.Command{
		Use:   "sign --in trustlist.json --keystore URI --label NAME --out trustlist.jws [--previous FILE]",
		Short: "Sign a trust list with the federation key",
		Long: `Check a trust list written as JSON and sign it with the federation key.

issuedAt defaults to now; --valid-for sets nextUpdate from issuedAt. The
sequence number must be above that of --previous (the last list published,
signed or JSON), so that nodes take the new list.`,
		Example: `  eseal hsm keygen --keystore file:./fed-keys --label federation --alg sm2
  eseal hsm pubkey --keystore file:./fed-keys --label federation > federation.pem
  eseal trustlist sign --in trustlist.json --keystore file:./fed-keys --label federation \
      --valid-for 30d --previous trustlist.jws --out trustlist-43.jws`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || label == "" || out == "" {
				return usageErrorf("--in, --label and --out are required")
			}
			data, err := os.ReadFile(in)
			if err != nil {
				return err
			}
			tl, err := federation.DecodeJSON(data)
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			if tl.IssuedAt.IsZero() {
				tl.IssuedAt = time.Now().UTC().Truncate(time.Second)
			}
			if validFor != "" {
				d, err := trustlistParseDuration(validFor)
				if err != nil {
					return usageErrorf("--valid-for %q: %v", validFor, err)
				}
				tl.NextUpdate = tl.IssuedAt.Add(d)
			}
			if tl.NextUpdate.IsZero() {
				return usageErrorf("%s has no nextUpdate: add one, or give --valid-for", in)
			}
			if previous != "" {
				prev, err := trustlistReadAny(previous)
				if err != nil {
					return fmt.Errorf("--previous %s: %w", previous, err)
				}
				if tl.Sequence <= prev.Sequence {
					return fmt.Errorf("sequence %d is not above %d of the previous list %s: nodes would refuse it as a rollback; raise \"sequence\" in %s",
						tl.Sequence, prev.Sequence, previous, in)
				}
			}
			ks, err := openKeystore(uri)
			if err != nil {
				return err
			}
			defer ks.Close()
			signer, err := ks.Signer(cmd.Context(), label)
			if err != nil {
				return err
			}
			tok, err := federation.Sign(tl, signer)
			if err != nil {
				return err
			}
			// Check what the keystore produced before anyone relies on it.
			signed, err := federation.Parse(tok, signer.Public())
			if err != nil {
				return fmt.Errorf("the list just signed does not verify: %w", err)
			}
			if err := writeFileAtomic(out, []byte(tok+"\n"), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed trust list %s: %d regions, issued %s, next update %s, federation key %s\nwrote %s\n",
				signed, len(signed.Regions), trustlistTime(signed.IssuedAt), trustlistTime(signed.NextUpdate), signed.KeyID(), out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&in, "in", "", "the trust list as JSON")
	keystoreFlag(c, &uri, "keystore", "keystore URI of the federation key")
	f.StringVar(&label, "label", "", "label of the federation key")
	f.StringVar(&out, "out", "", "write the signed list (compact JWS) here")
	f.StringVar(&previous, "previous", "", "the last list published (JWS or JSON): the new sequence number must be above its")
	f.StringVar(&validFor, "valid-for", "", "set nextUpdate to issuedAt plus this long (30d, 720h)")
	return c
}

func newTrustlistShowCmd() *cobra.Command {
	var keyFiles []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "show [--federation-key PEM]... [--json] trustlist.jws",
		Short: "Describe a signed trust list, verifying it if a key is given",
		Long: `Print a signed trust list: its sequence number, dates and regions with their
certificates, issuers and keys. With --federation-key the signature and expiry
are checked too, and the exit code is 1 if they fail; without it nothing is
checked but the list's structure.`,
		Example: `  eseal trustlist show trustlist.jws
  eseal trustlist show --federation-key federation.pem trustlist.jws
  curl -s https://eseal.sh.example.cn/v1/trustlist > tl.jws && eseal trustlist show --json tl.jws`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var verdict error
			var tl *federation.TrustList
			if len(keyFiles) > 0 {
				keys, err := trustlistKeys(keyFiles)
				if err != nil {
					return err
				}
				tl, err = federation.Parse(string(tok), keys...)
				var exp *federation.ExpiredError
				if errors.As(err, &exp) {
					tl, verdict = exp.List, &verdictError{msg: err.Error()}
				} else if err != nil {
					return trustlistVerdict(fmt.Errorf("%s: %w", args[0], err))
				}
			} else if tl, err = federation.ParseUnverified(string(tok)); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				b, err := tl.JSON()
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				json.Indent(&buf, b, "", "  ")
				buf.WriteByte('\n')
				w.Write(buf.Bytes())
				return verdict
			}
			trustlistPrint(w, tl, len(keyFiles) > 0, time.Now())
			return verdict
		},
	}
	c.Flags().StringArrayVar(&keyFiles, "federation-key", nil, "PEM file of a federation public key or certificate (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the list's JSON")
	return c
}

func newTrustlistVerifyCmd() *cobra.Command {
	var keyFiles []string
	var previous, at string
	c := &cobra.Command{
		Use:   "verify --federation-key PEM [--previous OLD.jws] trustlist.jws",
		Short: "Check a trust list's signature, content and expiry, and that it is newer",
		Long: `Verify a signed trust list as a node does before using it: signed by a
federation key, well-formed (certificates, codes, USCCs, keys), not expired,
and, with --previous, not older than the list in use (rollback), nor the same
sequence number with other content.

Exit code 0: the list may be used. 1: bad signature, invalid content,
expired, or rollback. 2: unusable input (unreadable file, not a trust list,
no usable key).`,
		Example: `  eseal trustlist verify --federation-key federation.pem trustlist.jws
  eseal trustlist verify --federation-key federation.pem --previous /var/lib/eseal/trustlist.jws new.jws
  eseal trustlist verify --federation-key old.pem --federation-key new.pem trustlist.jws   # key rollover`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(keyFiles) == 0 {
				return usageErrorf("--federation-key is required: the PEM file of the federation's public key or certificate")
			}
			now := time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usageErrorf("--at %q: want an RFC 3339 time such as 2027-01-01T00:00:00Z", at)
				}
				now = t
			}
			keys, err := trustlistKeys(keyFiles)
			if err != nil {
				return err
			}
			tok, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			tl, err := federation.ParseAt(string(tok), now, keys...)
			if err != nil {
				return trustlistVerdict(fmt.Errorf("%s: %w", args[0], err))
			}
			w := cmd.OutOrStdout()
			same := false
			if previous != "" {
				b, err := os.ReadFile(previous)
				if err != nil {
					return err
				}
				prev, err := federation.ParseAt(string(b), now, keys...)
				var exp *federation.ExpiredError
				if errors.As(err, &exp) {
					prev, err = exp.List, nil // an old list may well have expired
				}
				if err != nil {
					return fmt.Errorf("--previous %s: %w", previous, err)
				}
				switch err := federation.CheckSuccessor(prev, tl); {
				case errors.Is(err, federation.ErrUnchanged):
					same = true
				case err != nil:
					return &verdictError{msg: fmt.Sprintf("%s: %v", args[0], err)}
				}
			}
			active := 0
			for _, r := range tl.Regions {
				if r.Status == federation.RegionActive {
					active++
				}
			}
			fmt.Fprintf(w, "valid: trust list %s, signed by federation key %s\n", tl, tl.KeyID())
			fmt.Fprintf(w, "  issued at:    %s\n", trustlistTime(tl.IssuedAt))
			fmt.Fprintf(w, "  next update:  %s (in %s)\n", trustlistTime(tl.NextUpdate), trustlistDuration(tl.NextUpdate.Sub(now)))
			fmt.Fprintf(w, "  regions:      %d, %d active\n", len(tl.Regions), active)
			if same {
				fmt.Fprintf(w, "  previous:     the same list as %s\n", previous)
			} else if previous != "" {
				fmt.Fprintf(w, "  previous:     newer than %s\n", previous)
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&keyFiles, "federation-key", nil, "PEM file of a federation public key or certificate (repeatable)")
	c.Flags().StringVar(&previous, "previous", "", "the list in use: the new one must be newer")
	c.Flags().StringVar(&at, "at", "", "check at this RFC 3339 time instead of now")
	return c
}

// trustlistVerdict maps what verification said no to onto exit code 1;
// input that is not a trust list at all stays exit code 2.
func trustlistVerdict(err error) error {
	for _, no := range []error{federation.ErrSignature, federation.ErrInvalid, federation.ErrExpired, federation.ErrRollback} {
		if errors.Is(err, no) {
			return &verdictError{msg: err.Error()}
		}
	}
	return err
}

// trustlistKeys reads federation public keys from PEM files of PUBLIC KEY
// or CERTIFICATE blocks.
func trustlistKeys(paths []string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		n := 0
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			switch b.Type {
			case "PUBLIC KEY":
				k, err := smx509.ParsePKIXPublicKey(b.Bytes)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				keys = append(keys, k)
				n++
			case "CERTIFICATE":
				c, err := smx509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				keys = append(keys, c.PublicKey)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no PUBLIC KEY or CERTIFICATE block (eseal hsm pubkey writes one)", path)
		}
	}
	return keys, nil
}

// trustlistReadAny reads a list as JSON or, without checking it, as a
// signed list.
func trustlistReadAny(path string) (*federation.TrustList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return federation.DecodeJSON(data)
	}
	return federation.ParseUnverified(string(data))
}

// trustlistParseDuration is time.ParseDuration with days ("30d").
func trustlistParseDuration(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, perr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, perr
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 30d or 720h")
	}
	return d, nil
}

func trustlistTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// trustlistDuration writes a duration in days, hours and minutes.
func trustlistDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	days, h, m := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

func trustlistPrint(w io.Writer, tl *federation.TrustList, verified bool, now time.Time) {
	line := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%-14s%s\n", label, fmt.Sprintf(format, a...))
	}
	line("trust list", "%s", tl)
	if verified {
		line("signature", "verified, federation key %s", tl.KeyID())
	} else {
		line("signature", "NOT CHECKED (give --federation-key), key id %s", tl.KeyID())
	}
	line("issued at", "%s", trustlistTime(tl.IssuedAt))
	if tl.Expired(now) {
		line("next update", "%s (EXPIRED %s ago)", trustlistTime(tl.NextUpdate), trustlistDuration(now.Sub(tl.NextUpdate)))
	} else {
		line("next update", "%s (in %s)", trustlistTime(tl.NextUpdate), trustlistDuration(tl.NextUpdate.Sub(now)))
	}
	line("digest", "SHA-256 %s", tl.Digest())
	line("regions", "%d", len(tl.Regions))
	for i := range tl.Regions {
		r := &tl.Regions[i]
		fmt.Fprintf(w, "\nregion %s %s: %s\n", r.Code, r.Name, r.Status)
		line := func(label, format string, a ...any) {
			fmt.Fprintf(w, "  %-14s%s\n", label, fmt.Sprintf(format, a...))
		}
		for _, e := range r.Endpoints {
			line("endpoint", "%s", e)
		}
		cas, _ := r.Certificates()
		for _, c := range cas {
			line("CA", "%s, %s, valid until %s, SHA-256 %.16s…", certs.SubjectString(c), certs.KeyAlgorithmName(c.PublicKey), trustlistTime(c.NotAfter), certs.Fingerprint(c))
		}
		for _, is := range r.Issuers {
			line("issuer", "%s", strings.TrimSpace(is.USCC+" "+is.Name))
		}
		for _, k := range r.IssuerKeys {
			line("issuer key", "%s", trustlistKey(&k, true))
		}
		for _, k := range r.NodeKeys {
			line("node key", "%s", trustlistKey(&k, false))
		}
	}
}

func trustlistKey(k *federation.Key, issuer bool) string {
	pub, cert, err := k.Public()
	if err != nil {
		return "unreadable: " + err.Error()
	}
	kid, _ := license.KeyID(pub)
	s := kid + " (" + certs.KeyAlgorithmName(pub)
	if cert != nil {
		s += ", certificate " + certs.SubjectString(cert) + ", valid until " + trustlistTime(cert.NotAfter)
	}
	s += ")"
	if issuer {
		if k.USCC != "" {
			s += " for " + k.USCC
		} else {
			s += " for any issuer of the region"
		}
	}
	return s
}
