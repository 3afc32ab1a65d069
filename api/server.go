package api

import (
	"context"
	"errors"
	"fmt"
	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/internal/trustcache"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Config is the server's configuration, read once by cmd/hoso.
type Config struct {
	Listen         string        // "127.0.0.1:8080"; ":0" in tests
	RequestTimeout time.Duration // per request; default 30 s
	// AncestryTrust is how long an org's ancestry read from the org tree
	// read model answers again without a query (0: always query). Call
	// OrgTreeChanged when that read model changes; the trust bounds how
	// late a change made by another process is seen.
	AncestryTrust time.Duration
	// TrustedProxies are the peers (reverse proxies, load balancers) whose
	// X-Forwarded-For header names the client; from any other peer the
	// header is the client's own claim and is ignored. Empty: the client
	// is the TCP peer.
	TrustedProxies []*net.IPNet
	// MetricsListen is the address of the Prometheus exposition, GET
	// /metrics ("127.0.0.1:9090"; ":0" in tests). Empty: not served. It
	// is never served on Listen, which faces the API's clients.
	MetricsListen string
	// OIDC is the single sign-on provider (HU 16.4); zero: none.
	OIDC OIDCConfig
}

// Check is a readiness probe: nil when the dependency answers.
type Check func(ctx context.Context) error

// Server is the HTTP API. Open starts it; Close stops it gracefully.
type Server struct {
	cfg    Config
	deps   *Deps
	log    *slog.Logger
	echo   *echo.Echo
	ln     net.Listener
	ready  map[string]Check
	served chan error
	reads  *readlog.Log
	// tree keeps orgs' ancestries as the org tree read model gave them:
	// the policy asks for one on nearly every request, and the tree changes
	// rarely. Only the read model's answers are kept (not the ledger's
	// fallback for an org the read model does not have yet).
	tree  *trustcache.Cache[domain.OrgID, []domain.OrgID]
	views viewCache

	// metrics is GET /metrics (set by the machinery's mount), served on
	// its own listener mln when Config.MetricsListen is set.
	metrics    http.Handler
	mln        net.Listener
	metricsSrv *http.Server
	metricsErr chan error

	// routes is every method and path served (see checkQuery).
	routes map[string]bool

	// pages is the browser application beside the API (ServePages).
	pages Pages
}

// Pages is an HTTP handler for the paths it owns (the web application).
type Pages interface {
	http.Handler
	Owns(r *http.Request) bool
}

// ServePages serves p beside the API on the same listener: a request p
// owns goes to p, every other (the API, the probes, unknown paths) to the
// API as before. Call it before Open.
func (s *Server) ServePages(p Pages) { s.pages = p }

// handler is what the listener serves.
func (s *Server) handler() http.Handler {
	if s.pages == nil {
		return s.echo
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") && s.pages.Owns(r) {
			s.pages.ServeHTTP(w, r)
			return
		}
		s.echo.ServeHTTP(w, r)
	})
}

// New builds the server and its routes; nothing listens until Open. With
// nil deps only the probes are served (the API needs its dependencies).
func New(cfg Config, log *slog.Logger, ready map[string]Check, deps *Deps) *Server {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, log: log, echo: echo.New(), ready: ready, deps: deps,
		tree: trustcache.New[domain.OrgID, []domain.OrgID](cfg.AncestryTrust, maxCachedAncestries)}
	if deps != nil {
		s.reads = readlog.New(deps.ReadLog)
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Pre(securityHeaders)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return uuid.Must(uuid.NewV7()).String() },
	}))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "error", err.Error(), "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: cfg.RequestTimeout}))
	e.Use(s.checkQuery)
	if deps != nil {
		s.useMachinery()
	}
	s.mountRoutes()
	s.routes = routeSet(e)
	return s
}

// securityHeaders go on every answer, errors and unknown routes included
// (it runs before routing). no-store: answers carry personal data and must
// stay out of shared and browser caches; a handler whose answer may be
// cached (the OpenAPI document) sets its own Cache-Control. The API serves
// no HTML, so the content security policy forbids everything, framing too.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderCacheControl, "no-store")
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		h.Set(echo.HeaderReferrerPolicy, "no-referrer")
		h.Set(echo.HeaderContentSecurityPolicy, "default-src 'none'; frame-ancestors 'none'")
		return next(c)
	}
}

// ipExtractor is how c.RealIP finds the client, for the read log, the
// refusal log and login throttling. Echo's default reads X-Forwarded-For
// and X-Real-IP from anyone, so a client could write any address into the
// read log; and its XFF extractor trusts loopback and private ranges unless
// told otherwise. Here only the configured proxies are trusted.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Echo exposes the router, for tests that list what it mounts. Routes are
// added in routes.go only, so that the OpenAPI tests see every one.
func (s *Server) Echo() *echo.Echo { return s.echo }

// Open listens and serves in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	s.ln = ln
	s.served = make(chan error, 1)
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout + 30*time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.echo.Server = srv
	go func() { s.served <- srv.Serve(ln) }()
	if s.cfg.MetricsListen != "" && s.metrics != nil {
		mln, err := net.Listen("tcp", s.cfg.MetricsListen)
		if err != nil {
			_ = s.echo.Shutdown(context.Background())
			<-s.served
			s.ln = nil
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics)
		s.mln, s.metricsErr = mln, make(chan error, 1)
		s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
		go func() { s.metricsErr <- s.metricsSrv.Serve(mln) }()
	}
	return nil
}

// MetricsURL is the base URL of the metrics listener, "" when it is off.
func (s *Server) MetricsURL() string {
	if s.mln == nil {
		return ""
	}
	return "http://" + s.mln.Addr().String()
}

// URL is the base URL the server listens on, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops accepting requests and waits for those in flight.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	err := s.echo.Shutdown(ctx)
	if served := <-s.served; !errors.Is(served, http.ErrServerClosed) && err == nil {
		err = served
	}
	if s.metricsSrv != nil {
		if mErr := s.metricsSrv.Shutdown(ctx); mErr != nil && err == nil {
			err = mErr
		}
		if served := <-s.metricsErr; !errors.Is(served, http.ErrServerClosed) && err == nil {
			err = served
		}
	}
	return err
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when every dependency answers, naming each.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status, body := http.StatusOK, map[string]string{}
	for name, check := range s.ready {
		if err := check(ctx); err != nil {
			status, body[name] = http.StatusServiceUnavailable, "unavailable"
			s.log.Warn("not ready", "dependency", name, "error", err.Error())
			continue
		}
		body[name] = "ok"
	}
	return c.JSON(status, body)
}
