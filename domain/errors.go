package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Every error a command returns wraps exactly one of them, so a
// caller maps kinds (for example to HTTP statuses) with errors.Is in one place.
var (
	// ErrInvalid: the input breaks a rule; nothing was decided.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the named thing does not exist (or is not visible).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the command is valid but not in the aggregate's current state
	// (an archived dossier, a transfer already pending, a duplicate key).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("forbidden")
)

// FieldError names one field that breaks one rule. Field is a JSON-pointer-like
// path ("identity/birth_name", "rows/2/from"), Rule a stable machine code
// ("required", "catalogue", "format", "range", "state").
type FieldError struct {
	Field  string
	Rule   string
	Detail string
}

func (e FieldError) Error() string {
	if e.Detail == "" {
		return e.Field + ": " + e.Rule
	}
	return e.Field + ": " + e.Rule + ": " + e.Detail
}

// ValidationError collects every problem found in one command, so a client
// fixes them all at once. It wraps ErrInvalid.
type ValidationError struct {
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return "invalid: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Add records a problem.
func (e *ValidationError) Add(field, rule, detail string) {
	e.Problems = append(e.Problems, FieldError{Field: field, Rule: rule, Detail: detail})
}

// Err returns e when it holds problems and nil otherwise, so validators can end
// with `return v.Err()` without ever wrapping a nil error.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Invalid returns a one-problem validation error.
func Invalid(field, rule, detail string) error {
	return &ValidationError{Problems: []FieldError{{Field: field, Rule: rule, Detail: detail}}}
}

// StateError reports a command refused by the aggregate's state. It wraps
// ErrConflict.
type StateError struct {
	Aggregate string // "dossier", "org", "account"
	ID        string
	Rule      string // stable code, e.g. "archived", "transfer_pending"
	Detail    string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Aggregate, e.ID, e.Rule, e.Detail)
}

func (e *StateError) Unwrap() error { return ErrConflict }
