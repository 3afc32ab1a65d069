package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/projections"
)

// counter is the sample projection: events per stream and a row per event,
// both idempotent by event id, plus a deliberately non-idempotent tally of
// Apply calls that exposes any event the runner applies twice.
type counter struct {
	name    string
	version int
	// fail, when set, is consulted before each event is applied.
	fail atomic.Pointer[func(ctx context.Context, ev eventstore.Event) error]
	// extraColumn changes the schema (to test a Version bump).
	extraColumn bool
}

func newCounter(name string) *counter { return &counter{name: name, version: 1} }

func (c *counter) Name() string { return c.name }
func (c *counter) Version() int { return c.version }
func (c *counter) Views() []string {
	return []string{c.name + "_streams", c.name + "_events", c.name + "_tally"}
}

func (c *counter) setFail(f func(ctx context.Context, ev eventstore.Event) error) {
	if f == nil {
		c.fail.Store(nil)
		return
	}
	c.fail.Store(&f)
}

func (c *counter) check(ctx context.Context, ev eventstore.Event) error {
	if f := c.fail.Load(); f != nil {
		return (*f)(ctx, ev)
	}
	return nil
}

func (c *counter) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	extra := ""
	if c.extraColumn {
		extra = ", note text NOT NULL DEFAULT 'v2'"
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (stream_id text PRIMARY KEY, events bigint NOT NULL%[4]s);
CREATE TABLE %[2]s (event_id uuid PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL, position text NOT NULL, type text NOT NULL);
CREATE INDEX %[5]s ON %[2]s (stream_id, version);
CREATE TABLE %[3]s (k int PRIMARY KEY, applied bigint NOT NULL);
INSERT INTO %[3]s VALUES (1, 0);`,
		t.Name(c.name+"_streams"), t.Name(c.name+"_events"), t.Name(c.name+"_tally"), extra, t.Name(c.name+"_events_by_stream")))
	return err
}

func (c *counter) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	if err := c.check(ctx, ev); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`
WITH ins AS (
  INSERT INTO %[2]s VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING stream_id
), tally AS (
  UPDATE %[3]s SET applied = applied + 1 WHERE k = 1
)
INSERT INTO %[1]s AS s (stream_id, events) SELECT stream_id, 1 FROM ins
ON CONFLICT (stream_id) DO UPDATE SET events = s.events + 1`,
		t.Name(c.name+"_streams"), t.Name(c.name+"_events"), t.Name(c.name+"_tally")),
		ev.ID, ev.StreamID, int64(ev.Version), ev.Position.String(), ev.Type)
	return err
}

// batchCounter is counter writing a whole batch in one statement, the way a
// read model makes a rebuild fast.
type batchCounter struct{ *counter }

func (c batchCounter) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	ids := make([]string, len(events))
	streams := make([]string, len(events))
	versions := make([]int64, len(events))
	positions := make([]string, len(events))
	types := make([]string, len(events))
	for i, ev := range events {
		if err := c.check(ctx, ev); err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		ids[i], streams[i], versions[i], positions[i], types[i] = ev.ID.String(), ev.StreamID, int64(ev.Version), ev.Position.String(), ev.Type
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`
WITH ins AS (
  INSERT INTO %[2]s SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[])
  ON CONFLICT (event_id) DO NOTHING RETURNING stream_id
), tally AS (
  UPDATE %[3]s SET applied = applied + $6 WHERE k = 1
)
INSERT INTO %[1]s AS s (stream_id, events) SELECT stream_id, count(*) FROM ins GROUP BY stream_id
ON CONFLICT (stream_id) DO UPDATE SET events = s.events + excluded.events`,
		t.Name(c.name+"_streams"), t.Name(c.name+"_events"), t.Name(c.name+"_tally")),
		ids, streams, versions, positions, types, len(events))
	return err
}

// model is what a reader sees through the views.
type model struct {
	Streams map[string]int64
	Events  int64
	Tally   int64
}

func (m model) total() int64 {
	var n int64
	for _, v := range m.Streams {
		n += v
	}
	return n
}

func readModel(t *testing.T, pool *pgxpool.Pool, name string) model {
	t.Helper()
	m, err := tryReadModel(context.Background(), pool, name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tryReadModel(ctx context.Context, pool *pgxpool.Pool, name string) (model, error) {
	m := model{Streams: map[string]int64{}}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return m, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT stream_id, events FROM `+name+`_streams`)
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return m, err
		}
		m.Streams[s] = n
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+name+`_events`).Scan(&m.Events); err != nil {
		return m, err
	}
	if err := tx.QueryRow(ctx, `SELECT applied FROM `+name+`_tally`).Scan(&m.Tally); err != nil {
		return m, err
	}
	return m, tx.Commit(ctx)
}

