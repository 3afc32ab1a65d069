package domain

import (
	"fmt"

	"github.com/google/uuid"
)

// Distinct identifier types, so an OrgID can never be passed where a DossierID
// is expected. New ids are UUIDv7 (time-ordered), minted by the caller and
// passed in: the domain never generates identity itself.

// DossierID identifies one person's dossier. Its stream is "dossier-<uuid>".
type DossierID uuid.UUID

// OrgID identifies an organization. Its stream is "org-<uuid>".
type OrgID uuid.UUID

// AccountID identifies an account. Its stream is "account-<uuid>".
type AccountID uuid.UUID

func (id DossierID) String() string { return uuid.UUID(id).String() }
func (id OrgID) String() string     { return uuid.UUID(id).String() }
func (id AccountID) String() string { return uuid.UUID(id).String() }

// IsZero reports whether the id is unset.
func (id DossierID) IsZero() bool { return id == DossierID{} }

// IsZero reports whether the id is unset.
func (id OrgID) IsZero() bool { return id == OrgID{} }

// IsZero reports whether the id is unset.
func (id AccountID) IsZero() bool { return id == AccountID{} }

// StreamID is the event-store stream that holds the dossier's history.
func (id DossierID) StreamID() string { return "dossier-" + id.String() }

// StreamID is the event-store stream that holds the org's history.
func (id OrgID) StreamID() string { return "org-" + id.String() }

// StreamID is the event-store stream that holds the account's history.
func (id AccountID) StreamID() string { return "account-" + id.String() }

func (id DossierID) MarshalText() ([]byte, error) { return uuid.UUID(id).MarshalText() }
func (id OrgID) MarshalText() ([]byte, error)     { return uuid.UUID(id).MarshalText() }
func (id AccountID) MarshalText() ([]byte, error) { return uuid.UUID(id).MarshalText() }

func (id *DossierID) UnmarshalText(b []byte) error { return (*uuid.UUID)(id).UnmarshalText(b) }
func (id *OrgID) UnmarshalText(b []byte) error     { return (*uuid.UUID)(id).UnmarshalText(b) }
func (id *AccountID) UnmarshalText(b []byte) error { return (*uuid.UUID)(id).UnmarshalText(b) }

// ParseDossierID parses the canonical text form; errors wrap ErrInvalid.
func ParseDossierID(s string) (DossierID, error) {
	u, err := parseID("dossier_id", s)
	return DossierID(u), err
}

// ParseOrgID parses the canonical text form; errors wrap ErrInvalid.
func ParseOrgID(s string) (OrgID, error) {
	u, err := parseID("org_id", s)
	return OrgID(u), err
}

// ParseAccountID parses the canonical text form; errors wrap ErrInvalid.
func ParseAccountID(s string) (AccountID, error) {
	u, err := parseID("account_id", s)
	return AccountID(u), err
}

func parseID(field, s string) (uuid.UUID, error) {
	u, err := uuid.Parse(s)
	if err != nil || u == uuid.Nil {
		return uuid.Nil, Invalid(field, "format", fmt.Sprintf("%q is not a UUID", s))
	}
	return u, nil
}
