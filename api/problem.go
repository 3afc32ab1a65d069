package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/pgerr"
	"github.com/hoso-ledger/hoso/ledger"
)

// ProblemContentType is RFC 9457's media type.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail with hoso's extensions: a stable
// machine-readable Code (clients switch on it, never on Title or Detail) and
// Errors naming each offending field and the rule it broke.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Code      string         `json:"code"`
	Errors    []FieldProblem `json:"errors,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	// HoldingOrg, on a 409 personal_id_taken, is the org that keeps the
	// person's dossier — only for a caller who may read its dossiers.
	HoldingOrg *OrgRef `json:"holding_org,omitempty"`
	// ArchivedDossier, on a 409 personal_id_taken, is the person's archived
	// dossier, which the caller may reactivate (TG 10.1).
	ArchivedDossier *DossierRef `json:"archived_dossier,omitempty"`
}

// DossierRef names an archived dossier in a problem: what POST
// /dossiers/{id}/reactivate needs (the id, and the version for If-Match).
type DossierRef struct {
	ID      domain.DossierID `json:"id"`
	Version uint64           `json:"version"`
	Status  string           `json:"status"`
}

// OrgRef names an org in a problem.
type OrgRef struct {
	ID   domain.OrgID `json:"id"`
	Name string       `json:"name"`
}

// FieldProblem names one field (a JSON pointer into the request, or a
// parameter name such as "query:as_of" or "header:If-Match") and its rule.
type FieldProblem struct {
	Field  string `json:"field"`
	Rule   string `json:"rule"`
	Detail string `json:"detail,omitempty"`
}

// Error is an HTTP-level failure with its stable code. Handlers return it (or
// a domain/store error, mapped by problemFor) and never write errors themselves.
type Error struct {
	Status int
	Code   string
	Detail string
	Errors []FieldProblem
	Err    error // the cause, for errors.Is; never shown to the client
	// RetryAfter, when positive, is sent as Retry-After (whole seconds,
	// rounded up): with 429, and 409 idempotency_key_in_flight.
	RetryAfter time.Duration
	// HoldingOrg is copied to the Problem (see Problem.HoldingOrg).
	HoldingOrg *OrgRef
	// ArchivedDossier is copied to the Problem (see Problem.ArchivedDossier).
	ArchivedDossier *DossierRef
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Code + ": " + e.Detail
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Err }

// Stable problem codes. Adding one is fine; renaming one breaks clients.
const (
	CodeMalformedJSON       = "malformed_json"
	CodeValidation          = "validation_failed"
	CodeUnsupportedMedia    = "unsupported_media_type"
	CodeBodyTooLarge        = "body_too_large"
	CodeNotFound            = "not_found"
	CodeConflict            = "conflict"
	CodeVersionMismatch     = "version_mismatch"
	CodePreconditionMissing = "if_match_required"
	CodeUnauthenticated     = "unauthenticated"
	CodeForbidden           = "forbidden"
	CodeRateLimited         = "rate_limited"
	CodeTimeout             = "timeout"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeInternal            = "internal_error"
	CodeBadParameter        = "bad_parameter"
	CodeIdempotencyMismatch = "idempotency_key_reused"
	CodeNotImplemented      = "not_implemented"
	CodeIdempotencyInFlight = "idempotency_key_in_flight"
	CodeUnavailable         = "unavailable"
	// CodePasswordChangeRequired: the account's password was set by an
	// administrator and the holder has not changed it yet (403).
	CodePasswordChangeRequired = "password_change_required"
)

var titles = map[string]string{
	CodeMalformedJSON:          "The request body is not valid JSON",
	CodeValidation:             "The request breaks one or more rules",
	CodeUnsupportedMedia:       "Unsupported media type",
	CodeBodyTooLarge:           "The request body is too large",
	CodeNotFound:               "Not found",
	CodeConflict:               "The request conflicts with the current state",
	CodeVersionMismatch:        "The resource changed since you read it",
	CodePreconditionMissing:    "If-Match is required for this write",
	CodeUnauthenticated:        "Authentication required",
	CodeForbidden:              "Not allowed",
	CodeRateLimited:            "Too many requests",
	CodeTimeout:                "The request took too long",
	CodeMethodNotAllowed:       "Method not allowed",
	CodeInternal:               "Internal error",
	CodeBadParameter:           "A parameter is not valid",
	CodeIdempotencyMismatch:    "Idempotency-Key reused for a different request",
	CodeNotImplemented:         "Not available in this deployment",
	CodeIdempotencyInFlight:    "A request with this Idempotency-Key is still running",
	CodeUnavailable:            "The service cannot reach its database; retry later",
	CodePasswordChangeRequired: "Change the password an administrator set first",
	CodePurposeRequired:        "State the purpose of this read",
	CodeConsentRequired:        "This read needs the person's recorded consent",
}

// problemFor maps any error to its problem. This is the one place where error
// kinds meet HTTP statuses.
func problemFor(err error) Problem {
	var (
		apiErr   *Error
		valErr   *domain.ValidationError
		stateErr *domain.StateError
		httpErr  *echo.HTTPError
		storeVal *eventstore.ValidationError
		stale    *ledger.VersionMismatchError
		race     *ledger.ConcurrencyError
		refErr   *app.ReferenceError
	)
	switch {
	case errors.As(err, &apiErr):
		p := newProblem(apiErr.Status, apiErr.Code, apiErr.Detail, apiErr.Errors)
		p.HoldingOrg = apiErr.HoldingOrg
		p.ArchivedDossier = apiErr.ArchivedDossier
		return p
	case errors.As(err, &stale):
		return newProblem(http.StatusPreconditionFailed, CodeVersionMismatch,
			fmt.Sprintf("the resource is at version %d, not %d: read it again and retry", stale.Current, stale.Seen),
			[]FieldProblem{{Field: "header:If-Match", Rule: "stale"}})
	case errors.As(err, &race), errors.Is(err, eventstore.ErrConflict):
		// The stream moved between our read and our append: to the client
		// that is the same as a stale If-Match.
		return newProblem(http.StatusPreconditionFailed, CodeVersionMismatch, "the resource changed while the request ran: read it again and retry",
			[]FieldProblem{{Field: "header:If-Match", Rule: "stale"}})
	case errors.As(err, &refErr):
		rule := "not_active"
		if errors.Is(refErr.Err, domain.ErrNotFound) {
			rule = "unknown"
		}
		return newProblem(http.StatusUnprocessableEntity, CodeValidation, "",
			[]FieldProblem{{Field: "/" + refErr.Field, Rule: rule, Detail: refErr.Err.Error()}})
	case errors.As(err, &valErr):
		fields := make([]FieldProblem, len(valErr.Problems))
		for i, p := range valErr.Problems {
			fields[i] = FieldProblem{Field: "/" + p.Field, Rule: p.Rule, Detail: p.Detail}
		}
		return newProblem(http.StatusUnprocessableEntity, CodeValidation, "", fields)
	case errors.As(err, &storeVal):
		return newProblem(http.StatusUnprocessableEntity, CodeValidation, "", []FieldProblem{{Field: "/" + storeVal.Field, Rule: storeVal.Rule, Detail: storeVal.Msg}})
	case errors.As(err, &stateErr):
		return newProblem(http.StatusConflict, CodeConflict, stateErr.Error(), []FieldProblem{{Field: "", Rule: stateErr.Rule, Detail: stateErr.Detail}})
	case errors.Is(err, domain.ErrNotFound), errors.Is(err, eventstore.ErrNotFound):
		return newProblem(http.StatusNotFound, CodeNotFound, "", nil)
	case errors.Is(err, domain.ErrConflict):
		return newProblem(http.StatusConflict, CodeConflict, "", nil)
	case errors.Is(err, domain.ErrForbidden):
		return newProblem(http.StatusForbidden, CodeForbidden, "", nil)
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, eventstore.ErrInvalid):
		return newProblem(http.StatusUnprocessableEntity, CodeValidation, "", nil)
	case pgerr.Unavailable(err):
		return newProblem(http.StatusServiceUnavailable, CodeUnavailable, "", nil)
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, CodeTimeout, "", nil)
	case errors.As(err, &httpErr):
		return problemForEcho(httpErr)
	}
	return newProblem(http.StatusInternalServerError, CodeInternal, "", nil)
}

func problemForEcho(e *echo.HTTPError) Problem {
	switch e.Code {
	case http.StatusNotFound:
		return newProblem(e.Code, CodeNotFound, "no such route", nil)
	case http.StatusMethodNotAllowed:
		return newProblem(e.Code, CodeMethodNotAllowed, "", nil)
	case http.StatusRequestEntityTooLarge:
		return newProblem(e.Code, CodeBodyTooLarge, "", nil)
	case http.StatusUnsupportedMediaType:
		return newProblem(e.Code, CodeUnsupportedMedia, "", nil)
	case http.StatusUnauthorized:
		return newProblem(e.Code, CodeUnauthenticated, "", nil)
	case http.StatusTooManyRequests:
		return newProblem(e.Code, CodeRateLimited, "", nil)
	case http.StatusServiceUnavailable:
		return newProblem(e.Code, CodeTimeout, "", nil)
	}
	if e.Code >= 400 && e.Code < 500 {
		return newProblem(e.Code, CodeBadParameter, "", nil)
	}
	return newProblem(http.StatusInternalServerError, CodeInternal, "", nil)
}

func newProblem(status int, code, detail string, fields []FieldProblem) Problem {
	title := titles[code]
	if title == "" {
		// Codes of feature packages (approvals…) carry their meaning in the
		// code and detail; the title still says something.
		title = http.StatusText(status)
	}
	return Problem{
		Type:   "urn:hoso:problem:" + code,
		Title:  title,
		Status: status,
		Detail: detail,
		Code:   code,
		Errors: fields,
	}
}

// errorHandler writes every error as problem+json. Internal errors are logged
// with the request id (never the body: it may hold personal data) and shown
// to the client only as that id.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problemFor(err)
	p.Instance = c.Request().URL.Path
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	if p.Status >= 500 {
		s.log.Error("request failed", "request_id", p.RequestID, "method", c.Request().Method, "path", c.Path(), "error", err.Error())
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="hoso"`)
	}
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((apiErr.RetryAfter+time.Second-1)/time.Second)))
	} else if p.Code == CodeUnavailable {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(unavailableRetryAfter/time.Second)))
	}
	switch p.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		s.logRefusal(c, p)
	}
	body, mErr := json.Marshal(p)
	if mErr != nil {
		body = []byte(`{"type":"urn:hoso:problem:internal_error","title":"Internal error","status":500,"code":"internal_error"}`)
		p.Status = http.StatusInternalServerError
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.Blob(p.Status, ProblemContentType, body)
}

// logRefusal records a 401, 403 or 404: who (the account, when known), what
// route, from where. Inspectors read refusals as attempts; the body and the
// path's ids stay out (the route pattern says enough and names nobody).
func (s *Server) logRefusal(c echo.Context, p Problem) {
	attrs := []any{
		"status", p.Status, "code", p.Code, "method", c.Request().Method, "route", c.Path(),
		"request_id", p.RequestID, "remote_addr", c.RealIP(),
	}
	if caller := CallerOf(c); caller != nil {
		attrs = append(attrs, "account", caller.ID().String())
	}
	s.log.Log(c.Request().Context(), slog.LevelWarn, "request refused", attrs...)
}
