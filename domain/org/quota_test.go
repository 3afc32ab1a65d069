package org

import (
	"maps"
	"slices"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// TestStaffingQuota_PT5_2d_TG5_1b: an org's staffing quota (biên chế) is
// assigned per year by the deciding authority's decision, with the counts
// per category (PT 5.2đ "quản lý biên chế, hợp đồng"; BT 8.1 "theo biên
// chế được giao"); an adjusting decision for the same year replaces it from
// its effective date, other years untouched.
func TestStaffingQuota_PT5_2d_TG5_1b(t *testing.T) {
	t.Parallel()
	eff := day(2026, 1, 15)
	q26 := map[QuotaCategory]int{QuotaCongChuc: 40, QuotaContractWorkers: 5}
	assigned := step{StaffingQuotaAssigned{Year: 2026, Counts: q26}, day(2026, 1, 10)}
	tests := []struct {
		name  string
		given []step
		year  int
		count map[QuotaCategory]int
		m     func(domain.Meta) domain.Meta
		then  []domain.Event
		err   error
		rule  string
	}{
		{name: "assign", given: []step{founded}, year: 2026, count: q26,
			then: []domain.Event{StaffingQuotaAssigned{Year: 2026, Counts: q26}}},
		{name: "next year's quota, decided in December", given: []step{founded}, year: 2027, count: map[QuotaCategory]int{QuotaVienChuc: 3},
			then: []domain.Event{StaffingQuotaAssigned{Year: 2027, Counts: map[QuotaCategory]int{QuotaVienChuc: 3}}}},
		{name: "an adjustment", given: []step{founded, assigned}, year: 2026, count: map[QuotaCategory]int{QuotaCongChuc: 38},
			then: []domain.Event{StaffingQuotaAssigned{Year: 2026, Counts: map[QuotaCategory]int{QuotaCongChuc: 38}}}},
		{name: "restating the quota in force is a no-op", given: []step{founded, assigned}, year: 2026, count: map[QuotaCategory]int{QuotaCongChuc: 40, QuotaContractWorkers: 5}},
		{name: "a zero quota is a quota", given: []step{founded}, year: 2026, count: map[QuotaCategory]int{QuotaCanBo: 0},
			then: []domain.Event{StaffingQuotaAssigned{Year: 2026, Counts: map[QuotaCategory]int{QuotaCanBo: 0}}}},
		{name: "no counts", given: []step{founded}, year: 2026, count: nil, err: domain.ErrInvalid, rule: "counts"},
		{name: "an unknown category", given: []step{founded}, year: 2026, count: map[QuotaCategory]int{"hop_dong_68": 2}, err: domain.ErrInvalid, rule: "counts/hop_dong_68"},
		{name: "a negative count", given: []step{founded}, year: 2026, count: map[QuotaCategory]int{QuotaCongChuc: -1}, err: domain.ErrInvalid, rule: "counts/cong_chuc"},
		{name: "an absurd count", given: []step{founded}, year: 2026, count: map[QuotaCategory]int{QuotaCongChuc: MaxQuota + 1}, err: domain.ErrInvalid, rule: "counts/cong_chuc"},
		{name: "two years ahead", given: []step{founded}, year: 2028, count: q26, err: domain.ErrInvalid, rule: "year"},
		{name: "before the org existed", given: []step{founded}, year: 2007, count: q26, err: domain.ErrInvalid, rule: "year"},
		{name: "needs its decision", given: []step{founded}, year: 2026, count: q26,
			m: func(m domain.Meta) domain.Meta { m.Source = domain.SourceDocument{}; return m }, err: domain.ErrInvalid, rule: "source_document"},
		{name: "an ended org", given: []step{founded, merged}, year: 2026, count: q26, err: domain.ErrConflict, rule: "ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := meta(eff)
			if tt.m != nil {
				m = tt.m(m)
			}
			got, err := given(t, tt.given...).AssignStaffingQuota(m, tt.year, tt.count)
			check(t, got, err, tt.then, tt.err, tt.rule)
		})
	}

	o := given(t, founded, assigned,
		step{StaffingQuotaAssigned{Year: 2025, Counts: map[QuotaCategory]int{QuotaCongChuc: 45}}, day(2025, 1, 5)},
		step{StaffingQuotaAssigned{Year: 2026, Counts: map[QuotaCategory]int{QuotaCongChuc: 38}}, day(2026, 6, 1)})
	for _, c := range []struct {
		year int
		want int
		from domain.Date
		ok   bool
	}{{2024, 0, domain.Date{}, false}, {2025, 45, day(2025, 1, 5), true}, {2026, 38, day(2026, 6, 1), true}} {
		q, ok := o.StaffingQuota(c.year)
		if ok != c.ok || q.Counts[QuotaCongChuc] != c.want || q.From != c.from {
			t.Errorf("StaffingQuota(%d) = %+v, %v; want cong_chuc %d from %s, %v", c.year, q, ok, c.want, c.from, c.ok)
		}
		if ok && q.Decision.Number != "1234/QĐ-UBND" {
			t.Errorf("StaffingQuota(%d).Decision = %+v, want the decision recorded", c.year, q.Decision)
		}
	}
	if got := o.StaffingQuotas(); len(got) != 3 || got[0].Year != 2025 {
		t.Errorf("StaffingQuotas() = %+v, want the three decisions by effective date", got)
	}
	if QuotaContractWorkers.StaffingQuota() || !QuotaVienChuc.StaffingQuota() {
		t.Error("labour contracts are approved beside the biên chế, never part of it")
	}
}

