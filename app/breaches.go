package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/breach"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Breaches records suspected personal-data breaches (domain/breach).
type Breaches struct {
	Ledger ledger.Ledger
}

// Record decides r and appends it as the first event of the breach's own
// stream; an id already used is a *ledger.ConcurrencyError. The orgs in r
// are those the caller names plus the managing orgs of the dossiers
// named (the caller resolves them: the orgs to be notified).
func (s Breaches) Record(ctx context.Context, id uuid.UUID, r breach.Record, m domain.Meta, now time.Time) (breach.Suspected, eventstore.AppendResult, error) {
	ev, err := breach.Decide(id, r, now)
	if err != nil {
		return ev, eventstore.AppendResult{}, err
	}
	res, err := s.Ledger.Append(ctx, breach.Stream(id), eventstore.NoStream, m, []domain.Event{ev}, nil)
	return ev, res, err
}
