package bench_test

import (
	"context"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/vntext"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/stats"
	"github.com/hoso-ledger/hoso/projections/timetravel"
)

// benchEnv names the database of an existing province (migrated, written by
// `hoso demo`). The benchmarks build and swap generations of the read
// models in its current schema: never point it at a ledger in service.
const benchEnv = "HOSO_BENCH_DATABASE_URL"

// readBatch is how many events the store's subscription reads per query
// while a rebuild catches up (the store's default is 500).
const readBatch = 2000

func benchDB(b *testing.B) (*pgxpool.Pool, *postgres.Store) {
	b.Helper()
	url := os.Getenv(benchEnv)
	if url == "" {
		b.Skipf("%s is not set: these benchmarks need a generated province (hoso demo --dossiers 50000)", benchEnv)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.RuntimeParams["application_name"] = appName
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool, postgres.New(pool, postgres.Options{BatchSize: readBatch})
}

// logSize is the number of events in the log.
func logSize(b *testing.B, pool *pgxpool.Pool) int {
	b.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkRebuild rebuilds each read model from the start of the log
// through the runner (Runner.Rebuild: a new generation beside the live
// one, swapped in when caught up) and reports events/s over the whole
// rebuild, swap included. Baselines, in the same run: raw-read reads the
// log with the store (ReadAll, decoded events, no projection): the floor
// of any rebuild; raw-copy reads it the same way and COPYs one row per
// event (ids, stream, type, payload as jsonb) into an unindexed table, one
// transaction per 1,000 events: the cheapest projection there is.
//
// Run it with -benchtime 1x: one rebuild of a 50,000-dossier province is
// millions of events.
func BenchmarkRebuild(b *testing.B) {
	pool, store := benchDB(b)
	ctx := context.Background()
	total := logSize(b, pool)
	b.Run("raw-read", func(b *testing.B) {
		var n int
		var took time.Duration
		cpu := startCPU(b, pool)
		for b.Loop() {
			began := time.Now()
			n += readLog(b, store, nil)
			took += time.Since(began)
		}
		cpu.report(b, n)
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
	})
	b.Run("raw-copy", func(b *testing.B) {
		if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw_copy;
CREATE UNLOGGED TABLE bench_raw_copy (event_id uuid, stream_id text, version bigint, type text, data jsonb)`); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw_copy`) })
		var n int
		var took time.Duration
		cpu := startCPU(b, pool)
		for b.Loop() {
			if _, err := pool.Exec(ctx, `TRUNCATE bench_raw_copy`); err != nil {
				b.Fatal(err)
			}
			began := time.Now()
			n += readLog(b, store, func(evs []eventstore.Event) {
				rows := make([][]any, len(evs))
				for i, ev := range evs {
					rows[i] = []any{[16]byte(ev.ID), ev.StreamID, int64(ev.Version), ev.Type, string(ev.Data)}
				}
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					_, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_raw_copy"}, []string{"event_id", "stream_id", "version", "type", "data"}, pgx.CopyFromRows(rows))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			})
			took += time.Since(began)
		}
		cpu.report(b, n)
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
	})
	// As `hoso projections rebuild` runs.
	defer debug.SetGCPercent(debug.SetGCPercent(projections.RebuildGCPercent))
	for _, p := range readModels(b, store) {
		b.Run(p.Name(), func(b *testing.B) {
			r := projections.NewRunner(pool, store, projections.Config{PollInterval: 200 * time.Millisecond})
			var applied int64
			var took time.Duration
			cpu := startCPU(b, pool)
			for b.Loop() {
				var last projections.Progress
				began := time.Now()
				if err := r.Rebuild(ctx, p, projections.RebuildOptions{Fresh: true, Progress: func(pr projections.Progress) { last = pr }}); err != nil {
					b.Fatal(err)
				}
				took += time.Since(began)
				applied += last.Applied
			}
			if applied < int64(total) {
				b.Fatalf("applied %d events, the log has %d", applied, total)
			}
			cpu.report(b, int(applied))
			b.ReportMetric(float64(applied)/took.Seconds(), "events/s")
			b.ReportMetric(float64(total), "events/log")
		})
	}
}

// readLog reads the whole log in batches of 1,000 and passes each to f.
func readLog(b *testing.B, store eventstore.Store, f func([]eventstore.Event)) int {
	b.Helper()
	n := 0
	from := eventstore.Start
	for {
		evs, err := store.ReadAll(context.Background(), from, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			return n
		}
		if f != nil {
			f(evs)
		}
		n += len(evs)
		from = evs[len(evs)-1].Position
	}
}

// BenchmarkCountsAgree runs every read model to caught-up and compares its
// counts with the ledger's, as TestCountsAgree does on a small province,
// and logs the table (run with -v and -benchtime 1x).
func BenchmarkCountsAgree(b *testing.B) {
	pool, store := benchDB(b)
	for b.Loop() {
		projectiontest.CatchUp(b, pool, store, time.Hour, readModels(b, store)...)
		l := countLedger(b, pool, store)
		m := countModels(b, pool)
		table, err := compareCounts(l, m)
		b.Logf("%d events in the log\n%s", l.Events, table)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// latencies times calls of f and reports their 50th and 95th percentiles
// (ms); ns/op is the mean.
func latencies(b *testing.B, f func(i int)) {
	b.Helper()
	var took []time.Duration
	i := 0
	for b.Loop() {
		began := time.Now()
		f(i)
		took = append(took, time.Since(began))
		i++
	}
	slices.Sort(took)
	pct := func(p int) float64 { return float64(took[min(len(took)-1, len(took)*p/100)].Microseconds()) / 1000 }
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(95), "p95-ms")
}

// province is what the query benchmarks need to know about the province.
type province struct {
	root      domain.OrgID   // the province's people's committee, root of the tree
	all       []domain.OrgID // every org, the scope of a province-wide user
	dept      []domain.OrgID // one department's subtree (the largest under the root)
	deptName  string
	dossiers  []domain.DossierID
	names     []string // full names of some dossiers, as written
	instants  []time.Time
	reportDay domain.Date
}

func loadProvince(b *testing.B, pool *pgxpool.Pool, store eventstore.Store) province {
	b.Helper()
	ctx := context.Background()
	projectiontest.CatchUp(b, pool, store, time.Hour, readModels(b, store)...)
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	tree, err := orgs.Tree(ctx, pool)
	if err != nil {
		b.Fatal(err)
	}
	var p province
	for _, o := range tree {
		p.all = append(p.all, o.ID)
		if o.Parent.IsZero() && o.Status == org.StatusActive && p.root.IsZero() {
			p.root = o.ID
		}
	}
	// The department (child of the root) whose subtree manages the most
	// dossiers: a department head's scope.
	var dept uuid.UUID
	err = pool.QueryRow(ctx, `
SELECT o.org_id, o.name FROM orgs o JOIN org_closure c ON c.ancestor = o.org_id JOIN dossiers d ON d.managing_org = c.descendant
 WHERE o.parent = $1 GROUP BY o.org_id, o.name ORDER BY count(*) DESC LIMIT 1`, uuid.UUID(p.root)).Scan(&dept, &p.deptName)
	if err != nil {
		b.Fatal(err)
	}
	if p.dept, err = orgs.Subtree(ctx, pool, []domain.OrgID{domain.OrgID(dept)}); err != nil {
		b.Fatal(err)
	}
	// A fixed sample of dossiers (the same in every run), their names, and
	// for each an instant halfway through its recorded history.
	rows, err := pool.Query(ctx, `
SELECT d.dossier_id, d.full_name,
       (SELECT e.recorded_at FROM events e WHERE e.stream_id = 'dossier-' || d.dossier_id
         ORDER BY e.stream_version OFFSET greatest(0, d.version / 2 - 1) LIMIT 1)
  FROM dossiers d ORDER BY md5(d.dossier_id::text) LIMIT 500`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		var name string
		var at time.Time
		if err := rows.Scan(&id, &name, &at); err != nil {
			b.Fatal(err)
		}
		p.dossiers = append(p.dossiers, domain.DossierID(id))
		p.names = append(p.names, name)
		p.instants = append(p.instants, at)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	p.reportDay = domain.DateOf(time.Now())
	return p
}

// p95 targets: search < 50 ms, as-of < 20 ms, headcount < 200 ms.

// BenchmarkSearch runs the list screens' searches over the province; each
// reports p50/p95. raw-get-by-id is the baseline: a plain indexed SELECT of
// one row of the same view by primary key.
func BenchmarkSearch(b *testing.B) {
	pool, store := benchDB(b)
	ctx := context.Background()
	p := loadProvince(b, pool, store)
	b.Logf("scopes: province %d orgs, %s %d orgs", len(p.all), p.deptName, len(p.dept))
	b.Run("raw-get-by-id", func(b *testing.B) {
		latencies(b, func(i int) {
			var doc []byte
			if err := pool.QueryRow(ctx, `SELECT document FROM dossiers WHERE dossier_id = $1`, uuid.UUID(p.dossiers[i%len(p.dossiers)])).Scan(&doc); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("get", func(b *testing.B) {
		latencies(b, func(i int) {
			if _, err := dossiers.Get(ctx, pool, p.dossiers[i%len(p.dossiers)]); err != nil {
				b.Fatal(err)
			}
		})
	})
	// Names typed without diacritics, in capitals, by prefixes, with a typo.
	plain := make([]string, len(p.names))
	for i, n := range p.names {
		plain[i] = fold(n)
	}
	cases := []struct {
		name string
		q    func(i int) dossiers.Query
	}{
		{"full-name-no-diacritics/province", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.all, Text: plain[i%len(plain)]}
		}},
		{"full-name-upper/province", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.all, Text: upper(plain[i%len(plain)])}
		}},
		{"prefix/province", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.all, Text: prefixes(plain[i%len(plain)])}
		}},
		{"short-prefix/province", func(i int) dossiers.Query { return dossiers.Query{Scope: p.all, Text: "ngu"} }},
		{"fuzzy-typo/province", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.all, Text: typo(plain[i%len(plain)])}
		}},
		{"fuzzy-one-word/province", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.all, Text: strings.Fields(typo(plain[i%len(plain)]))[0]}
		}},
		{"fuzzy-wrong-letter/province", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.all, Text: wrongLetter(plain[i%len(plain)])}
		}},
		{"filtered/department", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.dept, Sexes: []dossier.Gender{dossier.GenderFemale}, Classes: []dossier.Class{dossier.ClassVienChuc},
				BornFrom: domain.MustDate(1970, time.January, 1)}
		}},
		{"filtered+name/department", func(i int) dossiers.Query {
			return dossiers.Query{Scope: p.dept, Text: "nguyen thi", Sexes: []dossier.Gender{dossier.GenderFemale}}
		}},
		{"scope-only/department", func(i int) dossiers.Query { return dossiers.Query{Scope: p.dept} }},
		{"recent-changes/province", func(i int) dossiers.Query { return dossiers.Query{Scope: p.all, Sort: dossiers.SortUpdatedAt} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			found := 0
			latencies(b, func(i int) {
				page, err := dossiers.Search(ctx, pool, c.q(i))
				if err != nil {
					b.Fatal(err)
				}
				found += len(page.Items)
			})
			if found == 0 {
				b.Fatalf("%s found nobody", c.name)
			}
		})
	}
	b.Run("second-page/department", func(b *testing.B) {
		first, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: p.dept})
		if err != nil || first.Next == "" {
			b.Fatal(err, "no second page")
		}
		latencies(b, func(int) {
			if _, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: p.dept, Cursor: first.Next}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("archive/province", func(b *testing.B) {
		latencies(b, func(int) {
			page, err := dossiers.Archive(ctx, pool, dossiers.ArchiveQuery{Scope: p.all, IncludeRevoked: true})
			if err != nil || len(page.Items) == 0 {
				b.Fatal(err, "empty archive")
			}
		})
	})
	b.Run("archive-retired-by-name/department", func(b *testing.B) {
		latencies(b, func(int) {
			if _, err := dossiers.Archive(ctx, pool, dossiers.ArchiveQuery{Scope: p.dept, Statuses: []dossier.Status{dossier.StatusRetired},
				Sort: dossiers.ArchiveByName}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkAsOf loads sample dossiers as known at an instant halfway
// through their recorded history (timetravel.Load, KnownAt) and reports
// p50/p95. raw-read-stream is the baseline: the plain SELECT of the
// stream's rows that any fold must read, bytes not decoded.
func BenchmarkAsOf(b *testing.B) {
	pool, store := benchDB(b)
	ctx := context.Background()
	p := loadProvince(b, pool, store)
	b.Run("raw-read-stream", func(b *testing.B) {
		latencies(b, func(i int) {
			rows, err := pool.Query(ctx, `SELECT data, metadata FROM events WHERE stream_id = $1 ORDER BY stream_version`, p.dossiers[i%len(p.dossiers)].StreamID())
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("known-at", func(b *testing.B) {
		latencies(b, func(i int) {
			at := p.instants[i%len(p.instants)]
			if _, err := timetravel.Load(ctx, store, p.dossiers[i%len(p.dossiers)], timetravel.Query{KnownAt: &at}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("known-at+effective-on", func(b *testing.B) {
		latencies(b, func(i int) {
			at := p.instants[i%len(p.instants)]
			on := domain.DateOf(at)
			if _, err := timetravel.Load(ctx, store, p.dossiers[i%len(p.dossiers)], timetravel.Query{KnownAt: &at, EffectiveOn: &on}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkHeadcount runs the statistics queries over the whole province
// (the root's subtree) and one department, on today and on a past date,
// and reports p50/p95. raw-count is the baseline: the plain count of the
// intervals in force on the date, through the same GiST index, no grouping.
func BenchmarkHeadcount(b *testing.B) {
	pool, store := benchDB(b)
	ctx := context.Background()
	p := loadProvince(b, pool, store)
	province, err := orgs.Subtree(ctx, pool, []domain.OrgID{p.root})
	if err != nil {
		b.Fatal(err)
	}
	past := domain.MustDate(2020, time.January, 1)
	b.Run("raw-count/province", func(b *testing.B) {
		latencies(b, func(int) {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM stats_intervals WHERE period @> $1::date`, p.reportDay.String()).Scan(&n); err != nil {
				b.Fatal(err)
			}
		})
	})
	for _, c := range []struct {
		name string
		orgs []domain.OrgID
		on   domain.Date
		by   []stats.Dimension
	}{
		{"total/province/today", province, p.reportDay, nil},
		{"rank-group×sex/province/today", province, p.reportDay, dims(b, "rank_group", "sex")},
		{"age-band×sex/province/2020-01-01", province, past, dims(b, "age_band", "sex")},
		{"org×qualification/department/today", p.dept, p.reportDay, dims(b, "org", "qualification")},
	} {
		b.Run(c.name, func(b *testing.B) {
			latencies(b, func(int) {
				if _, err := stats.Headcount(ctx, pool, stats.Query{AsOf: c.on, Orgs: c.orgs, GroupBy: c.by}); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
	for _, c := range []struct {
		name string
		on   domain.Date
	}{{"report-bm02/province/today", p.reportDay}, {"report-bm02/province/2020-01-01", past}} {
		b.Run(c.name, func(b *testing.B) {
			latencies(b, func(int) {
				r, err := stats.Report(ctx, pool, province, c.on)
				if err != nil {
					b.Fatal(err)
				}
				if r.Total == 0 {
					b.Fatal("nobody in service")
				}
			})
		})
	}
}

func dims(b *testing.B, names ...string) []stats.Dimension {
	b.Helper()
	out := make([]stats.Dimension, len(names))
	for i, n := range names {
		d, err := stats.ParseDimension(n)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// fold is a name as typed without diacritics.
func fold(name string) string { return vntext.Fold(name) }

func upper(s string) string { return strings.ToUpper(s) }

// prefixes keeps the first three letters of each word.
func prefixes(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if r := []rune(w); len(r) > 3 {
			words[i] = string(r[:3])
		}
	}
	return strings.Join(words, " ")
}

// typo swaps two letters inside the first word of four letters or more
// ("nguyen" → "ngyuen"), so that no name begins with it and the search
// falls back to the typo-forgiving match.
// wrongLetter replaces the third letter of the name's first word of four
// letters or more with an "x": a typo that is one edit.
func wrongLetter(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if r := []rune(w); len(r) >= 4 {
			r[2] = 'x'
			words[i] = string(r)
			break
		}
	}
	return strings.Join(words, " ")
}

func typo(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if r := []rune(w); len(r) >= 4 {
			r[2], r[3] = r[3], r[2]
			words[i] = string(r)
			break
		}
	}
	return strings.Join(words, " ")
}
