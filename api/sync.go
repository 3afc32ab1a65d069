package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// SyncPackagesView is GET /sync/packages's answer.
type SyncPackagesView struct {
	Packages []syncstatus.Package `json:"packages"`
}

// listSyncPackages is GET /sync/packages: the deliveries to the national
// database of the orgs in the caller's compliance scope (a unit's own
// packages, and the department's for those it approved), newest month
// first; month= narrows to one month, problems=true to the late and the
// rejected ones. Late and overdue are judged on the caller's today.
func (s *Server) listSyncPackages(c echo.Context) error {
	if s.deps.Sync == nil {
		return &Error{Status: http.StatusNotImplemented, Code: CodeNotImplemented, Detail: "the national sync is not wired"}
	}
	scope, err := s.complianceScope(c)
	if err != nil {
		return err
	}
	f := syncstatus.Filter{Orgs: scope, Today: CallerOf(c).Today}
	if f.Month, err = queryOne(c, "month"); err != nil {
		return err
	}
	if f.Month != "" {
		if _, err := approval.ParseMonth(f.Month); err != nil {
			return BadParameter("query:month", "format", "yyyy-mm")
		}
	}
	problems, err := queryBool(c, "problems")
	if err != nil {
		return err
	}
	f.Problems = problems != nil && *problems
	out := SyncPackagesView{Packages: []syncstatus.Package{}}
	if len(scope) > 0 {
		if out.Packages, err = s.deps.Sync.SyncPackages(c.Request().Context(), f); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

// getSyncPackage is GET /sync/packages/{id}: one delivery, 404 outside the
// caller's scope as when there is none.
func (s *Server) getSyncPackage(c echo.Context) error {
	if s.deps.Sync == nil {
		return &Error{Status: http.StatusNotImplemented, Code: CodeNotImplemented, Detail: "the national sync is not wired"}
	}
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	scope, err := s.complianceScope(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Sync.SyncPackage(c.Request().Context(), id, scope, CallerOf(c).Today)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
