package dossier

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// CreateDossier is the payload of Create.
type CreateDossier struct {
	DossierID        domain.DossierID
	Class            Class
	ManagingOrg      domain.OrgID
	EmployingUnit    domain.OrgID
	PersonalIDNumber string
	// Identity needs at least birth name, gender and date of birth.
	Identity Identity
	// ArrivedFromOutsideProvince: received from outside the province
	// (TG 10.1a); see Created.
	ArrivedFromOutsideProvince bool
	// LabourContract: a labour-contract worker's contract, given with the
	// creation (optional; only for class nguoi_lao_dong).
	LabourContract *LabourContract
}

// Create decides the opening of a dossier. Keeping one dossier per person
// (Decree 27/2026) needs an index over all dossiers: the caller checks
// PersonalIDDigest before appending with expected version "no stream".
func Create(c CreateDossier, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	if c.DossierID.IsZero() {
		v.Add("dossier_id", "required", "")
	}
	if c.Class.IsZero() {
		v.Add("class", "required", "")
	}
	if c.ManagingOrg.IsZero() {
		v.Add("managing_org", "required", "")
	}
	if c.EmployingUnit.IsZero() {
		v.Add("employing_unit", "required", "")
	}
	id := c.Identity
	normalize(&v, "identity", &id)
	id.BirthNameCaps = caps(id.BirthName)
	checker{v: &v, cat: cat, on: m.EffectiveDate}.identity("identity", id)
	var lc *LabourContract
	if c.LabourContract != nil {
		x := *c.LabourContract
		normalize(&v, "labour_contract", &x)
		if !c.Class.IsZero() {
			checker{v: &v, cat: cat, on: m.EffectiveDate}.labourContract("labour_contract", c.Class, x)
		}
		lc = &x
	}
	checkPersonalID(&v, "personal_id_number", strings.TrimSpace(c.PersonalIDNumber), id)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{Created{
		DossierID:                  c.DossierID,
		Class:                      c.Class,
		ManagingOrg:                c.ManagingOrg,
		EmployingUnit:              c.EmployingUnit,
		PersonalIDNumber:           strings.TrimSpace(c.PersonalIDNumber),
		Identity:                   id,
		ArrivedFromOutsideProvince: c.ArrivedFromOutsideProvince,
		LabourContract:             lc,
	}}, nil
}

func (d *Dossier) stateErr(rule, detail string) error {
	return &domain.StateError{Aggregate: "dossier", ID: d.id.String(), Rule: rule, Detail: detail}
}

func (d *Dossier) notFound(what string, id uuid.UUID) error {
	return fmt.Errorf("dossier %s: %s %s: %w", d.id, what, id, domain.ErrNotFound)
}

// active refuses commands on an archived dossier: it accepts only
// corrections and attachments.
func (d *Dossier) active() error {
	if d.doc.Header.Archived {
		return d.stateErr("archived", "the dossier is in the permanent archive ("+d.doc.Header.Status.String()+"); only corrections and attachments are accepted")
	}
	return nil
}

// cleanPatch normalizes p (a copy) and validates it; path prefixes problems.
func (d *Dossier) cleanPatch(v *domain.ValidationError, path string, p Patch, m domain.Meta, cat Catalogue) Patch {
	p = clonePatch(p)
	normalize(v, path, &p)
	if p.Identity != nil {
		p.Identity.BirthNameCaps = caps(p.Identity.BirthName)
	}
	chk := checker{v: v, cat: cat, on: m.EffectiveDate}
	chk.patch(path, p)
	if p.LabourContract != nil {
		class := d.doc.Header.Class
		if p.Header != nil && !p.Header.Class.IsZero() {
			class = p.Header.Class
		}
		chk.labourContract(path+"/labour_contract", class, *p.LabourContract)
	}
	// The personal ID number encodes gender and birth year: the identity and
	// the number must agree after the patch.
	if p.Identity != nil || p.Header != nil && p.Header.PersonalIDNumber != "" {
		id, number := d.doc.Identity, d.doc.Header.PersonalIDNumber
		field := path + "/identity"
		if p.Identity != nil {
			id = *p.Identity
		}
		if p.Header != nil && p.Header.PersonalIDNumber != "" {
			number, field = p.Header.PersonalIDNumber, path+"/header/personal_id_number"
		}
		checkPersonalID(v, field, number, id)
	}
	return p
}

