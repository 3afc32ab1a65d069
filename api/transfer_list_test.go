package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// TestTransferList: GET /transfers is each org's inbox and out-tray, over
// the transfers read model. An org sees the transfers it sent and those it
// receives, never another pair of orgs' transfers; the state answered is
// the ledger's; bad parameters are 400 naming the parameter and change
// nothing; a listed transfer is a read of its dossier in the read log.
func TestTransferList(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	orgA := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	orgB := env.Org("Sở Giáo dục và Đào tạo", "000.00.03.T01", env.Root)
	orgC := env.Org("Sở Tài chính", "000.00.04.T01", env.Root)
	env.WaitCaughtUp()
	hrA := env.Session(env.Account("tccb.a", "", account.KindOrg, account.RoleHROfficer, orgA))
	hrB := env.Session(env.Account("tccb.b", "", account.KindOrg, account.RoleHROfficer, orgB))
	hrCID := env.Account("tccb.c", "", account.KindOrg, account.RoleHROfficer, orgC)
	hrC := env.Session(hrCID)
	auditor := env.Session(env.Account("kiem.toan", "", account.KindOrg, account.RoleAuditor, env.Root))

	send := func(token string, from, to domain.OrgID, name string) string {
		id := env.Dossier(from, name)
		var v struct {
			ID string `json:"id"`
		}
		write(t, env, http.MethodPost, "/api/v1/dossiers/"+id.String()+"/transfers", token, `"1"`, map[string]any{
			"kind": "between_orgs", "target_org": to, "source_document": decision("21/QĐ"),
		}, http.StatusCreated).JSON(&v)
		return v.ID
	}
	x := send(hrA, orgA, orgB, "Nguyễn Văn Xuân")
	y := send(hrA, orgA, orgB, "Trần Thị Yến")
	write(t, env, http.MethodPost, "/api/v1/transfers/"+y+"/reject", hrB, `"2"`,
		map[string]any{"reason": "Không còn chỉ tiêu biên chế"}, http.StatusOK)
	z := send(hrA, orgA, orgC, "Lê Văn Giang")
	w := send(hrC, orgC, orgA, "Phạm Thị Vân")

	type list struct {
		Items []struct {
			ID       string `json:"id"`
			State    string `json:"state"`
			FullName string `json:"full_name"`
			FromOrg  string `json:"from_org"`
			Dossier  string `json:"dossier_id"`
			FromName string `json:"from_org_name"`
		} `json:"items"`
		Next string `json:"next_cursor"`
	}
	ids := func(l list) []string {
		out := []string{}
		for _, it := range l.Items {
			out = append(out, it.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name, token, query string
		want               []string // newest first
	}{
		{"B's inbox", hrB, "direction=incoming", []string{y, x}},
		{"B's pending inbox", hrB, "direction=incoming&state=pending", []string{x}},
		{"B's rejected", hrB, "state=rejected", []string{y}},
		{"B sent nothing", hrB, "direction=outgoing", []string{}},
		{"A's out-tray", hrA, "direction=outgoing", []string{z, y, x}},
		{"A's pending, two states at once", hrA, "direction=outgoing&state=pending,cancelled", []string{z, x}},
		{"A's inbox", hrA, "direction=incoming", []string{w}},
		{"A, both ways", hrA, "", []string{w, z, y, x}},
		{"C sees its own, not A's to B", hrC, "", []string{w, z}},
		{"B filtered to its own org", hrB, "org=" + orgB.String(), []string{y, x}},
		{"an auditor reads no dossier: nothing", auditor, "", []string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l list
			get(t, env, "/api/v1/transfers?"+tt.query, tt.token, http.StatusOK, &l)
			if got := ids(l); !slices.Equal(got, tt.want) {
				t.Errorf("GET /transfers?%s = %v, want %v", tt.query, got, tt.want)
			}
		})
	}

	t.Run("the answer is the transfer as GET /transfers/{id} has it", func(t *testing.T) {
		var l list
		get(t, env, "/api/v1/transfers?direction=incoming", hrB, http.StatusOK, &l)
		if len(l.Items) != 2 || l.Items[0].State != "rejected" || l.Items[1].FullName != "Nguyễn Văn Xuân" || l.Items[1].FromOrg != orgA.String() || l.Items[1].FromName != "Sở Y tế" {
			t.Errorf("B's inbox: %+v", l.Items)
		}
	})

	t.Run("cursor paging", func(t *testing.T) {
		var p1, p2 list
		get(t, env, "/api/v1/transfers?direction=outgoing&limit=2", hrA, http.StatusOK, &p1)
		if !slices.Equal(ids(p1), []string{z, y}) || p1.Next == "" {
			t.Fatalf("page 1: %v next %q", ids(p1), p1.Next)
		}
		get(t, env, "/api/v1/transfers?direction=outgoing&limit=2&cursor="+url.QueryEscape(p1.Next), hrA, http.StatusOK, &p2)
		if !slices.Equal(ids(p2), []string{x}) || p2.Next != "" {
			t.Errorf("page 2: %v next %q", ids(p2), p2.Next)
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, tt := range []struct {
			name, query, token string
			status             int
			field, rule        string
		}{
			{"direction", "direction=sideways", hrA, 400, "query:direction", "enum"},
			{"state", "state=done", hrA, 400, "query:state", "enum"},
			{"one bad state among good", "state=pending,xong", hrA, 400, "query:state", "enum"},
			{"cursor", "cursor=not-a-cursor", hrA, 400, "query:cursor", "invalid"},
			{"cursor with SQL", "cursor=" + url.QueryEscape("' OR 1=1 --"), hrA, 400, "query:cursor", "invalid"},
			{"limit zero", "limit=0", hrA, 400, "query:limit", "range"},
			{"limit too big", "limit=100000", hrA, 400, "query:limit", "range"},
			{"org not a uuid", "org=abc", hrA, 400, "query:org", ""},
			{"another org", "org=" + orgA.String(), hrB, 403, "query:org", "scope"},
			{"an unknown parameter", "q=x", hrA, 400, "query:q", ""},
			{"direction twice", "direction=incoming&direction=outgoing", hrA, 400, "query:direction", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := eventCount(t, env)
				r := env.Do(http.MethodGet, "/api/v1/transfers?"+tt.query, tt.token, nil)
				if r.Status != tt.status {
					t.Fatalf("GET /transfers?%s = %d %s, want %d", tt.query, r.Status, r.Body, tt.status)
				}
				p := r.Problem()
				if len(p.Errors) == 0 || p.Errors[0].Field != tt.field || tt.rule != "" && p.Errors[0].Rule != tt.rule {
					t.Errorf("GET /transfers?%s: %+v, want %s (%s)", tt.query, p, tt.field, tt.rule)
				}
				if after := eventCount(t, env); after != before {
					t.Errorf("a refused list appended %d events", after-before)
				}
			})
		}
		if r := env.Do(http.MethodGet, "/api/v1/transfers", "", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("without a session: %d", r.Status)
		}
	})

	t.Run("listed transfers are reads of their dossiers", func(t *testing.T) {
		var l list
		get(t, env, "/api/v1/transfers?direction=incoming", hrC, http.StatusOK, &l)
		if len(l.Items) != 1 || l.Items[0].ID != z {
			t.Fatalf("C's inbox: %+v", l.Items)
		}
		var reads struct {
			Items []struct {
				Dossier string `json:"dossier_id"`
				Route   string `json:"route"`
				Outcome string `json:"outcome"`
			} `json:"items"`
		}
		get(t, env, "/api/v1/audit/reads?limit=200&account="+hrCID.String(), auditor, http.StatusOK, &reads)
		found := false
		for _, r := range reads.Items {
			found = found || r.Dossier == l.Items[0].Dossier && r.Route == "/api/v1/transfers" && r.Outcome == "allowed"
		}
		if !found {
			t.Errorf("the read log of tccb.c has no read of %s through the list: %+v", l.Items[0].Dossier, reads.Items)
		}
	})
}

// FuzzTransferListQuery: whatever the query string, GET /transfers over
// real HTTP answers 200 or a problem (400 naming a query parameter, 403
// for an org out of scope), never a 5xx, and appends nothing.
func FuzzTransferListQuery(f *testing.F) {
	env := apitest.Start(f)
	org := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	env.WaitCaughtUp()
	token := env.Session(env.Account("tccb.fuzz", "", account.KindOrg, account.RoleHROfficer, org))
	for _, s := range []string{
		"", "direction=incoming", "direction=outgoing&state=pending", "state=pending,received,rejected,cancelled",
		"direction=%00", "state=%FF", "cursor=0000000000000001-0000000000000000", "cursor=zzzz", "cursor=%27%20OR%201%3D1",
		"limit=-1", "limit=1e9", "org=" + org.String(), "org=00000000-0000-0000-0000-000000000000", "org=,,,", "q=x", "=&&=",
	} {
		f.Add(s)
	}
	before := env.EventCount()
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(env.URL + "/api/v1/transfers")
		if err != nil {
			t.Fatal(err)
		}
		if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return // not a request line: net/http's server refuses it before any handler
		}
		u.RawQuery = raw
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return // not a request a client can send
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET /transfers?%s: %v", raw, err)
		}
		_ = resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusForbidden:
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("GET /transfers?%s: %d as %s, want problem+json", raw, resp.StatusCode, ct)
			}
		default:
			t.Errorf("GET /transfers?%s: %d", raw, resp.StatusCode)
		}
		if n, err := env.Svc.EventCount(context.Background()); err != nil || int(n) != before {
			t.Fatalf("GET /transfers?%s: %d events after %d (%v)", raw, n, before, err)
		}
	})
}
