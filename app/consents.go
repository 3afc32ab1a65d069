package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/consent"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Consents records and reads the consents to reads of a dossier
// (domain/consent), in the dossier's consent stream. Who may record them
// (the managing org's HR, the person) is the caller's decision.
//
// ifMatch is the version of the consent stream the caller last saw (0: not
// checked); a stale one is a *ledger.VersionMismatchError, losing a race a
// *ledger.ConcurrencyError, both wrapping domain.ErrConflict.
type Consents struct {
	Ledger ledger.Ledger
}

// Get folds the consents of dossier id; a dossier without any has the zero
// Consents (version 0).
func (s Consents) Get(ctx context.Context, id domain.DossierID) (*consent.Consents, error) {
	cs, _, err := s.load(ctx, id)
	return cs, err
}

// GetMany folds the consents of several dossiers in one read of their
// streams (ledger.LoadMany); a dossier without any has the zero Consents.
// Every id is in the map.
func (s Consents) GetMany(ctx context.Context, ids []domain.DossierID) (map[domain.DossierID]*consent.Consents, error) {
	streams := make([]string, len(ids))
	for i, id := range ids {
		streams[i] = consent.Stream(id)
	}
	hs, err := s.Ledger.LoadMany(ctx, streams, consent.Decode)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.DossierID]*consent.Consents, len(ids))
	for _, id := range ids {
		out[id] = consent.Replay(hs[consent.Stream(id)].Events)
	}
	return out, nil
}

func (s Consents) load(ctx context.Context, id domain.DossierID) (*consent.Consents, ledger.History, error) {
	h, err := s.Ledger.Load(ctx, consent.Stream(id), consent.Decode)
	if errors.Is(err, domain.ErrNotFound) {
		return consent.Replay(nil), h, nil
	}
	if err != nil {
		return nil, h, err
	}
	return consent.Replay(h.Events), h, nil
}

// Record decides and appends consent r (today is the server's date).
func (s Consents) Record(ctx context.Context, r consent.Recorded, ifMatch uint64, today domain.Date, m domain.Meta) (consent.Recorded, eventstore.AppendResult, error) {
	ev, err := consent.Record(r, today)
	if err != nil {
		return ev, eventstore.AppendResult{}, err
	}
	res, err := s.append(ctx, r.DossierID, ifMatch, m, func(*consent.Consents) (domain.Event, error) { return ev, nil })
	return ev, res, err
}

// Withdraw ends consent id of dossier for the reads that follow.
// domain.ErrNotFound: no such consent; domain.ErrConflict: already withdrawn.
func (s Consents) Withdraw(ctx context.Context, dossier domain.DossierID, id uuid.UUID, bySubject bool, ifMatch uint64, m domain.Meta) (eventstore.AppendResult, error) {
	return s.append(ctx, dossier, ifMatch, m, func(cs *consent.Consents) (domain.Event, error) {
		return cs.Withdraw(id, dossier, bySubject)
	})
}

func (s Consents) append(ctx context.Context, id domain.DossierID, ifMatch uint64, m domain.Meta, decide func(*consent.Consents) (domain.Event, error)) (eventstore.AppendResult, error) {
	cs, h, err := s.load(ctx, id)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if ifMatch != 0 && ifMatch != cs.Version() {
		return eventstore.AppendResult{}, &ledger.VersionMismatchError{Stream: h.Stream, Seen: ifMatch, Current: cs.Version()}
	}
	ev, err := decide(cs)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.Ledger.Append(ctx, consent.Stream(id), eventstore.Exactly(cs.Version()), m, []domain.Event{ev}, nil)
}
