package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Reservation is the state of one reservation stream (see package
// domain/reservation for what they are for).
type Reservation struct {
	Stream string
	// Holder is the stream that holds the key; "" when free.
	Holder string
	// Version is the reservation stream's version (0: never claimed).
	Version uint64
	// Since is when the current holder's claim was recorded.
	Since time.Time
}

// Reservations reads and writes reservation streams.
type Reservations struct{ Ledger ledger.Ledger }

// Get reads a reservation; a stream never claimed is a free Reservation at
// version 0, not an error.
func (r Reservations) Get(ctx context.Context, stream string) (Reservation, error) {
	h, err := r.Ledger.Load(ctx, stream, reservation.Decode)
	if errors.Is(err, domain.ErrNotFound) {
		return Reservation{Stream: stream}, nil
	}
	if err != nil {
		return Reservation{}, err
	}
	st := reservation.Replay(h.Events)
	return Reservation{Stream: stream, Holder: st.Holder, Version: h.Version, Since: st.Since}, nil
}

// maxRaceRetries bounds how often a claim or release is re-decided after
// losing a race for the reservation stream; each retry sees the winner.
const maxRaceRetries = 5

// Claim makes holder the holder of the key behind stream. Claiming a key
// holder already holds succeeds without writing, so a creation that crashed
// after its claim can simply be retried. A key held by another stream is a
// *domain.StateError (domain.ErrConflict) with rule takenRule, whether or
// not the holder's own stream was ever written (see ReleaseOrphan).
func (r Reservations) Claim(ctx context.Context, stream, holder, aggregate, takenRule string, m domain.Meta) error {
	for range maxRaceRetries {
		cur, err := r.Get(ctx, stream)
		if err != nil {
			return err
		}
		switch cur.Holder {
		case holder:
			return nil
		case "":
		default:
			return &domain.StateError{Aggregate: aggregate, ID: holder, Rule: takenRule, Detail: "the key is held by another " + aggregate}
		}
		_, err = r.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), m, []domain.Event{reservation.Claimed{Holder: holder}}, nil)
		if !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("app: claiming %s: %w: too many concurrent claims", stream, domain.ErrConflict)
}

// Release gives the key up if holder holds it; otherwise it writes nothing.
func (r Reservations) Release(ctx context.Context, stream, holder string, m domain.Meta) error {
	for range maxRaceRetries {
		cur, err := r.Get(ctx, stream)
		if err != nil {
			return err
		}
		if cur.Holder != holder {
			return nil
		}
		_, err = r.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), m, []domain.Event{reservation.Released{Holder: holder}}, nil)
		if !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("app: releasing %s: %w: too many concurrent changes", stream, domain.ErrConflict)
}
