// Package audit is the service's tamper-evident record of what it did: an
// append-only log of small JSON entries (a license issued or changed, a PDF
// stamped, a verification made, an administrator's act), kept as a Merkle
// tree with the hashing of RFC 6962 / RFC 9162 (leaf hash SHA-256(0x00 ||
// entry), node hash SHA-256(0x01 || left || right)).
//
// The log's node signs checkpoints of the tree head (see Checkpoint for the
// format). With a checkpoint and the node's public key anyone can check,
// offline, that an entry is in the log (InclusionProof, VerifyInclusion), that
// a later checkpoint extends an earlier one without rewriting it
// (ConsistencyProof, VerifyConsistency), and that an export of the whole log
// is complete and unchanged (Export, VerifyExport).
//
// Entries take the indexes 0, 1, 2, ... with no gaps and no duplicates, also
// when goroutines and replicas sharing one PostgreSQL database append
// concurrently: the store orders appends with a lock on the tree head (see
// store.AuditOps). Append runs inside a caller's transaction, so that a record
// and its audit entry commit together or not at all. Log.Append and
// Log.AppendWithProof commit on their own, and appends to one Log made at
// the same time share one transaction (group commit): each returns once its
// entry is durable, with what a receipt needs to prove it.
package audit

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license/ids"
)

// Kinds of entries the service appends. Other components may add kinds:
// lower-case letters, digits, '.', '_' and '-'.
const (
	KindLicenseIssued = "license.issued" // and license.suspended, .reinstated, .revoked, .cancelled, .replaced, .copied
	KindSealStamped   = "seal.stamped"
	KindVerified      = "verify" // verify.pdf, verify.license, verify.holder
	KindAdmin         = "admin"
)

