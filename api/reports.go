package api

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// listArchive is GET /archive: the permanent archive (dossiers that left
// service and were not brought back) within the caller's read scope; the
// dossiers handed over out of the province only to callers whose scope is
// a whole province (TG 10.4–10.5). Filters
// as GET /dossiers where they apply, plus left_from/left_to (the date the
// departure took effect); sort=left_on (latest first, the default) or
// name. Every dossier listed is logged in the read log.
func (s *Server) listArchive(c echo.Context) error {
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	if err := s.listScope(c, &q); err != nil {
		return err
	}
	// TG 10.4: dossiers handed over out of the province are in the
	// province's archive (TG 10.5), not in the old org's.
	revoked, err := s.provinceWide(c, scopeAction(&q))
	if err != nil {
		return err
	}
	aq := dossiers.ArchiveQuery{
		Scope: q.Scope, IncludeRevoked: revoked, Text: q.Text, Statuses: q.Statuses, Classes: q.Classes,
		ManagingOrgs: q.ManagingOrgs, EmployingUnits: q.EmployingUnits, Sexes: q.Sexes, BornFrom: q.BornFrom,
		BornTo: q.BornTo, CivilServantNo: q.CivilServantNo, PersonalIDNumber: q.PersonalIDNumber,
		Limit: q.Limit, Cursor: q.Cursor,
	}
	if aq.LeftFrom, err = queryDate(c, "left_from"); err != nil {
		return err
	}
	if aq.LeftTo, err = queryDate(c, "left_to"); err != nil {
		return err
	}
	switch v, err := queryOne(c, "sort"); {
	case err != nil:
		return err
	case v == "" || v == "left_on":
		aq.Sort = dossiers.ArchiveByDeparture
	case v == "name":
		aq.Sort = dossiers.ArchiveByName
	default:
		return BadParameter("query:sort", "enum", "left_on or name")
	}
	page, err := s.deps.Views.Archive(c.Request().Context(), aq)
	if err != nil {
		return listError(err)
	}
	caller := CallerOf(c)
	out := ListView[SummaryView]{Items: make([]SummaryView, 0, len(page.Items)), NextCursor: page.Next}
	ids := make([]domain.DossierID, 0, len(page.Items))
	gate := make([]listed, 0, len(page.Items))
	provinceSensitive := s.provinceSensitive(c)
	for _, a := range page.Items {
		// The archive query has no id filter: a person with only a self
		// grant (or an id= filter) keeps their rows here.
		if len(q.IDs) > 0 && !slices.Contains(q.IDs, a.ID) {
			continue
		}
		v := summaryOf(caller, a.Summary)
		left, ev := a.LeftOn, a.DepartureEventID
		v.LeftOn, v.DepartureEventID = &left, &ev
		out.Items = append(out.Items, v)
		ids = append(ids, a.ID)
		gate = append(gate, listed{id: a.ID, personnel: summaryPersonnel(caller, a.Summary, provinceSensitive)})
	}
	consents, err := s.gateList(c, stated, gate)
	if err != nil {
		return err
	}
	if err := s.logListed(c, ids, consents); err != nil {
		return err
	}
	return s.reply(c, out, s.archiveSheet(out, reportOrgs(c, account.ActionReadDossier), caller.Today))
}

// complianceScope is the orgs whose compliance the caller may see: those
// where they read dossiers or the audit trail (narrowed by org=).
func (s *Server) complianceScope(c echo.Context) ([]domain.OrgID, error) {
	org, err := queryOrgs(c, "org")
	if err != nil {
		return nil, err
	}
	caller := CallerOf(c)
	if len(org) > 0 {
		for _, o := range org {
			if !caller.Can(account.ActionReadDossier, o) && !caller.Can(account.ActionReadAudit, o) {
				return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
					Errors: []FieldProblem{{Field: "query:org", Rule: "scope", Detail: o.String() + " is outside your scope"}}}
			}
		}
		return s.scopeOf(c, org)
	}
	return s.scopeOf(c, append(caller.Roots(account.ActionReadDossier), caller.Roots(account.ActionReadAudit)...))
}

func (s *Server) scopeOf(c echo.Context, roots []domain.OrgID) ([]domain.OrgID, error) {
	if len(roots) == 0 {
		return nil, nil
	}
	return s.deps.Views.OrgSubtree(c.Request().Context(), roots)
}

