package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
)

// How a personal-ID reservation and the dossier write that needs it become
// one outcome without a multi-stream transaction (EventStoreDB has none):
//
//   - A write that needs the number (a creation, a correction of the
//     number) records a claim, then appends to the dossier within
//     ClaimDeadline of that claim; after the deadline its context is
//     cancelled, so it can no longer append. A retry that finds its own
//     claim records it again (a fresh claim, a new version), so the
//     deadline always counts from the claim the append relies on.
//   - A claim older than OrphanGrace whose holder does not carry the number
//     (its dossier was never created, or its correction never appended) can
//     therefore never be completed: it is an orphan. The next creation with
//     the number releases it — a reservation.released.v1 event at exactly
//     the version inspected, carrying who (the actor) and why (the reason,
//     ReasonOrphanClaim) — and claims the number itself. A claim re-recorded
//     meanwhile moves the version, so the release fails and is re-decided.
//   - A dossier append that the store refuses outright (eventstore.ErrInvalid)
//     releases its claim at once.
//
// So no orphan blocks a person for longer than OrphanGrace, and never two
// dossiers hold one number, as long as the servers' clocks agree within
// OrphanGrace − ClaimDeadline (four and a half minutes). Orphans left by
// earlier releases are listed and released with `hoso reservations`.
const (
	ClaimDeadline = 30 * time.Second
	OrphanGrace   = 5 * time.Minute
)

// ReasonOrphanClaim is the reason recorded when a creation releases an
// orphan claim on its way.
const ReasonOrphanClaim = "orphan claim: its holder never completed the write that needed it; released by the next creation with this personal ID number"

// PersonalIDTakenError is a creation or correction refused because the
// personal ID number belongs to another dossier. It wraps a
// *domain.StateError with rule RulePersonalIDTaken (domain.ErrConflict).
// Holder and ManagingOrg name the dossier that holds the number and its
// managing org; both are zero while the holder's own write is in flight.
// They are for the caller to show only to whoever may read that org's
// dossiers (the error's text never names them).
type PersonalIDTakenError struct {
	Holder      domain.DossierID
	ManagingOrg domain.OrgID
}

func (e *PersonalIDTakenError) Error() string { return e.state().Error() }

func (e *PersonalIDTakenError) Unwrap() error { return e.state() }

func (e *PersonalIDTakenError) state() *domain.StateError {
	return &domain.StateError{Aggregate: "dossier", Rule: RulePersonalIDTaken, Detail: "another dossier holds this personal ID number"}
}

// claimPersonalID claims stream (the reservation of number) for holder,
// recording the claim again when holder already holds it, and releasing an
// orphan claim on the way (see above). A live holder is a
// *PersonalIDTakenError.
func (s Dossiers) claimPersonalID(ctx context.Context, stream, number, holder string, m domain.Meta) error {
	res := s.reservations()
	for range maxRaceRetries {
		cur, err := res.Get(ctx, stream)
		if err != nil {
			return err
		}
		if cur.Holder != "" && cur.Holder != holder {
			taken, err := s.liveHolder(ctx, cur, m.RecordedAt, OrphanGrace)
			if err != nil || taken != nil {
				return errors.Join(err, asError(taken))
			}
			rm := m
			rm.Reason = ReasonOrphanClaim
			_, err = s.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), rm, []domain.Event{reservation.Released{Holder: cur.Holder}}, nil)
			if err != nil && !errors.Is(err, eventstore.ErrConflict) {
				return err
			}
			continue // re-read: claim the number now free, or see the winner
		}
		_, err = s.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), m, []domain.Event{reservation.Claimed{Holder: holder}}, nil)
		if !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("app: claiming %s: %w: too many concurrent claims", stream, domain.ErrConflict)
}

func asError(e *PersonalIDTakenError) error {
	if e == nil {
		return nil
	}
	return e
}

