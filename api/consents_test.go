package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

type consentsBody struct {
	Version uint64 `json:"version"`
	Items   []struct {
		ConsentID string   `json:"consent_id"`
		Purposes  []string `json:"purposes"`
		Scope     string   `json:"scope"`
		EventID   string   `json:"event_id"`
		BySubject bool     `json:"by_subject"`
		Withdrawn bool     `json:"withdrawn"`
	} `json:"items"`
}

type readRow struct {
	Route            string `json:"route"`
	Outcome          string `json:"outcome"`
	Username         string `json:"username"`
	PurposeCode      string `json:"purpose_code"`
	PurposeReference string `json:"purpose_reference"`
	ConsentEventID   string `json:"consent_event_id"`
}

// purposeWorld is a unit, one of its dossiers, its HR officer, the person
// and an inspector over the province.
type purposeWorld struct {
	e                   *apitest.Env
	path                string // /api/v1/dossiers/{id}
	hr, self, inspector string
	inspectorUser       string
	consentsURL         string
}

func newPurposeWorld(t *testing.T, name string) *purposeWorld {
	e := apitest.Start(t)
	unit := e.Org("Sở Nội vụ "+name, "000.00.01."+name, e.Root)
	d := e.Dossier(unit, "Hoàng Thị Đồng Ý "+name)
	w := &purposeWorld{e: e, path: "/api/v1/dossiers/" + d.String(), inspectorUser: "thanhtra." + strings.ToLower(name)}
	w.hr = e.Session(e.Account("nhansu."+strings.ToLower(name), "", account.KindOrg, account.RoleHROfficer, unit))
	w.self = e.Session(e.SelfAccount("canhan."+strings.ToLower(name), "", unit, d))
	w.inspector = e.Session(e.Account(w.inspectorUser, "", account.KindOrg, account.RoleInspector, e.Root))
	w.consentsURL = w.path + "/consents"
	return w
}

func consentRequest(purposes []string, scope string) map[string]any {
	return map[string]any{"purposes": purposes, "scope": scope, "recipient": "Viện Khoa học Tổ chức nhà nước",
		"form":   map[string]any{"kind": "form", "number": "07/GĐY-2026", "date": "2026-12-01", "issuer": "Hoàng Thị Đồng Ý"},
		"reason": "giấy đồng ý của người có hồ sơ"}
}

