package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// MinPersonalIDKeyLen is the shortest deployment secret Dossiers accepts
// for the personal-ID digest: 32 bytes, the HMAC-SHA256 block strength.
const MinPersonalIDKeyLen = 32

// ErrNoPersonalIDKey is returned by every Dossiers command that needs the
// personal-ID reservation when the service was configured without a key of
// at least MinPersonalIDKeyLen bytes: refusing is safer than falling back to
// an unkeyed, enumerable digest.
var ErrNoPersonalIDKey = errors.New("app: Dossiers.PersonalIDKey is shorter than 32 bytes")

// RulePersonalIDTaken is the StateError rule of a creation (or correction)
// whose personal ID number belongs to another dossier (Decree 27/2026: one
// dossier per person).
const RulePersonalIDTaken = "personal_id_taken"

// RuleDossierExists is the StateError rule of a creation whose dossier id
// is already used.
const RuleDossierExists = "dossier_exists"

// Dossiers runs the dossier commands: one method per command, each loading
// the dossier, deciding with the domain and appending at the loaded version.
// ifMatch, where a method takes it, is the version the caller last saw (HTTP
// If-Match; 0 for none): a stale one is a *ledger.VersionMismatchError. Losing a
// race after loading is a *ledger.ConcurrencyError. Both wrap domain.ErrConflict;
// nothing is written by a refused command.
//
// Every method returns the store's AppendResult: its LastVersion is the
// dossier's new version (the next ETag). A command the domain finds already
// done (none here but reassignment) returns the zero AppendResult.
type Dossiers struct {
	Ledger    ledger.Ledger
	Catalogue dossier.Catalogue
	// PersonalIDKey is the deployment secret behind the personal-ID
	// reservation streams (see reservation.PersonalIDDigest). It must stay the same for
	// the life of the ledger; at least MinPersonalIDKeyLen bytes.
	PersonalIDKey []byte
	// Cache, when set, keeps decoded dossier histories between commands
	// (see ledger.HistoryCache); nil reads every history in full.
	Cache *ledger.HistoryCache
	// TransferOnRequest: transfers between orgs start only on the
	// receiving org's written request (BT 10; policy.Policy.TransferOnRequest).
	TransferOnRequest bool
}

// Get replays a dossier; domain.ErrNotFound when it does not exist.
func (s Dossiers) Get(ctx context.Context, id domain.DossierID) (*dossier.Dossier, error) {
	return ledger.LoadFolded(ctx, s.Ledger, s.Cache, id.StreamID(), dossier.Decode, dossier.Replay)
}

func (s Dossiers) reservations() Reservations { return Reservations{Ledger: s.Ledger} }

func (s Dossiers) pidStream(number string) (string, error) {
	if len(s.PersonalIDKey) < MinPersonalIDKeyLen {
		return "", ErrNoPersonalIDKey
	}
	return reservation.PersonalIDStream(s.PersonalIDKey, number), nil
}

// Create opens a dossier, keeping one dossier per personal ID number in the
// whole ledger (Decree 27/2026) with a reservation stream:
//
//  1. the domain validates the payload (nothing is reserved for bad input:
//     every text follows the one text rule, see domain.CheckText);
//  2. the managing org and employing unit must exist and serve on the
//     effective date (*ReferenceError, domain.ErrInvalid);
//  3. the number's stream "pid-<HMAC>" is claimed for this dossier;
//  4. the dossier stream is created with "no stream", within ClaimDeadline
//     of the claim.
//
// The claim and the dossier are one outcome (see ClaimDeadline): a dossier
// append the store refuses releases the claim at once; a claim left by a
// crash between 3 and 4 is released by the next creation with the number
// once it is older than OrphanGrace (or by its own retry, which claims
// again). A number held by another dossier is a *PersonalIDTakenError
// (domain.ErrConflict, rule RulePersonalIDTaken). Creating a dossier id
// that exists is a *domain.StateError with rule RuleDossierExists (or, when
// two creations of one id race, a *ledger.ConcurrencyError); both wrap
// domain.ErrConflict.
func (s Dossiers) Create(ctx context.Context, c dossier.CreateDossier, m domain.Meta) (eventstore.AppendResult, error) {
	events, err := dossier.Create(c, m, s.Catalogue)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	created := events[0].(dossier.Created) // the number as the domain normalized it
	data, err := ledger.EventData(events, m, nil)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.create(ctx, c, m, created, data)
}