// ComplianceItemView is one required action (a deadline of the
// jurisdiction policy) and how it was met.
type ComplianceItemView struct {
	ID          uuid.UUID        `json:"id"`
	DossierID   domain.DossierID `json:"dossier_id"`
	Org         *domain.OrgID    `json:"org,omitempty"`
	Counterpart *domain.OrgID    `json:"counterpart,omitempty"`
	Action      string           `json:"action"`
	Article     string           `json:"article"`
	AnchorDate  domain.Date      `json:"anchor_date"`
	Due         domain.Date      `json:"due"`
	// DueVi is the due date as people read it (dd/mm/yyyy).
	DueVi           string      `json:"due_vi"`
	Unit            string      `json:"unit"`
	Trigger         string      `json:"trigger"`
	TransferID      *uuid.UUID  `json:"transfer_id,omitempty"`
	Outcome         string      `json:"outcome"`
	ClosedOn        domain.Date `json:"closed_on,omitzero"`
	Late            bool        `json:"late"`
	LateBy          int         `json:"late_by,omitempty"`
	WorkingDaysLate int         `json:"working_days_late,omitempty"`
	DaysOverdue     *int        `json:"days_overdue,omitempty"`
}

func complianceItem(it compliance.Item) ComplianceItemView {
	v := ComplianceItemView{
		ID: it.ID, DossierID: it.Dossier, Action: it.Action.String(), Article: it.Article, AnchorDate: it.AnchorDate,
		Due: it.Due, DueVi: it.Due.Vietnamese(), Unit: it.Unit, Trigger: it.Trigger, Outcome: string(it.Outcome),
		ClosedOn: it.ClosedOn, Late: it.Late, LateBy: it.LateBy, WorkingDaysLate: it.WorkingDaysLate,
	}
	if !it.Org.IsZero() {
		o := it.Org
		v.Org = &o
	}
	if !it.Counterpart.IsZero() {
		o := it.Counterpart
		v.Counterpart = &o
	}
	if it.TransferID != uuid.Nil {
		t := it.TransferID
		v.TransferID = &t
	}
	return v
}

// ComplianceSummaryView counts one org's items.
type ComplianceSummaryView struct {
	Org         domain.OrgID `json:"org"`
	OnTime      int          `json:"on_time"`
	Late        int          `json:"late"`
	Closed      int          `json:"closed"`
	OpenOverdue int          `json:"open_overdue"`
}

// The compliance routes: the deadlines of the jurisdiction policy per org
// in scope (org= narrows it), in four shapes, one route each. Each route
// takes only its own query parameters (routeParams), so compliance reads
// every parameter and finds the others absent.
//
//   - GET /compliance/items: the items, filtered by from/to on the due
//     date, late_only and action, with cursor paging;
//   - GET /compliance/overdue: the items open past their due date on as_of
//     (default today);
//   - GET /compliance/summary: counts per org (from/to, as_of);
//   - GET /compliance/approvals: the monthly approvals, early and late ones
//     flagged (flagged_only).
func (s *Server) complianceItems(c echo.Context) error     { return s.compliance(c, "items") }
func (s *Server) complianceOverdue(c echo.Context) error   { return s.compliance(c, "overdue") }
func (s *Server) complianceSummary(c echo.Context) error   { return s.compliance(c, "summary") }
func (s *Server) complianceApprovals(c echo.Context) error { return s.compliance(c, "approvals") }

