package store

// Storage of the audit log (internal/audit): an RFC 6962 Merkle tree kept as
// its leaves, the roots of its perfect subtrees, and a one-row head holding
// the size and the compact range of the tree's right edge. The head row is
// the lock that orders appends.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// AuditHead is the audit tree's head: its size and root.
type AuditHead struct {
	Size      uint64
	Root      []byte // RFC 6962 root hash of the first Size leaves
	UpdatedAt time.Time
}

// AuditLeaf is one leaf of the audit tree.
type AuditLeaf struct {
	Index uint64
	Data  []byte // the entry, exactly as hashed
	Hash  []byte // RFC 6962 leaf hash, SHA-256(0x00 || Data)
}

// AuditInclusion is a leaf as AuditAppendBatch stored it, with its inclusion
// proof in the tree it completes: the tree of the first Index+1 leaves,
// which later appends do not change.
type AuditInclusion struct {
	AuditLeaf
	Root  []byte   // RFC 6962 root hash of the first Index+1 leaves
	Proof [][]byte // RFC 9162 2.1.3 inclusion proof of the leaf in that tree
}

// AuditCheckpoint is a signed tree head as stored.
type AuditCheckpoint struct {
	Seq  int64 // the order checkpoints were stored in; PutAuditCheckpoint sets it
	Size uint64
	Root []byte
	At   time.Time // the time the checkpoint states
	Note []byte    // the signed note
}

// AuditOps are the audit log's operations; see internal/audit, which owns the
// format of leaves and checkpoints. The store owns the tree's shape: leaf
// hashes and node hashes follow RFC 6962 with SHA-256.
type AuditOps interface {
	// AuditAppend appends one leaf. Under a lock that orders all appends
	// across goroutines, processes and replicas, it calls leaf with the index
	// the leaf gets (0, 1, 2, ... without gaps) and stores the bytes it
	// returns; an error from leaf aborts the append. It returns the stored
	// leaf and the tree's head after it.
	//
	// Inside Store.WithTx the leaf commits or rolls back with the rest of
	// the transaction (a rollback gives the index back), and on PostgreSQL
	// the lock is held until then: append last, just before committing.
	AuditAppend(ctx context.Context, leaf func(index uint64) ([]byte, error)) (AuditLeaf, AuditHead, error)
	// AuditAppendBatch appends n leaves as n AuditAppends in one
	// transaction would, taking the lock, reading the head and writing it
	// once. It calls leaf for i = 0, 1, ..., n-1 in order, with the index
	// leaf i gets; an error from leaf aborts the whole batch. It returns
	// each stored leaf with the root of the tree it completes and its
	// inclusion proof in that tree, which the head's compact range gives
	// without reading the tree, and the tree's head after the batch.
	AuditAppendBatch(ctx context.Context, n int, leaf func(i int, index uint64) ([]byte, error)) ([]AuditInclusion, AuditHead, error)
	// AuditHead returns the tree's current size and root.
	AuditHead(ctx context.Context) (AuditHead, error)
	// AuditLeaves returns the leaves with from <= index < to, in order.
	AuditLeaves(ctx context.Context, from, to uint64) ([]AuditLeaf, error)
	// AuditNodes returns the hashes of perfect subtrees, one per id, in the
	// order given; level 0 are leaf hashes. ErrNotFound if one is not (yet)
	// in the tree.
	AuditNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)

	// PutAuditCheckpoint stores a signed tree head and returns its Seq.
	PutAuditCheckpoint(ctx context.Context, c AuditCheckpoint) (int64, error)
	// AuditCheckpoints lists the checkpoints with minSize <= Size <= maxSize
	// by size, then in the order they were stored.
	AuditCheckpoints(ctx context.Context, minSize, maxSize uint64) ([]AuditCheckpoint, error)
	// LatestAuditCheckpoint returns the checkpoint of the largest size (the
	// last stored among equals), or ErrNotFound.
	LatestAuditCheckpoint(ctx context.Context) (AuditCheckpoint, error)
}

// auditRange builds compact ranges with RFC 6962 node hashing.
var auditRange = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

const auditHashSize = 32

// writeTx runs fn in a transaction: the caller's if o is one, a new one on
// the write connection otherwise.
func (o ops) writeTx(ctx context.Context, fn func(o ops) error) error {
	db, ok := o.w.(*sql.DB)
	if !ok {
		return fn(o)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", driverErr(err))
	}
	defer tx.Rollback()
	if err := fn(ops{dialect: o.dialect, r: tx, w: tx, prep: o.prep}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", driverErr(err))
	}
	return nil
}

