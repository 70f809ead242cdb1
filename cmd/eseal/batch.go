package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/eseal-project/eseal/internal/atomicfile"
	"github.com/eseal-project/eseal/license"
)

// batchLine is one license to issue in a batch.
type batchLine struct {
	Ref      string            `json:"ref"`      // the caller's reference, unique in the batch; default: the line number
	Face     map[string]string `json:"face"`     // face data
	HolderID string            `json:"holderId"` // optional
}

// readBatch reads a batch: JSON Lines ({"ref":..,"face":{..}} per line) or,
// for a .csv file, a header of face keys (and optionally ref, holderId) and
// one license per row.
func readBatch(path string) ([]batchLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []batchLine
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		r := csv.NewReader(bufio.NewReader(f))
		r.FieldsPerRecord = 0
		head, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("%s: no header row: %v", path, err)
		}
		for i := range head {
			head[i] = strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff"))
		}
		for row := 2; ; row++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			l := batchLine{Ref: strconv.Itoa(row), Face: map[string]string{}}
			for i, k := range head {
				switch k {
				case "ref":
					if rec[i] != "" {
						l.Ref = rec[i]
					}
				case "holderId":
					l.HolderID = rec[i]
				default:
					if rec[i] != "" {
						l.Face[k] = rec[i]
					}
				}
			}
			lines = append(lines, l)
		}
	} else {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for n := 1; sc.Scan(); n++ {
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				continue
			}
			var l batchLine
			dec := json.NewDecoder(strings.NewReader(text))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&l); err != nil {
				return nil, fmt.Errorf("%s line %d: want {\"ref\":...,\"face\":{...}}: %v", path, n, err)
			}
			if l.Face == nil {
				return nil, fmt.Errorf("%s line %d: no face data", path, n)
			}
			if l.Ref == "" {
				l.Ref = strconv.Itoa(n)
			}
			lines = append(lines, l)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if strings.ContainsAny(l.Ref, "/\\\x00\n\r,") || l.Ref == "." || l.Ref == ".." {
			return nil, fmt.Errorf("%s: ref %q: a ref names a file, so no slashes, commas or line breaks", path, l.Ref)
		}
		if seen[l.Ref] {
			return nil, fmt.Errorf("%s: ref %q appears twice", path, l.Ref)
		}
		seen[l.Ref] = true
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: no licenses in it", path)
	}
	return lines, nil
}

// batchRun is the state of a batch in its output directory: a run
// identifier (the actor recorded with each issuance, so a resumed run finds
// what a crashed one issued) and the journal of finished lines.
type batchRun struct {
	dir     string
	id      string
	done    map[string]string // ref -> identifier
	journal *os.File
}

const batchJournal = "issued.csv"

func openBatchRun(dir, input, typ string) (*batchRun, error) {
	if err := os.MkdirAll(filepath.Join(dir, ".pending"), 0o755); err != nil {
		return nil, err
	}
	b := &batchRun{dir: dir, done: map[string]string{}}
	meta := filepath.Join(dir, "batch.json")
	var m struct {
		Run   string `json:"run"`
		Input string `json:"input"`
		Type  string `json:"type"`
	}
	raw, err := os.ReadFile(meta)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %v", meta, err)
		}
		if m.Type != typ {
			return nil, fmt.Errorf("%s holds a batch of type %s, not %s: use another --out-dir", dir, m.Type, typ)
		}
	case errors.Is(err, os.ErrNotExist):
		r := make([]byte, 8)
		rand.Read(r)
		m.Run, m.Input, m.Type = hex.EncodeToString(r), input, typ
		raw, _ = json.MarshalIndent(m, "", "  ")
		if err := atomicfile.Write(meta, append(raw, '\n'), 0o644); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	b.id = m.Run
	jpath := filepath.Join(dir, batchJournal)
	if f, err := os.Open(jpath); err == nil {
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", jpath, err)
		}
		for _, r := range rows {
			if len(r) >= 2 && r[0] != "ref" {
				b.done[r[0]] = r[1]
			}
		}
	}
	j, err := os.OpenFile(jpath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if st, _ := j.Stat(); st != nil && st.Size() == 0 {
		fmt.Fprintln(j, "ref,identifier,number,file")
	}
	b.journal = j
	return b, nil
}