// CreateWith is Create, appending in the same append the events then
// decides on the new dossier (a bulk import's rows: the person and their
// history as one outcome). then gets the new stream's history (its
// creation, to replay and decide on) and returns encoded events
// (ledger.EventData, each with its own envelope and id); a refusal by then
// writes and claims nothing. Errors are Create's.
func (s Dossiers) CreateWith(ctx context.Context, c dossier.CreateDossier, m domain.Meta, then func(history []domain.Recorded) ([]eventstore.EventData, error)) (eventstore.AppendResult, error) {
	events, err := dossier.Create(c, m, s.Catalogue)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	created := events[0].(dossier.Created)
	more, err := then([]domain.Recorded{{Version: 1, Event: created, Meta: m}})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	first, err := ledger.EventData(events, m, nil)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.create(ctx, c, m, created, append(first, more...))
}

// create claims the number and appends data as the new dossier's stream
// (see Create).
func (s Dossiers) create(ctx context.Context, c dossier.CreateDossier, m domain.Meta, created dossier.Created, data []eventstore.EventData) (eventstore.AppendResult, error) {
	pid, err := s.pidStream(created.PersonalIDNumber)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if _, err := requireOrg(ctx, s.Ledger, "managing_org", c.ManagingOrg, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	if c.EmployingUnit != c.ManagingOrg {
		if _, err := requireOrg(ctx, s.Ledger, "employing_unit", c.EmployingUnit, m.EffectiveDate); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	holder := c.DossierID.StreamID()
	// A dossier id in use is refused before claiming, so a mistaken reuse
	// of an id cannot leave the new number claimed by the wrong dossier.
	if _, err := s.Ledger.Store.ReadStream(ctx, holder, eventstore.ReadOptions{Limit: 1}); err == nil {
		return eventstore.AppendResult{}, &domain.StateError{Aggregate: "dossier", ID: c.DossierID.String(), Rule: RuleDossierExists, Detail: "a dossier with this id exists"}
	} else if !errors.Is(err, eventstore.ErrNotFound) {
		return eventstore.AppendResult{}, err
	}
	// The deadline starts before the claim is recorded, so the append can
	// only happen within ClaimDeadline of it.
	claimCtx, cancel := context.WithTimeout(ctx, ClaimDeadline)
	defer cancel()
	if err := s.claimPersonalID(claimCtx, pid, created.PersonalIDNumber, holder, m); err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := s.Ledger.Store.Append(claimCtx, holder, eventstore.NoStream, data...)
	if errors.Is(err, eventstore.ErrConflict) {
		return res, &ledger.ConcurrencyError{Err: err}
	}
	if errors.Is(err, eventstore.ErrInvalid) {
		return res, errors.Join(err, s.releaseRefused(ctx, pid, holder, m))
	}
	return res, err
}

// releaseRefused gives up the claim of a write the store refused outright.
func (s Dossiers) releaseRefused(ctx context.Context, pid, holder string, m domain.Meta) error {
	m.Reason = "the write that needed the claim was refused"
	if err := s.reservations().Release(ctx, pid, holder, m); err != nil {
		return fmt.Errorf("app: releasing the refused write's claim: %w", err)
	}
	return nil
}

// ReleaseOrphanReservation frees the personal ID number's reservation when
// its holder is an orphan (see ReleaseOrphan, which it calls with the
// number's stream).
func (s Dossiers) ReleaseOrphanReservation(ctx context.Context, number string, grace time.Duration, now time.Time, m domain.Meta) (bool, error) {
	pid, err := s.pidStream(number)
	if err != nil {
		return false, err
	}
	return s.ReleaseOrphan(ctx, pid, grace, now, m)
}

// run is the common path of every command on an existing dossier.
func (s Dossiers) run(ctx context.Context, id domain.DossierID, ifMatch uint64, m domain.Meta, decide func(*dossier.Dossier) ([]domain.Event, error)) (eventstore.AppendResult, error) {
	return execute(ctx, s.Ledger, s.Cache, id.StreamID(), dossier.Decode, dossier.Replay, ifMatch, m, decide)
}

// UpdateSection replaces whole sections (dossier.Dossier.UpdateSection).
func (s Dossiers) UpdateSection(ctx context.Context, id domain.DossierID, ifMatch uint64, p dossier.Patch, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.UpdateSection(p, m, s.Catalogue) })
}

