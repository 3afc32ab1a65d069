package pgadapter

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api"
)

// IDTokens is api.IDTokens on the oidc_id_tokens_used table.
type IDTokens struct {
	pool *pgxpool.Pool
}

// NewIDTokens returns the spent single sign-on ID tokens on pool.
func NewIDTokens(pool *pgxpool.Pool) *IDTokens { return &IDTokens{pool: pool} }

var _ api.IDTokens = (*IDTokens)(nil)

// Spend implements api.IDTokens. The insert decides, so two requests
// racing with one token cannot both win. Expired rows go on the way, a
// bounded batch each time: logins are few, and an expired token is refused
// by its verification before it gets here.
func (t *IDTokens) Spend(ctx context.Context, sha256 [32]byte, expires, now time.Time) (bool, error) {
	if _, err := t.pool.Exec(ctx, `DELETE FROM oidc_id_tokens_used WHERE token_sha256 IN
		(SELECT token_sha256 FROM oidc_id_tokens_used WHERE expires_at < $1 LIMIT 100)`, now); err != nil {
		return false, fmt.Errorf("pgadapter: forgetting expired ID tokens: %w", err)
	}
	tag, err := t.pool.Exec(ctx, `INSERT INTO oidc_id_tokens_used (token_sha256, expires_at) VALUES ($1, $2)
		ON CONFLICT (token_sha256) DO NOTHING`, sha256[:], expires)
	if err != nil {
		return false, fmt.Errorf("pgadapter: spending an ID token: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
