package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// execute is HistoryCache.Execute (cache may be nil) for one aggregate
// type: it replays the loaded history into the aggregate and lets decide
// run the command on it.
func execute[A any](ctx context.Context, l ledger.Ledger, cache *ledger.HistoryCache, stream string, decode ledger.Decoder, replay func([]domain.Recorded) (A, error),
	ifMatch uint64, m domain.Meta, decide func(A) ([]domain.Event, error)) (eventstore.AppendResult, error) {
	return cache.Execute(ctx, l, stream, decode, ifMatch, m, func(h ledger.History) ([]domain.Event, error) {
		a, err := replay(h.Events)
		if err != nil {
			return nil, fmt.Errorf("app: replaying %s: %w", stream, err)
		}
		return decide(a)
	})
}

// LoadDossier replays a dossier's whole stream. A dossier that does not
// exist is an error wrapping domain.ErrNotFound.
func LoadDossier(ctx context.Context, l ledger.Ledger, id domain.DossierID) (*dossier.Dossier, error) {
	h, err := l.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		return nil, err
	}
	return dossier.Replay(h.Events)
}

// LoadOrg replays an org's whole stream; domain.ErrNotFound when absent.
func LoadOrg(ctx context.Context, l ledger.Ledger, id domain.OrgID) (*org.Org, error) {
	h, err := l.Load(ctx, id.StreamID(), org.Decode)
	if err != nil {
		return nil, err
	}
	return org.Replay(h.Events)
}

// LoadAccount replays an account's whole stream; domain.ErrNotFound when absent.
func LoadAccount(ctx context.Context, l ledger.Ledger, id domain.AccountID) (*account.Account, error) {
	h, err := l.Load(ctx, id.StreamID(), account.Decode)
	if err != nil {
		return nil, err
	}
	return account.Replay(h.Events)
}

// ReferenceError is a command naming another aggregate that does not exist,
// or no longer serves, on the command's effective date: an unknown managing
// org, a successor that merged away. Field is the payload field that named
// it. It wraps domain.ErrInvalid (the request is wrong, not the target's
// state), and Err says why.
type ReferenceError struct {
	Field string
	ID    string
	Err   error
}

func (e *ReferenceError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Field, e.ID, e.Err)
}

// Unwrap reaches domain.ErrInvalid and the cause.
func (e *ReferenceError) Unwrap() []error { return []error{domain.ErrInvalid, e.Err} }

// errNotActive is the cause of a ReferenceError for an org that has ended
// or not yet begun on the date.
var errNotActive = errors.New("the org is not active on the effective date")

// requireOrg loads org id and checks it serves on date; field names the
// payload field for the error. It returns the org for callers that need more.
func requireOrg(ctx context.Context, l ledger.Ledger, field string, id domain.OrgID, on domain.Date) (*org.Org, error) {
	if id.IsZero() {
		return nil, nil // the domain reports the missing field with its other problems
	}
	o, err := LoadOrg(ctx, l, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, &ReferenceError{Field: field, ID: id.String(), Err: domain.ErrNotFound}
	}
	if err != nil {
		return nil, err
	}
	if !on.IsZero() && !o.ActiveOn(on) {
		return nil, &ReferenceError{Field: field, ID: id.String(), Err: errNotActive}
	}
	return o, nil
}
