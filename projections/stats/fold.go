package stats

import (
	"slices"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// attrs is what the reports count a person by, as one dossier stands on a
// date: the stat-relevant part of dossier.Document plus the standing that
// decides whether the person is counted at all.
type attrs struct {
	Archived        bool                    `json:"archived,omitempty"`
	Org             domain.OrgID            `json:"org,omitzero"` // zero once management was revoked
	Unit            domain.OrgID            `json:"unit,omitzero"`
	Class           string                  `json:"class,omitempty"`
	Sex             string                  `json:"sex,omitempty"`
	BirthDate       domain.Date             `json:"birth_date,omitzero"`
	Ethnicity       string                  `json:"ethnicity,omitempty"`
	Religion        string                  `json:"religion,omitempty"`
	PartyAdmittedOn domain.Date             `json:"party_admitted_on,omitzero"`
	Rank            string                  `json:"rank,omitempty"`
	Title           string                  `json:"title,omitempty"`
	JobPosition     string                  `json:"job_position,omitempty"`
	Qualification   string                  `json:"qualification,omitempty"`
	PoliticalTheory string                  `json:"political_theory,omitempty"`
	StateManagement string                  `json:"state_management,omitempty"`
	ITLevel         string                  `json:"it_level,omitempty"`
	Languages       []dossier.LanguageLevel `json:"languages,omitempty"`
}

// counted reports whether the person is in the headcount: in active service
// and managed by an org of the province.
func (a attrs) counted() bool { return !a.Archived && !a.Org.IsZero() }

func (a attrs) equal(b attrs) bool {
	return slices.Equal(a.Languages, b.Languages) && a.scalars() == b.scalars()
}

// scalarAttrs is attrs without its one slice, so it can be compared with ==.
type scalarAttrs struct {
	archived                                                                     bool
	org, unit                                                                    domain.OrgID
	class, sex, ethnicity, religion                                              string
	birth, party                                                                 domain.Date
	rank, title, jobPosition, qualification, politicalTheory, stateMgmt, itLevel string
}

func (a attrs) scalars() scalarAttrs {
	return scalarAttrs{a.Archived, a.Org, a.Unit, a.Class, a.Sex, a.Ethnicity, a.Religion, a.BirthDate, a.PartyAdmittedOn,
		a.Rank, a.Title, a.JobPosition, a.Qualification, a.PoliticalTheory, a.StateManagement, a.ITLevel}
}

// fromDocument reads the attributes off a folded document: the reference
// the tests hold the projection's own fold to.
func fromDocument(doc dossier.Document) attrs {
	a := attrs{
		Archived: doc.Header.Archived, Unit: doc.Header.EmployingUnit, Class: doc.Header.Class.String(),
		Sex: string(doc.Identity.Gender), BirthDate: doc.Identity.DateOfBirth,
		Ethnicity: doc.Identity.Ethnicity, Religion: doc.Identity.Religion,
		PartyAdmittedOn: doc.Background.PartyAdmittedOn,
	}
	if doc.Header.ManagingOrg != nil {
		a.Org = *doc.Header.ManagingOrg
	}
	a.setSalary(doc.Salary)
	a.setQualifications(doc.Qualifications)
	return a
}

func (a *attrs) setIdentity(id dossier.Identity) {
	a.Sex, a.BirthDate, a.Ethnicity, a.Religion = string(id.Gender), id.DateOfBirth, id.Ethnicity, id.Religion
}

func (a *attrs) setSalary(s dossier.Salary) {
	a.Rank, a.Title, a.JobPosition = s.Rank, s.Title, s.JobPosition
}

func (a *attrs) setQualifications(q dossier.Qualifications) {
	a.Qualification, a.PoliticalTheory, a.StateManagement, a.ITLevel =
		q.HighestQualification, q.PoliticalTheory, q.StateManagement, q.ITLevel
	a.Languages = slices.Clone(q.Languages)
}

// patch is what one event changes of attrs. Sections of the dossier are
// replaced whole by the domain, so a set section here replaces the
// attributes it holds, as dossier.Replay does.
type patch struct {
	Create *attrs `json:"create,omitempty"` // dossier.created: the whole starting state

	Class          string                  `json:"class,omitempty"`
	Identity       *identity               `json:"identity,omitempty"`
	Background     *background             `json:"background,omitempty"`
	Salary         *salary                 `json:"salary,omitempty"`
	Qualifications *qualifications         `json:"qualifications,omitempty"`
	Languages      []dossier.LanguageLevel `json:"languages,omitempty"` // with Qualifications
	Org            domain.OrgID            `json:"org,omitzero"`
	Unit           domain.OrgID            `json:"unit,omitzero"`
	Archive        bool                    `json:"archive,omitempty"`
	Revoke         bool                    `json:"revoke,omitempty"`
	Reactivate     bool                    `json:"reactivate,omitempty"`
}

type identity struct {
	Sex       string      `json:"sex,omitempty"`
	BirthDate domain.Date `json:"birth_date,omitzero"`
	Ethnicity string      `json:"ethnicity,omitempty"`
	Religion  string      `json:"religion,omitempty"`
}

type background struct {
	PartyAdmittedOn domain.Date `json:"party_admitted_on,omitzero"`
}

type salary struct {
	Rank        string `json:"rank,omitempty"`
	Title       string `json:"title,omitempty"`
	JobPosition string `json:"job_position,omitempty"`
}

type qualifications struct {
	Qualification   string `json:"qualification,omitempty"`
	PoliticalTheory string `json:"political_theory,omitempty"`
	StateManagement string `json:"state_management,omitempty"`
	ITLevel         string `json:"it_level,omitempty"`
}

// fromPatch keeps the stat-relevant sections of a dossier.Patch.
func fromPatch(p dossier.Patch) patch {
	var x patch
	if p.Header != nil && !p.Header.Class.IsZero() {
		x.Class = p.Header.Class.String()
	}
	if id := p.Identity; id != nil {
		x.Identity = &identity{string(id.Gender), id.DateOfBirth, id.Ethnicity, id.Religion}
	}
	if b := p.Background; b != nil {
		x.Background = &background{b.PartyAdmittedOn}
	}
	if s := p.Salary; s != nil {
		x.Salary = &salary{s.Rank, s.Title, s.JobPosition}
	}
	if q := p.Qualifications; q != nil {
		x.Qualifications = &qualifications{q.HighestQualification, q.PoliticalTheory, q.StateManagement, q.ITLevel}
		x.Languages = slices.Clone(q.Languages)
	}
	return x
}

// empty reports whether the patch changes nothing the reports count.
func (x patch) empty() bool {
	return x.Create == nil && x.Class == "" && x.Identity == nil && x.Background == nil && x.Salary == nil &&
		x.Qualifications == nil && x.Org.IsZero() && x.Unit.IsZero() && !x.Archive && !x.Revoke && !x.Reactivate
}

// patchOf maps one dossier event to what it changes of attrs, mirroring
// dossier's apply for the fields attrs holds; the second result is false
// for events that change none of them (rows, attachments, proposals
// submitted or rejected, the civil-servant number, transfers still pending).
func patchOf(ev domain.Event) (patch, bool) {
	var x patch
	switch e := ev.(type) {
	case dossier.Created:
		a := attrs{Org: e.ManagingOrg, Unit: e.EmployingUnit, Class: e.Class.String()}
		a.setIdentity(e.Identity)
		x.Create = &a
	case dossier.SectionUpdated:
		x = fromPatch(e.Patch)
	case dossier.ProposalAccepted:
		x = fromPatch(e.Patch)
	case dossier.Corrected:
		x = fromPatch(e.Patch)
		x.Reactivate = e.Reactivate
	case dossier.TransferReceived:
		if e.Kind == dossier.TransferOutOfProvince {
			x.Revoke, x.Archive = true, true
			break
		}
		x.Org, x.Unit = e.ManagingOrg, e.EmployingUnit
	case dossier.StatusChanged:
		// Every status a command can set archives; apply archives by
		// Status.Archived, and so does this.
		x.Archive = e.Status.Archived()
		x.Revoke = e.Status == dossier.StatusTransferredOut
	case dossier.ManagingOrgChanged:
		x.Org, x.Unit = e.ToOrg, e.EmployingUnit
	case dossier.Reactivated:
		// TG 10.1: the same dossier back in service under the receiving org.
		x.Reactivate = true
		x.Org, x.Unit = e.ManagingOrg, e.EmployingUnit
	}
	return x, !x.empty()
}

// folding is attrs plus the aggregate's private memory a later event
// depends on: the org a reactivation gives management back to.
type folding struct {
	attrs
	revoked    bool
	revokedOrg domain.OrgID
}

func (f *folding) apply(x patch) {
	if x.Create != nil {
		*f = folding{attrs: *x.Create}
		f.Languages = slices.Clone(x.Create.Languages)
		return
	}
	if x.Class != "" {
		f.Class = x.Class
	}
	if id := x.Identity; id != nil {
		f.Sex, f.BirthDate, f.Ethnicity, f.Religion = id.Sex, id.BirthDate, id.Ethnicity, id.Religion
	}
	if b := x.Background; b != nil {
		f.PartyAdmittedOn = b.PartyAdmittedOn
	}
	if s := x.Salary; s != nil {
		f.Rank, f.Title, f.JobPosition = s.Rank, s.Title, s.JobPosition
	}
	if q := x.Qualifications; q != nil {
		f.Qualification, f.PoliticalTheory, f.StateManagement, f.ITLevel = q.Qualification, q.PoliticalTheory, q.StateManagement, q.ITLevel
		f.Languages = slices.Clone(x.Languages)
	}
	if x.Reactivate {
		f.Archived = false
		if f.revoked {
			f.Org, f.revoked = f.revokedOrg, false
		}
	}
	if !x.Org.IsZero() {
		f.Org = x.Org
	}
	if !x.Unit.IsZero() {
		f.Unit = x.Unit
	}
	if x.Revoke {
		if !f.Org.IsZero() {
			f.revokedOrg = f.Org
		}
		f.Org, f.revoked = domain.OrgID{}, true
	}
	if x.Archive {
		f.Archived = true
	}
}

// fact is one stat-relevant event of a dossier, placed where the domain
// folds it: Path orders facts as dossier.Replay folds events (stream order,
// a correction right after the event it corrects), and Eff is the date the
// fact counts from on the effective axis (for a correction, that of the
// event it corrects, as in dossier.ReplayEffectiveOn).
type fact struct {
	Version uint64      `json:"v"`
	ID      uuid.UUID   `json:"id,omitzero"` // corrections only: another correction may point at it
	Path    []uint64    `json:"p"`
	Eff     domain.Date `json:"e"`
	Patch   patch       `json:"x"`
}

// ref is where a non-correction event sits, for corrections that point at
// it: its version (its path) and effective date.
type ref struct {
	V uint64      `json:"v"`
	E domain.Date `json:"e"`
}

// interval is a stretch of the effective axis, [From, To) with a zero To
// for "still so", during which a dossier is counted with Attrs.
type interval struct {
	From, To domain.Date
	Attrs    attrs
}

// intervals recomputes a dossier's whole effective-axis history from its
// facts. The state on date D is the fold, in path order, of the facts with
// Eff ≤ D (dossier.ReplayEffectiveOn's rule), from the creation's date on
// (before it the dossier did not exist). It changes only on the facts'
// dates, so those are the boundaries; adjacent stretches with equal
// attributes are merged and stretches out of the headcount are dropped.
// The cost is (distinct dates × facts) per dossier, a few hundred steps for
// a career, which is what lets a retroactive event simply recompute
// everything rather than patch intervals in place.
func intervals(facts []fact) []interval {
	if len(facts) == 0 || facts[0].Patch.Create == nil {
		return nil
	}
	start := facts[0].Eff
	var bounds []domain.Date
	for _, f := range facts {
		if !f.Eff.Before(start) {
			bounds = append(bounds, f.Eff)
		}
	}
	slices.SortFunc(bounds, func(a, b domain.Date) int { return a.Compare(b) })
	bounds = slices.Compact(bounds)
	var out []interval
	for i, b := range bounds {
		var s folding
		for _, f := range facts {
			if !f.Eff.After(b) {
				s.apply(f.Patch)
			}
		}
		var to domain.Date
		if i+1 < len(bounds) {
			to = bounds[i+1]
		}
		if !s.counted() {
			continue
		}
		if n := len(out); n > 0 && out[n-1].To == b && out[n-1].Attrs.equal(s.attrs) {
			out[n-1].To = to
			continue
		}
		out = append(out, interval{From: b, To: to, Attrs: s.attrs})
	}
	return out
}

// sortFacts puts facts in fold order.
func sortFacts(facts []fact) {
	slices.SortFunc(facts, func(a, b fact) int { return slices.Compare(a.Path, b.Path) })
}

// place computes the path and effective date of a new event: a correction
// goes right after its target (after the target's earlier corrections,
// which have lower versions) and counts from the target's date.
func place(r domain.Recorded, facts []fact, idx map[uuid.UUID]ref) (path []uint64, eff domain.Date, ok bool) {
	c, isCorrection := r.Event.(dossier.Corrected)
	if !isCorrection {
		return []uint64{r.Version}, r.Meta.EffectiveDate, true
	}
	for _, f := range facts {
		if f.ID == c.Corrects && f.ID != uuid.Nil {
			return append(slices.Clone(f.Path), r.Version), f.Eff, true
		}
	}
	if t, found := idx[c.Corrects]; found {
		return []uint64{t.V, r.Version}, t.E, true
	}
	return nil, domain.Date{}, false
}
