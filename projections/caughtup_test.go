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
	if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.CaughtUp(ctx, p.Name()); err != nil || !ok {
		t.Fatalf("CaughtUp after the build = %v, %v; want true", ok, err)
	}

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
	if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.CaughtUp(ctx, p.Name()); err != nil || !ok {
		t.Errorf("CaughtUp after applying it = %v, %v; want true", ok, err)
	}
}
