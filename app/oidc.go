package app

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
)

// RuleOIDCSubjectTaken is the StateError rule of a link whose provider
// subject another account holds (HU 16.4: one subject, one account).
const RuleOIDCSubjectTaken = "oidc_subject_taken"

// LinkOIDC links a provider's subject to the account
// (account.Account.LinkOIDC). Once the account has accepted the link, the
// subject's reservation stream is claimed for it, as a username is, so of
// two accounts racing for one subject exactly one wins; the other gets a
// *domain.StateError with rule RuleOIDCSubjectTaken. A request the account
// refuses (a stale version, a service account…) claims nothing. When the
// link is then not recorded (the account changed meanwhile), the claim is
// given up again unless the account holds the subject anyway.
func (s Accounts) LinkOIDC(ctx context.Context, id domain.AccountID, ifMatch uint64, link uuid.UUID, issuer, subject string, m domain.Meta) (eventstore.AppendResult, error) {
	stream := reservation.OIDCSubjectStream(issuer, subject)
	res := Reservations{Ledger: s.Ledger}
	claimed := false
	out, err := s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) {
		events, err := a.LinkOIDC(m, link, issuer, subject)
		if err != nil || len(events) == 0 {
			return events, err
		}
		if err := res.Claim(ctx, stream, id.StreamID(), "account", RuleOIDCSubjectTaken, m); err != nil {
			return nil, err
		}
		claimed = true
		return events, nil
	})
	if err != nil && claimed {
		// A concurrent identical link may have won meanwhile: the account
		// then holds the subject, and the claim stays.
		if a, gerr := s.Get(ctx, id); gerr == nil && !a.OIDCLinked(issuer, subject) {
			err = errors.Join(err, res.Release(ctx, stream, id.StreamID(), m))
		}
	}
	return out, err
}

// UnlinkOIDC revokes a link (account.Account.UnlinkOIDC) and gives the
// subject's reservation up, so it may be linked to another account. A
// revocation that stopped between the two is finished by sending it again.
func (s Accounts) UnlinkOIDC(ctx context.Context, id domain.AccountID, ifMatch uint64, link uuid.UUID, reason string, m domain.Meta) (eventstore.AppendResult, error) {
	out, err := s.run(ctx, id, ifMatch, m, func(a *account.Account) ([]domain.Event, error) { return a.UnlinkOIDC(m, link, reason) })
	if err != nil {
		return out, err
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		return out, err
	}
	for _, l := range a.OIDCLinks() {
		if l.ID == link && !a.OIDCLinked(l.Issuer, l.Subject) {
			res := Reservations{Ledger: s.Ledger}
			if err := res.Release(ctx, reservation.OIDCSubjectStream(l.Issuer, l.Subject), id.StreamID(), m); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// ByOIDCSubject finds the account a provider's subject is linked to:
// the holder of the subject's reservation, provided that account's own
// stream has the link in force (a claim whose link was never recorded,
// after a crash between the two, links nothing). domain.ErrNotFound when
// the subject is linked to no account.
func (s Accounts) ByOIDCSubject(ctx context.Context, issuer, subject string) (*account.Account, error) {
	r, err := Reservations{Ledger: s.Ledger}.Get(ctx, reservation.OIDCSubjectStream(issuer, subject))
	if err != nil {
		return nil, err
	}
	raw, ok := strings.CutPrefix(r.Holder, "account-")
	if !ok {
		return nil, domain.ErrNotFound
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, domain.ErrNotFound
	}
	a, err := s.Get(ctx, domain.AccountID(id))
	if err != nil {
		return nil, err
	}
	if !a.OIDCLinked(issuer, subject) {
		return nil, domain.ErrNotFound
	}
	return a, nil
}
