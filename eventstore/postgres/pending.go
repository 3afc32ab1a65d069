package postgres

import (
	"context"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Pending reports whether events committed after from are not yet in the
// stable prefix that ReadAll serves, because a transaction that began
// before they committed is still running. "ReadAll after from is empty"
// then does not mean "nothing was committed after from": a reader that
// must see a write already answered (projections.Runner.CaughtUp) asks
// both.
func (s *Store) Pending(ctx context.Context, from eventstore.Position) (bool, error) {
	return s.pending(ctx, from)
}
