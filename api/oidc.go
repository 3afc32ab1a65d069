package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// OIDCConfig is the OpenID provider whose ID tokens start sessions (HU
// 16.4). The zero value turns single sign-on off: POST /auth/oidc then
// answers 501.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, exactly as its ID tokens name
	// it; its discovery document is read from
	// Issuer/.well-known/openid-configuration.
	Issuer string
	// ClientID is hoso's client at the provider: an ID token must name it
	// in its audience.
	ClientID string
}

// Enabled reports whether single sign-on is configured.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" && c.ClientID != "" }

// oidcVerifier checks ID tokens against the provider's published keys. The
// discovery document is read on first use, not at start-up, so that hoso
// starts while the provider is down; until it answers, SSO logins get 503.
type oidcVerifier struct {
	cfg OIDCConfig
	now func() time.Time

	mu sync.Mutex
	v  *oidc.IDTokenVerifier
}

func (o *oidcVerifier) verifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.v != nil {
		return o.v, nil
	}
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Detail: "the single sign-on provider does not answer", RetryAfter: 5 * time.Second}
	}
	// The key set outlives this request: its later fetches (a rotated key)
	// must not fail because the request that made it has ended.
	o.v = p.VerifierContext(context.Background(), &oidc.Config{ClientID: o.cfg.ClientID, Now: o.now})
	return o.v, nil
}

// IDTokens remembers the ID tokens that started a session, so that each
// starts one at most.
type IDTokens interface {
	// Spend records the token's SHA-256 until it expires and reports
	// whether it was new; false when a session was already started with it.
	Spend(ctx context.Context, sha256 [32]byte, expires, now time.Time) (bool, error)
}

// The bounds of POST /auth/oidc's body: an ID token is a compact JWS of a
// few kilobytes; the nonce is the client's random string.
const (
	maxIDToken = 16 << 10
	maxNonce   = 256
)

type oidcLoginRequest struct {
	IDToken string `json:"id_token"`
	Nonce   string `json:"nonce"`
}

// oidcInvalidName is the throttle's name for ID tokens that do not verify:
// their claims cannot be trusted, so their failures count against the
// address (and this one name), never against a subject.
const oidcInvalidName = "oidc:invalid-token"

// oidcThrottleName is the throttle's name of a verified subject. The
// throttle keeps digests of names, never the names.
func oidcThrottleName(issuer, subject string) string { return "oidc:" + issuer + "\n" + subject }

// oidcLogin: POST /auth/oidc, a session for a verified ID token of the
// configured provider whose subject an administrator linked to an active
// account. The client (the web application's callback) got the token from
// the provider's token endpoint; this route trusts nothing of that and
// checks it all again (checkIDToken): the signature against the
// provider's published keys, the issuer, the audience (hoso's client id),
// the expiry, the authorized party, and the nonce the client sent with its
// authorization request, which must come back in the token; and a token
// starts one session at most (IDTokens). Every refusal is the one 401 of a
// password login; the throttle counts them as it counts wrong passwords.
func (r *sessionRoutes) oidcLogin(c echo.Context) error {
	if r.oidc == nil {
		return &Error{Status: http.StatusNotImplemented, Code: CodeNotImplemented, Detail: "single sign-on is not configured (HOSO_OIDC_*)"}
	}
	var req oidcLoginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var f fields
	switch {
	case req.IDToken == "":
		f.add("/id_token", "required", "")
	case len(req.IDToken) > maxIDToken:
		f.add("/id_token", "length", "at most 16 KiB")
	}
	switch {
	case req.Nonce == "":
		f.add("/nonce", "required", "the nonce sent with the authorization request")
	case len(req.Nonce) > maxNonce:
		f.add("/nonce", "length", "at most 256 bytes")
	}
	if err := f.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, err := r.oidc.verifier(ctx)
	if err != nil {
		return err
	}
	tok, reason, err := r.checkIDToken(ctx, v, req)
	if err != nil {
		return err
	}
	if reason != "" {
		// Counted, and answered as any failed login: the client learns
		// nothing about which check failed; the operator does (a clock
		// out of step with the provider's shows as "expired").
		r.s.log.Info("single sign-on token refused", "reason", reason,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "remote_addr", clientAddr(c))
		if err := r.attempt(c, oidcInvalidName); err != nil {
			return err
		}
		return errBadCredentials
	}
	name := oidcThrottleName(tok.Issuer, tok.Subject)
	if err := r.attempt(c, name); err != nil {
		return err
	}
	acct, err := r.s.deps.Accounts.ByOIDCSubject(ctx, tok.Issuer, tok.Subject)
	if errors.Is(err, domain.ErrNotFound) {
		return errBadCredentials
	}
	if err != nil {
		return err
	}
	now := r.s.deps.now()
	if !acct.ActiveOn(domain.DateOf(now)) || acct.Kind() == account.KindService {
		return errBadCredentials
	}
	if err := r.throttle.Succeeded(ctx, name, clientAddr(c)); err != nil {
		return err
	}
	token, sess, err := r.s.deps.Auth.StartSession(ctx, uuid.UUID(acct.ID()))
	if err != nil {
		return err
	}
	r.s.log.Info("session started", "method", "oidc", "account", acct.ID().String(),
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, loginResponse{Token: token, TokenType: "Bearer", ExpiresAt: sess.ExpiresAt,
		IdleTimeout: int(auth.IdleTimeout / time.Second), Account: summarize(acct)})
}

