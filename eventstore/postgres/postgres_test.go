package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/storetest"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/migrations"
)

// newStore returns a store on a fresh schema whose connections run as the
// service does, as hoso_app, so the suite also proves the role's grants
// suffice. owner is a pool on the same schema with the owner's rights.
func newStore(t testing.TB, opts postgres.Options) (s *postgres.Store, owner, app *pgxpool.Pool) {
	t.Helper()
	owner, url := pgtest.New(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = pgtest.MaxConns
	cfg.AfterConnect = migrations.SetAppRole
	app, err = pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	return postgres.New(app, opts), owner, app
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s, _, _ := newStore(t, postgres.Options{})
		return s
	})
}

// outOfOrderCommits makes every append hold its transaction open for up to
// 3ms after drawing its seq values, so concurrent appends commit in an order
// other than their seq order: the situation the gap problem is about.
func outOfOrderCommits() func() {
	return func() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) }
}

var gapScenario = storetest.Scenario{Writers: 8, Events: 150, Settle: time.Second}

// TestNaiveReaderSkipsEvents shows that the subscription test catches the
// gap problem: with ReadAll switched to "WHERE seq > last ORDER BY seq", the
// same concurrent-writers scenario loses events.
func TestNaiveReaderSkipsEvents(t *testing.T) {
	for attempt := 1; attempt <= 5; attempt++ {
		s, _, _ := newStore(t, postgres.Options{})
		postgres.UseNaiveReader(s)
		postgres.SetBeforeCommit(s, outOfOrderCommits())
		out := gapScenario.Run(t, s)
		missing := out.Missing(out.Live)
		missingResumed := out.Missing(out.Resumed)
		t.Logf("attempt %d: naive live subscription missed %d of %d events, restarted one %d (problems reported by the suite's check: %d)",
			attempt, len(missing), len(out.Written), len(missingResumed), len(out.Check(out.Live)))
		if len(missing) > 0 || len(missingResumed) > 0 {
			return
		}
	}
	t.Fatal("the naive reader delivered every event in 5 attempts: the scenario no longer provokes the gap problem")
}

// TestReaderUnderOutOfOrderCommits is the control: the store's own reader
// loses nothing under the commit reordering that defeats the naive one.
func TestReaderUnderOutOfOrderCommits(t *testing.T) {
	s, _, _ := newStore(t, postgres.Options{})
	postgres.SetBeforeCommit(s, outOfOrderCommits())
	out := gapScenario.Run(t, s)
	for name, delivered := range map[string][]eventstore.Event{"live": out.Live, "restarted": out.Resumed} {
		if problems := out.Check(delivered); len(problems) > 0 {
			t.Errorf("%s subscription: %v", name, problems)
		}
	}
}

// TestStablePrefix holds a writing transaction open (as any other writer in
// the cluster might) and checks that an event appended meanwhile is held
// back until it ends, then delivered without waiting for the poll interval.
func TestStablePrefix(t *testing.T) {
	s, owner, _ := newStore(t, postgres.Options{PollInterval: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	blocker, err := owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	if _, err := blocker.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil { // takes an xid, as a writer does
		t.Fatal(err)
	}
	e := eventstore.EventData{Type: "test.held.v1", Data: json.RawMessage(`{}`)}
	if _, err := s.Append(ctx, "held", eventstore.NoStream, e); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, eventstore.Start, 0); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll while an older transaction runs = %d events, %v; want none yet", len(got), err)
	}

	delivered := make(chan time.Time, 1)
	go func() {
		for _, err := range s.Subscribe(ctx, eventstore.Start) {
			if err == nil {
				delivered <- time.Now()
			}
			return
		}
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case <-delivered:
		t.Fatal("Subscribe delivered an event behind a running transaction")
	default:
	}
	released := time.Now()
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-delivered:
		t.Logf("delivered %v after the blocking transaction ended", at.Sub(released))
	case <-time.After(5 * time.Second):
		t.Fatal("Subscribe did not deliver within 5s of the blocking transaction ending (poll interval is 1m)")
	}
}

