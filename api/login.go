package api

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// errBadCredentials is the one answer to a failed login, whatever failed:
// no such user, wrong password, a closed or restricted account.
var errBadCredentials = &Error{Status: http.StatusUnauthorized, Code: CodeUnauthenticated, Detail: "the username or password is wrong, or the account cannot log in"}

type sessionRoutes struct {
	s *Server
	// throttle slows password guessing, at login and at a password change
	// alike (both check a password); see auth.LoginThrottle.
	throttle *auth.LoginThrottle
	// oidc verifies ID tokens for POST /auth/oidc; nil when single sign-on
	// is not configured.
	oidc *oidcVerifier
}

// errThrottled is the answer to an attempt the throttle refuses: the same
// for every name, existing or not.
func errThrottled(wait time.Duration) error {
	return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited,
		Detail: "too many wrong passwords from this address; wait and try again", RetryAfter: wait}
}

// attempt asks the throttle whether username may try a password from the
// request's address now (see auth.LoginThrottle.Attempt).
func (r *sessionRoutes) attempt(c echo.Context, username string) error {
	wait, err := r.throttle.Attempt(c.Request().Context(), username, clientAddr(c), r.s.deps.now())
	if err != nil {
		return err
	}
	if wait > 0 {
		return errThrottled(wait)
	}
	return nil
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token       string         `json:"token"`
	TokenType   string         `json:"token_type"` // "Bearer"
	ExpiresAt   time.Time      `json:"expires_at"` // absolute expiry; idle expiry is IdleTimeoutSeconds after the last use
	IdleTimeout int            `json:"idle_timeout_seconds"`
	Account     accountSummary `json:"account"`
}

// accountSummary is what a client shows about the logged-in account.
type accountSummary struct {
	ID                 string `json:"id"`
	Username           string `json:"username"`
	DisplayName        string `json:"display_name"`
	Kind               string `json:"kind"`
	Status             string `json:"status"`
	HomeOrg            string `json:"home_org"`
	Dossier            string `json:"dossier_id,omitempty"`
	MustChangePassword bool   `json:"must_change_password"`
}

func summarize(a *account.Account) accountSummary {
	out := accountSummary{ID: a.ID().String(), Username: a.Username(), DisplayName: a.DisplayName(), Kind: string(a.Kind()),
		Status: string(a.Status()), HomeOrg: a.HomeOrg().String(), MustChangePassword: a.Password().MustChange}
	if !a.Dossier().IsZero() {
		out.Dossier = a.Dossier().String()
	}
	return out
}

// login: POST /auth/login. Throttled before any work; then the password is
// checked (against a dummy hash when the name is unknown, so both failures
// cost the same); then the account must be active in the ledger today.
func (r *sessionRoutes) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var problems []FieldProblem
	if req.Username == "" || len(req.Username) > 256 {
		problems = append(problems, FieldProblem{Field: "/username", Rule: "required"})
	}
	if req.Password == "" || len(req.Password) > 4*auth.MaxPasswordLength {
		problems = append(problems, FieldProblem{Field: "/password", Rule: "required"})
	}
	if problems != nil {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: problems}
	}
	username := account.NormalizeUsername(req.Username)
	now := r.s.deps.now()
	// Counted before any work, as a failure until it succeeds: a refused
	// attempt costs no argon2, and parallel guesses cannot slip through.
	if err := r.attempt(c, username); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id, err := r.s.deps.Auth.Login(ctx, username, req.Password)
	if errors.Is(err, auth.ErrMismatch) {
		return errBadCredentials
	}
	if err != nil {
		return err
	}
	acct, err := r.s.deps.Accounts.Get(ctx, domain.AccountID(id))
	if errors.Is(err, domain.ErrNotFound) {
		return errBadCredentials
	}
	if err != nil {
		return err
	}
	if !acct.ActiveOn(domain.DateOf(now)) {
		return errBadCredentials
	}
	// Only a login that ends in a session takes its failure back: the right
	// password of a closed account stays a failure, answered as one.
	if err := r.throttle.Succeeded(ctx, username, clientAddr(c)); err != nil {
		return err
	}
	token, sess, err := r.s.deps.Auth.StartSession(ctx, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, loginResponse{Token: token, TokenType: "Bearer", ExpiresAt: sess.ExpiresAt,
		IdleTimeout: int(auth.IdleTimeout / time.Second), Account: summarize(acct)})
}

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type passwordChangeResponse struct {
	Account accountSummary `json:"account"`
}

