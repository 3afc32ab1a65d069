package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
)

// decision is the part of an account or org command body that dates and
// justifies the act: the legal date it takes effect (today in Vietnam when
// omitted) and the written decision behind it, which the domain requires
// for most acts and validates whenever given.
type decision struct {
	EffectiveDate  string                 `json:"effective_date,omitempty"` // YYYY-MM-DD
	SourceDocument *domain.SourceDocument `json:"source_document,omitempty"`
	// ImportedFrom marks the act as imported history (an org founded long
	// before go-live) and names its source; see docs/api-dossiers.md.
	ImportedFrom string `json:"imported_from,omitempty"`
}

// fields collects the problems of one request body so the client hears
// about all of them at once.
type fields struct{ problems []FieldProblem }

func (f *fields) add(field, rule, detail string) {
	f.problems = append(f.problems, FieldProblem{Field: field, Rule: rule, Detail: detail})
}

func (f *fields) err() error {
	if len(f.problems) == 0 {
		return nil
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: f.problems}
}

// id parses an optional uuid body field ("" is the zero id).
func (f *fields) id(field, s string) uuid.UUID {
	if s == "" {
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		f.add(field, "format", "a UUID")
	}
	return id
}

func (f *fields) date(field, s string) domain.Date {
	if s == "" {
		return domain.Date{}
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		f.add(field, "format", "a date YYYY-MM-DD")
	}
	return d
}

// commandMeta is s.Meta with the body's decision and reason.
func (s *Server) commandMeta(c echo.Context, f *fields, d decision, reason string) domain.Meta {
	m := s.Meta(c)
	m.EffectiveDate = f.date("/effective_date", d.EffectiveDate)
	if m.EffectiveDate.IsZero() {
		if caller := CallerOf(c); caller != nil {
			m.EffectiveDate = caller.Today
		}
	}
	if d.SourceDocument != nil {
		m.Source = *d.SourceDocument
	}
	m.Reason = reason
	m.ImportedFrom = d.ImportedFrom
	return m
}

// pathID parses the path parameter name as a uuid: 400 bad_parameter
// naming it otherwise.
func pathID(c echo.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, BadParameter("path:"+name, "format", "a UUID")
	}
	return id, nil
}

// notFound is the answer for what does not exist and for what exists
// outside the caller's scope: the two must not be told apart.
var notFound = &Error{Status: http.StatusNotFound, Code: CodeNotFound}

// pathWrite is the prologue of a write on the aggregate the path names: load
// resolves it (and answers 404 outside the caller's scope), then If-Match
// and the body are read, in that order, so a request about something the
// caller may not see learns nothing from the checks that follow.
func pathWrite[T, A any](c echo.Context, load func(echo.Context) (A, error)) (target A, ifMatch uint64, req T, err error) {
	if target, err = load(c); err != nil {
		return target, 0, req, err
	}
	if ifMatch, err = IfMatch(c); err != nil {
		return target, 0, req, err
	}
	err = decodeJSON(c, &req)
	return target, ifMatch, req, err
}
