package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// LoginThrottle counts password failures in PostgreSQL (the login_throttle
// table), so every process on the database and a restarted one share the
// counts. It knows names, never accounts: a name that exists and one that
// does not are slowed alike, so a refusal tells nothing about either.
type LoginThrottle struct {
	db   *pgxpool.Pool
	pair Limit
	addr Limit
	name Limit
}

// NewLoginThrottle returns a throttle on db with PairLimit, AddrLimit and
// NameLimit.
func NewLoginThrottle(db *pgxpool.Pool) *LoginThrottle {
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
func keys(name, addr string) [3][]byte {
	parts := [3]string{name + "\x00" + addr, addr, name}
	var out [3][]byte
	for i, p := range parts {
		d := sha256.Sum256([]byte(scopeNames[i] + "\x00" + p))
		out[i] = d[:]
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
		if _, err := t.db.Exec(ctx, `DELETE FROM login_throttle WHERE key_sha256 IN
			(SELECT key_sha256 FROM login_throttle WHERE last_failure_at < $1 LIMIT 1000)`, now.Add(-ForgetAfter)); err != nil {
			return 0, fmt.Errorf("auth: forgetting old login failures: %w", err)
		}
	}
	k := keys(name, addr)
	tx, err := t.db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("auth: login throttle: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO login_throttle (key_sha256, scope, failures, last_failure_at)
		VALUES ($1, 'name_addr', 0, $4), ($2, 'addr', 0, $4), ($3, 'name', 0, $4) ON CONFLICT (key_sha256) DO NOTHING`,
		k[scopePair], k[scopeAddr], k[scopeName], now); err != nil {
		return 0, fmt.Errorf("auth: login throttle: %w", err)
	}
	var failures [3]int
	var last [3]time.Time
	for i := range k {
		if err := tx.QueryRow(ctx, `SELECT failures, last_failure_at FROM login_throttle WHERE key_sha256 = $1 FOR UPDATE`, k[i]).
			Scan(&failures[i], &last[i]); err != nil {
			return 0, fmt.Errorf("auth: login throttle: %w", err)
		}
		if now.Sub(last[i]) >= ForgetAfter {
			failures[i] = 0
		}
	}
	remaining := func(l Limit, i int) time.Duration { return max(0, last[i].Add(l.Delay(failures[i])).Sub(now)) }
	wait = max(remaining(t.pair, scopePair), remaining(t.addr, scopeAddr))
	if failures[scopePair] > 0 {
		wait = max(wait, remaining(t.name, scopeName))
	}
	if wait > 0 {
		return wait, nil // rolled back: nothing counted
	}
	b := &pgx.Batch{}
	for i := range k {
		b.Queue(`UPDATE login_throttle SET failures = $2, last_failure_at = greatest(last_failure_at, $3) WHERE key_sha256 = $1`,
			k[i], failures[i]+1, now)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("auth: login throttle: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("auth: login throttle: %w", err)
	}
	return 0, nil
}

// Succeeded records that the attempt Attempt counted found the right
// password: the pair's failures are forgotten, and the address and the name
// lose the one failure the attempt added (not the others: a guesser who
// also holds a real account cannot wash an address clean by logging in).
func (t *LoginThrottle) Succeeded(ctx context.Context, name, addr string) error {
	k := keys(name, addr)
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM login_throttle WHERE key_sha256 = $1`, k[scopePair])
	for _, i := range []int{scopeAddr, scopeName} {
		b.Queue(`UPDATE login_throttle SET failures = failures - 1 WHERE key_sha256 = $1 AND failures > 0`, k[i])
	}
	if err := t.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("auth: login throttle: %w", err)
	}
	return nil
}