func (s *Server) compliance(c echo.Context, view string) error {
	scope, err := s.complianceScope(c)
	if err != nil {
		return err
	}
	from, err := queryDate(c, "from")
	if err != nil {
		return err
	}
	to, err := queryDate(c, "to")
	if err != nil {
		return err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return BadParameter("query:to", "range", "on or after from")
	}
	asOf, err := queryDate(c, "as_of")
	if err != nil {
		return err
	}
	if asOf.IsZero() {
		asOf = CallerOf(c).Today
	}
	ctx := c.Request().Context()
	issuers := reportOrgs(c, account.ActionReadDossier, account.ActionReadAudit)
	switch view {
	case "items":
		f := compliance.Filter{Orgs: scope, From: from, To: to}
		lateOnly, err := queryBool(c, "late_only")
		if err != nil {
			return err
		}
		f.LateOnly = lateOnly != nil && *lateOnly
		if f.Actions, err = parseEnums(c, "action", policy.ParseActionKind); err != nil {
			return err
		}
		if f.Limit, err = queryLimit(c, 1000); err != nil {
			return err
		}
		if f.Cursor, err = queryOne(c, "cursor"); err != nil {
			return err
		}
		out := ListView[ComplianceItemView]{Items: []ComplianceItemView{}}
		if len(scope) == 0 {
			return c.JSON(http.StatusOK, out)
		}
		page, err := s.deps.Views.ComplianceItems(ctx, f)
		if err != nil {
			return listError(err)
		}
		for _, it := range page.Items {
			out.Items = append(out.Items, complianceItem(it))
		}
		out.NextCursor = page.Next
		return s.reply(c, out, s.complianceItemsSheet("DANH SÁCH VIỆC PHẢI LÀM THEO THỜI HẠN", out.Items, issuers, asOf, out.NextCursor, false))
	case "overdue":
		out := struct {
			AsOf  domain.Date          `json:"as_of"`
			Items []ComplianceItemView `json:"items"`
		}{AsOf: asOf, Items: []ComplianceItemView{}}
		if len(scope) == 0 {
			return c.JSON(http.StatusOK, out)
		}
		items, err := s.deps.Views.Overdue(ctx, scope, asOf)
		if err != nil {
			return err
		}
		for _, it := range items {
			v := complianceItem(it.Item)
			n := it.DaysOverdue
			v.DaysOverdue = &n
			out.Items = append(out.Items, v)
		}
		return s.reply(c, out, s.complianceItemsSheet("DANH SÁCH VIỆC QUÁ HẠN CHƯA THỰC HIỆN", out.Items, issuers, asOf, "", true))
	case "summary":
		out := struct {
			AsOf domain.Date             `json:"as_of"`
			Orgs []ComplianceSummaryView `json:"orgs"`
		}{AsOf: asOf, Orgs: []ComplianceSummaryView{}}
		if len(scope) == 0 {
			return c.JSON(http.StatusOK, out)
		}
		sums, err := s.deps.Views.ComplianceSummary(ctx, compliance.SummaryQuery{Orgs: scope, From: from, To: to, AsOf: asOf})
		if err != nil {
			return err
		}
		for _, sm := range sums {
			out.Orgs = append(out.Orgs, ComplianceSummaryView{Org: sm.Org, OnTime: sm.OnTime, Late: sm.Late, Closed: sm.Closed, OpenOverdue: sm.OpenOverdue})
		}
		return s.reply(c, out, s.complianceSummarySheet(out.Orgs, issuers, asOf))
	case "approvals":
		flagged, err := queryBool(c, "flagged_only")
		if err != nil {
			return err
		}
		out := struct {
			Approvals []ComplianceApprovalView `json:"approvals"`
		}{Approvals: []ComplianceApprovalView{}}
		if len(scope) == 0 {
			return c.JSON(http.StatusOK, out)
		}
		list, err := s.deps.Views.Approvals(ctx, scope, flagged != nil && *flagged)
		if err != nil {
			return err
		}
		for _, a := range list {
			out.Approvals = append(out.Approvals, ComplianceApprovalView{EventID: a.EventID, Org: a.Org, Month: a.Month, Level: a.Level,
				Timing: a.Timing, Flagged: a.Flagged(), WindowStart: a.WindowStart, WindowEnd: a.WindowEnd, SignedOn: a.SignedOn,
				SignerAccount: a.SignerAccount, SignerSubject: a.SignerSubject, RecordedAt: a.RecordedAt})
		}
		return s.reply(c, out, s.approvalsSheet(out.Approvals, issuers, asOf))
	}
	return fmt.Errorf("compliance: no view %q", view)
}

// ComplianceApprovalView is one monthly approval in GET /compliance/approvals.
type ComplianceApprovalView struct {
	EventID       uuid.UUID        `json:"event_id"`
	Org           domain.OrgID     `json:"org"`
	Month         string           `json:"month"`
	Level         string           `json:"level"`
	Timing        string           `json:"timing"`
	Flagged       bool             `json:"flagged"` // signed before or after the window
	WindowStart   domain.Date      `json:"window_start,omitzero"`
	WindowEnd     domain.Date      `json:"window_end,omitzero"`
	SignedOn      domain.Date      `json:"signed_on"`
	SignerAccount domain.AccountID `json:"signer_account"`
	SignerSubject string           `json:"signer_subject"`
	RecordedAt    time.Time        `json:"recorded_at"`
}

