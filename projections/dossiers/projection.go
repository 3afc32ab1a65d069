package dossiers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/vntext"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"github.com/hoso-ledger/hoso/projections"
)

// Name is the projection's stable name (its checkpoint key).
const Name = "dossiers"

// Views readers query: the current dossiers (active and archived, one row
// per person) and the archive register (one entry per departure from
// service, never deleted).
const (
	ViewDossiers = "dossiers"
	ViewArchive  = "dossiers_archive"
)

// version is the schema version of the tables and of what Apply writes;
// bumping it rebuilds the model beside the serving one. 2: the document is
// compressed with lz4, and the folded name has a full-text index of its
// words for prefix search. 3: the query indexes are built after a rebuild
// (QueryIndexes), the words after the first have an index of their own,
// and the document is json, not jsonb: nothing queries inside it, and
// parsing it into jsonb on every upsert was most of a rebuild's server
// time. 4: dossier.reactivated.v1 (TG 10.1) ends a departure in the
// archive register. 5: personal data sealed (docs/privacy.md): the
// document is a sealed bytea, ethnicity and religion are keyed tokens, the
// personal-ID digest is keyed.
const version = 5

// Projection is the dossiers read model. It is safe for concurrent use: it
// holds no state between calls beyond the store it reads histories from.
type Projection struct {
	store eventstore.Store
	pv    seal.Privacy
	slow  atomic.Int64 // events folded by replaying the whole history (tests)
}

var (
	_ projections.Projection   = (*Projection)(nil)
	_ projections.BatchApplier = (*Projection)(nil)
	_ projections.QueryIndexer = (*Projection)(nil)
)

// New returns the projection. store is read only for the rare event that
// cannot be folded onto the stored state (a correction of an event that is
// not the latest, see the package documentation); it must be the store
// whose log the runner feeds.
func New(store eventstore.Store) *Projection { return &Projection{store: store} }

// WithPrivacy makes the projection seal what it stores of personal data
// (the document under the dossier's data key; tokens for the searchable
// sensitive columns). Readers must then use the same Privacy (GetWith,
// SearchWith).
func (p *Projection) WithPrivacy(pv seal.Privacy) *Projection {
	p.pv = pv
	return p
}

// DocumentPurpose names the document column in its sealed blobs.
const DocumentPurpose = "dossiers.document"

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection.
func (*Projection) Version() int { return version }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{ViewDossiers, ViewArchive} }

// Setup implements projections.Projection: the tables with their primary
// keys, all that Apply itself reads by. The document (6–10 kB of JSON) is
// compressed with lz4: with the default pglz, compressing the documents was
// a third of a rebuild's upserts.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    dossier_id           uuid        PRIMARY KEY,
    version              bigint      NOT NULL,
    status               text        NOT NULL,
    archived             boolean     NOT NULL,
    class                text        NOT NULL,
    managing_org         uuid,                   -- NULL once management was revoked
    management_revoked   boolean     NOT NULL,
    revoked_org          uuid,                   -- the org that lost management
    employing_unit       uuid        NOT NULL,
    full_name            text        NOT NULL,
    name_folded          text        COLLATE "C" NOT NULL, -- vntext.Fold(full_name)
    birth_date           date,
    sex                  text        NOT NULL,
    ethnicity            text        NOT NULL,
    religion             text        NOT NULL,
    rank                 text        NOT NULL,
    title                text        NOT NULL,
    job_position         text        NOT NULL,
    qualification        text        NOT NULL,
    political_theory     text        NOT NULL,
    state_management     text        NOT NULL,
    it_level             text        NOT NULL,
    languages            text[]      NOT NULL,
    language_levels      text[]      NOT NULL,
    party_member         boolean     NOT NULL,
    civil_servant_number text        NOT NULL,
    personal_id_digest   text        NOT NULL,   -- dossier.PersonalIDDigest; never the number
    created_at           timestamptz NOT NULL,   -- recorded_at of the creation
    updated_at           timestamptz NOT NULL,   -- recorded_at of the last event that changed the document
    last_recorded_at     timestamptz NOT NULL,   -- of the last event applied
    last_effective_date  date        NOT NULL,
    document             bytea       COMPRESSION lz4 NOT NULL, -- dossier.Document as encoded, personal ID number blanked; sealed (docs/privacy.md)
    document_sha256      bytea       NOT NULL,   -- of the document as encoded, to detect changes
    fold_tail            text        NOT NULL    -- internal: see state.tail
);

