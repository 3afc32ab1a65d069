package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/projections/transfers"
)

var transferStates = []string{transfers.StatePending, transfers.StateReceived, transfers.StateRejected, transfers.StateCancelled}

// listTransfers is GET /transfers: the transfers sent or received by the
// caller's orgs (direction=incoming|outgoing, state=…, org=…), newest
// first, cursor paging. The orgs are those where the caller reads or
// writes dossiers; each transfer is then held to the rule of GET
// /transfers/{id} (a reader of the dossier, or an org that may receive,
// reject or cancel it), so the list never shows one the single read would
// refuse. Every listed transfer is a read of its dossier in the read log.
func (s *Server) listTransfers(c echo.Context) error {
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	var q transfers.Query
	switch v, err := queryOne(c, "direction"); {
	case err != nil:
		return err
	case v == "":
	case v == "incoming":
		q.Direction = transfers.Incoming
	case v == "outgoing":
		q.Direction = transfers.Outgoing
	default:
		return BadParameter("query:direction", "enum", "incoming or outgoing")
	}
	for _, st := range queryValues(c, "state") {
		if !slices.Contains(transferStates, st) {
			return BadParameter("query:state", "enum", "pending, received, rejected or cancelled")
		}
		q.States = append(q.States, st)
	}
	if q.Limit, err = PageSize(c, 50, 200); err != nil {
		return err
	}
	if q.Cursor, err = queryOne(c, "cursor"); err != nil {
		return err
	}
	org, err := queryOrgs(c, "org")
	if err != nil {
		return err
	}
	if q.Orgs, err = s.transferScope(c, org); err != nil {
		return err
	}
	ctx := c.Request().Context()
	page, err := s.deps.Transfers.ListTransfers(ctx, q)
	if errors.Is(err, domain.ErrInvalid) {
		return BadParameter("query:cursor", "invalid", "not a cursor this list gave")
	}
	if err != nil {
		return err
	}
	caller := CallerOf(c)
	out := ListView[TransferView]{Items: make([]TransferView, 0, len(page.Items)), NextCursor: page.Next}
	var ids []domain.DossierID
	var gate []listed
	for _, row := range page.Items {
		history, d, err := s.loadHistory(ctx, row.DossierID)
		if err != nil {
			return err
		}
		t, ok := transferOf(history, d, row.ID)
		// The index may lag the ledger by an event: the state answered
		// (and filtered on) is the ledger's.
		if !ok || len(q.States) > 0 && !slices.Contains(q.States, t.State) {
			continue
		}
		role := roleIn(caller, d, t)
		a := accessTo(caller, d, s.archiveProvince(ctx, history, d))
		party := !role.receiver.IsZero() || !role.sender.IsZero()
		if !a.read && !party {
			continue
		}
		out.Items = append(out.Items, t)
		if !slices.Contains(ids, d.ID()) {
			ids = append(ids, d.ID())
			// Sending or receiving the dossier is personnel work of
			// the org that does it.
			gate = append(gate, listed{id: d.ID(), personnel: personnelWork(a) || party})
		}
	}
	consents, err := s.gateList(c, stated, gate)
	if err != nil {
		return err
	}
	if err := s.logListed(c, ids, consents); err != nil {
		return err
	}
	if err := s.nameParties(ctx, out.Items); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// transferScope is the orgs (subtrees expanded) whose transfers the caller
// may list: where it reads or writes dossiers; with org given, those orgs'
// subtrees, each of which must be in that scope (else 403 naming
// query:org).
func (s *Server) transferScope(c echo.Context, org []domain.OrgID) ([]domain.OrgID, error) {
	caller := CallerOf(c)
	can := func(o domain.OrgID) bool {
		return caller.Can(account.ActionReadDossier, o) || caller.Can(account.ActionWriteDossier, o)
	}
	roots := append(caller.Roots(account.ActionReadDossier), caller.Roots(account.ActionWriteDossier)...)
	if len(org) > 0 {
		for _, o := range org {
			if !can(o) {
				return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
					Errors: []FieldProblem{{Field: "query:org", Rule: "scope", Detail: o.String() + " is outside your scope"}}}
			}
		}
		roots = org
	}
	if len(roots) == 0 {
		return nil, nil
	}
	return s.deps.Views.OrgSubtree(c.Request().Context(), roots)
}
