package projections_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

func TestDuplicateDeliveryAppliesEachEventOnce(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	want := appendEvents(t, mem, "dup", 7, 1000)
	p := newCounter("dup")
	r := projections.NewRunner(pool, projectiontest.Twice{Store: mem}, fastConfig())
	startRunner(t, r, p)
	last := head(t, mem)
	waitFor(t, 20*time.Second, "caught up", func() bool { return liveStatus(t, r, "dup").Position == last })

	// Live events are delivered twice as well.
	more := appendEvents(t, mem, "dup-live", 3, 120)
	maps.Copy(want, more)
	last = head(t, mem)
	waitFor(t, 20*time.Second, "caught up on live events", func() bool { return liveStatus(t, r, "dup").Position == last })

	m := readModel(t, pool, "dup")
	if m.Tally != 1120 || m.Events != 1120 {
		t.Errorf("applied %d times, %d event rows; want 1120 each", m.Tally, m.Events)
	}
	if !maps.Equal(m.Streams, want) {
		t.Errorf("streams = %v, want %v", m.Streams, want)
	}
	if s := liveStatus(t, r, "dup"); s.EventsApplied != 1120 || s.Generation != 1 {
		t.Errorf("status: applied %d, generation %d; want 1120, 1", s.EventsApplied, s.Generation)
	}
}

// TestApplyIsIdempotent holds the sample projection to the Projection
// contract: applying every event twice leaves what applying it once does.
func TestApplyIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "idem", 3, 200)
	events, err := mem.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dump := func(p projections.Projection, t1 projections.Tables, times int) string {
		var out string
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if err := p.Setup(ctx, tx, t1); err != nil {
				return err
			}
			for _, ev := range events {
				for range times {
					if err := p.Apply(ctx, tx, t1, ev); err != nil {
						return err
					}
				}
			}
			return tx.QueryRow(ctx, fmt.Sprintf(`SELECT
  (SELECT string_agg(stream_id || '=' || events, ',' ORDER BY stream_id) FROM %s) || '|' ||
  (SELECT string_agg(event_id::text || stream_id || version || position || type, ',' ORDER BY event_id) FROM %s)`,
				t1.Name("idem_streams"), t1.Name("idem_events"))).Scan(&out)
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	p := newCounter("idem")
	once := dump(p, projections.NewTables(1), 1)
	twice := dump(p, projections.NewTables(2), 2)
	if once != twice {
		t.Errorf("applying each event twice changed the model:\nonce:  %.200s\ntwice: %.200s", once, twice)
	}
}

func TestKillMidBatchAndRestart(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	want := appendEvents(t, mem, "kill", 5, 1000)
	last := head(t, mem)
	p := newCounter("kill")
	cfg := fastConfig()
	cfg.BatchSize = 64

	// Each run is killed after 37 events of a batch that started later than
	// its 150th event, until the projection has caught up.
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("no progress after 20 kills")
		}
		r := projections.NewRunner(pool, mem, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		var seen atomic.Int64
		p.setFail(func(ctx context.Context, ev eventstore.Event) error {
			if seen.Add(1) == 187 {
				cancel() // the process dies with the batch's writes uncommitted
				return ctx.Err()
			}
			return nil
		})
		done := make(chan struct{})
		go func() { _ = r.Run(ctx, p); close(done) }()
		caught := false
		for !caught {
			select {
			case <-done:
				caught = true
			case <-time.After(20 * time.Millisecond):
				if s := liveStatus(t, r, "kill"); s.Position == last {
					cancel()
					<-done
					caught = true
				}
			}
		}
		cancel()
		m := readModel(t, pool, "kill")
		s := liveStatus(t, r, "kill")
		if m.Tally != s.EventsApplied || m.Events != s.EventsApplied {
			t.Fatalf("round %d: model has %d applications and %d events but the checkpoint says %d", round, m.Tally, m.Events, s.EventsApplied)
		}
		if s.Position == last {
			if m.Tally != 1000 || !maps.Equal(m.Streams, want) {
				t.Fatalf("after %d kills: tally %d, streams %v; want 1000, %v", round, m.Tally, m.Streams, want)
			}
			if round == 0 {
				t.Fatal("the runner was never killed")
			}
			return
		}
	}
}

