package app

import (
	"context"
	"errors"
	"slices"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// ManagedDossiers lists the dossiers an org manages on a date. The dossier
// read model answers it in production; ScanManagedDossiers answers it from
// the log for tests and tools.
type ManagedDossiers func(ctx context.Context, org domain.OrgID, on domain.Date) ([]domain.DossierID, error)

// Orgs runs the org commands. Commands that name other orgs load them: a
// parent or successor must exist and serve on the effective date
// (*ReferenceError, domain.ErrInvalid). ifMatch and the errors are as for
// Dossiers.
//
// Merge, Split and Dissolve only record the decision. Moving the dossiers
// is Succession's work, run step by step as a resumable process by package
// processes, which finds the decision in the log.
type Orgs struct {
	Ledger ledger.Ledger
	// Managed tells Dissolve whether the org still manages dossiers; when
	// nil, Dissolve assumes it does, so a successor is required.
	Managed ManagedDossiers
}

// Get replays an org; domain.ErrNotFound when it does not exist.
func (s Orgs) Get(ctx context.Context, id domain.OrgID) (*org.Org, error) {
	return LoadOrg(ctx, s.Ledger, id)
}

func (s Orgs) run(ctx context.Context, id domain.OrgID, ifMatch uint64, m domain.Meta, decide func(*org.Org) ([]domain.Event, error)) (eventstore.AppendResult, error) {
	return execute(ctx, s.Ledger, nil, id.StreamID(), org.Decode, org.Replay, ifMatch, m, decide)
}

// Create founds an org under a parent that serves on the effective date.
// An org id that exists is a *ledger.ConcurrencyError.
func (s Orgs) Create(ctx context.Context, id domain.OrgID, c org.CreateOrg, m domain.Meta) (eventstore.AppendResult, error) {
	events, err := org.Create(id, m, c)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if _, err := requireOrg(ctx, s.Ledger, "parent", c.Parent, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.Ledger.Append(ctx, id.StreamID(), eventstore.NoStream, m, events, nil)
}

// Rename gives the org a new name and code (org.Org.Rename).
func (s Orgs) Rename(ctx context.Context, id domain.OrgID, ifMatch uint64, name, code string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.Rename(m, name, code) })
}

// Move puts the org under a new parent (zero: a root). The parent must
// serve on the effective date; its ancestry on that date is read from the
// org streams so the domain can refuse a cycle.
func (s Orgs) Move(ctx context.Context, id domain.OrgID, ifMatch uint64, parent domain.OrgID, m domain.Meta) (eventstore.AppendResult, error) {
	var ancestry []domain.OrgID
	if !parent.IsZero() {
		var err error
		if ancestry, err = s.ancestry(ctx, parent, m.EffectiveDate); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.Move(m, parent, ancestry) })
}

// DesignateHomeAffairs records that, from the effective date, homeAffairs
// is the Department of Home Affairs of the province whose people's
// committee is province (org.Org.DesignateHomeAffairs). homeAffairs must
// serve on that date; its ancestry on that date is read from the org
// streams so the domain can keep the designation inside the province.
func (s Orgs) DesignateHomeAffairs(ctx context.Context, province domain.OrgID, ifMatch uint64, homeAffairs domain.OrgID, m domain.Meta) (eventstore.AppendResult, error) {
	var ancestry []domain.OrgID
	if !homeAffairs.IsZero() {
		var err error
		if ancestry, err = ancestryOn(ctx, s.Ledger, "home_affairs", homeAffairs, m.EffectiveDate); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return s.run(ctx, province, ifMatch, m, func(o *org.Org) ([]domain.Event, error) {
		return o.DesignateHomeAffairs(m, homeAffairs, ancestry)
	})
}

// AssignStaffingQuota records the org's staffing quota for year by the
// decision in m (org.Org.AssignStaffingQuota).
func (s Orgs) AssignStaffingQuota(ctx context.Context, id domain.OrgID, ifMatch uint64, year int, counts map[org.QuotaCategory]int, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.AssignStaffingQuota(m, year, counts) })
}

