package api

import (
	"maps"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
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

// quotaCategories are the stored names, for the reports.
func quotaCategoryNames(counts map[org.QuotaCategory]int) []string {
	out := make([]string, 0, len(counts))
	for _, c := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, string(c))
	}
	return out
}
