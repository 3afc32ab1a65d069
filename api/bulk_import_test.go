package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

// importUpload is a POST /imports body: the workbook of people people
// (the demo generator's; offset picks other people), with edit applied.
func importUpload(t *testing.T, org domain.OrgID, decisionDate string, people, offset int, extra map[string]string, edit func(*excelize.File)) ([]byte, string) {
	t.Helper()
	var wb bytes.Buffer
	if err := demo.WriteImportWorkbook(&wb, demo.ImportConfig{Seed: 3, People: people, Offset: offset}); err != nil {
		t.Fatal(err)
	}
	content := wb.Bytes()
	if edit != nil {
		f, err := excelize.OpenReader(bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		edit(f)
		var out bytes.Buffer
		if _, err := f.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		content = out.Bytes()
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields := map[string]string{"org_id": org.String(), "decision_number": "15/QĐ-UBND", "decision_date": decisionDate, "decision_issuer": "UBND tỉnh Phú Thọ"}
	for k, v := range extra {
		fields[k] = v
	}
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "ho-so.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

type importView struct {
	ID          string               `json:"id"`
	State       string               `json:"state"`
	Rows        int                  `json:"rows"`
	InvalidRows int                  `json:"invalid_rows"`
	Created     int                  `json:"dossiers_created"`
	Existing    int                  `json:"dossiers_existing"`
	Events      int                  `json:"events_appended"`
	Problems    int                  `json:"problems"`
	First       []importfile.Problem `json:"first_problems"`
}

// startAndWait posts an import and waits for it to end; it returns the
// final status as GET /imports/{id} shows it.
func startAndWait(t *testing.T, env *apitest.Env, token string, body []byte, ct string) importView {
	t.Helper()
	r := env.Do(http.MethodPost, "/api/v1/imports", token, body, "Content-Type", ct)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /imports = %d %s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	env.Svc.Imports.Wait()
	var v importView
	g := env.Do(http.MethodGet, loc, token, nil)
	if g.Status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", loc, g.Status, g.Body)
	}
	g.JSON(&v)
	return v
}

// TestBulkImportThroughTheAPI is issue 17 through real HTTP: an HR
// officer uploads the org's workbook and polls its status until done; the
// same file again appends nothing; another org's HR can neither start an
// import for the org nor see it; a file with a bad cell writes nothing and
// its report, in JSON and xlsx, names the cell with a Vietnamese reason
// but never the cell's value (the server keeps none).
func TestBulkImportThroughTheAPI(t *testing.T) {
	env := apitest.Start(t)
	orgA := env.Org("Sở Y tế tỉnh Nhập Thử", "SYT-NT", domain.OrgID{})
	orgB := env.Org("Sở Tư pháp tỉnh Nhập Thử", "STP-NT", domain.OrgID{})
	env.Account("tccb.nhap.a", "ToChuc@Nhap2026a", account.KindOrg, account.RoleHROfficer, orgA)
	env.Account("tccb.nhap.b", "ToChuc@Nhap2026b", account.KindOrg, account.RoleHROfficer, orgB)
	hrA, hrB := env.Login("tccb.nhap.a", "ToChuc@Nhap2026a"), env.Login("tccb.nhap.b", "ToChuc@Nhap2026b")
	today := domain.DateOf(time.Now()).String()
	before := env.EventCount()

	body, ct := importUpload(t, orgA, today, 12, 0, nil, nil)
	// Another org's HR officer cannot import into org A.
	wantProblem(t, env.Do(http.MethodPost, "/api/v1/imports", hrB, body, "Content-Type", ct), http.StatusForbidden, "form:org_id", "scope")
	v := startAndWait(t, env, hrA, body, ct)
	if v.State != "done" || v.Created != 12 || v.Events != 12+v.Rows || v.Problems != 0 {
		t.Fatalf("import: %+v", v)
	}
	if got := env.EventCount() - before; got != v.Events+12 { // and a claim per person
		t.Errorf("%d events appended, want %d", got, v.Events+12)
	}
	// Org B's HR does not see org A's import.
	if r := env.Do(http.MethodGet, "/api/v1/imports/"+v.ID, hrB, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET another org's import = %d, want 404", r.Status)
	}
	// The same file again: nothing appended.
	again := startAndWait(t, env, hrA, body, ct)
	if again.State != "done" || again.Events != 0 || again.Existing != 12 {
		t.Errorf("re-run: %+v", again)
	}
	// A dry run of a file with an unknown ethnicity code: invalid, nothing
	// written, the report names the cell.
	bad, ct := importUpload(t, orgA, today, 3, 100, nil, func(f *excelize.File) {
		f.SetCellStr(importfile.Sheets[0].Name, "H3", "99x")
	})
	count := env.EventCount()
	iv := startAndWait(t, env, hrA, bad, ct)
	if iv.State != "invalid" || iv.Problems != 1 || len(iv.First) != 1 || iv.First[0].Cell != "H3" || iv.First[0].Code != "catalogue" {
		t.Fatalf("bad file: %+v", iv)
	}
	if env.EventCount() != count {
		t.Errorf("a file with a bad cell appended %d events", env.EventCount()-count)
	}
	js := env.Do(http.MethodGet, "/api/v1/imports/"+iv.ID+"/report.json", hrA, nil)
	if js.Status != http.StatusOK || !strings.Contains(string(js.Body), "danh mục") || strings.Contains(string(js.Body), "99x") {
		t.Errorf("report.json = %d %s; want the reason, never the value", js.Status, js.Body)
	}
	x := env.Do(http.MethodGet, "/api/v1/imports/"+iv.ID+"/report.xlsx", hrA, nil)
	if x.Status != http.StatusOK {
		t.Fatalf("report.xlsx = %d", x.Status)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(importfile.Sheets[0].Name)
	if len(rows) != 2 || rows[1][0] != "3" || !strings.Contains(rows[1][len(rows[1])-1], "Dân tộc") {
		t.Errorf("report.xlsx rows %q", rows)
	}
	if r := env.Do(http.MethodGet, "/api/v1/imports/"+iv.ID+"/report.xlsx", hrB, nil); r.Status != http.StatusNotFound {
		t.Errorf("another org's report = %d, want 404", r.Status)
	}
}
