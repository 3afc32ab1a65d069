package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore/esdbtestserver"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/projections/orgs"
)

// backends are the event stores the whole service must run on. EventStoreDB
// is the protocol test server (eventstore/esdbstore/esdbtestserver): it
// speaks the part of EventStoreDB's gRPC protocol the adapter uses; it is not
// EventStoreDB, whose own behaviour only HOSO_TEST_ESDB_URL runs can show.
var backends = []struct {
	name  string
	store func(t *testing.T) service.Config
}{
	{"postgres", func(t *testing.T) service.Config { return service.Config{} }},
	{"postgres-async-read-log", func(t *testing.T) service.Config { return service.Config{AsyncReadLog: true} }},
	{"eventstoredb-protocol-server", func(t *testing.T) service.Config {
		srv := esdbtestserver.New(esdbtestserver.Options{})
		if err := srv.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		return service.Config{EventStoreURL: srv.URL() + "&maxDiscoverAttempts=100&discoveryInterval=20&gossipTimeout=1"}
	}},
}

// TestServiceRunsOnEachBackend starts the whole service (API, projections,
// Merkle sequencer) on each backend: the seed's writes reach the read
// models, the probes answer, and the ledger verifies.
func TestServiceRunsOnEachBackend(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			// The clock starts on 28/04/2025 (and runs), so the story's 2025
			// decisions come after the orgs' founding.
			start, base := time.Now(), time.Date(2025, 4, 28, 8, 0, 0, 0, domain.VietnamZone)
			env := apitest.Start(t, apitest.Options{Config: b.store(t), Now: func() time.Time { return base.Add(time.Since(start)) }})
			for _, path := range []string{"/healthz", "/readyz"} {
				if r := env.Do(http.MethodGet, path, "", nil); r.Status != http.StatusOK {
					t.Errorf("GET %s = %d %s", path, r.Status, r.Body)
				}
			}
			tree, err := orgs.Tree(context.Background(), env.Svc.Pool)
			if err != nil {
				t.Fatal(err)
			}
			if len(tree) != 1 || tree[0].ID != env.Root {
				t.Errorf("org read model = %+v, want the seeded root", tree)
			}
			me := env.Do(http.MethodGet, "/api/v1/me", env.AdminToken, nil)
			if me.Status != http.StatusOK {
				t.Errorf("GET /api/v1/me = %d %s", me.Status, me.Body)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			env.WaitCaughtUp()
			rep, err := verify.Verify(ctx, env.Svc.RawStore, verify.Options{Tree: env.Svc.Tree})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("verify: %+v", rep)
			}
			dossierLife(t, env)
		})
	}
}

