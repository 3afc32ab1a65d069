package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
)

// View names: readers query these; the physical tables carry the
// generation suffix.
const (
	// EntriesView holds one row per event of the log.
	EntriesView = "audit_entries"
	// DossiersView is the projection's working snapshot: one row per dossier
	// with its current document. It is not an API: Query and ByDossier do not
	// read it, and its shape may change with the projection's Version.
	DossiersView = "audit_dossiers"
)

// Name is the projection's stable name (its checkpoint key).
const Name = "audit"

// Projection is the audit trail. It implements projections.Projection and
// projections.BatchApplier. The zero value is not usable; call New.
type Projection struct {
	workers int

	// cache keeps current documents between batches, so a rebuild neither
	// reads nor decodes a document it folded a moment ago. An entry is used
	// only when its version is the dossier's last version in the trail as
	// this transaction sees it, so a batch that was rolled back (or another
	// process's work) can never leak into the fold. It is cleared when full.
	mu    sync.Mutex
	cache map[cacheKey]cached
	limit int
	// every is how far the snapshot table may lag the trail, in events.
	every uint64
	// pv seals the diffs, payloads and snapshots of dossier entries.
	pv seal.Privacy
}

// Purposes of the trail's sealed blobs (seal.Keyring.Seal).
const (
	DiffPurpose     = "audit.diff"
	DataPurpose     = "audit.data"
	SnapshotPurpose = "audit.snapshot"
)

// WithPrivacy makes the trail seal what it stores of dossiers (diffs,
// payloads, snapshots) under each dossier's data key; readers must use
// the same Privacy (QueryWith, ByDossierWith).
func (p *Projection) WithPrivacy(pv seal.Privacy) *Projection {
	p.pv = pv
	return p
}

type cacheKey struct {
	gen int
	id  uuid.UUID
}

type cached struct {
	version uint64
	doc     dossier.Document
}

// cacheLimit bounds the cache: about 10 KB per document.
const cacheLimit = 20_000

// snapshotEvery is how many events a dossier's snapshot row may lag its
// trail. Rewriting the document on every event was two thirds of a
// rebuild's time; a lagging row is caught up from the trail's payloads (at
// most this many steps, and only when the cache missed).
const snapshotEvery = 16

// New returns the audit projection. Folding dossier events is CPU work that
// runs on up to GOMAXPROCS goroutines per batch, one dossier per goroutine at
// a time; database work stays on the runner's transaction.
func New() *Projection {
	return &Projection{workers: max(1, runtime.GOMAXPROCS(0)), cache: map[cacheKey]cached{}, limit: cacheLimit, every: snapshotEvery}
}

// fromCache fills in the documents the cache holds at the trail's version.
func (p *Projection) fromCache(gen int, states map[uuid.UUID]*loadedState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, st := range states {
		if c, ok := p.cache[cacheKey{gen, id}]; ok && st.trail > 0 && c.version == st.trail {
			st.doc, st.version = c.doc, c.version
		}
	}
}

// remember caches the snapshots a batch wrote. Documents are never
// modified in place (each fold returns a new one), so sharing them is safe.
func (p *Projection) remember(gen int, states map[uuid.UUID]*loadedState) {
	if p.limit <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.cache)+len(states) > p.limit {
		clear(p.cache)
	}
	for id, st := range states {
		if st.dirty {
			p.cache[cacheKey{gen, id}] = cached{st.version, st.doc}
		}
	}
}

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection. Bump it when the tables or what
// Apply writes change: the runner then rebuilds the trail aside. 2: the
// payloads, diffs and snapshots are json, not jsonb: nothing queries
// inside them but one ->> lookup, and parsing them into jsonb was most of
// the server's work in a rebuild; the payload is now stored byte for byte
// as the ledger holds it. 3: imported_from (go-live, issue 14), the
// source of imported history. 4: the diffs, payloads and snapshots of
// dossiers are sealed bytea (docs/privacy.md).
func (*Projection) Version() int { return 4 }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{EntriesView, DossiersView} }

