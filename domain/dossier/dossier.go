package dossier

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// Dossier is one person's dossier as folded from its history. Its state is
// unexported and its zero value is not a dossier: Replay (or one of its
// time-travel variants) is the only way to get one. Commands never mutate
// it; they return the events to append.
type Dossier struct {
	id      domain.DossierID
	version uint64
	doc     Document

	pending *Transfer
	// revokedOrg is the org whose management a transfer out of the province
	// revoked, so that reactivating by correction can restore it.
	revokedOrg domain.OrgID
	// archivedBy is the event that archived the dossier: the only event a
	// reactivating correction may correct.
	archivedBy uuid.UUID

	events      map[uuid.UUID]eventInfo
	proposals   map[uuid.UUID]*Proposal // every proposal ever submitted
	supplements map[int]bool            // years with an accepted annual supplement
	causes      map[uuid.UUID]bool      // org events already applied by ReassignManagingOrg
	transfers   map[uuid.UUID]bool      // transfer ids ever used
	// requests are the receiving orgs' written requests not yet answered
	// by a transfer to them (HU 10.2, BT 10), by requesting org.
	requests map[domain.OrgID]uuid.UUID
}

type eventInfo struct {
	eventType string
	effective domain.Date
}

// Transfer is a pending transfer.
type Transfer struct {
	ID         uuid.UUID    `json:"id"`
	Kind       TransferKind `json:"kind"`
	FromOrg    domain.OrgID `json:"from_org"`
	FromUnit   domain.OrgID `json:"from_unit"`
	TargetOrg  domain.OrgID `json:"target_org,omitzero"`
	TargetUnit domain.OrgID `json:"target_unit,omitzero"`
	// InitiatedOn is the effective date of the decision, from which the
	// jurisdiction's receiving deadline counts.
	InitiatedOn domain.Date `json:"initiated_on"`
}

// ProposalState is where a proposal stands.
type ProposalState string

// Proposal states.
const (
	ProposalStatePending  ProposalState = "pending"
	ProposalStateAccepted ProposalState = "accepted"
	ProposalStateRejected ProposalState = "rejected"
)

// Proposal is a person's proposed change and its outcome.
type Proposal struct {
	ID          uuid.UUID        `json:"id"`
	Kind        ProposalKind     `json:"kind"`
	Year        int              `json:"year,omitempty"`
	Patch       Patch            `json:"patch"`
	State       ProposalState    `json:"state"`
	SubmittedBy domain.AccountID `json:"submitted_by"`
	SubmittedOn domain.Date      `json:"submitted_on"`
}

// ID is the dossier's id.
func (d *Dossier) ID() domain.DossierID { return d.id }

// Version is the stream version of the last event folded in: the expected
// version for the next append.
func (d *Dossier) Version() uint64 { return d.version }

// Class is the person's legal class.
func (d *Dossier) Class() Class { return d.doc.Header.Class }

// Status is active or the reason the dossier was archived.
func (d *Dossier) Status() Status { return d.doc.Header.Status }

// Archived reports whether the dossier left active service (permanent archive).
func (d *Dossier) Archived() bool { return d.doc.Header.Archived }

// ManagingOrg is the org that manages the dossier; ok is false once
// management was revoked by a transfer out of the province.
func (d *Dossier) ManagingOrg() (org domain.OrgID, ok bool) {
	if d.doc.Header.ManagingOrg == nil {
		return domain.OrgID{}, false
	}
	return *d.doc.Header.ManagingOrg, true
}

// ManagementRevoked reports whether the old org's management was revoked by
// a transfer out of the province.
func (d *Dossier) ManagementRevoked() bool { return d.doc.Header.ManagementRevoked }

// EmployingUnit is the unit the person works in.
func (d *Dossier) EmployingUnit() domain.OrgID { return d.doc.Header.EmployingUnit }

// PersonalIDNumber is the 12-digit personal ID number (số định danh cá
// nhân). It is personal data: never log it.
func (d *Dossier) PersonalIDNumber() string { return d.doc.Header.PersonalIDNumber }

// PersonalIDDigest is the hex SHA-256 of the personal ID number, a key for
// the one-dossier-per-person index (Decree 27/2026) that does not spell the
// number out. Twelve digits are enumerable, so it hides the number from a
// casual reader only: an index that must keep it secret uses a keyed MAC.
func (d *Dossier) PersonalIDDigest() string { return PersonalIDDigest(d.doc.Header.PersonalIDNumber) }

