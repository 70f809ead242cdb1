package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/eseal-project/eseal/internal/store"
)

// An export is the whole log as JSON lines, verifiable offline with the
// node's public key (VerifyExport, `eseal audit verify`):
//
//	{"eseal_audit_export":1,"size":1000,"exported_at":"2026-05-01T08:00:00Z"}
//	{"leaf":"{\"seq\":0,\"time\":...}","hash":"6e34..."}
//	...
//	{"checkpoint":"eseal.example.gov.cn/audit\n1000\n...","proof_from":500,"proof":["base64",...]}
//
// The header comes first. Entries follow in order, each line holding the
// entry exactly as logged ("leaf", a string so that tools that reformat JSON
// do not change the bytes hashed) and the leaf hash recorded when it was
// logged (hex). The checkpoints of size n stand right after the n-th entry
// (those of size 0 right after the header), in the order they were stored;
// each after the first carries the consistency proof from the previous
// checkpoint's size ("proof_from").
const exportVersion = 1

type exportLine struct {
	Version    int        `json:"eseal_audit_export,omitempty"`
	Size       *uint64    `json:"size,omitempty"`
	ExportedAt *time.Time `json:"exported_at,omitempty"`

	Leaf *string `json:"leaf,omitempty"`
	Hash string  `json:"hash,omitempty"`

	Checkpoint *string  `json:"checkpoint,omitempty"`
	ProofFrom  *uint64  `json:"proof_from,omitempty"`
	Proof      [][]byte `json:"proof,omitempty"`
}

// exportPage is how many entries Export reads at a time.
const exportPage = 1000

