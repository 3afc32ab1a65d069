package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/spreadsheet"
	"github.com/hoso-ledger/hoso/internal/spreadsheet/sheettest"
)

// sheetCase is one report asked for as a workbook: what its layout must
// hold, and how many rows its JSON twin lists.
type sheetCase struct {
	name, path string
	token      string
	sheet      string
	title      string
	// cells are header (or other fixed) cells and their text.
	cells map[string]string
	// merges are merged ranges the layout must have.
	merges []string
	// items is the JSON key of the listed items ("" when the JSON lists
	// none: BM02 is one total there, lines per org in the workbook).
	items string
}

// TestReportsAsSpreadsheets asks every report route for .xlsx and reads
// the workbook back as Excel would: title, header cells and merged ranges
// in the official layout, one line per JSON item, every SUM formula equal
// to its cached value and to the cells it sums, Times New Roman throughout.
func TestReportsAsSpreadsheets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := w.env
	provID := env.Account("tccb.tinh", "TinhThu@Test2026", account.KindOrg, account.RoleHROfficer, env.Root)
	prov := env.Session(provID)

	// Three people in org A (one of them a woman), one in org B; one man
	// of org A retires, so the archive lists him.
	env.Dossier(w.orgA, "Trần Văn Bình")
	retiring := env.Dossier(w.orgA, "Lê Văn Cường")
	r := env.Do(http.MethodPost, "/api/v1/dossiers", w.hrA, map[string]any{
		"class": "vien_chuc", "managing_org": w.orgA, "employing_unit": w.orgA, "personal_id_number": "001190012345",
		"identity":       map[string]any{"birth_name": "Phạm Thị Dung", "gender": "female", "date_of_birth": "1990-02-03", "ethnicity": "01", "religion": "none"},
		"effective_date": "2025-05-01", "source_document": decision("13/QĐ-SYT"),
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("creating a dossier: %d %s", r.Status, r.Body)
	}
	w.createDossier(t, w.hrB, w.orgB, "Nguyễn Văn An", "001085012345")
	write(t, env, http.MethodPost, "/api/v1/dossiers/"+retiring.String()+"/status", w.hrA, `"1"`, map[string]any{
		"status": "retired", "effective_date": "2025-07-01", "source_document": decision("90/QĐ-SYT"),
	}, http.StatusOK)
	caughtUp(t, env)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var page listPage
		get(t, env, "/api/v1/archive", w.hrA, http.StatusOK, &page)
		if page.has(retiring.String()) || time.Now().After(deadline) {
			break
		}
	}

	cases := []sheetCase{
		{name: "BM02", path: "/api/v1/reports/headcount?format=bm02&as_of=2025-06-28", token: prov, sheet: "BM02",
			title: "BÁO CÁO SỐ LƯỢNG, CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC",
			cells: map[string]string{"A5": "STT", "B5": "Tên cơ quan, đơn vị", "C5": "Tổng số", "D5": "Trong đó", "D6": "Đảng viên",
				"E6": "Nữ", "H5": "Chức vụ, ngạch công chức", "M5": "Hạng chức danh nghề nghiệp", "Q5": "Trình độ chuyên môn",
				"W5": "Lý luận chính trị", "AA5": "Quản lý nhà nước", "AD5": "Tin học", "AF5": "Ngoại ngữ", "AH5": "Tiếng dân tộc",
				"AI5": "Độ tuổi", "AI6": "Từ 30 trở xuống", "AI7": "Nam", "AJ7": "Nữ", "AQ6": "Trên tuổi nghỉ hưu", "A8": "(1)", "AR8": "(44)",
				// Two org lines (9, 10), the total (11), two footer lines
				// (13, 14), then the date line and the signature blocks.
				"A11": "Tổng cộng", "W16": "……, ngày 28 tháng 04 năm 2025", "A17": "NGƯỜI LẬP BIỂU", "W17": "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "W18": "(Ký tên, đóng dấu)"},
			merges: []string{"A5:A7", "B5:B7", "C5:C7", "D5:G5", "D6:D7", "H5:L5", "M5:P5", "Q5:V5", "W5:Z5", "AA5:AC5", "AD5:AE5",
				"AF5:AG5", "AH5:AH7", "AI5:AR5", "AI6:AJ6", "AQ6:AR6", "A2:AR2", "A3:AR3", "W16:AR16", "A17:V17", "W17:AR17"}},
		{name: "headcount by org and sex", path: "/api/v1/reports/headcount?as_of=2025-06-28&group_by=org,sex", token: prov, sheet: "Số lượng",
			title: "BÁO CÁO SỐ LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC",
			cells: map[string]string{"A5": "STT", "B5": "Cơ quan quản lý", "C5": "Giới tính", "D5": "Số lượng", "A6": "(1)"}, items: "rows"},
		{name: "archive", path: "/api/v1/archive", token: w.hrA, sheet: "Lưu trữ", title: "DANH SÁCH HỒ SƠ LƯU TRỮ",
			cells: map[string]string{"B5": "Họ và tên", "I5": "Ngày thôi", "B6": "Lê Văn Cường", "I6": "01/07/2025"}, items: "items"},
		{name: "compliance items", path: "/api/v1/compliance/items", token: w.inspector, sheet: "Tuân thủ",
			title: "DANH SÁCH VIỆC PHẢI LÀM THEO THỜI HẠN", cells: map[string]string{"B5": "Việc phải làm", "H5": "Hạn"}, items: "items"},
		{name: "compliance overdue", path: "/api/v1/compliance/overdue?as_of=2026-01-01", token: w.inspector, sheet: "Tuân thủ",
			title: "DANH SÁCH VIỆC QUÁ HẠN CHƯA THỰC HIỆN", cells: map[string]string{"L5": "Quá hạn (ngày)", "A3": "(Tính đến ngày 01/01/2026)"}, items: "items"},
		{name: "compliance summary", path: "/api/v1/compliance/summary", token: w.inspector, sheet: "Tổng hợp",
			title: "TỔNG HỢP THỰC HIỆN THỜI HẠN CẬP NHẬT HỒ SƠ",
			cells: map[string]string{"C5": "Đã thực hiện", "C6": "Đúng hạn", "F5": "Quá hạn chưa thực hiện"}, merges: []string{"A5:A6", "C5:E5", "F5:F6"}, items: "orgs"},
		{name: "approvals", path: "/api/v1/compliance/approvals", token: w.inspector, sheet: "Phê duyệt",
			title: "DANH SÁCH PHÊ DUYỆT DỮ LIỆU HẰNG THÁNG", cells: map[string]string{"B5": "Cơ quan, đơn vị"}, items: "approvals"},
		// The entries carry the dossiers' data: the inspector states why.
		{name: "audit trail", path: "/api/v1/audit?purpose=inspection&purpose_ref=15%2FQ%C4%90-TTr&org=" + w.orgA.String(), token: w.inspector, sheet: "Nhật ký",
			title: "NHẬT KÝ THAY ĐỔI DỮ LIỆU HỒ SƠ", cells: map[string]string{"A1": "SỞ Y TẾ", "D5": "Sự kiện", "J5": "Thay đổi"}, items: "items"},
		{name: "read log", path: "/api/v1/audit/reads", token: w.inspector, sheet: "Truy cập",
			title: "NHẬT KÝ TRUY CẬP HỒ SƠ", cells: map[string]string{"B5": "Thời điểm", "I5": "Kết quả"}, items: "items"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jr := get(t, env, c.path, c.token, http.StatusOK, nil)
			var doc map[string]json.RawMessage
			jr.JSON(&doc)
			xr := env.Do(http.MethodGet, c.path, c.token, nil, "Accept", spreadsheet.MediaType, "X-Purpose", "báo cáo")
			if xr.Status != http.StatusOK || xr.Header.Get("Content-Type") != spreadsheet.MediaType {
				t.Fatalf("xlsx: %d %s %.300s", xr.Status, xr.Header.Get("Content-Type"), xr.Body)
			}
			if cd := xr.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".xlsx") {
				t.Errorf("Content-Disposition = %q", cd)
			}
			f, err := excelize.OpenReader(bytes.NewReader(xr.Body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetName(0); got != c.sheet {
				t.Fatalf("sheet = %q, want %q", got, c.sheet)
			}
			want := map[string]string{"A2": c.title}
			for k, v := range c.cells {
				want[k] = v
			}
			for cell, v := range want {
				if got, _ := f.GetCellValue(c.sheet, cell); got != v {
					t.Errorf("%s = %q, want %q", cell, got, v)
				}
			}
			if issuer, _ := f.GetCellValue(c.sheet, "A1"); issuer == "" || issuer != strings.ToUpper(issuer) {
				t.Errorf("issuer line A1 = %q, want the org in capitals", issuer)
			}
			merges := sheettest.MergedRanges(t, f, c.sheet)
			for _, m := range c.merges {
				if !slices.Contains(merges, m) {
					t.Errorf("merged ranges %v lack %s", merges, m)
				}
			}
			lines := sheettest.DataLines(t, f, c.sheet)
			if c.items != "" {
				var items []json.RawMessage
				if err := json.Unmarshal(doc[c.items], &items); err != nil {
					t.Fatalf("JSON %s: %v", c.items, err)
				}
				if len(lines) != len(items) {
					t.Errorf("%d lines in the workbook, %d items in the JSON", len(lines), len(items))
				}
			}
			sums := sheettest.CheckSums(t, f, c.sheet)
			sheettest.CheckFont(t, f, c.sheet, "A2")
			if len(lines) > 0 {
				sheettest.CheckFont(t, f, c.sheet, "B"+strconv.Itoa(lines[0]))
			}
			switch c.name {
			case "BM02":
				// The lines per org add up to the JSON's total: 4 in service
				// on 28/06/2025 (the retirement took effect on 01/07), one a
				// woman.
				var bm struct {
					Total int `json:"total"`
					Women int `json:"women"`
				}
				if err := json.Unmarshal(doc["bm02"], &bm); err != nil {
					t.Fatal(err)
				}
				if bm.Total != 4 || sums["C"] != bm.Total || sums["E"] != bm.Women || bm.Women != 1 {
					t.Errorf("BM02: JSON total %d women %d; workbook totals C=%d E=%d", bm.Total, bm.Women, sums["C"], sums["E"])
				}
				if len(lines) != 2 {
					t.Errorf("BM02 has %d org lines, want 2 (Sở Y tế, Sở Giáo dục và Đào tạo)", len(lines))
				}
			case "audit trail":
				// The inspector may not read sensitive fields: the workbook
				// leaves out their changes as the JSON does, and says so.
				redacted := 0
				for _, row := range lines {
					v, _ := f.GetCellValue(c.sheet, "J"+strconv.Itoa(row))
					if strings.Contains(v, "ethnicity") || strings.Contains(v, "religion") {
						t.Errorf("J%d shows a sensitive change to an inspector: %q", row, v)
					}
					if strings.Contains(v, "trường nhạy cảm không hiển thị") {
						redacted++
					}
				}
				if redacted == 0 {
					t.Error("no line of the audit workbook says sensitive changes were left out")
				}
			case "headcount by org and sex":
				var rows []struct{ Count int }
				if err := json.Unmarshal(doc["rows"], &rows); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, r := range rows {
					n += r.Count
				}
				if sums["D"] != n || n != 4 {
					t.Errorf("headcount total: workbook %d, JSON %d, want 4", sums["D"], n)
				}
			}
		})
	}

	// The workbook of the archive is a read of each dossier it lists, as
	// the JSON is.
	reads := func() int {
		var page struct{ Items []ReadRow }
		get(t, env, "/api/v1/audit/reads?dossier="+retiring.String(), w.inspector, http.StatusOK, &page)
		n := 0
		for _, r := range page.Items {
			if r.Route == "/api/v1/archive" {
				n++
			}
		}
		return n
	}
	before := reads()
	if r := env.Do(http.MethodGet, "/api/v1/archive", w.hrA, nil, "Accept", spreadsheet.MediaType); r.Status != http.StatusOK {
		t.Fatalf("archive xlsx: %d", r.Status)
	}
	if after := reads(); after != before+1 {
		t.Errorf("reads of the retired dossier through the archive: %d before the workbook, %d after; want one more", before, after)
	}
}

