package api

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// checkMembers refuses, with a 400 naming the member by its JSON pointer,
// what encoding/json would accept silently and differently from what the
// client meant:
//
//   - a key given twice in one object ("duplicate_key"): encoding/json keeps
//     the last, another parser the first;
//   - a key that is a field's name in another case ("key_case"): encoding/json
//     matches {"Patch":…} to "patch";
//   - a \uD800–\uDFFF escape not part of a surrogate pair
//     ("unpaired_surrogate"): encoding/json stores it as U+FFFD, so the text
//     stored is not the text sent (RFC 7493 forbids such strings).
//
// t is the type the body decodes into; it tells which keys are field names.
// One pass over the bytes, allocating only for escaped keys and large
// objects, so the strict reading costs little beside the decoding itself.
// A body that is not valid JSON is left to encoding/json to report.
func checkMembers(body []byte, t reflect.Type) *Error {
	s := memberScanner{data: body}
	s.skipSpace()
	s.value(t, 0)
	if s.problem == nil {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: s.problem.Detail,
		Errors: []FieldProblem{*s.problem}}
}

// maxMemberDepth stops the scan where encoding/json stops decoding anyway.
const maxMemberDepth = 10000

type memberScanner struct {
	data    []byte
	pos     int
	path    []string // the JSON pointer's tokens, escaped
	problem *FieldProblem
	stop    bool // a problem, or bytes that are not JSON
}

func (s *memberScanner) fail(rule, detail string, extra ...string) {
	p := ""
	for _, tok := range s.path {
		p += "/" + tok
	}
	for _, tok := range extra {
		p += "/" + tok
	}
	s.problem = &FieldProblem{Field: p, Rule: rule, Detail: detail}
	s.stop = true
}

