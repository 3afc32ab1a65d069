package projectiontest

import (
	"context"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections"
)

// NewDB is a pool on a fresh, migrated schema of the test's own (see
// internal/pgtest), so tests run in parallel.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := pgtest.New(t)
	return pool
}

// InTx runs f in one transaction and commits it.
func InTx(t testing.TB, pool *pgxpool.Pool, f func(pgx.Tx) error) {
	t.Helper()
	if err := pgx.BeginFunc(context.Background(), pool, f); err != nil {
		t.Fatal(err)
	}
}

// Setup creates generation gen of p's tables.
func Setup(t testing.TB, pool *pgxpool.Pool, p projections.Projection, gen int) projections.Tables {
	t.Helper()
	tables := projections.NewTables(gen)
	InTx(t, pool, func(tx pgx.Tx) error { return p.Setup(context.Background(), tx, tables) })
	return tables
}

// Apply applies every event times times with p.Apply, one transaction each,
// as a transport that redelivers would: times 2 proves idempotency.
func Apply(t testing.TB, pool *pgxpool.Pool, p projections.Projection, tables projections.Tables, events []eventstore.Event, times int) {
	t.Helper()
	for _, ev := range events {
		for range times {
			InTx(t, pool, func(tx pgx.Tx) error { return p.Apply(context.Background(), tx, tables, ev) })
		}
	}
}

// ApplyInBatches applies events with p.ApplyBatch in batches of n, one
// transaction each, as the runner does.
func ApplyInBatches(t testing.TB, pool *pgxpool.Pool, p projections.BatchApplier, tables projections.Tables, events []eventstore.Event, n int) {
	t.Helper()
	for len(events) > 0 {
		chunk := events[:min(n, len(events))]
		events = events[len(chunk):]
		InTx(t, pool, func(tx pgx.Tx) error { return p.ApplyBatch(context.Background(), tx, tables, chunk) })
	}
}

// PointViews points p's stable view names at tables, as the runner's swap
// does, so the read model's query functions read that generation.
func PointViews(t testing.TB, pool *pgxpool.Pool, p projections.Projection, tables projections.Tables) {
	t.Helper()
	InTx(t, pool, func(tx pgx.Tx) error {
		for _, v := range p.Views() {
			if _, err := tx.Exec(context.Background(), fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS SELECT * FROM %s`, v, tables.Name(v))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Build sets up generation gen, applies every event times times (Apply)
// and points the views at the generation (PointViews).
func Build(t testing.TB, pool *pgxpool.Pool, p projections.Projection, gen int, events []eventstore.Event, times int) projections.Tables {
	t.Helper()
	tables := Setup(t, pool, p, gen)
	Apply(t, pool, p, tables, events, times)
	PointViews(t, pool, p, tables)
	return tables
}

// Dump runs each query (one text value each, typically a json_agg of a
// table in key order) and joins the results a line each: two generations
// hold the same rows when their dumps are equal.
func Dump(t testing.TB, pool *pgxpool.Pool, queries ...string) string {
	t.Helper()
	var out string
	for _, q := range queries {
		var s string
		if err := pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out += s + "\n"
	}
	return out
}

// DumpTable is a query for Dump: every row of table as JSON, ordered by
// orderBy.
func DumpTable(table, orderBy string) string {
	return `SELECT coalesce(json_agg(to_jsonb(x) ORDER BY ` + orderBy + `), '[]')::text FROM ` + table + ` x`
}

// Rebuild builds p from the start of store's log with a runner on cfg
// (Runner.Rebuild: a new generation, swapped in once caught up), within a
// minute.
func Rebuild(t testing.TB, pool *pgxpool.Pool, store eventstore.Store, p projections.Projection, cfg projections.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := projections.NewRunner(pool, store, cfg).Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatalf("rebuild %s: %v", p.Name(), err)
	}
}

// CatchUp runs ps with a runner (Run: the first generation is live from
// the start) until every one of them has applied the whole log, and stops
// it. It fails the test when a projection stops on a poison event or when
// timeout passes first.
func CatchUp(t testing.TB, pool *pgxpool.Pool, store eventstore.Store, timeout time.Duration, ps ...projections.Projection) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := projections.NewRunner(pool, store, projections.Config{PollInterval: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, ps...) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(timeout)
	for {
		st, err := r.Status(ctx, ps...)
		if err != nil {
			t.Fatal(err)
		}
		waiting := map[string]bool{}
		for _, p := range ps {
			waiting[p.Name()] = true
		}
		for _, s := range st {
			if s.State == projections.StateFailed {
				t.Fatalf("%s stopped on event %s (%s): %s", s.Projection, s.FailedEventID, s.FailedEventType, s.Error)
			}
			if s.Live && s.CaughtUp {
				delete(waiting, s.Projection)
			}
		}
		if len(waiting) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up after %s: %v", timeout, waiting)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Twice is a store whose subscription delivers every event two times in a
// row, as an at-least-once transport may: a projection fed through it must
// end as if fed once.
type Twice struct{ eventstore.Store }

// Subscribe yields each event of the wrapped subscription twice.
func (s Twice) Subscribe(ctx context.Context, from eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for ev, err := range s.Store.Subscribe(ctx, from) {
			if !yield(ev, err) || err != nil || !yield(ev, nil) {
				return
			}
		}
	}
}
