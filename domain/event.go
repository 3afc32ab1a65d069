package domain

import (
	"time"

	"github.com/google/uuid"
)

// Event is a fact raised by an aggregate. EventType is its explicit stored
// name with a version ("dossier.created.v1"): never derived from the Go type
// name, so renaming a struct can never break stored history. Fields are added,
// never renamed; a breaking change is a new version plus an upcaster.
type Event interface {
	EventType() string
}

// Actor says who caused a change: the account, its display name at the time,
// the org on whose behalf it acted, and the account it acted for when entry
// was delegated or proxied.
type Actor struct {
	Account    AccountID `json:"account_id"`
	Name       string    `json:"name,omitempty"`
	ActingOrg  OrgID     `json:"acting_org,omitzero"`
	OnBehalfOf AccountID `json:"on_behalf_of,omitzero"`
}

// Meta is what every command carries beside its payload and what the ledger
// stores in the event envelope: who, when (both clocks), on which document,
// and why. The domain validates it (a state-side change without its decision
// is refused) but never reads a clock: RecordedAt comes from the caller.
type Meta struct {
	Actor         Actor
	RecordedAt    time.Time      // server clock, UTC: when the ledger learned it
	EffectiveDate Date           // legal date the fact takes effect (Vietnam calendar)
	Source        SourceDocument // the decision or document behind the change
	Reason        string         // mandatory for corrections
	RequestID     string
	CorrelationID string
	CausationID   string
	// ImportedFrom, when not empty, marks the fact as imported history and
	// names where it comes from (an earlier system's export, the paper
	// dossier): recorded now, effective long before, and therefore not
	// judged against today's deadlines. See CheckImport.
	ImportedFrom string
}

// Recorded is one stored event handed back to an aggregate's Replay: the
// event with its id, its version in the stream and its metadata. Corrections
// point at an earlier event by ID.
type Recorded struct {
	ID      uuid.UUID
	Version uint64
	Event   Event
	Meta    Meta
}
