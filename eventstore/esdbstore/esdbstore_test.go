package esdbstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore/esdbtestserver"
)

// testURLOptions keep the client trying to rediscover the node for a few
// seconds, longer than any outage a test stages.
const testURLOptions = "&maxDiscoverAttempts=100&discoveryInterval=20&gossipTimeout=1"

// startServer starts a fresh protocol test server on a free port.
func startServer(t *testing.T, opts esdbtestserver.Options) *esdbtestserver.Server {
	t.Helper()
	srv := esdbtestserver.New(opts)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// open opens a Store on url, closed when the test ends.
func open(t *testing.T, url string, opts esdbstore.Options) *esdbstore.Store {
	t.Helper()
	if opts.ResubscribeMinDelay == 0 {
		opts.ResubscribeMinDelay = 10 * time.Millisecond
		opts.ResubscribeMaxDelay = 200 * time.Millisecond
	}
	s, err := esdbstore.Open(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newTestServerStore gives each call a fresh server: the isolation the
// conformance suite asks of newStore.
func newTestServerStore(t *testing.T) *esdbstore.Store {
	srv := startServer(t, esdbtestserver.Options{})
	return open(t, srv.URL()+testURLOptions, esdbstore.Options{})
}

// newRealServerStore shares the server named by HOSO_TEST_ESDB_URL and
// isolates each call with a fresh stream prefix ($all is filtered to it).
func newRealServerStore(url string) func(t *testing.T) *esdbstore.Store {
	return func(t *testing.T) *esdbstore.Store {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		return open(t, url, esdbstore.Options{StreamPrefix: "hosotest" + hex.EncodeToString(b) + ":"})
	}
}

func event(typ string, data string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: json.RawMessage(data)}
}

func numbered(n int) eventstore.EventData {
	return event("dossier.noted.v1", fmt.Sprintf(`{"n":%d}`, n))
}

func TestTestServerRepliesWrongExpectedVersionAsESDB(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{})
	conf, err := esdb.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	data := esdb.EventData{EventType: "x.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
	if _, err := client.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, data); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []esdb.ExpectedRevision{esdb.NoStream{}, esdb.Revision(5)} {
		_, err = client.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: rev}, data)
		var e *esdb.Error
		if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
			t.Errorf("append at %T = %v, want *esdb.Error with ErrorCodeWrongExpectedVersion", rev, err)
		}
	}
	rs, err := client.ReadStream(ctx, "missing", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	_, err = rs.Recv()
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeResourceNotFound {
		t.Errorf("read of a missing stream = %v, want ErrorCodeResourceNotFound", err)
	}
}

func TestConflictError(t *testing.T) {
	t.Parallel()
	s := newTestServerStore(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, "dossier-c", eventstore.NoStream, numbered(1)); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []eventstore.Expected{eventstore.NoStream, eventstore.Exactly(2)} {
		_, err := s.Append(ctx, "dossier-c", exp, numbered(2))
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) {
			t.Fatalf("Append(%s) = %v, want *ConflictError", exp, err)
		}
		if ce.Actual != 1 || ce.Stream != "dossier-c" || ce.Expected != exp {
			t.Errorf("Append(%s) = %+v, want actual 1", exp, ce)
		}
	}
}

// TestConflictFromServerRace loses the race between the adapter's tail read
// and its append on purpose: a second writer appends in between, so the
// server answers wrong expected version and the adapter must turn that into
// a *ConflictError for an exact expectation and retry for Any.
func TestConflictFromServerRace(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		armed    bool
		rival    *esdbstore.Store
		rivalErr error
	)
	srv := startServer(t, esdbtestserver.Options{BeforeAppend: func(string) {
		mu.Lock()
		fire := armed
		armed = false
		mu.Unlock()
		if fire {
			_, rivalErr = rival.Append(context.Background(), "dossier-r", eventstore.Any, event("dossier.rival.v1", `{}`))
		}
	}})
	s := open(t, srv.URL(), esdbstore.Options{})
	rival = open(t, srv.URL(), esdbstore.Options{})
	ctx := context.Background()
	if _, err := s.Append(ctx, "dossier-r", eventstore.NoStream, numbered(1)); err != nil {
		t.Fatal(err)
	}
	arm := func() { mu.Lock(); armed = true; mu.Unlock() }

	arm()
	_, err := s.Append(ctx, "dossier-r", eventstore.Exactly(1), numbered(2))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Actual != 2 {
		t.Fatalf("Append(Exactly(1)) after a rival write = %v, want *ConflictError with actual 2", err)
	}
	if rivalErr != nil {
		t.Fatal(rivalErr)
	}

	arm()
	res, err := s.Append(ctx, "dossier-r", eventstore.Any, numbered(3))
	if err != nil || res.FirstVersion != 4 {
		t.Fatalf("Append(Any) after a rival write = %+v, %v, want version 4 after an internal retry", res, err)
	}
	got, err := s.ReadStream(ctx, "dossier-r", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("stream has %d events, want 4", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].PrevHash != got[i-1].Hash || got[i].Hash != got[i].ComputeHash() {
			t.Errorf("chain broken at version %d", got[i].Version)
		}
	}
}

