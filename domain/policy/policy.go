package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hoso-ledger/hoso/domain"
)

// Validity is the interval in which a rule is in force, both ends included;
// a zero end is open (no start: in force since ever; no end: still in
// force). A duty is judged by the rules in force on the day it started.
type Validity struct {
	ValidFrom  domain.Date `json:"valid_from,omitzero"`
	ValidUntil domain.Date `json:"valid_until,omitzero"`
}

// InForce reports whether the rule is in force on day d.
func (v Validity) InForce(d domain.Date) bool {
	return (v.ValidFrom.IsZero() || !d.Before(v.ValidFrom)) && (v.ValidUntil.IsZero() || !d.After(v.ValidUntil))
}

// overlaps reports whether two intervals share a day.
func (v Validity) overlaps(w Validity) bool {
	return (v.ValidUntil.IsZero() || w.ValidFrom.IsZero() || !w.ValidFrom.After(v.ValidUntil)) &&
		(w.ValidUntil.IsZero() || v.ValidFrom.IsZero() || !v.ValidFrom.After(w.ValidUntil))
}

// Deadline is one rule "do Action within Amount Unit counted from Anchor",
// in force in its Validity, from the layer Layer (set by Parse from the
// file's "layer"; not part of the rule's JSON).
type Deadline struct {
	Action  ActionKind `json:"action"`
	Amount  int        `json:"amount"`
	Unit    Unit       `json:"unit"`
	Anchor  Anchor     `json:"anchor"`
	Article string     `json:"article"`
	Note    string     `json:"note,omitempty"`
	Validity
	Layer Layer `json:"-"`
}

// WindowRule is a monthly approval window: the last Last days (or working
// days) of each month.
type WindowRule struct {
	Action  ActionKind `json:"action"`
	Last    int        `json:"last"`
	Unit    Unit       `json:"unit"`
	Article string     `json:"article"`
	Note    string     `json:"note,omitempty"`
	Validity
	Layer Layer `json:"-"`
}

// ReportRule is one report due date: the report for year Y is due by
// Day/Month of year Y+YearOffset, inclusive. "Before 1 June" is stored as
// 31 May. One action may have several rules (quarterly reports).
type ReportRule struct {
	Action     ActionKind `json:"action"`
	Month      int        `json:"month"`
	Day        int        `json:"day"`
	YearOffset int        `json:"year_offset"`
	// Period is the part of the year the report covers: Q1–Q4 for a
	// quarterly report, H1 or H2 for a half-yearly one, "year" otherwise
	// (the default of every kind but the quarterly, which must name it).
	Period string `json:"period"`
	// OwedBy says who owes the report: each org of the tree below the
	// province (EachOrg, the default), or the province alone (Province:
	// its designated Department of Home Affairs, else its people's
	// committee; the default of report_to_moha).
	OwedBy  Owner  `json:"owed_by"`
	Article string `json:"article"`
	Note    string `json:"note,omitempty"`
	Validity
	Layer Layer `json:"-"`
}

// Layer says which level of government a rule comes from. The national
// layer (Decree 27/2026, Circular 06/2023) applies in every deployment
// beside the provincial rules the deployment chooses (ForDeployment).
type Layer struct{ name string }

var (
	// Provincial: a province's (or a department's) own regulation; the
	// layer of a file that names none.
	Provincial = Layer{"provincial"}
	// National: the decrees and circulars that bind every province.
	National = Layer{"national"}
)

var layers = []Layer{Provincial, National}

func (l Layer) String() string { return l.name }

// MarshalText writes the stable name.
func (l Layer) MarshalText() ([]byte, error) { return []byte(l.name), nil }

// Policy is one jurisdiction's rules as validated data. The zero Policy is
// invalid; values come from Parse, Preset, Presets or ForDeployment and never
// change. A Policy is one layer (one file) or, from ForDeployment, the
// national layer composed with a provincial one.
type Policy struct {
	name, title, source string
	layer               Layer
	transferOnRequest   bool
	deadlines           []Deadline
	windows             []WindowRule
	reports             []ReportRule
	staffingQuota       StaffingQuotaRule
	purposes            []PurposeRule
	// parts are the layers of a composed policy, national first; nil for
	// a single layer.
	parts []Policy
}

// Name is the stable identifier ("phu-tho-2021"); a composed policy has its
// provincial layer's name.
func (p Policy) Name() string { return p.name }

// Title is the human name of the jurisdiction and rule set.
func (p Policy) Title() string { return p.title }

// Source cites the regulation the rules come from.
func (p Policy) Source() string { return p.source }

// Layer is the policy's layer; a composed policy is Provincial.
func (p Policy) Layer() Layer { return p.layer }

