package audit

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"

	"github.com/eseal-project/eseal/internal/store"
)

// Inclusion is an entry as logged with its inclusion proof in the tree it
// completes: the tree of the first Index+1 entries, which later appends do
// not change. A signed receipt carries it, as a tree head that later
// checkpoints must be consistent with (VerifyInclusion checks it).
type Inclusion struct {
	Index uint64
	Leaf  []byte   // the entry exactly as logged
	Root  []byte   // root hash of the tree of size Index+1
	Proof [][]byte // RFC 9162 2.1.3 inclusion proof of the entry in that tree
}

// Size is the size of the tree the proof is for.
func (in Inclusion) Size() uint64 { return in.Index + 1 }

func inclusion(a store.AuditInclusion) Inclusion {
	return Inclusion{Index: a.Index, Leaf: a.Data, Root: a.Root, Proof: a.Proof}
}

// InclusionOf returns entry index with its inclusion proof in the tree it
// completes. It reads the entry and the roots of the perfect subtrees left
// of it, which are the proof and, folded with the entry, the root.
func (l *Log) InclusionOf(ctx context.Context, index uint64) (Inclusion, error) {
	leaf, err := l.Leaf(ctx, index)
	if err != nil {
		return Inclusion{}, err
	}
	var left [][]byte
	if index > 0 {
		if left, err = l.st.AuditNodes(ctx, compact.RangeNodes(0, index, nil)); err != nil {
			return Inclusion{}, fmt.Errorf("audit: inclusion of entry %d: %w", index, err)
		}
	}
	// The proof first: appending to the range reuses the slice.
	proof := make([][]byte, len(left))
	for i, h := range left {
		proof[len(left)-1-i] = h
	}
	r, err := rangeOf.NewRange(0, index, left)
	if err != nil {
		return Inclusion{}, fmt.Errorf("audit: inclusion of entry %d: %w", index, err)
	}
	if err := r.Append(LeafHash(leaf), nil); err != nil {
		return Inclusion{}, fmt.Errorf("audit: inclusion of entry %d: %w", index, err)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return Inclusion{}, fmt.Errorf("audit: inclusion of entry %d: %w", index, err)
	}
	return Inclusion{Index: index, Leaf: leaf, Root: root, Proof: proof}, nil
}
