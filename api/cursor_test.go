package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/eventstore"
)

// TestCursors: a list's next_cursor continues it, and a cursor of another
// list, or one of the formats before internal/cursor, is refused like any
// malformed one (400 bad_parameter naming query:cursor).
func TestCursors(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	var first struct {
		Items []struct {
			EventID string `json:"event_id"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	env.Org("Sở Y tế tỉnh Thử Nghiệm", "000.00.02.T01", env.Root)
	env.WaitCaughtUp() // the audit trail is a read model
	r := env.Do(http.MethodGet, "/api/v1/audit?limit=1&type=org.created.v1", env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /audit?limit=1: %d %s", r.Status, r.Body)
	}
	r.JSON(&first)
	if len(first.Items) != 1 || first.NextCursor == "" {
		t.Fatalf("first audit page: %s; want one entry and a next_cursor", r.Body)
	}
	firstID := first.Items[0].EventID
	var second struct {
		Items []struct {
			EventID string `json:"event_id"`
		} `json:"items"`
	}
	r = env.Do(http.MethodGet, "/api/v1/audit?limit=1&type=org.created.v1&cursor="+url.QueryEscape(first.NextCursor), env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /audit?cursor=: %d %s", r.Status, r.Body)
	}
	r.JSON(&second)
	if len(second.Items) != 1 || second.Items[0].EventID == firstID {
		t.Errorf("second audit page %s repeats the first, %s", r.Body, firstID)
	}

	for _, tt := range []struct{ name, path string }{
		{"audit: a bare position (the old format)", "/api/v1/audit?cursor=" + eventstore.NewPosition(1, 1).String()},
		{"reads: a bare read id (the old format)", "/api/v1/audit/reads?cursor=5"},
		{"reads: a cursor of the audit trail", "/api/v1/audit/reads?cursor=" + url.QueryEscape(first.NextCursor)},
		{"dossiers: a cursor of the audit trail", "/api/v1/dossiers?cursor=" + url.QueryEscape(first.NextCursor)},
		{"archive: a cursor of the audit trail", "/api/v1/archive?cursor=" + url.QueryEscape(first.NextCursor)},
		{"accounts: a cursor of the audit trail", "/api/v1/accounts?cursor=" + url.QueryEscape(first.NextCursor)},
	} {
		r := env.Do(http.MethodGet, tt.path, env.AdminToken, nil)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tt.name, r.Status, r.Body)
			continue
		}
		if p := r.Problem(); p.Code != "bad_parameter" || len(p.Errors) != 1 || p.Errors[0].Field != "query:cursor" {
			t.Errorf("%s: problem %+v, want bad_parameter naming query:cursor", tt.name, p)
		}
	}
}
