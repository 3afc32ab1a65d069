package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
)

// TestDossierBadInput sends every kind of bad request to the dossier
// routes: each gets the right problem+json naming the field, and the
// ledger's event count does not move.
func TestDossierBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Lê Thị Hoa", "001085054321")
	path := "/api/v1/dossiers/" + id
	identity := `"identity":{"birth_name":"Lê Thị Hoa","gender":"male","date_of_birth":"1985-04-12"`
	create := func(extra string) string {
		return `{"class":"cong_chuc","managing_org":"` + w.orgA.String() + `","employing_unit":"` + w.orgA.String() +
			`","personal_id_number":"001085099999",` + extra + `,"source_document":{"kind":"decision","number":"1/QĐ","date":"2025-01-02","issuer":"UBND"}}`
	}
	tests := []struct {
		name        string
		method      string
		path        string
		ifMatch     string
		contentType string
		body        string
		token       string
		wantStatus  int
		wantCode    string
		wantField   string
		wantRule    string
	}{
		{"malformed JSON", "PATCH", path, `"1"`, "", `{"patch":`, "", 400, "malformed_json", "", ""},
		{"two JSON values", "PATCH", path, `"1"`, "", `{} {}`, "", 400, "malformed_json", "", ""},
		{"unknown field", "PATCH", path, `"1"`, "", `{"patch":{"other":{"notes":"x"}},"nonsense":1}`, "", 422, "validation_failed", "/nonsense", "unknown_field"},
		{"unknown nested field", "PATCH", path, `"1"`, "", `{"patch":{"other":{"nots":"x"}}}`, "", 422, "validation_failed", "/patch/other/nots", "unknown_field"},
		{"wrong type", "PATCH", path, `"1"`, "", `{"patch":{"health":{"height_cm":"tall"}}}`, "", 422, "validation_failed", "/patch/health/height_cm", "type"},
		{"impossible date", "PATCH", path, `"1"`, "", `{"patch":{` + identity + `}},"effective_date":"2025-02-30"}`, "", 422, "validation_failed", "/effective_date", "invalid"},
		{"Vietnamese date in JSON", "PATCH", path, `"1"`, "", `{"patch":{"identity":{"birth_name":"Lê Thị Hoa","gender":"male","date_of_birth":"12/04/1985"}}}`, "", 422, "validation_failed", "/patch/identity/date_of_birth", "invalid"},
		{"unknown catalogue code", "PATCH", path, `"1"`, "", `{"patch":{` + identity + `,"ethnicity":"99x"}}}`, "", 422, "validation_failed", "/patch/identity/ethnicity", "catalogue"},
		{"state-side change without its decision", "PATCH", path, `"1"`, "", `{"patch":{"position":{"current":"Trưởng phòng"}}}`, "", 422, "validation_failed", "/source_document", "required"},
		{"empty patch", "PATCH", path, `"1"`, "", `{"patch":{}}`, "", 422, "validation_failed", "/patch", "required"},
		{"no If-Match", "PATCH", path, "", "", `{"patch":{"other":{"notes":"x"}}}`, "", 428, "if_match_required", "header:If-Match", "required"},
		{"weak If-Match", "PATCH", path, `W/"1"`, "", `{"patch":{"other":{"notes":"x"}}}`, "", 400, "bad_parameter", "header:If-Match", ""},
		{"If-Match *", "PATCH", path, `*`, "", `{"patch":{"other":{"notes":"x"}}}`, "", 400, "bad_parameter", "header:If-Match", ""},
		{"stale If-Match", "PATCH", path, `"7"`, "", `{"patch":{"other":{"notes":"x"}}}`, "", 412, "version_mismatch", "header:If-Match", "stale"},
		{"not JSON", "PATCH", path, `"1"`, "text/plain", `patch=1`, "", 415, "unsupported_media_type", "", ""},
		{"oversize body", "PATCH", path, `"1"`, "", `{"patch":{"other":{"notes":"` + strings.Repeat("a", 2<<20) + `"}}}`, "", 413, "body_too_large", "", ""},
		{"correction without reason or document", "POST", path + "/corrections", `"1"`, "", `{"corrects":"` + id + `","patch":{"other":{"notes":"x"}}}`, "", 422, "validation_failed", "/reason", "required"},
		{"correction of an unknown event", "POST", path + "/corrections", `"1"`, "", `{"corrects":"01a23491-d41a-71eb-8d6b-5fe09bc4bf9e","patch":{"other":{"notes":"x"}},"reason":"r","source_document":{"kind":"decision","number":"1","date":"2025-01-02","issuer":"UBND"}}`, "", 422, "validation_failed", "/corrects", "unknown_event"},
		{"unknown status", "POST", path + "/status", `"1"`, "", `{"status":"fired"}`, "", 422, "validation_failed", "/status", "invalid"},
		{"reactivation as a status", "POST", path + "/status", `"1"`, "", `{"status":"active","source_document":{"kind":"decision","number":"1","date":"2025-01-02","issuer":"UBND"}}`, "", 422, "validation_failed", "/status", "enum"},
		{"row of no table", "POST", path + "/rows", `"1"`, "", `{"row":{"table":"pets","family":{"side":"own","relation":"Con","name":"A"}}}`, "", 422, "validation_failed", "", ""},
		{"transfer to an unknown org", "POST", path + "/transfers", `"1"`, "", `{"kind":"between_orgs","target_org":"01a23491-d41a-71eb-8d6b-5fe09bc4bf9e","source_document":{"kind":"decision","number":"1","date":"2025-01-02","issuer":"UBND"}}`, "", 422, "validation_failed", "/target_org", "unknown"},
		{"bad path id", "GET", "/api/v1/dossiers/not-a-uuid", "", "", "", "", 400, "bad_parameter", "path:id", "format"},
		{"bad as_of", "GET", path + "?as_of=2025-13-01", "", "", "", "", 400, "bad_parameter", "query:as_of", "format"},
		{"bad effective_on", "GET", path + "?effective_on=01/05/2025", "", "", "", "", 400, "bad_parameter", "query:effective_on", "format"},
		{"page too large", "GET", "/api/v1/dossiers?limit=5000", "", "", "", "", 400, "bad_parameter", "query:limit", "range"},
		{"bad cursor", "GET", "/api/v1/dossiers?cursor=zzz", "", "", "", "", 400, "bad_parameter", "query:cursor", ""},
		{"bad status filter", "GET", "/api/v1/dossiers?status=fired", "", "", "", "", 400, "bad_parameter", "query:status", "enum"},
		// The four compliance routes take only their own parameters; the
		// view= switch they replace is gone.
		{"the one compliance route is gone", "GET", "/api/v1/compliance?view=items", "", "", "", "", 404, "not_found", "", ""},
		{"compliance view= is gone", "GET", "/api/v1/compliance/items?view=summary", "", "", "", "", 400, "bad_parameter", "query:view", "unknown"},
		{"compliance overdue takes no cursor", "GET", "/api/v1/compliance/overdue?cursor=x", "", "", "", "", 400, "bad_parameter", "query:cursor", "unknown"},
		{"compliance summary takes no late_only", "GET", "/api/v1/compliance/summary?late_only=true", "", "", "", "", 400, "bad_parameter", "query:late_only", "unknown"},
		{"compliance items: to before from", "GET", "/api/v1/compliance/items?from=2025-02-01&to=2025-01-01", "", "", "", "", 400, "bad_parameter", "query:to", "range"},
		{"bad flagged_only", "GET", "/api/v1/compliance/approvals?flagged_only=maybe", "", "", "", "", 400, "bad_parameter", "query:flagged_only", ""},
		{"org outside scope", "GET", "/api/v1/dossiers?org=" + w.orgB.String(), "", "", "", "", 403, "forbidden", "query:org", "scope"},
		// Hostile query strings (issue 12): each is refused before any
		// handler runs, naming the parameter.
		{"q: a 1000-letter word", "GET", "/api/v1/dossiers?q=" + strings.Repeat("a", 1000), "", "", "", "", 400, "bad_parameter", "query:q", "length"},
		{"q: longer than any name", "GET", "/api/v1/dossiers?q=" + strings.Repeat("anh+", 51), "", "", "", "", 400, "bad_parameter", "query:q", "length"},
		{"q: more words than any name", "GET", "/api/v1/dossiers?q=" + strings.Repeat("an+", 11), "", "", "", "", 400, "bad_parameter", "query:q", "word_count"},
		{"q: a word longer than any name's", "GET", "/api/v1/dossiers?q=nguyen+" + strings.Repeat("a", 41), "", "", "", "", 400, "bad_parameter", "query:q", "word_length"},
		{"q: archive, a 1000-letter word", "GET", "/api/v1/archive?q=" + strings.Repeat("a", 1000), "", "", "", "", 400, "bad_parameter", "query:q", "length"},
		{"q: NUL", "GET", "/api/v1/dossiers?q=a%00b", "", "", "", "", 400, "bad_parameter", "query:q", "control"},
		{"q: new line", "GET", "/api/v1/dossiers?q=an%0Ab", "", "", "", "", 400, "bad_parameter", "query:q", "control"},
		{"q: invalid UTF-8", "GET", "/api/v1/dossiers?q=%FF%FEan", "", "", "", "", 400, "bad_parameter", "query:q", "encoding"},
		{"q: malformed escape", "GET", "/api/v1/dossiers?q=%zzan", "", "", "", "", 400, "bad_parameter", "query:q", "encoding"},
		{"q: semicolon separator", "GET", "/api/v1/dossiers?q=an;status=active", "", "", "", "", 400, "bad_parameter", "query:q", "encoding"},
		{"rank: NUL", "GET", "/api/v1/dossiers?rank=%00", "", "", "", "", 400, "bad_parameter", "query:rank", "control"},
		{"rank: C1 control", "GET", "/api/v1/dossiers?rank=01.003%C2%9B", "", "", "", "", 400, "bad_parameter", "query:rank", "control"},
		{"civil_servant_number: NUL", "GET", "/api/v1/dossiers?civil_servant_number=12%00", "", "", "", "", 400, "bad_parameter", "query:civil_servant_number", "control"},
		{"ethnicity: NUL", "GET", "/api/v1/dossiers?ethnicity=01%00", "", "", "", "", 400, "bad_parameter", "query:ethnicity", "control"},
		{"language: NUL", "GET", "/api/v1/dossiers?language=%00en", "", "", "", "", 400, "bad_parameter", "query:language", "control"},
		{"audit type: NUL", "GET", "/api/v1/audit?type=%00", "", "", "", "", 400, "bad_parameter", "query:type", "control"},
		{"read log outcome: invalid UTF-8", "GET", "/api/v1/audit/reads?outcome=%C0%AF", "", "", "", "", 400, "bad_parameter", "query:outcome", "encoding"},
		{"unknown parameter", "GET", "/api/v1/dossiers?nme=an", "", "", "", "", 400, "bad_parameter", "query:nme", "unknown"},
		{"parameter of another route", "GET", path + "?q=an", "", "", "", "", 400, "bad_parameter", "query:q", "unknown"},
		{"filter the archive does not apply", "GET", "/api/v1/archive?ethnicity=01", "", "", "", "", 400, "bad_parameter", "query:ethnicity", "unknown"},
		{"query on a write", "PATCH", path + "?dry_run=1", `"1"`, "", `{"patch":{"other":{"notes":"x"}}}`, "", 400, "bad_parameter", "query:dry_run", "unknown"},
		{"repeated personal_id_number", "GET", "/api/v1/dossiers?personal_id_number=&personal_id_number=001085054321", "", "", "", "", 400, "bad_parameter", "query:personal_id_number", "repeated"},
		{"repeated party_member", "GET", "/api/v1/dossiers?party_member=false&party_member=true", "", "", "", "", 400, "bad_parameter", "query:party_member", "repeated"},
		{"repeated org status", "GET", "/api/v1/orgs?status=active&status=all", "", "", "", "", 400, "bad_parameter", "query:status", "repeated"},
		{"probe with a query", "GET", "/healthz?nocache=1", "", "", "", "", 400, "bad_parameter", "query:nocache", "unknown"},
		{"repeated proof size", "GET", "/api/v1/proofs/consistency?from=1&from=2&to=3", "", "", "", "", 400, "bad_parameter", "query:from", "repeated"},
		{"create: unknown class", "POST", "/api/v1/dossiers", "", "", strings.Replace(create(identity+`}`), "cong_chuc", "thuong_dan", 1), "", 422, "validation_failed", "/class", "invalid"},
		{"create: unknown ethnicity", "POST", "/api/v1/dossiers", "", "", create(identity + `,"ethnicity":"99x"}`), "", 422, "validation_failed", "/identity/ethnicity", "catalogue"},
		{"create: number disagrees with birth year", "POST", "/api/v1/dossiers", "", "", strings.Replace(create(identity+`}`), "001085099999", "001090099999", 1), "", 422, "validation_failed", "/personal_id_number", "mismatch"},
		{"create: in another org", "POST", "/api/v1/dossiers", "", "", strings.ReplaceAll(create(identity+`}`), w.orgA.String(), w.orgB.String()), "", 403, "forbidden", "/managing_org", "scope"},
		{"create: wrong type", "POST", "/api/v1/dossiers", "", "", create(`"identity":{"birth_name":42}`), "", 422, "validation_failed", "/identity/birth_name", "type"},
		{"another org's HR writes", "PATCH", path, `"1"`, "", `{"patch":{"other":{"notes":"x"}}}`, w.hrB, 404, "not_found", "", ""},
		{"inspector writes", "PATCH", path, `"1"`, "", `{"patch":{"other":{"notes":"x"}}}`, w.inspector, 403, "forbidden", "", ""},
		{"inspector creates", "POST", "/api/v1/dossiers", "", "", create(identity + `}`), w.inspector, 403, "forbidden", "/managing_org", "scope"},
		{"no token", "GET", path, "", "", "", "-", 401, "unauthenticated", "", ""},
	}
	before := eventCount(t, env)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := w.hrA
			switch tt.token {
			case "-":
				token = ""
			case "":
			default:
				token = tt.token
			}
			var headers []string
			if tt.ifMatch != "" {
				headers = append(headers, "If-Match", tt.ifMatch)
			}
			if tt.contentType != "" {
				headers = append(headers, "Content-Type", tt.contentType)
			}
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := env.Do(tt.method, tt.path, token, body, headers...)
			if r.Status != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.wantStatus)
			}
			p := r.Problem()
			if p.Code != tt.wantCode {
				t.Errorf("code = %q, want %q (%s)", p.Code, tt.wantCode, r.Body)
			}
			if tt.wantField == "" {
				return
			}
			for _, e := range p.Errors {
				if e.Field == tt.wantField && (tt.wantRule == "" || e.Rule == tt.wantRule) {
					return
				}
			}
			t.Errorf("errors = %+v, want field %s rule %q", p.Errors, tt.wantField, tt.wantRule)
		})
	}
	if after := eventCount(t, env); after != before {
		t.Errorf("bad requests appended %d events", after-before)
	}
	// The dossier is still at version 1, and readable.
	if r := get(t, env, path, w.hrA, http.StatusOK, nil); r.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag after the refused writes = %s", r.Header.Get("ETag"))
	}
	// The same service (one start-up less) serves the next stories.
	t.Run("stale If-Match, attachments, proposals", func(t *testing.T) { staleAttachmentsProposals(t, w) })
	t.Run("transfers rejected and cancelled", func(t *testing.T) { rejectedAndCancelled(t, w) })
	t.Run("transfer out of the province", func(t *testing.T) { outOfProvince(t, w) })
}

