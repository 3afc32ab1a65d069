package account

import (
	"fmt"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// OIDCLink is a provider's subject (issuer and "sub") through which the
// holder may log in by single sign-on (HU 16.4), as an administrator
// linked it.
type OIDCLink struct {
	ID         uuid.UUID
	Issuer     string
	Subject    string
	LinkedAt   time.Time
	By         domain.AccountID
	UnlinkedAt time.Time // zero: in force
}

// Active reports whether the link has not been revoked.
func (l OIDCLink) Active() bool { return l.UnlinkedAt.IsZero() }

// The bounds of a provider subject. OpenID Connect Core 1.0 §2 caps "sub"
// at 255 ASCII characters; an issuer is an https (or, for a provider on
// the same machine, http) URL without query or fragment.
const (
	MaxOIDCSubject = 255
	MaxOIDCIssuer  = 512
)

// OIDCLinks is every link ever made, in order, revoked ones included.
func (a *Account) OIDCLinks() []OIDCLink { return slices.Clone(a.links) }

// OIDCLinked reports whether the subject of the issuer is linked to the
// account now (and not revoked). The comparison is exact: OpenID Connect
// compares issuer and subject as strings, case-sensitively.
func (a *Account) OIDCLinked(issuer, subject string) bool {
	for _, l := range a.links {
		if l.Issuer == issuer && l.Subject == subject && l.Active() {
			return true
		}
	}
	return false
}

func (a *Account) link(id uuid.UUID) *OIDCLink {
	for i := range a.links {
		if a.links[i].ID == id {
			return &a.links[i]
		}
	}
	return nil
}

// CheckOIDCSubject validates an issuer and subject as LinkOIDC does, so a
// caller can refuse bad input before claiming the subject's reservation.
func CheckOIDCSubject(v *domain.ValidationError, issuer, subject string) {
	switch u, err := url.Parse(issuer); {
	case issuer == "":
		v.Add("issuer", "required", "")
	case len(issuer) > MaxOIDCIssuer || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		v.Add("issuer", "format", "the provider's issuer URL (https://…, no query or fragment)")
	}
	switch {
	case subject == "":
		v.Add("subject", "required", "")
	case len(subject) > MaxOIDCSubject || !utf8.ValidString(subject) || !printableASCII(subject):
		v.Add("subject", "format", fmt.Sprintf("the provider's \"sub\": 1–%d printable ASCII characters", MaxOIDCSubject))
	}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// LinkOIDC records that the provider's subject belongs to the holder, who
// may from now on log in through the provider. An administrator links it
// after checking that the provider's account is the person's, as for a
// signing certificate. That a subject belongs to at most one account is the
// caller's check (a reservation stream; the domain sees one account).
// Re-sending the same link (same id, issuer and subject) returns no events.
// Errors: domain.ErrInvalid for a missing id or a malformed issuer or
// subject; domain.ErrForbidden when the actor links their own account (a
// new way in is a privilege); domain.ErrConflict when the account is
// closed, is a service account (API keys only), already has the subject
// linked, or the id names another link.
func (a *Account) LinkOIDC(m domain.Meta, id uuid.UUID, issuer, subject string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	if id == uuid.Nil {
		v.Add("link_id", "required", "")
	}
	CheckOIDCSubject(&v, issuer, subject)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "link a way to log in to their own account"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if a.kind == KindService {
		return nil, a.stateErr("no_login", "a service account authenticates with API keys")
	}
	if old := a.link(id); old != nil {
		if old.Issuer == issuer && old.Subject == subject && old.Active() {
			return nil, nil
		}
		return nil, a.stateErr("link_id_taken", "link "+id.String()+" already names another link")
	}
	if a.OIDCLinked(issuer, subject) {
		return nil, a.stateErr("duplicate", "the subject is already linked to this account")
	}
	return []domain.Event{OIDCLinked{Link: id, Issuer: issuer, Subject: subject, By: m.Actor.Account}}, nil
}

// UnlinkOIDC revokes a link: the subject no longer logs in to the account
// (sessions it started are the caller's to end). Revoking a revoked link
// returns no events. Unlike the other changes of a closed account, a
// closed account's link may still be revoked, so that the subject's
// reservation can be given up for the person's next account. Errors:
// domain.ErrInvalid for a bad reason; domain.ErrNotFound for an unknown
// link.
func (a *Account) UnlinkOIDC(m domain.Meta, id uuid.UUID, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	l := a.link(id)
	if l == nil {
		return nil, fmt.Errorf("%w: account %s: OIDC link %s", domain.ErrNotFound, a.id, id)
	}
	if !l.Active() {
		return nil, nil
	}
	return []domain.Event{OIDCUnlinked{Link: id, Reason: reason}}, nil
}