// TestReadPurposes: a read outside personnel work states its purpose, with
// the reference its rule asks for; personnel work needs none; bad input is
// 400 naming the header or parameter; a purpose whose rule needs consent is
// 403 without one.
func TestReadPurposes(t *testing.T) {
	t.Parallel()
	w := newPurposeWorld(t, "P1")
	for _, tc := range []struct {
		name, token, suffix string
		headers             []string
		status              int
		code, field, rule   string
	}{
		{name: "HR, personnel work", token: w.hr, status: 200},
		{name: "HR may say why", token: w.hr, headers: []string{"Hoso-Purpose", `audit; ref="KTNN 12"`}, status: 200},
		{name: "the person", token: w.self, status: 200},
		{name: "the person's history", token: w.self, suffix: "/history", status: 200},
		{name: "inspector without purpose", token: w.inspector, status: 400, code: "purpose_required", field: "header:Hoso-Purpose", rule: "required"},
		{name: "inspector, history without purpose", token: w.inspector, suffix: "/history", status: 400, code: "purpose_required", field: "header:Hoso-Purpose"},
		{name: "inspector, CV without purpose", token: w.inspector, suffix: "/cv.pdf", status: 400, code: "purpose_required", field: "header:Hoso-Purpose"},
		{name: "inspection needs its decision", token: w.inspector, headers: []string{"Hoso-Purpose", "inspection"},
			status: 400, code: "purpose_required", field: "header:Hoso-Purpose", rule: "reference_required"},
		{name: "inspection with its decision", token: w.inspector, headers: []string{"Hoso-Purpose", `inspection; ref="15/QD-TTr"`}, status: 200},
		{name: "a display string", token: w.inspector, headers: []string{"Hoso-Purpose", `inspection;ref=%"15/Q%c4%90-TTr"`}, status: 200},
		{name: "inspection, CV", token: w.inspector, suffix: "/cv.pdf", headers: []string{"Hoso-Purpose", `inspection; ref="15/QD-TTr"`}, status: 200},
		{name: "inspection, history", token: w.inspector, suffix: "/history", headers: []string{"Hoso-Purpose", `inspection; ref="15/QD-TTr"`}, status: 200},
		{name: "from a form", token: w.inspector, suffix: "?purpose=court&purpose_ref=" + url.QueryEscape("88/CV-TAND Hà Nội"), status: 200},
		{name: "form without purpose", token: w.inspector, suffix: "?purpose_ref=88", status: 400, code: "bad_parameter", field: "query:purpose"},
		{name: "header and form disagree", token: w.inspector, suffix: "?purpose=court&purpose_ref=88",
			headers: []string{"Hoso-Purpose", `police; ref="88"`}, status: 400, code: "bad_parameter", field: "query:purpose", rule: "conflict"},
		{name: "statistics need consent", token: w.inspector, headers: []string{"Hoso-Purpose", "statistics"},
			status: 403, code: "consent_required", field: "header:Hoso-Purpose", rule: "consent"},
		{name: "transfer needs consent", token: w.inspector, suffix: "?purpose=transfer&purpose_ref=12%2FCV", status: 403, code: "consent_required", field: "query:purpose"},
		{name: "an inspector is not HR", token: w.inspector, headers: []string{"Hoso-Purpose", "personnel"},
			status: 403, code: "forbidden", field: "header:Hoso-Purpose", rule: "personnel"},
		{name: "unknown purpose", token: w.inspector, headers: []string{"Hoso-Purpose", "curiosity"}, status: 400, code: "bad_parameter", field: "header:Hoso-Purpose", rule: "enum"},
		{name: "unknown purpose from a form", token: w.inspector, suffix: "?purpose=curiosity", status: 400, code: "bad_parameter", field: "query:purpose", rule: "enum"},
		{name: "unclosed string", token: w.inspector, headers: []string{"Hoso-Purpose", `inspection; ref="15`}, status: 400, code: "bad_parameter", field: "header:Hoso-Purpose", rule: "syntax"},
		{name: "unknown parameter", token: w.inspector, headers: []string{"Hoso-Purpose", `inspection; refs="15"`}, status: 400, code: "bad_parameter", field: "header:Hoso-Purpose", rule: "syntax"},
		{name: "bad display string", token: w.inspector, headers: []string{"Hoso-Purpose", `inspection; ref=%"%ff%fe"`}, status: 400, code: "bad_parameter", field: "header:Hoso-Purpose", rule: "syntax"},
		{name: "reference too long", token: w.inspector, headers: []string{"Hoso-Purpose", `inspection; ref="` + strings.Repeat("x", 201) + `"`}, status: 400, code: "bad_parameter", field: "header:Hoso-Purpose", rule: "syntax"},
		{name: "control character in the form", token: w.inspector, suffix: "?purpose=court&purpose_ref=%07", status: 400, code: "bad_parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.e.Do(http.MethodGet, w.path+tc.suffix, tc.token, nil, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.code == "" {
				return
			}
			p := r.Problem()
			if p.Code != tc.code {
				t.Errorf("code %s, want %s (%s)", p.Code, tc.code, r.Body)
			}
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field || tc.rule != "" && p.Errors[0].Rule != tc.rule) {
				t.Errorf("errors %+v, want %s %s", p.Errors, tc.field, tc.rule)
			}
		})
	}

	// The read log names the purposes, and a refusal for want of one.
	var log struct {
		Items []readRow `json:"items"`
	}
	r := w.e.Do(http.MethodGet, "/api/v1/audit/reads?account="+accountOfSession(t, w, w.inspector)+"&purpose=court", w.inspector, nil)
	log.Items = nil
	r.JSON(&log)
	if r.Status != 200 || len(log.Items) != 1 || log.Items[0].PurposeReference != "88/CV-TAND Hà Nội" || log.Items[0].Outcome != "allowed" {
		t.Errorf("read log, court: %d %s", r.Status, r.Body)
	}
	r = w.e.Do(http.MethodGet, "/api/v1/audit/reads?purpose=inspection&account="+accountOfSession(t, w, w.inspector), w.inspector, nil)
	log.Items = nil
	r.JSON(&log)
	refs := map[string]int{}
	for _, it := range log.Items {
		refs[it.PurposeReference+" "+it.Outcome]++
	}
	if refs["15/QĐ-TTr allowed"] != 1 || refs["15/QD-TTr allowed"] != 3 || refs[" refused"] != 1 {
		t.Errorf("read log, inspection: %v", refs)
	}
	r = w.e.Do(http.MethodGet, "/api/v1/audit/reads?outcome=refused&account="+accountOfSession(t, w, w.inspector), w.inspector, nil)
	log.Items = nil
	r.JSON(&log)
	refused := map[string]int{}
	for _, it := range log.Items {
		refused[it.PurposeCode]++
	}
	// Three without purpose, one inspection without its decision, two
	// wanting consent, the claim of personnel work; bad input is not a read.
	if refused[""] != 3 || refused["inspection"] != 1 || refused["statistics"] != 1 || refused["transfer"] != 1 || refused["personnel"] != 1 || len(log.Items) != 7 {
		t.Errorf("refusals in the read log: %v (%d rows)", refused, len(log.Items))
	}
	if r := w.e.Do(http.MethodGet, "/api/v1/audit/reads?purpose=gossip", w.inspector, nil); r.Status != 400 {
		t.Errorf("purpose filter of the read log: %d %s", r.Status, r.Body)
	}
}

