package pgadapter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

func TestSweepIdempotencyKeys(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	s := pgadapter.NewIdempotency(pool)
	acct := uuid.New()
	for key, age := range map[string]time.Duration{"old": 25 * time.Hour, "fresh": time.Hour, "in-flight": time.Minute} {
		if _, err := pool.Exec(ctx, `INSERT INTO idempotency_keys (account_id, key, request_sha256, method, route, created_at)
			VALUES ($1, $2, $3, 'POST', '/x', $4)`, acct, key, make([]byte, 32), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sweep(ctx, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
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

// TestIdempotencyLifecycle: a key is claimed once; a running claim goes
// stale, a completed one expires; a released one is gone; Lookup returns
// what Complete stored.
func TestIdempotencyLifecycle(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	s := pgadapter.NewIdempotency(pool)
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	k := api.IdempotencyKey{Account: uuid.New(), Key: "k-1", Fingerprint: [32]byte{1}}
	claim := func(at time.Time) bool {
		t.Helper()
		ok, err := s.Claim(ctx, k, "POST", "/api/v1/dossiers", at, at.Add(-24*time.Hour), at.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(t0) {
		t.Fatal("a fresh key was not claimed")
	}
	if claim(t0.Add(time.Second)) {
		t.Error("a running key was claimed twice")
	}
	if r, err := s.Lookup(ctx, k.Account, k.Key); err != nil || r.Completed || len(r.Fingerprint) != 32 || r.Fingerprint[0] != 1 {
		t.Errorf("Lookup of a running key = %+v, %v", r, err)
	}
	if !claim(t0.Add(2 * time.Minute)) {
		t.Error("a stale running key was not taken over")
	}
	if err := s.Complete(ctx, k, t0.Add(2*time.Minute), 201, map[string]string{"Location": "/x"}, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Lookup(ctx, k.Account, k.Key)
	if err != nil || !r.Completed || r.Status != 201 || r.Headers["Location"] != "/x" || string(r.Body) != `{"a":1}` {
		t.Errorf("Lookup of a completed key = %+v, %v", r, err)
	}
	if claim(t0.Add(time.Hour)) {
		t.Error("a completed key was claimed again before it expired")
	}
	if !claim(t0.Add(25 * time.Hour)) {
		t.Error("an expired key was not claimed afresh")
	}
	if err := s.Release(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, k.Account, k.Key); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Lookup after Release: %v, want domain.ErrNotFound", err)
	}
}
