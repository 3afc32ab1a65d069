package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Account routes. The scope of an administrator is the accounts whose home
// org lies in the subtree of one of their admin grants; an account outside
// it answers 404 exactly like one that does not exist. A grant, a home org
// or a dossier named in a body outside that scope answers 422 "unknown",
// exactly like one that does not exist.

// accountView is an account as administrators see it. Never a secret.
type accountView struct {
	ID           string       `json:"id"`
	Version      uint64       `json:"version"`
	Kind         string       `json:"kind"`
	Username     string       `json:"username"`
	DisplayName  string       `json:"display_name"`
	Status       string       `json:"status"`
	HomeOrg      string       `json:"home_org"`
	Dossier      string       `json:"dossier_id,omitempty"`
	CreatedOn    domain.Date  `json:"created_on"`
	ClosedOn     *domain.Date `json:"closed_on,omitempty"`
	Password     passwordView `json:"password"`
	Grants       []grantView  `json:"grants"`
	Suspensions  []periodView `json:"suspensions"`
	Certificates []certView   `json:"certificates"`
	APIKeys      []apiKeyView `json:"api_keys"`
	// OIDCLinks are the provider subjects that log in to the account.
	OIDCLinks []oidcLinkView `json:"oidc_links"`
}

type passwordView struct {
	Set        bool       `json:"set"`
	MustChange bool       `json:"must_change"`
	ChangedAt  *time.Time `json:"changed_at,omitempty"`
}

type grantView struct {
	ID        string                 `json:"id"`
	Role      string                 `json:"role"`
	Org       string                 `json:"org_id,omitempty"`
	Dossier   string                 `json:"dossier_id,omitempty"`
	From      domain.Date            `json:"from"`
	Until     *domain.Date           `json:"until,omitempty"`
	RevokedOn *domain.Date           `json:"revoked_on,omitempty"`
	InForce   bool                   `json:"in_force"`
	Source    *domain.SourceDocument `json:"source_document,omitempty"`
	By        string                 `json:"granted_by,omitempty"`
}

type periodView struct {
	From  domain.Date  `json:"from"`
	Until *domain.Date `json:"until,omitempty"`
}

