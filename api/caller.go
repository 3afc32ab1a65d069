package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/vntext"
)

// Caller is the authenticated account behind a request, with the grants in
// force today. Handlers decide with Can / CanOnDossier and scope queries
// with Roots; nothing else in the API looks at grants.
type Caller struct {
	Account *account.Account
	Session auth.Session
	Today   domain.Date // the server's calendar date in Asia/Ho_Chi_Minh
	Policy  account.Policy
	Grants  []account.Grant
}

// ID is the caller's account id.
func (c *Caller) ID() domain.AccountID { return c.Account.ID() }

// Can reports whether the caller may do action on an org (deny by default).
func (c *Caller) Can(action account.Action, org domain.OrgID) bool {
	return c.Policy.Can(action, org)
}

// CanOnDossier is Can for a dossier managed by managingOrg, which also lets
// a person act on their own dossier through a self grant.
func (c *Caller) CanOnDossier(action account.Action, managingOrg domain.OrgID, dossier domain.DossierID) bool {
	return c.Policy.CanOnDossier(action, managingOrg, dossier)
}

// Roots are the orgs at the top of the subtrees in which the caller may do
// action: list queries are intersected with these subtrees. Empty means
// nothing (never "everything").
func (c *Caller) Roots(action account.Action) []domain.OrgID {
	var out []domain.OrgID
	for _, g := range c.Grants {
		if g.Role != account.RoleSelf && !g.Org.IsZero() && account.Permits(g.Role, action) {
			out = append(out, g.Org)
		}
	}
	return out
}

// OwnDossiers are the dossiers the caller holds a self grant over.
func (c *Caller) OwnDossiers() []domain.DossierID {
	var out []domain.DossierID
	for _, g := range c.Grants {
		if g.Role == account.RoleSelf && !g.Dossier.IsZero() {
			out = append(out, g.Dossier)
		}
	}
	return out
}

// Meta is the envelope of a command the caller issues in this request: who
// (the caller, acting for their home org), when (the server clock), and the
// request id that ties the events to the access log. The handler adds the
// effective date, the source document and the reason from the body.
func (s *Server) Meta(c echo.Context) domain.Meta {
	caller := CallerOf(c)
	m := domain.Meta{
		RecordedAt: s.deps.now(),
		RequestID:  c.Response().Header().Get(echo.HeaderXRequestID),
	}
	if caller != nil {
		m.Actor = domain.Actor{Account: caller.ID(), Name: caller.Account.DisplayName(), ActingOrg: caller.Account.HomeOrg()}
	}
	if corr := c.Request().Header.Get("X-Correlation-ID"); corr != "" && len(corr) <= 128 {
		m.CorrelationID = corr
	} else {
		m.CorrelationID = m.RequestID
	}
	return m
}

const callerKey = "hoso.caller"

// CallerOf returns the request's caller; nil on routes without Authenticate.
func CallerOf(c echo.Context) *Caller {
	caller, _ := c.Get(callerKey).(*Caller)
	return caller
}

// errUnauthenticated says the same thing for a missing, malformed, expired
// or revoked token and a closed account, so it reveals nothing.
var errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: CodeUnauthenticated, Detail: "send a valid bearer token: Authorization: Bearer <token>"}

// errPasswordChangeRequired answers every route but the few of
// authenticatePending while an administrator's password is unchanged.
var errPasswordChangeRequired = &Error{Status: http.StatusForbidden, Code: CodePasswordChangeRequired,
	Detail: "an administrator set this account's password: change it with POST /api/v1/auth/password before anything else"}

// Authenticate is the middleware of every /api/v1 route but login: it
// resolves the bearer token to an active account and its grants of today.
// An account whose password an administrator set (a creation with a
// password, a reset, the bootstrap) is refused with 403
// password_change_required until its holder changes it. On a POST with an
// Idempotency-Key it also replays the first response to the key (see
// idempotent).
func (s *Server) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return s.authenticate(next, false)
}

// authenticatePending is Authenticate for the routes an account may use
// before changing a password an administrator set: /me (a client learns
// why), logout, and the change itself. Deny by default: a route mounted
// with Authenticate is closed to such an account.
func (s *Server) authenticatePending(next echo.HandlerFunc) echo.HandlerFunc {
	return s.authenticate(next, true)
}

