package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/devdb"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestDatabaseOutage: while PostgreSQL is down the API answers 503
// unavailable with Retry-After (a client may try again; nothing is wrong
// with its request), /readyz says not ready, and once PostgreSQL is back
// the same process serves again. The test runs a private cluster of its
// own and crashes it (pg_ctl stop -m immediate).
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	cluster, err := devdb.Open(filepath.Join(t.TempDir(), "var"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t.Cleanup(func() { // after the service's own cleanups, which need the cluster
		stop, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := cluster.Stop(stop); err != nil {
			t.Errorf("stopping the private cluster: %v", err)
		}
		_ = os.RemoveAll(cluster.Dir) // outside TempDir when the cluster runs as nobody
	})
	if err := cluster.Ensure(ctx, "outage"); err != nil {
		t.Fatal(err)
	}
	env := apitest.Start(t, apitest.Options{DatabaseURL: cluster.URL("outage"),
		// Errors are logged to the test output, to see what an outage looks like.
		Config: service.Config{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}})
	org := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	hr := env.Session(env.Account("tccb.soyte", "", account.KindOrg, account.RoleHROfficer, org))
	// A token never used yet: checking it needs the database.
	fresh := env.Session(env.Account("tccb.soyte2", "", account.KindOrg, account.RoleHROfficer, org))
	id := env.Dossier(org, "Hoàng Văn Đức")
	path := "/api/v1/dossiers/" + id.String()
	patch := map[string]any{"patch": map[string]any{"other": map[string]any{"notes": "Ghi chú"}}}
	if r := env.Do(http.MethodGet, path, hr, nil); r.Status != http.StatusOK {
		t.Fatalf("GET dossier before the outage: %d %s", r.Status, r.Body)
	}

	if err := cluster.StopImmediately(ctx); err != nil {
		t.Fatal(err)
	}
	down := []struct {
		name, method, path, token string
		body                      any
		headers                   []string
	}{
		{"read", http.MethodGet, path, hr, nil, nil},
		{"history", http.MethodGet, path + "/history", hr, nil, nil},
		{"write", http.MethodPatch, path, hr, patch, []string{"If-Match", `"1"`}},
		{"unchecked token", http.MethodGet, "/api/v1/me", fresh, nil, nil},
		{"login", http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "tccb.soyte", "password": "MatKhau-Bat-Ky-2026"}, nil},
	}
	for _, tc := range down {
		// Twice: the first use of a pooled connection meets the dropped
		// socket, the next a refused connection attempt.
		for try := range 2 {
			r := env.Do(tc.method, tc.path, tc.token, tc.body, tc.headers...)
			if r.Status != http.StatusServiceUnavailable {
				t.Errorf("%s while PostgreSQL is down (try %d): %d %s, want 503", tc.name, try+1, r.Status, r.Body)
				continue
			}
			if p := r.Problem(); p.Code != "unavailable" {
				t.Errorf("%s while PostgreSQL is down: code %q, want unavailable", tc.name, p.Code)
			}
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s <= 0 {
				t.Errorf("%s while PostgreSQL is down: Retry-After %q, want whole seconds", tc.name, r.Header.Get("Retry-After"))
			}
		}
	}
	if r := env.Do(http.MethodGet, "/readyz", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while PostgreSQL is down: %d %s, want 503", r.Status, r.Body)
	}

	if err := cluster.Ensure(ctx, "outage"); err != nil {
		t.Fatal(err)
	}
	// The pool reconnects on demand; wait (bounded) for the probe to agree.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		r := env.Do(http.MethodGet, "/readyz", "", nil)
		if r.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz a minute after PostgreSQL restarted: %d %s", r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodGet, path, fresh, nil); r.Status != http.StatusOK {
		t.Errorf("GET dossier after the restart: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPatch, path, hr, patch, "If-Match", `"1"`); r.Status != http.StatusOK || r.Header.Get("ETag") != `"2"` {
		t.Errorf("PATCH after the restart: %d ETag %s %s, want 200 and version 2 (nothing written during the outage)", r.Status, r.Header.Get("ETag"), r.Body)
	}
}
