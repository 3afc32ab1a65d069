package account

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
)

// usernamePattern: ASCII only, on purpose. Vietnamese letters in a login
// name invite look-alikes and keyboard-dependent spellings; people's names
// belong in the display name.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// keyIDPattern is an API key id: public, printable, long enough to be
// unique when minted randomly.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// MaxDisplayNameLen and MaxReasonLen bound free text, in characters.
const (
	MaxDisplayNameLen = domain.MaxDisplayName
	MaxReasonLen      = domain.MaxReason
)

// ForbiddenError is a command refused because of who asks, not what is
// asked: above all, an actor raising their own privileges. It wraps
// domain.ErrForbidden.
type ForbiddenError struct {
	Account string
	Rule    string // "own_privileges"
	Detail  string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("account %s: forbidden: %s: %s", e.Account, e.Rule, e.Detail)
}

func (e *ForbiddenError) Unwrap() error { return domain.ErrForbidden }

// NormalizeUsername returns the stored form of a login name: NFC, trimmed,
// lower case. Create validates the result.
func NormalizeUsername(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFC.String(s)))
}

// CreateAccount is the input of Create.
type CreateAccount struct {
	Kind        Kind
	Username    string
	DisplayName string
	HomeOrg     domain.OrgID
	Dossier     domain.DossierID // required for a personal account, refused otherwise
}

// Create decides a new account id. Errors: domain.ErrInvalid (naming every
// problem) for bad input or metadata — the written decision assigning the
// account (m.Source) is required; domain.ErrForbidden when the actor would
// create their own account. Uniqueness of the username is the caller's
// check against a read model (the domain sees one account at a time).
func Create(id domain.AccountID, m domain.Meta, c CreateAccount) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, true)
	if id.IsZero() {
		v.Add("account_id", "required", "")
	}
	if !c.Kind.Valid() {
		v.Add("kind", "enum", fmt.Sprintf("%q is not one of %v", c.Kind, kinds))
	}
	user := NormalizeUsername(c.Username)
	if !usernamePattern.MatchString(user) {
		v.Add("username", "format", "3–64 of a–z, 0–9, '.', '_', '-', starting with a letter or digit")
	}
	name := checkText(&v, "display_name", c.DisplayName, MaxDisplayNameLen, true)
	if c.HomeOrg.IsZero() {
		v.Add("home_org", "required", "")
	}
	switch {
	case c.Kind == KindPersonal && c.Dossier.IsZero():
		v.Add("dossier_id", "required", "a personal account belongs to a person's dossier")
	case c.Kind != KindPersonal && !c.Dossier.IsZero():
		v.Add("dossier_id", "kind", "only a personal account has a dossier")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if actingAs(m, id) {
		return nil, &ForbiddenError{Account: id.String(), Rule: "own_privileges", Detail: "an account cannot create itself"}
	}
	return []domain.Event{Created{Account: id, Kind: c.Kind, Username: user, DisplayName: name, HomeOrg: c.HomeOrg, Dossier: c.Dossier}}, nil
}

// SetPassword records that the holder set a new password (the secret goes
// to the credential store, never here). Only the holder may do it:
// otherwise domain.ErrForbidden (an administrator uses ResetPassword). A
// service account has no password and a restricted or closed account cannot
// log in to set one: domain.ErrConflict.
func (a *Account) SetPassword(m domain.Meta) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !actingAs(m, a.id) {
		return nil, a.forbidden("not_holder", "only the holder sets their password; an administrator resets it")
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if a.kind == KindService {
		return nil, a.stateErr("no_password", "a service account authenticates with API keys")
	}
	if a.suspended() {
		return nil, a.stateErr("restricted", "a restricted account cannot change its password")
	}
	return []domain.Event{PasswordSet{By: m.Actor.Account}}, nil
}

// ResetPassword records that an administrator reset a lost password; the
// holder must set a new one at the next login. The holder cannot reset
// their own (domain.ErrForbidden): a reset bypasses the old password.
func (a *Account) ResetPassword(m domain.Meta) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "reset their own password"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if a.kind == KindService {
		return nil, a.stateErr("no_password", "a service account authenticates with API keys")
	}
	return []domain.Event{PasswordReset{By: m.Actor.Account}}, nil
}

// NewGrant is the input of Grant.
type NewGrant struct {
	ID         uuid.UUID        // minted by the caller; names the grant for extension and revocation
	Role       Role             //
	Org        domain.OrgID     // root of the subtree; required except for RoleSelf
	Dossier    domain.DossierID // RoleSelf only: the account's own dossier
	ValidUntil domain.Date      // last day in force; zero: until revoked
}