// Setup implements projections.Projection. Large json values are
// compressed with lz4, several times cheaper than the default pglz for the
// documents a rebuild rewrites on every event; the snapshot table leaves
// room in its pages so those rewrites can stay HOT updates.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	e, d := t.Name(EntriesView), t.Name(DossiersView)
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    event_id           uuid        PRIMARY KEY,
    stream_id          text        NOT NULL,
    version            bigint      NOT NULL,
    position           text        COLLATE "C" NOT NULL, -- eventstore.Position.String(): byte order is log order
    type               text        NOT NULL,
    actor_account      uuid,
    actor_name         text,
    acting_org         uuid,
    on_behalf_of       uuid,
    recorded_at        timestamptz NOT NULL,
    effective_date     date,
    source_kind        text,
    source_number      text,
    source_date        date,
    source_issuer      text,
    source_sha256      text,
    reason             text,
    request_id         text,
    correlation_id     text,
    causation_id       text,
    imported_from      text,       -- the import source of imported history; NULL for live facts
    dossier_id         uuid,       -- dossier events only
    managing_org       uuid,       -- dossier events: the org managing the dossier when the event was recorded
    managing_org_after uuid,       -- set when the event moved management to another org
    orgs               uuid[]      NOT NULL, -- the orgs the entry concerns (Filter.Orgs)
    is_correction      boolean     NOT NULL,
    corrects           uuid,
    diff               bytea COMPRESSION lz4, -- dossier events: [{path, before, after}], sealed; NULL otherwise
    data               bytea COMPRESSION lz4 NOT NULL, -- the payload (JSON); a dossier's opened and sealed as a whole (docs/privacy.md)
    hash               bytea       NOT NULL
);
CREATE UNIQUE INDEX %[3]s ON %[1]s (dossier_id, version) WHERE dossier_id IS NOT NULL;
CREATE TABLE %[2]s (
    dossier_id  uuid   PRIMARY KEY,
    version     bigint NOT NULL,
    doc         bytea  COMPRESSION lz4 NOT NULL -- sealed
) WITH (fillfactor = 70);`, e, d, t.Name("audit_entries_dossier")))
	return err
}

// QueryIndexes implements projections.QueryIndexer: the indexes of the
// trail's queries. The apply itself needs only the primary key (events
// already seen) and (dossier_id, version) (snapshots and histories), which
// Setup creates; maintaining these six through a rebuild, the GIN index on
// orgs above all, was most of its cost.
func (*Projection) QueryIndexes(t projections.Tables) []string {
	e := t.Name(EntriesView)
	return []string{
		fmt.Sprintf(`CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (position)`, t.Name("audit_entries_position"), e),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (actor_account, position)`, t.Name("audit_entries_actor"), e),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin (orgs)`, t.Name("audit_entries_orgs"), e),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (type, position)`, t.Name("audit_entries_type"), e),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING brin (recorded_at)`, t.Name("audit_entries_recorded"), e),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING brin (effective_date)`, t.Name("audit_entries_effective"), e),
	}
}

// Apply implements projections.Projection: ApplyBatch with one event.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	err := p.ApplyBatch(ctx, tx, t, []eventstore.Event{ev})
	if ee, ok := errors.AsType[*projections.EventError](err); ok {
		return ee.Err
	}
	return err
}

// pending is one event of a batch on its way to a row.
type pending struct {
	index int // in the batch
	ev    eventstore.Event
	rec   domain.Recorded // decoded dossier event (Event nil when unknown)
	known bool

	dossier       uuid.UUID
	managing      *uuid.UUID
	managingAfter *uuid.UUID
	orgs          []uuid.UUID
	corrects      *uuid.UUID
	diff          []byte
}

