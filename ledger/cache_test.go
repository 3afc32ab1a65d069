package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// countingStore counts stream reads, to tell a cache answer from a store one.
type countingStore struct {
	eventstore.Store
	reads atomic.Int64
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	s.reads.Add(1)
	return s.Store.ReadStream(ctx, stream, opts)
}

// manualClock is a clock the test moves by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func add(text string) func(ledger.History) ([]domain.Event, error) {
	return func(ledger.History) ([]domain.Event, error) { return []domain.Event{noted{text}}, nil }
}

// sameHistory fails unless the cache and the store agree on stream.
func sameHistory(t *testing.T, when string, cache *ledger.HistoryCache, l ledger.Ledger, stream string) {
	t.Helper()
	ctx := context.Background()
	want, err := l.Load(ctx, stream, decodeNoted)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cache.Load(ctx, l, stream, decodeNoted)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != want.Version || len(got.Events) != len(want.Events) {
		t.Fatalf("%s: cached history at %d (%d events), store at %d (%d)", when, got.Version, len(got.Events), want.Version, len(want.Events))
	}
	for i := range want.Events {
		if got.Events[i].ID != want.Events[i].ID || got.Events[i].Event != want.Events[i].Event {
			t.Fatalf("%s: event %d differs: %+v, want %+v", when, i, got.Events[i], want.Events[i])
		}
	}
}

func TestHistoryCacheFollowsTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := ledger.Ledger{Store: memstore.New(nil)}
	cache := ledger.NewHistoryCache(2)
	if _, err := l.Append(ctx, "test-1", eventstore.NoStream, meta(), []domain.Event{noted{"a"}}, nil); err != nil {
		t.Fatal(err)
	}
	sameHistory(t, "first load", cache, l, "test-1")
	// Writes through the cache and around it are both seen.
	if _, err := cache.Execute(ctx, l, "test-1", decodeNoted, 1, meta(), add("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Execute(ctx, "test-1", decodeNoted, 2, meta(), add("c")); err != nil {
		t.Fatal(err)
	}
	sameHistory(t, "after writes", cache, l, "test-1")
	// A stale If-Match is refused through the cache too, and writes nothing.
	_, err := cache.Execute(ctx, l, "test-1", decodeNoted, 2, meta(), add("d"))
	var vm *ledger.VersionMismatchError
	if !errors.As(err, &vm) || !errors.Is(err, domain.ErrConflict) || vm.Current != 3 {
		t.Fatalf("stale If-Match through the cache: err = %v", err)
	}
	sameHistory(t, "after a refused write", cache, l, "test-1")
	// The same stream name in another ledger (a restored database) is not a
	// continuation: the cache notices by the hash chain and reloads.
	other := ledger.Ledger{Store: memstore.New(nil)}
	for _, text := range []string{"x", "y", "z", "w"} {
		if _, err := other.Append(ctx, "test-1", eventstore.Any, meta(), []domain.Event{noted{text}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	sameHistory(t, "another ledger", cache, other, "test-1")
	// Eviction: more streams than the cache holds still load correctly.
	for n := range 4 {
		s := fmt.Sprint("test-e", n)
		if _, err := l.Append(ctx, s, eventstore.NoStream, meta(), []domain.Event{noted{s}}, nil); err != nil {
			t.Fatal(err)
		}
		sameHistory(t, "filling "+s, cache, l, s)
	}
	sameHistory(t, "after eviction", cache, l, "test-1")
	// A stream that vanished (a restored database again) is not found.
	if _, err := cache.Load(ctx, ledger.Ledger{Store: memstore.New(nil)}, "test-1", decodeNoted); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Load(vanished stream) err = %v, want ErrNotFound", err)
	}
}

// Only the least recently used stream is forgotten. The aggregate folded
// at a version lives as long as its stream's entry, so a fold shows which
// stream the cache lost.
func TestHistoryCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := ledger.Ledger{Store: memstore.New(nil)}
	cache := ledger.NewHistoryCache(2)
	for _, s := range []string{"test-a", "test-b", "test-c"} {
		if _, err := l.Append(ctx, s, eventstore.NoStream, meta(), []domain.Event{noted{s}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var folded []string
	get := func(s string) {
		t.Helper()
		fold := func(evs []domain.Recorded) (string, error) {
			folded = append(folded, s)
			return evs[0].Event.(noted).Text, nil
		}
		if got, err := ledger.LoadFolded(ctx, l, cache, s, decodeNoted, fold); err != nil || got != s {
			t.Fatalf("LoadFolded(%s) = %q, %v", s, got, err)
		}
	}
	get("test-a")
	get("test-b")
	get("test-a") // a is now more recent than b, though b came in later
	get("test-c") // evicts b
	get("test-a")
	get("test-b")
	want := []string{"test-a", "test-b", "test-c", "test-b"}
	if fmt.Sprint(folded) != fmt.Sprint(want) {
		t.Fatalf("folded %v, want %v", folded, want)
	}
}

// A trusting cache answers without the store for a while, but never hides
// this process's own writes, and sees other writers once the trust lapses
// on its clock. The clock is moved by hand: nothing here sleeps.
func TestHistoryCacheTrust(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const trust = time.Second
	clock := &manualClock{now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	store := &countingStore{Store: memstore.New(nil)}
	l := ledger.Ledger{Store: store}
	cache := ledger.NewHistoryCache(8).TrustFor(trust).UseClock(clock.Now)
	if _, err := l.Append(ctx, "test-t", eventstore.NoStream, meta(), []domain.Event{noted{"a"}}, nil); err != nil {
		t.Fatal(err)
	}
	version := func() (uint64, int64) {
		t.Helper()
		before := store.reads.Load()
		h, err := cache.Load(ctx, l, "test-t", decodeNoted)
		if err != nil {
			t.Fatal(err)
		}
		return h.Version, store.reads.Load() - before
	}
	if v, reads := version(); v != 1 || reads != 1 {
		t.Fatalf("first load: version %d after %d reads, want 1 after 1", v, reads)
	}
	if v, reads := version(); v != 1 || reads != 0 {
		t.Fatalf("trusted load: version %d after %d reads, want 1 after 0", v, reads)
	}
	// Our own write is seen at once.
	if _, err := cache.Execute(ctx, l, "test-t", decodeNoted, 0, meta(), add("b")); err != nil {
		t.Fatal(err)
	}
	if v, _ := version(); v != 2 {
		t.Fatalf("own write not seen at once: version %d, want 2", v)
	}
	// Another writer's is not, until the trust lapses.
	if _, err := l.Append(ctx, "test-t", eventstore.Exactly(2), meta(), []domain.Event{noted{"c"}}, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(trust - time.Nanosecond)
	if v, reads := version(); v != 2 || reads != 0 {
		t.Fatalf("just within the trust: version %d after %d reads, want 2 after 0", v, reads)
	}
	clock.Advance(time.Nanosecond)
	if v, reads := version(); v != 3 || reads != 1 {
		t.Fatalf("trust lapsed: version %d after %d reads, want 3 after 1", v, reads)
	}
	// A clock that went backwards trusts nothing.
	clock.Advance(-time.Minute)
	if _, reads := version(); reads != 1 {
		t.Fatalf("clock moved back: %d reads, want 1", reads)
	}
}

// A nil cache is no cache: every load reads the store.
func TestNilHistoryCacheReadsTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &countingStore{Store: memstore.New(nil)}
	l := ledger.Ledger{Store: store}
	var cache *ledger.HistoryCache
	if _, err := cache.Execute(ctx, l, "test-n", decodeNoted, 0, meta(), add("a")); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Execute on a missing stream: err = %v, want ErrNotFound", err)
	}
	if _, err := l.Append(ctx, "test-n", eventstore.NoStream, meta(), []domain.Event{noted{"a"}}, nil); err != nil {
		t.Fatal(err)
	}
	before := store.reads.Load()
	for range 2 {
		if _, err := cache.Load(ctx, l, "test-n", decodeNoted); err != nil {
			t.Fatal(err)
		}
	}
	if reads := store.reads.Load() - before; reads != 2 {
		t.Fatalf("%d reads for two loads through a nil cache, want 2", reads)
	}
}
