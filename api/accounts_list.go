package api

import (
	"context"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/cursor"
	"github.com/hoso-ledger/hoso/projections/accounts"
)

// AccountLister reads the accounts read model (projections/accounts).
type AccountLister interface {
	// SearchAccounts is accounts.Search, answered once the read model has
	// applied what the log held when it was called.
	SearchAccounts(ctx context.Context, q accounts.Query) (accounts.Page, error)
}

// accountLine is one line of the administrators' list: enough to find
// the account; its page (GET /accounts/{id}) has the rest.
type accountLine struct {
	ID          string      `json:"id"`
	Version     uint64      `json:"version"`
	Kind        string      `json:"kind"`
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Status      string      `json:"status"`
	HomeOrg     string      `json:"home_org"`
	Dossier     string      `json:"dossier_id,omitempty"`
	CreatedOn   domain.Date `json:"created_on"`
	// Roles are the roles of the grants in force today.
	Roles []string `json:"roles"`
}

// accountStates are the values of the state filter (account.Status).
var accountStates = []string{string(account.StatusActive), string(account.StatusRestricted), string(account.StatusClosed)}

// accountRoles are the values of the role filter.
var accountRoles = []string{string(account.RoleAdmin), string(account.RoleHROfficer), string(account.RoleApprover),
	string(account.RoleInspector), string(account.RoleAuditor), string(account.RoleSelf)}

// maxAccountText bounds q, in characters: a name or a login is short.
const maxAccountText = 100

// listAccounts is GET /accounts: the accounts the caller administers (home
// org in the subtree of one of their admin grants), by username. Filters:
// org (a subtree within that scope, else 403), role (a grant of it in
// force today), state, q (a part of the username or display name,
// diacritics and case ignored); cursor paging. An account outside the
// scope is never listed, as GET /accounts/{id} answers 404 for it.
func (s *Server) listAccounts(c echo.Context) error {
	orgs, err := queryOrgs(c, "org")
	if err != nil {
		return err
	}
	q := accounts.Query{Today: CallerOf(c).Today}
	for _, r := range queryValues(c, "role") {
		if !slices.Contains(accountRoles, r) {
			return BadParameter("query:role", "enum", "one of admin, hr_officer, approver, inspector, auditor, self")
		}
		q.Roles = append(q.Roles, r)
	}
	for _, st := range queryValues(c, "state") {
		if !slices.Contains(accountStates, st) {
			return BadParameter("query:state", "enum", "active, restricted or closed")
		}
		q.States = append(q.States, st)
	}
	if q.Text, err = queryOne(c, "q"); err != nil {
		return err
	}
	if utf8.RuneCountInString(q.Text) > maxAccountText {
		return BadParameter("query:q", "length", "at most 100 characters")
	}
	if q.Limit, err = queryLimit(c, 500); err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if cur, err := queryOne(c, "cursor"); err != nil {
		return err
	} else if cur != "" {
		var k accountsKey
		if err := cursor.Decode(cur, accountsList, &k); err != nil || k.Username == "" {
			return BadParameter("query:cursor", "invalid", "not a cursor this API returned")
		}
		q.After = k.Username
	}
	if q.Scope, err = s.scope(c, account.ActionManageAccounts, orgs); err != nil {
		return err
	}
	out := ListView[accountLine]{Items: []accountLine{}}
	if len(q.Scope) == 0 {
		return c.JSON(http.StatusOK, out)
	}
	page, err := s.deps.AccountList.SearchAccounts(c.Request().Context(), q)
	if err != nil {
		return err
	}
	for _, it := range page.Items {
		v := accountLine{ID: it.ID.String(), Version: it.Version, Kind: it.Kind, Username: it.Username,
			DisplayName: it.DisplayName, Status: it.Status, HomeOrg: it.HomeOrg.String(), CreatedOn: it.CreatedOn, Roles: it.Roles}
		if !it.Dossier.IsZero() {
			v.Dossier = it.Dossier.String()
		}
		if v.Roles == nil {
			v.Roles = []string{}
		}
		out.Items = append(out.Items, v)
	}
	if page.Next != "" {
		out.NextCursor = cursor.Encode(accountsList, accountsKey{Username: page.Next})
	}
	return c.JSON(http.StatusOK, out)
}

// accountsList names the account list's cursors (internal/cursor); the key
// is the last username of the page.
const accountsList = "accounts"

type accountsKey struct {
	Username string `json:"u"`
}
