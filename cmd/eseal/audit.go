package main

import (
	"bufio"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/store"
)

// defaultAuditOrigin names the log in checkpoints until an operator picks a
// name; once a checkpoint is signed, its origin is the default.
const defaultAuditOrigin = "eseal.local/audit"

func newAuditCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Append to, checkpoint, export, prove and verify the audit log",
		Long: `The audit log records every act of the service (licenses issued and
changed, PDFs stamped, verifications, administrators' acts) as JSON entries
in an append-only Merkle tree (RFC 6962 hashing). The node signs checkpoints
of the tree head with its key (C2SP tlog-checkpoint notes, SM2 or P-256);
with a checkpoint and the node's public key anyone can check offline that an
entry is in the log, that a later checkpoint extends an earlier one, and
that an export of the whole log is complete and unchanged.

Exit codes: 0 ok, 1 a verification said no (tampered, forked, not signed by
the key), 2 bad usage or unusable input.`,
	}
	c.AddCommand(newAuditAppendCmd(), newAuditCheckpointCmd(), newAuditExportCmd(), newAuditProveCmd(), newAuditVerifyCmd())
	return c
}

func openAuditStore(cmd *cobra.Command, dsn string) (store.Store, error) {
	if dsn == "" {
		return nil, usageErrorf("no store: give --store sqlite:FILE or --store postgres://... (or set ESEAL_STORE)")
	}
	return store.Open(cmd.Context(), dsn)
}

