package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestGoLiveImportedHistory is the go-live of issue 14, through real HTTP
// on PostgreSQL: a deployment that starts on 1/12/2026 founds a provincial
// department on its historical date (1/4/2008), opens a civil servant's
// dossier whose career starts in 2010, and records that history as
// imported. The writes are accepted; the dossier's history and the audit
// trail show "imported" and the source; compliance (Phú Thọ 2021, which
// times the creation: 10 working days, art. 6.1) does not call a 2010
// creation sixteen years late: its rules took effect on 20/12/2021, so a
// 2010 creation owes them nothing and opens no item (an imported duty that
// started under them closes as "imported":
// projections/compliance TestImportedHistoryIsNotLate). What stays refused: anything effective
// before the org's (historical) founding, a founding before 2/9/1945, an
// imported fact dated after the day it is recorded, and an import by the
// person's own proposal.
func TestGoLiveImportedHistory(t *testing.T) {
	start := time.Now()
	goLive := time.Date(2026, 12, 1, 9, 0, 0, 0, domain.VietnamZone)
	env := apitest.Start(t, apitest.Options{Now: func() time.Time { return goLive.Add(time.Since(start)) },
		Config: service.Config{PolicyName: "phu-tho-2021",
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}})
	const source = "PMIS Sở Nội vụ, export of 30/11/2026"

	// The province's people's committee, founded in 1976 (imported, as
	// bootstrap-admin --founded-on would record it), and its administrator.
	province := domain.OrgID(uuid.Must(uuid.NewV7()))
	m := env.Meta()
	m.EffectiveDate, m.Source.Date, m.ImportedFrom = domain.MustDate(1976, 7, 2), domain.MustDate(1976, 7, 2), source
	if _, err := env.Svc.Deps.Orgs.Create(context.Background(), province, org.CreateOrg{Name: "UBND tỉnh Thử Nghiệm", Code: "UBND-TN",
		Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, m); err != nil {
		t.Fatalf("founding the province in 1976: %v", err)
	}
	env.Account("quantri.golive", "QuanTri@Golive2026", account.KindAdministrator, account.RoleAdmin, province)
	admin := env.Login("quantri.golive", "QuanTri@Golive2026")

	founding := func(eff, imported string) map[string]any {
		b := map[string]any{"name": "Sở Y tế tỉnh Thử Nghiệm", "code": "SYT-TN", "kind": "department", "level": "province",
			"parent": province, "effective_date": eff,
			"source_document": map[string]any{"kind": "decision", "number": "25/2008/QĐ-UBND", "date": eff, "issuer": "UBND tỉnh Thử Nghiệm"}}
		if imported != "" {
			b["imported_from"] = imported
		}
		return b
	}
	// A founding before 2/9/1945 is a typo, never history.
	wantProblem(t, env.Do(http.MethodPost, "/api/v1/orgs", admin, founding("1945-09-01", source)), http.StatusUnprocessableEntity, "/effective_date", "before_1945")
	// Imported history is not in the future.
	wantProblem(t, env.Do(http.MethodPost, "/api/v1/orgs", admin, founding("2026-12-02", source)), http.StatusUnprocessableEntity, "/imported_from", "imported_future")

	r := env.Do(http.MethodPost, "/api/v1/orgs", admin, founding("2008-04-01", source))
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /orgs founded 2008-04-01 = %d %s, want 201", r.Status, r.Body)
	}
	var dept struct {
		ID        domain.OrgID `json:"id"`
		CreatedOn string       `json:"created_on"`
	}
	r.JSON(&dept)
	if dept.CreatedOn != "2008-04-01" {
		t.Errorf("created_on = %s, want 2008-04-01", dept.CreatedOn)
	}
	env.Account("tccb.golive", "ToChuc@Golive2026", account.KindOrg, account.RoleHROfficer, dept.ID)
	hr := env.Login("tccb.golive", "ToChuc@Golive2026")

	create := func(eff string) *apitest.Response {
		return env.Do(http.MethodPost, "/api/v1/dossiers", hr, map[string]any{
			"class": "cong_chuc", "managing_org": dept.ID, "employing_unit": dept.ID, "personal_id_number": "001085012345",
			"identity": map[string]any{"birth_name": "NGUYỄN VĂN LỊCH SỬ", "gender": "male", "date_of_birth": "1985-04-12",
				"ethnicity": "01", "religion": "none"},
			"effective_date":  eff,
			"source_document": map[string]any{"kind": "decision", "number": "112/QĐ-SYT", "date": eff, "issuer": "Sở Y tế tỉnh Thử Nghiệm"},
			"imported_from":   source,
		})
	}
	// The invariant stays: the department did not exist on 1/1/2008, so
	// nothing it did can be effective then, imported or not.
	wantProblem(t, create("2008-01-01"), http.StatusUnprocessableEntity, "/managing_org", "not_active")

	r = create("2010-03-01")
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /dossiers effective 2010-03-01, imported = %d %s, want 201", r.Status, r.Body)
	}
	var d dossierView
	r.JSON(&d)
	etag := r.Header.Get("ETag")
	r = write(t, env, http.MethodPost, "/api/v1/dossiers/"+d.ID+"/rows", hr, etag, map[string]any{
		"row": map[string]any{"table": "work_history", "work_history": map[string]any{"from": "2010-03", "to": "2015-12",
			"org": "Sở Y tế tỉnh Thử Nghiệm", "title": "Chuyên viên"}},
		"effective_date":  "2010-03-01",
		"source_document": map[string]any{"kind": "decision", "number": "112/QĐ-SYT", "date": "2010-03-01", "issuer": "Sở Y tế tỉnh Thử Nghiệm"},
		"imported_from":   source,
	}, http.StatusCreated)

	// Importing history is HR's work: the person's own proposal may not
	// carry imported_from (403), and it writes nothing.
	env.SelfAccount("nguyen.lichsu", "LichSu@Golive2026", dept.ID, domain.DossierID(uuid.MustParse(d.ID)))
	self := env.Login("nguyen.lichsu", "LichSu@Golive2026")
	wantProblem(t, env.Do(http.MethodPost, "/api/v1/dossiers/"+d.ID+"/proposals", self, map[string]any{
		"kind": "change", "patch": map[string]any{"identity": map[string]any{"phone": "0912345678"}}, "imported_from": source,
	}, "If-Match", r.Header.Get("ETag")), http.StatusForbidden, "/imported_from", "import_role")

	// The history shows what was imported, and from where.
	var hist struct {
		Entries []struct {
			Type          string `json:"type"`
			EffectiveDate string `json:"effective_date"`
			Imported      bool   `json:"imported"`
			ImportedFrom  string `json:"imported_from"`
		} `json:"items"`
	}
	env.WaitCaughtUp()
	caughtUp(t, env)
	get(t, env, "/api/v1/dossiers/"+d.ID+"/history", hr, http.StatusOK, &hist)
	if len(hist.Entries) != 2 {
		t.Fatalf("history = %+v, want the creation and the row", hist.Entries)
	}
	for _, e := range hist.Entries {
		if !e.Imported || e.ImportedFrom != source || e.EffectiveDate != "2010-03-01" {
			t.Errorf("history entry %+v, want imported from %q effective 2010-03-01", e, source)
		}
	}
	var trail struct {
		Entries []struct {
			Type         string `json:"type"`
			Imported     bool   `json:"imported"`
			ImportedFrom string `json:"imported_from"`
		} `json:"items"`
	}
	// The entries carry the dossiers' data: the administrator states why.
	get(t, env, "/api/v1/audit?purpose=audit&purpose_ref=KTNN-01&org="+dept.ID.String(), admin, http.StatusOK, &trail)
	foundOrg := false
	for _, e := range trail.Entries {
		if e.Type == "org.created.v1" {
			foundOrg = e.Imported && e.ImportedFrom == source
		}
	}
	if !foundOrg {
		t.Errorf("audit trail of the department = %+v, want its founding marked imported from %q", trail.Entries, source)
	}

	// Compliance: the 2010 creation predates Phú Thọ 2021 (in force from
	// 20/12/2021): no item, nothing late, nothing overdue.
	var items struct {
		Items []struct {
			DossierID string `json:"dossier_id"`
			Action    string `json:"action"`
			Outcome   string `json:"outcome"`
			Late      bool   `json:"late"`
		} `json:"items"`
	}
	get(t, env, "/api/v1/compliance/items", hr, http.StatusOK, &items)
	created := false
	for _, it := range items.Items {
		if it.DossierID != d.ID {
			continue
		}
		if it.Late || it.Outcome != "imported" {
			t.Errorf("compliance item %+v of imported history, want outcome imported and not late", it)
		}
		created = created || it.Action == "create_dossier"
	}
	if created {
		t.Errorf("compliance items %+v, want no item for a creation before the rules took effect", items.Items)
	}
	var overdue struct {
		Items []struct {
			DossierID string `json:"dossier_id"`
		} `json:"items"`
	}
	get(t, env, "/api/v1/compliance/overdue?as_of=2026-12-31", hr, http.StatusOK, &overdue)
	for _, it := range overdue.Items {
		if it.DossierID == d.ID {
			t.Errorf("overdue lists the imported dossier %s", d.ID)
		}
	}
}

// wantProblem checks a problem+json answer names field with rule.
func wantProblem(t *testing.T, r *apitest.Response, status int, field, rule string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d %s, want %d", r.Status, r.Body, status)
	}
	var p struct {
		Errors []struct {
			Field string `json:"field"`
			Rule  string `json:"rule"`
		} `json:"errors"`
	}
	r.JSON(&p)
	for _, e := range p.Errors {
		if e.Field == field && e.Rule == rule {
			return
		}
	}
	t.Errorf("problem %s, want %s/%s", r.Body, field, rule)
}
