package eventstore

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is a place in the global log: opaque to callers, totally ordered,
// and stable for the life of the log. Callers compare positions and store
// them as checkpoints; they never do arithmetic on them, because EventStoreDB's
// positions (commit, prepare) are not dense integers and PostgreSQL's
// (transaction id, sequence) pairs are not either.
//
// The zero Position is Start: before every event.
type Position struct {
	major, minor uint64
}

// Start is the position before the first event: Subscribe(ctx, Start) and
// ReadAll(ctx, Start, n) begin with the first event of the log.
var Start = Position{}

// NewPosition is for backends only: it packs a backend's two-part position
// (EventStoreDB: commit, prepare; PostgreSQL: transaction id, sequence).
func NewPosition(major, minor uint64) Position { return Position{major, minor} }

// Parts unpacks what NewPosition packed; for backends only.
func (p Position) Parts() (major, minor uint64) { return p.major, p.minor }

// Compare returns -1, 0 or +1 as p is before, equal to or after q.
func (p Position) Compare(q Position) int {
	switch {
	case p.major < q.major:
		return -1
	case p.major > q.major:
		return 1
	case p.minor < q.minor:
		return -1
	case p.minor > q.minor:
		return 1
	}
	return 0
}

// After reports whether p comes after q.
func (p Position) After(q Position) bool { return p.Compare(q) > 0 }

// IsStart reports whether p is Start.
func (p Position) IsStart() bool { return p == Start }

// String is a fixed-width text form whose byte order is the log order, so a
// checkpoint stored as text still sorts correctly.
func (p Position) String() string {
	return fmt.Sprintf("%016x-%016x", p.major, p.minor)
}

// ParsePosition parses String's form; errors wrap ErrInvalid.
func ParsePosition(s string) (Position, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok || len(a) != 16 || len(b) != 16 {
		return Position{}, fmt.Errorf("%w: position %q is not of the form xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx", ErrInvalid, s)
	}
	major, err1 := strconv.ParseUint(a, 16, 64)
	minor, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return Position{}, fmt.Errorf("%w: position %q is not hexadecimal", ErrInvalid, s)
	}
	return Position{major, minor}, nil
}

// MarshalText implements encoding.TextMarshaler with String's form.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Position) UnmarshalText(b []byte) error {
	v, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