// accountOfSession is the account id behind token (GET /me).
func accountOfSession(t *testing.T, w *purposeWorld, token string) string {
	t.Helper()
	var me struct {
		Account struct {
			ID string `json:"id"`
		} `json:"account"`
	}
	r := w.e.Do(http.MethodGet, "/api/v1/me", token, nil)
	r.JSON(&me)
	if me.Account.ID == "" {
		t.Fatalf("/me: %s", r.Body)
	}
	return me.Account.ID
}

// TestConsentAllowsAndWithdrawalEnds: HR records the person's consent to
// statistics (view only); the inspector's statistical read is allowed and
// the read log cites the consent's event; a copy (the CV) is not covered;
// the person withdraws it, and the next read is refused.
func TestConsentAllowsAndWithdrawalEnds(t *testing.T) {
	t.Parallel()
	w := newPurposeWorld(t, "P2")
	stats := []string{"Hoso-Purpose", "statistics"}
	if r := w.e.Do(http.MethodGet, w.path, w.inspector, nil, stats...); r.Status != 403 {
		t.Fatalf("before consent: %d %s", r.Status, r.Body)
	}

	// Who may keep the register, and what a consent must say.
	for _, tc := range []struct {
		name, token string
		body        any
		headers     []string
		status      int
		field       string
	}{
		{"inspector may not record", w.inspector, consentRequest([]string{"statistics"}, "view"), nil, 403, ""},
		{"no form", w.hr, map[string]any{"purposes": []string{"statistics"}, "scope": "view"}, nil, 422, "form"},
		{"personnel needs no consent", w.hr, consentRequest([]string{"personnel"}, "view"), nil, 422, "purposes/0"},
		{"unknown purpose", w.hr, consentRequest([]string{"gossip"}, "view"), nil, 422, "/purposes/0"},
		{"unknown scope", w.hr, consentRequest([]string{"statistics"}, "all"), nil, 422, "scope"},
		{"stale If-Match", w.hr, consentRequest([]string{"statistics"}, "view"), []string{"If-Match", `"7"`}, 412, ""},
		{"unknown field", w.hr, `{"purposes":["statistics"],"scope":"view","form":{},"everything":true}`, nil, 422, "/everything"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.e.Do(http.MethodPost, w.consentsURL, tc.token, tc.body, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.field != "" && !strings.Contains(string(r.Body), `"field":"`+tc.field) && !strings.Contains(string(r.Body), `"field":"/`+tc.field) {
				t.Errorf("problem does not name %s: %s", tc.field, r.Body)
			}
		})
	}

	r := w.e.Do(http.MethodPost, w.consentsURL, w.hr, consentRequest([]string{"statistics", "transfer"}, "view"))
	var reg consentsBody
	r.JSON(&reg)
	if r.Status != 201 || reg.Version != 1 || len(reg.Items) != 1 || reg.Items[0].BySubject || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("record: %d %s", r.Status, r.Body)
	}
	consentEvent, consentID := reg.Items[0].EventID, reg.Items[0].ConsentID

	if r := w.e.Do(http.MethodGet, w.path, w.inspector, nil, stats...); r.Status != 200 {
		t.Fatalf("with consent: %d %s", r.Status, r.Body)
	}
	if r := w.e.Do(http.MethodGet, w.path+"/history", w.inspector, nil, stats...); r.Status != 200 {
		t.Fatalf("history with consent: %d %s", r.Status, r.Body)
	}
	if r := w.e.Do(http.MethodGet, w.path+"/cv.pdf", w.inspector, nil, stats...); r.Status != 403 || r.Problem().Code != "consent_required" {
		t.Fatalf("a copy under a view consent: %d %s", r.Status, r.Body)
	}
	// The consent's version is not the dossier's: HR's ETag of the dossier holds.
	if r := w.e.Do(http.MethodGet, w.consentsURL, w.inspector, nil); r.Status != 403 {
		t.Errorf("the inspector reads the register: %d", r.Status)
	}
	if r := w.e.Do(http.MethodGet, w.consentsURL, w.self, nil); r.Status != 200 || r.Header.Get("ETag") != `"1"` {
		t.Errorf("the person reads the register: %d %s", r.Status, r.Body)
	}

	withdraw := w.consentsURL + "/" + consentID + "/withdraw"
	r = w.e.Do(http.MethodPost, withdraw, w.self, map[string]any{"reason": "tôi rút lại sự đồng ý"}, "If-Match", `"1"`)
	r.JSON(&reg)
	if r.Status != 200 || !reg.Items[0].Withdrawn || reg.Version != 2 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	if r := w.e.Do(http.MethodPost, withdraw, w.hr, map[string]any{"reason": "lần nữa"}); r.Status != 409 {
		t.Errorf("withdraw twice: %d %s", r.Status, r.Body)
	}
	if r := w.e.Do(http.MethodPost, w.consentsURL+"/0190a000-0000-7000-8000-000000000001/withdraw", w.hr, map[string]any{}); r.Status != 404 {
		t.Errorf("withdraw an unknown consent: %d %s", r.Status, r.Body)
	}
	if r := w.e.Do(http.MethodGet, w.path, w.inspector, nil, stats...); r.Status != 403 || r.Problem().Code != "consent_required" {
		t.Fatalf("after withdrawal: %d %s", r.Status, r.Body)
	}

	// The person records a consent of their own, of scope copy: the CV too.
	r = w.e.Do(http.MethodPost, w.consentsURL, w.self, consentRequest([]string{"statistics"}, "copy"))
	r.JSON(&reg)
	if r.Status != 201 || len(reg.Items) != 2 || !reg.Items[1].BySubject {
		t.Fatalf("self-service consent: %d %s", r.Status, r.Body)
	}
	if r := w.e.Do(http.MethodGet, w.path+"/cv.pdf", w.inspector, nil, stats...); r.Status != 200 {
		t.Fatalf("a copy under a copy consent: %d %s", r.Status, r.Body)
	}

	// Inspectors see both in the read log: the purpose and the consent event.
	var log struct {
		Items []readRow `json:"items"`
	}
	r = w.e.Do(http.MethodGet, "/api/v1/audit/reads?purpose=statistics&consent=true", w.inspector, nil)
	log.Items = nil
	r.JSON(&log)
	cited := map[string]int{}
	for _, it := range log.Items {
		if it.Outcome != "allowed" || it.Username != w.inspectorUser {
			t.Errorf("a read relying on consent: %+v", it)
		}
		cited[it.ConsentEventID]++
	}
	if cited[consentEvent] != 2 || len(cited) != 2 || len(log.Items) != 3 {
		t.Errorf("reads citing consents: %v, want 2 citing %s and one citing the second", cited, consentEvent)
	}
	r = w.e.Do(http.MethodGet, "/api/v1/audit/reads?purpose=statistics&consent=false", w.inspector, nil)
	log.Items = nil
	r.JSON(&log)
	if len(log.Items) != 3 { // before, the CV under a view consent, after withdrawal
		t.Errorf("statistical reads without consent: %d, want 3: %s", len(log.Items), r.Body)
	}
	for _, it := range log.Items {
		if it.Outcome != "refused" || it.ConsentEventID != "" {
			t.Errorf("a refused statistical read: %+v", it)
		}
	}
}

