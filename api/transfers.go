package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// TransferView is a transfer as the sending and receiving orgs see it: the
// decision's parties and where it stands, and who is being transferred
// (name, date of birth, class) so the receiving org knows whom it takes.
// Its ETag is the dossier's version, the If-Match of receive, reject and
// cancel.
type TransferView struct {
	ID         uuid.UUID            `json:"id"`
	DossierID  domain.DossierID     `json:"dossier_id"`
	Kind       dossier.TransferKind `json:"kind"`
	State      string               `json:"state"` // pending, received, rejected, cancelled
	FromOrg    domain.OrgID         `json:"from_org"`
	FromUnit   domain.OrgID         `json:"from_unit"`
	TargetOrg  *domain.OrgID        `json:"target_org,omitempty"`
	TargetUnit *domain.OrgID        `json:"target_unit,omitempty"`
	// The parties by name: the receiving org's inbox names a sender that
	// is not in its own tree, whose name GET /orgs does not give it.
	FromOrgName   string      `json:"from_org_name,omitempty"`
	TargetOrgName string      `json:"target_org_name,omitempty"`
	InitiatedOn   domain.Date `json:"initiated_on"`
	// Source is the transfer decision.
	Source      domain.SourceDocument `json:"source_document"`
	FullName    string                `json:"full_name"`
	DateOfBirth domain.Date           `json:"date_of_birth,omitzero"`
	Class       dossier.Class         `json:"class"`
	Version     uint64                `json:"dossier_version"`
}

// transferOf finds transfer tid in a dossier's history.
func transferOf(history []domain.Recorded, d *dossier.Dossier, tid uuid.UUID) (TransferView, bool) {
	var v TransferView
	found := false
	for _, r := range history {
		switch e := r.Event.(type) {
		case dossier.TransferInitiated:
			if e.TransferID == tid {
				found = true
				v = TransferView{ID: tid, Kind: e.Kind, State: "pending", FromOrg: e.FromOrg, FromUnit: e.FromUnit,
					InitiatedOn: r.Meta.EffectiveDate, Source: r.Meta.Source}
				if !e.TargetOrg.IsZero() {
					t := e.TargetOrg
					v.TargetOrg = &t
				}
				if !e.TargetUnit.IsZero() {
					t := e.TargetUnit
					v.TargetUnit = &t
				}
			}
		case dossier.TransferReceived:
			if e.TransferID == tid {
				v.State = "received"
			}
		case dossier.TransferRejected:
			if e.TransferID == tid {
				v.State = "rejected"
			}
		case dossier.TransferCancelled:
			if e.TransferID == tid {
				v.State = "cancelled"
			}
		}
	}
	doc := d.Document()
	v.DossierID, v.FullName, v.DateOfBirth, v.Class, v.Version = d.ID(), doc.Identity.BirthName, doc.Identity.DateOfBirth, d.Class(), d.Version()
	return v, found
}

// transferDossier finds the dossier of a transfer through the transfers
// projection, which indexes every transfer the ledger holds however it was
// recorded.
func (s *Server) transferDossier(ctx context.Context, tid uuid.UUID) (domain.DossierID, error) {
	id, err := s.deps.Transfers.TransferDossier(ctx, tid)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.DossierID{}, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such transfer"}
	}
	return id, err
}

// transferRole is how the caller stands to a transfer.
type transferRole struct {
	receiver domain.OrgID // the org the caller receives or rejects for (zero: none)
	sender   domain.OrgID // the org the caller cancels for (zero: none)
}

