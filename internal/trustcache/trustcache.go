// Package trustcache keeps values read from a source of truth (a table, a
// read model) for a short while, so that what every request reads is not
// read again on every request. Its two guarantees:
//
//   - an entry answers for at most the trust it was given, whoever changed
//     the source meanwhile (another process: its changes are seen that
//     much later at most);
//   - Forget drops everything at once, and a value read from the source
//     while a Forget went through is not kept (it may already be old), so
//     changes made through this process are seen at once.
//
// The way to use it: Get; on a miss, take Generation, read the source,
// then Put with that generation.
package trustcache

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache is safe for concurrent use. Its zero value keeps nothing (a trust
// of zero); use New.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	trust   time.Duration
	max     int
	forgets uint64
	now     func() time.Time
	// m is unlocked: mu already guards every call. nil until the first Put.
	m *simplelru.LRU[K, entry[V]]
}

type entry[V any] struct {
	v    V
	read time.Time
}

// New returns a cache whose entries answer for trust (0: never, so the
// cache keeps nothing) and which holds at most max entries, dropping the
// least recently used.
func New[K comparable, V any](trust time.Duration, max int) *Cache[K, V] {
	return &Cache[K, V]{trust: trust, max: max, now: time.Now}
}

// UseClock makes the cache age its entries by now instead of time.Now. It
// returns c.
func (c *Cache[K, V]) UseClock(now func() time.Time) *Cache[K, V] {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	return c
}

// SetTrust changes the trust of the entries to come and of those held.
func (c *Cache[K, V]) SetTrust(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trust = d
}

// Get returns k's value if it was read less than the trust ago.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.trust <= 0 {
		var zero V
		return zero, false
	}
	e, ok := c.m.Get(k)
	if !ok {
		var zero V
		return zero, false
	}
	if age := c.clock().Sub(e.read); age < 0 || age >= c.trust {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Generation is to be taken before reading the source, and given to Put.
func (c *Cache[K, V]) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.forgets
}

// Put keeps v for k, unless a Forget went through since generation was
// taken (or the cache keeps nothing).
func (c *Cache[K, V]) Put(k K, v V, generation uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trust <= 0 || c.forgets != generation {
		return
	}
	if c.m == nil {
		m, err := simplelru.NewLRU[K, entry[V]](max(c.max, 1), nil)
		if err != nil { // only for a size below 1, which max rules out
			panic(err)
		}
		c.m = m
	}
	c.m.Add(k, entry[V]{v: v, read: c.clock()})
}

// clock is c.now, or time.Now for a Cache not made by New.
func (c *Cache[K, V]) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// Forget drops every entry, and every value being read.
func (c *Cache[K, V]) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	c.m = nil
}
