package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

// TestReportDueByArticle: each report due date of the presets, by the
// article that sets it, with its period and who owes it.
func TestReportDueByArticle(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	tests := []struct {
		article, preset string
		kind            ActionKind
		period          string
		due             string
		owner           Owner
	}{
		{"BT 13.1a: half-yearly, before 1 June (31/5/2026 a Sunday)", "binh-tan-2013", ReportHalfYear, "2026-H1", "2026-06-01", EachOrg},
		{"BT 13.1a: yearly, before 1 December", "binh-tan-2013", ReportYear, "2026", "2026-11-30", EachOrg},
		{"HU 13.1: half-yearly, before 1 June", "hue-health-2017", ReportHalfYear, "2026-H1", "2026-06-01", EachOrg},
		{"HU 13.1: yearly, before 15 December", "hue-health-2017", ReportYear, "2026", "2026-12-14", EachOrg},
		{"TG 15.5: units, before 15 December", "tien-giang-2025", ReportYear, "2026", "2026-12-14", EachOrg},
		{"TG 16.8: the province to MOHA by 20 January", "tien-giang-2025", ReportToMOHA, "2026", "2027-01-20", Province},
		{"BĐ III.2: quarterly, Q1", "binh-dinh-2022", ReportQuarter, "2026-Q1", "2026-03-31", EachOrg},
		{"BĐ III.2: quarterly, Q4", "binh-dinh-2022", ReportQuarter, "2026-Q4", "2026-12-31", EachOrg},
	}
	for _, tt := range tests {
		r, ok, err := preset(t, tt.preset).ReportDue(tt.kind, tt.period, cal)
		if err != nil || !ok || r.Due.String() != tt.due || r.OwedBy != tt.owner || r.Period != tt.period {
			t.Errorf("%s: ReportDue(%s, %s) = %+v, %v, %v; want due %s owed by %s", tt.article, tt.kind, tt.period, r, ok, err, tt.due, tt.owner)
		}
	}
	// Not asked for: Phú Thọ sets no report; Bình Tân no quarterly one.
	if _, ok, err := preset(t, "phu-tho-2021").ReportDue(ReportYear, "2026", cal); ok || err != nil {
		t.Errorf("Phú Thọ yearly report: ok %v, %v; want not owed", ok, err)
	}
	if _, ok, err := preset(t, "binh-tan-2013").ReportDue(ReportQuarter, "2026-Q1", cal); ok || err != nil {
		t.Errorf("Bình Tân quarterly report: ok %v, %v; want not owed", ok, err)
	}
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	good := []struct {
		kind  ActionKind
		label string
		year  int
		part  string
	}{
		{ReportYear, "2026", 2026, "year"}, {ReportToMOHA, "2025", 2025, "year"},
		{ReportHalfYear, "2026-H2", 2026, "H2"}, {ReportQuarter, "2026-Q3", 2026, "Q3"},
	}
	for _, g := range good {
		y, p, err := ParsePeriod(g.kind, g.label)
		if err != nil || y != g.year || p != g.part {
			t.Errorf("ParsePeriod(%s, %q) = %d, %q, %v", g.kind, g.label, y, p, err)
		}
	}
	for _, b := range []struct {
		kind  ActionKind
		label string
	}{
		{ReportYear, "2026-year"}, {ReportYear, "2026-Q1"}, {ReportQuarter, "2026"}, {ReportQuarter, "2026-Q5"},
		{ReportHalfYear, "26-H1"}, {ReportHalfYear, "2026-h1"}, {CreateDossier, "2026"}, {ReportYear, ""}, {ReportYear, "1800"},
	} {
		if _, _, err := ParsePeriod(b.kind, b.label); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParsePeriod(%s, %q) = %v, want ErrInvalid", b.kind, b.label, err)
		}
	}
}

func TestParseReportPeriodAndOwner(t *testing.T) {
	t.Parallel()
	cases := []struct{ rule, field string }{
		{`{"action":"report_quarter","month":3,"day":31}`, "reports/0/period"},
		{`{"action":"report_year","month":3,"day":31,"period":"Q1"}`, "reports/0/period"},
		{`{"action":"report_year","month":3,"day":31,"owed_by":"ministry"}`, "reports/0/owed_by"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(`{"name":"x","title":"t","source":"s","reports":[` + c.rule + `]}`))
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("Parse(%s) = %v, want a problem at %s", c.rule, err, c.field)
		}
	}
}
