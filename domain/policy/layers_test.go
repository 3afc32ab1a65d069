package policy

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

func parse(t *testing.T, s string) Policy {
	t.Helper()
	p, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// TestNationalLayer: the national layer is Decree 27/2026/NĐ-CP from 1 July
// 2026 (create_dossier 3 days from the decision, national_sync 1 day,
// national_sync_manual 3 working days), and every deployment has it.
func TestNationalLayer(t *testing.T) {
	t.Parallel()
	n := NationalLayer()
	if n.Layer() != National || n.Name() != NationalPreset {
		t.Fatalf("national layer = %s (%s)", n.Name(), n.Layer())
	}
	want := map[ActionKind]string{CreateDossier: "3 days decision_date", NationalSync: "1 days change_recorded", NationalSyncManual: "3 working_days change_recorded"}
	for _, d := range n.Deadlines() {
		if got := fmtRule(d); got != want[d.Action] || d.ValidFrom != date("2026-07-01") || !d.ValidUntil.IsZero() || d.Layer != National {
			t.Errorf("national %s = %s from %s until %s (%s), want %s from 2026-07-01", d.Action, got, d.ValidFrom, d.ValidUntil, d.Layer, want[d.Action])
		}
		delete(want, d.Action)
	}
	if len(want) != 0 {
		t.Errorf("national layer lacks %v", want)
	}
	for _, name := range PresetNames() {
		p := ForDeployment(preset(t, name))
		ls := p.Layers()
		if ls[0].Name() != NationalPreset || (name != NationalPreset && (len(ls) != 2 || ls[1].Name() != name)) {
			t.Errorf("ForDeployment(%s) layers %v", name, ls)
		}
		if again := ForDeployment(p); len(again.Layers()) != len(ls) {
			t.Errorf("ForDeployment twice on %s: %d layers", name, len(again.Layers()))
		}
		if p.Name() != name {
			t.Errorf("ForDeployment(%s).Name() = %s", name, p.Name())
		}
	}
}

func fmtRule(d Deadline) string {
	return strconv.Itoa(d.Amount) + " " + d.Unit.String() + " " + d.Anchor.String()
}

// TestGoverningRule: a duty is judged by the rules in force on the day it
// started; where both layers have one, the earliest due date governs (the
// stricter), the national one on a tie. Decree 27/2026 (NĐ 27/2026) from
// 1 July 2026.
func TestGoverningRule(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	dt := ForDeployment(parse(t, `{"name":"dong-thap-2026","title":"t","source":"s","deadlines":[
		{"action":"create_dossier","amount":5,"unit":"days","anchor":"decision_date","article":"Điều 3 cũ","valid_until":"2026-08-31"},
		{"action":"create_dossier","amount":1,"unit":"working_days","anchor":"decision_date","article":"Điều 3 mới","valid_from":"2026-09-01"},
		{"action":"status_change","amount":3,"unit":"days","anchor":"effective_date","article":"Điều 9"}]}`))
	tests := []struct {
		action  ActionKind
		start   string
		article string // "" : no rule in force
		due     string
	}{
		// Before the decree: the province's own (old) rule only.
		{CreateDossier, "2026-06-15", "Điều 3 cũ", "2026-06-22"}, // 20/6 is a Saturday
		// 1 July–31 August: the decree's 3 days are stricter than the old 5.
		{CreateDossier, "2026-07-01", "NĐ 27/2026", "2026-07-06"},
		{CreateDossier, "2026-07-02", "NĐ 27/2026", "2026-07-06"},
		// From 1 September the province's 1 working day is stricter.
		{CreateDossier, "2026-09-03", "Điều 3 mới", "2026-09-04"},
		// Tie: Friday 4 September 2026, 3 days → Monday 7, 1 working day → Monday 7.
		{CreateDossier, "2026-09-04", "NĐ 27/2026", "2026-09-07"},
		{StatusChange, "2020-01-06", "Điều 9", "2020-01-09"},
		{NationalSync, "2026-06-30", "", ""},
		{NationalSync, "2026-07-03", "NĐ 27/2026", "2026-07-06"},
		{TransferInternal, "2026-07-03", "", ""},
	}
	for _, tt := range tests {
		rule, err := dt.RuleFor(tt.action, date(tt.start), cal)
		due, derr := dt.Due(tt.action, date(tt.start), cal)
		if tt.article == "" {
			if !errors.Is(err, domain.ErrNotFound) || !errors.Is(derr, domain.ErrNotFound) {
				t.Errorf("RuleFor(%s, %s) = %+v, %v; Due error %v; want ErrNotFound", tt.action, tt.start, rule, err, derr)
			}
			continue
		}
		if err != nil || derr != nil || rule.Article != tt.article || due != date(tt.due) {
			t.Errorf("RuleFor/Due(%s, %s) = %q %s, %v %v; want %q due %s", tt.action, tt.start, rule.Article, due, err, derr, tt.article, tt.due)
		}
	}
	// Each rule dated by its own anchor: the province's rule counts from
	// the decision, the decree's from… the same here, but a rule whose start
	// falls before its validity does not count even if another's does.
	r, err := dt.Governing(CreateDossier, func(d Deadline) domain.Date {
		if d.Layer == National {
			return date("2026-06-30") // not yet in force
		}
		return date("2026-07-10")
	}, cal)
	if err != nil || r.Rule.Article != "Điều 3 cũ" || r.Start != date("2026-07-10") || r.Due != date("2026-07-15") {
		t.Errorf("Governing with per-rule starts = %+v, %v", r, err)
	}
	// A created dossier decided 2/7/2026, entered 9/7/2026: late by 3 days.
	a, err := dt.Check(CreateDossier, date("2026-07-02"), date("2026-07-09"), cal)
	if err != nil || a != (Assessment{Due: date("2026-07-06"), Late: true, Overdue: 3, Unit: Days}) {
		t.Errorf("Check = %+v, %v", a, err)
	}
	if _, err := dt.Governing(CreateDossier, func(Deadline) domain.Date { return date("2026-07-02") }, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Governing without a calendar: %v", err)
	}
}

// TestValidityOfWindowsAndReports: an approval window is the one in force
// on the month's last day; a report is owed when its rule is in force on
// its due date.
func TestValidityOfWindowsAndReports(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	p := parse(t, `{"name":"x","title":"t","source":"s",
		"approval_windows":[
			{"action":"monthly_approval","last":5,"unit":"days","valid_until":"2026-06-30"},
			{"action":"monthly_approval","last":3,"unit":"working_days","valid_from":"2026-07-01"}],
		"reports":[
			{"action":"report_year","month":12,"day":14,"valid_until":"2026-12-31"},
			{"action":"report_year","month":11,"day":30,"valid_from":"2027-01-01"}]}`)
	if w, err := p.ApprovalWindow(MonthlyApproval, 2026, time.June, cal); err != nil || w != (Window{date("2026-06-26"), date("2026-06-30")}) {
		t.Errorf("June 2026 window = %v, %v", w, err)
	}
	if w, err := p.ApprovalWindow(MonthlyApproval, 2026, time.July, cal); err != nil || w != (Window{date("2026-07-29"), date("2026-07-31")}) {
		t.Errorf("July 2026 window = %v, %v", w, err)
	}
	for year, want := range map[int]string{2026: "2026-12-14", 2027: "2027-11-30"} {
		rs, err := p.ReportsDue(year, cal)
		if err != nil || len(rs) != 1 || rs[0].Due != date(want) {
			t.Errorf("ReportsDue(%d) = %+v, %v, want one due %s", year, rs, err, want)
		}
	}
	ds, ws, rs := ForDeployment(p).InForce(date("2026-07-01"))
	var got []string
	for _, d := range ds {
		got = append(got, d.Action.String()+"/"+d.Layer.String())
	}
	for _, w := range ws {
		got = append(got, w.Action.String()+"/"+w.Layer.String())
	}
	for _, r := range rs {
		got = append(got, r.Action.String()+"/"+r.Layer.String())
	}
	want := []string{"create_dossier/national", "national_sync/national", "national_sync_manual/national", "monthly_approval/provincial", "report_year/provincial"}
	if !slices.Equal(got, want) {
		t.Errorf("InForce(2026-07-01) = %v, want %v", got, want)
	}
}

func TestParseValidity(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"name":"x","title":"t","source":"s","layer":"district","deadlines":[
		{"action":"create_dossier","amount":3,"unit":"days","anchor":"decision_date","valid_from":"2026-07-01","valid_until":"2026-06-30"},
		{"action":"status_change","amount":3,"unit":"days","anchor":"decision_date","valid_from":"1/7/2026"},
		{"action":"transfer_internal","amount":3,"unit":"days","anchor":"decision_date","valid_until":"2026-06-30"},
		{"action":"transfer_internal","amount":3,"unit":"days","anchor":"decision_date","valid_from":"2026-06-30"},
		{"action":"update_after_change","amount":3,"unit":"days","anchor":"decision_date","valid_until":"2026-06-30"},
		{"action":"update_after_change","amount":3,"unit":"days","anchor":"decision_date","valid_from":"2026-07-01"}],
		"reports":[
		{"action":"report_year","month":12,"day":14,"valid_from":"2026-01-01"},
		{"action":"report_year","month":12,"day":14,"valid_until":"2025-12-31"},
		{"action":"report_year","month":12,"day":14}]}`))
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("Parse = %v", err)
	}
	var got []string
	for _, p := range v.Problems {
		got = append(got, p.Field+":"+p.Rule)
	}
	want := []string{"layer:enum", "deadlines/0/valid_until:range", "deadlines/1/valid_from:format", "deadlines/3/action:unique", "reports/2:unique"}
	if !slices.Equal(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}
}

// TestGoverningLeavesOutOtherAnchors: BĐ II.1b counts the person's own data
// from the issue of their personal account. Asked about the recruitment
// decision (a start of zero for rules anchored on the account), Bình Định
// has no person_form rule; asked about the account's issue (Tuesday
// 10/3/2026), it is due Friday 13/3 (3 working days). Huế's form (HU 9.1b)
// counts from the decision and is left out when the account is asked about.
func TestGoverningLeavesOutOtherAnchors(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	issued := domain.MustDate(2026, 3, 10)
	only := func(fromAccount bool, day domain.Date) func(Deadline) domain.Date {
		return func(d Deadline) domain.Date {
			if (d.Anchor == AccountIssued) != fromAccount {
				return domain.Date{}
			}
			return day
		}
	}
	bd := ForDeployment(mustPreset(t, "binh-dinh-2022"))
	if _, err := bd.Governing(PersonForm, only(false, domain.MustDate(2026, 3, 2)), cal); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("BĐ II.1b from the decision: err = %v, want not found", err)
	}
	r, err := bd.Governing(PersonForm, only(true, issued), cal)
	if err != nil || r.Due != domain.MustDate(2026, 3, 13) || r.Rule.Anchor != AccountIssued || r.Rule.Article != "Mục II.1.b" {
		t.Errorf("BĐ II.1b from the account = %+v, %v; want due 2026-03-13 under Mục II.1.b", r, err)
	}
	hue := ForDeployment(mustPreset(t, "hue-health-2017"))
	if _, err := hue.Governing(PersonForm, only(true, issued), cal); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("HU 9.1b from the account: err = %v, want not found", err)
	}
	if r, err := hue.Governing(PersonForm, only(false, issued), cal); err != nil || r.Due != domain.MustDate(2026, 3, 20) {
		t.Errorf("HU 9.1b from the decision of 10/3 = %+v, %v; want due 2026-03-20", r, err)
	}
}

func mustPreset(t *testing.T, name string) Policy {
	t.Helper()
	p, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
