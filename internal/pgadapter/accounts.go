package pgadapter

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/projections/accounts"
)

// Accounts is api.AccountLister on the accounts projection.
type Accounts struct {
	pool   *pgxpool.Pool
	caught CaughtUp
}

// NewAccounts returns the list on pool, whose search_path holds the
// projection's views; caught (nil: never wait) tells when it has applied
// the whole log.
func NewAccounts(pool *pgxpool.Pool, caught CaughtUp) *Accounts {
	return &Accounts{pool: pool, caught: caught}
}

// SearchAccounts implements api.AccountLister, once the projection has
// applied what the log holds: an account created, restricted or granted
// by an answered request is listed as it now stands.
func (a *Accounts) SearchAccounts(ctx context.Context, q accounts.Query) (accounts.Page, error) {
	if _, err := waitCaughtUp(ctx, a.caught, accounts.Name); err != nil {
		return accounts.Page{}, err
	}
	page, err := accounts.Search(ctx, a.pool, q)
	if notBuilt(err) {
		return accounts.Page{Items: []accounts.Item{}}, nil
	}
	return page, err
}
