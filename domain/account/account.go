package account

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// Account is the aggregate's state, rebuilt by Replay. Its fields are
// unexported so that the only way to change an account is an event in its
// stream; the zero Account is not a valid account.
type Account struct {
	id          domain.AccountID
	version     uint64
	kind        Kind
	username    string
	displayName string
	homeOrg     domain.OrgID
	dossier     domain.DossierID
	created     domain.Date
	closedOn    domain.Date
	suspensions []Period
	grants      []Grant
	password    PasswordState
	certs       []Certificate
	keys        []APIKey
	links       []OIDCLink
}

// Period is a suspension from From (inclusive) until Until (exclusive); a
// zero Until means it has not ended.
type Period struct {
	From  domain.Date
	Until domain.Date
}

func (p Period) covers(d domain.Date) bool {
	return !d.Before(p.From) && (p.Until.IsZero() || d.Before(p.Until))
}

// Grant is one role held over an org subtree (or, for RoleSelf, over one
// dossier), with the decision that granted it.
type Grant struct {
	ID        uuid.UUID
	Role      Role
	Org       domain.OrgID     // root of the subtree; zero for RoleSelf
	Dossier   domain.DossierID // RoleSelf only
	From      domain.Date      // first day in force
	Until     domain.Date      // last day in force; zero: open-ended
	RevokedOn domain.Date      // first day no longer in force; zero: not revoked
	Source    domain.SourceDocument
	By        domain.AccountID
}

// ActiveOn reports whether the grant itself is in force on d, regardless of
// the account's standing (see Account.Grants for both).
func (g Grant) ActiveOn(d domain.Date) bool {
	return !d.Before(g.From) &&
		(g.Until.IsZero() || !d.After(g.Until)) &&
		(g.RevokedOn.IsZero() || d.Before(g.RevokedOn))
}

// PasswordState is what the ledger knows about the password: whether one
// was set, and whether the holder must change it (after a reset). Never the
// secret.
type PasswordState struct {
	Set        bool
	MustChange bool
	ChangedAt  time.Time
	ChangedBy  domain.AccountID
}

// Certificate is a registered signing certificate.
type Certificate struct {
	Fingerprint  string
	Subject      string
	Issuer       string
	Serial       string
	NotBefore    time.Time
	NotAfter     time.Time
	PEM          string
	RegisteredAt time.Time
	RevokedAt    time.Time // zero: not revoked
}

// UsableAt reports whether a signature made at t may rely on the
// certificate: within its validity and before any revocation.
func (c Certificate) UsableAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter) && (c.RevokedAt.IsZero() || t.Before(c.RevokedAt))
}

// APIKey is the record of one issued key: its id, never the key.
type APIKey struct {
	ID        string
	IssuedAt  time.Time
	RevokedAt time.Time // zero: not revoked
}

// Replay rebuilds an account from its whole stream, oldest first. It fails
// (with domain.ErrNotFound) on an empty history and (with domain.ErrInvalid)
// on a history that does not start with its one Created or holds an event
// that is not an account event. Applying an event never fails.
func Replay(history []domain.Recorded) (*Account, error) {
	if len(history) == 0 {
		return nil, fmt.Errorf("%w: account: empty history", domain.ErrNotFound)
	}
	a := &Account{}
	for i, r := range history {
		_, isCreated := r.Event.(Created)
		if isCreated != (i == 0) {
			return nil, domain.Invalid(fmt.Sprintf("history/%d", i), "sequence", "an account's stream starts with its one "+TypeCreated)
		}
		if !known(r.Event) {
			return nil, domain.Invalid(fmt.Sprintf("history/%d", i), "unknown", fmt.Sprintf("%T", r.Event))
		}
		a.apply(r)
	}
	return a, nil
}

// effective is the date a recorded change takes effect; the fallbacks only
// keep apply total when an envelope lost its effective date.
func (a *Account) effective(r domain.Recorded) domain.Date {
	d := r.Meta.EffectiveDate
	if d.IsZero() && !r.Meta.RecordedAt.IsZero() {
		d = domain.DateOf(r.Meta.RecordedAt)
	}
	if d.IsZero() || (!a.created.IsZero() && d.Before(a.created)) {
		d = a.created
	}
	if d.IsZero() {
		d = domain.MustDate(1900, 1, 1)
	}
	return d
}

