package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// The administrator creates an org and an account in it, grants a role
// and hands out a one-time password; the holder must change it first.
func TestPagesAdmin(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := newClient(t, e.URL)
	admin.login("quantri", "QuanTri@Test2026")
	if p := admin.get("/admin"); p.Status != http.StatusOK || !strings.Contains(p.Body, "Sở Nội vụ tỉnh Thử Nghiệm") {
		t.Fatalf("admin page: %d\n%s", p.Status, p.Body)
	}
	doc := url.Values{"document_kind": {"decision"}, "document_number": {"12/QĐ-UBND"}, "document_date": {"2026-12-01"}, "document_issuer": {"UBND tỉnh"}}
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range doc {
			v[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	if p := admin.post("/admin/orgs", form("name", "Sở Khoa học và Công nghệ", "code", "000.00.41.T01", "kind", "department", "level", "province", "parent", e.Root.String())); p.Status != http.StatusSeeOther {
		t.Fatalf("create org: %d\n%s", p.Status, p.Body)
	}
	e.WaitCaughtUp()
	page := admin.get("/admin")
	m := regexp.MustCompile(`href="/admin/orgs/([0-9a-f-]+)">Sở Khoa học và Công nghệ<`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the new org is not listed:\n%s", page.Body)
	}
	org := m[1]
	p := admin.post("/admin/accounts", form("kind", "org", "username", "tccb.skhcn", "display_name", "Văn phòng Sở KH&CN", "home_org", org, "password", "Ban-Dau-2026-abc"))
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/accounts/") {
		t.Fatalf("create account: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	acct := p.Location
	page = admin.get(acct)
	version := regexp.MustCompile(`name="version" value="(\d+)"`)
	v := version.FindStringSubmatch(page.Body)[1]
	if p := admin.post(acct+"/grants", form("version", v, "role", "hr_officer", "org_id", org)); p.Status != http.StatusSeeOther {
		t.Fatalf("grant: %d\n%s", p.Status, p.Body)
	}
	page = admin.get(acct)
	if !strings.Contains(page.Body, "Cán bộ tổ chức") {
		t.Fatalf("the grant is not shown:\n%s", page.Body)
	}
	v = version.FindStringSubmatch(page.Body)[1]
	p = admin.post(acct+"/password-reset", form("version", v))
	one := regexp.MustCompile(`<code id="one-time">([^<]+)</code>`).FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || one == nil {
		t.Fatalf("password reset: %d\n%s", p.Status, p.Body)
	}
	holder := newClient(t, e.URL)
	holder.get("/login")
	if p := holder.post("/login", url.Values{"username": {"tccb.skhcn"}, "password": {htmlUnescape(one[1])}, "next": {"/dossiers"}}); p.Location != "/password" {
		t.Fatalf("first login with the one-time password went to %q, want the forced change", p.Location)
	}
	// Someone without manage_accounts opens no account.
	other := newClient(t, e.URL)
	other.login("tccb.khac", "Mat-Khau-Khac-2026")
	if p := other.get(acct); p.Status != http.StatusForbidden && p.Status != http.StatusNotFound {
		t.Errorf("an HR officer opened an account page: %d", p.Status)
	}
}

func newAdminEnv(t *testing.T) *apitest.Env {
	t.Helper()
	e := apitest.Start(t)
	org := e.Org("Sở Tài nguyên", "000.00.42.T01", e.Root)
	e.Account("tccb.khac", "Mat-Khau-Khac-2026", account.KindOrg, account.RoleHROfficer, org)
	return e
}
