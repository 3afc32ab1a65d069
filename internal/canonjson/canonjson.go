// Package canonjson writes RFC 8785 (JCS) canonical JSON quickly.
//
// gowebpki/jcs stays the definition of RFC 8785 in hoso, but it builds a
// string per value and a UTF-16 copy of every key, and a 10 MB sync package
// or a 6 MB month-end manifest spent seconds in it. Canonicalize produces
// the same bytes in one recursive pass over encoding/json's output: member
// order sorted by the keys' UTF-16 code units, strings re-escaped the RFC
// 8785 way (only ", \ and control characters; \b \f \n \r \t short, others
// \u00xx; everything else, U+2028 and U+2029 included, as UTF-8), and
// whitespace dropped. Numbers are the one thing it leaves to jcs: any
// number that is not a plain integer of at most 15 digits makes the whole
// document go through jcs.Transform, as does anything it does not parse
// (invalid UTF-8, a lone surrogate, a duplicate key). Declining is always
// safe; the tests hold the accepted cases to jcs's output.
package canonjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// Marshal returns v's RFC 8785 canonical JSON.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // RFC 8785 writes <, > and & as they are
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return Canonicalize(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
}

// Canonicalize returns the RFC 8785 form of the JSON text raw.
func Canonicalize(raw []byte) ([]byte, error) {
	c := canon{in: raw}
	if c.space(); c.i >= len(c.in) || (c.in[c.i] != '{' && c.in[c.i] != '[') {
		return jcs.Transform(raw) // jcs reads top-level scalars its own way
	}
	out, err := c.value(make([]byte, 0, len(raw)))
	if err == nil {
		c.space()
		if c.i != len(c.in) {
			err = errDecline
		}
	}
	if err != nil {
		return jcs.Transform(raw)
	}
	return out, nil
}

// errDecline: the fast path leaves this document to jcs.
var errDecline = errors.New("canonjson: declined")

type canon struct {
	in []byte
	i  int
}

func (c *canon) space() {
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canon) value(dst []byte) ([]byte, error) {
	c.space()
	if c.i >= len(c.in) {
		return dst, errDecline
	}
	switch b := c.in[c.i]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		start := c.i
		s, verbatim, err := c.str()
		if err != nil {
			return dst, err
		}
		if verbatim {
			// No escape, no control character: RFC 8785 writes it as it is.
			return append(dst, c.in[start:c.i]...), nil
		}
		return appendString(dst, s), nil
	case b == 't':
		return c.literal(dst, "true")
	case b == 'f':
		return c.literal(dst, "false")
	case b == 'n':
		return c.literal(dst, "null")
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number(dst)
	}
	return dst, errDecline
}

func (c *canon) literal(dst []byte, lit string) ([]byte, error) {
	if !bytes.HasPrefix(c.in[c.i:], []byte(lit)) {
		return dst, errDecline
	}
	c.i += len(lit)
	return append(dst, lit...), nil
}

// number copies a plain integer of at most 15 digits (exact in a float64,
// so RFC 8785's ECMAScript form is its decimal digits); anything else
// declines.
func (c *canon) number(dst []byte) ([]byte, error) {
	start := c.i
	if c.in[c.i] == '-' {
		c.i++
	}
	digits := c.i
	for c.i < len(c.in) && c.in[c.i] >= '0' && c.in[c.i] <= '9' {
		c.i++
	}
	n := c.i - digits
	if n == 0 || n > 15 || (c.in[digits] == '0' && (n > 1 || digits != start)) { // no leading zero, no -0
		return dst, errDecline
	}
	if c.i < len(c.in) {
		switch c.in[c.i] {
		case '.', 'e', 'E':
			return dst, errDecline
		}
	}
	return append(dst, c.in[start:c.i]...), nil
}

