package api_test

import (
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestArrivalFromOutsideProvince: TG 10.1a through real HTTP on
// PostgreSQL. HR of the receiving org creates the dossier of a person
// received from outside the province (arrived_from_outside_province) on
// Tuesday 3/3/2026; compliance shows the org's open request for the
// national-database sync, due Tuesday 17/3 (10 working days), overdue
// from 18/3. The same person without the mark is an ordinary recruitment:
// no such item.
func TestArrivalFromOutsideProvince(t *testing.T) {
	start := time.Now()
	today := time.Date(2026, 3, 3, 9, 0, 0, 0, domain.VietnamZone)
	env := apitest.Start(t, apitest.Options{Now: func() time.Time { return today.Add(time.Since(start)) },
		Config: service.Config{PolicyName: "tien-giang-2025",
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}})
	org := env.Org("Sở Tư pháp tỉnh Thử Nghiệm", "STP-TN", domain.OrgID{})
	env.Account("tccb.arrival", "ToChuc@Arrival2026", account.KindOrg, account.RoleHROfficer, org)
	hr := env.Login("tccb.arrival", "ToChuc@Arrival2026")

	create := func(pid string, arrived bool) string {
		r := env.Do(http.MethodPost, "/api/v1/dossiers", hr, map[string]any{
			"class": "cong_chuc", "managing_org": org, "employing_unit": org, "personal_id_number": pid,
			"identity": map[string]any{"birth_name": "NGUYỄN VĂN ĐẾN", "gender": "male", "date_of_birth": "1985-04-12",
				"ethnicity": "01", "religion": "none"},
			"arrived_from_outside_province": arrived,
			"effective_date":                "2026-03-03",
			"source_document":               map[string]any{"kind": "decision", "number": "31/QĐ-STP", "date": "2026-03-03", "issuer": "Sở Tư pháp"},
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /dossiers arrived=%v = %d %s, want 201", arrived, r.Status, r.Body)
		}
		var d dossierView
		r.JSON(&d)
		return d.ID
	}
	arrived := create("001085012345", true)
	local := create("001085012346", false)
	env.WaitCaughtUp()

	var items struct {
		Items []struct {
			DossierID string `json:"dossier_id"`
			Action    string `json:"action"`
			Outcome   string `json:"outcome"`
			Due       string `json:"due"`
			Org       string `json:"org"`
		} `json:"items"`
	}
	get(t, env, "/api/v1/compliance/items", hr, http.StatusOK, &items)
	found := false
	for _, it := range items.Items {
		if it.Action != "transfer_in_from_outside" {
			continue
		}
		if it.DossierID != arrived || it.Outcome != "open" || it.Due != "2026-03-17" || it.Org != org.String() {
			t.Errorf("TG 10.1a item %+v, want dossier %s open, due 2026-03-17, org %s", it, arrived, org)
		}
		found = true
	}
	if !found {
		t.Errorf("TG 10.1a: no transfer_in_from_outside item among %+v", items.Items)
	}
	overdueOn := func(asOf string) []string {
		var overdue struct {
			Items []struct {
				DossierID string `json:"dossier_id"`
				Action    string `json:"action"`
			} `json:"items"`
		}
		get(t, env, "/api/v1/compliance/overdue?as_of="+asOf, hr, http.StatusOK, &overdue)
		var out []string
		for _, it := range overdue.Items {
			if it.Action == "transfer_in_from_outside" {
				out = append(out, it.DossierID)
			}
		}
		return out
	}
	if got := overdueOn("2026-03-17"); len(got) != 0 {
		t.Errorf("overdue on the due date 17/3: %v", got)
	}
	if got := overdueOn("2026-03-18"); len(got) != 1 || got[0] != arrived {
		t.Errorf("overdue on 18/3 = %v, want only %s (not the local recruitment %s)", got, arrived, local)
	}
}
