package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
)

func hubStore(t *testing.T, n int) (*memstore.Store, []eventstore.Event) {
	t.Helper()
	ctx := context.Background()
	mem := memstore.New(nil)
	for i := range n {
		if _, err := mem.Append(ctx, fmt.Sprintf("s-%d", i%7), eventstore.Any,
			eventstore.EventData{Type: "test.happened.v1", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := mem.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	return mem, all
}

// drain takes n events from the hub through s, in the pieces it hands out.
func drain(t *testing.T, h *hub, s *hubSub, n int) ([]eventstore.Event, error) {
	t.Helper()
	var got []eventstore.Event
	for len(got) < n {
		evs, err := h.next(context.Background(), s)
		if err != nil {
			return got, err
		}
		got = append(got, evs...)
	}
	return got, nil
}

func samePositions(t *testing.T, what string, got, want []eventstore.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].Position != want[i].Position || got[i].ID != want[i].ID {
			t.Fatalf("%s: event %d at %s, want %s", what, i, got[i].Position, want[i].Position)
		}
	}
}

// TestHubWindow drives the hub directly: workers attached at the start, in
// the window and past it get every event after their place, in order, once;
// a worker that takes nothing is evicted once another waits at the window's
// end with max events buffered, and the one that reads is never held back
// by it; the last to leave stops the reader.
func TestHubWindow(t *testing.T) {
	t.Parallel()
	mem, all := hubStore(t, 1000)
	h := newHub(mem, 10, 50, 0)

	fast, ok := h.attach(eventstore.Start)
	if !ok {
		t.Fatal("the first worker did not attach")
	}
	idle, ok := h.attach(eventstore.Start)
	if !ok {
		t.Fatal("a second worker at the reader's start did not attach")
	}
	first, err := drain(t, h, fast, 20)
	if err != nil {
		t.Fatal(err)
	}
	// A worker whose last event is in the window joins right after it.
	mid, ok := h.attach(first[14].Position)
	if !ok {
		t.Fatal("a worker inside the window did not attach")
	}
	// One ahead of what the hub has read reads on its own.
	if _, ok := h.attach(all[900].Position); ok {
		t.Fatal("a worker past the window's end attached")
	}

	rest, err := drain(t, h, fast, len(all)-len(first))
	if err != nil {
		t.Fatalf("the reading worker was held back: %v", err)
	}
	samePositions(t, "fast", append(first, rest...), all)

	if _, err := h.next(context.Background(), idle); !errors.Is(err, errEvicted) {
		t.Errorf("idle worker: %v, want errEvicted", err)
	}
	if _, err := h.next(context.Background(), mid); !errors.Is(err, errEvicted) {
		t.Errorf("worker that stopped reading: %v, want errEvicted", err)
	}
	h.mu.Lock()
	held := h.held
	h.mu.Unlock()
	if held > 50 {
		t.Errorf("the window holds %d events, more than its 50", held)
	}

	// Late events reach the attached worker live.
	if _, err := mem.Append(context.Background(), "s-late", eventstore.Any, eventstore.EventData{Type: "test.happened.v1", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	late, err := drain(t, h, fast, 1)
	if err != nil || len(late) != 1 || late[0].StreamID != "s-late" {
		t.Fatalf("live event: %v, %v", late, err)
	}

	h.detach(idle)
	h.detach(mid)
	h.detach(fast)
	h.mu.Lock()
	running, done := h.running, h.done
	h.mu.Unlock()
	select {
	case <-done:
	default:
		t.Fatal("the reader runs on after the last worker left")
	}
	if running {
		t.Error("hub still marked running")
	}

	// The next worker starts another reader from its own place.
	again, ok := h.attach(all[499].Position)
	if !ok {
		t.Fatal("no attach after a restart")
	}
	got, err := drain(t, h, again, 501)
	if err != nil {
		t.Fatal(err)
	}
	samePositions(t, "restarted", got[:500], all[500:])
	h.detach(again)
}

// TestHubCancelledWorker: a worker waiting for events returns when its
// context ends, and leaves without disturbing the others.
func TestHubCancelledWorker(t *testing.T) {
	t.Parallel()
	mem, all := hubStore(t, 30)
	h := newHub(mem, 10, 50, 0)
	a, _ := h.attach(eventstore.Start)
	b, _ := h.attach(eventstore.Start)
	if _, err := drain(t, h, a, len(all)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.next(ctx, a); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting worker after cancel: %v", err)
	}
	h.detach(a)
	got, err := drain(t, h, b, len(all))
	if err != nil {
		t.Fatal(err)
	}
	samePositions(t, "other", got, all)
	h.detach(b)
}

// TestHubStall: with the window full and a worker waiting at its end, a
// worker on the oldest page is evicted only once it has taken nothing for
// the hub's stall; one still taking events, however slowly, is waited for
// and misses nothing.
func TestHubStall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		stall       time.Duration
		slowTakes   bool // the second worker takes events (slowly) rather than none
		wantEvicted bool
	}{
		{name: "moving slowly, waited for", stall: time.Hour, slowTakes: true, wantEvicted: false},
		{name: "taking nothing, evicted after the stall", stall: 20 * time.Millisecond, slowTakes: false, wantEvicted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem, all := hubStore(t, 300)
			h := newHub(mem, 10, 50, tt.stall)
			fast, _ := h.attach(eventstore.Start)
			slow, _ := h.attach(eventstore.Start)
			defer h.detach(fast)
			defer h.detach(slow)

			slowGot := make(chan error, 1)
			var slowEvents []eventstore.Event
			go func() {
				if !tt.slowTakes {
					slowGot <- nil
					return
				}
				for len(slowEvents) < len(all) {
					evs, err := h.next(context.Background(), slow)
					if err != nil {
						slowGot <- err
						return
					}
					slowEvents = append(slowEvents, evs...)
					time.Sleep(time.Millisecond)
				}
				slowGot <- nil
			}()
			got, err := drain(t, h, fast, len(all))
			if err != nil {
				t.Fatalf("the fast worker: %v", err)
			}
			samePositions(t, "fast", got, all)
			err = <-slowGot
			if !tt.slowTakes {
				_, err = h.next(context.Background(), slow)
			}
			if evicted := errors.Is(err, errEvicted); evicted != tt.wantEvicted {
				t.Fatalf("slow worker: err %v, want evicted %v", err, tt.wantEvicted)
			}
			if !tt.wantEvicted {
				samePositions(t, "slow", slowEvents, all)
			}
		})
	}
}
