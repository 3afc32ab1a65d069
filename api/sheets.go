package api

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/spreadsheet"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// Every report route answers a spreadsheet when the request's Accept
// header names the .xlsx media type (with a q above 0), and JSON
// otherwise: one rule for all of them, so the query parameters of a report
// mean the same in both (format= of the headcount keeps choosing the
// report's shape, rows or bm02). The workbook holds exactly what the JSON
// holds (same scope, same redaction, same page and cursor), is logged as
// the JSON is, and is built whole before the first byte is sent, so an
// error is a problem+json and never half a file.

// wantsSheet reports whether the caller asked for an .xlsx workbook.
func wantsSheet(c echo.Context) bool {
	for _, h := range c.Request().Header.Values(echo.HeaderAccept) {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || !strings.EqualFold(mt, spreadsheet.MediaType) {
				continue
			}
			if q, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// sheet is one report as a workbook: its layout, its rows and the file's
// name.
type sheet struct {
	report spreadsheet.Report
	rows   iter.Seq[[]any]
	name   string
}

// reply answers v as JSON, or the workbook that build makes of it when the
// caller asked for one (wantsSheet).
func (s *Server) reply(c echo.Context, v any, build func(ctx context.Context) (sheet, error)) error {
	if !wantsSheet(c) {
		return c.JSON(http.StatusOK, v)
	}
	sh, err := build(c.Request().Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := spreadsheet.Write(&buf, sh.report, sh.rows); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": sh.name + ".xlsx"}))
	return c.Blob(http.StatusOK, spreadsheet.MediaType, buf.Bytes())
}

// orgNames maps every org of the tree to its name, for the spreadsheets'
// org columns and issuer lines.
func (s *Server) orgNames(ctx context.Context) (map[domain.OrgID]string, error) {
	tree, err := s.deps.Views.OrgTree(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.OrgID]string, len(tree))
	for _, o := range tree {
		out[o.ID] = o.Name
	}
	return out, nil
}

// issuer is the issuing-org line: the orgs the report covers, by name.
func issuer(names map[domain.OrgID]string, orgs []domain.OrgID) string {
	parts := make([]string, 0, len(orgs))
	for _, o := range orgs {
		parts = append(parts, strings.ToUpper(nameOr(names, &o)))
	}
	return strings.Join(parts, "; ")
}

func nameOr(names map[domain.OrgID]string, o *domain.OrgID) string {
	if o == nil || o.IsZero() {
		return ""
	}
	if n, ok := names[*o]; ok {
		return n
	}
	return o.String()
}

// day is a domain date as a spreadsheet date (nil when zero).
func day(d domain.Date) any {
	if d.IsZero() {
		return nil
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func dayPtr(d *domain.Date) any {
	if d == nil {
		return nil
	}
	return day(*d)
}

// onDate is the subtitle of a report that holds on a date.
func onDate(d domain.Date) string { return "(Tính đến ngày " + d.Vietnamese() + ")" }

// generated is the footer line that says when and on what the report was
// made; a next page's cursor is named, since a workbook holds one page.
func generated(at time.Time, next string) []string {
	out := []string{"Lập lúc " + at.In(vietnamZone).Format("15:04:05 02/01/2006") + " (giờ Việt Nam) từ sổ cái hoso."}
	if next != "" {
		out = append(out, "Còn trang sau: cursor="+next)
	}
	return out
}

var vietnamZone = time.FixedZone("ICT", 7*3600)

// numbered yields the items as rows, each with its ordinal (STT) first.
func numbered[T any](items []T, row func(T) []any) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for i, it := range items {
			if !yield(append([]any{i + 1}, row(it)...)) {
				return
			}
		}
	}
}

// flat is a header of one row per column, the ordinal first.
func flat(titles ...string) ([]spreadsheet.HeaderCell, int) {
	out := make([]spreadsheet.HeaderCell, 0, len(titles)+1)
	out = append(out, spreadsheet.HeaderCell{Text: "STT"})
	for i, t := range titles {
		out = append(out, spreadsheet.HeaderCell{Col: i + 1, Text: t})
	}
	return out, 1
}

func text(width float64) spreadsheet.Column { return spreadsheet.Column{Width: width} }

var (
	ordinal  = spreadsheet.Column{Width: 6, Kind: spreadsheet.Int}
	dateCol  = spreadsheet.Column{Width: 12, Kind: spreadsheet.Date}
	instant  = spreadsheet.Column{Width: 20, Kind: spreadsheet.Instant}
	countCol = spreadsheet.Column{Width: 10, Kind: spreadsheet.Int, Sum: true}
	daysCol  = spreadsheet.Column{Width: 10, Kind: spreadsheet.Int}
)

// reportOrgs is the orgs a report names as its issuer: those of org= when
// given, else the roots of the caller's grants for the actions.
func reportOrgs(c echo.Context, actions ...account.Action) []domain.OrgID {
	if org, err := queryOrgs(c, "org"); err == nil && len(org) > 0 {
		return org
	}
	caller := CallerOf(c)
	var out []domain.OrgID
	for _, a := range actions {
		for _, o := range caller.Roots(a) {
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// archiveSheet is GET /archive as a workbook.
func (s *Server) archiveSheet(out ListView[SummaryView], scope []domain.OrgID, today domain.Date) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		header, rows := flat("Họ và tên", "Ngày sinh", "Giới tính", "Loại", "Cơ quan quản lý", "Đơn vị sử dụng", "Tình trạng", "Ngày thôi", "Mã hồ sơ")
		return sheet{name: "luu-tru-" + today.String(), report: spreadsheet.Report{
			Sheet: "Lưu trữ", Issuer: issuer(names, scope),
			Title: "DANH SÁCH HỒ SƠ LƯU TRỮ", Subtitle: onDate(today),
			Columns: []spreadsheet.Column{ordinal, text(28), dateCol, text(8), text(12), text(28), text(28), text(14), dateCol, text(38)},
			Header:  header, HeaderRows: rows, Footer: generated(s.deps.now(), out.NextCursor),
		}, rows: numbered(out.Items, func(v SummaryView) []any {
			return []any{v.FullName, day(v.BirthDate), string(v.Sex), v.Class.String(), nameOr(names, v.ManagingOrg),
				nameOr(names, &v.EmployingUnit), v.Status.String(), dayPtr(v.LeftOn), v.ID.String()}
		})}, nil
	}
}

// complianceItemsSheet is GET /compliance/items and /compliance/overdue
// as a workbook (overdue adds the days overdue).
func (s *Server) complianceItemsSheet(title string, items []ComplianceItemView, scope []domain.OrgID, asOf domain.Date, next string, overdue bool) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		titles := []string{"Việc phải làm", "Căn cứ", "Đơn vị", "Đơn vị liên quan", "Hồ sơ", "Ngày bắt đầu", "Hạn", "Kết quả", "Ngày thực hiện", "Trễ (ngày)"}
		cols := []spreadsheet.Column{ordinal, text(24), text(22), text(26), text(26), text(38), dateCol, dateCol, text(10), dateCol, daysCol}
		if overdue {
			titles = append(titles, "Quá hạn (ngày)")
			cols = append(cols, daysCol)
		}
		header, hrows := flat(titles...)
		name := "tuan-thu-" + asOf.String()
		if overdue {
			name = "qua-han-" + asOf.String()
		}
		return sheet{name: name, report: spreadsheet.Report{
			Sheet: "Tuân thủ", Issuer: issuer(names, scope), Title: title, Subtitle: onDate(asOf),
			Columns: cols, Header: header, HeaderRows: hrows, Footer: generated(s.deps.now(), next),
		}, rows: numbered(items, func(v ComplianceItemView) []any {
			dossier := ""
			if !v.DossierID.IsZero() {
				dossier = v.DossierID.String()
			}
			row := []any{v.Action, v.Article, nameOr(names, v.Org), nameOr(names, v.Counterpart), dossier,
				day(v.AnchorDate), day(v.Due), v.Outcome, day(v.ClosedOn), v.LateBy}
			if overdue {
				n := 0
				if v.DaysOverdue != nil {
					n = *v.DaysOverdue
				}
				row = append(row, n)
			}
			return row
		})}, nil
	}
}

// complianceSummarySheet is GET /compliance/summary as a workbook.
func (s *Server) complianceSummarySheet(list []ComplianceSummaryView, scope []domain.OrgID, asOf domain.Date) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		header := []spreadsheet.HeaderCell{
			{Rows: 2, Text: "STT"}, {Col: 1, Rows: 2, Text: "Cơ quan, đơn vị"},
			{Col: 2, Cols: 3, Text: "Đã thực hiện"}, {Row: 1, Col: 2, Text: "Đúng hạn"}, {Row: 1, Col: 3, Text: "Trễ hạn"}, {Row: 1, Col: 4, Text: "Đã đóng"},
			{Col: 5, Rows: 2, Text: "Quá hạn chưa thực hiện"},
		}
		return sheet{name: "tong-hop-tuan-thu-" + asOf.String(), report: spreadsheet.Report{
			Sheet: "Tổng hợp", Issuer: issuer(names, scope), Title: "TỔNG HỢP THỰC HIỆN THỜI HẠN CẬP NHẬT HỒ SƠ", Subtitle: onDate(asOf),
			Columns: []spreadsheet.Column{ordinal, text(36), countCol, countCol, countCol, countCol},
			Header:  header, HeaderRows: 2, NumberRow: true, TotalLabel: "Tổng cộng", Footer: generated(s.deps.now(), ""),
		}, rows: numbered(list, func(v ComplianceSummaryView) []any {
			return []any{nameOr(names, &v.Org), v.OnTime, v.Late, v.Closed, v.OpenOverdue}
		})}, nil
	}
}

