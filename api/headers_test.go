package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// TestResponseHeaders: every answer — data, errors, probes, unknown routes —
// tells browsers and caches not to keep or reinterpret it: a dossier is
// personal data and must not stay in a shared or browser cache; the
// OpenAPI document alone may be cached.
func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	org := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	hr := env.Session(env.Account("tccb.soyte", "", account.KindOrg, account.RoleHROfficer, org))
	id := env.Dossier(org, "Phạm Thị Lan")
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		cacheControl              string
	}{
		{"dossier", "GET", "/api/v1/dossiers/" + id.String(), hr, nil, 200, "no-store"},
		{"dossier history", "GET", "/api/v1/dossiers/" + id.String() + "/history", hr, nil, 200, "no-store"},
		{"search", "GET", "/api/v1/dossiers?q=lan", hr, nil, 200, "no-store"},
		{"me", "GET", "/api/v1/me", hr, nil, 200, "no-store"},
		{"no token", "GET", "/api/v1/dossiers/" + id.String(), "", nil, 401, "no-store"},
		{"bad parameter", "GET", "/api/v1/dossiers/" + id.String() + "?as_of=yesterday", hr, nil, 400, "no-store"},
		{"malformed body", "POST", "/api/v1/auth/login", "", "{", 400, "no-store"},
		{"no such route", "GET", "/api/v1/nowhere", hr, nil, 404, "no-store"},
		{"no such method", "DELETE", "/api/v1/me", hr, nil, 405, "no-store"},
		{"liveness", "GET", "/healthz", "", nil, 200, "no-store"},
		{"readiness", "GET", "/readyz", "", nil, 200, "no-store"},
		{"the OpenAPI document", "GET", "/api/v1/openapi.json", "", nil, 200, "public, max-age=300"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(tc.method, tc.path, tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.status)
			}
			for name, want := range map[string]string{
				"Cache-Control":           tc.cacheControl,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			} {
				if got := r.Header.Get(name); got != want {
					t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, name, got, want)
				}
			}
		})
	}
}

// TestMetricsListener: the Prometheus exposition is not on the API's
// address (anyone who reaches the API would read the traffic of every
// route); it is on its own listener, which operators keep private.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	env.Do(http.MethodGet, "/api/v1/me", env.AdminToken, nil)
	if r := env.Do(http.MethodGet, "/metrics", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("GET /metrics on the API's address = %d, want 404", r.Status)
	}
	base := env.Svc.API.MetricsURL()
	if base == "" || base == env.URL {
		t.Fatalf("metrics URL %q (API %s), want a listener of its own", base, env.URL)
	}
	resp, err := env.Client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `hoso_http_requests_total{method="GET",route="/api/v1/me",status="200"}`
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		t.Errorf("GET %s/metrics = %d, want 200 with %s", base, resp.StatusCode, want)
	}
}