func newAuditAppendCmd() *cobra.Command {
	var storeDSN, kind, actor, subject, detail, node string
	c := &cobra.Command{
		Use:   "append --store DSN --kind KIND [--subject S] [--detail D]",
		Short: "Append an entry to the audit log (for operators and tests)",
		Long: `append records an entry by hand, such as an operator's act. The service
appends its own entries. Entries hold masked data only: an entry holding
what looks like a full citizen ID number is refused.`,
		Example: `  eseal audit append --store sqlite:eseal.db --kind admin --actor ops:wang --subject backup --detail 'restored 2026-05-01 backup'`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind == "" {
				return usageErrorf("--kind is required (for example %s, %s)", audit.KindAdmin, audit.KindVerified)
			}
			st, err := openAuditStore(cmd, storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := audit.Append(cmd.Context(), st, audit.Entry{Kind: kind, Actor: actor, Subject: subject, Detail: detail, Node: node})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "appended entry %d\n", n)
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the audit log")
	c.Flags().StringVar(&kind, "kind", "", "what happened: license.issued, license.changed, seal.stamped, verify, admin, ...")
	c.Flags().StringVar(&actor, "actor", "cli", "who did it")
	c.Flags().StringVar(&subject, "subject", "", "what it was done to (license identifier, seal ID, document SHA-256)")
	c.Flags().StringVar(&detail, "detail", "", "free text, masked")
	c.Flags().StringVar(&node, "node", "", "the node that appends (default: none)")
	return c
}

func newAuditCheckpointCmd() *cobra.Command {
	var storeDSN, ksURI, label, origin, out string
	c := &cobra.Command{
		Use:   "checkpoint --store DSN --keystore URI --label NAME [--origin NAME]",
		Short: "Sign the audit log's tree head and print the checkpoint",
		Long: `checkpoint signs the current tree head (origin, size, root hash, time) with
the node's key, stores the checkpoint and prints it (a C2SP signed note).
Keep or publish checkpoints: they are what an export, an inclusion proof or
a later checkpoint is verified against. The node refuses to sign a tree
that does not extend its latest checkpoint.`,
		Example: `  eseal audit checkpoint --store sqlite:eseal.db --keystore file:./keys --label node-1 > 2026-05-01.checkpoint
  eseal audit checkpoint --store "$ESEAL_STORE" --keystore file:./keys --label node-1 --origin audit.example.gov.cn/eseal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if label == "" {
				return usageErrorf("--label is required: the node's key in the keystore")
			}
			st, err := openAuditStore(cmd, storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			ks, err := openKeystore(ksURI)
			if err != nil {
				return err
			}
			defer ks.Close()
			signer, err := ks.Signer(cmd.Context(), label)
			if err != nil {
				return err
			}
			if origin == "" {
				origin = defaultAuditOrigin
				if r, _ := audit.New(st, nil, ""); r != nil {
					if last, err := r.LatestCheckpoint(cmd.Context()); err == nil {
						origin = last.Origin
					}
				}
			}
			log, err := audit.New(st, signer, origin)
			if err != nil {
				return err
			}
			cp, err := log.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeFileAtomic(out, cp.Note, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "checkpoint of size %d written to %s\n", cp.Size, out)
				return nil
			}
			_, err = cmd.OutOrStdout().Write(cp.Note)
			return err
		},
	}
	storeFlag(c, &storeDSN, "the store holding the audit log")
	keystoreFlag(c, &ksURI, "keystore", "keystore holding the node's key")
	c.Flags().StringVar(&label, "label", "", "label of the node's key (SM2 or P-256)")
	c.Flags().StringVar(&origin, "origin", "", "the log's name in checkpoints, a schema-less URL (default: that of the latest checkpoint, or "+defaultAuditOrigin+")")
	c.Flags().StringVar(&out, "out", "", "write the checkpoint here instead of stdout")
	return c
}

func newAuditExportCmd() *cobra.Command {
	var storeDSN, out string
	c := &cobra.Command{
		Use:   "export --store DSN --out FILE",
		Short: "Write the whole audit log, with its checkpoints, for offline verification",
		Long: `export writes every entry and every checkpoint as JSON lines, the
checkpoints after the entries they cover, each with the consistency proof
from the one before. 'eseal audit verify' checks the file with the node's
public key alone.`,
		Example: `  eseal audit export --store sqlite:eseal.db --out audit-2026-05.jsonl
  eseal audit verify --pubkey node.pub.pem audit-2026-05.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openAuditStore(cmd, storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			log, err := audit.New(st, nil, "")
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, _, err := log.Export(cmd.Context(), cmd.OutOrStdout())
				return err
			}
			var entries uint64
			var checkpoints int
			err = writeStreamAtomic(out, func(w io.Writer) error {
				var err error
				entries, checkpoints, err = log.Export(cmd.Context(), w)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d entries and %d checkpoints to %s\n", entries, checkpoints, out)
			if checkpoints == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: no checkpoint yet, so nothing in the export is signed; run 'eseal audit checkpoint' first")
			}
			return nil
		},
	}
	storeFlag(c, &storeDSN, "the store holding the audit log")
	c.Flags().StringVar(&out, "out", "", "file to write (default stdout)")
	return c
}

// writeStreamAtomic writes a file of any size through a synced temporary
// file in the same directory and a rename.
func writeStreamAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func newAuditProveCmd() *cobra.Command {
	var (
		storeDSN, out     string
		index, from, size int64
	)
	c := &cobra.Command{
		Use:   "prove --store DSN (--index N | --from M) [--size S]",
		Short: "Print an inclusion or consistency proof as JSON",
		Long: `prove --index N writes entry N with its inclusion proof and the checkpoint
it is proved against (by default the latest checkpoint that covers the
entry). prove --from M writes the consistency proof from tree size M to
size S (by default the latest checkpoint's size). Both are checked offline
with 'eseal audit verify'.`,
		Example: `  eseal audit prove --store sqlite:eseal.db --index 42 > entry-42.json
  eseal audit verify --pubkey node.pub.pem --inclusion entry-42.json
  eseal audit prove --store sqlite:eseal.db --from 1000 --size 2000 > proof.json
  eseal audit verify --pubkey node.pub.pem --consistency old.checkpoint new.checkpoint --proof proof.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (index < 0) == (from < 0) {
				return usageErrorf("give --index N (inclusion proof) or --from SIZE (consistency proof)")
			}
			if size < 0 {
				size = 0
			}
			st, err := openAuditStore(cmd, storeDSN)
			if err != nil {
				return err
			}
			defer st.Close()
			log, err := audit.New(st, nil, "")
			if err != nil {
				return err
			}
			var v any
			if index >= 0 {
				if v, err = log.ProveInclusion(cmd.Context(), uint64(index), uint64(size)); err != nil {
					return err
				}
			} else {
				if size == 0 {
					cp, err := log.LatestCheckpoint(cmd.Context())
					if err != nil {
						return fmt.Errorf("no --size and no checkpoint to prove up to: %w", err)
					}
					size = int64(cp.Size)
				}
				if v, err = log.ProveConsistency(cmd.Context(), uint64(from), uint64(size)); err != nil {
					return err
				}
			}
			b, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out != "" {
				return writeFileAtomic(out, b, 0o644)
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	storeFlag(c, &storeDSN, "the store holding the audit log")
	c.Flags().Int64Var(&index, "index", -1, "the entry to prove")
	c.Flags().Int64Var(&from, "from", -1, "the older tree size of a consistency proof")
	c.Flags().Int64Var(&size, "size", 0, "the tree size to prove against (default: the latest checkpoint's)")
	c.Flags().StringVar(&out, "out", "", "write the proof here instead of stdout")
	return c
}

func newAuditVerifyCmd() *cobra.Command {
	var (
		pubPath, proofPath, storeDSN string
		consistency, inclusion       bool
	)
	c := &cobra.Command{
		Use:   "verify --pubkey PEM (LOG.jsonl | --consistency OLD NEW | --inclusion PROOF.json)",
		Short: "Verify an export, two checkpoints or an inclusion proof, offline",
		Long: `verify needs only the node's public key (PEM, SubjectPublicKeyInfo or a
certificate):

  LOG.jsonl            an export: every checkpoint's signature, every entry's
                       hash and number (0, 1, 2, ... without gaps), the root
                       of the entries at each checkpoint and the consistency
                       between checkpoints. Each problem names the entry or
                       checkpoint.
  --consistency OLD NEW  two checkpoints: both signed by the key, and NEW
                       extends OLD (no entry of OLD changed), by the proof
                       of --proof FILE ('eseal audit prove --from') or, if
                       none is given, one computed from --store.
  --inclusion FILE     an entry proved by 'eseal audit prove --index'.

Exit codes: 0 verified, 1 tampered, forked or not signed by the key,
2 unusable input.`,
		Example: `  eseal hsm pubkey --keystore file:./keys --label node-1 > node.pub.pem
  eseal audit verify --pubkey node.pub.pem audit-2026-05.jsonl
  eseal audit verify --pubkey node.pub.pem --consistency 2026-04.checkpoint 2026-05.checkpoint --proof proof.json
  eseal audit verify --pubkey node.pub.pem --consistency 2026-04.checkpoint 2026-05.checkpoint --store sqlite:eseal.db
  eseal audit verify --pubkey node.pub.pem --inclusion entry-42.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if pubPath == "" {
				return usageErrorf("--pubkey is required: the node's public key (eseal hsm pubkey)")
			}
			pub, err := loadAuditPubkey(pubPath)
			if err != nil {
				return err
			}
			switch {
			case consistency && inclusion:
				return usageErrorf("give --consistency or --inclusion, not both")
			case consistency:
				if len(args) != 2 {
					return usageErrorf("--consistency takes two checkpoint files: OLD NEW")
				}
				return verifyAuditConsistency(cmd, pub, args[0], args[1], proofPath, storeDSN)
			case inclusion:
				if len(args) != 1 {
					return usageErrorf("--inclusion takes one proof file")
				}
				return verifyAuditInclusion(cmd, pub, args[0])
			}
			if len(args) != 1 {
				return usageErrorf("give one export file (eseal audit export)")
			}
			return verifyAuditExport(cmd, pub, args[0])
		},
	}
	c.Flags().StringVar(&pubPath, "pubkey", "", "the node's public key, PEM")
	c.Flags().BoolVar(&consistency, "consistency", false, "verify that checkpoint NEW extends checkpoint OLD")
	c.Flags().BoolVar(&inclusion, "inclusion", false, "verify an inclusion proof file")
	c.Flags().StringVar(&proofPath, "proof", "", "consistency proof file (eseal audit prove --from)")
	storeFlag(c, &storeDSN, "compute the consistency proof from this store when --proof is not given")
	return c
}

