package approvals

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/canonjson"
	"github.com/hoso-ledger/hoso/ledger"
)

// ManifestFormat names the manifest's shape; a change of shape is a new format.
const ManifestFormat = "hoso-approval-manifest/v1"

// Entry flags.
const (
	FlagCarriedOver      = "carried_over"      // recorded in an earlier month after its approval
	FlagCorrectsApproved = "corrects_approved" // corrects an event an approval covered
)

// Manifest is what an approver signs, in RFC 8785 canonical form.
type Manifest struct {
	Format string `json:"format"`
	Org    string `json:"org_id"`
	Month  string `json:"month"`
	Level  string `json:"level"`
	// RecordedFrom and RecordedUntil bound the recorded_at of the entries
	// (carried-over entries from the previous month included).
	RecordedFrom  string   `json:"recorded_from"`
	RecordedUntil string   `json:"recorded_until"`
	Log           LogState `json:"log"`
	EventsRoot    string   `json:"events_root"`
	Count         int      `json:"count"`
	Events        []Entry  `json:"events"`
	// Supplement is n of a supplementary department approval, and
	// Supplements the manifest digest of the sealed approval it follows
	// (the department approval, or supplement n−1); both absent otherwise,
	// so the original manifests keep their bytes.
	Supplement  int    `json:"supplement,omitempty"`
	Supplements string `json:"supplements,omitempty"`
	// Changes is the readable view of a unit manifest's entries, per
	// dossier (issue 15): who changed what, on which decision. Added
	// inside format v1 as an optional member; manifests served before it
	// lack it and keep their bytes.
	Changes []DossierChanges `json:"changes,omitempty"`
}

// LogState is the global Merkle log when the manifest was built.
type LogState struct {
	TreeSize uint64 `json:"tree_size"`
	Root     string `json:"root"`
}

// Entry is one event the approval covers.
type Entry struct {
	EventID    string   `json:"event_id"`
	Stream     string   `json:"stream_id"`
	Version    uint64   `json:"stream_version"`
	LeafIndex  uint64   `json:"leaf_index"`
	Type       string   `json:"type"`
	Hash       string   `json:"hash"`
	RecordedAt string   `json:"recorded_at"`
	Flags      []string `json:"flags,omitempty"`
}

// Canonical returns the RFC 8785 bytes and their SHA-256 in hex.
func (m Manifest) Canonical() ([]byte, string, error) {
	if m.Events == nil {
		m.Events = []Entry{}
	}
	// internal/canonjson writes jcs's bytes (its tests hold it to them)
	// in a fraction of the time a 6 MB month-end manifest took in jcs.
	b, err := canonjson.Marshal(m)
	if err != nil {
		return nil, "", fmt.Errorf("approvals: encoding manifest: %w", err)
	}
	return b, Digest(b), nil
}

// Digest is the lower-case hex SHA-256 of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ParseManifest decodes manifest bytes and checks their events_root and
// count against the entries. Errors wrap domain.ErrInvalid.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, domain.Invalid("manifest", "json", err.Error())
	}
	if m.Format != ManifestFormat {
		return m, domain.Invalid("manifest/format", "unknown", m.Format)
	}
	root, err := EventsRoot(m.Events)
	if err != nil {
		return m, err
	}
	if root != m.EventsRoot || m.Count != len(m.Events) {
		return m, domain.Invalid("manifest/events_root", "mismatch", "the root or count does not match the listed events")
	}
	return m, nil
}

// EventsRoot is the RFC 6962 root over the entries' leaf hashes, in order.
func EventsRoot(entries []Entry) (string, error) {
	tree := treelog.NewTree()
	for i, e := range entries {
		h, err := eventstore.ParseHash(e.Hash)
		if err != nil {
			return "", domain.Invalid(fmt.Sprintf("manifest/events/%d/hash", i), "format", e.Hash)
		}
		if err := tree.Append(rfc6962.DefaultHasher.HashLeaf(h[:]), nil); err != nil {
			return "", fmt.Errorf("approvals: %w", err)
		}
	}
	if len(entries) == 0 {
		return treelog.EmptyRoot().String(), nil
	}
	root, err := tree.GetRootHash(nil)
	if err != nil {
		return "", fmt.Errorf("approvals: %w", err)
	}
	return hex.EncodeToString(root), nil
}