// approvalsSheet is GET /compliance/approvals as a workbook.
func (s *Server) approvalsSheet(list []ComplianceApprovalView, scope []domain.OrgID, today domain.Date) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		header, hrows := flat("Cơ quan, đơn vị", "Tháng", "Cấp", "Thời điểm ký", "Ngoài thời hạn", "Từ ngày", "Đến ngày", "Ngày ký", "Người ký", "Ghi nhận lúc")
		return sheet{name: "phe-duyet-" + today.String(), report: spreadsheet.Report{
			Sheet: "Phê duyệt", Issuer: issuer(names, scope), Title: "DANH SÁCH PHÊ DUYỆT DỮ LIỆU HẰNG THÁNG", Subtitle: onDate(today),
			Columns: []spreadsheet.Column{ordinal, text(32), text(9), text(8), text(10), text(8), dateCol, dateCol, dateCol, text(32), instant},
			Header:  header, HeaderRows: hrows, Footer: generated(s.deps.now(), ""),
		}, rows: numbered(list, func(v ComplianceApprovalView) []any {
			return []any{nameOr(names, &v.Org), v.Month, v.Level, v.Timing, yesNo(v.Flagged), day(v.WindowStart), day(v.WindowEnd),
				day(v.SignedOn), v.SignerSubject, v.RecordedAt}
		})}, nil
	}
}