// Layers lists the layers of a composed policy, national first, or the
// policy itself.
func (p Policy) Layers() []Policy {
	if p.parts == nil {
		return []Policy{p}
	}
	return slices.Clone(p.parts)
}

// TransferOnRequest reports whether dossiers move between orgs only when the
// receiving org asks in writing (Bình Tân art. 10).
func (p Policy) TransferOnRequest() bool { return p.transferOnRequest }

// Deadlines lists the deadline rules of every layer, whatever their validity.
func (p Policy) Deadlines() []Deadline { return slices.Clone(p.deadlines) }

// Windows lists the approval-window rules.
func (p Policy) Windows() []WindowRule { return slices.Clone(p.windows) }

// Reports lists the report rules.
func (p Policy) Reports() []ReportRule { return slices.Clone(p.reports) }

// Deadline returns the first rule for action, if the policy sets one, in
// force or not: whether a policy times an action at all. To judge a duty,
// use RuleFor or Governing, which choose by the day the duty started.
func (p Policy) Deadline(action ActionKind) (Deadline, bool) {
	for _, d := range p.deadlines {
		if d.Action == action {
			return d, true
		}
	}
	return Deadline{}, false
}

// Window returns the first approval-window rule for action, if the policy
// sets one, in force or not; ApprovalWindow chooses by the month.
func (p Policy) Window(action ActionKind) (WindowRule, bool) {
	for _, w := range p.windows {
		if w.Action == action {
			return w, true
		}
	}
	return WindowRule{}, false
}

// windowOn returns the approval-window rule for action in force on day d;
// a provincial window, where one is in force, before a national one.
func (p Policy) windowOn(action ActionKind, d domain.Date) (WindowRule, bool) {
	var found WindowRule
	ok := false
	for _, w := range p.windows {
		if w.Action == action && w.InForce(d) && (!ok || w.Layer == Provincial) {
			found, ok = w, true
		}
	}
	return found, ok
}

type policyJSON struct {
	Name              string             `json:"name"`
	Title             string             `json:"title"`
	Source            string             `json:"source"`
	Layer             string             `json:"layer,omitempty"`
	TransferOnRequest bool               `json:"transfer_on_request"`
	Deadlines         []Deadline         `json:"deadlines"`
	Windows           []WindowRule       `json:"approval_windows"`
	Reports           []ReportRule       `json:"reports"`
	StaffingQuota     *StaffingQuotaRule `json:"staffing_quota,omitempty"`
	ReadPurposes      []PurposeRule      `json:"read_purposes,omitempty"`
}

// MarshalJSON writes the form Parse reads. A composed policy writes
// {"layers": [national, provincial]}, which is not a policy file.
func (p Policy) MarshalJSON() ([]byte, error) {
	if p.parts != nil {
		return json.Marshal(struct {
			Layers []Policy `json:"layers"`
		}{p.parts})
	}
	j := policyJSON{p.name, p.title, p.source, "", p.transferOnRequest, p.deadlines, p.windows, p.reports, nil, p.purposes}
	if p.staffingQuota.set {
		sq := p.staffingQuota
		j.StaffingQuota = &sq
	}
	if p.layer == National {
		j.Layer = National.name
	}
	if j.Deadlines == nil {
		j.Deadlines = []Deadline{}
	}
	if j.Windows == nil {
		j.Windows = []WindowRule{}
	}
	if j.Reports == nil {
		j.Reports = []ReportRule{}
	}
	return json.Marshal(j)
}

// The raw forms keep enum and date fields as strings so each problem can
// name its field.
type rawValidity struct {
	ValidFrom  string `json:"valid_from"`
	ValidUntil string `json:"valid_until"`
}

type rawDeadline struct {
	Action  string `json:"action"`
	Amount  int    `json:"amount"`
	Unit    string `json:"unit"`
	Anchor  string `json:"anchor"`
	Article string `json:"article"`
	Note    string `json:"note"`
	rawValidity
}

type rawWindow struct {
	Action  string `json:"action"`
	Last    int    `json:"last"`
	Unit    string `json:"unit"`
	Article string `json:"article"`
	Note    string `json:"note"`
	rawValidity
}

type rawReport struct {
	Action     string `json:"action"`
	Month      int    `json:"month"`
	Day        int    `json:"day"`
	YearOffset int    `json:"year_offset"`
	Period     string `json:"period"`
	OwedBy     string `json:"owed_by"`
	Article    string `json:"article"`
	Note       string `json:"note"`
	rawValidity
}

type rawPolicy struct {
	Name              string            `json:"name"`
	Title             string            `json:"title"`
	Source            string            `json:"source"`
	Layer             string            `json:"layer"`
	TransferOnRequest bool              `json:"transfer_on_request"`
	Deadlines         []rawDeadline     `json:"deadlines"`
	Windows           []rawWindow       `json:"approval_windows"`
	Reports           []rawReport       `json:"reports"`
	StaffingQuota     *rawStaffingQuota `json:"staffing_quota"`
	ReadPurposes      []rawPurposeRule  `json:"read_purposes"`
}

