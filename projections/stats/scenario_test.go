package stats_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// career builds the scenario's histories through the domain's commands:
//
//   - An (male, 1990, Kinh, party member since 2018): recruited by orgA on
//     2 January 2020 as chuyên viên (01.003), promoted to chuyên viên chính
//     (01.002) effective 1 July 2023, transferred to orgB (decision
//     effective 1 March 2024, received effective 15 March 2024).
//   - Bình (female, 1 February 1968, Tày, Buddhist): chuyên viên cao cấp
//     (01.001) at orgA since 2010, retired effective 1 June 2024 — the day
//     she reaches 56 years 4 months.
//   - Cường (male, 1998, public employee at orgB from 1 August 2022) as
//     bác sĩ hạng III; in 2025 a correction says his 2022 appointment was
//     hạng II, and a decision recorded in 2025 makes him hạng I effective
//     1 January 2024 (retroactive).
//   - Dũng (male, 1958, an elected official of orgA employed in unitA1
//     since 2015): above retirement age throughout.
//
// It returns the log split before the correction, so that a test can look
// at the model before and after it.
func career(t *testing.T) (l ledger, beforeCorrection int) {
	l = newLedger(t)
	cat := catalog.Default()
	m := l.meta

	an, _ := l.create(person{name: "Nguyễn Văn An", sex: dossier.GenderMale, dob: d(1990, 6, 15), class: dossier.ClassCongChuc,
		org: orgA, ethnicity: "01", religion: "none"}, m(orgA, d(2020, 1, 2), d(2020, 1, 6)))
	mm := m(orgA, d(2020, 1, 2), d(2020, 1, 6))
	l.DossierDo(an, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.UpdateSection(dossier.Patch{
			Salary:         &dossier.Salary{Rank: "01.003", Step: 1, Coefficient: 234},
			Background:     &dossier.Background{PartyAdmittedOn: d(2018, 5, 19)},
			Qualifications: &dossier.Qualifications{HighestQualification: "master", PoliticalTheory: "trung_cap", ITLevel: "co_ban", Languages: []dossier.LanguageLevel{{Language: "Tiếng Anh", Level: "B2"}}},
		}, mm, cat)
	})
	mm = m(orgA, d(2023, 7, 1), d(2023, 7, 10))
	l.DossierDo(an, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "01.002", Step: 1, Coefficient: 440}}, mm, cat)
	})
	mm = m(orgA, d(2024, 3, 1), d(2024, 3, 1))
	l.DossierDo(an, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("tAn"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, mm)
	})
	mm = m(orgB, d(2024, 3, 15), d(2024, 3, 18))
	l.DossierDo(an, mm, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ReceiveTransfer(uid("tAn"), mm) })

	binh, _ := l.create(person{name: "Hoàng Thị Bình", sex: dossier.GenderFemale, dob: d(1968, 2, 1), class: dossier.ClassCongChuc,
		org: orgA, ethnicity: "02", religion: "phat_giao"}, m(orgA, d(2010, 1, 4), d(2020, 1, 6)))
	mm = m(orgA, d(2010, 1, 4), d(2020, 1, 6))
	l.DossierDo(binh, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.UpdateSection(dossier.Patch{
			Salary:         &dossier.Salary{Rank: "01.001", Step: 3, Coefficient: 664},
			Qualifications: &dossier.Qualifications{HighestQualification: "doctorate", PoliticalTheory: "cao_cap", StateManagement: "chuyen_vien_cao_cap", Languages: []dossier.LanguageLevel{{Language: "Tiếng Tày", Level: "B1"}}},
		}, mm, cat)
	})
	mm = m(orgA, d(2024, 6, 1), d(2024, 6, 3))
	l.DossierDo(binh, mm, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ChangeStatus(dossier.StatusRetired, mm) })

	cuong, _ := l.create(person{name: "Trần Văn Cường", sex: dossier.GenderMale, dob: d(1998, 9, 9), class: dossier.ClassVienChuc,
		org: orgB, ethnicity: "01", religion: "none"}, m(orgB, d(2022, 8, 1), d(2022, 8, 5)))
	mm = m(orgB, d(2022, 8, 1), d(2022, 8, 5))
	appointment := l.DossierDo(cuong, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Title: "V.08.01.03", Step: 1}}, mm, cat)
	})

	dung, _ := l.create(person{name: "Lê Văn Dũng", sex: dossier.GenderMale, dob: d(1958, 1, 1), class: dossier.ClassCanBo,
		org: orgA, unit: unitA1, ethnicity: "01", religion: "cong_giao"}, m(orgA, d(2015, 1, 5), d(2020, 1, 6)))
	_ = dung

	beforeCorrection = len(l.Events())
	mm = m(orgB, d(2025, 1, 10), d(2025, 1, 10))
	l.DossierDo(cuong, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.Correct(dossier.Correction{Corrects: appointment[0], Patch: dossier.Patch{Salary: &dossier.Salary{Title: "V.08.01.02", Step: 1}}}, mm, cat)
	})
	mm = m(orgB, d(2024, 1, 1), d(2025, 2, 3))
	l.DossierDo(cuong, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Title: "V.08.01.01", Step: 1}}, mm, cat)
	})
	return l, beforeCorrection
}

