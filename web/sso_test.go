package web_test

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/internal/ssotest"
)

// ssoService runs the service with single sign-on at a provider run by
// the test. The redirect URI names the service's own address, so the port
// is chosen before the service starts.
func ssoService(t *testing.T, users ...ssotest.User) (*apitest.Env, *ssotest.Provider) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := ssotest.New(t, "http://"+addr+"/login/oidc/callback", users...)
	e := apitest.Start(t, apitest.Options{Config: service.Config{Listen: addr, OIDC: config.OIDC{
		Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURL}}})
	return e, p
}

// ssoLink has the seed administrator link the subject to the account.
func ssoLink(t *testing.T, e *apitest.Env, p *ssotest.Provider, id domain.AccountID, subject string) {
	t.Helper()
	r := e.Do(http.MethodGet, "/api/v1/accounts/"+id.String(), e.AdminToken, nil)
	r = e.Do(http.MethodPost, "/api/v1/accounts/"+id.String()+"/oidc-links", e.AdminToken,
		map[string]any{"issuer": p.Issuer, "subject": subject}, "If-Match", r.Header.Get("ETag"))
	if r.Status != http.StatusCreated {
		t.Fatalf("link %s: %d %s", subject, r.Status, r.Body)
	}
}

var ssoUsers = []ssotest.User{
	{Username: "an.nguyen", Password: "sso-mat-khau-1", Subject: "7b1d3c0e-an"},
	{Username: "khach", Password: "sso-mat-khau-2", Subject: "9f00aa11-khach"},
	{Username: "da.nghi", Password: "sso-mat-khau-3", Subject: "5c2e8d44-danghi"},
}