// ReadRow is the part of a read-log row these tests look at.
type ReadRow struct {
	Route string `json:"route"`
}

// TestSpreadsheetErrors: a report that fails fails as problem+json, not
// as half a workbook; a client that does not ask for xlsx gets JSON.
func TestSpreadsheetErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := w.env
	cases := []struct {
		name, path, token, accept string
		status                    int
		code, field               string
	}{
		{"bad date", "/api/v1/reports/headcount?as_of=31/12/2026", w.hrA, spreadsheet.MediaType, 400, "bad_parameter", "query:as_of"},
		{"unknown format", "/api/v1/reports/headcount?format=pdf", w.hrA, spreadsheet.MediaType, 400, "bad_parameter", "query:format"},
		{"sensitive dimension without the right", "/api/v1/reports/headcount?group_by=ethnicity", w.inspector, spreadsheet.MediaType, 403, "forbidden", ""},
		{"org outside the scope", "/api/v1/compliance/summary?org=" + w.orgB.String(), w.hrA, spreadsheet.MediaType, 403, "forbidden", "query:org"},
		{"bad cursor", "/api/v1/audit/reads?cursor=xyz", w.inspector, spreadsheet.MediaType + ", application/json;q=0.5", 400, "bad_parameter", "query:cursor"},
		{"no token", "/api/v1/archive", "", spreadsheet.MediaType, 401, "unauthenticated", ""},
		{"xlsx refused (q=0) gets JSON", "/api/v1/compliance/summary", w.hrA, spreadsheet.MediaType + ";q=0, application/json", 200, "", ""},
		{"no Accept gets JSON", "/api/v1/archive", w.hrA, "", 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := env.Do(http.MethodGet, c.path, c.token, nil, "Accept", c.accept)
			if r.Status != c.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, c.status)
			}
			ct := r.Header.Get("Content-Type")
			if c.status == 200 {
				if !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type = %q, want JSON", ct)
				}
				return
			}
			if !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("Content-Type = %q, want problem+json", ct)
			}
			p := r.Problem()
			if p.Code != c.code {
				t.Errorf("code = %q, want %q", p.Code, c.code)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Errorf("errors = %+v, want field %s", p.Errors, c.field)
			}
		})
	}
}
