package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// SSOConfig is the OpenID provider the login page offers beside passwords
// (HU 16.4). The zero value offers none.
type SSOConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this application's /login/oidc/callback as the
	// provider knows it (the browser's view of the address).
	RedirectURL string
	// PostLogoutRedirectURL is where the provider sends the browser back
	// after a single logout; empty: RedirectURL's origin + "/login".
	PostLogoutRedirectURL string
}

// postLogout is PostLogoutRedirectURL or its default.
func (c SSOConfig) postLogout() string {
	if c.PostLogoutRedirectURL != "" {
		return c.PostLogoutRedirectURL
	}
	u, err := url.Parse(c.RedirectURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/login"
}

// Enabled reports whether single sign-on is configured.
func (c SSOConfig) Enabled() bool { return c.Issuer != "" && c.ClientID != "" && c.RedirectURL != "" }

// sso runs the browser's half of the authorization code flow: it sends the
// browser to the provider and takes the code back. It verifies nothing
// itself: the ID token goes to the API (POST /api/v1/auth/oidc), which
// checks it and starts the session, exactly as it checks a password.
type sso struct {
	cfg SSOConfig

	mu    sync.Mutex
	oauth *oauth2.Config // nil until the provider's discovery document was read
	// endSession is the provider's end_session_endpoint (RP-initiated
	// logout); empty when it names none.
	endSession string
}

// config reads the provider's endpoints on first use, so that hoso starts
// while the provider is down.
func (s *sso) config(ctx context.Context) (*oauth2.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth != nil {
		return s.oauth, nil
	}
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&extra); err == nil {
		if u, err := url.Parse(extra.EndSession); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			s.endSession = extra.EndSession
		}
	}
	s.oauth = &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, RedirectURL: s.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID}}
	return s.oauth, nil
}

// formAction is the CSP's form-action: our own origin and, with single
// sign-on, the provider's end_session_endpoint's, because browsers hold a
// form to form-action through its redirects and the logout form's answer
// redirects there. The issuer's origin stands in until discovery was read.
func (s *sso) formAction() string {
	if !s.cfg.Enabled() {
		return "'self'"
	}
	s.mu.Lock()
	end := s.endSession
	s.mu.Unlock()
	if end == "" {
		end = s.cfg.Issuer
	}
	u, err := url.Parse(end)
	if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
		return "'self'"
	}
	return "'self' " + u.Scheme + "://" + u.Host
}

// logoutURL is the provider's end_session_endpoint with the ID token that
// started the session as id_token_hint, this client's id and where to come
// back (OpenID Connect RP-Initiated Logout 1.0); false when the provider
// offers no such endpoint or cannot be reached (the local logout stands).
func (s *sso) logoutURL(ctx context.Context, idToken string) (string, bool) {
	if _, err := s.config(ctx); err != nil {
		return "", false
	}
	s.mu.Lock()
	end := s.endSession
	s.mu.Unlock()
	back := s.cfg.postLogout()
	if end == "" || back == "" {
		return "", false
	}
	u, err := url.Parse(end)
	if err != nil {
		return "", false
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", s.cfg.ClientID)
	q.Set("post_logout_redirect_uri", back)
	u.RawQuery = q.Encode()
	return u.String(), true
}

// The ID token that started a session by single sign-on is kept for the
// single logout in a cookie of its own: HttpOnly, sent only to /logout,
// living as long as the session cookie. It opens nothing: the API refuses
// an ID token a second time (oidc_id_tokens_used), so a stolen cookie
// logs nobody in; the provider checks it as a hint only.
const (
	ssoIDCookie     = "hoso_oidc_id"
	ssoIDCookiePath = "/logout"
)

func setIDCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: ssoIDCookie, Value: value, Path: ssoIDCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// The cookie that carries the flow's secrets from /login/oidc to its
// callback: state (the callback belongs to this browser's own request:
// no login CSRF), nonce (the ID token was minted for this request), the
// PKCE verifier (only this browser can redeem the code) and where to go
// after. HttpOnly, ten minutes, only sent to the callback's path, and
// SameSite=Lax, since the provider's redirect back is a top-level
// navigation from another site.
const (
	ssoCookie     = "hoso_oidc"
	ssoCookiePath = "/login/oidc"
	ssoFlowTTL    = 10 * time.Minute
)

type ssoFlow struct{ State, Nonce, Verifier, Next string }

func (f ssoFlow) encode() string {
	parts := []string{f.State, f.Nonce, f.Verifier, f.Next}
	for i, p := range parts {
		parts[i] = base64.RawURLEncoding.EncodeToString([]byte(p))
	}
	return strings.Join(parts, ".")
}

func decodeFlow(v string) (ssoFlow, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 4 {
		return ssoFlow{}, errors.New("web: malformed SSO cookie")
	}
	out := make([]string, 4)
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return ssoFlow{}, errors.New("web: malformed SSO cookie")
		}
		out[i] = string(b)
	}
	f := ssoFlow{State: out[0], Nonce: out[1], Verifier: out[2], Next: out[3]}
	if len(f.State) < 32 || len(f.Nonce) < 32 || f.Verifier == "" {
		return ssoFlow{}, errors.New("web: incomplete SSO cookie")
	}
	return f, nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func setFlowCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: value, Path: ssoCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// ssoStart: GET /login/oidc sends the browser to the provider's
