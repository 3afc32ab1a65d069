// Package ssotest runs an OpenID provider for tests (HU 16.4): discovery,
// its signing keys (JWKS), an authorization endpoint with a login form, and
// a token endpoint for the authorization code flow with PKCE (S256). ID
// tokens are real RS256 JWS made with go-jose; codes are single-use. It
// also mints tokens with chosen claims or a stranger's key, so tests can
// present what a broken or hostile provider would. It also ends sessions
// by RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an
// end_session_endpoint in discovery that checks the id_token_hint and the
// registered post_logout_redirect_uri, records whose session ended and
// sends the browser back. For tests only.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// User is an account at the provider.
type User struct {
	Username, Password string
	Subject            string // the "sub" of its ID tokens
}

// Provider is the running provider. Issuer is its URL.
type Provider struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string // the one redirect URI the client registered
	// PostLogoutRedirectURL is the one post-logout redirect URI the
	// client registered (default: the redirect URI's origin + "/login").
	PostLogoutRedirectURL string

	srv   *httptest.Server
	key   *rsa.PrivateKey
	keyID string
	now   func() time.Time

	mu    sync.Mutex
	users map[string]User
	codes map[string]grant // outstanding codes; deleted on first use
	// Exchanges counts the token requests, refused ones included.
	exchanges int
	// logouts are the subjects whose sessions RP-initiated logout ended,
	// in order; noEndSession hides the endpoint from discovery.
	logouts      []string
	noEndSession bool
}

// grant is what an authorization code stands for.
type grant struct {
	user                 User
	nonce, redirect      string
	challenge, challMeth string
	expires              time.Time
}

// New starts a provider for one client whose redirect URI is redirectURL
// (settable later with SetRedirectURL, when it is not known yet). It stops
// when the test ends.
func New(t testing.TB, redirectURL string, users ...User) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: "hoso-web", ClientSecret: randomString(24), RedirectURL: redirectURL,
		key: key, keyID: "k-" + randomString(6), now: time.Now, users: map[string]User{}, codes: map[string]grant{}}
	for _, u := range users {
		p.users[u.Username] = u
	}
	if u, err := url.Parse(redirectURL); err == nil && u.Host != "" {
		p.PostLogoutRedirectURL = u.Scheme + "://" + u.Host + "/login"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorizeForm)
	mux.HandleFunc("POST /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /logout", p.endSession)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.Issuer = p.srv.URL
	return p
}

// SetRedirectURL sets the client's registered redirect URI (and the
// post-logout one, to its origin + "/login").
func (p *Provider) SetRedirectURL(u string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.RedirectURL = u
	if pu, err := url.Parse(u); err == nil && pu.Host != "" {
		p.PostLogoutRedirectURL = pu.Scheme + "://" + pu.Host + "/login"
	}
}

// WithoutEndSession makes discovery name no end_session_endpoint, as a
// provider without RP-initiated logout.
func (p *Provider) WithoutEndSession() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noEndSession = true
}

// Logouts are the subjects whose sessions RP-initiated logout ended.
func (p *Provider) Logouts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logouts...)
}

// endSession is the end_session_endpoint: the id_token_hint must be a
// token this provider signed for this client (expired ones too, as the
// specification allows), client_id (when sent) this client's, and
// post_logout_redirect_uri the registered one; then the subject's session
// ends and the browser goes back, with state. Anything else is a 400 page
// that redirects nowhere (an open redirector is what the checks prevent).
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	registered, key := p.PostLogoutRedirectURL, p.key
	p.mu.Unlock()
	sub, ok := p.hintSubject(q.Get("id_token_hint"), key)
	switch {
	case !ok:
		http.Error(w, "invalid id_token_hint", http.StatusBadRequest)
		return
	case q.Get("client_id") != "" && q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	case q.Get("post_logout_redirect_uri") != registered:
		http.Error(w, "post_logout_redirect_uri not registered", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.logouts = append(p.logouts, sub)
	p.mu.Unlock()
	back, _ := url.Parse(registered)
	if st := q.Get("state"); st != "" {
		bq := back.Query()
		bq.Set("state", st)
		back.RawQuery = bq.Encode()
	}
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// hintSubject checks an id_token_hint and returns its subject.
func (p *Provider) hintSubject(tok string, key *rsa.PrivateKey) (string, bool) {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", false
	}
	payload, err := jws.Verify(&key.PublicKey)
	if err != nil {
		return "", false
	}
	var c struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Iss != p.Issuer || c.Sub == "" {
		return "", false
	}
	switch aud := c.Aud.(type) {
	case string:
		return c.Sub, aud == p.ClientID
	case []any:
		for _, a := range aud {
			if a == p.ClientID {
				return c.Sub, true
			}
		}
	}
	return "", false
}

// UseClock makes the provider mint its tokens (iat, exp) and expire its
// codes by now instead of the wall clock: the clock of the server under
// test, when that is a test clock.
func (p *Provider) UseClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = now
}