// appendEvents appends n events spread over streams s-0 … s-(streams-1) of
// prefix, in appends of up to 50, and returns how many went to each stream.
func appendEvents(t *testing.T, store eventstore.Store, prefix string, streams, n int) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	want := map[string]int64{}
	for i := 0; i < n; {
		stream := fmt.Sprintf("%s-%d", prefix, (i/50)%streams)
		k := min(50, n-i)
		batch := make([]eventstore.EventData, k)
		for j := range batch {
			batch[j] = eventstore.EventData{Type: "test.happened.v1", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i+j))}
		}
		if _, err := store.Append(ctx, stream, eventstore.Any, batch...); err != nil {
			t.Fatal(err)
		}
		want[stream] += int64(k)
		i += k
	}
	return want
}

func appendOne(t *testing.T, store eventstore.Store, stream, typ string) eventstore.AppendResult {
	t.Helper()
	res, err := store.Append(context.Background(), stream, eventstore.Any, eventstore.EventData{Type: typ, Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// head returns the position of the store's last event.
func head(t *testing.T, store eventstore.Store) eventstore.Position {
	t.Helper()
	all, err := store.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		return eventstore.Start
	}
	return all[len(all)-1].Position
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveStatus returns the live generation's status of name (or the zero Status).
func liveStatus(t *testing.T, r *projections.Runner, name string) projections.Status {
	t.Helper()
	all, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Projection == name && s.Live {
			return s
		}
	}
	return projections.Status{}
}

func statusOf(t *testing.T, r *projections.Runner, name string) []projections.Status {
	t.Helper()
	all, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []projections.Status
	for _, s := range all {
		if s.Projection == name {
			out = append(out, s)
		}
	}
	return out
}

// startRunner runs r over ps in the background; the returned stop cancels
// it and waits for Run to return.
func startRunner(t *testing.T, r *projections.Runner, ps ...projections.Projection) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, ps...) }()
	var stopped atomic.Bool
	stop = func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}

func fastConfig() projections.Config {
	return projections.Config{
		BatchSize:      100,
		BatchWindow:    5 * time.Millisecond,
		InitialBackoff: 5 * time.Millisecond,
		MaxBackoff:     50 * time.Millisecond,
		MaxAttempts:    3,
		PollInterval:   50 * time.Millisecond,
	}
}

// withHead adds HeadReader to a memstore.
type withHead struct{ *memstore.Store }

func (s withHead) Head(ctx context.Context) (eventstore.Position, error) {
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil || len(all) == 0 {
		return eventstore.Start, err
	}
	return all[len(all)-1].Position, nil
}

var errTransient = errors.New("transient: could not serialize access")

// metricValue reads one sample of a counter or gauge labelled by projection
// (and state, when given) from reg.
func metricValue(t *testing.T, reg prometheus.Gatherer, name, projection, state string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if (l.GetName() == "projection" && l.GetValue() != projection) || (l.GetName() == "state" && l.GetValue() != state) {
					continue metrics
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no sample of %s{projection=%q,state=%q}", name, projection, state)
	return 0
}
