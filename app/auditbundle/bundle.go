package auditbundle

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// Format names the bundle's shape.
const Format = "hoso-audit-bundle/v1"

// Bundle is the file's content.
type Bundle struct {
	Format string `json:"format"`
	Org    string `json:"org_id"`
	Month  string `json:"month"`
	Level  string `json:"level"`
	// Supplement is n of a supplementary department approval (absent: the
	// approval itself); it is checked like any other.
	Supplement int       `json:"supplement,omitempty"`
	ExportedAt time.Time `json:"exported_at"`
	// CheckpointKey is the ledger's public checkpoint key (note format),
	// when the exporter had it. An auditor should pin the key instead of
	// trusting the one the bundle carries.
	CheckpointKey string `json:"checkpoint_key,omitempty"`
	// Approval is the whole approval stream, in order.
	Approval []Event `json:"approval_stream"`
	// Manifest is the signed manifest's exact bytes (base64 in the file)
	// when its approval.manifest_served.v2 event does not hold them: they
	// are kept outside the ledger by digest, and the bundle must verify
	// offline. Absent when the served event is a v1 (bytes inline).
	Manifest []byte `json:"manifest,omitempty"`
	// Events are the events the signed manifest lists, in its order, each
	// with its inclusion proof in the manifest's tree. Missing marks an
	// event the database no longer holds.
	Events       []Event  `json:"events"`
	Certificates []string `json:"certificates"` // PEM, from the CMS signature
	Checkpoint   Proofs   `json:"checkpoint"`
}

// Event is a stored event exactly as hashed.
type Event struct {
	EventID   uuid.UUID         `json:"event_id"`
	Stream    string            `json:"stream_id"`
	Version   uint64            `json:"stream_version"`
	Type      string            `json:"type"`
	Data      []byte            `json:"data"`     // exact stored bytes (base64 in the file)
	Metadata  []byte            `json:"metadata"` // idem
	PrevHash  eventstore.Hash   `json:"prev_hash"`
	Hash      eventstore.Hash   `json:"hash"`
	LeafIndex uint64            `json:"leaf_index,omitempty"`
	Inclusion []eventstore.Hash `json:"inclusion,omitempty"`
	Missing   bool              `json:"missing,omitempty"`
	// Omitted marks an event a partial bundle leaves out on purpose (a
	// sync package carries only its own unit's approval of the department
	// manifest's list): listed, not shipped, so not checked.
	Omitted bool `json:"omitted,omitempty"`
}

// Proofs tie the manifest's tree to a signed checkpoint.
type Proofs struct {
	Note string `json:"note"`
	// Consistency proves the checkpoint's tree extends the manifest's.
	Consistency []eventstore.Hash `json:"consistency"`
	// SignedLeaf and SignedInclusion prove the approval event is in the
	// checkpoint's tree.
	SignedLeaf      uint64            `json:"signed_leaf_index"`
	SignedInclusion []eventstore.Hash `json:"signed_inclusion"`
}

func fromStore(e eventstore.Event) Event {
	return Event{EventID: e.ID, Stream: e.StreamID, Version: e.Version, Type: e.Type,
		Data: e.Data, Metadata: e.RawMetadata, PrevHash: e.PrevHash, Hash: e.Hash}
}

func (e Event) toStore() eventstore.Event {
	return eventstore.Event{ID: e.EventID, StreamID: e.Stream, Version: e.Version, Type: e.Type,
		Data: e.Data, RawMetadata: e.Metadata, PrevHash: e.PrevHash, Hash: e.Hash}
}

// ErrNotApproved: the month has no approval to export.
var ErrNotApproved = errors.New("auditbundle: the month is not approved")

// Export gathers org's approval of month from the store and the Merkle log
// (read-only), at level, with the latest checkpoint stored in pool, which must cover
// the approval event. verifierKey is the public checkpoint key to include
// ("" to leave it out).
func Export(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, tree *treelog.Log, org domain.OrgID, month approval.Month, level approval.Level, verifierKey string, now time.Time) (Bundle, error) {
	return ExportSupplement(ctx, pool, store, tree, org, month, level, 0, verifierKey, now)
}