// AddRow appends a table row (dossier.Dossier.AddRow).
func (s Dossiers) AddRow(ctx context.Context, id domain.DossierID, ifMatch uint64, r dossier.Row, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.AddRow(r, m, s.Catalogue) })
}

// AmendRow replaces a table row (dossier.Dossier.AmendRow).
func (s Dossiers) AmendRow(ctx context.Context, id domain.DossierID, ifMatch uint64, r dossier.Row, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.AmendRow(r, m, s.Catalogue) })
}

// Attach attaches a scanned document (dossier.Dossier.AttachDocument).
func (s Dossiers) Attach(ctx context.Context, id domain.DossierID, ifMatch uint64, a dossier.Attachment, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.AttachDocument(a, m) })
}

// Correct records a correction (dossier.Dossier.Correct). A correction of
// the personal ID number moves the reservation: the new number is claimed
// for this dossier first (RulePersonalIDTaken if another dossier has it),
// then the correction is appended, then the old number is released. If the
// correction is refused after the claim, the claim is released again; if
// the process dies in between, the stale claim is an orphan (see
// ClaimDeadline) that the next creation with the number, or
// ReleaseOrphan, frees.
func (s Dossiers) Correct(ctx context.Context, id domain.DossierID, ifMatch uint64, c dossier.Correction, m domain.Meta) (eventstore.AppendResult, error) {
	newNumber := ""
	if h := c.Patch.Header; h != nil {
		newNumber = h.PersonalIDNumber
	}
	var oldNumber string
	decide := func(d *dossier.Dossier) ([]domain.Event, error) {
		oldNumber = d.PersonalIDNumber()
		return d.Correct(c, m, s.Catalogue)
	}
	if newNumber == "" {
		return s.run(ctx, id, ifMatch, m, decide)
	}
	// Decide once without writing, so a refused correction claims nothing.
	d, err := s.Get(ctx, id)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	events, err := decide(d)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	corrected := events[0].(dossier.Corrected).Patch.Header.PersonalIDNumber
	if corrected == oldNumber {
		return s.run(ctx, id, ifMatch, m, decide)
	}
	newPID, err := s.pidStream(corrected)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	holder := id.StreamID()
	claimCtx, cancel := context.WithTimeout(ctx, ClaimDeadline)
	defer cancel()
	if err := s.claimPersonalID(claimCtx, newPID, corrected, holder, m); err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := s.run(claimCtx, id, ifMatch, m, decide)
	if err != nil {
		if rerr := s.reservations().Release(ctx, newPID, holder, m); rerr != nil {
			return res, errors.Join(err, fmt.Errorf("app: releasing the new number's claim: %w", rerr))
		}
		return res, err
	}
	oldPID, err := s.pidStream(oldNumber)
	if err != nil {
		return res, err
	}
	return res, s.reservations().Release(ctx, oldPID, holder, m)
}

// InitiateTransfer opens a transfer (dossier.Dossier.InitiateTransfer). A
// transfer between orgs needs a target org that exists and serves on the
// effective date (*ReferenceError); an internal transfer's target unit too,
// and its ancestry on that date is read from the org streams so the domain
// can keep the transfer inside the managing org.
func (s Dossiers) InitiateTransfer(ctx context.Context, id domain.DossierID, ifMatch uint64, o dossier.TransferOrder, m domain.Meta) (eventstore.AppendResult, error) {
	if _, err := requireOrg(ctx, s.Ledger, "target_org", o.TargetOrg, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	if o.Kind == dossier.TransferInternal && !o.TargetOrg.IsZero() {
		chain, err := ancestryOn(ctx, s.Ledger, "target_org", o.TargetOrg, m.EffectiveDate)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		o.TargetAncestry = chain
	}
	if _, err := requireOrg(ctx, s.Ledger, "target_unit", o.TargetUnit, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	// BT 10: under a policy with transfer_on_request a transfer between
	// orgs needs the receiving org's recorded request (409
	// transfer_request_required otherwise).
	o.RequireRequest = s.TransferOnRequest
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.InitiateTransfer(o, m) })
}

// DossierOfPersonalID returns the dossier that holds the personal ID
// number's reservation; domain.ErrNotFound when none does.
func (s Dossiers) DossierOfPersonalID(ctx context.Context, number string) (domain.DossierID, error) {
	pid, err := s.pidStream(number)
	if err != nil {
		return domain.DossierID{}, err
	}
	r, err := s.reservations().Get(ctx, pid)
	if err != nil {
		return domain.DossierID{}, err
	}
	id, ok := dossierHolder(r.Holder)
	if !ok {
		return domain.DossierID{}, fmt.Errorf("app: no dossier holds this personal ID number: %w", domain.ErrNotFound)
	}
	return id, nil
}

