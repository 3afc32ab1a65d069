package compliance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// reportWorld is a province (its people's committee P, its Sở Nội vụ D)
// with units U (founded long ago), N (founded 15/04/2026) and V (dissolved
// 01/07/2026), and the reports they sent.
type reportWorld struct {
	l                ledger
	p, dept, u, n, v domain.OrgID
	tree             []compliance.TreeOrg
}

func newReportWorld(t *testing.T) *reportWorld {
	w := &reportWorld{l: newLedger(t), p: domain.OrgID(uid("rp-P")), dept: domain.OrgID(uid("rp-D")), u: domain.OrgID(uid("rp-U")),
		n: domain.OrgID(uid("rp-N")), v: domain.OrgID(uid("rp-V"))}
	long := d(2010, 1, 1)
	w.l.CreateOrg(w.p, w.meta(w.p, long), org.CreateOrg{Name: "UBND tỉnh", Code: "H00", Kind: org.KindProvinceCommittee, Level: org.LevelProvince})
	for _, c := range []struct {
		id         domain.OrgID
		name, code string
		on         domain.Date
	}{{w.dept, "Sở Nội vụ", "SNV", long}, {w.u, "Sở Y tế", "SYT", long}, {w.n, "Sở mới", "SM", d(2026, 4, 15)}, {w.v, "Sở giải thể", "SGT", long}} {
		w.l.CreateOrg(c.id, w.meta(c.id, c.on), org.CreateOrg{Name: c.name, Code: c.code, Kind: org.KindDepartment, Level: org.LevelProvince, Parent: w.p})
	}
	w.l.OrgDo(w.p, w.meta(w.p, d(2020, 1, 1)), func(o *org.Org) ([]domain.Event, error) {
		return o.DesignateHomeAffairs(w.meta(w.p, d(2020, 1, 1)), w.dept, []domain.OrgID{w.dept, w.p})
	})
	w.l.OrgDo(w.v, w.meta(w.v, d(2026, 7, 1)), func(o *org.Org) ([]domain.Event, error) {
		return o.Dissolve(w.meta(w.v, d(2026, 7, 1)), false, domain.OrgID{})
	})
	w.tree = []compliance.TreeOrg{
		{ID: w.p, HomeAffairs: w.dept, Created: long},
		{ID: w.dept, Parent: w.p, Created: long}, {ID: w.u, Parent: w.p, Created: long},
		{ID: w.n, Parent: w.p, Created: d(2026, 4, 15)}, {ID: w.v, Parent: w.p, Created: long, Closed: d(2026, 7, 1)},
	}
	return w
}

func (w *reportWorld) meta(o domain.OrgID, day domain.Date) domain.Meta { return w.l.meta(o, day, day) }

// send records org o's report of kind for period, sent on day.
func (w *reportWorld) send(t *testing.T, o domain.OrgID, kind, period string, day domain.Date) {
	t.Helper()
	sha := fmt.Sprintf("%064x", w.l.Seq+1)
	w.l.OrgDo(o, w.meta(o, day), func(x *org.Org) ([]domain.Event, error) {
		return x.SubmitReport(w.meta(o, day), kind, period, sha)
	})
}

// duties builds the projection under the preset (every event twice) and
// lists the report duties of the years on asOf, keyed org/action/period.
func (w *reportWorld) duties(t *testing.T, preset string, year int, asOf domain.Date) map[string]compliance.ReportDuty {
	t.Helper()
	pol, err := policy.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compliance.New(pol, calendar.Official())
	if err != nil {
		t.Fatal(err)
	}
	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, p, 1, w.l.Events(), 2)
	list, err := compliance.ReportDuties(context.Background(), pool, pol, calendar.Official(),
		compliance.ReportQuery{Orgs: compliance.Owers(w.tree), FromYear: year, ToYear: year, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]compliance.ReportDuty{}
	for _, dty := range list {
		out[w.name(dty.Org)+"/"+dty.Action.String()+"/"+dty.Period] = dty
	}
	return out
}

func (w *reportWorld) name(o domain.OrgID) string {
	return map[domain.OrgID]string{w.p: "P", w.dept: "D", w.u: "U", w.n: "N", w.v: "V"}[o]
}

// reportWant is one expected duty: its due date, outcome and lateness.
type reportWant struct {
	due     string
	outcome compliance.Outcome
	late    int // working days; -1: on time
}

func checkDuties(t *testing.T, article string, got map[string]compliance.ReportDuty, wants map[string]reportWant) {
	t.Helper()
	for k, w := range wants {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: no duty %s; have %v", article, k, keys(got))
			continue
		}
		late := -1
		if g.Late {
			late = g.WorkingDaysLate
		}
		if g.Due.String() != w.due || g.Outcome != w.outcome || late != w.late || (g.Outcome == compliance.OutcomeDone && g.Submissions != 1) {
			t.Errorf("%s: %s = due %s %s late %d (%d submissions), want due %s %s late %d", article, k, g.Due, g.Outcome, late, g.Submissions, w.due, w.outcome, w.late)
		}
	}
	if len(got) != len(wants) {
		t.Errorf("%s: %d duties %v, want %d", article, len(got), keys(got), len(wants))
	}
}

func keys(m map[string]compliance.ReportDuty) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestReportDueDatesTG: TG 15.5, every unit's yearly report before 15
// December; TG 16.8, the province's report to MOHA by 20 January, owed by
// its Sở Nội vụ. A dissolved unit owes nothing after its end.
func TestReportDueDatesTG(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	w.send(t, w.u, "report_year", "2026", d(2026, 12, 10))
	w.send(t, w.dept, "report_year", "2026", d(2026, 12, 16))
	got := w.duties(t, "tien-giang-2025", 2026, d(2027, 1, 25))
	checkDuties(t, "TG 15.5, 16.8", got, map[string]reportWant{
		"U/report_year/2026":    {"2026-12-14", compliance.OutcomeDone, -1},
		"D/report_year/2026":    {"2026-12-14", compliance.OutcomeDone, 2},
		"N/report_year/2026":    {"2026-12-14", compliance.OutcomeOpen, 29},
		"D/report_to_moha/2026": {"2027-01-20", compliance.OutcomeOpen, 3},
	})
}