CREATE TABLE %[2]s (
    event_id       uuid        PRIMARY KEY,   -- the event that archived the dossier
    dossier_id     uuid        NOT NULL,
    status         text        NOT NULL,      -- retired, resigned, deceased, transferred_out, …
    left_on        date        NOT NULL,      -- its effective date
    recorded_at    timestamptz NOT NULL,
    reactivated_by uuid,                      -- the correction or dossier.reactivated.v1 that brought it back, if any
    reactivated_at timestamptz
);`,
		t.Name(ViewDossiers), t.Name(ViewArchive)))
	return err
}

// QueryIndexes implements projections.QueryIndexer. A rebuild rewrites a
// dossier's row on every batch that touches it, and updated_at changes each
// time, so no update is HOT and every one of these indexes took an entry
// per upsert; built once over the finished tables they take seconds.
//
// The name indexes serve the default sort within a scope; the trigram index
// serves substring and similarity matches on the folded name (pg_trgm,
// migration 00010); the full-text index of its words serves word-prefix
// search, which a trigram index answers poorly for the commonest family
// names; the index of the words after the first serves the one-word typo
// search (see searchNearOneWord). The GIN indexes keep no pending list (fastupdate
// off): until a VACUUM merged it every search scanned it (5–13 ms per query
// on 25,000 dossiers, against under 2 ms merged).
func (*Projection) QueryIndexes(t projections.Tables) []string {
	d, a := t.Name(ViewDossiers), t.Name(ViewArchive)
	return []string{
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (managing_org, name_folded, dossier_id)`, t.Name("dossiers_by_managing"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (employing_unit, name_folded, dossier_id)`, t.Name("dossiers_by_unit"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (name_folded, dossier_id)`, t.Name("dossiers_by_name"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (updated_at DESC, dossier_id DESC)`, t.Name("dossiers_by_updated"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin (name_folded gin_trgm_ops) WITH (fastupdate = off)`, t.Name("dossiers_name_trgm"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (personal_id_digest)`, t.Name("dossiers_by_pid"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (civil_servant_number) WHERE civil_servant_number <> ''`, t.Name("dossiers_by_csn"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin (to_tsvector('simple', name_folded)) WITH (fastupdate = off)`, t.Name("dossiers_name_words"), d),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin (%s) WITH (fastupdate = off)`, t.Name("dossiers_later_words"), d, laterWords),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (dossier_id)`, t.Name("dossiers_archive_by_dossier"), a),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (left_on)`, t.Name("dossiers_archive_by_left_on"), a),
	}
}

// Apply implements projections.Projection: ApplyBatch of one event.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	err := p.ApplyBatch(ctx, tx, t, []eventstore.Event{ev})
	var ee *projections.EventError
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// known is the set of event types this code folds.
var known = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range dossier.EventTypes() {
		m[t] = true
	}
	return m
}()

// stored is a dossier's row as the batch found it (or nil) and as it leaves it.
type stored struct {
	id      uuid.UUID
	stream  string
	before  *state
	created time.Time
	updated time.Time
	docSum  []byte
	recs    []domain.Recorded
	first   int // index in the batch of the first new event, for errors
	lastAt  time.Time
	lastEff domain.Date
	after   *state
}