// Grant decides a role for the account from m.EffectiveDate, citing the
// written decision (m.Source, required). Errors: domain.ErrInvalid for bad
// input, a role the account's kind may not hold (AllowedRoles), or a self
// grant that is not over the account's own dossier; domain.ErrForbidden
// when the actor grants to themselves; domain.ErrConflict when the account
// is closed, the same role is already in force over the same scope, or the
// grant id is taken by a different grant. Re-sending the same grant returns
// no events.
func (a *Account) Grant(m domain.Meta, g NewGrant) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, true)
	if g.ID == uuid.Nil {
		v.Add("grant_id", "required", "")
	}
	switch {
	case !g.Role.Valid():
		v.Add("role", "enum", fmt.Sprintf("%q is not one of %v", g.Role, roles))
	case !slices.Contains(allowed[a.kind], g.Role):
		v.Add("role", "kind", fmt.Sprintf("a %s account may hold only %v", a.kind, allowed[a.kind]))
	}
	if g.Role == RoleSelf {
		if !g.Org.IsZero() {
			v.Add("org_id", "self", "the self role is over a dossier, not an org")
		}
		if g.Dossier.IsZero() || g.Dossier != a.dossier {
			v.Add("dossier_id", "own_dossier", "the self role is only over the account's own dossier")
		}
	} else {
		if g.Org.IsZero() {
			v.Add("org_id", "required", "")
		}
		if !g.Dossier.IsZero() {
			v.Add("dossier_id", "role", "only the self role is over a dossier")
		}
	}
	if !g.ValidUntil.IsZero() && !m.EffectiveDate.IsZero() && g.ValidUntil.Before(m.EffectiveDate) {
		v.Add("valid_until", "range", "before the grant takes effect")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "grant themselves a role"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	ev := RoleGranted{Grant: g.ID, Role: g.Role, Org: g.Org, Dossier: g.Dossier, ValidUntil: g.ValidUntil, By: m.Actor.Account}
	if old := a.grant(g.ID); old != nil {
		if old.Role == g.Role && old.Org == g.Org && old.Dossier == g.Dossier && old.Until == g.ValidUntil && old.From == m.EffectiveDate {
			return nil, nil
		}
		return nil, a.stateErr("grant_id_taken", "grant "+g.ID.String()+" already names another grant")
	}
	for _, old := range a.grants {
		if old.Role == g.Role && old.Org == g.Org && old.Dossier == g.Dossier && old.ActiveOn(m.EffectiveDate) {
			return nil, a.stateErr("duplicate", fmt.Sprintf("%s is already in force over this scope by grant %s", g.Role, old.ID))
		}
	}
	return []domain.Event{ev}, nil
}

// ExtendGrant decides a later end for a grant, citing the decision
// (m.Source, required). Errors: domain.ErrNotFound for an unknown grant;
// domain.ErrInvalid when until is not after both the current end and the
// effective date; domain.ErrForbidden when the actor extends their own
// grant; domain.ErrConflict when the account is closed, the grant revoked,
// or open-ended already.
func (a *Account) ExtendGrant(m domain.Meta, grant uuid.UUID, until domain.Date) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, true)
	if until.IsZero() {
		v.Add("valid_until", "required", "")
	} else if !m.EffectiveDate.IsZero() && until.Before(m.EffectiveDate) {
		v.Add("valid_until", "range", "before the extension takes effect")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "extend their own grant"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	g := a.grant(grant)
	switch {
	case g == nil:
		return nil, fmt.Errorf("%w: account %s: grant %s", domain.ErrNotFound, a.id, grant)
	case !g.RevokedOn.IsZero():
		return nil, a.stateErr("revoked", "grant "+grant.String()+" was revoked on "+g.RevokedOn.String())
	case g.Until.IsZero():
		return nil, a.stateErr("open_ended", "grant "+grant.String()+" has no end to extend")
	case !until.After(g.Until):
		return nil, domain.Invalid("valid_until", "range", "not after the current end "+g.Until.String())
	}
	return []domain.Event{GrantExtended{Grant: grant, ValidUntil: until}}, nil
}

// RevokeGrant ends a grant from m.EffectiveDate. Revoking an already
// revoked grant returns no events. Errors: domain.ErrNotFound for an
// unknown grant; domain.ErrConflict on a closed account.
func (a *Account) RevokeGrant(m domain.Meta, grant uuid.UUID, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	g := a.grant(grant)
	if g == nil {
		return nil, fmt.Errorf("%w: account %s: grant %s", domain.ErrNotFound, a.id, grant)
	}
	if !g.RevokedOn.IsZero() {
		return nil, nil
	}
	return []domain.Event{GrantRevoked{Grant: grant, Reason: reason}}, nil
}