// dossierHolder is the dossier a reservation's holder names, if it names one.
func dossierHolder(holder string) (domain.DossierID, bool) {
	rest, ok := strings.CutPrefix(holder, "dossier-")
	if !ok {
		return domain.DossierID{}, false
	}
	id, err := uuid.Parse(rest)
	return domain.DossierID(id), err == nil
}

// RequestTransfer records the receiving org's written request for a
// dossier (dossier.Dossier.RequestTransfer; HU 10.2, BT 10). The requesting
// org must exist and serve on the effective date (*ReferenceError). The
// requester usually cannot read the dossier, so no version is asked for.
func (s Dossiers) RequestTransfer(ctx context.Context, id domain.DossierID, r dossier.TransferRequest, m domain.Meta) (eventstore.AppendResult, error) {
	if _, err := requireOrg(ctx, s.Ledger, "requesting_org", r.RequestingOrg, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.run(ctx, id, 0, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.RequestTransfer(r, m) })
}

// ReceiveTransfer completes the pending transfer (dossier.Dossier.ReceiveTransfer).
func (s Dossiers) ReceiveTransfer(ctx context.Context, id domain.DossierID, ifMatch uint64, transferID uuid.UUID, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transferID, m) })
}

// RejectTransfer refuses the pending transfer (dossier.Dossier.RejectTransfer).
func (s Dossiers) RejectTransfer(ctx context.Context, id domain.DossierID, ifMatch uint64, transferID uuid.UUID, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.RejectTransfer(transferID, m) })
}

// CancelTransfer withdraws the pending transfer (dossier.Dossier.CancelTransfer).
func (s Dossiers) CancelTransfer(ctx context.Context, id domain.DossierID, ifMatch uint64, transferID uuid.UUID, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.CancelTransfer(transferID, m) })
}

// ChangeStatus archives the dossier (dossier.Dossier.ChangeStatus). The
// personal ID stays reserved: an archived dossier is kept permanently and a
// person who returns to service is reactivated, not created again.
func (s Dossiers) ChangeStatus(ctx context.Context, id domain.DossierID, ifMatch uint64, st dossier.Status, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ChangeStatus(st, m) })
}

// SubmitProposal records a self-declared change (dossier.Dossier.SubmitProposal).
func (s Dossiers) SubmitProposal(ctx context.Context, id domain.DossierID, ifMatch uint64, p dossier.ProposalDraft, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.SubmitProposal(p, m, s.Catalogue) })
}

// AcceptProposal applies a pending proposal, optionally as edited by HR
// (dossier.Dossier.AcceptProposal).
func (s Dossiers) AcceptProposal(ctx context.Context, id domain.DossierID, ifMatch uint64, proposalID uuid.UUID, edited *dossier.Patch, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.AcceptProposal(proposalID, edited, m, s.Catalogue)
	})
}

// RejectProposal closes a pending proposal (dossier.Dossier.RejectProposal).
func (s Dossiers) RejectProposal(ctx context.Context, id domain.DossierID, ifMatch uint64, proposalID uuid.UUID, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.RejectProposal(proposalID, m) })
}

// IssueCivilServantNumber records the civil-servant number
// (dossier.Dossier.IssueCivilServantNumber).
func (s Dossiers) IssueCivilServantNumber(ctx context.Context, id domain.DossierID, ifMatch uint64, number string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber(number, m) })
}

// Reactivate returns an archived dossier to active service under the
// receiving org (dossier.Dossier.Reactivate; TG 10.1). The receiving org
// and the employing unit must exist and serve on the effective date
// (*ReferenceError). The personal ID number's reservation is untouched: it
// never left this dossier, which is why a creation for the returning
// person is refused and this command is the way back.
func (s Dossiers) Reactivate(ctx context.Context, id domain.DossierID, ifMatch uint64, r dossier.Reactivation, m domain.Meta) (eventstore.AppendResult, error) {
	if _, err := requireOrg(ctx, s.Ledger, "managing_org", r.ManagingOrg, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	if _, err := requireOrg(ctx, s.Ledger, "employing_unit", r.EmployingUnit, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.run(ctx, id, ifMatch, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.Reactivate(r, m) })
}
