package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// client is a browser without JavaScript: cookies, no redirects followed.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b), Header: resp.Header}
	if m := csrfInput.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

// post sends a form; the CSRF token of the last page is added unless the
// form has one.
func (c *client) post(path string, form url.Values, headers ...string) page {
	c.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c *client) login(username, password string) page {
	c.t.Helper()
	c.get("/login")
	p := c.post("/login", url.Values{"username": {username}, "password": {password}, "next": {"/dossiers"}})
	if p.Status != http.StatusSeeOther || p.Location != "/dossiers" {
		c.t.Fatalf("login %s: %d → %q\n%s", username, p.Status, p.Location, p.Body)
	}
	return p
}

// Each page asks the API, so it allows exactly what the API allows; these
// cases hold the pages to the API's access rule, read log and CSRF.
func TestPagesAccess(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	orgA := e.Org("Sở Tư pháp", "000.00.21.T01", e.Root)
	orgB := e.Org("Sở Xây dựng", "000.00.22.T01", e.Root)
	e.Account("tccb.a", "Mat-Khau-A-2026", account.KindOrg, account.RoleHROfficer, orgA)
	e.Account("tccb.b", "Mat-Khau-B-2026", account.KindOrg, account.RoleHROfficer, orgB)
	inA := e.Dossier(orgA, "Phạm Văn Ánh")
	otherInA := e.Dossier(orgA, "Lê Thị Bống")
	inB := e.Dossier(orgB, "Đỗ Văn Cường")
	e.SelfAccount("canhan.anh", "Mat-Khau-Anh-2026", orgA, inA)
	e.WaitCaughtUp()

	a := newClient(t, e.URL)
	loginPage := a.login("tccb.a", "Mat-Khau-A-2026")
	b := newClient(t, e.URL)
	b.login("tccb.b", "Mat-Khau-B-2026")
	self := newClient(t, e.URL)
	self.login("canhan.anh", "Mat-Khau-Anh-2026")
	anon := newClient(t, e.URL)

	t.Run("session cookie", func(t *testing.T) {
		var found bool
		for _, line := range loginPage.Header.Values("Set-Cookie") {
			if !strings.HasPrefix(line, "hoso_session=") {
				continue
			}
			found = true
			for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(line, want) {
					t.Errorf("session cookie %q lacks %s", line, want)
				}
			}
			if strings.Contains(line, "Secure") {
				t.Errorf("session cookie %q is Secure over plain HTTP (the browser would drop it)", line)
			}
		}
		if !found {
			t.Fatal("login set no session cookie")
		}
	})

	cases := []struct {
		name     string
		c        *client
		path     string
		status   int
		contains string
		absent   string
	}{
		{"anonymous list goes to login", anon, "/dossiers", http.StatusSeeOther, "", ""},
		{"anonymous dossier goes to login", anon, "/dossiers/" + inA.String(), http.StatusSeeOther, "", ""},
		{"own org's dossier", a, "/dossiers/" + inA.String(), http.StatusOK, "Phạm Văn Ánh", ""},
		{"another org's dossier is not found", b, "/dossiers/" + inA.String(), http.StatusNotFound, "Không tìm thấy", "Phạm Văn Ánh"},
		{"another org's edit form is not found", b, "/dossiers/" + inA.String() + "/sections/health", http.StatusNotFound, "", "Phạm Văn Ánh"},
		{"list shows own org only", b, "/dossiers", http.StatusOK, "/dossiers/" + inB.String(), "Phạm Văn Ánh"},
		{"search without diacritics", a, "/dossiers?q=pham+van+anh", http.StatusOK, "Phạm Văn Ánh", "Lê Thị Bống"},
		{"the person reads their own", self, "/dossiers/" + inA.String(), http.StatusOK, "Phạm Văn Ánh", ""},
		{"the person reads no colleague", self, "/dossiers/" + otherInA.String(), http.StatusNotFound, "", "Lê Thị Bống"},
		{"the person proposes rather than edits", self, "/dossiers/" + inA.String(), http.StatusOK, "Đề nghị sửa", ">Sửa<span"},
		{"an unknown section", a, "/dossiers/" + inA.String() + "/sections/nonsense", http.StatusNotFound, "", ""},
		{"a bad as-known date", a, "/dossiers/" + inA.String() + "?as_of=31-12-2025", http.StatusBadRequest, "không hợp lệ", ""},
		{"a bad filter is the API's 400", a, "/dossiers?status=nonsense", http.StatusBadRequest, "Thông tin chưa hợp lệ", ""},
		{"the API keeps its own 404", anon, "/api/v1/nothing", http.StatusNotFound, `"code"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.c.get(tc.path)
			if p.Status != tc.status {
				t.Fatalf("GET %s = %d, want %d\n%s", tc.path, p.Status, tc.status, p.Body)
			}
			if tc.status == http.StatusSeeOther && !strings.HasPrefix(p.Location, "/login?next=") {
				t.Errorf("GET %s went to %q, want the login page", tc.path, p.Location)
			}
			if tc.contains != "" && !strings.Contains(p.Body, tc.contains) {
				t.Errorf("GET %s lacks %q", tc.path, tc.contains)
			}
			if tc.absent != "" && strings.Contains(p.Body, tc.absent) {
				t.Errorf("GET %s shows %q", tc.path, tc.absent)
			}
		})
	}

	// Every read through a page is in the API's read log, with the
	// browser's address; a refused one as refused.
	t.Run("read log", func(t *testing.T) {
		reads, err := e.Svc.Deps.Views.Reads(context.Background(), api.ReadFilter{Scope: []domain.OrgID{orgA}, Dossier: &inA, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]bool{}
		for _, r := range reads {
			outcomes[r.Username+" "+r.Outcome] = true
		}
		for _, want := range []string{"tccb.a allowed", "canhan.anh allowed", "tccb.b refused"} {
			if !outcomes[want] {
				t.Errorf("read log of the dossier lacks %q: %v", want, outcomes)
			}
		}
	})

	// Writes: refused without the form's token, from another site, or by
	// an org that does not manage the dossier; nothing is appended.
	health := func(version string) url.Values {
		return url.Values{"version": {version}, "original": {`{}`}, "f.height_cm": {"170"},
			"document_kind": {"decision"}, "document_number": {"3/QĐ"}, "document_date": {"2026-12-01"}, "document_issuer": {"Sở Tư pháp"}}
	}
	writes := []struct {
		name     string
		c        *client
		form     url.Values
		hdr      []string
		status   int
		appended int
	}{
		{"forged: no token", a, withCSRF(health("1"), ""), nil, http.StatusForbidden, 0},
		{"forged: wrong token", a, withCSRF(health("1"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), nil, http.StatusForbidden, 0},
		{"cross-site", a, health("1"), []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden, 0},
		{"another org", b, health("1"), nil, http.StatusNotFound, 0},
		{"the managing org's officer", a, health("1"), nil, http.StatusSeeOther, 1},
		{"stale version", a, health("1"), nil, http.StatusConflict, 0},
		// The person's own form records a proposal for HR, not a change.
		{"the person's edit is a proposal", self, health("2"), nil, http.StatusSeeOther, 1},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			w.c.get("/dossiers")
			before := e.EventCount()
			p := w.c.post("/dossiers/"+inA.String()+"/sections/health", w.form, w.hdr...)
			if p.Status != w.status {
				t.Fatalf("POST = %d, want %d\n%s", p.Status, w.status, p.Body)
			}
			if after := e.EventCount(); after-before != w.appended {
				t.Errorf("the write appended %d events, want %d", after-before, w.appended)
			}
		})
	}

	// The logout form ends the API session: the old cookie opens nothing.
	t.Run("logout", func(t *testing.T) {
		c := newClient(t, e.URL)
		c.login("tccb.a", "Mat-Khau-A-2026")
		c.get("/dossiers")
		if p := c.post("/logout", url.Values{}); p.Status != http.StatusSeeOther || p.Location != "/login" {
			t.Fatalf("logout: %d → %q", p.Status, p.Location)
		}
		if p := c.get("/dossiers"); p.Status != http.StatusSeeOther {
			t.Fatalf("after logout /dossiers = %d, want a redirect to login", p.Status)
		}
	})
}

func withCSRF(v url.Values, tok string) url.Values {
	v.Set("_csrf", tok)
	return v
}
