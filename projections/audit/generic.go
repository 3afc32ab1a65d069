package audit

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// errGeneric: genericJSON met bytes json.Marshal does not produce.
var errGeneric = errors.New("audit: unexpected JSON")

// genericJSON parses JSON into what encoding/json's Decoder with UseNumber
// gives for an `any`: map[string]any, []any, json.Number, string, bool and
// nil. It exists for speed: the diff turns every changed section and row
// into these values, and the Decoder's reflection was a seventh of a
// rebuild's CPU. It accepts what json.Marshal writes (no whitespace) and
// refuses anything else with errGeneric; TestGenericJSON and its fuzz
// target hold it equal to the Decoder.
func genericJSON(b []byte) (any, error) {
	p := parser{b: b}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.i != len(b) {
		return nil, errGeneric
	}
	return v, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) value() (any, error) {
	if p.i >= len(p.b) {
		return nil, errGeneric
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		m := map[string]any{}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return m, nil
		}
		for {
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return nil, errGeneric
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, errGeneric
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m[k] = v
			if p.i >= len(p.b) {
				return nil, errGeneric
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case '}':
				p.i++
				return m, nil
			default:
				return nil, errGeneric
			}
		}
	case c == '[':
		p.i++
		a := []any{}
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return a, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			if p.i >= len(p.b) {
				return nil, errGeneric
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return a, nil
			default:
				return nil, errGeneric
			}
		}
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		for p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] == '+' || p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E' || (p.b[p.i] >= '0' && p.b[p.i] <= '9')) {
			p.i++
		}
		n := string(p.b[start:p.i])
		if !validNumber(n) {
			return nil, errGeneric
		}
		return json.Number(n), nil
	}
	return nil, errGeneric
}

func (p *parser) literal(word string, v any) (any, error) {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return nil, errGeneric
	}
	p.i += len(word)
	return v, nil
}

// str reads a string at p.i (which is '"'). Without escapes it is the bytes
// as they are; with them, strconv.Unquote, whose escapes include every one
// json.Marshal writes.
func (p *parser) str() (string, error) {
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '\\':
			// Only the escapes JSON has, all of which strconv.Unquote
			// reads the same ("\/" excepted: json.Marshal never writes it).
			if p.i+1 >= len(p.b) {
				return "", errGeneric
			}
			switch p.b[p.i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.b) || !isHex4(p.b[p.i+2:p.i+6]) {
					return "", errGeneric
				}
				p.i += 6
			default:
				return "", errGeneric
			}
			escaped = true
			continue
		case c == '"':
			p.i++
			if !escaped {
				s := string(p.b[start+1 : p.i-1])
				if !utf8.ValidString(s) {
					return "", errGeneric
				}
				return s, nil
			}
			if !utf8.Valid(p.b[start:p.i]) {
				return "", errGeneric
			}
			s, err := strconv.Unquote(string(p.b[start:p.i]))
			if err != nil {
				return "", errGeneric
			}
			return s, nil
		case c < 0x20:
			return "", errGeneric
		}
		p.i++
	}
	return "", errGeneric
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// validNumber reports whether n is a JSON number.
func validNumber(n string) bool {
	i := 0
	if i < len(n) && n[i] == '-' {
		i++
	}
	switch {
	case i < len(n) && n[i] == '0':
		i++
	case i < len(n) && n[i] >= '1' && n[i] <= '9':
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(n) && n[i] == '.' {
		i++
		if i >= len(n) || n[i] < '0' || n[i] > '9' {
			return false
		}
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
	}
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			i++
		}
		if i >= len(n) || n[i] < '0' || n[i] > '9' {
			return false
		}
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
	}
	return i == len(n)
}
