package nationalsync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/canonjson"
)

// Format names the package's shape; EnvelopeFormat the signed wrapper
// that travels.
const (
	Format         = "hoso-sync-package/v1"
	EnvelopeFormat = "hoso-sync-envelope/v1"
)

// Package is one unit-month approved at both levels, with everything the
// receiver needs to check it without trusting the sender: the unit
// approval (level 1) with every event it lists, their exact stored bytes
// and inclusion proofs, and the department approval (level 2, or a
// supplement) that lists the unit approval; each with its detached CMS
// signature, its certificates and a signed checkpoint of the log.
//
// The events are the approved changes exactly as stored, not a
// re-encoding: a receiver can recompute every hash the approvers signed.
type Package struct {
	Format     string       `json:"format"`
	ID         uuid.UUID    `json:"package_id"`
	Org        domain.OrgID `json:"org_id"`
	Month      string       `json:"month"`
	Department domain.OrgID `json:"department_org_id"`
	Supplement int          `json:"supplement,omitempty"`
	ApprovedAt time.Time    `json:"approved_at"`
	DueDate    domain.Date  `json:"due_date,omitzero"`
	// Unit and DepartmentApproval are offline audit bundles
	// (app/auditbundle) of the two approvals.
	Unit               auditbundle.Bundle `json:"unit_approval"`
	DepartmentApproval auditbundle.Bundle `json:"department_approval"`
	// DataKeys are the data keys of the dossiers whose sealed events the
	// package carries, wrapped to the national receiver (keyrelease.go);
	// absent when the sender has no receiver key (docs/sync.md).
	DataKeys []ReleasedKey `json:"data_keys,omitempty"`
}

// Envelope is what travels: the package's canonical bytes (RFC 8785) and a
// signed note by the province's sync key over its id and SHA-256.
type Envelope struct {
	Format    string    `json:"format"`
	PackageID uuid.UUID `json:"package_id"`
	Package   []byte    `json:"package"` // canonical JSON; base64 here, so the bytes survive any JSON tool
	Signature string    `json:"signature"`
}

// Source is what Build reads: the ledger, its Merkle log and the stored
// checkpoints, and the public checkpoint key to hand to the receiver.
type Source struct {
	Pool          *pgxpool.Pool
	Store         eventstore.Store
	Tree          *treelog.Log
	CheckpointKey string // note verifier key; "" leaves it out (the receiver pins its own)
	// Departments, when set, exports each department approval once for
	// all the packages it queues (see Departments).
	Departments *Departments
}

// Build gathers the package q queues from the ledger. It returns an error
// when an approval is missing or the latest checkpoint does not cover the
// department approval yet (try again after the next one).
func Build(ctx context.Context, src Source, q nationalsync.Queued) (Package, error) {
	month, err := approval.ParseMonth(q.Month)
	if err != nil {
		return Package{}, err
	}
	p := Package{Format: Format, ID: q.Package, Org: q.Org, Month: q.Month, Department: q.Department,
		Supplement: q.Supplement, ApprovedAt: q.ApprovedAt.UTC(), DueDate: q.Due}
	// The approval time, not the clock, dates the bundles: a rebuild of the
	// same package then differs only if a newer checkpoint was taken. The
	// two bundles are independent: built side by side.
	var g errgroup.Group
	g.Go(func() error {
		var err error
		if p.Unit, err = auditbundle.Export(ctx, src.Pool, src.Store, src.Tree, q.Org, month, approval.LevelUnit, src.CheckpointKey, q.ApprovedAt); err != nil {
			return fmt.Errorf("nationalsync: the unit approval: %w", err)
		}
		return nil
	})
	// Of the department's list, only this unit's approval travels: a
	// package of one unit carries neither the other units' approvals nor
	// their cost (a thousand units would otherwise ship, and verify, a
	// thousand signatures each).
	if src.Departments != nil {
		dept, err := src.Departments.bundle(ctx, src, q)
		if werr := g.Wait(); werr != nil { // before p is read: the unit's half writes into it
			return p, werr
		}
		p.DepartmentApproval = dept
		return p, err
	}
	unit := q.UnitApproval.String()
	g.Go(func() error {
		var err error
		if p.DepartmentApproval, err = auditbundle.ExportPartial(ctx, src.Pool, src.Store, src.Tree, q.Department, month, approval.LevelDepartment, q.Supplement, src.CheckpointKey, q.ApprovedAt,
			func(id string) bool { return id == unit }); err != nil {
			return fmt.Errorf("nationalsync: the department approval: %w", err)
		}
		return nil
	})
	err = g.Wait() // before p is read: both halves write into it
	return p, err
}

// Canonical returns the package's RFC 8785 bytes. A 5,000-event package
// is about 16 MB: internal/canonjson writes them in one pass where
// gowebpki/jcs (whose output its tests compare against) took seconds.
func (p Package) Canonical() ([]byte, error) {
	b, err := canonjson.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("nationalsync: encoding the package: %w", err)
	}
	return b, nil
}

// Digest is the lower-case hex SHA-256 of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// statement is the text the sync key signs: the package's id and digest.
func statement(id uuid.UUID, digest string) string {
	return EnvelopeFormat + "\n" + id.String() + "\n" + digest + "\n"
}

