package api

// useMachinery installs the cross-cutting middleware of every route on the
// Echo instance (it runs after routing, so c.Path is the route pattern):
// metrics outermost, so what it counts is what was sent; then the body limit
// and the media-type check, before any handler reads a byte. GET /metrics,
// the Prometheus exposition, is served on its own listener
// (Config.MetricsListen) and never on the API's address: it needs no token,
// and although it names only routes and counts, the traffic of every route
// is not the business of whoever can reach the API.
func (s *Server) useMachinery() {
	m := newHTTPMetrics(s.deps.Metrics)
	s.echo.Use(m.middleware, limitBody, requireMediaType)
	s.metrics = m.handler()
}
