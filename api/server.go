package api

import (
	"context"
	"errors"
	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/internal/trustcache"
	"log/slog"
	"net"
	"net/http"
	"sync"
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
	// routes is every method and path served (see checkQuery), listed at
	// the first request: approval routes are mounted after New.
	routes func() map[string]bool
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
		pool := deps.ReadLog
		if pool == nil {
			pool = deps.Pool
		}
		s.reads = readlog.New(pool)
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
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
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if deps != nil {
		v1 := e.Group("/api/v1")
		for _, m := range mounts {
			m(s, v1)
		}
	}
	s.routes = sync.OnceValue(func() map[string]bool { return routeSet(e) })
	return s
}

// Echo exposes the router so feature files can add their routes.
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
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout + 30*time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.echo.Server = srv
	go func() { s.served <- srv.Serve(ln) }()
	return nil
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
