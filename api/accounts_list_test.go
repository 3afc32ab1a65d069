package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

type accountLines struct {
	Items []struct {
		ID          string   `json:"id"`
		Username    string   `json:"username"`
		DisplayName string   `json:"display_name"`
		Status      string   `json:"status"`
		HomeOrg     string   `json:"home_org"`
		Roles       []string `json:"roles"`
		Version     uint64   `json:"version"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (l accountLines) usernames() []string {
	out := []string{}
	for _, it := range l.Items {
		out = append(out, it.Username)
	}
	return out
}

// TestAccountList: GET /accounts lists the caller's administration and
// nothing else, with its filters, paging and refusals.
func TestAccountList(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, apitest.Options{})
	orgA := e.Org("Sở Tư pháp", "STP", e.Root)
	orgA1 := e.Org("Phòng Hành chính Tư pháp", "STP-HC", orgA)
	orgB := e.Org("Sở Y tế", "SYT", e.Root)
	adminA := e.Account("qt.tuphap", "", account.KindOrg, account.RoleAdmin, orgA)
	e.Account("qt.yte", "", account.KindOrg, account.RoleAdmin, orgB)
	hrB := e.Account("canbo.yte", "", account.KindOrg, account.RoleHROfficer, orgB)
	hrA1 := e.Account("canbo.hanhchinh", "", account.KindOrg, account.RoleHROfficer, orgA1)
	e.Account("pheduyet.tuphap", "", account.KindOrg, account.RoleApprover, orgA)
	tokA, tokHR := e.Session(adminA), e.Session(hrB)

	// Through the API, as an administrator would: a named person, one
	// account restricted and one closed. The list shows them at once.
	nguyen, _ := amCreate(t, e, tokA, map[string]any{"kind": "org", "username": "nguyen.an", "display_name": "Nguyễn Văn Ân",
		"home_org": orgA1.String(), "source_document": amSource(1)})
	closed, closedTag := amCreate(t, e, tokA, map[string]any{"kind": "org", "username": "nghi.huu", "display_name": "Đỗ Thị Hưu",
		"home_org": orgA.String(), "source_document": amSource(2)})
	if r := e.Do(http.MethodPost, "/api/v1/accounts/"+closed+"/close", tokA, map[string]any{"reason": "nghỉ hưu", "source_document": amSource(3)},
		"If-Match", closedTag); r.Status != http.StatusOK {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	tag := e.Do(http.MethodGet, "/api/v1/accounts/"+hrA1.String(), tokA, nil).Header.Get("ETag")
	if r := e.Do(http.MethodPost, "/api/v1/accounts/"+hrA1.String()+"/restrict", tokA, map[string]any{"reason": "tạm dừng", "source_document": amSource(4)},
		"If-Match", tag); r.Status != http.StatusOK {
		t.Fatalf("restrict: %d %s", r.Status, r.Body)
	}

	inA := []string{"canbo.hanhchinh", "nghi.huu", "nguyen.an", "pheduyet.tuphap", "qt.tuphap"}
	for _, tc := range []struct {
		name, query, token string
		want               []string
	}{
		{"the administrator of A: A and its subtree only", "", tokA, inA},
		{"an org of the subtree", "?org=" + orgA1.String(), tokA, []string{"canbo.hanhchinh", "nguyen.an"}},
		{"without diacritics", "?q=" + url.QueryEscape("nguyen van an"), tokA, []string{"nguyen.an"}},
		{"with diacritics and capitals", "?q=" + url.QueryEscape("VĂN ÂN"), tokA, []string{"nguyen.an"}},
		{"an account of B searched by name stays invisible", "?q=yte", tokA, []string{}},
		{"a role in force", "?role=approver", tokA, []string{"pheduyet.tuphap"}},
		{"two roles", "?role=approver,admin", tokA, []string{"pheduyet.tuphap", "qt.tuphap"}},
		{"restricted", "?state=restricted", tokA, []string{"canbo.hanhchinh"}},
		{"closed and restricted", "?state=closed&state=restricted", tokA, []string{"canbo.hanhchinh", "nghi.huu"}},
		{"filters together", "?state=active&org=" + orgA.String() + "&q=tu", tokA, []string{"pheduyet.tuphap", "qt.tuphap"}},
		{"an HR officer administers nobody", "", tokHR, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(http.MethodGet, "/api/v1/accounts"+tc.query, tc.token, nil)
			var got accountLines
			r.JSON(&got)
			if r.Status != http.StatusOK || !slices.Equal(got.usernames(), tc.want) || got.NextCursor != "" {
				t.Errorf("GET /accounts%s = %d %v (next %q), want %v", tc.query, r.Status, got.usernames(), got.NextCursor, tc.want)
			}
		})
	}

	t.Run("the root administrator sees both subtrees", func(t *testing.T) {
		var got accountLines
		e.Do(http.MethodGet, "/api/v1/accounts?limit=500", e.AdminToken, nil).JSON(&got)
		for _, u := range []string{"qt.yte", "canbo.yte", "nguyen.an"} {
			if !slices.Contains(got.usernames(), u) {
				t.Errorf("root list %v lacks %s", got.usernames(), u)
			}
		}
	})

	t.Run("a line", func(t *testing.T) {
		var got accountLines
		e.Do(http.MethodGet, "/api/v1/accounts?q=nguyen", tokA, nil).JSON(&got)
		if len(got.Items) != 1 {
			t.Fatalf("items = %v", got.usernames())
		}
		it := got.Items[0]
		if it.ID != nguyen || it.DisplayName != "Nguyễn Văn Ân" || it.Status != "active" || it.HomeOrg != orgA1.String() ||
			len(it.Roles) != 0 || it.Version != 1 {
			t.Errorf("line = %+v", it)
		}
		var admin accountLines
		e.Do(http.MethodGet, "/api/v1/accounts?q=qt.tuphap", tokA, nil).JSON(&admin)
		if len(admin.Items) != 1 || !slices.Equal(admin.Items[0].Roles, []string{"admin"}) {
			t.Errorf("the administrator's line = %+v", admin.Items)
		}
	})

	t.Run("pages", func(t *testing.T) {
		var all []string
		path := "/api/v1/accounts?limit=2"
		for range 10 {
			var page accountLines
			r := e.Do(http.MethodGet, path, tokA, nil)
			r.JSON(&page)
			if r.Status != http.StatusOK || len(page.Items) > 2 {
				t.Fatalf("GET %s = %d %s", path, r.Status, r.Body)
			}
			all = append(all, page.usernames()...)
			if page.NextCursor == "" {
				break
			}
			path = "/api/v1/accounts?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
		}
		if !slices.Equal(all, inA) {
			t.Errorf("pages = %v, want %v", all, inA)
		}
	})

	for _, tc := range []struct {
		name, query, token string
		status             int
		code, field        string
	}{
		{"an org outside the scope", "?org=" + orgB.String(), tokA, 403, "forbidden", "query:org"},
		{"an unknown role", "?role=boss", tokA, 400, "bad_parameter", "query:role"},
		{"an unknown state", "?state=deleted", tokA, 400, "bad_parameter", "query:state"},
		{"a cursor not ours", "?cursor=abc", tokA, 400, "bad_parameter", "query:cursor"},
		{"a text too long", "?q=" + strings.Repeat("ă", 101), tokA, 400, "bad_parameter", "query:q"},
		{"an org that is not a UUID", "?org=x", tokA, 400, "bad_parameter", "query:org"},
		{"a limit too high", "?limit=501", tokA, 400, "bad_parameter", "query:limit"},
		{"a parameter the list does not take", "?status=active", tokA, 400, "bad_parameter", "query:status"},
		// The hostile texts that FuzzSearchText (projections/accounts) leaves
		// to this check: refused before any query.
		{"a NUL in the text", "?q=an%00nguyen", tokA, 400, "bad_parameter", "query:q"},
		{"a control character in the text", "?q=an%0Anguyen", tokA, 400, "bad_parameter", "query:q"},
		{"invalid UTF-8 in the text", "?q=%FF%FE", tokA, 400, "bad_parameter", "query:q"},
		{"the text given twice", "?q=an&q=binh", tokA, 400, "bad_parameter", "query:q"},
		{"no session", "", "", 401, "unauthenticated", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(http.MethodGet, "/api/v1/accounts"+tc.query, tc.token, nil)
			p := r.Problem()
			if r.Status != tc.status || p.Code != tc.code || (tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field)) {
				t.Errorf("GET /accounts%s = %d %s, want %d %s %s", tc.query, r.Status, r.Body, tc.status, tc.code, tc.field)
			}
		})
	}
}
