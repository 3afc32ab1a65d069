package projections_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/internal/devdb"
	"github.com/hoso-ledger/hoso/migrations"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// privateCluster starts a PostgreSQL cluster of the test's own (the shared
// one must not be stopped under other tests) and returns a pool on a
// migrated database in it.
func privateCluster(t *testing.T) (*devdb.Cluster, *pgxpool.Pool) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hoso-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The server runs as nobody when the test runs as root; it must reach
	// its data directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := devdb.Open(filepath.Join(dir, "var"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if err := c.Ensure(ctx, "outage"); err != nil {
		t.Fatal(err)
	}
	url := c.URL("outage")
	if err := migrations.Apply(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return c, pool
}

// TestDatabaseOutageIsNotPoison crashes the read models' database while the
// runner has events to apply, keeps it down far longer than MaxAttempts
// backoffs, and starts it again: the projection must pick up where it was and
// reach the head, never marked failed. A lost database says nothing about
// the event being applied.
func TestDatabaseOutageIsNotPoison(t *testing.T) {
	t.Parallel()
	cluster, pool := privateCluster(t)
	mem := memstore.New(nil)
	const name = "outage"
	c := newCounter(name)
	cfg := fastConfig() // 3 attempts, 5–50 ms backoff: poison within 35 ms today
	r := projections.NewRunner(pool, mem, cfg)
	startRunner(t, r, c)

	appendEvents(t, mem, "before", 3, 200)
	before := head(t, mem)
	waitFor(t, 30*time.Second, "caught up before the outage", func() bool { return liveStatus(t, r, name).Position == before })

	ctx := context.Background()
	if err := cluster.StopImmediately(ctx); err != nil {
		t.Fatal(err)
	}
	// Events keep arriving (the log is elsewhere): the runner tries to apply
	// them against a database that is not there.
	appendEvents(t, mem, "during", 3, 200)
	time.Sleep(2 * time.Second) // ≫ the 35 ms of attempts; not an assertion
	if err := cluster.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, mem, "after", 3, 200)
	last := head(t, mem)

	waitFor(t, 30*time.Second, "caught up after the outage", func() bool {
		s, err := tryLiveStatus(ctx, r, name)
		return err == nil && (s.Position == last || s.State == projections.StateFailed)
	})
	s := liveStatus(t, r, name)
	if s.State == projections.StateFailed || s.Error != "" || s.FailedEventType != "" {
		t.Fatalf("after a database outage: state %s, error %q, failed event type %q; want live and not failed", s.State, s.Error, s.FailedEventType)
	}
	if s.Position != last || !s.Live {
		t.Fatalf("after a database outage: position %s (live %v), want the head %s", s.Position, s.Live, last)
	}
	if got := readModel(t, pool, name); got.Events != 600 || got.Tally != 600 {
		t.Errorf("read model: %d events, tally %d; want 600 each", got.Events, got.Tally)
	}
}

// tryLiveStatus is liveStatus for a database that may still be recovering.
func tryLiveStatus(ctx context.Context, r *projections.Runner, name string) (projections.Status, error) {
	all, err := r.Status(ctx)
	if err != nil {
		return projections.Status{}, err
	}
	for _, s := range all {
		if s.Projection == name && s.Live {
			return s, nil
		}
	}
	return projections.Status{}, nil
}

// sessionKiller is the counter whose Apply, for its first kills calls on
// the target event, has the server terminate its own session: what a
// failover, a fast shutdown or pg_terminate_backend does to a busy
// connection (57P01), on the real server.
type sessionKiller struct {
	*counter
	target uint64 // stream version of the event whose session is cut
	kills  int64
	killed atomic.Int64
}

func (k *sessionKiller) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	if ev.Version == k.target && k.killed.Add(1) <= k.kills {
		_, err := tx.Exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
		return fmt.Errorf("counting %s: %w", ev.ID, err)
	}
	return k.counter.Apply(ctx, tx, t, ev)
}

// TestLostSessionIsNotPoison: an event whose transactions keep losing their
// session, more times in a row than MaxAttempts, is applied once the
// sessions stay up; the projection is never marked failed.
func TestLostSessionIsNotPoison(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	const name = "lostsession"
	cfg := fastConfig() // 3 attempts
	k := &sessionKiller{counter: newCounter(name), target: 7, kills: int64(3 * cfg.MaxAttempts)}
	appendEvents(t, mem, name, 1, 20)
	last := head(t, mem)
	r := projections.NewRunner(pool, mem, cfg)
	startRunner(t, r, k)

	waitFor(t, 30*time.Second, "caught up or failed", func() bool {
		s := liveStatus(t, r, name)
		return s.Position == last || s.State == projections.StateFailed
	})
	s := liveStatus(t, r, name)
	if s.State == projections.StateFailed || s.Error != "" {
		t.Fatalf("after lost sessions: state %s, error %q; want not failed", s.State, s.Error)
	}
	if n := k.killed.Load(); n <= k.kills {
		t.Errorf("the session was cut %d times, want more than %d tries", n, k.kills)
	}
	if got := readModel(t, pool, name); got.Events != 20 || got.Tally != 20 {
		t.Errorf("read model: %d events, tally %d; want 20 each", got.Events, got.Tally)
	}
}