// Seal signs p with the province's sync key and returns the envelope's
// bytes and the package's digest.
func Seal(p Package, key note.Signer) ([]byte, string, error) {
	body, err := p.Canonical()
	if err != nil {
		return nil, "", err
	}
	digest := Digest(body)
	sig, err := note.Sign(&note.Note{Text: statement(p.ID, digest)}, key)
	if err != nil {
		return nil, "", fmt.Errorf("nationalsync: signing: %w", err)
	}
	env, err := json.Marshal(Envelope{Format: EnvelopeFormat, PackageID: p.ID, Package: body, Signature: string(sig)})
	return env, digest, err
}

// ErrNotEnvelope: the bytes are not a sync envelope at all.
var ErrNotEnvelope = errors.New("nationalsync: not a sync envelope")

// OpenEnvelope decodes an envelope without verifying anything.
func OpenEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrNotEnvelope, err)
	}
	if e.Format != EnvelopeFormat || e.PackageID == uuid.Nil || len(e.Package) == 0 {
		return e, fmt.Errorf("%w: format %q, package id %s", ErrNotEnvelope, e.Format, e.PackageID)
	}
	return e, nil
}

// Verify checks an envelope completely, trusting only syncKey (the
// province's), checkpointKey (the ledger's) and roots (the approvers'
// CAs). It returns the package and every problem found, each a readable
// sentence naming what is wrong; none means the package is genuine.
func Verify(b []byte, syncKey, checkpointKey note.Verifier, roots *x509.CertPool) (Package, []string) {
	var p Package
	env, err := OpenEnvelope(b)
	if err != nil {
		return p, []string{err.Error()}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	digest := Digest(env.Package)
	n, err := note.Open([]byte(env.Signature), note.VerifierList(syncKey))
	switch {
	case err != nil:
		bad("sync signature: %v", err)
	case n.Text != statement(env.PackageID, digest):
		bad("sync signature: it signs another package or other bytes than these (%s)", digest)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Package))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		bad("package: %v", err)
		return p, problems
	}
	if canon, err := canonjson.Canonicalize(env.Package); err != nil || !bytes.Equal(canon, env.Package) {
		bad("package: not RFC 8785 canonical JSON")
	}
	if p.Format != Format {
		bad("package: format %q, want %s", p.Format, Format)
	}
	if p.ID != env.PackageID {
		bad("package: id %s, the envelope says %s", p.ID, env.PackageID)
	}
	opts := auditbundle.Options{Key: checkpointKey, Roots: roots}
	unitSigned, unitEv, unitOK := claims(p.Unit, approval.LevelUnit, p.Org, p.Month, 0, "level 1", bad)
	deptSigned, _, deptOK := claims(p.DepartmentApproval, approval.LevelDepartment, p.Department, p.Month, p.Supplement, "level 2", bad)
	for _, pr := range auditbundle.Verify(p.Unit, opts).Problems {
		bad("level 1: %s", pr)
	}
	opts.AllowOmitted = true // the other units' approvals travel in their own packages
	for _, pr := range auditbundle.Verify(p.DepartmentApproval, opts).Problems {
		bad("level 2: %s", pr)
	}
	if unitOK && deptOK {
		if want := nationalsync.PackageID(p.Org, p.Month, p.Supplement, unitSigned.ManifestDigest, deptSigned.ManifestDigest); want != p.ID {
			bad("package: id %s is not the id of what it covers (%s)", p.ID, want)
		}
		if !listed(p.DepartmentApproval, unitEv) {
			bad("level 2: the department approval does not list the unit approval %s@%d", unitEv.Stream, unitEv.Version)
		}
		if !shipped(p.DepartmentApproval, unitEv) {
			bad("level 2: the unit approval %s@%d is not shipped with its proof", unitEv.Stream, unitEv.Version)
		}
	}
	return p, problems
}

// claims finds the signed approval in b and checks it is the one the
// package says (org, month, level, supplement).
func claims(b auditbundle.Bundle, level approval.Level, org domain.OrgID, month string, supplement int, name string, bad func(string, ...any)) (approval.Signed, auditbundle.Event, bool) {
	for _, e := range b.Approval {
		if e.Type != approval.TypeSigned {
			continue
		}
		de, err := approval.Decode(e.Type, e.Data)
		if err != nil {
			bad("%s: %v", name, err)
			return approval.Signed{}, e, false
		}
		s := de.(approval.Signed)
		if s.Level != level || s.Org != org || s.Month.String() != month || s.Supplement != supplement {
			bad("%s: the approval is %s's %s at level %s (supplement %d), the package claims %s's %s (supplement %d)",
				name, s.Org, s.Month, s.Level, s.Supplement, org, month, supplement)
			return s, e, false
		}
		return s, e, true
	}
	bad("%s: no signed approval", name)
	return approval.Signed{}, auditbundle.Event{}, false
}

// listed reports whether the department bundle's signed manifest lists ev.
func listed(dept auditbundle.Bundle, ev auditbundle.Event) bool {
	man, err := signedManifest(dept)
	if err != nil {
		return false
	}
	for _, entry := range man.Events {
		if entry.EventID == ev.EventID.String() && entry.Hash == ev.Hash.String() && strings.HasPrefix(entry.Stream, "approval-") {
			return true
		}
	}
	return false
}

// shipped reports whether the department bundle carries ev itself (the
// same bytes, with its proof), not only its entry in the list.
func shipped(dept auditbundle.Bundle, ev auditbundle.Event) bool {
	for _, e := range dept.Events {
		if e.EventID == ev.EventID && !e.Omitted && !e.Missing && e.Hash == ev.Hash {
			return true
		}
	}
	return false
}
