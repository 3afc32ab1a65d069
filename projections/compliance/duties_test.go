package compliance_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// formItem is the id of the person_form item a creation opens (derived
// from the creation's id: the creation's own id is its create_dossier item).
func formItem(created uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(created, []byte(policy.PersonForm.String()))
}

// propose records the person's own declaration (their data form).
func (l ledger) propose(id domain.DossierID, m domain.Meta) uuid.UUID {
	return l.DossierDo(id, m, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.SubmitProposal(dossier.ProposalDraft{ProposalID: projectiontest.NewID(), Kind: dossier.ProposalChange,
			Patch: dossier.Patch{Health: &dossier.Health{Status: "tốt", HeightCM: 160}}}, m, projectiontest.AnyCode{})
	})[0]
}

func overdueIDs(t *testing.T, pool *pgxpool.Pool, org domain.OrgID, on domain.Date) []uuid.UUID {
	t.Helper()
	over, err := compliance.Overdue(context.Background(), pool, []domain.OrgID{org}, on)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for _, o := range over {
		ids = append(ids, o.ID)
	}
	return ids
}

// TestHuePersonForm: HU 9.1b — within 10 days of the recruitment decision
// the person fills in the data form and hands it to the org. The item opens
// at the dossier's creation, counted from the decision's date, owned (shown)
// by the managing org, and is done when the person submits their own
// declaration. The org's own 30 days (HU 9.1a) stay a separate item.
func TestHuePersonForm(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	// Decision Monday 5/1/2026: the form is due Thursday 15/1; handed in
	// Tuesday 20/1, 5 days late, 3 working days (16, 19, 20).
	late, createdLate := l.create("Phiếu Muộn", orgA, l.meta(orgA, d(2026, 1, 5), d(2026, 1, 6)))
	handedIn := l.propose(late, l.meta(orgA, d(2026, 1, 20), d(2026, 1, 20)))
	// Decision Monday 2/3/2026, due Thursday 12/3; never handed in.
	_, createdOpen := l.create("Chưa Nộp", orgA, l.meta(orgA, d(2026, 3, 2), d(2026, 3, 2)))

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "hue-health-2017"), 1, l.Events(), 2)
	got := allItems(t, pool, orgA)

	check(t, got, formItem(createdLate), want{policy.PersonForm, orgA, d(2026, 1, 5), d(2026, 1, 15), d(2026, 1, 20), compliance.OutcomeDone, 5, 3})
	if it := got[formItem(createdLate)]; it.ClosedBy != handedIn || it.Article != "Điều 9.1b" {
		t.Errorf("HU 9.1b form: closed by %s article %q; want the proposal %s, Điều 9.1b", it.ClosedBy, it.Article, handedIn)
	}
	// The org's creation duty (HU 9.1a) is its own item, done on recording.
	check(t, got, createdLate, want{policy.CreateDossier, orgA, d(2026, 1, 5), d(2026, 2, 4), d(2026, 1, 6), compliance.OutcomeDone, 0, 0})
	check(t, got, formItem(createdOpen), want{policy.PersonForm, orgA, d(2026, 3, 2), d(2026, 3, 12), domain.Date{}, compliance.OutcomeOpen, 0, 0})
	if ids := overdueIDs(t, pool, orgA, d(2026, 3, 12)); slices.Contains(ids, formItem(createdOpen)) {
		t.Errorf("HU 9.1b: overdue on its due date 12/3")
	}
	if ids := overdueIDs(t, pool, orgA, d(2026, 3, 13)); !slices.Contains(ids, formItem(createdOpen)) {
		t.Errorf("HU 9.1b: the form not handed in is not overdue on 13/3: %v", ids)
	}
}