// sameEntries reports whether two manifests cover the same events the same way.
func sameEntries(a, b Manifest) bool {
	return a.Level == b.Level && a.Supplement == b.Supplement && a.Supplements == b.Supplements &&
		a.EventsRoot == b.EventsRoot && a.Count == b.Count &&
		slices.EqualFunc(a.Events, b.Events, func(x, y Entry) bool {
			return x.EventID == y.EventID && slices.Equal(x.Flags, y.Flags)
		})
}

// builder reads what a manifest needs from the ledger.
type builder struct {
	pool   *pgxpool.Pool
	ledger ledger.Ledger
	tree   *treelog.Log
	// storeOnly: read events through the store interface and the Merkle
	// log's leaves, never the PostgreSQL events table (Config.StoreOnly).
	storeOnly bool
	manifests Manifests
}

type candidate struct {
	Entry
	id       uuid.UUID
	recorded time.Time
	data     []byte
}

// candidates are the events of streams matching like, recorded in
// [from, until), among the first size leaves, in log order.
func (b builder) candidates(ctx context.Context, like string, from, until time.Time, size uint64, withData bool) ([]candidate, error) {
	if b.storeOnly {
		return b.candidatesFromStore(ctx, like, from, until, size)
	}
	dataCol := "NULL::bytea"
	if withData {
		dataCol = "e.data"
	}
	rows, err := b.pool.Query(ctx, `
		SELECT l.leaf_index, e.event_id, e.stream_id, e.stream_version, e.type, e.hash, e.recorded_at, `+dataCol+`
		  FROM merkle_leaves l JOIN events e ON e.event_id = l.event_id
		 WHERE l.leaf_index < $1 AND e.stream_id LIKE $2 AND e.recorded_at >= $3 AND e.recorded_at < $4
		 ORDER BY l.leaf_index`, int64(size), like, from, until)
	if err != nil {
		return nil, fmt.Errorf("approvals: reading the month's events: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var (
			c        candidate
			idx, ver int64
			hash     []byte
		)
		if err := rows.Scan(&idx, &c.id, &c.Stream, &ver, &c.Type, &hash, &c.recorded, &c.data); err != nil {
			return nil, fmt.Errorf("approvals: reading the month's events: %w", err)
		}
		c.LeafIndex, c.Version = uint64(idx), uint64(ver)
		c.EventID = c.id.String()
		c.Hash = hex.EncodeToString(hash)
		c.RecordedAt = c.recorded.UTC().Format(time.RFC3339Nano)
		out = append(out, c)
	}
	return out, rows.Err()
}

// candidatesFromStore is candidates on any event store: the Merkle log's
// leaves (kept in PostgreSQL whatever the store) name the events of the
// matching streams among the first size leaves, and each stream is read
// once through the store for the events' type, hash, time and data. It
// reads every matching stream whole, whatever the month: correct on
// EventStoreDB, but it grows with the ledger, where the events-table path
// reads only the month (a read model indexed by recorded time would make
// it as cheap; not built yet).
func (b builder) candidatesFromStore(ctx context.Context, like string, from, until time.Time, size uint64) ([]candidate, error) {
	rows, err := b.pool.Query(ctx, `
		SELECT leaf_index, event_id, stream_id FROM merkle_leaves
		 WHERE leaf_index < $1 AND stream_id LIKE $2 ORDER BY leaf_index`, int64(size), like)
	if err != nil {
		return nil, fmt.Errorf("approvals: reading the log's leaves: %w", err)
	}
	type leaf struct {
		index  int64
		id     uuid.UUID
		stream string
	}
	var leaves []leaf
	for rows.Next() {
		var l leaf
		if err := rows.Scan(&l.index, &l.id, &l.stream); err != nil {
			rows.Close()
			return nil, fmt.Errorf("approvals: reading the log's leaves: %w", err)
		}
		leaves = append(leaves, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("approvals: reading the log's leaves: %w", err)
	}
	var streams []string
	seen := map[string]bool{}
	for _, l := range leaves {
		if !seen[l.stream] {
			seen[l.stream] = true
			streams = append(streams, l.stream)
		}
	}
	read, err := b.ledger.Store.ReadStreams(ctx, streams)
	if err != nil {
		return nil, fmt.Errorf("approvals: reading %d streams: %w", len(streams), err)
	}
	events := map[uuid.UUID]eventstore.Event{}
	for _, evs := range read {
		for _, e := range evs {
			events[e.ID] = e
		}
	}
	var out []candidate
	for _, l := range leaves {
		e, ok := events[l.id]
		if !ok {
			return nil, fmt.Errorf("approvals: leaf %d names event %s, which %s does not hold", l.index, l.id, l.stream)
		}
		at := e.Meta.RecordedAt
		if at.Before(from) || !at.Before(until) {
			continue
		}
		c := candidate{id: e.ID, recorded: at, data: e.Data}
		c.LeafIndex, c.Version = uint64(l.index), e.Version
		c.EventID, c.Stream, c.Type = e.ID.String(), e.StreamID, e.Type
		c.Hash = hex.EncodeToString(e.Hash[:])
		c.RecordedAt = at.UTC().Format(time.RFC3339Nano)
		out = append(out, c)
	}
	return out, nil
}

// loadApproval replays org's approval of month at level (empty when
// nothing happened).
func loadApproval(ctx context.Context, l ledger.Ledger, org domain.OrgID, m approval.Month, level approval.Level) (*approval.Approval, ledger.History, error) {
	return loadAt(ctx, l, org, m, level, 0)
}

// loadAt is loadApproval of the nth supplementary department approval
// (n = 0: the approval itself).
func loadAt(ctx context.Context, l ledger.Ledger, org domain.OrgID, m approval.Month, level approval.Level, n int) (*approval.Approval, ledger.History, error) {
	if n == 0 {
		h, err := l.Load(ctx, approval.StreamID(org, m, level), approval.Decode)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, h, err
		}
		a, err := approval.Replay(org, m, level, h.Events)
		return a, h, err
	}
	h, err := l.Load(ctx, approval.SupplementStreamID(org, m, n), approval.Decode)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, h, err
	}
	a, err := approval.ReplaySupplement(org, m, n, h.Events)
	return a, h, err
}

