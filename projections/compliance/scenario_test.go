package compliance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// want is what a scenario expects of one item.
type want struct {
	action     policy.ActionKind
	org        domain.OrgID
	anchor     domain.Date
	due        domain.Date
	done       domain.Date // zero: not done
	outcome    compliance.Outcome
	lateBy     int
	workdsLate int
}

func check(t *testing.T, got map[uuid.UUID]compliance.Item, id uuid.UUID, w want) {
	t.Helper()
	it, ok := got[id]
	if !ok {
		t.Errorf("no item for event %s (want %s)", id, w.action)
		return
	}
	if it.Action != w.action || it.Org != w.org || it.AnchorDate != w.anchor || it.Due != w.due || it.Done() != w.done ||
		it.Outcome != w.outcome || it.LateBy != w.lateBy || it.WorkingDaysLate != w.workdsLate || it.Late != (w.lateBy > 0) {
		t.Errorf("item %s:\n got  %s org=%s anchor=%s due=%s done=%s outcome=%s late=%v by=%d wd=%d\n want %s org=%s anchor=%s due=%s done=%s outcome=%s by=%d wd=%d",
			id, it.Action, it.Org, it.AnchorDate, it.Due, it.Done(), it.Outcome, it.Late, it.LateBy, it.WorkingDaysLate,
			w.action, w.org, w.anchor, w.due, w.done, w.outcome, w.lateBy, w.workdsLate)
	}
}

func noItem(t *testing.T, got map[uuid.UUID]compliance.Item, id uuid.UUID, what string) {
	t.Helper()
	if it, ok := got[id]; ok {
		t.Errorf("%s: unexpected item %s (%s)", what, id, it.Action)
	}
}

