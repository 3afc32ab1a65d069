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

// Format names the package's shape; FormatV1 the shape before the
// department approval travelled on its own (read, never written);
// EnvelopeFormat the signed wrapper a package travels in.
const (
	Format         = "hoso-sync-package/v2"
	FormatV1       = "hoso-sync-package/v1"
	EnvelopeFormat = "hoso-sync-envelope/v1"
)

// Package is one unit-month approved at both levels, with everything the
// receiver needs to check it without trusting the sender: the unit
// approval (level 1) with every event it lists, their exact stored bytes
// and inclusion proofs, its detached CMS signature, its certificates and a
// signed checkpoint of the log; and the department approval (level 2, or
// a supplement) that lists the unit approval, named by its manifest's
// digest (v2: the receiver holds it, delivered once as a Department) or
// carried whole (v1).
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
	// Unit is the offline audit bundle (app/auditbundle) of the unit
	// approval.
	Unit auditbundle.Bundle `json:"unit_approval"`
	// DepartmentRef (v2) names the department approval and proves the unit
	// approval is in its manifest's tree.
	DepartmentRef *DepartmentRef `json:"department_ref,omitempty"`
	// DepartmentApproval (v1 only) is the department approval's partial
	// audit bundle, shipping this unit's approval only.
	DepartmentApproval *auditbundle.Bundle `json:"department_approval,omitempty"`
	// DataKeys are the data keys of the dossiers whose sealed events the
	// package carries, wrapped to the national receiver (keyrelease.go);
	// absent when the sender has no receiver key (docs/sync.md).
	DataKeys []ReleasedKey `json:"data_keys,omitempty"`
}

// DepartmentRef is how a v2 package names its department approval: the
// SHA-256 of the signed level-2 manifest (what the receiver keys the
// delivered Department on) and the RFC 6962 inclusion proof of the unit
// approval event at the leaf that manifest lists it at, in the tree the
// manifest names. With the unit approval event's own bytes (in Unit), the
// receiver checks the listing against the manifest it verified, without
// the manifest travelling again.
type DepartmentRef struct {
	ManifestDigest string            `json:"manifest_sha256"`
	UnitInclusion  []eventstore.Hash `json:"unit_approval_inclusion"`
}

// Envelope is what travels: a package's (or a Department's) bytes and a
// signed note by the province's sync key over the envelope's format, its
// id and the bytes' SHA-256.
type Envelope struct {
	Format    string    `json:"format"`
	PackageID uuid.UUID `json:"package_id"`
	Package   []byte    `json:"package"` // base64 here, so the bytes survive any JSON tool
	Signature string    `json:"signature"`
}

// Source is what Build reads: the ledger, its Merkle log and the stored
// checkpoints, and the public checkpoint key to hand to the receiver.
type Source struct {
	Pool          *pgxpool.Pool
	Store         eventstore.Store
	Tree          *treelog.Log
	CheckpointKey string // note verifier key; "" leaves it out (the receiver pins its own)
	// Departments exports each department approval once for all the
	// packages it queues and remembers its delivery (see Departments); nil
	// exports it, and the worker delivers it, for every package.
	Departments *Departments
}

func (s Source) departments() *Departments {
	if s.Departments != nil {
		return s.Departments
	}
	return NewDepartments(1)
}