// Limits of a sane policy; a regulation counting beyond them is a typo.
const (
	maxPolicyBytes = 1 << 20
	maxAmount      = 366
	maxWindow      = 20
	maxText        = 500 // characters, as JSON Schema's maxLength counts
)

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Parse decodes and validates a policy (the JSON that MarshalJSON writes;
// its JSON Schema is Schema). It reports every problem at once in an error
// wrapping domain.ErrInvalid whose field paths follow the document
// ("deadlines/2/unit"): unknown fields, a name that is not lower-case words
// joined by hyphens, a missing title or source, a layer other than
// provincial or national, an unknown or misplaced action kind (a report kind
// among deadlines), an amount outside 1–366, a window outside 1–20, an
// impossible report date, a year offset other than 0 or 1, a validity date
// that is not YYYY-MM-DD or ends before it starts, two rules for one action
// in force on a common day (the same report due date, for reports), or a
// policy with no rule at all.
func Parse(b []byte) (Policy, error) {
	if len(b) > maxPolicyBytes {
		return Policy{}, domain.Invalid("policy", "size", fmt.Sprintf("larger than %d bytes", maxPolicyBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r rawPolicy
	if err := dec.Decode(&r); err != nil {
		return Policy{}, domain.Invalid("policy", "json", jsonDetail(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Policy{}, domain.Invalid("policy", "json", "unexpected data after the policy")
	}
	var v domain.ValidationError
	text := func(field, s string, required bool) {
		switch {
		case required && strings.TrimSpace(s) == "":
			v.Add(field, "required", "")
		case utf8.RuneCountInString(s) > maxText:
			v.Add(field, "length", fmt.Sprintf("at most %d characters", maxText))
		}
	}
	switch {
	case r.Name == "":
		v.Add("name", "required", "")
	case len(r.Name) > 64 || !nameRE.MatchString(r.Name):
		v.Add("name", "format", "lower-case letters and digits joined by hyphens, at most 64")
	}
	text("title", r.Title, true)
	text("source", r.Source, true)
	layer := Provincial
	switch r.Layer {
	case "", Provincial.name:
	case National.name:
		layer = National
	default:
		v.Add("layer", "enum", "one of "+names(layers))
	}
	if len(r.Deadlines)+len(r.Windows)+len(r.Reports)+len(r.ReadPurposes) == 0 {
		v.Add("deadlines", "required", "a policy needs at least one deadline, approval window, report or read purpose")
	}
	p := Policy{name: r.Name, title: r.Title, source: r.Source, layer: layer, transferOnRequest: r.TransferOnRequest}
	p.purposes = parsePurposes(&v, r.ReadPurposes, layer, text)
	if sq := r.StaffingQuota; sq != nil {
		if sq.ContractWorkersInQuota == nil {
			v.Add("staffing_quota/contract_workers_in_quota", "required", "true or false")
		}
		text("staffing_quota/article", sq.Article, true)
		text("staffing_quota/note", sq.Note, false)
		p.staffingQuota = StaffingQuotaRule{ContractWorkersInQuota: sq.ContractWorkersInQuota != nil && *sq.ContractWorkersInQuota,
			Article: sq.Article, Note: sq.Note, set: true}
	}

	kind := func(field, s string, allowed []ActionKind) (ActionKind, bool) {
		k, err := ParseActionKind(s)
		switch {
		case s == "":
			v.Add(field, "required", "")
		case err != nil:
			v.Add(field, "enum", "one of "+names(allowed))
		case !slices.Contains(allowed, k):
			v.Add(field, "kind", fmt.Sprintf("%s does not belong here; one of %s", s, names(allowed)))
		default:
			return k, true
		}
		return ActionKind{}, false
	}
	unit := func(field, s string) (Unit, bool) {
		u, err := ParseUnit(s)
		if err != nil {
			v.Add(field, "enum", "one of "+names(units))
			return Unit{}, false
		}
		return u, true
	}
	validity := func(f string, rv rawValidity) (Validity, bool) {
		var out Validity
		ok := true
		for _, x := range []struct {
			field, s string
			into     *domain.Date
		}{{"valid_from", rv.ValidFrom, &out.ValidFrom}, {"valid_until", rv.ValidUntil, &out.ValidUntil}} {
			if x.s == "" {
				continue
			}
			d, err := domain.ParseDate(x.s)
			if err != nil {
				v.Add(f+x.field, "format", "a date, YYYY-MM-DD")
				ok = false
				continue
			}
			*x.into = d
		}
		if ok && !out.ValidFrom.IsZero() && !out.ValidUntil.IsZero() && out.ValidUntil.Before(out.ValidFrom) {
			v.Add(f+"valid_until", "range", "on or after valid_from "+out.ValidFrom.String())
			ok = false
		}
		return out, ok
	}

	// Two rules for one action may follow each other (a regulation amended
	// from a date) but not be in force on the same day.
	type placed struct {
		field string
		Validity
	}
	seen := map[ActionKind][]placed{}
	unique := func(field string, k ActionKind, val Validity) bool {
		for _, other := range seen[k] {
			if other.overlaps(val) {
				v.Add(field, "unique", fmt.Sprintf("%s already has a rule in force at the same time at %s", k, other.field))
				return false
			}
		}
		seen[k] = append(seen[k], placed{field, val})
		return true
	}
	for i, d := range r.Deadlines {
		f := "deadlines/" + strconv.Itoa(i) + "/"
		k, okK := kind(f+"action", d.Action, deadlineKinds)
		u, okU := unit(f+"unit", d.Unit)
		a, err := ParseAnchor(d.Anchor)
		if err != nil {
			v.Add(f+"anchor", "enum", "one of "+names(anchors))
		}
		if d.Amount < 1 || d.Amount > maxAmount {
			v.Add(f+"amount", "range", fmt.Sprintf("1–%d", maxAmount))
		}
		text(f+"article", d.Article, false)
		text(f+"note", d.Note, false)
		val, okV := validity(f, d.rawValidity)
		if okK && okU && err == nil && okV && unique(f+"action", k, val) {
			p.deadlines = append(p.deadlines, Deadline{k, d.Amount, u, a, d.Article, d.Note, val, layer})
		}
	}
	for i, w := range r.Windows {
		f := "approval_windows/" + strconv.Itoa(i) + "/"
		k, okK := kind(f+"action", w.Action, windowKinds)
		u, okU := unit(f+"unit", w.Unit)
		if w.Last < 1 || w.Last > maxWindow {
			v.Add(f+"last", "range", fmt.Sprintf("1–%d", maxWindow))
		}
		text(f+"article", w.Article, false)
		text(f+"note", w.Note, false)
		val, okV := validity(f, w.rawValidity)
		if okK && okU && okV && unique(f+"action", k, val) {
			p.windows = append(p.windows, WindowRule{k, w.Last, u, w.Article, w.Note, val, layer})
		}
	}
	type reportKey struct {
		action          ActionKind
		month, day, off int
	}
	seenReport := map[reportKey][]placed{}
	for i, rr := range r.Reports {
		f := "reports/" + strconv.Itoa(i) + "/"
		k, okK := kind(f+"action", rr.Action, reportKinds)
		okD := true
		if rr.Month < 1 || rr.Month > 12 {
			v.Add(f+"month", "range", "1–12")
			okD = false
		} else if last := daysIn(rr.Month); rr.Day < 1 || rr.Day > last {
			v.Add(f+"day", "range", fmt.Sprintf("1–%d", last))
			okD = false
		}
		if rr.YearOffset != 0 && rr.YearOffset != 1 {
			v.Add(f+"year_offset", "range", "0 (same year) or 1 (next year)")
			okD = false
		}
		text(f+"article", rr.Article, false)
		text(f+"note", rr.Note, false)
		period, owner := rr.Period, Owner(rr.OwedBy)
		if okK {
			if period == "" {
				period = defaultPeriod(k)
			}
			if !slices.Contains(periodParts[k], period) {
				v.Add(f+"period", "enum", strings.Join(periodParts[k], ", ")+" for "+k.String())
				okD = false
			}
			if owner == "" {
				owner = EachOrg
				if k == ReportToMOHA {
					owner = Province
				}
			}
			if owner != EachOrg && owner != Province {
				v.Add(f+"owed_by", "enum", "each_org or province")
				okD = false
			}
		}
		val, okV := validity(f, rr.rawValidity)
		if okK && okD && okV {
			key := reportKey{k, rr.Month, rr.Day, rr.YearOffset}
			dup := false
			for _, other := range seenReport[key] {
				if other.overlaps(val) {
					v.Add(strings.TrimSuffix(f, "/"), "unique", "the same due date is at "+strings.TrimSuffix(other.field, "/"))
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			seenReport[key] = append(seenReport[key], placed{f, val})
			p.reports = append(p.reports, ReportRule{Action: k, Month: rr.Month, Day: rr.Day, YearOffset: rr.YearOffset, Period: period,
				OwedBy: owner, Article: rr.Article, Note: rr.Note, Validity: val, Layer: layer})
		}
	}
	if err := v.Err(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// daysIn is the length of a month in a common year: a due date of 29
// February would not exist three years in four.
func daysIn(m int) int {
	return time.Date(2001, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func jsonDetail(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated document"
	default:
		return err.Error()
	}
}