// TestNotifyWakesSubscription: with a poll interval of a minute, a caught-up
// subscription still sees at once an event appended by another store (as by
// another process): NOTIFY reached it.
func TestNotifyWakesSubscription(t *testing.T) {
	s, _, app := newStore(t, postgres.Options{PollInterval: time.Minute})
	writer := postgres.New(app, postgres.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := make(chan eventstore.Event)
	go func() {
		for e, err := range s.Subscribe(ctx, eventstore.Start) {
			if err != nil {
				return
			}
			got <- e
		}
	}()
	for i := range 3 {
		time.Sleep(200 * time.Millisecond) // let the subscription go idle
		res, err := writer.Append(ctx, "wake", eventstore.Exactly(uint64(i)), eventstore.EventData{Type: "test.wake.v1", Data: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		select {
		case e := <-got:
			if e.Position != res.Position {
				t.Fatalf("delivered %s, appended %s", e.Position, res.Position)
			}
			t.Logf("event %d delivered %v after its append returned", i, time.Since(start))
		// Not a timing requirement: the bound only has to be well under the
		// minute of polling. Any transaction with an xid anywhere in the
		// cluster (another package's test, in make test) holds the event
		// back until it ends, for seconds on a loaded machine.
		case <-time.After(30 * time.Second):
			t.Fatalf("event %d not delivered within 30s (poll interval is 1m): NOTIFY did not wake the subscription", i)
		}
	}
}

// TestNotifyOnlyOtherListeners: the post-commit NOTIFY is sent only when a
// listener other than the store's own is registered, and then it is sent.
func TestNotifyOnlyOtherListeners(t *testing.T) {
	s, _, app := newStore(t, postgres.Options{PollInterval: time.Minute})
	other := postgres.New(app, postgres.Options{PollInterval: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.Append(ctx, "notify", eventstore.NoStream, eventstore.EventData{Type: "test.notify.v1", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	expect := func(store *postgres.Store, want bool, why string) {
		t.Helper()
		got, err := postgres.NotifyOthers(store)
		if err != nil || got != want {
			t.Fatalf("%s: notified = %v, %v; want %v", why, got, err, want)
		}
	}
	// subscribe starts a subscription on store and waits until its listener
	// has registered; the returned function ends it.
	subscribe := func(store *postgres.Store) func() {
		t.Helper()
		subCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, err := range store.Subscribe(subCtx, eventstore.Start) {
				if err != nil {
					return
				}
			}
		}()
		for postgres.ListenerPID(store) == 0 {
			if ctx.Err() != nil {
				t.Fatal("the subscription's listener never registered")
			}
			time.Sleep(10 * time.Millisecond)
		}
		return func() { stop(); <-done }
	}

	expect(s, false, "nobody listens")
	stopOwn := subscribe(s)
	expect(s, false, "only the store's own subscription listens")
	stopOther := subscribe(other)
	expect(s, true, "another store listens")
	expect(other, true, "the first store listens too")
	stopOwn()
	stopOther()
	// Closing the listener's connection ends its backend, and the lock with
	// it, soon but not synchronously.
	for {
		notified, err := postgres.NotifyOthers(s)
		if err != nil {
			t.Fatal(err)
		}
		if !notified {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("a stopped listener is still registered after a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPrivileges: the service role cannot change history or forge the
// columns that order it, and the owner is stopped by the trigger.
func TestPrivileges(t *testing.T) {
	s, owner, app := newStore(t, postgres.Options{})
	ctx := context.Background()
	if _, err := s.Append(ctx, "priv", eventstore.NoStream, eventstore.EventData{Type: "test.priv.v1", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 32)
	tests := []struct {
		pool  *pgxpool.Pool
		who   string
		sql   string
		args  []any
		state string
	}{
		{app, "hoso_app", "UPDATE events SET type = 'x.y.v1'", nil, pgerrcode.InsufficientPrivilege},
		{app, "hoso_app", "DELETE FROM events", nil, pgerrcode.InsufficientPrivilege},
		{app, "hoso_app", "TRUNCATE events", nil, pgerrcode.InsufficientPrivilege},
		{app, "hoso_app", `INSERT INTO events (transaction_id, event_id, stream_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash)
			VALUES ('1', $1, 'forged', 1, 'x.y.v1', '{}', '{}', now(), current_date, $2, $2)`, []any{uuid.New(), zero}, pgerrcode.InsufficientPrivilege},
		{owner, "owner", "UPDATE events SET type = 'x.y.v1'", nil, pgerrcode.RestrictViolation},
		{owner, "owner", "UPDATE events SET type = 'x.y.v1' WHERE false", nil, pgerrcode.RestrictViolation},
		{owner, "owner", "DELETE FROM events", nil, pgerrcode.RestrictViolation},
		{owner, "owner", "TRUNCATE events", nil, pgerrcode.RestrictViolation},
	}
	for _, tt := range tests {
		_, err := tt.pool.Exec(ctx, tt.sql, tt.args...)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != tt.state {
			t.Errorf("%s: %s = %v, want SQLSTATE %s", tt.who, tt.sql, err, tt.state)
		}
	}
	var n int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil || n != 1 {
		t.Errorf("events holds %d rows (%v), want the 1 appended", n, err)
	}
}

// recomputeSQL is the query of docs/events-table.md that recomputes every
// hash in SQL; keep the two identical.
const recomputeSQL = `SELECT event_id, stream_id, stream_version,
       sha256(
         '{"data":'::bytea || data ||
         ',"event_id":"'::bytea || convert_to(event_id::text, 'UTF8') ||
         '","metadata":'::bytea || metadata ||
         ',"prev_hash":"'::bytea || convert_to(encode(prev_hash, 'hex'), 'UTF8') ||
         '","stream_id":"'::bytea || convert_to(stream_id, 'UTF8') ||
         '","stream_version":'::bytea || convert_to(stream_version::text, 'UTF8') ||
         ',"type":"'::bytea || convert_to(type, 'UTF8') || '"}'::bytea
       ) = hash AS hash_ok,
       prev_hash = coalesce(lag(hash) OVER (PARTITION BY stream_id ORDER BY stream_version),
                            '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) AS chain_ok
FROM events
ORDER BY stream_id, stream_version`

// TestHashesRecomputableInSQL: an auditor with psql alone can verify every
// hash and link, and the view shows the payloads as jsonb.
func TestHashesRecomputableInSQL(t *testing.T) {
	s, owner, _ := newStore(t, postgres.Options{})
	ctx := context.Background()
	payloads := []string{`{"name":"Nguyễn Văn Ánh","note":"tab\tquote\" back\\ slash","n":1e3,"u":"\u2028"}`, `{"emoji":"😀","nested":{"z":[1,2.5,-0]}}`, `{}`}
	for _, stream := range []string{"audit-a", "audit-b"} {
		for _, p := range payloads {
			if _, err := s.Append(ctx, stream, eventstore.Any, eventstore.EventData{Type: "test.audit.v1", Data: json.RawMessage(p),
				Meta: eventstore.Metadata{Reason: "lý do", Actor: eventstore.Actor{Name: "Lê <Thị> & C"}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := owner.Query(ctx, recomputeSQL)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			id             uuid.UUID
			stream         string
			version        int64
			hashOK, linkOK bool
		)
		if err := rows.Scan(&id, &stream, &version, &hashOK, &linkOK); err != nil {
			t.Fatal(err)
		}
		n++
		if !hashOK || !linkOK {
			t.Errorf("%s@%d: SQL recomputation: hash ok %v, chain ok %v", stream, version, hashOK, linkOK)
		}
	}
	if err := rows.Err(); err != nil || n != 6 {
		t.Fatalf("verified %d rows (%v), want 6", n, err)
	}

	stored, err := s.ReadStream(ctx, "audit-a", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		hash, reason string
		same         bool
	)
	err = owner.QueryRow(ctx, `SELECT hash, metadata->>'reason', data = $2::jsonb FROM events_json WHERE event_id = $1`,
		stored[0].ID, string(stored[0].Data)).Scan(&hash, &reason, &same)
	if err != nil || hash != stored[0].Hash.String() || reason != "lý do" || !same {
		t.Errorf("events_json = %s, %q, data equal %v, %v; want %s, %q, true", hash, reason, same, err, stored[0].Hash, "lý do")
	}
}

// TestReadStreamsManyChunks: more streams than one query names (chunks of
// 1,000, read side by side) come back whole, each stream once, in version
// order.
func TestReadStreamsManyChunks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newStore(t, postgres.Options{})
	const streams = 2100
	var g errgroup.Group
	g.SetLimit(8)
	names := make([]string, streams)
	for i := range streams {
		names[i] = fmt.Sprintf("chunked-%04d", i)
		g.Go(func() error {
			evs := make([]eventstore.EventData, 1+i%3)
			for k := range evs {
				evs[k] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "test.chunked.v1", Data: []byte(fmt.Sprintf(`{"k":%d}`, k))}
			}
			_, err := s.Append(ctx, names[i], eventstore.NoStream, evs...)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadStreams(ctx, append(names, "chunked-missing"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != streams {
		t.Fatalf("ReadStreams: %d streams, want %d", len(got), streams)
	}
	for i, n := range names {
		evs := got[n]
		if len(evs) != 1+i%3 {
			t.Fatalf("%s: %d events, want %d", n, len(evs), 1+i%3)
		}
		for k, e := range evs {
			if e.StreamID != n || e.Version != uint64(k+1) {
				t.Fatalf("%s: event %d is %s@%d", n, k, e.StreamID, e.Version)
			}
		}
	}
}

// TestPendingFromAnyPosition: Pending sees an event committed behind a
// running transaction whatever position it is asked from, the start of the
// log far behind it as much as the event just before it, and nothing once
// that transaction has ended.
func TestPendingFromAnyPosition(t *testing.T) {
	t.Parallel()
	s, owner, _ := newStore(t, postgres.Options{PollInterval: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := eventstore.EventData{Type: "test.before.v1", Data: json.RawMessage(`{}`)}
	for i := range 20 {
		if _, err := s.Append(ctx, fmt.Sprintf("before-%d", i), eventstore.NoStream, e, e, e); err != nil {
			t.Fatal(err)
		}
	}
	before := readAllEventually(ctx, t, s, 60)
	first, last := before[0].Position, before[len(before)-1].Position

	blocker, err := owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	if _, err := blocker.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "held", eventstore.NoStream, eventstore.EventData{Type: "test.held.v1", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	for _, from := range []struct {
		name string
		pos  eventstore.Position
	}{{"the start", eventstore.Start}, {"the first event", first}, {"the event before", last}} {
		if p, err := s.Pending(ctx, from.pos); err != nil || !p {
			t.Errorf("Pending from %s with an event behind a running transaction = %v, %v; want true", from.name, p, err)
		}
	}
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	all := readAllEventually(ctx, t, s, 61)
	held := all[len(all)-1].Position
	for _, from := range []eventstore.Position{eventstore.Start, last, held} {
		// Another test's transaction, in another schema, holds the
		// cluster's xmin back as the blocker did: wait for it to end.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			p, err := s.Pending(ctx, from)
			if err != nil {
				t.Fatal(err)
			}
			if !p {
				break
			}
			if from == held {
				t.Fatalf("Pending after the last event = true; want false")
			}
			if time.Now().After(deadline) {
				t.Fatalf("Pending from %s = true for 30 s after the blocking transaction ended; want false", from)
			}
		}
	}
}

// readAllEventually reads the whole log once it holds n events (another
// test's running transaction may hold the stable prefix back for a while).
func readAllEventually(ctx context.Context, t *testing.T, s *postgres.Store, n int) []eventstore.Event {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		evs, err := s.ReadAll(ctx, eventstore.Start, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadAll = %d events after 30 s; want %d", len(evs), n)
		}
	}
}