// str reads a JSON string and returns its decoded UTF-8 text; verbatim
// says it held no escape and no control character, so its canonical form
// is the input's bytes, quotes included.
func (c *canon) str() (_ []byte, verbatim bool, _ error) {
	c.i++ // the opening quote
	start := c.i
	// The common case, found with the fast byte searches: no escape, no
	// control character, valid UTF-8.
	if end := bytes.IndexByte(c.in[start:], '"'); end >= 0 {
		s := c.in[start : start+end]
		if bytes.IndexByte(s, '\\') < 0 && !hasControl(s) {
			if !utf8.Valid(s) {
				return nil, false, errDecline
			}
			c.i = start + end + 1
			return s, true, nil
		}
	}
	for c.i < len(c.in) && c.in[c.i] != '\\' && c.in[c.i] >= 0x20 && c.in[c.i] != '"' {
		c.i++
	}
	out := append([]byte(nil), c.in[start:c.i]...)
	for c.i < len(c.in) {
		b := c.in[c.i]
		switch {
		case b == '"':
			c.i++
			if !utf8.Valid(out) {
				return nil, false, errDecline
			}
			return out, false, nil
		case b < 0x20:
			return nil, false, errDecline
		case b != '\\':
			out = append(out, b)
			c.i++
			continue
		}
		if c.i+1 >= len(c.in) {
			return nil, false, errDecline
		}
		e := c.in[c.i+1]
		c.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := c.hex4()
			if !ok {
				return nil, false, errDecline
			}
			if utf16.IsSurrogate(r) {
				if !bytes.HasPrefix(c.in[c.i:], []byte(`\u`)) {
					return nil, false, errDecline
				}
				c.i += 2
				r2, ok := c.hex4()
				if !ok {
					return nil, false, errDecline
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, false, errDecline
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false, errDecline
		}
	}
	return nil, false, errDecline
}

func (c *canon) hex4() (rune, bool) {
	if c.i+4 > len(c.in) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(c.in[c.i:c.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	c.i += 4
	return rune(v), true
}

func hasControl(s []byte) bool {
	for _, b := range s {
		if b < 0x20 {
			return true
		}
	}
	return false
}

// appendString writes s (UTF-8 text) as RFC 8785 does.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func (c *canon) array(dst []byte) ([]byte, error) {
	c.i++
	dst = append(dst, '[')
	c.space()
	if c.i < len(c.in) && c.in[c.i] == ']' {
		c.i++
		return append(dst, ']'), nil
	}
	for {
		var err error
		if dst, err = c.value(dst); err != nil {
			return dst, err
		}
		c.space()
		if c.i >= len(c.in) {
			return dst, errDecline
		}
		switch c.in[c.i] {
		case ',':
			c.i++
			dst = append(dst, ',')
		case ']':
			c.i++
			return append(dst, ']'), nil
		default:
			return dst, errDecline
		}
	}
}

// member is one object member written to the output: its decoded key
// and where "key":value lies in the output.
type member struct {
	key        []byte
	start, end int
}

// object writes the members where they are read, then, when the input did
// not have them in canonical order (encoding/json writes struct fields in
// declaration order), moves them into order through one copy of the
// object's bytes: nested objects are already in order by then.
func (c *canon) object(dst []byte) ([]byte, error) {
	c.i++
	objStart := len(dst)
	dst = append(dst, '{')
	c.space()
	if c.i < len(c.in) && c.in[c.i] == '}' {
		c.i++
		return append(dst, '}'), nil
	}
	var (
		members []member
		sorted  = true
	)
	for {
		c.space()
		if c.i >= len(c.in) || c.in[c.i] != '"' {
			return dst, errDecline
		}
		if len(members) > 0 {
			dst = append(dst, ',')
		}
		at := len(dst)
		kstart := c.i
		key, verbatim, err := c.str()
		if err != nil {
			return dst, err
		}
		if verbatim {
			dst = append(dst, c.in[kstart:c.i]...)
		} else {
			dst = appendString(dst, key)
		}
		c.space()
		if c.i >= len(c.in) || c.in[c.i] != ':' {
			return dst, errDecline
		}
		c.i++
		dst = append(dst, ':')
		if dst, err = c.value(dst); err != nil {
			return dst, err
		}
		if n := len(members); n > 0 && compareUTF16(members[n-1].key, key) >= 0 {
			sorted = false
		}
		members = append(members, member{key: key, start: at, end: len(dst)})
		c.space()
		if c.i >= len(c.in) {
			return dst, errDecline
		}
		if c.in[c.i] == '}' {
			c.i++
			break
		}
		if c.in[c.i] != ',' {
			return dst, errDecline
		}
		c.i++
	}
	dst = append(dst, '}')
	if sorted {
		return dst, nil
	}
	slices.SortFunc(members, func(a, b member) int { return compareUTF16(a.key, b.key) })
	for i := 1; i < len(members); i++ {
		if bytes.Equal(members[i-1].key, members[i].key) {
			return dst, errDecline // duplicate keys: jcs's call
		}
	}
	body := append([]byte(nil), dst[objStart:]...)
	out := dst[:objStart+1]
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, body[m.start-objStart:m.end-objStart]...)
	}
	return append(out, '}'), nil
}

// compareUTF16 orders UTF-8 keys by their UTF-16 code units (RFC 8785
// §3.2.3). Byte order is code point order, which agrees with UTF-16 order
// except between a supplementary character (a surrogate pair, D800–DFFF)
// and a BMP character from U+E000: only then are the runes compared.
func compareUTF16(a, b []byte) int {
	for len(a) > 0 && len(b) > 0 {
		if a[0] < 0x80 && b[0] < 0x80 {
			if a[0] != b[0] {
				return int(a[0]) - int(b[0])
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRune(a)
		rb, nb := utf8.DecodeRune(b)
		if ra != rb {
			return int(unit(ra)) - int(unit(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// unit is the first UTF-16 code unit of r.
func unit(r rune) rune {
	if r >= 0x10000 {
		r1, _ := utf16.EncodeRune(r)
		return r1
	}
	return r
}
