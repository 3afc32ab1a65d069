package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// Dossier writes. Each one: the dossier must be managed by an org where the
// caller holds write_dossier (else 404, or 403 when the caller can read
// it), If-Match must carry the version the caller read (428 when absent,
// 412 when stale), the body is decoded strictly (400/415/422 naming the
// field), and only then is the command run. A refused command appends
// nothing. The answer is the dossier as it now stands, with its new ETag.

// beginWrite opens the dossier for p and reads If-Match, then decodes the
// body into req.
func (s *Server) beginWrite(c echo.Context, p purpose, req any) (*opened, uint64, error) {
	o, err := s.openDossier(c, p, false)
	if err != nil {
		return nil, 0, err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return nil, 0, err
	}
	if err := decodeBody(c, req); err != nil {
		return nil, 0, err
	}
	if e, ok := req.(interface{ envelope() envelopeFields }); ok && p == forSelf && e.envelope().ImportedFrom != "" {
		return nil, 0, errImportBySelf
	}
	return o, ifMatch, nil
}

// finishWrite answers a command's outcome.
func (s *Server) finishWrite(c echo.Context, id domain.DossierID, status int, err error) error {
	if err != nil {
		return commandError(err)
	}
	return s.respondWritten(c, id, status)
}

// updateSectionsRequest is the body of PATCH /dossiers/{id}: the sections
// to replace, each sent whole as it should read (see dossier.Patch; rows go
// through /rows).
type updateSectionsRequest struct {
	Patch dossier.Patch `json:"patch"`
	envelopeFields
}

func (s *Server) updateDossierSections(c echo.Context) error {
	var req updateSectionsRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	_, err = s.deps.Dossiers.UpdateSection(c.Request().Context(), o.d.ID(), ifMatch, req.Patch, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusOK, err)
}

// rowRequest is the body of POST /dossiers/{id}/rows and PUT
// /dossiers/{id}/rows/{row}: {"row": {"table": "family", "family": {…}}}.
// A new row without an id gets one (returned in the dossier).
type rowRequest struct {
	Row dossier.Row `json:"row"`
	envelopeFields
}

// setRowID sets the id of the row's table field (when that field is set).
func setRowID(r *dossier.Row, id uuid.UUID) {
	switch {
	case r.Training != nil:
		r.Training.ID = id
	case r.WorkHistory != nil:
		r.WorkHistory.ID = id
	case r.SalaryHistory != nil:
		r.SalaryHistory.ID = id
	case r.Family != nil:
		r.Family.ID = id
	case r.Reward != nil:
		r.Reward.ID = id
	case r.Discipline != nil:
		r.Discipline.ID = id
	case r.Evaluation != nil:
		r.Evaluation.ID = id
	}
}

func (s *Server) addDossierRow(c echo.Context) error {
	var req rowRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	if req.Row.ID() == uuid.Nil {
		setRowID(&req.Row, uuid.Must(uuid.NewV7()))
	}
	_, err = s.deps.Dossiers.AddRow(c.Request().Context(), o.d.ID(), ifMatch, req.Row, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusCreated, err)
}

func (s *Server) amendDossierRow(c echo.Context) error {
	rowID, err := pathUUID(c, "row")
	if err != nil {
		return err
	}
	var req rowRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	if id := req.Row.ID(); id != uuid.Nil && id != rowID {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation,
			Errors: []FieldProblem{{Field: "/row/" + rowField(req.Row.Table) + "/id", Rule: "mismatch", Detail: "the row id is the one in the path"}}}
	}
	setRowID(&req.Row, rowID)
	_, err = s.deps.Dossiers.AmendRow(c.Request().Context(), o.d.ID(), ifMatch, req.Row, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusOK, err)
}

// rowField is the member of a Row holding a table's row.
func rowField(t dossier.Table) string {
	switch t {
	case dossier.TableRewards:
		return "reward"
	case dossier.TableEvaluations:
		return "evaluation"
	}
	return string(t)
}

// correctionRequest is the body of POST /dossiers/{id}/corrections: the
// event it fixes, the sections and rows as they should have read, and
// (mandatory) the reason and the source document behind the fix.
type correctionRequest struct {
	Corrects   uuid.UUID     `json:"corrects"`
	Patch      dossier.Patch `json:"patch"`
	Reactivate bool          `json:"reactivate"`
	envelopeFields
}

func (s *Server) correctDossier(c echo.Context) error {
	var req correctionRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	var missing []FieldProblem
	if strings.TrimSpace(req.Reason) == "" {
		missing = append(missing, FieldProblem{Field: "/reason", Rule: "required", Detail: "say why the entry is corrected"})
	}
	if req.SourceDocument == nil || req.SourceDocument.IsZero() {
		missing = append(missing, FieldProblem{Field: "/source_document", Rule: "required", Detail: "the document the correction rests on"})
	}
	if len(missing) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: missing}
	}
	_, err = s.deps.Dossiers.Correct(c.Request().Context(), o.d.ID(), ifMatch,
		dossier.Correction{Corrects: req.Corrects, Patch: req.Patch, Reactivate: req.Reactivate}, s.metaWith(c, req.envelopeFields))
	if taken := s.personalIDTaken(c, err, "/patch/header/personal_id_number"); taken != nil {
		return taken
	}
	return s.finishWrite(c, o.d.ID(), http.StatusCreated, err)
}

