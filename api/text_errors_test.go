package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestHostileTextIsRefused is the error-case table of hostile text: every
// kind of text that must never be stored, in names, documents and reasons,
// and bodies whose keys are ambiguous, each answered 4xx problem+json
// naming the field — and for each, no event appended to the ledger.
func TestHostileTextIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Lê Thị Hoa", "001085054321")
	path := "/api/v1/dossiers/" + id
	// create builds a creation body around a raw JSON birth name (escapes
	// as JSON writes them) and an optional extra member.
	create := func(name, extra string) string {
		return `{"class":"cong_chuc","managing_org":"` + w.orgA.String() + `","employing_unit":"` + w.orgA.String() +
			`","personal_id_number":"001085099998","identity":{"birth_name":"` + name + `","gender":"male","date_of_birth":"1985-04-12"}` +
			`,"source_document":{"kind":"decision","number":"1/QĐ","date":"2025-01-02","issuer":"UBND"}` + extra + `}`
	}
	long := strings.Repeat("Ư", 10000)
	// request builds a transfer request by org A naming the dossier, with a
	// raw document number; reactivate a reactivation body with a raw
	// issuer member.
	request := func(ids, number string) string {
		return `{` + ids + `,"requesting_org":"` + w.orgA.String() + `","source_document":{"kind":"official_letter","number":"` + number + `","date":"2025-05-02","issuer":"UBND"}}`
	}
	// A retired person's dossier, so that a reactivation passes the state
	// check and reaches the text rules.
	retired, _ := w.createDossier(t, w.hrA, w.orgA, "Đỗ Văn Hưu", "001085054322")
	write(t, env, http.MethodPost, "/api/v1/dossiers/"+retired+"/status", w.hrA, `"1"`, map[string]any{
		"status": "retired", "effective_date": "2025-06-01", "source_document": decision("20/QĐ-SYT"),
	}, http.StatusOK)
	reactivate := func(issuer string) string {
		return `{"managing_org":"` + w.orgA.String() + `","personal_id_number":"001085054322","source_document":{"kind":"decision","number":"9/QĐ","date":"2025-05-02",` + issuer + `}}`
	}
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
		wantRule   string
	}{
		{"NUL in a name", "POST", "/api/v1/dossiers", create(`Lê\u0000Hoa`, ""), 422, "validation_failed", "/identity/birth_name", "control_character"},
		{"ANSI escape in a name", "POST", "/api/v1/dossiers", create(`\u001b[31mLê Hoa`, ""), 422, "validation_failed", "/identity/birth_name", "control_character"},
		{"BEL in a name", "POST", "/api/v1/dossiers", create(`Lê Hoa\u0007`, ""), 422, "validation_failed", "/identity/birth_name", "control_character"},
		{"C1 control in a name", "POST", "/api/v1/dossiers", create(`Lê\u0085Hoa`, ""), 422, "validation_failed", "/identity/birth_name", "control_character"},
		{"new line in a name", "POST", "/api/v1/dossiers", create(`Lê\nHoa`, ""), 422, "validation_failed", "/identity/birth_name", "control_character"},
		{"invalid UTF-8", "POST", "/api/v1/dossiers", create("Lê \xff Hoa", ""), 400, "malformed_json", "", ""},
		{"lone high surrogate", "POST", "/api/v1/dossiers", create(`Lê Hoa\ud800`, ""), 400, "malformed_json", "/identity/birth_name", "unpaired_surrogate"},
		{"lone low surrogate", "POST", "/api/v1/dossiers", create(`\udfffLê Hoa`, ""), 400, "malformed_json", "/identity/birth_name", "unpaired_surrogate"},
		{"U+FFFD in a name", "POST", "/api/v1/dossiers", create(`Lê \ufffd Hoa`, ""), 422, "validation_failed", "/identity/birth_name", "replacement_character"},
		{"right-to-left override in a name", "POST", "/api/v1/dossiers", create(`Lê \u202eaoH`, ""), 422, "validation_failed", "/identity/birth_name", "bidi_control"},
		{"bidi isolate in a name", "POST", "/api/v1/dossiers", create(`\u2067Lê Hoa\u2069`, ""), 422, "validation_failed", "/identity/birth_name", "bidi_control"},
		{"zero-width space in a name", "POST", "/api/v1/dossiers", create(`Lê\u200bHoa`, ""), 422, "validation_failed", "/identity/birth_name", "invisible_character"},
		{"zero-width joiner in a name", "POST", "/api/v1/dossiers", create(`Lê Ho\u200da`, ""), 422, "validation_failed", "/identity/birth_name", "invisible_character"},
		{"byte order mark in a name", "POST", "/api/v1/dossiers", create(`\ufeffLê Hoa`, ""), 422, "validation_failed", "/identity/birth_name", "invisible_character"},
		{"10,000-character name", "POST", "/api/v1/dossiers", create(long, ""), 422, "validation_failed", "/identity/birth_name", "too_long"},
		{"10,000-character document number", "POST", "/api/v1/dossiers", strings.Replace(create("Lê Hoa", ""), `"1/QĐ"`, `"`+long+`"`, 1), 422, "validation_failed", "/source_document/number", "too_long"},
		{"10,000-character issuer", "POST", "/api/v1/dossiers", strings.Replace(create("Lê Hoa", ""), `"UBND"`, `"`+long+`"`, 1), 422, "validation_failed", "/source_document/issuer", "too_long"},
		{"control character in an issuer", "POST", "/api/v1/dossiers", strings.Replace(create("Lê Hoa", ""), `"UBND"`, `"UB\u0000ND"`, 1), 422, "validation_failed", "/source_document/issuer", "control_character"},
		{"duplicate key", "POST", "/api/v1/dossiers", create("Lê Hoa", `,"class":"vien_chuc"`), 400, "malformed_json", "/class", "duplicate_key"},
		{"duplicate nested key", "POST", "/api/v1/dossiers", strings.Replace(create("Lê Hoa", ""), `"gender":"male"`, `"gender":"male","gender":"female"`, 1), 400, "malformed_json", "/identity/gender", "duplicate_key"},
		{"case-variant key", "POST", "/api/v1/dossiers", strings.Replace(create("Lê Hoa", ""), `"identity"`, `"Identity"`, 1), 400, "malformed_json", "/Identity", "key_case"},
		{"patch: duplicate key", "PATCH", path, `{"patch":{"other":{"notes":"a"}},"patch":{"other":{"notes":"b"}}}`, 400, "malformed_json", "/patch", "duplicate_key"},
		{"patch: case-variant key", "PATCH", path, `{"Patch":{"other":{"notes":"a"}}}`, 400, "malformed_json", "/Patch", "key_case"},
		{"patch: BEL in free text", "PATCH", path, `{"patch":{"other":{"notes":"a\u0007"}}}`, 422, "validation_failed", "/patch/other/notes", "control_character"},
		{"patch: 10,000 characters of free text", "PATCH", path, `{"patch":{"other":{"notes":"` + long + `"}}}`, 422, "validation_failed", "/patch/other/notes", "too_long"},
		{"correction: 10,000-character reason", "POST", path + "/corrections", `{"corrects":"` + id + `","patch":{"other":{"notes":"x"}},"reason":"` + long + `","source_document":{"kind":"decision","number":"1","date":"2025-01-02","issuer":"UBND"}}`, 422, "validation_failed", "/reason", "too_long"},
		{"correction: ANSI escape in the reason", "POST", path + "/corrections", `{"corrects":"` + id + `","patch":{"other":{"notes":"x"}},"reason":"\u001b[2Jxoá","source_document":{"kind":"decision","number":"1","date":"2025-01-02","issuer":"UBND"}}`, 422, "validation_failed", "/reason", "control_character"},
		{"correction: lone surrogate in the reason", "POST", path + "/corrections", `{"corrects":"` + id + `","patch":{"other":{"notes":"x"}},"reason":"sai\udc01","source_document":{"kind":"decision","number":"1","date":"2025-01-02","issuer":"UBND"}}`, 400, "malformed_json", "/reason", "unpaired_surrogate"},
		// The routes issue 13 and 14 added: a transfer request, a reactivation.
		{"transfer request: NUL in the document number", "POST", "/api/v1/transfer-requests", request(`"dossier_id":"`+id+`"`, `1\u0000/CV`), 422, "validation_failed", "/source_document/number", "control_character"},
		{"transfer request: 10,000-character document number", "POST", "/api/v1/transfer-requests", request(`"dossier_id":"`+id+`"`, long), 422, "validation_failed", "/source_document/number", "too_long"},
		{"transfer request: duplicate key", "POST", "/api/v1/transfer-requests", request(`"dossier_id":"`+id+`","dossier_id":"`+id+`"`, "1/CV"), 400, "malformed_json", "/dossier_id", "duplicate_key"},
		{"transfer request: invalid UTF-8", "POST", "/api/v1/transfer-requests", request(`"dossier_id":"`+id+`"`, "1/CV \xff"), 400, "malformed_json", "", ""},
		{"reactivation: ANSI escape in the issuer", "POST", "/api/v1/dossiers/" + retired + "/reactivate", reactivate(`"issuer":"\u001b[31mUBND"`), 422, "validation_failed", "/source_document/issuer", "control_character"},
		{"reactivation: 10,000-character issuer", "POST", "/api/v1/dossiers/" + retired + "/reactivate", reactivate(`"issuer":"` + long + `"`), 422, "validation_failed", "/source_document/issuer", "too_long"},
		{"reactivation: case-variant key", "POST", "/api/v1/dossiers/" + retired + "/reactivate", strings.Replace(reactivate(`"issuer":"UBND"`), `"managing_org"`, `"Managing_org"`, 1), 400, "malformed_json", "/Managing_org", "key_case"},
		// The labour-contract worker's form (TG 5.1b) keeps the text rule.
		{"labour contract: ANSI escape in the duties", "POST", "/api/v1/dossiers", create("Lê Hoa", `,"labour_contract":{"number":"1/HĐLĐ","signed_on":"2025-01-02","kind":"indefinite","from":"2025-01-02","duties":"\u001b[31mLái xe"}`), 422, "validation_failed", "/labour_contract/duties", "control_character"},
		{"labour contract: 10,000-character job title", "POST", "/api/v1/dossiers", create("Lê Hoa", `,"labour_contract":{"number":"1/HĐLĐ","signed_on":"2025-01-02","kind":"indefinite","from":"2025-01-02","duties":"Lái xe","job_title":"`+long+`"}`), 422, "validation_failed", "/labour_contract/job_title", "too_long"},
		{"labour contract: duplicate key", "POST", "/api/v1/dossiers", create("Lê Hoa", `,"labour_contract":{"number":"1/HĐLĐ","number":"2/HĐLĐ"}`), 400, "malformed_json", "/labour_contract/number", "duplicate_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, env)
			var headers []string
			switch {
			case strings.HasSuffix(tt.path, "/reactivate"):
				headers = append(headers, "If-Match", `"2"`) // after the retirement
			case tt.method != "POST" || strings.HasSuffix(tt.path, "/corrections"):
				headers = append(headers, "If-Match", `"1"`)
			}
			r := env.Do(tt.method, tt.path, w.hrA, tt.body, headers...)
			if after := eventCount(t, env); after != before {
				t.Errorf("%s appended %d events", tt.name, after-before)
			}
			if r.Status != tt.wantStatus {
				t.Fatalf("%s %s = %d %.300s, want %d", tt.method, tt.path, r.Status, r.Body, tt.wantStatus)
			}
			p := r.Problem()
			if p.Code != tt.wantCode {
				t.Errorf("code = %q, want %q (%.300s)", p.Code, tt.wantCode, r.Body)
			}
			if tt.wantField == "" {
				return
			}
			for _, e := range p.Errors {
				if e.Field == tt.wantField && e.Rule == tt.wantRule {
					return
				}
			}
			t.Errorf("errors = %+v, want field %s rule %s", p.Errors, tt.wantField, tt.wantRule)
		})
	}
	// Nothing was reserved by the refused creations: the person's dossier
	// is created by the corrected request (a NUL once locked them out).
	r := env.Do(http.MethodPost, "/api/v1/dossiers", w.hrA, create("Lê Hoa", ""))
	if r.Status != http.StatusCreated {
		t.Fatalf("the corrected creation = %d %s, want 201", r.Status, r.Body)
	}
}

