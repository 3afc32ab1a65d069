package postgres

import (
	"time"
	"unicode/utf8"

	"github.com/hoso-ledger/hoso/eventstore"
)

// decodeMetadata decodes stored metadata. Decoding it is most of the cost of
// reading the log, and stored metadata is always the canonical JSON that
// eventstore.Prepare wrote: known keys, string values, escapes only for
// quotes, backslashes and control characters. parseMetadata handles exactly
// that shape without reflection; anything else (an escape, a key it does
// not know, a non-string value) goes to eventstore.DecodeMetadata, which
// stays the definition. FuzzParseMetadata holds the two to the same result.
func decodeMetadata(raw []byte) (eventstore.Metadata, error) {
	if m, ok := parseMetadata(raw); ok {
		return m, nil
	}
	return eventstore.DecodeMetadata(raw)
}

func parseMetadata(raw []byte) (m eventstore.Metadata, ok bool) {
	if !utf8.Valid(raw) {
		return m, false
	}
	p := metaParser{b: raw}
	ok = p.object(func(key []byte) bool {
		switch string(key) {
		case "actor":
			return p.object(func(key []byte) bool {
				switch string(key) {
				case "account_id":
					return p.str(&m.Actor.AccountID)
				case "name":
					return p.str(&m.Actor.Name)
				case "acting_org":
					return p.str(&m.Actor.ActingOrg)
				case "on_behalf_of":
					return p.str(&m.Actor.OnBehalfOf)
				}
				return false
			})
		case "recorded_at":
			var s string
			if !p.str(&s) || len(s) == 0 || s[len(s)-1] != 'Z' {
				return false
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			m.RecordedAt = t
			return err == nil
		case "effective_date":
			return p.str(&m.EffectiveDate)
		case "source_document":
			d := new(eventstore.SourceDocument)
			m.SourceDocument = d
			return p.object(func(key []byte) bool {
				switch string(key) {
				case "kind":
					return p.str(&d.Kind)
				case "number":
					return p.str(&d.Number)
				case "date":
					return p.str(&d.Date)
				case "issuer":
					return p.str(&d.Issuer)
				case "sha256":
					return p.str(&d.SHA256)
				}
				return false
			})
		case "reason":
			return p.str(&m.Reason)
		case "request_id":
			return p.str(&m.RequestID)
		case "correlation_id":
			return p.str(&m.CorrelationID)
		case "causation_id":
			return p.str(&m.CausationID)
		case "imported_from":
			return p.str(&m.ImportedFrom)
		}
		return false
	})
	return m, ok && p.i == len(p.b)
}

// metaParser reads the compact JSON subset described at decodeMetadata.
type metaParser struct {
	b []byte
	i int
}

func (p *metaParser) lit(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// raw returns the bytes of a string without escapes, quotes excluded.
func (p *metaParser) raw() ([]byte, bool) {
	if !p.lit('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (p *metaParser) str(dst *string) bool {
	s, ok := p.raw()
	*dst = string(s)
	return ok
}

// object reads {"key":value,…}, calling field to read each value.
func (p *metaParser) object(field func(key []byte) bool) bool {
	if !p.lit('{') {
		return false
	}
	if p.lit('}') {
		return true
	}
	for {
		key, ok := p.raw()
		if !ok || !p.lit(':') || !field(key) {
			return false
		}
		if p.lit('}') {
			return true
		}
		if !p.lit(',') {
			return false
		}
	}
}
