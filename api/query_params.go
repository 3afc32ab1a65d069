package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// The query parameters of every route, checked once before any handler
// runs (checkQuery): a parameter the route does not take, a parameter that
// is not a list given twice, a broken percent-escape, invalid UTF-8 or a
// control character is a 400 naming the parameter. Handlers may then read
// c.QueryParam and trust that it is the only value, and the access checks
// see exactly what the query uses. Nothing hostile reaches PostgreSQL,
// which refuses NUL in text (that was a 500).

// paramKind says how often a query parameter may appear.
type paramKind uint8

const (
	one  paramKind = iota // at most once
	list                  // repeated and/or comma-separated (queryValues)
)

// routeParams are the query parameters of each route, by method and Echo
// path. A route absent here takes none. TestQueryParamsMatchOpenAPI keeps
// this table and api/openapi.yaml naming the same parameters.
var routeParams = map[string]map[string]paramKind{
	"GET /api/v1/orgs":     {"status": one},
	"GET /api/v1/accounts": {"org": list, "role": list, "state": list, "q": one, "limit": one, "cursor": one},
	"GET /api/v1/dossiers": {
		"q": one, "archive": one, "sort": one, "org": list, "status": list, "class": list, "sex": list,
		"managing_org": list, "employing_unit": list, "born_from": one, "born_to": one,
		"ethnicity": list, "religion": list, "party_member": one, "rank": list, "title": list,
		"job_position": list, "job_position_group": one, "qualification": list, "political_theory": list, "state_management": list,
		"it_level": list, "language": list, "language_level": list, "civil_servant_number": one,
		"personal_id_number": one, "updated_from": one, "updated_to": one, "id": list, "limit": one, "cursor": one,
		"purpose": one, "purpose_ref": one,
	},
	"GET /api/v1/dossiers/:id":         {"as_of": one, "effective_on": one, "purpose": one, "purpose_ref": one},
	"GET /api/v1/dossiers/:id/history": {"purpose": one, "purpose_ref": one},
	"GET /api/v1/transfers":            {"direction": one, "state": list, "org": list, "limit": one, "cursor": one, "purpose": one, "purpose_ref": one},
	"GET /api/v1/attachments/:sha256":  {"purpose": one, "purpose_ref": one},
	"GET /api/v1/transfers/:id":        {"purpose": one, "purpose_ref": one},
	"GET /api/v1/breaches/:id":         {"purpose": one, "purpose_ref": one},
	"GET /api/v1/audit": {
		"org": list, "actor": one, "dossier": one, "from": one, "to": one, "effective_from": one,
		"effective_to": one, "type": list, "limit": one, "cursor": one, "correction": one, "corrects_approved": one,
		"purpose": one, "purpose_ref": one,
	},
	"GET /api/v1/audit/reads": {
		"org": list, "account": one, "dossier": one, "outcome": list, "purpose": list, "consent": one, "from": one, "to": one, "limit": one, "cursor": one,
	},
	"GET /api/v1/archive": {
		"q": one, "org": list, "status": list, "class": list, "left_from": one, "left_to": one, "sort": one,
		"sex": list, "managing_org": list, "employing_unit": list, "born_from": one, "born_to": one,
		"civil_servant_number": one, "personal_id_number": one, "limit": one, "cursor": one,
		"purpose": one, "purpose_ref": one,
	},
	"GET /api/v1/compliance/items": {
		"org": list, "from": one, "to": one, "late_only": one, "action": list, "limit": one, "cursor": one,
	},
	"GET /api/v1/compliance/overdue":               {"org": list, "as_of": one},
	"GET /api/v1/compliance/summary":               {"org": list, "from": one, "to": one, "as_of": one},
	"GET /api/v1/compliance/approvals":             {"org": list, "flagged_only": one},
	"GET /api/v1/outages":                          {"org": list},
	"GET /api/v1/reports/headcount":                {"as_of": one, "group_by": list, "format": one, "org": list},
	"GET /api/v1/compliance/reports":               {"org": list, "as_of": one, "from_year": one, "to_year": one, "late_only": one},
	"GET /api/v1/approvals/:org/:month/manifest":   {"level": one, "supplement": one},
	"POST /api/v1/approvals/:org/:month/signature": {"level": one, "supplement": one},
	"GET /api/v1/approvals/:org/:month":            {"level": one, "supplement": one},
	"GET /api/v1/proofs/inclusion":                 {"event": one, "size": one},
	"GET /api/v1/proofs/consistency":               {"from": one, "to": one},
	// Remote hash signing (approvals_remote.go).
	"POST /api/v1/approvals/:org/:month/signature/prepare":  {"level": one, "supplement": one},
	"POST /api/v1/approvals/:org/:month/signature/complete": {"level": one, "supplement": one},
	"GET /api/v1/dossiers/:id/cv.pdf":                       {"as_of": one, "effective_on": one, "purpose": one, "purpose_ref": one},
	"GET /api/v1/dossiers/:id/export":                       {"as_of": one, "purpose": one, "purpose_ref": one},
	"GET /api/v1/sync/packages":                             {"org": list, "month": one, "problems": one},
}

