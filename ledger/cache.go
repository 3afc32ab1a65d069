package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
)

// HistoryCache remembers the decoded history of recently used streams, so
// that the next command on a stream reads and decodes only the events
// appended since. Commands load the whole history before deciding; without
// a cache a dossier of n events costs n decodes per command, n² over a
// career, which is what a bulk load (the demo, an import) feels.
//
// It is safe because streams are append-only: a cached prefix never
// changes. Each extension is checked against the cache — the new events
// must continue the cached version and hash chain — and a stream that does
// not is read again in full. Cached histories are shared read-only between
// callers; aggregates never modify the events they fold.
//
// One cache serves one decoder (one aggregate type): give each service its
// own. A nil *HistoryCache is valid and caches nothing: its Load and
// Execute are Ledger.Load and Ledger.Execute. Otherwise call
// NewHistoryCache.
type HistoryCache struct {
	// mu guards everything below: each read-check-write of an entry must
	// be atomic, so the LRU is the library's unlocked one.
	mu      sync.Mutex
	now     func() time.Time
	trust   time.Duration // see TrustFor
	appends uint64        // unconfirm calls so far: a Load that overlapped one confirms nothing
	entries *simplelru.LRU[string, *cachedHistory]
}

type cachedHistory struct {
	h       History
	last    eventstore.Hash
	checked time.Time // when the store last confirmed h is the whole stream (by c.now)
	folded  any       // the aggregate folded from h (see LoadFolded); nil until asked
}

// NewHistoryCache keeps up to size streams (at least 1), forgetting the
// least recently used first.
func NewHistoryCache(size int) *HistoryCache {
	entries, err := simplelru.NewLRU[string, *cachedHistory](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size < 1, excluded above
	}
	return &HistoryCache{now: time.Now, entries: entries}
}

// UseClock makes the cache read the time from now instead of time.Now, for
// the age of a confirmation that TrustFor compares (tests move it by hand).
// It returns c.
func (c *HistoryCache) UseClock(now func() time.Time) *HistoryCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	return c
}

func (c *HistoryCache) get(stream string) *cachedHistory {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, _ := c.entries.Get(stream)
	return e
}

// put stores e; appends is appendCount from before e was read: if an
// append went through since, what was read may already be old, and e is
// stored unconfirmed.
func (c *HistoryCache) put(stream string, e *cachedHistory, appends uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.appends != appends {
		e.checked = time.Time{}
	}
	if old, ok := c.entries.Peek(stream); ok && old.h.Version == e.h.Version && old.last == e.last {
		e.folded = old.folded
	}
	c.entries.Add(stream, e)
}

// TrustFor makes Load answer from the cache without asking the store when
// the store confirmed the cached history less than d ago. Appends made
// through this cache (Execute) make the stream's entry unconfirmed at
// once, so a process always sees its own writes; another process's appends
// are seen up to d late. It is for streams read on every request and
// rarely written, such as the caller's account. It returns c.
func (c *HistoryCache) TrustFor(d time.Duration) *HistoryCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trust = d
	return c
}

// trusted returns the cached history of stream if TrustFor lets Load
// answer with it without asking the store.
func (c *HistoryCache) trusted(stream string) (History, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries.Get(stream)
	if !ok || c.trust <= 0 || e.checked.IsZero() {
		return History{}, false
	}
	if age := c.now().Sub(e.checked); age < 0 || age >= c.trust {
		return History{}, false
	}
	h := e.h
	h.Events = h.Events[:len(h.Events):len(h.Events)]
	return h, true
}

// start returns the time and the append count that a Load about to read
// the store will record as its confirmation.
func (c *HistoryCache) start() (time.Time, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now(), c.appends
}

// unconfirm makes the next Load of stream ask the store, after an append
// to it (successful or not: a refused one means the cache is behind).
func (c *HistoryCache) unconfirm(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.appends++
	if e, ok := c.entries.Peek(stream); ok {
		c.entries.Add(stream, &cachedHistory{h: e.h, last: e.last, folded: e.folded})
	}
}

func (c *HistoryCache) forget(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries.Remove(stream)
}