// authorization endpoint (code flow, PKCE S256, a fresh state and nonce).
func (a *App) ssoStart(w http.ResponseWriter, r *http.Request) {
	cfg, err := a.sso.config(r.Context())
	if err != nil {
		a.cfg.Logger.Warn("single sign-on provider unreachable", "error", err.Error())
		a.loginFailed(w, r, http.StatusServiceUnavailable, "Không kết nối được cổng đăng nhập một lần (SSO). Vui lòng thử lại sau hoặc đăng nhập bằng mật khẩu.", "/")
		return
	}
	f := ssoFlow{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), Next: localPath(r.URL.Query().Get("next"))}
	setFlowCookie(w, r, f.encode(), int(ssoFlowTTL/time.Second))
	http.Redirect(w, r, cfg.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// ssoCallback: GET /login/oidc/callback, the provider's redirect back. The
// flow cookie is cleared first, whatever follows: a callback is good once.
// The code is redeemed with the PKCE verifier; the ID token, with the
// nonce this browser started with, goes to the API, whose answer decides.
func (a *App) ssoCallback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(ssoCookie)
	setFlowCookie(w, r, "", -1)
	var f ssoFlow
	if err == nil {
		f, err = decodeFlow(c.Value)
	}
	q := r.URL.Query()
	if err != nil || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		a.loginFailed(w, r, http.StatusBadRequest, "Phiên đăng nhập SSO đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.", "/")
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		a.loginFailed(w, r, http.StatusUnauthorized, "Cổng đăng nhập một lần (SSO) đã không xác nhận đăng nhập.", f.Next)
		return
	}
	cfg, err := a.sso.config(r.Context())
	if err != nil {
		a.loginFailed(w, r, http.StatusServiceUnavailable, "Không kết nối được cổng đăng nhập một lần (SSO). Vui lòng thử lại sau.", f.Next)
		return
	}
	var raw string
	tok, err := cfg.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err == nil {
		raw, _ = tok.Extra("id_token").(string)
	}
	if raw == "" {
		a.loginFailed(w, r, http.StatusUnauthorized, "Cổng đăng nhập một lần (SSO) đã từ chối mã đăng nhập. Vui lòng đăng nhập lại.", f.Next)
		return
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/auth/oidc", "", map[string]string{"id_token": raw, "nonce": f.Nonce})
	if rep.OK() {
		setIDCookie(w, r, raw, 0)
	}
	a.startSession(w, r, rep, f.Next, "Tài khoản SSO này chưa được liên kết với tài khoản hồ sơ nào đang hoạt động, hoặc tài khoản đã bị khóa.", "")
}

// loginFailed shows the login page with why the SSO login did not work.
func (a *App) loginFailed(w http.ResponseWriter, r *http.Request, status int, msg, next string) {
	a.render(w, r, status, "login", "", view{Title: "Đăng nhập", Flash: msg, Data: a.loginData(next, "")})
}