// Build gathers the package q queues from the ledger: the unit approval's
// bundle and a reference to the department approval (delivered on its own,
// see Department). It returns an error when an approval is missing
// or the latest checkpoint does not cover an approval yet (try again after
// the next one).
func Build(ctx context.Context, src Source, q nationalsync.Queued) (Package, error) {
	month, err := approval.ParseMonth(q.Month)
	if err != nil {
		return Package{}, err
	}
	p := Package{Format: Format, ID: q.Package, Org: q.Org, Month: q.Month, Department: q.Department,
		Supplement: q.Supplement, ApprovedAt: q.ApprovedAt.UTC(), DueDate: q.Due}
	// The approval time, not the clock, dates the bundle: a rebuild of the
	// same package then differs only if a newer checkpoint was taken. The
	// unit's half and the department's are independent: built side by side.
	var g errgroup.Group
	g.Go(func() error {
		var err error
		if p.Unit, err = auditbundle.Export(ctx, src.Pool, src.Store, src.Tree, q.Org, month, approval.LevelUnit, src.CheckpointKey, q.ApprovedAt); err != nil {
			return fmt.Errorf("nationalsync: the unit approval: %w", err)
		}
		return nil
	})
	ref, err := src.departments().ref(ctx, src, q)
	if werr := g.Wait(); werr != nil { // before p is read: the unit's half writes into it
		return p, werr
	}
	p.DepartmentRef = &ref
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

// statement is the text the sync key signs: the envelope's format, the
// id and the digest of the bytes it carries. The format makes a package's
// signature useless as a Department's, and the reverse.
func statement(format string, id uuid.UUID, digest string) string {
	return format + "\n" + id.String() + "\n" + digest + "\n"
}

// Seal signs p with the province's sync key and returns the envelope's
// bytes and the package's digest.
func Seal(p Package, key note.Signer) ([]byte, string, error) {
	body, err := p.Canonical()
	if err != nil {
		return nil, "", err
	}
	return sealEnvelope(EnvelopeFormat, p.ID, body, key)
}

func sealEnvelope(format string, id uuid.UUID, body []byte, key note.Signer) ([]byte, string, error) {
	digest := Digest(body)
	sig, err := note.Sign(&note.Note{Text: statement(format, id, digest)}, key)
	if err != nil {
		return nil, "", fmt.Errorf("nationalsync: signing: %w", err)
	}
	env, err := json.Marshal(Envelope{Format: format, PackageID: id, Package: body, Signature: string(sig)})
	return env, digest, err
}

// ErrNotEnvelope: the bytes are not a sync envelope at all.
var ErrNotEnvelope = errors.New("nationalsync: not a sync envelope")

// OpenEnvelope decodes an envelope (a package's or a Department's) without
// verifying anything.
func OpenEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrNotEnvelope, err)
	}
	if (e.Format != EnvelopeFormat && e.Format != DepartmentEnvelopeFormat) || e.PackageID == uuid.Nil || len(e.Package) == 0 {
		return e, fmt.Errorf("%w: format %q, package id %s", ErrNotEnvelope, e.Format, e.PackageID)
	}
	return e, nil
}

// Keys are what a receiver trusts: the province's sync key, its ledger's
// checkpoint key and the approvers' CA roots.
type Keys struct {
	Sync       note.Verifier
	Checkpoint note.Verifier
	Roots      *x509.CertPool
}

// Verify checks a package's envelope completely, trusting only syncKey
// (the province's), checkpointKey (the ledger's) and roots (the
// approvers' CAs). A v2 package names its department approval: departments
// are the envelopes of the Departments it may name, each verified here
// too. It returns the package and every problem found, each a readable
// sentence naming what is wrong; none means the package is genuine.
func Verify(b []byte, syncKey, checkpointKey note.Verifier, roots *x509.CertPool, departments ...[]byte) (Package, []string) {
	keys := Keys{Sync: syncKey, Checkpoint: checkpointKey, Roots: roots}
	var problems []string
	held := map[string]*HeldDepartment{}
	for _, d := range departments {
		h, ps := VerifyDepartment(d, keys)
		for _, pr := range ps {
			problems = append(problems, "department approval: "+pr)
		}
		if h != nil {
			held[h.ManifestDigest] = h
		}
	}
	env, err := OpenEnvelope(b)
	if err != nil {
		return Package{}, append(problems, err.Error())
	}
	p, ps, missing := verifyPackage(env, keys, func(digest string) (*HeldDepartment, error) { return held[digest], nil })
	problems = append(problems, ps...)
	if missing != "" {
		problems = append(problems, fmt.Sprintf("level 2: the department approval with manifest %s is not among those given", missing))
	}
	return p, problems
}

