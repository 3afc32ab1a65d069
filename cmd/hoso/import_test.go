package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/importfile"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// childEnv marks a run of the test binary as `hoso` itself (see TestMain),
// so a test can kill a real process of the command mid-import.
const childEnv = "GO_TEST_HOSO_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const (
	importKey      = "cmd-import-test-personal-id-key-0123456789"
	importDecision = "15/QĐ-UBND, 01/12/2026, UBND tỉnh Phú Thọ"
)

// runImportCmd runs `hoso ARGS` in this process against databaseURL.
func runImportCmd(t testing.TB, databaseURL string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "HOSO_DATABASE_URL":
			return databaseURL
		case "HOSO_PERSONAL_ID_KEY":
			return importKey
		case "HOSO_KEK":
			return testKEK
		case "USER":
			return "tester"
		}
		return ""
	}
	code := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// importOrg founds the org the files go into, in 1997.
func importOrg(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	l := ledger.Ledger{Store: postgres.New(pool, postgres.Options{})}
	id := domain.OrgID(uuid.Must(uuid.NewV7()))
	m := domain.Meta{Actor: domain.Actor{Account: importOperator, ActingOrg: id}, RecordedAt: time.Now().UTC(),
		EffectiveDate: domain.MustDate(1997, 1, 1), ImportedFrom: "test",
		Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ-UBND", Date: domain.MustDate(1997, 1, 1), Issuer: "UBND tỉnh Phú Thọ"}}
	_, err := app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)}.Create(context.Background(), id,
		org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince}, m)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// dossierCounts is how many dossier streams and dossier events, and
// personal-ID reservation streams, the schema holds.
func dossierCounts(t testing.TB, pool *pgxpool.Pool) (streams, events, pids int) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `SELECT count(DISTINCT stream_id) FILTER (WHERE stream_id LIKE 'dossier-%'),
		count(*) FILTER (WHERE stream_id LIKE 'dossier-%'), count(DISTINCT stream_id) FILTER (WHERE stream_id LIKE 'pid-%') FROM events`).Scan(&streams, &events, &pids)
	if err != nil {
		t.Fatal(err)
	}
	return streams, events, pids
}

