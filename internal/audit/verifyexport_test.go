package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/audit"
)

// exportedLog builds a log of 43 entries with checkpoints of sizes 10, 20, 20
// (two), 35 and 40, and returns its export as lines.
func exportedLog(t *testing.T) (lines []string, l *audit.Log, key any, dsn string) {
	t.Helper()
	dsn = sqliteDSN(t)
	st := openStore(t, dsn)
	k := sm2Key(t)
	l = newLog(t, st, k)
	for _, n := range []int{10, 10, 0, 15, 5} {
		appendN(t, l, n)
		checkpoint(t, l)
	}
	appendN(t, l, 3)
	return export(t, l), l, k.Public(), dsn
}

func export(t *testing.T, l *audit.Log) []string {
	t.Helper()
	var buf bytes.Buffer
	if _, _, err := l.Export(ctxT(t), &buf); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

func TestExportVerifies(t *testing.T) {
	lines, _, pub, _ := exportedLog(t)
	if len(lines) != 1+43+5 {
		t.Fatalf("%d lines", len(lines))
	}
	rep, err := audit.VerifyExport(strings.NewReader(strings.Join(lines, "\n")+"\n"), pub)
	if err != nil {
		t.Fatalf("VerifyExport: %v", err)
	}
	if !rep.OK() || rep.Entries != 43 || rep.Checkpoints != 5 || rep.Latest.Size != 40 || rep.Unsigned != 3 || rep.Origin != origin {
		t.Fatalf("report %+v", rep)
	}
	// Checkpoints stand right after the entry that completes their size.
	for i, want := range map[int]string{11: "\n10\n", 22: "\n20\n", 23: "\n20\n", 39: "\n35\n", 45: "\n40\n"} {
		if !strings.Contains(lines[i], `"checkpoint"`) || !strings.Contains(lines[i], strings.ReplaceAll(want, "\n", `\n`)) {
			t.Errorf("line %d = %s", i+1, lines[i])
		}
	}
}

// leafLine rewrites the entry on line i.
func leafLine(t *testing.T, line string, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every way of tampering with the log is caught, with a message naming the
// entry or the checkpoint.
func TestExportTampered(t *testing.T) {
	lines, l, pub, _ := exportedLog(t)
	const entry7, entry12, entry15 = 1 + 7, 2 + 12, 2 + 15 // line indexes: header, entries 0..9, checkpoint 10, entries 10..
	const cp20 = 22                                        // the first checkpoint of size 20

	otherKey := sm2Key(t)
	root20, err := l.Root(ctxT(t), 20)
	if err != nil {
		t.Fatal(err)
	}
	byOther, err := audit.SignCheckpoint(otherKey, origin, 20, root20, mustParse(t, lines[cp20]).Time)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		edit func(lines []string) []string
		want []string // substrings of the problems, in order
	}{
		{"changed entry", func(ls []string) []string {
			ls[entry7] = leafLine(t, ls[entry7], func(m map[string]any) {
				m["leaf"] = strings.Replace(m["leaf"].(string), "holder 110105", "holder 110106", 1)
			})
			return ls
		}, []string{"entry 7 was changed", "an entry among 0..9 was changed"}},

		{"changed entry and its recorded hash", func(ls []string) []string {
			ls[entry12] = leafLine(t, ls[entry12], func(m map[string]any) {
				m["leaf"] = strings.Replace(m["leaf"].(string), "issuer-1", "issuer-9", 1)
				delete(m, "hash")
			})
			return ls
		}, []string{"the first 20 entries do not have the root the checkpoint of size 20 signs: an entry among 10..19"}},

		{"deleted entry", func(ls []string) []string {
			return slices.Delete(ls, entry12, entry12+1)
		}, []string{"entry 12 is missing: entry 13 follows entry 11", "checkpoint of size 20 follows only 19 entries", "announces 43 entries but holds 42"}},

		{"reordered pair", func(ls []string) []string {
			ls[entry15], ls[entry15+1] = ls[entry15+1], ls[entry15]
			return ls
		}, []string{"entry 15 is missing: entry 16 follows entry 14", "entry 15 is out of order or repeated: it follows entry 16", "an entry among 10..19"}},

		{"forged checkpoint", func(ls []string) []string {
			ls[cp20] = leafLine(t, ls[cp20], func(m map[string]any) {
				m["checkpoint"] = strings.Replace(m["checkpoint"].(string), "\n20\n", "\n19\n", 1)
			})
			return ls
		}, []string{"checkpoint of size 19 is forged or altered"}},

		{"checkpoint from another key", func(ls []string) []string {
			ls[cp20] = leafLine(t, ls[cp20], func(m map[string]any) { m["checkpoint"] = string(byOther.Note) })
			return ls
		}, []string{"checkpoint of size 20 is not signed by the given key"}},

		{"removed checkpoint", func(ls []string) []string {
			return slices.Delete(ls, cp20, cp20+2)
		}, []string{"checkpoint of size 35 carries a proof from size 20, but the checkpoint before it has size 10"}},

		{"entries cut off the end", func(ls []string) []string {
			return ls[:len(ls)-2]
		}, []string{"the export announces 43 entries but holds 41"}},

		{"duplicated entry", func(ls []string) []string {
			return slices.Insert(ls, entry7, ls[entry7])
		}, []string{"entry 7 is out of order or repeated: it follows entry 7", "checkpoint of size 10 comes after 11 entries"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.edit(slices.Clone(lines))
			rep, err := audit.VerifyExport(strings.NewReader(strings.Join(in, "\n")+"\n"), pub)
			if !errors.Is(err, audit.ErrTampered) {
				t.Fatalf("VerifyExport = %v, want ErrTampered", err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.Msg)
			}
			i := 0
			for _, msg := range got {
				if i < len(tc.want) && strings.Contains(msg, tc.want[i]) {
					i++
				}
			}
			if i < len(tc.want) {
				t.Fatalf("problems:\n  %s\nwant, in order:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if !strings.Contains(err.Error(), got[0]) {
				t.Errorf("error %q does not tell the first problem", err)
			}
		})
	}

	// Verified with another key, nothing is signed.
	if _, err := audit.VerifyExport(strings.NewReader(strings.Join(lines, "\n")), otherKey.Public()); !errors.Is(err, audit.ErrTampered) ||
		!strings.Contains(err.Error(), "not signed by the given key") {
		t.Errorf("another key: %v", err)
	}
}

func mustParse(t *testing.T, line string) *audit.Checkpoint {
	t.Helper()
	var m struct{ Checkpoint string }
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	cp, err := audit.ParseCheckpoint([]byte(m.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// Someone with access to the database but not to the key changes an entry:
// the export shows it.
func TestExportDatabaseTampered(t *testing.T) {
	_, l, pub, dsn := exportedLog(t)
	db := rawSQLite(t, dsn)
	var data []byte
	if err := db.QueryRow(`SELECT data FROM audit_leaves WHERE idx = 25`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("api:issuer-1"), []byte("api:issuer-2"), 1)
	if _, err := db.Exec(`UPDATE audit_leaves SET data = ? WHERE idx = 25`, data); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyExport(strings.NewReader(strings.Join(export(t, l), "\n")), pub)
	if !errors.Is(err, audit.ErrTampered) || rep.Problems[0].Index != 25 || !strings.Contains(rep.Problems[0].Msg, "entry 25 was changed") {
		t.Fatalf("VerifyExport = %v", err)
	}
}

func TestExportUnusable(t *testing.T) {
	lines, _, pub, _ := exportedLog(t)
	noCheckpoints := slices.DeleteFunc(slices.Clone(lines), func(s string) bool { return strings.Contains(s, `"checkpoint"`) })
	for name, in := range map[string]string{
		"empty":          "",
		"not JSON":       "%PDF-1.7\n",
		"no header":      strings.Join(lines[1:], "\n"),
		"other version":  strings.Replace(lines[0], `"eseal_audit_export":1`, `"eseal_audit_export":2`, 1),
		"unknown line":   lines[0] + "\n{\"x\":1}\n",
		"no checkpoints": strings.Join(noCheckpoints, "\n"),
	} {
		_, err := audit.VerifyExport(strings.NewReader(in), pub)
		if err == nil || errors.Is(err, audit.ErrTampered) {
			t.Errorf("%s: VerifyExport = %v, want an error other than ErrTampered", name, err)
		}
	}
}