// covered is the set of event ids the signed manifest of a covers.
func covered(ctx context.Context, mf Manifests, a *approval.Approval) (map[string]bool, error) {
	s, ok := a.Signature()
	if !ok {
		return nil, nil
	}
	served, ok := a.ServedDigest(s.ManifestDigest)
	if !ok {
		return nil, fmt.Errorf("approvals: %s: signed manifest %s not served", a.StreamID(), s.ManifestDigest)
	}
	b, err := mf.Bytes(ctx, served)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(m.Events))
	for _, e := range m.Events {
		out[e.EventID] = true
	}
	return out, nil
}

// build makes org's manifest of month at level from the first size leaves;
// a department manifest covers the units of province (its people's
// committee).
func (b builder) build(ctx context.Context, org domain.OrgID, month approval.Month, level approval.Level, province domain.OrgID, sup supplement, size uint64) (Manifest, error) {
	root, err := b.tree.Root(ctx, size)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{
		Format: ManifestFormat, Org: org.String(), Month: month.String(), Level: string(level),
		Log:        LogState{TreeSize: size, Root: root.String()},
		Supplement: sup.n, Supplements: sup.follows,
	}
	from, until := month.Start(), month.Next().Start()
	var entries []Entry
	if level == approval.LevelDepartment {
		entries, err = b.departmentEntries(ctx, province, month, sup.covered, size)
	} else {
		entries, from, m.Changes, err = b.unitEntries(ctx, org, month, size)
	}
	if err != nil {
		return Manifest{}, err
	}
	m.RecordedFrom, m.RecordedUntil = from.Format(time.RFC3339), until.Format(time.RFC3339)
	m.Events = entries
	if m.Events == nil {
		m.Events = []Entry{}
	}
	m.Count = len(m.Events)
	if m.EventsRoot, err = EventsRoot(m.Events); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func (b builder) unitEntries(ctx context.Context, org domain.OrgID, month approval.Month, size uint64) (_ []Entry, _ time.Time, _ []DossierChanges, err error) {
	from := month.Start()
	prev, _, err := loadApproval(ctx, b.ledger, org, month.Prev(), approval.LevelUnit)
	if err != nil {
		return nil, from, nil, err
	}
	prevCovered, err := covered(ctx, b.manifests, prev)
	if err != nil {
		return nil, from, nil, err
	}
	if prev.Sealed() {
		from = month.Prev().Start()
	}
	cands, err := b.candidates(ctx, "dossier-%", from, month.Next().Start(), size, true)
	if err != nil {
		return nil, from, nil, err
	}
	// Management is decided per dossier by replaying its stream up to each
	// event, so one stream is read once however many events it has here.
	histories, err := b.loadStreams(ctx, cands)
	if err != nil {
		return nil, from, nil, err
	}
	approvals := map[approval.Month]map[string]bool{month.Prev(): prevCovered}
	var (
		out     []Entry
		changes changeGroups
	)
	for _, c := range cands {
		if c.recorded.Before(month.Start()) {
			if prevCovered[c.EventID] {
				continue
			}
			c.Flags = append(c.Flags, FlagCarriedOver)
		}
		h := histories[c.Stream]
		mine, err := managedAround(h, c.Version, org)
		if err != nil {
			return nil, from, nil, err
		}
		if !mine {
			continue
		}
		if c.Type == dossier.TypeCorrected {
			if flag, err := b.correctsApproved(ctx, org, c, h, approvals); err != nil {
				return nil, from, nil, err
			} else if flag {
				c.Flags = append(c.Flags, FlagCorrectsApproved)
			}
		}
		out = append(out, c.Entry)
		changes.add(c.Stream, changeOf(h[c.Version-1], c.Type))
	}
	return out, from, changes.list(), nil
}

// loadStreams reads every dossier stream the candidates are in, each
// once, in one multi-stream read (eventstore.Store.ReadStreams: a few
// queries for a month-end manifest's thousands of dossiers on PostgreSQL,
// instead of one round trip each).
func (b builder) loadStreams(ctx context.Context, cands []candidate) (map[string][]domain.Recorded, error) {
	var streams []string
	seen := map[string]bool{}
	for _, c := range cands {
		if !seen[c.Stream] {
			seen[c.Stream] = true
			streams = append(streams, c.Stream)
		}
	}
	hs, err := b.ledger.LoadMany(ctx, streams, dossier.Decode)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]domain.Recorded, len(hs))
	for st, h := range hs {
		out[st] = h.Events
	}
	return out, nil
}

