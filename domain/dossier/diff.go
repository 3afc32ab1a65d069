package dossier

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// FieldChange is one changed leaf (or a whole added or removed value) of a
// Document. Path is a JSON pointer (RFC 6901) into the document's JSON form
// ("/identity/birth_name", "/training/2/major"); Before and After are the
// JSON values (string, json.Number, bool, nil, or a map/slice for a value
// that appeared or disappeared as a whole). Table rows are never removed or
// reordered, so an index path names the same row in both documents.
type FieldChange struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// Diff lists the field-level changes from before to after, sorted by path,
// for the audit trail. The changes an event made are
// Diff(Replay(h[:i]).Document(), Replay(h[:i+1]).Document()); this holds for
// a correction too, whose effect (folded after its target) may be nothing
// when later events overrode the corrected section. It compares the documents' JSON forms, so what it
// reports is exactly what a reader of the stored JSON would see change.
func Diff(before, after Document) []FieldChange {
	var changes []FieldChange
	DiffValues("", toJSONValue(before), toJSONValue(after), &changes)
	slices.SortStableFunc(changes, func(a, b FieldChange) int { return strings.Compare(a.Path, b.Path) })
	return changes
}

func toJSONValue(d Document) any {
	b, err := json.Marshal(d)
	if err != nil {
		// Every field of Document marshals; reaching here is a programming error.
		panic("dossier: marshalling a Document: " + err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep coefficients and amounts exact
	var v any
	if err := dec.Decode(&v); err != nil {
		panic("dossier: decoding a Document: " + err.Error())
	}
	return v
}

// DiffValues appends to out the changes from a to b, two JSON values as
// encoding/json decodes them into an any (numbers as json.Number), at the
// JSON pointer path (escaped, see EscapePointer). It is Diff's comparison,
// for a reader that has only part of a document in JSON form: the audit
// trail encodes only the sections an event can have touched. out is not
// sorted.
func DiffValues(path string, a, b any, out *[]FieldChange) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, dup := av[k]; !dup {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			x, inA := av[k]
			y, inB := bv[k]
			p := path + "/" + EscapePointer(k)
			switch {
			case inA && inB:
				DiffValues(p, x, y, out)
			case inA:
				*out = append(*out, FieldChange{Path: p, Before: x, After: nil})
			default:
				*out = append(*out, FieldChange{Path: p, Before: nil, After: y})
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := range max(len(av), len(bv)) {
			p := path + "/" + strconv.Itoa(i)
			switch {
			case i < len(av) && i < len(bv):
				DiffValues(p, av[i], bv[i], out)
			case i < len(av):
				*out = append(*out, FieldChange{Path: p, Before: av[i], After: nil})
			default:
				*out = append(*out, FieldChange{Path: p, Before: nil, After: bv[i]})
			}
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, FieldChange{Path: path, Before: a, After: b})
	}
}

// EscapePointer escapes a key for one step of a JSON pointer (RFC 6901):
// "~" as "~0", "/" as "~1".
func EscapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
