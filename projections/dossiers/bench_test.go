package dossiers_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// BenchmarkRebuild applies a generated log — dossiers interleaved in the
// log as a real province's are, corrections about one command in fifty —
// to a fresh generation in batches of 1,000 (the runner's default) and
// 5,000 (a rebuild's setting when the log interleaves many dossiers). It
// reports events/s; the log is held by a memory store so that only the
// projection is measured (the store's own read speed is benchmarked in
// eventstore/bench).
func BenchmarkRebuild(b *testing.B) {
	pool, _ := newDB(b)
	store := memstore.New(nil)
	l := newLedger(b, store)
	l.KeepHistories()
	l.rareCorrections = true
	randomLedger(b, l, rand.New(rand.NewPCG(3, 4)), 1000, 60)
	events := l.Events()
	p := dossiers.New(store)
	gen := 0
	for _, batch := range []int{1000, 5000} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			var applied int
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				gen++
				tables := projectiontest.Setup(b, pool, p, gen)
				b.StartTimer()
				began := time.Now()
				projectiontest.ApplyInBatches(b, pool, p, tables, events, batch)
				elapsed += time.Since(began)
				applied += len(events)
			}
			b.ReportMetric(float64(applied)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(len(events)), "events/log")
		})
	}
}

// BenchmarkSearch searches a few thousand dossiers (the 50,000-dossier run
// comes with the demo generator) the way the list screens do.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	pool, _ := newDB(b)
	store := memstore.New(nil)
	l := newLedger(b, store)
	l.KeepHistories()
	families := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}
	middles := []string{"Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Hữu"}
	givens := []string{"An", "Bình", "Châu", "Dũng", "Đào", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến"}
	orgs := make([]domain.OrgID, 20)
	for i := range orgs {
		orgs[i] = domain.OrgID(uid(fmt.Sprint("bench-org-", i)))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 4000
	for i := range n {
		g := dossier.GenderMale
		if rng.IntN(2) == 0 {
			g = dossier.GenderFemale
		}
		org := orgs[rng.IntN(len(orgs))]
		p := &person{name: families[rng.IntN(len(families))] + " " + middles[rng.IntN(len(middles))] + " " + givens[rng.IntN(len(givens))],
			gender: g, dob: domain.MustDate(1965+rng.IntN(35), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)), org: org, unit: org, serial: i}
		l.create(p)
		m := l.meta(org, domain.Date{})
		l.do(p, m, func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: []string{"01.003", "01.002", "01.004"}[rng.IntN(3)], Step: 1 + rng.IntN(9), Coefficient: 234},
				Qualifications: &dossier.Qualifications{HighestQualification: []string{"dai_hoc", "thac_si", "cao_dang"}[rng.IntN(3)]}}, m, projectiontest.AnyCode{})
		})
	}
	rebuild(b, pool, l, 1000)
	projectiontest.InTx(b, pool, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, "ANALYZE"); return err })
	half := orgs[:10]
	queries := []struct {
		name  string
		q     dossiers.Query
		fuzzy bool // the query falls back to the typo-forgiving match
	}{
		{"name", dossiers.Query{Scope: half, Text: "nguyen van an"}, false},
		{"prefix", dossiers.Query{Scope: half, Text: "ngu"}, false},
		{"typo", dossiers.Query{Scope: half, Text: "ngyuen thi thao"}, true},
		{"filters", dossiers.Query{Scope: half, Ranks: []string{"01.003"}, Qualifications: []string{"thac_si"}, Sexes: []dossier.Gender{dossier.GenderFemale}}, false},
		{"scope only", dossiers.Query{Scope: half}, false},
		{"recent changes", dossiers.Query{Scope: half, Sort: dossiers.SortUpdatedAt}, false},
	}
	for _, x := range queries {
		q := x.q
		b.Run(x.name, func(b *testing.B) {
			explain(b, pool, q, x.fuzzy)
			for b.Loop() {
				if _, err := dossiers.Search(ctx, pool, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("second page", func(b *testing.B) {
		first, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: half})
		if err != nil || first.Next == "" {
			b.Fatal(err, "no second page")
		}
		for b.Loop() {
			if _, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: half, Cursor: first.Next}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// explain logs the plan of q's statement when HOSO_EXPLAIN is set.
func explain(b *testing.B, pool *pgxpool.Pool, q dossiers.Query, fuzzy bool) {
	if os.Getenv("HOSO_EXPLAIN") == "" {
		return
	}
	sql, args, err := dossiers.SearchSQL(q, fuzzy)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(context.Background(), "EXPLAIN (ANALYZE) "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	b.Log("\n" + strings.Join(lines, "\n"))
}