// clonePatch copies p deeply enough that normalizing it cannot write into
// the caller's values.
func clonePatch(p Patch) Patch {
	if p.Header != nil {
		h := *p.Header
		p.Header = &h
	}
	if p.Identity != nil {
		x := *p.Identity
		p.Identity = &x
	}
	if p.Background != nil {
		x := *p.Background
		p.Background = &x
	}
	if p.Qualifications != nil {
		x := p.Qualifications.clone()
		p.Qualifications = &x
	}
	if p.Position != nil {
		x := *p.Position
		p.Position = &x
	}
	if p.Salary != nil {
		x := p.Salary.clone()
		p.Salary = &x
	}
	if p.Health != nil {
		x := *p.Health
		p.Health = &x
	}
	if p.PersonalHistory != nil {
		x := *p.PersonalHistory
		p.PersonalHistory = &x
	}
	if p.Income != nil {
		x := *p.Income
		p.Income = &x
	}
	if p.PartyUnions != nil {
		x := *p.PartyUnions
		p.PartyUnions = &x
	}
	if p.Insurance != nil {
		x := *p.Insurance
		p.Insurance = &x
	}
	if p.Other != nil {
		x := *p.Other
		p.Other = &x
	}
	if p.LabourContract != nil {
		x := *p.LabourContract
		p.LabourContract = &x
	}
	if p.Rows != nil {
		rows := make([]Row, len(p.Rows))
		for i, r := range p.Rows {
			rows[i] = cloneRow(r)
		}
		p.Rows = rows
	}
	return p
}

func cloneRow(r Row) Row {
	c := Row{Table: r.Table}
	if r.Training != nil {
		x := *r.Training
		c.Training = &x
	}
	if r.WorkHistory != nil {
		x := *r.WorkHistory
		c.WorkHistory = &x
	}
	if r.SalaryHistory != nil {
		x := *r.SalaryHistory
		c.SalaryHistory = &x
	}
	if r.Family != nil {
		x := *r.Family
		c.Family = &x
	}
	if r.Reward != nil {
		x := *r.Reward
		c.Reward = &x
	}
	if r.Discipline != nil {
		x := *r.Discipline
		c.Discipline = &x
	}
	if r.Evaluation != nil {
		x := *r.Evaluation
		c.Evaluation = &x
	}
	return c
}

// UpdateSection replaces one or more whole sections (see Patch). Rows go
// through AddRow and AmendRow. Position, salary, qualifications and a class
// change are state-side and need meta.Source; the personal ID number changes
// only by correction.
func (d *Dossier) UpdateSection(p Patch, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, p.evidenced(), false)
	if len(p.Rows) > 0 {
		v.Add("patch/rows", "use_row_commands", "rows are added and amended one by one")
	}
	if p.sectionCount() == 0 {
		v.Add("patch", "required", "no section to update")
	}
	if h := p.Header; h != nil && h.PersonalIDNumber != "" && strings.TrimSpace(h.PersonalIDNumber) != d.doc.Header.PersonalIDNumber {
		v.Add("patch/header/personal_id_number", "correction_only", "the personal ID number changes only by correction")
	}
	p = d.cleanPatch(&v, "patch", p, m, cat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{SectionUpdated{Patch: p}}, nil
}

// AddRow appends a row with a new caller-given id.
func (d *Dossier) AddRow(r Row, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	r, err := d.checkRow(r, m, cat)
	if err != nil {
		return nil, err
	}
	if hasRow(&d.doc, r.Table, r.ID()) {
		return nil, d.stateErr("duplicate_row", fmt.Sprintf("%s row %s exists; amend it", r.Table, r.ID()))
	}
	return []domain.Event{RowAdded{Row: r}}, nil
}

// AmendRow replaces an existing row (same table, same id).
func (d *Dossier) AmendRow(r Row, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	r, err := d.checkRow(r, m, cat)
	if err != nil {
		return nil, err
	}
	if !hasRow(&d.doc, r.Table, r.ID()) {
		return nil, d.notFound(string(r.Table)+" row", r.ID())
	}
	return []domain.Event{RowAmended{Row: r}}, nil
}

func (d *Dossier) checkRow(r Row, m domain.Meta, cat Catalogue) (Row, error) {
	if err := d.active(); err != nil {
		return Row{}, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, r.Table.evidenced(), false)
	r = cloneRow(r)
	normalize(&v, "row", &r)
	checker{v: &v, cat: cat, on: m.EffectiveDate}.row("row", r)
	return r, v.Err()
}

