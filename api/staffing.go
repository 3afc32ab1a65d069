package api

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// Staffing quotas (biên chế, PT 5.2đ; BT 8.1). A quota is decided by an
// authority above the org, so it is recorded by the HR of a parent org
// (write_dossier over the org's parent: never the org's own HR alone) or
// by an administrator of the org (manage_orgs), the DoHA's role.

// quotaEntry is one quota decision of an org.
type quotaEntry struct {
	Year     int                   `json:"year"`
	From     domain.Date           `json:"from"`
	Counts   map[string]int        `json:"counts"`
	Decision domain.SourceDocument `json:"decision"`
}

func viewQuotas(o *org.Org) []quotaEntry {
	var out []quotaEntry
	for _, q := range o.StaffingQuotas() {
		counts := make(map[string]int, len(q.Counts))
		for c, n := range q.Counts {
			counts[string(c)] = n
		}
		out = append(out, quotaEntry{Year: q.Year, From: q.From, Counts: counts, Decision: q.Decision})
	}
	return out
}

var errCannotAssignQuota = &Error{Status: http.StatusForbidden, Code: CodeForbidden,
	Detail: "a staffing quota is recorded by the HR of a parent org or an administrator of the org"}

// orgForQuota loads the path's org for a quota decision: 404 outside the
// caller's view, 403 when the caller sees it but decides nothing for it.
func (s *Server) orgForQuota(c echo.Context) (*org.Org, error) {
	o, err := s.orgInPath(c, "")
	if err != nil {
		return nil, err
	}
	caller := CallerOf(c)
	parent := o.Parent()
	if caller.Can(account.ActionManageOrgs, o.ID()) || !parent.IsZero() && caller.Can(account.ActionWriteDossier, parent) {
		return o, nil
	}
	return nil, errCannotAssignQuota
}

type staffingQuotaRequest struct {
	Year   int                       `json:"year"`
	Counts map[org.QuotaCategory]int `json:"counts"`
	decision
}

// assignStaffingQuota: POST /orgs/{id}/staffing-quotas (If-Match) → 200
// with the org, its quota decisions included. The decision
// (source_document) is required; the domain names every bad field.
func (s *Server) assignStaffingQuota(c echo.Context) error {
	o, ifMatch, req, err := pathWrite[staffingQuotaRequest](c, s.orgForQuota)
	if err != nil {
		return err
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, "")
	if req.Year == 0 {
		f.add("/year", "required", "")
	}
	if err := f.err(); err != nil {
		return err
	}
	if _, err := s.deps.Orgs.AssignStaffingQuota(c.Request().Context(), o.ID(), ifMatch, req.Year, req.Counts, m); err != nil {
		return err
	}
	return s.respondOrg(c, http.StatusOK, o.ID())
}

// StaffingView is one org's staffing quota beside the people in service,
// in the headcount report: the quota in force for the as-of date's year,
// the people employed in the org itself (its employing unit: a quota is
// the employing body's, not the managing org's) on that date.
type StaffingView struct {
	Org        domain.OrgID              `json:"org"`
	Year       int                       `json:"year"`
	From       domain.Date               `json:"from"`
	Decision   eventstore.SourceDocument `json:"decision"`
	Categories []StaffingCategory        `json:"categories"`
	// Unassigned: people in service of a category the decision assigned
	// no number for (not judged).
	Unassigned map[string]int `json:"unassigned,omitempty"`
	// BienChe is the staffing quota total, absent when the decision
	// assigned only labour contracts.
	BienChe *StaffingTotal `json:"bien_che,omitempty"`
	// ContractWorkers: the labour-contract workers employed there, always
	// counted apart from the biên chế categories.
	ContractWorkers int `json:"contract_workers"`
	// OverQuota flags the org; Over says what exceeds its number
	// (categories, and "bien_che" for the total).
	OverQuota bool     `json:"over_quota"`
	Over      []string `json:"over"`
}

// StaffingCategory is one assigned category.
type StaffingCategory struct {
	Category string `json:"category"`
	Quota    int    `json:"quota"`
	Actual   int    `json:"actual"`
	Over     bool   `json:"over"`
}

// StaffingTotal is the biên chế total and the reading it was made by.
type StaffingTotal struct {
	Quota                  int  `json:"quota"`
	Actual                 int  `json:"actual"`
	ContractWorkersInQuota bool `json:"contract_workers_in_quota"`
}

// staffing compares the quota in force for asOf's year of every org of
// scope that has one with the people employed in it on asOf, by the
// deployment policy's reading (policy.StaffingQuotaRule).
func (s *Server) staffing(ctx context.Context, scope []domain.OrgID, asOf domain.Date) ([]StaffingView, error) {
	quotas, err := s.deps.Views.StaffingQuotas(ctx, scope, asOf.Year())
	if err != nil || len(quotas) == 0 {
		return []StaffingView{}, err
	}
	ids := make([]domain.OrgID, len(quotas))
	for i, q := range quotas {
		ids[i] = q.Org
	}
	rows, err := s.deps.Views.Headcount(ctx, stats.Query{AsOf: asOf, Orgs: ids, GroupBy: []stats.Dimension{stats.ByUnit, stats.ByClass}})
	if err != nil {
		return nil, err
	}
	// The query also counts people the orgs manage but employ elsewhere:
	// only the employing unit's own count.
	actual := map[string]map[org.QuotaCategory]int{}
	for _, r := range rows {
		unit := r.Values[stats.ByUnit]
		if actual[unit] == nil {
			actual[unit] = map[org.QuotaCategory]int{}
		}
		actual[unit][org.QuotaCategory(r.Values[stats.ByClass])] += r.Count
	}
	reading := s.deps.Policy.StaffingQuota().ContractWorkersInQuota
	out := make([]StaffingView, 0, len(quotas))
	for _, q := range quotas {
		have := actual[q.Org.String()]
		chk := org.CheckQuota(q.Counts, have, reading)
		v := StaffingView{Org: q.Org, Year: q.Year, From: q.From, Decision: q.Decision, Categories: []StaffingCategory{},
			ContractWorkers: have[org.QuotaContractWorkers], OverQuota: chk.OverQuota(), Over: chk.Over}
		if v.Over == nil {
			v.Over = []string{}
		}
		for _, c := range chk.Categories {
			v.Categories = append(v.Categories, StaffingCategory{Category: string(c.Category), Quota: c.Quota, Actual: c.Actual, Over: c.Over})
		}
		for _, c := range slices.Sorted(maps.Keys(chk.Unassigned)) {
			if v.Unassigned == nil {
				v.Unassigned = map[string]int{}
			}
			v.Unassigned[string(c)] = chk.Unassigned[c]
		}
		if chk.HasStaffingQuota {
			v.BienChe = &StaffingTotal{Quota: chk.StaffingQuota, Actual: chk.StaffingActual, ContractWorkersInQuota: reading}
		}
		out = append(out, v)
	}
	return out, nil
}
