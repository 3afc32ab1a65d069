package org

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hoso-ledger/hoso/domain"
)

// Org is the aggregate's state, rebuilt by Replay. Its fields are unexported
// so that the only way to change an org is an event in its stream; the zero
// Org is not a valid org.
type Org struct {
	id       domain.OrgID
	version  uint64
	kind     Kind
	level    Level
	created  domain.Date
	names    []NameEntry   // sorted by From; names[0] is the founding name
	parents  []ParentEntry // sorted by From
	status   Status
	closedOn domain.Date
	succ     []domain.OrgID
	lastEff  domain.Date // latest effective date of any change
	// homeAffairs: a province's designations of its Department of Home
	// Affairs, sorted by From.
	homeAffairs []HomeAffairsEntry
	// reports: the digests submitted per report kind and period
	// ("report_year/2026").
	reports map[string][]string
	// quotas: the staffing quota decisions (org.staffing_quota_assigned.v1),
	// sorted by effective date.
	quotas []QuotaEntry
}

// HomeAffairsEntry is a province's Department of Home Affairs from From
// until the next entry's From.
type HomeAffairsEntry struct {
	From domain.Date
	Org  domain.OrgID
}

// NameEntry is the org's name and code in force from From until the next
// entry's From.
type NameEntry struct {
	From domain.Date
	Name string
	Code string
}

// ParentEntry is the org's parent from From until the next entry's From; a
// zero Parent means the org was a root.
type ParentEntry struct {
	From   domain.Date
	Parent domain.OrgID
}

// Replay rebuilds an org from its whole stream, oldest first. It fails (with
// domain.ErrNotFound) on an empty history and (with domain.ErrInvalid) on a
// history that does not start with Created, holds a second Created or an
// event of another aggregate: those are not an org's history. Applying an
// event itself never fails: history is fact.
func Replay(history []domain.Recorded) (*Org, error) {
	if len(history) == 0 {
		return nil, fmt.Errorf("%w: org: empty history", domain.ErrNotFound)
	}
	o := &Org{}
	for i, r := range history {
		_, isCreated := r.Event.(Created)
		if isCreated != (i == 0) {
			return nil, domain.Invalid(fmt.Sprintf("history/%d", i), "sequence", "an org's stream starts with its one "+TypeCreated)
		}
		if !known(r.Event) {
			return nil, domain.Invalid(fmt.Sprintf("history/%d", i), "unknown", eventType(r.Event))
		}
		o.apply(r)
	}
	return o, nil
}

// known reports whether e is one of this package's events as Decode returns
// them (values, not pointers).
func known(e domain.Event) bool {
	switch e.(type) {
	case Created, Renamed, Moved, Merged, Split, Dissolved, HomeAffairsDesignated, ReportSubmitted, StaffingQuotaAssigned:
		return true
	}
	return false
}

func eventType(e domain.Event) string {
	if e == nil {
		return "<nil>"
	}
	return e.EventType()
}

// effective is the date a recorded change takes effect. Stored envelopes
// always carry it; the fallbacks only keep apply total for damaged metadata,
// and a change can never take effect before the org existed.
func (o *Org) effective(r domain.Recorded) domain.Date {
	d := r.Meta.EffectiveDate
	if d.IsZero() {
		d = r.Meta.Source.Date
	}
	if d.IsZero() && !r.Meta.RecordedAt.IsZero() {
		d = domain.DateOf(r.Meta.RecordedAt)
	}
	if d.IsZero() || (!o.created.IsZero() && d.Before(o.created)) {
		d = o.created
	}
	return d
}

func (o *Org) apply(r domain.Recorded) {
	o.version = r.Version
	d := o.effective(r)
	switch e := r.Event.(type) {
	case Created:
		if d.IsZero() {
			d = domain.MustDate(1900, 1, 1) // damaged metadata: treat as always existing
		}
		o.id, o.kind, o.level, o.created, o.status = e.Org, e.Kind, e.Level, d, StatusActive
		o.names = []NameEntry{{From: d, Name: e.Name, Code: e.Code}}
		o.parents = []ParentEntry{{From: d, Parent: e.Parent}}
	case Renamed:
		o.names = insertByDate(o.names, NameEntry{From: d, Name: e.Name, Code: e.Code}, func(n NameEntry) domain.Date { return n.From })
	case Moved:
		o.parents = insertByDate(o.parents, ParentEntry{From: d, Parent: e.Parent}, func(p ParentEntry) domain.Date { return p.From })
	case Merged:
		o.end(StatusMerged, d, []domain.OrgID{e.Successor})
	case Split:
		o.end(StatusSplit, d, e.Successors)
	case Dissolved:
		var s []domain.OrgID
		if !e.Successor.IsZero() {
			s = []domain.OrgID{e.Successor}
		}
		o.end(StatusDissolved, d, s)
	case HomeAffairsDesignated:
		o.homeAffairs = insertByDate(o.homeAffairs, HomeAffairsEntry{From: d, Org: e.HomeAffairs}, func(h HomeAffairsEntry) domain.Date { return h.From })
	case ReportSubmitted:
		if o.reports == nil {
			o.reports = map[string][]string{}
		}
		k := e.Kind + "/" + e.Period
		o.reports[k] = append(o.reports[k], e.SHA256)
		return // a report changes nothing of the org: later changes may predate it
	case StaffingQuotaAssigned:
		o.quotas = insertByDate(o.quotas, QuotaEntry{Year: e.Year, From: d, Counts: maps.Clone(e.Counts), Decision: r.Meta.Source}, func(q QuotaEntry) domain.Date { return q.From })
	}
	if d.After(o.lastEff) {
		o.lastEff = d
	}
}

