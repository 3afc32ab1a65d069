package web

import (
	"net/http"
	"slices"
)

// me is the API's GET /me, as pages use it.
type me struct {
	Account struct {
		ID                 string `json:"id"`
		Username           string `json:"username"`
		DisplayName        string `json:"display_name"`
		Kind               string `json:"kind"`
		HomeOrg            string `json:"home_org"`
		Dossier            string `json:"dossier_id"`
		MustChangePassword bool   `json:"must_change_password"`
	} `json:"account"`
	Today  string `json:"today"`
	Grants []struct {
		Role    string   `json:"role"`
		Org     string   `json:"org_id"`
		OrgName string   `json:"org_name"`
		Dossier string   `json:"dossier_id"`
		Allows  []string `json:"allows"`
	} `json:"grants"`
}

// session is the signed-in caller of one page request.
type session struct {
	Token string
	Me    me
	CSRF  string
}

// Can reports whether one of the caller's grants over an org allows the
// permission (the API decides again on every call; this only hides links
// that would lead to a refusal). A person's own grant writes only through
// proposals, so it never counts.
func (s *session) Can(permission string) bool {
	for _, g := range s.Me.Grants {
		if g.Org != "" && slices.Contains(g.Allows, permission) {
			return true
		}
	}
	return false
}

// Has reports whether the caller holds a grant of the role.
func (s *session) Has(role string) bool {
	for _, g := range s.Me.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// handler is a page that needs a signed-in caller.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn asks the API who the session's token belongs to: no token, an
// expired or revoked one, sends the browser to the login page; an account
// that must first change its password goes to the change (as the API
// refuses it everything else).
func (a *App) signedIn(h handler) http.HandlerFunc {
	return a.withSession(h, false)
}

func (a *App) withSession(h handler, pending bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := token(r)
		if tok == "" {
			toLogin(w, r)
			return
		}
		rep := a.api.call(r, http.MethodGet, "/api/v1/me", tok, nil)
		if rep.Status == http.StatusUnauthorized {
			clearSession(w, r)
			toLogin(w, r)
			return
		}
		s := &session{Token: tok, CSRF: csrfToken(w, r)}
		if !rep.OK() || rep.decode(&s.Me) != nil {
			a.failure(w, r, rep)
			return
		}
		if s.Me.Account.MustChangePassword && !pending {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
}

// proposes reports whether the caller reaches the dossier through their
// own grant only (the person): their edits are proposals.
func (s *session) proposes(dossier string) bool {
	return !s.Can("write_dossier") && s.Me.Account.Dossier == dossier
}
