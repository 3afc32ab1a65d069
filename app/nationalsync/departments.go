package nationalsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Departments keeps the department half of the packages one level-2
// approval queues. Every package of a department approval carries the same
// department bundle but for the one unit approval it ships: without this,
// each of a thousand packages re-read the approval stream, re-parsed the
// thousand-entry manifest and re-read the checkpoint and its proofs, so the
// work grew with the square of the units (docs/benchmarks.md, "Delivering
// queued packages"). Here each department approval's bundle is exported
// once, with every listed event left out, and each package copies it and
// fills in its own unit approval with its inclusion proof.
//
// A bundle is kept with the checkpoint it was exported with: a later
// package of the same approval carries that checkpoint rather than a newer
// one, which proves the same things. A failed export is not kept, so a
// checkpoint that did not cover the approval yet is read again next time.
type Departments struct {
	max     int
	mu      sync.Mutex
	entries map[uuid.UUID]*departmentEntry
	order   []uuid.UUID
}

type departmentEntry struct {
	ready    chan struct{}
	bundle   auditbundle.Bundle
	treeSize uint64 // the signed manifest's tree
	err      error
}

// NewDepartments keeps the bundles of the max most recent department
// approvals (8 when max < 1).
func NewDepartments(max int) *Departments {
	if max < 1 {
		max = 8
	}
	return &Departments{max: max, entries: map[uuid.UUID]*departmentEntry{}}
}

// bundle is the department bundle of q's package: the approval's shared
// bundle with q's unit approval shipped with its bytes and proof.
func (d *Departments) bundle(ctx context.Context, src Source, q nationalsync.Queued) (auditbundle.Bundle, error) {
	e, err := d.template(ctx, src, q)
	if err != nil {
		return auditbundle.Bundle{}, err
	}
	b := e.bundle
	b.Events = slices.Clone(b.Events)
	unit := slices.IndexFunc(b.Events, func(ev auditbundle.Event) bool { return ev.EventID == q.UnitApproval })
	if unit < 0 {
		return b, fmt.Errorf("nationalsync: the department approval %s does not list the unit approval %s", q.DepartmentApproval, q.UnitApproval)
	}
	listed := b.Events[unit]
	ev := auditbundle.Event{EventID: listed.EventID, Stream: listed.Stream, Version: listed.Version, Type: listed.Type, LeafIndex: listed.LeafIndex, Missing: true}
	evs, err := src.Store.ReadStream(ctx, listed.Stream, eventstore.ReadOptions{From: listed.Version, Limit: 1})
	if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
		return b, err
	}
	if len(evs) == 1 && evs[0].Version == listed.Version {
		ev = auditbundle.Event{EventID: evs[0].ID, Stream: evs[0].StreamID, Version: evs[0].Version, Type: evs[0].Type,
			Data: evs[0].Data, Metadata: evs[0].RawMetadata, PrevHash: evs[0].PrevHash, Hash: evs[0].Hash, LeafIndex: listed.LeafIndex}
		proofs, err := src.Tree.InclusionProofs(ctx, []uint64{listed.LeafIndex}, e.treeSize)
		if err != nil {
			return b, err
		}
		ev.Inclusion = proofs[0]
	}
	b.Events[unit] = ev
	return b, nil
}

// template returns the shared bundle of q's department approval, exporting
// it once however many packages ask at the same time.
func (d *Departments) template(ctx context.Context, src Source, q nationalsync.Queued) (*departmentEntry, error) {
	key := q.DepartmentApproval
	d.mu.Lock()
	e, ok := d.entries[key]
	if !ok {
		e = &departmentEntry{ready: make(chan struct{})}
		d.entries[key] = e
		d.order = append(d.order, key)
		for len(d.order) > d.max {
			delete(d.entries, d.order[0])
			d.order = d.order[1:]
		}
	}
	d.mu.Unlock()
	if ok {
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return d.template(ctx, src, q) // the failed entry is gone: try afresh
		}
		return e, nil
	}
	e.bundle, e.treeSize, e.err = exportDepartment(ctx, src, q)
	if e.err != nil {
		d.mu.Lock()
		if d.entries[key] == e {
			delete(d.entries, key)
			d.order = slices.DeleteFunc(d.order, func(k uuid.UUID) bool { return k == key })
		}
		d.mu.Unlock()
	}
	close(e.ready)
	return e, e.err
}

// exportDepartment exports q's department approval with every listed event
// left out, and the size of the tree its signed manifest was cut at.
func exportDepartment(ctx context.Context, src Source, q nationalsync.Queued) (auditbundle.Bundle, uint64, error) {
	month, err := approval.ParseMonth(q.Month)
	if err != nil {
		return auditbundle.Bundle{}, 0, err
	}
	b, err := auditbundle.ExportPartial(ctx, src.Pool, src.Store, src.Tree, q.Department, month, approval.LevelDepartment, q.Supplement, src.CheckpointKey, q.ApprovedAt,
		func(string) bool { return false })
	if err != nil {
		return b, 0, fmt.Errorf("nationalsync: the department approval: %w", err)
	}
	man, err := signedManifest(b)
	if err != nil {
		return b, 0, fmt.Errorf("nationalsync: the department approval's signed manifest: %w", err)
	}
	return b, man.Log.TreeSize, nil
}

// signedManifest is the manifest the bundle's approval signed, from its
// approval stream.
func signedManifest(b auditbundle.Bundle) (approvals.Manifest, error) {
	served := map[string][]byte{}
	var digest string
	for _, e := range b.Approval {
		de, err := approval.Decode(e.Type, e.Data)
		if err != nil {
			return approvals.Manifest{}, err
		}
		switch v := de.(type) {
		case approval.ManifestServed:
			served[v.Digest] = b.ManifestOf(v)
		case approval.Signed:
			digest = v.ManifestDigest
		}
	}
	return approvals.ParseManifest(served[digest])
}
