package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Scenario is the suite's subscription test under concurrent writers,
// exported so that a backend can also run it against a deliberately broken
// reader and show that the test would catch it.
//
// Writers goroutines each append Events events to their own stream, in
// batches of 1, 3, 2, 5, 1, 4… at exact expected versions. Meanwhile two
// subscriptions read the log: one started from Start before the writers,
// and one that stops after a third of the events and restarts from the
// position of the last event it handled, as a projection does after a crash.
type Scenario struct {
	Writers int
	Events  int // per writer
	// Settle is how long a subscription may go without a new event, once the
	// writers are done, before it is judged to have delivered all it will.
	// Zero means 5s.
	Settle time.Duration
}

// Written is where the scenario put an event.
type Written struct {
	Stream  string
	Version uint64
}

// Outcome is what the scenario wrote and what its subscriptions delivered.
type Outcome struct {
	Written map[uuid.UUID]Written
	Live    []eventstore.Event // the subscription started before the writers
	Resumed []eventstore.Event // the restarted one: before and after its restart
}

// Run plays the scenario on s, which should be empty. Append and
// subscription errors fail t; delivery is judged by Check.
func (sc Scenario) Run(t testing.TB, s eventstore.Store) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	settle := sc.Settle
	if settle == 0 {
		settle = 5 * time.Second
	}
	total := sc.Writers * sc.Events
	writersDone := make(chan struct{})
	out := Outcome{Written: make(map[uuid.UUID]Written, total)}

	var subs sync.WaitGroup
	subs.Go(func() {
		out.Live = collect(t, ctx, s, eventstore.Start, total, writersDone, settle)
	})
	subs.Go(func() {
		first := collect(t, ctx, s, eventstore.Start, total/3, writersDone, settle)
		checkpoint := eventstore.Start
		if len(first) > 0 {
			checkpoint = first[len(first)-1].Position
		}
		rest := collect(t, ctx, s, checkpoint, total-len(first), writersDone, settle)
		out.Resumed = append(first, rest...)
	})

	var (
		writers sync.WaitGroup
		mu      sync.Mutex
	)
	sizes := []int{1, 3, 2, 5, 1, 4}
	for w := range sc.Writers {
		writers.Go(func() {
			stream := fmt.Sprintf("writer-%03d", w)
			for i, version := 0, 0; version < sc.Events; i++ {
				batch := make([]eventstore.EventData, min(sizes[i%len(sizes)], sc.Events-version))
				for k := range batch {
					id, err := uuid.NewV7()
					if err != nil {
						t.Error(err)
						return
					}
					batch[k] = eventstore.EventData{ID: id, Type: "test.written.v1",
						Data: json.RawMessage(fmt.Sprintf(`{"writer":%d,"n":%d}`, w, version+k))}
				}
				if _, err := s.Append(ctx, stream, eventstore.Exactly(uint64(version)), batch...); err != nil {
					t.Errorf("writer %d: Append at version %d: %v", w, version, err)
					return
				}
				mu.Lock()
				for k, e := range batch {
					out.Written[e.ID] = Written{stream, uint64(version + k + 1)}
				}
				mu.Unlock()
				version += len(batch)
			}
		})
	}
	writers.Wait()
	close(writersDone)
	subs.Wait()
	return out
}

// collect subscribes from from and returns what it delivers, until it has
// want events, or the writers are done and nothing came for settle.
func collect(t testing.TB, ctx context.Context, s eventstore.Store, from eventstore.Position, want int, writersDone <-chan struct{}, settle time.Duration) []eventstore.Event {
	if want <= 0 {
		return nil
	}
	sub, stop := context.WithCancel(ctx)
	defer stop()
	var lastProgress atomic.Int64
	lastProgress.Store(time.Now().UnixNano())
	var settled atomic.Bool
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sub.Done():
				return
			case <-tick.C:
			}
			select {
			case <-writersDone:
				if time.Since(time.Unix(0, lastProgress.Load())) > settle {
					settled.Store(true)
					stop()
					return
				}
			default:
			}
		}
	}()
	var got []eventstore.Event
	for e, err := range s.Subscribe(sub, from) {
		if err != nil {
			if !(settled.Load() && errors.Is(err, context.Canceled)) {
				t.Errorf("Subscribe(%s): %v", from, err)
			}
			break
		}
		got = append(got, e)
		lastProgress.Store(time.Now().UnixNano())
		if len(got) == want {
			break
		}
	}
	return got
}

// Missing lists the written events that delivered lacks, in stream order.
func (o Outcome) Missing(delivered []eventstore.Event) []Written {
	seen := make(map[uuid.UUID]bool, len(delivered))
	for _, e := range delivered {
		seen[e.ID] = true
	}
	var missing []Written
	for id, w := range o.Written {
		if !seen[id] {
			missing = append(missing, w)
		}
	}
	slices.SortFunc(missing, func(a, b Written) int {
		if a.Stream != b.Stream {
			if a.Stream < b.Stream {
				return -1
			}
			return 1
		}
		return int(a.Version) - int(b.Version)
	})
	return missing
}

// Check judges one subscription's delivery: every written event exactly
// once, nothing else, positions strictly increasing, each stream's versions
// in order. It returns the problems found (at most a screenful).
func (o Outcome) Check(delivered []eventstore.Event) []string {
	const maxListed = 10
	var problems []string
	report := func(format string, args ...any) {
		if len(problems) < maxListed {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	seen := make(map[uuid.UUID]bool, len(delivered))
	next := make(map[string]uint64)
	for i, e := range delivered {
		w, ok := o.Written[e.ID]
		switch {
		case !ok:
			report("event %d: %s (%s@%d) was never written", i, e.ID, e.StreamID, e.Version)
			continue
		case seen[e.ID]:
			report("event %d: %s (%s@%d) delivered twice", i, e.ID, e.StreamID, e.Version)
			continue
		case w.Stream != e.StreamID || w.Version != e.Version:
			report("event %d: %s delivered as %s@%d, written as %s@%d", i, e.ID, e.StreamID, e.Version, w.Stream, w.Version)
		}
		seen[e.ID] = true
		if i > 0 && !e.Position.After(delivered[i-1].Position) {
			report("event %d: position %s not after %s", i, e.Position, delivered[i-1].Position)
		}
		if want := next[e.StreamID] + 1; e.Version != want {
			report("event %d: %s@%d delivered when version %d was due", i, e.StreamID, e.Version, want)
		}
		next[e.StreamID] = e.Version
	}
	if missing := o.Missing(delivered); len(missing) > 0 {
		listed := missing[:min(len(missing), 5)]
		problems = append(problems, fmt.Sprintf("%d of %d written events never delivered, e.g. %v", len(missing), len(o.Written), listed))
	}
	return problems
}
