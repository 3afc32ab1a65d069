package account

import (
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// Compatibility rule for every event below: the stored name never changes,
// fields are only added (with a zero value that means what the old payload
// meant), never renamed or retyped; a breaking change is a new version plus
// an upcaster on the package's codec (domain.Codec.WithUpcaster).
// testdata/golden pins each stored shape. Who acted,
// when, on which decision and from which effective date live in the
// envelope (domain.Meta).

// Created is stored as "account.created.v1": the account exists. Dossier is
// present only for a personal account.
type Created struct {
	Account     domain.AccountID `json:"account_id"`
	Kind        Kind             `json:"kind"`
	Username    string           `json:"username"`
	DisplayName string           `json:"display_name"`
	HomeOrg     domain.OrgID     `json:"home_org"`
	Dossier     domain.DossierID `json:"dossier_id,omitzero"`
}

// PasswordSet is stored as "account.password_set.v1": the holder set a new
// password. It records that and who; the secret and its hash never enter
// the ledger.
type PasswordSet struct {
	By domain.AccountID `json:"by"`
}

// PasswordReset is stored as "account.password_reset.v1": an administrator
// reset a lost password; the holder must set a new one at the next login.
// No secret is recorded.
type PasswordReset struct {
	By domain.AccountID `json:"by"`
}

// RoleGranted is stored as "account.role_granted.v1": Role over the subtree
// rooted at Org (or, for the self role, over Dossier), from the effective
// date until ValidUntil inclusive (absent: until revoked). The written
// decision is the envelope's source document.
type RoleGranted struct {
	Grant      uuid.UUID        `json:"grant_id"`
	Role       Role             `json:"role"`
	Org        domain.OrgID     `json:"org_id,omitzero"`
	Dossier    domain.DossierID `json:"dossier_id,omitzero"`
	ValidUntil domain.Date      `json:"valid_until,omitzero"`
	By         domain.AccountID `json:"by"`
}

// GrantExtended is stored as "account.grant_extended.v1": the grant now
// lasts until ValidUntil inclusive.
type GrantExtended struct {
	Grant      uuid.UUID   `json:"grant_id"`
	ValidUntil domain.Date `json:"valid_until"`
}

// GrantRevoked is stored as "account.grant_revoked.v1": the grant ends on
// the effective date (it is not in force on that date).
type GrantRevoked struct {
	Grant  uuid.UUID `json:"grant_id"`
	Reason string    `json:"reason,omitempty"`
}

// Restricted is stored as "account.restricted.v1": the account is suspended
// from the effective date; its grants stay on record but give no rights.
type Restricted struct {
	Reason string `json:"reason"`
}

// Reinstated is stored as "account.reinstated.v1": the suspension ends on
// the effective date.
type Reinstated struct {
	Reason string `json:"reason,omitempty"`
}

// Closed is stored as "account.closed.v1": the account is revoked for good
// from the effective date (handover on staff change, leaving the province).
type Closed struct {
	Reason string `json:"reason"`
}

// CertificateRegistered is stored as "account.certificate_registered.v1":
// an X.509 signing certificate the holder may approve with. Fingerprint is
// the lower-case hex SHA-256 of the DER bytes; PEM is the certificate
// itself (public), so a signature can be checked against it for ever.
type CertificateRegistered struct {
	Fingerprint string    `json:"fingerprint_sha256"`
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	Serial      string    `json:"serial"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	PEM         string    `json:"pem"`
}

// CertificateRevoked is stored as "account.certificate_revoked.v1": the
// certificate may no longer be used for approvals signed after the event.
type CertificateRevoked struct {
	Fingerprint string `json:"fingerprint_sha256"`
	Reason      string `json:"reason,omitempty"`
}

// APIKeyIssued is stored as "account.api_key_issued.v1": a key with this id
// was issued to a service account. The key itself is shown once to the
// caller and kept hashed outside the ledger.
type APIKeyIssued struct {
	KeyID string `json:"key_id"`
}

// APIKeyRevoked is stored as "account.api_key_revoked.v1".
type APIKeyRevoked struct {
	KeyID  string `json:"key_id"`
	Reason string `json:"reason,omitempty"`
}

// OIDCLinked is stored as "account.oidc_linked.v1": an administrator
// linked the provider's subject (Issuer and its "sub", compared exactly) to
// the account, which may log in through the provider from then on. Link
// names the link for its revocation.
type OIDCLinked struct {
	Link    uuid.UUID        `json:"link_id"`
	Issuer  string           `json:"issuer"`
	Subject string           `json:"subject"`
	By      domain.AccountID `json:"by"`
}

// OIDCUnlinked is stored as "account.oidc_unlinked.v1": the link no longer
// lets the subject log in.
type OIDCUnlinked struct {
	Link   uuid.UUID `json:"link_id"`
	Reason string    `json:"reason,omitempty"`
}

// Stored event names.
const (
	TypeCreated               = "account.created.v1"
	TypePasswordSet           = "account.password_set.v1"
	TypePasswordReset         = "account.password_reset.v1"
	TypeRoleGranted           = "account.role_granted.v1"
	TypeGrantExtended         = "account.grant_extended.v1"
	TypeGrantRevoked          = "account.grant_revoked.v1"
	TypeRestricted            = "account.restricted.v1"
	TypeReinstated            = "account.reinstated.v1"
	TypeClosed                = "account.closed.v1"
	TypeCertificateRegistered = "account.certificate_registered.v1"
	TypeCertificateRevoked    = "account.certificate_revoked.v1"
	TypeAPIKeyIssued          = "account.api_key_issued.v1"
	TypeAPIKeyRevoked         = "account.api_key_revoked.v1"
	TypeOIDCLinked            = "account.oidc_linked.v1"
	TypeOIDCUnlinked          = "account.oidc_unlinked.v1"
)

func (Created) EventType() string               { return TypeCreated }
func (PasswordSet) EventType() string           { return TypePasswordSet }
func (PasswordReset) EventType() string         { return TypePasswordReset }
func (RoleGranted) EventType() string           { return TypeRoleGranted }
func (GrantExtended) EventType() string         { return TypeGrantExtended }
func (GrantRevoked) EventType() string          { return TypeGrantRevoked }
func (Restricted) EventType() string            { return TypeRestricted }
func (Reinstated) EventType() string            { return TypeReinstated }
func (Closed) EventType() string                { return TypeClosed }
func (CertificateRegistered) EventType() string { return TypeCertificateRegistered }
func (CertificateRevoked) EventType() string    { return TypeCertificateRevoked }
func (APIKeyIssued) EventType() string          { return TypeAPIKeyIssued }
func (APIKeyRevoked) EventType() string         { return TypeAPIKeyRevoked }
func (OIDCLinked) EventType() string            { return TypeOIDCLinked }
func (OIDCUnlinked) EventType() string          { return TypeOIDCUnlinked }

// codec declares every current account event once. Unlike the dossier's, it
// decodes a JSON null payload as the zero event, as this package always has.
var codec = domain.NewCodec("account",
	domain.Def[Created](),
	domain.Def[PasswordSet](),
	domain.Def[PasswordReset](),
	domain.Def[RoleGranted](),
	domain.Def[GrantExtended](),
	domain.Def[GrantRevoked](),
	domain.Def[Restricted](),
	domain.Def[Reinstated](),
	domain.Def[Closed](),
	domain.Def[CertificateRegistered](),
	domain.Def[CertificateRevoked](),
	domain.Def[APIKeyIssued](),
	domain.Def[APIKeyRevoked](),
	domain.Def[OIDCLinked](),
	domain.Def[OIDCUnlinked](),
).WithNullAsZero()

// EventTypes lists the stored names this package decodes, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Decode turns a stored payload back into its event (a value, not a
// pointer). An unknown type or a payload that is not the type's JSON is an
// error wrapping domain.ErrInvalid. Unknown fields are ignored, so a payload
// written by a newer release that added a field still decodes.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// known reports whether e is one of this package's events as Decode returns
// them (values, not pointers).
func known(e domain.Event) bool {
	switch e.(type) {
	case Created, PasswordSet, PasswordReset, RoleGranted, GrantExtended, GrantRevoked,
		Restricted, Reinstated, Closed, CertificateRegistered, CertificateRevoked, APIKeyIssued, APIKeyRevoked,
		OIDCLinked, OIDCUnlinked:
		return true
	}
	return false
}
