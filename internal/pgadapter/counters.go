package pgadapter

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api/auth"
)

// Counters is auth.Counters on the login_throttle table.
type Counters struct {
	pool *pgxpool.Pool
}

// NewCounters returns the login throttle's counters on pool.
func NewCounters(pool *pgxpool.Pool) *Counters { return &Counters{pool: pool} }

var _ auth.Counters = (*Counters)(nil)

// Update implements auth.Counters in one transaction that locks the rows
// in the order of keys (every attempt locks pair, address, name), so two
// attempts never wait on each other in a cycle.
func (c *Counters) Update(ctx context.Context, keys [3]auth.CounterKey, now time.Time, fn func(*[3]auth.Counter) bool) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO login_throttle (key_sha256, scope, failures, last_failure_at)
		VALUES ($1, $4, 0, $7), ($2, $5, 0, $7), ($3, $6, 0, $7) ON CONFLICT (key_sha256) DO NOTHING`,
		keys[0].Digest, keys[1].Digest, keys[2].Digest, keys[0].Scope, keys[1].Scope, keys[2].Scope, now); err != nil {
		return err
	}
	var counters [3]auth.Counter
	for i, k := range keys {
		if err := tx.QueryRow(ctx, `SELECT failures, last_failure_at FROM login_throttle WHERE key_sha256 = $1 FOR UPDATE`, k.Digest).
			Scan(&counters[i].Failures, &counters[i].LastFailure); err != nil {
			return err
		}
	}
	if !fn(&counters) {
		return nil // rolled back: nothing changes
	}
	b := &pgx.Batch{}
	for i, k := range keys {
		b.Queue(`UPDATE login_throttle SET failures = $2, last_failure_at = greatest(last_failure_at, $3) WHERE key_sha256 = $1`,
			k.Digest, counters[i].Failures, counters[i].LastFailure)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Forgive implements auth.Counters.
func (c *Counters) Forgive(ctx context.Context, pair auth.CounterKey, others ...auth.CounterKey) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM login_throttle WHERE key_sha256 = $1`, pair.Digest)
	for _, k := range others {
		b.Queue(`UPDATE login_throttle SET failures = failures - 1 WHERE key_sha256 = $1 AND failures > 0`, k.Digest)
	}
	return c.pool.SendBatch(ctx, b).Close()
}

// Forget implements auth.Counters: at most 1000 rows a call.
func (c *Counters) Forget(ctx context.Context, before time.Time) error {
	_, err := c.pool.Exec(ctx, `DELETE FROM login_throttle WHERE key_sha256 IN
		(SELECT key_sha256 FROM login_throttle WHERE last_failure_at < $1 LIMIT 1000)`, before)
	if err != nil {
		return fmt.Errorf("pgadapter: forgetting old login failures: %w", err)
	}
	return nil
}