// TestBrowserSSO: the login page offers single sign-on; the provider's
// form, then back on the list as the linked account; a subject linked to
// no account is refused with a message and no session.
func TestBrowserSSO(t *testing.T) {
	t.Parallel()
	e, p := ssoService(t, ssoUsers...)
	hr := e.Account("an.tccb", "", account.KindOrg, account.RoleHROfficer, e.Root)
	ssoLink(t, e, p, hr, "7b1d3c0e-an")
	e.Dossier(e.Root, "Nguyễn Văn An")
	e.Dossier(e.Root, "Trần Thị Bình")
	e.WaitCaughtUp()
	base := e.URL
	ctx := browser(t)

	do(t, ctx, "login page", chromedp.Navigate(base+"/dossiers"), chromedp.WaitVisible(chromedp.CSS("#sso-login")))
	if txt := get(t, ctx, "SSO button", chromedp.Text(chromedp.CSS("#sso-login"))); txt != "Đăng nhập bằng SSO" {
		t.Errorf("SSO button says %q", txt)
	}
	shot(t, ctx, "login-sso")

	ssoBrowserLogin := func(user ssotest.User) {
		t.Helper()
		do(t, ctx, "SSO as "+user.Username,
			chromedp.Click(chromedp.CSS("#sso-login")),
			chromedp.WaitVisible(chromedp.CSS("#sso-username")),
			chromedp.SendKeys(chromedp.CSS("#sso-username"), user.Username),
			chromedp.SendKeys(chromedp.CSS("#sso-password"), user.Password),
			chromedp.Click(chromedp.CSS("#sso-submit")),
		)
	}
	ssoBrowserLogin(ssoUsers[0])
	waitFor(t, ctx, "the list as the linked account", `location.origin == "`+base+`" && location.pathname == "/dossiers" &&
		document.body.innerText.includes("Tài khoản an.tccb") && document.querySelectorAll("#results tbody tr").length == 2`)
	if c := get(t, ctx, "cookies", chromedp.Evaluate[string]("document.cookie")); strings.Contains(c, "hoso_session") || strings.Contains(c, "hoso_oidc") {
		t.Errorf("document.cookie = %q: the session and SSO cookies must be HttpOnly", c)
	}
	shot(t, ctx, "dossiers-after-sso")

	do(t, ctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#sso-login")))
	// Single logout: the browser went through the provider's end session
	// endpoint (the page's form-action allows it) and back to the login.
	if got := p.Logouts(); len(got) != 1 || got[0] != ssoUsers[0].Subject {
		t.Errorf("the provider's logouts = %v, want %s's session ended", got, ssoUsers[0].Subject)
	}
	ssoBrowserLogin(ssoUsers[1])
	waitFor(t, ctx, "refused: not linked", `location.pathname == "/login/oidc/callback" && document.body.innerText.includes("chưa được liên kết")`)
	do(t, ctx, "the list without a session", chromedp.Navigate(base+"/dossiers"), chromedp.WaitVisible(chromedp.CSS("#username")))
}

// ssoFlow runs the browser's part of a login at the HTTP level: the
// redirect to the provider, its form, the redirect back. It returns the
// callback URL and the flow cookie the browser then holds, before the
// callback is visited.
func ssoFlow(t *testing.T, base string, user ssotest.User) (*http.Client, string, *http.Cookie) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.Get(base + "/login/oidc?next=%2Fdossiers")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	auth, err := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("GET /login/oidc: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	q := auth.Query()
	for k, want := range map[string]string{"response_type": "code", "code_challenge_method": "S256", "scope": "openid"} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 32 || len(q.Get("nonce")) < 32 || q.Get("code_challenge") == "" {
		t.Errorf("authorization request without a strong state, nonce and PKCE challenge: %s", auth.RawQuery)
	}
	form := url.Values{"username": {user.Username}, "password": {user.Password}}
	for k := range q {
		form.Set(k, q.Get(k))
	}
	r, err = c.PostForm(auth.Scheme+"://"+auth.Host+auth.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	callback := r.Header.Get("Location")
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(callback, base+"/login/oidc/callback?") {
		t.Fatalf("provider login: %d to %q", r.StatusCode, callback)
	}
	cu, _ := url.Parse(callback)
	var flow *http.Cookie
	for _, ck := range jar.Cookies(cu) {
		if ck.Name == "hoso_oidc" {
			flow = ck
		}
	}
	if flow == nil {
		t.Fatal("no flow cookie for the callback")
	}
	return c, callback, flow
}

// callback visits the callback URL with the client's cookies plus extra.
func callback(t *testing.T, c *http.Client, u string, extra ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for _, ck := range extra {
		req.AddCookie(ck)
	}
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

func sessionCookie(r *http.Response) *http.Cookie {
	for _, ck := range r.Cookies() {
		if ck.Name == "hoso_session" && ck.Value != "" {
			return ck
		}
	}
	return nil
}

// TestSSOCallback: the callback starts a session only for the browser that
// started the flow, once; a replayed code, a forged state, a subject linked
// to no account and a closed account get none.
func TestSSOCallback(t *testing.T) {
	t.Parallel()
	e, p := ssoService(t, ssoUsers...)
	hr := e.Account("an.tccb", "", account.KindOrg, account.RoleHROfficer, e.Root)
	ssoLink(t, e, p, hr, ssoUsers[0].Subject)
	gone := e.Account("da.nghi", "", account.KindOrg, account.RoleHROfficer, e.Root)
	ssoLink(t, e, p, gone, ssoUsers[2].Subject)
	r := e.Do(http.MethodGet, "/api/v1/accounts/"+gone.String(), e.AdminToken, nil)
	if r = e.Do(http.MethodPost, "/api/v1/accounts/"+gone.String()+"/close", e.AdminToken,
		map[string]any{"reason": "nghỉ hưu"}, "If-Match", r.Header.Get("ETag")); r.Status != http.StatusOK {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	base := e.URL

	t.Run("a linked subject, once", func(t *testing.T) {
		c, cb, flow := ssoFlow(t, base, ssoUsers[0])
		res, _ := callback(t, c, cb)
		sess := sessionCookie(res)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dossiers" || sess == nil {
			t.Fatalf("callback: %d to %q, session %v", res.StatusCode, res.Header.Get("Location"), sess)
		}
		if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie %+v, want HttpOnly SameSite=Lax", sess)
		}
		cleared := false
		for _, ck := range res.Cookies() {
			cleared = cleared || ck.Name == "hoso_oidc" && ck.MaxAge < 0
		}
		if !cleared {
			t.Error("the callback did not clear the flow cookie")
		}
		me := e.Do(http.MethodGet, "/api/v1/me", sess.Value, nil)
		if me.Status != http.StatusOK || !strings.Contains(string(me.Body), hr.String()) {
			t.Fatalf("GET /me with the SSO session: %d %s", me.Status, me.Body)
		}

		// The same callback again, even with the flow cookie copied back:
		// the provider refuses the used code, and no session comes of it.
		before := p.Exchanges()
		res, body := callback(t, c, cb, flow)
		if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil || !strings.Contains(body, "từ chối mã đăng nhập") {
			t.Errorf("replayed code: %d, session %v", res.StatusCode, sessionCookie(res))
		}
		if p.Exchanges() != before+1 {
			t.Errorf("the replay reached the provider %d times, want once", p.Exchanges()-before)
		}
		// Without the flow cookie, it does not even get that far.
		res, _ = callback(t, c, cb)
		if res.StatusCode != http.StatusBadRequest || sessionCookie(res) != nil || p.Exchanges() != before+1 {
			t.Errorf("callback without the flow cookie: %d, exchanges %d", res.StatusCode, p.Exchanges()-before)
		}
	})
	t.Run("a forged state", func(t *testing.T) {
		c, cb, _ := ssoFlow(t, base, ssoUsers[0])
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", strings.Repeat("A", 43))
		u.RawQuery = q.Encode()
		before := p.Exchanges()
		res, _ := callback(t, c, u.String())
		if res.StatusCode != http.StatusBadRequest || sessionCookie(res) != nil || p.Exchanges() != before {
			t.Errorf("forged state: %d, session %v, exchanges %d", res.StatusCode, sessionCookie(res), p.Exchanges()-before)
		}
	})
	t.Run("another browser's callback", func(t *testing.T) {
		// Login CSRF: a victim's browser handed the attacker's callback has
		// no flow cookie of that flow.
		_, cb, _ := ssoFlow(t, base, ssoUsers[0])
		victim, _, _ := ssoFlow(t, base, ssoUsers[1])
		res, _ := callback(t, victim, cb)
		if res.StatusCode != http.StatusBadRequest || sessionCookie(res) != nil {
			t.Errorf("another flow's callback: %d, session %v", res.StatusCode, sessionCookie(res))
		}
	})
	for _, tc := range []struct {
		name string
		user ssotest.User
	}{{"a subject linked to no account", ssoUsers[1]}, {"a closed account", ssoUsers[2]}} {
		t.Run(tc.name, func(t *testing.T) {
			c, cb, _ := ssoFlow(t, base, tc.user)
			res, body := callback(t, c, cb)
			if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil || !strings.Contains(body, "chưa được liên kết") {
				t.Errorf("%d, session %v", res.StatusCode, sessionCookie(res))
			}
		})
	}
	t.Run("the login page without SSO", func(t *testing.T) {
		// The button shows only when configured; the routes are absent.
		plain := apitest.Start(t)
		r, err := http.Get(plain.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if strings.Contains(string(b), "sso-login") {
			t.Error("the login page offers SSO without HOSO_OIDC_*")
		}
		r, err = http.Get(plain.URL + "/login/oidc")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET /login/oidc without SSO: %d, want 404", r.StatusCode)
		}
	})
}

// TestSSOProviderDown: with the provider unreachable the button still
// shows, and following it says so on the login page (503), with the
// password form still there.
func TestSSOProviderDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close()
	e := apitest.Start(t, apitest.Options{Config: service.Config{OIDC: config.OIDC{
		Issuer: issuer, ClientID: "hoso", ClientSecret: "bi-mat", RedirectURL: "http://127.0.0.1/login/oidc/callback"}}})
	r, err := http.Get(e.URL + "/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "Không kết nối được cổng đăng nhập một lần") ||
		!strings.Contains(string(b), `id="password"`) {
		t.Errorf("GET /login/oidc with the provider down: %d\n%s", r.StatusCode, b)
	}
}

// TestSSOLogout: logging out of a session started by single sign-on ends
// it here and then at the provider (RP-initiated logout: the
// end_session_endpoint from discovery, the session's ID token as
// id_token_hint, the registered post_logout_redirect_uri), and the
// browser comes back to the login page. A password session, a provider
// without the endpoint and a forged hint end the session here only.
func TestSSOLogout(t *testing.T) {
	t.Parallel()
	e, p := ssoService(t, ssoUsers...)
	hr := e.Account("an.tccb", "Mat-Khau-An-2026", account.KindOrg, account.RoleHROfficer, e.Root)
	ssoLink(t, e, p, hr, ssoUsers[0].Subject)
	e2, p2 := ssoService(t, ssoUsers...)
	p2.WithoutEndSession()
	hr2 := e2.Account("an.tccb", "", account.KindOrg, account.RoleHROfficer, e2.Root)
	ssoLink(t, e2, p2, hr2, ssoUsers[0].Subject)

	// login signs in through the provider and returns the browser with
	// its session, or by password when sso is false.
	login := func(t *testing.T, e *apitest.Env, sso bool) (*http.Client, *cookiejar.Jar) {
		t.Helper()
		if !sso {
			c := newClient(t, e.URL)
			c.login("an.tccb", "Mat-Khau-An-2026")
			return c.http, c.http.Jar.(*cookiejar.Jar)
		}
		c, cb, _ := ssoFlow(t, e.URL, ssoUsers[0])
		if res, _ := callback(t, c, cb); sessionCookie(res) == nil {
			t.Fatalf("SSO login: %d", res.StatusCode)
		}
		return c, c.Jar.(*cookiejar.Jar)
	}
	cookie := func(jar *cookiejar.Jar, u, name string) string {
		pu, _ := url.Parse(u)
		for _, ck := range jar.Cookies(pu) {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}
	for _, tc := range []struct {
		name     string
		e        *apitest.Env
		p        *ssotest.Provider
		sso      bool
		forge    bool
		provider bool // the browser is sent to the provider's end_session_endpoint
		ended    bool // and the provider ends the subject's session
	}{
		{name: "SSO: here and at the provider", e: e, p: p, sso: true, provider: true, ended: true},
		{name: "password: here only", e: e, p: p},
		{name: "a provider without end_session_endpoint", e: e2, p: p2, sso: true},
		{name: "a forged hint: here, and the provider refuses it", e: e, p: p, sso: true, forge: true, provider: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.p.Logouts())
			c, jar := login(t, tc.e, tc.sso)
			if page, _ := c.Get(tc.e.URL + "/dossiers"); page == nil || page.StatusCode != http.StatusOK {
				t.Fatalf("signed in: %v", page)
			}
			session := cookie(jar, tc.e.URL, "hoso_session")
			if idCookie := cookie(jar, tc.e.URL+"/logout", "hoso_oidc_id"); (idCookie != "") != tc.sso {
				t.Fatalf("ID token cookie %q after a login by SSO %v", idCookie, tc.sso)
			}
			if tc.forge {
				pu, _ := url.Parse(tc.e.URL + "/logout")
				jar.SetCookies(pu, []*http.Cookie{{Name: "hoso_oidc_id", Value: tc.p.SignAsStranger(tc.p.Claims(ssoUsers[0].Subject, "")), Path: "/logout"}})
			}
			res, err := c.PostForm(tc.e.URL+"/logout", url.Values{"_csrf": {cookie(jar, tc.e.URL, "hoso_csrf")}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d to %q", res.StatusCode, loc)
			}
			// The session here is over whatever the provider does.
			if r := tc.e.Do(http.MethodGet, "/api/v1/me", session, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("the API session after logout: %d", r.Status)
			}
			if cookie(jar, tc.e.URL, "hoso_session") != "" || cookie(jar, tc.e.URL+"/logout", "hoso_oidc_id") != "" {
				t.Errorf("cookies left after logout")
			}
			if !tc.provider {
				if loc != "/login" {
					t.Errorf("logout went to %q, want /login", loc)
				}
				if len(tc.p.Logouts()) != before {
					t.Errorf("the provider ended a session: %v", tc.p.Logouts())
				}
				return
			}
			u, err := url.Parse(loc)
			if err != nil || !strings.HasPrefix(loc, tc.p.Issuer+"/logout?") {
				t.Fatalf("logout went to %q, want the provider's end_session_endpoint", loc)
			}
			q := u.Query()
			if q.Get("id_token_hint") == "" || q.Get("client_id") != tc.p.ClientID || q.Get("post_logout_redirect_uri") != tc.e.URL+"/login" {
				t.Errorf("end session request: %s", u.RawQuery)
			}
			back, err := c.Get(loc)
			if err != nil {
				t.Fatal(err)
			}
			back.Body.Close()
			if !tc.ended {
				if back.StatusCode != http.StatusBadRequest || len(tc.p.Logouts()) != before {
					t.Errorf("the provider took a forged hint: %d, logouts %v", back.StatusCode, tc.p.Logouts())
				}
				return
			}
			if back.StatusCode != http.StatusFound || back.Header.Get("Location") != tc.e.URL+"/login" {
				t.Errorf("the provider sent the browser to %d %q, want the login page", back.StatusCode, back.Header.Get("Location"))
			}
			if got := tc.p.Logouts(); len(got) != before+1 || got[len(got)-1] != ssoUsers[0].Subject {
				t.Errorf("provider logouts = %v, want %s ended", got, ssoUsers[0].Subject)
			}
		})
	}
}
