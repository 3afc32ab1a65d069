package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestOnPostgresStore runs the runner end to end on the PostgreSQL event
// store (in the same schema as the read models). It logs a full rebuild's
// rate and fails only far below the 20,000 events/s target, because tests of
// other packages share the machine; BenchmarkRebuild measures it properly.
func TestOnPostgresStore(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	store := postgres.New(pool, postgres.Options{PollInterval: 50 * time.Millisecond, BatchSize: 2000})
	n := 40000
	if raceEnabled {
		n = 8000 // the race detector makes the store's decoding several times slower
	}
	want := appendEvents(t, store, "pg", 200, n)
	// The store shows only the prefix no open transaction can still add to,
	// and other tests' transactions on this cluster may hold it back for a
	// moment: wait until every appended event is visible before taking the head.
	var last eventstore.Position
	waitFor(t, 60*time.Second, "appended events visible", func() bool {
		all, err := store.ReadAll(context.Background(), eventstore.Start, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < n {
			return false
		}
		last = all[len(all)-1].Position
		return true
	})

	p := batchCounter{newCounter("pgc")}
	cfg := fastConfig()
	cfg.BatchSize = 1000
	cfg.BatchWindow = 20 * time.Millisecond
	r := projections.NewRunner(pool, store, cfg)
	stop := startRunner(t, r, p)
	waitFor(t, 120*time.Second, "first build", func() bool { return liveStatus(t, r, "pgc").Position == last })

	// Live: an event appended now is applied within a fraction of a second.
	res := appendOne(t, store, "pg-live", "test.happened.v1")
	waitFor(t, 5*time.Second, "live event", func() bool { return liveStatus(t, r, "pgc").Position == res.Position })
	stop()
	want["pg-live"] = 1

	began := time.Now()
	if err := r.Rebuild(context.Background(), p, projections.RebuildOptions{}); err != nil {
		t.Fatalf("Rebuild = %v", err)
	}
	elapsed := time.Since(began)
	rate := float64(n+1) / elapsed.Seconds()
	t.Logf("rebuilt %d events in %v: %.0f events/s", n+1, elapsed.Round(time.Millisecond), rate)
	if rate < 5000 && !raceEnabled {
		t.Errorf("rebuild ran at %.0f events/s; the target is 20000 and anything under 5000 is a regression", rate)
	}
	m := readModel(t, pool, "pgc")
	if m.Tally != int64(n+1) || m.Events != int64(n+1) || m.total() != int64(n+1) || len(m.Streams) != len(want) {
		t.Errorf("after rebuild: tally %d, events %d, total %d over %d streams; want %d over %d", m.Tally, m.Events, m.total(), len(m.Streams), n+1, len(want))
	}
	if s := liveStatus(t, r, "pgc"); s.Generation != 2 || !s.CaughtUp {
		t.Errorf("status after rebuild = %+v", s)
	}
}

// BenchmarkRebuild rebuilds the sample batch projection over 50,000 events
// of the PostgreSQL store and reports events/s.
func BenchmarkRebuild(b *testing.B) {
	pool := projectiontest.NewDB(b)
	store := postgres.New(pool, postgres.Options{BatchSize: 2000})
	const n = 50000
	ctx := context.Background()
	for i := 0; i < n; i += 50 {
		batch := make([]eventstore.EventData, 50)
		for j := range batch {
			batch[j] = eventstore.EventData{Type: "test.happened.v1", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i+j))}
		}
		if _, err := store.Append(ctx, fmt.Sprintf("bench-%d", i%500), eventstore.Any, batch...); err != nil {
			b.Fatal(err)
		}
	}
	p := batchCounter{newCounter("bench")}
	r := projections.NewRunner(pool, store, projections.Config{PollInterval: 20 * time.Millisecond})
	b.ResetTimer()
	for b.Loop() {
		if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
