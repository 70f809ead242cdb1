package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/store"
)

// A batch that crashed between a license's commit and its journal line,
// and one that crashed after writing a pending PDF but before the commit:
// the rerun moves the first into place and issues the second once. No line
// is issued twice and every journaled line has its file.
func TestBatchResume(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ESEAL_KEYSTORE_PASSPHRASE", "correct-horse-battery-staple")
	t.Setenv("ESEAL_KEYSTORE", "")
	t.Setenv("ESEAL_STORE", "")
	node := filepath.Join(dir, "node")
	if rc := run([]string{"setup", "--dir", node, "--public-url", "https://zw.example.gov.cn"}); rc != 0 {
		t.Fatalf("setup exited %d", rc)
	}
	t.Setenv("ESEAL_CONFIG", filepath.Join(node, "eseal.json"))
	ids := []string{"11010519491231002X", "110105199001010029", "110105198506150014", "110105199203040023"}
	var lines []string
	for i, id := range ids[:3] {
		lines = append(lines, fmt.Sprintf(`{"ref":"R%d","face":{"name":"测试%d","sex":"男","idNumber":"%s","address":"某市某区某某路%d号","since":"2026-01-02"}}`, i+1, i+1, id, i+1))
	}
	in := filepath.Join(dir, "batch.jsonl")
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "out")
	issue := []string{"license", "issue", "--type", "11110000MB12345624001", "--batch", in, "--out-dir", out}
	if rc := run(issue); rc != 0 {
		t.Fatalf("batch exited %d", rc)
	}

	// Crash 1: R3 committed, its PDF still pending, no journal line.
	journal := filepath.Join(out, "issued.csv")
	rows := readJournal(t, journal)
	if len(rows) != 3 {
		t.Fatalf("journal %v", rows)
	}
	var keep []string
	for _, r := range rows[:2] {
		keep = append(keep, strings.Join(r, ","))
	}
	os.WriteFile(journal, []byte("ref,identifier,number,file\n"+strings.Join(keep, "\n")+"\n"), 0o644)
	if err := os.Rename(filepath.Join(out, "R3.pdf"), filepath.Join(out, ".pending", "R3.pdf")); err != nil {
		t.Fatal(err)
	}
	// Crash 2: R4's PDF was written, the commit never happened.
	lines = append(lines, fmt.Sprintf(`{"ref":"R4","face":{"name":"测试4","sex":"女","idNumber":"%s","address":"某市某区某某路4号","since":"2026-01-02"}}`, ids[3]))
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(out, ".pending", "R4.pdf"), []byte("%PDF-1.7 half written"), 0o644)

	if rc := run(issue); rc != 0 {
		t.Fatalf("resumed batch exited %d", rc)
	}
	rows = readJournal(t, journal)
	if len(rows) != 4 {
		t.Fatalf("journal after resume %v", rows)
	}
	seen := map[string]string{}
	for _, r := range rows {
		if _, dup := seen[r[0]]; dup {
			t.Fatalf("ref %s journaled twice", r[0])
		}
		seen[r[0]] = r[1]
		if _, err := os.Stat(filepath.Join(out, r[3])); err != nil {
			t.Fatalf("journaled %s without its file: %v", r[0], err)
		}
	}
	if seen["R3"] != rows[2][1] {
		t.Fatalf("R3 recovered as %s", seen["R3"])
	}
	if _, err := os.Stat(filepath.Join(out, ".pending", "R4.pdf")); err == nil {
		t.Fatal("a pending file was left behind")
	}
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(node, "eseal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.CountLicenses(context.Background()); err != nil || n != 4 {
		t.Fatalf("the store holds %d licenses, want 4 (%v)", n, err)
	}
	meta, _ := os.ReadFile(filepath.Join(out, "batch.json"))
	var run string
	fmt.Sscanf(strings.SplitN(string(meta), `"run": "`, 2)[1], "%16s", &run)
	issued, err := st.IssuedByActor(context.Background(), "batch:"+run+":")
	if err != nil || len(issued) != 4 {
		t.Fatalf("the store holds %d batch issuances, want 4 (%v)", len(issued), err)
	}
	for ref, id := range seen {
		if issued["batch:"+run+":"+ref] != id {
			t.Fatalf("%s: journal says %s, store says %s", ref, id, issued["batch:"+run+":"+ref])
		}
	}
}

func readJournal(t *testing.T, path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}
