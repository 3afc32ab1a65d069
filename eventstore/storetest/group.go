package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hoso-ledger/hoso/eventstore"
)

// testAppendStreams: a grouped append answers each stream as Append
// would, whatever its neighbours do: new, exact and any versions written
// and chained, a wrong version a conflict, a bad event invalid, both
// leaving their streams as they were; the same request sent again is a
// retry that writes nothing; a stream named twice writes nothing at all.
func testAppendStreams(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	mustAppend(t, ctx, s, "group-exact", eventstore.NoStream, numbered(t, 2)...)
	mustAppend(t, ctx, s, "group-any", eventstore.NoStream, numbered(t, 1)...)
	mustAppend(t, ctx, s, "group-conflict", eventstore.NoStream, numbered(t, 3)...)
	bad := newEvent(t, "test.bad.v1", `{"a":`)
	req := []eventstore.StreamAppend{
		{Stream: "group-new", Expected: eventstore.NoStream, Events: numbered(t, 2)},
		{Stream: "group-exact", Expected: eventstore.Exactly(2), Events: numbered(t, 1)},
		{Stream: "group-conflict", Expected: eventstore.Exactly(2), Events: numbered(t, 1)},
		{Stream: "group-any", Expected: eventstore.Any, Events: numbered(t, 3)},
		{Stream: "group-invalid", Expected: eventstore.Any, Events: []eventstore.EventData{bad}},
		{Stream: "group-any-new", Expected: eventstore.Any, Events: numbered(t, 1)},
	}
	want := []struct {
		first, last uint64
		err         error
	}{{1, 2, nil}, {3, 3, nil}, {0, 0, eventstore.ErrConflict}, {2, 4, nil}, {0, 0, eventstore.ErrInvalid}, {1, 1, nil}}
	check := func(when string, out []eventstore.StreamOutcome) {
		t.Helper()
		if len(out) != len(req) {
			t.Fatalf("%s: %d outcomes for %d appends", when, len(out), len(req))
		}
		for i, o := range out {
			w := want[i]
			if w.err != nil {
				if !errors.Is(o.Err, w.err) {
					t.Errorf("%s: %s: error %v, want %v", when, req[i].Stream, o.Err, w.err)
				}
				continue
			}
			if o.Err != nil || o.Result.FirstVersion != w.first || o.Result.LastVersion != w.last {
				t.Errorf("%s: %s: %+v, %v; want versions %d – %d", when, req[i].Stream, o.Result, o.Err, w.first, w.last)
				continue
			}
			events := mustReadStream(t, ctx, s, req[i].Stream)
			checkChain(t, events)
			if uint64(len(events)) != w.last {
				t.Errorf("%s: %s holds %d events, want %d", when, req[i].Stream, len(events), w.last)
				continue
			}
			for j, e := range req[i].Events {
				if stored := events[w.first-1+uint64(j)]; stored.ID != e.ID {
					t.Errorf("%s: %s@%d holds %s, want %s", when, req[i].Stream, stored.Version, stored.ID, e.ID)
				}
			}
			if events[w.last-1].Position != o.Result.Position {
				t.Errorf("%s: %s: result position %s, stored %s", when, req[i].Stream, o.Result.Position, events[w.last-1].Position)
			}
		}
	}
	out, err := eventstore.AppendStreams(ctx, s, req)
	if err != nil {
		t.Fatalf("AppendStreams: %v", err)
	}
	check("first", out)
	if n := len(mustReadStream(t, ctx, s, "group-conflict")); n != 3 {
		t.Errorf("the conflicting stream holds %d events, want its 3", n)
	}
	assertAbsent(t, s, "group-invalid")

	// Sent again (a caller that lost the answer): the same results, nothing new.
	again, err := eventstore.AppendStreams(ctx, s, req)
	if err != nil {
		t.Fatalf("AppendStreams again: %v", err)
	}
	check("again", again)
	for i := range out {
		if want[i].err == nil && again[i].Result != out[i].Result {
			t.Errorf("again: %s: %+v, first %+v", req[i].Stream, again[i].Result, out[i].Result)
		}
	}

	twice := []eventstore.StreamAppend{
		{Stream: "group-twice", Expected: eventstore.Any, Events: numbered(t, 1)},
		{Stream: "group-twice", Expected: eventstore.Any, Events: numbered(t, 1)},
	}
	if _, err := eventstore.AppendStreams(ctx, s, twice); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("a stream named twice: %v, want ErrInvalid", err)
	}
	assertAbsent(t, s, "group-twice")
}

// testAppendStreamsRace: grouped appends racing each other and plain
// appends on the same streams lose nothing and break no chain, and each
// result names the events it wrote.
func testAppendStreamsRace(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const (
		goroutines = 8
		rounds     = 10
		streams    = 3
	)
	type written struct {
		stream string
		res    eventstore.AppendResult
		events []eventstore.EventData
	}
	var mu sync.Mutex
	var all []written
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for r := range rounds {
				if g%4 == 3 { // a plain writer beside the grouped ones
					stream := fmt.Sprintf("group-race-%d", r%streams)
					evs := numbered(t, 1)
					res, err := s.Append(ctx, stream, eventstore.Any, evs...)
					if err != nil {
						t.Errorf("Append: %v", err)
						return
					}
					mu.Lock()
					all = append(all, written{stream, res, evs})
					mu.Unlock()
					continue
				}
				req := make([]eventstore.StreamAppend, streams)
				for k := range req {
					req[k] = eventstore.StreamAppend{Stream: fmt.Sprintf("group-race-%d", k), Expected: eventstore.Any, Events: numbered(t, 1+k%2)}
				}
				out, err := eventstore.AppendStreams(ctx, s, req)
				if err != nil {
					t.Errorf("AppendStreams: %v", err)
					return
				}
				mu.Lock()
				for k, o := range out {
					if o.Err != nil {
						t.Errorf("AppendStreams: %s: %v", req[k].Stream, o.Err)
						continue
					}
					all = append(all, written{req[k].Stream, o.Result, req[k].Events})
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	held := map[string][]eventstore.Event{}
	total := map[string]int{}
	for k := range streams {
		name := fmt.Sprintf("group-race-%d", k)
		held[name] = mustReadStream(t, ctx, s, name)
		checkChain(t, held[name])
	}
	for _, w := range all {
		total[w.stream] += len(w.events)
		events := held[w.stream]
		if w.res.LastVersion > uint64(len(events)) || w.res.LastVersion-w.res.FirstVersion+1 != uint64(len(w.events)) {
			t.Errorf("%s: result %+v for %d events, stream holds %d", w.stream, w.res, len(w.events), len(events))
			continue
		}
		for i, e := range w.events {
			if stored := events[w.res.FirstVersion-1+uint64(i)]; stored.ID != e.ID {
				t.Errorf("%s@%d holds %s, want %s", w.stream, stored.Version, stored.ID, e.ID)
			}
		}
		if events[w.res.LastVersion-1].Position != w.res.Position {
			t.Errorf("%s: result position %s, stored %s", w.stream, w.res.Position, events[w.res.LastVersion-1].Position)
		}
	}
	for name, events := range held {
		if len(events) != total[name] {
			t.Errorf("%s holds %d events, %d were written", name, len(events), total[name])
		}
	}
}
