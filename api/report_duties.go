package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/internal/spreadsheet"
	"github.com/hoso-ledger/hoso/projections/compliance"
)

// Report due dates (BT 13, HU 13, TG 15.5/16.8, BĐ III.2): what an org
// owes is computed from the policy in force, the calendar and the org tree
// (compliance.ReportDuties); what it did is an event, org.report_submitted.v1,
// recorded by POST /reports/{kind}/{period}/submissions. "Submitted" is
// read as: the org's HR records that the report was sent, under the
// dispatch (công văn) that sent it and with the SHA-256 of the file sent;
// the day sent is the effective date, which is what the regulations time.

// reportSubmission is the body of POST /reports/{kind}/{period}/submissions.
type reportSubmission struct {
	Org    domain.OrgID `json:"org"`
	SHA256 string       `json:"sha256"`
	decision
}

// ReportSubmissionView answers a submission: the report, its due date and
// whether it was sent late.
type ReportSubmissionView struct {
	Org             domain.OrgID `json:"org"`
	Kind            string       `json:"kind"`
	Period          string       `json:"period"`
	Article         string       `json:"article"`
	Due             domain.Date  `json:"due"`
	DueVi           string       `json:"due_vi"`
	SentOn          domain.Date  `json:"sent_on"`
	SHA256          string       `json:"sha256"`
	Document        string       `json:"document"`
	Late            bool         `json:"late"`
	WorkingDaysLate int          `json:"working_days_late,omitempty"`
}

// submitReport is POST /reports/{kind}/{period}/submissions: HR of the org
// (write_dossier over it) records the report it sent. If-Match is the
// org's ETag (GET /orgs/{id}). The policy in force must ask for that
// report (422 not_owed otherwise); the same file twice is 409.
func (s *Server) submitReport(c echo.Context) error {
	kind, err := policy.ParseActionKind(c.Param("kind"))
	if err != nil || !policy.IsReport(kind) {
		return BadParameter("path:kind", "enum", "report_half_year, report_year, report_quarter or report_to_moha")
	}
	period := c.Param("period")
	if _, _, err := policy.ParsePeriod(kind, period); err != nil {
		return BadParameter("path:period", "format", "a period of "+kind.String()+": 2026, 2026-H1 or 2026-Q3")
	}
	var req reportSubmission
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Org.IsZero() {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: []FieldProblem{{Field: "/org", Rule: "required"}}}
	}
	if !CallerOf(c).Can(account.ActionWriteDossier, req.Org) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Errors: []FieldProblem{
			{Field: "/org", Rule: "scope", Detail: "you do not keep the dossiers of this org"}}}
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	m.Actor.ActingOrg = req.Org
	due, owed, err := s.deps.Policy.ReportDue(kind, period, s.deps.Calendar)
	if err != nil {
		return err
	}
	if !owed {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: []FieldProblem{
			{Field: "path:period", Rule: "not_owed", Detail: "the policy in force asks for no " + kind.String() + " for " + period}}}
	}
	res, err := s.deps.Orgs.SubmitReport(c.Request().Context(), req.Org, ifMatch, kind.String(), period, req.SHA256, m)
	if errors.Is(err, domain.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	v := ReportSubmissionView{Org: req.Org, Kind: kind.String(), Period: period, Article: due.Article, Due: due.Due, DueVi: due.Due.Vietnamese(),
		SentOn: m.EffectiveDate, SHA256: req.SHA256, Document: m.Source.Number}
	if m.EffectiveDate.After(due.Due) {
		v.Late = true
		if v.WorkingDaysLate, err = s.deps.Calendar.WorkingDaysLate(due.Due, m.EffectiveDate); err != nil {
			return err
		}
	}
	SetETag(c, res.LastVersion)
	return c.JSON(http.StatusCreated, v)
}

// ReportDutyView is one report an org owes and how it was met.
type ReportDutyView struct {
	Org             domain.OrgID `json:"org"`
	Kind            string       `json:"kind"`
	Period          string       `json:"period"`
	Article         string       `json:"article"`
	Layer           string       `json:"layer"`
	Due             domain.Date  `json:"due"`
	DueVi           string       `json:"due_vi"`
	Outcome         string       `json:"outcome"`
	SentOn          domain.Date  `json:"sent_on,omitzero"`
	Document        string       `json:"document,omitempty"`
	SHA256          string       `json:"sha256,omitempty"`
	Submissions     int          `json:"submissions"`
	Late            bool         `json:"late"`
	WorkingDaysLate int          `json:"working_days_late,omitempty"`
}

// ReportDutiesView answers GET /compliance/reports.
type ReportDutiesView struct {
	AsOf     domain.Date      `json:"as_of"`
	FromYear int              `json:"from_year"`
	ToYear   int              `json:"to_year"`
	Items    []ReportDutyView `json:"items"`
}

