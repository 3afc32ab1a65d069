package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// Name is the projection's stable name (its checkpoint key).
const Name = "stats"

// Views readers query: the intervals (one row per dossier per stretch of
// the effective axis with the same counted attributes) and the projection's
// memory of each dossier (its facts), which is a view because the runner
// drops a generation by dropping its views' tables.
const (
	ViewIntervals = "stats_intervals"
	ViewDossiers  = "stats_dossiers"
)

// schemaVersion is the version of the tables and of what Apply writes.
// Version() adds a digest of the catalogues the derived columns come from
// (rank groups, title grades, language steps, ethnicities): a new catalogue
// version rebuilds the model beside the serving one.
// 2: facts and refs are JSON bytes (bytea, lz4) instead of jsonb: they are
// the projection's own memory, never queried in SQL, and parsing them into
// jsonb on every write was most of a rebuild's server time.
// 3: dossier.reactivated.v1 (TG 10.1) puts a person back in the counts.
// 4: job_position_group, the job position's group (Law 80/2025 makes the
// job position the primary classification; Decree 62/2020's groups).
// 5: personal data sealed (docs/privacy.md): ethnicity and religion are
// keyed tokens, the facts a sealed blob.
const schemaVersion = 5

// Projection is the statistics read model. It holds no mutable state and
// is safe for concurrent use.
type Projection struct {
	g       groups
	version int
	pv      seal.Privacy
}

// FactsPurpose names the facts column in its sealed blobs.
const FactsPurpose = "stats.facts"

// WithPrivacy makes the projection keep ethnicity and religion as keyed
// tokens and seal each dossier's facts under its data key; readers must
// use the same Privacy (HeadcountWith).
func (p *Projection) WithPrivacy(pv seal.Privacy) *Projection {
	p.pv = pv
	return p
}

var (
	_ projections.Projection   = (*Projection)(nil)
	_ projections.BatchApplier = (*Projection)(nil)
)

// New returns the projection deriving report groups from cat (normally
// catalog.Default(), or the province's override); nil means the default.
func New(cat *catalog.Catalog) *Projection {
	if cat == nil {
		cat = catalog.Default()
	}
	h := crc32.NewIEEE()
	for _, k := range []string{catalog.KindRank, catalog.KindTitle, catalog.KindLanguageLevel, catalog.KindEthnicity, catalog.KindPosition} {
		h.Write([]byte(k + "@" + cat.KindVersion(k) + ";"))
	}
	return &Projection{g: newGroups(cat), version: schemaVersion*1_000_000 + int(h.Sum32()%1_000_000)}
}

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection; see schemaVersion.
func (p *Projection) Version() int { return p.version }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{ViewIntervals, ViewDossiers} }

// Setup implements projections.Projection.
//
// A report on date D reads the intervals that contain D. period is
// daterange(valid_from, valid_to, '[)') — exactly "valid_from <= D AND
// (valid_to IS NULL OR valid_to > D)" — and its GiST index finds the rows
// of one date among all history without scanning the closed ones, which
// accumulate over the years (a B-tree on valid_from alone would read every
// interval that started before D). The (org_id, valid_from) index serves
// one org's history and the primary key a dossier's rows.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    dossier_id        uuid    NOT NULL,
    valid_from        date    NOT NULL,   -- effective axis, included
    valid_to          date,               -- excluded; NULL: still so
    period            daterange GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[)')) STORED,
    org_id            uuid    NOT NULL,   -- managing org
    unit_id           uuid    NOT NULL,   -- employing unit
    class             text    NOT NULL,
    sex               text    NOT NULL,
    birth_date        date,
    retires_on        date,               -- RetirementDate(sex, birth_date)
    ethnicity         text    NOT NULL,
    minority          boolean NOT NULL,   -- ethnicity known and not Kinh
    religion          text    NOT NULL,
    religious         boolean NOT NULL,   -- religion known and not "none"
    party_admitted_on date,
    rank              text    NOT NULL,
    rank_group        text    NOT NULL,
    title             text    NOT NULL,
    title_grade       text    NOT NULL,
    job_position      text    NOT NULL,
    job_position_group text   NOT NULL,   -- lanh_dao_quan_ly, chuyen_mon_nghiep_vu, chuyen_mon_dung_chung, ho_tro_phuc_vu
    qualification     text    NOT NULL,
    political_theory  text    NOT NULL,
    state_management  text    NOT NULL,
    it_level          text    NOT NULL,
    foreign_language  text    NOT NULL,   -- highest step held, bac_1 … bac_6
    ethnic_language   boolean NOT NULL,
    PRIMARY KEY (dossier_id, valid_from)
);

