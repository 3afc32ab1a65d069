package trustcache_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/hoso-ledger/hoso/internal/trustcache"
)

// TestCache runs in a synctest bubble: the cache reads the clock
// (time.Now, time.Since) and nothing else, so the bubble's fake clock lets
// the test wait out a trust of an hour at once and exactly.
func TestCache(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testCache)
}

func testCache(t *testing.T) {
	c := trustcache.New[string, int](time.Hour, 2)
	g := c.Generation()
	c.Put("a", 1, g)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	// A read that overlapped a Forget is not kept.
	g = c.Generation()
	c.Forget()
	c.Put("b", 2, g)
	if _, ok := c.Get("b"); ok {
		t.Error("a value read across a Forget was kept")
	}
	if _, ok := c.Get("a"); ok {
		t.Error("Forget kept an entry")
	}
	// Full: the least recently used entry goes, the others stay.
	g = c.Generation()
	c.Put("a", 1, g)
	c.Put("b", 2, g)
	c.Get("a") // b is now the least recently used
	c.Put("c", 3, g)
	if _, ok := c.Get("b"); ok {
		t.Error("a full cache kept its least recently used entry")
	}
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Errorf("Get(a), recently used = %d, %v", v, ok)
	}
	if v, ok := c.Get("c"); !ok || v != 3 {
		t.Errorf("Get(c) = %d, %v", v, ok)
	}
	// Trust lapses, and no sooner; zero trust keeps nothing.
	time.Sleep(time.Hour - time.Nanosecond)
	if v, ok := c.Get("c"); !ok || v != 3 {
		t.Errorf("Get(c) within its trust = %d, %v", v, ok)
	}
	time.Sleep(time.Nanosecond)
	if _, ok := c.Get("c"); ok {
		t.Error("an entry outlived its trust")
	}
	c.SetTrust(0)
	c.Put("d", 4, c.Generation())
	if _, ok := c.Get("d"); ok {
		t.Error("a cache of zero trust kept an entry")
	}
}

// An injected clock ages the entries, not the wall clock.
func TestCacheUsesItsClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	c := trustcache.New[string, int](time.Second, 4).UseClock(func() time.Time { return now })
	c.Put("a", 1, c.Generation())
	now = now.Add(999 * time.Millisecond)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("an entry lapsed before its trust by the injected clock")
	}
	now = now.Add(time.Millisecond)
	if _, ok := c.Get("a"); ok {
		t.Error("an entry outlived its trust by the injected clock")
	}
}
