package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// rowsOf reads the rows of one table of a dossier through the API.
func rowsOf(t *testing.T, e *apitest.Env, token, id, table string) ([]map[string]any, string) {
	t.Helper()
	r := e.Do(http.MethodGet, "/api/v1/dossiers/"+id, token, nil)
	var raw struct {
		Document map[string]any `json:"document"`
	}
	r.JSON(&raw)
	var rows []map[string]any
	if list, ok := raw.Document[table].([]any); ok {
		for _, x := range list {
			rows = append(rows, x.(map[string]any))
		}
	}
	return rows, r.Header.Get("ETag")
}

// The dossier's repeated sections in the browser: a row added with its
// decision, edited while another writer changes it (both changes kept,
// nothing lost), a stale add refused with nothing written, bad input
// named, a row corrected with its reason; another org sees no form.
func TestPagesRows(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	org := e.Org("Sở Tư pháp", "000.00.09.T01", e.Root)
	e.Account("tccb.tuphap", "TuPhap@Test2026!", account.KindOrg, account.RoleHROfficer, org)
	other := e.Org("Sở Y tế", "000.00.10.T01", e.Root)
	e.Account("tccb.yte", "YTe@Test2026!", account.KindOrg, account.RoleHROfficer, other)
	id := e.Dossier(org, "Trần Thị Bình").String()
	e.WaitCaughtUp()
	tok := e.Login("tccb.tuphap", "TuPhap@Test2026!")
	hr := newClient(t, e.URL)
	hr.login("tccb.tuphap", "TuPhap@Test2026!")

	dp := hr.get("/dossiers/" + id)
	if !strings.Contains(dp.Body, `href="/dossiers/`+id+`/tables/training/rows"`) || !strings.Contains(dp.Body, `href="/dossiers/`+id+`/tables/family/rows"`) {
		t.Fatalf("the dossier page has no add links for its tables:\n%s", dp.Body)
	}
	form := hr.get("/dossiers/" + id + "/tables/training/rows")
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `<select id="f-kind" name="f.kind">`) || !strings.Contains(form.Body, `type="month"`) {
		t.Fatalf("the add form: %d\n%s", form.Status, form.Body)
	}
	original := regexp.MustCompile(`name="original" value="([^"]*)"`)
	rowForm := func(p page, kv ...string) url.Values {
		v := adminForm("version", version(t, p), "original", htmlUnescape(original.FindStringSubmatch(p.Body)[1]), "full_name", "Trần Thị Bình")
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	add := rowForm(form, "f.kind", "professional_degree", "f.from", "2015-09", "f.to", "2019-06",
		"f.institution", "Đại học Luật Hà Nội", "f.major", "Luật hành chính", "f.qualification", "bachelor")

	// Refused first: a month that is none (named by the API), and a stale
	// version; nothing is written.
	bad := rowForm(form, "f.kind", "professional_degree", "f.from", "tháng chín", "f.institution", "X")
	if p := hr.post("/dossiers/"+id+"/tables/training/rows", bad); p.Status != http.StatusUnprocessableEntity && p.Status != http.StatusBadRequest ||
		!strings.Contains(p.Body, `id="e-from"`) {
		t.Errorf("a bad month: %d\n%s", p.Status, p.Body)
	}
	stale := rowForm(form)
	for k, v := range add {
		stale[k] = v
	}
	stale.Set("version", "1")
	e.Do(http.MethodPost, "/api/v1/dossiers/"+id+"/rows", tok, map[string]any{"row": map[string]any{"table": "family",
		"family": map[string]any{"side": "own", "relation": "Mẹ", "name": "Lê Thị Cúc", "birth_year": 1960}},
		"source_document": map[string]any{"kind": "form", "number": "1/TK", "date": "2026-11-30", "issuer": "Sở Tư pháp"}},
		"If-Match", `"1"`)
	if p := hr.post("/dossiers/"+id+"/tables/training/rows", stale); p.Status != http.StatusConflict || !strings.Contains(p.Body, "dòng của bạn chưa được ghi") {
		t.Errorf("a stale add: %d\n%s", p.Status, p.Body)
	}
	if rows, _ := rowsOf(t, e, tok, id, "training"); len(rows) != 0 {
		t.Fatalf("refused adds wrote %d rows", len(rows))
	}

	add.Set("version", version(t, hr.get("/dossiers/"+id+"/tables/training/rows")))
	if p := hr.post("/dossiers/"+id+"/tables/training/rows", add); p.Status != http.StatusSeeOther || p.Location != "/dossiers/"+id+"?saved=1#training" {
		t.Fatalf("add: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	rows, etag := rowsOf(t, e, tok, id, "training")
	if len(rows) != 1 || rows[0]["institution"] != "Đại học Luật Hà Nội" || rows[0]["from"] != "2015-09" {
		t.Fatalf("after the add: %v", rows)
	}
	rowID := rows[0]["id"].(string)
	dp = hr.get("/dossiers/" + id)
	if !strings.Contains(dp.Body, `href="/dossiers/`+id+`/tables/training/rows/`+rowID+`"`) {
		t.Fatalf("no edit link for the row:\n%s", dp.Body)
	}

	// Edit the major; meanwhile someone amends the institution.
	form = hr.get("/dossiers/" + id + "/tables/training/rows/" + rowID)
	theirs := map[string]any{}
	for k, v := range rows[0] {
		theirs[k] = v
	}
	theirs["institution"] = "Trường Đại học Luật Hà Nội"
	if r := e.Do(http.MethodPut, "/api/v1/dossiers/"+id+"/rows/"+rowID, tok, map[string]any{"row": map[string]any{"table": "training", "training": theirs},
		"source_document": map[string]any{"kind": "certificate", "number": "B-1234", "date": "2019-07-01", "issuer": "Trường Đại học Luật Hà Nội"}},
		"If-Match", etag); r.Status != http.StatusOK {
		t.Fatalf("the other writer: %d %s", r.Status, r.Body)
	}
	mine := rowForm(form, "f.kind", "professional_degree", "f.from", "2015-09", "f.to", "2019-06",
		"f.institution", "Đại học Luật Hà Nội", "f.major", "Luật Hiến pháp", "f.qualification", "bachelor")
	p := hr.post("/dossiers/"+id+"/tables/training/rows/"+rowID, mine)
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "Người khác đã thay đổi hồ sơ trong lúc bạn sửa dòng này") ||
		!strings.Contains(p.Body, `value="Trường Đại học Luật Hà Nội"`) || !strings.Contains(p.Body, `value="Luật Hiến pháp"`) ||
		!strings.Contains(p.Body, `class="changed">Trường Đại học Luật Hà Nội<`) {
		t.Fatalf("the conflict: %d\n%s", p.Status, p.Body)
	}
	if rows, _ := rowsOf(t, e, tok, id, "training"); rows[0]["major"] != "Luật hành chính" {
		t.Fatalf("the conflict wrote: %v", rows[0])
	}
	// Sent again from the merged form: both changes stand.
	again := rowForm(p, "f.kind", "professional_degree", "f.from", "2015-09", "f.to", "2019-06",
		"f.institution", "Trường Đại học Luật Hà Nội", "f.major", "Luật Hiến pháp", "f.qualification", "bachelor")
	if p := hr.post("/dossiers/"+id+"/tables/training/rows/"+rowID, again); p.Status != http.StatusSeeOther {
		t.Fatalf("send again: %d\n%s", p.Status, p.Body)
	}
	rows, _ = rowsOf(t, e, tok, id, "training")
	if rows[0]["major"] != "Luật Hiến pháp" || rows[0]["institution"] != "Trường Đại học Luật Hà Nội" {
		t.Errorf("a change was lost: %v", rows[0])
	}

	// A correction of the row as last written: the end was 2019-07.
	// The events are the audit trail's: once it has caught up.
	e.WaitCaughtUp()
	form = hr.get("/dossiers/" + id + "/tables/training/rows/" + rowID)
	ev := regexp.MustCompile(`<option value="([0-9a-f-]{36})" >`).FindAllStringSubmatch(form.Body, -1)
	if len(ev) < 2 {
		t.Fatalf("the correctable events of the row:\n%s", form.Body)
	}
	// Newest first: the latest event that wrote the row (a correction of an
	// older one would be overtaken by the later amendments on replay).
	latest := ev[0][1]
	corr := rowForm(form, "f.kind", "professional_degree", "f.from", "2015-09", "f.to", "2019-07",
		"f.institution", "Trường Đại học Luật Hà Nội", "f.major", "Luật Hiến pháp", "f.qualification", "bachelor", "corrects", latest)
	if p := hr.post("/dossiers/"+id+"/tables/training/rows/"+rowID, corr); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "/reason") {
		t.Errorf("a correction without its reason: %d\n%s", p.Status, p.Body)
	}
	corr.Set("reason", "ghi sai tháng tốt nghiệp")
	if p := hr.post("/dossiers/"+id+"/tables/training/rows/"+rowID, corr); p.Status != http.StatusSeeOther {
		t.Fatalf("the correction: %d\n%s", p.Status, p.Body)
	}
	rows, _ = rowsOf(t, e, tok, id, "training")
	e.WaitCaughtUp()
	h := e.Do(http.MethodGet, "/api/v1/dossiers/"+id+"/history", tok, nil)
	if rows[0]["to"] != "2019-07" || !strings.Contains(string(h.Body), `"dossier.corrected.v1"`) || !strings.Contains(string(h.Body), "ghi sai tháng tốt nghiệp") {
		t.Errorf("after the correction: %v\n%s", rows[0], h.Body)
	}

	// Another org's HR officer: no form, no write.
	o := newClient(t, e.URL)
	o.login("tccb.yte", "YTe@Test2026!")
	for _, path := range []string{"/dossiers/" + id + "/tables/training/rows", "/dossiers/" + id + "/tables/training/rows/" + rowID} {
		if p := o.get(path); p.Status != http.StatusNotFound {
			t.Errorf("another org opens %s: %d", path, p.Status)
		}
	}
	if p := o.post("/dossiers/"+id+"/tables/training/rows", add); p.Status != http.StatusNotFound && p.Status != http.StatusForbidden {
		t.Errorf("another org adds a row: %d", p.Status)
	}
	if p := hr.get("/dossiers/" + id + "/tables/salaries/rows"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown table: %d", p.Status)
	}
}