// managedAround reports whether org managed the dossier just before or just
// after its event at version v.
func managedAround(h []domain.Recorded, v uint64, org domain.OrgID) (bool, error) {
	if v == 0 || int(v) > len(h) {
		return false, fmt.Errorf("approvals: version %d of a %d-event stream", v, len(h))
	}
	for _, n := range []uint64{v - 1, v} {
		if n == 0 {
			continue
		}
		d, err := dossier.Replay(h[:n])
		if err != nil {
			return false, fmt.Errorf("approvals: replaying a dossier: %w", err)
		}
		if o, ok := d.ManagingOrg(); ok && o == org {
			return true, nil
		}
	}
	return false, nil
}

// correctsApproved reports whether the correction c targets an event that a
// signed approval of org covers (the month the target was recorded in, or
// the next, where it may have been carried over).
func (b builder) correctsApproved(ctx context.Context, org domain.OrgID, c candidate, h []domain.Recorded, cache map[approval.Month]map[string]bool) (bool, error) {
	var corr dossier.Corrected
	if err := json.Unmarshal(c.data, &corr); err != nil {
		return false, nil
	}
	var target *domain.Recorded
	for i := range h {
		if h[i].ID == corr.Corrects {
			target = &h[i]
		}
	}
	if target == nil {
		return false, nil
	}
	tm := approval.MonthOf(target.Meta.RecordedAt)
	for _, m := range []approval.Month{tm, tm.Next()} {
		set, ok := cache[m]
		if !ok {
			a, _, err := loadApproval(ctx, b.ledger, org, m, approval.LevelUnit)
			if err != nil {
				return false, err
			}
			if set, err = covered(ctx, b.manifests, a); err != nil {
				return false, err
			}
			cache[m] = set
		}
		if set[corr.Corrects.String()] {
			return true, nil
		}
	}
	return false, nil
}

// departmentEntries are the unit approvals of month by the orgs of
// province: those under its people's committee on the month's last day.
// Another province's approvals are its own Department of Home Affairs'.
// A supplement leaves out those already covered.
func (b builder) departmentEntries(ctx context.Context, province domain.OrgID, month approval.Month, covered map[string]bool, size uint64) ([]Entry, error) {
	// Approvals of M are signed from the end of M into the next month or
	// later, so every recorded time counts.
	cands, err := b.candidates(ctx, "approval-%-"+month.String(), time.Unix(0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), size, true)
	if err != nil {
		return nil, err
	}
	lastDay := domain.DateOf(month.Next().Start().Add(-time.Second))
	inProvince := map[domain.OrgID]bool{}
	var out []Entry
	for _, c := range cands {
		// The pattern also matches no department stream (they end in
		// "-department"); an org's own unit approval counts like any other.
		if c.Type != approval.TypeSigned || covered[c.EventID] {
			continue
		}
		e, err := approval.Decode(c.Type, c.data)
		if err != nil {
			return nil, err
		}
		s := e.(approval.Signed)
		if s.Level != approval.LevelUnit || s.Month != month {
			continue
		}
		in, ok := inProvince[s.Org]
		if !ok {
			if in, err = b.under(ctx, s.Org, province, lastDay); err != nil {
				return nil, err
			}
			inProvince[s.Org] = in
		}
		if in {
			out = append(out, c.Entry)
		}
	}
	return out, nil
}

