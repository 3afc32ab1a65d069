package org

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
)

// QuotaCategory is a category of staff a quota decision counts. The first
// three are the staffing quota proper (biên chế: officials and civil
// servants, and the public employees a public service unit may have);
// QuotaContractWorkers is the number of labour contracts approved beside
// it, never part of the biên chế (PT 5.2đ "quản lý biên chế, hợp đồng"
// keeps the two apart). The names are the dossier classes they count.
type QuotaCategory string

// The categories, named after the dossier classes (domain/dossier.Class).
const (
	QuotaCanBo           QuotaCategory = "can_bo"
	QuotaCongChuc        QuotaCategory = "cong_chuc"
	QuotaVienChuc        QuotaCategory = "vien_chuc"
	QuotaContractWorkers QuotaCategory = "nguoi_lao_dong"
)

var quotaCategories = []QuotaCategory{QuotaCanBo, QuotaCongChuc, QuotaVienChuc, QuotaContractWorkers}

// QuotaCategories lists every category, the biên chế ones first.
func QuotaCategories() []QuotaCategory { return slices.Clone(quotaCategories) }

// Valid reports whether c is one of the listed categories.
func (c QuotaCategory) Valid() bool { return slices.Contains(quotaCategories, c) }

// StaffingQuota reports whether c is part of the biên chế (every category
// but the approved labour contracts).
func (c QuotaCategory) StaffingQuota() bool { return c.Valid() && c != QuotaContractWorkers }

// MaxQuota bounds one category's count: no single org has more staff, so a
// larger number is a typo.
const MaxQuota = 100_000

// StaffingQuotaAssigned is stored as "org.staffing_quota_assigned.v1": by
// the deciding authority's decision (Meta.Source: number, date, issuer),
// the org's staffing for Year is Counts, per category (QuotaCategory
// names; a category absent was not assigned). A later decision for the
// same year (an adjustment) replaces the earlier one from its effective
// date; quotas of other years are untouched.
type StaffingQuotaAssigned struct {
	Year   int                   `json:"year"`
	Counts map[QuotaCategory]int `json:"counts"`
}

// TypeStaffingQuotaAssigned is StaffingQuotaAssigned's stored name.
const TypeStaffingQuotaAssigned = "org.staffing_quota_assigned.v1"

// EventType implements domain.Event.
func (StaffingQuotaAssigned) EventType() string { return TypeStaffingQuotaAssigned }

// QuotaEntry is one recorded quota decision: for Year, from From (the
// decision's effective date), Counts, on Decision.
type QuotaEntry struct {
	Year     int
	From     domain.Date
	Counts   map[QuotaCategory]int
	Decision domain.SourceDocument
}

// StaffingQuotas is every quota decision recorded, sorted by effective
// date (the later recorded last among equal dates).
func (o *Org) StaffingQuotas() []QuotaEntry {
	out := make([]QuotaEntry, len(o.quotas))
	for i, q := range o.quotas {
		q.Counts = maps.Clone(q.Counts)
		out[i] = q
	}
	return out
}

// StaffingQuota is the quota for year in force: the last decision for that
// year by effective date; false when none was recorded.
func (o *Org) StaffingQuota(year int) (QuotaEntry, bool) {
	for i := len(o.quotas) - 1; i >= 0; i-- {
		if q := o.quotas[i]; q.Year == year {
			q.Counts = maps.Clone(q.Counts)
			return q, true
		}
	}
	return QuotaEntry{}, false
}