// toDB converts a tree index or size for a BIGINT column.
func toDB(n uint64) (int64, error) {
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("%d is beyond the audit log's range", n)
	}
	return int64(n), nil
}

// Statements of the audit log's hot paths, prepared once on SQLite (see
// prepared).
const (
	sqlAuditHeadForAppend = `SELECT size, compact_range FROM audit_head WHERE id = 1`
	sqlAuditHead          = `SELECT size, root, updated_at_us FROM audit_head WHERE id = 1`
	sqlAuditMoveHead      = `UPDATE audit_head SET size = ?, compact_range = ?, root = ?, updated_at_us = ? WHERE id = 1 AND size = ?`
	sqlAuditLeaves        = `SELECT idx, leaf_hash, data FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`
	sqlAuditInsertLeaves  = `INSERT INTO audit_leaves (idx, leaf_hash, data) VALUES `
	sqlAuditInsertNodes   = `INSERT INTO audit_nodes (level, idx, hash) VALUES `
)

// maxRowsPerInsert bounds the rows of one multi-row INSERT. Rows go in
// statements of 64, 32, ..., 1 rows, so that a batch of any size uses a few
// statement texts, each prepared once (and on PostgreSQL, cached once by
// pgx).
const maxRowsPerInsert = 64

// insertSQL is prefix followed by rows groups of width placeholders.
func insertSQL(prefix string, width, rows int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return prefix + strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ")
}

// insertRows inserts the rows held in args, width values each, in
// statements of maxRowsPerInsert, ..., 2, 1 rows.
func (o ops) insertRows(ctx context.Context, prefix string, width int, args []any) error {
	for len(args) > 0 {
		rows := min(len(args)/width, maxRowsPerInsert)
		rows = 1 << (bits.Len(uint(rows)) - 1) // the largest power of two <= rows
		if _, err := o.exec(ctx, insertSQL(prefix, width, rows), args[:rows*width]...); err != nil {
			return err
		}
		args = args[rows*width:]
	}
	return nil
}

func (o ops) AuditAppend(ctx context.Context, leaf func(index uint64) ([]byte, error)) (AuditLeaf, AuditHead, error) {
	ls, h, err := o.AuditAppendBatch(ctx, 1, func(_ int, index uint64) ([]byte, error) { return leaf(index) })
	if err != nil {
		return AuditLeaf{}, AuditHead{}, err
	}
	return ls[0].AuditLeaf, h, nil
}

