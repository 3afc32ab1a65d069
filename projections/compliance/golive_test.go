package compliance_test

import (
	"context"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestImportedHistoryIsNotLate: go-live (issue 14). Under Phú Thọ 2021
// (create_dossier 10 wd, transfer_between_orgs 5 wd), history recorded on
// 1/12/2026 as imported — a creation effective 2022 and a transfer
// initiated in 2023 whose receipt was never entered (both after the
// preset took effect on 20/12/2021) — yields items closed
// at once with outcome "imported": not late, not overdue. A live write on
// the same dossier afterwards is judged as usual; applying the log twice
// changes nothing.
func TestImportedHistoryIsNotLate(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	goLive := d(2026, 12, 1)
	imported := func(org domain.OrgID, eff domain.Date) domain.Meta {
		m := l.meta(org, eff, goLive)
		m.ImportedFrom = "PMIS Sở Nội vụ"
		return m
	}
	id, created := l.create("Lịch Sử", orgA, imported(orgA, d(2022, 3, 2)))
	initiated := l.DossierDo(id, imported(orgA, d(2023, 5, 3)), func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("golive-t1"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, imported(orgA, d(2023, 5, 3)))
	})
	// Live, after go-live: a creation effective Tuesday 1/12/2026 is due
	// on the 10th working day after it, 15/12; recorded on 21/12 it is late.
	_, liveCreated := l.create("Trực Tiếp", orgA, l.meta(orgA, d(2026, 12, 1), d(2026, 12, 21)))

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "phu-tho-2021"), 1, l.Events(), 2)
	got := allItems(t, pool, orgA, orgB)

	imp := compliance.OutcomeImported
	check(t, got, created, want{policy.CreateDossier, orgA, d(2022, 3, 2), d(2022, 3, 16), domain.Date{}, imp, 0, 0})
	if it := got[created]; it.Done() != (domain.Date{}) || it.ClosedOn != goLive {
		t.Errorf("imported creation: done %s closed %s; want no completion, closed on go-live", it.Done(), it.ClosedOn)
	}
	if it := got[initiated[0]]; it.Outcome != imp || it.Late {
		t.Errorf("imported transfer: outcome %s late %v; want imported, not late", it.Outcome, it.Late)
	}
	if it := got[liveCreated]; it.Outcome != compliance.OutcomeDone || !it.Late {
		t.Errorf("live creation recorded after its due date: outcome %s late %v; want done and late", it.Outcome, it.Late)
	}
	over, err := compliance.Overdue(context.Background(), pool, []domain.OrgID{orgA, orgB}, d(2026, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(over) != 0 {
		t.Errorf("overdue on 31/12/2026 = %+v, want nothing (the 2023 transfer is imported history)", over)
	}
}
