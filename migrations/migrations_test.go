package migrations_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/migrations"
)

// TestApplyConcurrently: several processes starting at once on an empty
// schema all succeed, each migration runs once, every object lands in the
// URL's schema, and applying again changes nothing.
func TestApplyConcurrently(t *testing.T) {
	base := os.Getenv(pgtest.EnvVar)
	if base == "" {
		t.Fatalf("%s is not set", pgtest.EnvVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "m_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	url, err := pgtest.WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if err := migrations.Apply(ctx, url); err != nil {
				t.Errorf("concurrent Apply %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if err := migrations.Apply(ctx, url); err != nil {
		t.Fatalf("Apply again: %v", err)
	}

	var applied, distinct int
	err = admin.QueryRow(ctx, "SELECT count(*), count(DISTINCT version_id) FROM "+schema+".goose_db_version WHERE version_id > 0 AND is_applied").Scan(&applied, &distinct)
	if err != nil || applied == 0 || applied != distinct {
		t.Errorf("goose_db_version: %d applied rows, %d distinct versions, %v; want each version once", applied, distinct, err)
	}
	for _, object := range []string{"events", "events_json"} {
		var found bool
		if err := admin.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", schema+"."+object).Scan(&found); err != nil || !found {
			t.Errorf("%s.%s missing (%v): objects must be created in the URL's schema", schema, object, err)
		}
	}
	var usage bool
	if err := admin.QueryRow(ctx, "SELECT has_schema_privilege($1, $2, 'USAGE')", migrations.AppRole, schema).Scan(&usage); err != nil || !usage {
		t.Errorf("%s has no USAGE on %s (%v)", migrations.AppRole, schema, err)
	}
}

// TestSetAppRole: a pool configured as the service does runs as hoso_app.
func TestSetAppRole(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if err := migrations.SetAppRole(ctx, conn.Conn()); err != nil {
		t.Fatal(err)
	}
	var role string
	if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&role); err != nil || role != migrations.AppRole {
		t.Errorf("current_user = %q, %v; want %s", role, err, migrations.AppRole)
	}
	if _, err := conn.Exec(ctx, "RESET ROLE"); err != nil { // leave the pool's connection as found
		t.Fatal(err)
	}
}

// TestApplyIgnoresPoolParameters: HOSO_DATABASE_URL may carry pgxpool's
// pool_* parameters (pool_max_conns is documented); the migrations'
// database/sql connection must not send them to the server as settings.
func TestApplyIgnoresPoolParameters(t *testing.T) {
	t.Parallel()
	_, url := pgtest.New(t) // migrated once already: Apply is a no-op
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, params := range []string{
		"pool_max_conns=4",
		"pool_max_conns=4&pool_min_conns=1&pool_max_conn_lifetime=1h&pool_max_conn_idle_time=5m&pool_health_check_period=1m&pool_max_conn_lifetime_jitter=1s",
	} {
		if err := migrations.Apply(ctx, url+"&"+params); err != nil {
			t.Errorf("Apply with %s: %v", params, err)
		}
	}
}
