package audit

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var (
	hasher  = rfc6962.DefaultHasher
	rangeOf = &compact.RangeFactory{Hash: hasher.HashChildren}
	b64     = base64.StdEncoding.EncodeToString
)

// checkSize fails unless the log has at least size entries.
func (l *Log) checkSize(ctx context.Context, size uint64) error {
	n, err := l.Size(ctx)
	if err != nil {
		return err
	}
	if size > n {
		return fmt.Errorf("audit: tree size %d: the log has %d entries", size, n)
	}
	return nil
}

// Root returns the root hash of the tree of the first size entries.
func (l *Log) Root(ctx context.Context, size uint64) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	hashes, err := l.st.AuditNodes(ctx, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, fmt.Errorf("audit: root of size %d: %w", size, err)
	}
	r, err := rangeOf.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("audit: root of size %d: %w", size, err)
	}
	return r.GetRootHash(nil)
}

// InclusionProof returns the RFC 6962 (RFC 9162 2.1.3) inclusion proof of
// entry index in the tree of the first size entries.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	return l.rehash(ctx, nodes)
}

// ConsistencyProof returns the RFC 6962 (RFC 9162 2.1.4) consistency proof
// between the trees of the first size1 and size2 entries.
func (l *Log) ConsistencyProof(ctx context.Context, size1, size2 uint64) ([][]byte, error) {
	if err := l.checkSize(ctx, size2); err != nil {
		return nil, err
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof: %w", err)
	}
	return l.rehash(ctx, nodes)
}

func (l *Log) rehash(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := l.st.AuditNodes(ctx, nodes.IDs)
	if err != nil {
		return nil, fmt.Errorf("audit: proof: %w", err)
	}
	p, err := nodes.Rehash(hashes, hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("audit: proof: %w", err)
	}
	if p == nil {
		p = [][]byte{}
	}
	return p, nil
}

// VerifyInclusion checks offline that leaf (an entry's bytes as logged) is
// entry index of the tree of the given size and root, by its inclusion
// proof. It returns an error wrapping ErrInvalidProof if not.
func VerifyInclusion(leaf []byte, index, size uint64, p [][]byte, root []byte) error {
	got, err := proof.RootFromInclusionProof(hasher, index, size, LeafHash(leaf), p)
	if err != nil {
		return fmt.Errorf("%w: entry %d of %d: %v", ErrInvalidProof, index, size, err)
	}
	if !bytes.Equal(got, root) {
		return fmt.Errorf("%w: entry %d with this proof leads to root %s, not %s", ErrInvalidProof, index, b64(got), b64(root))
	}
	return nil
}

// VerifyConsistency checks offline that the tree of size2 with root2 extends
// the tree of size1 with root1 (the first size1 entries are unchanged), by
// the consistency proof. It returns an error wrapping ErrInvalidProof if
// not.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	if size1 == 0 && !bytes.Equal(root1, hasher.EmptyRoot()) {
		return fmt.Errorf("%w: %s is not the root of the empty tree", ErrInvalidProof, b64(root1))
	}
	if err := proof.VerifyConsistency(hasher, size1, size2, p, root1, root2); err != nil {
		var mismatch proof.RootMismatchError
		if errors.As(err, &mismatch) {
			err = fmt.Errorf("the proof leads to root %s, not %s", b64(mismatch.CalculatedRoot), b64(mismatch.ExpectedRoot))
		}
		return fmt.Errorf("%w: tree %d does not extend tree %d: %v", ErrInvalidProof, size2, size1, err)
	}
	return nil
}

// InclusionBundle is an entry with its inclusion proof and the checkpoint it
// is proved against: what `eseal audit prove` writes, checkable offline with
// the node's public key.
type InclusionBundle struct {
	Index uint64 `json:"index"`
	Size  uint64 `json:"size"`
	// Leaf is the entry exactly as logged (JSON, as a string so that tools
	// that reformat JSON do not change the bytes hashed).
	Leaf       string   `json:"leaf"`
	LeafHash   []byte   `json:"leaf_hash"`
	Root       []byte   `json:"root"`
	Proof      [][]byte `json:"proof"`
	Checkpoint string   `json:"checkpoint,omitempty"` // the signed note of a checkpoint of Size, if one is stored
}