// No input of the administration and row forms crashes the server or
// writes: each hostile form is answered below 500 and the ledger keeps
// its length.
func TestPagesHostileForms(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	org := e.Org("Sở Tư pháp", "000.00.09.T01", e.Root)
	acct := e.Account("tccb.tuphap", "", account.KindOrg, account.RoleHROfficer, org).String()
	id := e.Dossier(org, "Trần Thị Bình").String()
	e.WaitCaughtUp()
	admin := newClient(t, e.URL)
	admin.login("quantri", "QuanTri@Test2026")
	// Counted in the table: the store's ReadAll stops at the stable mark,
	// which other tests' open transactions hold back.
	events := func() int {
		var n int
		if err := e.Svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := events()
	rowsPath := "/dossiers/" + id + "/tables/family/rows"
	orgPath := "/admin/orgs/" + org.String()
	acctPath := "/admin/accounts/" + acct
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"a broken original", rowsPath, adminForm("version", "2", "original", "{", "f.name", "X")},
		{"a null original", rowsPath, adminForm("version", "2", "original", "null")},
		{"a year out of range", rowsPath, adminForm("version", "2", "original", "{}", "f.side", "own", "f.relation", "Cha", "f.name", "Trần Văn A", "f.birth_year", "1e400")},
		{"an unknown side", rowsPath, adminForm("version", "2", "original", "{}", "f.side", "<script>", "f.relation", "Cha", "f.name", "A")},
		{"a control character", rowsPath, adminForm("version", "2", "original", "{}", "f.side", "own", "f.relation", "Cha\x00", "f.name", "A")},
		{"a version that is no number", rowsPath, adminForm("version", "hai", "original", "{}", "f.side", "own", "f.relation", "Cha", "f.name", "A")},
		{"a row id that is no UUID", rowsPath + "/khong-phai", adminForm("version", "2", "original", "{}", "index", "x", "f.name", "A")},
		{"a huge year of quota", orgPath + "/staffing-quotas", adminForm("version", "1", "year", "99999999999999999999", "count_cong_chuc", "-0")},
		{"a split into nothing", orgPath + "/split", adminForm("version", "1")},
		{"a merge into no org", orgPath + "/merge", adminForm("version", "1", "successor", "' OR 1=1 --")},
		{"an org that is no UUID", "/admin/orgs/%2e%2e/merge", adminForm("version", "1", "successor", org.String())},
		{"a grant that is no UUID", acctPath + "/grants/%2F%2F/extend", adminForm("version", "2", "valid_until", "31/12/2030")},
		{"a certificate fingerprint with a slash", acctPath + "/certificates/a%2Fb/revoke", adminForm("version", "2", "reason", "x")},
		{"an unknown item act", acctPath + "/grants/x/delete", adminForm("version", "2")},
		{"an unknown account act", acctPath + "/delete", adminForm("version", "2")},
		{"a reason of a megabyte", acctPath + "/restrict", adminForm("version", "2", "reason", strings.Repeat("lý do ", 200000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.post(tc.path, tc.form)
			if p.Status >= 500 || p.Status < 300 || p.Status == http.StatusSeeOther {
				t.Errorf("POST %s: %d, want a refusal below 500\n%.600s", tc.path, p.Status, p.Body)
			}
		})
	}
	if after := events(); after != before {
		t.Errorf("hostile forms appended %d events", after-before)
	}
}
