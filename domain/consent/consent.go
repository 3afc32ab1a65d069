// Package consent records a person's consent to reads of their dossier
// outside personnel work (Decree 27/2026: "reading a dossier needs the
// person's consent except for personnel work within the agency's
// competence", as docs/domain.md summarises it; the article is to verify;
// Personal Data Protection Law 91/2025/QH15: consent is specific to its
// purposes, may be withdrawn, and withdrawal does not undo what was done
// before it).
//
// The consents of one dossier are one stream of their own,
// "consent-<dossier id>", beside the dossier's: recording or withdrawing a
// consent changes no fact of the dossier, so it moves neither the dossier's
// version (an HR officer's If-Match stays good), nor the monthly approval,
// nor the delivery to the national database. The event names keep the
// dossier's prefix, as the brief of issue 19 asks: they are about the
// dossier.
//
// Fold with Replay; decide with Record and Withdraw; ask with Covering,
// which returns the consent that allows a read for a purpose on a day.
package consent

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/policy"
)

// Stored names, fields only ever added (testdata/golden pins each shape).
const (
	TypeRecorded  = "dossier.consent_recorded.v1"
	TypeWithdrawn = "dossier.consent_withdrawn.v1"
)

// Scope is what a consent lets a reader do with the dossier. View covers
// the reads that show it (the JSON, its history); Copy also covers those
// that hand a copy out of the system (the CV form as PDF, the signed
// export): a copy is a further processing a person may refuse while
// allowing an inspector to look.
type Scope string

// Scopes.
const (
	ScopeView Scope = "view"
	ScopeCopy Scope = "copy"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeView || s == ScopeCopy }

// Covers reports whether a consent of scope s allows a read that needs need.
func (s Scope) Covers(need Scope) bool { return s == ScopeCopy || s == need }

// Limits of a consent, so one request cannot grow the ledger without bound.
const (
	MaxPurposes  = 8
	MaxRecipient = 300
)

// Recorded is one consent, on a signed form, to reads for some purposes.
type Recorded struct {
	ConsentID uuid.UUID        `json:"consent_id"`
	DossierID domain.DossierID `json:"dossier_id"`
	Purposes  []policy.Purpose `json:"purposes"`
	Scope     Scope            `json:"scope"`
	// Recipient names the body the consent is given to, as the form
	// writes it ("Thanh tra tỉnh"): a label for people, never checked.
	Recipient string `json:"recipient,omitempty"`
	// RecipientOrg and RecipientAccount name the recipient so that it can
	// be checked (at most one of them): only a reader whose account is
	// RecipientAccount, or whose home org is RecipientOrg or lies under it,
	// benefits from the consent. Both zero: any reader for the purposes,
	// as every consent recorded before they existed. Added fields, so the
	// stored name stays v1.
	RecipientOrg     domain.OrgID     `json:"recipient_org,omitzero"`
	RecipientAccount domain.AccountID `json:"recipient_account,omitzero"`
	// Form is the signed consent form (the person's own document).
	Form       domain.SourceDocument `json:"form"`
	ValidFrom  domain.Date           `json:"valid_from"`
	ValidUntil domain.Date           `json:"valid_until,omitzero"`
	// BySubject: the person recorded it through their own (self) grant;
	// otherwise the managing org's HR did, from the paper form.
	BySubject bool `json:"by_subject"`
}

// EventType returns TypeRecorded.
func (Recorded) EventType() string { return TypeRecorded }

// Withdrawn ends a consent for the reads that come after it.
type Withdrawn struct {
	ConsentID uuid.UUID        `json:"consent_id"`
	DossierID domain.DossierID `json:"dossier_id"`
	BySubject bool             `json:"by_subject"`
}

// EventType returns TypeWithdrawn.
func (Withdrawn) EventType() string { return TypeWithdrawn }

var codec = domain.NewCodec("consent", domain.Def[Recorded](), domain.Def[Withdrawn]())

// EventTypes lists every stored name Decode accepts, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Decode is the decoder of consent streams (a ledger.Decoder).
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// Stream is the stream of the consents to reads of dossier id.
func Stream(id domain.DossierID) string { return "consent-" + id.String() }

// Consent is one consent as it stands.
type Consent struct {
	Recorded
	// EventID is the id of the event that recorded it: what the read log
	// cites.
	EventID        uuid.UUID         `json:"event_id"`
	RecordedAt     domain.Date       `json:"recorded_on"`
	RecordedBy     domain.AccountID  `json:"recorded_by"`
	Withdrawn      bool              `json:"withdrawn"`
	WithdrawnOn    domain.Date       `json:"withdrawn_on,omitzero"`
	WithdrawnBy    *domain.AccountID `json:"withdrawn_by,omitempty"`
	WithdrawnEvent *uuid.UUID        `json:"withdrawn_event_id,omitempty"`
}

// InForce reports whether c allows reads on day d.
func (c Consent) InForce(d domain.Date) bool {
	return !c.Withdrawn && !d.Before(c.ValidFrom) && (c.ValidUntil.IsZero() || !d.After(c.ValidUntil))
}

// Consents are the consents of one dossier, folded from its consent stream.
// The zero value has none (a dossier whose stream does not exist).
type Consents struct {
	version uint64
	list    []Consent
}

