package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// routeKey is "METHOD /path/{param}" for an Echo route ("/dossiers/:id").
func routeKey(method, path string) string {
	return method + " " + echoParam.ReplaceAllString(path, "{$1}")
}

// servedRoutes is every route the service mounts (Echo's own catch-alls
// left out), as routeKey.
func servedRoutes(env *apitest.Env) []string {
	return routesOf(env.Svc.API.Echo().Routes())
}

func routesOf(routes []*echo.Route) []string {
	var out []string
	for _, r := range routes {
		if strings.HasPrefix(r.Method, "echo_") || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		out = append(out, routeKey(r.Method, r.Path))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestOpenAPIDocument: the document served at /api/v1/openapi.json (without
// a token) is OpenAPI 3.1, loads and validates with kin-openapi, and names
// exactly the routes the server mounts — no route undocumented, no
// documented operation without a route.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	r := env.Do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d, want 200: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	conf, err := apitest.LoadConformance(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v := conf.Doc.OpenAPI; !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if conf.Doc.Components == nil || conf.Doc.Components.SecuritySchemes["bearer"] == nil {
		t.Error("no bearer security scheme")
	}
	problem := conf.Doc.Components.Schemas["Problem"]
	if problem == nil {
		t.Fatal("no Problem schema")
	}
	for _, f := range []string{"type", "title", "status", "code", "detail", "instance", "request_id", "errors"} {
		if problem.Value.Properties[f] == nil {
			t.Errorf("Problem schema has no %q", f)
		}
	}
	for _, h := range []string{"IfMatch", "IdempotencyKey"} {
		if conf.Doc.Components.Parameters[h] == nil {
			t.Errorf("no %s parameter", h)
		}
	}
	if conf.Doc.Components.Headers["ETag"] == nil {
		t.Error("no ETag header")
	}

	// What the server mounts is the route table, which
	// TestRoutesMatchOpenAPI holds to the document.
	var table []string
	for _, r := range api.Routes() {
		table = append(table, routeKey(r.Method, r.Path))
	}
	sort.Strings(table)
	if served := servedRoutes(env); !slices.Equal(served, table) {
		t.Errorf("the server mounts\n  %v\nthe route table (api/routes.go) lists\n  %v", served, table)
	}
}

// TestRoutesMatchOpenAPI: the route table (api/routes.go) and
// api/openapi.yaml name the same routes, in both directions, and a route
// public (no token) is exactly one the document marks `security: []`.
func TestRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	conf := apitest.OpenAPI(t)
	type op struct{ open bool }
	documented := map[string]op{}
	for path, item := range conf.Doc.Paths.Map() {
		for method, o := range item.Operations() {
			sec := o.Security
			if sec == nil {
				sec = &conf.Doc.Security
			}
			documented[method+" "+path] = op{open: len(*sec) == 0}
		}
	}
	seen := map[string]bool{}
	for _, r := range api.Routes() {
		k := routeKey(r.Method, r.Path)
		if seen[k] {
			t.Errorf("route %s is twice in the route table", k)
		}
		seen[k] = true
		d, ok := documented[k]
		if !ok {
			t.Errorf("route %s is mounted but not documented in api/openapi.yaml", k)
			continue
		}
		if d.open != (r.Access == api.Public) {
			t.Errorf("route %s: access %s, but api/openapi.yaml says public = %v (security: [])", k, r.Access, d.open)
		}
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("api/openapi.yaml documents %s, which the route table does not mount", k)
	}
}