// Restrict suspends the account from m.EffectiveDate; reason is required.
// Restricting a restricted account returns no events. Errors:
// domain.ErrInvalid, domain.ErrConflict on a closed account.
func (a *Account) Restrict(m domain.Meta, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if a.suspended() {
		return nil, nil
	}
	if p := a.lastSuspension(); p != nil && m.EffectiveDate.Before(p.Until) {
		return nil, a.stateErr("before_last_change", "effective before the last reinstatement")
	}
	return []domain.Event{Restricted{Reason: reason}}, nil
}

// Reinstate ends a suspension from m.EffectiveDate. Reinstating an account
// that is not restricted returns no events. Errors: domain.ErrForbidden when
// the actor lifts their own suspension; domain.ErrConflict on a closed
// account or a date before the suspension began.
func (a *Account) Reinstate(m domain.Meta, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "lift their own suspension"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if !a.suspended() {
		return nil, nil
	}
	if from := a.suspensions[len(a.suspensions)-1].From; !m.EffectiveDate.After(from) {
		return nil, a.stateErr("before_last_change", "a reinstatement takes effect after the suspension began on "+from.String())
	}
	return []domain.Event{Reinstated{Reason: reason}}, nil
}

// Close revokes the account for good from m.EffectiveDate; reason is
// required. Errors: domain.ErrInvalid; domain.ErrConflict when already
// closed.
func (a *Account) Close(m domain.Meta, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	return []domain.Event{Closed{Reason: reason}}, nil
}