// TestPhuTho runs one scenario per rule of the Phú Thọ 2021 preset and
// checks every item, then the same log applied twice gives identical rows.
func TestPhuTho(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	cat := catalog.Default()

	// create_dossier, 10 working days from the valid paper dossier
	// (effective date). Thursday 2 January 2025 (1 January is off): the
	// 10th working day after it is 16 January.
	mover, createdMover := l.create("Chuyển Chậm", orgA, l.meta(orgA, d(2025, 1, 2), d(2025, 1, 6)))
	// 3 March 2025 is a Monday; the 10th working day after it is Monday
	// 17 March.
	_, createdOnTime := l.create("Đúng Hạn", orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 17)))
	_, createdLate := l.create("Trễ Hạn", orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 18)))

	// update_after_change, 30 calendar days: effective 10 January 2025,
	// day 30 is Sunday 9 February, so the deadline moves to Monday 10;
	// recorded on 20 February it is 10 days (8 working days) late.
	salary := l.DossierDo(mover, l.meta(orgA, d(2025, 1, 10), d(2025, 2, 20)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267}}, l.meta(orgA, d(2025, 1, 10), d(2025, 2, 20)), cat)
	})

	// transfer_between_orgs, 5 working days from the decision's effective
	// date: PT 9.1, the sending org's duty ends when it sends. Sent 6
	// working days after it, the sender is late by 1.
	initiated := l.DossierDo(mover, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 11)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("t1"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 11)))
	})
	received := l.DossierDo(mover, l.meta(orgB, d(2025, 3, 11), d(2025, 3, 11)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ReceiveTransfer(uid("t1"), l.meta(orgB, d(2025, 3, 11), d(2025, 3, 11)))
	})

	// The same rule met on time: sent on the day of the decision. PT 9.1
	// (TG 10.3, BĐ II.5a) gives the receiving org no deadline: its receipt
	// on the 5th working day opens and closes nothing.
	quick, createdQuick := l.create("Nhanh", orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)))
	quickInit := l.DossierDo(quick, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("t2"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)))
	})
	l.DossierDo(quick, l.meta(orgB, d(2025, 3, 10), d(2025, 3, 10)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ReceiveTransfer(uid("t2"), l.meta(orgB, d(2025, 3, 10), d(2025, 3, 10)))
	})
	// A personal detail without a source document is not timed.
	mNoSource := l.meta(orgB, d(2025, 3, 10), d(2025, 3, 10))
	mNoSource.Source = domain.SourceDocument{}
	family := l.DossierDo(quick, mNoSource, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.AddRow(dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: uid("f1"), Side: dossier.FamilyOwn, Relation: "Mẹ", Name: "Lê Thị Mơ", BirthYear: 1960}}, mNoSource, cat)
	})

	// status_change, 5 working days: retirement effective Friday 25 April
	// 2025. Saturday 26 April is a working day (swapped), 30 April–2 May
	// are off: the 5th working day is Tuesday 6 May. Recorded 7 May: late
	// 1. The dossier is managed by orgB since the transfer.
	retired := l.DossierDo(mover, l.meta(orgB, d(2025, 4, 25), d(2025, 5, 7)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ChangeStatus(dossier.StatusRetired, l.meta(orgB, d(2025, 4, 25), d(2025, 5, 7)))
	})

	// PT 9.1: a transfer sent and never received is nobody's overdue item:
	// the sender's duty ended when it sent, the receiver has no deadline.
	pending, createdPending := l.create("Chờ Nhận", orgA, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	pendingInit := l.DossierDo(pending, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("t3"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgC}, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	})
	// A transfer cancelled after it was sent: the sending was done.
	cancelled, createdCancelled := l.create("Hủy", orgA, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	cancelledInit := l.DossierDo(cancelled, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("t4"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgC}, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	})
	l.DossierDo(cancelled, l.meta(orgA, d(2025, 6, 16), d(2025, 6, 16)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.CancelTransfer(uid("t4"), l.meta(orgA, d(2025, 6, 16), d(2025, 6, 16)))
	})
	// Phú Thọ sets no deadline for internal transfers: no item.
	internal := l.DossierDo(cancelled, l.meta(orgA, d(2025, 6, 17), d(2025, 6, 17)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("t5"), Kind: dossier.TransferInternal, TargetOrg: unitX, TargetAncestry: []domain.OrgID{unitX, orgA}}, l.meta(orgA, d(2025, 6, 17), d(2025, 6, 17)))
	})
	// A transfer out of the province is a status change: open from the
	// decision, done when the hand-over is recorded (Thursday 3 July is the
	// 5th working day after Thursday 26 June).
	leaver, createdLeaver := l.create("Ra Tỉnh", orgA, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	outInit := l.DossierDo(leaver, l.meta(orgA, d(2025, 6, 26), d(2025, 6, 26)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("t6"), Kind: dossier.TransferOutOfProvince}, l.meta(orgA, d(2025, 6, 26), d(2025, 6, 26)))
	})
	l.DossierDo(leaver, l.meta(orgA, d(2025, 7, 3), d(2025, 7, 3)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ReceiveTransfer(uid("t6"), l.meta(orgA, d(2025, 7, 3), d(2025, 7, 3)))
	})

	events := l.Events()
	p := preset(t, "phu-tho-2021")
	pool := projectiontest.NewDB(t)
	tables := projectiontest.Build(t, pool, p, 1, events, 1)
	got := allItems(t, pool, orgA, orgB, orgC)

	done := compliance.OutcomeDone
	check(t, got, createdMover, want{policy.CreateDossier, orgA, d(2025, 1, 2), d(2025, 1, 16), d(2025, 1, 6), done, 0, 0})
	check(t, got, createdOnTime, want{policy.CreateDossier, orgA, d(2025, 3, 3), d(2025, 3, 17), d(2025, 3, 17), done, 0, 0})
	check(t, got, createdLate, want{policy.CreateDossier, orgA, d(2025, 3, 3), d(2025, 3, 17), d(2025, 3, 18), done, 1, 1})
	check(t, got, salary[0], want{policy.UpdateAfterChange, orgA, d(2025, 1, 10), d(2025, 2, 10), d(2025, 2, 20), done, 10, 8})
	check(t, got, initiated[0], want{policy.TransferBetweenOrgs, orgA, d(2025, 3, 3), d(2025, 3, 10), d(2025, 3, 11), done, 1, 1}) // PT 9.1
	if it := got[initiated[0]]; it.Counterpart != orgB || it.ClosedBy != initiated[0] || it.TransferID != uid("t1") {
		t.Errorf("transfer item: counterpart %s closed by %s transfer %s; want %s, %s, %s", it.Counterpart, it.ClosedBy, it.TransferID, orgB, initiated[0], uid("t1"))
	}
	noItem(t, got, received[0], "the receipt completes the transfer item")
	check(t, got, createdQuick, want{policy.CreateDossier, orgA, d(2025, 3, 3), d(2025, 3, 17), d(2025, 3, 3), done, 0, 0})
	check(t, got, quickInit[0], want{policy.TransferBetweenOrgs, orgA, d(2025, 3, 3), d(2025, 3, 10), d(2025, 3, 3), done, 0, 0})
	noItem(t, got, family[0], "update without source document")
	check(t, got, retired[0], want{policy.StatusChange, orgB, d(2025, 4, 25), d(2025, 5, 6), d(2025, 5, 7), done, 1, 1})
	check(t, got, createdPending, want{policy.CreateDossier, orgA, d(2025, 6, 2), d(2025, 6, 16), d(2025, 6, 2), done, 0, 0})
	check(t, got, pendingInit[0], want{policy.TransferBetweenOrgs, orgA, d(2025, 6, 2), d(2025, 6, 9), d(2025, 6, 2), done, 0, 0})
	check(t, got, createdCancelled, want{policy.CreateDossier, orgA, d(2025, 6, 2), d(2025, 6, 16), d(2025, 6, 2), done, 0, 0})
	check(t, got, cancelledInit[0], want{policy.TransferBetweenOrgs, orgA, d(2025, 6, 2), d(2025, 6, 9), d(2025, 6, 2), done, 0, 0})
	noItem(t, got, internal[0], "internal transfer under Phú Thọ")
	check(t, got, createdLeaver, want{policy.CreateDossier, orgA, d(2025, 6, 2), d(2025, 6, 16), d(2025, 6, 2), done, 0, 0})
	check(t, got, outInit[0], want{policy.StatusChange, orgA, d(2025, 6, 26), d(2025, 7, 3), d(2025, 7, 3), done, 0, 0})
	if len(got) != 14 {
		t.Errorf("%d items, want 14", len(got))
	}

	ctx := context.Background()
	for _, tc := range []struct {
		orgs []domain.OrgID
		asOf domain.Date
		want []uuid.UUID
	}{
		// PT 9.1: the transfer never received is overdue for nobody: the
		// sender sent on time, the receiver owes no deadline.
		{[]domain.OrgID{orgC}, d(2025, 6, 10), nil},
		{[]domain.OrgID{orgA}, d(2025, 6, 20), nil},
		{[]domain.OrgID{orgC}, d(2025, 12, 31), nil},
		{[]domain.OrgID{orgB}, d(2025, 12, 31), nil},
		// In hindsight the salary change was overdue from 11 to 19
		// February; the late transfer is not overdue on the day it was
		// received.
		{[]domain.OrgID{orgA}, d(2025, 2, 15), []uuid.UUID{salary[0]}},
		{[]domain.OrgID{orgA}, d(2025, 3, 11), nil},
		{[]domain.OrgID{orgB}, d(2025, 5, 7), nil},
		{[]domain.OrgID{orgB}, d(2025, 3, 11), nil},
	} {
		items, err := compliance.Overdue(ctx, pool, tc.orgs, tc.asOf)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uuid.UUID
		for _, it := range items {
			ids = append(ids, it.ID)
			if it.DaysOverdue != it.Due.DaysUntil(tc.asOf) || it.DaysOverdue <= 0 {
				t.Errorf("Overdue(%s): item %s overdue by %d days", tc.asOf, it.ID, it.DaysOverdue)
			}
		}
		if !sameSet(ids, tc.want) {
			t.Errorf("Overdue(%v, %s) = %v, want %v", tc.orgs, tc.asOf, ids, tc.want)
		}
	}

	sum, err := compliance.Summary(ctx, pool, compliance.SummaryQuery{Orgs: []domain.OrgID{orgA, orgB, orgC}, AsOf: d(2025, 6, 20)})
	if err != nil {
		t.Fatal(err)
	}
	wantSum := map[domain.OrgID]compliance.OrgSummary{
		// orgA: 7 creations (6 on time, 1 late), the late salary change,
		// transfers t1 sent late, t2, t3 and t4 sent on time (PT 9.1:
		// receiving, or not, is not the sender's), the transfer out done
		// on time.
		orgA: {Org: orgA, OnTime: 6 + 3 + 1, Late: 1 + 1 + 1},
		// orgB managed the retired dossier.
		orgB: {Org: orgB, Late: 1},
	}
	if len(sum) != len(wantSum) {
		t.Errorf("Summary = %+v, want %+v", sum, wantSum)
	}
	for _, s := range sum {
		if s != wantSum[s.Org] {
			t.Errorf("Summary[%s] = %+v, want %+v", s.Org, s, wantSum[s.Org])
		}
	}
	// The period bounds the judged items, not the overdue count.
	sum, err = compliance.Summary(ctx, pool, compliance.SummaryQuery{Orgs: []domain.OrgID{orgA}, From: d(2025, 3, 1), To: d(2025, 3, 31), AsOf: d(2025, 6, 20)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) != 1 || sum[0] != (compliance.OrgSummary{Org: orgA, OnTime: 3, Late: 2}) {
		t.Errorf("Summary(March) = %+v", sum)
	}

	// LateOnly and action filters.
	page, err := compliance.Items(ctx, pool, compliance.Filter{Orgs: []domain.OrgID{orgA, orgB}, LateOnly: true, Actions: []policy.ActionKind{policy.TransferBetweenOrgs, policy.StatusChange}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].ID != initiated[0] || page.Items[1].ID != retired[0] {
		t.Errorf("late transfers and status changes = %+v", page.Items)
	}
	// Paging one by one through the items due in March: the two
	// transfers (10th) and three creations (17th).
	var paged []uuid.UUID
	f := compliance.Filter{Orgs: []domain.OrgID{orgA}, From: d(2025, 3, 1), To: d(2025, 3, 31), Limit: 1}
	for {
		page, err := compliance.Items(ctx, pool, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			paged = append(paged, it.ID)
			if it.Due.Before(f.From) || it.Due.After(f.To) {
				t.Errorf("item due %s outside March", it.Due)
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	if want := []uuid.UUID{initiated[0], quickInit[0], createdOnTime, createdLate, createdQuick}; !sameSet(paged, want) || len(paged) != 5 {
		t.Errorf("paging March one by one: %v, want %v", paged, want)
	}

	// Idempotency: every event applied twice gives the same rows.
	twice := projectiontest.Build(t, pool, p, 2, events, 2)
	if a, b := dump(t, pool, tables), dump(t, pool, twice); a != b {
		t.Errorf("applying each event twice changed the model:\nonce:  %.400s\ntwice: %.400s", a, b)
	}
}

// TestTienGiang: Tiền Giang times internal transfers (5 working days) but
// not the creation of a dossier nor status changes.
func TestTienGiang(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	id, created := l.create("Tiền Giang", orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 4, 30)))
	// Decision effective Monday 3 March 2025; received Wednesday 12 March,
	// the 7th working day: 2 working days late.
	init := l.DossierDo(id, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("tg1"), Kind: dossier.TransferInternal, TargetOrg: unitX, TargetAncestry: []domain.OrgID{unitX, orgA}}, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)))
	})
	l.DossierDo(id, l.meta(unitX, d(2025, 3, 12), d(2025, 3, 12)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ReceiveTransfer(uid("tg1"), l.meta(unitX, d(2025, 3, 12), d(2025, 3, 12)))
	})
	retired := l.DossierDo(id, l.meta(orgA, d(2025, 4, 1), d(2025, 9, 1)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ChangeStatus(dossier.StatusRetired, l.meta(orgA, d(2025, 4, 1), d(2025, 9, 1)))
	})
	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "tien-giang-2025"), 1, l.Events(), 1)
	got := allItems(t, pool, orgA)
	check(t, got, init[0], want{policy.TransferInternal, orgA, d(2025, 3, 3), d(2025, 3, 10), d(2025, 3, 12), compliance.OutcomeDone, 2, 2})
	noItem(t, got, created, "creation under Tiền Giang")
	noItem(t, got, retired[0], "status change under Tiền Giang")
	if len(got) != 1 {
		t.Errorf("%d items, want 1", len(got))
	}
}

