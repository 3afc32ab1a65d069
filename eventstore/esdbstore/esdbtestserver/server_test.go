package esdbtestserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore/esdbstore/esdbtestserver"
)

// These tests talk to the server through the official client only, so they
// pin the behaviour the client sees, not the server's internals.

func start(t *testing.T, opts esdbtestserver.Options) (*esdbtestserver.Server, *esdb.Client) {
	t.Helper()
	srv := esdbtestserver.New(opts)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conf, err := esdb.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return srv, client
}

func ev(typ string) esdb.EventData {
	return esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
}

func readAll(t *testing.T, rs *esdb.ReadStream) []*esdb.RecordedEvent {
	t.Helper()
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.OriginalEvent())
	}
}

func TestAppendAndRead(t *testing.T) {
	_, c := start(t, esdbtestserver.Options{})
	ctx := context.Background()
	batch := []esdb.EventData{ev("a.v1"), ev("b.v1"), ev("c.v1")}
	wr, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, batch...)
	if err != nil || wr.NextExpectedVersion != 2 {
		t.Fatalf("append = %+v, %v", wr, err)
	}
	// The same ids at the same place: idempotent, nothing written.
	again, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, batch...)
	if err != nil || again.NextExpectedVersion != 2 {
		t.Fatalf("idempotent append = %+v, %v", again, err)
	}
	// Any and the first id of a stored run: idempotent too.
	if _, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, batch[1:]...); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ReadStream(ctx, "s", esdb.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, rs)
	if len(got) != 3 {
		t.Fatalf("stream holds %d events, want 3", len(got))
	}
	for i, e := range got {
		if e.EventID != batch[i].EventID || e.EventNumber != uint64(i) || e.EventType != batch[i].EventType || e.CreatedDate.IsZero() {
			t.Errorf("event %d = %+v", i, e)
		}
		if e.Position.Commit != got[0].Position.Commit {
			t.Errorf("event %d commit position %d, want the batch's %d", i, e.Position.Commit, got[0].Position.Commit)
		}
		if i > 0 && e.Position.Prepare <= got[i-1].Position.Prepare+1 {
			t.Errorf("prepare positions %d, %d: want byte offsets, not dense", got[i-1].Position.Prepare, e.Position.Prepare)
		}
	}
	if wr.PreparePosition != got[2].Position.Prepare {
		t.Errorf("append reply prepare position %d, last event's %d", wr.PreparePosition, got[2].Position.Prepare)
	}
	// Backwards from past the end starts at the last event.
	rs, err = c.ReadStream(ctx, "s", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(10)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if back := readAll(t, rs); len(back) != 2 || back[0].EventNumber != 2 || back[1].EventNumber != 1 {
		t.Errorf("backward read = %d events", len(back))
	}
	// A mismatch on a partly stored run is a wrong expected version.
	_, err = c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, batch[0], ev("d.v1"))
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
		t.Errorf("corrupted idempotency = %v, want wrong expected version", err)
	}
}

func TestReadAllFromPositionIsInclusive(t *testing.T) {
	srv, c := start(t, esdbtestserver.Options{})
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.AppendToStream(ctx, fmt.Sprintf("s%d", i), esdb.AppendToStreamOptions{}, ev("a.v1")); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.Start{}}, 100)
	if err != nil {
		t.Fatal(err)
	}
	all := readAll(t, rs)
	if len(all) != srv.Len() || len(all) != 5 {
		t.Fatalf("$all = %d records, server holds %d, want 2 system + 3", len(all), srv.Len())
	}
	if all[0].StreamID[0] != '$' || all[0].EventType[0] != '$' {
		t.Errorf("first record %s/%s, want a system event", all[0].StreamID, all[0].EventType)
	}
	rs, err = c.ReadAll(ctx, esdb.ReadAllOptions{From: all[3].Position}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if rest := readAll(t, rs); len(rest) != 2 || rest[0].EventID != all[3].EventID {
		t.Errorf("read from record 3's position = %d records, want records 3 and 4", len(rest))
	}
}

func TestFilteredSubscription(t *testing.T) {
	srv, c := start(t, esdbtestserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 40 {
		stream := "other-x"
		if i%4 == 0 {
			stream = "hoso-x"
		}
		if _, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{}, ev("a.v1")); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:            esdb.Start{},
		Filter:          &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"hoso-"}},
		MaxSearchWindow: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	events, checkpoints, caughtUp := 0, 0, false
	for !caughtUp {
		m := sub.Recv()
		switch {
		case m.SubscriptionDropped != nil:
			t.Fatal(m.SubscriptionDropped.Error)
		case m.EventAppeared != nil:
			if s := m.EventAppeared.OriginalEvent().StreamID; s != "hoso-x" {
				t.Errorf("filter let %s through", s)
			}
			events++
		case m.CheckPointReached != nil:
			checkpoints++
		case m.CaughtUp != nil:
			caughtUp = true
		}
	}
	if events != 10 || checkpoints < 5 {
		t.Errorf("catch-up: %d events, %d checkpoints; want 10 and one per 8 records scanned", events, checkpoints)
	}
	// Live: a system event and a foreign one are filtered, ours arrives.
	srv.AppendSystemEvent()
	if _, err := c.AppendToStream(ctx, "other-x", esdb.AppendToStreamOptions{}, ev("a.v1")); err != nil {
		t.Fatal(err)
	}
	want := ev("b.v1")
	if _, err := c.AppendToStream(ctx, "hoso-x", esdb.AppendToStreamOptions{}, want); err != nil {
		t.Fatal(err)
	}
	for {
		m := sub.Recv()
		if m.SubscriptionDropped != nil {
			t.Fatal(m.SubscriptionDropped.Error)
		}
		if m.EventAppeared != nil {
			if got := m.EventAppeared.OriginalEvent(); got.EventID != want.EventID {
				t.Errorf("live event %s/%s, want %s", got.StreamID, got.EventID, want.EventID)
			}
			return
		}
	}
}

func TestEventTypeFilterAndSubscribeFromPosition(t *testing.T) {
	_, c := start(t, esdbtestserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last *esdb.WriteResult
	for i := range 6 {
		typ := "keep.v1"
		if i%2 == 1 {
			typ = "skip.v1"
		}
		wr, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(typ))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			last = wr
		}
	}
	// From the second event's position, exclusive: events 2..5, of which
	// 2 and 4 are kept.
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   esdb.Position{Commit: last.CommitPosition, Prepare: last.PreparePosition},
		Filter: &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Regex: "^keep\\."},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var revisions []uint64
	for {
		m := sub.Recv()
		if m.SubscriptionDropped != nil {
			t.Fatal(m.SubscriptionDropped.Error)
		}
		if m.EventAppeared != nil {
			revisions = append(revisions, m.EventAppeared.OriginalEvent().EventNumber)
		}
		if m.CaughtUp != nil {
			break
		}
	}
	if fmt.Sprint(revisions) != "[2 4]" {
		t.Errorf("revisions = %v, want [2 4]", revisions)
	}
}

func TestStopCutsSubscriptionsAndKeepsTheLog(t *testing.T) {
	srv, c := start(t, esdbtestserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev("a.v1")); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToStream(ctx, "s", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m := sub.Recv(); m.EventAppeared == nil {
		t.Fatalf("first message %+v, want the event", m)
	}
	before := srv.Len()
	srv.Stop()
	for {
		if m := sub.Recv(); m.SubscriptionDropped != nil {
			break
		}
	}
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	if srv.Len() != before {
		t.Errorf("log holds %d records after restart, want %d", srv.Len(), before)
	}
}