// verifyPackage checks a package envelope. A v2 package's department
// approval comes from department (nil, nil: not held); missing is its
// manifest digest when it is not held, and every check that needs it is
// then left out (the others are made, so a package that is wrong anyway is
// refused as such).
func verifyPackage(env Envelope, keys Keys, department func(digest string) (*HeldDepartment, error)) (p Package, problems []string, missing string) {
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !openSigned(env, EnvelopeFormat, "package", keys, &p, bad) {
		return p, problems, ""
	}
	if p.ID != env.PackageID {
		bad("package: id %s, the envelope says %s", p.ID, env.PackageID)
	}
	opts := auditbundle.Options{Key: keys.Checkpoint, Roots: keys.Roots}
	unitSigned, unitEv, unitOK := claims(p.Unit, approval.LevelUnit, p.Org, p.Month, 0, "level 1", bad)
	for _, pr := range auditbundle.Verify(p.Unit, opts).Problems {
		bad("level 1: %s", pr)
	}
	switch p.Format {
	case Format:
		// The sync key signs the bytes as they travel: a v2 package need
		// not be re-canonicalised to be checked (v1 had to be canonical).
		if p.DepartmentRef == nil || p.DepartmentApproval != nil {
			bad("package: a %s names its department approval by digest (department_ref) and does not carry it", Format)
			return p, problems, ""
		}
		ref := *p.DepartmentRef
		held, err := department(ref.ManifestDigest)
		switch {
		case err != nil:
			bad("level 2: the department approval %s: %v", ref.ManifestDigest, err)
		case held == nil:
			missing = ref.ManifestDigest
		case unitOK:
			held.check(p, unitSigned, unitEv, ref, bad)
		}
	case FormatV1:
		if canon, err := canonjson.Canonicalize(env.Package); err != nil || !bytes.Equal(canon, env.Package) {
			bad("package: not RFC 8785 canonical JSON")
		}
		if p.DepartmentApproval == nil || p.DepartmentRef != nil {
			bad("package: a %s carries its department approval (department_approval)", FormatV1)
			return p, problems, ""
		}
		dept := *p.DepartmentApproval
		deptSigned, _, deptOK := claims(dept, approval.LevelDepartment, p.Department, p.Month, p.Supplement, "level 2", bad)
		opts.AllowOmitted = true // the other units' approvals travel in their own packages
		for _, pr := range auditbundle.Verify(dept, opts).Problems {
			bad("level 2: %s", pr)
		}
		if unitOK && deptOK {
			if want := nationalsync.PackageID(p.Org, p.Month, p.Supplement, unitSigned.ManifestDigest, deptSigned.ManifestDigest); want != p.ID {
				bad("package: id %s is not the id of what it covers (%s)", p.ID, want)
			}
			if !listed(dept, unitEv) {
				bad("level 2: the department approval does not list the unit approval %s@%d", unitEv.Stream, unitEv.Version)
			}
			if !shipped(dept, unitEv) {
				bad("level 2: the unit approval %s@%d is not shipped with its proof", unitEv.Stream, unitEv.Version)
			}
		}
	default:
		bad("package: format %q, want %s (or %s)", p.Format, Format, FormatV1)
	}
	return p, problems, missing
}

// openSigned checks that env is a want envelope whose note by the sync key
// signs these exact bytes, and decodes what it carries (what: "package",
// "department approval") into v, refusing unknown members. It reports
// whether there was anything to decode.
func openSigned(env Envelope, want, what string, keys Keys, v any, bad func(string, ...any)) bool {
	if env.Format != want {
		bad("envelope: format %q, want %s", env.Format, want)
		return false
	}
	digest := Digest(env.Package)
	n, err := note.Open([]byte(env.Signature), note.VerifierList(keys.Sync))
	switch {
	case err != nil:
		bad("sync signature: %v", err)
	case n.Text != statement(env.Format, env.PackageID, digest):
		bad("sync signature: it signs another %s or other bytes than these (%s)", what, digest)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Package))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		bad("%s: %v", what, err)
		return false
	}
	return true
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
	man, _, err := signedManifest(dept)
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