// HomeAffairsProvince reports the province (its people's committee) whose
// designated Department of Home Affairs o was on day d, walking o's
// ancestors in the org streams: the designation is an explicit decision,
// never inferred from an org's kind or place in the tree. ok is false when
// o was no province's Department of Home Affairs on d.
func HomeAffairsProvince(ctx context.Context, l ledger.Ledger, o domain.OrgID, d domain.Date) (province domain.OrgID, ok bool, err error) {
	seen := []domain.OrgID{o}
	start, err := LoadOrg(ctx, l, o)
	if err != nil {
		return domain.OrgID{}, false, err
	}
	cur, _ := start.ParentOn(d)
	for !cur.IsZero() && len(seen) < maxDepth && !slices.Contains(seen, cur) {
		seen = append(seen, cur)
		a, err := LoadOrg(ctx, l, cur)
		if err != nil {
			return domain.OrgID{}, false, err
		}
		if h, designated := a.HomeAffairsOn(d); designated && h == o {
			return cur, true, nil
		}
		cur, _ = a.ParentOn(d)
	}
	return domain.OrgID{}, false, nil
}

// maxDepth bounds an ancestry walk: real trees are a handful deep, and a
// cycle that slipped into history must not hang a command.
const maxDepth = 64

// ancestry is from's chain up to its root on date d, from itself.
func (s Orgs) ancestry(ctx context.Context, from domain.OrgID, d domain.Date) ([]domain.OrgID, error) {
	return ancestryOn(ctx, s.Ledger, "parent", from, d)
}

// ancestryOn is from's chain up to its root on date d, from itself, read
// from the org streams (a decision must not depend on a read model's lag).
// A missing or inactive org in the chain is a *ReferenceError on field (on
// field+"/ancestor" above from).
func ancestryOn(ctx context.Context, l ledger.Ledger, field string, from domain.OrgID, d domain.Date) ([]domain.OrgID, error) {
	var chain []domain.OrgID
	for cur := from; !cur.IsZero() && len(chain) < maxDepth && !slices.Contains(chain, cur); {
		f := field
		if len(chain) > 0 {
			f = field + "/ancestor"
		}
		o, err := requireOrg(ctx, l, f, cur, d)
		if err != nil {
			return nil, err
		}
		chain = append(chain, cur)
		cur, _ = o.ParentOn(d)
	}
	return chain, nil
}

// Merge ends the org by merging it into successor, which must serve on the
// effective date.
func (s Orgs) Merge(ctx context.Context, id domain.OrgID, ifMatch uint64, successor domain.OrgID, m domain.Meta) (eventstore.AppendResult, error) {
	if _, err := requireOrg(ctx, s.Ledger, "successor", successor, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.Merge(m, successor) })
}

// Split ends the org, its dossiers going to successors that each serve on
// the effective date.
func (s Orgs) Split(ctx context.Context, id domain.OrgID, ifMatch uint64, successors []domain.OrgID, m domain.Meta) (eventstore.AppendResult, error) {
	for _, succ := range successors {
		if _, err := requireOrg(ctx, s.Ledger, "successors", succ, m.EffectiveDate); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.Split(m, successors) })
}

// Dissolve ends the org. Whether it still manages dossiers comes from
// Managed; a successor, when given, must serve on the effective date.
func (s Orgs) Dissolve(ctx context.Context, id domain.OrgID, ifMatch uint64, successor domain.OrgID, m domain.Meta) (eventstore.AppendResult, error) {
	if _, err := requireOrg(ctx, s.Ledger, "successor", successor, m.EffectiveDate); err != nil {
		return eventstore.AppendResult{}, err
	}
	manages := true
	if s.Managed != nil {
		ids, err := s.Managed(ctx, id, m.EffectiveDate)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		manages = len(ids) > 0
	}
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.Dissolve(m, manages, successor) })
}

// errNoSuccession is the cause when Succession.Run is asked about an org
// whose stream holds no merger, split or dissolution with a successor.
var errNoSuccession = errors.New("the org has no merger, split or dissolution with a successor")

// SubmitReport records the org's periodic report (org.Org.SubmitReport):
// the kind and period, the file's SHA-256, the dispatch in m.Source. The
// caller has checked that the policy in force asks for that report.
func (s Orgs) SubmitReport(ctx context.Context, id domain.OrgID, ifMatch uint64, kind, period, sha256 string, m domain.Meta) (eventstore.AppendResult, error) {
	return s.run(ctx, id, ifMatch, m, func(o *org.Org) ([]domain.Event, error) { return o.SubmitReport(m, kind, period, sha256) })
}
