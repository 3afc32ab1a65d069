// Package breach records suspected personal-data breaches (Personal Data
// Protection Law 91/2025/QH15, Decree 27/2026) and the notice deadlines
// that follow from one: what happened, when it was detected, which dossiers
// and orgs it touches.
//
// Each breach is a stream of its own ("breach-<uuid>"), created by
// Suspected. The notice hours are not in the texts under /work/shared, so
// they are a Policy the deployment sets; DefaultPolicy's 72 hours to the
// authority follows Decree 13/2023 art. 23(1), which the law replaced, and
// is a policy option until the current text is checked.
package breach

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
)

// Stored names, fields only ever added (testdata/golden pins each shape).
const TypeSuspected = "breach.suspected.v1"

// Limits of a record, so one request cannot grow the ledger without bound.
const (
	MaxWhat     = 4000
	MaxAffected = 10000
)

// Suspected is an administrator's record of a suspected breach.
type Suspected struct {
	BreachID   uuid.UUID   `json:"breach_id"`
	What       string      `json:"what"`
	DetectedAt time.Time   `json:"detected_at"`
	Dossiers   []uuid.UUID `json:"dossiers"`
	Orgs       []uuid.UUID `json:"orgs"`
}

// EventType returns TypeSuspected.
func (Suspected) EventType() string { return TypeSuspected }

var codec = domain.NewCodec("breach", domain.Def[Suspected]())

// EventTypes lists every stored name Decode accepts, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Decode is the decoder of breach streams (a ledger.Decoder).
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// Stream is the stream of breach id.
func Stream(id uuid.UUID) string { return "breach-" + id.String() }

// Record is the command: what an administrator says.
type Record struct {
	What       string
	DetectedAt time.Time
	Dossiers   []uuid.UUID
	Orgs       []uuid.UUID
}

// Decide checks a Record against the rules and returns the event to append;
// every problem is named by field. now is the server clock: a detection in
// the future is refused (a typo in the date, not a prediction).
func Decide(id uuid.UUID, r Record, now time.Time) (Suspected, error) {
	var v domain.ValidationError
	what := strings.TrimSpace(norm.NFC.String(r.What))
	switch {
	case what == "":
		v.Add("what", "required", "say what happened")
	default:
		domain.CheckText(&v, "what", what, MaxWhat, true)
	}
	switch {
	case r.DetectedAt.IsZero():
		v.Add("detected_at", "required", "when the breach was detected")
	case r.DetectedAt.After(now.Add(time.Minute)):
		v.Add("detected_at", "range", "in the future")
	}
	if len(r.Dossiers) == 0 && len(r.Orgs) == 0 {
		v.Add("dossiers", "required", "name the dossiers or the orgs affected (or both)")
	}
	dossiers := affected(&v, "dossiers", r.Dossiers)
	orgs := affected(&v, "orgs", r.Orgs)
	if err := v.Err(); err != nil {
		return Suspected{}, err
	}
	return Suspected{BreachID: id, What: what, DetectedAt: r.DetectedAt.UTC(), Dossiers: dossiers, Orgs: orgs}, nil
}

// affected is ids sorted and without repeats; a nil id is refused.
func affected(v *domain.ValidationError, field string, ids []uuid.UUID) []uuid.UUID {
	if len(ids) > MaxAffected {
		v.Add(field, "too_long", fmt.Sprintf("at most %d", MaxAffected))
		return nil
	}
	out := make([]uuid.UUID, 0, len(ids))
	for i, id := range ids {
		if id == uuid.Nil {
			v.Add(fmt.Sprintf("%s/%d", field, i), "required", "not a nil id")
			continue
		}
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

// Policy is how many hours after detection each notice is due.
type Policy struct {
	// AuthorityHours: the notice to the personal-data protection authority
	// (the Ministry of Public Security's department).
	AuthorityHours int
	// OrgHours: the notice to each org concerned (the managing orgs of the
	// affected dossiers, and those named).
	OrgHours int
}

// DefaultPolicy is a policy option, not a citation of the current law (see
// the package comment).
var DefaultPolicy = Policy{AuthorityHours: 72, OrgHours: 72}

// Deadline is one notice due.
type Deadline struct {
	To    string    `json:"to"` // "authority" or "org"
	Due   time.Time `json:"due"`
	Basis string    `json:"basis"`
}

// Deadlines are the notices s calls for under p, earliest first.
func Deadlines(s Suspected, p Policy) []Deadline {
	out := []Deadline{
		{To: "authority", Due: s.DetectedAt.Add(time.Duration(p.AuthorityHours) * time.Hour),
			Basis: fmt.Sprintf("%d h after detection (policy option; Decree 13/2023 art. 23(1) set 72 h)", p.AuthorityHours)},
		{To: "org", Due: s.DetectedAt.Add(time.Duration(p.OrgHours) * time.Hour),
			Basis: fmt.Sprintf("%d h after detection (policy option)", p.OrgHours)},
	}
	slices.SortStableFunc(out, func(a, b Deadline) int { return a.Due.Compare(b.Due) })
	return out
}