// liveHolder decides whether the claim cur protects a dossier: it returns
// the *PersonalIDTakenError to answer when it does, and nil when cur is an
// orphan — older than grace at now and its holder does not carry the
// number of cur's stream.
func (s Dossiers) liveHolder(ctx context.Context, cur Reservation, now time.Time, grace time.Duration) (*PersonalIDTakenError, error) {
	holder, _ := domain.ParseDossierID(strings.TrimPrefix(cur.Holder, "dossier-"))
	h, err := s.Ledger.Load(ctx, cur.Holder, dossier.Decode)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		if now.Sub(cur.Since) < grace {
			return &PersonalIDTakenError{}, nil // a creation in flight
		}
		return nil, nil
	case err != nil:
		return nil, err
	}
	d, err := dossier.Replay(h.Events)
	if err != nil {
		return nil, err
	}
	if reservation.PersonalIDStream(s.PersonalIDKey, d.PersonalIDNumber()) == cur.Stream || now.Sub(cur.Since) < grace {
		org, _ := d.ManagingOrg()
		return &PersonalIDTakenError{Holder: holder, ManagingOrg: org}, nil
	}
	return nil, nil
}

// Orphan is a personal-ID reservation whose holder never completed the
// write that needed it (see ListOrphanReservations).
type Orphan struct {
	Stream string // "pid-<HMAC>": the number itself is never stored
	Holder string // the holder's stream ("dossier-…")
	Since  time.Time
}

// ListOrphanReservations scans the log for personal-ID reservations that are
// orphans at now (claims older than grace whose holder does not carry
// their number). It reads the whole log: an administrator's command, not a
// request path.
func (s Dossiers) ListOrphanReservations(ctx context.Context, now time.Time, grace time.Duration) ([]Orphan, error) {
	if len(s.PersonalIDKey) < MinPersonalIDKeyLen {
		return nil, ErrNoPersonalIDKey
	}
	var streams []string
	seen := map[string]bool{}
	var from eventstore.Position
	for {
		evs, err := s.Ledger.Store.ReadAll(ctx, from, 1000)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if ev.Type == reservation.TypeClaimed && strings.HasPrefix(ev.StreamID, "pid-") && !seen[ev.StreamID] {
				seen[ev.StreamID] = true
				streams = append(streams, ev.StreamID)
			}
		}
		if len(evs) < 1000 {
			break
		}
		from = evs[len(evs)-1].Position
	}
	var out []Orphan
	for _, stream := range streams {
		cur, err := s.reservations().Get(ctx, stream)
		if err != nil {
			return nil, err
		}
		if cur.Holder == "" {
			continue
		}
		taken, err := s.liveHolder(ctx, cur, now, grace)
		if err != nil {
			return nil, err
		}
		if taken == nil {
			out = append(out, Orphan{Stream: stream, Holder: cur.Holder, Since: cur.Since})
		}
	}
	return out, nil
}

// ReleaseOrphan releases the orphan reservation stream (as listed by
// ListOrphanReservations) with a recorded reservation.released.v1 event
// whose metadata carries who (m.Actor) and why (m.Reason, required). A
// reservation that is not an orphan at now is refused with a
// *PersonalIDTakenError (or its claim younger than grace); a free one
// writes nothing. It returns whether it released anything.
func (s Dossiers) ReleaseOrphan(ctx context.Context, stream string, grace time.Duration, now time.Time, m domain.Meta) (bool, error) {
	if len(s.PersonalIDKey) < MinPersonalIDKeyLen {
		return false, ErrNoPersonalIDKey
	}
	if !strings.HasPrefix(stream, "pid-") {
		return false, domain.Invalid("stream", "format", "a personal-ID reservation stream, pid-…")
	}
	var v domain.ValidationError
	if m.Reason == "" {
		v.Add("meta/reason", "required", "say why the reservation is released")
	} else {
		domain.CheckText(&v, "meta/reason", m.Reason, domain.MaxReason, true)
	}
	if err := v.Err(); err != nil {
		return false, err
	}
	cur, err := s.reservations().Get(ctx, stream)
	if err != nil || cur.Holder == "" {
		return false, err
	}
	taken, err := s.liveHolder(ctx, cur, now, grace)
	if err != nil {
		return false, err
	}
	if taken != nil {
		return false, taken
	}
	// At exactly the version inspected: a claim recorded meanwhile wins.
	if _, err := s.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), m, []domain.Event{reservation.Released{Holder: cur.Holder}}, nil); err != nil {
		return false, err
	}
	return true, nil
}
