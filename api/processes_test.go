package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
)

// TestMergerRunsAsAProcess is the journey of a merger through the API: the
// request answers 202 at once with the process's address, the client polls
// it until done, and every dossier of the ended org moved exactly once. The
// process is visible to whoever sees the org, and to nobody else.
func TestMergerRunsAsAProcess(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	x := e.Org("Phòng Nội vụ huyện cũ", "000.07.01.P01", e.Root)
	y := e.Org("Phòng Nội vụ xã mới", "000.07.02.P02", e.Root)
	const n = 12
	var ids []domain.DossierID
	for i := range n {
		ids = append(ids, e.Dossier(x, fmt.Sprintf("Nguyễn Văn Chuyển %d", i)))
	}
	hrX := e.Session(e.Account("nhansu.x", "", account.KindOrg, account.RoleHROfficer, x))
	hrY := e.Session(e.Account("nhansu.y", "", account.KindOrg, account.RoleHROfficer, y))
	e.WaitCaughtUp()

	etag := e.Do(http.MethodGet, "/api/v1/orgs/"+x.String(), e.AdminToken, nil).Header.Get("ETag")
	// Effective tomorrow: the dossiers, opened today, are the ones the org
	// manages on its last day.
	tomorrow := domain.DateOf(time.Now()).AddDays(1).String()
	r := e.Do(http.MethodPost, "/api/v1/orgs/"+x.String()+"/merge", e.AdminToken,
		map[string]any{"successor": y, "effective_date": tomorrow, "source_document": amSource(7)}, "If-Match", etag)
	var ended struct {
		Process struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"process"`
	}
	r.JSON(&ended)
	if r.Status != http.StatusAccepted || r.Header.Get("Location") != "/api/v1/processes/"+ended.Process.ID || ended.Process.State != "running" {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}

	p := waitProcess(t, e, hrX, ended.Process.ID)
	if p.State != "done" || p.Total == nil || *p.Total != n || p.Moved != n || p.Failed != 0 || p.Pending != 0 || p.Decision != "merge" {
		t.Fatalf("the process: %+v; want done with %d moved", p, n)
	}
	if r := e.Do(http.MethodGet, "/api/v1/processes/"+ended.Process.ID, hrY, nil); r.Status != http.StatusNotFound {
		t.Errorf("the process seen by an HR officer of the successor only: %d %s, want 404", r.Status, r.Body)
	}
	for _, id := range ids {
		evs, err := e.Svc.Store.ReadStream(context.Background(), id.StreamID(), eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		moves := 0
		for _, ev := range evs {
			if ev.Type == dossier.TypeManagingOrgChanged {
				moves++
			}
		}
		if moves != 1 {
			t.Errorf("dossier %s was moved %d times, want once", id, moves)
		}
	}
}
