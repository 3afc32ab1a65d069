package web

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain/catalog"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the application needs beside the API.
type Config struct {
	// Catalog names the catalogue codes a dossier holds (ranks, job
	// positions…); the API answers codes.
	Catalog *catalog.Catalog
	Logger  *slog.Logger
	// SSO is the OpenID provider offered beside passwords; zero: none.
	SSO SSOConfig
}

// App is the web application: an http.Handler for its own paths. Owns
// tells the server which paths those are, so that everything else (the
// API, the probes, unknown paths) keeps the API's answers.
type App struct {
	api   apiClient
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
	xorig *http.CrossOriginProtection
	sso   *sso
}

// The cookies of the application.
const (
	sessionCookie = "hoso_session"
	csrfCookie    = "hoso_csrf"
	csrfField     = "_csrf"
)

// New builds the application over the API's handler.
func New(cfg Config, apiHandler http.Handler) *App {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Catalog == nil {
		cfg.Catalog = catalog.Default()
	}
	a := &App{api: apiClient{h: apiHandler}, cfg: cfg, mux: http.NewServeMux(), xorig: http.NewCrossOriginProtection(),
		sso: &sso{cfg: cfg.SSO}}
	a.pages = parsePages(a.funcs())
	static, _ := fs.Sub(staticFS, "static")
	a.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(http.FileServerFS(static), 24*time.Hour)))
	a.routes()
	return a
}

// Owns reports whether path is one of the application's.
func (a *App) Owns(r *http.Request) bool {
	_, pattern := a.mux.Handler(r)
	return pattern != ""
}

// ServeHTTP serves a page: security headers, then the cross-origin check
// and the CSRF token of every unsafe request, then the route.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	// Scripts and styles from our own origin only: htmx is configured by a
	// meta tag to inject no inline style, and no page has inline script.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action "+a.sso.formAction()+"; frame-ancestors 'none'; base-uri 'none'")
	if !safeMethod(r.Method) {
		if err := a.xorig.Check(r); err != nil {
			a.forbidden(w, r, "Yêu cầu đến từ một trang khác đã bị từ chối.")
			return
		}
		if !csrfValid(r) {
			a.forbidden(w, r, "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.")
			return
		}
	}
	a.mux.ServeHTTP(w, r)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfToken returns the request's CSRF token, setting the cookie when the
// browser has none yet: the double-submit pattern; a forged form from
// another site cannot read the cookie to copy it into the form.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	// A page rendered in this same response must see the token too.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// csrfValid checks the form's token (or htmx's header) against the cookie.
// Multipart forms are parsed here with the same bound as the page's own.
func csrfValid(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			if err := r.ParseMultipartForm(maxUpload); err != nil {
				return false
			}
		}
		sent = r.PostFormValue(csrfField)
	}
	return subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) == 1
}

// maxUpload bounds a page's multipart form (a scan and a few fields).
const maxUpload = 21 << 20

// token is the session's API token, "" without a session cookie.
func token(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func setSession(w http.ResponseWriter, r *http.Request, tok string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// toLogin sends the browser to the login page, back to where it was after.
func toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
	}
	target := "/login?next=" + url.QueryEscape(next)
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath keeps a redirect target on this site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

func cacheFor(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+itoa(int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}
