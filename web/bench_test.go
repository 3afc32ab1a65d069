package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
)

// BenchmarkPages times the main pages on the demo province (300
// dossiers, seed 1, as `make run` writes it), each beside the API call it
// wraps, through real HTTP: the difference is the page's own cost
// (templates, the /me and /orgs calls, the history).
//
//	go test ./web -run '^$' -bench Pages -benchtime 50x -count 3
func BenchmarkPages(b *testing.B) {
	e := apitest.Start(b, apitest.Options{NoSeed: true, NoOpenAPI: true})
	e.Demo(300, 1)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(e.URL + "/login")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	resp, err = c.PostForm(e.URL+"/login", url.Values{"_csrf": {string(csrf[1])}, "username": {"tccb.soyte"}, "password": {"SoYTe@Demo2026"}})
	if err != nil {
		b.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	id := regexp.MustCompile(`href="/dossiers/([0-9a-f-]{36})"`).FindSubmatch(body)
	if id == nil {
		b.Fatalf("no dossier in the list after login:\n%s", body)
	}
	token := e.Login("tccb.soyte", "SoYTe@Demo2026")
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
	cases := []struct {
		name, path string
		bearer     bool
		hdr        []string
	}{
		{"api/list", "/api/v1/dossiers?limit=20", true, nil},
		{"page/list", "/dossiers", false, nil},
		{"api/search", "/api/v1/dossiers?q=nguyen&limit=20", true, nil},
		{"page/search-fragment", "/dossiers?q=nguyen", false, []string{"HX-Request", "true", "HX-Target", "results"}},
		{"api/dossier+history", "/api/v1/dossiers/" + string(id[1]), true, nil},
		{"page/dossier", "/dossiers/" + string(id[1]), false, nil},
		{"page/compliance", "/compliance", false, nil},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				get(b, tc.path, tc.bearer, tc.hdr...)
			}
		})
	}
}