// alsoGrant gives account id a further role over org, beside the one it
// was created with (whose org is its home org).
func alsoGrant(t *testing.T, e *apitest.Env, id domain.AccountID, role account.Role, org domain.OrgID) {
	t.Helper()
	ctx := context.Background()
	a, err := e.Svc.Deps.Accounts.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Deps.Accounts.Grant(ctx, id, a.Version(), account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: role, Org: org}, e.Meta()); err != nil {
		t.Fatal(err)
	}
}

// TestConsentRecipientIsChecked: a consent given to an org benefits the
// readers whose home org is that org or lies under it, one given to an
// account benefits that account only, and anyone else reading for the
// purpose is refused 403 consent_required, logged as a refused read. A
// recipient named by an id that names nothing is refused when recorded.
func TestConsentRecipientIsChecked(t *testing.T) {
	t.Parallel()
	w := newPurposeWorld(t, "P3")
	e := w.e
	inspectorate := e.Org("Thanh tra tỉnh P3", "000.00.03.P3", e.Root)
	division := e.Org("Phòng Thanh tra 1 P3", "000.00.04.P3", inspectorate)
	elsewhere := e.Org("Viện Nghiên cứu P3", "000.00.05.P3", e.Root)
	inspector := func(user string, home domain.OrgID) (domain.AccountID, string) {
		id := e.Account(user, "", account.KindOrg, account.RoleInspector, home)
		alsoGrant(t, e, id, account.RoleInspector, e.Root)
		return id, e.Session(id)
	}
	_, ofDivision := inspector("thanhtra.phong1.p3", division)
	_, ofInspectorate := inspector("thanhtra.tinh.p3", inspectorate)
	outsiderID, outsider := inspector("vien.p3", elsewhere)
	// Homed outside the inspectorate, with a grant over exactly the org the
	// consent names: a grant is authority over the org read, not
	// membership of the body the person consented to (PDPL 91/2025: the
	// consent is to a named recipient), so this reader is not one.
	grantedID := e.Account("vien.capquyen.p3", "", account.KindOrg, account.RoleInspector, elsewhere)
	alsoGrant(t, e, grantedID, account.RoleInspector, inspectorate)
	alsoGrant(t, e, grantedID, account.RoleInspector, e.Root) // to read the dossier at all
	grantedOverRecipient := e.Session(grantedID)

	form := func(number string) map[string]any {
		return map[string]any{"kind": "form", "number": number, "date": "2026-12-01", "issuer": "Hoàng Thị Đồng Ý"}
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown org", map[string]any{"purposes": []string{"statistics"}, "scope": "view", "form": form("01/X"),
			"recipient_org": "0190a000-0000-7000-8000-0000000000f1"}, "/recipient_org"},
		{"unknown account", map[string]any{"purposes": []string{"statistics"}, "scope": "view", "form": form("01/X"),
			"recipient_account": "0190a000-0000-7000-8000-0000000000f2"}, "/recipient_account"},
		{"both", map[string]any{"purposes": []string{"statistics"}, "scope": "view", "form": form("01/X"),
			"recipient_org": inspectorate.String(), "recipient_account": outsiderID.String()}, "recipient_account"},
		{"not an id", map[string]any{"purposes": []string{"statistics"}, "scope": "view", "form": form("01/X"),
			"recipient_org": "Thanh tra tỉnh"}, "/recipient_org"},
	} {
		t.Run("record/"+tc.name, func(t *testing.T) {
			r := e.Do(http.MethodPost, w.consentsURL, w.hr, tc.body)
			if r.Status != 422 && r.Status != 400 {
				t.Fatalf("%d %s, want 422", r.Status, r.Body)
			}
			if p := r.Problem(); len(p.Errors) == 0 || strings.TrimPrefix(p.Errors[0].Field, "/") != strings.TrimPrefix(tc.field, "/") {
				t.Errorf("problem %s does not name %s", r.Body, tc.field)
			}
		})
	}
	if r := e.Do(http.MethodGet, w.consentsURL, w.hr, nil); r.Status != 200 || strings.Contains(string(r.Body), "consent_id") {
		t.Fatalf("a refused consent was recorded: %d %s", r.Status, r.Body)
	}

	var reg consentsBody
	r := e.Do(http.MethodPost, w.consentsURL, w.hr, map[string]any{"purposes": []string{"statistics"}, "scope": "view",
		"recipient": "Thanh tra tỉnh", "recipient_org": inspectorate.String(), "form": form("02/GĐY")})
	r.JSON(&reg)
	if r.Status != 201 || len(reg.Items) != 1 || !strings.Contains(string(r.Body), `"recipient_org":"`+inspectorate.String()) {
		t.Fatalf("record to an org: %d %s", r.Status, r.Body)
	}
	toOrg := reg.Items[0].EventID
	r = e.Do(http.MethodPost, w.consentsURL, w.self, map[string]any{"purposes": []string{"transfer"}, "scope": "view",
		"recipient_account": outsiderID.String(), "form": form("03/GĐY")})
	r.JSON(&reg)
	if r.Status != 201 || len(reg.Items) != 2 {
		t.Fatalf("record to an account: %d %s", r.Status, r.Body)
	}
	toAccount := reg.Items[1].EventID

	stats := []string{"Hoso-Purpose", "statistics"}
	transfer := []string{"Hoso-Purpose", `transfer; ref="12/CV-VNC"`}
	for _, tc := range []struct {
		name, token string
		headers     []string
		status      int
	}{
		{"a division of the org named", ofDivision, stats, 200},
		{"the org named", ofInspectorate, stats, 200},
		{"another org", outsider, stats, 403},
		{"a grant over the org named, homed elsewhere", grantedOverRecipient, stats, 403},
		{"the account named", outsider, transfer, 200},
		{"an account not named", ofInspectorate, transfer, 403},
		{"HR needs no consent", w.hr, nil, 200},
	} {
		t.Run("read/"+tc.name, func(t *testing.T) {
			r := e.Do(http.MethodGet, w.path, tc.token, nil, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.status == 403 && r.Problem().Code != "consent_required" {
				t.Errorf("code %s, want consent_required", r.Problem().Code)
			}
		})
	}

	// The read log: who relied on which consent, and who was refused.
	got := map[string]string{}
	for _, token := range []string{ofDivision, ofInspectorate, outsider, grantedOverRecipient} {
		var log struct {
			Items []readRow `json:"items"`
		}
		r := e.Do(http.MethodGet, "/api/v1/audit/reads?account="+accountOfSession(t, w, token), w.inspector, nil)
		r.JSON(&log)
		for _, it := range log.Items {
			cited := it.ConsentEventID
			switch cited {
			case toOrg:
				cited = "org"
			case toAccount:
				cited = "account"
			}
			got[it.Username+" "+it.PurposeCode] = it.Outcome + " " + cited
		}
	}
	want := map[string]string{
		"thanhtra.phong1.p3 statistics": "allowed org",
		"thanhtra.tinh.p3 statistics":   "allowed org",
		"vien.p3 statistics":            "refused ",
		"vien.capquyen.p3 statistics":   "refused ",
		"vien.p3 transfer":              "allowed account",
		"thanhtra.tinh.p3 transfer":     "refused ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read log = %v, want %v", got, want)
	}
}