func (p *Provider) clock() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now()
}

// Exchanges is how many token requests the provider has answered.
func (p *Provider) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exchanges
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	noEnd := p.noEndSession
	p.mu.Unlock()
	doc := map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.Issuer + "/authorize",
		"token_endpoint":                        p.Issuer + "/token",
		"jwks_uri":                              p.Issuer + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid"},
	}
	if !noEnd {
		doc["end_session_endpoint"] = p.Issuer + "/logout"
	}
	writeJSON(w, http.StatusOK, doc)
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	key, kid := p.signingKey()
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Cổng đăng nhập một lần</title></head>
<body><h1>Cổng đăng nhập một lần (thử nghiệm)</h1>
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
<form method="post" action="/authorize">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<label>Tài khoản <input id="sso-username" name="username" autocomplete="username"></label>
<label>Mật khẩu <input id="sso-password" name="password" type="password"></label>
<button id="sso-submit" type="submit">Đăng nhập</button>
</form></body></html>`))

// authParams are the parameters of an authorization request the form
// carries through.
var authParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// checkAuthRequest refuses what a real provider refuses before showing a
// form: an unknown client or a redirect URI it did not register (never
// redirected to), and a request without PKCE.
func (p *Provider) checkAuthRequest(v url.Values) (string, bool) {
	p.mu.Lock()
	redirect := p.RedirectURL
	p.mu.Unlock()
	switch {
	case v.Get("client_id") != p.ClientID:
		return "unknown client", false
	case v.Get("redirect_uri") != redirect:
		return "redirect_uri not registered", false
	case v.Get("response_type") != "code":
		return "response_type must be code", false
	case v.Get("code_challenge") == "" || v.Get("code_challenge_method") != "S256":
		return "PKCE (S256) required", false
	}
	return "", true
}

func (p *Provider) authorizeForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if msg, ok := p.checkAuthRequest(q); !ok {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	params := map[string]string{}
	for _, k := range authParams {
		params[k] = q.Get(k)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginForm.Execute(w, map[string]any{"Params": params})
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if msg, ok := p.checkAuthRequest(f); !ok {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	u, ok := p.users[f.Get("username")]
	p.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(f.Get("password"))) != 1 {
		params := map[string]string{}
		for _, k := range authParams {
			params[k] = f.Get(k)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_ = loginForm.Execute(w, map[string]any{"Params": params, "Error": "Sai tài khoản hoặc mật khẩu."})
		return
	}
	code := randomString(24)
	expires := p.clock().Add(time.Minute)
	p.mu.Lock()
	p.codes[code] = grant{user: u, nonce: f.Get("nonce"), redirect: f.Get("redirect_uri"),
		challenge: f.Get("code_challenge"), challMeth: f.Get("code_challenge_method"), expires: expires}
	p.mu.Unlock()
	back, _ := url.Parse(f.Get("redirect_uri"))
	q := back.Query()
	q.Set("code", code)
	q.Set("state", f.Get("state"))
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token is the token endpoint (RFC 6749 §4.1.3 with RFC 7636): the client
// authenticates, the code is used once, the redirect URI and the PKCE
// verifier must match the authorization request.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.exchanges++
	p.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, ok := p.codes[code]
	delete(p.codes, code) // used once, whatever happens next
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok, p.clock().After(g.expires), r.PostForm.Get("redirect_uri") != g.redirect,
		g.challMeth != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	tok := p.IDToken(g.user.Subject, g.nonce)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomString(24), "token_type": "Bearer",
		"expires_in": 300, "id_token": tok})
}

// Claims are the claims of a token the provider mints; IDToken's defaults
// are those of a good token.
type Claims map[string]any

// IDToken is a good ID token for subject with nonce, for the client,
// valid for five minutes.
func (p *Provider) IDToken(subject, nonce string) string {
	return p.Sign(p.Claims(subject, nonce))
}

// Claims are a good token's claims, to change before Sign. Each has a
// token id of its own (jti), so no two tokens are the same bytes.
func (p *Provider) Claims(subject, nonce string) Claims {
	now := p.clock()
	c := Claims{"iss": p.Issuer, "sub": subject, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": randomString(12)}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return c
}

// Sign signs claims with the provider's key (RS256, its key id).
func (p *Provider) Sign(c Claims) string {
	key, kid := p.signingKey()
	return signWith(key, kid, c)
}

func (p *Provider) signingKey() (*rsa.PrivateKey, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key, p.keyID
}

// RotateKey replaces the signing key with a new one under a new key id,
// and publishes only the new one, as a provider does after a rotation.
func (p *Provider) RotateKey() {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key, p.keyID = k, "k-"+randomString(6)
}

// SignAsStranger signs claims with a key the provider never published,
// under the provider's key id: what a forger would send.
func (p *Provider) SignAsStranger(c Claims) string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	_, kid := p.signingKey()
	return signWith(k, kid, c)
}

func signWith(k *rsa.PrivateKey, kid string, c Claims) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}
