package pgadapter

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// Sync implements api.SyncReader on the syncstatus read model.
type Sync struct{ pool *pgxpool.Pool }

// NewSync returns the reader.
func NewSync(pool *pgxpool.Pool) *Sync { return &Sync{pool: pool} }

// SyncPackages implements api.SyncReader.
func (s *Sync) SyncPackages(ctx context.Context, f syncstatus.Filter) ([]syncstatus.Package, error) {
	return syncstatus.List(ctx, s.pool, f)
}

// SyncPackage implements api.SyncReader.
func (s *Sync) SyncPackage(ctx context.Context, id uuid.UUID, orgs []domain.OrgID, today domain.Date) (syncstatus.Package, error) {
	return syncstatus.Get(ctx, s.pool, id, orgs, today)
}
