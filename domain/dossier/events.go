package dossier

import (
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// Stored event names. A name never changes meaning: fields are only ever
// added to a payload (old readers ignore them, new readers see them zero in
// old events); a change that would need renaming or reinterpreting a field is
// a new version (".v2") plus an upcaster from the old one (see Decode).
const (
	TypeCreated                  = "dossier.created.v1"
	TypeSectionUpdated           = "dossier.section_updated.v1"
	TypeRowAdded                 = "dossier.row_added.v1"
	TypeRowAmended               = "dossier.row_amended.v1"
	TypeDocumentAttached         = "dossier.document_attached.v1"
	TypeCorrected                = "dossier.corrected.v1"
	TypeTransferInitiated        = "dossier.transfer_initiated.v1"
	TypeTransferReceived         = "dossier.transfer_received.v1"
	TypeTransferRejected         = "dossier.transfer_rejected.v1"
	TypeTransferCancelled        = "dossier.transfer_cancelled.v1"
	TypeStatusChanged            = "dossier.status_changed.v1"
	TypeProposalSubmitted        = "dossier.proposal_submitted.v1"
	TypeProposalAccepted         = "dossier.proposal_accepted.v1"
	TypeProposalRejected         = "dossier.proposal_rejected.v1"
	TypeCivilServantNumberIssued = "dossier.civil_servant_number_issued.v1"
	TypeManagingOrgChanged       = "dossier.managing_org_changed.v1"
	TypeReactivated              = "dossier.reactivated.v1"
	TypeTransferRequested        = "dossier.transfer_requested.v1"
)

// Created opens a dossier. Stored as "dossier.created.v1"; fields are only
// added. It is always the first event of a dossier stream.
type Created struct {
	DossierID        domain.DossierID `json:"dossier_id"`
	Class            Class            `json:"class"`
	ManagingOrg      domain.OrgID     `json:"managing_org"`
	EmployingUnit    domain.OrgID     `json:"employing_unit"`
	PersonalIDNumber string           `json:"personal_id_number"`
	Identity         Identity         `json:"identity"`
	// ArrivedFromOutsideProvince marks a person received from an org
	// outside the province (or from a central vertical agency, the Party or
	// a mass organisation) whose dossier this ledger never held: the
	// receiving org then owes the request for the national-database sync
	// (TG 10.1a). Absent in earlier events: false.
	ArrivedFromOutsideProvince bool `json:"arrived_from_outside_province,omitempty"`
	// LabourContract is a labour-contract worker's contract given at
	// creation (TG 5.1b). Absent in earlier events and for other classes.
	LabourContract *LabourContract `json:"labour_contract,omitempty"`
}

// SectionUpdated replaces whole sections (never rows). Stored as
// "dossier.section_updated.v1"; fields are only added.
type SectionUpdated struct {
	Patch Patch `json:"patch"`
}

// RowAdded appends a row to a table. Stored as "dossier.row_added.v1";
// fields are only added.
type RowAdded struct {
	Row Row `json:"row"`
}

// RowAmended replaces the row with the same id. Stored as
// "dossier.row_amended.v1"; fields are only added.
type RowAmended struct {
	Row Row `json:"row"`
}

// DocumentAttached attaches a document whose scan lives in content-addressed
// storage under its SHA-256. Stored as "dossier.document_attached.v1";
// fields are only added.
type DocumentAttached struct {
	Attachment Attachment `json:"attachment"`
}

// Corrected fixes an earlier event of the same dossier (hiệu chỉnh). The
// corrected event stays in history; replay folds the patch in right after it
// (see Replay). Reactivate, set only when correcting the event that archived
// the dossier, returns it to active service. The mandatory reason is in the
// envelope (domain.Meta.Reason). Stored as "dossier.corrected.v1"; fields are
// only added.
type Corrected struct {
	Corrects   uuid.UUID `json:"corrects"`
	Patch      Patch     `json:"patch"`
	Reactivate bool      `json:"reactivate,omitempty"`
}

// TransferInitiated opens a transfer on its decision (in the envelope's
// source document). TargetOrg is zero for out_of_province; for internal it
// is the unit of the managing org the person moves to. Stored as
// "dossier.transfer_initiated.v1"; fields are only added.
type TransferInitiated struct {
	TransferID uuid.UUID    `json:"transfer_id"`
	Kind       TransferKind `json:"kind"`
	FromOrg    domain.OrgID `json:"from_org"`
	FromUnit   domain.OrgID `json:"from_unit"`
	TargetOrg  domain.OrgID `json:"target_org,omitzero"`
	TargetUnit domain.OrgID `json:"target_unit,omitzero"`
}

// TransferRequested records a receiving org's written request for the
// dossier (HU 10.2, BT 10): the old org's sending deadline counts from it,
// and where the policy says transfers between orgs start only on such a
// request (transfer_on_request) it is what lets the managing org send. The
// request document is in the envelope. Stored as
// "dossier.transfer_requested.v1"; fields are only added.
type TransferRequested struct {
	RequestID     uuid.UUID    `json:"request_id"`
	RequestingOrg domain.OrgID `json:"requesting_org"`
}

// TransferReceived completes a transfer. It states the resulting managing
// org and employing unit so replay needs nothing else; for out_of_province
// (the sending org records the hand-over) ManagingOrg is zero, management is
// revoked and the dossier archived as transferred_out. Stored as
// "dossier.transfer_received.v1"; fields are only added.
type TransferReceived struct {
	TransferID    uuid.UUID    `json:"transfer_id"`
	Kind          TransferKind `json:"kind"`
	ManagingOrg   domain.OrgID `json:"managing_org,omitzero"`
	EmployingUnit domain.OrgID `json:"employing_unit,omitzero"`
}

// TransferRejected closes a transfer the target refused; the reason is in
// the envelope. Stored as "dossier.transfer_rejected.v1"; fields are only
// added.
type TransferRejected struct {
	TransferID uuid.UUID `json:"transfer_id"`
}

// TransferCancelled closes a transfer the sending org withdrew; the reason is
// in the envelope. Stored as "dossier.transfer_cancelled.v1"; fields are only
// added.
type TransferCancelled struct {
	TransferID uuid.UUID `json:"transfer_id"`
}

// StatusChanged takes the dossier out of active service into the permanent
// archive. transferred_out also revokes management. Stored as
// "dossier.status_changed.v1"; fields are only added.
type StatusChanged struct {
	Status Status `json:"status"`
}

// ProposalKind is what a person's proposal is.
type ProposalKind string

// Proposal kinds.
const (
	// ProposalChange is a self-declared change to the person's own dossier.
	ProposalChange ProposalKind = "change"
	// ProposalAnnualSupplement is the yearly CV supplement (Bình Tân 9.2b,
	// Huế 9.2a); its patch may be empty ("nothing changed this year").
	ProposalAnnualSupplement ProposalKind = "annual_supplement"
)

// ProposalSubmitted records what the person declared. Stored as
// "dossier.proposal_submitted.v1"; fields are only added.
type ProposalSubmitted struct {
	ProposalID uuid.UUID    `json:"proposal_id"`
	Kind       ProposalKind `json:"kind"`
	Year       int          `json:"year,omitempty"`
	Patch      Patch        `json:"patch"`
}

// ProposalAccepted applies the patch HR approved, which may differ from the
// one submitted (HR edits to "correct, complete, clean"); Edited says so.
// Stored as "dossier.proposal_accepted.v1"; fields are only added.
type ProposalAccepted struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	Patch      Patch     `json:"patch"`
	Edited     bool      `json:"edited,omitempty"`
}

