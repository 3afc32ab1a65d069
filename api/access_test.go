package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// partyPaths are the Party membership fields of a dossier (CV form items
// 15, 26 and the party cell): political affiliation, sensitive data under
// PDPL 91/2025 (art. 2.4) and Decree 356/2025.
var partyPaths = []string{
	"/background/party_admitted_on", "/background/party_confirmed_on", "/position/party", "/party_unions/party_cell",
}

// TestPartyMembershipIsSensitive: PDPL 91/2025 — Party membership data is
// sensitive like ethnicity and religion. An inspector (read_dossier without
// read_sensitive) sees none of it in GET /dossiers/{id}, its history, the
// audit trail or search results; HR of the managing org (read_sensitive)
// sees all of it.
func TestPartyMembershipIsSensitive(t *testing.T) {
	w := newWorld(t)
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Trịnh Văn Đảng", "001085044444")
	path := "/api/v1/dossiers/" + id
	write(t, env, http.MethodPatch, path, w.hrA, `"1"`, map[string]any{
		"patch": map[string]any{
			"background":   map[string]any{"party_admitted_on": "2010-03-03", "party_confirmed_on": "2011-03-03"},
			"position":     map[string]any{"current": "Phó trưởng phòng", "party": "Bí thư chi bộ"},
			"party_unions": map[string]any{"party_cell": "Chi bộ Phòng Tổ chức"},
		},
		"source_document": decision("20/QĐ-SYT"),
	}, http.StatusOK)
	secrets := []string{"2010-03-03", "2011-03-03", "Bí thư chi bộ", "Chi bộ Phòng Tổ chức"}
	hidden := func(who string, body []byte) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(string(body), s) {
				t.Errorf("PDPL 91/2025: %s sees %q in %s", who, s, body)
			}
		}
	}
	shown := func(who string, body []byte) {
		t.Helper()
		for _, s := range secrets {
			if !strings.Contains(string(body), s) {
				t.Errorf("%s does not see %q", who, s)
			}
		}
	}

	// The dossier itself: blanked, and the redacted list names the paths.
	r := get(t, env, path+"?purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, nil)
	hidden("the inspector's GET dossier", r.Body)
	var v dossierView
	r.JSON(&v)
	for _, p := range partyPaths {
		if !strings.Contains(strings.Join(v.Redacted, " "), p) {
			t.Errorf("redacted = %v, want %s among them", v.Redacted, p)
		}
	}
	if v.Document.Position.Current != "Phó trưởng phòng" {
		t.Errorf("the inspector lost the non-sensitive position: %+v", v.Document.Position)
	}
	shown("HR's GET dossier", get(t, env, path, w.hrA, http.StatusOK, nil).Body)

	caughtUp(t, env)
	// The history and the audit trail: no diff of a party field, no payload.
	r = get(t, env, path+"/history?purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, nil)
	hidden("the inspector's history", r.Body)
	var hist struct {
		Items []historyEntry `json:"items"`
	}
	r.JSON(&hist)
	if len(hist.Items) != 2 || hist.Items[1].ChangesRedacted != len(partyPaths) || !hist.Items[1].changed("/position/current") {
		t.Errorf("the inspector's history of the update = %+v", hist.Items)
	}
	shown("HR's history", get(t, env, path+"/history", w.hrA, http.StatusOK, nil).Body)
	hidden("the inspector's audit trail", get(t, env, "/api/v1/audit?purpose=inspection&purpose_ref=15%2FQ%C4%90-TTr&dossier="+id, w.inspector, http.StatusOK, nil).Body)

	// Search: party membership is not in the rows, nor a filter, for the
	// inspector; HR sees it and may filter on it.
	r = get(t, env, "/api/v1/dossiers?q=trinh+van&purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, nil)
	var rows struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	r.JSON(&rows)
	if len(rows.Items) != 1 {
		t.Fatalf("the inspector's search = %s", r.Body)
	}
	if _, ok := rows.Items[0]["party_member"]; ok {
		t.Errorf("PDPL 91/2025: the inspector's search row shows party_member: %s", r.Body)
	}
	// A sensitive filter draws its scope from read_sensitive: nothing.
	get(t, env, "/api/v1/dossiers?party_member=true", w.inspector, http.StatusOK, &rows)
	if len(rows.Items) != 0 {
		t.Errorf("PDPL 91/2025: the inspector filters by party membership: %+v", rows.Items)
	}
	r = get(t, env, "/api/v1/dossiers?party_member=true&q=trinh+van", w.hrA, http.StatusOK, nil)
	r.JSON(&rows)
	if len(rows.Items) != 1 || string(rows.Items[0]["party_member"]) != "true" {
		t.Errorf("HR's search by party membership = %s", r.Body)
	}
}

// TestAccessFollowsTheManagingOrg: TG 10.3 (transfer between orgs of the
// province) read with TG 5.2–5.3 (access by delegation): while the transfer
// is pending the sending org still manages and reads the dossier; once the
// receiving org receives it, access follows the new managing org and the
// sender reads it no more. The province-wide inspector reads it throughout,
// with the history the sending org wrote.
func TestAccessFollowsTheManagingOrg(t *testing.T) {
	w := newWorld(t)
	env := w.env
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Lý Thị Chuyển", "001085055555")
	path := "/api/v1/dossiers/" + id
	r := write(t, env, http.MethodPost, path+"/transfers", w.hrA, `"1"`, map[string]any{
		"kind": "between_orgs", "target_org": w.orgB, "source_document": decision("30/QĐ-UBND"),
	}, http.StatusCreated)
	var tr struct {
		ID string `json:"id"`
	}
	r.JSON(&tr)
	get(t, env, path, w.hrA, http.StatusOK, nil)
	write(t, env, http.MethodPost, "/api/v1/transfers/"+tr.ID+"/receive", w.hrB, `"2"`, map[string]any{"source_document": decision("31/QĐ-SGDĐT")}, http.StatusOK)
	get(t, env, path, w.hrA, http.StatusNotFound, nil)
	get(t, env, path+"/history", w.hrA, http.StatusNotFound, nil)
	var v dossierView
	get(t, env, path, w.hrB, http.StatusOK, &v)
	if v.ManagingOrg == nil || *v.ManagingOrg != w.orgB.String() || v.Document.Identity.Ethnicity != "01" {
		t.Errorf("the receiving org's view = %+v", v)
	}
	caughtUp(t, env)
	// The list is a read model: after caughtUp it should already be gone;
	// in full-suite runs it was once still listed just after, for reasons
	// not yet understood, so the list is asked again for a while before
	// the test fails (a dossier that stays listed still fails it).
	for deadline := time.Now().Add(30 * time.Second); ; {
		var page listPage
		get(t, env, "/api/v1/dossiers?q=ly+thi", w.hrA, http.StatusOK, &page)
		if !page.has(id) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("TG 10.3: the sending org still finds the dossier 30 s after the read models caught up: %+v", page)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var hist struct {
		Items []historyEntry `json:"items"`
	}
	get(t, env, path+"/history?purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, &hist)
	if len(hist.Items) < 2 || hist.Items[0].Actor.ActingOrg != w.orgA.String() {
		t.Errorf("the province inspector's history = %+v", hist.Items)
	}
}

// TestReactivateReturningPerson: TG 10.1 — a person who left the province
// (TG 10.4, the dossier archived as transferred_out) comes back and is
// received by another org. A new dossier is refused (one dossier per
// personal ID number, Decree 27/2026), and the 409 names the archived
// dossier to the receiving org's HR; it reactivates it by decision: the
// same dossier, active under the receiving org, its whole history kept. A
// second reactivation is a 409 conflict.
func TestReactivateReturningPerson(t *testing.T) {
	w := newWorld(t)
	env := w.env
	const pid = "001085066666"
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Hồ Văn Hồi", pid)
	path := "/api/v1/dossiers/" + id
	write(t, env, http.MethodPatch, path, w.hrA, `"1"`, map[string]any{
		"patch": map[string]any{"position": map[string]any{"current": "Chuyên viên"}}, "source_document": decision("40/QĐ-SYT"),
	}, http.StatusOK)
	r := write(t, env, http.MethodPost, path+"/transfers", w.hrA, `"2"`, map[string]any{
		"kind": "out_of_province", "source_document": decision("41/QĐ-UBND"),
	}, http.StatusCreated)
	var tr struct {
		ID string `json:"id"`
	}
	r.JSON(&tr)
	write(t, env, http.MethodPost, "/api/v1/transfers/"+tr.ID+"/receive", w.hrA, `"3"`, map[string]any{"source_document": decision("42/QĐ-UBND")}, http.StatusOK)

	// The receiving org tries to create the dossier anew: 409, naming the
	// archived dossier it may reactivate.
	create := map[string]any{
		"class": "cong_chuc", "managing_org": w.orgB, "employing_unit": w.orgB, "personal_id_number": pid,
		"identity":        map[string]any{"birth_name": "Hồ Văn Hồi", "gender": "male", "date_of_birth": "1985-04-12"},
		"source_document": decision("50/QĐ-SGDĐT"),
	}
	r = env.Do(http.MethodPost, "/api/v1/dossiers", w.hrB, create)
	var conflict struct {
		Code   string `json:"code"`
		Errors []struct {
			Rule string `json:"rule"`
		} `json:"errors"`
		ArchivedDossier *struct {
			ID      string `json:"id"`
			Version uint64 `json:"version"`
			Status  string `json:"status"`
		} `json:"archived_dossier"`
	}
	r.JSON(&conflict)
	if r.Status != http.StatusConflict || len(conflict.Errors) == 0 || conflict.Errors[0].Rule != "personal_id_taken" ||
		conflict.ArchivedDossier == nil || conflict.ArchivedDossier.ID != id || conflict.ArchivedDossier.Status != "transferred_out" {
		t.Fatalf("re-create = %d %s, want 409 personal_id_taken naming the archived dossier", r.Status, r.Body)
	}
	etag := `"` + strconv.FormatUint(conflict.ArchivedDossier.Version, 10) + `"`
	// An inspector, who writes no dossiers, learns nothing of it.
	r = env.Do(http.MethodPost, "/api/v1/dossiers", w.inspector, create)
	if r.Status != http.StatusForbidden || strings.Contains(string(r.Body), id) {
		t.Errorf("the inspector's create = %d %s", r.Status, r.Body)
	}

	reactivate := map[string]any{"managing_org": w.orgB, "personal_id_number": pid, "source_document": decision("51/QĐ-SGDĐT")}
	// The wrong person's number: as if the dossier did not exist.
	write(t, env, http.MethodPost, path+"/reactivate", w.hrB, etag, with(reactivate, "personal_id_number", "001085077777"), http.StatusNotFound)
	// Another org's HR may not receive the person into org B.
	write(t, env, http.MethodPost, path+"/reactivate", w.hrA, etag, reactivate, http.StatusForbidden)
	// No decision, no reactivation.
	r = write(t, env, http.MethodPost, path+"/reactivate", w.hrB, etag, with(reactivate, "source_document", nil), http.StatusUnprocessableEntity)
	if p := r.Problem(); len(p.Errors) == 0 || p.Errors[0].Field != "/source_document" {
		t.Errorf("reactivation without decision: %+v", p)
	}
	if r := env.Do(http.MethodPost, path+"/reactivate", w.hrB, reactivate); r.Status != http.StatusPreconditionRequired {
		t.Errorf("reactivation without If-Match = %d", r.Status)
	}

	r = write(t, env, http.MethodPost, path+"/reactivate", w.hrB, etag, reactivate, http.StatusOK)
	var v dossierView
	r.JSON(&v)
	if v.ID != id || v.Status != "active" || v.Archived || v.ManagementRevoked || v.ManagingOrg == nil || *v.ManagingOrg != w.orgB.String() ||
		v.Document.Position.Current != "Chuyên viên" || v.Document.Identity.Ethnicity != "01" {
		t.Errorf("TG 10.1: after reactivation %+v", v)
	}
	// Once is enough: the dossier is active.
	r = write(t, env, http.MethodPost, path+"/reactivate", w.hrB, `"5"`, reactivate, http.StatusConflict)
	if p := r.Problem(); p.Code != "conflict" {
		t.Errorf("second reactivation: %+v", p)
	}
	// And a new creation is still refused, naming no archived dossier now.
	r = env.Do(http.MethodPost, "/api/v1/dossiers", w.hrB, create)
	if r.Status != http.StatusConflict || strings.Contains(string(r.Body), "archived_dossier") {
		t.Errorf("re-create after reactivation = %d %s", r.Status, r.Body)
	}

	caughtUp(t, env)
	var hist struct {
		Items []historyEntry `json:"items"`
	}
	get(t, env, path+"/history", w.hrB, http.StatusOK, &hist)
	var types []string
	for _, h := range hist.Items {
		types = append(types, h.Type)
	}
	want := "dossier.created.v1 dossier.section_updated.v1 dossier.transfer_initiated.v1 dossier.transfer_received.v1 dossier.reactivated.v1"
	if strings.Join(types, " ") != want {
		t.Errorf("TG 10.1: the history after reactivation = %v, want %s", types, want)
	}
	if last := hist.Items[len(hist.Items)-1]; !last.changed("/header/managing_org") || last.SourceDocument == nil || last.SourceDocument.Number != "51/QĐ-SGDĐT" {
		t.Errorf("the reactivation's entry = %+v", last)
	}
	var page listPage
	get(t, env, "/api/v1/dossiers?q=ho+van+hoi", w.hrB, http.StatusOK, &page)
	if !page.has(id) {
		t.Errorf("the receiving org's search = %+v", page)
	}
	get(t, env, "/api/v1/archive?q=ho+van+hoi&purpose=inspection&purpose_ref=15-TTr", w.inspector, http.StatusOK, &page)
	if page.has(id) {
		t.Errorf("the reactivated dossier is still in the archive: %+v", page)
	}
	get(t, env, path, w.hrA, http.StatusNotFound, nil)
}
