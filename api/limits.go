package api

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// Body limits. JSON bodies are commands and fit in maxJSONBody (1 MiB); any
// other media type (multipart/form-data, a raw scan) is an upload and may be
// up to MaxUploadBody.
const (
	MaxJSONBody   = maxJSONBody
	MaxUploadBody = 32 << 20
)

// BadParameter is a 400 bad_parameter naming the parameter ("query:limit",
// "path:id", "header:X-Purpose") and the rule it broke.
func BadParameter(param, rule, detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: detail,
		Errors: []FieldProblem{{Field: param, Rule: rule, Detail: detail}}}
}

// PageSize reads the page size from the "limit" query parameter: def when
// absent, else an integer from 1 to max; anything else is 400 bad_parameter
// naming query:limit (a client asking for 10,000 rows learns the bound
// instead of silently getting fewer).
func PageSize(c echo.Context, def, max int) (int, error) {
	raw := c.QueryParam("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, BadParameter("query:limit", "range", fmt.Sprintf("limit must be an integer from 1 to %d", max))
	}
	return n, nil
}

// limitBody bounds every request body before a handler reads it: 413 at
// once when Content-Length says too much, and http.MaxBytesReader for bodies
// that do not declare it (decodeJSON turns its error into 413 too).
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		limit := int64(maxJSONBody)
		if mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err == nil && !isJSON(mt) {
			limit = MaxUploadBody
		}
		if r.ContentLength > limit {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: fmt.Sprintf("limit %d bytes", limit)}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// requireMediaType refuses a body whose Content-Type is missing or
// unparseable with 415: a handler must never guess how to read bytes. Which
// types a route accepts is its own business (decodeJSON: JSON only;
// RequireContentType for uploads).
func requireMediaType(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !hasBody(r) {
			return next(c)
		}
		ct := r.Header.Get(echo.HeaderContentType)
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			return unsupportedMedia(ct, "application/json")
		}
		return next(c)
	}
}

// RequireContentType is route middleware for routes that take a body other
// than JSON (uploads): any media type outside types is 415.
func RequireContentType(types ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ct := c.Request().Header.Get(echo.HeaderContentType)
			mt, _, err := mime.ParseMediaType(ct)
			if err == nil {
				for _, t := range types {
					if strings.EqualFold(mt, t) {
						return next(c)
					}
				}
			}
			return unsupportedMedia(ct, strings.Join(types, ", "))
		}
	}
}

func unsupportedMedia(got, want string) *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia, Detail: "send Content-Type: " + want,
		Errors: []FieldProblem{{Field: "header:Content-Type", Rule: "media_type", Detail: got}}}
}

func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}
