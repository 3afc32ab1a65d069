package policy

import (
	"fmt"
	"sort"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

var errNoCalendar = domain.Invalid("calendar", "required", "")

func noRule(p Policy, what string, action ActionKind) error {
	return fmt.Errorf("policy %s: no %s for %s: %w", p.name, what, action, domain.ErrNotFound)
}

// Due is the last day to do action when its anchor event happened on anchor,
// under the rule governing a duty that started that day (RuleFor): counting
// starts the next day, and a deadline ending on a day off moves to the next
// working day (Civil Code arts. 147–148). It returns an error wrapping
// domain.ErrNotFound when no rule for action is in force on anchor, and one
// wrapping domain.ErrInvalid for dates the calendar cannot answer.
func (p Policy) Due(action ActionKind, anchor domain.Date, cal *calendar.Calendar) (domain.Date, error) {
	r, err := p.Governing(action, func(Deadline) domain.Date { return anchor }, cal)
	return r.Due, err
}

// Due is the rule's deadline for an anchor date; errors as for Policy.Due.
func (d Deadline) Due(anchor domain.Date, cal *calendar.Calendar) (domain.Date, error) {
	if cal == nil {
		return domain.Date{}, errNoCalendar
	}
	if d.Unit == WorkingDays {
		return cal.AddWorkingDays(anchor, d.Amount)
	}
	return cal.AddDays(anchor, d.Amount)
}

// Assessment says whether an action met its deadline.
type Assessment struct {
	Due  domain.Date
	Late bool
	// Overdue is how late, in the rule's unit: working days after Due (an
	// action on a day off counts as the next working day) or calendar days.
	Overdue int
	Unit    Unit
}

// Check assesses an action done on done whose anchor event happened on
// anchor, under the rule governing a duty that started that day. Errors as
// for Due.
func (p Policy) Check(action ActionKind, anchor, done domain.Date, cal *calendar.Calendar) (Assessment, error) {
	if done.IsZero() {
		return Assessment{}, domain.Invalid("done", "required", "")
	}
	r, err := p.Governing(action, func(Deadline) domain.Date { return anchor }, cal)
	if err != nil {
		return Assessment{}, err
	}
	return Judge(r.Due, r.Rule.Unit, done, cal)
}

// Judge assesses an action done on done against a due date counted in unit:
// late when done is after due, by working days (an action on a day off
// counts as the next working day) or calendar days. Errors wrap
// domain.ErrInvalid for a missing calendar or dates it cannot answer.
func Judge(due domain.Date, unit Unit, done domain.Date, cal *calendar.Calendar) (Assessment, error) {
	if cal == nil {
		return Assessment{}, errNoCalendar
	}
	a := Assessment{Due: due, Late: done.After(due), Unit: unit}
	if !a.Late {
		return a, nil
	}
	if unit == WorkingDays {
		var err error
		a.Overdue, err = cal.WorkingDaysLate(due, done)
		return a, err
	}
	a.Overdue = due.DaysUntil(done)
	return a, nil
}

// Window is the period, both ends included, in which a monthly approval is
// on time.
type Window struct {
	Start, End domain.Date
}

// Timing places an approval relative to its window.
type Timing int

const (
	// Early: before the window opens (the month's data may still change).
	Early Timing = iota + 1
	// InWindow: on time.
	InWindow
	// Late: after the window closed.
	Late
)

func (t Timing) String() string {
	switch t {
	case Early:
		return "early"
	case InWindow:
		return "in_window"
	case Late:
		return "late"
	}
	return ""
}

// Timing places date d relative to the window.
func (w Window) Timing(d domain.Date) Timing {
	switch {
	case d.Before(w.Start):
		return Early
	case d.After(w.End):
		return Late
	default:
		return InWindow
	}
}

// ApprovalWindow is the window of action (MonthlyApproval, DoHAApproval) for
// the given month. For "the last N days" the window opens N−1 days before the
// month's last day, and when that last day is a day off it closes on the next
// working day (Tiền Giang art. 6), possibly in the next month. For "the last
// N working days" it spans the month's last N working days. Errors wrap
// domain.ErrNotFound when the policy sets no such window, domain.ErrInvalid
// for a bad month or a year the calendar cannot answer.
func (p Policy) ApprovalWindow(action ActionKind, year int, month time.Month, cal *calendar.Calendar) (Window, error) {
	if cal == nil {
		return Window{}, errNoCalendar
	}
	if month < time.January || month > time.December {
		return Window{}, domain.Invalid("month", "range", "1–12")
	}
	last, err := domain.NewDate(year, month, daysInMonth(year, month))
	if err != nil {
		return Window{}, err
	}
	// The window of a month is the rule in force on its last day.
	rule, ok := p.windowOn(action, last)
	if !ok {
		return Window{}, noRule(p, "approval window", action)
	}
	if rule.Unit == Days {
		end, err := cal.NextWorkingDay(last)
		if err != nil {
			return Window{}, err
		}
		return Window{Start: last.AddDays(1 - rule.Last), End: end}, nil
	}
	end := last
	if ok, err := cal.IsWorkingDay(last); err != nil {
		return Window{}, err
	} else if !ok {
		if end, err = cal.AddWorkingDays(last, -1); err != nil {
			return Window{}, err
		}
	}
	start, err := cal.AddWorkingDays(end, 1-rule.Last)
	if err != nil {
		return Window{}, err
	}
	return Window{Start: start, End: end}, nil
}

// ApprovalTiming places an approval signed on signed for the given month.
// Errors as for ApprovalWindow.
func (p Policy) ApprovalTiming(action ActionKind, year int, month time.Month, signed domain.Date, cal *calendar.Calendar) (Timing, Window, error) {
	w, err := p.ApprovalWindow(action, year, month, cal)
	if err != nil {
		return 0, Window{}, err
	}
	if signed.IsZero() {
		return 0, Window{}, domain.Invalid("signed", "required", "")
	}
	return w.Timing(signed), w, nil
}

func daysInMonth(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Report is one report due for a reporting year.
type Report struct {
	Action  ActionKind
	Year    int    // the year reported on
	Period  string // its label: "2026", "2026-H1", "2026-Q3" (PeriodLabel)
	OwedBy  Owner
	Due     domain.Date // last day, moved off a day off to the next working day
	Article string
	Layer   Layer
}

// ReportsDue lists the reports due for reporting year year, by due date,
// from the rules in force on their due dates. A
// due date on a day off moves to the next working day (Civil Code art. 148).
// Errors wrap domain.ErrInvalid for years the calendar cannot answer.
func (p Policy) ReportsDue(year int, cal *calendar.Calendar) ([]Report, error) {
	if cal == nil {
		return nil, errNoCalendar
	}
	out := make([]Report, 0, len(p.reports))
	for _, r := range p.reports {
		d, err := domain.NewDate(year+r.YearOffset, time.Month(r.Month), r.Day)
		if err != nil {
			return nil, err
		}
		// A report is owed if its rule is in force on its due date.
		if !r.InForce(d) {
			continue
		}
		due, err := cal.NextWorkingDay(d)
		if err != nil {
			return nil, err
		}
		out = append(out, Report{Action: r.Action, Year: year, Period: PeriodLabel(year, r.Period), OwedBy: r.OwedBy, Due: due, Article: r.Article, Layer: r.Layer})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out, nil
}
