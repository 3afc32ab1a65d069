package imports_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/imports"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/importfile"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

var (
	testKey  = []byte("imports-test-personal-id-key-0123456789")
	hr       = domain.AccountID(uuid.MustParse("0193a5e2-0000-7000-8000-000000000001"))
	founded  = domain.MustDate(1997, 1, 1)
	goLive   = domain.MustDate(2026, 12, 1)
	decision = domain.SourceDocument{Kind: "decision", Number: "15/QĐ-UBND", Date: goLive, Issuer: "UBND tỉnh Phú Thọ"}
)

type fixture struct {
	ledger ledger.Ledger
	im     imports.Importer
	org    domain.OrgID
}

// newFixture is a fresh schema holding one org, founded in 1997, that
// the files are imported into.
func newFixture(t *testing.T) fixture {
	t.Helper()
	pool, _ := pgtest.New(t)
	l := ledger.Ledger{Store: postgres.New(pool, postgres.Options{})}
	o := domain.OrgID(uuid.Must(uuid.NewV7()))
	m := domain.Meta{Actor: domain.Actor{Account: hr, ActingOrg: o}, RecordedAt: time.Now().UTC(), EffectiveDate: founded, Source: decision, ImportedFrom: "test"}
	orgs := app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)}
	if _, err := orgs.Create(context.Background(), o, org.CreateOrg{Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "H45.01", Kind: org.KindDepartment, Level: org.LevelProvince}, m); err != nil {
		t.Fatal(err)
	}
	return fixture{ledger: l, org: o, im: imports.Importer{Dossiers: app.Dossiers{Ledger: l, Catalogue: catalog.Default(), PersonalIDKey: testKey}}}
}

func (f fixture) options() imports.Options {
	return imports.Options{Org: f.org, Decision: decision, Actor: domain.Actor{Account: hr, Name: "Trần Thị Bình", ActingOrg: f.org}, Workers: 3}
}

// sheets is a file under construction: for each sheet key, rows of
// column key → value.
type sheets map[string][]map[string]string

// person adds a valid person n (a man born in 1990) with two career
// periods, two salary steps and a degree.
func (s sheets) person(n int) string {
	pid := fmt.Sprintf("025090%06d", n)
	s["identity"] = append(s["identity"], map[string]string{"personal_id_number": pid, "birth_name": fmt.Sprintf("Nguyễn Văn %c", 'A'+n%26),
		"gender": "Nam", "date_of_birth": "12/04/1990", "class": "cong_chuc", "ethnicity": "01", "religion": "none",
		"rank": "01.003", "step": "3", "coefficient": "3.00", "first_recruited_on": "01/03/2015"})
	s["career"] = append(s["career"],
		map[string]string{"personal_id_number": pid, "from": "03/2015", "to": "12/2019", "org": "Phòng Tổ chức, Sở Nội vụ", "title": "Chuyên viên"},
		map[string]string{"personal_id_number": pid, "from": "01/2020", "org": "Văn phòng Sở Nội vụ", "title": "Chuyên viên"})
	s["salary"] = append(s["salary"],
		map[string]string{"personal_id_number": pid, "from": "03/2015", "to": "02/2018", "code": "01.003", "step": "1", "coefficient": "2.34",
			"decision_number": "101/QĐ-SNV", "decision_date": "20/02/2015", "decision_issuer": "Sở Nội vụ tỉnh Phú Thọ"},
		map[string]string{"personal_id_number": pid, "from": "03/2018", "code": "01.003", "step": "2", "coefficient": "2.67"})
	s["training"] = append(s["training"], map[string]string{"personal_id_number": pid, "kind": "professional_degree", "from": "09/2008", "to": "06/2012",
		"institution": "Học viện Hành chính Quốc gia", "qualification": "bachelor"})
	return pid
}