type certView struct {
	Fingerprint  string     `json:"fingerprint"`
	Subject      string     `json:"subject"`
	Issuer       string     `json:"issuer"`
	Serial       string     `json:"serial"`
	NotBefore    time.Time  `json:"not_before"`
	NotAfter     time.Time  `json:"not_after"`
	RegisteredAt time.Time  `json:"registered_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

type apiKeyView struct {
	ID        string     `json:"id"`
	IssuedAt  time.Time  `json:"issued_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func datePtr(d domain.Date) *domain.Date {
	if d.IsZero() {
		return nil
	}
	return &d
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func viewAccount(a *account.Account, today domain.Date) accountView {
	v := accountView{ID: a.ID().String(), Version: a.Version(), Kind: string(a.Kind()), Username: a.Username(),
		DisplayName: a.DisplayName(), Status: string(a.Status()), HomeOrg: a.HomeOrg().String(),
		CreatedOn: a.CreatedOn(), ClosedOn: datePtr(a.ClosedOn()),
		Grants: []grantView{}, Suspensions: []periodView{}, Certificates: []certView{}, APIKeys: []apiKeyView{},
		OIDCLinks: viewOIDCLinks(a)}
	if !a.Dossier().IsZero() {
		v.Dossier = a.Dossier().String()
	}
	p := a.Password()
	v.Password = passwordView{Set: p.Set, MustChange: p.MustChange, ChangedAt: timePtr(p.ChangedAt)}
	for _, g := range a.AllGrants() {
		gv := grantView{ID: g.ID.String(), Role: string(g.Role), From: g.From, Until: datePtr(g.Until),
			RevokedOn: datePtr(g.RevokedOn), InForce: g.ActiveOn(today) && a.ActiveOn(today)}
		if !g.Org.IsZero() {
			gv.Org = g.Org.String()
		}
		if !g.Dossier.IsZero() {
			gv.Dossier = g.Dossier.String()
		}
		if !g.Source.IsZero() {
			src := g.Source
			gv.Source = &src
		}
		if !g.By.IsZero() {
			gv.By = g.By.String()
		}
		v.Grants = append(v.Grants, gv)
	}
	for _, p := range a.Suspensions() {
		v.Suspensions = append(v.Suspensions, periodView{From: p.From, Until: datePtr(p.Until)})
	}
	for _, c := range a.Certificates() {
		v.Certificates = append(v.Certificates, certView{Fingerprint: c.Fingerprint, Subject: c.Subject, Issuer: c.Issuer,
			Serial: c.Serial, NotBefore: c.NotBefore, NotAfter: c.NotAfter, RegisteredAt: c.RegisteredAt, RevokedAt: timePtr(c.RevokedAt)})
	}
	for _, k := range a.APIKeys() {
		v.APIKeys = append(v.APIKeys, apiKeyView{ID: k.ID, IssuedAt: k.IssuedAt, RevokedAt: timePtr(k.RevokedAt)})
	}
	return v
}

// accountInScope loads an account the caller administers; 404 otherwise.
func (s *Server) accountInScope(c echo.Context) (*account.Account, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	a, err := s.deps.Accounts.Get(c.Request().Context(), domain.AccountID(id))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if !CallerOf(c).Can(account.ActionManageAccounts, a.HomeOrg()) {
		return nil, notFound
	}
	return a, nil
}

// respondAccount answers a write with the account as it now stands.
func (s *Server) respondAccount(c echo.Context, status int, id domain.AccountID) error {
	a, err := s.deps.Accounts.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	SetETag(c, a.Version())
	return c.JSON(status, viewAccount(a, CallerOf(c).Today))
}

func (s *Server) getAccount(c echo.Context) error {
	a, err := s.accountInScope(c)
	if err != nil {
		return err
	}
	SetETag(c, a.Version())
	return c.JSON(http.StatusOK, viewAccount(a, CallerOf(c).Today))
}

type createAccountRequest struct {
	Kind        string `json:"kind"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	HomeOrg     string `json:"home_org"`
	Dossier     string `json:"dossier_id,omitempty"`
	// Password, when given, is the initial password: recorded in the ledger
	// as an administrator's reset, so the holder must change it at first
	// login. Service accounts take none (they use API keys).
	Password string `json:"password,omitempty"`
	decision
}

// createAccount: POST /accounts → 201 with the account, Location and ETag.
func (s *Server) createAccount(c echo.Context) error {
	var req createAccountRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	caller := CallerOf(c)
	ctx := c.Request().Context()
	var f fields
	home := domain.OrgID(f.id("/home_org", req.HomeOrg))
	dossierID := domain.DossierID(f.id("/dossier_id", req.Dossier))
	m := s.commandMeta(c, &f, req.decision, "")
	var hash string
	if req.Password != "" {
		if account.Kind(req.Kind) == account.KindService {
			f.add("/password", "kind", "a service account authenticates with API keys")
		} else if h, err := s.deps.Auth.HashPassword(req.Password); err != nil {
			f.add("/password", "length", err.Error())
		} else {
			hash = h
		}
	}
	if err := f.err(); err != nil {
		return err
	}
	if !home.IsZero() && !caller.Can(account.ActionManageAccounts, home) {
		return unknownRef("/home_org")
	}
	if !dossierID.IsZero() {
		// The ledger, not the read model: the person's account is often
		// opened right after their dossier.
		d, err := app.LoadDossier(ctx, s.deps.Orgs.Ledger, dossierID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err != nil {
			return unknownRef("/dossier_id")
		}
		if managing, ok := d.ManagingOrg(); !ok || !caller.Can(account.ActionManageAccounts, managing) {
			return unknownRef("/dossier_id")
		}
	}
	id := domain.AccountID(uuid.Must(uuid.NewV7()))
	res, err := s.deps.Accounts.Create(ctx, id, account.CreateAccount{Kind: account.Kind(req.Kind), Username: req.Username,
		DisplayName: req.DisplayName, HomeOrg: home, Dossier: dossierID}, m)
	if err != nil {
		return err
	}
	if hash != "" {
		if err := s.setPassword(ctx, id, res.LastVersion, account.NormalizeUsername(req.Username), hash, s.Meta(c)); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/accounts/"+id.String())
	return s.respondAccount(c, http.StatusCreated, id)
}

// setPassword records an administrator's reset in the ledger, then stores
// the hash. In that order: if the second step fails the ledger says a
// reset happened that did not take (the administrator resets again), never
// the other way round, a password in use that the ledger does not know of.
func (s *Server) setPassword(ctx context.Context, id domain.AccountID, ifMatch uint64, username, hash string, m domain.Meta) error {
	if _, err := s.deps.Accounts.ResetPassword(ctx, id, ifMatch, m); err != nil {
		return err
	}
	return s.deps.Auth.SetPassword(ctx, uuid.UUID(id), username, hash)
}

func unknownRef(field string) error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation,
		Errors: []FieldProblem{{Field: field, Rule: "unknown", Detail: "no such record in your scope"}}}
}

type resetPasswordRequest struct {
	// Password is the new password; when omitted the server generates one
	// and returns it once.
	Password string `json:"password,omitempty"`
	Reason   string `json:"reason,omitempty"`
	decision
}

type resetPasswordResponse struct {
	Account accountView `json:"account"`
	// Password is the generated one-time password, shown only here and
	// only when the request did not give one. The holder must change it.
	Password string `json:"password,omitempty"`
}

// resetPassword: POST /accounts/{id}/password-reset (If-Match) → 200. The
// account's sessions and keys live on (a reset is not a suspension) except
// its sessions, which are ended: whoever held the old password is out.
func (s *Server) resetPassword(c echo.Context) error {
	a, ifMatch, req, err := pathWrite[resetPasswordRequest](c, s.accountInScope)
	if err != nil {
		return err
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, req.Reason)
	generated := ""
	if req.Password == "" {
		generated = oneTimePassword()
		req.Password = generated
	}
	hash, err := s.deps.Auth.HashPassword(req.Password)
	if err != nil {
		f.add("/password", "length", err.Error())
	}
	if err := f.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.setPassword(ctx, a.ID(), ifMatch, a.Username(), hash, m); err != nil {
		return err
	}
	if _, err := s.revokeSessions(ctx, a.ID()); err != nil {
		return err
	}
	b, err := s.deps.Accounts.Get(ctx, a.ID())
	if err != nil {
		return err
	}
	SetETag(c, b.Version())
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, resetPasswordResponse{Account: viewAccount(b, CallerOf(c).Today), Password: generated})
}

// revokeSessions ends the account's login sessions but not its API keys.
func (s *Server) revokeSessions(ctx context.Context, id domain.AccountID) (int64, error) {
	return s.deps.Auth.RevokeSessions(ctx, uuid.UUID(id), "password reset")
}

// oneTimePassword is 20 characters from a 57-letter alphabet without
// look-alikes (≈116 bits), easy to read out over the phone.
func oneTimePassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[randIndex(len(alphabet))]
	}
	return string(b)
}

func randIndex(n int) int {
	var buf [1]byte
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		if int(buf[0]) < 256-256%n {
			return int(buf[0]) % n
		}
	}
}

type grantRequest struct {
	GrantID    string `json:"grant_id,omitempty"` // the client may mint it (UUID), so a retry is the same grant
	Role       string `json:"role"`
	Org        string `json:"org_id,omitempty"`
	Dossier    string `json:"dossier_id,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"` // last day in force; omitted: until revoked
	decision
}

// grantRole: POST /accounts/{id}/grants (If-Match) → 201 with the account.
func (s *Server) grantRole(c echo.Context) error {
	a, ifMatch, req, err := pathWrite[grantRequest](c, s.accountInScope)
	if err != nil {
		return err
	}
	var f fields
	g := account.NewGrant{ID: f.id("/grant_id", req.GrantID), Role: account.Role(req.Role),
		Org: domain.OrgID(f.id("/org_id", req.Org)), Dossier: domain.DossierID(f.id("/dossier_id", req.Dossier)),
		ValidUntil: f.date("/valid_until", req.ValidUntil)}
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if g.ID == uuid.Nil {
		g.ID = uuid.Must(uuid.NewV7())
	}
	if !g.Org.IsZero() && !CallerOf(c).Can(account.ActionManageAccounts, g.Org) {
		return unknownRef("/org_id")
	}
	if _, err := s.deps.Accounts.Grant(c.Request().Context(), a.ID(), ifMatch, g, m); err != nil {
		return err
	}
	return s.respondAccount(c, http.StatusCreated, a.ID())
}

// grantInScope finds the path's grant on a; a grant over an org outside
// the caller's scope is as unknown as a grant that does not exist.
func grantInScope(c echo.Context, a *account.Account) (uuid.UUID, error) {
	id, err := pathID(c, "grant")
	if err != nil {
		return uuid.Nil, err
	}
	for _, g := range a.AllGrants() {
		if g.ID == id {
			if !g.Org.IsZero() && !CallerOf(c).Can(account.ActionManageAccounts, g.Org) {
				return uuid.Nil, notFound
			}
			return id, nil
		}
	}
	return uuid.Nil, notFound
}

type extendGrantRequest struct {
	ValidUntil string `json:"valid_until"`
	decision
}

// extendGrant: POST /accounts/{id}/grants/{grant}/extend (If-Match) → 200.
func (s *Server) extendGrant(c echo.Context) error {
	a, err := s.accountInScope(c)
	if err != nil {
		return err
	}
	grant, err := grantInScope(c, a)
	if err != nil {
		return err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	var req extendGrantRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var f fields
	until := f.date("/valid_until", req.ValidUntil)
	if req.ValidUntil == "" {
		f.add("/valid_until", "required", "")
	}
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if _, err := s.deps.Accounts.ExtendGrant(c.Request().Context(), a.ID(), ifMatch, grant, until, m); err != nil {
		return err
	}
	return s.respondAccount(c, http.StatusOK, a.ID())
}

// acctReasonRequest is the body of the acts that need only a reason and the
// decision: revoking a grant, restricting, reinstating, closing.
type acctReasonRequest struct {
	Reason string `json:"reason"`
	decision
}

func (s *Server) decodeReason(c echo.Context) (acctReasonRequest, domain.Meta, error) {
	var req acctReasonRequest
	if err := decodeJSON(c, &req); err != nil {
		return req, domain.Meta{}, err
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, req.Reason)
	return req, m, f.err()
}

// revokeGrant: POST /accounts/{id}/grants/{grant}/revoke (If-Match) → 200.
func (s *Server) revokeGrant(c echo.Context) error {
	var grant uuid.UUID
	return s.reasonedWrite(c, func(a *account.Account) (err error) {
		grant, err = grantInScope(c, a)
		return err
	}, func(ctx context.Context, a *account.Account, ifMatch uint64, reason string, m domain.Meta) error {
		_, err := s.deps.Accounts.RevokeGrant(ctx, a.ID(), ifMatch, grant, reason, m)
		return err
	})
}

// accountAct runs one of restrict, reinstate, close: If-Match, a reason,
// then the command; kill ends every session and key of the account once
// the ledger holds the decision.
func (s *Server) accountAct(c echo.Context, kill bool,
	run func(ctx context.Context, id domain.AccountID, ifMatch uint64, reason string, m domain.Meta) (eventstore.AppendResult, error)) error {
	return s.reasonedWrite(c, nil, func(ctx context.Context, a *account.Account, ifMatch uint64, reason string, m domain.Meta) error {
		if _, err := run(ctx, a.ID(), ifMatch, reason, m); err != nil {
			return err
		}
		if kill {
			// Authenticate also refuses an account that is not active, so a
			// failure here leaves no usable session; it is still reported.
			if _, err := s.deps.Auth.RevokeAccount(ctx, uuid.UUID(a.ID()), "account restricted or closed"); err != nil {
				return err
			}
		}
		return nil
	})
}

// reasonedWrite is the shape of the account writes that carry only a
// reason: the account in scope, then what the path names inside it (target,
// when set: 404 when absent, before anything else is checked), If-Match,
// the reason, and the command; the answer is the account as it now stands.
func (s *Server) reasonedWrite(c echo.Context, target func(*account.Account) error,
	run func(ctx context.Context, a *account.Account, ifMatch uint64, reason string, m domain.Meta) error) error {
	a, err := s.accountInScope(c)
	if err != nil {
		return err
	}
	if target != nil {
		if err := target(a); err != nil {
			return err
		}
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	req, m, err := s.decodeReason(c)
	if err != nil {
		return err
	}
	if err := run(c.Request().Context(), a, ifMatch, req.Reason, m); err != nil {
		return err
	}
	return s.respondAccount(c, http.StatusOK, a.ID())
}

// restrictAccount: POST /accounts/{id}/restrict (If-Match) → 200.
func (s *Server) restrictAccount(c echo.Context) error {
	return s.accountAct(c, true, s.deps.Accounts.Restrict)
}

// reinstateAccount: POST /accounts/{id}/reinstate (If-Match) → 200.
func (s *Server) reinstateAccount(c echo.Context) error {
	return s.accountAct(c, false, s.deps.Accounts.Reinstate)
}

// closeAccount: POST /accounts/{id}/close (If-Match) → 200.
func (s *Server) closeAccount(c echo.Context) error {
	return s.accountAct(c, true, s.deps.Accounts.Close)
}

type issueKeyResponse struct {
	Account accountView `json:"account"`
	KeyID   string      `json:"key_id"`
	// Secret is the bearer secret, shown once: only its SHA-256 is kept.
	Secret string `json:"secret"`
}

// issueAPIKey: POST /accounts/{id}/api-keys (If-Match; body optional:
// {"source_document": …}) → 201 with the secret, shown once.
func (s *Server) issueAPIKey(c echo.Context) error {
	a, err := s.accountInScope(c)
	if err != nil {
		return err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	var req struct{ decision }
	if hasBody(c.Request()) {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	keyID := base64.RawURLEncoding.EncodeToString(raw)
	ctx := c.Request().Context()
	if _, err := s.deps.Accounts.IssueAPIKey(ctx, a.ID(), ifMatch, keyID, m); err != nil {
		return err
	}
	secret, err := s.deps.Auth.IssueAPIKey(ctx, uuid.UUID(a.ID()), keyID)
	if err != nil {
		return err
	}
	b, err := s.deps.Accounts.Get(ctx, a.ID())
	if err != nil {
		return err
	}
	SetETag(c, b.Version())
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, issueKeyResponse{Account: viewAccount(b, CallerOf(c).Today), KeyID: keyID, Secret: secret})
}

// revokeAPIKey: POST /accounts/{id}/api-keys/{key}/revoke (If-Match) → 200.
func (s *Server) revokeAPIKey(c echo.Context) error {
	keyID := c.Param("key")
	return s.reasonedWrite(c, func(a *account.Account) error {
		for _, k := range a.APIKeys() {
			if k.ID == keyID {
				return nil
			}
		}
		return notFound
	}, func(ctx context.Context, a *account.Account, ifMatch uint64, reason string, m domain.Meta) error {
		if _, err := s.deps.Accounts.RevokeAPIKey(ctx, a.ID(), ifMatch, keyID, reason, m); err != nil {
			return err
		}
		_, err := s.deps.Auth.RevokeAPIKey(ctx, uuid.UUID(a.ID()), keyID, "revoked: "+reason)
		return err
	})
}

type certificateRequest struct {
	PEM string `json:"pem"` // one CERTIFICATE block
	decision
}

// registerCertificate: POST /accounts/{id}/certificates (If-Match) → 201.
// An administrator registers a signing certificate for an approver after
// checking it belongs to the person; the holder cannot register their own.
func (s *Server) registerCertificate(c echo.Context) error {
	a, ifMatch, req, err := pathWrite[certificateRequest](c, s.accountInScope)
	if err != nil {
		return err
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, "")
	if req.PEM == "" {
		f.add("/pem", "required", "")
	}
	if err := f.err(); err != nil {
		return err
	}
	if _, err := s.deps.Accounts.RegisterCertificate(c.Request().Context(), a.ID(), ifMatch, req.PEM, m); err != nil {
		return err
	}
	return s.respondAccount(c, http.StatusCreated, a.ID())
}

// revokeCertificate: POST /accounts/{id}/certificates/{fingerprint}/revoke
// (If-Match) → 200.
func (s *Server) revokeCertificate(c echo.Context) error {
	fp := c.Param("fingerprint")
	return s.reasonedWrite(c, func(a *account.Account) error {
		if _, ok := a.Certificate(fp); !ok {
			return notFound
		}
		return nil
	}, func(ctx context.Context, a *account.Account, ifMatch uint64, reason string, m domain.Meta) error {
		_, err := s.deps.Accounts.RevokeCertificate(ctx, a.ID(), ifMatch, fp, reason, m)
		return err
	})
}
