package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// RuleUsernameTaken is the StateError rule of an account creation whose
// login name another account holds. Names are never released, even when the
// account closes: the audit trail names actors by account, and a reused
// login would make old log lines ambiguous to the people reading them.
const RuleUsernameTaken = "username_taken"

// Accounts runs the account commands. Usernames are unique in the whole
// ledger through a reservation stream per name, as personal ID numbers
// are; the home org, a grant's org and a personal account's dossier must
// exist (*ReferenceError). ifMatch and the errors are as for Dossiers.
type Accounts struct {
	Ledger ledger.Ledger
	// Cache, when set, keeps decoded account histories: every API request
	// replays its caller's account, so the cache turns a full read into a
	// read of what was appended since (usually nothing).
	Cache *ledger.HistoryCache
}

// Get replays an account; domain.ErrNotFound when it does not exist.
func (s Accounts) Get(ctx context.Context, id domain.AccountID) (*account.Account, error) {
	return ledger.LoadFolded(ctx, s.Ledger, s.Cache, id.StreamID(), account.Decode, account.Replay)
}

func (s Accounts) run(ctx context.Context, id domain.AccountID, ifMatch uint64, m domain.Meta, decide func(*account.Account) ([]domain.Event, error)) (eventstore.AppendResult, error) {
	return execute(ctx, s.Ledger, s.Cache, id.StreamID(), account.Decode, account.Replay, ifMatch, m, decide)
}

// Create opens an account. As for Dossiers.Create, the username is claimed
// before the account stream is created, so a retry with the same account id
// after a crash continues, and another id gets a *domain.StateError with
// rule RuleUsernameTaken.
func (s Accounts) Create(ctx context.Context, id domain.AccountID, c account.CreateAccount, m domain.Meta) (eventstore.AppendResult, error) {
	events, err := account.Create(id, m, c)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	created := events[0].(account.Created)
	if _, err := requireOrg(ctx, s.Ledger, "home_org", c.HomeOrg, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	if !c.Dossier.IsZero() {
		if _, err := LoadDossier(ctx, s.Ledger, c.Dossier); errors.Is(err, domain.ErrNotFound) {
			return eventstore.AppendResult{}, &ReferenceError{Field: "dossier_id", ID: c.Dossier.String(), Err: domain.ErrNotFound}
		} else if err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	res := Reservations{Ledger: s.Ledger}
	if err := res.Claim(ctx, reservation.UsernameStream(created.Username), id.StreamID(), "account", RuleUsernameTaken, m); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.Ledger.Append(ctx, id.StreamID(), eventstore.NoStream, m, events, nil)
}

// SetPassword records that the holder set a password (account.Account.SetPassword).
func (s Accounts) SetPassword(ctx context.Context, id domain.AccountID, ifMatch uint64, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.SetPassword(m) })
}

// ResetPassword records an administrator's reset (account.Account.ResetPassword).
func (s Accounts) ResetPassword(ctx context.Context, id domain.AccountID, ifMatch uint64, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.ResetPassword(m) })
}

// Grant grants a role over an org that exists and serves on the effective
// date, or over the account's own dossier (account.Account.Grant).
func (s Accounts) Grant(ctx context.Context, id domain.AccountID, ifMatch uint64, g account.NewGrant, m domain.Meta) (eventstore.AppendResult, error) {
	if _, err := requireOrg(ctx, s.Ledger, "org_id", g.Org, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.Grant(m, g) })
}

// ExtendGrant moves a grant's end later (account.Account.ExtendGrant).
func (s Accounts) ExtendGrant(ctx context.Context, id domain.AccountID, ifMatch uint64, grant uuid.UUID, until domain.Date, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.ExtendGrant(m, grant, until) })
}

// RevokeGrant ends a grant (account.Account.RevokeGrant).
func (s Accounts) RevokeGrant(ctx context.Context, id domain.AccountID, ifMatch uint64, grant uuid.UUID, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.RevokeGrant(m, grant, reason) })
}

// Restrict suspends the account (account.Account.Restrict).
func (s Accounts) Restrict(ctx context.Context, id domain.AccountID, ifMatch uint64, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.Restrict(m, reason) })
}

// Reinstate ends a suspension (account.Account.Reinstate).
func (s Accounts) Reinstate(ctx context.Context, id domain.AccountID, ifMatch uint64, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.Reinstate(m, reason) })
}

// Close revokes the account for good (account.Account.Close). Its
// username stays reserved (see RuleUsernameTaken).
func (s Accounts) Close(ctx context.Context, id domain.AccountID, ifMatch uint64, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.Close(m, reason) })
}

// RegisterCertificate records a signing certificate (account.Account.RegisterCertificate).
func (s Accounts) RegisterCertificate(ctx context.Context, id domain.AccountID, ifMatch uint64, pemText string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.RegisterCertificate(m, pemText) })
}

// RevokeCertificate stops a certificate's use (account.Account.RevokeCertificate).
func (s Accounts) RevokeCertificate(ctx context.Context, id domain.AccountID, ifMatch uint64, fingerprint, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) {
		return a.RevokeCertificate(m, fingerprint, reason)
	})
}

// IssueAPIKey records a service account's key id (account.Account.IssueAPIKey).
func (s Accounts) IssueAPIKey(ctx context.Context, id domain.AccountID, ifMatch uint64, keyID string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.IssueAPIKey(m, keyID) })
}

// RevokeAPIKey revokes a key id (account.Account.RevokeAPIKey).
func (s Accounts) RevokeAPIKey(ctx context.Context, id domain.AccountID, ifMatch uint64, keyID, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.RevokeAPIKey(m, keyID, reason) })
}