CREATE TABLE %[2]s (
    dossier_id uuid   PRIMARY KEY,
    version    bigint NOT NULL,   -- last stream version applied
    facts      bytea  COMPRESSION lz4 NOT NULL,   -- JSON: the stat-relevant events, in fold order
    refs       bytea  COMPRESSION lz4 NOT NULL    -- JSON: event id → version and effective date, for corrections
);`,
		t.Name(ViewIntervals), t.Name(ViewDossiers)))
	return err
}

// QueryIndexes implements projections.QueryIndexer: the report queries'
// indexes. A batch deletes and rewrites every interval of each dossier it
// touches, so maintaining these two (the GiST above all) through a rebuild
// cost more than building them once at the end.
func (*Projection) QueryIndexes(t projections.Tables) []string {
	return []string{
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gist (period)`, t.Name("stats_intervals_period"), t.Name(ViewIntervals)),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (org_id, valid_from)`, t.Name("stats_intervals_by_org"), t.Name(ViewIntervals)),
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

// state is stats_dossiers' row.
type state struct {
	id      uuid.UUID
	version uint64
	facts   []fact
	refs    map[uuid.UUID]ref
	dirty   bool // version moved
	changed bool // facts changed: intervals to recompute
}

var knownTypes = dossier.EventTypes()

func dossierOf(ev eventstore.Event) (uuid.UUID, bool) {
	if !strings.HasPrefix(ev.StreamID, "dossier-") || !slices.Contains(knownTypes, ev.Type) {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(strings.TrimPrefix(ev.StreamID, "dossier-"))
	return id, err == nil
}

// ApplyBatch implements projections.BatchApplier: one read of the touched
// dossiers' facts, the new facts added in Go, each changed dossier's
// intervals recomputed once per batch, then one delete and one insert of
// intervals and one upsert of the facts. An event at or below its dossier's
// stored version was applied already and is skipped, and the intervals are
// a pure function of the facts, so applying an event twice changes nothing.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, ev := range events {
		if id, ok := dossierOf(ev); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	states, err := p.loadStates(ctx, tx, t, ids)
	if err != nil {
		return err
	}
	// The stored intervals, recomputed from the stored facts, so that only
	// the rows the batch changes are written: a batch rewrote every
	// interval of each dossier it touched, and most events add one
	// interval and close the one before.
	stored := make(map[uuid.UUID][]intervalRow, len(states))
	for id, st := range states {
		stored[id] = p.rows(id, st.facts)
	}
	for i, ev := range events {
		id, ok := dossierOf(ev)
		if !ok {
			continue
		}
		st := states[id]
		if st == nil {
			st = &state{id: id, refs: map[uuid.UUID]ref{}}
			states[id] = st
		}
		if ev.Version <= st.version {
			continue
		}
		r, err := projections.Recorded(ctx, ev, dossier.Decode)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		if err := st.add(r); err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
	}
	var gone, added []intervalRow
	for _, id := range ids {
		st := states[id]
		if !st.changed {
			continue
		}
		g, a := changedRows(stored[id], p.rows(id, st.facts))
		gone, added = append(gone, g...), append(added, a...)
	}
	if err := writeIntervals(ctx, tx, t, gone, added); err != nil {
		return err
	}
	return p.writeStates(ctx, tx, t, states)
}

// rows are the interval rows of a dossier with these facts.
func (p *Projection) rows(id uuid.UUID, facts []fact) []intervalRow {
	ivs := intervals(facts)
	out := make([]intervalRow, len(ivs))
	for i, iv := range ivs {
		out[i] = p.row(id, iv)
	}
	return out
}

// changedRows compares a dossier's stored rows with its recomputed ones
// (keyed by valid_from, the table's key within a dossier): gone are the
// stored rows to delete (absent or different now), added the rows to
// insert (new or different).
func changedRows(stored, now []intervalRow) (gone, added []intervalRow) {
	before := make(map[domain.Date]intervalRow, len(stored))
	for _, r := range stored {
		before[r.From] = r
	}
	for _, r := range now {
		if old, ok := before[r.From]; ok {
			delete(before, r.From)
			if old == r {
				continue
			}
			gone = append(gone, old)
		}
		added = append(added, r)
	}
	for _, r := range stored {
		if _, ok := before[r.From]; ok {
			gone = append(gone, r)
		}
	}
	return gone, added
}

// add records one event of the dossier.
func (st *state) add(r domain.Recorded) error {
	_, isCorrection := r.Event.(dossier.Corrected)
	path, eff, ok := place(r, st.facts, st.refs)
	if !ok {
		return fmt.Errorf("stats: dossier %s: correction at version %d points at no earlier event: %w", st.id, r.Version, domain.ErrInvalid)
	}
	if !isCorrection {
		st.refs[r.ID] = ref{V: r.Version, E: eff}
	}
	x, relevant := patchOf(r.Event)
	// Every correction is kept, even one that changes nothing counted: a
	// later correction of it must find where it folds.
	if relevant || isCorrection {
		f := fact{Version: r.Version, Path: path, Eff: eff, Patch: x}
		if isCorrection {
			f.ID = r.ID
		}
		st.facts = append(st.facts, f)
		sortFacts(st.facts)
		st.changed = true
	}
	st.version, st.dirty = r.Version, true
	return nil
}

// intervalRow is one row of stats_intervals.
type intervalRow struct {
	Dossier         uuid.UUID    `json:"dossier_id"`
	From            domain.Date  `json:"valid_from"`
	To              domain.Date  `json:"valid_to,omitzero"`
	Org             domain.OrgID `json:"org_id"`
	Unit            domain.OrgID `json:"unit_id"`
	Class           string       `json:"class"`
	Sex             string       `json:"sex"`
	BirthDate       domain.Date  `json:"birth_date,omitzero"`
	RetiresOn       domain.Date  `json:"retires_on,omitzero"`
	Ethnicity       string       `json:"ethnicity"`
	Minority        bool         `json:"minority"`
	Religion        string       `json:"religion"`
	Religious       bool         `json:"religious"`
	PartyAdmittedOn domain.Date  `json:"party_admitted_on,omitzero"`
	Rank            string       `json:"rank"`
	RankGroup       string       `json:"rank_group"`
	Title           string       `json:"title"`
	TitleGrade      string       `json:"title_grade"`
	JobPosition     string       `json:"job_position"`
	JobPosGroup     string       `json:"job_position_group"`
	Qualification   string       `json:"qualification"`
	PoliticalTheory string       `json:"political_theory"`
	StateManagement string       `json:"state_management"`
	ITLevel         string       `json:"it_level"`
	ForeignLanguage string       `json:"foreign_language"`
	EthnicLanguage  bool         `json:"ethnic_language"`
}

func (p *Projection) row(id uuid.UUID, iv interval) intervalRow {
	a := iv.Attrs
	foreign, ethnic := p.g.languages(a.Languages)
	return intervalRow{
		Dossier: id, From: iv.From, To: iv.To, Org: a.Org, Unit: a.Unit, Class: a.Class, Sex: a.Sex,
		BirthDate: a.BirthDate, RetiresOn: RetirementDate(dossier.Gender(a.Sex), a.BirthDate),
		Ethnicity: p.pv.Token("ethnicity", a.Ethnicity), Minority: a.Ethnicity != "" && a.Ethnicity != KinhEthnicity,
		Religion: p.pv.Token("religion", a.Religion), Religious: a.Religion != "" && a.Religion != NoReligion,
		PartyAdmittedOn: a.PartyAdmittedOn,
		Rank:            a.Rank, RankGroup: p.g.rankGroup(a.Rank), Title: a.Title, TitleGrade: p.g.titleGrade(a.Title),
		JobPosition: a.JobPosition, JobPosGroup: p.g.jobPositionGroup(a.JobPosition), Qualification: a.Qualification, PoliticalTheory: a.PoliticalTheory,
		StateManagement: a.StateManagement, ITLevel: a.ITLevel, ForeignLanguage: foreign, EthnicLanguage: ethnic,
	}
}

func (p *Projection) loadStates(ctx context.Context, tx pgx.Tx, t projections.Tables, ids []uuid.UUID) (map[uuid.UUID]*state, error) {
	rows, err := tx.Query(ctx, `SELECT dossier_id, version, facts, refs FROM `+t.Name(ViewDossiers)+` WHERE dossier_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("stats: loading dossiers: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]*state{}
	for rows.Next() {
		st := &state{}
		var v int64
		var facts, refs []byte
		if err := rows.Scan(&st.id, &v, &facts, &refs); err != nil {
			return nil, fmt.Errorf("stats: loading dossiers: %w", err)
		}
		st.version = uint64(v)
		if facts, err = p.pv.Open(ctx, domain.DossierID(st.id).StreamID(), FactsPurpose, facts); err != nil {
			return nil, fmt.Errorf("stats: dossier %s: facts: %w", st.id, err)
		}
		if err := json.Unmarshal(facts, &st.facts); err != nil {
			return nil, fmt.Errorf("stats: dossier %s: facts: %w", st.id, err)
		}
		if err := json.Unmarshal(refs, &st.refs); err != nil {
			return nil, fmt.Errorf("stats: dossier %s: refs: %w", st.id, err)
		}
		out[st.id] = st
	}
	return out, rows.Err()
}

