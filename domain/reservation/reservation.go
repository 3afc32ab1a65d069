package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
)

// A reservation stream makes a key unique across the whole ledger, which no
// single aggregate can do: the key's stream is claimed with "no stream" (or
// the exact version of its last release) before the aggregate that owns the
// key is created, so of two racing creations exactly one wins the claim.
// The stream holds only the owning stream id, never the key itself.
//
// Stored names, fields only ever added:
//   - "reservation.claimed.v1": {"holder": "<stream id>"}
//   - "reservation.released.v1": {"holder": "<stream id>"}
const (
	TypeReservationClaimed  = "reservation.claimed.v1"
	TypeReservationReleased = "reservation.released.v1"
)

// ReservationClaimed says the reservation's key now belongs to Holder (a
// stream id such as "dossier-…").
type ReservationClaimed struct {
	Holder string `json:"holder"`
}

// ReservationReleased says Holder gave the key up (a corrected personal ID
// number, or an orphan claim released by an administrator).
type ReservationReleased struct {
	Holder string `json:"holder"`
}

// EventType returns TypeReservationClaimed.
func (ReservationClaimed) EventType() string { return TypeReservationClaimed }

// EventType returns TypeReservationReleased.
func (ReservationReleased) EventType() string { return TypeReservationReleased }

// DecodeReservation is the Decoder of reservation streams.
func DecodeReservation(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case TypeReservationClaimed:
		var e ReservationClaimed
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, domain.Invalid("data", "json", err.Error())
		}
		return e, nil
	case TypeReservationReleased:
		var e ReservationReleased
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, domain.Invalid("data", "json", err.Error())
		}
		return e, nil
	}
	return nil, domain.Invalid("type", "unknown", eventType)
}

// Reservation is the state of one reservation stream.
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
type Reservations struct{ Ledger Ledger }

// Get reads a reservation; a stream never claimed is a free Reservation at
// version 0, not an error.
func (r Reservations) Get(ctx context.Context, stream string) (Reservation, error) {
	h, err := r.Ledger.Load(ctx, stream, DecodeReservation)
	if errors.Is(err, domain.ErrNotFound) {
		return Reservation{Stream: stream}, nil
	}
	if err != nil {
		return Reservation{}, err
	}
	res := Reservation{Stream: stream, Version: h.Version}
	for _, e := range h.Events {
		switch ev := e.Event.(type) {
		case ReservationClaimed:
			res.Holder, res.Since = ev.Holder, e.Meta.RecordedAt
		case ReservationReleased:
			if ev.Holder == res.Holder {
				res.Holder, res.Since = "", time.Time{}
			}
		}
	}
	return res, nil
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
		_, err = r.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), m, []domain.Event{ReservationClaimed{Holder: holder}}, nil)
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
		_, err = r.Ledger.Append(ctx, stream, eventstore.Exactly(cur.Version), m, []domain.Event{ReservationReleased{Holder: holder}}, nil)
		if !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("app: releasing %s: %w: too many concurrent changes", stream, domain.ErrConflict)
}

// PersonalIDDigest is the keyed digest that names a personal ID number's
// reservation stream: HMAC-SHA256 under the deployment's secret, in hex.
//
// Why keyed: a personal ID number is 12 digits, of which three are a
// province code and three more the gender/century digit and the birth year,
// so a plain hash (dossier.PersonalIDDigest) is reversed by trying about a
// million candidates per person. Stream ids are visible to every reader of
// the global log (projections, auditors, backups); without the key the
// digest says nothing. Rotating the key changes every stream name, so it is
// a migration (re-claim every dossier's number under the new key), not a
// setting to change lightly.
func PersonalIDDigest(key []byte, number string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hoso/personal-id/v1:" + number))
	return hex.EncodeToString(mac.Sum(nil))
}

// PersonalIDStream is the reservation stream of a personal ID number.
func PersonalIDStream(key []byte, number string) string {
	return "pid-" + PersonalIDDigest(key, number)
}

// UsernameStream is the reservation stream of a login name. Names are
// ASCII by the account rules and public anyway, so they appear as they are.
func UsernameStream(username string) string { return "username-" + username }
