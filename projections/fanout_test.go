package projections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// ordered records the events it is applied, in the order of application
// (an identity column that rollbacks do not rewind), idempotent by event id.
type ordered struct {
	name string
	hook atomic.Pointer[func(ctx context.Context, ev eventstore.Event) error]
}

func newOrdered(name string) *ordered { return &ordered{name: name} }

func (o *ordered) Name() string    { return o.name }
func (o *ordered) Version() int    { return 1 }
func (o *ordered) Views() []string { return []string{o.name + "_applied"} }

func (o *ordered) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, `CREATE TABLE `+t.Name(o.name+"_applied")+
		` (n bigint GENERATED ALWAYS AS IDENTITY, event_id uuid PRIMARY KEY, position text NOT NULL)`)
	return err
}

func (o *ordered) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	if f := o.hook.Load(); f != nil {
		if err := (*f)(ctx, ev); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+t.Name(o.name+"_applied")+` (event_id, position) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		ev.ID, ev.Position.String())
	return err
}

func (o *ordered) setHook(f func(ctx context.Context, ev eventstore.Event) error) { o.hook.Store(&f) }

// applied returns the positions o applied, in the order it applied them.
func applied(t *testing.T, pool *pgxpool.Pool, name string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT position FROM `+name+`_applied ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// count is how many events name applied so far (0 before its tables exist).
func count(pool *pgxpool.Pool, name string) int {
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+name+`_applied`).Scan(&n); err != nil {
		return 0
	}
	return n
}

func logPositions(t *testing.T, store eventstore.Store) []string {
	t.Helper()
	all, err := store.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(all))
	for i, ev := range all {
		out[i] = ev.Position.String()
	}
	return out
}

// sharedConfig is fastConfig with a shared read of four batches, and
// metrics registered on reg (unregistered when nil).
func sharedConfig(t *testing.T, reg prometheus.Registerer) projections.Config {
	t.Helper()
	cfg := fastConfig()
	cfg.BatchSize = 50
	cfg.SharedReadBuffer = 200
	m, err := projections.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metrics = m
	return cfg
}

// appliedAll waits until name has applied as many events as want holds,
// then checks they are want, in its order.
func appliedAll(t *testing.T, pool *pgxpool.Pool, name string, want []string) {
	t.Helper()
	waitFor(t, 30*time.Second, name+" caught up", func() bool { return count(pool, name) == len(want) })
	if got := applied(t, pool, name); !slices.Equal(got, want) {
		t.Errorf("%s: applied %d events in another order than the log's %d", name, len(got), len(want))
	}
}

// TestSharedReadAppliesEveryEventInOrder: projections fed by one shared
// read apply exactly the log, in its order, as one that reads on its own
// does — through the catch-up and live events alike.
func TestSharedReadAppliesEveryEventInOrder(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "in-order", 9, 1500)
	cfg := sharedConfig(t, nil)
	shared := []projections.Projection{newOrdered("so_a"), newOrdered("so_b"), newOrdered("so_c"), batchCounter{newCounter("so_d")}}
	startRunner(t, projections.NewRunner(pool, mem, cfg), shared...)
	own := cfg
	own.SharedReadBuffer = -1
	own.Metrics = nil
	startRunner(t, projections.NewRunner(pool, mem, own), newOrdered("so_own"))

	// Live events while they catch up.
	appendEvents(t, mem, "in-order-live", 4, 500)
	want := logPositions(t, mem)
	appliedAll(t, pool, "so_own", want)
	// The same as what the one reading on its own applied.
	ownOrder := applied(t, pool, "so_own")
	for _, name := range []string{"so_a", "so_b", "so_c"} {
		appliedAll(t, pool, name, ownOrder)
	}
	if m := readModel(t, pool, "so_d"); m.Tally != int64(len(want)) || m.Events != int64(len(want)) {
		t.Errorf("so_d: tally %d, events %d; want %d each", m.Tally, m.Events, len(want))
	}
}

// TestSlowOrFailedProjectionDoesNotHoldOthers: one projection stuck on an
// event (a slow one) or stopped on a poison event leaves the others to
// reach the log's head: the shared read evicts the stuck one once it
// lags by the buffer, and it catches up on its own once released.
func TestSlowOrFailedProjectionDoesNotHoldOthers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		poison bool
	}{{"slow", false}, {"poison", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := projectiontest.NewDB(t)
			mem := memstore.New(nil)
			appendEvents(t, mem, "hold", 5, 2000)
			want := logPositions(t, mem)
			reg := prometheus.NewRegistry()
			cfg := sharedConfig(t, reg)
			stuck, at := newOrdered("hold_stuck"), want[100]
			release := make(chan struct{})
			var reached atomic.Bool
			stuck.setHook(func(ctx context.Context, ev eventstore.Event) error {
				if ev.Position.String() != at {
					return nil
				}
				reached.Store(true)
				if tc.poison {
					return errors.New("cannot apply")
				}
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			r := projections.NewRunner(pool, mem, cfg)
			others := []string{"hold_a", "hold_b"}
			// The stuck one first, so that it holds the shared read when the
			// others start.
			startRunner(t, r, stuck)
			waitFor(t, 30*time.Second, "the stuck projection at its event", reached.Load)
			startRunner(t, r, newOrdered(others[0]), newOrdered(others[1]))
			for _, name := range others {
				appliedAll(t, pool, name, want)
			}
			if tc.poison {
				waitFor(t, 30*time.Second, "stuck failed", func() bool { return liveStatus(t, r, stuck.name).State == projections.StateFailed })
				if got := applied(t, pool, stuck.name); !slices.Equal(got, want[:100]) {
					t.Errorf("failed projection applied %d events, want the 100 before the poison one", len(got))
				}
				return
			}
			close(release)
			appendEvents(t, mem, "hold-live", 2, 100)
			want = logPositions(t, mem)
			for _, name := range append(others, stuck.name) {
				appliedAll(t, pool, name, want)
			}
			// Counted when the released worker finds itself evicted.
			if got := metricValue(t, reg, "hoso_projection_shared_read_evictions_total", stuck.name, ""); got < 1 {
				t.Errorf("evictions{%s} = %v, want at least 1", stuck.name, got)
			}
		})
	}
}

// TestLaterProjectionCatchesUp: a projection started while the runner's
// others follow the head reads the log from the start on its own, then
// joins the shared read; both go on with live events.
func TestLaterProjectionCatchesUp(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "later", 4, 800)
	cfg := sharedConfig(t, nil)
	r := projections.NewRunner(pool, mem, cfg)
	startRunner(t, r, newOrdered("later_first"))
	appliedAll(t, pool, "later_first", logPositions(t, mem))

	startRunner(t, r, newOrdered("later_second"))
	for i := range 5 {
		appendEvents(t, mem, fmt.Sprintf("later-live-%d", i), 2, 60)
	}
	want := logPositions(t, mem)
	for _, name := range []string{"later_first", "later_second"} {
		appliedAll(t, pool, name, want)
	}
}
