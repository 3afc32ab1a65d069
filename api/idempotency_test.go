package api

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/internal/pgtest"
)

func TestSweepIdempotencyKeys(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	s := &Server{deps: &Deps{Pool: pool}, log: slog.New(slog.DiscardHandler)}
	acct := uuid.New()
	for key, age := range map[string]time.Duration{"old": 25 * time.Hour, "fresh": time.Hour, "in-flight": time.Minute} {
		if _, err := pool.Exec(ctx, `INSERT INTO idempotency_keys (account_id, key, request_sha256, method, route, created_at)
			VALUES ($1, $2, $3, 'POST', '/x', $4)`, acct, key, make([]byte, 32), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	s.sweepIdempotencyKeys(ctx, now)
	rows, err := pool.Query(ctx, `SELECT key FROM idempotency_keys ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		left = append(left, k)
	}
	if len(left) != 2 || left[0] != "fresh" || left[1] != "in-flight" {
		t.Errorf("after the sweep: %v, want [fresh in-flight]", left)
	}
}