func TestTransientFailureIsRetried(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "flaky", 4, 500)
	last := head(t, mem)
	for _, batched := range []bool{false, true} {
		name := "flaky"
		if batched {
			name = "flakyb"
		}
		c := newCounter(name)
		var p projections.Projection = c
		if batched {
			p = batchCounter{c}
		}
		var failures atomic.Int64
		c.setFail(func(_ context.Context, ev eventstore.Event) error {
			if ev.Version == 17 && failures.Add(1) <= 2 {
				return errTransient
			}
			return nil
		})
		reg := prometheus.NewRegistry()
		m, err := projections.NewMetrics(reg)
		if err != nil {
			t.Fatal(err)
		}
		cfg := fastConfig()
		cfg.Metrics = m
		r := projections.NewRunner(pool, mem, cfg)
		stop := startRunner(t, r, p)
		waitFor(t, 20*time.Second, name+" caught up", func() bool { return liveStatus(t, r, name).Position == last })
		stop()
		if got := readModel(t, pool, name); got.Tally != 500 || got.Events != 500 {
			t.Errorf("%s: tally %d, events %d; want 500", name, got.Tally, got.Events)
		}
		if s := liveStatus(t, r, name); s.State == projections.StateFailed || s.Error != "" {
			t.Errorf("%s: state %s, error %q after a transient failure", name, s.State, s.Error)
		}
		if n := failures.Load(); n < 2 {
			t.Errorf("%s: the failure was injected %d times, want ≥ 2", name, n)
		}
		if got := metricValue(t, reg, "hoso_projection_events_applied_total", name, ""); got != 500 {
			t.Errorf("%s: events_applied_total = %v, want 500 (status %+v)", name, got, liveStatus(t, r, name))
		}
	}
}