func yesNo(b bool) string {
	if b {
		return "Có"
	}
	return "Không"
}

// auditSheet is GET /audit as a workbook: the changed fields as one line
// each ("path: before → after"), already redacted as in the JSON.
func (s *Server) auditSheet(out ListView[EntryView], scope []domain.OrgID, today domain.Date) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		header, hrows := flat("Ghi nhận lúc", "Ngày hiệu lực", "Sự kiện", "Người thực hiện", "Đơn vị thực hiện", "Hồ sơ", "Văn bản", "Lý do", "Thay đổi", "Mã băm")
		return sheet{name: "nhat-ky-" + today.String(), report: spreadsheet.Report{
			Sheet: "Nhật ký", Issuer: issuer(names, scope), Title: "NHẬT KÝ THAY ĐỔI DỮ LIỆU HỒ SƠ", Subtitle: onDate(today),
			Columns: []spreadsheet.Column{ordinal, instant, dateCol, text(30), text(24), text(28), text(38), text(36), text(24), text(48), text(20)},
			Header:  header, HeaderRows: hrows, Footer: generated(s.deps.now(), out.NextCursor),
		}, rows: numbered(out.Items, func(v EntryView) []any {
			dossier := ""
			if v.DossierID != nil {
				dossier = v.DossierID.String()
			}
			doc := ""
			if d := v.SourceDocument; d != nil {
				doc = fmt.Sprintf("Số %s ngày %s của %s", d.Number, d.Date.Vietnamese(), d.Issuer)
			}
			var changes []string
			for _, ch := range v.Changes {
				changes = append(changes, fmt.Sprintf("%s: %s → %s", ch.Path, ch.Before, ch.After))
			}
			if v.ChangesRedacted > 0 {
				changes = append(changes, fmt.Sprintf("(%d trường nhạy cảm không hiển thị)", v.ChangesRedacted))
			}
			actor := v.Actor.Name
			if actor == "" {
				actor = v.Actor.Account.String()
			}
			return []any{v.RecordedAt, day(v.EffectiveDate), v.Type, actor, nameOr(names, &v.Actor.ActingOrg), dossier, doc, v.Reason,
				strings.Join(changes, "\n"), v.Hash}
		})}, nil
	}
}