// TestListsAndAttachmentsArePurposeGated: a list showing dossiers outside
// the caller's personnel work (GET /dossiers, /archive, /transfers) and an
// attachment's download are gated by purpose as one dossier's read: 400
// purpose_required, 403 consent_required (for a list, when any dossier
// listed has no consent; for a scan, a copy, when none of scope copy), each
// refusal logged for the dossiers concerned, and an allowed read logged
// with its purpose, reference and the consent it relied on. HR, doing
// personnel work, is asked nothing; an empty page shows nobody and asks
// nothing.
func TestListsAndAttachmentsArePurposeGated(t *testing.T) {
	t.Parallel()
	w := newPurposeWorld(t, "P4")
	e := w.e
	ctx := context.Background()
	first := domain.DossierID(uuid.MustParse(strings.TrimPrefix(w.path, "/api/v1/dossiers/")))
	var unit domain.OrgID
	if d, err := e.Svc.Deps.Dossiers.Get(ctx, first); err != nil {
		t.Fatal(err)
	} else {
		unit, _ = d.ManagingOrg()
	}
	second := e.Dossier(unit, "Hoàng Văn Danh Sách P4")
	retired := e.Dossier(unit, "Hoàng Văn Hưu Trí P4")
	if _, err := e.Svc.Deps.Dossiers.ChangeStatus(ctx, retired, 1, dossier.StatusRetired, e.Meta()); err != nil {
		t.Fatal(err)
	}
	other := e.Org("Sở Tài chính P4", "000.00.06.P4", e.Root)
	body, ct := multipartScan(t, "P4 scan")
	r := e.Do(http.MethodPost, w.path+"/attachments", w.hr, body, "Content-Type", ct, "If-Match", `"1"`)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var up struct {
		SHA256 string `json:"sha256"`
	}
	r.JSON(&up)
	scan := "/api/v1/attachments/" + up.SHA256
	r = e.Do(http.MethodPost, "/api/v1/dossiers/"+second.String()+"/transfers", w.hr,
		map[string]any{"kind": "between_orgs", "target_org": other.String(), "reason": "điều động", "source_document": decision("40/QĐ-P4")}, "If-Match", `"1"`)
	if r.Status != http.StatusCreated {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	e.WaitCaughtUp()
	// The person consents to statistical reads of the first dossier (view).
	if r := e.Do(http.MethodPost, w.consentsURL, w.self, consentRequest([]string{"statistics"}, "view")); r.Status != 201 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}

	org := "?org=" + unit.String()
	insp := []string{"Hoso-Purpose", `inspection; ref="16/QĐ-TTr"`}
	stats := []string{"Hoso-Purpose", "statistics"}
	for _, tc := range []struct {
		name, token, path string
		headers           []string
		status            int
		code, rule        string
		items             int // -1: not a list
	}{
		{"HR lists", w.hr, "/api/v1/dossiers" + org, nil, 200, "", "", 2},
		{"HR's archive", w.hr, "/api/v1/archive" + org, nil, 200, "", "", 1},
		{"HR's transfers", w.hr, "/api/v1/transfers", nil, 200, "", "", 1},
		{"HR's scan", w.hr, scan, nil, 200, "", "", -1},
		{"list without purpose", w.inspector, "/api/v1/dossiers" + org, nil, 400, "purpose_required", "required", -1},
		{"list, inspection without its decision", w.inspector, "/api/v1/dossiers" + org, []string{"Hoso-Purpose", "inspection"}, 400, "purpose_required", "reference_required", -1},
		{"list, personnel claimed", w.inspector, "/api/v1/dossiers" + org + "&purpose=personnel", nil, 403, "forbidden", "personnel", -1},
		{"list, malformed purpose", w.inspector, "/api/v1/dossiers" + org, []string{"Hoso-Purpose", `inspection; ref="16`}, 400, "bad_parameter", "syntax", -1},
		{"list for inspection", w.inspector, "/api/v1/dossiers" + org, insp, 200, "", "", 2},
		{"list from a form", w.inspector, "/api/v1/dossiers" + org + "&purpose=inspection&purpose_ref=16%2FQ%C4%90-TTr", nil, 200, "", "", 2},
		{"list, statistics, one without consent", w.inspector, "/api/v1/dossiers" + org, stats, 403, "consent_required", "consent", -1},
		{"list, statistics, only the one who consented", w.inspector, "/api/v1/dossiers" + org + "&id=" + first.String(), stats, 200, "", "", 1},
		{"an empty page asks nothing", w.inspector, "/api/v1/dossiers" + org + "&q=khong+co+ai", nil, 200, "", "", 0},
		{"archive without purpose", w.inspector, "/api/v1/archive" + org, nil, 400, "purpose_required", "required", -1},
		{"archive for inspection", w.inspector, "/api/v1/archive" + org, insp, 200, "", "", 1},
		{"transfers without purpose", w.inspector, "/api/v1/transfers", nil, 400, "purpose_required", "required", -1},
		{"transfers for inspection", w.inspector, "/api/v1/transfers", insp, 200, "", "", 1},
		{"scan without purpose", w.inspector, scan, nil, 400, "purpose_required", "required", -1},
		{"scan, statistics under a view consent", w.inspector, scan, stats, 403, "consent_required", "consent", -1},
		{"scan for inspection", w.inspector, scan, insp, 200, "", "", -1},
		{"scan, malformed purpose", w.inspector, scan + "?purpose_ref=1", nil, 400, "bad_parameter", "required", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(http.MethodGet, tc.path, tc.token, nil, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.code != "" {
				if p := r.Problem(); p.Code != tc.code || len(p.Errors) == 0 || p.Errors[0].Rule != tc.rule {
					t.Errorf("problem %s, want %s/%s", r.Body, tc.code, tc.rule)
				}
				return
			}
			if tc.items >= 0 {
				var page struct {
					Items []json.RawMessage `json:"items"`
				}
				r.JSON(&page)
				if len(page.Items) != tc.items {
					t.Errorf("%d items, want %d: %s", len(page.Items), tc.items, r.Body)
				}
			}
		})
	}

	// The read log of the inspector's list reads, by route and outcome.
	var log struct {
		Items []struct {
			readRow
			DossierID string `json:"dossier_id"`
		} `json:"items"`
	}
	r = e.Do(http.MethodGet, "/api/v1/audit/reads?limit=200&account="+accountOfSession(t, w, w.inspector), w.inspector, nil)
	r.JSON(&log)
	got := map[string]int{}
	for _, it := range log.Items {
		k := it.Route + " " + it.Outcome + " " + it.PurposeCode
		if it.ConsentEventID != "" {
			k += " consent"
		}
		got[k]++
	}
	want := map[string]int{
		// without purpose, without reference, personnel claimed: two each;
		// statistics: only the dossier without consent is refused.
		"/api/v1/dossiers refused ":                      2,
		"/api/v1/dossiers refused inspection":            2,
		"/api/v1/dossiers refused personnel":             2,
		"/api/v1/dossiers refused statistics":            1,
		"/api/v1/dossiers allowed inspection":            4,
		"/api/v1/dossiers allowed statistics consent":    1,
		"/api/v1/archive refused ":                       1,
		"/api/v1/archive allowed inspection":             1,
		"/api/v1/transfers refused ":                     1,
		"/api/v1/transfers allowed inspection":           1,
		"/api/v1/attachments/:sha256 refused ":           1,
		"/api/v1/attachments/:sha256 refused statistics": 1,
		"/api/v1/attachments/:sha256 allowed inspection": 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the inspector's reads:\n got %v\nwant %v", got, want)
	}
}
