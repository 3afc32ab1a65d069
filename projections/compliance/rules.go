package compliance

import (
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
)

// Outcome is where an item stands.
type Outcome string

// Outcomes. Only done items are judged on time or late; an item closed by a
// rejection or a cancellation is not a completion of the action.
const (
	OutcomeOpen      Outcome = "open"
	OutcomeDone      Outcome = "done"
	OutcomeCancelled Outcome = "cancelled" // the sending org withdrew the transfer
	OutcomeRejected  Outcome = "rejected"  // the receiving org refused it
	// OutcomeImported: the trigger was recorded as imported history
	// (go-live, issue 14: a 2015 decision entered in 2026). The deadline
	// ran out long before the ledger existed; the item is closed by its
	// own trigger and never judged late, so it is neither overdue nor late.
	OutcomeImported Outcome = "imported"
)

// item is one row of compliance_items as the projection builds it.
type item struct {
	ID          uuid.UUID    `json:"id"` // the triggering event's id
	Dossier     uuid.UUID    `json:"dossier"`
	Org         domain.OrgID `json:"org"`                  // managing org when the trigger happened
	Counterpart domain.OrgID `json:"counterpart,omitzero"` // receiving org of a transfer between orgs
	Action      string       `json:"action"`
	Article     string       `json:"article"`
	Anchor      string       `json:"anchor"` // the rule's anchor kind
	AnchorDate  domain.Date  `json:"anchor_date"`
	Due         domain.Date  `json:"due"`
	Unit        string       `json:"unit"`
	Trigger     string       `json:"trigger"` // event type that opened the item
	TransferID  uuid.UUID    `json:"transfer_id,omitzero"`
	Outcome     Outcome      `json:"outcome"`
	ClosedBy    uuid.UUID    `json:"closed_by,omitzero"`
	ClosedOn    domain.Date  `json:"closed_on,omitzero"` // recorded date (Vietnam) of the closing event
	Late        bool         `json:"late"`
	LateBy      int          `json:"late_by"`     // in the rule's unit
	LateWD      int          `json:"late_wd"`     // in working days, whatever the unit
	Version     uint64       `json:"version"`     // stream version of the trigger
	Recorded    string       `json:"recorded_at"` // RFC 3339 recorded_at of the trigger
}

// anchorDate picks the date a rule counts from. The ledger records two dates
// for each event: the source document's date (the decision's signing date)
// and the effective date (when the fact holds in law). Anchors that name a
// moment the ledger does not record — the day the org held a valid paper
// dossier, the day an account was issued, the day a request or hand-over
// arrived, the day personal data changed — take the effective date, which
// HR sets to the legal date of the fact the event records; that is the
// closest recorded date and never later than the real anchor for events
// entered promptly.
func anchorDate(rule policy.Deadline, m domain.Meta) domain.Date {
	switch rule.Anchor {
	case policy.DecisionDate:
		if !m.Source.Date.IsZero() {
			return m.Source.Date
		}
	case policy.ChangeRecorded:
		return domain.DateOf(m.RecordedAt)
	}
	if m.EffectiveDate.IsZero() {
		return domain.DateOf(m.RecordedAt)
	}
	return m.EffectiveDate
}

// trigger is what an event asks of the deadline rules.
type trigger struct {
	action policy.ActionKind
	// open: the action is not done by this event; a later event (the
	// transfer's receipt) completes it.
	open bool
	// counterpart is the receiving org of a transfer between orgs.
	counterpart domain.OrgID
	transferID  uuid.UUID
	// request: the item is the managing org's duty to answer a receiving
	// org's request, open until it sends to that org.
	request bool
}

// triggers maps one dossier event to the rule it triggers, if any. This is
// the whole mapping but for the start-of-service duties (person_form,
// transfer_in_from_outside: see Projection.duties); see the package
// documentation for the reasons.
//
//	dossier.created.v1                         → create_dossier, done on recording
//	dossier.section_updated.v1 (with source)   → update_after_change, done on recording
//	dossier.row_added.v1 / row_amended.v1
//	  (with source document)                   → update_after_change, done on recording
//	dossier.proposal_accepted.v1 (kind change) → update_after_change, done on recording
//	dossier.transfer_requested.v1              → transfer_between_orgs owed by the managing org,
//	                                             counted from the request, open until it sends
//	                                             to the requesting org (HU 10.2)
//	dossier.transfer_initiated.v1 internal     → transfer_internal, open until received
//	dossier.transfer_initiated.v1 between_orgs → the sender's transfer_between_orgs, done on
//	                                             sending (PT 9.1, TG 10.3, BĐ II.5a); or it
//	                                             closes the open request item of the target;
//	                                             plus the receiver's transfer_forward, owned by
//	                                             the target org, open until received, where
//	                                             the policy has that rule (HU 10.2)
//	dossier.transfer_initiated.v1 out_of_prov. → status_change, open until the hand-over is recorded
//	dossier.transfer_received.v1               → completes the open transfer item
//	dossier.transfer_rejected/cancelled.v1     → closes it without completion
//	dossier.status_changed.v1                  → status_change, done on recording
//
// Not mapped: corrections (they fix an earlier entry, no regulation times
// them), attachments, proposals submitted or rejected, annual supplements,
// the civil-servant number, and managing-org changes from org mergers
// (a process of the DoHA, not a personnel decision with a deadline).
func triggers(ev domain.Event, m domain.Meta, st *dossierState) (trigger, bool) {
	switch e := ev.(type) {
	case dossier.Created:
		return trigger{action: policy.CreateDossier}, true
	case dossier.SectionUpdated, dossier.RowAdded, dossier.RowAmended:
		// A change without its source document is a personal detail (family,
		// work history typed from the CV) that comes with the annual
		// supplement, not a state-side change the deadline is about.
		if m.Source.IsZero() {
			return trigger{}, false
		}
		return trigger{action: policy.UpdateAfterChange}, true
	case dossier.ProposalAccepted:
		if !st.changeProposal(e.ProposalID) {
			return trigger{}, false
		}
		return trigger{action: policy.UpdateAfterChange}, true
	case dossier.TransferInitiated:
		switch e.Kind {
		case dossier.TransferInternal:
			return trigger{action: policy.TransferInternal, open: true, transferID: e.TransferID}, true
		case dossier.TransferBetweenOrgs:
			// The sending org's duty ends when it sends: its item is done
			// by this event. An open request item of the target (HU 10.2)
			// is that duty already, counted from the request; it is closed
			// in fold instead.
			if st.request(e.TargetOrg) != nil {
				return trigger{}, false
			}
			return trigger{action: policy.TransferBetweenOrgs, transferID: e.TransferID, counterpart: e.TargetOrg}, true
		case dossier.TransferOutOfProvince:
			return trigger{action: policy.StatusChange, open: true, transferID: e.TransferID}, true
		}
	case dossier.TransferRequested:
		// HU 10.2: the old org's days count from the new org's request. A
		// repeated request while one is open does not restart the count.
		if st.request(e.RequestingOrg) != nil {
			return trigger{}, false
		}
		return trigger{action: policy.TransferBetweenOrgs, open: true, counterpart: e.RequestingOrg, request: true}, true
	case dossier.StatusChanged:
		return trigger{action: policy.StatusChange}, true
	}
	return trigger{}, false
}
