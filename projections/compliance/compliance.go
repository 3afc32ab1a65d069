package compliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// Name is the projection's stable name (its checkpoint key).
const Name = "compliance"

// Views readers query. compliance_dossiers is the projection's memory of
// each dossier (managing org, pending transfer); it is a view like the
// other because the runner drops a generation by dropping its views' tables.
const (
	ViewItems    = "compliance_items"
	ViewDossiers = "compliance_dossiers"
)

// schemaVersion is the version of the tables and of what Apply writes.
// Version() combines it with a digest of the policy and the calendar's
// tables: a deployment that changes its jurisdiction policy, or receives the
// next year's working-day table, must recompute every due date, which is
// what a new Version does (a rebuild beside the serving generation).
const schemaVersion = 1

// Projection is the compliance read model under one jurisdiction policy. It
// holds no mutable state and is safe for concurrent use.
type Projection struct {
	pol     policy.Policy
	cal     *calendar.Calendar
	version int
}

var (
	_ projections.Projection   = (*Projection)(nil)
	_ projections.BatchApplier = (*Projection)(nil)
)

// New returns the projection for the deployment's policy and working-day
// calendar (normally calendar.Official()). It returns an error wrapping
// domain.ErrInvalid when cal is nil or pol is the zero Policy.
func New(pol policy.Policy, cal *calendar.Calendar) (*Projection, error) {
	if cal == nil {
		return nil, domain.Invalid("calendar", "required", "")
	}
	if pol.Name() == "" {
		return nil, domain.Invalid("policy", "required", "")
	}
	b, err := json.Marshal(pol)
	if err != nil {
		return nil, fmt.Errorf("compliance: encoding policy: %w", err)
	}
	h := crc32.NewIEEE()
	h.Write(b)
	// Only years with a published or supplied table can differ from the
	// Labour Code computation, and those are the ones a deployment adds.
	for y := 1990; y <= 2100; y++ {
		if cal.HasTable(y) {
			t, err := cal.Year(y)
			if err != nil {
				return nil, err
			}
			tb, _ := json.Marshal(t)
			h.Write(tb)
		}
	}
	return &Projection{pol: pol, cal: cal, version: schemaVersion*1_000_000 + int(h.Sum32()%1_000_000)}, nil
}

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection; see schemaVersion.
func (p *Projection) Version() int { return p.version }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{ViewItems, ViewDossiers} }

// Policy is the jurisdiction policy the projection judges by.
func (p *Projection) Policy() policy.Policy { return p.pol }

// Setup implements projections.Projection. The (org, due) and (counterpart,
// due) indexes serve Items, Overdue and Summary, which always filter by a
// set of orgs; the partial index on open items keeps Overdue cheap when the
// history of closed items grows.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    item_id            uuid        PRIMARY KEY,  -- the triggering event
    dossier_id         uuid        NOT NULL,
    org_id             uuid,                     -- managing org when the trigger happened
    counterpart_org    uuid,                     -- receiving org of a transfer between orgs
    action             text        NOT NULL,     -- policy.ActionKind
    article            text        NOT NULL,
    anchor             text        NOT NULL,     -- the rule's anchor kind
    anchor_date        date        NOT NULL,
    due_date           date        NOT NULL,
    unit               text        NOT NULL,     -- working_days | days
    trigger_type       text        NOT NULL,
    transfer_id        uuid,
    outcome            text        NOT NULL,     -- open | done | cancelled | rejected
    closed_by          uuid,
    closed_on          date,                     -- recorded date (Vietnam) of the closing event
    late               boolean     NOT NULL,
    late_by            integer     NOT NULL,     -- in the rule's unit
    working_days_late  integer     NOT NULL,
    stream_version     bigint      NOT NULL,
    recorded_at        timestamptz NOT NULL
);
CREATE INDEX %[3]s ON %[1]s (org_id, due_date, item_id);
CREATE INDEX %[4]s ON %[1]s (counterpart_org, due_date, item_id) WHERE counterpart_org IS NOT NULL;
CREATE INDEX %[5]s ON %[1]s (due_date) WHERE outcome = 'open';
CREATE INDEX %[6]s ON %[1]s (dossier_id);