// TestCheckQuota_PT5_2d: quota against the people in service. Contract
// workers count against their own approved number; against the biên chế
// total only when the policy says so (policy.StaffingQuotaRule).
func TestCheckQuota_PT5_2d(t *testing.T) {
	t.Parallel()
	quota := map[QuotaCategory]int{QuotaCongChuc: 10, QuotaVienChuc: 5, QuotaContractWorkers: 2}
	for _, tc := range []struct {
		name       string
		quota      map[QuotaCategory]int
		actual     map[QuotaCategory]int
		counted    bool
		over       []string
		total      int
		unassigned map[QuotaCategory]int
	}{
		{"within", quota, map[QuotaCategory]int{QuotaCongChuc: 10, QuotaVienChuc: 4, QuotaContractWorkers: 2}, false, nil, 14, map[QuotaCategory]int{}},
		{"civil servants over", quota, map[QuotaCategory]int{QuotaCongChuc: 11, QuotaVienChuc: 3}, false, []string{"cong_chuc"}, 14, map[QuotaCategory]int{}},
		{"the total over", quota, map[QuotaCategory]int{QuotaCongChuc: 11, QuotaVienChuc: 5}, false, []string{"cong_chuc", "bien_che"}, 16, map[QuotaCategory]int{}},
		{"contract workers apart: not in the total", quota, map[QuotaCategory]int{QuotaCongChuc: 10, QuotaVienChuc: 5, QuotaContractWorkers: 3}, false, []string{"nguoi_lao_dong"}, 15, map[QuotaCategory]int{}},
		{"contract workers counted: the total is over", quota, map[QuotaCategory]int{QuotaCongChuc: 10, QuotaVienChuc: 5, QuotaContractWorkers: 2}, true, []string{"bien_che"}, 17, map[QuotaCategory]int{}},
		{"an unassigned category is not judged", map[QuotaCategory]int{QuotaCongChuc: 10}, map[QuotaCategory]int{QuotaCongChuc: 9, QuotaCanBo: 2}, false, nil, 9, map[QuotaCategory]int{QuotaCanBo: 2}},
	} {
		got := CheckQuota(tc.quota, tc.actual, tc.counted)
		if !slices.Equal(got.Over, tc.over) || got.StaffingActual != tc.total || !maps.Equal(got.Unassigned, tc.unassigned) || got.OverQuota() != (len(tc.over) > 0) {
			t.Errorf("%s: CheckQuota = %+v; want over %v, biên chế actual %d, unassigned %v", tc.name, got, tc.over, tc.total, tc.unassigned)
		}
	}
}
