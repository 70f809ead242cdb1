package api

import (
	"context"
	"encoding/base64"
	"sync"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/verify"
)

// LicenseActs is a license.Registry.Record that appends each act on a
// license to the audit log in the act's own transaction: the license and
// its audit entry commit together, or neither does. Kinds are
// license.issued, license.suspended, license.reinstated, license.revoked,
// license.cancelled, license.replaced and license.copied. The index of the
// entry is kept for the request that asked (see actIndexes).
func LicenseActs(node string) func(ctx context.Context, tx store.Tx, a license.Act) error {
	return func(ctx context.Context, tx store.Tx, a license.Act) error {
		detail := a.Reason
		if a.Data != nil {
			detail = "type " + a.Data.TypeCode + " holder " + maskCode(a.Data.HolderCode)
			if a.Reason != "" {
				detail += "; " + a.Reason
			}
		}
		e := audit.Entry{Kind: "license." + a.Event, Actor: a.Actor, Subject: auditField(a.License, auditMaxField), Detail: auditField(detail, auditMaxDetail), Node: node}
		i, err := audit.Append(ctx, tx, e)
		if err != nil {
			return err
		}
		if ix, ok := ctx.Value(actKey{}).(*actIndexes); ok {
			ix.set(a.Event+" "+a.License, i)
		}
		return nil
	}
}

type actKey struct{}

// actIndexes collects the audit indexes of the acts of one request. A
// transaction that is tried again overwrites its own entries.
type actIndexes struct {
	mu sync.Mutex
	m  map[string]uint64
}

func withActIndexes(ctx context.Context) (context.Context, *actIndexes) {
	ix := &actIndexes{m: map[string]uint64{}}
	return context.WithValue(ctx, actKey{}, ix), ix
}

func (x *actIndexes) set(k string, i uint64) {
	x.mu.Lock()
	x.m[k] = i
	x.mu.Unlock()
}

func (x *actIndexes) get(event, id string) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.m[event+" "+id]
	return i, ok
}

// actRef is the audit reference of an act committed during the request,
// with its inclusion proof; nil when the registry records no acts.
func (s *Server) actRef(ctx context.Context, ix *actIndexes, event, id string) *verify.AuditRef {
	i, ok := ix.get(event, id)
	if !ok {
		return nil
	}
	if p, ok := s.Audit.(interface {
		Ref(ctx context.Context, i uint64) *verify.AuditRef
	}); ok {
		return p.Ref(ctx, i)
	}
	return &verify.AuditRef{Index: i}
}

// Ref is where entry i is, with its inclusion proof in the tree of size
// i+1; just the index when the proof cannot be had now (eseal audit prove
// gives it later).
func (a AuditLog) Ref(ctx context.Context, i uint64) *verify.AuditRef {
	in, err := a.Log.InclusionOf(ctx, i)
	if err != nil {
		return &verify.AuditRef{Index: i}
	}
	return auditRef(in)
}

// auditRef is an entry's reference with its inclusion proof in the tree it
// completes: a tree that certainly holds the entry, which later appends do
// not change.
func auditRef(in audit.Inclusion) *verify.AuditRef {
	b64 := base64.StdEncoding.EncodeToString
	ref := &verify.AuditRef{Index: in.Index, TreeSize: in.Size(), Root: b64(in.Root), Leaf: b64(in.Leaf)}
	for _, h := range in.Proof {
		ref.Inclusion = append(ref.Inclusion, b64(h))
	}
	return ref
}