// statusRequest is the body of POST /dossiers/{id}/status: retired,
// resigned, deceased, downsized, contract_ended or transferred_out, on its
// decision (source_document). Reactivation is a correction.
type statusRequest struct {
	Status dossier.Status `json:"status"`
	envelopeFields
}

func (s *Server) changeDossierStatus(c echo.Context) error {
	var req statusRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	_, err = s.deps.Dossiers.ChangeStatus(c.Request().Context(), o.d.ID(), ifMatch, req.Status, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusOK, err)
}

// civilServantNumberRequest is the body of POST /dossiers/{id}/civil-servant-number.
type civilServantNumberRequest struct {
	Number string `json:"number"`
	envelopeFields
}

func (s *Server) issueCivilServantNumber(c echo.Context) error {
	var req civilServantNumberRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	_, err = s.deps.Dossiers.IssueCivilServantNumber(c.Request().Context(), o.d.ID(), ifMatch, req.Number, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusOK, err)
}

// proposalRequest is the body of POST /dossiers/{id}/proposals, sent by the
// person (self grant) about their own dossier: a change or the annual
// supplement for a year.
type proposalRequest struct {
	ProposalID *uuid.UUID           `json:"proposal_id"`
	Kind       dossier.ProposalKind `json:"kind"`
	Year       int                  `json:"year"`
	Patch      dossier.Patch        `json:"patch"`
	envelopeFields
}

func (s *Server) submitProposal(c echo.Context) error {
	var req proposalRequest
	o, ifMatch, err := s.beginWrite(c, forSelf, &req)
	if err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7())
	if req.ProposalID != nil {
		id = *req.ProposalID
	}
	_, err = s.deps.Dossiers.SubmitProposal(c.Request().Context(), o.d.ID(), ifMatch,
		dossier.ProposalDraft{ProposalID: id, Kind: req.Kind, Year: req.Year, Patch: req.Patch}, s.metaWith(c, req.envelopeFields))
	if err != nil {
		return commandError(err)
	}
	return s.respondWritten(c, o.d.ID(), http.StatusCreated)
}

// acceptProposalRequest is the body of …/proposals/{proposal}/accept: HR may
// send an edited patch ("correct, complete, clean") instead of the one
// submitted.
type acceptProposalRequest struct {
	Patch *dossier.Patch `json:"patch"`
	envelopeFields
}

func (s *Server) acceptProposal(c echo.Context) error {
	pid, err := pathUUID(c, "proposal")
	if err != nil {
		return err
	}
	var req acceptProposalRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	_, err = s.deps.Dossiers.AcceptProposal(c.Request().Context(), o.d.ID(), ifMatch, pid, req.Patch, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusOK, err)
}

// reasonRequest is the body of the writes that only need a reason (and
// optionally a document): rejecting a proposal, rejecting or cancelling a
// transfer.
type reasonRequest struct {
	envelopeFields
}

func (s *Server) rejectProposal(c echo.Context) error {
	pid, err := pathUUID(c, "proposal")
	if err != nil {
		return err
	}
	var req reasonRequest
	o, ifMatch, err := s.beginWrite(c, forWrite, &req)
	if err != nil {
		return err
	}
	_, err = s.deps.Dossiers.RejectProposal(c.Request().Context(), o.d.ID(), ifMatch, pid, s.metaWith(c, req.envelopeFields))
	return s.finishWrite(c, o.d.ID(), http.StatusOK, err)
}

// personalIDTaken is the 409 of a write refused because the personal ID
// number (at field) belongs to another dossier; nil for any other error.
// It names the org that keeps the person's dossier only to a caller who
// may read that org's dossiers: anyone else learns that the number is
// taken, not where (no leak across orgs), and no one is shown the id the
// refused write would have had.
func (s *Server) personalIDTaken(c echo.Context, err error, field string) error {
	var taken *app.PersonalIDTakenError
	if !errors.As(err, &taken) {
		return nil
	}
	e := &Error{Status: http.StatusConflict, Code: CodeConflict, Err: err,
		Detail: "this person already has a dossier (one dossier per personal ID number)",
		Errors: []FieldProblem{{Field: field, Rule: app.RulePersonalIDTaken}}}
	if taken.ManagingOrg.IsZero() || !CallerOf(c).Can(account.ActionReadDossier, taken.ManagingOrg) {
		return e
	}
	o, oerr := s.deps.Orgs.Get(c.Request().Context(), taken.ManagingOrg)
	if oerr != nil {
		return errors.Join(e, oerr)
	}
	e.HoldingOrg = &OrgRef{ID: taken.ManagingOrg, Name: o.Name()}
	e.Detail = "this person already has a dossier, kept by " + o.Name()
	return e
}
