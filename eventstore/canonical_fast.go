package eventstore

import (
	"bytes"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// The append path canonicalizes every event's payload and metadata, and
// gowebpki/jcs, which stays the definition of RFC 8785 here, spends most of
// an append's client CPU doing it (a string builder per value, a linked list
// per object, a UTF-16 copy of every key). The functions below produce the
// same bytes for the JSON appends actually carry, in one pass and a few
// allocations, and decline everything else, which then goes to jcs: any
// backslash (escapes), a non-ASCII key (UTF-16 ordering), a duplicate key,
// or any parse trouble. Numbers other than small integers go through jcs's
// own number formatting. Declining is
// always safe; FuzzCanonicalFast holds the accepted cases to jcs's output.

// canonicalFast returns the RFC 8785 form of raw, a JSON object which the
// caller has checked is valid JSON and valid UTF-8, or ok false to let jcs
// decide.
func canonicalFast(raw []byte) (out []byte, ok bool) {
	if bytes.IndexByte(raw, '\\') >= 0 {
		return nil, false
	}
	c := fastCanon{in: raw}
	if c.space(); c.i >= len(c.in) || c.in[c.i] != '{' {
		return nil, false // jcs parses top-level scalars its own way
	}
	out, ok = c.value(make([]byte, 0, len(raw)))
	c.space()
	return out, ok && c.i == len(c.in)
}

type fastCanon struct {
	in []byte
	i  int
}

func (c *fastCanon) space() {
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *fastCanon) value(dst []byte) ([]byte, bool) {
	c.space()
	if c.i >= len(c.in) {
		return dst, false
	}
	switch b := c.in[c.i]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		s, ok := c.str()
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), ok
	case b == 't':
		return c.literal(dst, "true")
	case b == 'f':
		return c.literal(dst, "false")
	case b == 'n':
		return c.literal(dst, "null")
	default:
		return c.number(dst)
	}
}

func (c *fastCanon) literal(dst []byte, lit string) ([]byte, bool) {
	if !bytes.HasPrefix(c.in[c.i:], []byte(lit)) {
		return dst, false
	}
	c.i += len(lit)
	return append(dst, lit...), true
}

// number writes integers of up to 15 digits as they are (every IEEE
// double holds them exactly and ECMAScript prints them as written), and any
// other number as jcs does: the nearest double, in ECMAScript's form.
func (c *fastCanon) number(dst []byte) ([]byte, bool) {
	start := c.i
	if c.i < len(c.in) && c.in[c.i] == '-' {
		c.i++
	}
	digits := c.i
	for c.i < len(c.in) && c.in[c.i] >= '0' && c.in[c.i] <= '9' {
		c.i++
	}
	n := c.i - digits
	if n == 0 {
		return dst, false
	}
	simple := n <= 15 && (c.in[digits] != '0' || (n == 1 && digits == start)) // not "-0"
	for c.i < len(c.in) {
		b := c.in[c.i]
		if (b < '0' || b > '9') && b != '.' && b != 'e' && b != 'E' && b != '+' && b != '-' {
			break
		}
		simple = false
		c.i++
	}
	if simple {
		return append(dst, c.in[start:c.i]...), true
	}
	f, err := strconv.ParseFloat(string(c.in[start:c.i]), 64)
	if err != nil {
		return dst, false
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return dst, false
	}
	return append(dst, s...), true
}

// str reads a string without escapes and returns its bytes, quotes
// excluded: with no backslash and no control character (the input is valid
// JSON), RFC 8785 writes them back unchanged.
func (c *fastCanon) str() ([]byte, bool) {
	c.i++ // the opening quote
	end := bytes.IndexByte(c.in[c.i:], '"')
	if end < 0 {
		return nil, false
	}
	s := c.in[c.i : c.i+end]
	c.i += end + 1
	return s, true
}

func (c *fastCanon) array(dst []byte) ([]byte, bool) {
	c.i++
	dst = append(dst, '[')
	c.space()
	if c.i < len(c.in) && c.in[c.i] == ']' {
		c.i++
		return append(dst, ']'), true
	}
	for {
		var ok bool
		if dst, ok = c.value(dst); !ok {
			return dst, false
		}
		c.space()
		if c.i >= len(c.in) {
			return dst, false
		}
		switch c.in[c.i] {
		case ',':
			c.i++
			dst = append(dst, ',')
		case ']':
			c.i++
			return append(dst, ']'), true
		default:
			return dst, false
		}
	}
}

// member is one "key":value written at dst[start:end]; key is its name.
type member struct {
	key        []byte
	start, end int
}