// Load is Ledger.Load through the cache: the same History, or an error
// wrapping domain.ErrNotFound when the stream has no events. On a nil cache
// it is l.Load.
func (c *HistoryCache) Load(ctx context.Context, l Ledger, stream string, decode Decoder) (History, error) {
	if c == nil {
		return l.Load(ctx, stream, decode)
	}
	if h, ok := c.trusted(stream); ok {
		return h, nil
	}
	checked, appends := c.start()
	e := c.get(stream)
	from := uint64(1)
	if e != nil {
		from = e.h.Version + 1
	}
	evs, err := l.Store.ReadStream(ctx, stream, eventstore.ReadOptions{From: from})
	if errors.Is(err, eventstore.ErrNotFound) {
		c.forget(stream)
		return History{Stream: stream}, fmt.Errorf("%w: %s", domain.ErrNotFound, stream)
	}
	if err != nil {
		return History{}, err
	}
	if e != nil && len(evs) > 0 && (evs[0].Version != from || evs[0].PrevHash != e.last) {
		// Not the continuation of what we hold: trust only the store.
		c.forget(stream)
		return c.Load(ctx, l, stream, decode)
	}
	var h History
	last := eventstore.Hash{}
	if e != nil {
		// The full slice expression makes append copy, so histories handed
		// out earlier are never written to.
		h = History{Stream: stream, Events: e.h.Events[:len(e.h.Events):len(e.h.Events)], Version: e.h.Version}
		last = e.last
	} else {
		h = History{Stream: stream}
	}
	for _, ev := range evs {
		r, err := Recorded(ev, decode)
		if err != nil {
			return History{}, err
		}
		h.Events = append(h.Events, r)
		h.Version, last = ev.Version, ev.Hash
	}
	if len(h.Events) == 0 {
		return History{Stream: stream}, fmt.Errorf("%w: %s", domain.ErrNotFound, stream)
	}
	c.put(stream, &cachedHistory{h: h, last: last, checked: checked}, appends)
	return h, nil
}

// LoadFolded loads a stream through cache (nil: no cache) and folds it
// into its aggregate, reusing the aggregate folded at the same version when
// the cache holds one: a dossier read replayed a career on every request.
// Aggregates are shared read-only, as histories are: their methods decide
// without changing them (only their fold does).
func LoadFolded[A any](ctx context.Context, l Ledger, cache *HistoryCache, stream string, decode Decoder, fold func([]domain.Recorded) (A, error)) (A, error) {
	var zero A
	h, err := cache.Load(ctx, l, stream, decode)
	if err != nil {
		return zero, err
	}
	if cache != nil {
		if a, ok := cache.foldedAt(stream, h.Version).(A); ok {
			return a, nil
		}
	}
	a, err := fold(h.Events)
	if err != nil {
		return zero, err
	}
	if cache != nil {
		cache.keepFolded(stream, h.Version, a)
	}
	return a, nil
}

func (c *HistoryCache) foldedAt(stream string, version uint64) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries.Peek(stream); ok && e.h.Version == version {
		return e.folded
	}
	return nil
}

func (c *HistoryCache) keepFolded(stream string, version uint64, a any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries.Peek(stream); ok && e.h.Version == version {
		e.folded = a
	}
}

// Execute is Ledger.Execute with the history loaded through the cache: the
// same If-Match check, decision and append at the loaded version. On a nil
// cache it is l.Execute.
func (c *HistoryCache) Execute(ctx context.Context, l Ledger, stream string, decode Decoder, ifMatch uint64, m domain.Meta, decide func(History) ([]domain.Event, error)) (eventstore.AppendResult, error) {
	if c == nil {
		return l.Execute(ctx, stream, decode, ifMatch, m, decide)
	}
	h, err := c.Load(ctx, l, stream, decode)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if ifMatch != 0 && ifMatch != h.Version {
		return eventstore.AppendResult{}, &VersionMismatchError{Stream: stream, Seen: ifMatch, Current: h.Version}
	}
	events, err := decide(h)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer c.unconfirm(stream)
	return l.Append(ctx, stream, eventstore.Exactly(h.Version), m, events, nil)
}