// readLogSheet is GET /audit/reads as a workbook.
func (s *Server) readLogSheet(out ListView[ReadView], scope []domain.OrgID, today domain.Date) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		header, hrows := flat("Thời điểm", "Tài khoản", "Hồ sơ", "Phương thức", "Đường dẫn", "Tham số", "Mục đích", "Kết quả", "Địa chỉ",
			"Mục đích (NĐ 27/2026)", "Căn cứ", "Sự đồng ý (sự kiện)")
		return sheet{name: "nhat-ky-truy-cap-" + today.String(), report: spreadsheet.Report{
			Sheet: "Truy cập", Issuer: issuer(names, scope), Title: "NHẬT KÝ TRUY CẬP HỒ SƠ", Subtitle: onDate(today),
			Columns: []spreadsheet.Column{ordinal, instant, text(18), text(38), text(10), text(30), text(30), text(24), text(10), text(16),
				text(14), text(24), text(38)},
			Header: header, HeaderRows: hrows, Footer: generated(s.deps.now(), out.NextCursor),
		}, rows: numbered(out.Items, func(v ReadView) []any {
			consent := ""
			if v.ConsentEventID != nil {
				consent = v.ConsentEventID.String()
			}
			return []any{v.ReadAt, v.Username, v.DossierID.String(), v.Method, v.Route, v.Query, v.Purpose, v.Outcome, v.RemoteAddr,
				v.PurposeCode, v.PurposeReference, consent}
		})}, nil
	}
}

// headcountSheet is GET /reports/headcount (format=rows) as a workbook:
// one column per group_by dimension and the count, totalled.
func (s *Server) headcountSheet(out HeadcountView, dims []stats.Dimension) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		titles := make([]string, 0, len(dims)+1)
		cols := []spreadsheet.Column{ordinal}
		for _, d := range dims {
			titles = append(titles, dimensionTitle(d))
			cols = append(cols, text(24))
		}
		titles = append(titles, "Số lượng")
		cols = append(cols, countCol)
		header, hrows := flat(titles...)
		return sheet{name: "so-luong-" + out.AsOf.String(), report: spreadsheet.Report{
			Sheet: "Số lượng", Issuer: issuer(names, out.Orgs), Title: "BÁO CÁO SỐ LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC",
			Subtitle: onDate(out.AsOf), Columns: cols, Header: header, HeaderRows: hrows, NumberRow: true, TotalLabel: "Tổng cộng",
			Footer: generated(out.GeneratedAt, ""),
		}, rows: numbered(out.Rows, func(r HeadcountRow) []any {
			row := make([]any, 0, len(dims)+1)
			for _, d := range dims {
				v := r.Values[d.String()]
				if d == stats.ByOrg || d == stats.ByUnit {
					if id, err := domain.ParseOrgID(v); err == nil {
						v = nameOr(names, &id)
					}
				}
				row = append(row, v)
			}
			return append(row, r.Count)
		})}, nil
	}
}