// TestIdempotencyWithoutServerDedupe turns the server's own duplicate
// detection off: hoso's check must not depend on it.
func TestIdempotencyWithoutServerDedupe(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{DisableIdempotency: true})
	s := open(t, srv.URL(), esdbstore.Options{})
	ctx := context.Background()
	batch := []eventstore.EventData{numbered(1), numbered(2)}
	first, err := s.Append(ctx, "dossier-i", eventstore.NoStream, batch...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "dossier-i", eventstore.Any, numbered(3)); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []eventstore.Expected{eventstore.NoStream, eventstore.Any, eventstore.Exactly(7)} {
		again, err := s.Append(ctx, "dossier-i", exp, batch...)
		if err != nil || again != first {
			t.Errorf("retry with %s = %+v, %v, want %+v", exp, again, err, first)
		}
	}
	changed := batch[1]
	changed.Data = json.RawMessage(`{"n":99}`)
	_, err = s.Append(ctx, "dossier-i", eventstore.Any, batch[0], changed)
	var ie *eventstore.IDReusedError
	if !errors.As(err, &ie) || ie.EventID != changed.ID.String() || ie.Version != 2 {
		t.Errorf("retry with other content = %v, want *IDReusedError for version 2", err)
	}
	if _, err := s.Append(ctx, "dossier-i", eventstore.Any, batch[0], numbered(4)); !errors.Is(err, eventstore.ErrIDReused) {
		t.Errorf("half a retry = %v, want ErrIDReused", err)
	}
	got, err := s.ReadStream(ctx, "dossier-i", eventstore.ReadOptions{})
	if err != nil || len(got) != 3 {
		t.Fatalf("ReadStream = %d events, %v, want 3", len(got), err)
	}
}

// TestSystemEventsFiltered interleaves EventStoreDB's own events with
// hoso's and reads $all in pages smaller than the log.
func TestSystemEventsFiltered(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{})
	s := open(t, srv.URL(), esdbstore.Options{ReadAllPage: 3})
	ctx := context.Background()
	var want []eventstore.AppendResult
	for i := range 10 {
		srv.AppendSystemEvent()
		res, err := s.Append(ctx, fmt.Sprintf("dossier-%d", i%3), eventstore.Any, numbered(i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, res)
	}
	srv.AppendSystemEvent()
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) {
		t.Fatalf("ReadAll = %d events, want %d", len(all), len(want))
	}
	for i, e := range all {
		if e.Position != want[i].Position {
			t.Errorf("ReadAll[%d].Position = %s, want %s (the append's)", i, e.Position, want[i].Position)
		}
	}
	// Reading on from every position returns the rest, one at a time.
	pos := eventstore.Start
	for i := range all {
		got, err := s.ReadAll(ctx, pos, 1)
		if err != nil || len(got) != 1 || got[0].ID != all[i].ID {
			t.Fatalf("ReadAll(%s, 1) = %v, %v, want event %d", pos, got, err, i)
		}
		pos = got[0].Position
	}
	if rest, err := s.ReadAll(ctx, pos, 0); err != nil || len(rest) != 0 {
		t.Errorf("ReadAll after the last event = %d events, %v", len(rest), err)
	}
}

// collect runs a subscription in the background and hands its events over.
func collect(ctx context.Context, s eventstore.Store, from eventstore.Position) (<-chan eventstore.Event, <-chan error) {
	events := make(chan eventstore.Event, 1024)
	errs := make(chan error, 1)
	go func() {
		defer close(events)
		for e, err := range s.Subscribe(ctx, from) {
			if err != nil {
				errs <- err
				return
			}
			events <- e
		}
	}()
	return events, errs
}