// routeKey names a route in routeParams.
func routeKey(method, path string) string { return method + " " + path }

// routeSet is the method and path of every route the server serves, so
// that checkQuery leaves a request Echo will answer 404 or 405 alone.
func routeSet(e *echo.Echo) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.Routes() {
		out[routeKey(r.Method, r.Path)] = true
	}
	return out
}

// checkQuery refuses the request's query string unless the route takes
// every parameter in it, as often as it appears, in valid text.
func (s *Server) checkQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		key := routeKey(r.Method, c.Path())
		if r.URL.RawQuery == "" || !s.routes[key] {
			return next(c)
		}
		if err := checkQueryString(routeParams[key], r.URL.RawQuery); err != nil {
			return err
		}
		return next(c)
	}
}

// checkQueryString checks a raw query string against the parameters a
// route takes (see checkQuery). It reads the pairs itself rather than
// through url.ParseQuery, which drops a pair it cannot decode without
// saying which.
func checkQueryString(params map[string]paramKind, raw string) error {
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, nameErr := url.QueryUnescape(rawName)
		if nameErr != nil {
			name = rawName
		}
		if nameErr != nil || strings.Contains(pair, ";") || !utf8.ValidString(name) {
			return queryProblem(name, "encoding", "not a well-formed query parameter: percent-encoded UTF-8 pairs separated by &")
		}
		if hasControl(name) {
			return queryProblem(name, "control", "control characters are not allowed")
		}
		kind, ok := params[name]
		if !ok {
			return queryProblem(name, "unknown", "this route takes no such parameter")
		}
		if kind == one && seen[name] {
			return queryProblem(name, "repeated", "give it once")
		}
		seen[name] = true
		value, err := url.QueryUnescape(rawValue)
		if err != nil || !utf8.ValidString(value) {
			return queryProblem(name, "encoding", "not percent-encoded UTF-8")
		}
		if hasControl(value) {
			return queryProblem(name, "control", "control characters (NUL, tab, line breaks…) are not allowed")
		}
	}
	return nil
}

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// queryProblem is the 400 naming a query parameter. The name is echoed as
// the client sent it, made printable and cut short.
func queryProblem(name, rule, detail string) *Error {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(name, string(utf8.RuneError)))
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "") + "…"
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: "query:" + name + ": " + detail,
		Errors: []FieldProblem{{Field: "query:" + name, Rule: rule, Detail: detail}}}
}

// protectedParams are the query parameters whose values only callers with
// read_sensitive may see: the sensitive filters of the dossier lists.
var protectedParams = sensitiveFilters

// redactedValue replaces a protected parameter's value in the read log.
const redactedValue = "[redacted]"

// redactQuery is a raw query string as the read log keeps and shows it:
// every value of a protected parameter replaced by redactedValue, the rest
// as sent. A search by a sensitive filter finds, and logs, only dossiers
// that hold the value, so the log rows already say which dossier was
// found; the value itself would tell an inspector without read_sensitive
// what the dossier view hides from them.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	pairs := strings.Split(raw, "&")
	for i, pair := range pairs {
		rawName, _, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			name = rawName
		}
		// A pair with a semicolon was never applied (checkQuery refuses
		// it, and net/url drops it), but a row logged before may hold
		// one: its value is not shown, whatever it hides.
		if strings.Contains(pair, ";") || slices.Contains(protectedParams, name) {
			pairs[i] = rawName + "=" + redactedValue
		}
	}
	return strings.Join(pairs, "&")
}
