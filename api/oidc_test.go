package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/internal/ssotest"
)

// ssoEnv is a service whose single sign-on trusts a provider run by the
// test, both on one test clock.
func ssoEnv(t testing.TB) (*apitest.Env, *ssotest.Provider, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	p := ssotest.New(t, "http://127.0.0.1/login/oidc/callback")
	p.UseClock(clk.Now)
	e := apitest.Start(t, apitest.Options{Now: clk.Now, Config: service.Config{OIDC: config.OIDC{
		Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURL}}})
	return e, p, clk
}

func ssoLogin(e *apitest.Env, idToken, nonce string) *apitest.Response {
	e.T.Helper()
	return e.Do(http.MethodPost, "/api/v1/auth/oidc", "", map[string]string{"id_token": idToken, "nonce": nonce})
}

func etagOf(t *testing.T, e *apitest.Env, id domain.AccountID) string {
	t.Helper()
	r := e.Do(http.MethodGet, "/api/v1/accounts/"+id.String(), e.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET account: %d %s", r.Status, r.Body)
	}
	return r.Header.Get("ETag")
}

func link(e *apitest.Env, token string, id domain.AccountID, etag, issuer, subject string) *apitest.Response {
	e.T.Helper()
	return e.Do(http.MethodPost, "/api/v1/accounts/"+id.String()+"/oidc-links", token,
		map[string]any{"issuer": issuer, "subject": subject}, "If-Match", etag)
}