// sensitiveDimensions group people by sensitive fields: only callers who
// may read those fields in every org counted may use them.
var sensitiveDimensions = []stats.Dimension{stats.ByEthnicity, stats.ByMinority, stats.ByReligion, stats.ByReligious, stats.ByPartyMember}

// HeadcountView answers GET /reports/headcount.
type HeadcountView struct {
	AsOf    domain.Date    `json:"as_of"`
	AsOfVi  string         `json:"as_of_vi"`
	Orgs    []domain.OrgID `json:"orgs"`
	GroupBy []string       `json:"group_by"`
	Rows    []HeadcountRow `json:"rows,omitempty"`
	// BM02 is the headcount-and-quality form (format=bm02).
	BM02 *BM02View `json:"bm02,omitempty"`
	// Staffing: each org of the scope with a staffing quota for the as-of
	// year, its quota beside the people employed in it (staffing.go).
	Staffing    []StaffingView `json:"staffing"`
	GeneratedAt time.Time      `json:"generated_at"`
}

// HeadcountRow is one group and its count.
type HeadcountRow struct {
	Values map[string]string `json:"values"`
	Count  int               `json:"count"`
}

// headcount is GET /reports/headcount: people in service on as_of (a date
// on the effective axis; default today) in org's subtree (default every
// subtree where the caller may export, or failing that read dossiers),
// grouped by group_by dimensions (comma list; see stats.Dimension), or the
// BM02 form with format=bm02. Grouping by ethnicity, religion or party
// membership, and the BM02 form (which counts them), need read_sensitive.
func (s *Server) headcount(c echo.Context) error {
	asOf, err := queryDate(c, "as_of")
	if err != nil {
		return err
	}
	if asOf.IsZero() {
		asOf = CallerOf(c).Today
	}
	var dims []stats.Dimension
	sensitive := false
	for _, name := range queryValues(c, "group_by") {
		d, err := stats.ParseDimension(name)
		if err != nil {
			return BadParameter("query:group_by", "enum", err.Error())
		}
		if slices.Contains(dims, d) {
			return BadParameter("query:group_by", "repeated", name+" is given twice")
		}
		if slices.Contains(sensitiveDimensions, d) {
			sensitive = true
		}
		dims = append(dims, d)
	}
	format, err := queryOne(c, "format")
	if err != nil {
		return err
	}
	switch format {
	case "", "rows":
	case "bm02":
		sensitive = true
	default:
		return BadParameter("query:format", "enum", "rows or bm02")
	}
	org, err := queryOrgs(c, "org")
	if err != nil {
		return err
	}
	caller := CallerOf(c)
	action := account.ActionExport
	if len(caller.Roots(action)) == 0 {
		action = account.ActionReadDossier
	}
	if sensitive {
		action = account.ActionReadSensitive
	}
	scope, err := s.scope(c, action, org)
	if err != nil {
		return err
	}
	if len(scope) == 0 {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: "you may not report on any org" + map[bool]string{true: " with sensitive dimensions", false: ""}[sensitive]}
	}
	out := HeadcountView{AsOf: asOf, AsOfVi: asOf.Vietnamese(), Orgs: org, GroupBy: []string{}, GeneratedAt: s.deps.now()}
	if len(org) == 0 {
		out.Orgs = caller.Roots(action)
	}
	for _, d := range dims {
		out.GroupBy = append(out.GroupBy, d.String())
	}
	ctx := c.Request().Context()
	if out.Staffing, err = s.staffing(ctx, scope, asOf); err != nil {
		return err
	}
	if format == "bm02" {
		r, err := s.deps.Views.StatsReport(ctx, scope, asOf)
		if err != nil {
			return err
		}
		out.BM02 = bm02View(r)
		return s.reply(c, out, s.bm02Sheet(out, scope))
	}
	rows, err := s.deps.Views.Headcount(ctx, stats.Query{AsOf: asOf, Orgs: scope, GroupBy: dims})
	if err != nil {
		return err
	}
	out.Rows = make([]HeadcountRow, 0, len(rows))
	for _, r := range rows {
		vals := make(map[string]string, len(r.Values))
		for d, v := range r.Values {
			vals[d.String()] = v
		}
		out.Rows = append(out.Rows, HeadcountRow{Values: vals, Count: r.Count})
	}
	return s.reply(c, out, s.headcountSheet(out, dims))
}

// SexCountView splits a count by sex.
type SexCountView struct {
	Men   int `json:"men"`
	Women int `json:"women"`
}