// TestBinhDinhPersonFormFromAccount: BĐ II.1b — the person enters their
// own data within 3 working days "kể từ ngày được cấp tài khoản người
// dùng": counted from the issue of the personal account (account.created.v1
// naming the dossier), not from the decision. A replacement account does
// not restart the duty.
func TestBinhDinhPersonFormFromAccount(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	// Recruited on a decision of Monday 2/3/2026; the account issued on
	// Tuesday 10/3: due Friday 13/3 (11, 12, 13), whatever the decision.
	onTime, created := l.create("Đúng Hạn", orgA, l.meta(orgA, d(2026, 3, 2), d(2026, 3, 2)))
	issued := l.CreateAccount(domain.AccountID(uid("acct-ontime")), l.meta(orgA, d(2026, 3, 10), d(2026, 3, 10)), account.CreateAccount{
		Kind: account.KindPersonal, Username: "dung.han", DisplayName: "Đúng Hạn", HomeOrg: orgA, Dossier: onTime})
	entered := l.propose(onTime, l.meta(orgA, d(2026, 3, 13), d(2026, 3, 13)))
	// A replacement account on 1/4 opens nothing.
	replaced := l.CreateAccount(domain.AccountID(uid("acct-ontime-2")), l.meta(orgA, d(2026, 4, 1), d(2026, 4, 1)), account.CreateAccount{
		Kind: account.KindPersonal, Username: "dung.han2", DisplayName: "Đúng Hạn", HomeOrg: orgA, Dossier: onTime})
	// Another person: account issued Tuesday 10/3, nothing entered.
	silent, _ := l.create("Im Lặng", orgA, l.meta(orgA, d(2026, 3, 2), d(2026, 3, 2)))
	silentIssued := l.CreateAccount(domain.AccountID(uid("acct-silent")), l.meta(orgA, d(2026, 3, 10), d(2026, 3, 10)), account.CreateAccount{
		Kind: account.KindPersonal, Username: "im.lang", DisplayName: "Im Lặng", HomeOrg: orgA, Dossier: silent})

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "binh-dinh-2022"), 1, l.Events(), 2)
	got := allItems(t, pool, orgA)

	check(t, got, issued, want{policy.PersonForm, orgA, d(2026, 3, 10), d(2026, 3, 13), d(2026, 3, 13), compliance.OutcomeDone, 0, 0})
	if it := got[issued]; it.ClosedBy != entered || it.Anchor != policy.AccountIssued.String() || it.Article != "Mục II.1.b" {
		t.Errorf("BĐ II.1b: closed by %s anchor %s article %q; want the person's entry %s, account_issued, Mục II.1.b", it.ClosedBy, it.Anchor, it.Article, entered)
	}
	noItem(t, got, formItem(created), "BĐ II.1b does not count from the decision")
	noItem(t, got, replaced, "BĐ II.1b: a replacement account")
	check(t, got, silentIssued, want{policy.PersonForm, orgA, d(2026, 3, 10), d(2026, 3, 13), domain.Date{}, compliance.OutcomeOpen, 0, 0})
	if ids := overdueIDs(t, pool, orgA, d(2026, 3, 16)); !slices.Equal(ids, []uuid.UUID{silentIssued}) {
		t.Errorf("BĐ II.1b: overdue on 16/3 = %v, want only the silent person's form %s", ids, silentIssued)
	}
}

