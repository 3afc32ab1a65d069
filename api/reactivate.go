package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// reactivateRequest is the body of POST /dossiers/{id}/reactivate.
type reactivateRequest struct {
	ManagingOrg   domain.OrgID `json:"managing_org"`
	EmployingUnit domain.OrgID `json:"employing_unit"`
	// PersonalIDNumber must be the dossier's: the receiving org shows it
	// holds the person's papers, since it cannot read the archived dossier
	// of another org before it reactivates it.
	PersonalIDNumber string `json:"personal_id_number"`
	envelopeFields
}

// reactivateDossier is POST /dossiers/{id}/reactivate (TG 10.1): HR of the
// receiving org (write_dossier over managing_org and employing_unit) brings
// the person's archived dossier back into active service under that org, on
// its decision. It cannot read the dossier beforehand (it is archived under
// another org, or handed over out of the province), so it finds it through
// the 409 personal_id_taken its attempt to create a new dossier got
// (Problem.ArchivedDossier) and proves it has the person's papers with the
// personal ID number; a wrong number is 404, as for an unknown id, and is
// logged as a refused read.
func (s *Server) reactivateDossier(c echo.Context) error {
	raw, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	id := domain.DossierID(raw)
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	var req reactivateRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	caller := CallerOf(c)
	var problems []FieldProblem
	if strings.TrimSpace(req.PersonalIDNumber) == "" {
		problems = append(problems, FieldProblem{Field: "/personal_id_number", Rule: "required", Detail: "the person's personal ID number"})
	}
	if len(problems) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: problems}
	}
	var denied []FieldProblem
	if !req.ManagingOrg.IsZero() && !caller.Can(account.ActionWriteDossier, req.ManagingOrg) {
		denied = append(denied, FieldProblem{Field: "/managing_org", Rule: "scope", Detail: "you do not keep the dossiers of this org"})
	}
	if !req.EmployingUnit.IsZero() && !caller.Can(account.ActionWriteDossier, req.EmployingUnit) {
		denied = append(denied, FieldProblem{Field: "/employing_unit", Rule: "scope", Detail: "you do not keep the dossiers of this unit"})
	}
	if len(denied) > 0 {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Errors: denied}
	}
	ctx := c.Request().Context()
	d, err := s.deps.Dossiers.Get(ctx, id)
	notFound := &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such dossier"}
	if errors.Is(err, domain.ErrNotFound) {
		if lerr := s.LogRead(c, id, ReadNotFound); lerr != nil {
			return lerr
		}
		return notFound
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(req.PersonalIDNumber)), []byte(d.PersonalIDNumber())) != 1 {
		if lerr := s.LogRead(c, id, ReadRefused); lerr != nil {
			return lerr
		}
		return notFound
	}
	m := s.metaWith(c, req.envelopeFields)
	m.Actor.ActingOrg = req.ManagingOrg
	_, err = s.deps.Dossiers.Reactivate(ctx, id, ifMatch, dossier.Reactivation{ManagingOrg: req.ManagingOrg, EmployingUnit: req.EmployingUnit}, m)
	return s.finishWrite(c, id, http.StatusOK, err)
}

// archivedHolder adds to a 409 personal_id_taken the archived dossier that
// holds the number, when the caller may write dossiers in org (the org it
// asked to create the dossier in): what it needs to reactivate the dossier
// instead (TG 10.1). An active holder, or a deceased person's, is not
// named: there is nothing to reactivate.
func (s *Server) archivedHolder(c echo.Context, err error, problem error, org domain.OrgID) error {
	var taken *app.PersonalIDTakenError
	var e *Error
	if !errors.As(err, &taken) || taken.Holder.IsZero() || !errors.As(problem, &e) ||
		org.IsZero() || !CallerOf(c).Can(account.ActionWriteDossier, org) {
		return problem
	}
	d, gerr := s.deps.Dossiers.Get(c.Request().Context(), taken.Holder)
	if gerr != nil {
		return errors.Join(problem, gerr)
	}
	if !d.Archived() || d.Status() == dossier.StatusDeceased {
		return problem
	}
	e.ArchivedDossier = &DossierRef{ID: d.ID(), Version: d.Version(), Status: d.Status().String()}
	e.Detail = "this person's dossier is in the permanent archive: reactivate it (POST /api/v1/dossiers/" + d.ID().String() + "/reactivate)"
	return problem
}