// fileRows counts the data rows of an import file, all sheets.
func fileRows(t testing.TB, file string) int {
	t.Helper()
	src, err := importfile.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rows := 0
	for _, s := range importfile.Sheets {
		if err := src.Each(s, func(importfile.Record) error { rows++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// TestImportTemplate: the template has the instructions, one sheet per
// part of the dossier with its Vietnamese headers, catalogue drop-downs
// drawn from a hidden sheet, and reads back as a file with no rows.
func TestImportTemplate(t *testing.T) {
	t.Parallel()
	code, out, stderr := runImportCmd(t, "", "import", "template")
	if code != 0 {
		t.Fatalf("import template: exit %d: %s", code, stderr)
	}
	f, err := excelize.OpenReader(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{importfile.InstructionsSheet}
	for _, s := range importfile.Sheets {
		want = append(want, s.Name)
	}
	want = append(want, importfile.ListsSheet)
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	if visible, _ := f.GetSheetVisible(importfile.ListsSheet); visible {
		t.Error("the lists sheet is visible")
	}
	id := importfile.Sheets[0]
	if v, _ := f.GetCellValue(id.Name, "B1"); v != "Họ và tên khai sinh (*)" {
		t.Errorf("identity B1 = %q", v)
	}
	dvs, err := f.GetDataValidations(id.Name)
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{}
	for _, dv := range dvs {
		lists[dv.Sqref] = dv.Formula1
	}
	for col, kind := range map[string]string{"C": "gender", "H": "ethnicity", "N": "rank"} {
		f1, ok := lists[col+"2:"+col+"60000"]
		if !ok || !strings.Contains(f1, importfile.ListsSheet) {
			t.Errorf("column %s (%s): drop-down %q (%v), want a list from the hidden sheet", col, kind, f1, ok)
		}
	}
	// The empty template is a valid file with no rows.
	path := filepath.Join(t.TempDir(), "mau.xlsx")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := importfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, s := range importfile.Sheets {
		if err := src.Each(s, func(r importfile.Record) error {
			t.Errorf("%s: row %d in the empty template", s.Key, r.Row)
			return nil
		}); err != nil {
			t.Errorf("%s: %v", s.Key, err)
		}
	}
}

// TestImportCommand: a realistic file (the demo generator's) imports,
// the same file again appends nothing, the CSV form of the same people is
// refused as conflicts with nothing written, and a file with a bad date
// writes nothing and gets an error report with the bad cell named.
func TestImportCommand(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	orgID := importOrg(t, pool)
	dir := t.TempDir()
	file, csvDir := filepath.Join(dir, "tinh.xlsx"), filepath.Join(dir, "tinh-csv")
	for _, out := range []string{file, csvDir} {
		if code, _, stderr := runImportCmd(t, url, "import", "sample", "--people", "30", "--out", out); code != 0 {
			t.Fatalf("sample: %s", stderr)
		}
	}
	if code, stdout, stderr := runImportCmd(t, url, "import", file, "--org", orgID, "--decision", importDecision, "--dry-run"); code != 0 || !strings.Contains(stdout, "nothing written") {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	if s, _, _ := dossierCounts(t, pool); s != 0 {
		t.Fatalf("dry run wrote %d dossiers", s)
	}
	code, stdout, stderr := runImportCmd(t, url, "import", file, "--org", orgID, "--decision", importDecision)
	if code != 0 || !strings.Contains(stdout, "30 dossiers created") {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	streams, events, pids := dossierCounts(t, pool)
	if streams != 30 || pids != 30 || events < 30*12 {
		t.Fatalf("after the import: %d dossiers, %d events, %d reservations", streams, events, pids)
	}
	if code, stdout, _ := runImportCmd(t, url, "import", file, "--org", orgID, "--decision", importDecision); code != 0 || !strings.Contains(stdout, "0 events appended") {
		t.Errorf("re-run: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runImportCmd(t, url, "import", csvDir, "--org", orgID, "--decision", importDecision)
	if code != 1 || !strings.Contains(stdout, "(30 problems)") {
		t.Errorf("the same people from another file: exit %d\n%s", code, stdout)
	}
	if s, e, _ := dossierCounts(t, pool); s != streams || e != events {
		t.Errorf("after re-runs: %d dossiers, %d events; want %d, %d", s, e, streams, events)
	}

	// A bad date in another file of other people.
	bad := filepath.Join(dir, "loi.xlsx")
	if code, _, stderr := runImportCmd(t, url, "import", "sample", "--people", "5", "--offset", "500", "--out", bad); code != 0 {
		t.Fatal(stderr)
	}
	wb, err := excelize.OpenFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	wb.SetCellStr(importfile.Sheets[0].Name, "D3", "31/02/1990")
	if err := wb.Save(); err != nil {
		t.Fatal(err)
	}
	wb.Close()
	code, stdout, _ = runImportCmd(t, url, "import", bad, "--org", orgID, "--decision", importDecision, "--report", filepath.Join(dir, "baocao"))
	if code != 1 || !strings.Contains(stdout, "(1 problems)") || !strings.Contains(stdout, "Nothing written") {
		t.Errorf("bad file: exit %d\n%s", code, stdout)
	}
	if s, _, _ := dossierCounts(t, pool); s != streams {
		t.Errorf("a file with a bad row wrote %d dossiers", s-streams)
	}
	js, err := os.ReadFile(filepath.Join(dir, "baocao.json"))
	if err != nil || !strings.Contains(string(js), `"cell": "D3"`) || !strings.Contains(string(js), "dd/mm/yyyy") {
		t.Errorf("JSON report: %v\n%s", err, js)
	}
	rep, err := excelize.OpenFile(filepath.Join(dir, "baocao.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	rows, _ := rep.GetRows(importfile.Sheets[0].Name)
	if len(rows) != 2 || rows[1][0] != "3" || rows[1][4] != "31/02/1990" || !strings.Contains(rows[1][len(rows[1])-1], "Ngày sinh: ngày không hợp lệ") {
		t.Errorf("xlsx report rows: %q", rows)
	}
	styleID, _ := rep.GetCellStyle(importfile.Sheets[0].Name, "E2")
	if st, err := rep.GetStyle(styleID); err != nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FF9999" {
		t.Errorf("the bad cell is not highlighted: %+v, %v", st, err)
	}
}

// TestImportResumesAfterKill: a `hoso import` process killed with SIGKILL
// half-way leaves part of the file written; running the same command
// again finishes it with exactly one dossier per person and every row's
// event once, and a third run appends nothing.
func TestImportResumesAfterKill(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	orgID := importOrg(t, pool)
	file := filepath.Join(t.TempDir(), "tinh.xlsx")
	const people = 400
	if code, _, stderr := runImportCmd(t, url, "import", "sample", "--people", "400", "--out", file); code != 0 {
		t.Fatal(stderr)
	}
	// Small batches, so the kill falls between bulk writes (each one
	// transaction: all of its people or none).
	child := exec.Command(os.Args[0], "import", file, "--org", orgID, "--decision", importDecision, "--workers", "4", "--batch", "20")
	child.Env = append(os.Environ(), childEnv+"=1", "HOSO_DATABASE_URL="+url, "HOSO_PERSONAL_ID_KEY="+importKey, "HOSO_KEK="+testKEK)
	var childOut bytes.Buffer
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it has written the dossiers' first events and some history.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, events, _ := dossierCounts(t, pool); events >= people+people/2 {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("the import wrote too little in 2 minutes:\n%s", childOut.String())
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	_, killedAt, _ := dossierCounts(t, pool)

	events := importAgain(t, url, pool, file, orgID, people, "resumed import", "after resuming")
	if killedAt >= events {
		t.Fatalf("the kill came after the import finished (%d events); the test proved nothing", killedAt)
	}
	if code, stdout, _ := runImportCmd(t, url, "import", file, "--org", orgID, "--decision", importDecision); code != 0 || !strings.Contains(stdout, "0 events appended") {
		t.Errorf("third run: exit %d\n%s", code, stdout)
	}
	if _, again, _ := dossierCounts(t, pool); again != events {
		t.Errorf("third run: %d events, want %d", again, events)
	}
	// The ledger the killed run left behind still verifies.
	if code, stdout, stderr := runImportCmd(t, url, "verify"); code != 0 {
		t.Errorf("hoso verify after the kill: exit %d\n%s%s", code, stdout, stderr)
	}
}

// importAgain runs the import of file once more, after an interruption
// (named by what, the command, and after, the state), and checks that it
// ends with one dossier and one personal-ID claim per person and one
// creation per person plus one event per row (the identity rows' sections
// among them); it returns the events counted.
func importAgain(t *testing.T, url string, pool *pgxpool.Pool, file, orgID string, people int, what, after string) int {
	t.Helper()
	code, stdout, stderr := runImportCmd(t, url, "import", file, "--org", orgID, "--decision", importDecision)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", what, code, stdout, stderr)
	}
	rows := fileRows(t, file)
	streams, events, pids := dossierCounts(t, pool)
	if streams != people || pids != people || events != people+rows {
		t.Fatalf("%s: %d dossiers, %d reservations, %d events; want %d, %d, %d", after, streams, pids, events, people, people, people+rows)
	}
	return events
}