func (a *Account) apply(r domain.Recorded) {
	a.version = r.Version
	d := a.effective(r)
	at := r.Meta.RecordedAt
	switch e := r.Event.(type) {
	case Created:
		a.id, a.kind, a.username, a.displayName = e.Account, e.Kind, e.Username, e.DisplayName
		a.homeOrg, a.dossier, a.created = e.HomeOrg, e.Dossier, d
	case PasswordSet:
		a.password = PasswordState{Set: true, ChangedAt: at, ChangedBy: e.By}
	case PasswordReset:
		a.password = PasswordState{Set: true, MustChange: true, ChangedAt: at, ChangedBy: e.By}
	case RoleGranted:
		a.grants = append(a.grants, Grant{ID: e.Grant, Role: e.Role, Org: e.Org, Dossier: e.Dossier, From: d, Until: e.ValidUntil, Source: r.Meta.Source, By: e.By})
	case GrantExtended:
		if g := a.grant(e.Grant); g != nil {
			g.Until = e.ValidUntil
		}
	case GrantRevoked:
		if g := a.grant(e.Grant); g != nil && g.RevokedOn.IsZero() {
			g.RevokedOn = d
		}
	case Restricted:
		if !a.suspended() {
			a.suspensions = append(a.suspensions, Period{From: d})
		}
	case Reinstated:
		if a.suspended() {
			a.suspensions[len(a.suspensions)-1].Until = d
		}
	case Closed:
		if a.closedOn.IsZero() {
			a.closedOn = d
		}
	case CertificateRegistered:
		a.certs = append(a.certs, Certificate{Fingerprint: e.Fingerprint, Subject: e.Subject, Issuer: e.Issuer, Serial: e.Serial,
			NotBefore: e.NotBefore, NotAfter: e.NotAfter, PEM: e.PEM, RegisteredAt: at})
	case CertificateRevoked:
		if c := a.cert(e.Fingerprint); c != nil && c.RevokedAt.IsZero() {
			c.RevokedAt = at
		}
	case APIKeyIssued:
		a.keys = append(a.keys, APIKey{ID: e.KeyID, IssuedAt: at})
	case APIKeyRevoked:
		if k := a.key(e.KeyID); k != nil && k.RevokedAt.IsZero() {
			k.RevokedAt = at
		}
	case OIDCLinked:
		a.links = append(a.links, OIDCLink{ID: e.Link, Issuer: e.Issuer, Subject: e.Subject, LinkedAt: at, By: e.By})
	case OIDCUnlinked:
		if l := a.link(e.Link); l != nil && l.Active() {
			l.UnlinkedAt = at
		}
	}
}

func (a *Account) grant(id uuid.UUID) *Grant {
	for i := range a.grants {
		if a.grants[i].ID == id {
			return &a.grants[i]
		}
	}
	return nil
}

func (a *Account) cert(fp string) *Certificate {
	for i := range a.certs {
		if a.certs[i].Fingerprint == fp {
			return &a.certs[i]
		}
	}
	return nil
}

func (a *Account) key(id string) *APIKey {
	for i := range a.keys {
		if a.keys[i].ID == id {
			return &a.keys[i]
		}
	}
	return nil
}

func (a *Account) suspended() bool {
	return len(a.suspensions) > 0 && a.suspensions[len(a.suspensions)-1].Until.IsZero()
}

// ID is the account's identity.
func (a *Account) ID() domain.AccountID { return a.id }

// Version is the stream version of the last applied event.
func (a *Account) Version() uint64 { return a.version }

// Kind is the sort of account.
func (a *Account) Kind() Kind { return a.kind }

// Username is the normalized login name.
func (a *Account) Username() string { return a.username }

// DisplayName is the holder's name as shown (NFC).
func (a *Account) DisplayName() string { return a.displayName }

// HomeOrg is the org the account belongs to.
func (a *Account) HomeOrg() domain.OrgID { return a.homeOrg }

// Dossier is the person's own dossier for a personal account, else zero.
func (a *Account) Dossier() domain.DossierID { return a.dossier }

// CreatedOn is the effective date of the account's creation.
func (a *Account) CreatedOn() domain.Date { return a.created }

// ClosedOn is the effective date the account was closed, or zero.
func (a *Account) ClosedOn() domain.Date { return a.closedOn }

// Status is the account's standing after everything on record.
func (a *Account) Status() Status {
	switch {
	case !a.closedOn.IsZero():
		return StatusClosed
	case a.suspended():
		return StatusRestricted
	}
	return StatusActive
}

// Active reports whether the account is neither closed nor restricted
// after everything on record.
func (a *Account) Active() bool { return a.Status() == StatusActive }

// ActiveOn reports whether the account existed, was not suspended and had
// not been closed on d.
func (a *Account) ActiveOn(d domain.Date) bool {
	if d.Before(a.created) || (!a.closedOn.IsZero() && !d.Before(a.closedOn)) {
		return false
	}
	for _, p := range a.suspensions {
		if p.covers(d) {
			return false
		}
	}
	return true
}

// Grants are the grants that give rights on d: in force themselves, on an
// account that is active on d. A suspended or closed account has none.
func (a *Account) Grants(d domain.Date) []Grant {
	if !a.ActiveOn(d) {
		return nil
	}
	var out []Grant
	for _, g := range a.grants {
		if g.ActiveOn(d) {
			out = append(out, g)
		}
	}
	return out
}

// AllGrants is every grant ever made, in order, revoked and expired ones
// included.
func (a *Account) AllGrants() []Grant { return slices.Clone(a.grants) }

// Suspensions is every suspension, oldest first.
func (a *Account) Suspensions() []Period { return slices.Clone(a.suspensions) }

// Password is what the ledger knows about the password (never the secret).
func (a *Account) Password() PasswordState { return a.password }

// Certificates is every registered certificate, revoked ones included.
func (a *Account) Certificates() []Certificate { return slices.Clone(a.certs) }

// Certificate returns the certificate with this SHA-256 fingerprint (hex,
// any case, colons allowed).
func (a *Account) Certificate(fingerprint string) (Certificate, bool) {
	if c := a.cert(normalizeFingerprint(fingerprint)); c != nil {
		return *c, true
	}
	return Certificate{}, false
}

// APIKeys is every key id issued, revoked ones included.
func (a *Account) APIKeys() []APIKey { return slices.Clone(a.keys) }

// APIKeyActive reports whether the key id was issued and not revoked, on an
// account that is active now.
func (a *Account) APIKeyActive(id string) bool {
	k := a.key(id)
	return k != nil && k.RevokedAt.IsZero() && a.Active()
}