// TestTienGiangArrivalFromOutside: TG 10.1a — a person received from
// outside the province (their archived dossier reactivated after a
// transfer out, TG 10.1): the receiving org asks the DoHA in writing, within
// 10 working days of the hand-over, for the national-database sync. No
// event records that request yet (issue 15, the national sync, closes it):
// the item stays open and is overdue after its due date. A person
// re-employed after retiring did not arrive from outside: no item. A person
// this ledger never held is marked at the creation
// (arrived_from_outside_province) and owes the same request.
func TestTienGiangArrivalFromOutside(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	back, _ := l.create("Trở Về", orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)))
	l.DossierDo(back, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ChangeStatus(dossier.StatusTransferredOut, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	})
	// Received by orgB on Monday 2/3/2026: due Monday 16/3.
	m := l.meta(orgB, d(2026, 3, 2), d(2026, 3, 2))
	arrived := l.DossierDo(back, m, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.Reactivate(dossier.Reactivation{ManagingOrg: orgB}, m)
	})[0]

	rehired, _ := l.create("Tái Tuyển", orgA, l.meta(orgA, d(2025, 3, 3), d(2025, 3, 3)))
	l.DossierDo(rehired, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ChangeStatus(dossier.StatusRetired, l.meta(orgA, d(2025, 6, 2), d(2025, 6, 2)))
	})
	m2 := l.meta(orgB, d(2026, 3, 2), d(2026, 3, 2))
	rehiredEv := l.DossierDo(rehired, m2, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.Reactivate(dossier.Reactivation{ManagingOrg: orgB}, m2)
	})[0]

	// A person this ledger never held, received by orgB on Tuesday 3/3/2026
	// (creation marked arrived_from_outside_province): due Tuesday 17/3.
	newcomer := domain.DossierID(uid("dossier-newcomer"))
	dob := d(1990, 2, 3)
	createdArrival := l.CreateDossier(dossier.CreateDossier{
		DossierID: newcomer, Class: dossier.ClassCongChuc, ManagingOrg: orgB, EmployingUnit: orgB,
		PersonalIDNumber:           projectiontest.PersonalID(dossier.GenderMale, dob, l.Seq),
		Identity:                   dossier.Identity{BirthName: "Người Mới", Gender: dossier.GenderMale, DateOfBirth: dob, Ethnicity: "01"},
		ArrivedFromOutsideProvince: true,
	}, l.meta(orgB, d(2026, 3, 3), d(2026, 3, 3)), catalog.Default())
	// An ordinary recruitment is no arrival.
	_, createdLocal := l.create("Tại Chỗ", orgB, l.meta(orgB, d(2026, 3, 3), d(2026, 3, 3)))

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "tien-giang-2025"), 1, l.Events(), 2)
	got := allItems(t, pool, orgA, orgB)

	check(t, got, arrived, want{policy.TransferInFromOutside, orgB, d(2026, 3, 2), d(2026, 3, 16), domain.Date{}, compliance.OutcomeOpen, 0, 0})
	if it := got[arrived]; it.Article != "Điều 10.1a" {
		t.Errorf("TG 10.1a: article %q", it.Article)
	}
	noItem(t, got, rehiredEv, "TG 10.1a: re-employed after retiring is no arrival from outside")
	arrivalItem := uuid.NewSHA1(createdArrival, []byte(policy.TransferInFromOutside.String()))
	check(t, got, arrivalItem, want{policy.TransferInFromOutside, orgB, d(2026, 3, 3), d(2026, 3, 17), domain.Date{}, compliance.OutcomeOpen, 0, 0})
	noItem(t, got, uuid.NewSHA1(createdLocal, []byte(policy.TransferInFromOutside.String())), "TG 10.1a: a local recruitment")
	if ids := overdueIDs(t, pool, orgB, d(2026, 3, 16)); slices.Contains(ids, arrived) {
		t.Errorf("TG 10.1a: overdue on its due date")
	}
	if ids := overdueIDs(t, pool, orgB, d(2026, 3, 17)); !slices.Contains(ids, arrived) || slices.Contains(ids, arrivalItem) {
		t.Errorf("TG 10.1a: on 17/3 want the reactivation's request overdue and the newcomer's not yet: %v", ids)
	}
	if ids := overdueIDs(t, pool, orgB, d(2026, 3, 18)); !slices.Contains(ids, arrivalItem) {
		t.Errorf("TG 10.1a: the newcomer's request not sent is not overdue on 18/3: %v", ids)
	}
	if ids := overdueIDs(t, pool, orgA, d(2026, 3, 17)); slices.Contains(ids, arrived) {
		t.Errorf("TG 10.1a: the duty is the receiving org's, not the old org's")
	}
}
