package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// TestPersonalReadsBeyondDossiersArePurposeGated: the routes that name a
// person outside the dossier routes and the lists — one transfer (name,
// date of birth), one breach record (the data subjects by name) and the
// audit trail (the dossiers' events and their data) — are
// gated as a dossier's read (Decree 27/2026): an inspector states a
// purpose (400 purpose_required), a purpose needing consent needs it (403
// consent_required), a malformed purpose is 400 bad_parameter with
// nothing logged, the HR of the orgs concerned is asked nothing, and
// every read and refusal is in GET /audit/reads with its purpose.
func TestPersonalReadsBeyondDossiersArePurposeGated(t *testing.T) {
	t.Parallel()
	w := newPurposeWorld(t, "P6")
	e := w.e
	ctx := context.Background()
	consented := domain.DossierID(uuid.MustParse(strings.TrimPrefix(w.path, "/api/v1/dossiers/")))
	d, err := e.Svc.Deps.Dossiers.Get(ctx, consented)
	if err != nil {
		t.Fatal(err)
	}
	unit, _ := d.ManagingOrg()
	other := e.Org("Sở Tài chính P6", "000.00.06.P6", e.Root)
	hrOther := e.Session(e.Account("nhansu.taichinh.p6", "", account.KindOrg, account.RoleHROfficer, other))
	// The unit's HR officer who also administers it reads breach records
	// of the unit as an administrator, and its people as personnel work.
	hrAdminID := e.Account("nhansu.quantri.p6", "", account.KindOrg, account.RoleHROfficer, unit)
	alsoGrant(t, e, hrAdminID, account.RoleAdmin, unit)
	hrAdmin := e.Session(hrAdminID)

	moving := e.Dossier(unit, "Hoàng Văn Điều Động P6")
	r := e.Do(http.MethodPost, "/api/v1/dossiers/"+moving.String()+"/transfers", w.hr,
		map[string]any{"kind": "between_orgs", "target_org": other.String(), "reason": "điều động", "source_document": decision("41/QĐ-P6")}, "If-Match", `"1"`)
	var tr struct {
		ID string `json:"id"`
	}
	r.JSON(&tr)
	if r.Status != http.StatusCreated {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	transfer := "/api/v1/transfers/" + tr.ID
	r = e.Do(http.MethodPost, "/api/v1/breaches", e.AdminToken, map[string]any{
		"what": "Lộ danh sách P6", "detected_at": "2026-12-01T08:00:00+07:00", "dossiers": []string{consented.String()}})
	var b struct {
		ID string `json:"id"`
	}
	r.JSON(&b)
	if r.Status != http.StatusCreated {
		t.Fatalf("breach: %d %s", r.Status, r.Body)
	}
	breach := "/api/v1/breaches/" + b.ID
	// The person consents to statistical reads (view) of the dossier the
	// breach names; the transferred one has no consent.
	if r := e.Do(http.MethodPost, w.consentsURL, w.self, consentRequest([]string{"statistics"}, "view")); r.Status != http.StatusCreated {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	e.WaitCaughtUp()

	trail := "/api/v1/audit?org=" + unit.String()
	insp := []string{"Hoso-Purpose", `inspection; ref="17/QĐ-TTr"`}
	stats := []string{"Hoso-Purpose", "statistics"}
	for _, tc := range []struct {
		name, token, path string
		headers           []string
		status            int
		code, rule        string
		named             string // a name the answer must hold
	}{
		{"the sender's HR reads the transfer", w.hr, transfer, nil, 200, "", "", "Hoàng Văn Điều Động P6"},
		{"the receiver's HR reads the transfer", hrOther, transfer, nil, 200, "", "", "Hoàng Văn Điều Động P6"},
		{"transfer without purpose", w.inspector, transfer, nil, 400, "purpose_required", "required", ""},
		{"transfer, inspection without its decision", w.inspector, transfer, []string{"Hoso-Purpose", "inspection"}, 400, "purpose_required", "reference_required", ""},
		{"transfer, personnel claimed", w.inspector, transfer + "?purpose=personnel", nil, 403, "forbidden", "personnel", ""},
		{"transfer, malformed purpose", w.inspector, transfer, []string{"Hoso-Purpose", `inspection; ref="17`}, 400, "bad_parameter", "syntax", ""},
		{"transfer, statistics without consent", w.inspector, transfer, stats, 403, "consent_required", "consent", ""},
		{"transfer for inspection", w.inspector, transfer, insp, 200, "", "", "Hoàng Văn Điều Động P6"},
		{"transfer from a form", w.inspector, transfer + "?purpose=inspection&purpose_ref=17%2FQ%C4%90-TTr", nil, 200, "", "", "Hoàng Văn Điều Động P6"},
		{"the unit's HR administrator reads the breach", hrAdmin, breach, nil, 200, "", "", "Hoàng Thị Đồng Ý P6"},
		{"an administrator who reads no dossier is named nobody, asked nothing", e.AdminToken, breach, nil, 200, "", "", ""},
		{"breach without purpose", w.inspector, breach, nil, 400, "purpose_required", "required", ""},
		{"breach, malformed purpose", w.inspector, breach + "?purpose=gossip", nil, 400, "bad_parameter", "enum", ""},
		{"breach for inspection", w.inspector, breach, insp, 200, "", "", "Hoàng Thị Đồng Ý P6"},
		{"breach, statistics under the person's consent", w.inspector, breach, stats, 200, "", "", "Hoàng Thị Đồng Ý P6"},
		{"the unit's HR administrator reads the audit trail", hrAdmin, trail, nil, 200, "", "", "dossier.created.v1"},
		{"audit trail without purpose", w.inspector, trail, nil, 400, "purpose_required", "required", ""},
		{"an administrator's audit trail of dossiers without purpose", e.AdminToken, trail, nil, 400, "purpose_required", "required", ""},
		{"an audit trail of org events only asks nothing", e.AdminToken, "/api/v1/audit?type=org.created.v1", nil, 200, "", "", "org.created.v1"},
		{"audit trail, statistics, one dossier without consent", w.inspector, trail, stats, 403, "consent_required", "consent", ""},
		{"audit trail for inspection", w.inspector, trail + "&purpose=inspection&purpose_ref=17%2FQ%C4%90-TTr", nil, 200, "", "", "dossier.created.v1"},
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
				if strings.Contains(string(r.Body), "Hoàng") {
					t.Errorf("a refusal names the person: %s", r.Body)
				}
				return
			}
			if tc.named != "" && !strings.Contains(string(r.Body), tc.named) {
				t.Errorf("the answer does not name %s: %s", tc.named, r.Body)
			}
			if tc.named == "" && r.Status == http.StatusOK && strings.Contains(string(r.Body), "Hoàng") {
				t.Errorf("the answer names someone: %s", r.Body)
			}
		})
	}

	// The read log, per reader: route, outcome, purpose, consent cited.
	readsOf := func(token string) map[string]int {
		var log struct {
			Items []readRow `json:"items"`
		}
		r := e.Do(http.MethodGet, "/api/v1/audit/reads?limit=200&account="+accountOfSession(t, w, token), w.inspector, nil)
		r.JSON(&log)
		got := map[string]int{}
		for _, it := range log.Items {
			k := it.Route + " " + it.Outcome + " " + it.PurposeCode
			if it.ConsentEventID != "" {
				k += " consent"
			}
			got[k]++
		}
		return got
	}
	for _, tc := range []struct {
		reader, token string
		want          map[string]int
	}{
		{"inspector", w.inspector, map[string]int{
			"/api/v1/transfers/:id refused ":                  1,
			"/api/v1/transfers/:id refused inspection":        1,
			"/api/v1/transfers/:id refused personnel":         1,
			"/api/v1/transfers/:id refused statistics":        1,
			"/api/v1/transfers/:id allowed inspection":        2,
			"/api/v1/breaches/:id refused ":                   1,
			"/api/v1/breaches/:id allowed inspection":         1,
			"/api/v1/breaches/:id allowed statistics consent": 1,
			// Two dossiers on the trail's page; for statistics only the
			// one without consent is refused.
			"/api/v1/audit refused ":           2,
			"/api/v1/audit refused statistics": 1,
			"/api/v1/audit allowed inspection": 2,
		}},
		{"sender's HR", w.hr, map[string]int{"/api/v1/transfers/:id allowed ": 1}},
		{"receiver's HR", hrOther, map[string]int{"/api/v1/transfers/:id allowed ": 1}},
		{"HR administrator", hrAdmin, map[string]int{"/api/v1/breaches/:id allowed ": 1, "/api/v1/audit allowed ": 2}},
	} {
		if got := readsOf(tc.token); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s's reads:\n got %v\nwant %v", tc.reader, got, tc.want)
		}
	}
}
