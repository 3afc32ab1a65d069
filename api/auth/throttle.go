package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"time"
)

// Limit is a growing delay on failures: the first Free cost nothing; after
// the next, the counter waits Base from the last failure, and every further
// failure doubles the wait, up to Max.
type Limit struct {
	Free int
	Base time.Duration
	Max  time.Duration
}

// Delay is the wait after failures failures, counted from the last one.
func (l Limit) Delay(failures int) time.Duration {
	if failures < l.Free {
		return 0
	}
	d := l.Base
	for n := failures - l.Free; n > 0 && d < l.Max; n-- {
		d *= 2
	}
	return min(d, l.Max)
}

// The login limits. Per (login name, client address), the pair that guesses:
// a person who mistypes three times waits a second, then two, four… at
// most 15 minutes, so a guessing run from one address gets about a hundred
// guesses a day at the cap. Per address, whatever the name: an office behind
// one NAT makes many failures before anyone is slowed, yet rotating names
// does not escape, and it bounds the argon2 work one client causes. Per
// name, from every address: it slows a run spread over many addresses, but
// applies only to a pair that has failed already, so the owner at an
// address with no failures on their name is never kept out by a stranger.
var (
	PairLimit = Limit{Free: 3, Base: time.Second, Max: 15 * time.Minute}
	AddrLimit = Limit{Free: 30, Base: time.Second, Max: 15 * time.Minute}
	NameLimit = Limit{Free: 10, Base: time.Second, Max: 15 * time.Minute}
)

// ForgetAfter is how long a counter without a new failure lasts: after it,
// the counter starts again from nothing.
const ForgetAfter = 24 * time.Hour

// Counter is one failure counter of the login throttle.
type Counter struct {
	Failures    int
	LastFailure time.Time
}

// CounterKey names a counter: its scope ("name_addr", "addr" or "name")
// and the digest that keys it.
type CounterKey struct {
	Scope  string
	Digest []byte
}

// Counters is where the login throttle keeps its counters, shared by every
// process on the database (on PostgreSQL, internal/pgadapter.Counters).
type Counters interface {
	// Update locks the counters of keys in order, creating missing ones
	// with no failures and last failure at now, and passes them to fn. When
	// fn returns true, each counter takes fn's Failures, and its
	// LastFailure if later than the stored one, atomically with the read;
	// when false, nothing changes.
	Update(ctx context.Context, keys [3]CounterKey, now time.Time, fn func(c *[3]Counter) bool) error
	// Forgive deletes the counter of pair and takes one failure off each of
	// others that has any.
	Forgive(ctx context.Context, pair CounterKey, others ...CounterKey) error
	// Forget deletes a batch of counters whose last failure is before before.
	Forget(ctx context.Context, before time.Time) error
}

// LoginThrottle counts password failures in Counters (the login_throttle
// table), so every process on the database and a restarted one share the
// counts. It knows names, never accounts: a name that exists and one that
// does not are slowed alike, so a refusal tells nothing about either.
type LoginThrottle struct {
	db   Counters
	pair Limit
	addr Limit
	name Limit
}

// NewLoginThrottle returns a throttle on db with PairLimit, AddrLimit and
// NameLimit.
func NewLoginThrottle(db Counters) *LoginThrottle {
	return &LoginThrottle{db: db, pair: PairLimit, addr: AddrLimit, name: NameLimit}
}

// The three counters of an attempt, in the order every transaction locks
// them (pair, address, name), so two attempts never wait on each other in
// a cycle.
const (
	scopePair = iota
	scopeAddr
	scopeName
)

var scopeNames = [3]string{"name_addr", "addr", "name"}

// keys are the counters' row keys: digests, so the table holds no names (a
// password typed in the name box) and no addresses in clear.
func keys(name, addr string) [3]CounterKey {
	parts := [3]string{name + "\x00" + addr, addr, name}
	var out [3]CounterKey
	for i, p := range parts {
		d := sha256.Sum256([]byte(scopeNames[i] + "\x00" + p))
		out[i] = CounterKey{Scope: scopeNames[i], Digest: d[:]}
	}
	return out
}

// Attempt decides whether name may try a password from addr at now. If it
// may, the attempt is counted as a failure at once, before the password is
// checked, so that parallel guesses cannot all pass the check while the
// first is still hashing; Succeeded takes the count back. If it may not,
// nothing is counted and wait (> 0) is how long until it may.
func (t *LoginThrottle) Attempt(ctx context.Context, name, addr string, now time.Time) (wait time.Duration, err error) {
	if rand.IntN(100) == 0 {
		// Now and then, the counters nobody has failed on for a day go.
		if err := t.db.Forget(ctx, now.Add(-ForgetAfter)); err != nil {
			return 0, fmt.Errorf("auth: forgetting old login failures: %w", err)
		}
	}
	err = t.db.Update(ctx, keys(name, addr), now, func(c *[3]Counter) bool {
		for i := range c {
			if now.Sub(c[i].LastFailure) >= ForgetAfter {
				c[i].Failures = 0
			}
		}
		remaining := func(l Limit, i int) time.Duration {
			return max(0, c[i].LastFailure.Add(l.Delay(c[i].Failures)).Sub(now))
		}
		wait = max(remaining(t.pair, scopePair), remaining(t.addr, scopeAddr))
		if c[scopePair].Failures > 0 {
			wait = max(wait, remaining(t.name, scopeName))
		}
		if wait > 0 {
			return false // nothing counted
		}
		for i := range c {
			c[i].Failures++
			c[i].LastFailure = now
		}
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("auth: login throttle: %w", err)
	}
	return wait, nil
}

// Succeeded records that the attempt Attempt counted found the right
// password: the pair's failures are forgotten, and the address and the name
// lose the one failure the attempt added (not the others: a guesser who
// also holds a real account cannot wash an address clean by logging in).
func (t *LoginThrottle) Succeeded(ctx context.Context, name, addr string) error {
	k := keys(name, addr)
	if err := t.db.Forgive(ctx, k[scopePair], k[scopeAddr], k[scopeName]); err != nil {
		return fmt.Errorf("auth: login throttle: %w", err)
	}
	return nil
}