// ApplyBatch implements projections.BatchApplier. It reads the rows of the
// dossiers the batch touches in one query, folds each dossier's new events
// onto its row once, and writes the rows back in one statement, so a batch
// costs three round trips whatever its size. Events at or below a row's
// version were applied already and are skipped (idempotency).
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	byID := map[uuid.UUID]*stored{}
	var order []*stored
	for i, ev := range events {
		if !strings.HasPrefix(ev.StreamID, "dossier-") || !known[ev.Type] {
			// Not a dossier event, or one of a type this code does not know
			// (a newer version deployed elsewhere): ignored, as the runner's
			// contract asks. The version gap it leaves sends the dossier's
			// next event down the full-replay path, which skips it too.
			continue
		}
		id, err := uuid.Parse(strings.TrimPrefix(ev.StreamID, "dossier-"))
		if err != nil {
			return &projections.EventError{Index: i, Err: fmt.Errorf("dossiers: stream %q: %w", ev.StreamID, err)}
		}
		s, ok := byID[id]
		if !ok {
			s = &stored{id: id, stream: ev.StreamID, first: i}
			byID[id] = s
			order = append(order, s)
		}
		r, err := projections.Recorded(ctx, ev, dossier.Decode)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		s.recs = append(s.recs, r)
		s.lastAt, s.lastEff = r.Meta.RecordedAt, r.Meta.EffectiveDate
	}
	if len(order) == 0 {
		return nil
	}
	if err := p.load(ctx, tx, t, byID); err != nil {
		return err
	}
	var out []*stored
	var archive []archiveEntry
	var reactivations []archiveEntry
	for _, s := range order {
		recs := s.recs[:0] // filtered in place: s.recs is this dossier's alone
		for _, r := range s.recs {
			if s.before == nil || r.Version > s.before.version {
				recs = append(recs, r)
			}
		}
		if len(recs) == 0 {
			continue
		}
		s.recs = recs
		after, err := p.advance(ctx, s.stream, s.before, recs)
		if err != nil {
			return &projections.EventError{Index: s.first, Err: fmt.Errorf("dossiers: %s: %w", s.stream, err)}
		}
		s.after = after
		out = append(out, s)
		for _, r := range recs {
			switch e := r.Event.(type) {
			case dossier.StatusChanged:
				archive = append(archive, archiveEntry{event: r.ID, dossier: s.id, status: e.Status.String(), leftOn: r.Meta.EffectiveDate, at: r.Meta.RecordedAt})
			case dossier.TransferReceived:
				if e.Kind == dossier.TransferOutOfProvince {
					archive = append(archive, archiveEntry{event: r.ID, dossier: s.id, status: dossier.StatusTransferredOut.String(), leftOn: r.Meta.EffectiveDate, at: r.Meta.RecordedAt})
				}
			case dossier.Corrected:
				if e.Reactivate {
					reactivations = append(reactivations, archiveEntry{event: e.Corrects, dossier: s.id, reactivatedBy: r.ID, at: r.Meta.RecordedAt})
				}
			case dossier.Reactivated:
				// TG 10.1: back in service by decision; the departure stays in
				// the register, marked as ended by this event.
				reactivations = append(reactivations, archiveEntry{event: e.Departure, dossier: s.id, reactivatedBy: r.ID, at: r.Meta.RecordedAt})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	if err := p.write(ctx, tx, t, out); err != nil {
		return err
	}
	return writeArchive(ctx, tx, t, archive, reactivations)
}

// load fills in the stored state of the dossiers in byID.
func (p *Projection) load(ctx context.Context, tx pgx.Tx, t projections.Tables, byID map[uuid.UUID]*stored) error {
	ids := make([]uuid.UUID, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	rows, err := tx.Query(ctx, fmt.Sprintf(`
SELECT dossier_id, version, document, fold_tail, revoked_org, personal_id_digest, created_at, updated_at, document_sha256
  FROM %s WHERE dossier_id = ANY($1)`, t.Name(ViewDossiers)), ids)
	if err != nil {
		return fmt.Errorf("dossiers: loading rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      uuid.UUID
			ver     int64
			doc     []byte
			tail    string
			revoked *uuid.UUID
			st      state
			s       stored
		)
		if err := rows.Scan(&id, &ver, &doc, &tail, &revoked, &st.pidDigest, &s.created, &s.updated, &s.docSum); err != nil {
			return fmt.Errorf("dossiers: loading rows: %w", err)
		}
		if doc, err = p.pv.Open(ctx, domain.DossierID(id).StreamID(), DocumentPurpose, doc); err != nil {
			return fmt.Errorf("dossiers: stored document of %s: %w", id, err)
		}
		if err := json.Unmarshal(doc, &st.doc); err != nil {
			return fmt.Errorf("dossiers: stored document of %s: %w", id, err)
		}
		st.version = uint64(ver)
		for f := range strings.FieldsSeq(tail) {
			u, err := uuid.Parse(f)
			if err != nil {
				return fmt.Errorf("dossiers: stored fold tail of %s: %w", id, err)
			}
			st.tail = append(st.tail, u)
		}
		if revoked != nil {
			st.revokedOrg = domain.OrgID(*revoked)
		}
		b := byID[id]
		b.before, b.created, b.updated, b.docSum = &st, s.created, s.updated, s.docSum
	}
	return rows.Err()
}

// columns is the order write sends them in.
const columns = `dossier_id, version, status, archived, class, managing_org, management_revoked, revoked_org,
    employing_unit, full_name, name_folded, birth_date, sex, ethnicity, religion, rank, title, job_position,
    qualification, political_theory, state_management, it_level, languages, language_levels, party_member,
    civil_servant_number, personal_id_digest, created_at, updated_at, last_recorded_at, last_effective_date,
    document, document_sha256, fold_tail`

// write upserts the rows of out in one statement, column arrays unnested.
// The version guard makes a stale write (which the runner never sends, but
// an at-least-once transport might) change nothing.
func (p *Projection) write(ctx context.Context, tx pgx.Tx, t projections.Tables, out []*stored) error {
	n := len(out)
	var (
		ids, managing, revoked, units                                = make([]uuid.UUID, n), make([]*uuid.UUID, n), make([]*uuid.UUID, n), make([]uuid.UUID, n)
		versions                                                     = make([]int64, n)
		status, class, name, folded, sex, eth, rel, rank, title, job = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		qual, pol, sm, it, langs, levels, csn, pid, tails, birth     = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
		docs                                                         = make([][]byte, n)
		archived, revokedFlag, party                                 = make([]bool, n), make([]bool, n), make([]bool, n)
		created, updated, lastAt                                     = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		lastEff                                                      = make([]string, n)
		sums                                                         = make([][]byte, n)
	)
	for i, s := range out {
		st := s.after
		doc := st.doc
		h := doc.Header
		enc, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("dossiers: encoding %s: %w", s.stream, err)
		}
		sum := sha256.Sum256(enc)
		if s.before == nil {
			s.created, s.updated = s.recs[0].Meta.RecordedAt, s.recs[0].Meta.RecordedAt
		}
		if string(sum[:]) != string(s.docSum) {
			s.updated = latestChange(s)
		}
		ids[i], versions[i] = s.id, int64(st.version)
		status[i], archived[i], class[i] = h.Status.String(), h.Archived, h.Class.String()
		if h.ManagingOrg != nil {
			u := uuid.UUID(*h.ManagingOrg)
			managing[i] = &u
		}
		revokedFlag[i] = h.ManagementRevoked
		if !st.revokedOrg.IsZero() {
			u := uuid.UUID(st.revokedOrg)
			revoked[i] = &u
		}
		units[i] = uuid.UUID(h.EmployingUnit)
		id := doc.Identity
		name[i], folded[i] = id.BirthName, vntext.Fold(id.BirthName)
		if !id.DateOfBirth.IsZero() {
			b := id.DateOfBirth.String()
			birth[i] = &b
		}
		sex[i], eth[i], rel[i] = string(id.Gender), p.pv.Token("ethnicity", id.Ethnicity), p.pv.Token("religion", id.Religion)
		rank[i], title[i], job[i] = doc.Salary.Rank, doc.Salary.Title, doc.Salary.JobPosition
		q := doc.Qualifications
		qual[i], pol[i], sm[i], it[i] = q.HighestQualification, q.PoliticalTheory, q.StateManagement, q.ITLevel
		var ls, lv []string
		for _, l := range q.Languages {
			ls, lv = append(ls, l.Language), append(lv, l.Level)
		}
		langs[i], levels[i] = arrayLiteral(ls), arrayLiteral(lv)
		party[i] = !doc.Background.PartyAdmittedOn.IsZero()
		if st.pidNumber != "" {
			st.pidDigest, st.pidNumber = personalIDDigest(p.pv, st.pidNumber), ""
		}
		csn[i], pid[i] = h.CivilServantNumber, st.pidDigest
		created[i], updated[i], lastAt[i], lastEff[i] = s.created, s.updated, s.lastAt, s.lastEff.String()
		if docs[i], err = p.pv.Seal(ctx, s.stream, DocumentPurpose, enc); err != nil {
			return fmt.Errorf("dossiers: sealing %s: %w", s.stream, err)
		}
		sums[i] = sum[:]
		tailText := make([]string, len(st.tail))
		for j, u := range st.tail {
			tailText[j] = u.String()
		}
		tails[i] = strings.Join(tailText, " ")
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`
INSERT INTO %s AS d (%s)
SELECT u.id, u.ver, u.status, u.archived, u.class, u.managing, u.revoked_flag, u.revoked, u.unit, u.name, u.folded,
       u.birth, u.sex, u.eth, u.rel, u.rank, u.title, u.job, u.qual, u.pol, u.sm, u.it, u.langs::text[], u.levels::text[],
       u.party, u.csn, u.pid, u.created, u.updated, u.last_at, u.last_eff, u.doc, u.sum, u.tail
  FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::bool[], $5::text[], $6::uuid[], $7::bool[], $8::uuid[], $9::uuid[],
              $10::text[], $11::text[], $12::date[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
              $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::bool[],
              $26::text[], $27::text[], $28::timestamptz[], $29::timestamptz[], $30::timestamptz[], $31::date[],
              $32::bytea[], $33::bytea[], $34::text[])
       AS u(id, ver, status, archived, class, managing, revoked_flag, revoked, unit, name, folded, birth, sex, eth, rel,
            rank, title, job, qual, pol, sm, it, langs, levels, party, csn, pid, created, updated, last_at, last_eff,
            doc, sum, tail)
ON CONFLICT (dossier_id) DO UPDATE SET
    version = excluded.version, status = excluded.status, archived = excluded.archived, class = excluded.class,
    managing_org = excluded.managing_org, management_revoked = excluded.management_revoked,
    revoked_org = excluded.revoked_org, employing_unit = excluded.employing_unit, full_name = excluded.full_name,
    name_folded = excluded.name_folded, birth_date = excluded.birth_date, sex = excluded.sex,
    ethnicity = excluded.ethnicity, religion = excluded.religion, rank = excluded.rank, title = excluded.title,
    job_position = excluded.job_position, qualification = excluded.qualification,
    political_theory = excluded.political_theory, state_management = excluded.state_management,
    it_level = excluded.it_level, languages = excluded.languages, language_levels = excluded.language_levels,
    party_member = excluded.party_member, civil_servant_number = excluded.civil_servant_number,
    personal_id_digest = excluded.personal_id_digest, created_at = excluded.created_at,
    updated_at = excluded.updated_at, last_recorded_at = excluded.last_recorded_at,
    last_effective_date = excluded.last_effective_date, document = excluded.document,
    document_sha256 = excluded.document_sha256, fold_tail = excluded.fold_tail
WHERE d.version < excluded.version`, t.Name(ViewDossiers), columns),
		ids, versions, status, archived, class, managing, revokedFlag, revoked, units,
		name, folded, birth, sex, eth, rel, rank, title, job,
		qual, pol, sm, it, langs, levels, party,
		csn, pid, created, updated, lastAt, lastEff,
		docs, sums, tails)
	if err != nil {
		return fmt.Errorf("dossiers: writing %d rows: %w", n, err)
	}
	return nil
}

// latestChange is the recorded_at of the last new event that can change
// the document. Events that only open or close a transfer or a proposal
// leave it as it was; since the digest showed that the document changed,
// some event of the batch did, and the latest one that may have is taken.
func latestChange(s *stored) time.Time {
	for j := len(s.recs) - 1; j >= 0; j-- {
		switch s.recs[j].Event.(type) {
		case dossier.TransferInitiated, dossier.TransferRejected, dossier.TransferCancelled,
			dossier.ProposalSubmitted, dossier.ProposalRejected:
			continue
		}
		return s.recs[j].Meta.RecordedAt
	}
	return s.recs[len(s.recs)-1].Meta.RecordedAt
}

// arrayLiteral is the PostgreSQL text form of a text[]: every element
// double-quoted, so codes need no further rules.
func arrayLiteral(xs []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// archiveEntry is one departure from service, or (with reactivatedBy) the
// correction that undid one.
type archiveEntry struct {
	event, dossier, reactivatedBy uuid.UUID
	status                        string
	leftOn                        domain.Date
	at                            time.Time
}

// writeArchive records departures (idempotent by event id) and then
// reactivations, which mark the departure they undo but never remove it.
func writeArchive(ctx context.Context, tx pgx.Tx, t projections.Tables, entries, reactivations []archiveEntry) error {
	if len(entries) > 0 {
		n := len(entries)
		ev, ds, st, left, at := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]time.Time, n)
		for i, e := range entries {
			ev[i], ds[i], st[i], left[i], at[i] = e.event, e.dossier, e.status, e.leftOn.String(), e.at
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`
INSERT INTO %s (event_id, dossier_id, status, left_on, recorded_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::timestamptz[])
ON CONFLICT (event_id) DO NOTHING`, t.Name(ViewArchive)), ev, ds, st, left, at)
		if err != nil {
			return fmt.Errorf("dossiers: writing archive entries: %w", err)
		}
	}
	for _, r := range reactivations {
		_, err := tx.Exec(ctx, fmt.Sprintf(`
UPDATE %s SET reactivated_by = $2, reactivated_at = $3 WHERE event_id = $1 AND reactivated_by IS NULL`,
			t.Name(ViewArchive)), r.event, r.reactivatedBy, r.at)
		if err != nil {
			return fmt.Errorf("dossiers: recording reactivation: %w", err)
		}
	}
	return nil
}