// RegisterCertificate records an X.509 signing certificate, given as PEM
// text (one CERTIFICATE block), for an account that holds the approver role
// on the date of m.RecordedAt. The fingerprint, subject and validity are
// read from the certificate itself, never taken from the caller. Errors:
// domain.ErrInvalid for PEM that is not one parsable certificate or one
// already expired at m.RecordedAt; domain.ErrForbidden when the actor
// registers their own (an administrator checks that a certificate belongs
// to the person); domain.ErrConflict on a closed account, one without an
// approver grant, or a certificate already registered.
func (a *Account) RegisterCertificate(m domain.Meta, pemText string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	if m.RecordedAt.IsZero() {
		v.Add("recorded_at", "required", "")
	}
	ev, ok := parseCertificate(&v, pemText)
	if ok && !m.RecordedAt.IsZero() && m.RecordedAt.After(ev.NotAfter) {
		v.Add("pem", "expired", "the certificate expired on "+ev.NotAfter.Format("2006-01-02"))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "register their own certificate"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(a.Grants(domain.DateOf(m.RecordedAt)), func(g Grant) bool { return g.Role == RoleApprover }) {
		return nil, a.stateErr("not_approver", "signing certificates are for accounts holding the approver role")
	}
	if c := a.cert(ev.Fingerprint); c != nil {
		return nil, a.stateErr("duplicate", "certificate "+ev.Fingerprint+" is already registered")
	}
	return []domain.Event{ev}, nil
}

func parseCertificate(v *domain.ValidationError, text string) (CertificateRegistered, bool) {
	block, rest := pem.Decode([]byte(text))
	switch {
	case block == nil:
		v.Add("pem", "format", "no PEM block")
		return CertificateRegistered{}, false
	case block.Type != "CERTIFICATE":
		v.Add("pem", "format", "a "+block.Type+" block, want CERTIFICATE")
		return CertificateRegistered{}, false
	case strings.TrimSpace(string(rest)) != "":
		v.Add("pem", "format", "more than one PEM block")
		return CertificateRegistered{}, false
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		v.Add("pem", "certificate", err.Error())
		return CertificateRegistered{}, false
	}
	sum := sha256.Sum256(c.Raw)
	return CertificateRegistered{
		Fingerprint: hex.EncodeToString(sum[:]),
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		Serial:      c.SerialNumber.Text(16),
		NotBefore:   c.NotBefore.UTC(),
		NotAfter:    c.NotAfter.UTC(),
		// Re-encoded so the stored text is canonical whatever headers or
		// line endings the upload had.
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
	}, true
}

func normalizeFingerprint(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
}

// RevokeCertificate stops a certificate from being used for approvals
// signed after m.RecordedAt. Revoking a revoked certificate returns no
// events. Errors: domain.ErrNotFound for an unknown fingerprint;
// domain.ErrConflict on a closed account.
func (a *Account) RevokeCertificate(m domain.Meta, fingerprint, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	fp := normalizeFingerprint(fingerprint)
	c := a.cert(fp)
	if c == nil {
		return nil, fmt.Errorf("%w: account %s: certificate %s", domain.ErrNotFound, a.id, fp)
	}
	if !c.RevokedAt.IsZero() {
		return nil, nil
	}
	return []domain.Event{CertificateRevoked{Fingerprint: fp, Reason: reason}}, nil
}

// IssueAPIKey records a new key id for a service account (the key itself is
// generated, shown and hashed outside the domain). Errors:
// domain.ErrInvalid for a malformed id; domain.ErrForbidden when a service
// would issue its own key; domain.ErrConflict when the account is not a
// service, is closed or restricted, or the id is taken.
func (a *Account) IssueAPIKey(m domain.Meta, keyID string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	if !keyIDPattern.MatchString(keyID) {
		v.Add("key_id", "format", "8–64 of A–Z, a–z, 0–9, '_', '-'")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkNotSelf(m, "issue itself an API key"); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	switch {
	case a.kind != KindService:
		return nil, a.stateErr("not_service", "API keys are for service accounts")
	case a.suspended():
		return nil, a.stateErr("restricted", "the account is restricted")
	case a.key(keyID) != nil:
		return nil, a.stateErr("duplicate", "key id "+keyID+" was already issued")
	}
	return []domain.Event{APIKeyIssued{KeyID: keyID}}, nil
}

// RevokeAPIKey revokes a key id. Revoking a revoked key returns no events.
// Errors: domain.ErrNotFound for an unknown id; domain.ErrConflict on a
// closed account.
func (a *Account) RevokeAPIKey(m domain.Meta, keyID, reason string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	reason = checkText(&v, "reason", reason, MaxReasonLen, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	k := a.key(keyID)
	if k == nil {
		return nil, fmt.Errorf("%w: account %s: API key %s", domain.ErrNotFound, a.id, keyID)
	}
	if !k.RevokedAt.IsZero() {
		return nil, nil
	}
	return []domain.Event{APIKeyRevoked{KeyID: keyID, Reason: reason}}, nil
}

func (a *Account) lastSuspension() *Period {
	if len(a.suspensions) == 0 {
		return nil
	}
	return &a.suspensions[len(a.suspensions)-1]
}

func (a *Account) stateErr(rule, detail string) error {
	return &domain.StateError{Aggregate: "account", ID: a.id.String(), Rule: rule, Detail: detail}
}

func (a *Account) forbidden(rule, detail string) error {
	return &ForbiddenError{Account: a.id.String(), Rule: rule, Detail: detail}
}

func (a *Account) checkOpen() error {
	if !a.closedOn.IsZero() {
		return a.stateErr("closed", "the account was closed on "+a.closedOn.String())
	}
	return nil
}

// checkNotSelf refuses a privilege-raising command whose actor is the
// account itself, directly or through delegated entry.
func (a *Account) checkNotSelf(m domain.Meta, what string) error {
	if actingAs(m, a.id) {
		return a.forbidden("own_privileges", "an actor cannot "+what)
	}
	return nil
}

func actingAs(m domain.Meta, id domain.AccountID) bool {
	return m.Actor.Account == id || m.Actor.OnBehalfOf == id
}

// checkMeta: an actor always; an effective date for changes of standing;
// the written decision where the regulations ask for one. A source document
// given where none is required is still validated.
func checkMeta(v *domain.ValidationError, m domain.Meta, dated, decision bool) {
	if m.Actor.Account.IsZero() {
		v.Add("actor/account_id", "required", "")
	}
	if dated && m.EffectiveDate.IsZero() {
		v.Add("effective_date", "required", "")
	}
	domain.CheckImport(v, "", m)
	if m.Source.IsZero() {
		if decision {
			v.Add("source_document", "required", "the written decision is required")
		}
		return
	}
	if err := m.Source.Validate("source_document"); err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			v.Problems = append(v.Problems, ve.Problems...)
		}
	}
}

func checkText(v *domain.ValidationError, field, s string, max int, required bool) string {
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	switch {
	case s == "" && required:
		v.Add(field, "required", "")
	case !utf8.ValidString(s):
		v.Add(field, "format", "not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "length", fmt.Sprintf("at most %d characters", max))
	default:
		domain.CheckChars(v, field, s, false)
	}
	return s
}
