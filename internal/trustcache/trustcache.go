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
)

// Cache is safe for concurrent use. Its zero value keeps nothing (a trust
// of zero); use New.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	trust   time.Duration
	max     int
	forgets uint64
	m       map[K]entry[V]
}

type entry[V any] struct {
	v    V
	read time.Time
}

// New returns a cache whose entries answer for trust (0: never, so the
// cache keeps nothing) and which is emptied when it holds max entries.
func New[K comparable, V any](trust time.Duration, max int) *Cache[K, V] {
	return &Cache[K, V]{trust: trust, max: max}
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
	e, ok := c.m[k]
	if !ok || c.trust <= 0 {
		var zero V
		return zero, false
	}
	if age := time.Since(e.read); age < 0 || age >= c.trust {
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
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[K]entry[V])
	}
	c.m[k] = entry[V]{v: v, read: time.Now()}
}

// Forget drops every entry, and every value being read.
func (c *Cache[K, V]) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	c.m = nil
}