CREATE TABLE %[2]s (
    dossier_id       uuid   PRIMARY KEY,
    version          bigint NOT NULL,   -- last stream version applied
    managing_org     uuid,              -- NULL once management was revoked
    revoked_org      uuid,              -- the org a reactivation gives management back to
    change_proposals uuid[] NOT NULL,   -- pending proposals of kind "change"
    pending          jsonb              -- the open transfer item, if any
);`,
		t.Name(ViewItems), t.Name(ViewDossiers),
		t.Name("compliance_items_by_org"), t.Name("compliance_items_by_counterpart"),
		t.Name("compliance_items_open"), t.Name("compliance_items_by_dossier")))
	return err
}

// dossierState is compliance_dossiers' row.
type dossierState struct {
	id        uuid.UUID
	version   uint64
	managing  domain.OrgID // zero: revoked (or unknown)
	revoked   domain.OrgID
	proposals []uuid.UUID
	pending   *item
	dirty     bool // changed by this batch
}

func (s *dossierState) changeProposal(id uuid.UUID) bool { return slices.Contains(s.proposals, id) }

// Apply implements projections.Projection: ApplyBatch of one event.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	err := p.ApplyBatch(ctx, tx, t, []eventstore.Event{ev})
	var ee *projections.EventError
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

var knownTypes = dossier.EventTypes()

// ApplyBatch implements projections.BatchApplier: one read of the touched
// dossiers' states, a fold in Go, one upsert of the items and one of the
// states. An event at or below its dossier's stored version was applied
// already and is skipped, which makes the projection idempotent.
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
	states, err := loadStates(ctx, tx, t, ids)
	if err != nil {
		return err
	}
	items := map[uuid.UUID]*item{}
	var order []uuid.UUID
	put := func(it *item) {
		if _, ok := items[it.ID]; !ok {
			order = append(order, it.ID)
		}
		items[it.ID] = it
	}
	for i, ev := range events {
		id, ok := dossierOf(ev)
		if !ok {
			continue
		}
		st := states[id]
		if st == nil {
			st = &dossierState{id: id}
			states[id] = st
		}
		if ev.Version <= st.version {
			continue
		}
		rec, err := app.Recorded(ev, dossier.Decode)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		if err := p.fold(st, rec, put); err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		st.version, st.dirty = ev.Version, true
	}
	if err := writeItems(ctx, tx, t, order, items); err != nil {
		return err
	}
	return writeStates(ctx, tx, t, states)
}

// dossierOf reports the dossier of a dossier event of a known type; other
// events (orgs, accounts, types added by later code) are not this model's.
func dossierOf(ev eventstore.Event) (uuid.UUID, bool) {
	if !strings.HasPrefix(ev.StreamID, "dossier-") || !slices.Contains(knownTypes, ev.Type) {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(strings.TrimPrefix(ev.StreamID, "dossier-"))
	return id, err == nil
}

// fold applies one event to a dossier's state, emitting the items it opens
// or closes through put.
func (p *Projection) fold(st *dossierState, rec domain.Recorded, put func(*item)) error {
	m := rec.Meta
	recordedOn := domain.DateOf(m.RecordedAt)
	if c, ok := rec.Event.(dossier.Created); ok {
		st.managing = c.ManagingOrg
	}
	if tr, ok := triggers(rec.Event, m, st); ok {
		if rule, has := p.pol.Deadline(tr.action); has {
			anchor := anchorDate(rule, m)
			// A date the calendar cannot answer (outside 1900–2100) is a
			// typo in history; it yields no item rather than stopping the
			// projection for every org.
			if due, err := rule.Due(anchor, p.cal); err == nil {
				it := &item{
					ID: rec.ID, Dossier: st.id, Org: st.managing, Counterpart: tr.counterpart,
					Action: tr.action.String(), Article: rule.Article, Anchor: rule.Anchor.String(),
					AnchorDate: anchor, Due: due, Unit: rule.Unit.String(), Trigger: rec.Event.EventType(),
					TransferID: tr.transferID, Outcome: OutcomeOpen, Version: rec.Version,
					Recorded: m.RecordedAt.UTC().Format(time.RFC3339Nano),
				}
				if ti, ok := rec.Event.(dossier.TransferInitiated); ok {
					it.Org = ti.FromOrg
				}
				if tr.open {
					st.pending = it
				} else if err := p.close(it, OutcomeDone, rec.ID, recordedOn); err != nil {
					return err
				}
				put(it)
			}
		}
	}
	switch e := rec.Event.(type) {
	case dossier.TransferReceived:
		if it := st.pending; it != nil && it.TransferID == e.TransferID {
			if err := p.close(it, OutcomeDone, rec.ID, recordedOn); err != nil {
				return err
			}
			put(it)
		}
		st.pending = nil
		if e.Kind == dossier.TransferOutOfProvince {
			st.revoke()
		} else if !e.ManagingOrg.IsZero() {
			st.managing = e.ManagingOrg
		}
	case dossier.TransferRejected, dossier.TransferCancelled:
		outcome, tid := OutcomeRejected, uuid.Nil
		if c, ok := e.(dossier.TransferCancelled); ok {
			outcome, tid = OutcomeCancelled, c.TransferID
		} else {
			tid = e.(dossier.TransferRejected).TransferID
		}
		if it := st.pending; it != nil && it.TransferID == tid {
			if err := p.close(it, outcome, rec.ID, recordedOn); err != nil {
				return err
			}
			put(it)
		}
		st.pending = nil
	case dossier.StatusChanged:
		if e.Status == dossier.StatusTransferredOut {
			st.revoke()
		}
	case dossier.Corrected:
		if e.Reactivate && st.managing.IsZero() && !st.revoked.IsZero() {
			st.managing = st.revoked
		}
	case dossier.ManagingOrgChanged:
		st.managing = e.ToOrg
	case dossier.ProposalSubmitted:
		if e.Kind == dossier.ProposalChange && !st.changeProposal(e.ProposalID) {
			st.proposals = append(st.proposals, e.ProposalID)
		}
	case dossier.ProposalAccepted:
		st.proposals = slices.DeleteFunc(st.proposals, func(id uuid.UUID) bool { return id == e.ProposalID })
	case dossier.ProposalRejected:
		st.proposals = slices.DeleteFunc(st.proposals, func(id uuid.UUID) bool { return id == e.ProposalID })
	}
	return nil
}

func (s *dossierState) revoke() {
	if !s.managing.IsZero() {
		s.revoked = s.managing
	}
	s.managing = domain.OrgID{}
}

// close records how an item ended. Only a completion is judged: the number
// of days late in the rule's unit (policy.Check) and in working days.
func (p *Projection) close(it *item, outcome Outcome, by uuid.UUID, on domain.Date) error {
	it.Outcome, it.ClosedBy, it.ClosedOn = outcome, by, on
	it.Late, it.LateBy, it.LateWD = false, 0, 0
	if outcome != OutcomeDone {
		return nil
	}
	action, err := policy.ParseActionKind(it.Action)
	if err != nil {
		return err
	}
	a, err := p.pol.Check(action, it.AnchorDate, on, p.cal)
	if err != nil {
		return err
	}
	it.Late, it.LateBy = a.Late, a.Overdue
	if a.Late {
		if it.LateWD, err = p.cal.WorkingDaysLate(a.Due, on); err != nil {
			return err
		}
	}
	return nil
}

func loadStates(ctx context.Context, tx pgx.Tx, t projections.Tables, ids []uuid.UUID) (map[uuid.UUID]*dossierState, error) {
	rows, err := tx.Query(ctx, `SELECT dossier_id, version, managing_org, revoked_org, change_proposals, pending FROM `+
		t.Name(ViewDossiers)+` WHERE dossier_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("compliance: loading dossiers: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]*dossierState{}
	for rows.Next() {
		var s dossierState
		var v int64
		var managing, revoked *uuid.UUID
		var pending []byte
		if err := rows.Scan(&s.id, &v, &managing, &revoked, &s.proposals, &pending); err != nil {
			return nil, fmt.Errorf("compliance: loading dossiers: %w", err)
		}
		s.version = uint64(v)
		if managing != nil {
			s.managing = domain.OrgID(*managing)
		}
		if revoked != nil {
			s.revoked = domain.OrgID(*revoked)
		}
		if pending != nil {
			s.pending = new(item)
			if err := json.Unmarshal(pending, s.pending); err != nil {
				return nil, fmt.Errorf("compliance: dossier %s: pending item: %w", s.id, err)
			}
		}
		out[s.id] = &s
	}
	return out, rows.Err()
}

