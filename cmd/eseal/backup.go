package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/internal/atomicfile"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/store"
)

// storeFromFlags is --store, else the configuration's store.
func storeFromFlags(dsn, cfgPath string) (string, error) {
	if dsn != "" {
		return dsn, nil
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return "", err
	}
	return cfg.Store, nil
}

func newBackupCmd() *cobra.Command {
	var dsn, cfgPath, out string
	c := &cobra.Command{
		Use:   "backup --out FILE [--store DSN | --config FILE]",
		Short: "Back up the store (licenses, seals, events, audit log, clients) to a file",
		Long: `backup writes every table of the store, from one consistent snapshot, to a
JSON-lines file that restore loads into an empty store of SQLite or
PostgreSQL. The file is written to a temporary name and renamed when
complete; its last line records how many tables and rows it holds.
Keys are not in the store: back up the keystore (or the HSM) separately.`,
		Example: `  eseal backup --config node/eseal.json --out backup-2026-11-25.jsonl
  eseal backup --store postgres://eseal@db/eseal --out backup.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErrorf("--out is required")
			}
			d, err := storeFromFlags(dsn, cfgPath)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), d)
			if err != nil {
				return err
			}
			defer st.Close()
			f, err := atomicfile.Create(out, 0o600)
			if err != nil {
				return err
			}
			stats, err := st.Backup(cmd.Context(), f)
			if err != nil {
				f.Abort()
				return err
			}
			if err := f.Commit(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %d tables, %d rows (schema %d) to %s\n", stats.Tables, stats.Rows, stats.Schema, out)
			return nil
		},
	}
	envFlag(c, &dsn, "store", "ESEAL_STORE", "store to back up (default $ESEAL_STORE, else the configuration's)")
	c.Flags().StringVar(&cfgPath, "config", "", "configuration file")
	c.Flags().StringVar(&out, "out", "", "backup file to write")
	return c
}

func newRestoreCmd() *cobra.Command {
	var dsn, in string
	c := &cobra.Command{
		Use:   "restore --store DSN --in FILE",
		Short: "Restore a backup into a new, empty store",
		Long: `restore loads a backup made by eseal backup into an empty store (created
and migrated by this command), in one transaction: a damaged or incomplete
backup leaves the store empty. The store must be of the backup's schema
version; a store that already holds data is refused.`,
		Example: `  eseal restore --store sqlite:restored.db --in backup-2026-11-25.jsonl
  eseal restore --store 'postgres://eseal@db/eseal?search_path=restored' --in backup.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" || in == "" {
				return usageErrorf("--store and --in are required")
			}
			f, err := os.Open(in)
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := store.Open(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			stats, err := st.Restore(cmd.Context(), f)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %d tables, %d rows (schema %d) into %s\n", stats.Tables, stats.Rows, stats.Schema, dsn)
			return nil
		},
	}
	c.Flags().StringVar(&dsn, "store", "", "the new store (sqlite:FILE or postgres://...)")
	c.Flags().StringVar(&in, "in", "", "backup file")
	return c
}
