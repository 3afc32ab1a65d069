package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Upcaster turns the payload of a retired stored event type into the payload
// of a newer one. Stored events are never rewritten: a retired shape is
// upcast every time it is read, so an upcaster must be pure.
type Upcaster func(data []byte) (newType string, newData []byte, err error)

// MaxUpcasts bounds an upcast chain, so a mistaken cycle of upcasters fails
// instead of looping for ever.
const MaxUpcasts = 16

// EventDef is one current event type as a Codec knows it: its stored name
// and how to decode its payload. Make one with Def.
type EventDef struct {
	name   string
	decode func(data []byte) (Event, error)
}

// Def declares the event type E, a value type whose EventType is a constant:
// its stored name is the zero E's EventType, and Codec.Decode returns E
// values (never pointers), so decoded events compare equal to the ones
// commands raise.
func Def[E Event]() EventDef {
	var zero E
	return EventDef{name: zero.EventType(), decode: func(data []byte) (Event, error) {
		var e E
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		return e, nil
	}}
}

// Codec decodes one aggregate's stored events: the current types by stored
// name, and the retired ones through upcasters. Unknown fields in a payload
// are ignored, because a later release may have added fields to a stored
// shape. A Codec is a value and its With methods return a copy, so a test
// can add an upcaster without touching a package's own codec.
type Codec struct {
	aggregate  string
	types      map[string]func([]byte) (Event, error)
	upcasters  map[string]Upcaster
	nullIsZero bool
}

// NewCodec returns the codec of aggregate's (a name for errors: "dossier")
// current event types. It panics when two definitions share a stored name,
// a programming error that every test of the package then reports.
func NewCodec(aggregate string, defs ...EventDef) Codec {
	c := Codec{aggregate: aggregate, types: make(map[string]func([]byte) (Event, error), len(defs))}
	for _, d := range defs {
		if _, dup := c.types[d.name]; dup || d.name == "" {
			panic(fmt.Sprintf("domain: %s codec: event type %q declared twice or empty", aggregate, d.name))
		}
		c.types[d.name] = d.decode
	}
	return c
}

// WithUpcaster returns a copy of c that reads the retired type from through
// up. It panics when from is a current type: the upcaster would hide it.
func (c Codec) WithUpcaster(from string, up Upcaster) Codec {
	if _, current := c.types[from]; current {
		panic(fmt.Sprintf("domain: %s codec: %q is a current type, not a retired one", c.aggregate, from))
	}
	ups := make(map[string]Upcaster, len(c.upcasters)+1)
	for k, v := range c.upcasters {
		ups[k] = v
	}
	ups[from] = up
	c.upcasters = ups
	return c
}

// WithNullAsZero returns a copy of c that decodes a JSON null payload as the
// type's zero value, as encoding/json does; without it, a payload must be a
// JSON object. (The account, org and approval decoders always accepted null;
// the dossier decoder never did. Each keeps its behaviour.)
func (c Codec) WithNullAsZero() Codec {
	c.nullIsZero = true
	return c
}

// EventTypes lists the current stored names Decode accepts, sorted.
func (c Codec) EventTypes() []string {
	names := make([]string, 0, len(c.types))
	for n := range c.types {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Decode turns a stored payload back into its event value, upcasting a
// retired type first. An unknown type, a failing upcaster, an upcast chain
// longer than MaxUpcasts or a payload that is not the type's JSON returns an
// error wrapping ErrInvalid.
func (c Codec) Decode(eventType string, data []byte) (Event, error) {
	from := eventType
	for steps := 0; ; steps++ {
		up, ok := c.upcasters[eventType]
		if !ok {
			break
		}
		if steps == MaxUpcasts {
			return nil, fmt.Errorf("%s: upcasting %s: more than %d steps (a cycle?): %w", c.aggregate, from, MaxUpcasts, ErrInvalid)
		}
		t, d, err := up(data)
		if err != nil {
			return nil, fmt.Errorf("%s: upcasting %s: %w: %w", c.aggregate, eventType, ErrInvalid, err)
		}
		eventType, data = t, d
	}
	decode, ok := c.types[eventType]
	if !ok {
		return nil, fmt.Errorf("%s: unknown event type %q: %w", c.aggregate, eventType, ErrInvalid)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || (trimmed[0] != '{' && !(c.nullIsZero && trimmed[0] == 'n')) {
		return nil, fmt.Errorf("%s: %s payload is not a JSON object: %w", c.aggregate, eventType, ErrInvalid)
	}
	e, err := decode(trimmed)
	if err != nil {
		return nil, fmt.Errorf("%s: decoding %s: %w: %w", c.aggregate, eventType, ErrInvalid, err)
	}
	return e, nil
}