func (o ops) AuditAppendBatch(ctx context.Context, n int, leaf func(i int, index uint64) ([]byte, error)) ([]AuditInclusion, AuditHead, error) {
	if n < 1 {
		return nil, AuditHead{}, errors.New("store: audit append: no leaves")
	}
	var (
		out []AuditInclusion
		h   AuditHead
	)
	err := o.writeTx(ctx, func(o ops) error {
		// The row lock orders appends on PostgreSQL, across replicas, until
		// the transaction ends. SQLite has no FOR UPDATE and needs none: the
		// transaction already holds the database's one write lock (BEGIN
		// IMMEDIATE, and one write connection per process).
		head := sqlAuditHeadForAppend
		if o.dialect == DialectPostgres {
			head += " FOR UPDATE"
		}
		var (
			size int64
			edge []byte
		)
		err := scanRow(o.writeRow(ctx, head), &size, &edge)
		if errors.Is(err, ErrNotFound) {
			// The first append creates the head. Concurrent first appends
			// on PostgreSQL wait here for the one whose row wins, then lock
			// it.
			_, err = o.exec(ctx, `INSERT INTO audit_head (id, size, compact_range, root, updated_at_us) VALUES (1, 0, ?, ?, 0) ON CONFLICT (id) DO NOTHING`,
				[]byte{}, rfc6962.DefaultHasher.EmptyRoot())
			if err == nil {
				err = scanRow(o.writeRow(ctx, head), &size, &edge)
			}
		}
		if err != nil {
			return fmt.Errorf("reading the tree head: %w", err)
		}
		if _, err := toDB(uint64(size) + uint64(n)); err != nil {
			return err
		}
		rng, err := decodeRange(uint64(size), edge)
		if err != nil {
			return err
		}
		out = make([]AuditInclusion, n)
		leafArgs := make([]any, 0, 3*n)
		var nodeArgs []any
		for i := range out {
			index := uint64(size) + uint64(i)
			data, err := leaf(i, index)
			if err != nil {
				return err
			}
			if data == nil {
				data = []byte{}
			}
			hash := rfc6962.DefaultHasher.HashLeaf(data)
			// The leaf that ends a tree has for its inclusion proof the
			// roots of the perfect subtrees left of it, lowest first: the
			// compact range of the tree before it, reversed (RFC 9162
			// 2.1.3.1, with m = n-1).
			left := rng.Hashes()
			proof := make([][]byte, len(left))
			for j, h := range left {
				proof[len(left)-1-j] = h
			}
			err = rng.Append(hash, func(id compact.NodeID, h []byte) {
				if id.Level > 0 {
					nodeArgs = append(nodeArgs, int(id.Level), int64(id.Index), h)
				}
			})
			if err != nil {
				return err
			}
			root, err := rng.GetRootHash(nil)
			if err != nil {
				return err
			}
			out[i] = AuditInclusion{AuditLeaf: AuditLeaf{Index: index, Data: data, Hash: hash}, Root: root, Proof: proof}
			leafArgs = append(leafArgs, int64(index), hash, data)
		}
		if err := o.insertRows(ctx, sqlAuditInsertLeaves, 3, leafArgs); err != nil {
			return fmt.Errorf("leaves %d..%d: %w", size, size+int64(n)-1, err)
		}
		if err := o.insertRows(ctx, sqlAuditInsertNodes, 3, nodeArgs); err != nil {
			return fmt.Errorf("nodes of leaves %d..%d: %w", size, size+int64(n)-1, err)
		}
		now := time.Now()
		last := out[n-1]
		newSize := size + int64(n)
		res, err := o.exec(ctx, sqlAuditMoveHead, newSize, encodeRange(rng), last.Root, toMicros(now), size)
		if err == nil {
			err = mustChange(res, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("moving the tree head to %d: %w", newSize, err)
		}
		h = AuditHead{Size: uint64(newSize), Root: last.Root, UpdatedAt: fromMicros(toMicros(now))}
		return nil
	})
	if err != nil {
		return nil, AuditHead{}, fmt.Errorf("store: audit append: %w", err)
	}
	return out, h, nil
}

func decodeRange(size uint64, b []byte) (*compact.Range, error) {
	n := bits.OnesCount64(size)
	if len(b) != n*auditHashSize {
		return nil, fmt.Errorf("the audit tree head is damaged: size %d needs %d edge hashes, the row holds %d bytes", size, n, len(b))
	}
	hashes := make([][]byte, n)
	for i := range hashes {
		hashes[i] = b[i*auditHashSize : (i+1)*auditHashSize]
	}
	return auditRange.NewRange(0, size, hashes)
}

func encodeRange(r *compact.Range) []byte {
	var b []byte
	for _, h := range r.Hashes() {
		b = append(b, h...)
	}
	return b
}

func (o ops) AuditHead(ctx context.Context) (AuditHead, error) {
	var (
		size    int64
		root    []byte
		updated int64
	)
	err := scanRow(o.queryRow(ctx, sqlAuditHead), &size, &root, &updated)
	if errors.Is(err, ErrNotFound) {
		return AuditHead{Root: rfc6962.DefaultHasher.EmptyRoot()}, nil // nothing appended yet
	}
	if err != nil {
		return AuditHead{}, fmt.Errorf("store: audit tree head: %w", err)
	}
	return AuditHead{Size: uint64(size), Root: root, UpdatedAt: fromMicros(updated)}, nil
}

func (o ops) AuditLeaves(ctx context.Context, from, to uint64) ([]AuditLeaf, error) {
	if to <= from {
		return nil, nil
	}
	f, err := toDB(from)
	if err != nil {
		return nil, fmt.Errorf("store: audit leaves: %w", err)
	}
	t, err := toDB(to)
	if err != nil {
		t = math.MaxInt64
	}
	rows, err := o.query(ctx, sqlAuditLeaves, f, t)
	if err != nil {
		return nil, fmt.Errorf("store: audit leaves %d..%d: %w", from, to-1, err)
	}
	defer rows.Close()
	var out []AuditLeaf
	for rows.Next() {
		var (
			l   AuditLeaf
			idx int64
		)
		if err := rows.Scan(&idx, &l.Hash, &l.Data); err != nil {
			return nil, fmt.Errorf("store: audit leaves: %w", driverErr(err))
		}
		l.Index = uint64(idx)
		if l.Data == nil {
			l.Data = []byte{}
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit leaves: %w", driverErr(err))
	}
	return out, nil
}

func (o ops) AuditNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	found := make(map[compact.NodeID][]byte, len(ids))
	var leafArgs, nodeArgs []any
	var leafConds, nodeConds []string
	seen := make(map[compact.NodeID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		idx, err := toDB(id.Index)
		if err != nil {
			return nil, fmt.Errorf("store: audit node (%d, %d): %w", id.Level, id.Index, err)
		}
		if id.Level == 0 {
			leafConds = append(leafConds, "?")
			leafArgs = append(leafArgs, idx)
		} else {
			nodeConds = append(nodeConds, "(level = ? AND idx = ?)")
			nodeArgs = append(nodeArgs, int(id.Level), idx)
		}
	}
	read := func(q string, args []any, level bool) error {
		rows, err := o.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				lv   int
				idx  int64
				hash []byte
			)
			dest := []any{&idx, &hash}
			if level {
				dest = []any{&lv, &idx, &hash}
			}
			if err := rows.Scan(dest...); err != nil {
				return driverErr(err)
			}
			found[compact.NewNodeID(uint(lv), uint64(idx))] = hash
		}
		return driverErr(rows.Err())
	}
	// Proofs need O(log n) nodes: one statement per kind is short enough.
	if len(leafConds) > 0 {
		if err := read(`SELECT idx, leaf_hash FROM audit_leaves WHERE idx IN (`+strings.Join(leafConds, ", ")+`)`, leafArgs, false); err != nil {
			return nil, fmt.Errorf("store: audit leaf hashes: %w", err)
		}
	}
	if len(nodeConds) > 0 {
		if err := read(`SELECT level, idx, hash FROM audit_nodes WHERE `+strings.Join(nodeConds, " OR "), nodeArgs, true); err != nil {
			return nil, fmt.Errorf("store: audit nodes: %w", err)
		}
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("store: audit node (level %d, index %d): %w", id.Level, id.Index, ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

func (o ops) PutAuditCheckpoint(ctx context.Context, c AuditCheckpoint) (int64, error) {
	if len(c.Note) == 0 || len(c.Root) != auditHashSize {
		return 0, errors.New("store: audit checkpoint: a note and a 32-byte root are required")
	}
	size, err := toDB(c.Size)
	if err != nil {
		return 0, fmt.Errorf("store: audit checkpoint: %w", err)
	}
	var seq int64
	err = o.writeTx(ctx, func(o ops) error {
		var err error
		if seq, err = o.NextSerial(ctx, "audit_checkpoint"); err != nil {
			return err
		}
		_, err = o.exec(ctx, `INSERT INTO audit_checkpoints (seq, size, root, at_us, note) VALUES (?, ?, ?, ?, ?)`,
			seq, size, c.Root, toMicros(c.At), c.Note)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: audit checkpoint of size %d: %w", c.Size, err)
	}
	return seq, nil
}

const auditCheckpointColumns = `seq, size, root, at_us, note`

func scanAuditCheckpoint(row interface{ Scan(...any) error }) (AuditCheckpoint, error) {
	var (
		c        AuditCheckpoint
		size, at int64
	)
	if err := scanRow(row, &c.Seq, &size, &c.Root, &at, &c.Note); err != nil {
		return AuditCheckpoint{}, err
	}
	c.Size, c.At = uint64(size), fromMicros(at)
	return c, nil
}

func (o ops) AuditCheckpoints(ctx context.Context, minSize, maxSize uint64) ([]AuditCheckpoint, error) {
	if maxSize < minSize {
		return nil, nil
	}
	lo, err := toDB(minSize)
	if err != nil {
		return nil, fmt.Errorf("store: audit checkpoints: %w", err)
	}
	hi, err := toDB(maxSize)
	if err != nil {
		hi = math.MaxInt64
	}
	rows, err := o.query(ctx, `SELECT `+auditCheckpointColumns+` FROM audit_checkpoints WHERE size >= ? AND size <= ? ORDER BY size, seq`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []AuditCheckpoint
	for rows.Next() {
		c, err := scanAuditCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("store: audit checkpoints: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit checkpoints: %w", driverErr(err))
	}
	return out, nil
}

func (o ops) LatestAuditCheckpoint(ctx context.Context) (AuditCheckpoint, error) {
	c, err := scanAuditCheckpoint(o.queryRow(ctx, `SELECT `+auditCheckpointColumns+` FROM audit_checkpoints ORDER BY size DESC, seq DESC LIMIT 1`))
	if err != nil {
		return AuditCheckpoint{}, fmt.Errorf("store: latest audit checkpoint: %w", err)
	}
	return c, nil
}