// write writes the file as CSV files (headers: the column keys, which the
// reader accepts beside the Vietnamese ones) and opens it.
func (s sheets) write(t *testing.T) importfile.Source {
	t.Helper()
	dir := t.TempDir()
	for key, rows := range s {
		sh, ok := importfile.SheetByKey(key)
		if !ok {
			t.Fatalf("no sheet %s", key)
		}
		f, err := os.Create(filepath.Join(dir, key+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(f)
		var hdr []string
		for _, c := range sh.Columns {
			hdr = append(hdr, c.Key)
		}
		w.Write(hdr)
		for _, r := range rows {
			rec := make([]string, len(sh.Columns))
			for k, v := range r {
				i := sh.Index(k)
				if i < 0 {
					t.Fatalf("sheet %s has no column %s", key, k)
				}
				rec[i] = v
			}
			w.Write(rec)
		}
		w.Flush()
		if err := errors.Join(w.Error(), f.Close()); err != nil {
			t.Fatal(err)
		}
	}
	src, err := importfile.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// streamLen is how many events the dossier's stream holds (0 if none).
func streamLen(t *testing.T, l ledger.Ledger, id domain.DossierID) int {
	t.Helper()
	evs, err := l.Store.ReadStream(context.Background(), id.StreamID(), eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestBadRowsAreReportedAndNothingIsWritten: each kind of bad cell is
// reported at its sheet, row, column and cell with a stable code and a
// Vietnamese reason; a file with any problem appends nothing; with
// SkipInvalid the valid rows and persons are written and the rest left out.
func TestBadRowsAreReportedAndNothingIsWritten(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()

	// A person already in the ledger (imported from another file).
	first := sheets{}
	taken := first.person(90)
	res0, err := f.im.Run(ctx, first.write(t), f.options())
	if err != nil || !res0.Written || res0.Created != 1 {
		t.Fatalf("first file: %+v, %v", res0, err)
	}
	firstID := imports.DossierID(res0.Report.FileSHA256, taken)
	before := streamLen(t, f.ledger, firstID)

	s := sheets{}
	for n := 1; n <= 4; n++ {
		s.person(n)
	}
	set := func(sheet string, i int, k, v string) { s[sheet][i][k] = v }
	set("identity", 0, "date_of_birth", "31/02/1990")                                                                                                        // row 2: no such day
	set("identity", 1, "ethnicity", "99x")                                                                                                                   // row 3: not in the catalogue
	set("career", 4, "from", "13/2020")                                                                                                                      // row 6: no month 13
	set("salary", 6, "coefficient", "hai")                                                                                                                   // row 8: not a number
	set("training", 3, "qualification", "tien_si_danh_du")                                                                                                   // row 5: not in the catalogue
	s["career"] = append(s["career"], map[string]string{"personal_id_number": "025090000004", "from": "05/1940", "org": "Sở Nội vụ"})                        // row 10: before 2/9/1945
	s["identity"] = append(s["identity"], s["identity"][3])                                                                                                  // row 6: same number as row 5
	s.person(90)                                                                                                                                             // row 7: held by the first file's dossier
	s["family"] = append(s["family"], map[string]string{"personal_id_number": "025090999999", "side": "Bản thân", "relation": "Bố", "name": "Nguyễn Văn X"}) // row 2: nobody

	type want struct {
		sheet  string
		row    int
		column string
		code   string
	}
	wants := []want{
		{"identity", 2, "date_of_birth", "format"},
		{"identity", 3, "ethnicity", "catalogue"},
		{"identity", 6, "personal_id_number", "duplicate_in_file"},
		{"identity", 7, "personal_id_number", app.RulePersonalIDTaken},
		{"career", 6, "from", "format"},
		{"career", 10, "from", "before_1945"},
		{"training", 5, "qualification", "catalogue"},
		{"salary", 8, "coefficient", "format"},
		{"family", 2, "personal_id_number", "unknown_person"},
	}
	res, err := f.im.Run(ctx, s.write(t), f.options())
	if err != nil {
		t.Fatal(err)
	}
	var got []want
	for _, p := range res.Report.Problems {
		got = append(got, want{p.Sheet, p.Row, p.Column, p.Code})
		if p.Reason == "" || p.Cell == "" {
			t.Errorf("problem %+v: no reason or no cell", p)
		}
	}
	for _, w := range wants {
		if !slices.Contains(got, w) {
			t.Errorf("problem %+v not reported; got %+v", w, got)
		}
	}
	if len(got) != len(wants) {
		t.Errorf("%d problems, want %d: %+v", len(got), len(wants), got)
	}
	if res.Written {
		t.Error("a file with problems was written without SkipInvalid")
	}
	for n := 1; n <= 4; n++ {
		if got := streamLen(t, f.ledger, imports.DossierID(res.Report.FileSHA256, fmt.Sprintf("025090%06d", n))); got != 0 {
			t.Errorf("person %d: %d events: a file with problems appended", n, got)
		}
	}
	if after := streamLen(t, f.ledger, firstID); after != before {
		t.Errorf("the first file's dossier: %d → %d events", before, after)
	}

	// With SkipInvalid: persons 1 and 2 (bad identity rows) and person 90
	// (taken) are left out, and the duplicate row of person 4 (its first
	// row stands); persons 3 and 4 are written without their bad rows.
	o := f.options()
	o.SkipInvalid = true
	res, err = f.im.Run(ctx, s.write(t), o)
	if err != nil || !res.Written || res.Created != 2 {
		t.Fatalf("SkipInvalid: %+v, %v; want 2 dossiers", res, err)
	}
	sha := res.Report.FileSHA256
	for n, wantEvents := range map[int]int{1: 0, 2: 0, 3: 1 + 1 + 1 + 2 + 1, 4: 1 + 1 + 2 + 1 + 0} {
		// created + sections + career + salary + training (person 3's
		// first career row, person 4's 1940 career row, first salary row
		// and training are left out).
		got := streamLen(t, f.ledger, imports.DossierID(sha, fmt.Sprintf("025090%06d", n)))
		if got != wantEvents {
			t.Errorf("person %d: %d events, want %d", n, got, wantEvents)
		}
	}
	if holder, err := f.im.Dossiers.DossierOfPersonalID(ctx, taken); err != nil || holder != firstID {
		t.Errorf("the taken number is held by %v (%v), want the first file's dossier", holder, err)
	}
}

// TestHistoryIsTracedRowByRow: each history row is a row_added event of
// its own, effective on its own date before go-live, naming the file's
// SHA-256 and the row in imported_from, with the row's decision when it
// has one; the same file again appends nothing.
func TestHistoryIsTracedRowByRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := sheets{}
	pid := s.person(7)
	s["party"] = []map[string]string{{"personal_id_number": pid, "party_admitted_on": "03/02/2018", "party_confirmed_on": "03/02/2019", "party_cell": "Chi bộ Văn phòng"}}
	src := s.write(t)
	res, err := f.im.Run(ctx, src, f.options())
	if err != nil || !res.Written || res.Created != 1 || len(res.Report.Problems) > 0 {
		t.Fatalf("Run: %+v, %v", res, err)
	}
	id := imports.DossierID(src.SHA256(), pid)
	evs, err := f.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type ev struct{ typ, eff, from, doc string }
	var got []ev
	for _, e := range evs {
		doc := ""
		if e.Meta.SourceDocument != nil {
			doc = e.Meta.SourceDocument.Number
		}
		got = append(got, ev{e.Type, e.Meta.EffectiveDate, e.Meta.ImportedFrom, doc})
	}
	from := func(sheet string, row int) string {
		return fmt.Sprintf("tệp SHA-256 %s, trang %s, dòng %d", src.SHA256(), sheet, row)
	}
	want := []ev{
		{dossier.TypeCreated, "2026-12-01", from("identity", 2), "15/QĐ-UBND"},
		{dossier.TypeSectionUpdated, "2026-12-01", from("identity", 2), "15/QĐ-UBND"},
		{dossier.TypeRowAdded, "2015-03-01", from("career", 2), "15/QĐ-UBND"},
		{dossier.TypeRowAdded, "2020-01-01", from("career", 3), "15/QĐ-UBND"},
		{dossier.TypeRowAdded, "2012-06-01", from("training", 2), "15/QĐ-UBND"},
		{dossier.TypeRowAdded, "2015-03-01", from("salary", 2), "101/QĐ-SNV"},
		{dossier.TypeRowAdded, "2018-03-01", from("salary", 3), "15/QĐ-UBND"},
		{dossier.TypeSectionUpdated, "2026-12-01", from("party", 2), "15/QĐ-UBND"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}
	d, err := f.im.Dossiers.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	doc := d.Document()
	if len(doc.WorkHistory) != 2 || len(doc.SalaryHistory) != 2 || doc.Background.PartyAdmittedOn != domain.MustDate(2018, 2, 3) ||
		doc.Background.FirstRecruitedOn != domain.MustDate(2015, 3, 1) || doc.Salary.Rank != "01.003" {
		t.Errorf("document: %+v", doc)
	}
	// The same file again: nothing appended, the dossier found.
	again, err := f.im.Run(ctx, s.write(t), f.options())
	if err != nil || again.Events != 0 || again.Created != 0 || again.Existing != 1 {
		t.Errorf("re-run: %+v, %v; want nothing appended", again, err)
	}
	if evs2, _ := f.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{}); len(evs2) != len(evs) {
		t.Errorf("re-run: %d events, want %d", len(evs2), len(evs))
	}
}

func TestParseDecision(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want domain.SourceDocument
		ok   bool
	}{
		{"15/QĐ-UBND, 01/12/2026, UBND tỉnh Phú Thọ", decision, true},
		{"15/QĐ-UBND,01/12/2026,Ủy ban nhân dân tỉnh Phú Thọ, Việt Nam", domain.SourceDocument{Kind: "decision", Number: "15/QĐ-UBND", Date: goLive, Issuer: "Ủy ban nhân dân tỉnh Phú Thọ, Việt Nam"}, true},
		{"15/QĐ-UBND, 2026-12-01, UBND", domain.SourceDocument{}, false},
		{"15/QĐ-UBND", domain.SourceDocument{}, false},
		{", 01/12/2026, UBND", domain.SourceDocument{}, false},
	} {
		got, err := imports.ParseDecision(c.in)
		if (err == nil) != c.ok || c.ok && got != c.want {
			t.Errorf("ParseDecision(%q) = %+v, %v; want %+v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestSheetsInAnotherOrder: a sheet that lists people in another order
// than the identity sheet is written all the same (its rows out of that
// order by the second pass), each row once, also when run again.
func TestSheetsInAnotherOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := sheets{}
	p1, p2, p3 := s.person(1), s.person(2), s.person(3)
	slices.Reverse(s["career"])   // p3, p3, p2, p2, p1, p1
	slices.Reverse(s["training"]) // p3, p2, p1
	for range 2 {
		res, err := f.im.Run(ctx, s.write(t), f.options())
		if err != nil || !res.Written || len(res.Report.Problems) > 0 {
			t.Fatalf("Run: %+v, %v", res, err)
		}
		for _, pid := range []string{p1, p2, p3} {
			d, err := f.im.Dossiers.Get(ctx, imports.DossierID(res.Report.FileSHA256, pid))
			if err != nil {
				t.Fatal(err)
			}
			doc := d.Document()
			if len(doc.WorkHistory) != 2 || len(doc.Training) != 1 || len(doc.SalaryHistory) != 2 || d.Version() != 7 {
				t.Errorf("%s: %d career, %d training, %d salary rows, version %d; want 2, 1, 2, 7", pid, len(doc.WorkHistory), len(doc.Training), len(doc.SalaryHistory), d.Version())
			}
		}
	}
}

// TestRowRefusedBesideItsPerson: a row valid alone but refused beside the
// person's other rows (the same scan attached twice) is reported and left
// out; the rest of the person is written.
func TestRowRefusedBesideItsPerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := sheets{}
	pid := s.person(5)
	scan := map[string]string{"personal_id_number": pid, "kind": "decision", "number": "7/QĐ-SNV", "date": "02/03/2015",
		"issuer": "Sở Nội vụ", "sha256": strings.Repeat("ab", 32)}
	s["attachments"] = []map[string]string{scan, maps.Clone(scan)}
	res, err := f.im.Run(context.Background(), s.write(t), f.options())
	if err != nil || !res.Written || res.Created != 1 {
		t.Fatalf("Run: %+v, %v", res, err)
	}
	if len(res.Report.Problems) != 1 || res.Report.Problems[0].Sheet != "attachments" || res.Report.Problems[0].Row != 3 || res.Report.Problems[0].Code != "duplicate_attachment" {
		t.Errorf("problems %+v, want the second scan's row refused", res.Report.Problems)
	}
	d, err := f.im.Dossiers.Get(context.Background(), imports.DossierID(res.Report.FileSHA256, pid))
	if err != nil || len(d.Document().Attachments) != 1 || len(d.Document().WorkHistory) != 2 {
		t.Errorf("dossier: %v", err)
	}
	// Again: the bulk write decides the person, finds the dossier and sets
	// it aside; the one by one path decides it again. The refusal is
	// reported once, and nothing is appended.
	again, err := f.im.Run(context.Background(), s.write(t), f.options())
	if err != nil || again.Events != 0 || again.Existing != 1 {
		t.Fatalf("re-run: %+v, %v", again, err)
	}
	if len(again.Report.Problems) != 1 || again.Report.Problems[0].Code != "duplicate_attachment" {
		t.Errorf("re-run problems %+v, want the second scan's row once", again.Report.Problems)
	}
}

// TestEvaluationsRewardsDiscipline: the sheets beyond the list
// (the annual evaluation, rewards, discipline; items 34–35 of the
// curriculum vitae) become rows of their tables, each effective on its
// own date: an evaluation on 31 December of its year, a reward on its
// decision's date (the year's end without one), a discipline from its
// start; bad cells are reported at their columns.
func TestEvaluationsRewardsDiscipline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := sheets{}
	pid := s.person(11)
	s["evaluations"] = []map[string]string{
		{"personal_id_number": pid, "year": "2024", "rating": "Hoàn thành tốt nhiệm vụ", "emulation_title": "Lao động tiên tiến"},
		{"personal_id_number": pid, "year": "2025", "rating": "hoàn thành xuất sắc nhiệm vụ"},
	}
	s["rewards"] = []map[string]string{
		{"personal_id_number": pid, "year": "2024", "form": "Giấy khen", "decision_number": "77/QĐ-SNV", "decision_date": "20/12/2024", "decision_issuer": "Sở Nội vụ tỉnh Phú Thọ"},
		{"personal_id_number": pid, "year": "2023", "form": "Bằng khen"},
	}
	s["discipline"] = []map[string]string{
		{"personal_id_number": pid, "kind": "Chính quyền", "from": "05/03/2022", "to": "04/03/2023", "form": "Khiển trách", "act": "Đi muộn nhiều lần"},
	}
	src := s.write(t)
	res, err := f.im.Run(ctx, src, f.options())
	if err != nil || !res.Written || res.Created != 1 || len(res.Report.Problems) > 0 {
		t.Fatalf("Run: %+v, %v", res, err)
	}
	evs, err := f.ledger.Store.ReadStream(ctx, imports.DossierID(src.SHA256(), pid).StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	effective := map[string]string{} // imported_from's sheet and row → effective date
	for _, e := range evs {
		if i := strings.Index(e.Meta.ImportedFrom, "trang "); i >= 0 {
			effective[e.Meta.ImportedFrom[i:]] = e.Meta.EffectiveDate
		}
	}
	for at, want := range map[string]string{
		"trang evaluations, dòng 2": "2024-12-31", "trang evaluations, dòng 3": "2025-12-31",
		"trang rewards, dòng 2": "2024-12-20", "trang rewards, dòng 3": "2023-12-31",
		"trang discipline, dòng 2": "2022-03-05",
	} {
		if effective[at] != want {
			t.Errorf("%s: effective %q, want %q", at, effective[at], want)
		}
	}
	d, err := f.im.Dossiers.Get(ctx, imports.DossierID(src.SHA256(), pid))
	if err != nil {
		t.Fatal(err)
	}
	doc := d.Document()
	if len(doc.Evaluations) != 2 || doc.Evaluations[1].Rating != dossier.RatingExcellent || len(doc.Rewards) != 2 ||
		doc.Rewards[0].DecidingBody != "Sở Nội vụ tỉnh Phú Thọ" || len(doc.Discipline) != 1 || doc.Discipline[0].Kind != dossier.DisciplineAdministrative {
		t.Errorf("document: evaluations %+v, rewards %+v, discipline %+v", doc.Evaluations, doc.Rewards, doc.Discipline)
	}

	bad := sheets{}
	pid = bad.person(12)
	bad["evaluations"] = []map[string]string{{"personal_id_number": pid, "year": "2024", "rating": "Giỏi"}}
	bad["rewards"] = []map[string]string{{"personal_id_number": pid, "year": "hai nghìn", "form": "Giấy khen"}}
	bad["discipline"] = []map[string]string{{"personal_id_number": pid, "kind": "Đảng", "form": "Cảnh cáo"}}
	rep, err := f.im.Check(ctx, bad.write(t), f.options())
	if err != nil {
		t.Fatal(err)
	}
	type at struct{ sheet, column, code string }
	var got []at
	for _, p := range rep.Problems {
		got = append(got, at{p.Sheet, p.Column, p.Code})
	}
	for _, w := range []at{{"evaluations", "rating", "enum"}, {"rewards", "year", "format"}, {"discipline", "from", "required"}} {
		if !slices.Contains(got, w) {
			t.Errorf("problem %+v not reported; got %+v", w, got)
		}
	}
}
