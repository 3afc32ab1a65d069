package stats_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// benchDossiers sizes the generated province; the target run is
// -args -stats.dossiers=50000.
var benchDossiers = flag.Int("stats.dossiers", 3000, "dossiers generated for the stats benchmarks")

// province generates n careers across 40 orgs through the domain's
// commands — recruitment, rank and qualification updates, transfers between
// orgs, retirements, retroactive decisions and corrections — and applies
// them with ApplyBatch in batches of 1000, as the runner does.
func province(b *testing.B, n int) (*pgxpool.Pool, []domain.OrgID) {
	b.Helper()
	l := newLedger(b)
	cat := catalog.Default()
	rng := rand.New(rand.NewPCG(1, 2))
	orgs := make([]domain.OrgID, 40)
	for i := range orgs {
		orgs[i] = domain.OrgID(uid(fmt.Sprint("bench-org-", i)))
	}
	ranks := []string{"01.001", "01.002", "01.003", "01.004", "01.005", "06.031", "23.263"}
	titles := []string{"V.08.01.03", "V.08.01.02", "V.07.03.29", "V.07.03.28", "V.05.02.07"}
	quals := []string{"bachelor", "master", "college", "intermediate", "doctorate"}
	day := func(from int) domain.Date { return domain.MustDate(from, 1, 1).AddDays(rng.IntN(365 * (2026 - from))) }
	for i := range n {
		org := orgs[rng.IntN(len(orgs))]
		sex := dossier.GenderMale
		if rng.IntN(2) == 0 {
			sex = dossier.GenderFemale
		}
		class := dossier.ClassCongChuc
		if rng.IntN(3) == 0 {
			class = dossier.ClassVienChuc
		}
		start := day(2000)
		dob := domain.MustDate(1962+rng.IntN(38), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		id, _ := l.create(person{name: fmt.Sprint("Người ", i), sex: sex, dob: dob, class: class, org: org,
			ethnicity: []string{"01", "01", "01", "02", "05"}[rng.IntN(5)], religion: []string{"none", "none", "phat_giao"}[rng.IntN(3)]},
			l.meta(org, start, start))
		salary := func() *dossier.Salary {
			if class == dossier.ClassVienChuc {
				return &dossier.Salary{Title: titles[rng.IntN(len(titles))], Step: 1 + rng.IntN(9)}
			}
			return &dossier.Salary{Rank: ranks[rng.IntN(len(ranks))], Step: 1 + rng.IntN(9)}
		}
		var salaryEvents []uuid.UUID
		for range 2 + rng.IntN(3) {
			m := l.meta(org, day(start.Year()), domain.MustDate(2026, 1, 1))
			salaryEvents = append(salaryEvents, l.DossierDo(id, m, func(x *dossier.Dossier) ([]domain.Event, error) {
				q := dossier.Qualifications{HighestQualification: quals[rng.IntN(len(quals))], ITLevel: "co_ban",
					Languages: []dossier.LanguageLevel{{Language: "Tiếng Anh", Level: []string{"A2", "B1", "B2"}[rng.IntN(3)]}}}
				return x.UpdateSection(dossier.Patch{Salary: salary(), Qualifications: &q}, m, cat)
			})...)
		}
		if rng.IntN(4) == 0 { // a transfer between orgs
			to := orgs[rng.IntN(len(orgs))]
			if to != org {
				tid := uuid.Must(uuid.NewV7())
				eff := day(start.Year())
				m := l.meta(org, eff, domain.MustDate(2026, 1, 2))
				l.DossierDo(id, m, func(x *dossier.Dossier) ([]domain.Event, error) {
					return x.InitiateTransfer(dossier.TransferOrder{TransferID: tid, Kind: dossier.TransferBetweenOrgs, TargetOrg: to}, m)
				})
				m = l.meta(to, eff.AddDays(7), domain.MustDate(2026, 1, 3))
				l.DossierDo(id, m, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ReceiveTransfer(tid, m) })
				org = to
			}
		}
		if rng.IntN(5) == 0 { // a correction of an old decision
			m := l.meta(org, domain.MustDate(2026, 1, 5), domain.MustDate(2026, 1, 5))
			l.DossierDo(id, m, func(x *dossier.Dossier) ([]domain.Event, error) {
				return x.Correct(dossier.Correction{Corrects: salaryEvents[0], Patch: dossier.Patch{Salary: salary()}}, m, cat)
			})
		}
		if rng.IntN(6) == 0 { // retirement or resignation
			m := l.meta(org, day(start.Year()), domain.MustDate(2026, 1, 6))
			l.DossierDo(id, m, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ChangeStatus(dossier.StatusResigned, m) })
		}
	}
	pool := projectiontest.NewDB(b)
	p := stats.New(nil)
	tables := projectiontest.Build(b, pool, p, 1, nil, 1)
	events := l.Events()
	for chunk := range slices.Chunk(events, 1000) {
		projectiontest.InTx(b, pool, func(tx pgx.Tx) error { return p.ApplyBatch(context.Background(), tx, tables, chunk) })
	}
	if _, err := pool.Exec(context.Background(), `ANALYZE `+tables.Name(stats.ViewIntervals)); err != nil {
		b.Fatal(err)
	}
	var rows int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+stats.ViewIntervals).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d dossiers, %d events, %d intervals", n, len(events), rows)
	return pool, orgs
}

// BenchmarkHeadcount times the reports on a generated province and
// reports their 95th percentile (target: under 200 ms on 50,000 dossiers).
func BenchmarkHeadcount(b *testing.B) {
	pool, orgs := province(b, *benchDossiers)
	ctx := context.Background()
	asOf := domain.MustDate(2024, 6, 30)
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"province-by-rank-group-and-sex", func() error {
			_, err := stats.Headcount(ctx, pool, stats.Query{AsOf: asOf, Orgs: orgs, GroupBy: []stats.Dimension{stats.ByRankGroup, stats.BySex}})
			return err
		}},
		{"province-by-org-title-age", func() error {
			_, err := stats.Headcount(ctx, pool, stats.Query{AsOf: asOf, Orgs: orgs, GroupBy: []stats.Dimension{stats.ByOrg, stats.ByTitleGrade, stats.ByAgeBand}})
			return err
		}},
		{"one-org-by-rank", func() error {
			_, err := stats.Headcount(ctx, pool, stats.Query{AsOf: asOf, Orgs: orgs[:1], GroupBy: []stats.Dimension{stats.ByRank}})
			return err
		}},
		{"province-bm02", func() error {
			_, err := stats.Report(ctx, pool, orgs, asOf)
			return err
		}},
		{"province-bm02-2010", func() error {
			_, err := stats.Report(ctx, pool, orgs, domain.MustDate(2010, 1, 1))
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			p95 := took[min(len(took)-1, len(took)*95/100)]
			b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
		})
	}
}