// ProposalRejected closes a proposal; the reason is in the envelope. Stored
// as "dossier.proposal_rejected.v1"; fields are only added.
type ProposalRejected struct {
	ProposalID uuid.UUID `json:"proposal_id"`
}

// CivilServantNumberIssued records the civil-servant number, issued once the
// dossier exists (Huế 9.2a). Stored as
// "dossier.civil_servant_number_issued.v1"; fields are only added.
type CivilServantNumberIssued struct {
	Number string `json:"number"`
}

// Cause points at the org event that forced a managing-org change.
type Cause struct {
	Kind    string       `json:"kind"` // "merge", "split", "dissolution"
	OrgID   domain.OrgID `json:"org_id"`
	EventID uuid.UUID    `json:"event_id"`
}

// ManagingOrgChanged moves management because orgs were merged, split or
// dissolved; the org-merge process raises it for every dossier concerned.
// Stored as "dossier.managing_org_changed.v1"; fields are only added.
type ManagingOrgChanged struct {
	FromOrg       domain.OrgID `json:"from_org"`
	ToOrg         domain.OrgID `json:"to_org"`
	EmployingUnit domain.OrgID `json:"employing_unit"`
	Cause         Cause        `json:"cause"`
}

// Reactivated returns an archived dossier to active service on a decision
// (TG 10.1: a person returning from another province, or re-employed after
// leaving), under the receiving org: the same dossier, its whole history
// kept. The decision is the envelope's source document and the effective
// date the envelope's. Departure is the event that archived the dossier
// (a status change or the receipt of a transfer out of the province);
// FromStatus the status it left. Stored as "dossier.reactivated.v1";
// fields are only added.
type Reactivated struct {
	ManagingOrg   domain.OrgID `json:"managing_org"`
	EmployingUnit domain.OrgID `json:"employing_unit"`
	Departure     uuid.UUID    `json:"departure"`
	FromStatus    Status       `json:"from_status"`
}