// roleIn decides what the caller may do with transfer t of dossier d:
// receive or reject for the target (for out-of-province transfers, the
// managing org, which records the other province's answer), cancel for the
// sending (or managing) org. Only a grant covering the target receives an
// internal or between-orgs transfer: a grant on the sender does not, or an
// org could push a dossier into another without its consent.
func roleIn(caller *Caller, d *dossier.Dossier, t TransferView) transferRole {
	var r transferRole
	managing, managed := d.ManagingOrg()
	try := func(orgs ...domain.OrgID) domain.OrgID {
		for _, o := range orgs {
			if !o.IsZero() && caller.Can(account.ActionWriteDossier, o) {
				return o
			}
		}
		return domain.OrgID{}
	}
	var target domain.OrgID
	if t.TargetOrg != nil {
		target = *t.TargetOrg
	}
	switch t.Kind {
	case dossier.TransferBetweenOrgs, dossier.TransferInternal:
		r.receiver = try(target)
	default:
		if managed {
			r.receiver = try(managing, t.FromOrg)
		} else {
			r.receiver = try(t.FromOrg)
		}
	}
	if managed {
		r.sender = try(t.FromOrg, managing)
	} else {
		r.sender = try(t.FromOrg)
	}
	return r
}

// openTransfer loads the transfer named by the path and the caller's role
// in it; 404 (logged as a refused read of the dossier) when the caller has
// none.
func (s *Server) openTransfer(c echo.Context) (TransferView, *dossier.Dossier, transferRole, access, error) {
	tid, err := pathUUID(c, "id")
	if err != nil {
		return TransferView{}, nil, transferRole{}, access{}, err
	}
	ctx := c.Request().Context()
	id, err := s.transferDossier(ctx, tid)
	if err != nil {
		return TransferView{}, nil, transferRole{}, access{}, err
	}
	history, d, err := s.loadHistory(ctx, id)
	if err != nil {
		return TransferView{}, nil, transferRole{}, access{}, err
	}
	t, ok := transferOf(history, d, tid)
	if !ok {
		return TransferView{}, nil, transferRole{}, access{}, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such transfer"}
	}
	a := accessTo(CallerOf(c), d, s.archiveProvince(ctx, history, d))
	role := roleIn(CallerOf(c), d, t)
	if !a.read && role.receiver.IsZero() && role.sender.IsZero() {
		if err := s.LogRead(c, id, ReadRefused); err != nil {
			return TransferView{}, nil, transferRole{}, access{}, err
		}
		return TransferView{}, nil, transferRole{}, access{}, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such transfer"}
	}
	return t, d, role, a, nil
}

// getTransfer is GET /transfers/{id}: for readers of the dossier and the
// orgs that receive, reject or cancel it. Logged as a read of the dossier.
// It names the person (name, date of birth), so it is gated as the list
// is (Decree 27/2026): sending or receiving the dossier is personnel work
// of the org that does it; any other reader states a purpose, and a
// refusal is logged as a refused read.
func (s *Server) getTransfer(c echo.Context) error {
	// Parsed before anything is read: bad input changes nothing.
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	t, d, role, a, err := s.openTransfer(c)
	if err != nil {
		return err
	}
	party := !role.receiver.IsZero() || !role.sender.IsZero()
	if err := s.purposeGateUnless(c, party, d, a, stated); err != nil {
		if isPurposeRefusal(err) {
			if lerr := s.LogRead(c, d.ID(), ReadRefused); lerr != nil {
				return lerr
			}
		}
		return err
	}
	if err := s.LogRead(c, d.ID(), ReadAllowed); err != nil {
		return err
	}
	if err := s.nameParties(c.Request().Context(), []TransferView{t}); err != nil {
		return err
	}
	SetETag(c, d.Version())
	return c.JSON(http.StatusOK, t)
}

// nameParties fills in the names of the transfers' orgs (in place).
func (s *Server) nameParties(ctx context.Context, ts []TransferView) error {
	if len(ts) == 0 {
		return nil
	}
	names, err := s.orgNames(ctx)
	if err != nil {
		return err
	}
	for i := range ts {
		ts[i].FromOrgName = names[ts[i].FromOrg]
		if ts[i].TargetOrg != nil {
			ts[i].TargetOrgName = names[*ts[i].TargetOrg]
		}
	}
	return nil
}