// ProveInclusion proves entry index. With size 0 it proves against the
// latest checkpoint that covers the entry, or the current tree if none does.
func (l *Log) ProveInclusion(ctx context.Context, index, size uint64) (*InclusionBundle, error) {
	if size == 0 {
		cp, err := l.LatestCheckpoint(ctx)
		if err == nil && cp.Size > index {
			size = cp.Size
		} else if size, err = l.Size(ctx); err != nil {
			return nil, err
		}
	}
	if index >= size {
		return nil, fmt.Errorf("audit: entry %d is not in a tree of %d entries", index, size)
	}
	leaf, err := l.Leaf(ctx, index)
	if err != nil {
		return nil, err
	}
	p, err := l.InclusionProof(ctx, index, size)
	if err != nil {
		return nil, err
	}
	root, err := l.Root(ctx, size)
	if err != nil {
		return nil, err
	}
	b := &InclusionBundle{Index: index, Size: size, Leaf: string(leaf), LeafHash: LeafHash(leaf), Root: root, Proof: p}
	cp, err := l.checkpointAt(ctx, size)
	if err != nil {
		return nil, err
	}
	if cp != nil {
		b.Checkpoint = string(cp.Note)
	}
	return b, nil
}

// Verify checks the bundle offline: the checkpoint's signature by pub, and
// the entry's inclusion in the tree the checkpoint signs. It returns the
// entry and the checkpoint.
func (b *InclusionBundle) Verify(pub crypto.PublicKey) (Entry, *Checkpoint, error) {
	if b.Checkpoint == "" {
		return Entry{}, nil, errors.New("audit: the proof carries no checkpoint, so nothing in it is signed; prove against a checkpointed size")
	}
	cp, err := ParseCheckpoint([]byte(b.Checkpoint))
	if err != nil {
		return Entry{}, nil, err
	}
	if err := VerifyCheckpoint(cp, pub); err != nil {
		return Entry{}, cp, err
	}
	if cp.Size != b.Size {
		return Entry{}, cp, fmt.Errorf("%w: the proof is for size %d, its checkpoint for size %d", ErrInvalidProof, b.Size, cp.Size)
	}
	if err := VerifyInclusion([]byte(b.Leaf), b.Index, cp.Size, b.Proof, cp.Root); err != nil {
		return Entry{}, cp, err
	}
	e, err := ParseEntry([]byte(b.Leaf))
	if err != nil {
		return Entry{}, cp, err
	}
	if e.Seq != b.Index {
		return Entry{}, cp, fmt.Errorf("%w: the entry at index %d says seq %d", ErrTampered, b.Index, e.Seq)
	}
	return e, cp, nil
}

// ConsistencyBundle is a consistency proof between two tree sizes: what
// `eseal audit prove --from` writes. The roots are informative: a verifier
// takes them from the two signed checkpoints.
type ConsistencyBundle struct {
	Size1 uint64   `json:"size1"`
	Size2 uint64   `json:"size2"`
	Root1 []byte   `json:"root1"`
	Root2 []byte   `json:"root2"`
	Proof [][]byte `json:"proof"`
}

// ProveConsistency proves that the tree of size2 extends that of size1.
func (l *Log) ProveConsistency(ctx context.Context, size1, size2 uint64) (*ConsistencyBundle, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("audit: consistency from size %d to the smaller size %d", size1, size2)
	}
	p, err := l.ConsistencyProof(ctx, size1, size2)
	if err != nil {
		return nil, err
	}
	r1, err := l.Root(ctx, size1)
	if err != nil {
		return nil, err
	}
	r2, err := l.Root(ctx, size2)
	if err != nil {
		return nil, err
	}
	return &ConsistencyBundle{Size1: size1, Size2: size2, Root1: r1, Root2: r2, Proof: p}, nil
}

// VerifyCheckpoints checks offline that newer extends older: both signed by
// pub, and the consistency proof between their sizes leads from one root to
// the other. A fork (two checkpoints the log cannot both have signed
// honestly) fails with ErrInvalidProof.
func VerifyCheckpoints(older, newer *Checkpoint, p [][]byte, pub crypto.PublicKey) error {
	for _, cp := range []*Checkpoint{older, newer} {
		if err := VerifyCheckpoint(cp, pub); err != nil {
			return err
		}
	}
	if older.Origin != newer.Origin {
		return fmt.Errorf("%w: the checkpoints are of different logs, %q and %q", ErrInvalidProof, older.Origin, newer.Origin)
	}
	if older.Size > newer.Size {
		return fmt.Errorf("audit: the older checkpoint (size %d) is larger than the newer (size %d); swap them", older.Size, newer.Size)
	}
	return VerifyConsistency(older.Size, newer.Size, p, older.Root, newer.Root)
}