// TestReportDueDatesBT: BT 13.1a, half-yearly before 1 June (31/5/2026 is
// a Sunday: the next working day, Civil Code art. 148) and yearly before 1
// December. V, dissolved on 1 July, owed the half-yearly report only.
// Working days late are counted on the 2026 table (27/4, 30/4–1/5,
// 31/8–2/9 off; 22/8 worked).
func TestReportDueDatesBT(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	w.send(t, w.u, "report_half_year", "2026-H1", d(2026, 6, 1))
	got := w.duties(t, "binh-tan-2013", 2026, d(2026, 11, 30))
	checkDuties(t, "BT 13.1a", got, map[string]reportWant{
		"U/report_half_year/2026-H1": {"2026-06-01", compliance.OutcomeDone, -1},
		"D/report_half_year/2026-H1": {"2026-06-01", compliance.OutcomeOpen, 128},
		"V/report_half_year/2026-H1": {"2026-06-01", compliance.OutcomeOpen, 128},
		"N/report_half_year/2026-H1": {"2026-06-01", compliance.OutcomeOpen, 128},
		"U/report_year/2026":         {"2026-11-30", compliance.OutcomeOpen, -1},
		"D/report_year/2026":         {"2026-11-30", compliance.OutcomeOpen, -1},
		"N/report_year/2026":         {"2026-11-30", compliance.OutcomeOpen, -1},
	})
}

// TestReportDueDatesHU: HU 13.1, half-yearly before 1 June, yearly before
// 15 December; a report sent a day late is late by one working day.
func TestReportDueDatesHU(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	w.send(t, w.u, "report_half_year", "2026-H1", d(2026, 6, 2))
	got := w.duties(t, "hue-health-2017", 2026, d(2026, 6, 2))
	if g := got["U/report_half_year/2026-H1"]; !g.Late || g.WorkingDaysLate != 1 || g.Outcome != compliance.OutcomeDone || g.Article != "Điều 13.1" {
		t.Errorf("HU 13.1: U's half-yearly report sent 02/06/2026 = %+v, want late by 1 working day", g)
	}
	if g := got["U/report_year/2026"]; g.Due.String() != "2026-12-14" || g.Late {
		t.Errorf("HU 13.1: U's yearly report = %+v, want due 14/12/2026, not late on 02/06", g)
	}
}

// TestReportDueDatesBD: BĐ III.2, quarterly reports; an org founded in
// April owes no first-quarter report, one dissolved on 1 July none after.
func TestReportDueDatesBD(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	w.send(t, w.n, "report_quarter", "2026-Q2", d(2026, 6, 29))
	got := w.duties(t, "binh-dinh-2022", 2026, d(2026, 10, 5))
	wants := map[string]reportWant{
		"N/report_quarter/2026-Q2": {"2026-06-30", compliance.OutcomeDone, -1},
		"N/report_quarter/2026-Q3": {"2026-09-30", compliance.OutcomeOpen, 3},
		"N/report_quarter/2026-Q4": {"2026-12-31", compliance.OutcomeOpen, -1},
		"V/report_quarter/2026-Q1": {"2026-03-31", compliance.OutcomeOpen, 129},
		"V/report_quarter/2026-Q2": {"2026-06-30", compliance.OutcomeOpen, 67},
	}
	for _, o := range []string{"U", "D"} {
		wants[o+"/report_quarter/2026-Q1"] = reportWant{"2026-03-31", compliance.OutcomeOpen, 129}
		wants[o+"/report_quarter/2026-Q2"] = reportWant{"2026-06-30", compliance.OutcomeOpen, 67}
		wants[o+"/report_quarter/2026-Q3"] = reportWant{"2026-09-30", compliance.OutcomeOpen, 3}
		wants[o+"/report_quarter/2026-Q4"] = reportWant{"2026-12-31", compliance.OutcomeOpen, -1}
	}
	checkDuties(t, "BĐ III.2", got, wants)
}

// TestReportDutiesLateOnlyAndSpan: late_only keeps the late duties; a span
// of more than MaxReportYears is refused.
func TestReportDutiesLateOnlyAndSpan(t *testing.T) {
	t.Parallel()
	pol, err := policy.Preset("tien-giang-2025")
	if err != nil {
		t.Fatal(err)
	}
	pool := projectiontest.NewDB(t)
	p, _ := compliance.New(pol, calendar.Official())
	projectiontest.Build(t, pool, p, 1, nil, 1)
	ctx := context.Background()
	owers := []compliance.Owing{{Org: orgA, Owner: policy.EachOrg, Created: d(2000, 1, 1)}}
	if _, err := compliance.ReportDuties(ctx, pool, pol, calendar.Official(), compliance.ReportQuery{Orgs: owers, FromYear: 2010, ToYear: 2026, AsOf: d(2026, 1, 1)}); err == nil {
		t.Error("a 17-year span was answered")
	}
	late, err := compliance.ReportDuties(ctx, pool, pol, calendar.Official(), compliance.ReportQuery{Orgs: owers, FromYear: 2025, ToYear: 2026, AsOf: d(2026, 12, 15), LateOnly: true})
	if err != nil || len(late) != 2 {
		t.Fatalf("late only on 15/12/2026 = %+v, %v; want 2025's and 2026's yearly reports", late, err)
	}
}