// Entry is one act of the service. It is stored as its JSON encoding, which
// is the Merkle tree leaf:
//
//	{"seq":7,"time":"2026-05-01T08:00:00.123456Z","kind":"license.issued","actor":"api:issuer-1","subject":"11010020260001","detail":"holder 110105********002X","node":"eseal-1"}
//
// Entries must never hold full identity numbers or secrets: callers pass
// masked data, and Append refuses an entry holding what looks like an
// 18-character citizen ID number (GB 11643).
type Entry struct {
	// Seq is the entry's index in the log; Append sets it.
	Seq uint64 `json:"seq"`
	// Time is when the act happened, UTC with microsecond precision. Append
	// sets it to the time of the append when zero.
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`              // required, see the Kind constants
	Actor   string    `json:"actor,omitempty"`   // who: API client, user, "cli"
	Subject string    `json:"subject,omitempty"` // what: license identifier, seal ID, document SHA-256
	Detail  string    `json:"detail,omitempty"`  // free text, masked
	Node    string    `json:"node,omitempty"`    // the replica that appended it
}

// Limits on an entry's fields, in bytes.
const (
	maxKind   = 64
	maxField  = 256 // actor, subject, node
	maxDetail = 2048
)

// Errors callers branch on.
var (
	// ErrRejected means an entry was not appended because of what it holds.
	ErrRejected = errors.New("audit: entry rejected")
	// ErrTampered means a verification found the log, an export of it or a
	// checkpoint changed; VerifyExport's Report says where.
	ErrTampered = errors.New("audit: log tampered with")
	// ErrBadSignature means a checkpoint carries a signature by the key
	// that does not verify.
	ErrBadSignature = errors.New("audit: checkpoint signature does not verify")
	// ErrUnknownKey means a checkpoint carries no signature by the key.
	ErrUnknownKey = errors.New("audit: checkpoint not signed by this key")
	// ErrInvalidProof means an inclusion or consistency proof does not
	// lead to the root it should.
	ErrInvalidProof = errors.New("audit: proof does not verify")
)

var kindRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// check validates an entry's fields before it is logged.
func (e *Entry) check() error {
	if e.Kind == "" {
		return fmt.Errorf("%w: no kind", ErrRejected)
	}
	if len(e.Kind) > maxKind || !kindRE.MatchString(e.Kind) {
		return fmt.Errorf("%w: kind %q: want at most %d lower-case letters, digits, '.', '_' or '-'", ErrRejected, e.Kind, maxKind)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"actor", e.Actor, maxField},
		{"subject", e.Subject, maxField},
		{"detail", e.Detail, maxDetail},
		{"node", e.Node, maxField},
	} {
		if len(f.v) > f.max {
			return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrRejected, f.name, len(f.v), f.max)
		}
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrRejected, f.name)
		}
		if id := findCitizenID(f.v); id != "" {
			return fmt.Errorf("%w: %s holds what looks like a citizen ID number (%s); log it masked, as shown",
				ErrRejected, f.name, ids.MaskCitizenID(id))
		}
	}
	return nil
}

// findCitizenID returns the first citizen identity number in s that is a
// valid one (ids.ValidateCitizenID, an x taken as X): a run that reads as a
// number and has the right ISO 7064 MOD 11-2 check character. Requiring the
// check character keeps SHA-256 digests and other long numbers, which the
// log holds and which cannot be masked, from being taken for one.
func findCitizenID(s string) string {
	for off := 0; off < len(s); {
		start, end, ok := ids.FindCitizenID(s[off:])
		if !ok {
			return ""
		}
		c := s[off+start : off+end]
		if ids.ValidateCitizenID(ids.NarrowCitizenID(c)) == nil {
			return c
		}
		off += end // a non-digit follows a number found
	}
	return ""
}

// Append appends e to the audit log in tx, which may be a store.Store (the
// entry commits on its own) or the transaction of store.Store.WithTx (the
// entry commits or rolls back with it; a rollback gives the index back). It
// returns the entry's index.
//
// On PostgreSQL the append locks the tree head until the transaction ends,
// which orders appends across replicas: in a transaction, append last, just
// before committing, so the lock is short.
func Append(ctx context.Context, tx store.Tx, e Entry) (uint64, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	leaf, _, err := tx.AuditAppend(ctx, func(index uint64) ([]byte, error) {
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		return e.leaf(index)
	})
	if err != nil {
		return 0, fmt.Errorf("audit: append %s: %w", e.Kind, err)
	}
	return leaf.Index, nil
}

// leaf is the entry as logged at index: its JSON with Seq set and the time
// in UTC with microsecond precision.
func (e *Entry) leaf(index uint64) ([]byte, error) {
	e.Seq = index
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	return json.Marshal(e)
}

// ParseEntry decodes a leaf of the log.
func ParseEntry(leaf []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(leaf, &e); err != nil {
		return Entry{}, fmt.Errorf("audit: entry: %w", err)
	}
	return e, nil
}

// LeafHash is the RFC 6962 leaf hash of an entry's bytes.
func LeafHash(leaf []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(leaf) }

// Log is a node's handle on the audit log in a store. It is safe for
// concurrent use. Close waits for the appends of other goroutines before
// the store is closed; a Log left open holds no goroutine once its appends
// have returned.
type Log struct {
	st     store.Store
	signer crypto.Signer
	origin string

	// Group commit (commit.go): appends wait in queue for the committer, a
	// goroutine that runs while the queue is not empty.
	mu        sync.Mutex
	queue     []*pending
	running   bool
	closed    bool
	committer sync.WaitGroup
}

// New returns the log in st. signer (SM2 or ECDSA P-256; see Checkpoint)
// signs checkpoints under the log's name origin, a schema-less URL such as
// "eseal.example.gov.cn/audit". A log that only reads, proves and exports
// may have neither (nil, "").
func New(st store.Store, signer crypto.Signer, origin string) (*Log, error) {
	if st == nil {
		return nil, errors.New("audit: no store")
	}
	if origin != "" {
		if err := checkOrigin(origin); err != nil {
			return nil, err
		}
	}
	if signer != nil {
		if _, err := keyID(origin, signer.Public()); err != nil {
			return nil, err
		}
	}
	return &Log{st: st, signer: signer, origin: origin}, nil
}

// Append appends e in a transaction of its own and returns its index. It
// returns once the entry is committed: concurrent appends to the log are
// committed together (see AppendWithProof).
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	in, err := l.AppendWithProof(ctx, e)
	if err != nil {
		return 0, err
	}
	return in.Index, nil
}

// Size is the number of entries in the log.
func (l *Log) Size(ctx context.Context) (uint64, error) {
	h, err := l.st.AuditHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	return h.Size, nil
}

// Leaf returns the stored bytes of entry index.
func (l *Log) Leaf(ctx context.Context, index uint64) ([]byte, error) {
	leaves, err := l.st.AuditLeaves(ctx, index, index+1)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if len(leaves) == 0 {
		return nil, fmt.Errorf("audit: entry %d: %w", index, store.ErrNotFound)
	}
	return leaves[0].Data, nil
}