func (b *batchRun) actor(ref string) string { return "batch:" + b.id + ":" + ref }

func (b *batchRun) pending(ref string) string { return filepath.Join(b.dir, ".pending", ref+".pdf") }

func (b *batchRun) final(ref string) string { return filepath.Join(b.dir, ref+".pdf") }

// finish moves a line's PDF into place and journals it, synced: a line in
// the journal is issued and has its file.
func (b *batchRun) finish(ref, id, number string) error {
	if err := os.Rename(b.pending(ref), b.final(ref)); err != nil {
		return err
	}
	w := csv.NewWriter(b.journal)
	w.Write([]string{ref, id, number, ref + ".pdf"})
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	b.done[ref] = id
	return b.journal.Sync()
}

func (b *batchRun) close() { b.journal.Close() }

func sha256Hex(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}

// issueBatch issues every line of a batch not yet issued. Each license's
// PDF is written to .pending before its issuance commits, so a crash at any
// point leaves either no license (the line is issued again) or a license
// whose PDF is waiting (it is moved into place): never two licenses for one
// line, never a license without its file.
func issueBatch(ctx context.Context, n *node, iss *license.Issuer, maker *license.PDFMaker, typ, holderDefault string, lines []batchLine, b *batchRun, stdout, stderr io.Writer) error {
	issued, err := n.st.IssuedByActor(ctx, "batch:"+b.id+":")
	if err != nil {
		return err
	}
	recovered, skipped := 0, 0
	var todo []batchLine
	for _, l := range lines {
		if _, ok := b.done[l.Ref]; ok {
			skipped++
			continue
		}
		if id, ok := issued[b.actor(l.Ref)]; ok {
			// Issued by a run that stopped before journaling it.
			rec, err := n.st.License(ctx, id)
			if err != nil {
				return err
			}
			p, err := os.ReadFile(b.pending(l.Ref))
			if err != nil || sha256Hex(p) != rec.PDFSHA256 {
				return fmt.Errorf("line %s was issued as %s but its PDF is missing from %s; fetch it with eseal license show %s", l.Ref, id, b.pending(l.Ref), id)
			}
			if err := b.finish(l.Ref, id, rec.Number); err != nil {
				return err
			}
			recovered++
			continue
		}
		os.Remove(b.pending(l.Ref))
		todo = append(todo, l)
	}
	bar := progressbar.NewOptions(len(todo), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("issuing"),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("licenses"), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
	var failures []string
	done := 0
	for _, l := range todo {
		if ctx.Err() != nil {
			break
		}
		ref := l.Ref
		holder := l.HolderID
		if holder == "" {
			holder = holderDefault
		}
		req := license.IssueRequest{Type: typ, Face: l.Face, HolderID: holder, Actor: b.actor(ref),
			PDF: func(ctx context.Context, d *license.Data, token string) ([]byte, error) {
				p, err := maker.Make(ctx, d, token)
				if err != nil {
					return nil, err
				}
				return p, atomicfile.Write(b.pending(ref), p, 0o644)
			}}
		res, err := n.reg.Issue(ctx, iss, req)
		if err == nil {
			err = b.finish(ref, res.Data.Identifier, res.Data.Number)
		} else {
			os.Remove(b.pending(ref))
		}
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", ref, err))
		} else {
			done++
		}
		bar.Add(1)
	}
	bar.Finish()
	fmt.Fprintf(stdout, "issued %d, recovered %d, skipped %d already issued, failed %d; journal %s\n", done, recovered, skipped, len(failures), filepath.Join(b.dir, batchJournal))
	for _, f := range failures {
		fmt.Fprintf(stderr, "  %s\n", f)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; run the same command again to issue the rest: %w", ctx.Err())
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d licenses could not be issued; fix those lines and run the same command again", len(failures), len(todo))
	}
	return nil
}