// TestOIDCLinks: an administrator links a provider's subject to an account
// in scope, with If-Match and problem+json like every account write; a
// subject links to one account at most; revoking the link frees it and
// ends the account's sessions.
func TestOIDCLinks(t *testing.T) {
	t.Parallel()
	e, p, _ := ssoEnv(t)
	hr := e.Account("can.bo.a", "", account.KindOrg, account.RoleHROfficer, e.Root)
	other := e.Account("can.bo.b", "", account.KindOrg, account.RoleHROfficer, e.Root)
	svc := e.Account("dong.bo", "", account.KindService, account.RoleHROfficer, e.Root)
	// An administrator of a department only: the root's accounts are not theirs.
	dept := e.Org("Phòng Tổ chức", "000.00.01.T02", e.Root)
	deptAdmin := e.Account("quantri.phong", "", account.KindAdministrator, account.RoleAdmin, dept)
	deptToken := e.Session(deptAdmin)

	before := amEvents(t, e)
	etag := etagOf(t, e, hr)
	for _, tc := range []struct {
		name        string
		token       string
		id          domain.AccountID
		etag        string
		issuer, sub string
		status      int
		code, field string
	}{
		{"no If-Match", e.AdminToken, hr, "", p.Issuer, "sub-a", 428, "if_match_required", ""},
		{"stale If-Match", e.AdminToken, hr, `"1"`, p.Issuer, "sub-a", 412, "version_mismatch", ""},
		{"no subject", e.AdminToken, hr, etag, p.Issuer, "", 422, "validation_failed", "/subject"},
		{"a subject with spaces", e.AdminToken, hr, etag, p.Issuer, "sub a", 422, "validation_failed", "/subject"},
		{"an issuer that is no URL", e.AdminToken, hr, etag, "sso.example", "sub-a", 422, "validation_failed", "/issuer"},
		{"a NUL in the subject", e.AdminToken, hr, etag, p.Issuer, "sub\x00a", 422, "validation_failed", "/subject"},
		{"a control character in the subject", e.AdminToken, hr, etag, p.Issuer, "sub\u0007a", 422, "validation_failed", "/subject"},
		{"a 10,000-character subject", e.AdminToken, hr, etag, p.Issuer, strings.Repeat("s", 10000), 422, "validation_failed", "/subject"},
		{"a 10,000-character issuer", e.AdminToken, hr, etag, p.Issuer + "/" + strings.Repeat("i", 10000), "sub-a", 422, "validation_failed", "/issuer"},
		{"another's id", e.AdminToken, domain.AccountID(uuid.Must(uuid.NewV7())), etag, p.Issuer, "sub-a", 404, "not_found", ""},
		{"out of the administrator's scope", deptToken, hr, etag, p.Issuer, "sub-a", 404, "not_found", ""},
		{"a service account", e.AdminToken, svc, etagOf(t, e, svc), p.Issuer, "sub-a", 409, "conflict", ""},
		{"the administrator's own account", e.AdminToken, e.Admin, etagOf(t, e, e.Admin), p.Issuer, "sub-a", 403, "forbidden", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := link(e, tc.token, tc.id, tc.etag, tc.issuer, tc.sub)
			pr := r.Problem()
			if r.Status != tc.status || pr.Code != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if tc.field != "" && (len(pr.Errors) == 0 || pr.Errors[0].Field != tc.field) {
				t.Errorf("errors %+v, want one on %s", pr.Errors, tc.field)
			}
		})
	}
	if got := amEvents(t, e) - before; got != 0 {
		t.Errorf("%d events appended by refused links", got)
	}

	r := link(e, e.AdminToken, hr, etag, p.Issuer, "sub-a")
	if r.Status != http.StatusCreated {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	var acct struct {
		OIDCLinks []struct {
			ID         string     `json:"id"`
			LinkedBy   string     `json:"linked_by"`
			UnlinkedAt *time.Time `json:"unlinked_at"`
		} `json:"oidc_links"`
	}
	r.JSON(&acct)
	if len(acct.OIDCLinks) != 1 || acct.OIDCLinks[0].LinkedBy != e.Admin.String() || acct.OIDCLinks[0].UnlinkedAt != nil {
		t.Fatalf("oidc_links = %+v, want one link in force by the administrator", acct.OIDCLinks)
	}
	linkID := acct.OIDCLinks[0].ID

	// The subject is the hr officer's: no one else's, and not twice.
	r = link(e, e.AdminToken, other, etagOf(t, e, other), p.Issuer, "sub-a")
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "oidc_subject_taken") {
		t.Errorf("the same subject to another account: %d %s, want 409 oidc_subject_taken", r.Status, r.Body)
	}
	r = link(e, e.AdminToken, hr, etagOf(t, e, hr), p.Issuer, "sub-a")
	if r.Status != http.StatusConflict {
		t.Errorf("the same subject twice: %d %s, want 409", r.Status, r.Body)
	}
	// The claim another account's refused link made is given up again:
	// the subject stays the hr officer's, and the other account can take
	// a subject of its own.
	if r := link(e, e.AdminToken, other, etagOf(t, e, other), p.Issuer, "sub-b"); r.Status != http.StatusCreated {
		t.Errorf("another subject to the other account: %d %s", r.Status, r.Body)
	}

	nonce := "n-" + strings.Repeat("x", 30)
	login := ssoLogin(e, p.IDToken("sub-a", nonce), nonce)
	if login.Status != http.StatusOK {
		t.Fatalf("SSO login of the linked subject: %d %s", login.Status, login.Body)
	}
	var sess struct {
		Token   string
		Account struct{ ID string }
	}
	login.JSON(&sess)
	if sess.Account.ID != hr.String() {
		t.Fatalf("SSO login as %s, want %s", sess.Account.ID, hr)
	}
	if r := e.Do(http.MethodGet, "/api/v1/me", sess.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("GET /me with the SSO session: %d %s", r.Status, r.Body)
	}

	// Revoking: unknown link 404, then the link; the session ends, the
	// subject logs in no more, and may be linked to another account.
	revoke := func(id, etag string) *apitest.Response {
		return e.Do(http.MethodPost, "/api/v1/accounts/"+hr.String()+"/oidc-links/"+id+"/revoke", e.AdminToken,
			map[string]any{"reason": "liên kết nhầm người"}, "If-Match", etag)
	}
	if r := revoke("0190d000-0000-7000-8000-000000000099", etagOf(t, e, hr)); r.Status != http.StatusNotFound {
		t.Errorf("revoke an unknown link: %d %s, want 404", r.Status, r.Body)
	}
	if r := revoke("not-a-uuid", etagOf(t, e, hr)); r.Status != http.StatusBadRequest {
		t.Errorf("revoke a malformed link id: %d %s, want 400", r.Status, r.Body)
	}
	if r := revoke(linkID, etagOf(t, e, hr)); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodGet, "/api/v1/me", sess.Token, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /me after the link was revoked: %d, want 401", r.Status)
	}
	if r := ssoLogin(e, p.IDToken("sub-a", nonce), nonce); r.Status != http.StatusUnauthorized {
		t.Errorf("SSO login after the link was revoked: %d %s, want 401", r.Status, r.Body)
	}
	if r := link(e, e.AdminToken, other, etagOf(t, e, other), p.Issuer, "sub-a"); r.Status != http.StatusCreated {
		t.Errorf("the revoked subject to another account: %d %s, want 201", r.Status, r.Body)
	}
}