func (o *Org) end(s Status, d domain.Date, successors []domain.OrgID) {
	o.status, o.closedOn, o.succ = s, d, slices.Clone(successors)
}

// insertByDate keeps a history sorted by effective date; among entries with
// the same date the one recorded later wins, because it is placed last.
func insertByDate[T any](h []T, e T, from func(T) domain.Date) []T {
	i := len(h)
	for i > 0 && from(h[i-1]).After(from(e)) {
		i--
	}
	return slices.Insert(h, i, e)
}

// ID is the org's identity.
func (o *Org) ID() domain.OrgID { return o.id }

// Version is the stream version of the last applied event: the expected
// version for the next append.
func (o *Org) Version() uint64 { return o.version }

// Kind is what sort of body the org is.
func (o *Org) Kind() Kind { return o.kind }

// Level is the org's tier of government.
func (o *Org) Level() Level { return o.level }

// Status is where the org is in its life.
func (o *Org) Status() Status { return o.status }

// Active reports whether the org has not ended (merged, split, dissolved).
func (o *Org) Active() bool { return o.status == StatusActive }

// CreatedOn is the effective date of the org's founding decision.
func (o *Org) CreatedOn() domain.Date { return o.created }

// ClosedOn is the effective date the org ended, or the zero Date.
func (o *Org) ClosedOn() domain.Date { return o.closedOn }

// Successors are the orgs that took over when it ended (merge: one; split:
// two or more; dissolve: zero or one).
func (o *Org) Successors() []domain.OrgID { return slices.Clone(o.succ) }

// Name is the name in force at the latest effective date on record.
func (o *Org) Name() string { return o.names[len(o.names)-1].Name }

// Code is the code in force at the latest effective date on record.
func (o *Org) Code() string { return o.names[len(o.names)-1].Code }

// Parent is the parent in force at the latest effective date on record
// (zero for a root).
func (o *Org) Parent() domain.OrgID { return o.parents[len(o.parents)-1].Parent }

// NameOn is the name the org bore on d, exactly as it was decided then. It
// reports false when d is before the org existed. After the org ended it
// answers the last name it bore: that is how its old records refer to it.
func (o *Org) NameOn(d domain.Date) (string, bool) {
	n, ok := at(o.names, d, func(n NameEntry) domain.Date { return n.From })
	return n.Name, ok
}

// CodeOn is the code the org bore on d; see NameOn.
func (o *Org) CodeOn(d domain.Date) (string, bool) {
	n, ok := at(o.names, d, func(n NameEntry) domain.Date { return n.From })
	return n.Code, ok
}

// ParentOn is the org's parent on d (zero for a root); it reports false
// when d is before the org existed.
func (o *Org) ParentOn(d domain.Date) (domain.OrgID, bool) {
	p, ok := at(o.parents, d, func(p ParentEntry) domain.Date { return p.From })
	return p.Parent, ok
}

// ActiveOn reports whether the org existed and had not ended on d.
func (o *Org) ActiveOn(d domain.Date) bool {
	return !d.Before(o.created) && (o.closedOn.IsZero() || d.Before(o.closedOn))
}

// HomeAffairsOn is the Department of Home Affairs a province had designated
// on d; false when none was.
func (o *Org) HomeAffairsOn(d domain.Date) (domain.OrgID, bool) {
	h, ok := at(o.homeAffairs, d, func(h HomeAffairsEntry) domain.Date { return h.From })
	return h.Org, ok
}

// HomeAffairs is the whole history of a province's designations, oldest
// first (empty for any other org).
func (o *Org) HomeAffairs() []HomeAffairsEntry { return slices.Clone(o.homeAffairs) }

// Names is the whole name history, oldest first.
func (o *Org) Names() []NameEntry { return slices.Clone(o.names) }

// Parents is the whole parent history, oldest first.
func (o *Org) Parents() []ParentEntry { return slices.Clone(o.parents) }

func at[T any](h []T, d domain.Date, from func(T) domain.Date) (T, bool) {
	var zero T
	for i := len(h) - 1; i >= 0; i-- {
		if !from(h[i]).After(d) {
			return h[i], true
		}
	}
	return zero, false
}
