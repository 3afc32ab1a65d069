package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// TestPasswordChange: a password an administrator set must be changed by
// its holder before anything else, through POST /auth/password.
func TestPasswordChange(t *testing.T) {
	amRun(t, pcMustChangeIsEnforced, pcResetSetsTheFlag)
}

// pcMustChangeIsEnforced: an account created with an initial password can
// read /me and change its password, and nothing else until it has; the
// change is an account event, ends the account's other sessions, and the
// old password stops working.
func pcMustChangeIsEnforced(t *testing.T, e *apitest.Env) {
	const initial, chosen = "Ban-Dau-Thu-Ky-2026", "Mật khẩu của tôi 2026"
	idStr, etag := amCreate(t, e, e.AdminToken, map[string]any{
		"kind": "org", "username": "thu.ky", "display_name": "Thư ký", "home_org": e.Root.String(),
		"password": initial, "source_document": amSource(101),
	})
	r := e.Do(http.MethodPost, "/api/v1/accounts/"+idStr+"/grants", e.AdminToken,
		map[string]any{"role": "hr_officer", "org_id": e.Root.String(), "source_document": amSource(102)}, "If-Match", etag)
	if r.Status != http.StatusCreated {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	id := domain.AccountID(uuid.MustParse(idStr))
	// Sessions started directly, as a login would (argon2 costs seconds
	// under -race); logging in is checked at the end.
	current, other := e.Session(id), e.Session(id)

	me := e.Do(http.MethodGet, "/api/v1/me", current, nil)
	if me.Status != http.StatusOK || !strings.Contains(string(me.Body), `"must_change_password":true`) {
		t.Fatalf("GET /me before the change: %d %s, want 200 with must_change_password true", me.Status, me.Body)
	}
	before := amEvents(t, e)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/v1/orgs", nil},
		{http.MethodGet, "/api/v1/orgs/" + e.Root.String(), nil},
		{http.MethodGet, "/api/v1/dossiers?org=" + e.Root.String(), nil},
		{http.MethodPost, "/api/v1/orgs", map[string]any{"name": "Phòng Thư ký", "code": "PTK-01", "kind": "department", "level": "province",
			"parent": e.Root.String(), "source_document": amSource(103)}},
	} {
		r := e.Do(tc.method, tc.path, current, tc.body)
		if r.Status != http.StatusForbidden || r.Problem().Code != "password_change_required" {
			t.Errorf("%s %s before the change: %d %s, want 403 password_change_required", tc.method, tc.path, r.Status, r.Body)
		}
	}
	if got := amEvents(t, e) - before; got != 0 {
		t.Errorf("%d events appended by refused requests", got)
	}

	change := "/api/v1/auth/password"
	for _, tc := range []struct {
		name  string
		body  any
		field string
		rule  string
	}{
		{"wrong current password", map[string]string{"current_password": "Khong-Phai-Mat-Khau", "new_password": chosen}, "/current_password", "mismatch"},
		{"weak new password", map[string]string{"current_password": initial, "new_password": "ngắn"}, "/new_password", "length"},
		{"new is the current", map[string]string{"current_password": initial, "new_password": initial}, "/new_password", "unchanged"},
		{"no current password", map[string]string{"new_password": chosen}, "/current_password", "required"},
		{"no new password", map[string]string{"current_password": initial}, "/new_password", "required"},
		{"unknown field", map[string]string{"current_password": initial, "new_password": chosen, "confirm": chosen}, "/confirm", ""},
	} {
		r := e.Do(http.MethodPost, change, current, tc.body)
		p := r.Problem()
		found := false
		for _, f := range p.Errors {
			found = found || f.Field == tc.field && (tc.rule == "" || f.Rule == tc.rule)
		}
		if r.Status != http.StatusUnprocessableEntity || p.Code != "validation_failed" || !found {
			t.Errorf("%s: %d %s, want 422 validation_failed naming %s %s", tc.name, r.Status, r.Body, tc.field, tc.rule)
		}
	}
	if got := amEvents(t, e) - before; got != 0 {
		t.Errorf("%d events appended by refused password changes", got)
	}

	r = e.Do(http.MethodPost, change, current, map[string]string{"current_password": initial, "new_password": chosen})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"must_change_password":false`) {
		t.Fatalf("password change: %d %s, want 200 with must_change_password false", r.Status, r.Body)
	}
	if got := amEvents(t, e) - before; got != 1 {
		t.Errorf("%d events appended by the change, want 1", got)
	}
	a, err := e.Svc.Deps.Accounts.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Password(); !p.Set || p.MustChange || p.ChangedBy != id || p.ChangedAt.IsZero() {
		t.Errorf("the ledger's password state after the change = %+v, want set by the holder, nothing to change", p)
	}
	var typ, actor string
	if err := e.Svc.Pool.QueryRow(context.Background(), `SELECT type, metadata->'actor'->>'account_id' FROM events_json WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`,
		id.StreamID()).Scan(&typ, &actor); err != nil || typ != account.TypePasswordSet || actor != idStr {
		t.Errorf("the account's last event = %s by %s (%v), want %s by the holder", typ, actor, err, account.TypePasswordSet)
	}

	if r := e.Do(http.MethodGet, "/api/v1/orgs", current, nil); r.Status != http.StatusOK {
		t.Errorf("GET /orgs after the change: %d %s, want 200", r.Status, r.Body)
	}
	if r := e.Do(http.MethodGet, "/api/v1/me", other, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("another session of the account after the change: %d, want 401 (ended)", r.Status)
	}
	if r := e.Do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "thu.ky", "password": initial}); r.Status != http.StatusUnauthorized {
		t.Errorf("login with the old password: %d %s, want 401", r.Status, r.Body)
	}
	fresh := e.Login("thu.ky", chosen)
	if r := e.Do(http.MethodGet, "/api/v1/orgs", fresh, nil); r.Status != http.StatusOK {
		t.Errorf("GET /orgs after logging in with the new password: %d %s", r.Status, r.Body)
	}
}

// pcResetSetsTheFlag: an administrator's reset of a password the holder
// chose puts the account back under the rule.
func pcResetSetsTheFlag(t *testing.T, e *apitest.Env) {
	id := e.Account("ke.toan", "MatKhau-Ke-Toan-26", account.KindOrg, account.RoleHROfficer, e.Root)
	if r := e.Do(http.MethodGet, "/api/v1/orgs", e.Session(id), nil); r.Status != http.StatusOK {
		t.Fatalf("GET /orgs before the reset: %d %s", r.Status, r.Body)
	}
	r := e.Do(http.MethodGet, "/api/v1/accounts/"+id.String(), e.AdminToken, nil)
	r = e.Do(http.MethodPost, "/api/v1/accounts/"+id.String()+"/password-reset", e.AdminToken,
		map[string]any{"password": "Dat-Lai-Ke-Toan-26", "source_document": amSource(104)}, "If-Match", r.Header.Get("ETag"))
	if r.Status != http.StatusOK {
		t.Fatalf("password reset: %d %s", r.Status, r.Body)
	}
	r = e.Do(http.MethodGet, "/api/v1/orgs", e.Session(id), nil)
	if r.Status != http.StatusForbidden || r.Problem().Code != "password_change_required" {
		t.Errorf("GET /orgs after the reset: %d %s, want 403 password_change_required", r.Status, r.Body)
	}
}
