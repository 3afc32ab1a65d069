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

// ReportSubmitted is stored as "org.report_submitted.v1" in the org's
// stream: the org submitted its periodic report of Kind (a report kind of
// domain/policy: report_half_year, report_year, report_quarter,
// report_to_moha) covering Period ("2026", "2026-H1", "2026-Q3"), the file
// whose SHA-256 is SHA256, under the dispatch or decision in Meta.Source,
// sent on the effective date (BT 13, HU 13, TG 15.5/16.8, BĐ III.2). It
// closes the org's report item in the compliance read model; a later
// submission of another file for the same period is a resubmission.
type ReportSubmitted struct {
	Kind   string `json:"kind"`
	Period string `json:"period"`
	SHA256 string `json:"sha256"`
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
	// TypeReportSubmitted is ReportSubmitted's stored name.
	TypeReportSubmitted = "org.report_submitted.v1"
)

func (Created) EventType() string               { return TypeCreated }
func (Renamed) EventType() string               { return TypeRenamed }
func (Moved) EventType() string                 { return TypeMoved }
func (Merged) EventType() string                { return TypeMerged }
func (Split) EventType() string                 { return TypeSplit }
func (Dissolved) EventType() string             { return TypeDissolved }
func (HomeAffairsDesignated) EventType() string { return TypeHomeAffairsDesignated }
func (ReportSubmitted) EventType() string       { return TypeReportSubmitted }

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
	domain.Def[ReportSubmitted](),
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
