package pgadapter

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoso-ledger/hoso/domain"
)

// CaughtUp reports whether the projection called name has applied every
// event of the log (projections.Runner.CaughtUp).
type CaughtUp func(ctx context.Context, name string) (bool, error)

// maxCatchUp bounds how long a lookup that missed waits for its
// projection: a projection that is stopped, failed or rebuilding must not
// hold requests until their timeout (30 s). Past it, the miss is the
// answer. It is generous because a loaded machine delays even the smallest
// projection by seconds, and a 404 for a transfer the client has just
// created is wrong, where a slow answer is only slow.
const maxCatchUp = 20 * time.Second

// findAfterCatchUp runs find; when it finds nothing (domain.ErrNotFound)
// it waits for projection name to apply what the log holds and runs it
// once more, so that what an answered request wrote is found even while
// the projection lags.
func findAfterCatchUp[T any](ctx context.Context, caught CaughtUp, name string, find func(context.Context) (T, error)) (T, error) {
	got, err := find(ctx)
	if !errors.Is(err, domain.ErrNotFound) {
		return got, err
	}
	ok, werr := waitCaughtUp(ctx, caught, name)
	if werr != nil {
		return got, werr
	}
	if !ok {
		return got, err
	}
	return find(ctx)
}

// waitCaughtUp waits until projection name has applied every event that
// the log held when it was called, or maxCatchUp passes, or ctx ends. It
// reports whether the projection caught up: a lookup that missed then
// asks again, and its answer holds every write answered before the call.
// A nil caught never waits (no projection runs in this process's view).
func waitCaughtUp(ctx context.Context, caught CaughtUp, name string) (bool, error) {
	if caught == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, maxCatchUp)
	defer cancel()
	pause := 5 * time.Millisecond
	for {
		ok, err := caught(ctx, name)
		if err != nil || ok {
			if ctx.Err() != nil {
				return false, nil // gave up waiting; the miss stands
			}
			return ok, err
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// notBuilt reports whether err says a projection's view does not exist
// yet: the projection has never run on this database (a fresh one, or the
// first moments after the upgrade that made the index a projection). The
// lookup then misses, and waits like any other miss.
func notBuilt(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UndefinedTable
}
