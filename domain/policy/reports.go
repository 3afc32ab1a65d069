package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

// Owner says who owes a report.
type Owner string

const (
	// EachOrg: every org of the province's tree below its people's
	// committee owes the report (BT 13, HU 13, TG 15.5, BĐ III.2: "các cơ
	// quan, đơn vị").
	EachOrg Owner = "each_org"
	// Province: the province owes it, through its designated Department
	// of Home Affairs (TG 16.8: Sở Nội vụ reports to the Ministry).
	Province Owner = "province"
)

// periodParts are the periods each report kind may cover.
var periodParts = map[ActionKind][]string{
	ReportQuarter:  {"Q1", "Q2", "Q3", "Q4"},
	ReportHalfYear: {"H1", "H2"},
	ReportYear:     {"year"},
	ReportToMOHA:   {"year"},
}

func defaultPeriod(k ActionKind) string {
	switch k {
	case ReportHalfYear:
		return "H1"
	case ReportQuarter:
		return "" // must be named
	}
	return "year"
}

// IsReport reports whether k is a report kind (report_half_year,
// report_year, report_quarter, report_to_moha).
func IsReport(k ActionKind) bool { _, ok := periodParts[k]; return ok }

// PeriodLabel is the label of a report's period in a reporting year:
// "2026" for a yearly report, "2026-H1", "2026-Q3" for the others.
func PeriodLabel(year int, part string) string {
	if part == "year" || part == "" {
		return strconv.Itoa(year)
	}
	return fmt.Sprintf("%d-%s", year, part)
}

// ParsePeriod reads a period label of report kind k ("2026", "2026-H1",
// "2026-Q3") into its year and part. Errors wrap domain.ErrInvalid (field
// "period": format) for a label k cannot cover.
func ParsePeriod(k ActionKind, label string) (year int, part string, err error) {
	y, p, _ := strings.Cut(label, "-")
	if p == "" {
		p = "year"
	}
	n, err := strconv.Atoi(y)
	if err != nil || len(y) != 4 || n < 1990 || n > 2100 || !IsReport(k) || !containsString(periodParts[k], p) ||
		(p == "year") != !strings.Contains(label, "-") {
		return 0, "", domain.Invalid("period", "format", fmt.Sprintf("a period of %s: %s", k, examplePeriods(k)))
	}
	return n, p, nil
}

func examplePeriods(k ActionKind) string {
	var ex []string
	for _, p := range periodParts[k] {
		ex = append(ex, PeriodLabel(2026, p))
	}
	return strings.Join(ex, ", ")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ReportDue returns the report of kind k for the period label that the
// policy asks for (ReportsDue of the period's year), with its due date.
// ok is false when no rule in force asks for it. Errors wrap
// domain.ErrInvalid for a malformed period or a year the calendar cannot
// answer.
func (p Policy) ReportDue(k ActionKind, label string, cal *calendar.Calendar) (r Report, ok bool, err error) {
	year, _, err := ParsePeriod(k, label)
	if err != nil {
		return Report{}, false, err
	}
	rs, err := p.ReportsDue(year, cal)
	if err != nil {
		return Report{}, false, err
	}
	for _, r := range rs {
		if r.Action == k && r.Period == label {
			return r, true, nil
		}
	}
	return Report{}, false, nil
}
