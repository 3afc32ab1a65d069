package web

import (
	"encoding"
	"reflect"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// schemaField is one field of an editable section, as the form edits it.
type schemaField struct {
	Key  string
	Kind string // "text", "date", "number", "checkbox", or "json" (kept as it was)
}

// sectionTypes are the Go types of the sections the API's PATCH replaces
// whole: the form lists every field of the type, set or not, in the
// form's order, so a field never filled in can be.
var sectionTypes = map[string]reflect.Type{
	"identity":         reflect.TypeFor[dossier.Identity](),
	"background":       reflect.TypeFor[dossier.Background](),
	"qualifications":   reflect.TypeFor[dossier.Qualifications](),
	"position":         reflect.TypeFor[dossier.Position](),
	"salary":           reflect.TypeFor[dossier.Salary](),
	"health":           reflect.TypeFor[dossier.Health](),
	"personal_history": reflect.TypeFor[dossier.PersonalHistory](),
	"income":           reflect.TypeFor[dossier.Income](),
	"party_unions":     reflect.TypeFor[dossier.PartyUnions](),
	"insurance":        reflect.TypeFor[dossier.Insurance](),
	"other":            reflect.TypeFor[dossier.Other](),
}

var (
	dateType      = reflect.TypeFor[domain.Date]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemaOf lists the section's fields by their JSON names.
func schemaOf(section string) []schemaField {
	t, ok := sectionTypes[section]
	if !ok {
		return nil
	}
	var out []schemaField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, schemaField{Key: name, Kind: kindOf(f.Type)})
	}
	return out
}

func kindOf(t reflect.Type) string {
	switch {
	case t == dateType:
		return "date"
	case t.Implements(textMarshaler):
		return "text"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "checkbox"
	}
	return "json"
}
