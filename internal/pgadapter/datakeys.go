package pgadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/ledger/seal"
)

// DataKeys is seal.KeyStore on the data_keys table (migration 00060).
type DataKeys struct {
	pool *pgxpool.Pool
}

// NewDataKeys returns the key store on pool.
func NewDataKeys(pool *pgxpool.Pool) *DataKeys { return &DataKeys{pool: pool} }

var _ seal.KeyStore = (*DataKeys)(nil)

// Get implements seal.KeyStore.
func (s *DataKeys) Get(ctx context.Context, scope string) (seal.Wrapped, error) {
	w := seal.Wrapped{Scope: scope}
	err := s.pool.QueryRow(ctx, `SELECT kek_id, wrapped FROM data_keys WHERE scope = $1`, scope).Scan(&w.KEKID, &w.Wrapped)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("%w: %s", seal.ErrNoKey, scope)
	}
	return w, err
}

// Create implements seal.KeyStore: the first writer wins, and everyone
// gets its key.
func (s *DataKeys) Create(ctx context.Context, w seal.Wrapped) (seal.Wrapped, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO data_keys (scope, kek_id, wrapped) VALUES ($1, $2, $3) ON CONFLICT (scope) DO NOTHING`,
		w.Scope, w.KEKID, w.Wrapped); err != nil {
		return seal.Wrapped{}, err
	}
	return s.Get(ctx, w.Scope)
}

// Rewrap re-wraps, under wrap's current KEK, every data key wrapped under
// another one, without touching any event: each row is rewritten only if
// it still holds what was read (a concurrent rotation is not overwritten).
// It returns how many keys it re-wrapped; a key that does not unwrap stops
// it with an error wrapping seal.ErrKey, the keys done so far kept.
func (s *DataKeys) Rewrap(ctx context.Context, wrap seal.KeyWrapper, now time.Time) (int, error) {
	current := wrap.KEKID()
	done := 0
	after := ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT scope, kek_id, wrapped FROM data_keys WHERE kek_id <> $1 AND scope > $2 ORDER BY scope LIMIT 500`, current, after)
		if err != nil {
			return done, err
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seal.Wrapped, error) {
			var w seal.Wrapped
			err := r.Scan(&w.Scope, &w.KEKID, &w.Wrapped)
			return w, err
		})
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			return done, nil
		}
		for _, w := range batch {
			raw, err := wrap.Unwrap(ctx, w.Scope, w.KEKID, w.Wrapped)
			if err != nil {
				return done, fmt.Errorf("data key of %s: %w", w.Scope, err)
			}
			kid, wrapped, err := wrap.Wrap(ctx, w.Scope, raw)
			clear(raw)
			if err != nil {
				return done, fmt.Errorf("data key of %s: %w", w.Scope, err)
			}
			tag, err := s.pool.Exec(ctx, `UPDATE data_keys SET kek_id = $2, wrapped = $3, rewrapped_at = $4 WHERE scope = $1 AND kek_id = $5 AND wrapped = $6`,
				w.Scope, kid, wrapped, now, w.KEKID, w.Wrapped)
			if err != nil {
				return done, err
			}
			done += int(tag.RowsAffected())
			after = w.Scope
		}
	}
}

// CountByKEK is how many data keys each KEK wraps (for `hoso keys status`).
func (s *DataKeys) CountByKEK(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT kek_id, count(*) FROM data_keys GROUP BY kek_id`)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var (
		k string
		n int
	)
	_, err = pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil })
	return out, err
}

// OnePerKEK returns one stored data key for each KEK that wraps any, so a
// process can check at start that its KEK opens them all.
func (s *DataKeys) OnePerKEK(ctx context.Context) ([]seal.Wrapped, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (kek_id) scope, kek_id, wrapped FROM data_keys ORDER BY kek_id, scope`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (seal.Wrapped, error) {
		var w seal.Wrapped
		err := r.Scan(&w.Scope, &w.KEKID, &w.Wrapped)
		return w, err
	})
}

var _ seal.BatchKeyStore = (*DataKeys)(nil)

// createMany inserts the keys of scopes that have none and returns those
// it inserted beside those stored before. A key another transaction
// inserted meanwhile is in neither (the statement's snapshot predates it);
// the keyring asks for those one by one.
const createMany = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) AS t(scope, kek_id, wrapped)
), ins AS (
    INSERT INTO data_keys (scope, kek_id, wrapped) SELECT scope, kek_id, wrapped FROM input
    ON CONFLICT (scope) DO NOTHING
    RETURNING scope, kek_id, wrapped
)
SELECT scope, kek_id, wrapped FROM ins
UNION ALL
SELECT d.scope, d.kek_id, d.wrapped FROM data_keys d JOIN input USING (scope)`

// CreateMany implements seal.BatchKeyStore in one statement.
func (s *DataKeys) CreateMany(ctx context.Context, ws []seal.Wrapped) ([]seal.Wrapped, error) {
	scopes, keks, wrapped := make([]string, len(ws)), make([]string, len(ws)), make([][]byte, len(ws))
	for i, w := range ws {
		scopes[i], keks[i], wrapped[i] = w.Scope, w.KEKID, w.Wrapped
	}
	rows, err := s.pool.Query(ctx, createMany, scopes, keks, wrapped)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (seal.Wrapped, error) {
		var w seal.Wrapped
		err := r.Scan(&w.Scope, &w.KEKID, &w.Wrapped)
		return w, err
	})
}