func (s *Server) authenticate(next echo.HandlerFunc, pendingAllowed bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return errUnauthenticated
		}
		ctx := c.Request().Context()
		sess, err := s.deps.Auth.Authenticate(ctx, strings.TrimSpace(token))
		if errors.Is(err, auth.ErrUnauthenticated) {
			return errUnauthenticated
		}
		if err != nil {
			return err
		}
		acct, err := s.deps.Accounts.Get(ctx, domain.AccountID(sess.AccountID))
		if errors.Is(err, domain.ErrNotFound) {
			return errUnauthenticated
		}
		if err != nil {
			return err
		}
		today := domain.DateOf(s.deps.now())
		if !acct.ActiveOn(today) {
			return errUnauthenticated
		}
		grants := acct.Grants(today)
		caller := &Caller{Account: acct, Session: sess, Today: today, Grants: grants,
			Policy: account.NewPolicy(grants, s.ancestry(ctx))}
		c.Set(callerKey, caller)
		if acct.Password().MustChange && !pendingAllowed {
			return errPasswordChangeRequired
		}
		// Idempotency keys are scoped by account, so they are handled here,
		// once the account is known, for every authenticated POST.
		return s.idempotent(c, next)
	}
}

// ancestry answers the policy's "which orgs is this one under" from the org
// tree read model, remembering answers for the rest of the request.
func (s *Server) ancestry(ctx context.Context) func(domain.OrgID) []domain.OrgID {
	var mu sync.Mutex
	memo := map[domain.OrgID][]domain.OrgID{}
	return func(o domain.OrgID) []domain.OrgID {
		mu.Lock()
		defer mu.Unlock()
		if a, ok := memo[o]; ok {
			return a
		}
		if a, ok := s.tree.Get(o); ok {
			memo[o] = a
			return a
		}
		generation := s.tree.Generation()
		out, err := s.deps.Views.OrgAncestors(ctx, o)
		if err == nil && len(out) > 0 {
			s.tree.Put(o, slices.Clip(out), generation)
		}
		if err == nil && len(out) == 0 {
			// Not in the read model yet (created a moment ago): the ledger
			// knows, so an administrator can act on the org they just made.
			out, err = s.ledgerAncestry(ctx, o)
		}
		if err != nil {
			// Deny rather than guess: an org whose ancestry cannot be read
			// is covered only by a grant on the org itself.
			s.log.Warn("org ancestry unavailable", "org", o.String(), "error", err.Error())
			return nil
		}
		memo[o] = out
		return out
	}
}

// maxCachedAncestries bounds the ancestry cache (Server.tree); the least
// recently used go first.
const maxCachedAncestries = 50_000

// OrgTreeChanged drops every cached ancestry: call it when the org tree
// read model has committed a change (internal/service does, from the
// projection runner).
func (s *Server) OrgTreeChanged() { s.tree.Forget() }

// Read outcomes recorded in the read log.
const (
	ReadAllowed  = "allowed"
	ReadRefused  = "refused"   // the dossier exists but is outside the caller's scope (answered 404)
	ReadNotFound = "not_found" // no such dossier
)

// LogRead records that the caller read (or was refused) a dossier: who,
// which, when, through which route, and why (the X-Purpose header). A read
// that cannot be logged is not served: the log is the inspectors' evidence.
func (s *Server) LogRead(c echo.Context, dossier domain.DossierID, outcome string) error {
	caller := CallerOf(c)
	var acct uuid.UUID
	var username string
	if caller != nil {
		acct, username = uuid.UUID(caller.ID()), caller.Account.Username()
	}
	return s.reads.Write(c.Request().Context(), s.readEntry(c, acct, username, dossier, outcome))
}

// readEntry is the read-log row of this request for one dossier.
func (s *Server) readEntry(c echo.Context, acct uuid.UUID, username string, dossier domain.DossierID, outcome string) readlog.Entry {
	purpose := vntext.NFC(c.Request().Header.Get("X-Purpose"))
	if r := []rune(purpose); len(r) > 200 {
		purpose = string(r[:200])
	}
	stated := purposeOf(c)
	return readlog.Entry{ReadAt: s.deps.now(), Account: acct, Username: username, Dossier: uuid.UUID(dossier),
		Method: c.Request().Method, Route: c.Path(), Query: redactQuery(c.Request().URL.RawQuery), Purpose: purpose,
		PurposeCode: stated.purpose, PurposeRef: stated.ref, Consent: stated.consent,
		Outcome: outcome, RequestID: c.Response().Header().Get(echo.HeaderXRequestID), RemoteAddr: c.RealIP()}
}

// ledgerAncestry walks an org's current parents in the ledger: o itself,
// then each parent up to the root. An unknown org has no ancestry.
func (s *Server) ledgerAncestry(ctx context.Context, o domain.OrgID) ([]domain.OrgID, error) {
	var out []domain.OrgID
	for cur := o; !cur.IsZero() && len(out) < 64 && !slices.Contains(out, cur); {
		org, err := s.deps.Orgs.Get(ctx, cur)
		if errors.Is(err, domain.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, cur)
		cur = org.Parent()
	}
	return out, nil
}
