package nationalsync

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// namespace scopes package ids (UUIDv5) to hoso's sync packages.
var namespace = uuid.MustParse("6b0f4f57-5e0d-5c6b-9d8e-0a6e2f3c7a15")

// PackageID is the stable id of the package that delivers org's unit
// approval of month (with the unit manifest's digest) under the department
// approval (supplement n; 0 for the approval itself) whose manifest has
// departmentDigest: a SHA-1 name-based UUID of all five, so a rebuild, a
// relay that runs twice or a second process computes the same id.
func PackageID(org domain.OrgID, month string, supplement int, unitDigest, departmentDigest string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(org.String()+"|"+month+"|"+strconv.Itoa(supplement)+"|"+unitDigest+"|"+departmentDigest))
}

// StreamID is the package's stream: "sync-<id>".
func StreamID(id uuid.UUID) string { return "sync-" + id.String() }

// Stored event names.
const (
	TypeQueued       = "sync.queued.v1"
	TypeSent         = "sync.sent.v1"
	TypeAcknowledged = "sync.acknowledged.v1"
	TypeRejected     = "sync.rejected.v1"
)

// Compatibility rule for every event here: the stored name never changes;
// fields are only added, never renamed or retyped; a breaking change is a
// new version plus an upcaster. testdata/golden pins the shapes.

// Queued is stored as "sync.queued.v1": a department approval (or its
// supplement) covered Org's unit approval of Month, so the package is owed
// to the national database by Due (Decree 27/2026: within 1 day of the
// approval that makes the data final: the reading hoso takes of "within 1
// day of the change", since a change is not final for the national
// database before both levels approved it). Written by the relay that reads the
// committed approval.signed.v1 events, before it publishes anything.
type Queued struct {
	Package          uuid.UUID    `json:"package_id"`
	Org              domain.OrgID `json:"org_id"`
	Month            string       `json:"month"`
	Department       domain.OrgID `json:"department_org_id"`
	Supplement       int          `json:"supplement,omitempty"`
	UnitDigest       string       `json:"unit_manifest_sha256"`
	DepartmentDigest string       `json:"department_manifest_sha256"`
	// UnitApproval and DepartmentApproval are the approval.signed.v1 events.
	UnitApproval       uuid.UUID `json:"unit_approval_event_id"`
	DepartmentApproval uuid.UUID `json:"department_approval_event_id"`
	ApprovedAt         time.Time `json:"approved_at"` // the level-2 signature's recorded time
	// Due is the national-sync deadline under the rule in force on the
	// approval's day (Article; Decree 27/2026 from 1 July 2026: 1 day, a
	// day off moving it to the next working day); zero when no rule was.
	Due     domain.Date `json:"due_date,omitzero"`
	Article string      `json:"article,omitempty"`
}

// Sent is stored as "sync.sent.v1": the package with Digest (SHA-256 of
// the signed bytes) was handed to the national endpoint, attempt Attempt.
type Sent struct {
	Package  uuid.UUID `json:"package_id"`
	Digest   string    `json:"package_sha256"`
	Endpoint string    `json:"endpoint"`
	Attempt  int       `json:"attempt"`
}

// Acknowledged is stored as "sync.acknowledged.v1": the receiver accepted
// the package and answered Receipt (its exact bytes, signed by it).
type Acknowledged struct {
	Package uuid.UUID `json:"package_id"`
	Digest  string    `json:"package_sha256"`
	Receipt []byte    `json:"receipt"`
	// Arrivals are the dossiers of the package that arrived from outside
	// the province (TG 10.1a: a reactivation after a transfer out, or a
	// creation marked as an arrival): the acknowledged package is their
	// request to the national database.
	Arrivals []domain.DossierID `json:"arrivals,omitempty"`
}

// Rejected is stored as "sync.rejected.v1": the receiver refused the
// package (HTTP Status) for Reasons, shown to the unit.
type Rejected struct {
	Package uuid.UUID `json:"package_id"`
	Digest  string    `json:"package_sha256"`
	Status  int       `json:"status"`
	Reasons []string  `json:"reasons"`
}

func (Queued) EventType() string       { return TypeQueued }
func (Sent) EventType() string         { return TypeSent }
func (Acknowledged) EventType() string { return TypeAcknowledged }
func (Rejected) EventType() string     { return TypeRejected }

var codec = domain.NewCodec("sync",
	domain.Def[Queued](),
	domain.Def[Sent](),
	domain.Def[Acknowledged](),
	domain.Def[Rejected](),
)

// Decode turns a stored payload back into its event. Unknown types and
// malformed payloads wrap domain.ErrInvalid.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// EventTypes lists the stored names this package decodes.
func EventTypes() []string { return codec.EventTypes() }

// State is where a package stands.
type State string

const (
	StateQueued       State = "queued"
	StateSent         State = "sent"
	StateAcknowledged State = "acknowledged"
	StateRejected     State = "rejected"
)

// Package is the fold of one package's stream.
type Package struct {
	Queued   Queued
	State    State
	Attempts int
	Digest   string
	// Settled is when the receiver answered (acknowledged or rejected).
	Settled time.Time
	Receipt []byte
	Reasons []string
}

// Replay folds a package's stream. The first event must be Queued; an
// answer after an answer changes nothing (the receiver is idempotent, and
// so is this fold), so a worker that delivered twice still leaves one
// outcome.
func Replay(h []domain.Recorded) (Package, error) {
	var p Package
	for i, r := range h {
		switch e := r.Event.(type) {
		case Queued:
			if i != 0 {
				return p, domain.Invalid("sync", "order", "queued twice")
			}
			p.Queued, p.State = e, StateQueued
		case Sent:
			if p.State == "" {
				return p, domain.Invalid("sync", "order", "sent before queued")
			}
			p.Attempts++
			p.Digest = e.Digest
			if !p.Done() {
				p.State = StateSent
			}
		case Acknowledged:
			if !p.Done() {
				p.State, p.Settled, p.Receipt, p.Digest = StateAcknowledged, r.Meta.RecordedAt, e.Receipt, e.Digest
			}
		case Rejected:
			if !p.Done() {
				p.State, p.Settled, p.Reasons, p.Digest = StateRejected, r.Meta.RecordedAt, e.Reasons, e.Digest
			}
		default:
			return p, domain.Invalid("sync", "type", fmt.Sprintf("%T", r.Event))
		}
	}
	if p.State == "" {
		return p, domain.Invalid("sync", "stream", "empty")
	}
	return p, nil
}

// Done reports whether the receiver has answered for good.
func (p Package) Done() bool { return p.State == StateAcknowledged || p.State == StateRejected }
