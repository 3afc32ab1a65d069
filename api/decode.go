package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"
)

// maxJSONBody bounds a JSON request body; uploads have their own limit.
const maxJSONBody = 1 << 20

// decodeJSON reads the request body strictly into v: the media type must be
// JSON, the body one JSON value of at most maxJSONBody bytes, valid UTF-8,
// with no unknown fields and the right types, no key given twice or in
// another case than its field's name, and no unpaired surrogate escape
// (checkMembers). Text is NFC-normalized first so
// "Nguyễn" typed with combining marks is stored like the precomposed form.
// Every failure is an *Error naming the offending field.
func decodeJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia, Detail: "send Content-Type: application/json",
			Errors: []FieldProblem{{Field: "header:Content-Type", Rule: "media_type", Detail: ct}}}
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxJSONBody+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: fmt.Sprintf("limit %d bytes", tooLarge.Limit)}
		}
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "could not read the body", Err: err}
	}
	return decodeJSONBytes(body, v)
}

// decodeJSONBytes is decodeJSON's parsing half, separate so it can be fuzzed.
func decodeJSONBytes(body []byte, v any) error {
	if len(body) > maxJSONBody {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: fmt.Sprintf("limit %d bytes", maxJSONBody)}
	}
	if !utf8.Valid(body) {
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "the body is not valid UTF-8"}
	}
	body = norm.NFC.Bytes(body)
	if e := checkMembers(body, reflect.TypeOf(v)); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "more than one JSON value in the body"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "trailing data after the JSON value"}
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalid   *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &syntaxErr):
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset), Err: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "the body is empty or cut short", Err: err}
	case errors.As(err, &typeErr):
		field := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Err: err,
			Errors: []FieldProblem{{Field: field, Rule: "type", Detail: fmt.Sprintf("got %s, want %s", typeErr.Value, typeName(typeErr.Type.String()))}}}
	case errors.As(err, &invalid):
		return fmt.Errorf("api: decoding into %v: %w", invalid.Type, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields only as text; the prefix is
		// part of its documented behaviour for DisallowUnknownFields.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Err: err,
			Errors: []FieldProblem{{Field: "/" + name, Rule: "unknown_field"}}}
	}
	// Values whose own UnmarshalJSON/UnmarshalText refused them (dates, ids).
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Detail: err.Error(), Err: err}
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "number"
	case goType == "string":
		return "string"
	case goType == "bool":
		return "boolean"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	}
	return "object"
}