// TestOIDCLogin: POST /auth/oidc starts a session only for a token the API
// verifies itself, of a linked subject, of an account that may log in;
// every refusal is the password login's 401, creates no session and is
// throttled like a wrong password.
func TestOIDCLogin(t *testing.T) {
	t.Parallel()
	e, p, clk := ssoEnv(t)
	accounts := map[string]domain.AccountID{}
	for _, name := range []string{"mo", "dong", "han.che", "doi.mk"} {
		id := e.Account("sso."+strings.ReplaceAll(name, ".", ""), "", account.KindOrg, account.RoleHROfficer, e.Root)
		if r := link(e, e.AdminToken, id, etagOf(t, e, id), p.Issuer, "sub-"+name); r.Status != http.StatusCreated {
			t.Fatalf("link %s: %d %s", name, r.Status, r.Body)
		}
		accounts[name] = id
	}
	act := func(name, what string) {
		id := accounts[name]
		body := map[string]any{"reason": "thử nghiệm"}
		if what == "password-reset" {
			body["password"] = "Mot-Lan-Duy-Nhat-2026"
		}
		r := e.Do(http.MethodPost, "/api/v1/accounts/"+id.String()+"/"+what, e.AdminToken, body, "If-Match", etagOf(t, e, id))
		if r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", what, name, r.Status, r.Body)
		}
	}
	act("dong", "close")
	act("han.che", "restrict")
	act("doi.mk", "password-reset")

	const nonce = "nonce-0123456789abcdef0123456789"
	good := func(sub string) ssotest.Claims { return p.Claims(sub, nonce) }
	with := func(c ssotest.Claims, k string, v any) ssotest.Claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	now := clk.Now()
	sessionsBefore := countSessions(t, e)
	for i, tc := range []struct {
		name  string
		token string
		nonce string
	}{
		{"an unlinked subject", p.Sign(good("sub-khong-ai")), nonce},
		{"another audience", p.Sign(with(good("sub-mo"), "aud", "another-client")), nonce},
		{"expired", p.Sign(with(with(good("sub-mo"), "exp", now.Add(-time.Minute).Unix()), "iat", now.Add(-10*time.Minute).Unix())), nonce},
		{"signed by a stranger", p.SignAsStranger(good("sub-mo")), nonce},
		{"another issuer", p.Sign(with(good("sub-mo"), "iss", "https://gia-mao.example")), nonce},
		{"another nonce", p.Sign(good("sub-mo")), "nonce-of-another-login-000000000"},
		{"several audiences, no authorized party", p.Sign(with(good("sub-mo"), "aud", []string{p.ClientID, "another-client"})), nonce},
		{"issued to another party", p.Sign(with(good("sub-mo"), "azp", "another-client")), nonce},
		{"no nonce in the token", p.Sign(with(good("sub-mo"), "nonce", nil)), nonce},
		{"not a JWT", "khong-phai-jwt", nonce},
		{"the signature cut off", strings.Join(strings.Split(p.Sign(good("sub-mo")), ".")[:2], ".") + ".", nonce},
		{"a closed account", p.Sign(good("sub-dong")), nonce},
		{"a restricted account", p.Sign(good("sub-han.che")), nonce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each from its own address: the throttle has a test of its own.
			from := e.From(fmt.Sprintf("127.0.1.%d", i+1))
			r := ssoLogin(from, tc.token, tc.nonce)
			if r.Status != http.StatusUnauthorized || r.Problem().Code != "unauthenticated" {
				t.Errorf("%d %s, want 401 unauthenticated", r.Status, r.Body)
			}
		})
	}
	if got := countSessions(t, e); got != sessionsBefore {
		t.Errorf("%d sessions started by refused logins", got-sessionsBefore)
	}

	t.Run("the good token", func(t *testing.T) {
		r := ssoLogin(e.From("127.0.2.1"), p.Sign(good("sub-mo")), nonce)
		if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("several audiences, issued to hoso", func(t *testing.T) {
		c := with(good("sub-mo"), "aud", []string{p.ClientID, "another-client"})
		if r := ssoLogin(e.From("127.0.2.6"), p.Sign(with(c, "azp", p.ClientID)), nonce); r.Status != http.StatusOK {
			t.Errorf("%d %s, want 200", r.Status, r.Body)
		}
	})
	t.Run("after the provider rotates its key", func(t *testing.T) {
		// The verifier saw the old key set; a token under a new key id
		// makes it fetch the set again, long after the request that first
		// read it has ended.
		old := p.Sign(good("sub-mo"))
		p.RotateKey()
		if r := ssoLogin(e.From("127.0.2.7"), p.Sign(good("sub-mo")), nonce); r.Status != http.StatusOK {
			t.Errorf("a token under the new key: %d %s, want 200", r.Status, r.Body)
		}
		if r := ssoLogin(e.From("127.0.2.8"), old, nonce); r.Status != http.StatusUnauthorized {
			t.Errorf("a token under the withdrawn key: %d %s, want 401", r.Status, r.Body)
		}
	})
	t.Run("a token starts one session", func(t *testing.T) {
		tok := p.Sign(good("sub-mo"))
		if r := ssoLogin(e.From("127.0.2.4"), tok, nonce); r.Status != http.StatusOK {
			t.Fatalf("first use: %d %s", r.Status, r.Body)
		}
		r := ssoLogin(e.From("127.0.2.5"), tok, nonce)
		if r.Status != http.StatusUnauthorized || r.Problem().Code != "unauthenticated" {
			t.Errorf("the same token again: %d %s, want 401", r.Status, r.Body)
		}
	})
	t.Run("a forced password change is not skipped", func(t *testing.T) {
		// The password the administrator set stays a way in until its
		// holder changes it, whatever way they log in.
		r := ssoLogin(e.From("127.0.2.2"), p.Sign(good("sub-doi.mk")), nonce)
		var out struct {
			Token   string
			Account struct {
				MustChange bool `json:"must_change_password"`
			}
		}
		r.JSON(&out)
		if r.Status != http.StatusOK || !out.Account.MustChange {
			t.Fatalf("%d %s, want 200 with must_change_password", r.Status, r.Body)
		}
		if r := e.Do(http.MethodGet, "/api/v1/orgs", out.Token, nil); r.Status != http.StatusForbidden || r.Problem().Code != "password_change_required" {
			t.Errorf("GET /orgs: %d %s, want 403 password_change_required", r.Status, r.Body)
		}
	})
	t.Run("bad bodies", func(t *testing.T) {
		for _, tc := range []struct {
			body        any
			status      int
			field, rule string
		}{
			{map[string]string{"nonce": nonce}, 422, "/id_token", "required"},
			{map[string]string{"id_token": "x"}, 422, "/nonce", "required"},
			{map[string]string{"id_token": strings.Repeat("x", 16<<10+1), "nonce": nonce}, 422, "/id_token", "length"},
			{map[string]string{"id_token": "x", "nonce": strings.Repeat("n", 257)}, 422, "/nonce", "length"},
			{map[string]string{"id_token": "x", "nonce": nonce, "sub": "sub-mo"}, 422, "/sub", ""},
		} {
			r := e.From("127.0.2.3").Do(http.MethodPost, "/api/v1/auth/oidc", "", tc.body)
			pr := r.Problem()
			if r.Status != tc.status || len(pr.Errors) == 0 || pr.Errors[0].Field != tc.field || (tc.rule != "" && pr.Errors[0].Rule != tc.rule) {
				t.Errorf("%v: %d %s, want %d on %s %s", tc.body, r.Status, r.Body, tc.status, tc.field, tc.rule)
			}
		}
	})
	t.Run("throttled", func(t *testing.T) {
		from := e.From("127.0.3.1")
		refused := 0
		for attempt := 0; attempt < 10 && refused == 0; attempt++ {
			r := ssoLogin(from, p.SignAsStranger(good("sub-mo")), nonce)
			switch r.Status {
			case http.StatusUnauthorized:
			case http.StatusTooManyRequests:
				refused++
				if r.Header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
			default:
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		}
		if refused == 0 {
			t.Fatal("ten forged tokens from one address, never throttled")
		}
		if r := ssoLogin(from, p.SignAsStranger(good("sub-mo")), nonce); r.Status != http.StatusTooManyRequests {
			t.Errorf("another forged token at once: %d, want 429", r.Status)
		}
		// As with passwords, the count is per name and address: the forged
		// tokens' name is not the subject's, so a good token from the
		// same address still goes through (until the address's own
		// count, 30 failures, slows everything it sends).
		if r := ssoLogin(from, p.Sign(good("sub-mo")), nonce); r.Status != http.StatusOK {
			t.Errorf("a good token from that address: %d %s, want 200", r.Status, r.Body)
		}
		clk.Advance(time.Hour)
		if r := ssoLogin(from, p.SignAsStranger(good("sub-mo")), nonce); r.Status != http.StatusUnauthorized {
			t.Errorf("a forged token after the wait: %d %s, want 401", r.Status, r.Body)
		}
	})
}

func countSessions(t *testing.T, e *apitest.Env) int {
	t.Helper()
	var n int
	if err := e.Svc.Pool.QueryRow(t.Context(), `SELECT count(*) FROM auth_tokens WHERE kind = 'session'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOIDCLoginOff: without HOSO_OIDC_* the route answers 501 and starts
// nothing.
func TestOIDCLoginOff(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	r := ssoLogin(e, "x.y.z", "nonce")
	if r.Status != http.StatusNotImplemented || r.Problem().Code != "not_implemented" {
		t.Errorf("%d %s, want 501 not_implemented", r.Status, r.Body)
	}
}

// FuzzOIDCLogin posts arbitrary bodies to POST /auth/oidc on a running
// server: none crashes it or starts a session; every answer is a refusal
// in problem+json (a fuzzer does not forge RS256 signatures).
func FuzzOIDCLogin(f *testing.F) {
	e, p, _ := ssoEnv(f)
	e.OpenAPI = nil
	const nonce = "nonce-0123456789abcdef0123456789"
	for _, seed := range []string{
		`{"id_token":"` + p.SignAsStranger(p.Claims("sub-a", nonce)) + `","nonce":"` + nonce + `"}`,
		`{"id_token":"` + p.IDToken("sub-khong-lien-ket", nonce) + `","nonce":"` + nonce + `"}`,
		`{"id_token":"` + p.IDToken("sub-a", "khac") + `","nonce":"` + nonce + `"}`,
		`{"id_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.","nonce":"n"}`,
		`{"id_token":"a.b.c","nonce":"n"}`,
		`{"id_token":1,"nonce":null}`,
		`{"id_token":"","nonce":""}`,
		`{}`, `[]`, `null`, `{"id_token":"x"`, "",
		"{\"id_token\":\"Nguye\u0302\u0303n\",\"nonce\":\"\u0000\"}",
	} {
		f.Add([]byte(seed))
	}
	client := &http.Client{Timeout: time.Minute}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := client.Post(e.URL+"/api/v1/auth/oidc", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		switch r.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
			http.StatusUnprocessableEntity, http.StatusTooManyRequests:
		default:
			t.Fatalf("POST /auth/oidc %q: %d %s", body, r.StatusCode, b)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("POST /auth/oidc %q: Content-Type %q, want problem+json", body, ct)
		}
	})
}

// TestOIDCProviderDown: hoso starts while the provider does not answer,
// and SSO logins are 503 with Retry-After (never a 500, never a session)
// until it does.
func TestOIDCProviderDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	e := apitest.Start(t, apitest.Options{Config: service.Config{OIDC: config.OIDC{
		Issuer: issuer, ClientID: "hoso", ClientSecret: "bi-mat", RedirectURL: "http://127.0.0.1/login/oidc/callback"}}})
	r := ssoLogin(e, "x.y.z", "nonce")
	if r.Status != http.StatusServiceUnavailable || r.Problem().Code != "unavailable" || r.Header.Get("Retry-After") == "" {
		t.Errorf("%d %s, want 503 unavailable with Retry-After", r.Status, r.Body)
	}
}