// ExportSupplement is Export of the nth supplementary department approval
// (n = 0: the approval itself).
func ExportSupplement(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, tree *treelog.Log, org domain.OrgID, month approval.Month, level approval.Level, n int, verifierKey string, now time.Time) (Bundle, error) {
	return ExportPartial(ctx, pool, store, tree, org, month, level, n, verifierKey, now, nil)
}

// ExportPartial is ExportSupplement with only the listed events keep
// accepts (by event id) shipped with their bytes and proofs; the others are
// marked Omitted (keep nil ships every one). A sync package uses it for the
// department approval, of whose list it needs its own unit's approval only.
func ExportPartial(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, tree *treelog.Log, org domain.OrgID, month approval.Month, level approval.Level, n int, verifierKey string, now time.Time, keep func(eventID string) bool) (Bundle, error) {
	b := Bundle{Format: Format, Org: org.String(), Month: month.String(), Level: string(level), Supplement: n, ExportedAt: now.UTC().Truncate(time.Second), CheckpointKey: verifierKey}
	streamID := approval.StreamID(org, month, level)
	if n > 0 {
		if level != approval.LevelDepartment {
			return b, domain.Invalid("supplement", "level", "supplements are department approvals")
		}
		streamID = approval.SupplementStreamID(org, month, n)
	}
	stream, err := store.ReadStream(ctx, streamID, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrNotFound) {
		return b, fmt.Errorf("%w: %s has no approval stream", ErrNotApproved, streamID)
	}
	if err != nil {
		return b, err
	}
	var (
		signed   *approval.Signed
		signedEv eventstore.Event
		served   = map[string]approval.ManifestServed{}
	)
	for _, e := range stream {
		b.Approval = append(b.Approval, fromStore(e))
		de, err := approval.Decode(e.Type, e.Data)
		if err != nil {
			return b, fmt.Errorf("auditbundle: %s@%d: %w", e.StreamID, e.Version, err)
		}
		switch v := de.(type) {
		case approval.ManifestServed:
			served[v.Digest] = v
		case approval.Signed:
			signed, signedEv = &v, e
		}
	}
	if signed == nil {
		return b, fmt.Errorf("%w: %s %s", ErrNotApproved, org, month)
	}
	ms, ok := served[signed.ManifestDigest]
	if !ok {
		return b, fmt.Errorf("auditbundle: the signed manifest %s is not in the stream", signed.ManifestDigest)
	}
	content, err := approvals.NewManifests(pool).Bytes(ctx, ms)
	if err != nil {
		return b, fmt.Errorf("auditbundle: the signed manifest: %w", err)
	}
	if !ms.Inline() {
		b.Manifest = content
	}
	man, err := approvals.ParseManifest(content)
	if err != nil {
		return b, err
	}
	// The listed events' streams are read in one multi-stream read
	// (eventstore.Store.ReadStreams: a few queries for a 5,000-dossier
	// month on PostgreSQL, not one round trip per event), and the
	// inclusion proofs in one go (treelog.InclusionProofs): the national
	// sync builds one package per unit-month.
	b.Events = make([]Event, len(man.Events))
	var (
		leaves  []uint64
		shipped []int
		streams []string
		seen    = map[string]bool{}
	)
	for i, entry := range man.Events {
		if keep != nil && !keep(entry.EventID) {
			continue
		}
		leaves, shipped = append(leaves, entry.LeafIndex), append(shipped, i)
		if !seen[entry.Stream] {
			seen[entry.Stream] = true
			streams = append(streams, entry.Stream)
		}
	}
	// The events, their proofs and the checkpoint's proofs are
	// independent reads: made side by side, so a package's build waits for
	// the slowest of them rather than their sum.
	var (
		g      errgroup.Group
		read   map[string][]eventstore.Event
		proofs [][]eventstore.Hash
		cp     Proofs
	)
	g.Go(func() (err error) { read, err = store.ReadStreams(ctx, streams); return err })
	g.Go(func() (err error) { proofs, err = tree.InclusionProofs(ctx, leaves, man.Log.TreeSize); return err })
	g.Go(func() (err error) {
		cp, err = checkpointProofs(ctx, pool, tree, signedEv.ID, man.Log.TreeSize)
		return err
	})
	if err := g.Wait(); err != nil {
		return b, err
	}
	for i, entry := range man.Events {
		id, _ := uuid.Parse(entry.EventID)
		if keep != nil && !keep(entry.EventID) {
			b.Events[i] = Event{EventID: id, Stream: entry.Stream, Version: entry.Version, Type: entry.Type, LeafIndex: entry.LeafIndex, Omitted: true}
			continue
		}
		ev := Event{EventID: id, Stream: entry.Stream, Version: entry.Version, Type: entry.Type, LeafIndex: entry.LeafIndex, Missing: true}
		evs := read[entry.Stream]
		// Versions are dense from 1, unless rows were deleted: then look.
		k := int(entry.Version) - 1
		if k < 0 || k >= len(evs) || evs[k].Version != entry.Version {
			k = slices.IndexFunc(evs, func(e eventstore.Event) bool { return e.Version == entry.Version })
		}
		if k >= 0 {
			ev = fromStore(evs[k])
			ev.LeafIndex = entry.LeafIndex
		}
		b.Events[i] = ev
	}
	for k, i := range shipped {
		b.Events[i].Inclusion = proofs[k]
	}
	if info, err := approvals.VerifyCMS(signed.CMS, content, nil); err == nil {
		for _, c := range info.Certificates {
			b.Certificates = append(b.Certificates, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
		}
	}
	b.Checkpoint = cp
	return b, nil
}

// checkpointProofs ties the manifest's tree (of size treeSize) to the
// latest checkpoint, which must cover the approval event signed.
func checkpointProofs(ctx context.Context, pool *pgxpool.Pool, tree *treelog.Log, signed uuid.UUID, treeSize uint64) (Proofs, error) {
	var p Proofs
	msg, err := checkpoint.LatestNote(ctx, pool)
	if err != nil {
		return p, err
	}
	cp, err := checkpoint.ParseNote(msg)
	if err != nil {
		return p, err
	}
	if p.SignedLeaf, err = tree.LeafIndex(ctx, signed); err != nil {
		return p, err
	}
	if cp.Size <= p.SignedLeaf {
		return p, fmt.Errorf("auditbundle: the latest checkpoint (size %d) does not cover the approval (leaf %d) yet: take one first", cp.Size, p.SignedLeaf)
	}
	p.Note = string(msg)
	var g errgroup.Group
	g.Go(func() (err error) { p.Consistency, err = tree.ConsistencyProof(ctx, treeSize, cp.Size); return err })
	g.Go(func() (err error) {
		p.SignedInclusion, err = tree.InclusionProof(ctx, p.SignedLeaf, cp.Size)
		return err
	})
	return p, g.Wait()
}

// Options are the auditor's own trust anchors.
type Options struct {
	// Key verifies the checkpoint; nil uses the bundle's CheckpointKey
	// (and says so).
	Key note.Verifier
	// Roots, when set, must anchor the signer's certificate.
	Roots *x509.CertPool
	// AllowOmitted accepts listed events a partial bundle left out
	// (ExportPartial), reporting how many; otherwise each is a problem, so
	// a full bundle cannot hide an event by marking it omitted.
	AllowOmitted bool
}

// Report is what Verify proved, and what it found wrong.
type Report struct {
	Proved   []string
	Problems []string
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) ok(format string, args ...any) {
	r.Proved = append(r.Proved, fmt.Sprintf(format, args...))
}
func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Decode reads a bundle file's bytes.
func Decode(b []byte) (Bundle, error) {
	var out Bundle
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("auditbundle: not a bundle: %w", err)
	}
	if out.Format != Format {
		return out, fmt.Errorf("auditbundle: format %q, want %s", out.Format, Format)
	}
	return out, nil
}

