package nationalsync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Departments keeps the department approvals whose packages are being
// delivered. A package names its department approval by digest (v2) and
// the approval travels once, as a Department (SealDepartment): without
// this, each of a thousand packages re-read the approval stream, re-parsed
// the thousand-entry manifest, re-read the checkpoint and its proofs, and
// carried (and had verified) the whole signed manifest, so the work grew
// with the square of the units (docs/benchmarks.md). Here each department
// approval is exported once, with every listed event left out, with the
// inclusion proofs of all the unit approvals it lists computed at once;
// its envelope is sealed once; and whether the receiver was sent it is
// remembered, so that it is sent before the first package only.
//
// An approval is kept with the checkpoint it was exported with: a later
// package of the same approval is checked against the Department the
// receiver already holds. A failed export is not kept, so a checkpoint that
// did not cover the approval yet is read again next time.
type Departments struct {
	max     int
	mu      sync.Mutex
	entries map[uuid.UUID]*departmentEntry
	order   []uuid.UUID
}

type departmentEntry struct {
	ready  chan struct{}
	bundle auditbundle.Bundle // every listed event omitted
	digest string             // the signed manifest's
	// inclusion holds the proof of each listed unit approval event (by
	// event id) in the signed manifest's tree.
	inclusion map[uuid.UUID][]eventstore.Hash
	err       error

	// send serialises the Department's delivery; envelope is sealed once,
	// sent whether the receiver answered it.
	send     sync.Mutex
	envelope []byte
	sent     bool
}

// NewDepartments keeps the max most recent department approvals (8 when
// max < 1).
func NewDepartments(max int) *Departments {
	if max < 1 {
		max = 8
	}
	return &Departments{max: max, entries: map[uuid.UUID]*departmentEntry{}}
}

// ref is q's package's reference to its department approval.
func (d *Departments) ref(ctx context.Context, src Source, q nationalsync.Queued) (DepartmentRef, error) {
	e, err := d.template(ctx, src, q)
	if err != nil {
		return DepartmentRef{}, err
	}
	if e.digest != q.DepartmentDigest {
		return DepartmentRef{}, fmt.Errorf("nationalsync: the department approval %s signed manifest %s, the package was queued under %s", q.DepartmentApproval, e.digest, q.DepartmentDigest)
	}
	proof, ok := e.inclusion[q.UnitApproval]
	if !ok {
		return DepartmentRef{}, fmt.Errorf("nationalsync: the department approval %s does not list the unit approval %s", q.DepartmentApproval, q.UnitApproval)
	}
	return DepartmentRef{ManifestDigest: e.digest, UnitInclusion: proof}, nil
}

// delivery is q's department approval with its envelope sealed by key.
func (d *Departments) delivery(ctx context.Context, src Source, q nationalsync.Queued, key note.Signer) (*departmentEntry, error) {
	e, err := d.template(ctx, src, q)
	if err != nil {
		return nil, err
	}
	e.send.Lock()
	defer e.send.Unlock()
	if e.envelope == nil {
		env, _, err := SealDepartment(Department{Format: DepartmentFormat, Approval: q.DepartmentApproval, Org: q.Department, Month: q.Month, Supplement: q.Supplement, Bundle: e.bundle}, key)
		if err != nil {
			return nil, err
		}
		e.envelope = env
	}
	return e, nil
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
	e.err = exportDepartment(ctx, src, q, e)
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

// exportDepartment exports q's department approval with every listed
// event left out, and fills in e's manifest digest and the inclusion
// proofs of the unit approvals it lists, all in one go.
func exportDepartment(ctx context.Context, src Source, q nationalsync.Queued, e *departmentEntry) error {
	month, err := approval.ParseMonth(q.Month)
	if err != nil {
		return err
	}
	b, err := auditbundle.ExportPartial(ctx, src.Pool, src.Store, src.Tree, q.Department, month, approval.LevelDepartment, q.Supplement, src.CheckpointKey, q.ApprovedAt,
		func(string) bool { return false })
	if err != nil {
		return fmt.Errorf("nationalsync: the department approval: %w", err)
	}
	man, digest, err := signedManifest(b)
	if err != nil {
		return fmt.Errorf("nationalsync: the department approval's signed manifest: %w", err)
	}
	var (
		ids    []uuid.UUID
		leaves []uint64
	)
	for _, ev := range b.Events {
		if strings.HasPrefix(ev.Stream, "approval-") {
			ids, leaves = append(ids, ev.EventID), append(leaves, ev.LeafIndex)
		}
	}
	proofs, err := src.Tree.InclusionProofs(ctx, leaves, man.Log.TreeSize)
	if err != nil {
		return err
	}
	e.inclusion = make(map[uuid.UUID][]eventstore.Hash, len(ids))
	for i, id := range ids {
		e.inclusion[id] = proofs[i]
	}
	e.bundle, e.digest = b, digest
	return nil
}

// signedManifest is the manifest the bundle's approval signed, from its
// approval stream, and its digest (the approval.signed event's).
func signedManifest(b auditbundle.Bundle) (approvals.Manifest, string, error) {
	served := map[string][]byte{}
	var digest string
	for _, e := range b.Approval {
		de, err := approval.Decode(e.Type, e.Data)
		if err != nil {
			return approvals.Manifest{}, "", err
		}
		switch v := de.(type) {
		case approval.ManifestServed:
			served[v.Digest] = b.ManifestOf(v)
		case approval.Signed:
			digest = v.ManifestDigest
		}
	}
	man, err := approvals.ParseManifest(served[digest])
	return man, digest, err
}