func TestPoisonEventStopsOnlyItsProjection(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "before", 3, 300)
	poison := appendOne(t, mem, "bad-1", "test.poison.v1")
	appendEvents(t, mem, "after", 3, 200)
	last := head(t, mem)

	bad, good := newCounter("bad"), newCounter("good")
	brokenErr := errors.New("cannot decode payload")
	bad.setFail(func(_ context.Context, ev eventstore.Event) error {
		if ev.Type == "test.poison.v1" {
			return brokenErr
		}
		return nil
	})
	reg := prometheus.NewRegistry()
	metrics, err := projections.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig()
	cfg.Metrics = metrics
	r := projections.NewRunner(pool, mem, cfg)
	startRunner(t, r, batchCounter{bad}, good)

	waitFor(t, 20*time.Second, "good caught up", func() bool { return liveStatus(t, r, "good").Position == last })
	waitFor(t, 20*time.Second, "bad failed", func() bool { return liveStatus(t, r, "bad").State == projections.StateFailed })

	s := liveStatus(t, r, "bad")
	evs, _ := mem.ReadAll(context.Background(), eventstore.Start, 0)
	var poisonEv eventstore.Event
	for _, e := range evs {
		if e.Position == poison.Position {
			poisonEv = e
		}
	}
	if s.FailedEventID != poisonEv.ID || s.FailedPosition != poison.Position.String() || s.FailedEventType != "test.poison.v1" ||
		!strings.Contains(s.Error, brokenErr.Error()) || s.FailedAt.IsZero() {
		t.Errorf("failed status = %+v; want event %s at %s named with %q", s, poisonEv.ID, poison.Position, brokenErr)
	}
	if s.EventsApplied != 300 || s.CaughtUp {
		t.Errorf("bad applied %d (caught up %v); want the 300 before the poison event", s.EventsApplied, s.CaughtUp)
	}
	if m := readModel(t, pool, "bad"); m.Tally != 300 {
		t.Errorf("bad tally = %d, want 300", m.Tally)
	}
	if m := readModel(t, pool, "good"); m.Tally != 501 {
		t.Errorf("good tally = %d, want 501", m.Tally)
	}
	if got := metricValue(t, reg, "hoso_projection_failures_total", "bad", ""); got != 1 {
		t.Errorf("failures_total{bad} = %v, want 1", got)
	}
	if got := metricValue(t, reg, "hoso_projection_state", "bad", "failed"); got != 1 {
		t.Errorf("state{bad,failed} = %v, want 1", got)
	}

	// New events still reach the healthy projection; the failed one stays put.
	appendEvents(t, mem, "later", 2, 50)
	last = head(t, mem)
	waitFor(t, 20*time.Second, "good caught up again", func() bool { return liveStatus(t, r, "good").Position == last })
	if s := liveStatus(t, r, "bad"); s.EventsApplied != 300 || s.State != projections.StateFailed {
		t.Errorf("bad moved while failed: %+v", s)
	}

	// Fix the bug, retry: it resumes from its checkpoint.
	bad.setFail(nil)
	if cleared, err := r.Retry(context.Background(), "bad"); err != nil || !cleared {
		t.Fatalf("Retry = %v, %v; want true, nil", cleared, err)
	}
	waitFor(t, 20*time.Second, "bad caught up after retry", func() bool { return liveStatus(t, r, "bad").Position == last })
	if m := readModel(t, pool, "bad"); m.Tally != 551 || m.Events != 551 {
		t.Errorf("bad after retry: tally %d events %d; want 551", m.Tally, m.Events)
	}
	if s := liveStatus(t, r, "bad"); s.Error != "" || s.State == projections.StateFailed {
		t.Errorf("bad after retry: %+v", s)
	}
	if _, err := r.Retry(context.Background(), "nosuch"); !errors.Is(err, projections.ErrUnknown) {
		t.Errorf("Retry(nosuch) = %v, want ErrUnknown", err)
	}
}

func TestRebuildWhileReading(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "rb", 6, 3000)
	last := head(t, mem)
	p := newCounter("rb")
	cfg := fastConfig()
	serving := projections.NewRunner(pool, mem, cfg)
	startRunner(t, serving, p)
	waitFor(t, 30*time.Second, "first build", func() bool { return liveStatus(t, serving, "rb").Position == last })
	before := readModel(t, pool, "rb").total()

	// A reader queries the views all through the rebuild.
	ctx, stopReading := context.WithCancel(context.Background())
	var reads atomic.Int64
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		floor := before
		for ctx.Err() == nil {
			m, err := tryReadModel(ctx, pool, "rb")
			if ctx.Err() != nil {
				return
			}
			if err == nil && (m.total() < floor || m.Events != m.total()) {
				err = fmt.Errorf("reader saw %d events (%d rows), below %d", m.total(), m.Events, floor)
			}
			if err != nil {
				readErr <- err
				return
			}
			floor = m.total()
			reads.Add(1)
		}
	})
	// Writers keep appending meanwhile.
	wg.Go(func() {
		for i := 0; ctx.Err() == nil && i < 40; i++ {
			appendOne(t, mem, fmt.Sprintf("rb-live-%d", i%3), "test.happened.v1")
			time.Sleep(5 * time.Millisecond)
		}
	})

	rebuildCfg := cfg
	rebuildCfg.BatchSize = 50 // slow enough for the reader to look many times
	rebuilder := projections.NewRunner(pool, mem, rebuildCfg)
	var progressed atomic.Int64
	err := rebuilder.Rebuild(context.Background(), p, projections.RebuildOptions{
		Progress: func(pr projections.Progress) { progressed.Store(pr.Applied) },
	})
	if err != nil {
		t.Fatalf("Rebuild = %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	stopReading()
	wg.Wait()
	select {
	case err := <-readErr:
		t.Fatalf("reader: %v", err)
	default:
	}
	if reads.Load() < 10 {
		t.Errorf("only %d reads during the rebuild", reads.Load())
	}
	if progressed.Load() < 3000 {
		t.Errorf("progress reported %d events, want ≥ 3000", progressed.Load())
	}

	// The serving runner follows the new generation; the old one is gone.
	appendOne(t, mem, "rb-after", "test.happened.v1")
	last = head(t, mem)
	waitFor(t, 20*time.Second, "serving runner follows generation 2", func() bool {
		s := liveStatus(t, serving, "rb")
		return s.Generation == 2 && s.Position == last
	})
	if gens := statusOf(t, serving, "rb"); len(gens) != 1 {
		t.Errorf("generations after rebuild: %+v; want only generation 2", gens)
	}
	var leftover int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rb\_%\_g1'`).Scan(&leftover); err != nil {
		t.Fatal(err)
	}
	if leftover != 0 {
		t.Errorf("%d tables of generation 1 left", leftover)
	}
	m := readModel(t, pool, "rb")
	if m.Tally != 3041 || m.Events != 3041 {
		t.Errorf("after rebuild: tally %d, events %d; want 3041", m.Tally, m.Events)
	}
}

