package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/ledger"
)

// Query-parameter and header parsing for the dossier routes. Every failure
// is a 400 *Error naming the parameter ("query:as_of", "path:id",
// "header:If-Match"), so a client fixes it without guessing.

// pathUUID parses a path parameter holding a UUID.
func pathUUID(c echo.Context, name string) (uuid.UUID, error) {
	u, err := uuid.Parse(c.Param(name))
	if err != nil || u == uuid.Nil {
		return uuid.Nil, BadParameter("path:"+name, "format", "not a UUID")
	}
	return u, nil
}

// queryValues returns every value of a query parameter, splitting
// comma-separated lists ("status=retired,resigned" is "status=retired&status=resigned").
func queryValues(c echo.Context, name string) []string {
	var out []string
	for _, v := range c.QueryParams()[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// queryOne returns the single value of a parameter; repeating it is an error.
func queryOne(c echo.Context, name string) (string, error) {
	vs := c.QueryParams()[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(vs[0]), nil
	}
	return "", BadParameter("query:"+name, "repeated", "give it once")
}

// queryDate parses an ISO date parameter (yyyy-mm-dd); zero when absent.
func queryDate(c echo.Context, name string) (domain.Date, error) {
	s, err := queryOne(c, name)
	if err != nil || s == "" {
		return domain.Date{}, err
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return domain.Date{}, BadParameter("query:"+name, "format", fmt.Sprintf("%q is not a date yyyy-mm-dd", s))
	}
	return d, nil
}

// queryInstant parses an RFC 3339 instant; zero when absent.
func queryInstant(c echo.Context, name string) (time.Time, error) {
	s, err := queryOne(c, name)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, BadParameter("query:"+name, "format", fmt.Sprintf("%q is not an RFC 3339 instant such as 2025-03-01T08:00:00+07:00", s))
	}
	return t.UTC(), nil
}

// queryLimit parses a page size within 1..max; 0 when absent.
func queryLimit(c echo.Context, max int) (int, error) {
	s, err := queryOne(c, "limit")
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, BadParameter("query:limit", "range", fmt.Sprintf("a whole number from 1 to %d", max))
	}
	return n, nil
}

// queryBool parses true/false; nil when absent.
func queryBool(c echo.Context, name string) (*bool, error) {
	s, err := queryOne(c, name)
	if err != nil || s == "" {
		return nil, err
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, BadParameter("query:"+name, "format", "true or false")
	}
	return &b, nil
}

// queryOrgs parses a list of org ids.
func queryOrgs(c echo.Context, name string) ([]domain.OrgID, error) {
	var out []domain.OrgID
	for _, s := range queryValues(c, name) {
		id, err := domain.ParseOrgID(s)
		if err != nil {
			return nil, BadParameter("query:"+name, "format", fmt.Sprintf("%q is not a UUID", s))
		}
		out = append(out, id)
	}
	return out, nil
}

// parseEnums parses each value of a parameter with parse.
func parseEnums[T any](c echo.Context, name string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, s := range queryValues(c, name) {
		v, err := parse(s)
		if err != nil {
			return nil, BadParameter("query:"+name, "enum", fmt.Sprintf("%q is not allowed here", s))
		}
		out = append(out, v)
	}
	return out, nil
}

// commandError turns what a dossier command returned into the problem the
// client should see: a stale If-Match is 412, a reference to an unknown org
// 422 naming the field, and the domain's meta/… paths are renamed to the
// body fields the client sent (effective_date, source_document, reason).
func commandError(err error) error {
	var (
		vm  *ledger.VersionMismatchError
		ce  *ledger.ConcurrencyError
		ref *app.ReferenceError
		ve  *domain.ValidationError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &vm):
		return &Error{Status: http.StatusPreconditionFailed, Code: CodeVersionMismatch, Err: err,
			Detail: fmt.Sprintf("the dossier is at version %d, you sent %d: read it again", vm.Current, vm.Seen),
			Errors: []FieldProblem{{Field: "header:If-Match", Rule: "stale", Detail: ETag(vm.Current)}}}
	case errors.As(err, &ce):
		return &Error{Status: http.StatusPreconditionFailed, Code: CodeVersionMismatch, Err: err,
			Detail: "the dossier changed while your request ran: read it again",
			Errors: []FieldProblem{{Field: "header:If-Match", Rule: "stale"}}}
	case errors.As(err, &ref):
		rule := "unknown"
		if !errors.Is(err, domain.ErrNotFound) {
			rule = "not_active"
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Err: err,
			Errors: []FieldProblem{{Field: "/" + ref.Field, Rule: rule, Detail: ref.Err.Error()}}}
	case errors.As(err, &ve):
		fields := make([]FieldProblem, len(ve.Problems))
		for i, p := range ve.Problems {
			fields[i] = FieldProblem{Field: "/" + bodyField(p.Field), Rule: p.Rule, Detail: p.Detail}
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: fields, Err: err}
	}
	return err
}

// bodyField maps a domain path to the request body's field.
func bodyField(path string) string {
	for from, to := range map[string]string{
		"meta/source":         "source_document",
		"meta/effective_date": "effective_date",
		"meta/reason":         "reason",
		"meta/imported_from":  "imported_from",
		"attachment/document": "document",
	} {
		if path == from || strings.HasPrefix(path, from+"/") {
			return to + strings.TrimPrefix(path, from)
		}
	}
	return path
}
