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

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
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
	// ViewApprovals holds every monthly approval with where it fell against
	// the jurisdiction's approval window: early and late ones are allowed
	// but flagged here.
	ViewApprovals = "compliance_approvals"
)

// schemaVersion is the version of the tables and of what Apply writes.
// Version() combines it with a digest of the policy and the calendar's
// tables: a deployment that changes its jurisdiction policy, or receives the
// next year's working-day table, must recompute every due date, which is
// what a new Version does (a rebuild beside the serving generation).
// 4: the person's data form (HU 9.1b, BĐ II.1b from the account's issue),
// arrivals from outside the province (TG 10.1a); each side of a transfer
// between orgs owes its own deadlines (sender done on sending, receiver's
// transfer_forward), requests (HU 10.2).
// 5: the reports each org submitted (org.report_submitted.v1), behind the
// report due dates of BT 13, HU 13, TG 15.5/16.8, BĐ III.2 (ReportDuties).
// 6: the outage notices to each org (BT 14.7, ViewOutages).
const schemaVersion = 6

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
func (*Projection) Views() []string {
	return []string{ViewItems, ViewDossiers, ViewApprovals, ViewReports, ViewOutages}
}

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
    pending          jsonb,             -- the open transfer item, if any
    person_form      jsonb,             -- the open person_form item (HU 9.1b, BĐ II.1b), if any
    form_opened      boolean NOT NULL,  -- a person_form item was ever opened: it opens once a dossier
    requests         jsonb              -- open request items (HU 10.2), one per requesting org
);