// writeStates upserts the dossiers whose version moved, as column arrays
// (one statement). A whole batch as one jsonb document (jsonb_to_recordset)
// was parsed and then taken apart again, and cost more than the rest of the
// batch; the facts and refs are now bytes the server stores as they come.
func (p *Projection) writeStates(ctx context.Context, tx pgx.Tx, t projections.Tables, states map[uuid.UUID]*state) error {
	var (
		ids      [][16]byte
		versions []int64
		facts    [][]byte
		refs     [][]byte
	)
	for _, st := range states {
		if !st.dirty {
			continue
		}
		f := st.facts
		if f == nil {
			f = []fact{}
		}
		fb, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("stats: encoding facts of %s: %w", st.id, err)
		}
		if fb, err = p.pv.Seal(ctx, domain.DossierID(st.id).StreamID(), FactsPurpose, fb); err != nil {
			return fmt.Errorf("stats: sealing facts of %s: %w", st.id, err)
		}
		rb, err := json.Marshal(st.refs)
		if err != nil {
			return fmt.Errorf("stats: encoding refs of %s: %w", st.id, err)
		}
		ids, versions = append(ids, st.id), append(versions, int64(st.version))
		facts, refs = append(facts, fb), append(refs, rb)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
INSERT INTO `+t.Name(ViewDossiers)+` (dossier_id, version, facts, refs)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::bytea[])
ON CONFLICT (dossier_id) DO UPDATE SET version = EXCLUDED.version, facts = EXCLUDED.facts, refs = EXCLUDED.refs`,
		ids, versions, facts, refs)
	if err != nil {
		return fmt.Errorf("stats: writing dossiers: %w", err)
	}
	return nil
}

// intervalColumns is the order writeIntervals copies them in.
var intervalColumns = []string{"dossier_id", "valid_from", "valid_to", "org_id", "unit_id", "class", "sex", "birth_date",
	"retires_on", "ethnicity", "minority", "religion", "religious", "party_admitted_on", "rank", "rank_group", "title",
	"title_grade", "job_position", "job_position_group", "qualification", "political_theory", "state_management", "it_level",
	"foreign_language", "ethnic_language"}

// writeIntervals deletes the gone rows by key, then COPYs the new ones
// (binary, no parsing on the server).
func writeIntervals(ctx context.Context, tx pgx.Tx, t projections.Tables, gone, rows []intervalRow) error {
	if len(gone) > 0 {
		ids, froms := make([][16]byte, len(gone)), make([]time.Time, len(gone))
		for i, r := range gone {
			ids[i], froms[i] = r.Dossier, time.Date(r.From.Year(), r.From.Month(), r.From.Day(), 0, 0, 0, 0, time.UTC)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+t.Name(ViewIntervals)+` WHERE (dossier_id, valid_from) IN (SELECT * FROM unnest($1::uuid[], $2::date[]))`, ids, froms); err != nil {
			return fmt.Errorf("stats: replacing intervals: %w", err)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	values := make([][]any, len(rows))
	for i, r := range rows {
		values[i] = []any{
			[16]byte(r.Dossier), dateValue(r.From), dateValue(r.To), [16]byte(r.Org), [16]byte(r.Unit), r.Class, r.Sex,
			dateValue(r.BirthDate), dateValue(r.RetiresOn), r.Ethnicity, r.Minority, r.Religion, r.Religious,
			dateValue(r.PartyAdmittedOn), r.Rank, r.RankGroup, r.Title, r.TitleGrade, r.JobPosition, r.JobPosGroup, r.Qualification,
			r.PoliticalTheory, r.StateManagement, r.ITLevel, r.ForeignLanguage, r.EthnicLanguage,
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name(ViewIntervals)}, intervalColumns, pgx.CopyFromRows(values)); err != nil {
		return fmt.Errorf("stats: writing intervals: %w", err)
	}
	return nil
}

// dateValue is d for a date column: NULL when zero.
func dateValue(d domain.Date) any {
	if d.IsZero() {
		return nil
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}
