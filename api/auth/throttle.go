package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle limits login attempts per key (an account name, a client address).
// It lives in memory: with several API replicas each limits on its own, which
// multiplies the allowance by the replica count but keeps login off the
// database's hot path; documented in docs/api.md.
type Throttle struct {
	every time.Duration
	burst int
	max   int // bound on tracked keys, so a flood of names cannot grow memory

	mu   sync.Mutex
	keys map[string]*rate.Limiter
}

// NewThrottle allows burst attempts per key, refilled one per every.
func NewThrottle(every time.Duration, burst, maxKeys int) *Throttle {
	return &Throttle{every: every, burst: burst, max: maxKeys, keys: make(map[string]*rate.Limiter)}
}

// Allow reports whether key may try now, spending one attempt if so.
func (t *Throttle) Allow(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.keys[key]
	if !ok {
		if len(t.keys) >= t.max {
			t.evictFull(now)
		}
		l = rate.NewLimiter(rate.Every(t.every), t.burst)
		t.keys[key] = l
	}
	return l.AllowN(now, 1)
}

// evictFull drops limiters that have refilled completely: they hold no
// information a fresh limiter would not. If none has, the map is reset —
// under such a flood the address limit still applies.
func (t *Throttle) evictFull(now time.Time) {
	for k, l := range t.keys {
		if l.TokensAt(now) >= float64(t.burst) {
			delete(t.keys, k)
		}
	}
	if len(t.keys) >= t.max {
		clear(t.keys)
	}
}