CREATE TABLE %[7]s (
    event_id        uuid        PRIMARY KEY,   -- the approval.signed event
    org_id          uuid        NOT NULL,
    month           text        NOT NULL,      -- yyyy-mm
    level           text        NOT NULL,      -- unit | department
    timing          text        NOT NULL,      -- early | in_window | late
    window_start    date,
    window_end      date,
    signed_on       date        NOT NULL,      -- recorded date, in Vietnam
    signer_account  uuid        NOT NULL,
    signer_subject  text        NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX %[8]s ON %[7]s (org_id, month);`,
		t.Name(ViewItems), t.Name(ViewDossiers),
		t.Name("compliance_items_by_org"), t.Name("compliance_items_by_counterpart"),
		t.Name("compliance_items_open"), t.Name("compliance_items_by_dossier"),
		t.Name(ViewApprovals), t.Name("compliance_approvals_by_org")))
	if err != nil {
		return err
	}
	if err := setupOutages(ctx, tx, t); err != nil {
		return err
	}
	return setupReports(ctx, tx, t)
}

// dossierState is compliance_dossiers' row.
type dossierState struct {
	id        uuid.UUID
	version   uint64
	managing  domain.OrgID // zero: revoked (or unknown)
	revoked   domain.OrgID
	proposals []uuid.UUID
	pending   *item
	// personForm is the open person_form item; formOpened says one was
	// ever opened (the duty is owed once: a replacement account does not
	// restart it, and a repeated account event changes nothing).
	personForm *item
	formOpened bool
	requests   []*item // the managing org's open duties to answer a request (HU 10.2)
	dirty      bool    // changed by this batch
}

func (s *dossierState) changeProposal(id uuid.UUID) bool { return slices.Contains(s.proposals, id) }

// request is the open request item of the requesting org, or nil.
func (s *dossierState) request(org domain.OrgID) *item {
	for _, it := range s.requests {
		if it.Counterpart == org {
			return it
		}
	}
	return nil
}

// receiverItemID is the id of the receiving org's item of a transfer
// initiated by event id: derived, so a rebuild gives the same id.
func receiverItemID(id uuid.UUID) uuid.UUID { return uuid.NewSHA1(id, []byte("transfer_forward")) }

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
	accounts := map[int]domain.Recorded{}
	for i, ev := range events {
		id, ok := dossierOf(ev)
		if !ok {
			rec, found, err := personalAccount(ev)
			if err != nil {
				return &projections.EventError{Index: i, Err: err}
			}
			if found {
				accounts[i] = rec
				id, ok = uuid.UUID(rec.Event.(account.Created).Dossier), true
			}
		}
		if ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := writeApprovals(ctx, tx, t, events); err != nil {
		return err
	}
	if err := writeReports(ctx, tx, t, events); err != nil {
		return err
	}
	if err := writeOutages(ctx, tx, t, events); err != nil {
		return err
	}
	if len(ids) == 0 {
		return p.closeArrivals(ctx, tx, t, events)
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
		if rec, ok := accounts[i]; ok {
			id := uuid.UUID(rec.Event.(account.Created).Dossier)
			st := states[id]
			if st == nil {
				st = &dossierState{id: id}
				states[id] = st
			}
			if err := p.accountIssued(st, rec, put); err != nil {
				return &projections.EventError{Index: i, Err: err}
			}
			continue
		}
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
		rec, err := projections.Recorded(ctx, ev, dossier.Decode)
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
	if err := writeStates(ctx, tx, t, states); err != nil {
		return err
	}
	return p.closeArrivals(ctx, tx, t, events)
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

// personalAccount decodes an account.created.v1 of a personal account that
// names its dossier (BĐ II.1b counts the person's duty from its issue).
func personalAccount(ev eventstore.Event) (domain.Recorded, bool, error) {
	if ev.Type != account.TypeCreated || !strings.HasPrefix(ev.StreamID, "account-") {
		return domain.Recorded{}, false, nil
	}
	rec, err := ledger.Recorded(ev, account.Decode)
	if err != nil {
		return domain.Recorded{}, false, err
	}
	c, ok := rec.Event.(account.Created)
	if !ok || c.Kind != account.KindPersonal || c.Dossier.IsZero() {
		return domain.Recorded{}, false, nil
	}
	return rec, true, nil
}

// accountIssued opens the person's own-data duty counted from the issue of
// their personal account (BĐ II.1b: 3 working days "kể từ ngày được cấp tài
// khoản người dùng"), under the rules anchored on account_issued. The item
// is the account event's; the org is the dossier's managing org (the
// account's home org if the dossier is not known yet).
func (p *Projection) accountIssued(st *dossierState, rec domain.Recorded, put func(*item)) error {
	if st.formOpened {
		return nil
	}
	org := st.managing
	if org.IsZero() {
		org = rec.Event.(account.Created).HomeOrg
	}
	it, ok, err := p.openDuty(rec.ID, st, org, policy.PersonForm, rec, true)
	if err != nil || !ok {
		return err
	}
	st.formOpened, st.dirty = true, true
	if it.Outcome == OutcomeOpen {
		st.personForm = it
	}
	put(it)
	return nil
}

// openDuty builds the item of a duty the event starts whose completion is
// a later event, under the rules of action anchored (fromAccount) or not on
// the account's issue. Imported history closes at once (see fold). No rule
// in force: no item.
func (p *Projection) openDuty(id uuid.UUID, st *dossierState, org domain.OrgID, action policy.ActionKind, rec domain.Recorded, fromAccount bool) (*item, bool, error) {
	m := rec.Meta
	r, err := p.pol.Governing(action, func(rule policy.Deadline) domain.Date {
		if (rule.Anchor == policy.AccountIssued) != fromAccount {
			return domain.Date{} // not this rule's anchor event
		}
		return anchorDate(rule, m)
	}, p.cal)
	if err != nil {
		return nil, false, nil
	}
	rule := r.Rule
	it := &item{
		ID: id, Dossier: st.id, Org: org, Action: action.String(), Article: rule.Article,
		Anchor: rule.Anchor.String(), AnchorDate: r.Start, Due: r.Due, Unit: rule.Unit.String(),
		Trigger: rec.Event.EventType(), Outcome: OutcomeOpen, Version: rec.Version,
		Recorded: m.RecordedAt.UTC().Format(time.RFC3339Nano),
	}
	if m.ImportedFrom != "" {
		if err := p.close(it, OutcomeImported, rec.ID, domain.DateOf(m.RecordedAt)); err != nil {
			return nil, false, err
		}
	}
	return it, true, nil
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
		// The rules in force on the day the duty started (each rule's own
		// anchor date) decide; of those the earliest due date governs
		// (policy.ForDeployment). No rule in force: no item. A date the
		// calendar cannot answer (outside 1900–2100) is a typo in history;
		// it yields no item rather than stopping the projection for every
		// org.
		if r, err := p.pol.Governing(tr.action, func(rule policy.Deadline) domain.Date { return anchorDate(rule, m) }, p.cal); err == nil {
			rule := r.Rule
			it := &item{
				ID: rec.ID, Dossier: st.id, Org: st.managing, Counterpart: tr.counterpart,
				Action: tr.action.String(), Article: rule.Article, Anchor: rule.Anchor.String(),
				AnchorDate: r.Start, Due: r.Due, Unit: rule.Unit.String(), Trigger: rec.Event.EventType(),
				TransferID: tr.transferID, Outcome: OutcomeOpen, Version: rec.Version,
				Recorded: m.RecordedAt.UTC().Format(time.RFC3339Nano),
			}
			if ti, ok := rec.Event.(dossier.TransferInitiated); ok {
				it.Org = ti.FromOrg
			}
			switch {
			case m.ImportedFrom != "":
				// Imported history is not judged against deadlines that ran
				// out before the ledger existed (go-live): the item closes at
				// once and no transfer is left pending.
				if err := p.close(it, OutcomeImported, rec.ID, recordedOn); err != nil {
					return err
				}
			case tr.request:
				st.requests = append(st.requests, it)
			case tr.open:
				st.pending = it
			default:
				if err := p.close(it, OutcomeDone, rec.ID, recordedOn); err != nil {
					return err
				}
			}
			put(it)
		}
	}
	if err := p.duties(st, rec, put); err != nil {
		return err
	}
	if ti, ok := rec.Event.(dossier.TransferInitiated); ok && ti.Kind == dossier.TransferBetweenOrgs {
		if err := p.sent(st, ti, rec, put); err != nil {
			return err
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
		outcome := OutcomeRejected
		var tid uuid.UUID
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
	case dossier.Reactivated:
		// TG 10.1: the receiving org manages the reactivated dossier and
		// owes its deadlines from now on.
		st.managing, st.revoked = e.ManagingOrg, domain.OrgID{}
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

// duties opens and closes the start-of-service duties beside the triggers'
// items:
//
//	dossier.created.v1                      → person_form (rules not anchored
//	                                          on the account), open (HU 9.1b)
//	account.created.v1 (personal, dossier)  → person_form (rules anchored on
//	                                          the account), open (BĐ II.1b);
//	                                          see accountIssued
//	dossier.proposal_submitted.v1           → completes the open person_form
//	dossier.reactivated.v1 from transferred_out,
//	dossier.created.v1 marked arrived_from_outside_province
//	                                        → transfer_in_from_outside, owned
//	                                          by the receiving org, open
//	                                          (TG 10.1a)
//
// The person's form is done when the person submits their first proposal
// (their own declaration through the personal account): the duty is the
// person's, and HR's entry of the data is the org's create_dossier duty.
// The request for the national-database sync (TG 10.1a) is done when the
// national database acknowledges the package that carried the arrival
// (closeArrivals); until then it stays open, overdue 10 working days
// after the hand-over.
func (p *Projection) duties(st *dossierState, rec domain.Recorded, put func(*item)) error {
	switch e := rec.Event.(type) {
	case dossier.Created:
		if e.ArrivedFromOutsideProvince {
			// TG 10.1a for a person this ledger never held: counted from
			// the creation's effective date (the hand-over).
			it, ok, err := p.openDuty(uuid.NewSHA1(rec.ID, []byte(policy.TransferInFromOutside.String())), st, e.ManagingOrg,
				policy.TransferInFromOutside, rec, false)
			if err != nil {
				return err
			}
			if ok {
				put(it)
			}
		}
		if st.formOpened {
			return nil
		}
		// The item of the creation is the create_dossier one; the form's
		// gets an id derived from the creation's.
		it, ok, err := p.openDuty(uuid.NewSHA1(rec.ID, []byte(policy.PersonForm.String())), st, st.managing, policy.PersonForm, rec, false)
		if err != nil || !ok {
			return err
		}
		st.formOpened = true
		if it.Outcome == OutcomeOpen {
			st.personForm = it
		}
		put(it)
	case dossier.ProposalSubmitted:
		if it := st.personForm; it != nil {
			if err := p.close(it, OutcomeDone, rec.ID, domain.DateOf(rec.Meta.RecordedAt)); err != nil {
				return err
			}
			put(it)
			st.personForm = nil
		}
	case dossier.Reactivated:
		// TG 10.1a: back from outside the province (the dossier left with
		// a transfer out of the province); the receiving org asks the DoHA
		// for the national-database sync within 10 working days of the
		// hand-over, here the reactivation's effective date.
		if e.FromStatus != dossier.StatusTransferredOut {
			return nil
		}
		it, ok, err := p.openDuty(rec.ID, st, e.ManagingOrg, policy.TransferInFromOutside, rec, false)
		if err != nil || !ok {
			return err
		}
		put(it)
	}
	return nil
}

// sent applies a transfer between orgs to each side's duties (PT 9.1,
// TG 10.3, BĐ II.5a, HU 10.2). The sending org's duty ends when it sends:
// the target's open request item is done by this event (its own item,
// when there was no request, was done by triggers). The receiving org's
// delay is its own: where the policy has a transfer_forward rule (HU 10.2's
// 30 days to receive and forward) an item owned by the target org opens,
// done when it receives. Where the regulation gives the receiver no
// deadline (PT 9.1, TG 10.3, BĐ II.5a name only the sender's), no item
// opens for it: the receiver owes nothing the ledger can judge.
func (p *Projection) sent(st *dossierState, ti dossier.TransferInitiated, rec domain.Recorded, put func(*item)) error {
	m := rec.Meta
	recordedOn := domain.DateOf(m.RecordedAt)
	outcome := OutcomeDone
	if m.ImportedFrom != "" {
		outcome = OutcomeImported
	}
	if req := st.request(ti.TargetOrg); req != nil {
		req.TransferID = ti.TransferID
		if err := p.close(req, outcome, rec.ID, recordedOn); err != nil {
			return err
		}
		put(req)
		st.requests = slices.DeleteFunc(st.requests, func(it *item) bool { return it == req })
	}
	r, err := p.pol.Governing(policy.TransferForward, func(rule policy.Deadline) domain.Date { return anchorDate(rule, m) }, p.cal)
	if err != nil {
		st.pending = nil
		return nil // no rule in force (or a date the calendar cannot answer): no item
	}
	it := &item{
		ID: receiverItemID(rec.ID), Dossier: st.id, Org: ti.TargetOrg, Counterpart: ti.FromOrg,
		Action: policy.TransferForward.String(), Article: r.Rule.Article, Anchor: r.Rule.Anchor.String(),
		AnchorDate: r.Start, Due: r.Due, Unit: r.Rule.Unit.String(), Trigger: rec.Event.EventType(),
		TransferID: ti.TransferID, Outcome: OutcomeOpen, Version: rec.Version,
		Recorded: m.RecordedAt.UTC().Format(time.RFC3339Nano),
	}
	st.pending = nil
	if outcome == OutcomeImported {
		if err := p.close(it, OutcomeImported, rec.ID, recordedOn); err != nil {
			return err
		}
	} else {
		st.pending = it
	}
	put(it)
	return nil
}

func (s *dossierState) revoke() {
	if !s.managing.IsZero() {
		s.revoked = s.managing
	}
	s.managing = domain.OrgID{}
}

// close records how an item ended. Only a completion is judged: the number
// of days late in the rule's unit (policy.Judge) and in working days.
func (p *Projection) close(it *item, outcome Outcome, by uuid.UUID, on domain.Date) error {
	it.Outcome, it.ClosedBy, it.ClosedOn = outcome, by, on
	it.Late, it.LateBy, it.LateWD = false, 0, 0
	if outcome != OutcomeDone {
		return nil
	}
	// Judged against the item's own due date and unit: the rule chosen when
	// the duty started, not whatever governs on another day.
	unit, err := policy.ParseUnit(it.Unit)
	if err != nil {
		return err
	}
	a, err := policy.Judge(it.Due, unit, on, p.cal)
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
	rows, err := tx.Query(ctx, `SELECT dossier_id, version, managing_org, revoked_org, change_proposals, pending, person_form, form_opened, requests FROM `+
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
		var pending, form, requests []byte
		if err := rows.Scan(&s.id, &v, &managing, &revoked, &s.proposals, &pending, &form, &s.formOpened, &requests); err != nil {
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
		if form != nil {
			s.personForm = new(item)
			if err := json.Unmarshal(form, s.personForm); err != nil {
				return nil, fmt.Errorf("compliance: dossier %s: person form item: %w", s.id, err)
			}
		}
		if requests != nil {
			if err := json.Unmarshal(requests, &s.requests); err != nil {
				return nil, fmt.Errorf("compliance: dossier %s: request items: %w", s.id, err)
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

// writeStates upserts the dossiers the batch changed, as column arrays in
// one statement (a batch as one jsonb document, taken apart by
// jsonb_to_recordset, cost more to parse than the rest of the batch).
func writeStates(ctx context.Context, tx pgx.Tx, t projections.Tables, states map[uuid.UUID]*dossierState) error {
	var (
		ids               [][16]byte
		managing, revoked []*uuid.UUID
		versions          []int64
		proposals         []string
		pending, forms    []*string
		formOpened        []bool
		requests          []*string
	)
	for _, s := range states {
		if !s.dirty {
			continue
		}
		ids, versions = append(ids, s.id), append(versions, int64(s.version))
		managing, revoked = append(managing, nullOrg(s.managing)), append(revoked, nullOrg(s.revoked))
		proposals = append(proposals, uuidArray(s.proposals))
		p, err := itemJSON(s.pending)
		if err != nil {
			return fmt.Errorf("compliance: encoding the pending item of %s: %w", s.id, err)
		}
		f, err := itemJSON(s.personForm)
		if err != nil {
			return fmt.Errorf("compliance: encoding the person form item of %s: %w", s.id, err)
		}
		pending, forms, formOpened = append(pending, p), append(forms, f), append(formOpened, s.formOpened)
		var rq *string
		if len(s.requests) > 0 {
			b, err := json.Marshal(s.requests)
			if err != nil {
				return fmt.Errorf("compliance: encoding the request items of %s: %w", s.id, err)
			}
			str := string(b)
			rq = &str
		}
		requests = append(requests, rq)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
INSERT INTO `+t.Name(ViewDossiers)+` (dossier_id, version, managing_org, revoked_org, change_proposals, pending, person_form, form_opened, requests)
SELECT id, version, managing, revoked, proposals::uuid[], pending, form, opened, requests
  FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[], $8::bool[], $9::jsonb[])
       AS x(id, version, managing, revoked, proposals, pending, form, opened, requests)
ON CONFLICT (dossier_id) DO UPDATE SET version = EXCLUDED.version, managing_org = EXCLUDED.managing_org,
    revoked_org = EXCLUDED.revoked_org, change_proposals = EXCLUDED.change_proposals, pending = EXCLUDED.pending,
    person_form = EXCLUDED.person_form, form_opened = EXCLUDED.form_opened, requests = EXCLUDED.requests`,
		ids, versions, managing, revoked, proposals, pending, forms, formOpened, requests)
	if err != nil {
		return fmt.Errorf("compliance: writing dossiers: %w", err)
	}
	return nil
}