// TestRunner runs the projection through the runner (batches, views,
// checkpoint) with every event delivered twice.
func TestRunner(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	for i, name := range []string{"Một", "Hai", "Ba"} {
		id, _ := l.create(name, orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 17+i)))
		l.DossierDo(id, l.meta(orgA, d(2025, 3, 20), d(2025, 3, 20)), func(x *dossier.Dossier) ([]domain.Event, error) {
			return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("r" + name), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, l.meta(orgA, d(2025, 3, 20), d(2025, 3, 20)))
		})
	}
	pool := projectiontest.NewDB(t)
	p := preset(t, "phu-tho-2021")
	r := projections.NewRunner(pool, projectiontest.Twice{Store: l.Store}, projections.Config{BatchSize: 4, PollInterval: 10 * time.Millisecond, BatchWindow: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	sum, err := compliance.Summary(ctx, pool, compliance.SummaryQuery{Orgs: []domain.OrgID{orgA}, AsOf: d(2025, 4, 30)})
	if err != nil {
		t.Fatal(err)
	}
	// Creations recorded on the 10th, 11th and 12th working day: 1 on
	// time, 2 late; three transfers sent on the day (PT 9.1: never
	// received is not the sender's delay), on time.
	if len(sum) != 1 || sum[0] != (compliance.OrgSummary{Org: orgA, OnTime: 1 + 3, Late: 2}) {
		t.Errorf("Summary = %+v", sum)
	}
}

func TestNewAndQueryErrors(t *testing.T) {
	t.Parallel()
	if _, err := compliance.New(policy.Policy{}, calendar.Official()); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("New(zero policy) = %v, want ErrInvalid", err)
	}
	pol, _ := policy.Preset("phu-tho-2021")
	if _, err := compliance.New(pol, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("New(nil calendar) = %v, want ErrInvalid", err)
	}
	a, _ := compliance.New(pol, calendar.Official())
	tg, _ := policy.Preset("tien-giang-2025")
	b, _ := compliance.New(tg, calendar.Official())
	if a.Version() == b.Version() {
		t.Errorf("two policies give the same Version %d: changing the policy would not rebuild", a.Version())
	}
	ctx := context.Background()
	for _, f := range []compliance.Filter{
		{},
		{Orgs: []domain.OrgID{orgA}, Limit: 1001},
		{Orgs: []domain.OrgID{orgA}, Cursor: "not-a-cursor"},
		{Orgs: []domain.OrgID{orgA}, From: d(2025, 2, 1), To: d(2025, 1, 1)},
	} {
		// The checks come before any query: a nil Querier is never used.
		if _, err := compliance.Items(ctx, nil, f); !errors.Is(err, compliance.ErrInvalid) || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Items(%+v) = %v, want ErrInvalid", f, err)
		}
	}
	if _, err := compliance.Overdue(ctx, nil, nil, d(2025, 1, 1)); !errors.Is(err, compliance.ErrInvalid) {
		t.Errorf("Overdue(no orgs) = %v, want ErrInvalid", err)
	}
	if _, err := compliance.Summary(ctx, nil, compliance.SummaryQuery{Orgs: []domain.OrgID{orgA}}); !errors.Is(err, compliance.ErrInvalid) {
		t.Errorf("Summary(no as-of) = %v, want ErrInvalid", err)
	}
}

func sameSet(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[uuid.UUID]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
