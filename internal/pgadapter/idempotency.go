package pgadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/domain"
)

// Idempotency is api.IdempotencyStore on the idempotency_keys table.
type Idempotency struct {
	pool *pgxpool.Pool
	pv   seal.Privacy
}

// WithPrivacy seals the stored responses (they may hold a dossier's
// sensitive fields) under a data key of the calling account.
func (s *Idempotency) WithPrivacy(pv seal.Privacy) *Idempotency {
	s.pv = pv
	return s
}

// idempotencyScope is the data-key scope of an account's stored responses.
func idempotencyScope(account uuid.UUID) string { return "idempotency-" + account.String() }

const idempotencyPurpose = "idempotency_keys.body"

// NewIdempotency returns the store on pool.
func NewIdempotency(pool *pgxpool.Pool) *Idempotency { return &Idempotency{pool: pool} }

var _ api.IdempotencyStore = (*Idempotency)(nil)

// Claim implements api.IdempotencyStore in one statement, so two requests
// racing for a key cannot both claim it.
func (s *Idempotency) Claim(ctx context.Context, k api.IdempotencyKey, method, route string, now, expired, stale time.Time) (bool, error) {
	var claimed bool
	err := s.pool.QueryRow(ctx, `
		INSERT INTO idempotency_keys (account_id, key, request_sha256, method, route, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, key) DO UPDATE SET
			request_sha256 = EXCLUDED.request_sha256, method = EXCLUDED.method, route = EXCLUDED.route,
			created_at = EXCLUDED.created_at, completed_at = NULL, status = NULL, headers = NULL, body = NULL
		WHERE idempotency_keys.created_at < $7
		   OR (idempotency_keys.completed_at IS NULL AND idempotency_keys.created_at < $8)
		RETURNING true`,
		k.Account, k.Key, k.Fingerprint[:], method, route, now, expired, stale).Scan(&claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgadapter: claiming an idempotency key: %w", err)
	}
	return claimed, nil
}

// Release implements api.IdempotencyStore.
func (s *Idempotency) Release(ctx context.Context, k api.IdempotencyKey) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND request_sha256 = $3 AND completed_at IS NULL`,
		k.Account, k.Key, k.Fingerprint[:])
	return err
}

// Complete implements api.IdempotencyStore.
func (s *Idempotency) Complete(ctx context.Context, k api.IdempotencyKey, at time.Time, status int, headers map[string]string, body []byte) error {
	hj, err := json.Marshal(headers)
	if err != nil {
		return err
	}
	if body, err = s.pv.Seal(ctx, idempotencyScope(k.Account), idempotencyPurpose, body); err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		UPDATE idempotency_keys SET completed_at = $4, status = $5, headers = $6, body = $7
		WHERE account_id = $1 AND key = $2 AND request_sha256 = $3 AND completed_at IS NULL`,
		k.Account, k.Key, k.Fingerprint[:], at, status, hj, body)
	return err
}

// Lookup implements api.IdempotencyStore.
func (s *Idempotency) Lookup(ctx context.Context, account uuid.UUID, key string) (api.IdempotencyRecord, error) {
	var (
		r         api.IdempotencyRecord
		completed *time.Time
		status    *int
	)
	err := s.pool.QueryRow(ctx, `
		SELECT request_sha256, completed_at, status, headers, body FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
		account, key).Scan(&r.Fingerprint, &completed, &status, &r.Headers, &r.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("pgadapter: idempotency key: %w", domain.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("pgadapter: idempotency key: %w", err)
	}
	if completed != nil && status != nil {
		r.Completed, r.Status = true, *status
	}
	if r.Body, err = s.pv.Open(ctx, idempotencyScope(account), idempotencyPurpose, r.Body); err != nil {
		return r, fmt.Errorf("pgadapter: idempotency key: %w", err)
	}
	return r, nil
}

// Sweep implements api.IdempotencyStore: at most 1000 rows a call, so a
// sweep never holds a request for long.
func (s *Idempotency) Sweep(ctx context.Context, before time.Time) error {
	_, err := s.pool.Exec(ctx, `
		DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT 1000))`, before)
	return err
}
