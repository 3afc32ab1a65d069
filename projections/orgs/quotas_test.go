package orgs_test

import (
	"context"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestStaffingQuotas_PT5_2d: the quota in force for a year is the last
// decision for that year by effective date, whatever order they were
// recorded in; every event applied twice changes nothing.
func TestStaffingQuotas_PT5_2d(t *testing.T) {
	t.Parallel()
	w := projectiontest.NewWorld(t)
	assign := func(o domain.OrgID, eff domain.Date, year int, counts map[org.QuotaCategory]int) {
		w.OrgDo(w.Admin, o, eff, func(x *org.Org, m domain.Meta) ([]domain.Event, error) { return x.AssignStaffingQuota(m, year, counts) })
	}
	assign(w.Dept, projectiontest.Day(2025, 12, 20), 2026, map[org.QuotaCategory]int{org.QuotaCongChuc: 40, org.QuotaContractWorkers: 4})
	assign(w.Dept, projectiontest.Day(2026, 6, 1), 2026, map[org.QuotaCategory]int{org.QuotaCongChuc: 38})
	// Recorded later, effective earlier: the June adjustment still governs.
	assign(w.Dept, projectiontest.Day(2026, 2, 1), 2026, map[org.QuotaCategory]int{org.QuotaCongChuc: 41})
	assign(w.Dept, projectiontest.Day(2025, 1, 1), 2025, map[org.QuotaCategory]int{org.QuotaCongChuc: 45})
	assign(w.Doha, projectiontest.Day(2026, 1, 2), 2026, map[org.QuotaCategory]int{org.QuotaCongChuc: 30})

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, orgs.New(), 1, w.Ledger.Events(), 2)
	ctx := context.Background()
	got, err := orgs.StaffingQuotas(ctx, pool, []domain.OrgID{w.Dept, w.Doha, w.Unit}, 2026)
	if err != nil {
		t.Fatal(err)
	}
	want := map[domain.OrgID]int{w.Dept: 38, w.Doha: 30}
	if len(got) != len(want) {
		t.Fatalf("StaffingQuotas(2026) = %+v, want quotas for %d orgs", got, len(want))
	}
	for _, q := range got {
		if q.Counts[org.QuotaCongChuc] != want[q.Org] || q.Year != 2026 || q.Decision.Number == "" {
			t.Errorf("quota of %s = %+v, want cong_chuc %d with its decision", q.Org, q, want[q.Org])
		}
	}
	old, err := orgs.StaffingQuotas(ctx, pool, []domain.OrgID{w.Dept}, 2025)
	if err != nil || len(old) != 1 || old[0].Counts[org.QuotaCongChuc] != 45 {
		t.Errorf("StaffingQuotas(2025) = %+v, %v; want 45", old, err)
	}
}