// Replay folds a consent stream. It never fails on a valid stream: history
// is fact.
func Replay(history []domain.Recorded) *Consents {
	cs := &Consents{}
	for _, r := range history {
		cs.version = r.Version
		switch e := r.Event.(type) {
		case Recorded:
			cs.list = append(cs.list, Consent{Recorded: e, EventID: r.ID,
				RecordedAt: domain.DateOf(r.Meta.RecordedAt), RecordedBy: r.Meta.Actor.Account})
		case Withdrawn:
			for i := range cs.list {
				if cs.list[i].ConsentID == e.ConsentID && !cs.list[i].Withdrawn {
					by, id := r.Meta.Actor.Account, r.ID
					cs.list[i].Withdrawn, cs.list[i].WithdrawnOn = true, domain.DateOf(r.Meta.RecordedAt)
					cs.list[i].WithdrawnBy, cs.list[i].WithdrawnEvent = &by, &id
				}
			}
		}
	}
	return cs
}

// Version is the stream's version (0: no consent ever recorded).
func (cs *Consents) Version() uint64 { return cs.version }

// List is every consent ever recorded, oldest first, withdrawn ones included.
func (cs *Consents) List() []Consent { return slices.Clone(cs.list) }

// Reader is who reads, as a consent's recipient is checked against:
// their account, and their home org with every org above it (a division
// of the provincial inspectorate is the inspectorate).
type Reader struct {
	Account domain.AccountID
	Orgs    []domain.OrgID
}

// Names reports whether the consent's recipient, when it names one by id,
// is reader. A consent that names none (or only as text) names everyone.
func (r Recorded) Names(reader Reader) bool {
	switch {
	case !r.RecipientAccount.IsZero():
		return r.RecipientAccount == reader.Account
	case !r.RecipientOrg.IsZero():
		return slices.Contains(reader.Orgs, r.RecipientOrg)
	}
	return true
}

// Covering returns the consent in force on day that allows reader a read
// for purpose needing scope need; of several, the most recently recorded.
// ok is false when none does, a consent given to another recipient
// included.
func (cs *Consents) Covering(purpose policy.Purpose, need Scope, day domain.Date, reader Reader) (Consent, bool) {
	for i := len(cs.list) - 1; i >= 0; i-- {
		c := cs.list[i]
		if c.InForce(day) && c.Scope.Covers(need) && slices.Contains(c.Purposes, purpose) && c.Names(reader) {
			return c, true
		}
	}
	return Consent{}, false
}

// Record decides the recording of consent r on day today (the server's
// date): every problem is named by field. Personnel work is never consented
// to (it needs none), a consent ends no earlier than it starts, and one
// whose end is already past is refused (a typo, not a record).
func Record(r Recorded, today domain.Date) (Recorded, error) {
	var v domain.ValidationError
	if r.ConsentID == uuid.Nil {
		v.Add("consent_id", "required", "")
	}
	if r.DossierID.IsZero() {
		v.Add("dossier_id", "required", "")
	}
	switch {
	case len(r.Purposes) == 0:
		v.Add("purposes", "required", "at least one purpose")
	case len(r.Purposes) > MaxPurposes:
		v.Add("purposes", "length", fmt.Sprintf("at most %d", MaxPurposes))
	}
	var seen []policy.Purpose
	for i, p := range r.Purposes {
		f := fmt.Sprintf("purposes/%d", i)
		switch {
		case p.IsZero():
			v.Add(f, "required", "")
		case p == policy.PurposePersonnel:
			v.Add(f, "personnel", "personnel work within the managing org's competence needs no consent")
		case slices.Contains(seen, p):
			v.Add(f, "unique", p.String()+" is listed twice")
		}
		seen = append(seen, p)
	}
	if !r.Scope.Valid() {
		v.Add("scope", "enum", "view or copy")
	}
	r.Recipient = strings.TrimSpace(norm.NFC.String(r.Recipient))
	domain.CheckText(&v, "recipient", r.Recipient, MaxRecipient, false)
	if !r.RecipientOrg.IsZero() && !r.RecipientAccount.IsZero() {
		v.Add("recipient_account", "exclusive", "name the recipient by recipient_org or by recipient_account, not both")
	}
	if r.Form.IsZero() {
		v.Add("form", "required", "the signed consent form: kind, number, date, issuer")
	} else if err := r.Form.Validate("form"); err != nil {
		var fv *domain.ValidationError
		if errors.As(err, &fv) {
			v.Problems = append(v.Problems, fv.Problems...)
		}
	}
	switch {
	case r.ValidFrom.IsZero():
		v.Add("valid_from", "required", "")
	case !r.ValidUntil.IsZero() && r.ValidUntil.Before(r.ValidFrom):
		v.Add("valid_until", "range", "on or after valid_from "+r.ValidFrom.String())
	case !r.ValidUntil.IsZero() && r.ValidUntil.Before(today):
		v.Add("valid_until", "range", "already past: on or after "+today.String())
	}
	return r, v.Err()
}

// Withdraw decides the withdrawal of consent id: ErrNotFound when no such
// consent was recorded, ErrConflict when it was already withdrawn.
func (cs *Consents) Withdraw(id uuid.UUID, dossier domain.DossierID, bySubject bool) (Withdrawn, error) {
	for _, c := range cs.list {
		if c.ConsentID != id {
			continue
		}
		if c.Withdrawn {
			return Withdrawn{}, fmt.Errorf("consent %s already withdrawn: %w", id, domain.ErrConflict)
		}
		return Withdrawn{ConsentID: id, DossierID: dossier, BySubject: bySubject}, nil
	}
	return Withdrawn{}, fmt.Errorf("consent %s: %w", id, domain.ErrNotFound)
}
