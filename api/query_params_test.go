package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/apitest"
)

// TestSensitiveFiltersSeeEveryValue: a caller without read_sensitive finds
// nothing by a sensitive filter however the filter is spelled (a first,
// empty value once hid the second from the access check while the search
// used both), and a caller with the right finds the dossier each way.
func TestSensitiveFiltersSeeEveryValue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Đặng Thị Nhung", "001085066666")
	caughtUp(t, w.env)
	queries := []string{
		"ethnicity=01",
		"ethnicity=&ethnicity=01",
		"ethnicity=,01",
		"ethnicity=99&ethnicity=01",
		"religion=none",
		"religion=&religion=none",
		"religion=+&religion=none",
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			var page listPage
			get(t, w.env, "/api/v1/dossiers?"+q, w.inspector, http.StatusOK, &page)
			if len(page.Items) != 0 {
				t.Errorf("inspector without read_sensitive: GET /dossiers?%s = %d dossiers, want none", q, len(page.Items))
			}
			get(t, w.env, "/api/v1/dossiers?"+q, w.hrA, http.StatusOK, &page)
			if !page.has(id) {
				t.Errorf("HR with read_sensitive: GET /dossiers?%s does not find the dossier: %+v", q, page)
			}
		})
	}
}

// TestReadLogHidesProtectedFilters: a search by a sensitive filter is
// recorded in the read log without the values it searched for, and rows
// recorded before (in clear) are served redacted too.
func TestReadLogHidesProtectedFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const pid = "001085077777"
	id, _ := w.createDossier(t, w.hrA, w.orgA, "Phạm Văn Khoa", pid)
	caughtUp(t, w.env)
	searches := []string{
		"personal_id_number=" + pid,
		"personal_id_number=+" + pid + "+&limit=5",
		"ethnicity=01&religion=none&party_member=false&q=pham",
		"ethnicity=&ethnicity=01,99",
	}
	for _, q := range searches {
		var page listPage
		get(t, w.env, "/api/v1/dossiers?"+q, w.hrA, http.StatusOK, &page)
		if !page.has(id) {
			t.Fatalf("GET /dossiers?%s does not find the dossier: %+v", q, page)
		}
	}
	// A row written before redaction existed, in clear.
	if _, err := w.env.Svc.Pool.Exec(context.Background(), `INSERT INTO dossier_reads
		(read_at, account_id, username, dossier_id, method, route, query, purpose, outcome, request_id, remote_addr)
		VALUES (now(), $1, 'old', $2, 'GET', '/api/v1/dossiers', $3, '', 'allowed', '', '')`,
		uuid.UUID(w.hrAID), uuid.MustParse(id), "personal_id_number="+pid+"&religion=none"); err != nil {
		t.Fatal(err)
	}
	var reads struct {
		Items []struct {
			Route string `json:"route"`
			Query string `json:"query"`
		} `json:"items"`
	}
	get(t, w.env, "/api/v1/audit/reads?dossier="+id+"&limit=100", w.inspector, http.StatusOK, &reads)
	want := map[string]bool{
		"personal_id_number=[redacted]":                                           false,
		"personal_id_number=[redacted]&limit=5":                                   false,
		"ethnicity=[redacted]&religion=[redacted]&party_member=[redacted]&q=pham": false,
		"ethnicity=[redacted]&ethnicity=[redacted]":                               false,
		"personal_id_number=[redacted]&religion=[redacted]":                       false,
	}
	for _, r := range reads.Items {
		if strings.Contains(r.Query, "0010850") || strings.Contains(r.Query, "none") || strings.Contains(r.Query, "=01") {
			t.Errorf("the read log shows a protected value: %q", r.Query)
		}
		if _, ok := want[r.Query]; ok {
			want[r.Query] = true
		}
	}
	for q, seen := range want {
		if !seen {
			t.Errorf("the read log has no row with query %q; rows: %+v", q, reads.Items)
		}
	}
}

// TestQueryParamsMatchOpenAPI: the query parameters checkQuery lets
// through for each route are exactly those api/openapi.yaml documents.
func TestQueryParamsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc := apitest.OpenAPI(t).Doc
	table := api.RouteQueryParams()
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			route := method + " " + echoPath(path)
			documented[route] = true
			want := map[string]bool{}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.In == "query" {
					want[p.Value.Name] = true
				}
			}
			got := table[route]
			for name := range want {
				if _, ok := got[name]; !ok {
					t.Errorf("%s: api/openapi.yaml documents query parameter %s, which checkQuery refuses", route, name)
				}
			}
			for name := range got {
				if !want[name] {
					t.Errorf("%s: checkQuery lets query parameter %s through, which api/openapi.yaml does not document", route, name)
				}
			}
		}
	}
	for route := range table {
		if !documented[route] {
			t.Errorf("routeParams names %s, which api/openapi.yaml does not document", route)
		}
	}
}

// echoPath is an OpenAPI path template as Echo writes it: {id} → :id.
func echoPath(p string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(p, "/") {
		if part == "" {
			continue
		}
		b.WriteByte('/')
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			part = ":" + part[1:len(part)-1]
		}
		b.WriteString(part)
	}
	return b.String()
}