// nullOrg is an org id for a nullable uuid column.
func nullOrg(o domain.OrgID) *uuid.UUID {
	if o.IsZero() {
		return nil
	}
	u := uuid.UUID(o)
	return &u
}

func writeStates(ctx context.Context, tx pgx.Tx, t projections.Tables, states map[uuid.UUID]*dossierState) error {
	type row struct {
		ID        uuid.UUID   `json:"dossier_id"`
		Version   uint64      `json:"version"`
		Managing  *uuid.UUID  `json:"managing_org"`
		Revoked   *uuid.UUID  `json:"revoked_org"`
		Proposals []uuid.UUID `json:"change_proposals"`
		Pending   *item       `json:"pending"`
	}
	var rows []row
	for _, s := range states {
		if !s.dirty {
			continue
		}
		rows = append(rows, row{s.id, s.version, nullOrg(s.managing), nullOrg(s.revoked), append([]uuid.UUID{}, s.proposals...), s.pending})
	}
	if len(rows) == 0 {
		return nil
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
INSERT INTO `+t.Name(ViewDossiers)+` (dossier_id, version, managing_org, revoked_org, change_proposals, pending)
SELECT dossier_id, version, managing_org, revoked_org, ARRAY(SELECT jsonb_array_elements_text(change_proposals))::uuid[], pending
  FROM jsonb_to_recordset($1::jsonb) AS x(dossier_id uuid, version bigint, managing_org uuid, revoked_org uuid,
                                          change_proposals jsonb, pending jsonb)
ON CONFLICT (dossier_id) DO UPDATE SET version = EXCLUDED.version, managing_org = EXCLUDED.managing_org,
    revoked_org = EXCLUDED.revoked_org, change_proposals = EXCLUDED.change_proposals, pending = EXCLUDED.pending`, b)
	if err != nil {
		return fmt.Errorf("compliance: writing dossiers: %w", err)
	}
	return nil
}

// writeItems upserts every item the batch opened or closed, each once (the
// last state wins), as one statement.
func writeItems(ctx context.Context, tx pgx.Tx, t projections.Tables, order []uuid.UUID, items map[uuid.UUID]*item) error {
	if len(order) == 0 {
		return nil
	}
	list := make([]*item, len(order))
	for i, id := range order {
		list[i] = items[id]
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
INSERT INTO `+t.Name(ViewItems)+` (item_id, dossier_id, org_id, counterpart_org, action, article, anchor, anchor_date,
    due_date, unit, trigger_type, transfer_id, outcome, closed_by, closed_on, late, late_by, working_days_late,
    stream_version, recorded_at)
SELECT id, dossier, org, counterpart, action, article, anchor, anchor_date, due, unit, trigger, transfer_id, outcome,
       closed_by, closed_on, late, late_by, late_wd, version, recorded_at
  FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, dossier uuid, org uuid, counterpart uuid, action text, article text,
       anchor text, anchor_date date, due date, unit text, trigger text, transfer_id uuid, outcome text, closed_by uuid,
       closed_on date, late boolean, late_by integer, late_wd integer, version bigint, recorded_at timestamptz)
ON CONFLICT (item_id) DO UPDATE SET outcome = EXCLUDED.outcome, closed_by = EXCLUDED.closed_by,
    closed_on = EXCLUDED.closed_on, late = EXCLUDED.late, late_by = EXCLUDED.late_by,
    working_days_late = EXCLUDED.working_days_late`, b)
	if err != nil {
		return fmt.Errorf("compliance: writing items: %w", err)
	}
	return nil
}
