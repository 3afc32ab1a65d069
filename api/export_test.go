package api

// RouteQueryParams are the query parameters of each route ("GET
// /api/v1/dossiers/:id"), for TestQueryParamsMatchOpenAPI; true marks a list.
func RouteQueryParams() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for route, params := range routeParams {
		out[route] = map[string]bool{}
		for name, kind := range params {
			out[route][name] = kind == list
		}
	}
	return out
}