// outOfProvince: the sending org records the hand-over; management is
// revoked and the dossier archived. TG 10.4: the org that lost it then loses
// read access too ("hủy quyền truy cập"; this test asserted the opposite
// before issue 14); the province's archive keeps it (TG 10.5), so an
// inspector whose scope is the whole province still reads it, its history
// (written by the old org) included, and finds it in the archive.
func outOfProvince(t *testing.T, w *world) {
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Đặng Quốc Bảo", "001085033333")
	path := "/api/v1/dossiers/" + id
	r := write(t, env, http.MethodPost, path+"/transfers", w.hrA, `"1"`, map[string]any{
		"kind": "out_of_province", "source_document": decision("15/QĐ-UBND"),
	}, http.StatusCreated)
	var tr struct {
		ID string `json:"id"`
	}
	r.JSON(&tr)
	write(t, env, http.MethodPost, "/api/v1/transfers/"+tr.ID+"/receive", w.hrA, `"2"`, map[string]any{"source_document": decision("16/QĐ-UBND")}, http.StatusOK)
	var v dossierView
	get(t, env, path+"?purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, &v)
	if !v.Archived || !v.ManagementRevoked || v.ManagingOrg != nil || v.Status != "transferred_out" {
		t.Errorf("after the hand-over: %+v", v)
	}
	// TG 10.4: the old org neither reads nor changes it (404: its existence
	// is not the old org's business any more), nor does anyone else's HR.
	get(t, env, path, w.hrA, http.StatusNotFound, nil)
	get(t, env, path+"/history", w.hrA, http.StatusNotFound, nil)
	write(t, env, http.MethodPatch, path, w.hrA, `"3"`, map[string]any{"patch": map[string]any{"other": map[string]any{"notes": "x"}}}, http.StatusNotFound)
	get(t, env, path, w.hrB, http.StatusNotFound, nil)
	caughtUp(t, env)
	var hist struct {
		Items []historyEntry `json:"items"`
	}
	get(t, env, path+"/history?purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, &hist)
	if len(hist.Items) < 2 || hist.Items[0].Actor.ActingOrg != w.orgA.String() {
		t.Errorf("the province inspector's history of the handed-over dossier = %+v", hist.Items)
	}
	var page listPage
	get(t, env, "/api/v1/archive?q=dang+quoc", w.hrA, http.StatusOK, &page)
	if page.has(id) {
		t.Errorf("TG 10.4: the archive of the org that handed it over lists it: %+v", page)
	}
	get(t, env, "/api/v1/dossiers?archive=all&q=dang+quoc", w.hrA, http.StatusOK, &page)
	if page.has(id) {
		t.Errorf("TG 10.4: the old org's search finds it: %+v", page)
	}
	get(t, env, "/api/v1/archive?q=dang+quoc&purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, &page)
	if !page.has(id) {
		t.Errorf("TG 10.5: the province's archive = %+v", page)
	}
}

// rejectedAndCancelled: the receiving org rejects a transfer (with its
// reason), the sending org cancels another; nobody else may.
func rejectedAndCancelled(t *testing.T, w *world) {
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Võ Thị Lan", "001085022222")
	path := "/api/v1/dossiers/" + id
	var tr struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	r := write(t, env, http.MethodPost, path+"/transfers", w.hrA, `"1"`, map[string]any{
		"kind": "between_orgs", "target_org": w.orgB, "source_document": decision("5/QĐ-UBND"),
	}, http.StatusCreated)
	r.JSON(&tr)
	tpath := "/api/v1/transfers/" + tr.ID
	write(t, env, http.MethodPost, tpath+"/receive", w.hrA, `"2"`, map[string]any{"source_document": decision("6/QĐ")}, http.StatusForbidden)
	write(t, env, http.MethodPost, tpath+"/receive", w.inspector, `"2"`, map[string]any{"source_document": decision("6/QĐ")}, http.StatusForbidden)
	write(t, env, http.MethodPost, tpath+"/cancel", w.hrB, `"2"`, map[string]any{"reason": "không"}, http.StatusForbidden)
	r = write(t, env, http.MethodPost, tpath+"/reject", w.hrB, `"2"`, map[string]any{}, http.StatusUnprocessableEntity)
	if p := r.Problem(); len(p.Errors) == 0 || p.Errors[0].Field != "/reason" {
		t.Errorf("reject without reason: %+v", p)
	}
	r = write(t, env, http.MethodPost, tpath+"/reject", w.hrB, `"2"`, map[string]any{"reason": "Không còn chỉ tiêu biên chế"}, http.StatusOK)
	r.JSON(&tr)
	if tr.State != "rejected" || r.Header.Get("ETag") != `"3"` {
		t.Errorf("after reject: %+v, ETag %s", tr, r.Header.Get("ETag"))
	}
	write(t, env, http.MethodPost, tpath+"/receive", w.hrB, `"3"`, map[string]any{"source_document": decision("6/QĐ")}, http.StatusConflict)

	r = write(t, env, http.MethodPost, path+"/transfers", w.hrA, `"3"`, map[string]any{
		"kind": "between_orgs", "target_org": w.orgB, "source_document": decision("7/QĐ-UBND"),
	}, http.StatusCreated)
	r.JSON(&tr)
	r = write(t, env, http.MethodPost, "/api/v1/transfers/"+tr.ID+"/cancel", w.hrA, `"4"`, map[string]any{"reason": "Quyết định bị thu hồi"}, http.StatusOK)
	r.JSON(&tr)
	if tr.State != "cancelled" {
		t.Errorf("after cancel: %+v", tr)
	}
	// Rows are added, then amended by id; the civil-servant number is issued once.
	r = write(t, env, http.MethodPost, path+"/rows", w.hrA, `"5"`, map[string]any{
		"row": map[string]any{"table": "work_history", "work_history": map[string]any{"from": "2008-09", "to": "2015-12", "org": "Bệnh viện tỉnh", "title": "Chuyên viên"}},
	}, http.StatusCreated)
	var rows struct {
		Document struct {
			WorkHistory []struct {
				ID  string `json:"id"`
				Org string `json:"org"`
			} `json:"work_history"`
		} `json:"document"`
	}
	r.JSON(&rows)
	if len(rows.Document.WorkHistory) != 1 || rows.Document.WorkHistory[0].ID == "" {
		t.Fatalf("work history = %+v", rows.Document.WorkHistory)
	}
	rowPath := path + "/rows/" + rows.Document.WorkHistory[0].ID
	amended := map[string]any{"row": map[string]any{"table": "work_history", "work_history": map[string]any{"from": "2008-09", "to": "2015-12", "org": "Bệnh viện Đa khoa tỉnh"}}}
	r = write(t, env, http.MethodPut, rowPath, w.hrA, `"6"`, amended, http.StatusOK)
	r.JSON(&rows)
	if rows.Document.WorkHistory[0].Org != "Bệnh viện Đa khoa tỉnh" {
		t.Errorf("after amend: %+v", rows.Document.WorkHistory)
	}
	write(t, env, http.MethodPut, path+"/rows/01a23491-d41a-71eb-8d6b-5fe09bc4bf9e", w.hrA, `"7"`, amended, http.StatusNotFound)
	csn := map[string]any{"number": "SYT-2025-0001", "source_document": decision("9/QĐ-SNV")}
	write(t, env, http.MethodPost, path+"/civil-servant-number", w.hrA, `"7"`, csn, http.StatusOK)
	write(t, env, http.MethodPost, path+"/civil-servant-number", w.hrA, `"8"`, csn, http.StatusConflict)

	// Outsiders learn nothing about a transfer.
	outsider := env.Org("Sở Tài chính", "000.00.04.T01", env.Root)
	env.Account("tccb.sotaichinh", "SoTaiChinh@Test2026", "org", "hr_officer", outsider)
	tok := env.Login("tccb.sotaichinh", "SoTaiChinh@Test2026")
	get(t, env, "/api/v1/transfers/"+tr.ID, tok, http.StatusNotFound, nil)
	get(t, env, "/api/v1/transfers/01a23491-d41a-71eb-8d6b-5fe09bc4bf9e", w.hrA, http.StatusNotFound, nil)
}

// staleAttachmentsProposals: two officers read version 1; the first write
// wins, the second gets 412 and writes nothing. Then a scan is attached
// and downloaded, and the person proposes a change that HR accepts.
func staleAttachmentsProposals(t *testing.T, w *world) {
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Phạm Minh Đức", "001085011111")
	path := "/api/v1/dossiers/" + id
	write(t, env, http.MethodPatch, path, w.hrA, `"1"`, map[string]any{"patch": map[string]any{"other": map[string]any{"notes": "first"}}}, http.StatusOK)
	before := eventCount(t, env)
	r := write(t, env, http.MethodPatch, path, w.hrA, `"1"`, map[string]any{"patch": map[string]any{"other": map[string]any{"notes": "second"}}}, http.StatusPreconditionFailed)
	if p := r.Problem(); p.Code != "version_mismatch" {
		t.Errorf("problem = %+v", p)
	}
	if eventCount(t, env) != before {
		t.Error("a stale write appended events")
	}
	var v struct {
		Document struct {
			Other struct {
				Notes string `json:"notes"`
			} `json:"other"`
		} `json:"document"`
	}
	get(t, env, path, w.hrA, http.StatusOK, &v)
	if v.Document.Other.Notes != "first" {
		t.Errorf("notes = %q, want the first write's", v.Document.Other.Notes)
	}

	// Attachments: upload a scan, download it; another org cannot.
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, val := range map[string]string{"title": "Quyết định tuyển dụng", "document_kind": "decision", "document_number": "12/QĐ-SYT",
		"document_date": "2025-01-02", "document_issuer": "Sở Y tế"} {
		_ = mw.WriteField(k, val)
	}
	fw, _ := mw.CreateFormFile("file", "scan.png")
	_, _ = fw.Write(png)
	_ = mw.Close()
	r = env.Do(http.MethodPost, path+"/attachments", w.hrA, buf.Bytes(), "Content-Type", mw.FormDataContentType(), "If-Match", `"2"`)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload = %d %s", r.Status, r.Body)
	}
	var up struct {
		SHA256 string `json:"sha256"`
		URL    string `json:"url"`
	}
	r.JSON(&up)
	sum := sha256.Sum256(png)
	if up.SHA256 != hex.EncodeToString(sum[:]) || r.Header.Get("ETag") != `"3"` {
		t.Fatalf("upload answered %s, ETag %s", r.Body, r.Header.Get("ETag"))
	}
	r = get(t, env, up.URL, w.hrA, http.StatusOK, nil)
	if !bytes.Equal(r.Body, png) || r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("download = %q (%s)", r.Body, r.Header.Get("Content-Type"))
	}
	get(t, env, up.URL, w.hrB, http.StatusNotFound, nil)
	get(t, env, "/api/v1/attachments/"+strings.Repeat("ab", 32), w.hrA, http.StatusNotFound, nil)

	// The person proposes a change to their own dossier; HR accepts it.
	env.SelfAccount("canhan.duc", "CaNhan@Test2026", w.orgA, domainDossierID(t, id))
	self := env.Login("canhan.duc", "CaNhan@Test2026")
	var own struct {
		Document struct {
			Identity struct {
				Ethnicity string `json:"ethnicity"`
			} `json:"identity"`
		} `json:"document"`
	}
	r = get(t, env, path, self, http.StatusOK, &own)
	if own.Document.Identity.Ethnicity != "01" {
		t.Errorf("the person does not see their own sensitive fields: %s", r.Body)
	}
	write(t, env, http.MethodPatch, path, self, r.Header.Get("ETag"), map[string]any{"patch": map[string]any{"other": map[string]any{"notes": "x"}}}, http.StatusForbidden)
	r = write(t, env, http.MethodPost, path+"/proposals", self, r.Header.Get("ETag"), map[string]any{
		"kind": "change", "patch": map[string]any{"health": map[string]any{"height_cm": 170, "weight_kg": 65}},
	}, http.StatusCreated)
	var withProposal dossierView
	r.JSON(&withProposal)
	if len(withProposal.Proposals) != 1 || withProposal.Proposals[0].State != "pending" {
		t.Fatalf("proposals = %+v", withProposal.Proposals)
	}
	write(t, env, http.MethodPost, path+"/proposals", w.hrA, r.Header.Get("ETag"), map[string]any{"kind": "change", "patch": map[string]any{"other": map[string]any{"notes": "y"}}}, http.StatusForbidden)
	r = write(t, env, http.MethodPost, path+"/proposals/"+withProposal.Proposals[0].ID+"/accept", w.hrA, r.Header.Get("ETag"), map[string]any{}, http.StatusOK)
	r.JSON(&withProposal)
	if withProposal.Proposals[0].State != "accepted" {
		t.Errorf("after accept: %+v", withProposal.Proposals)
	}
	// The person lists only their own dossier.
	caughtUp(t, env)
	var page listPage
	get(t, env, "/api/v1/dossiers", self, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != id {
		t.Errorf("the person lists %+v", page.Items)
	}
}

func domainDossierID(t *testing.T, s string) domain.DossierID {
	t.Helper()
	id, err := domain.ParseDossierID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// eventCount counts the ledger's rows. Env.EventCount reads the store's
// stable prefix, which a transaction of a parallel test can hold back, so
// it may miss the last events written here and count them later.
func eventCount(t *testing.T, env *apitest.Env) int {
	t.Helper()
	var n int
	if err := env.Svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