// TestPersonalIDTakenNamesTheHolderOnlyToThoseWhoMaySeeIt: the 409 for a
// taken personal ID tells a caller who may read the holding org's dossiers
// which org holds the person, and tells anyone else only that the number
// is taken — never the rejected new id, never where.
func TestPersonalIDTakenNamesTheHolderOnlyToThoseWhoMaySeeIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := w.env
	holder, _ := w.createDossier(t, w.hrA, w.orgA, "Phạm Văn Đức", "001085077777")
	body := func(org string, newID uuid.UUID) map[string]any {
		return map[string]any{
			"dossier_id": newID, "class": "cong_chuc", "managing_org": org, "employing_unit": org, "personal_id_number": "001085077777",
			"identity":        map[string]any{"birth_name": "Phạm Văn Đức", "gender": "male", "date_of_birth": "1985-04-12"},
			"effective_date":  "2025-05-01",
			"source_document": decision("13/QĐ"),
		}
	}
	tests := []struct {
		name     string
		token    string
		org      string
		wantOrg  bool
		wantName string
	}{
		{"HR of the holding org", w.hrA, w.orgA.String(), true, "Sở Y tế"},
		{"HR of another org", w.hrB, w.orgB.String(), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newID := uuid.Must(uuid.NewV7())
			r := env.Do(http.MethodPost, "/api/v1/dossiers", tt.token, body(tt.org, newID))
			if r.Status != http.StatusConflict {
				t.Fatalf("POST = %d %s, want 409", r.Status, r.Body)
			}
			var p struct {
				Code       string `json:"code"`
				Detail     string `json:"detail"`
				HoldingOrg *struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"holding_org"`
				Errors []struct {
					Field, Rule string
				} `json:"errors"`
			}
			r.JSON(&p)
			if p.Code != "conflict" || len(p.Errors) != 1 || p.Errors[0].Rule != "personal_id_taken" || p.Errors[0].Field != "/personal_id_number" {
				t.Errorf("problem = %s, want conflict, /personal_id_number personal_id_taken", r.Body)
			}
			if strings.Contains(string(r.Body), newID.String()) {
				t.Errorf("the 409 names the rejected new id: %s", r.Body)
			}
			if !tt.wantOrg {
				if p.HoldingOrg != nil || strings.Contains(string(r.Body), w.orgA.String()) || strings.Contains(string(r.Body), "Sở Y tế") || strings.Contains(string(r.Body), holder) {
					t.Errorf("the 409 leaks where the person is held: %s", r.Body)
				}
				return
			}
			if p.HoldingOrg == nil || p.HoldingOrg.ID != w.orgA.String() || p.HoldingOrg.Name != tt.wantName {
				t.Errorf("holding_org = %+v, want %s %q (%s)", p.HoldingOrg, w.orgA, tt.wantName, r.Body)
			}
		})
	}
}
