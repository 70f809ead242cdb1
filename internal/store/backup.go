// Backup and restore: every table of the store as JSON lines, portable
// between SQLite and PostgreSQL of the same schema version.
//
//	{"format":"eseal-backup","version":1,"schema":5,"dialect":"sqlite","at":"..."}
//	{"table":"licenses","columns":["id","type_code",...]}
//	{"row":["1.2.156...", "...", {"b64":"..."}, 1234, null]}
//	...
//	{"end":true,"tables":9,"rows":1234}
//
// Binary values are {"b64": ...}; numbers and text as JSON; the end line
// proves the backup is complete.

package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

type backupHeader struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Schema  int64     `json:"schema"`
	Dialect string    `json:"dialect"`
	At      time.Time `json:"at"`
}

type backupLine struct {
	Table   string            `json:"table,omitempty"`
	Columns []string          `json:"columns,omitempty"`
	Row     []json.RawMessage `json:"row,omitempty"`
	End     bool              `json:"end,omitempty"`
	Tables  int               `json:"tables,omitempty"`
	Rows    int64             `json:"rows,omitempty"`
}

// BackupStats says what a backup or restore moved.
type BackupStats struct {
	Tables int
	Rows   int64
	Schema int64
}

func (s *sqlStore) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.dialect == DialectPostgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, driverErr(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, driverErr(err)
		}
		if n != goose.DefaultTablename {
			names = append(names, n)
		}
	}
	// Parents before the tables that refer to them: histories go last.
	sort.Slice(names, func(i, j int) bool {
		ei, ej := strings.HasSuffix(names[i], "_events"), strings.HasSuffix(names[j], "_events")
		if ei != ej {
			return ej
		}
		return names[i] < names[j]
	})
	return names, rows.Err()
}

// Backup writes every table to w in one consistent snapshot.
func (s *sqlStore) Backup(ctx context.Context, w io.Writer) (BackupStats, error) {
	var st BackupStats
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	// One read transaction: a consistent snapshot on both databases.
	tx, err := s.readDB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("store: backup: %w", driverErr(err))
	}
	defer tx.Rollback()
	snap := &sqlStore{ops: ops{dialect: s.dialect, r: tx, w: tx}, readDB: s.readDB, writeDB: s.writeDB}
	if st.Schema, err = snap.SchemaVersion(ctx); err != nil {
		return st, err
	}
	if err := enc.Encode(backupHeader{Format: "eseal-backup", Version: 1, Schema: st.Schema, Dialect: s.dialect, At: time.Now().UTC()}); err != nil {
		return st, err
	}
	tables, err := snap.tables(ctx)
	if err != nil {
		return st, err
	}
	for _, t := range tables {
		rows, err := tx.QueryContext(ctx, `SELECT * FROM `+quoteIdent(t))
		if err != nil {
			return st, fmt.Errorf("store: backup %s: %w", t, driverErr(err))
		}
		cols, _ := rows.Columns()
		if err := enc.Encode(backupLine{Table: t, Columns: cols}); err != nil {
			rows.Close()
			return st, err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return st, fmt.Errorf("store: backup %s: %w", t, driverErr(err))
			}
			line := backupLine{Row: make([]json.RawMessage, len(cols))}
			for i, v := range vals {
				line.Row[i] = encodeValue(v)
			}
			if err := enc.Encode(line); err != nil {
				rows.Close()
				return st, err
			}
			st.Rows++
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return st, fmt.Errorf("store: backup %s: %w", t, driverErr(err))
		}
		rows.Close()
		st.Tables++
	}
	if err := enc.Encode(backupLine{End: true, Tables: st.Tables, Rows: st.Rows}); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

func encodeValue(v any) json.RawMessage {
	var b []byte
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null")
	case []byte:
		b, _ = json.Marshal(map[string]string{"b64": base64.StdEncoding.EncodeToString(x)})
	case time.Time:
		b, _ = json.Marshal(map[string]string{"time": x.UTC().Format(time.RFC3339Nano)})
	default:
		b, _ = json.Marshal(x)
	}
	return b
}

func decodeValue(raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '{':
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		if s, ok := m["b64"]; ok {
			return base64.StdEncoding.DecodeString(s)
		}
		if s, ok := m["time"]; ok {
			return time.Parse(time.RFC3339Nano, s)
		}
		return nil, errors.New("unknown value object")
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 't', 'f':
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	}
	var n json.Number
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		return nil, err
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	return n.Float64()
}

// Restore loads a backup into this store, which must be empty (freshly
// migrated) and of the same schema version. Everything is loaded in one
// transaction: a broken or incomplete backup leaves the store empty.
func (s *sqlStore) Restore(ctx context.Context, r io.Reader) (BackupStats, error) {
	var st BackupStats
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var h backupHeader
	if err := dec.Decode(&h); err != nil || h.Format != "eseal-backup" || h.Version != 1 {
		return st, errors.New("store: restore: not an eseal backup (bad header line)")
	}
	schema, err := s.SchemaVersion(ctx)
	if err != nil {
		return st, err
	}
	if schema != h.Schema {
		return st, fmt.Errorf("store: restore: the backup is of schema version %d, this store is at %d: restore with the matching eseal version", h.Schema, schema)
	}
	existing, err := s.tables(ctx)
	if err != nil {
		return st, err
	}
	for _, t := range existing {
		var n int64
		if err := scanRow(s.queryRow(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t)), &n); err != nil {
			return st, err
		}
		if n > 0 {
			return st, fmt.Errorf("store: restore: table %s is not empty; restore into a new, empty store", t)
		}
	}
	known := map[string]bool{}
	for _, t := range existing {
		known[t] = true
	}
	st.Schema = h.Schema
	err = s.WithTx(ctx, func(txi Tx) error {
		tx := txi.(ops)
		var table string
		var insert string
		ended := false
		for {
			var l backupLine
			if err := dec.Decode(&l); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("store: restore: line after %d rows: %w", st.Rows, err)
			}
			switch {
			case l.End:
				if l.Rows != st.Rows || l.Tables != st.Tables {
					return fmt.Errorf("store: restore: the backup says %d tables and %d rows, found %d and %d", l.Tables, l.Rows, st.Tables, st.Rows)
				}
				ended = true
			case l.Table != "":
				if !known[l.Table] {
					return fmt.Errorf("store: restore: unknown table %q", l.Table)
				}
				table = l.Table
				var cols []string
				for _, c := range l.Columns {
					cols = append(cols, quoteIdent(c))
				}
				insert = `INSERT INTO ` + quoteIdent(table) + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + `)`
				st.Tables++
			case l.Row != nil:
				if table == "" {
					return errors.New("store: restore: a row before any table")
				}
				args := make([]any, len(l.Row))
				for i, raw := range l.Row {
					v, err := decodeValue(raw)
					if err != nil {
						return fmt.Errorf("store: restore: %s row %d: %w", table, st.Rows+1, err)
					}
					args[i] = v
				}
				if _, err := tx.exec(ctx, insert, args...); err != nil {
					return fmt.Errorf("store: restore: %s: %w", table, err)
				}
				st.Rows++
			}
			if ended {
				return nil
			}
		}
		return errors.New("store: restore: the backup is incomplete (no end line)")
	})
	return st, err
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