// dossierLife creates, updates and transfers a dossier through HTTP as two
// HR officers would, and reads it back from the ledger and the read models.
func dossierLife(t *testing.T, env *apitest.Env) {
	orgA := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	orgB := env.Org("Sở Giáo dục và Đào tạo", "000.00.03.T01", env.Root)
	env.Account("tccb.soyte", "SoYTe@Test2026", account.KindOrg, account.RoleHROfficer, orgA)
	env.Account("tccb.sogddt", "SoGDDT@Test2026", account.KindOrg, account.RoleHROfficer, orgB)
	hrA, hrB := env.Login("tccb.soyte", "SoYTe@Test2026"), env.Login("tccb.sogddt", "SoGDDT@Test2026")
	decision := func(number string) map[string]any {
		return map[string]any{"kind": "decision", "number": number, "date": "2025-05-02", "issuer": "UBND tỉnh Thử Nghiệm"}
	}
	want := func(r *apitest.Response, status int, what string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s = %d %s, want %d", what, r.Status, r.Body, status)
		}
	}

	r := env.Do(http.MethodPost, "/api/v1/dossiers", hrA, map[string]any{
		"class": "cong_chuc", "managing_org": orgA, "employing_unit": orgA, "personal_id_number": "001085012345",
		"identity":       map[string]any{"birth_name": "Nguyễn Văn An", "gender": "male", "date_of_birth": "1985-04-12", "ethnicity": "01", "religion": "none"},
		"effective_date": "2025-05-01", "source_document": decision("12/QĐ-SYT"),
	})
	want(r, http.StatusCreated, "POST /dossiers")
	var created struct{ ID string }
	r.JSON(&created)
	path := "/api/v1/dossiers/" + created.ID

	r = env.Do(http.MethodPatch, path, hrA, map[string]any{
		"patch":          map[string]any{"position": map[string]any{"current": "Phó trưởng phòng", "appointed_on": "2025-06-01"}},
		"effective_date": "2025-06-01", "source_document": decision("45/QĐ-SYT"),
	}, "If-Match", r.Header.Get("ETag"))
	want(r, http.StatusOK, "PATCH "+path)

	r = env.Do(http.MethodPost, path+"/transfers", hrA, map[string]any{
		"kind": "between_orgs", "target_org": orgB, "effective_date": "2025-06-20", "source_document": decision("77/QĐ-UBND"),
	}, "If-Match", r.Header.Get("ETag"))
	want(r, http.StatusCreated, "POST transfers")
	var tr struct{ ID, State string }
	r.JSON(&tr)
	r = env.Do(http.MethodGet, "/api/v1/transfers/"+tr.ID, hrB, nil)
	want(r, http.StatusOK, "GET transfer")
	r = env.Do(http.MethodPost, "/api/v1/transfers/"+tr.ID+"/receive", hrB, map[string]any{
		"effective_date": "2025-06-25", "source_document": decision("80/QĐ-SGDĐT"),
	}, "If-Match", r.Header.Get("ETag"))
	want(r, http.StatusOK, "receive")

	var got struct {
		ManagingOrg string `json:"managing_org"`
		Version     int    `json:"version"`
		Document    struct {
			Position struct{ Current string } `json:"position"`
		} `json:"document"`
	}
	r = env.Do(http.MethodGet, path, hrB, nil)
	want(r, http.StatusOK, "GET "+path)
	r.JSON(&got)
	if got.ManagingOrg != orgB.String() || got.Document.Position.Current != "Phó trưởng phòng" || got.Version != 4 {
		t.Errorf("after transfer: %+v", got)
	}
	want(env.Do(http.MethodGet, path, hrA, nil), http.StatusNotFound, "GET by the old org")
	// Both reads are in the read log, the refusal too, whatever its commit mode.
	var allowed, refused int
	if err := env.Svc.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE outcome = 'allowed'), count(*) FILTER (WHERE outcome = 'refused')
  FROM dossier_reads WHERE dossier_id = $1`, created.ID).Scan(&allowed, &refused); err != nil || allowed < 1 || refused != 1 {
		t.Errorf("read log: %d allowed, %d refused reads (%v); want the GETs above", allowed, refused, err)
	}

	// The read models follow the same ledger.
	env.WaitCaughtUp()
	var page struct {
		Items []struct{ ID, FullName string }
	}
	r = env.Do(http.MethodGet, "/api/v1/dossiers?q=nguyen+van+an", hrB, nil)
	want(r, http.StatusOK, "search")
	r.JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID != created.ID {
		t.Errorf("search by the new org = %+v", page)
	}
	var hist struct {
		Items []struct {
			Type           string
			SourceDocument struct{ Number string } `json:"source_document"`
		}
	}
	r = env.Do(http.MethodGet, path+"/history", hrB, nil)
	want(r, http.StatusOK, "history")
	r.JSON(&hist)
	if len(hist.Items) != 4 || hist.Items[3].SourceDocument.Number != "80/QĐ-SGDĐT" {
		t.Errorf("history = %+v", hist.Items)
	}
}

// TestProductionPasswordCost: a service configured without a password
// cost hashes at the production one, whatever apitest gives its services.
func TestProductionPasswordCost(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	svc, err := service.Open(context.Background(), service.Config{Pool: pool, Listen: "127.0.0.1:0",
		PersonalIDKey: apitest.PersonalIDKey, KEK: apitest.KEK, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	h, err := svc.Deps.Auth.HashPassword("mật khẩu đủ dài 123")
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; err != nil || !strings.HasPrefix(h, want) {
		t.Errorf("HashPassword = %q, %v; want a hash with prefix %q", h, err, want)
	}
	e := apitest.Start(t)
	h, err = e.Svc.Deps.Auth.HashPassword("mật khẩu đủ dài 123")
	if want := "$argon2id$v=19$m=64,t=1,p=1$"; err != nil || !strings.HasPrefix(h, want) {
		t.Errorf("apitest's HashPassword = %q, %v; want a hash with prefix %q", h, err, want)
	}
}