// PersonalIDDigest is the digest Dossier.PersonalIDDigest reports, for
// looking a number up.
func PersonalIDDigest(number string) string {
	sum := sha256.Sum256([]byte("hoso/personal-id/v1:" + number))
	return hex.EncodeToString(sum[:])
}

// CivilServantNumber is the issued number, or "" before issue.
func (d *Dossier) CivilServantNumber() string { return d.doc.Header.CivilServantNumber }

// PendingTransfer is the open transfer, if any.
func (d *Dossier) PendingTransfer() (Transfer, bool) {
	if d.pending == nil {
		return Transfer{}, false
	}
	return *d.pending, true
}

// Document is a copy of the current content; editing it changes nothing.
func (d *Dossier) Document() Document { return d.doc.clone() }

// Proposals lists every proposal, pending first, then by id (UUIDv7 ids
// sort by submission time).
func (d *Dossier) Proposals() []Proposal {
	out := make([]Proposal, 0, len(d.proposals))
	for _, p := range d.proposals {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Proposal) int {
		if (a.State == ProposalStatePending) != (b.State == ProposalStatePending) {
			if a.State == ProposalStatePending {
				return -1
			}
			return 1
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	return out
}

// Proposal returns one proposal by id.
func (d *Dossier) Proposal(id uuid.UUID) (Proposal, bool) {
	p, ok := d.proposals[id]
	if !ok {
		return Proposal{}, false
	}
	return *p, true
}

// HasEvent reports whether the event id belongs to this dossier's history
// as folded (a correction may only point at one of them).
func (d *Dossier) HasEvent(id uuid.UUID) bool { _, ok := d.events[id]; return ok }

// Replay folds a dossier's whole history, as stored (in stream order), into
// its current state. It returns an error wrapping domain.ErrNotFound for an
// empty history and domain.ErrInvalid for one that cannot be a dossier's
// (not starting with dossier.created.v1, versions not increasing, a
// correction pointing at no earlier event).
//
// Corrections are folded right after the event they correct, not at their
// own position: a correction restates what the corrected event should have
// said, so events recorded after the corrected one still win where they
// changed the same section. Folding it at its own position would let a fix
// of a 2023 salary decision overwrite the 2025 salary.
func Replay(history []domain.Recorded) (*Dossier, error) {
	return fold(history, func(domain.Recorded) bool { return true })
}

// ReplayKnownAt is the dossier as the ledger knew it at instant t: only
// events recorded at or before t (corrections included only once recorded).
func ReplayKnownAt(history []domain.Recorded, t time.Time) (*Dossier, error) {
	return fold(history, func(r domain.Recorded) bool { return !r.Meta.RecordedAt.After(t) })
}

// ReplayEffectiveOn is the dossier as in effect on date d according to
// everything recorded: events whose effective date is on or before d, in
// recorded order. A correction counts on the effective axis as of the
// effective date of the event it corrects (its own effective date is when
// the correction was made, which says nothing about when the corrected fact
// held), so a correction of a 2023 decision changes the 2023 picture.
func ReplayEffectiveOn(history []domain.Recorded, d domain.Date) (*Dossier, error) {
	return fold(history, func(r domain.Recorded) bool { return !r.Meta.EffectiveDate.After(d) })
}

// ReplayAt combines both axes: what was known at instant t about date d
// ("what did the ledger say on 5 May 2025 about 1 March 2024?").
func ReplayAt(history []domain.Recorded, t time.Time, d domain.Date) (*Dossier, error) {
	return fold(history, func(r domain.Recorded) bool {
		return !r.Meta.RecordedAt.After(t) && !r.Meta.EffectiveDate.After(d)
	})
}

// Next is the document after r, the event that follows doc's version, for
// events whose effect on the document depends on the document alone: all
// but the creation and corrections (a correction is folded after the event
// it corrects, so its effect depends on the history), for which ok is
// false. It is Replay's fold of one more event without the history, for a
// reader that keeps only the current document (the audit trail's field
// diffs). The result shares unchanged sections with doc: the fold never
// writes into memory an earlier state may share.
func Next(doc Document, r domain.Recorded) (next Document, ok bool) {
	switch r.Event.(type) {
	case Created, Corrected:
		return Document{}, false
	}
	d := &Dossier{doc: doc}
	d.apply(r, r.Meta.EffectiveDate)
	return d.doc, true
}

// Fold folds r, an event decided on d that follows d's version, into d in
// place, as Replay of d's history followed by r would: for a writer that
// decides several commands in a row on one dossier (an import's rows)
// without replaying the whole history after each. The creation and
// corrections, whose fold depends on the history, are refused, as is a
// version not after d's; d is then unchanged.
func (d *Dossier) Fold(r domain.Recorded) error {
	switch r.Event.(type) {
	case nil:
		return fmt.Errorf("dossier %s: no event to fold at version %d: %w", d.id, r.Version, domain.ErrInvalid)
	case Created, Corrected:
		return fmt.Errorf("dossier %s: %s is folded by Replay only: %w", d.id, r.Event.EventType(), domain.ErrInvalid)
	}
	if r.Version <= d.version {
		return fmt.Errorf("dossier %s: version %d after %d: %w", d.id, r.Version, d.version, domain.ErrInvalid)
	}
	d.apply(r, r.Meta.EffectiveDate)
	d.version = r.Version
	return nil
}

// fold replays history, keeping the events keep accepts. A correction is
// never folded at its own position: it is folded right after its target,
// when the target was kept and keep accepts the correction with the
// target's effective date in place of its own (so the recorded axis filters
// it by its own recorded_at, the effective axis by its target's date).
func fold(history []domain.Recorded, keep func(domain.Recorded) bool) (*Dossier, error) {
	if len(history) == 0 {
		return nil, fmt.Errorf("dossier: empty history: %w", domain.ErrNotFound)
	}
	created, ok := history[0].Event.(Created)
	if !ok {
		return nil, fmt.Errorf("dossier: history starts with %s, not %s: %w", history[0].Event.EventType(), TypeCreated, domain.ErrInvalid)
	}
	// First pass: check the stream and index corrections by their target.
	corrections := map[uuid.UUID][]int{}
	seen := map[uuid.UUID]int{}
	for i, r := range history {
		if i > 0 && r.Version <= history[i-1].Version {
			return nil, fmt.Errorf("dossier %s: version %d after %d: %w", created.DossierID, r.Version, history[i-1].Version, domain.ErrInvalid)
		}
		if i > 0 {
			if _, again := r.Event.(Created); again {
				return nil, fmt.Errorf("dossier %s: second %s at version %d: %w", created.DossierID, TypeCreated, r.Version, domain.ErrInvalid)
			}
		}
		if c, ok := r.Event.(Corrected); ok {
			if _, earlier := seen[c.Corrects]; !earlier {
				return nil, fmt.Errorf("dossier %s: correction at version %d points at no earlier event: %w", created.DossierID, r.Version, domain.ErrInvalid)
			}
			corrections[c.Corrects] = append(corrections[c.Corrects], i)
		}
		seen[r.ID] = i
	}
	root := history[0]
	if !keep(root) {
		return nil, fmt.Errorf("dossier %s: did not exist at that time: %w", created.DossierID, domain.ErrNotFound)
	}
	d := &Dossier{}
	var visit func(i int, effective domain.Date)
	visit = func(i int, effective domain.Date) {
		r := history[i]
		d.apply(r, effective)
		d.version = max(d.version, r.Version)
		for _, j := range corrections[r.ID] {
			c := history[j]
			probe := c
			probe.Meta.EffectiveDate = effective
			if keep(probe) {
				visit(j, effective)
			}
		}
	}
	for i, r := range history {
		if _, isCorrection := r.Event.(Corrected); isCorrection || !keep(r) {
			continue
		}
		visit(i, r.Meta.EffectiveDate)
	}
	return d, nil
}

// apply folds one event in. It never fails: history is fact, and every
// payload was validated when it was decided. effective is the date the event
// counts from (for a correction, its target's).
func (d *Dossier) apply(r domain.Recorded, effective domain.Date) {
	if d.events == nil {
		d.events = map[uuid.UUID]eventInfo{}
		d.proposals = map[uuid.UUID]*Proposal{}
		d.supplements = map[int]bool{}
		d.causes = map[uuid.UUID]bool{}
		d.transfers = map[uuid.UUID]bool{}
		d.requests = map[domain.OrgID]uuid.UUID{}
	}
	d.events[r.ID] = eventInfo{eventType: r.Event.EventType(), effective: effective}
	h := &d.doc.Header
	switch e := r.Event.(type) {
	case Created:
		d.id = e.DossierID
		org := e.ManagingOrg
		d.doc = Document{
			Schema: DocumentSchema,
			Header: Header{
				DossierID:        e.DossierID,
				Class:            e.Class,
				Status:           StatusActive,
				ManagingOrg:      &org,
				EmployingUnit:    e.EmployingUnit,
				PersonalIDNumber: e.PersonalIDNumber,
			},
			Identity:      e.Identity,
			Training:      []TrainingRow{},
			WorkHistory:   []WorkHistoryRow{},
			Rewards:       []RewardRow{},
			Discipline:    []DisciplineRow{},
			Evaluations:   []EvaluationRow{},
			Family:        []FamilyRow{},
			SalaryHistory: []SalaryHistoryRow{},
			Attachments:   []Attachment{},
		}
		if e.LabourContract != nil {
			lc := *e.LabourContract
			d.doc.LabourContract = &lc
		}
	case SectionUpdated:
		applyPatch(&d.doc, e.Patch)
	case RowAdded:
		upsertRow(&d.doc, e.Row)
	case RowAmended:
		upsertRow(&d.doc, e.Row)
	case DocumentAttached:
		d.doc.Attachments = append(slices.Clip(d.doc.Attachments), e.Attachment)
	case Corrected:
		applyPatch(&d.doc, e.Patch)
		if e.Reactivate {
			h.Status, h.Archived = StatusActive, false
			if h.ManagementRevoked {
				org := d.revokedOrg
				h.ManagingOrg, h.ManagementRevoked = &org, false
			}
			d.archivedBy = uuid.Nil
		}
	case TransferRequested:
		d.requests[e.RequestingOrg] = e.RequestID
	case TransferInitiated:
		d.transfers[e.TransferID] = true
		// Sending answers the target's request.
		delete(d.requests, e.TargetOrg)
		d.pending = &Transfer{ID: e.TransferID, Kind: e.Kind, FromOrg: e.FromOrg, FromUnit: e.FromUnit,
			TargetOrg: e.TargetOrg, TargetUnit: e.TargetUnit, InitiatedOn: effective}
	case TransferReceived:
		d.pending = nil
		if e.Kind == TransferOutOfProvince {
			d.revoke(r.ID)
			h.Status, h.Archived = StatusTransferredOut, true
			break
		}
		if !e.ManagingOrg.IsZero() {
			org := e.ManagingOrg
			h.ManagingOrg = &org
		}
		if !e.EmployingUnit.IsZero() {
			h.EmployingUnit = e.EmployingUnit
		}
	case TransferRejected, TransferCancelled:
		d.pending = nil
	case StatusChanged:
		h.Status, h.Archived = e.Status, e.Status.Archived()
		d.archivedBy = r.ID
		if e.Status == StatusTransferredOut {
			d.revoke(r.ID)
		}
	case ProposalSubmitted:
		d.proposals[e.ProposalID] = &Proposal{ID: e.ProposalID, Kind: e.Kind, Year: e.Year, Patch: e.Patch,
			State: ProposalStatePending, SubmittedBy: r.Meta.Actor.Account, SubmittedOn: effective}
	case ProposalAccepted:
		applyPatch(&d.doc, e.Patch)
		if p, ok := d.proposals[e.ProposalID]; ok {
			p.State = ProposalStateAccepted
			if p.Kind == ProposalAnnualSupplement {
				d.supplements[p.Year] = true
			}
		}
	case ProposalRejected:
		if p, ok := d.proposals[e.ProposalID]; ok {
			p.State = ProposalStateRejected
		}
	case CivilServantNumberIssued:
		h.CivilServantNumber = e.Number
	case Reactivated:
		org := e.ManagingOrg
		h.Status, h.Archived = StatusActive, false
		h.ManagingOrg, h.ManagementRevoked = &org, false
		h.EmployingUnit = e.EmployingUnit
		d.archivedBy, d.revokedOrg = uuid.Nil, domain.OrgID{}
	case ManagingOrgChanged:
		d.causes[e.Cause.EventID] = true
		org := e.ToOrg
		h.ManagingOrg = &org
		if !e.EmployingUnit.IsZero() {
			h.EmployingUnit = e.EmployingUnit
		}
	}
}

// revoke ends the managing org's management (transfer out of the province).
func (d *Dossier) revoke(by uuid.UUID) {
	h := &d.doc.Header
	if h.ManagingOrg != nil {
		d.revokedOrg = *h.ManagingOrg
	}
	h.ManagingOrg, h.ManagementRevoked = nil, true
	d.archivedBy = by
}