// AssignStaffingQuota decides the org's staffing quota for year, by the
// decision in m.Source (required), effective m.EffectiveDate. Errors:
// domain.ErrInvalid (a *domain.ValidationError) when year is before 1945,
// before the org's founding year or later than the year after the
// effective date ("year": range), when counts is empty ("counts":
// required) or names an unknown category ("counts/<name>": enum) or a
// count outside 0–MaxQuota ("counts/<name>": range); domain.ErrConflict
// (a *domain.StateError) when the org has ended or the date is before its
// founding. A decision restating the quota in force for the year returns
// no events.
func (o *Org) AssignStaffingQuota(m domain.Meta, year int, counts map[QuotaCategory]int) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	switch {
	case year < 1945:
		v.Add("year", "range", "from 1945")
	case !o.created.IsZero() && year < o.created.Year():
		v.Add("year", "range", fmt.Sprintf("not before the org's founding year %d", o.created.Year()))
	case !m.EffectiveDate.IsZero() && year > m.EffectiveDate.Year()+1:
		v.Add("year", "range", fmt.Sprintf("at most the year after the decision's effective year, %d", m.EffectiveDate.Year()+1))
	}
	if len(counts) == 0 {
		v.Add("counts", "required", "at least one category: "+categoryNames())
	}
	for _, c := range slices.Sorted(maps.Keys(counts)) {
		switch n := counts[c]; {
		case !c.Valid():
			v.Add("counts/"+string(c), "enum", "one of "+categoryNames())
		case n < 0 || n > MaxQuota:
			v.Add("counts/"+string(c), "range", fmt.Sprintf("0–%d", MaxQuota))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkChange(m.EffectiveDate); err != nil {
		return nil, err
	}
	if cur, ok := o.StaffingQuota(year); ok && maps.Equal(cur.Counts, counts) {
		return nil, nil
	}
	return []domain.Event{StaffingQuotaAssigned{Year: year, Counts: maps.Clone(counts)}}, nil
}

func categoryNames() string {
	s := make([]string, len(quotaCategories))
	for i, c := range quotaCategories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// CategoryCheck is one category of a quota beside the people in service.
type CategoryCheck struct {
	Category QuotaCategory
	Quota    int
	Actual   int
	Over     bool
}

// QuotaCheck is an org's quota beside the people in service on a day.
type QuotaCheck struct {
	// Categories: each assigned category, in QuotaCategories order.
	Categories []CategoryCheck
	// Unassigned: people in service of a category the decision did not
	// assign (not judged: no number was decided for them).
	Unassigned map[QuotaCategory]int
	// StaffingQuota and StaffingActual are the biên chế totals: the sum of
	// the biên chế categories assigned, and the people in service of those
	// categories, plus the contract workers when the policy counts them
	// against the quota. HasStaffingQuota is false when the decision
	// assigned only labour contracts.
	HasStaffingQuota              bool
	StaffingQuota, StaffingActual int
	// ContractWorkersInQuota records the reading the totals were made by.
	ContractWorkersInQuota bool
	// Over lists what exceeds its number: categories, and "bien_che" for
	// the total.
	Over []string
}

// OverQuota reports whether anything exceeds its number.
func (c QuotaCheck) OverQuota() bool { return len(c.Over) > 0 }

// CheckQuota compares a quota's counts with actual (people in service, by
// category). contractWorkersInQuota is the policy's reading
// (policy.StaffingQuotaRule): when set, the contract workers count against
// the biên chế total as well as against their own approved number.
func CheckQuota(quota, actual map[QuotaCategory]int, contractWorkersInQuota bool) QuotaCheck {
	out := QuotaCheck{Unassigned: map[QuotaCategory]int{}, ContractWorkersInQuota: contractWorkersInQuota}
	for _, c := range quotaCategories {
		q, assigned := quota[c]
		if !assigned {
			if actual[c] > 0 {
				out.Unassigned[c] = actual[c]
			}
			continue
		}
		cc := CategoryCheck{Category: c, Quota: q, Actual: actual[c], Over: actual[c] > q}
		out.Categories = append(out.Categories, cc)
		if cc.Over {
			out.Over = append(out.Over, string(c))
		}
		if c.StaffingQuota() {
			out.HasStaffingQuota = true
			out.StaffingQuota += q
			out.StaffingActual += actual[c]
		}
	}
	if out.HasStaffingQuota {
		if contractWorkersInQuota {
			out.StaffingActual += actual[QuotaContractWorkers]
		}
		if out.StaffingActual > out.StaffingQuota {
			out.Over = append(out.Over, "bien_che")
		}
	}
	return out
}