// Export writes the log, as it is when Export starts, to w (see the format
// above) and returns the number of entries and checkpoints written.
func (l *Log) Export(ctx context.Context, w io.Writer) (entries uint64, checkpoints int, err error) {
	head, err := l.st.AuditHead(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("audit: export: %w", err)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	now := time.Now().UTC().Truncate(time.Second)
	if err := enc.Encode(exportLine{Version: exportVersion, Size: &head.Size, ExportedAt: &now}); err != nil {
		return 0, 0, err
	}
	var (
		prev     uint64
		havePrev bool
	)
	writeCheckpoints := func(cps []store.AuditCheckpoint) error {
		for _, c := range cps {
			note := string(c.Note)
			line := exportLine{Checkpoint: &note}
			if havePrev {
				p, err := l.ConsistencyProof(ctx, prev, c.Size)
				if err != nil {
					return fmt.Errorf("audit: export: checkpoint of size %d: %w", c.Size, err)
				}
				from := prev
				line.ProofFrom, line.Proof = &from, p
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
			prev, havePrev = c.Size, true
			checkpoints++
		}
		return nil
	}
	cps, err := l.st.AuditCheckpoints(ctx, 0, 0)
	if err == nil {
		err = writeCheckpoints(cps)
	}
	if err != nil {
		return 0, 0, err
	}
	for from := uint64(0); from < head.Size; from += exportPage {
		to := min(from+exportPage, head.Size)
		leaves, err := l.st.AuditLeaves(ctx, from, to)
		if err != nil {
			return entries, checkpoints, fmt.Errorf("audit: export: %w", err)
		}
		cps, err := l.st.AuditCheckpoints(ctx, from+1, to)
		if err != nil {
			return entries, checkpoints, fmt.Errorf("audit: export: %w", err)
		}
		// A leaf missing from the store is left out, not papered over: the
		// export's verifier names it.
		for _, lf := range leaves {
			leaf := string(lf.Data)
			if err := enc.Encode(exportLine{Leaf: &leaf, Hash: hex.EncodeToString(lf.Hash)}); err != nil {
				return entries, checkpoints, err
			}
			entries++
			// The checkpoints of the size this leaf completes.
			n := 0
			for n < len(cps) && cps[n].Size <= lf.Index+1 {
				n++
			}
			if err := writeCheckpoints(cps[:n]); err != nil {
				return entries, checkpoints, err
			}
			cps = cps[n:]
		}
		if err := writeCheckpoints(cps); err != nil {
			return entries, checkpoints, err
		}
	}
	if err := bw.Flush(); err != nil {
		return entries, checkpoints, err
	}
	return entries, checkpoints, nil
}

// Report is what VerifyExport found.
type Report struct {
	Origin      string      // the log's name, from its checkpoints
	Entries     uint64      // entries in the export
	Checkpoints int         // checkpoints whose signature verified
	Latest      *Checkpoint // the verified checkpoint of the largest size
	// Unsigned is the number of entries after the latest checkpoint, which
	// no signature covers yet.
	Unsigned uint64
	// Problems are what shows tampering, in the order found. Empty if the
	// export verified.
	Problems []Problem
}

// Problem is one finding of VerifyExport.
type Problem struct {
	Line  int    // line of the export, from 1
	Index int64  // the entry concerned, or -1
	Msg   string // says what is wrong, naming the entry or checkpoint
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// OK reports whether the export verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

const maxProblems = 100

// VerifyExport checks an export of the log offline against the node's public
// key: every checkpoint's signature, the leaf hash of every entry, that the
// entries are numbered 0, 1, 2, ... without gaps or repeats, the root of the
// entries at every checkpoint, and the consistency proof between consecutive
// checkpoints (so that a fork is told apart from an edited export).
//
// It returns the report and nil if the export verified; the report and an
// error wrapping ErrTampered if it found a problem (the report lists them,
// each naming the entry or checkpoint); and another error if the input is
// not an export it can check (not JSON lines, no header, no checkpoint).
func VerifyExport(r io.Reader, pub crypto.PublicKey) (*Report, error) {
	if _, err := keyID("x", pub); err != nil {
		return nil, err
	}
	rep := &Report{}
	var (
		n           int // line number
		header      *exportLine
		rng                     = rangeOf.NewEmptyRange(0)
		lastSeq     int64       = -1
		prev        *Checkpoint // last checkpoint that verified
		cpLines     int
		rootBroken  bool
		countBroken bool
		dropped     int
	)
	problem := func(index int64, format string, a ...any) {
		if len(rep.Problems) >= maxProblems {
			dropped++
			return
		}
		rep.Problems = append(rep.Problems, Problem{Line: n, Index: index, Msg: fmt.Sprintf(format, a...)})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		n++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var l exportLine
		if err := json.Unmarshal(raw, &l); err != nil {
			return rep, fmt.Errorf("audit: export line %d is not JSON: %v", n, err)
		}
		switch {
		case header == nil:
			if l.Version == 0 {
				return rep, fmt.Errorf("audit: line %d: not an eseal audit export (the first line must be its header)", n)
			}
			if l.Version != exportVersion {
				return rep, fmt.Errorf("audit: export version %d: this program reads version %d", l.Version, exportVersion)
			}
			header = &l

		case l.Leaf != nil:
			index := int64(rep.Entries)
			data := []byte(*l.Leaf)
			h := LeafHash(data)
			if l.Hash != "" && l.Hash != hex.EncodeToString(h) {
				problem(index, "entry %d was changed: it no longer matches the leaf hash recorded when it was logged", index)
			}
			if e, err := ParseEntry(data); err != nil {
				problem(index, "entry %d is not an audit entry: %v", index, err)
			} else {
				seq := int64(e.Seq)
				switch want := lastSeq + 1; {
				case seq == want:
				case seq == want+1:
					problem(index, "entry %d is missing: entry %d follows entry %d", want, seq, lastSeq)
				case seq > want:
					problem(index, "entries %d..%d are missing: entry %d follows entry %d", want, seq-1, seq, lastSeq)
				default:
					problem(index, "entry %d is out of order or repeated: it follows entry %d", seq, lastSeq)
				}
				lastSeq = seq
			}
			if err := rng.Append(h, nil); err != nil {
				return rep, err
			}
			rep.Entries++

		case l.Checkpoint != nil:
			cpLines++
			cp, err := ParseCheckpoint([]byte(*l.Checkpoint))
			if err != nil {
				problem(-1, "%v", err)
				continue
			}
			if err := VerifyCheckpoint(cp, pub); err != nil {
				switch {
				case errors.Is(err, ErrUnknownKey):
					problem(-1, "checkpoint of size %d is not signed by the given key: %v", cp.Size, err)
				case errors.Is(err, ErrBadSignature):
					problem(-1, "checkpoint of size %d is forged or altered: its signature does not verify", cp.Size)
				default:
					problem(-1, "checkpoint of size %d: %v", cp.Size, err)
				}
				continue
			}
			rep.Checkpoints++
			if rep.Origin == "" {
				rep.Origin = cp.Origin
			} else if cp.Origin != rep.Origin {
				problem(-1, "checkpoint of size %d is of log %q, the earlier ones of %q", cp.Size, cp.Origin, rep.Origin)
			}
			// Once entries are missing or extra, every later checkpoint is
			// out of place too: the first one tells.
			switch {
			case cp.Size > rep.Entries:
				if !countBroken {
					problem(int64(rep.Entries), "checkpoint of size %d follows only %d entries: entries %d..%d are missing", cp.Size, rep.Entries, rep.Entries, cp.Size-1)
				}
				countBroken = true
			case cp.Size < rep.Entries:
				if !countBroken {
					problem(-1, "checkpoint of size %d comes after %d entries: %d entries too many, or the checkpoint was moved", cp.Size, rep.Entries, rep.Entries-cp.Size)
				}
				countBroken = true
			default:
				root := hasher.EmptyRoot()
				if cp.Size > 0 {
					root, _ = rng.GetRootHash(nil)
				}
				if !bytes.Equal(root, cp.Root) && !rootBroken {
					from := uint64(0)
					if prev != nil && prev.Size < cp.Size {
						from = prev.Size
					}
					problem(-1, "the first %d entries do not have the root the checkpoint of size %d signs: an entry among %d..%d was changed, removed, inserted or reordered",
						cp.Size, cp.Size, from, cp.Size-1)
					rootBroken = true
				}
			}
			if prev != nil {
				switch {
				case cp.Size < prev.Size:
					problem(-1, "checkpoint of size %d follows the checkpoint of size %d: out of order", cp.Size, prev.Size)
				case l.ProofFrom != nil && *l.ProofFrom != prev.Size:
					problem(-1, "checkpoint of size %d carries a proof from size %d, but the checkpoint before it has size %d: a checkpoint was removed from the export", cp.Size, *l.ProofFrom, prev.Size)
				case l.ProofFrom != nil || cp.Size == prev.Size:
					if err := VerifyConsistency(prev.Size, cp.Size, l.Proof, prev.Root, cp.Root); err != nil {
						problem(-1, "checkpoints of sizes %d and %d are inconsistent: the log was forked or rewritten between them (%v)", prev.Size, cp.Size, err)
					}
				}
				// Without a proof the roots recomputed from the entries
				// stand in for it.
			}
			prev = cp
			if rep.Latest == nil || cp.Size >= rep.Latest.Size {
				rep.Latest = cp
			}

		default:
			return rep, fmt.Errorf("audit: export line %d is neither an entry nor a checkpoint", n)
		}
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("audit: reading the export after line %d: %w", n, err)
	}
	if header == nil {
		return rep, errors.New("audit: the export is empty")
	}
	if cpLines == 0 {
		return rep, errors.New("audit: the export holds no checkpoint, so nothing in it is signed; run `eseal audit checkpoint`, then export again")
	}
	if header.Size != nil && *header.Size != rep.Entries {
		problem(-1, "the export announces %d entries but holds %d: entries were removed or added", *header.Size, rep.Entries)
	}
	if rep.Latest != nil && rep.Latest.Size <= rep.Entries {
		rep.Unsigned = rep.Entries - rep.Latest.Size
	}
	if dropped > 0 {
		rep.Problems = append(rep.Problems, Problem{Line: n, Index: -1, Msg: fmt.Sprintf("%d more problems not listed", dropped)})
	}
	if !rep.OK() {
		more := ""
		if len(rep.Problems) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(rep.Problems)-1)
		}
		return rep, fmt.Errorf("%w: %s%s", ErrTampered, rep.Problems[0], more)
	}
	return rep, nil
}