// complianceReports is GET /compliance/reports: the reports the orgs in
// the compliance scope (org= narrows it) owe for the reporting years
// from_year…to_year (default: as_of's year and the one before), judged on
// as_of (default today): open ones past their due date are late;
// late_only keeps the late ones. Answers .xlsx as every report does.
func (s *Server) complianceReports(c echo.Context) error {
	scope, err := s.complianceScope(c)
	if err != nil {
		return err
	}
	asOf, err := queryDate(c, "as_of")
	if err != nil {
		return err
	}
	if asOf.IsZero() {
		asOf = CallerOf(c).Today
	}
	from, to := asOf.Year()-1, asOf.Year()
	for _, p := range []struct {
		name string
		dst  *int
	}{{"from_year", &from}, {"to_year", &to}} {
		v, err := queryOne(c, p.name)
		if err != nil {
			return err
		}
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1990 || n > 2100 {
			return BadParameter("query:"+p.name, "format", "a year, 1990–2100")
		}
		*p.dst = n
	}
	if to < from || to-from >= compliance.MaxReportYears {
		return BadParameter("query:to_year", "range", "from from_year, at most "+strconv.Itoa(compliance.MaxReportYears)+" years")
	}
	lateOnly, err := queryBool(c, "late_only")
	if err != nil {
		return err
	}
	out := ReportDutiesView{AsOf: asOf, FromYear: from, ToYear: to, Items: []ReportDutyView{}}
	ctx := c.Request().Context()
	if len(scope) > 0 {
		owers, err := s.owers(ctx, scope)
		if err != nil {
			return err
		}
		duties, err := s.deps.Views.ReportDuties(ctx, s.deps.Policy, s.deps.Calendar, compliance.ReportQuery{
			Orgs: owers, FromYear: from, ToYear: to, AsOf: asOf, LateOnly: lateOnly != nil && *lateOnly})
		if err != nil {
			return err
		}
		for _, d := range duties {
			out.Items = append(out.Items, ReportDutyView{Org: d.Org, Kind: d.Action.String(), Period: d.Period, Article: d.Article,
				Layer: d.Layer.String(), Due: d.Due, DueVi: d.Due.Vietnamese(), Outcome: string(d.Outcome), SentOn: d.SentOn,
				Document: d.DocNumber, SHA256: d.SHA256, Submissions: d.Submissions, Late: d.Late, WorkingDaysLate: d.WorkingDaysLate})
		}
	}
	return s.reply(c, out, s.reportDutiesSheet(out, reportOrgs(c, account.ActionReadDossier, account.ActionReadAudit)))
}

// owers is who in scope owes reports (compliance.Owers over the whole
// tree, so a province's designated Sở Nội vụ is found from its root).
func (s *Server) owers(ctx context.Context, scope []domain.OrgID) ([]compliance.Owing, error) {
	tree, err := s.deps.Views.OrgTree(ctx)
	if err != nil {
		return nil, err
	}
	nodes := make([]compliance.TreeOrg, 0, len(tree))
	for _, o := range tree {
		nodes = append(nodes, compliance.TreeOrg{ID: o.ID, Parent: o.Parent, HomeAffairs: o.HomeAffairs, Created: o.CreatedOn, Closed: o.ClosedOn})
	}
	var out []compliance.Owing
	for _, w := range compliance.Owers(nodes) {
		if slices.Contains(scope, w.Org) {
			out = append(out, w)
		}
	}
	return out, nil
}

// reportDutiesSheet is GET /compliance/reports as a workbook.
func (s *Server) reportDutiesSheet(out ReportDutiesView, scope []domain.OrgID) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		header, hrows := flat("Cơ quan, đơn vị", "Báo cáo", "Kỳ", "Căn cứ", "Hạn nộp", "Kết quả", "Ngày gửi", "Văn bản", "Trễ (ngày làm việc)")
		return sheet{name: "han-bao-cao-" + out.AsOf.String(), report: spreadsheet.Report{
			Sheet: "Hạn báo cáo", Issuer: issuer(names, scope), Title: "THEO DÕI THỜI HẠN BÁO CÁO ĐỊNH KỲ", Subtitle: onDate(out.AsOf),
			Columns: []spreadsheet.Column{ordinal, text(32), text(18), text(10), text(14), dateCol, text(8), dateCol, text(20), daysCol},
			Header:  header, HeaderRows: hrows, Footer: generated(s.deps.now(), ""),
		}, rows: numbered(out.Items, func(v ReportDutyView) []any {
			return []any{nameOr(names, &v.Org), v.Kind, v.Period, v.Article, day(v.Due), v.Outcome, day(v.SentOn), v.Document, v.WorkingDaysLate}
		})}, nil
	}
}
