package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Ledger runs commands against one event store.
type Ledger struct {
	Store eventstore.Store
}

// History is an aggregate's stored events, decoded, and the stream version
// they end at (the expected version for the next append).
type History struct {
	Stream  string
	Events  []domain.Recorded
	Version uint64
}

// Load reads and decodes a whole stream. It returns an error wrapping
// domain.ErrNotFound when the stream has no events.
func (l Ledger) Load(ctx context.Context, stream string, decode Decoder) (History, error) {
	evs, err := l.Store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrNotFound) {
		return History{Stream: stream}, fmt.Errorf("%w: %s", domain.ErrNotFound, stream)
	}
	if err != nil {
		return History{}, err
	}
	h := History{Stream: stream, Events: make([]domain.Recorded, len(evs))}
	for i, ev := range evs {
		if h.Events[i], err = Recorded(ev, decode); err != nil {
			return History{}, err
		}
		h.Version = ev.Version
	}
	return h, nil
}

// LoadMany reads and decodes several whole streams at once
// (eventstore.Store.ReadStreams: one query per few thousand streams on
// PostgreSQL, instead of one round trip each), decoding on every core. A
// stream with no events is absent from the map.
func (l Ledger) LoadMany(ctx context.Context, streams []string, decode Decoder) (map[string]History, error) {
	read, err := l.Store.ReadStreams(ctx, streams)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(read))
	for stream := range read {
		names = append(names, stream)
	}
	hs := make([]History, len(names))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(names)/256))
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			for i := w; i < len(names); i += workers {
				evs := read[names[i]]
				h := History{Stream: names[i], Events: make([]domain.Recorded, len(evs))}
				for k, ev := range evs {
					var err error
					if h.Events[k], err = Recorded(ev, decode); err != nil {
						return err
					}
					h.Version = ev.Version
				}
				hs[i] = h
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]History, len(hs))
	for _, h := range hs {
		out[h.Stream] = h
	}
	return out, nil
}

// Append writes what a command raised. expected is the version the decision
// was made on (eventstore.NoStream for a creation); a concurrent change makes
// it fail with an error wrapping both eventstore.ErrConflict and
// domain.ErrConflict, and nothing is written.
func (l Ledger) Append(ctx context.Context, stream string, expected eventstore.Expected, m domain.Meta, events []domain.Event, ids []uuid.UUID) (eventstore.AppendResult, error) {
	if len(events) == 0 {
		return eventstore.AppendResult{}, nil
	}
	data, err := EventData(events, m, ids)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := l.Store.Append(ctx, stream, expected, data...)
	if errors.Is(err, eventstore.ErrConflict) {
		return res, &ConcurrencyError{Err: err}
	}
	return res, err
}

// ConcurrencyError is a lost race: the aggregate changed after it was loaded.
// It wraps both the store's ErrConflict (with the versions) and
// domain.ErrConflict, so callers that only know the domain kinds still map it.
type ConcurrencyError struct{ Err error }

func (e *ConcurrencyError) Error() string { return e.Err.Error() }

// Is matches domain.ErrConflict; Unwrap reaches the store's error.
func (e *ConcurrencyError) Is(target error) bool { return target == domain.ErrConflict }
func (e *ConcurrencyError) Unwrap() error        { return e.Err }

// VersionMismatchError is an If-Match that no longer holds: the caller saw
// version Seen, the aggregate is at Current. It wraps domain.ErrConflict.
type VersionMismatchError struct {
	Stream        string
	Seen, Current uint64
}

func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("%s is at version %d, not %d: reload and retry", e.Stream, e.Current, e.Seen)
}

func (e *VersionMismatchError) Unwrap() error { return domain.ErrConflict }

// Execute loads stream, lets decide turn its history into new events, and
// appends them expecting the loaded version. ifMatch, when non-zero, is the
// version the caller last saw (HTTP If-Match): if the stream moved since, the
// command is refused with a *VersionMismatchError before deciding. decide
// returning no events appends nothing.
func (l Ledger) Execute(ctx context.Context, stream string, decode Decoder, ifMatch uint64, m domain.Meta, decide func(History) ([]domain.Event, error)) (eventstore.AppendResult, error) {
	h, err := l.Load(ctx, stream, decode)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if ifMatch != 0 && ifMatch != h.Version {
		return eventstore.AppendResult{}, &VersionMismatchError{Stream: stream, Seen: ifMatch, Current: h.Version}
	}
	events, err := decide(h)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return l.Append(ctx, stream, eventstore.Exactly(h.Version), m, events, nil)
}