func (s *memberScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value scans one JSON value at s.pos that decodes into t (nil: any value).
func (s *memberScanner) value(t reflect.Type, depth int) {
	if s.stop || s.pos >= len(s.data) || depth > maxMemberDepth {
		s.stop = true
		return
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch s.data[s.pos] {
	case '{':
		s.object(t, depth)
	case '[':
		s.array(t, depth)
	case '"':
		if _, _, ok := s.str(); !ok && !s.stop {
			s.fail("unpaired_surrogate", "a \\u escape of half a UTF-16 surrogate pair")
		}
	default: // numbers, true, false, null: the decoder checks them
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.pos++
		}
	}
}

func (s *memberScanner) object(t reflect.Type, depth int) {
	s.pos++ // {
	var fields *structFields
	var elem reflect.Type
	if t != nil && !opaque(t) {
		switch t.Kind() {
		case reflect.Struct:
			fields = fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	var seen []string
	var seenSet map[string]struct{}
	for first := true; ; first = false {
		s.skipSpace()
		if s.pos >= len(s.data) {
			s.stop = true
			return
		}
		if s.data[s.pos] == '}' && first {
			s.pos++
			return
		}
		if s.data[s.pos] != '"' {
			s.stop = true
			return
		}
		raw, escaped, ok := s.str()
		if s.stop {
			return
		}
		if !ok {
			s.fail("unpaired_surrogate", "a key with half a UTF-16 surrogate pair")
			return
		}
		key := string(raw)
		if escaped {
			if json.Unmarshal(s.data[s.pos-len(raw)-2:s.pos], &key) != nil {
				s.stop = true
				return
			}
		}
		tok := strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
		// Duplicates: a linear look for the usual small object, a set for
		// a large one (a hostile body of many keys stays linear in time).
		dup := false
		if seenSet != nil {
			_, dup = seenSet[key]
			seenSet[key] = struct{}{}
		} else {
			for _, k := range seen {
				if k == key {
					dup = true
					break
				}
			}
			seen = append(seen, key)
			if len(seen) > 16 {
				seenSet = make(map[string]struct{}, 2*len(seen))
				for _, k := range seen {
					seenSet[k] = struct{}{}
				}
			}
		}
		if dup {
			s.fail("duplicate_key", "the key "+strconv.Quote(key)+" appears more than once", tok)
			return
		}
		var next reflect.Type
		switch {
		case fields != nil:
			if ft, ok := fields.exact[key]; ok {
				next = ft
			} else if name := fields.fold(key); name != "" {
				s.fail("key_case", "keys are case-sensitive: did you mean "+strconv.Quote(name)+"?", tok)
				return
			}
			// An unknown key is the decoder's to refuse (422 unknown_field).
		case elem != nil:
			next = elem
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			s.stop = true
			return
		}
		s.pos++
		s.skipSpace()
		s.path = append(s.path, tok)
		s.value(next, depth+1)
		s.path = s.path[:len(s.path)-1]
		if s.stop {
			return
		}
		if !s.more('}') {
			return
		}
	}
}

func (s *memberScanner) array(t reflect.Type, depth int) {
	s.pos++ // [
	var elem reflect.Type
	if t != nil && !opaque(t) && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	for i := 0; ; i++ {
		s.skipSpace()
		if s.pos >= len(s.data) {
			s.stop = true
			return
		}
		if s.data[s.pos] == ']' && i == 0 {
			s.pos++
			return
		}
		s.path = append(s.path, strconv.Itoa(i))
		s.value(elem, depth+1)
		s.path = s.path[:len(s.path)-1]
		if s.stop {
			return
		}
		if !s.more(']') {
			return
		}
	}
}

// more consumes what follows a member or an element: a comma (true: another
// comes) or closer (false). Anything else is malformed JSON, left for the
// decoder to report, and stops the scan.
func (s *memberScanner) more(closer byte) bool {
	s.skipSpace()
	if s.pos >= len(s.data) {
		s.stop = true
		return false
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return true
	case closer:
		s.pos++
		return false
	}
	s.stop = true
	return false
}

// str scans the string at s.pos (its opening quote) and returns its raw
// bytes between the quotes, whether it has escapes, and false when it holds
// an unpaired surrogate escape. Malformed strings set s.stop.
func (s *memberScanner) str() (raw []byte, escaped, ok bool) {
	start := s.pos + 1
	i := start
	pendingHigh := false // the previous escape was a high surrogate
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], escaped, !pendingHigh
		case c == '\\':
			escaped = true
			if i+1 >= len(s.data) {
				s.stop = true
				return nil, escaped, true
			}
			if s.data[i+1] != 'u' {
				if pendingHigh {
					return nil, escaped, false
				}
				i += 2
				continue
			}
			if i+6 > len(s.data) {
				s.stop = true
				return nil, escaped, true
			}
			r, err := strconv.ParseUint(string(s.data[i+2:i+6]), 16, 16)
			if err != nil {
				s.stop = true
				return nil, escaped, true
			}
			switch {
			case r >= 0xD800 && r < 0xDC00:
				if pendingHigh {
					return nil, escaped, false
				}
				pendingHigh = true
			case r >= 0xDC00 && r < 0xE000:
				if !pendingHigh {
					return nil, escaped, false
				}
				pendingHigh = false
			default:
				if pendingHigh {
					return nil, escaped, false
				}
			}
			i += 6
		default:
			if pendingHigh {
				return nil, escaped, false
			}
			i++
		}
	}
	s.stop = true
	return nil, escaped, true
}

// structFields are the JSON member names of a struct type, as
// encoding/json reads them (tags, Go names, promoted embedded fields).
type structFields struct {
	exact map[string]reflect.Type
	names []string
}

// fold returns the field name that key matches only case-insensitively,
// under the same folding encoding/json applies; "" when none does.
func (f *structFields) fold(key string) string {
	for _, n := range f.names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return ""
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{exact: map[string]reflect.Type{}}
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			continue
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = sf.Name
		}
		if _, dup := f.exact[tag]; !dup {
			f.exact[tag] = sf.Type
			f.names = append(f.names, tag)
		}
	}
	fieldCache.Store(t, f)
	return f
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque reports a type that reads its JSON itself: its members are not
// field names we know (only duplicates and surrogates are checked inside).
func opaque(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
}
