package api

import "github.com/labstack/echo/v4"

// The cross-cutting middleware of every route, installed on the Echo
// instance (it runs after routing, so c.Path is the route pattern): metrics
// outermost, so what it counts is what was sent; then the body limit and the
// media-type check, before any handler reads a byte. GET /metrics is the
// Prometheus exposition; it is not under /api/v1 and needs no token, like
// the probes: it names routes and counts, never accounts or dossiers.
func init() {
	registerRoutes(func(s *Server, _ *echo.Group) {
		m := newHTTPMetrics(s.deps.Metrics)
		s.echo.Use(m.middleware, limitBody, requireMediaType)
		s.echo.GET("/metrics", m.handler())
	})
}