// loadAuditPubkey reads a public key, or the key of a certificate, from PEM.
func loadAuditPubkey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("%s: no PUBLIC KEY or CERTIFICATE PEM block", path)
		}
		switch blk.Type {
		case "PUBLIC KEY":
			pub, err := smx509.ParsePKIXPublicKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return pub, nil
		case "CERTIFICATE":
			c, err := smx509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return c.PublicKey, nil
		}
	}
}

func verifyAuditExport(cmd *cobra.Command, pub crypto.PublicKey, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := audit.VerifyExport(f, pub)
	w := cmd.OutOrStdout()
	if errors.Is(err, audit.ErrTampered) {
		fmt.Fprintf(w, "TAMPERED: %s, %d problem(s):\n", path, len(rep.Problems))
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		return &verdictError{fmt.Sprintf("audit log %s failed verification: %s", path, rep.Problems[0].Msg)}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(w, "OK: audit log %s, %d entries, %d checkpoints verified\n", rep.Origin, rep.Entries, rep.Checkpoints)
	cp := rep.Latest
	fmt.Fprintf(w, "latest checkpoint: size %d, root %s, signed %s\n", cp.Size, base64.StdEncoding.EncodeToString(cp.Root), cp.Time.Format(time.RFC3339))
	if rep.Unsigned > 0 {
		fmt.Fprintf(w, "note: entries %d..%d are not covered by a checkpoint yet\n", cp.Size, rep.Entries-1)
	}
	return nil
}

func readCheckpointFile(path string) (*audit.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cp, err := audit.ParseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cp, nil
}

func verifyAuditConsistency(cmd *cobra.Command, pub crypto.PublicKey, oldPath, newPath, proofPath, storeDSN string) error {
	older, err := readCheckpointFile(oldPath)
	if err != nil {
		return err
	}
	newer, err := readCheckpointFile(newPath)
	if err != nil {
		return err
	}
	// The signatures first: a forged checkpoint is a "no", whatever the
	// proof.
	for _, cp := range []struct {
		path string
		cp   *audit.Checkpoint
	}{{oldPath, older}, {newPath, newer}} {
		if err := audit.VerifyCheckpoint(cp.cp, pub); err != nil {
			if errors.Is(err, audit.ErrBadSignature) || errors.Is(err, audit.ErrUnknownKey) {
				return &verdictError{fmt.Sprintf("%s: %v", cp.path, err)}
			}
			return fmt.Errorf("%s: %w", cp.path, err)
		}
	}
	if older.Size > newer.Size {
		return usageErrorf("%s (size %d) is larger than %s (size %d): give the older checkpoint first", oldPath, older.Size, newPath, newer.Size)
	}
	var p [][]byte
	switch {
	case proofPath != "":
		b, err := os.ReadFile(proofPath)
		if err != nil {
			return err
		}
		var cb audit.ConsistencyBundle
		if err := json.Unmarshal(b, &cb); err != nil {
			return fmt.Errorf("%s: not a consistency proof: %w", proofPath, err)
		}
		if cb.Size1 != older.Size || cb.Size2 != newer.Size {
			return usageErrorf("%s proves sizes %d to %d, the checkpoints have sizes %d and %d", proofPath, cb.Size1, cb.Size2, older.Size, newer.Size)
		}
		p = cb.Proof
	case storeDSN != "":
		// The store is not trusted: the proof it gives is checked against
		// the signed roots like any other.
		st, err := store.Open(cmd.Context(), storeDSN)
		if err != nil {
			return err
		}
		defer st.Close()
		log, err := audit.New(st, nil, "")
		if err != nil {
			return err
		}
		if p, err = log.ConsistencyProof(cmd.Context(), older.Size, newer.Size); err != nil {
			return err
		}
	case older.Size != newer.Size && older.Size != 0:
		return usageErrorf("give the consistency proof (--proof FILE, from 'eseal audit prove --from %d --size %d') or --store DSN", older.Size, newer.Size)
	}
	err = audit.VerifyCheckpoints(older, newer, p, pub)
	switch {
	case err == nil:
		fmt.Fprintf(cmd.OutOrStdout(), "OK: the checkpoint of size %d (%s) extends the checkpoint of size %d (%s); both signed by the key\n",
			newer.Size, newer.Time.Format(time.RFC3339), older.Size, older.Time.Format(time.RFC3339))
		return nil
	case errors.Is(err, audit.ErrInvalidProof), errors.Is(err, audit.ErrBadSignature), errors.Is(err, audit.ErrUnknownKey):
		return &verdictError{err.Error()}
	}
	return err
}

func verifyAuditInclusion(cmd *cobra.Command, pub crypto.PublicKey, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var ib audit.InclusionBundle
	if err := json.Unmarshal(b, &ib); err != nil {
		return fmt.Errorf("%s: not an inclusion proof: %w", path, err)
	}
	e, cp, err := ib.Verify(pub)
	switch {
	case err == nil:
		fmt.Fprintf(cmd.OutOrStdout(), "OK: entry %d (%s %s, %s) is in the log %s of size %d signed %s\n",
			e.Seq, e.Kind, strconv.Quote(e.Subject), e.Time.Format(time.RFC3339), cp.Origin, cp.Size, cp.Time.Format(time.RFC3339))
		return nil
	case errors.Is(err, audit.ErrInvalidProof), errors.Is(err, audit.ErrBadSignature), errors.Is(err, audit.ErrUnknownKey), errors.Is(err, audit.ErrTampered):
		return &verdictError{fmt.Sprintf("%s: %v", path, err)}
	}
	return fmt.Errorf("%s: %w", path, err)
}