// under reports whether o was province or below it on day, by the org
// streams' parent histories.
func (b builder) under(ctx context.Context, o, province domain.OrgID, day domain.Date) (bool, error) {
	var seen []domain.OrgID
	for cur := o; !cur.IsZero() && len(seen) < 64 && !slices.Contains(seen, cur); {
		if cur == province {
			return true, nil
		}
		seen = append(seen, cur)
		og, err := app.LoadOrg(ctx, b.ledger, cur)
		if errors.Is(err, domain.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		cur, _ = og.ParentOn(day)
	}
	return false, nil
}

// CorrectsApproved reports whether the event target — recorded at
// recordedAt in a dossier that org managed then — was covered by org's
// sealed unit approval: of the month it was recorded in, or of the next
// (where late events are carried over). A correction of such an event
// changes data an approver signed; the audit trail flags it. It reads the
// ledger and the served manifests' bytes (mf), so it works on every event
// store. It is CoveringApproval with no bound on when the approval was
// signed.
func CorrectsApproved(ctx context.Context, l ledger.Ledger, mf Manifests, org domain.OrgID, target uuid.UUID, recordedAt time.Time) (bool, error) {
	_, ok, err := CoveringApproval(ctx, l, mf, org, target, recordedAt, time.Time{})
	return ok, err
}

// Covering is the signed unit approval that covered an event: what an
// inspector needs to see who signed off the data a correction changes.
type Covering struct {
	Org      domain.OrgID
	Month    approval.Month
	Level    approval.Level
	StreamID string
	// SignedEvent is the approval.signed event, recorded at SignedAt.
	SignedEvent uuid.UUID
	SignedAt    time.Time
	// The signer, as the signature names them, and what was signed.
	SignerAccount     domain.AccountID
	SignerSubject     string
	SigningTime       time.Time
	ManifestDigest    string
	SignerFingerprint string
}

// CoveringApproval returns org's sealed unit approval whose signed
// manifest covers the event target (recorded at recordedAt in a dossier
// org managed then): of the month target was recorded in, or of the next
// (carried over). With before set, only an approval signed (recorded in
// the ledger) before it counts: a correction recorded before the month
// was signed was signed off together with what it corrects, and changes
// nothing an approver had already signed. ok is false when none covers it.
func CoveringApproval(ctx context.Context, l ledger.Ledger, mf Manifests, org domain.OrgID, target uuid.UUID, recordedAt, before time.Time) (Covering, bool, error) {
	tm := approval.MonthOf(recordedAt)
	for _, m := range []approval.Month{tm, tm.Next()} {
		a, h, err := loadApproval(ctx, l, org, m, approval.LevelUnit)
		if err != nil {
			return Covering{}, false, err
		}
		sig, ok := a.Signature()
		if !ok {
			continue
		}
		var signed domain.Recorded
		for _, r := range h.Events {
			if _, ok := r.Event.(approval.Signed); ok {
				signed = r
			}
		}
		if !before.IsZero() && !signed.Meta.RecordedAt.Before(before) {
			continue
		}
		set, err := covered(ctx, mf, a)
		if err != nil {
			return Covering{}, false, err
		}
		if set[target.String()] {
			return Covering{Org: org, Month: m, Level: approval.LevelUnit, StreamID: a.StreamID(),
				SignedEvent: signed.ID, SignedAt: signed.Meta.RecordedAt.UTC(), SignerAccount: sig.SignerAccount,
				SignerSubject: sig.SignerSubject, SigningTime: sig.SigningTime, ManifestDigest: sig.ManifestDigest,
				SignerFingerprint: sig.SignerFingerprint}, true, nil
		}
	}
	return Covering{}, false, nil
}
