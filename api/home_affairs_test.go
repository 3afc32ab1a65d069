package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
)

// TestDesignateHomeAffairs: an administrator records the province's
// decision naming its Department of Home Affairs (Sở Nội vụ), the one org
// that approves the month at level 2 (Tiền Giang art. 11.3, 12); the org
// and the tree show it, and an org outside the administrator's province is
// refused with nothing written (domain/org's tests refuse one outside the
// province whoever asks).
func TestDesignateHomeAffairs(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	doh := env.Org("Sở Nội vụ tỉnh Thử Nghiệm", "000.00.09.T01", env.Root)
	other := domain.OrgID(uuid.Must(uuid.NewV7()))
	if _, err := env.Svc.Deps.Orgs.Create(context.Background(), other, org.CreateOrg{Name: "UBND tỉnh Khác", Code: "H99",
		Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, env.Meta()); err != nil {
		t.Fatal(err)
	}
	env.WaitCaughtUp()
	path := "/api/v1/orgs/" + env.Root.String() + "/home-affairs"
	body := func(d domain.OrgID) map[string]any {
		return map[string]any{"home_affairs": d, "source_document": decision("05/QĐ-UBND")}
	}

	before := eventCount(t, env)
	p := write(t, env, http.MethodPost, path, env.AdminToken, `"1"`, body(other), http.StatusUnprocessableEntity).Problem()
	if p.Code != "validation_failed" || len(p.Errors) != 1 || p.Errors[0].Field != "/home_affairs" || p.Errors[0].Rule != "unknown" {
		t.Errorf("designating another province's org: %+v", p)
	}
	if after := eventCount(t, env); after != before {
		t.Errorf("the refused designation appended %d events", after-before)
	}

	var v struct {
		HomeAffairs string `json:"home_affairs"`
		History     []struct {
			From        string `json:"from"`
			HomeAffairs string `json:"home_affairs"`
		} `json:"home_affairs_history"`
	}
	write(t, env, http.MethodPost, path, env.AdminToken, `"1"`, body(doh), http.StatusOK).JSON(&v)
	if v.HomeAffairs != doh.String() || len(v.History) != 1 {
		t.Errorf("the province after the designation: %+v", v)
	}
	env.WaitCaughtUp()
	var list struct {
		Orgs []struct {
			ID          string `json:"id"`
			HomeAffairs string `json:"home_affairs"`
		} `json:"orgs"`
	}
	get(t, env, "/api/v1/orgs", env.AdminToken, http.StatusOK, &list)
	for _, o := range list.Orgs {
		if want := map[bool]string{true: doh.String()}[o.ID == env.Root.String()]; o.HomeAffairs != want {
			t.Errorf("org %s in the tree: home_affairs %q, want %q", o.ID, o.HomeAffairs, want)
		}
	}
}