// itemJSON is an optional item as a jsonb parameter.
func itemJSON(it *item) (*string, error) {
	if it == nil {
		return nil, nil
	}
	b, err := json.Marshal(it)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// uuidArray is the text form of a uuid[] (uuids need no quoting).
func uuidArray(ids []uuid.UUID) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id.String())
	}
	b.WriteByte('}')
	return b.String()
}

// writeItems upserts every item the batch opened or closed, each once (the
// last state wins), as column arrays in one statement.
func writeItems(ctx context.Context, tx pgx.Tx, t projections.Tables, order []uuid.UUID, items map[uuid.UUID]*item) error {
	n := len(order)
	if n == 0 {
		return nil
	}
	var (
		ids, dossiers, orgs                              = make([][16]byte, n), make([][16]byte, n), make([][16]byte, n)
		counterparts, transfers, closedBy                = make([]*uuid.UUID, n), make([]*uuid.UUID, n), make([]*uuid.UUID, n)
		actions, articles, anchors, units, triggers, out = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		anchorDates, dues, closedOn                      = make([]*string, n), make([]*string, n), make([]*string, n)
		late                                             = make([]bool, n)
		lateBy, lateWD                                   = make([]int32, n), make([]int32, n)
		versions                                         = make([]int64, n)
		recorded                                         = make([]time.Time, n)
	)
	optID := func(u uuid.UUID) *uuid.UUID {
		if u == uuid.Nil {
			return nil
		}
		return &u
	}
	optDate := func(d domain.Date) *string {
		if d.IsZero() {
			return nil
		}
		s := d.String()
		return &s
	}
	for i, id := range order {
		it := items[id]
		ids[i], dossiers[i], orgs[i] = it.ID, it.Dossier, it.Org
		counterparts[i], transfers[i], closedBy[i] = nullOrg(it.Counterpart), optID(it.TransferID), optID(it.ClosedBy)
		actions[i], articles[i], anchors[i], units[i], triggers[i], out[i] = it.Action, it.Article, it.Anchor, it.Unit, it.Trigger, string(it.Outcome)
		anchorDates[i], dues[i], closedOn[i] = optDate(it.AnchorDate), optDate(it.Due), optDate(it.ClosedOn)
		late[i], lateBy[i], lateWD[i], versions[i] = it.Late, int32(it.LateBy), int32(it.LateWD), int64(it.Version)
		at, err := time.Parse(time.RFC3339Nano, it.Recorded)
		if err != nil {
			return fmt.Errorf("compliance: item %s: recorded_at %q: %w", it.ID, it.Recorded, err)
		}
		recorded[i] = at
	}
	_, err := tx.Exec(ctx, `
INSERT INTO `+t.Name(ViewItems)+` (item_id, dossier_id, org_id, counterpart_org, action, article, anchor, anchor_date,
    due_date, unit, trigger_type, transfer_id, outcome, closed_by, closed_on, late, late_by, working_days_late,
    stream_version, recorded_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::date[],
       $9::date[], $10::text[], $11::text[], $12::uuid[], $13::text[], $14::uuid[], $15::date[], $16::bool[], $17::int[],
       $18::int[], $19::bigint[], $20::timestamptz[])
ON CONFLICT (item_id) DO UPDATE SET outcome = EXCLUDED.outcome, closed_by = EXCLUDED.closed_by,
    closed_on = EXCLUDED.closed_on, late = EXCLUDED.late, late_by = EXCLUDED.late_by,
    working_days_late = EXCLUDED.working_days_late, transfer_id = EXCLUDED.transfer_id`,
		ids, dossiers, orgs, counterparts, actions, articles, anchors, anchorDates, dues, units, triggers, transfers, out,
		closedBy, closedOn, late, lateBy, lateWD, versions, recorded)
	if err != nil {
		return fmt.Errorf("compliance: writing items: %w", err)
	}
	return nil
}

// writeApprovals records the batch's monthly approvals with their timing.
// The event id is the key, so applying an event twice changes nothing.
func writeApprovals(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	for i, ev := range events {
		if ev.Type != approval.TypeSigned {
			continue
		}
		e, err := approval.Decode(ev.Type, ev.Data)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		sig := e.(approval.Signed)
		var start, end *string
		if !sig.WindowStart.IsZero() {
			v := sig.WindowStart.String()
			start = &v
		}
		if !sig.WindowEnd.IsZero() {
			v := sig.WindowEnd.String()
			end = &v
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+t.Name(ViewApprovals)+`
  (event_id, org_id, month, level, timing, window_start, window_end, signed_on, signer_account, signer_subject, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8::date, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING`,
			ev.ID, uuid.UUID(sig.Org), sig.Month.String(), string(sig.Level), string(sig.Timing), start, end,
			domain.DateOf(ev.Meta.RecordedAt).String(), uuid.UUID(sig.SignerAccount), sig.SignerSubject, ev.Meta.RecordedAt); err != nil {
			return err
		}
	}
	return nil
}