// changePassword: POST /auth/password, the holder changes their own
// password. It is the one way out of a password an administrator set. The
// current password is checked (throttled like a login: a stolen session
// must not become a password oracle); the new one follows the same rules as
// everywhere (auth.HashPassword) and must differ. The ledger records
// account.password_set.v1 by the holder, then the hash is stored (the order
// of Server.setPassword); then every other session and key of the account
// ends, so whoever knew the old password is out, and the session of this
// request lives on. No If-Match: the holder changes their own password
// without reading their account first; a concurrent change answers 412.
func (r *sessionRoutes) changePassword(c echo.Context) error {
	caller := CallerOf(c)
	if caller.Session.Kind != "session" {
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Detail: "an API key has no password to change"}
	}
	var req passwordChangeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var f fields
	switch {
	case req.CurrentPassword == "":
		f.add("/current_password", "required", "")
	case len(req.CurrentPassword) > 4*auth.MaxPasswordLength:
		f.add("/current_password", "mismatch", "")
	}
	switch n := utf8.RuneCountInString(req.NewPassword); {
	case req.NewPassword == "":
		f.add("/new_password", "required", "")
	case n < auth.MinPasswordLength || n > auth.MaxPasswordLength:
		f.add("/new_password", "length", auth.ErrWeakPassword.Error())
	case req.NewPassword == req.CurrentPassword:
		f.add("/new_password", "unchanged", "the new password must differ from the current one")
	}
	if err := f.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := r.attempt(c, caller.Account.Username()); err != nil {
		return err
	}
	holder := uuid.UUID(caller.ID())
	err := r.s.deps.Auth.CheckPassword(ctx, holder, req.CurrentPassword)
	if errors.Is(err, auth.ErrMismatch) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation,
			Errors: []FieldProblem{{Field: "/current_password", Rule: "mismatch", Detail: "not the account's current password"}}}
	}
	if err != nil {
		return err
	}
	if err := r.throttle.Succeeded(ctx, caller.Account.Username(), clientAddr(c)); err != nil {
		return err
	}
	hash, err := r.s.deps.Auth.HashPassword(req.NewPassword)
	if err != nil {
		return err
	}
	if _, err := r.s.deps.Accounts.SetPassword(ctx, caller.ID(), 0, r.s.Meta(c)); err != nil {
		return err
	}
	if err := r.s.deps.Auth.SetPassword(ctx, holder, caller.Account.Username(), hash); err != nil {
		return err
	}
	if _, err := r.s.deps.Auth.RevokeOthers(ctx, holder, bearerToken(c), "password changed"); err != nil {
		return err
	}
	acct, err := r.s.deps.Accounts.Get(ctx, caller.ID())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, passwordChangeResponse{Account: summarize(acct)})
}

// clientAddr is the address login attempts are counted against: the TCP
// peer, or the client a trusted proxy names (Config.TrustedProxies; the
// server's IPExtractor). X-Forwarded-For from anyone else is ignored:
// rotating it must not buy a client fresh attempts.
func clientAddr(c echo.Context) string {
	return c.RealIP()
}

// logout: POST /auth/logout ends the session whose token came with the
// request. API keys are not ended this way: they are revoked by an
// administrator, which the ledger records.
func (r *sessionRoutes) logout(c echo.Context) error {
	caller := CallerOf(c)
	if caller.Session.Kind != "session" {
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Detail: "an API key is revoked by an administrator (POST /accounts/{id}/api-keys/{key_id}/revoke), not by logging out"}
	}
	if err := r.s.deps.Auth.Revoke(c.Request().Context(), bearerToken(c), "logout"); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func bearerToken(c echo.Context) string {
	_, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	return strings.TrimSpace(token)
}

type meResponse struct {
	Account accountSummary `json:"account"`
	Session sessionView    `json:"session"`
	Today   domain.Date    `json:"today"`
	Grants  []grantInForce `json:"grants"`
}

type sessionView struct {
	Kind      string     `json:"kind"` // "session" or "api_key"
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // absent for API keys
}

// grantInForce is a grant of today with what it allows, so a client can
// show or hide actions without knowing the policy table.
type grantInForce struct {
	ID      string      `json:"id"`
	Role    string      `json:"role"`
	Org     string      `json:"org_id,omitempty"`
	OrgName string      `json:"org_name,omitempty"`
	Dossier string      `json:"dossier_id,omitempty"`
	From    domain.Date `json:"from"`
	Until   *string     `json:"until"` // last day in force; null: until revoked
	Allows  []string    `json:"allows"`
}

// me: GET /me.
func (r *sessionRoutes) me(c echo.Context) error {
	caller := CallerOf(c)
	ctx := c.Request().Context()
	out := meResponse{Account: summarize(caller.Account), Today: caller.Today, Grants: []grantInForce{},
		Session: sessionView{Kind: caller.Session.Kind, CreatedAt: caller.Session.CreatedAt}}
	if !caller.Session.ExpiresAt.IsZero() {
		out.Session.ExpiresAt = &caller.Session.ExpiresAt
	}
	for _, g := range caller.Grants {
		v := grantInForce{ID: g.ID.String(), Role: string(g.Role), From: g.From, Allows: []string{}}
		if !g.Org.IsZero() {
			v.Org = g.Org.String()
			// From the ledger, not the org read model: a grant over an org
			// made a moment ago must still show its name.
			if o, err := r.s.deps.Orgs.Get(ctx, g.Org); err == nil {
				v.OrgName, _ = o.NameOn(caller.Today)
			}
		}
		if !g.Dossier.IsZero() {
			v.Dossier = g.Dossier.String()
		}
		if !g.Until.IsZero() {
			u := g.Until.String()
			v.Until = &u
		}
		for _, a := range account.Actions() {
			if account.Permits(g.Role, a) {
				v.Allows = append(v.Allows, string(a))
			}
		}
		out.Grants = append(out.Grants, v)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}
