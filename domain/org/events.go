package org

import (
	"github.com/hoso-ledger/hoso/domain"
)

// Compatibility rule for every event below: the stored name never changes,
// fields are only added (with a zero value that means what the old payload
// meant), never renamed or retyped; a breaking change is a new version
// (".v2") plus an upcaster on the package's codec (domain.Codec.WithUpcaster).
// Golden files in testdata/golden pin
// each stored shape.

// Created is stored as "org.created.v1": the org came into existence by a
// decision (Meta.Source), effective Meta.EffectiveDate. Parent is absent
// for a root (a ministry, a province's people's committee).
type Created struct {
	Org    domain.OrgID `json:"org_id"`
	Name   string       `json:"name"`
	Code   string       `json:"code"`
	Kind   Kind         `json:"kind"`
	Level  Level        `json:"level"`
	Parent domain.OrgID `json:"parent,omitzero"`
}

// Renamed is stored as "org.renamed.v1": from its effective date the org is
// called Name with code Code (both recorded in full even when only one
// changed, so a reader needs no earlier event to know the org's identity).
type Renamed struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// Moved is stored as "org.moved.v1": from its effective date the org sits
// under Parent (absent: it became a root). Previous is the parent it left,
// recorded so a projection of the tree needs no lookup.
type Moved struct {
	Parent   domain.OrgID `json:"parent,omitzero"`
	Previous domain.OrgID `json:"previous,omitzero"`
}

// Merged is stored as "org.merged.v1": the org ended by merging into
// Successor, which takes over everything it managed.
type Merged struct {
	Successor domain.OrgID `json:"successor"`
}

// Split is stored as "org.split.v1": the org ended and its dossiers go to
// the Successors (two or more), each dossier by its own transfer.
type Split struct {
	Successors []domain.OrgID `json:"successors"`
}

// Dissolved is stored as "org.dissolved.v1": the org ended. ManagedDossiers
// records what the caller asserted when deciding; Successor is present when
// it did (and may be present otherwise).
type Dissolved struct {
	Successor       domain.OrgID `json:"successor,omitzero"`
	ManagedDossiers bool         `json:"managed_dossiers"`
}

// HomeAffairsDesignated is stored as "org.home_affairs_designated.v1" in
// a province's stream (its people's committee): from its effective date,
// HomeAffairs is the province's Department of Home Affairs (Sở Nội vụ),
// the one org that approves the province's month at level 2 (Tiền Giang
// art. 11.3, 12), by the decision in Meta.Source. It replaces any earlier
// designation, so a province has at most one at a time.
type HomeAffairsDesignated struct {
	HomeAffairs domain.OrgID `json:"home_affairs"`
}

// Stored event names.
const (
	TypeCreated   = "org.created.v1"
	TypeRenamed   = "org.renamed.v1"
	TypeMoved     = "org.moved.v1"
	TypeMerged    = "org.merged.v1"
	TypeSplit     = "org.split.v1"
	TypeDissolved = "org.dissolved.v1"
	// TypeHomeAffairsDesignated is HomeAffairsDesignated's stored name.
	TypeHomeAffairsDesignated = "org.home_affairs_designated.v1"
)

func (Created) EventType() string               { return TypeCreated }
func (Renamed) EventType() string               { return TypeRenamed }
func (Moved) EventType() string                 { return TypeMoved }
func (Merged) EventType() string                { return TypeMerged }
func (Split) EventType() string                 { return TypeSplit }
func (Dissolved) EventType() string             { return TypeDissolved }
func (HomeAffairsDesignated) EventType() string { return TypeHomeAffairsDesignated }

// codec declares every current org event once. Unlike the dossier's, it
// decodes a JSON null payload as the zero event, as this package always has.
var codec = domain.NewCodec("org",
	domain.Def[Created](),
	domain.Def[Renamed](),
	domain.Def[Moved](),
	domain.Def[Merged](),
	domain.Def[Split](),
	domain.Def[Dissolved](),
	domain.Def[HomeAffairsDesignated](),
	domain.Def[StaffingQuotaAssigned](),
).WithNullAsZero()

// EventTypes lists the stored names this package decodes, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Decode turns a stored payload back into its event (a value, not a
// pointer). An unknown type or a payload that is not the type's JSON is an
// error wrapping domain.ErrInvalid. Unknown fields are ignored, so a payload
// written by a newer release that added a field still decodes.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}