// transferRequest is the body of POST /dossiers/{id}/transfers: the kind,
// the receiving org (and unit) and the decision. transfer_id is optional.
type transferRequest struct {
	TransferID *uuid.UUID           `json:"transfer_id"`
	Kind       dossier.TransferKind `json:"kind"`
	TargetOrg  domain.OrgID         `json:"target_org"`
	TargetUnit domain.OrgID         `json:"target_unit"`
	envelopeFields
}

func (s *Server) initiateTransfer(c echo.Context) error {
	var req transferRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	tid := uuid.Must(uuid.NewV7())
	if req.TransferID != nil {
		tid = *req.TransferID
	}
	m := s.metaWith(c, req.envelopeFields)
	m.Actor.ActingOrg, _ = o.d.ManagingOrg()
	ctx := c.Request().Context()
	if _, err := s.deps.Dossiers.InitiateTransfer(ctx, o.d.ID(), ifMatch, dossier.TransferOrder{
		TransferID: tid, Kind: req.Kind, TargetOrg: req.TargetOrg, TargetUnit: req.TargetUnit,
	}, m); err != nil {
		return commandError(err)
	}
	return s.respondTransfer(c, o.d.ID(), tid, http.StatusCreated)
}

// respondTransfer answers a transfer command with the transfer as it now
// stands and the dossier's new version as ETag.
func (s *Server) respondTransfer(c echo.Context, id domain.DossierID, tid uuid.UUID, status int) error {
	history, d, err := s.loadHistory(c.Request().Context(), id)
	if err != nil {
		return err
	}
	t, _ := transferOf(history, d, tid)
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/transfers/"+tid.String())
	SetETag(c, d.Version())
	return c.JSON(status, t)
}

// transferAction runs receive, reject or cancel.
func (s *Server) transferAction(c echo.Context, sender bool,
	run func(ctx context.Context, id domain.DossierID, ifMatch uint64, tid uuid.UUID, m domain.Meta) error) error {
	t, d, role, _, err := s.openTransfer(c)
	if err != nil {
		return err
	}
	org := role.receiver
	if sender {
		org = role.sender
	}
	if org.IsZero() {
		if err := s.LogRead(c, d.ID(), ReadRefused); err != nil {
			return err
		}
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: "your org is not a party that may do this to the transfer"}
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	m := s.metaWith(c, req.envelopeFields)
	m.Actor.ActingOrg = org
	if err := run(c.Request().Context(), d.ID(), ifMatch, t.ID, m); err != nil {
		return commandError(err)
	}
	return s.respondTransfer(c, d.ID(), t.ID, http.StatusOK)
}

// receiveTransfer is POST /transfers/{id}/receive: the receiving org's HR,
// on its receiving decision (source_document).
func (s *Server) receiveTransfer(c echo.Context) error {
	return s.transferAction(c, false, func(ctx context.Context, id domain.DossierID, ifMatch uint64, tid uuid.UUID, m domain.Meta) error {
		_, err := s.deps.Dossiers.ReceiveTransfer(ctx, id, ifMatch, tid, m)
		return err
	})
}

// rejectTransfer is POST /transfers/{id}/reject: the receiving org; reason required.
func (s *Server) rejectTransfer(c echo.Context) error {
	return s.transferAction(c, false, func(ctx context.Context, id domain.DossierID, ifMatch uint64, tid uuid.UUID, m domain.Meta) error {
		_, err := s.deps.Dossiers.RejectTransfer(ctx, id, ifMatch, tid, m)
		return err
	})
}

// cancelTransfer is POST /transfers/{id}/cancel: the sending org; reason required.
func (s *Server) cancelTransfer(c echo.Context) error {
	return s.transferAction(c, true, func(ctx context.Context, id domain.DossierID, ifMatch uint64, tid uuid.UUID, m domain.Meta) error {
		_, err := s.deps.Dossiers.CancelTransfer(ctx, id, ifMatch, tid, m)
		return err
	})
}

