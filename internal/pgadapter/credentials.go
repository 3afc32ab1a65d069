package pgadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api/auth"
)

// Credentials is auth.Credentials on the auth_credentials and auth_tokens
// tables.
type Credentials struct {
	pool *pgxpool.Pool
}

// NewCredentials returns the credentials on pool.
func NewCredentials(pool *pgxpool.Pool) *Credentials { return &Credentials{pool: pool} }

var _ auth.Credentials = (*Credentials)(nil)

// SetPassword implements auth.Credentials.
func (c *Credentials) SetPassword(ctx context.Context, account uuid.UUID, username, hash string, at time.Time) error {
	_, err := c.pool.Exec(ctx, `
		INSERT INTO auth_credentials (account_id, username, password_hash, updated_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET username = EXCLUDED.username, password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at`,
		account, username, hash, at)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation {
		return auth.ErrUsernameTaken
	}
	return err
}

// PasswordByUsername implements auth.Credentials.
func (c *Credentials) PasswordByUsername(ctx context.Context, username string) (uuid.UUID, string, error) {
	var account uuid.UUID
	var hash string
	err := c.pool.QueryRow(ctx, `SELECT account_id, password_hash FROM auth_credentials WHERE username = $1`, username).Scan(&account, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, "", auth.ErrNoCredentials
	}
	return account, hash, err
}

// PasswordOf implements auth.Credentials.
func (c *Credentials) PasswordOf(ctx context.Context, account uuid.UUID) (string, error) {
	var hash string
	err := c.pool.QueryRow(ctx, `SELECT password_hash FROM auth_credentials WHERE account_id = $1`, account).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", auth.ErrNoCredentials
	}
	return hash, err
}

// InsertToken implements auth.Credentials.
func (c *Credentials) InsertToken(ctx context.Context, t auth.Token) error {
	_, err := c.pool.Exec(ctx, `
		INSERT INTO auth_tokens (token_sha256, kind, account_id, label, created_at, last_seen_at, idle_timeout, absolute_expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.Digest, t.Kind, t.AccountID, t.Label, t.CreatedAt, t.LastSeen, t.Idle, t.Absolute)
	if err != nil {
		return fmt.Errorf("pgadapter: storing a token: %w", err)
	}
	return nil
}

// Token implements auth.Credentials.
func (c *Credentials) Token(ctx context.Context, digest []byte) (auth.Token, error) {
	t := auth.Token{Digest: digest}
	err := c.pool.QueryRow(ctx, `
		SELECT account_id, kind, label, created_at, last_seen_at, idle_timeout, absolute_expires_at, revoked_at
		FROM auth_tokens WHERE token_sha256 = $1`, digest).
		Scan(&t.AccountID, &t.Kind, &t.Label, &t.CreatedAt, &t.LastSeen, &t.Idle, &t.Absolute, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Token{}, auth.ErrUnauthenticated
	}
	if err != nil {
		return auth.Token{}, err
	}
	return t, nil
}

// TouchToken implements auth.Credentials.
func (c *Credentials) TouchToken(ctx context.Context, digest []byte, at time.Time) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_tokens SET last_seen_at = $2 WHERE token_sha256 = $1 AND last_seen_at < $2`, digest, at)
	return err
}

// RevokeToken implements auth.Credentials.
func (c *Credentials) RevokeToken(ctx context.Context, digest []byte, at time.Time, reason string) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $2, revoked_reason = $3 WHERE token_sha256 = $1 AND revoked_at IS NULL`,
		digest, at, reason)
	return err
}

// RevokeAccount implements auth.Credentials. Expired tokens are revoked
// too, so the row says why it can never come back, but only the ones that
// still worked are counted.
func (c *Credentials) RevokeAccount(ctx context.Context, account uuid.UUID, at time.Time, reason string) (int64, error) {
	var live int64
	err := c.pool.QueryRow(ctx, `
		WITH killed AS (
			UPDATE auth_tokens SET revoked_at = $2, revoked_reason = $3
			WHERE account_id = $1 AND revoked_at IS NULL
			RETURNING absolute_expires_at, last_seen_at, idle_timeout)
		SELECT count(*) FROM killed
		WHERE (absolute_expires_at IS NULL OR absolute_expires_at > $2)
		  AND (idle_timeout IS NULL OR last_seen_at + idle_timeout > $2)`,
		account, at, reason).Scan(&live)
	return live, err
}

// RevokeOthers implements auth.Credentials.
func (c *Credentials) RevokeOthers(ctx context.Context, account uuid.UUID, keep []byte, at time.Time, reason string) (int64, error) {
	tag, err := c.pool.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $3, revoked_reason = $4
		WHERE account_id = $1 AND token_sha256 <> $2 AND revoked_at IS NULL`,
		account, keep, at, reason)
	return tag.RowsAffected(), err
}

// RevokeSessions implements auth.Credentials.
func (c *Credentials) RevokeSessions(ctx context.Context, account uuid.UUID, at time.Time, reason string) (int64, error) {
	tag, err := c.pool.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $2, revoked_reason = $3
		WHERE account_id = $1 AND kind = 'session' AND revoked_at IS NULL`, account, at, reason)
	return tag.RowsAffected(), err
}

// RevokeAPIKey implements auth.Credentials.
func (c *Credentials) RevokeAPIKey(ctx context.Context, account uuid.UUID, label string, at time.Time, reason string) (bool, error) {
	tag, err := c.pool.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $3, revoked_reason = $4
		WHERE account_id = $1 AND kind = 'api_key' AND label = $2 AND revoked_at IS NULL`,
		account, label, at, reason)
	return tag.RowsAffected() > 0, err
}
