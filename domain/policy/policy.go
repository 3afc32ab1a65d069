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

	"github.com/hoso-ledger/hoso/domain"
)

// Deadline is one rule "do Action within Amount Unit counted from Anchor".
type Deadline struct {
	Action  ActionKind `json:"action"`
	Amount  int        `json:"amount"`
	Unit    Unit       `json:"unit"`
	Anchor  Anchor     `json:"anchor"`
	Article string     `json:"article"`
	Note    string     `json:"note,omitempty"`
}

// WindowRule is a monthly approval window: the last Last days (or working
// days) of each month.
type WindowRule struct {
	Action  ActionKind `json:"action"`
	Last    int        `json:"last"`
	Unit    Unit       `json:"unit"`
	Article string     `json:"article"`
	Note    string     `json:"note,omitempty"`
}

// ReportRule is one report due date: the report for year Y is due by
// Day/Month of year Y+YearOffset, inclusive. "Before 1 June" is stored as
// 31 May. One action may have several rules (quarterly reports).
type ReportRule struct {
	Action     ActionKind `json:"action"`
	Month      int        `json:"month"`
	Day        int        `json:"day"`
	YearOffset int        `json:"year_offset"`
	Article    string     `json:"article"`
	Note       string     `json:"note,omitempty"`
}

// Policy is one jurisdiction's rules as validated data. The zero Policy is
// invalid; values come from Parse, Preset or Presets and never change.
type Policy struct {
	name, title, source string
	transferOnRequest   bool
	deadlines           []Deadline
	windows             []WindowRule
	reports             []ReportRule
}

// Name is the stable identifier ("phu-tho-2021").
func (p Policy) Name() string { return p.name }

// Title is the human name of the jurisdiction and rule set.
func (p Policy) Title() string { return p.title }

// Source cites the regulation the rules come from.
func (p Policy) Source() string { return p.source }

// TransferOnRequest reports whether dossiers move between orgs only when the
// receiving org asks in writing (Bình Tân art. 10).
func (p Policy) TransferOnRequest() bool { return p.transferOnRequest }

// Deadlines lists the deadline rules.
func (p Policy) Deadlines() []Deadline { return slices.Clone(p.deadlines) }

// Windows lists the approval-window rules.
func (p Policy) Windows() []WindowRule { return slices.Clone(p.windows) }

// Reports lists the report rules.
func (p Policy) Reports() []ReportRule { return slices.Clone(p.reports) }

// Deadline returns the rule for action, if the policy sets one.
func (p Policy) Deadline(action ActionKind) (Deadline, bool) {
	for _, d := range p.deadlines {
		if d.Action == action {
			return d, true
		}
	}
	return Deadline{}, false
}

// Window returns the approval-window rule for action, if the policy sets one.
func (p Policy) Window(action ActionKind) (WindowRule, bool) {
	for _, w := range p.windows {
		if w.Action == action {
			return w, true
		}
	}
	return WindowRule{}, false
}

type policyJSON struct {
	Name              string       `json:"name"`
	Title             string       `json:"title"`
	Source            string       `json:"source"`
	TransferOnRequest bool         `json:"transfer_on_request"`
	Deadlines         []Deadline   `json:"deadlines"`
	Windows           []WindowRule `json:"approval_windows"`
	Reports           []ReportRule `json:"reports"`
}

// MarshalJSON writes the form Parse reads.
func (p Policy) MarshalJSON() ([]byte, error) {
	j := policyJSON{p.name, p.title, p.source, p.transferOnRequest, p.deadlines, p.windows, p.reports}
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

// The raw forms keep enum fields as strings so each problem can name its
// field.
type rawDeadline struct {
	Action  string `json:"action"`
	Amount  int    `json:"amount"`
	Unit    string `json:"unit"`
	Anchor  string `json:"anchor"`
	Article string `json:"article"`
	Note    string `json:"note"`
}

type rawWindow struct {
	Action  string `json:"action"`
	Last    int    `json:"last"`
	Unit    string `json:"unit"`
	Article string `json:"article"`
	Note    string `json:"note"`
}

type rawReport struct {
	Action     string `json:"action"`
	Month      int    `json:"month"`
	Day        int    `json:"day"`
	YearOffset int    `json:"year_offset"`
	Article    string `json:"article"`
	Note       string `json:"note"`
}

type rawPolicy struct {
	Name              string        `json:"name"`
	Title             string        `json:"title"`
	Source            string        `json:"source"`
	TransferOnRequest bool          `json:"transfer_on_request"`
	Deadlines         []rawDeadline `json:"deadlines"`
	Windows           []rawWindow   `json:"approval_windows"`
	Reports           []rawReport   `json:"reports"`
}

// Limits of a sane policy; a regulation counting beyond them is a typo.
const (
	maxPolicyBytes = 1 << 20
	maxAmount      = 366
	maxWindow      = 20
	maxText        = 500
)

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Parse decodes and validates a policy (the JSON that MarshalJSON writes). It
// reports every problem at once in an error wrapping domain.ErrInvalid whose
// field paths follow the document ("deadlines/2/unit"): unknown fields, a
// name that is not lower-case words joined by hyphens, a missing title or
// source, an unknown or misplaced action kind (a report kind among
// deadlines), an action given twice, an amount outside 1–366, a window
// outside 1–20, an impossible report date, a year offset other than 0 or 1,
// or a policy with no rule at all.
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
		case len(s) > maxText:
			v.Add(field, "length", fmt.Sprintf("at most %d bytes", maxText))
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
	if len(r.Deadlines)+len(r.Windows)+len(r.Reports) == 0 {
		v.Add("deadlines", "required", "a policy needs at least one deadline, approval window or report")
	}
	p := Policy{name: r.Name, title: r.Title, source: r.Source, transferOnRequest: r.TransferOnRequest}

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

	seen := map[ActionKind]string{}
	unique := func(field string, k ActionKind) bool {
		if other, dup := seen[k]; dup {
			v.Add(field, "unique", fmt.Sprintf("%s already has a rule at %s", k, other))
			return false
		}
		seen[k] = field
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
		if okK && okU && err == nil && unique(f+"action", k) {
			p.deadlines = append(p.deadlines, Deadline{k, d.Amount, u, a, d.Article, d.Note})
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
		if okK && okU && unique(f+"action", k) {
			p.windows = append(p.windows, WindowRule{k, w.Last, u, w.Article, w.Note})
		}
	}
	seenReport := map[ReportRule]string{}
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
		if okK && okD {
			rule := ReportRule{Action: k, Month: rr.Month, Day: rr.Day, YearOffset: rr.YearOffset}
			if other, dup := seenReport[rule]; dup {
				v.Add(strings.TrimSuffix(f, "/"), "unique", "the same due date is at "+strings.TrimSuffix(other, "/"))
				continue
			}
			seenReport[rule] = f
			rule.Article, rule.Note = rr.Article, rr.Note
			p.reports = append(p.reports, rule)
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
