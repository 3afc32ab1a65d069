package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/eventstore"
)

// PendingReader is implemented by stores whose ReadAll serves a stable
// prefix that may trail the committed log (eventstore/postgres): Pending
// reports whether events committed after from are not in it yet.
type PendingReader interface {
	Pending(ctx context.Context, from eventstore.Position) (bool, error)
}

// CaughtUp reports whether the live generation of the projection called
// name has applied every event committed to the log before the call and
// has its query indexes: false while it lags (events past its checkpoint, readable or still
// pending behind another transaction), and when it never ran. A reader that misses a row it has reason
// to expect (a client's own write, answered a moment ago) waits for this
// before it answers "not found", instead of trusting a read model that
// may lag.
func (r *Runner) CaughtUp(ctx context.Context, name string) (bool, error) {
	var pos string
	var indexesPending bool
	err := r.pool.QueryRow(ctx, `SELECT position, query_indexes_pending FROM projection_checkpoints WHERE projection = $1 AND live`, name).Scan(&pos, &indexesPending)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("projections: checkpoint of %s: %w", name, err)
	}
	if indexesPending {
		// Caught up on the log, perhaps, but its query indexes are still
		// to be built (createGeneration): not ready for its readers yet.
		return false, nil
	}
	p, err := eventstore.ParsePosition(pos)
	if err != nil {
		return false, fmt.Errorf("projections: checkpoint of %s: %w", name, err)
	}
	// Pending before ReadAll: each runs in its own snapshot, and the
	// stable prefix only grows. Asked the other way round, an event could
	// be behind another transaction for ReadAll and, that transaction
	// having ended in between, below the horizon for Pending: missed by
	// both. This way an event not pending at the first look is in the
	// prefix the second one reads.
	if pr, ok := r.store.(PendingReader); ok {
		pending, err := pr.Pending(ctx, p)
		if err != nil {
			return false, fmt.Errorf("projections: events pending after %s's checkpoint: %w", name, err)
		}
		if pending {
			return false, nil
		}
	}
	next, err := r.store.ReadAll(ctx, p, 1)
	if err != nil {
		return false, fmt.Errorf("projections: reading past %s's checkpoint: %w", name, err)
	}
	if len(next) > 0 {
		return false, nil
	}
	return true, nil
}