// transferRequestBody is the body of POST /transfer-requests (HU 10.2,
// BT 10): the receiving org's written request for a person's dossier,
// named by its id or by the person's personal ID number.
type transferRequestBody struct {
	RequestID        *uuid.UUID        `json:"request_id"`
	DossierID        *domain.DossierID `json:"dossier_id"`
	PersonalIDNumber string            `json:"personal_id_number"`
	RequestingOrg    domain.OrgID      `json:"requesting_org"`
	envelopeFields
}

// TransferRequestReceipt is the answer to a transfer request: only that it
// was received. The requesting org cannot read the dossier and learns
// nothing about it from this answer.
type TransferRequestReceipt struct {
	RequestID uuid.UUID `json:"request_id"`
	Status    string    `json:"status"` // always "received"
}

// requestTransfer is POST /transfer-requests: HR of the receiving org
// (write_dossier over requesting_org) lodges its written request
// (source_document) for a dossier of another org (HU 10.2: the old org's
// 10 days count from it; BT 10: under transfer_on_request, the transfer
// needs it). It is recorded on the dossier's stream although the requester
// cannot read the dossier. Not to tell the requester more than it knew:
// by personal_id_number the answer is always 202 (nothing is recorded when
// no active dossier holds the number, or when the requester already
// manages it); by dossier_id, an id that exists nowhere is 404 (an id is
// not guessable, and the requester had it from the person's papers).
func (s *Server) requestTransfer(c echo.Context) error {
	var req transferRequestBody
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	byPID := strings.TrimSpace(req.PersonalIDNumber)
	if (req.DossierID == nil) == (byPID == "") {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: []FieldProblem{
			{Field: "/dossier_id", Rule: "one_of", Detail: "name the dossier by dossier_id or by personal_id_number, not both"}}}
	}
	caller := CallerOf(c)
	if !req.RequestingOrg.IsZero() && !caller.Can(account.ActionWriteDossier, req.RequestingOrg) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Errors: []FieldProblem{
			{Field: "/requesting_org", Rule: "scope", Detail: "you do not keep the dossiers of this org"}}}
	}
	rid := uuid.Must(uuid.NewV7())
	if req.RequestID != nil {
		rid = *req.RequestID
	}
	m := s.metaWith(c, req.envelopeFields)
	m.Actor.ActingOrg = req.RequestingOrg
	r := dossier.TransferRequest{RequestID: rid, RequestingOrg: req.RequestingOrg}
	// Everything the requester may be told is checked before the dossier
	// is looked up.
	if err := dossier.ValidateTransferRequest(r, m); err != nil {
		return commandError(err)
	}
	ctx := c.Request().Context()
	receipt := TransferRequestReceipt{RequestID: rid, Status: "received"}
	var id domain.DossierID
	if req.DossierID != nil {
		id = *req.DossierID
	} else {
		var err error
		if id, err = s.deps.Dossiers.DossierOfPersonalID(ctx, byPID); errors.Is(err, domain.ErrNotFound) {
			return c.JSON(http.StatusAccepted, receipt)
		} else if err != nil {
			return err
		}
	}
	_, err := s.deps.Dossiers.RequestTransfer(ctx, id, r, m)
	var se *domain.StateError
	switch {
	case err == nil:
	case req.DossierID != nil && errors.Is(err, domain.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such dossier"}
	case req.DossierID == nil && (errors.Is(err, domain.ErrNotFound) || errors.As(err, &se) && se.Aggregate == "dossier"):
		// An archived dossier, or one the requester manages: by personal
		// ID number the answer does not say so.
		return c.JSON(http.StatusAccepted, receipt)
	default:
		return commandError(err)
	}
	return c.JSON(http.StatusAccepted, receipt)
}