// checkIDToken verifies the token and answers why it is refused, "" when
// it is not (then it has been spent); an error only when the store of
// spent tokens fails. go-oidc checks the signature, the issuer, the
// audience and the expiry; the authorized party and the nonce are checked
// here (OpenID Connect Core §3.1.3.7 items 4–5 and 11).
func (r *sessionRoutes) checkIDToken(ctx context.Context, v *oidc.IDTokenVerifier, req oidcLoginRequest) (*oidc.IDToken, string, error) {
	tok, err := v.Verify(ctx, req.IDToken)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return nil, "expired", nil
	case err != nil:
		return nil, "invalid", nil
	}
	var extra struct {
		AZP string `json:"azp"`
	}
	if err := tok.Claims(&extra); err != nil {
		return nil, "invalid", nil
	}
	// A token for several audiences must say it was issued to us; one that
	// names its authorized party must name us.
	if (len(tok.Audience) > 1 && extra.AZP == "") || (extra.AZP != "" && extra.AZP != r.oidc.cfg.ClientID) {
		return nil, "authorized_party", nil
	}
	if tok.Nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(req.Nonce)) != 1 {
		return nil, "nonce", nil
	}
	if r.s.deps.IDTokens != nil {
		// Good once: a token copied with its nonce (a log, a proxy, the
		// browser's history of the callback) starts no second session.
		fresh, err := r.s.deps.IDTokens.Spend(ctx, sha256.Sum256([]byte(req.IDToken)), tok.Expiry, r.s.deps.now())
		if err != nil {
			return nil, "", err
		}
		if !fresh {
			return nil, "used", nil
		}
	}
	return tok, "", nil
}

// oidcLinkView is a link as administrators see it.
type oidcLinkView struct {
	ID         string     `json:"id"`
	Issuer     string     `json:"issuer"`
	Subject    string     `json:"subject"`
	LinkedAt   time.Time  `json:"linked_at"`
	LinkedBy   string     `json:"linked_by"`
	UnlinkedAt *time.Time `json:"unlinked_at,omitempty"`
}

func viewOIDCLinks(a *account.Account) []oidcLinkView {
	out := []oidcLinkView{}
	for _, l := range a.OIDCLinks() {
		out = append(out, oidcLinkView{ID: l.ID.String(), Issuer: l.Issuer, Subject: l.Subject, LinkedAt: l.LinkedAt,
			LinkedBy: l.By.String(), UnlinkedAt: timePtr(l.UnlinkedAt)})
	}
	return out
}

type oidcLinkRequest struct {
	LinkID  string `json:"link_id,omitempty"` // the client may mint it (UUID), so a retry is the same link
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
	decision
}

// linkOIDC: POST /accounts/{id}/oidc-links (If-Match) → 201 with the
// account. The administrator has checked that the provider's account is
// the person's; a subject already linked to another account is 409
// oidc_subject_taken, whoever's account that is (scope does not hide it:
// the subject, not the other account, is what the caller named).
func (s *Server) linkOIDC(c echo.Context) error {
	a, ifMatch, req, err := pathWrite[oidcLinkRequest](c, s.accountInScope)
	if err != nil {
		return err
	}
	var f fields
	id := f.id("/link_id", req.LinkID)
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	if _, err := s.deps.Accounts.LinkOIDC(c.Request().Context(), a.ID(), ifMatch, id, req.Issuer, req.Subject, m); err != nil {
		return err
	}
	return s.respondAccount(c, http.StatusCreated, a.ID())
}

// unlinkOIDC: POST /accounts/{id}/oidc-links/{link}/revoke (If-Match) →
// 200. The account's sessions end with it (not its API keys): a link made
// to the wrong person must not leave that person signed in.
func (s *Server) unlinkOIDC(c echo.Context) error {
	var link uuid.UUID
	return s.reasonedWrite(c, func(a *account.Account) (err error) {
		if link, err = pathID(c, "link"); err != nil {
			return err
		}
		for _, l := range a.OIDCLinks() {
			if l.ID == link {
				return nil
			}
		}
		return notFound
	}, func(ctx context.Context, a *account.Account, ifMatch uint64, reason string, m domain.Meta) error {
		if _, err := s.deps.Accounts.UnlinkOIDC(ctx, a.ID(), ifMatch, link, reason, m); err != nil {
			return err
		}
		_, err := s.deps.Auth.RevokeSessions(ctx, uuid.UUID(a.ID()), "single sign-on link revoked")
		return err
	})
}