func receive(t *testing.T, events <-chan eventstore.Event, n int) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	timeout := time.After(15 * time.Second)
	for len(out) < n {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("subscription ended after %d of %d events", len(out), n)
			}
			out = append(out, e)
		case <-timeout:
			t.Fatalf("received %d of %d events", len(out), n)
		}
	}
	return out
}

// TestSubscriptionSurvivesServerRestart stops the server under a live
// subscription (every connection cut, as in a crash) and brings it back on
// the same port: the subscription resumes after the last event it yielded,
// with nothing lost and nothing repeated.
func TestSubscriptionSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{})
	drops := &countingHandler{match: "esdbstore: subscription dropped; resuming"}
	s := open(t, srv.URL()+testURLOptions, esdbstore.Options{Logger: slog.New(drops)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	appendN := func(from, n int) {
		t.Helper()
		for i := from; i < from+n; i++ {
			if _, err := s.Append(ctx, fmt.Sprintf("dossier-%d", i%4), eventstore.Any, numbered(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(0, 5)
	events, errs := collect(ctx, s, eventstore.Start)
	got := receive(t, events, 5)
	appendN(5, 3) // live
	got = append(got, receive(t, events, 3)...)

	for round := range 2 {
		srv.Stop()
		time.Sleep(150 * time.Millisecond) // long enough for reconnects to fail
		if err := srv.Start(""); err != nil {
			t.Fatal(err)
		}
		srv.AppendSystemEvent()
		appendN(8+round*4, 4)
		got = append(got, receive(t, events, 4)...)
	}

	select {
	case e := <-events:
		t.Fatalf("unexpected extra event %s@%d", e.StreamID, e.Version)
	case err := <-errs:
		t.Fatalf("subscription failed: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if n := drops.count(); n < 2 {
		t.Errorf("subscription resumed %d times, want at least 2 (one per restart)", n)
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("subscription yielded %d events, log holds %d", len(got), len(all))
	}
	for i := range all {
		if got[i].ID != all[i].ID || got[i].Position != all[i].Position {
			t.Errorf("event %d: subscription %s@%d, log %s@%d", i, got[i].StreamID, got[i].Version, all[i].StreamID, all[i].Version)
		}
	}
	cancel()
	select {
	case err := <-errs:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel, subscription yielded %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("subscription did not end after cancel")
	}
}

// TestSubscriptionFromPosition resumes from a checkpoint taken mid-log.
func TestSubscriptionFromPosition(t *testing.T) {
	t.Parallel()
	s := newTestServerStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var results []eventstore.AppendResult
	for i := range 6 {
		res, err := s.Append(ctx, "dossier-p", eventstore.Any, numbered(i), numbered(100+i))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	events, _ := collect(ctx, s, results[2].Position)
	got := receive(t, events, 6)
	if got[0].Version != 7 || got[5].Version != 12 {
		t.Errorf("from the 3rd append's position got versions %d..%d, want 7..12", got[0].Version, got[5].Version)
	}
}

func TestCorruptEventIsReported(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{})
	s := open(t, srv.URL(), esdbstore.Options{})
	conf, err := esdb.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, "dossier-x", eventstore.NoStream, numbered(1)); err != nil {
		t.Fatal(err)
	}
	// A writer that bypasses the ledger appends a bare event.
	if _, err := client.AppendToStream(ctx, "dossier-x", esdb.AppendToStreamOptions{}, esdb.EventData{
		EventType: "dossier.noted.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{"n":2}`),
	}); err != nil {
		t.Fatal(err)
	}
	var ce *esdbstore.CorruptError
	if _, err := s.ReadStream(ctx, "dossier-x", eventstore.ReadOptions{}); !errors.As(err, &ce) || ce.Revision != 1 {
		t.Errorf("ReadStream = %v, want *CorruptError at revision 1", err)
	}
	if _, err := s.ReadAll(ctx, eventstore.Start, 0); !errors.As(err, &ce) {
		t.Errorf("ReadAll = %v, want *CorruptError", err)
	}
	if _, err := s.Append(ctx, "dossier-x", eventstore.Any, numbered(3)); !errors.As(err, &ce) {
		t.Errorf("Append = %v, want *CorruptError: the chain cannot continue from a foreign event", err)
	}
}

func TestOpenRejectsBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url    string
		prefix string
	}{
		{"http://[::1", ""},
		{"esdb://127.0.0.1:1?tls=false", "$system"},
	} {
		if s, err := esdbstore.Open(tc.url, esdbstore.Options{StreamPrefix: tc.prefix}); !errors.Is(err, eventstore.ErrInvalid) {
			if s != nil {
				_ = s.Close()
			}
			t.Errorf("Open(%q, prefix %q) = %v, want ErrInvalid", tc.url, tc.prefix, err)
		}
	}
}

// countingHandler counts log records with one message.
type countingHandler struct {
	match string
	mu    sync.Mutex
	n     int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.match {
		h.mu.Lock()
		h.n++
		h.mu.Unlock()
	}
	return nil
}

func (h *countingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// TestOrphanClaim covers an id claimed for a stream where its event never
// landed (here: the append lost on its expected version after claiming).
// Another stream may not take the id while the claim is young, because the
// claiming append may still be in flight; once it is older than
// ClaimTimeout, it may.
func TestOrphanClaim(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{})
	strict := open(t, srv.URL(), esdbstore.Options{})
	ctx := context.Background()
	if _, err := strict.Append(ctx, "dossier-t", eventstore.NoStream, numbered(1)); err != nil {
		t.Fatal(err)
	}
	e := numbered(2)
	if _, err := strict.Append(ctx, "dossier-t", eventstore.Exactly(5), e); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("Append(Exactly(5)) = %v, want ErrConflict", err)
	}
	if _, err := strict.Append(ctx, "dossier-s", eventstore.NoStream, e); !errors.Is(err, eventstore.ErrIDReused) {
		t.Fatalf("Append of a freshly claimed id elsewhere = %v, want ErrIDReused", err)
	}
	lenient := open(t, srv.URL(), esdbstore.Options{ClaimTimeout: time.Nanosecond})
	res, err := lenient.Append(ctx, "dossier-s", eventstore.NoStream, e)
	if err != nil || res.LastVersion != 1 {
		t.Fatalf("Append after the claim timed out = %+v, %v, want version 1", res, err)
	}
	// The id now belongs to dossier-s: dossier-t may not have it back.
	var ie *eventstore.IDReusedError
	if _, err := strict.Append(ctx, "dossier-t", eventstore.Any, e); !errors.As(err, &ie) || ie.Stream != "dossier-s" {
		t.Errorf("Append of the id back to dossier-t = %v, want *IDReusedError naming dossier-s", err)
	}
}

// TestLateRetryFoundByClaim retries a batch long after other appends, from a
// Store that has never seen the stream (no cached tip), with a tail window
// too small to hold it: the claims must still recognize the retry.
func TestLateRetryFoundByClaim(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{DisableIdempotency: true})
	s := open(t, srv.URL(), esdbstore.Options{})
	ctx := context.Background()
	batch := []eventstore.EventData{numbered(1), numbered(2)}
	first, err := s.Append(ctx, "dossier-l", eventstore.NoStream, batch...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := s.Append(ctx, "dossier-l", eventstore.Any, numbered(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	other := open(t, srv.URL(), esdbstore.Options{DedupWindow: 3})
	again, err := other.Append(ctx, "dossier-l", eventstore.Exactly(3), batch...)
	if err != nil || again != first {
		t.Errorf("late retry = %+v, %v, want %+v", again, err, first)
	}
	got, err := other.ReadStream(ctx, "dossier-l", eventstore.ReadOptions{})
	if err != nil || len(got) != 22 {
		t.Errorf("ReadStream = %d events, %v, want 22", len(got), err)
	}
}

// TestSubscriptionSurvivesLongOutage keeps the server down longer than the
// client library's node discovery allows (two attempts here), after which
// the library closes its client for good; a Store from Open dials a new one
// and the subscription carries on where it was.
func TestSubscriptionSurvivesLongOutage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtestserver.Options{})
	s := open(t, srv.URL()+"&maxDiscoverAttempts=2&discoveryInterval=10&gossipTimeout=1", esdbstore.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.Append(ctx, "dossier-o", eventstore.NoStream, numbered(1)); err != nil {
		t.Fatal(err)
	}
	events, errs := collect(ctx, s, eventstore.Start)
	receive(t, events, 1)
	srv.Stop()
	time.Sleep(500 * time.Millisecond)
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	// The first call after the outage may meet the closed client; the
	// Store then dials afresh, so a second call succeeds.
	var err error
	for range 50 {
		if _, err = s.Append(ctx, "dossier-o", eventstore.Any, numbered(2)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Append after the outage: %v", err)
	}
	got := receive(t, events, 1)
	if got[0].Version != 2 {
		t.Errorf("after the outage got version %d, want 2", got[0].Version)
	}
	select {
	case err := <-errs:
		t.Fatalf("subscription ended: %v", err)
	default:
	}
}
