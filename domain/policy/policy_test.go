package policy

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

func date(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func preset(t *testing.T, name string) Policy {
	t.Helper()
	p, err := Preset(name)
	if err != nil {
		t.Fatalf("Preset(%q): %v", name, err)
	}
	return p
}

// One scenario per deadline rule of every preset, on the official calendar.
func TestPresetDeadlines(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	tests := []struct {
		preset string
		action ActionKind
		anchor string
		due    string
		why    string
	}{
		{"phu-tho-2021", CreateDossier, "2026-02-10", "2026-03-03", "10 wd across Tết 2026"},
		{"phu-tho-2021", UpdateAfterChange, "2026-03-20", "2026-04-20", "30 d end on Sunday 19/4"},
		{"phu-tho-2021", TransferBetweenOrgs, "2026-04-24", "2026-05-06", "5 wd across 27/4 and 30/4–1/5"},
		{"phu-tho-2021", StatusChange, "2026-08-28", "2026-09-09", "5 wd across 31/8–2/9"},

		{"binh-tan-2013", CreateDossier, "2026-01-05", "2026-03-06", "60 d"},
		{"binh-tan-2013", UpdateAfterChange, "2026-02-03", "2026-02-23", "15 d end in Tết"},

		{"tien-giang-2025", TransferInternal, "2026-03-02", "2026-03-09", "5 wd"},
		{"tien-giang-2025", TransferBetweenOrgs, "2026-12-29", "2027-01-06", "5 wd across 1/1/2027 (computed year)"},
		{"tien-giang-2025", TransferInFromOutside, "2026-04-20", "2026-05-07", "10 wd from the handover"},

		{"hue-health-2017", CreateDossier, "2026-01-19", "2026-02-23", "30 d end in Tết"},
		{"hue-health-2017", PersonForm, "2026-01-19", "2026-01-29", "10 d"},
		{"hue-health-2017", UpdateAfterChange, "2026-04-20", "2026-05-04", "10 d end on 30/4, then 1/5 and a weekend"},
		{"hue-health-2017", TransferInternal, "2026-08-17", "2026-08-22", "5 d end on a working Saturday"},
		{"hue-health-2017", TransferBetweenOrgs, "2026-03-10", "2026-03-20", "10 d from the request"},
		{"hue-health-2017", TransferForward, "2026-03-01", "2026-03-31", "30 d from the decision"},
		{"hue-health-2017", StatusChange, "2026-12-22", "2027-01-04", "10 d end on 1/1/2027"},

		{"binh-dinh-2022", PersonForm, "2026-01-08", "2026-01-12", "3 wd incl. working Saturday 10/1"},
		{"binh-dinh-2022", UpdateAfterChange, "2026-02-11", "2026-02-23", "5 d end in Tết"},
		{"binh-dinh-2022", TransferInternal, "2026-02-12", "2026-02-24", "3 wd across Tết"},
		{"binh-dinh-2022", TransferBetweenOrgs, "2025-04-24", "2025-04-28", "3 wd incl. working Saturday 26/4/2025"},
		{"binh-dinh-2022", StatusChange, "2024-08-29", "2024-09-05", "3 wd across 2–3/9/2024"},

		{"decree-27-2026", CreateDossier, "2026-07-01", "2026-07-06", "3 d end on Saturday"},
		{"decree-27-2026", NationalSync, "2026-07-03", "2026-07-06", "1 d end on Saturday"},
		{"decree-27-2026", NationalSyncManual, "2026-07-09", "2026-07-14", "3 wd"},
	}
	covered := map[string]map[ActionKind]bool{}
	for _, tt := range tests {
		p := preset(t, tt.preset)
		got, err := p.Due(tt.action, date(tt.anchor), cal)
		if err != nil || got != date(tt.due) {
			t.Errorf("%s Due(%s, %s) = %v, %v, want %s (%s)", tt.preset, tt.action, tt.anchor, got, err, tt.due, tt.why)
		}
		if covered[tt.preset] == nil {
			covered[tt.preset] = map[ActionKind]bool{}
		}
		covered[tt.preset][tt.action] = true
	}
	for _, p := range Presets() {
		for _, d := range p.Deadlines() {
			if !covered[p.Name()][d.Action] {
				t.Errorf("preset %s: no scenario for its %s rule", p.Name(), d.Action)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	tests := []struct {
		preset       string
		action       ActionKind
		anchor, done string
		want         Assessment
	}{
		// Phú Thọ: a transfer recorded 6 working days after its decision took
		// effect is late by 1.
		{"phu-tho-2021", TransferBetweenOrgs, "2026-03-02", "2026-03-10",
			Assessment{Due: date("2026-03-09"), Late: true, Overdue: 1, Unit: WorkingDays}},
		{"phu-tho-2021", TransferBetweenOrgs, "2026-04-24", "2026-05-07",
			Assessment{Due: date("2026-05-06"), Late: true, Overdue: 1, Unit: WorkingDays}},
		{"phu-tho-2021", TransferBetweenOrgs, "2026-03-02", "2026-03-09",
			Assessment{Due: date("2026-03-09"), Unit: WorkingDays}},
		{"phu-tho-2021", StatusChange, "2026-08-28", "2026-09-09",
			Assessment{Due: date("2026-09-09"), Unit: WorkingDays}},
		// Huế: calendar-day rules are late by calendar days.
		{"hue-health-2017", StatusChange, "2026-12-22", "2027-01-06",
			Assessment{Due: date("2027-01-04"), Late: true, Overdue: 2, Unit: Days}},
		// Done before the anchor is not late.
		{"binh-tan-2013", CreateDossier, "2026-01-05", "2026-01-01",
			Assessment{Due: date("2026-03-06"), Unit: Days}},
	}
	for _, tt := range tests {
		got, err := preset(t, tt.preset).Check(tt.action, date(tt.anchor), date(tt.done), cal)
		if err != nil || got != tt.want {
			t.Errorf("%s Check(%s, %s, %s) = %+v, %v, want %+v", tt.preset, tt.action, tt.anchor, tt.done, got, err, tt.want)
		}
	}
}

func TestApprovalWindows(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	tg := preset(t, "tien-giang-2025")
	tests := []struct {
		action     ActionKind
		year       int
		month      time.Month
		start, end string
	}{
		// Feb 2026 ends on a Saturday: the deadline moves to Monday 2/3.
		{MonthlyApproval, 2026, time.February, "2026-02-24", "2026-03-02"},
		{MonthlyApproval, 2026, time.March, "2026-03-27", "2026-03-31"},
		{MonthlyApproval, 2026, time.January, "2026-01-27", "2026-02-02"},
		// 31/8/2026 is a compensatory day off and 1–2/9 are holidays.
		{MonthlyApproval, 2026, time.August, "2026-08-27", "2026-09-03"},
		{DoHAApproval, 2026, time.March, "2026-03-25", "2026-03-31"},
		{DoHAApproval, 2026, time.January, "2026-01-26", "2026-01-30"},
		{DoHAApproval, 2026, time.August, "2026-08-24", "2026-08-28"},
		// April 2026: 30/4 and the Hùng Kings day moved to 27/4 are off.
		{DoHAApproval, 2026, time.April, "2026-04-22", "2026-04-29"},
	}
	for _, tt := range tests {
		got, err := tg.ApprovalWindow(tt.action, tt.year, tt.month, cal)
		want := Window{date(tt.start), date(tt.end)}
		if err != nil || got != want {
			t.Errorf("ApprovalWindow(%s, %d-%02d) = %v, %v, want %v", tt.action, tt.year, tt.month, got, err, want)
		}
	}
	timings := []struct {
		signed string
		want   Timing
	}{
		{"2026-02-23", Early}, {"2026-02-24", InWindow}, {"2026-02-28", InWindow},
		{"2026-03-02", InWindow}, {"2026-03-03", Late},
	}
	for _, tt := range timings {
		got, _, err := tg.ApprovalTiming(MonthlyApproval, 2026, time.February, date(tt.signed), cal)
		if err != nil || got != tt.want {
			t.Errorf("ApprovalTiming(Feb 2026, %s) = %v, %v, want %v", tt.signed, got, err, tt.want)
		}
	}
	if _, err := preset(t, "hue-health-2017").ApprovalWindow(MonthlyApproval, 2026, time.March, cal); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Huế has no approval window: error = %v, want ErrNotFound", err)
	}
	if _, err := tg.ApprovalWindow(MonthlyApproval, 2026, 13, cal); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("month 13: error = %v, want ErrInvalid", err)
	}
}

func TestReportsDue(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	tests := []struct {
		preset string
		want   []string // action@due
	}{
		{"binh-tan-2013", []string{"report_half_year@2026-06-01", "report_year@2026-11-30"}}, // 31/5 is a Sunday
		{"hue-health-2017", []string{"report_half_year@2026-06-01", "report_year@2026-12-14"}},
		{"tien-giang-2025", []string{"report_year@2026-12-14", "report_to_moha@2027-01-20"}},
		{"binh-dinh-2022", []string{"report_quarter@2026-03-31", "report_quarter@2026-06-30", "report_quarter@2026-09-30", "report_quarter@2026-12-31"}},
		{"phu-tho-2021", nil},
		{"decree-27-2026", nil},
	}
	for _, tt := range tests {
		rs, err := preset(t, tt.preset).ReportsDue(2026, cal)
		var got []string
		for _, r := range rs {
			got = append(got, r.Action.String()+"@"+r.Due.String())
			if r.Year != 2026 {
				t.Errorf("%s: report %v for year %d", tt.preset, r.Action, r.Year)
			}
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s ReportsDue(2026) = %v, %v, want %v", tt.preset, got, err, tt.want)
		}
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	want := []string{"binh-dinh-2022", "binh-tan-2013", "decree-27-2026", "hue-health-2017", "phu-tho-2021", "tien-giang-2025"}
	if got := PresetNames(); !slices.Equal(got, want) {
		t.Fatalf("PresetNames() = %v, want %v", got, want)
	}
	for _, p := range Presets() {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(Marshal(%s)): %v", p.Name(), err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Errorf("%s does not round-trip:\n%s\n%s", p.Name(), b, b2)
		}
	}
	if !preset(t, "binh-tan-2013").TransferOnRequest() || preset(t, "phu-tho-2021").TransferOnRequest() {
		t.Error("only Bình Tân moves dossiers on written request")
	}
	if _, ok := preset(t, "binh-tan-2013").Deadline(TransferBetweenOrgs); ok {
		t.Error("Bình Tân sets no transfer deadline")
	}
	if _, err := preset(t, "binh-tan-2013").Due(TransferBetweenOrgs, date("2026-01-05"), calendar.Official()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Due without a rule: error = %v, want ErrNotFound", err)
	}
	if _, err := preset(t, "phu-tho-2021").Due(StatusChange, date("2026-01-05"), nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Due with a nil calendar: error = %v, want ErrInvalid", err)
	}
	if _, err := Preset("hanoi"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Preset(hanoi) error = %v, want ErrNotFound", err)
	}
}

func TestActionKinds(t *testing.T) {
	t.Parallel()
	required := []string{"create_dossier", "update_after_change", "transfer_internal", "transfer_between_orgs",
		"transfer_in_from_outside", "status_change", "monthly_approval", "doha_approval", "report_half_year", "report_year"}
	for _, s := range required {
		k, err := ParseActionKind(s)
		if err != nil || k.String() != s {
			t.Errorf("ParseActionKind(%q) = %v, %v", s, k, err)
		}
	}
	seen := map[string]bool{}
	for _, k := range ActionKinds() {
		if seen[k.String()] || k.IsZero() {
			t.Errorf("duplicate or empty action kind %q", k)
		}
		seen[k.String()] = true
	}
	var k ActionKind
	if err := json.Unmarshal([]byte(`"retire"`), &k); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Unmarshal(retire) error = %v, want ErrInvalid", err)
	}
	if err := json.Unmarshal([]byte(`"status_change"`), &k); err != nil || k != StatusChange {
		t.Errorf("Unmarshal(status_change) = %v, %v", k, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		json   string
		fields []string
	}{
		{"not json", `[`, []string{"policy"}},
		{"unknown field", `{"name":"x","title":"x","source":"x","deadline":[]}`, []string{"policy"}},
		{"trailing", `{"name":"x","title":"x","source":"x","reports":[{"action":"report_year","month":12,"day":1}]} x`, []string{"policy"}},
		{"empty", `{}`, []string{"name", "title", "source", "deadlines"}},
		{"bad name", `{"name":"Phu Tho","title":"t","source":"s","reports":[{"action":"report_year","month":12,"day":1}]}`, []string{"name"}},
		{"deadline problems", `{"name":"x","title":"t","source":"s","deadlines":[
			{"action":"create_dossier","amount":0,"unit":"weeks","anchor":"birthday"},
			{"action":"report_year","amount":5,"unit":"days","anchor":"effective_date"},
			{"action":"retire","amount":5,"unit":"days","anchor":"effective_date"},
			{"action":"status_change","amount":5,"unit":"days","anchor":"effective_date"},
			{"action":"status_change","amount":6,"unit":"days","anchor":"effective_date"}]}`,
			[]string{"deadlines/0/unit", "deadlines/0/anchor", "deadlines/0/amount", "deadlines/1/action", "deadlines/2/action", "deadlines/4/action"}},
		{"window problems", `{"name":"x","title":"t","source":"s","approval_windows":[
			{"action":"create_dossier","last":5,"unit":"days"},
			{"action":"monthly_approval","last":0,"unit":"days"},
			{"action":"doha_approval","last":5,"unit":""}]}`,
			[]string{"approval_windows/0/action", "approval_windows/1/last", "approval_windows/2/unit"}},
		{"report problems", `{"name":"x","title":"t","source":"s","reports":[
			{"action":"report_year","month":2,"day":29},
			{"action":"report_year","month":13,"day":1},
			{"action":"report_year","month":12,"day":1,"year_offset":2},
			{"action":"","month":12,"day":1},
			{"action":"report_year","month":12,"day":14},
			{"action":"report_year","month":12,"day":14}]}`,
			[]string{"reports/0/day", "reports/1/month", "reports/2/year_offset", "reports/3/action", "reports/5"}},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.json))
		var v *domain.ValidationError
		if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &v) {
			t.Errorf("%s: error = %v, want a ValidationError", tt.name, err)
			continue
		}
		var got []string
		for _, p := range v.Problems {
			got = append(got, p.Field)
		}
		if !slices.Equal(got, tt.fields) {
			t.Errorf("%s: problems on %v, want %v (%v)", tt.name, got, tt.fields, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range Presets() {
		b, _ := json.Marshal(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if again, _ := json.Marshal(back); string(again) != string(out) {
			t.Fatalf("round trip changed the policy: %s → %s", out, again)
		}
		// Every rule computes without panicking on an ordinary date.
		cal := calendar.Official()
		for _, d := range p.Deadlines() {
			if _, err := d.Due(date("2026-02-12"), cal); err != nil {
				t.Fatalf("Due(%s): %v", d.Action, err)
			}
			// A rule not in force that day is not found, never a failure.
			if _, err := p.Due(d.Action, date("2026-02-12"), cal); err != nil && !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("Policy.Due(%s): %v", d.Action, err)
			}
		}
		for _, w := range p.Windows() {
			if _, err := p.ApprovalWindow(w.Action, 2026, time.February, cal); err != nil {
				t.Fatalf("ApprovalWindow(%s): %v", w.Action, err)
			}
		}
		if _, err := p.ReportsDue(2026, cal); err != nil {
			t.Fatalf("ReportsDue: %v", err)
		}
	})
}
