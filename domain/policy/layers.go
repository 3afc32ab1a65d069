package policy

import (
	"fmt"
	"slices"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

// NationalPreset is the embedded national layer: Decree 27/2026/NĐ-CP (in
// force 1 July 2026) and Circular 06/2023/TT-BNV. Its rules carry their
// dates of effect; ForDeployment adds it to every deployment's policy.
const NationalPreset = "decree-27-2026"

// DefaultPreset is the provincial layer of a deployment that names none
// (HOSO_POLICY unset): the most recent provincial regulation of the five,
// whose monthly approval window the approvals follow.
const DefaultPreset = "tien-giang-2025"

// NationalLayer returns the embedded national layer (NationalPreset).
func NationalLayer() Policy {
	p, err := Preset(NationalPreset)
	if err != nil {
		// Tested; reaching this is a build defect, not a runtime state.
		panic("policy: national layer: " + err.Error())
	}
	return p
}

// ForDeployment composes the national layer with a deployment's own policy:
// the rules a deployment judges by. A provincial policy gets the national
// layer beside it; a national one (HOSO_POLICY=decree-27-2026: no
// provincial rules) is returned as it is, and so is a policy already
// composed.
//
// Precedence, for a duty of one action: only the rules in force on the day
// the duty started count (each rule's anchor date under Governing); among
// them the one giving the earliest due date governs — the stricter rule.
// A provincial rule can therefore tighten the national one but never relax
// it; on equal due dates the national rule is named. Approval windows: the
// provincial window in force, else the national one. Reports: every layer's.
func ForDeployment(p Policy) Policy {
	if p.layer == National || p.parts != nil {
		return p
	}
	n := NationalLayer()
	return Policy{
		name: p.name, title: p.title, source: p.source, layer: Provincial,
		transferOnRequest: p.transferOnRequest,
		deadlines:         slices.Concat(n.deadlines, p.deadlines),
		windows:           slices.Concat(n.windows, p.windows),
		reports:           slices.Concat(n.reports, p.reports),
		staffingQuota:     composeStaffingQuota(n.staffingQuota, p.staffingQuota),
		purposes:          slices.Concat(n.purposes, p.purposes),
		parts:             []Policy{n, p},
	}
}

// InForce lists the rules of every layer in force on day d, in the order of
// the layers (national first) and of each file.
func (p Policy) InForce(d domain.Date) ([]Deadline, []WindowRule, []ReportRule) {
	var ds []Deadline
	var ws []WindowRule
	var rs []ReportRule
	for _, x := range p.deadlines {
		if x.InForce(d) {
			ds = append(ds, x)
		}
	}
	for _, x := range p.windows {
		if x.InForce(d) {
			ws = append(ws, x)
		}
	}
	for _, x := range p.reports {
		if x.InForce(d) {
			rs = append(rs, x)
		}
	}
	return ds, ws, rs
}

// Ruling is the rule that governs one duty: the rule, the day the duty
// started (its anchor date under that rule) and the due date.
type Ruling struct {
	Rule  Deadline
	Start domain.Date
	Due   domain.Date
}

// Governing chooses the rule for a duty of action whose start, under each
// candidate rule, is start(rule) — the rules differ in their anchors (the
// decision, the account's issue…). A rule counts only if it is in force on
// that start day; of those, the earliest due date governs, the national rule
// on a tie (see ForDeployment). A zero start means the rule's anchor is not
// the event at hand (a rule counted from the account's issue, asked about a
// recruitment decision): that rule is left out. It returns an error wrapping
// domain.ErrNotFound when no rule for action is in force, and one wrapping
// domain.ErrInvalid for dates the calendar cannot answer.
func (p Policy) Governing(action ActionKind, start func(Deadline) domain.Date, cal *calendar.Calendar) (Ruling, error) {
	if cal == nil {
		return Ruling{}, errNoCalendar
	}
	var best Ruling
	found := false
	for _, d := range p.deadlines {
		if d.Action != action {
			continue
		}
		s := start(d)
		if s.IsZero() || !d.InForce(s) {
			continue
		}
		due, err := d.Due(s, cal)
		if err != nil {
			return Ruling{}, err
		}
		if !found || due.Before(best.Due) {
			best, found = Ruling{Rule: d, Start: s, Due: due}, true
		}
	}
	if !found {
		return Ruling{}, fmt.Errorf("policy %s: no deadline for %s in force: %w", p.name, action, domain.ErrNotFound)
	}
	return best, nil
}

// RuleFor is Governing for a duty that started on start under every rule:
// the rule in force that day that gives the earliest due date.
func (p Policy) RuleFor(action ActionKind, start domain.Date, cal *calendar.Calendar) (Deadline, error) {
	r, err := p.Governing(action, func(Deadline) domain.Date { return start }, cal)
	return r.Rule, err
}

// composeStaffingQuota: the provincial reading where its file states one,
// else the national one (the default when neither does).
func composeStaffingQuota(national, provincial StaffingQuotaRule) StaffingQuotaRule {
	if provincial.set {
		return provincial
	}
	return national
}