// dimensionTitles are the column titles of the headcount's dimensions.
var dimensionTitles = map[stats.Dimension]string{
	stats.ByOrg: "Cơ quan quản lý", stats.ByUnit: "Đơn vị sử dụng", stats.ByClass: "Loại", stats.ByRank: "Ngạch",
	stats.ByRankGroup: "Nhóm ngạch", stats.ByTitle: "Chức danh nghề nghiệp", stats.ByTitleGrade: "Hạng",
	stats.ByJobPosition: "Vị trí việc làm", stats.ByJobPosGroup: "Nhóm vị trí việc làm", stats.BySex: "Giới tính",
	stats.ByAgeBand: "Độ tuổi", stats.ByAboveRetirement: "Quá tuổi nghỉ hưu", stats.ByEthnicity: "Dân tộc",
	stats.ByMinority: "Dân tộc thiểu số", stats.ByReligion: "Tôn giáo", stats.ByReligious: "Có tôn giáo",
	stats.ByPartyMember: "Đảng viên", stats.ByQualification: "Trình độ chuyên môn", stats.ByPoliticalTheory: "Lý luận chính trị",
	stats.ByStateManagement: "Quản lý nhà nước", stats.ByITLevel: "Tin học", stats.ByForeignLanguage: "Ngoại ngữ",
	stats.ByEthnicLanguage: "Tiếng dân tộc",
}

func dimensionTitle(d stats.Dimension) string {
	if t, ok := dimensionTitles[d]; ok {
		return t
	}
	return d.String()
}

// bm02Groups is the BM02 form's header (Circular 11/2012 BM02; Circular
// 07/2019 BM01 for public employees): column groups and their columns, in
// the order of bm02Line.
var bm02Groups = []struct {
	title string
	cols  []string
}{
	{"Tổng số", nil},
	{"Trong đó", []string{"Đảng viên", "Nữ", "Dân tộc thiểu số", "Tôn giáo"}},
	{"Chức vụ, ngạch công chức", []string{"Chuyên viên cao cấp và tương đương", "Chuyên viên chính và tương đương", "Chuyên viên và tương đương", "Cán sự và tương đương", "Nhân viên"}},
	{"Hạng chức danh nghề nghiệp", []string{"Hạng I", "Hạng II", "Hạng III", "Hạng IV"}},
	{"Trình độ chuyên môn", []string{"Tiến sĩ", "Thạc sĩ", "Đại học", "Cao đẳng", "Trung cấp", "Sơ cấp"}},
	{"Lý luận chính trị", []string{"Cử nhân", "Cao cấp", "Trung cấp", "Sơ cấp"}},
	{"Quản lý nhà nước", []string{"Chuyên viên cao cấp", "Chuyên viên chính", "Chuyên viên"}},
	{"Tin học", []string{"Có chứng chỉ", "Ứng dụng nâng cao"}},
	{"Ngoại ngữ", []string{"Có chứng chỉ", "Bậc 3 (B1) trở lên"}},
	{"Tiếng dân tộc", nil},
}

// bm02Ages are the age bands, each split men / women.
var bm02Ages = []string{"Từ 30 trở xuống", "Từ 31 đến 40", "Từ 41 đến 50", "Từ 51 đến 60", "Trên tuổi nghỉ hưu"}

// bm02Line is one org's counts in the column order of the form's header.
func bm02Line(r stats.BM02) []any {
	return []any{r.Total, r.PartyMembers, r.Women, r.EthnicMinorities, r.Religious,
		r.RankSeniorPrincipal, r.RankPrincipal, r.RankSpecialist, r.RankOfficer, r.RankStaff,
		r.GradeI, r.GradeII, r.GradeIII, r.GradeIV,
		r.Doctorate, r.Master, r.Bachelor, r.College, r.Intermediate, r.Elementary,
		r.PoliticalBachelor, r.PoliticalAdvanced, r.PoliticalIntermediate, r.PoliticalElementary,
		r.StateMgmtSeniorPrincipal, r.StateMgmtPrincipal, r.StateMgmtSpecialist,
		r.IT, r.ITAdvanced, r.ForeignLanguage, r.ForeignLanguageB1Plus, r.EthnicLanguage,
		r.AgeUpTo30.Men, r.AgeUpTo30.Women, r.Age31To40.Men, r.Age31To40.Women, r.Age41To50.Men, r.Age41To50.Women,
		r.Age51To60.Men, r.Age51To60.Women, r.AboveRetirementAge.Men, r.AboveRetirementAge.Women}
}