// EventType returns TypeCreated.
func (Created) EventType() string { return TypeCreated }

// EventType returns TypeSectionUpdated.
func (SectionUpdated) EventType() string { return TypeSectionUpdated }

// EventType returns TypeRowAdded.
func (RowAdded) EventType() string { return TypeRowAdded }

// EventType returns TypeRowAmended.
func (RowAmended) EventType() string { return TypeRowAmended }

// EventType returns TypeDocumentAttached.
func (DocumentAttached) EventType() string { return TypeDocumentAttached }

// EventType returns TypeCorrected.
func (Corrected) EventType() string { return TypeCorrected }

// EventType returns TypeTransferInitiated.
func (TransferInitiated) EventType() string { return TypeTransferInitiated }

// EventType returns TypeTransferReceived.
func (TransferReceived) EventType() string { return TypeTransferReceived }

// EventType returns TypeTransferRejected.
func (TransferRejected) EventType() string { return TypeTransferRejected }

// EventType returns TypeTransferCancelled.
func (TransferCancelled) EventType() string { return TypeTransferCancelled }

// EventType returns TypeStatusChanged.
func (StatusChanged) EventType() string { return TypeStatusChanged }

// EventType returns TypeProposalSubmitted.
func (ProposalSubmitted) EventType() string { return TypeProposalSubmitted }

// EventType returns TypeProposalAccepted.
func (ProposalAccepted) EventType() string { return TypeProposalAccepted }

// EventType returns TypeProposalRejected.
func (ProposalRejected) EventType() string { return TypeProposalRejected }

// EventType returns TypeCivilServantNumberIssued.
func (CivilServantNumberIssued) EventType() string { return TypeCivilServantNumberIssued }

// EventType returns TypeManagingOrgChanged.
func (ManagingOrgChanged) EventType() string { return TypeManagingOrgChanged }

// EventType returns TypeReactivated.
func (Reactivated) EventType() string { return TypeReactivated }

// EventType returns TypeTransferRequested.
func (TransferRequested) EventType() string { return TypeTransferRequested }
