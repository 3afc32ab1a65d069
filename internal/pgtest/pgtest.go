package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/migrations"
)

// EnvVar names the base database URL.
const EnvVar = "HOSO_TEST_DATABASE_URL"

// MaxConns bounds each test's pool: tests run in parallel across packages
// against one server whose max_connections is often 100.
const MaxConns = 12

// New creates a uniquely named schema, applies the migrations to it and
// returns a pool whose connections use it as their search_path, with the URL
// that does the same (for code that opens its own connections). The schema is
// dropped when the test ends. Connections run as the URL's login (normally a
// superuser), so tests may create their own objects.
func New(t testing.TB) (pool *pgxpool.Pool, databaseURL string) {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Fatalf("%s is not set: storage tests need PostgreSQL (make test sets it, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", EnvVar)
	}
	return NewAt(t, base)
}

// NewAt is New on the database base names instead of HOSO_TEST_DATABASE_URL's:
// for a test that runs (and stops) a PostgreSQL cluster of its own.
func NewAt(t testing.TB, base string) (pool *pgxpool.Pool, databaseURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	schema := "t_" + randomHex(t, 8)
	databaseURL, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", EnvVar, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("pgtest: creating schema: %v", err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })

	if err := migrations.Apply(ctx, databaseURL); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.MaxConns = MaxConns
	pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close) // runs before dropSchema (cleanups are LIFO)
	return pool, databaseURL
}

// WithSearchPath returns databaseURL (URL form) with search_path set to
// schema; pgx sends it as a run-time parameter at connection start-up.
func WithSearchPath(databaseURL, schema string) (string, error) {
	if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
		return "", fmt.Errorf("pgtest: %s must be a postgres:// URL, not a keyword/value string", EnvVar)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func dropSchema(t testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", schema, err)
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Tamper runs statements in one transaction with triggers off (the
// append-only ones included), as an intruder with superuser rights or a
// restore from backup would, and returns how many rows each one changed.
// Tests use it to show that verification notices.
func Tamper(t testing.TB, pool *pgxpool.Pool, stmts ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	changed := make([]int64, len(stmts))
	for i, s := range stmts {
		tag, err := tx.Exec(ctx, s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		changed[i] = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return changed
}
