package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// decodeBody is decodeJSON for the dossier routes, plus one thing: a value
// whose own UnmarshalText refused it (an impossible date, an unknown class
// or status) is reported under its JSON pointer, found by decoding the
// body's members one at a time. encoding/json reports such errors without
// the field, and "which field?" is the first thing a client asks.
func decodeBody(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxJSONBody+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: "limit " + strconv.FormatInt(tooLarge.Limit, 10) + " bytes"}
		}
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "could not read the body", Err: err}
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	return withField(decodeJSON(c, v), body, v)
}

// decodeRequestBytes is decodeBody's parsing half, for the fuzz targets.
func decodeRequestBytes(body []byte, v any) error {
	return withField(decodeJSONBytes(body, v), body, v)
}

// withField fills in the field of a 422 that decodeJSON could not name.
func withField(err error, body []byte, v any) error {
	var e *Error
	if err == nil || !errors.As(err, &e) || e.Status != http.StatusUnprocessableEntity {
		return err
	}
	// encoding/json names an unknown field without its path: find it.
	unknown := len(e.Errors) == 1 && e.Errors[0].Rule == "unknown_field"
	if len(e.Errors) > 0 && !unknown {
		return err
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return err
	}
	field := locate(body, t.Elem(), "", 0)
	if field == "" {
		return err
	}
	if unknown {
		e.Errors = []FieldProblem{{Field: field, Rule: "unknown_field"}}
		return e
	}
	e.Errors = []FieldProblem{{Field: field, Rule: "invalid", Detail: e.Detail}}
	return e
}

// locate finds the JSON pointer of the member of body that fails to decode
// into t, descending into objects and arrays; "" when none alone fails.
func locate(body []byte, t reflect.Type, prefix string, depth int) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if depth > 16 {
		return prefix
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return prefix
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			single, _ := json.Marshal(map[string]json.RawMessage{k: obj[k]})
			if strictUnmarshal(single, reflect.New(t).Interface()) == nil {
				continue
			}
			path := prefix + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			if ft, ok := jsonFieldType(t, k); ok {
				if inner := locate(obj[k], ft, path, depth+1); inner != "" {
					return inner
				}
			}
			return path
		}
		return ""
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(body, &items) != nil {
			return prefix
		}
		for i, item := range items {
			if strictUnmarshal(item, reflect.New(t.Elem()).Interface()) != nil {
				return locate(item, t.Elem(), prefix+"/"+strconv.Itoa(i), depth+1)
			}
		}
		return ""
	}
	return prefix
}

// jsonFieldType is the type of the struct field that JSON member name
// decodes into (embedded structs' fields included).
func jsonFieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if strings.EqualFold(tag, name) {
			return f.Type, true
		}
	}
	return nil, false
}

// strictUnmarshal decodes as decodeJSONBytes does: unknown fields refused.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
