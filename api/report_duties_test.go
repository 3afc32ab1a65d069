package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/spreadsheet"
	"github.com/hoso-ledger/hoso/internal/spreadsheet/sheettest"
)

type dutyRow struct {
	Org             string `json:"org"`
	Kind            string `json:"kind"`
	Period          string `json:"period"`
	Article         string `json:"article"`
	Due             string `json:"due"`
	Outcome         string `json:"outcome"`
	SentOn          string `json:"sent_on"`
	Document        string `json:"document"`
	SHA256          string `json:"sha256"`
	Submissions     int    `json:"submissions"`
	Late            bool   `json:"late"`
	WorkingDaysLate int    `json:"working_days_late"`
}

// TestReportSubmissionsTG walks the default deployment's report due dates
// (Tiền Giang 2025): TG 15.5, each unit's yearly report before 15
// December; TG 16.8, the province's report to MOHA by 20 January. HR of
// Sở Y tế records the report it sent on 10/12/2026; Sở GD&ĐT sends none and
// is late on 20/12/2026; the province's report is owed by the root (no Sở
// Nội vụ designated) and not yet due.
func TestReportSubmissionsTG(t *testing.T) {
	t.Parallel()
	start := time.Now()
	base := time.Date(2026, 12, 10, 8, 0, 0, 0, domain.VietnamZone)
	env := apitest.Start(t, apitest.Options{Now: func() time.Time { return base.Add(time.Since(start)) }})
	orgA := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	orgB := env.Org("Sở Giáo dục và Đào tạo", "000.00.03.T01", env.Root)
	hrA := env.Session(env.Account("tccb.soyte", "SoYTe@Test2026", account.KindOrg, account.RoleHROfficer, orgA))
	inspector := env.Session(env.Account("thanhtra", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, env.Root))
	etag := func(o domain.OrgID) string {
		r := env.Do(http.MethodGet, "/api/v1/orgs/"+o.String(), hrA, nil)
		return r.Header.Get("ETag")
	}
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	body := func(o domain.OrgID, digest string) map[string]any {
		return map[string]any{"org": o, "sha256": digest,
			"source_document": map[string]any{"kind": "dispatch", "number": "245/SYT-TCCB", "date": "2026-12-10", "issuer": "Sở Y tế"}}
	}
	path := "/api/v1/reports/report_year/2026/submissions"
	// raw is a submission as JSON text, with a raw dispatch number and an
	// optional extra member.
	raw := func(number, extra string) string {
		return `{"org":"` + orgA.String() + `","sha256":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752","source_document":{"kind":"dispatch","number":"` +
			number + `","date":"2026-12-10","issuer":"Sở Y tế"}` + extra + `}`
	}

	r := env.Do(http.MethodPost, path, hrA, body(orgA, sha), "If-Match", etag(orgA))
	if r.Status != http.StatusCreated {
		t.Fatalf("submission: %d %s", r.Status, r.Body)
	}
	var sub struct {
		Due, SentOn, Article, Document string
		Late                           bool
	}
	r.JSON(&sub)
	if sub.Due != "2026-12-14" || sub.Late || sub.Article != "Điều 15.5" || sub.Document != "245/SYT-TCCB" {
		t.Errorf("TG 15.5 submission on 10/12/2026 = %+v, want due 2026-12-14, on time", sub)
	}

	bad := []struct {
		name, path string
		body       any
		ifMatch    bool
		status     int
		code       string
		field      string
	}{
		{"the same file again", path, body(orgA, sha), true, 409, "conflict", ""},
		{"no If-Match", path, body(orgA, "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"), false, 428, "if_match_required", "header:If-Match"},
		{"another org's report", path, body(orgB, sha), true, 403, "forbidden", "/org"},
		{"not a report kind", "/api/v1/reports/create_dossier/2026/submissions", body(orgA, sha), true, 400, "bad_parameter", "path:kind"},
		{"a period the kind does not cover", "/api/v1/reports/report_year/2026-Q1/submissions", body(orgA, sha), true, 400, "bad_parameter", "path:period"},
		{"a report TG does not ask for (BĐ III.2's quarterly)", "/api/v1/reports/report_quarter/2026-Q1/submissions", body(orgA, sha), true, 422, "validation_failed", "path:period"},
		{"no digest", path, body(orgA, "xyz"), true, 422, "validation_failed", "/sha256"},
		// Hostile text, as in TestHostileTextIsRefused.
		{"NUL in the dispatch number", path, raw(`245/SYT\u0000TCCB`, ""), true, 422, "validation_failed", "/source_document/number"},
		{"10,000-character dispatch number", path, raw(strings.Repeat("Ư", 10000), ""), true, 422, "validation_failed", "/source_document/number"},
		{"duplicate key", path, raw("245/SYT-TCCB", `,"sha256":"`+sha+`"`), true, 400, "malformed_json", "/sha256"},
		{"invalid UTF-8", path, raw("245/SYT \xff", ""), true, 400, "malformed_json", ""},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			var h []string
			if b.ifMatch {
				h = []string{"If-Match", etag(orgA)}
			}
			before := env.EventCount()
			r := env.Do(http.MethodPost, b.path, hrA, b.body, h...)
			if r.Status != b.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, b.status)
			}
			p := r.Problem()
			if p.Code != b.code || (b.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != b.field)) {
				t.Errorf("problem = %+v, want %s at %s", p, b.code, b.field)
			}
			if n := env.EventCount(); n != before {
				t.Errorf("%d events appended by a refused submission", n-before)
			}
		})
	}

	// The inspector sees what each org owes, judged on 20/12/2026.
	env.WaitCaughtUp()
	var got struct{ Items []dutyRow }
	get(t, env, "/api/v1/compliance/reports?as_of=2026-12-20", inspector, http.StatusOK, &got)
	byOrg := map[string]dutyRow{}
	for _, d := range got.Items {
		byOrg[d.Org+"/"+d.Kind] = d
	}
	a, b, p := byOrg[orgA.String()+"/report_year"], byOrg[orgB.String()+"/report_year"], byOrg[env.Root.String()+"/report_to_moha"]
	if a.Outcome != "done" || a.Late || a.SentOn != "2026-12-10" || a.SHA256 != sha || a.Submissions != 1 {
		t.Errorf("TG 15.5, Sở Y tế = %+v, want done on time", a)
	}
	// 20/12/2026 is a Sunday: as for any act on a day off
	// (policy.Judge), it counts as Monday 21/12, five working days after
	// the due date.
	if b.Outcome != "open" || !b.Late || b.WorkingDaysLate != 5 || b.Due != "2026-12-14" {
		t.Errorf("TG 15.5, Sở GD&ĐT = %+v, want open, late by 5 working days on 20/12/2026", b)
	}
	if p.Outcome != "open" || p.Late || p.Due != "2027-01-20" || p.Article != "Điều 16.8" {
		t.Errorf("TG 16.8, the province = %+v, want open, due 20/01/2027", p)
	}
	if _, ok := byOrg[env.Root.String()+"/report_year"]; ok || len(got.Items) != 3 {
		t.Errorf("duties = %+v, want three (the root reports to MOHA, not to itself)", got.Items)
	}
	get(t, env, "/api/v1/compliance/reports?as_of=2026-12-20&late_only=true", inspector, http.StatusOK, &got)
	if len(got.Items) != 1 || got.Items[0].Org != orgB.String() {
		t.Errorf("late only = %+v, want Sở GD&ĐT's", got.Items)
	}
	// HR of Sở Y tế sees its own org's duty only.
	get(t, env, "/api/v1/compliance/reports?as_of=2026-12-20", hrA, http.StatusOK, &got)
	if len(got.Items) != 1 || got.Items[0].Org != orgA.String() {
		t.Errorf("HR's duties = %+v, want Sở Y tế's only", got.Items)
	}
	get(t, env, "/api/v1/compliance/reports?from_year=2010&to_year=2026", inspector, http.StatusBadRequest, nil)

	// The workbook lists the same three, the late one with its days.
	x := env.Do(http.MethodGet, "/api/v1/compliance/reports?as_of=2026-12-20", inspector, nil, "Accept", spreadsheet.MediaType)
	if x.Status != http.StatusOK {
		t.Fatalf("xlsx: %d %s", x.Status, x.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := sheettest.DataLines(t, f, "Hạn báo cáo")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3", len(lines))
	}
	late := map[string]string{}
	for _, row := range lines {
		org, _ := f.GetCellValue("Hạn báo cáo", "B"+strconv.Itoa(row))
		days, _ := f.GetCellValue("Hạn báo cáo", "J"+strconv.Itoa(row))
		due, _ := f.GetCellValue("Hạn báo cáo", "F"+strconv.Itoa(row))
		late[org] = fmt.Sprintf("%s/%s", due, days)
	}
	if late["Sở Giáo dục và Đào tạo"] != "14/12/2026/5" || late["Sở Y tế"] != "14/12/2026/0" {
		t.Errorf("workbook due/late = %v", late)
	}
}