// AttachDocument attaches a document by the SHA-256 of its scan (required:
// the bytes live in content-addressed storage). Archived dossiers accept
// attachments. The same scan is attached once.
func (d *Dossier) AttachDocument(a Attachment, m domain.Meta) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	normalize(&v, "attachment", &a)
	merge(&v, a.Document.Validate("attachment/document"))
	if a.Document.SHA256 == "" {
		v.Add("attachment/document/sha256", "required", "the scan's SHA-256")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for _, x := range d.doc.Attachments {
		if x.Document.SHA256 == a.Document.SHA256 {
			return nil, d.stateErr("duplicate_attachment", "this scan is already attached")
		}
	}
	return []domain.Event{DocumentAttached{Attachment: a}}, nil
}

// Correction is the payload of Correct.
type Correction struct {
	// Corrects is the id of an earlier event of this dossier.
	Corrects uuid.UUID
	// Patch states the corrected sections and rows as they should have read.
	Patch Patch
	// Reactivate returns an archived dossier to active service; Corrects must
	// then be the event that archived it.
	Reactivate bool
}

// Correct decides a correction (hiệu chỉnh): the only way to change an
// archived dossier's data and the only way to reactivate it. meta.Reason is
// mandatory. The corrected event stays in history; see Replay for how the
// correction is folded.
func (d *Dossier) Correct(c Correction, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	if c.Reactivate && !d.doc.Header.Archived {
		return nil, d.stateErr("not_archived", "only an archived dossier can be reactivated")
	}
	var v domain.ValidationError
	checkMeta(&v, m, false, true)
	if c.Corrects == uuid.Nil {
		v.Add("corrects", "required", "")
	} else if !d.HasEvent(c.Corrects) {
		v.Add("corrects", "unknown_event", "not an event of this dossier")
	}
	if c.Patch.IsEmpty() && !c.Reactivate {
		v.Add("patch", "required", "nothing to correct")
	}
	if c.Reactivate && c.Corrects != d.archivedBy && d.HasEvent(c.Corrects) {
		v.Add("corrects", "not_archiving_event", "reactivation corrects the event that archived the dossier")
	}
	p := d.cleanPatch(&v, "patch", c.Patch, m, cat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{Corrected{Corrects: c.Corrects, Patch: p, Reactivate: c.Reactivate}}, nil
}

// TransferOrder is the payload of InitiateTransfer.
type TransferOrder struct {
	TransferID uuid.UUID
	Kind       TransferKind
	// TargetOrg is the receiving unit of the managing org (internal) or the
	// receiving org (between_orgs); zero for out_of_province.
	TargetOrg domain.OrgID
	// TargetUnit optionally names the employing unit inside the receiving
	// org (between_orgs); it defaults to TargetOrg.
	TargetUnit domain.OrgID
	// TargetAncestry is TargetOrg's chain up to its root on the effective
	// date, TargetOrg itself included, as the caller's org tree knows it.
	// An internal transfer needs the managing org in it: a unit outside
	// the managing org's subtree is another org, which must receive the
	// dossier itself through a between_orgs transfer (Tiền Giang art.
	// 10.2–10.3).
	TargetAncestry []domain.OrgID
	// RequireRequest: the jurisdiction moves a dossier between orgs only on
	// the receiving org's written request (BT 10, policy
	// transfer_on_request); a between_orgs transfer then needs a recorded
	// TransferRequested from TargetOrg.
	RequireRequest bool
}

// RuleTransferRequestRequired is the StateError rule of a transfer between
// orgs refused because the receiving org has not lodged its written request
// and the policy requires one (BT 10).
const RuleTransferRequestRequired = "transfer_request_required"

// TransferRequest is the payload of RequestTransfer.
type TransferRequest struct {
	RequestID     uuid.UUID
	RequestingOrg domain.OrgID
}

// RequestTransfer records a receiving org's written request for the dossier
// (HU 10.2, BT 10), on its request document (meta.Source), by that org
// (meta.Actor.ActingOrg). The managing org cannot request its own dossier;
// an archived dossier cannot be requested (it is reactivated, TG 10.1).
// A repeated request by the same org replaces the earlier one.
func (d *Dossier) RequestTransfer(r TransferRequest, m domain.Meta) ([]domain.Event, error) {
	if err := ValidateTransferRequest(r, m); err != nil {
		return nil, err
	}
	if err := d.active(); err != nil {
		return nil, err
	}
	if managing, _ := d.ManagingOrg(); r.RequestingOrg == managing {
		return nil, d.stateErr("same_org", "the requesting org already manages the dossier")
	}
	if m.Actor.ActingOrg != r.RequestingOrg {
		return nil, d.stateErr("wrong_org", "only the requesting org lodges its request")
	}
	return []domain.Event{TransferRequested(r)}, nil
}

// ValidateTransferRequest checks a request's own fields and envelope,
// without the dossier: what the requesting org may be told before the
// dossier is looked up (it cannot read it).
func ValidateTransferRequest(r TransferRequest, m domain.Meta) error {
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	if r.RequestID == uuid.Nil {
		v.Add("request_id", "required", "")
	}
	if r.RequestingOrg.IsZero() {
		v.Add("requesting_org", "required", "the org asking for the dossier")
	}
	return v.Err()
}

// TransferRequestedBy reports the open written request of org for the
// dossier, if any (one not yet answered by a transfer to org).
func (d *Dossier) TransferRequestedBy(org domain.OrgID) (uuid.UUID, bool) {
	id, ok := d.requests[org]
	return id, ok
}

// InitiateTransfer opens a transfer on its decision (meta.Source), by the
// managing org (meta.Actor.ActingOrg). A dossier with a pending transfer
// cannot be transferred again.
func (d *Dossier) InitiateTransfer(o TransferOrder, m domain.Meta) ([]domain.Event, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	if d.pending != nil {
		return nil, d.stateErr("transfer_pending", "transfer "+d.pending.ID.String()+" is pending")
	}
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	managing, _ := d.ManagingOrg()
	if o.TransferID == uuid.Nil {
		v.Add("transfer_id", "required", "")
	}
	switch o.Kind {
	case TransferInternal:
		if o.TargetOrg.IsZero() {
			v.Add("target_org", "required", "the receiving unit")
		} else if o.TargetOrg == d.doc.Header.EmployingUnit {
			v.Add("target_org", "same_unit", "the person already works there")
		} else if !slices.Contains(o.TargetAncestry, managing) {
			v.Add("target_org", "outside_org", "an internal transfer stays inside the managing org; another org receives through a between_orgs transfer")
		}
		if !o.TargetUnit.IsZero() {
			v.Add("target_unit", "not_allowed", "internal transfers name the unit as target_org")
		}
	case TransferBetweenOrgs:
		if o.TargetOrg.IsZero() {
			v.Add("target_org", "required", "the receiving org")
		} else if o.TargetOrg == managing {
			v.Add("target_org", "same_org", "use an internal transfer")
		}
	case TransferOutOfProvince:
		if !o.TargetOrg.IsZero() {
			v.Add("target_org", "not_allowed", "the receiving org is outside the ledger")
		}
		if !o.TargetUnit.IsZero() {
			v.Add("target_unit", "not_allowed", "the receiving org is outside the ledger")
		}
	default:
		v.Add("kind", "required", "internal, between_orgs or out_of_province")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if d.transfers[o.TransferID] {
		return nil, d.stateErr("duplicate_transfer", "transfer id already used")
	}
	if m.Actor.ActingOrg != managing {
		return nil, d.stateErr("wrong_org", "only the managing org sends a transfer")
	}
	if o.Kind == TransferBetweenOrgs && o.RequireRequest {
		if _, ok := d.requests[o.TargetOrg]; !ok {
			return nil, d.stateErr(RuleTransferRequestRequired,
				"the receiving org has not lodged its written request for this dossier (BT 10: transfers between orgs start on the receiving org's request)")
		}
	}
	return []domain.Event{TransferInitiated{
		TransferID: o.TransferID, Kind: o.Kind,
		FromOrg: managing, FromUnit: d.doc.Header.EmployingUnit,
		TargetOrg: o.TargetOrg, TargetUnit: o.TargetUnit,
	}}, nil
}

// pendingTransfer returns the open transfer with id, or a StateError.
func (d *Dossier) pendingTransfer(id uuid.UUID) (*Transfer, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	if d.pending == nil {
		return nil, d.stateErr("no_transfer", "no transfer is pending")
	}
	if d.pending.ID != id {
		return nil, d.stateErr("no_transfer", "transfer "+id.String()+" is not the pending one")
	}
	return d.pending, nil
}

// receiver reports whether org may receive or reject t: the target org
// (the managing org's HR receives an internal transfer as the target unit's
// superior, acting for it); for transfers out of the province the sending
// org, which records the other province's answer. The sender never
// receives for a target it does not cover: receiving is the receiving
// org's consent.
func (d *Dossier) receiver(t *Transfer, org domain.OrgID) bool {
	managing, _ := d.ManagingOrg()
	switch t.Kind {
	case TransferInternal, TransferBetweenOrgs:
		return org == t.TargetOrg
	default:
		return org == managing || org == t.FromOrg
	}
}

// ReceiveTransfer completes the pending transfer, by the target org, on its
// receiving decision (meta.Source). Completing a transfer out of the
// province revokes the managing org's management and archives the dossier
// as transferred_out.
func (d *Dossier) ReceiveTransfer(transferID uuid.UUID, m domain.Meta) ([]domain.Event, error) {
	t, err := d.pendingTransfer(transferID)
	if err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !d.receiver(t, m.Actor.ActingOrg) {
		return nil, d.stateErr("wrong_org", "only the target org receives the transfer")
	}
	ev := TransferReceived{TransferID: t.ID, Kind: t.Kind}
	switch t.Kind {
	case TransferInternal:
		ev.ManagingOrg, _ = d.ManagingOrg()
		ev.EmployingUnit = t.TargetOrg
	case TransferBetweenOrgs:
		ev.ManagingOrg, ev.EmployingUnit = t.TargetOrg, t.TargetUnit
		if ev.EmployingUnit.IsZero() {
			ev.EmployingUnit = t.TargetOrg
		}
	}
	return []domain.Event{ev}, nil
}

// RejectTransfer closes the pending transfer on the target org's refusal;
// meta.Reason is mandatory.
func (d *Dossier) RejectTransfer(transferID uuid.UUID, m domain.Meta) ([]domain.Event, error) {
	t, err := d.pendingTransfer(transferID)
	if err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, false, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !d.receiver(t, m.Actor.ActingOrg) {
		return nil, d.stateErr("wrong_org", "only the target org rejects the transfer")
	}
	return []domain.Event{TransferRejected{TransferID: t.ID}}, nil
}

// CancelTransfer withdraws the pending transfer, by the sending (or, after
// an org merger, the current managing) org; meta.Reason is mandatory.
func (d *Dossier) CancelTransfer(transferID uuid.UUID, m domain.Meta) ([]domain.Event, error) {
	t, err := d.pendingTransfer(transferID)
	if err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, false, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	managing, _ := d.ManagingOrg()
	if m.Actor.ActingOrg != t.FromOrg && m.Actor.ActingOrg != managing {
		return nil, d.stateErr("wrong_org", "only the sending org cancels the transfer")
	}
	return []domain.Event{TransferCancelled{TransferID: t.ID}}, nil
}

// ChangeStatus archives the dossier for the given reason, on its decision
// (meta.Source). It is refused while a transfer is pending: the transfer is
// cancelled or rejected first, so no open transfer is left on an archived
// dossier and the receiving org is told through that event. Reactivation is
// a correction, never a status change.
func (d *Dossier) ChangeStatus(s Status, m domain.Meta) ([]domain.Event, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	if d.pending != nil {
		return nil, d.stateErr("transfer_pending", "cancel or reject transfer "+d.pending.ID.String()+" first")
	}
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	switch {
	case s.IsZero():
		v.Add("status", "required", "")
	case s == StatusActive:
		v.Add("status", "enum", "reactivation is a correction")
	case s == StatusContractEnded && (d.Class() == ClassCanBo || d.Class() == ClassCongChuc):
		v.Add("status", "class", "officials and civil servants hold no contract")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{StatusChanged{Status: s}}, nil
}

// Reactivation is the payload of Reactivate.
type Reactivation struct {
	// ManagingOrg is the receiving org, which manages the dossier from the
	// effective date.
	ManagingOrg domain.OrgID
	// EmployingUnit is the unit the person works in; zero means
	// ManagingOrg itself.
	EmployingUnit domain.OrgID
}

// Reactivate returns an archived dossier to active service under the
// receiving org, on its decision (meta.Source; TG 10.1: a person received
// from another province, or re-employed). The dossier keeps its id, its
// history and its personal ID number: one dossier per person (Decree
// 27/2026). Refused with a StateError (domain.ErrConflict) when the dossier
// is active ("not_archived") or the person died ("deceased"). Reactivation
// by correction (Correct with Reactivate) is for an archiving recorded by
// mistake; this is a new fact.
func (d *Dossier) Reactivate(r Reactivation, m domain.Meta) ([]domain.Event, error) {
	if !d.doc.Header.Archived {
		return nil, d.stateErr("not_archived", "the dossier is in active service")
	}
	if d.doc.Header.Status == StatusDeceased {
		return nil, d.stateErr("deceased", "the person died; a dossier archived by mistake is reactivated by correction")
	}
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	if r.ManagingOrg.IsZero() {
		v.Add("managing_org", "required", "the receiving org")
	}
	if left, ok := d.events[d.archivedBy]; ok && !m.EffectiveDate.IsZero() && m.EffectiveDate.Before(left.effective) {
		v.Add("meta/effective_date", "before_departure", "the person returns after leaving, on "+left.effective.String())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	unit := r.EmployingUnit
	if unit.IsZero() {
		unit = r.ManagingOrg
	}
	return []domain.Event{Reactivated{ManagingOrg: r.ManagingOrg, EmployingUnit: unit,
		Departure: d.archivedBy, FromStatus: d.doc.Header.Status}}, nil
}

// ProposalDraft is the payload of SubmitProposal.
type ProposalDraft struct {
	ProposalID uuid.UUID
	Kind       ProposalKind
	// Year is the year an annual supplement covers; zero for other kinds.
	Year  int
	Patch Patch
}

// SubmitProposal records a change the person proposes to their own dossier
// (self-declaration; the API checks that the personal account is the
// dossier's person). Header fields are not the person's to propose. An
// annual supplement is one per year.
func (d *Dossier) SubmitProposal(p ProposalDraft, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, false, false)
	if p.ProposalID == uuid.Nil {
		v.Add("proposal_id", "required", "")
	}
	switch p.Kind {
	case ProposalChange:
		if p.Patch.IsEmpty() {
			v.Add("patch", "required", "nothing proposed")
		}
		if p.Year != 0 {
			v.Add("year", "not_allowed", "only annual supplements have a year")
		}
	case ProposalAnnualSupplement:
		checker{v: &v, on: m.EffectiveDate}.year("year", p.Year, true)
	default:
		v.Add("kind", "enum", "change or annual_supplement")
	}
	if p.Patch.Header != nil {
		v.Add("patch/header", "not_allowed", "header fields are not proposed")
	}
	patch := d.cleanPatch(&v, "patch", p.Patch, m, cat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, dup := d.proposals[p.ProposalID]; dup {
		return nil, d.stateErr("duplicate_proposal", "proposal id already used")
	}
	if p.Kind == ProposalAnnualSupplement {
		if d.supplements[p.Year] {
			return nil, d.stateErr("already_supplemented", fmt.Sprintf("the %d supplement was accepted", p.Year))
		}
		for _, x := range d.proposals {
			if x.Kind == ProposalAnnualSupplement && x.Year == p.Year && x.State == ProposalStatePending {
				return nil, d.stateErr("proposal_pending", fmt.Sprintf("the %d supplement %s awaits review", p.Year, x.ID))
			}
		}
	}
	return []domain.Event{ProposalSubmitted{ProposalID: p.ProposalID, Kind: p.Kind, Year: p.Year, Patch: patch}}, nil
}

// AcceptProposal applies a pending proposal. edited, when not nil, replaces
// the submitted patch (HR's edit to "correct, complete, clean"). A
// state-side patch needs meta.Source.
func (d *Dossier) AcceptProposal(proposalID uuid.UUID, edited *Patch, m domain.Meta, cat Catalogue) ([]domain.Event, error) {
	pr, err := d.openProposal(proposalID)
	if err != nil {
		return nil, err
	}
	patch := pr.Patch
	if edited != nil {
		patch = *edited
	}
	var v domain.ValidationError
	checkMeta(&v, m, patch.evidenced(), false)
	if patch.Header != nil {
		v.Add("patch/header", "not_allowed", "header fields are not proposed")
	}
	if pr.Kind == ProposalChange && patch.IsEmpty() {
		v.Add("patch", "required", "nothing to apply; reject the proposal instead")
	}
	patch = d.cleanPatch(&v, "patch", patch, m, cat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalAccepted{ProposalID: pr.ID, Patch: patch, Edited: !reflect.DeepEqual(patch, pr.Patch)}}, nil
}

// RejectProposal closes a pending proposal; meta.Reason is mandatory.
func (d *Dossier) RejectProposal(proposalID uuid.UUID, m domain.Meta) ([]domain.Event, error) {
	pr, err := d.openProposal(proposalID)
	if err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, false, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalRejected{ProposalID: pr.ID}}, nil
}

func (d *Dossier) openProposal(id uuid.UUID) (*Proposal, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	pr, ok := d.proposals[id]
	if !ok {
		return nil, d.notFound("proposal", id)
	}
	if pr.State != ProposalStatePending {
		return nil, d.stateErr("proposal_closed", "proposal "+id.String()+" was "+string(pr.State))
	}
	return pr, nil
}

// IssueCivilServantNumber records the civil-servant number, once, on its
// decision (meta.Source). The dossier existing is what makes issue possible
// (Huế 9.2a): a command on a replayed Dossier proves it.
func (d *Dossier) IssueCivilServantNumber(number string, m domain.Meta) ([]domain.Event, error) {
	if err := d.active(); err != nil {
		return nil, err
	}
	if d.doc.Header.CivilServantNumber != "" {
		return nil, d.stateErr("already_issued", "a civil-servant number was issued")
	}
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	number = strings.TrimSpace(number)
	switch {
	case number == "":
		v.Add("number", "required", "")
	case utf8.RuneCountInString(number) > 32 || strings.Trim(number, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-/") != "":
		v.Add("number", "format", "up to 32 digits, capital letters, '.', '-' or '/'")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{CivilServantNumberIssued{Number: number}}, nil
}

// Reassignment is the payload of ReassignManagingOrg.
type Reassignment struct {
	// FromOrg is the org the process expects to manage the dossier now.
	FromOrg domain.OrgID
	ToOrg   domain.OrgID
	// EmployingUnit is the new employing unit; zero keeps the current one,
	// or moves it to ToOrg when the person was employed by FromOrg itself.
	EmployingUnit domain.OrgID
	Cause         Cause
}

// ReassignManagingOrg moves management because an org was merged, split or
// dissolved; the org-merge process calls it for each dossier, on the
// merger's decision (meta.Source). It is idempotent per cause: when this
// dossier already moved for r.Cause.EventID it returns no events and no
// error, so a process that crashed halfway can run again. A pending transfer
// stays pending (it is cancelled by either org if it no longer makes sense).
func (d *Dossier) ReassignManagingOrg(r Reassignment, m domain.Meta) ([]domain.Event, error) {
	if r.Cause.EventID != uuid.Nil && d.causes[r.Cause.EventID] {
		return nil, nil
	}
	if err := d.active(); err != nil {
		return nil, err
	}
	var v domain.ValidationError
	checkMeta(&v, m, true, false)
	if r.FromOrg.IsZero() {
		v.Add("from_org", "required", "")
	}
	if r.ToOrg.IsZero() {
		v.Add("to_org", "required", "")
	} else if r.ToOrg == r.FromOrg {
		v.Add("to_org", "same_org", "")
	}
	switch r.Cause.Kind {
	case "merge", "split", "dissolution":
	default:
		v.Add("cause/kind", "enum", "merge, split or dissolution")
	}
	if r.Cause.OrgID.IsZero() {
		v.Add("cause/org_id", "required", "")
	}
	if r.Cause.EventID == uuid.Nil {
		v.Add("cause/event_id", "required", "")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if managing, ok := d.ManagingOrg(); !ok || managing != r.FromOrg {
		return nil, d.stateErr("wrong_org", "the dossier is not managed by "+r.FromOrg.String())
	}
	unit := r.EmployingUnit
	if unit.IsZero() {
		unit = d.doc.Header.EmployingUnit
		if unit == r.FromOrg {
			unit = r.ToOrg
		}
	}
	return []domain.Event{ManagingOrgChanged{FromOrg: r.FromOrg, ToOrg: r.ToOrg, EmployingUnit: unit, Cause: r.Cause}}, nil
}
