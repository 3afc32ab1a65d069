package pgadapter

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/projections/transfers"
)

// Transfers is api.TransferIndex on the transfers projection.
type Transfers struct {
	pool   *pgxpool.Pool
	caught CaughtUp
}

// NewTransfers returns the index read from pool, whose search_path holds
// the projection's view. caught (nil: never wait) tells when the
// projection has applied the whole log.
func NewTransfers(pool *pgxpool.Pool, caught CaughtUp) *Transfers {
	return &Transfers{pool: pool, caught: caught}
}

// TransferDossier implements api.TransferIndex: on a miss it waits for the
// projection to apply what the log holds, then asks once more, so that a
// transfer initiated by an answered request is found even while the
// projection lags.
func (t *Transfers) TransferDossier(ctx context.Context, tid uuid.UUID) (domain.DossierID, error) {
	return findAfterCatchUp(ctx, t.caught, transfers.Name, func(ctx context.Context) (domain.DossierID, error) {
		return t.lookup(ctx, tid)
	})
}

func (t *Transfers) lookup(ctx context.Context, tid uuid.UUID) (domain.DossierID, error) {
	id, err := transfers.DossierOf(ctx, t.pool, tid)
	if notBuilt(err) {
		return id, fmt.Errorf("pgadapter: transfer %s (index not built yet): %w", tid, domain.ErrNotFound)
	}
	return id, err
}

// ListTransfers implements api.TransferIndex. It first waits (bounded,
// as a lookup that missed does) for the projection to apply what the log
// holds, so that a transfer sent by an answered request is in the sender's
// list and the receiver's inbox at once. Before the index is built it is
// an empty page, as for a fresh ledger.
func (t *Transfers) ListTransfers(ctx context.Context, q transfers.Query) (transfers.Page, error) {
	if _, err := waitCaughtUp(ctx, t.caught, transfers.Name); err != nil {
		return transfers.Page{}, err
	}
	page, err := transfers.List(ctx, t.pool, q)
	if notBuilt(err) {
		return transfers.Page{}, nil
	}
	return page, err
}
