package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

type breachBody struct {
	ID         string    `json:"id"`
	What       string    `json:"what"`
	DetectedAt time.Time `json:"detected_at"`
	Dossiers   []string  `json:"dossiers"`
	Orgs       []string  `json:"orgs"`
	Deadlines  []struct {
		To  string    `json:"to"`
		Due time.Time `json:"due"`
	} `json:"deadlines"`
	People []struct {
		Dossier     string `json:"dossier_id"`
		FullName    string `json:"full_name"`
		ManagingOrg string `json:"managing_org"`
	} `json:"affected_people"`
	AffectedOrgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"affected_orgs"`
}

// TestBreachRecordAndRead: an administrator records a breach naming two
// dossiers; the record lists the managing org among the orgs concerned,
// the 72-hour deadlines, and, to an inspector, the people by name.
func TestBreachRecordAndRead(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	unit := e.Org("Phòng Giáo dục huyện", "000.09.01.B01", e.Root)
	d1 := e.Dossier(unit, "Trần Thị Bích")
	d2 := e.Dossier(unit, "Lê Văn Cường")
	inspector := e.Session(e.Account("thanhtra.b", "", account.KindOrg, account.RoleInspector, e.Root))
	hr := e.Session(e.Account("nhansu.b", "", account.KindOrg, account.RoleHROfficer, unit))
	e.WaitCaughtUp()

	detected := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	r := e.Do(http.MethodPost, "/api/v1/breaches", e.AdminToken, map[string]any{
		"what": "Máy tính xách tay chứa bản sao hồ sơ bị mất", "detected_at": detected.Format(time.RFC3339),
		"dossiers": []string{d1.String(), d2.String()}})
	var got breachBody
	r.JSON(&got)
	if r.Status != http.StatusCreated || r.Header.Get("Location") != "/api/v1/breaches/"+got.ID {
		t.Fatalf("record: %d %s", r.Status, r.Body)
	}
	if !slices.Contains(got.Orgs, unit.String()) || len(got.Dossiers) != 2 || len(got.Deadlines) != 2 {
		t.Errorf("record: %s", r.Body)
	}
	for _, d := range got.Deadlines {
		if !d.Due.Equal(detected.Add(72 * time.Hour)) {
			t.Errorf("deadline to %s due %s, want 72 h after %s", d.To, d.Due, detected)
		}
	}

	// Naming the people is a read of their dossiers: the inspector states
	// why (api/purpose_gaps_test.go tests the gate).
	r = e.Do(http.MethodGet, "/api/v1/breaches/"+got.ID, inspector, nil, "Hoso-Purpose", `inspection; ref="18/QĐ-TTr"`)
	var one breachBody
	r.JSON(&one)
	if r.Status != http.StatusOK || len(one.People) != 2 || len(one.AffectedOrgs) != 1 || one.AffectedOrgs[0].Name != "Phòng Giáo dục huyện" {
		t.Fatalf("inspector reads: %d %s", r.Status, r.Body)
	}
	names := []string{one.People[0].FullName, one.People[1].FullName}
	slices.Sort(names)
	if strings.Join(names, ",") != "Lê Văn Cường,Trần Thị Bích" {
		t.Errorf("affected people: %v", names)
	}
	r = e.Do(http.MethodGet, "/api/v1/breaches", inspector, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), got.ID) {
		t.Errorf("inspector lists: %d %s", r.Status, r.Body)
	}
	// An HR officer is neither administrator nor inspector.
	if r := e.Do(http.MethodGet, "/api/v1/breaches/"+got.ID, hr, nil); r.Status != http.StatusNotFound {
		t.Errorf("HR officer reads: %d, want 404", r.Status)
	}
	if r := e.Do(http.MethodPost, "/api/v1/breaches", hr, map[string]any{"what": "x", "detected_at": detected.Format(time.RFC3339), "orgs": []string{unit.String()}}); r.Status != http.StatusForbidden {
		t.Errorf("HR officer records: %d, want 403", r.Status)
	}
}

// TestBreachBadInput: every bad field is named and nothing is appended.
func TestBreachBadInput(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	e.WaitCaughtUp()
	future := time.Now().Add(48 * time.Hour).Format(time.RFC3339)
	cases := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"empty", map[string]any{}, []string{"/what", "/detected_at", "/dossiers"}},
		{"bad time", map[string]any{"what": "lộ dữ liệu", "detected_at": "07/12/2026", "orgs": []string{e.Root.String()}}, []string{"/detected_at"}},
		{"future", map[string]any{"what": "lộ dữ liệu", "detected_at": future, "orgs": []string{e.Root.String()}}, []string{"/detected_at"}},
		{"bad ids", map[string]any{"what": "lộ dữ liệu", "detected_at": "2026-12-01T08:00:00+07:00", "orgs": []string{"x"}, "dossiers": []string{"00000000-0000-7000-8000-000000000001"}}, []string{"/orgs/0", "/dossiers/0"}},
		{"10,000 characters", map[string]any{"what": strings.Repeat("Ư", 10000), "detected_at": "2026-12-01T08:00:00+07:00", "orgs": []string{e.Root.String()}}, []string{"/what"}},
		{"control characters", map[string]any{"what": "lộ\u0000", "detected_at": "2026-12-01T08:00:00+07:00", "orgs": []string{e.Root.String()}}, []string{"/what"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.EventCount()
			r := e.Do(http.MethodPost, "/api/v1/breaches", e.AdminToken, c.body)
			var p apitest.Problem
			r.JSON(&p)
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			if r.Status != http.StatusUnprocessableEntity || p.Code != "validation_failed" || !containsAll(fields, c.fields) {
				t.Errorf("%d %s, want 422 naming %v", r.Status, r.Body, c.fields)
			}
			if after := e.EventCount(); after != before {
				t.Errorf("%d events appended by a refused request", after-before)
			}
		})
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