func TestVersionBumpRebuildsAside(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "ver", 2, 400)
	last := head(t, mem)
	v1 := newCounter("ver")
	r := projections.NewRunner(pool, mem, fastConfig())
	stop := startRunner(t, r, v1)
	waitFor(t, 20*time.Second, "v1 built", func() bool { return liveStatus(t, r, "ver").Position == last })
	stop()

	v2 := newCounter("ver")
	v2.version, v2.extraColumn = 2, true
	startRunner(t, r, v2)
	waitFor(t, 20*time.Second, "v2 swapped in", func() bool {
		s := liveStatus(t, r, "ver")
		return s.Version == 2 && s.Position == last
	})
	var note string
	if err := pool.QueryRow(context.Background(), `SELECT note FROM ver_streams LIMIT 1`).Scan(&note); err != nil || note != "v2" {
		t.Errorf("view ver_streams after the bump: note %q, %v; want the v2 column", note, err)
	}
	waitFor(t, 10*time.Second, "v1 dropped", func() bool { return len(statusOf(t, r, "ver")) == 1 })
	if m := readModel(t, pool, "ver"); m.Tally != 400 {
		t.Errorf("v2 tally = %d, want 400", m.Tally)
	}
}

func TestStatusReportsLag(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	now := func() time.Time { return *clock.Load() }
	mem := memstore.New(now)
	store := withHead{mem}
	appendEvents(t, mem, "lag", 2, 100)
	first := head(t, mem)

	cfg := fastConfig()
	cfg.Now = now
	r := projections.NewRunner(pool, store, cfg)
	p := newCounter("lag")

	// Registered but never run.
	st, err := r.Status(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Projection != "lag" || st[0].Generation != 0 {
		t.Fatalf("status before the first run = %+v", st)
	}

	stop := startRunner(t, r, p)
	waitFor(t, 20*time.Second, "caught up", func() bool {
		s := liveStatus(t, r, "lag")
		return s.Position == first && s.State == projections.StateCaughtUp
	})
	stop()
	s := liveStatus(t, r, "lag")
	if !s.CaughtUp || s.Lag != 0 || !s.HeadKnown || s.Head != first || !s.LastRecordedAt.Equal(t0) {
		t.Errorf("caught-up status = %+v", s)
	}

	// Ninety seconds later two events arrive while the runner is down.
	t1 := t0.Add(90 * time.Second)
	clock.Store(&t1)
	appendEvents(t, mem, "lag2", 1, 2)
	t2 := t1.Add(30 * time.Second)
	clock.Store(&t2)
	s = liveStatus(t, r, "lag")
	if s.CaughtUp || s.Head != head(t, mem) || s.Position != first {
		t.Errorf("behind status = %+v", s)
	}
	if s.Lag != 120*time.Second || !s.PendingSince.Equal(t1) {
		t.Errorf("lag = %v, pending since %v; want 2m0s and %v", s.Lag, s.PendingSince, t1)
	}
}

// indexedCounter is counter with a query index, which the runner creates
// on a live generation once it has caught up (with the generation when the
// log is empty) and on a rebuilt one before it is swapped in.
type indexedCounter struct{ *counter }

func (c indexedCounter) QueryIndexes(t projections.Tables) []string {
	return []string{fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (type, position)`,
		t.Name(c.name+"_events_by_type"), t.Name(c.name+"_events"))}
}

func TestQueryIndexes(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, "qi", 3, 50)
	p := indexedCounter{newCounter("qi")}
	// The index's table for each generation that has it, and whether the
	// index is on the table the live view reads.
	indexed := func() map[string]bool {
		t.Helper()
		rows, err := pool.Query(context.Background(), `
SELECT i.tablename, EXISTS (SELECT 1 FROM pg_views v WHERE v.schemaname = current_schema() AND v.viewname = 'qi_events' AND strpos(v.definition, i.tablename) > 0)
  FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.indexname LIKE '%qi_events_by_type%'`)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for rows.Next() {
			var table string
			var live bool
			if err := rows.Scan(&table, &live); err != nil {
				t.Fatal(err)
			}
			out[table] = live
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}

	// The log holds events before the first start: the live generation is
	// indexed once it has caught up, and CaughtUp waits for that.
	ctx := context.Background()
	caughtUp := func() bool {
		t.Helper()
		ok, err := projections.NewRunner(pool, mem, fastConfig()).CaughtUp(ctx, "qi")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	stop := startRunner(t, projections.NewRunner(pool, mem, fastConfig()), p)
	last := head(t, mem)
	waitFor(t, 10*time.Second, "generation 1 caught up", caughtUp)
	stop()
	if pos := liveStatus(t, projections.NewRunner(pool, mem, fastConfig()), "qi").Position; pos != last {
		t.Fatalf("caught up at %s; the log's head is %s", pos, last)
	}
	first := indexed()
	if len(first) != 1 {
		t.Fatalf("after the first run, the index is on %v; want the live generation's table", first)
	}
	for table, live := range first {
		if !live {
			t.Fatalf("the index is on %s, which the live view does not read", table)
		}
	}

	// A live generation whose indexes are still pending (a runner stopped
	// between the catch-up and the indexing) is not caught up, and the next
	// runner indexes it.
	for table := range first {
		if _, err := pool.Exec(ctx, `DROP INDEX `+strings.Replace(table, "qi_events", "qi_events_by_type", 1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE projection_checkpoints SET query_indexes_pending = true WHERE projection = 'qi' AND live`); err != nil {
		t.Fatal(err)
	}
	if len(indexed()) != 0 || caughtUp() {
		t.Fatalf("with its indexes pending: indexes %v, caught up %v; want none, false", indexed(), caughtUp())
	}
	stop = startRunner(t, projections.NewRunner(pool, mem, fastConfig()), p)
	waitFor(t, 10*time.Second, "generation 1 indexed again", caughtUp)
	stop()
	if again := indexed(); !maps.Equal(again, first) {
		t.Fatalf("after the restart, the index is on %v; want %v", again, first)
	}

	if err := projections.NewRunner(pool, mem, fastConfig()).Rebuild(context.Background(), p, projections.RebuildOptions{Fresh: true}); err != nil {
		t.Fatal(err)
	}
	second := indexed()
	if len(second) != 1 {
		t.Fatalf("after the rebuild, the index is on %v; want exactly the new live generation's table", second)
	}
	for table, live := range second {
		if first[table] || !live {
			t.Fatalf("after the rebuild the index is on %s (live view reads it: %v); before it was on %v", table, live, first)
		}
	}
}
