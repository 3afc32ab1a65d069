package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	domoutage "github.com/hoso-ledger/hoso/domain/outage"
)

type outagesBody struct {
	Functions []struct {
		Function string `json:"function"`
		State    string `json:"state"`
	} `json:"functions"`
	Outages []struct {
		ID          string     `json:"id"`
		Function    string     `json:"function"`
		Start       time.Time  `json:"start"`
		End         *time.Time `json:"end"`
		Ongoing     bool       `json:"ongoing"`
		WorkingDays int        `json:"working_days"`
		Notified    bool       `json:"notified"`
		EndRecorded bool       `json:"end_recorded"`
	} `json:"outages"`
	Notices []struct {
		OutageID string `json:"outage_id"`
		Org      string `json:"org"`
	} `json:"notices"`
}

// TestOutages: the running service reports its functions; a month-old
// outage of the API (a process that stopped reporting, and nothing until
// this one started) is noticed after the fact, shown in the history, and
// its notice is an item of every active org, which a caller sees for the
// orgs in their scope only.
func TestOutages(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	unit := e.Org("Phòng Nội vụ quận Bình Tân", "000.09.02.B01", e.Root)
	hr := e.Session(e.Account("nhansu.outage", "", account.KindOrg, account.RoleHROfficer, unit))
	found := e.PastOutage(domoutage.FunctionAPI, 30*24*time.Hour)
	if len(found) != 1 || !found[0].Notified || !found[0].Ended {
		t.Fatalf("check: %+v", found)
	}

	r := e.Do(http.MethodGet, "/api/v1/outages", e.AdminToken, nil)
	var got outagesBody
	r.JSON(&got)
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	states := map[string]string{}
	for _, f := range got.Functions {
		states[f.Function] = f.State
	}
	if states["api"] != "up" || states["projections"] != "up" || states["sequencer"] != "up" {
		t.Errorf("functions: %+v", got.Functions)
	}
	if len(got.Outages) != 1 || got.Outages[0].ID != found[0].ID.String() || got.Outages[0].Ongoing || got.Outages[0].End == nil ||
		!got.Outages[0].Notified || !got.Outages[0].EndRecorded || got.Outages[0].WorkingDays < domoutage.NoticeAfter {
		t.Errorf("outages: %s", r.Body)
	}
	orgs := map[string]bool{}
	for _, n := range got.Notices {
		orgs[n.Org] = n.OutageID == found[0].ID.String()
	}
	if len(orgs) != 2 || !orgs[e.Root.String()] || !orgs[unit.String()] {
		t.Errorf("the administrator's notices: %+v, want the root's and the unit's", got.Notices)
	}

	var narrow outagesBody
	r = e.Do(http.MethodGet, "/api/v1/outages", hr, nil)
	r.JSON(&narrow)
	if r.Status != http.StatusOK || len(narrow.Notices) != 1 || narrow.Notices[0].Org != unit.String() || len(narrow.Outages) != 1 {
		t.Errorf("the unit's HR officer: %d %s", r.Status, r.Body)
	}
	r = e.Do(http.MethodGet, "/api/v1/outages?org="+e.Root.String(), hr, nil)
	if r.Status != http.StatusForbidden || r.Problem().Errors[0].Field != "query:org" {
		t.Errorf("an org outside the scope: %d %s", r.Status, r.Body)
	}
	r = e.Do(http.MethodGet, "/api/v1/outages?org=not-an-id", e.AdminToken, nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("a bad org: %d %s", r.Status, r.Body)
	}
	if r = e.Do(http.MethodGet, "/api/v1/outages", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", r.Status)
	}
}
