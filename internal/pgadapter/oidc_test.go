package pgadapter_test

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// TestIDTokensSpend: an ID token is spent once, even by racing requests;
// expired ones are forgotten, so the table does not grow for ever.
func TestIDTokensSpend(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	tokens := pgadapter.NewIDTokens(pool)
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	a, b := sha256.Sum256([]byte("token a")), sha256.Sum256([]byte("token b"))

	var won atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := tokens.Spend(ctx, a, now.Add(5*time.Minute), now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("8 racing spends of one token: %d won, want 1", won.Load())
	}
	if ok, err := tokens.Spend(ctx, b, now.Add(5*time.Minute), now); err != nil || !ok {
		t.Fatalf("Spend(another token) = %v, %v; want true", ok, err)
	}
	var n int
	count := func() int {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM oidc_id_tokens_used`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(); got != 2 {
		t.Fatalf("%d rows, want 2", got)
	}
	// An hour later both have expired: the next spend forgets them.
	later := now.Add(time.Hour)
	c := sha256.Sum256([]byte("token c"))
	if ok, err := tokens.Spend(ctx, c, later.Add(5*time.Minute), later); err != nil || !ok {
		t.Fatalf("Spend(token c) = %v, %v", ok, err)
	}
	if got := count(); got != 1 {
		t.Errorf("%d rows after the expired ones went, want 1", got)
	}
}