// bm02Layout is the form's layout: STT and the org's name, then the
// groups of bm02Groups over two header rows and the age bands over three
// (band, then Nam / Nữ); a column without a group spans all three rows.
func bm02Layout() ([]spreadsheet.Column, []spreadsheet.HeaderCell) {
	cols := []spreadsheet.Column{ordinal, text(36)}
	header := []spreadsheet.HeaderCell{{Rows: 3, Text: "STT"}, {Col: 1, Rows: 3, Text: "Tên cơ quan, đơn vị"}}
	narrow := spreadsheet.Column{Width: 9, Kind: spreadsheet.Int, Sum: true}
	for _, g := range bm02Groups {
		at := len(cols)
		if len(g.cols) == 0 {
			header = append(header, spreadsheet.HeaderCell{Col: at, Rows: 3, Text: g.title})
			cols = append(cols, narrow)
			continue
		}
		header = append(header, spreadsheet.HeaderCell{Col: at, Cols: len(g.cols), Text: g.title})
		for i, t := range g.cols {
			header = append(header, spreadsheet.HeaderCell{Row: 1, Col: at + i, Rows: 2, Text: t})
			cols = append(cols, narrow)
		}
	}
	at := len(cols)
	header = append(header, spreadsheet.HeaderCell{Col: at, Cols: 2 * len(bm02Ages), Text: "Độ tuổi"})
	for i, t := range bm02Ages {
		header = append(header, spreadsheet.HeaderCell{Row: 1, Col: at + 2*i, Cols: 2, Text: t},
			spreadsheet.HeaderCell{Row: 2, Col: at + 2*i, Text: "Nam"}, spreadsheet.HeaderCell{Row: 2, Col: at + 2*i + 1, Text: "Nữ"})
		cols = append(cols, narrow, narrow)
	}
	return cols, header
}

// bm02Sheet is GET /reports/headcount?format=bm02 as the form itself: one
// line per org with people in service, and the total row.
func (s *Server) bm02Sheet(out HeadcountView, scope []domain.OrgID) func(context.Context) (sheet, error) {
	return func(ctx context.Context) (sheet, error) {
		lines, err := s.deps.Views.StatsReportByOrg(ctx, scope, out.AsOf)
		if err != nil {
			return sheet{}, err
		}
		names, err := s.orgNames(ctx)
		if err != nil {
			return sheet{}, err
		}
		cols, header := bm02Layout()
		return sheet{name: "bm02-" + out.AsOf.String(), report: spreadsheet.Report{
			Sheet: "BM02", Issuer: issuer(names, out.Orgs), Form: "Biểu mẫu BM02",
			Title:    "BÁO CÁO SỐ LƯỢNG, CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC",
			Subtitle: onDate(out.AsOf), Columns: cols, Header: header, HeaderRows: 3, NumberRow: true, TotalLabel: "Tổng cộng",
			Footer: append([]string{"Biểu mẫu BM02 (Thông tư 11/2012/TT-BNV); viên chức: BM01 (Thông tư 07/2019/TT-BNV)."}, generated(out.GeneratedAt, "")...),
			// The place is left for the signer, as on the paper form.
			DateLine: out.GeneratedAt.In(vietnamZone).Format("……, ngày 02 tháng 01 năm 2006"),
			Signatures: []spreadsheet.Signature{{Title: "NGƯỜI LẬP BIỂU", Note: "(Ký, ghi rõ họ tên)"},
				{Title: "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", Note: "(Ký tên, đóng dấu)"}},
		}, rows: numbered(lines, func(l stats.OrgBM02) []any {
			return append([]any{nameOr(names, &l.Org)}, bm02Line(l.BM02)...)
		})}, nil
	}
}