// render prints rows as "v1/v2=n" sorted, for compact comparisons.
func render(rows []stats.Row, dims ...stats.Dimension) string {
	var out []string
	for _, r := range rows {
		var vs []string
		for _, dm := range dims {
			vs = append(vs, r.Values[dm])
		}
		out = append(out, fmt.Sprintf("%s=%d", strings.Join(vs, "/"), r.Count))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func sorted(parts ...string) string {
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func headcount(t *testing.T, db stats.Querier, asOf domain.Date, orgs []domain.OrgID, dims ...stats.Dimension) string {
	t.Helper()
	rows, err := stats.Headcount(context.Background(), db, stats.Query{AsOf: asOf, Orgs: orgs, GroupBy: dims})
	if err != nil {
		t.Fatal(err)
	}
	return render(rows, dims...)
}

func TestHeadcountOverTime(t *testing.T) {
	t.Parallel()
	l, split := career(t)
	events := l.Events()
	pool := projectiontest.NewDB(t)
	p := stats.New(nil)

	// The log up to the correction: Cường is hạng III in 2023.
	tables := projectiontest.Build(t, pool, p, 1, events[:split], 1)
	both := []domain.OrgID{orgA, orgB}
	if got, want := headcount(t, pool, d(2023, 1, 1), []domain.OrgID{orgB}, stats.ByTitleGrade), "III=1"; got != want {
		t.Errorf("before the correction, grades at orgB on 2023-01-01: %s, want %s", got, want)
	}
	projectiontest.Apply(t, pool, p, tables, events[split:], 1)

	for _, tc := range []struct {
		asOf domain.Date
		orgs []domain.OrgID
		dims []stats.Dimension
		want string
	}{
		// Before An's recruitment; Bình and Dũng only (Cường not yet).
		{d(2019, 12, 31), both, []stats.Dimension{stats.ByOrg}, sorted(orgA.String() + "=2")},
		{d(2020, 1, 1), both, nil, "=2"},
		{d(2020, 1, 2), both, nil, "=3"},
		// The correction rewrote 2022–2023: hạng II, not III; the
		// retroactive decision makes him hạng I from 2024.
		{d(2023, 1, 1), []domain.OrgID{orgB}, []stats.Dimension{stats.ByTitleGrade}, "II=1"},
		{d(2023, 12, 31), []domain.OrgID{orgB}, []stats.Dimension{stats.ByTitle}, "V.08.01.02=1"},
		{d(2024, 1, 1), []domain.OrgID{orgB}, []stats.Dimension{stats.ByTitleGrade}, "I=1"},
		// Ranks at orgA before and after An's promotion.
		{d(2023, 6, 30), []domain.OrgID{orgA}, []stats.Dimension{stats.ByRankGroup}, "=1 chuyen_vien=1 chuyen_vien_cao_cap=1"},
		{d(2023, 7, 1), []domain.OrgID{orgA}, []stats.Dimension{stats.ByRankGroup, stats.ByRank}, "/=1 chuyen_vien_cao_cap/01.001=1 chuyen_vien_chinh/01.002=1"},
		// The transfer moves An at the receipt's effective date.
		{d(2024, 3, 14), both, []stats.Dimension{stats.ByOrg}, sorted(orgA.String()+"=3", orgB.String()+"=1")},
		{d(2024, 3, 15), both, []stats.Dimension{stats.ByOrg}, sorted(orgA.String()+"=2", orgB.String()+"=2")},
		{d(2024, 3, 15), []domain.OrgID{orgB}, []stats.Dimension{stats.ByRank, stats.BySex}, "/male=1 01.002/male=1"},
		// Bình counts until the day before her retirement takes effect.
		{d(2024, 5, 31), []domain.OrgID{orgA}, []stats.Dimension{stats.BySex, stats.ByAboveRetirement}, "female/false=1 male/true=1"},
		{d(2024, 6, 1), []domain.OrgID{orgA}, []stats.Dimension{stats.BySex}, "male=1"},
		{d(2030, 1, 1), both, nil, "=3"},
		// A unit's report counts those it employs (Dũng), managed by orgA.
		{d(2024, 6, 1), []domain.OrgID{unitA1}, []stats.Dimension{stats.ByUnit, stats.ByClass}, unitA1.String() + "/can_bo=1"},
		// A subtree given as the org and its unit counts Dũng once.
		{d(2024, 6, 1), []domain.OrgID{orgA, unitA1}, nil, "=1"},
		// Derived dimensions on one day.
		{d(2024, 3, 14), both, []stats.Dimension{stats.ByAgeBand, stats.BySex}, "31_40/male=1 51_60/female=1 le_30/male=1 over_60/male=1"},
		{d(2024, 3, 14), both, []stats.Dimension{stats.ByMinority, stats.ByReligious, stats.ByPartyMember}, "false/false/false=1 false/false/true=1 false/true/false=1 true/true/false=1"},
		{d(2018, 5, 18), []domain.OrgID{orgA}, []stats.Dimension{stats.ByPartyMember}, "false=2"},
		{d(2024, 3, 14), both, []stats.Dimension{stats.ByForeignLanguage, stats.ByEthnicLanguage}, "/false=2 /true=1 bac_4/false=1"},
		{d(2024, 3, 14), both, []stats.Dimension{stats.ByQualification, stats.ByPoliticalTheory, stats.ByStateManagement, stats.ByITLevel}, "///=2 doctorate/cao_cap/chuyen_vien_cao_cap/=1 master/trung_cap//co_ban=1"},
		{d(2024, 3, 14), both, []stats.Dimension{stats.ByEthnicity, stats.ByReligion}, "01/cong_giao=1 01/none=2 02/phat_giao=1"},
	} {
		if got := headcount(t, pool, tc.asOf, tc.orgs, tc.dims...); got != tc.want {
			t.Errorf("Headcount(%s, %d orgs, %v) = %s, want %s", tc.asOf, len(tc.orgs), tc.dims, got, tc.want)
		}
	}

	r, err := stats.Report(context.Background(), pool, both, d(2024, 3, 15))
	if err != nil {
		t.Fatal(err)
	}
	want := stats.BM02{AsOf: d(2024, 3, 15), Total: 4, PartyMembers: 1, Women: 1, EthnicMinorities: 1, Religious: 2,
		RankSeniorPrincipal: 1, RankPrincipal: 1, GradeI: 1, Doctorate: 1, Master: 1,
		PoliticalAdvanced: 1, PoliticalIntermediate: 1, StateMgmtSeniorPrincipal: 1, IT: 1,
		ForeignLanguage: 1, ForeignLanguageB1Plus: 1, EthnicLanguage: 1,
		AgeUpTo30: stats.SexCount{Men: 1}, Age31To40: stats.SexCount{Men: 1}, Age51To60: stats.SexCount{Women: 1},
		AboveRetirementAge: stats.SexCount{Men: 1}}
	if r != want {
		t.Errorf("Report =\n %+v\nwant\n %+v", r, want)
	}

	// Idempotency: every event applied twice gives the same rows.
	twice := projectiontest.Build(t, pool, p, 2, events, 2)
	if a, b := dump(t, pool, tables), dump(t, pool, twice); a != b {
		t.Errorf("applying each event twice changed the model:\nonce:  %.600s\ntwice: %.600s", a, b)
	}
	// So does one batch of the whole log (the runner's path).
	batched := projectiontest.Build(t, pool, p, 3, nil, 1)
	projectiontest.InTx(t, pool, func(tx pgx.Tx) error {
		return p.ApplyBatch(context.Background(), tx, batched, append(events, events...))
	})
	if a, b := dump(t, pool, tables), dump(t, pool, batched); a != b {
		t.Errorf("one batch differs from event by event:\none:   %.600s\nbatch: %.600s", a, b)
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, q := range []stats.Query{
		{Orgs: []domain.OrgID{orgA}},
		{AsOf: d(2024, 1, 1)},
		{AsOf: d(2024, 1, 1), Orgs: []domain.OrgID{orgA}, GroupBy: []stats.Dimension{{}}},
		{AsOf: d(2024, 1, 1), Orgs: []domain.OrgID{orgA}, GroupBy: []stats.Dimension{stats.BySex, stats.BySex}},
	} {
		// Checked before any query: the nil Querier is never used.
		if _, err := stats.Headcount(ctx, nil, q); !errors.Is(err, stats.ErrInvalid) || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Headcount(%+v) = %v, want ErrInvalid", q, err)
		}
	}
	if _, err := stats.Report(ctx, nil, nil, d(2024, 1, 1)); !errors.Is(err, stats.ErrInvalid) {
		t.Errorf("Report(no orgs) = %v, want ErrInvalid", err)
	}
	if _, err := stats.ParseDimension("salary"); !errors.Is(err, stats.ErrInvalid) {
		t.Errorf("ParseDimension(salary) = %v, want ErrInvalid", err)
	}
	for _, dm := range stats.AllDimensions() {
		if got, err := stats.ParseDimension(dm.String()); err != nil || got != dm {
			t.Errorf("ParseDimension(%s) = %v, %v", dm, got, err)
		}
	}
}

// TestRunner runs the projection through the runner (batches, generation
// tables behind the views, checkpoint) with every event delivered twice,
// and compares its reports with the model built event by event.
func TestRunner(t *testing.T) {
	t.Parallel()
	l, _ := career(t)
	pool := projectiontest.NewDB(t)
	p := stats.New(nil)
	r := projections.NewRunner(pool, projectiontest.Twice{Store: l.Store}, projections.Config{BatchSize: 5, PollInterval: 10 * time.Millisecond, BatchWindow: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	both := []domain.OrgID{orgA, orgB}
	for _, tc := range []struct {
		asOf domain.Date
		want string
	}{
		{d(2023, 1, 1), sorted(orgA.String()+"/=1", orgA.String()+"/chuyen_vien=1", orgA.String()+"/chuyen_vien_cao_cap=1", orgB.String()+"/=1")},
		{d(2024, 6, 1), sorted(orgA.String()+"/=1", orgB.String()+"/=1", orgB.String()+"/chuyen_vien_chinh=1")},
	} {
		if got := headcount(t, pool, tc.asOf, both, stats.ByOrg, stats.ByRankGroup); got != tc.want {
			t.Errorf("Headcount(%s) = %s, want %s", tc.asOf, got, tc.want)
		}
	}
}
