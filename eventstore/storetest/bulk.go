package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore"
)

// stamped are n events with the envelope's times set by the caller, so the
// test can compute the chain Append would store.
func stamped(t testing.TB, n int) []eventstore.EventData {
	t.Helper()
	evs := numbered(t, n)
	at := time.Date(2026, 12, 7, 3, 4, 5, 6000, time.UTC)
	for i := range evs {
		evs[i].Meta.RecordedAt = at
		evs[i].Meta.EffectiveDate = "2025-01-01"
	}
	return evs
}

func testAppendNewStreams(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	t.Run("writes streams as Append would", func(t *testing.T) {
		req := []eventstore.NewStream{
			{Stream: "bulk-a", Events: stamped(t, 1)},
			{Stream: "bulk-b", Events: stamped(t, 3)},
			{Stream: "bulk-c", Events: stamped(t, 2)},
		}
		res, err := eventstore.AppendNewStreams(ctx, s, req)
		if err != nil {
			t.Fatalf("AppendNewStreams: %v", err)
		}
		if len(res) != len(req) {
			t.Fatalf("%d results for %d streams", len(res), len(req))
		}
		var all []eventstore.Event
		for i, ns := range req {
			got := mustReadStream(t, ctx, s, ns.Stream)
			checkChain(t, got)
			ps, err := eventstore.Prepare(ns.Stream, ns.Events, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			want := eventstore.Chain(ns.Stream, 0, eventstore.Hash{}, ps)
			if len(got) != len(want) {
				t.Fatalf("%s: %d events stored, want %d", ns.Stream, len(got), len(want))
			}
			for j := range want {
				want[j].Position = got[j].Position
				if !sameEvent(got[j], want[j]) {
					t.Errorf("%s@%d: stored %+v, Append would store %+v", ns.Stream, j+1, got[j], want[j])
				}
			}
			last := got[len(got)-1]
			if r := res[i]; r.FirstVersion != 1 || r.LastVersion != last.Version || r.Position != last.Position {
				t.Errorf("%s: result %+v, want versions 1..%d at %s", ns.Stream, r, last.Version, last.Position)
			}
			all = append(all, got...)
		}
		// The global log holds them in stream order, each stream's in version order.
		log := readAllAtLeast(t, ctx, s, eventstore.Position{}, len(all))
		var mine []eventstore.Event
		for _, e := range log {
			if slices.ContainsFunc(req, func(ns eventstore.NewStream) bool { return ns.Stream == e.StreamID }) {
				mine = append(mine, e)
			}
		}
		if len(mine) != len(all) {
			t.Fatalf("ReadAll has %d of the %d events", len(mine), len(all))
		}
		for i := range all {
			if !sameEvent(mine[i], all[i]) {
				t.Errorf("ReadAll[%d] = %s@%d, want %s@%d", i, mine[i].StreamID, mine[i].Version, all[i].StreamID, all[i].Version)
			}
		}
		// A bulk-created stream goes on with ordinary appends.
		mustAppend(t, ctx, s, "bulk-b", eventstore.Exactly(3), numbered(t, 1)...)
		checkChain(t, mustReadStream(t, ctx, s, "bulk-b"))
	})

	t.Run("refuses the batch when a stream exists", func(t *testing.T) {
		mustAppend(t, ctx, s, "bulk-taken", eventstore.NoStream, numbered(t, 1)...)
		req := []eventstore.NewStream{
			{Stream: "bulk-free-1", Events: numbered(t, 2)},
			{Stream: "bulk-taken", Events: numbered(t, 1)},
			{Stream: "bulk-free-2", Events: numbered(t, 1)},
		}
		_, err := eventstore.AppendNewStreams(ctx, s, req)
		var se *eventstore.StreamsExistError
		if !errors.As(err, &se) || !errors.Is(err, eventstore.ErrConflict) {
			t.Fatalf("err = %v, want a *StreamsExistError (ErrConflict)", err)
		}
		if !slices.Equal(se.Streams, []string{"bulk-taken"}) {
			t.Errorf("Streams = %v, want [bulk-taken]", se.Streams)
		}
		assertAbsent(t, s, "bulk-free-1", "bulk-free-2")
		if got := mustReadStream(t, ctx, s, "bulk-taken"); len(got) != 1 {
			t.Errorf("bulk-taken has %d events, want its 1", len(got))
		}
		// The rest goes through once the existing stream is set aside.
		if _, err := eventstore.AppendNewStreams(ctx, s, []eventstore.NewStream{req[0], req[2]}); err != nil {
			t.Fatalf("the rest: %v", err)
		}
	})

	t.Run("refuses bad requests whole", func(t *testing.T) {
		used := numbered(t, 1)
		mustAppend(t, ctx, s, "bulk-used-id", eventstore.NoStream, used...)
		bad := numbered(t, 1)
		bad[0].Type = "Not A Type"
		cases := []struct {
			name string
			req  []eventstore.NewStream
			want error
		}{
			{"stream twice", []eventstore.NewStream{{Stream: "bulk-twice", Events: numbered(t, 1)}, {Stream: "bulk-twice", Events: numbered(t, 1)}}, eventstore.ErrInvalid},
			{"no events", []eventstore.NewStream{{Stream: "bulk-ok-1", Events: numbered(t, 1)}, {Stream: "bulk-empty"}}, eventstore.ErrInvalid},
			{"bad stream id", []eventstore.NewStream{{Stream: "bulk-ok-1", Events: numbered(t, 1)}, {Stream: "", Events: numbered(t, 1)}}, eventstore.ErrInvalid},
			{"bad event", []eventstore.NewStream{{Stream: "bulk-ok-1", Events: numbered(t, 1)}, {Stream: "bulk-bad", Events: bad}}, eventstore.ErrInvalid},
			{"id in two streams", []eventstore.NewStream{{Stream: "bulk-ok-1", Events: used[:1:1]}, {Stream: "bulk-ok-2", Events: used[:1:1]}}, eventstore.ErrInvalid},
		}
		for _, c := range cases {
			_, err := eventstore.AppendNewStreams(ctx, s, c.req)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			}
		}
		assertAbsent(t, s, "bulk-twice", "bulk-empty", "bulk-bad", "bulk-ok-1", "bulk-ok-2")
		// A stored event id is found only by writing: the fallback of
		// stores without BulkAppender has written the streams before it.
		req := []eventstore.NewStream{{Stream: "bulk-ok-1", Events: numbered(t, 1)}, {Stream: "bulk-ok-2", Events: used}}
		if _, err := eventstore.AppendNewStreams(ctx, s, req); !errors.Is(err, eventstore.ErrIDReused) {
			t.Errorf("id stored: err = %v, want ErrIDReused", err)
		}
		if _, ok := s.(eventstore.BulkAppender); ok {
			assertAbsent(t, s, "bulk-ok-1")
		}
		assertAbsent(t, s, "bulk-ok-2")
	})

	t.Run("two batches racing for a stream", func(t *testing.T) {
		const racers = 4
		var wg sync.WaitGroup
		errs := make([]error, racers)
		reqs := make([][]eventstore.NewStream, racers)
		for i := range racers {
			reqs[i] = []eventstore.NewStream{
				{Stream: "bulk-contested", Events: numbered(t, 2)},
				{Stream: fmt.Sprintf("bulk-own-%d", i), Events: numbered(t, 1)},
			}
			wg.Go(func() { _, errs[i] = eventstore.AppendNewStreams(ctx, s, reqs[i]) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("racers %d and %d both created bulk-contested", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, eventstore.ErrConflict):
				t.Errorf("racer %d: err = %v, want ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no racer created bulk-contested")
		}
		got := mustReadStream(t, ctx, s, "bulk-contested")
		if len(got) != 2 || got[0].ID != reqs[winner][0].Events[0].ID {
			t.Errorf("bulk-contested holds %d events, not the winner's", len(got))
		}
		mustReadStream(t, ctx, s, fmt.Sprintf("bulk-own-%d", winner))
		for i := range racers {
			if i != winner {
				assertAbsent(t, s, fmt.Sprintf("bulk-own-%d", i))
			}
		}
	})
}

func testReadStreamsMany(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	mustAppend(t, ctx, s, "many-a", eventstore.NoStream, numbered(t, 3)...)
	mustAppend(t, ctx, s, "many-b", eventstore.NoStream, numbered(t, 1)...)
	mustAppend(t, ctx, s, "many-other", eventstore.NoStream, numbered(t, 1)...)
	got, err := s.ReadStreams(ctx, []string{"many-b", "many-missing", "many-a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("ReadStreams gave %d streams, want many-a and many-b", len(got))
	}
	for _, st := range []string{"many-a", "many-b"} {
		want := mustReadStream(t, ctx, s, st)
		if len(got[st]) != len(want) {
			t.Fatalf("%s: %d events, want %d", st, len(got[st]), len(want))
		}
		for i := range want {
			if !sameEvent(got[st][i], want[i]) {
				t.Errorf("%s@%d differs from ReadStream's", st, i+1)
			}
		}
	}
	if _, err := s.ReadStreams(ctx, []string{"many-a", ""}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("a bad stream id: err = %v, want ErrInvalid", err)
	}
}

func assertAbsent(t *testing.T, s eventstore.Store, streams ...string) {
	t.Helper()
	for _, stream := range streams {
		if stream == "" {
			continue
		}
		if _, err := s.ReadStream(testContext(t), stream, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
			t.Errorf("ReadStream(%s) = %v, want ErrNotFound: a refused batch writes nothing", stream, err)
		}
	}
}
