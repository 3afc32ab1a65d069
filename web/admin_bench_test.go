package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
)

// BenchmarkAdminPages times the administration pages on the demo province
// as its administrator, each beside the API call it wraps and a raw
// PostgreSQL baseline (the account list's query on the read model, no
// HTTP, no scope, no JSON).
//
//	go test ./web -run '^$' -bench AdminPages -benchtime 30x -count 2
func BenchmarkAdminPages(b *testing.B) {
	e := apitest.Start(b, apitest.Options{NoSeed: true, NoOpenAPI: true})
	var user, password string
	for _, a := range e.Demo(300, 1) {
		if a.Username == "quantri" {
			user, password = a.Username, a.Password
		}
	}
	if user == "" {
		b.Fatal("the demo has no administrator quantri")
	}
	e.WaitCaughtUp()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(e.URL + "/login")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	if resp, err = c.PostForm(e.URL+"/login", url.Values{"_csrf": {string(csrf[1])}, "username": {user}, "password": {password}}); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(e.URL + "/admin/accounts")
	if err != nil {
		b.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	acct := regexp.MustCompile(`href="(/admin/accounts/[0-9a-f-]{36})"`).FindSubmatch(body)
	resp, err = c.Get(e.URL + "/admin")
	if err != nil {
		b.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	org := regexp.MustCompile(`href="(/admin/orgs/[0-9a-f-]{36})"`).FindSubmatch(body)
	if acct == nil || org == nil {
		b.Fatalf("no account or org link on the admin pages")
	}
	token := e.Login(user, password)
	get := func(b *testing.B, path string, bearer bool, hdr ...string) {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		if bearer {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	b.Run("raw/accounts-query", func(b *testing.B) {
		for b.Loop() {
			rows, err := e.Svc.Pool.Query(context.Background(), `SELECT a.account_id, a.username, a.display_name, a.status,
  ARRAY(SELECT DISTINCT g.role FROM account_grants g WHERE g.account_id = a.account_id AND g.revoked_on IS NULL ORDER BY g.role)
  FROM accounts a WHERE a.folded LIKE '%so%' ORDER BY a.username LIMIT 26`)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
	cases := []struct {
		name, path string
		bearer     bool
		hdr        []string
	}{
		{"api/accounts", "/api/v1/accounts?q=so&limit=25", true, nil},
		{"page/accounts-fragment", "/admin/accounts?q=so", false, []string{"HX-Request", "true", "HX-Target", "results"}},
		{"page/accounts", "/admin/accounts", false, nil},
		{"page/account", string(acct[1]), false, nil},
		{"page/org", string(org[1]), false, nil},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				get(b, tc.path, tc.bearer, tc.hdr...)
			}
		})
	}
}