// BM02View is the BM02 form (Circular 11/2012; BM01 of Circular 07/2019
// for public employees): the total and "of which" counts.
type BM02View struct {
	Total int `json:"total"`
	// ContractWorkers: the labour-contract workers, counted apart from
	// the form's columns.
	ContractWorkers          int          `json:"contract_workers"`
	PartyMembers             int          `json:"party_members"`
	Women                    int          `json:"women"`
	EthnicMinorities         int          `json:"ethnic_minorities"`
	Religious                int          `json:"religious"`
	RankSeniorPrincipal      int          `json:"rank_senior_principal"`
	RankPrincipal            int          `json:"rank_principal"`
	RankSpecialist           int          `json:"rank_specialist"`
	RankOfficer              int          `json:"rank_officer"`
	RankStaff                int          `json:"rank_staff"`
	GradeI                   int          `json:"grade_i"`
	GradeII                  int          `json:"grade_ii"`
	GradeIII                 int          `json:"grade_iii"`
	GradeIV                  int          `json:"grade_iv"`
	Doctorate                int          `json:"doctorate"`
	Master                   int          `json:"master"`
	Bachelor                 int          `json:"bachelor"`
	College                  int          `json:"college"`
	Intermediate             int          `json:"intermediate"`
	Elementary               int          `json:"elementary"`
	PoliticalBachelor        int          `json:"political_bachelor"`
	PoliticalAdvanced        int          `json:"political_advanced"`
	PoliticalIntermediate    int          `json:"political_intermediate"`
	PoliticalElementary      int          `json:"political_elementary"`
	StateMgmtSeniorPrincipal int          `json:"state_management_senior_principal"`
	StateMgmtPrincipal       int          `json:"state_management_principal"`
	StateMgmtSpecialist      int          `json:"state_management_specialist"`
	IT                       int          `json:"it"`
	ITAdvanced               int          `json:"it_advanced"`
	ForeignLanguage          int          `json:"foreign_language"`
	ForeignLanguageB1Plus    int          `json:"foreign_language_b1_plus"`
	EthnicLanguage           int          `json:"ethnic_language"`
	AgeUpTo30                SexCountView `json:"age_up_to_30"`
	Age31To40                SexCountView `json:"age_31_40"`
	Age41To50                SexCountView `json:"age_41_50"`
	Age51To60                SexCountView `json:"age_51_60"`
	AboveRetirementAge       SexCountView `json:"above_retirement_age"`
}

func bm02View(r stats.BM02) *BM02View {
	sc := func(s stats.SexCount) SexCountView { return SexCountView{Men: s.Men, Women: s.Women} }
	return &BM02View{
		Total: r.Total, ContractWorkers: r.ContractWorkers, PartyMembers: r.PartyMembers, Women: r.Women, EthnicMinorities: r.EthnicMinorities, Religious: r.Religious,
		RankSeniorPrincipal: r.RankSeniorPrincipal, RankPrincipal: r.RankPrincipal, RankSpecialist: r.RankSpecialist,
		RankOfficer: r.RankOfficer, RankStaff: r.RankStaff,
		GradeI: r.GradeI, GradeII: r.GradeII, GradeIII: r.GradeIII, GradeIV: r.GradeIV,
		Doctorate: r.Doctorate, Master: r.Master, Bachelor: r.Bachelor, College: r.College, Intermediate: r.Intermediate, Elementary: r.Elementary,
		PoliticalBachelor: r.PoliticalBachelor, PoliticalAdvanced: r.PoliticalAdvanced, PoliticalIntermediate: r.PoliticalIntermediate,
		PoliticalElementary:      r.PoliticalElementary,
		StateMgmtSeniorPrincipal: r.StateMgmtSeniorPrincipal, StateMgmtPrincipal: r.StateMgmtPrincipal, StateMgmtSpecialist: r.StateMgmtSpecialist,
		IT: r.IT, ITAdvanced: r.ITAdvanced, ForeignLanguage: r.ForeignLanguage, ForeignLanguageB1Plus: r.ForeignLanguageB1Plus,
		EthnicLanguage: r.EthnicLanguage,
		AgeUpTo30:      sc(r.AgeUpTo30), Age31To40: sc(r.Age31To40), Age41To50: sc(r.Age41To50), Age51To60: sc(r.Age51To60),
		AboveRetirementAge: sc(r.AboveRetirementAge),
	}
}