func (c *fastCanon) object(dst []byte) ([]byte, bool) {
	c.i++
	base := len(dst)
	dst = append(dst, '{')
	c.space()
	if c.i < len(c.in) && c.in[c.i] == '}' {
		c.i++
		return append(dst, '}'), true
	}
	// Members are written in input order, then reordered if need be.
	var (
		stack   [16]member
		members = stack[:0]
		sorted  = true
	)
	for {
		c.space()
		if c.i >= len(c.in) || c.in[c.i] != '"' {
			return dst, false
		}
		key, ok := c.str()
		if !ok {
			return dst, false
		}
		for _, b := range key {
			if b >= utf8.RuneSelf {
				return dst, false // UTF-16 order is not bytes' order: jcs
			}
		}
		if n := len(members); n > 0 {
			switch bytes.Compare(members[n-1].key, key) {
			case 0:
				return dst, false // a duplicate: jcs refuses it
			case 1:
				sorted = false
			}
			dst = append(dst, ',')
		}
		c.space()
		if c.i >= len(c.in) || c.in[c.i] != ':' {
			return dst, false
		}
		c.i++
		start := len(dst)
		dst = append(dst, '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		if dst, ok = c.value(dst); !ok {
			return dst, false
		}
		members = append(members, member{key, start, len(dst)})
		c.space()
		if c.i >= len(c.in) {
			return dst, false
		}
		if c.in[c.i] == '}' {
			c.i++
			break
		}
		if c.in[c.i] != ',' {
			return dst, false
		}
		c.i++
	}
	if sorted {
		return append(dst, '}'), true
	}
	slices.SortFunc(members, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	out := make([]byte, 0, len(dst)-base+1)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			if bytes.Equal(members[i-1].key, m.key) {
				return dst, false
			}
			out = append(out, ',')
		}
		out = append(out, dst[m.start:m.end]...)
	}
	out = append(out, '}')
	return append(dst[:base], out...), true
}

// canonicalMetadataFast writes m's RFC 8785 form directly: the keys in
// sorted order, empty optional fields left out as encoding/json's omitempty
// does. It declines any string that RFC 8785 would write other than as is
// (quotes, backslashes, control characters, invalid UTF-8), a time outside
// the years RFC 3339 allows, and a string that encoding/json would escape
// differently, so that the slow path keeps those cases exactly as before.
func canonicalMetadataFast(m Metadata) ([]byte, bool) {
	if y := m.RecordedAt.Year(); y < 0 || y > 9999 {
		return nil, false
	}
	if _, offset := m.RecordedAt.Zone(); offset != 0 {
		return nil, false // encoding/json refuses some offsets: its business
	}
	w := metaWriter{b: make([]byte, 0, 512), ok: true}
	w.b = append(w.b, `{"actor":{`...)
	w.first = true
	w.field("account_id", m.Actor.AccountID, true)
	w.field("acting_org", m.Actor.ActingOrg, true)
	w.field("name", m.Actor.Name, true)
	w.field("on_behalf_of", m.Actor.OnBehalfOf, true)
	w.b = append(w.b, '}')
	w.first = false
	w.field("causation_id", m.CausationID, true)
	w.field("correlation_id", m.CorrelationID, true)
	w.field("effective_date", m.EffectiveDate, false)
	w.field("imported_from", m.ImportedFrom, true)
	w.field("reason", m.Reason, true)
	w.b = append(w.b, `,"recorded_at":"`...)
	w.b = m.RecordedAt.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	w.field("request_id", m.RequestID, true)
	if d := m.SourceDocument; d != nil {
		w.b = append(w.b, `,"source_document":{`...)
		w.first = true
		w.field("date", d.Date, true)
		w.field("issuer", d.Issuer, true)
		w.field("kind", d.Kind, true)
		w.field("number", d.Number, true)
		w.field("sha256", d.SHA256, true)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, '}')
	return w.b, w.ok
}

type metaWriter struct {
	b     []byte
	first bool // no member written yet in the current object
	ok    bool
}

func (w *metaWriter) field(key, value string, omitEmpty bool) {
	if omitEmpty && value == "" {
		return
	}
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, key...)
	w.b = append(w.b, `":"`...)
	w.b = append(w.b, value...)
	w.b = append(w.b, '"')
	if !utf8.ValidString(value) {
		w.ok = false
		return
	}
	for i := 0; i < len(value); i++ {
		if b := value[i]; b < 0x20 || b == '"' || b == '\\' {
			w.ok = false
			return
		}
	}
}