// Verify checks a bundle with no database. Every finding names the event
// (stream@version) or the part of the bundle concerned.
func Verify(b Bundle, opts Options) *Report {
	r := &Report{}
	// The approval stream: each event's hash from its bytes, and the chain.
	var (
		signed   *approval.Signed
		signedEv Event
		served   = map[string]approval.ManifestServed{}
		prev     eventstore.Hash
	)
	for i, e := range b.Approval {
		se := e.toStore()
		if se.ComputeHash() != e.Hash {
			r.problem("%s@%d: edited: the stored hash is not the hash of the stored content", e.Stream, e.Version)
		}
		if e.PrevHash != prev || e.Version != uint64(i+1) {
			r.problem("%s@%d: hash_chain: does not follow the previous event", e.Stream, e.Version)
		}
		prev = e.Hash
		de, err := approval.Decode(e.Type, e.Data)
		if err != nil {
			r.problem("%s@%d: undecodable: %v", e.Stream, e.Version, err)
			continue
		}
		switch v := de.(type) {
		case approval.ManifestServed:
			served[v.Digest] = v
		case approval.Signed:
			signed, signedEv = &v, e
		}
	}
	if len(b.Approval) > 0 && len(r.Problems) == 0 {
		r.ok("approval stream %s: %d events, hashes and chain intact", b.Approval[0].Stream, len(b.Approval))
	}
	if signed == nil {
		r.problem("approval: the bundle holds no approval.signed event")
		return r
	}
	ms, ok := served[signed.ManifestDigest]
	if !ok {
		r.problem("approval: the signed manifest %s is not in the approval stream", signed.ManifestDigest)
		return r
	}
	content := b.ManifestOf(ms)
	if content == nil {
		r.problem("manifest: the bundle does not carry the bytes of the signed manifest %s", signed.ManifestDigest)
		return r
	}
	if approvals.Digest(content) != signed.ManifestDigest || (ms.Size != 0 && int64(len(content)) != ms.Size) {
		r.problem("manifest: its bytes do not hash to the signed digest %s", signed.ManifestDigest)
		return r
	}
	man, err := approvals.ParseManifest(content)
	if err != nil {
		r.problem("manifest: %v", err)
		return r
	}
	r.ok("manifest %s: org %s, month %s, level %s, %d events, events root %s, log size %d", signed.ManifestDigest, man.Org, man.Month, man.Level, man.Count, man.EventsRoot, man.Log.TreeSize)

	// The signature.
	info, err := approvals.VerifyCMS(signed.CMS, content, opts.Roots)
	switch {
	case err != nil:
		r.problem("signature: %v", err)
	case approvals.Fingerprint(info.Signer) != signed.SignerFingerprint:
		r.problem("signature: made with certificate %s, the approval names %s", approvals.Fingerprint(info.Signer), signed.SignerFingerprint)
	default:
		anchor := "trust roots not checked (pass --roots)"
		if opts.Roots != nil {
			anchor = "certificate chains to the given trust roots"
		}
		r.ok("signature: detached CMS over the manifest's exact bytes by %q (certificate %s), signed %s; %s",
			info.Signer.Subject.String(), signed.SignerFingerprint, signed.SigningTime.In(domain.VietnamZone).Format("15:04 02/01/2006"), anchor)
	}

	// Each listed event: present, unaltered, in the manifest's tree.
	mroot, err := eventstore.ParseHash(man.Log.Root)
	if err != nil {
		r.problem("manifest: log root: %v", err)
		return r
	}
	byID := map[string]Event{}
	for _, e := range b.Events {
		byID[e.EventID.String()] = e
	}
	intact, omitted := 0, 0
	for _, entry := range man.Events {
		e, ok := byID[entry.EventID]
		switch {
		case ok && e.Omitted && e.Stream == entry.Stream && e.Version == entry.Version && opts.AllowOmitted:
			omitted++
			continue
		case ok && e.Omitted:
			r.problem("%s@%d: omitted: event %s, listed in the manifest, is left out of this bundle", entry.Stream, entry.Version, entry.EventID)
			continue
		case !ok || e.Missing:
			r.problem("%s@%d: deleted: event %s, listed in the manifest, is not in the ledger", entry.Stream, entry.Version, entry.EventID)
			continue
		case e.Stream != entry.Stream || e.Version != entry.Version:
			r.problem("%s@%d: reordered: event %s is stored as %s@%d", entry.Stream, entry.Version, entry.EventID, e.Stream, e.Version)
			continue
		}
		se := e.toStore()
		computed := se.ComputeHash()
		if computed != e.Hash || e.Hash.String() != entry.Hash {
			r.problem("%s@%d: edited: event %s's content no longer hashes to %s, the hash the approver signed", entry.Stream, entry.Version, entry.EventID, entry.Hash)
			continue
		}
		listed, _ := eventstore.ParseHash(entry.Hash)
		leaf := rfc6962.DefaultHasher.HashLeaf(listed[:])
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, entry.LeafIndex, man.Log.TreeSize, leaf, bytesOf(e.Inclusion), mroot[:]); err != nil {
			r.problem("%s@%d: merkle: not at leaf %d of the signed log: %v", entry.Stream, entry.Version, entry.LeafIndex, err)
			continue
		}
		intact++
	}
	switch {
	case omitted > 0 && intact+omitted == len(man.Events):
		r.ok("events: the %d of the %d listed events this bundle ships are present, unaltered, and included in the signed log of size %d (%d left out, not checked)", intact, len(man.Events), man.Log.TreeSize, omitted)
	case intact == len(man.Events):
		r.ok("events: all %d listed events present, unaltered, and included in the signed log of size %d", intact, man.Log.TreeSize)
	}

	// The checkpoint.
	key := opts.Key
	if key == nil {
		if b.CheckpointKey == "" {
			r.problem("checkpoint: no key to check it with (pass --key)")
			return r
		}
		if key, err = note.NewVerifier(b.CheckpointKey); err != nil {
			r.problem("checkpoint: the bundle's key: %v", err)
			return r
		}
		r.ok("checkpoint key taken from the bundle (%s): pin it with --key", key.Name())
	}
	cp, err := checkpoint.Open([]byte(b.Checkpoint.Note), key)
	if err != nil {
		r.problem("checkpoint: %v", err)
		return r
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, man.Log.TreeSize, cp.Size, bytesOf(b.Checkpoint.Consistency), mroot[:], cp.Root[:]); err != nil {
		r.problem("checkpoint: the log of size %d does not extend the manifest's of size %d: %v", cp.Size, man.Log.TreeSize, err)
	} else {
		r.ok("checkpoint %s at size %d, signed by %s, extends the manifest's log (size %d)", cp.Root, cp.Size, key.Name(), man.Log.TreeSize)
	}
	sleaf := rfc6962.DefaultHasher.HashLeaf(signedEv.Hash[:])
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, b.Checkpoint.SignedLeaf, cp.Size, sleaf, bytesOf(b.Checkpoint.SignedInclusion), cp.Root[:]); err != nil {
		r.problem("%s@%d: merkle: the approval event is not in the checkpoint's log: %v", signedEv.Stream, signedEv.Version, err)
	} else {
		r.ok("approval event %s@%d is leaf %d of the checkpoint's log", signedEv.Stream, signedEv.Version, b.Checkpoint.SignedLeaf)
	}
	return r
}

// ManifestOf is the bytes of the served manifest ms as the bundle carries
// them: inline in a v1 event, or the bundle's Manifest for a v2 one (nil
// when it carries none). They are not checked here: Verify compares them
// with the signed digest.
func (b Bundle) ManifestOf(ms approval.ManifestServed) []byte {
	if ms.Inline() {
		return ms.Manifest
	}
	return b.Manifest
}

func bytesOf(hs []eventstore.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
