package projections

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// HeadReader is implemented by stores that can tell the position of the last
// event of their log's stable prefix cheaply. Status reports the head when
// the store implements it; without it, Status still knows whether a
// projection is caught up (by reading one event past its checkpoint).
type HeadReader interface {
	Head(ctx context.Context) (eventstore.Position, error)
}

// Status describes one generation of a projection.
type Status struct {
	Projection string
	Generation int // 0 for a registered projection that never ran
	Version    int
	Live       bool // the views point at this generation
	State      State
	Position   eventstore.Position // checkpoint: the last applied event
	// Head is the log's last position when the store is a HeadReader
	// (HeadKnown); otherwise zero.
	Head      eventstore.Position
	HeadKnown bool
	// CaughtUp: no event of the log follows Position (as of the call).
	CaughtUp bool
	// Lag is zero when caught up; otherwise now minus the recorded_at of the
	// last applied event (of the first pending event when none was applied):
	// how stale the model's newest fact is.
	Lag time.Duration
	// PendingSince is the recorded_at of the first event not yet applied
	// (zero when caught up): now − PendingSince is how long the oldest
	// unapplied fact has waited, which, unlike Lag, does not jump after a quiet
	// period.
	PendingSince   time.Time
	EventsApplied  int64
	LastEventID    uuid.UUID
	LastEventType  string
	LastRecordedAt time.Time
	// Error, FailedEventID, FailedPosition, FailedEventType and FailedAt name
	// the poison event while State is failed.
	Error           string
	FailedEventID   uuid.UUID
	FailedPosition  string
	FailedEventType string
	FailedAt        time.Time
	UpdatedAt       time.Time
}

// Status reports every generation recorded in projection_checkpoints, plus a
// zero-generation entry for each of known that has never run, sorted by
// projection and generation.
func (r *Runner) Status(ctx context.Context, known ...Projection) ([]Status, error) {
	rows, err := r.pool.Query(ctx, `
SELECT projection, generation, version, live, state, position, events_applied,
       last_event_id, coalesce(last_event_type, ''), last_recorded_at,
       coalesce(error, ''), failed_event_id, coalesce(failed_position, ''), coalesce(failed_event_type, ''), failed_at,
       updated_at
  FROM projection_checkpoints ORDER BY projection, generation`)
	if err != nil {
		return nil, fmt.Errorf("projections: status: %w", err)
	}
	var out []Status
	for rows.Next() {
		var s Status
		var pos string
		var lastID, failedID *uuid.UUID
		var lastAt, failedAt *time.Time
		if err := rows.Scan(&s.Projection, &s.Generation, &s.Version, &s.Live, &s.State, &pos, &s.EventsApplied,
			&lastID, &s.LastEventType, &lastAt, &s.Error, &failedID, &s.FailedPosition, &s.FailedEventType, &failedAt,
			&s.UpdatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("projections: status: %w", err)
		}
		if s.Position, err = eventstore.ParsePosition(pos); err != nil {
			rows.Close()
			return nil, fmt.Errorf("projections: status of %s: %w", s.Projection, err)
		}
		if lastID != nil {
			s.LastEventID = *lastID
		}
		if failedID != nil {
			s.FailedEventID = *failedID
		}
		if lastAt != nil {
			s.LastRecordedAt = *lastAt
		}
		if failedAt != nil {
			s.FailedAt = *failedAt
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("projections: status: %w", err)
	}

	var head eventstore.Position
	headKnown := false
	if h, ok := r.store.(HeadReader); ok {
		if head, err = h.Head(ctx); err != nil {
			return nil, fmt.Errorf("projections: reading the head: %w", err)
		}
		headKnown = true
	}
	now := r.cfg.Now()
	for i := range out {
		s := &out[i]
		s.Head, s.HeadKnown = head, headKnown
		next, err := r.store.ReadAll(ctx, s.Position, 1)
		if err != nil {
			return nil, fmt.Errorf("projections: reading past %s's checkpoint: %w", s.Projection, err)
		}
		s.CaughtUp = len(next) == 0
		if !s.CaughtUp {
			s.PendingSince = next[0].Meta.RecordedAt
			from := s.LastRecordedAt
			if from.IsZero() {
				from = s.PendingSince
			}
			s.Lag = max(now.Sub(from), 0)
		}
	}

	seen := map[string]bool{}
	for _, s := range out {
		seen[s.Projection] = true
	}
	var missing []Status
	for _, p := range known {
		if !seen[p.Name()] {
			missing = append(missing, Status{Projection: p.Name(), Version: p.Version()})
		}
	}
	if len(missing) > 0 {
		out = append(out, missing...)
		sortStatus(out)
	}
	return out, nil
}

func sortStatus(s []Status) {
	slices.SortStableFunc(s, func(a, b Status) int {
		return cmp.Or(cmp.Compare(a.Projection, b.Projection), cmp.Compare(a.Generation, b.Generation))
	})
}
