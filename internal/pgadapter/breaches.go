package pgadapter

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/projections/breaches"
)

// Breaches is api.BreachReader on the breaches projection.
type Breaches struct {
	pool   *pgxpool.Pool
	caught CaughtUp
}

// NewBreaches returns the reader on pool, whose search_path holds the
// projection's view; caught (nil: never wait) tells when it has applied
// the whole log.
func NewBreaches(pool *pgxpool.Pool, caught CaughtUp) *Breaches {
	return &Breaches{pool: pool, caught: caught}
}

// Breaches implements api.BreachReader: the breaches concerning one of
// orgs, once the projection has applied what the log holds (a breach
// recorded by an answered request is listed).
func (b *Breaches) Breaches(ctx context.Context, orgs []domain.OrgID) ([]breaches.Breach, error) {
	if _, err := waitCaughtUp(ctx, b.caught, breaches.Name); err != nil {
		return nil, err
	}
	out, err := breaches.List(ctx, b.pool, orgs)
	if notBuilt(err) {
		return nil, nil
	}
	return out, err
}

// Breach implements api.BreachReader; on a miss it waits for the
// projection to catch up and asks once more.
func (b *Breaches) Breach(ctx context.Context, id uuid.UUID) (breaches.Breach, error) {
	return findAfterCatchUp(ctx, b.caught, breaches.Name, func(ctx context.Context) (breaches.Breach, error) {
		return b.lookup(ctx, id)
	})
}

func (b *Breaches) lookup(ctx context.Context, id uuid.UUID) (breaches.Breach, error) {
	got, err := breaches.Get(ctx, b.pool, id)
	if notBuilt(err) {
		return got, fmt.Errorf("pgadapter: breach %s (read model not built yet): %w", id, domain.ErrNotFound)
	}
	return got, err
}