// TestOpenAPIConformanceCheck: the check apitest runs on every exchange
// catches an undocumented route, a request the document refuses that the
// server accepted, and a response that breaks its schema.
func TestOpenAPIConformanceCheck(t *testing.T) {
	t.Parallel()
	conf := apitest.OpenAPI(t)
	req := func(method, path, body string) *http.Request {
		r, err := http.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		return r
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}}
	problem := `{"type":"urn:hoso:problem:not_found","title":"Not found","status":404,"code":"not_found"}`
	const approvalOrg = "01a23491-cbf6-7511-8758-c8b3fd9277cb"
	zero := strings.Repeat("0", 64)
	manifest := `{"count":0,"events":[],"events_root":"` + zero + `","format":"hoso-approval-manifest/v1","level":"unit","log":{"root":"` + zero +
		`","tree_size":3},"month":"2026-11","org_id":"` + approvalOrg + `","recorded_from":"2026-11-01T00:00:00+07:00","recorded_until":"2026-12-01T00:00:00+07:00"}`
	tests := []struct {
		name    string
		req     *http.Request
		body    string
		status  int
		header  http.Header
		resp    string
		wantErr string
	}{
		{"undocumented route answered", req("GET", "/api/v1/nowhere", ""), "", 200, jsonHeader, `{}`, "not documented"},
		{"undocumented route refused", req("GET", "/api/v1/nowhere", ""), "", 404, problemHeader, problem, ""},
		{"invalid request accepted", req("POST", "/api/v1/auth/login", `{"username":"a"}`), `{"username":"a"}`, 200, jsonHeader, `{}`, "says is invalid"},
		{"invalid request refused", req("POST", "/api/v1/auth/login", `{"username":"a"}`), `{"username":"a"}`, 422, problemHeader,
			`{"type":"urn:hoso:problem:validation_failed","title":"t","status":422,"code":"validation_failed","errors":[{"field":"/password","rule":"required"}]}`, ""},
		{"problem missing code", req("GET", "/api/v1/me", ""), "", 401, problemHeader, `{"type":"x","title":"t","status":401}`, "does not match"},
		{"problem with unknown member", req("GET", "/api/v1/me", ""), "", 401, problemHeader, `{"type":"x","title":"t","status":401,"code":"unauthenticated","extra":1}`, "does not match"},
		{"wrong media type", req("GET", "/api/v1/me", ""), "", 401, jsonHeader, `{"type":"x","title":"t","status":401,"code":"unauthenticated"}`, "does not match"},
		// The approval routes are checked like the others: the manifest
		// and the approval have their schemas, not any object.
		{"approval manifest", req("GET", "/api/v1/approvals/"+approvalOrg+"/2026-11/manifest", ""), "", 200, jsonHeader, manifest, ""},
		{"approval manifest not a manifest", req("GET", "/api/v1/approvals/"+approvalOrg+"/2026-11/manifest", ""), "", 200, jsonHeader, `{"format":"hoso-approval-manifest/v1"}`, "does not match"},
		{"approval with an unknown timing", req("GET", "/api/v1/approvals/"+approvalOrg+"/2026-11", ""), "", 200, jsonHeader,
			`{"org_id":"` + approvalOrg + `","month":"2026-11","level":"unit","sealed":true,"served":[],"approval":{"org_id":"` + approvalOrg +
				`","month":"2026-11","level":"unit","manifest_sha256":"x","tree_size":1,"signer_account_id":"` + approvalOrg +
				`","signer_fingerprint_sha256":"x","signer_subject":"CN=x","signing_time":"2026-11-28T02:00:00Z","timing":"sometimes"}}`, "does not match"},
		{"healthz ok", req("GET", "/healthz", ""), "", 200, jsonHeader, `{"status":"ok"}`, ""},
		{"healthz wrong body", req("GET", "/healthz", ""), "", 200, jsonHeader, `{"status":"fine"}`, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := conf.CheckExchange(tt.req, []byte(tt.body), tt.status, tt.header, []byte(tt.resp))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckExchange = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckExchange = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestOpenAPIRequiresWhatTheServerRequires: each field the server refuses a
// dossier's creation without is one api/openapi.yaml marks required, so a
// client generated from the document cannot leave it out.
func TestOpenAPIRequiresWhatTheServerRequires(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	org := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	hr := env.Session(env.Account("tccb.soyte", "", account.KindOrg, account.RoleHROfficer, org))
	body := func() map[string]any {
		return map[string]any{
			"class": "cong_chuc", "managing_org": org, "employing_unit": org, "personal_id_number": "001085012345",
			"identity":        map[string]any{"birth_name": "Lê Văn Bình", "gender": "male", "date_of_birth": "1985-04-12"},
			"source_document": map[string]any{"kind": "decision", "number": "1/QĐ-SYT", "date": "2025-01-02", "issuer": "Sở Y tế"},
		}
	}
	for _, field := range []string{"class", "managing_org", "employing_unit", "personal_id_number"} {
		t.Run(field, func(t *testing.T) {
			b := body()
			delete(b, field)
			raw, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			r := env.Do(http.MethodPost, "/api/v1/dossiers", hr, raw)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("POST /dossiers without %s = %d %s, want 422", field, r.Status, r.Body)
			}
			named := false
			for _, e := range r.Problem().Errors {
				named = named || e.Field == "/"+field
			}
			if !named {
				t.Fatalf("POST /dossiers without %s: %s, want the field named", field, r.Body)
			}
			req, err := http.NewRequest(http.MethodPost, env.URL+"/api/v1/dossiers", bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+hr)
			if err := env.OpenAPI.ValidateRequest(req, raw); err == nil {
				t.Errorf("api/openapi.yaml accepts a dossier creation without %s, which the server refuses", field)
			}
		})
	}
}