// ApplyBatch implements projections.BatchApplier. It writes one entry per
// event not yet in the trail (idempotent by event id), folding dossier events
// into the snapshot table to compute their diffs, in four round trips per
// batch: seen ids, snapshots, (rarely) histories, then COPY and one upsert.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	entries, snaps := t.Name(EntriesView), t.Name(DossiersView)
	fresh, err := unseen(ctx, tx, entries, events)
	if err != nil {
		return err
	}
	if len(fresh) == 0 {
		return nil
	}
	// Group dossier events by dossier, keeping stream order.
	byDossier := map[uuid.UUID][]*pending{}
	var order []uuid.UUID
	for _, pe := range fresh {
		id, ok := streamUUID(pe.ev.StreamID, "dossier-")
		if !ok {
			pe.orgs = otherOrgs(pe.ev)
			continue
		}
		pe.dossier = id
		if _, seen := byDossier[id]; !seen {
			order = append(order, id)
		}
		byDossier[id] = append(byDossier[id], pe)
	}
	states, err := p.loadStates(ctx, tx, t.Generation(), entries, snaps, order)
	if err != nil {
		return err
	}
	// Decode payloads and snapshots (CPU work, in parallel).
	if err := p.parallel(order, func(id uuid.UUID) error {
		st := states[id]
		if st.raw != nil {
			doc, err := p.pv.Open(ctx, domain.DossierID(id).StreamID(), SnapshotPurpose, st.raw)
			if err != nil {
				return &projections.EventError{Index: byDossier[id][0].index, Err: fmt.Errorf("audit: dossier %s: stored snapshot: %w", id, err)}
			}
			if err := json.Unmarshal(doc, &st.doc); err != nil {
				return &projections.EventError{Index: byDossier[id][0].index, Err: fmt.Errorf("audit: dossier %s: stored snapshot: %w", id, err)}
			}
			st.raw = nil
		}
		for _, pe := range byDossier[id] {
			if err := decodeDossierEvent(ctx, pe); err != nil {
				return &projections.EventError{Index: pe.index, Err: err}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	// Histories, for the dossiers whose snapshot lags the trail or whose
	// batch holds a correction.
	var need []uuid.UUID
	for _, id := range order {
		st := states[id]
		if st.trail == 0 {
			continue // created in this batch (or its first event will fail)
		}
		if st.version < st.trail ||
			slices.ContainsFunc(byDossier[id], func(pe *pending) bool { return pe.ev.Type == dossier.TypeCorrected }) {
			need = append(need, id)
		}
	}
	if err := p.loadHistories(ctx, tx, entries, need, states); err != nil {
		return err
	}
	if err := p.parallel(order, func(id uuid.UUID) error {
		return foldDossier(states[id], byDossier[id])
	}); err != nil {
		return err
	}
	if err := p.writeEntries(ctx, tx, entries, fresh); err != nil {
		return err
	}
	if err := p.writeStates(ctx, tx, snaps, order, states, p.every); err != nil {
		return err
	}
	p.remember(t.Generation(), states)
	return nil
}

// parallel runs f for every id on up to p.workers goroutines and returns
// the error with the smallest event index (so the runner names the first
// bad event of the batch).
func (p *Projection) parallel(ids []uuid.UUID, f func(uuid.UUID) error) error {
	if len(ids) == 0 {
		return nil
	}
	work := make(chan uuid.UUID)
	var mu sync.Mutex
	var first error
	firstIndex := -1
	var wg sync.WaitGroup
	for range min(p.workers, len(ids)) {
		wg.Go(func() {
			for id := range work {
				if err := f(id); err != nil {
					idx := 1 << 62
					if ee, ok := errors.AsType[*projections.EventError](err); ok {
						idx = ee.Index
					}
					mu.Lock()
					if first == nil || idx < firstIndex {
						first, firstIndex = err, idx
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return first
}

// unseen returns the events of the batch whose ids are not in the trail yet,
// each once.
func unseen(ctx context.Context, tx pgx.Tx, table string, events []eventstore.Event) ([]*pending, error) {
	ids := make([][16]byte, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	rows, err := tx.Query(ctx, `SELECT event_id FROM `+table+` WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("audit: reading seen events: %w", err)
	}
	seen, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("audit: reading seen events: %w", err)
	}
	skip := make(map[uuid.UUID]bool, len(seen)+len(events))
	for _, id := range seen {
		skip[id] = true
	}
	out := make([]*pending, 0, len(events))
	for i, ev := range events {
		if skip[ev.ID] {
			continue
		}
		skip[ev.ID] = true
		out = append(out, &pending{index: i, ev: ev})
	}
	return out, nil
}

type loadedState struct {
	dossierState
	raw []byte
	// snapVersion is the version of the row in the snapshot table (0: none);
	// trail is the dossier's last version in the trail (0: none).
	snapVersion, trail uint64
}

// loadStates reads, for each dossier, the versions of its snapshot row and
// of its last entry in the trail, and then the snapshot documents that the
// cache cannot supply at the trail's version.
func (p *Projection) loadStates(ctx context.Context, tx pgx.Tx, gen int, entries, snaps string, ids []uuid.UUID) (map[uuid.UUID]*loadedState, error) {
	out := make(map[uuid.UUID]*loadedState, len(ids))
	for _, id := range ids {
		out[id] = &loadedState{dossierState: dossierState{id: domain.DossierID(id)}}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `
SELECT d.id, coalesce(s.version, 0), coalesce((SELECT max(e.version) FROM `+entries+` e WHERE e.dossier_id = d.id), 0)
  FROM unnest($1::uuid[]) d(id) LEFT JOIN `+snaps+` s ON s.dossier_id = d.id`, raw(ids))
	if err != nil {
		return nil, fmt.Errorf("audit: reading snapshot versions: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var snap, trail int64
		if err := rows.Scan(&id, &snap, &trail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("audit: reading snapshot versions: %w", err)
		}
		st := out[id]
		st.snapVersion, st.trail = uint64(snap), uint64(trail)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: reading snapshot versions: %w", err)
	}
	p.fromCache(gen, out)
	var misses []uuid.UUID
	for _, id := range ids {
		if st := out[id]; st.version == 0 && st.snapVersion > 0 {
			misses = append(misses, id)
		}
	}
	if len(misses) == 0 {
		return out, nil
	}
	rows, err = tx.Query(ctx, `SELECT dossier_id, doc FROM `+snaps+` WHERE dossier_id = ANY($1)`, raw(misses))
	if err != nil {
		return nil, fmt.Errorf("audit: reading snapshots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("audit: reading snapshots: %w", err)
		}
		st := out[id]
		st.version, st.raw = st.snapVersion, doc
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: reading snapshots: %w", err)
	}
	return out, nil
}

// loadHistories reads the recorded history of the dossiers from the trail
// itself, which keeps every payload.
func (p *Projection) loadHistories(ctx context.Context, tx pgx.Tx, table string, ids []uuid.UUID, states map[uuid.UUID]*loadedState) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT dossier_id, event_id, version, type, data FROM `+table+
		` WHERE dossier_id = ANY($1) ORDER BY dossier_id, version`, raw(ids))
	if err != nil {
		return fmt.Errorf("audit: reading histories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var did, eid uuid.UUID
		var version int64
		var typ string
		var data []byte
		if err := rows.Scan(&did, &eid, &version, &typ, &data); err != nil {
			return fmt.Errorf("audit: reading histories: %w", err)
		}
		data, err := p.pv.Open(ctx, domain.DossierID(did).StreamID(), DataPurpose, data)
		if err != nil {
			return fmt.Errorf("audit: history of dossier %s: %w", did, err)
		}
		e, err := dossier.Decode(typ, data)
		if err != nil {
			if !slices.Contains(dossier.EventTypes(), typ) {
				continue // a type this release does not know did not change the document it knows
			}
			return fmt.Errorf("audit: history of dossier %s: %w", did, err)
		}
		st := states[did]
		st.history = append(st.history, domain.Recorded{ID: eid, Version: uint64(version), Event: e})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: reading histories: %w", err)
	}
	for _, id := range ids {
		states[id].haveHistory = true
	}
	return nil
}

// decodeDossierEvent decodes pe's payload. A type this release does not know
// is recorded without a diff (known stays false); a known type that does not
// decode is an error: the trail must not silently lose a change.
func decodeDossierEvent(ctx context.Context, pe *pending) error {
	e, err := projections.Decode(ctx, pe.ev, dossier.Decode)
	if err != nil {
		if !slices.Contains(dossier.EventTypes(), pe.ev.Type) {
			return nil
		}
		return fmt.Errorf("audit: %w", err)
	}
	pe.rec = domain.Recorded{ID: pe.ev.ID, Version: pe.ev.Version, Event: e, Meta: ledger.DomainMeta(pe.ev.Meta)}
	pe.known = true
	return nil
}

// foldDossier folds the batch's events of one dossier, in stream order, and
// fills in their dossier columns.
func foldDossier(st *loadedState, events []*pending) error {
	if err := st.catchUp(); err != nil {
		return &projections.EventError{Index: events[0].index, Err: err}
	}
	// The documents diff compares, copied here: one allocation per dossier
	// and batch instead of two documents per event (see diff).
	var compared *[2]dossier.Document
	for _, pe := range events {
		if pe.ev.Version <= st.version {
			return &projections.EventError{Index: pe.index, Err: fmt.Errorf(
				"audit: dossier %s: event %s at version %d is not in the trail but the snapshot is at version %d",
				st.id, pe.ev.ID, pe.ev.Version, st.version)}
		}
		if !pe.known {
			if st.version == 0 || pe.ev.Version != st.version+1 {
				return &projections.EventError{Index: pe.index, Err: fmt.Errorf("audit: dossier %s: unknown event %s at version %d after version %d",
					st.id, pe.ev.Type, pe.ev.Version, st.version)}
			}
			st.version, st.dirty = pe.ev.Version, true
			pe.managing = orgPtr(st.doc.Header.ManagingOrg)
			pe.orgs = orgList(pe.managing, nil)
			continue
		}
		res, err := st.step(pe.rec)
		if err != nil {
			return &projections.EventError{Index: pe.index, Err: err}
		}
		var changes []dossier.FieldChange
		if res.created {
			changes = creationDiff(res.after)
			pe.managing = orgPtr(res.after.Header.ManagingOrg)
		} else {
			if compared == nil {
				compared = new([2]dossier.Document)
			}
			compared[0], compared[1] = res.before, res.after
			if changes, err = diff(&compared[0], &compared[1], touchedBy(pe.rec.Event)); err != nil {
				return &projections.EventError{Index: pe.index, Err: err}
			}
			pe.managing = orgPtr(res.before.Header.ManagingOrg)
			if after := orgPtr(res.after.Header.ManagingOrg); after != nil && (pe.managing == nil || *after != *pe.managing) {
				pe.managingAfter = after
			}
		}
		pe.orgs = orgList(pe.managing, pe.managingAfter)
		if c := corrects(pe.rec); c != uuid.Nil {
			pe.corrects = &c
		}
		if pe.diff, err = json.Marshal(changes); err != nil {
			return &projections.EventError{Index: pe.index, Err: fmt.Errorf("audit: encoding diff: %w", err)}
		}
	}
	return nil
}

func orgPtr(o *domain.OrgID) *uuid.UUID {
	if o == nil || o.IsZero() {
		return nil
	}
	u := uuid.UUID(*o)
	return &u
}

func orgList(a, b *uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, 2)
	for _, x := range []*uuid.UUID{a, b} {
		if x != nil && !slices.Contains(out, *x) {
			out = append(out, *x)
		}
	}
	return out
}

// otherOrgs is what a non-dossier entry concerns: an org's own events
// concern that org; anything else concerns the org its actor acted for.
func otherOrgs(ev eventstore.Event) []uuid.UUID {
	if id, ok := streamUUID(ev.StreamID, "org-"); ok {
		return []uuid.UUID{id}
	}
	if id, ok := parseUUID(ev.Meta.Actor.ActingOrg); ok {
		return []uuid.UUID{id}
	}
	return []uuid.UUID{}
}

func streamUUID(stream, prefix string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, prefix)
	if !ok {
		return uuid.Nil, false
	}
	return parseUUID(rest)
}

func parseUUID(s string) (uuid.UUID, bool) {
	if s == "" {
		return uuid.Nil, false
	}
	u, err := uuid.Parse(s)
	return u, err == nil && u != uuid.Nil
}

var entryColumns = []string{
	"event_id", "stream_id", "version", "position", "type",
	"actor_account", "actor_name", "acting_org", "on_behalf_of",
	"recorded_at", "effective_date",
	"source_kind", "source_number", "source_date", "source_issuer", "source_sha256",
	"reason", "request_id", "correlation_id", "causation_id", "imported_from",
	"dossier_id", "managing_org", "managing_org_after", "orgs",
	"is_correction", "corrects", "diff", "data", "hash",
}

func (p *Projection) writeEntries(ctx context.Context, tx pgx.Tx, table string, fresh []*pending) error {
	rows := make([][]any, len(fresh))
	for i, pe := range fresh {
		ev, m := pe.ev, pe.ev.Meta
		var dossierID any
		if pe.dossier != uuid.Nil {
			dossierID = [16]byte(pe.dossier)
		}
		var sKind, sNumber, sDate, sIssuer, sSHA any
		if sd := m.SourceDocument; sd != nil {
			sKind, sNumber, sDate, sIssuer, sSHA = text(sd.Kind), text(sd.Number), date(sd.Date), text(sd.Issuer), text(sd.SHA256)
		}
		var diffJSON any
		data := []byte(ev.Data)
		if pe.dossier != uuid.Nil {
			var err error
			if pe.diff != nil {
				if diffJSON, err = p.pv.Seal(ctx, ev.StreamID, DiffPurpose, pe.diff); err != nil {
					return fmt.Errorf("audit: sealing the diff of %s: %w", ev.ID, err)
				}
			}
			if data, err = p.pv.Seal(ctx, ev.StreamID, DataPurpose, data); err != nil {
				return fmt.Errorf("audit: sealing the payload of %s: %w", ev.ID, err)
			}
		} else if pe.diff != nil {
			diffJSON = []byte(pe.diff)
		}
		rows[i] = []any{
			[16]byte(ev.ID), ev.StreamID, int64(ev.Version), ev.Position.String(), ev.Type,
			idOrNil(m.Actor.AccountID), text(m.Actor.Name), idOrNil(m.Actor.ActingOrg), idOrNil(m.Actor.OnBehalfOf),
			m.RecordedAt, date(m.EffectiveDate),
			sKind, sNumber, sDate, sIssuer, sSHA,
			text(m.Reason), text(m.RequestID), text(m.CorrelationID), text(m.CausationID), text(m.ImportedFrom),
			dossierID, uuidOrNil(pe.managing), uuidOrNil(pe.managingAfter), raw(pe.orgs),
			pe.ev.Type == dossier.TypeCorrected, uuidOrNil(pe.corrects), diffJSON, data, ev.Hash[:],
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, entryColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("audit: writing entries: %w", err)
	}
	return nil
}

// writeStates writes the snapshots that lag their trail by every events or
// more.
func (p *Projection) writeStates(ctx context.Context, tx pgx.Tx, table string, order []uuid.UUID, states map[uuid.UUID]*loadedState, every uint64) error {
	var ids [][16]byte
	var versions []int64
	var docs [][]byte
	for _, id := range order {
		st := states[id]
		if !st.dirty || st.version-st.snapVersion < every {
			continue
		}
		b, err := json.Marshal(st.doc)
		if err != nil {
			return fmt.Errorf("audit: encoding snapshot of dossier %s: %w", id, err)
		}
		if b, err = p.pv.Seal(ctx, domain.DossierID(id).StreamID(), SnapshotPurpose, b); err != nil {
			return fmt.Errorf("audit: sealing snapshot of dossier %s: %w", id, err)
		}
		ids = append(ids, id)
		versions = append(versions, int64(st.version))
		docs = append(docs, b)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
INSERT INTO `+table+` (dossier_id, version, doc)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bytea[])
ON CONFLICT (dossier_id) DO UPDATE SET version = excluded.version, doc = excluded.doc
 WHERE `+table+`.version < excluded.version`, ids, versions, docs)
	if err != nil {
		return fmt.Errorf("audit: writing snapshots: %w", err)
	}
	return nil
}

// raw turns ids into what pgx encodes straight to binary: uuid.UUID is a
// driver.Valuer, which pgx would encode through its text form, and that was
// a tenth of a rebuild's CPU.
func raw(ids []uuid.UUID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func idOrNil(s string) any {
	if u, ok := parseUUID(s); ok {
		return [16]byte(u)
	}
	return nil
}

func uuidOrNil(u *uuid.UUID) any {
	if u == nil {
		return nil
	}
	return [16]byte(*u)
}

func date(s string) any {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return t
}
