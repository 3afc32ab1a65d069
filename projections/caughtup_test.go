package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestCaughtUpCountsPendingEvents: on PostgreSQL, an event committed
// behind a transaction that is still running is not in ReadAll's stable
// prefix yet; a projection that has applied that prefix has not caught up
// with the event, which a client may already have been answered about.
func TestCaughtUpCountsPendingEvents(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store := postgres.New(pool, postgres.Options{PollInterval: 50 * time.Millisecond})
	p := newCounter("pending")
	r := projections.NewRunner(pool, store, fastConfig())
	appendOne(t, store, "pending-1", "test.happened.v1")
	rebuildUntilCaughtUp(ctx, t, r, p, "after the build")

	// A transaction with an id, still running, holds the stable prefix
	// back; an event committed after it started waits behind it.
	blocker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	if _, err := blocker.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	appendOne(t, store, "pending-2", "test.happened.v1")
	if evs, err := store.ReadAll(ctx, head(t, store), 1); err != nil || len(evs) != 0 {
		t.Fatalf("the stable prefix shows the event behind the running transaction: %v, %v", evs, err)
	}
	if ok, err := r.CaughtUp(ctx, p.Name()); err != nil || ok {
		t.Errorf("CaughtUp with an event pending = %v, %v; want false", ok, err)
	}
	if err := blocker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.CaughtUp(ctx, p.Name()); err != nil || ok {
		t.Errorf("CaughtUp with the event readable but not applied = %v, %v; want false", ok, err)
	}
	rebuildUntilCaughtUp(ctx, t, r, p, "after applying it")
}

// rebuildUntilCaughtUp rebuilds p until CaughtUp says so. The stable prefix
// is the whole cluster's: a transaction of a test of another package,
// running in another schema, holds it back as the blocker above does, so
// one rebuild may stop short of this test's last event. A build that
// never catches up within 30 s fails.
func rebuildUntilCaughtUp(ctx context.Context, t *testing.T, r *projections.Runner, p projections.Projection, when string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
			t.Fatal(err)
		}
		ok, err := r.CaughtUp(ctx, p.Name())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CaughtUp %s = false for 30 s; want true", when)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
