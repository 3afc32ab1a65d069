package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/projections"
)

var (
	importPeople   = flag.Int("import-people", 2000, "people in BenchmarkImport's file")
	importWorkers  = flag.Int("import-workers", 4, "BenchmarkImport's --workers")
	importShared   = flag.Bool("import-shared-read", true, "BenchmarkImport's read models share one read of the log (false: each reads on its own, the baseline)")
	importStall    = flag.Duration("import-shared-read-stall", 0, "BenchmarkImport's projections.Config.SharedReadStall (0: the runner's default; negative: a projection behind is evicted at once, as before)")
	importCatchUp  = flag.Duration("import-catch-up", 10*time.Minute, "how long BenchmarkImport waits for the read models to catch up (0: not measured)")
	importProfile  = flag.String("import-cpuprofile", "", "BenchmarkImport writes a CPU profile of the import alone (not the file's generation, the COPY or the catch-up) to this file")
	catchUpProfile = flag.String("catch-up-cpuprofile", "", "BenchmarkImport writes a CPU profile of the read models' catch-up alone to this file")
	catchUpHeap    = flag.String("catch-up-memprofile", "", "BenchmarkImport writes heap profiles to FILE.before and FILE.after the read models' catch-up (go tool pprof -sample_index=alloc_space -diff_base FILE.before FILE.after: what the catch-up allocated)")
)

// BenchmarkImport imports a generated province file of -import-people
// people (about 17 events each) as `hoso import` does, then copies the
// same events' bytes with a raw COPY into a table of the events table's
// shape (the baseline, in the same run), then lets the service's read
// models catch up on the imported events from nothing (the worst case:
// they did not run during the import). Each iteration imports into a
// fresh schema. It reports rows/s and events/s of the import and of the
// COPY, their ratio, the heap's peak during the import, and the catch-up's
// wall time and CPU: this process's (catchup-go-cpu-s) and the PostgreSQL
// cluster's (catchup-pg-cpu-s, every process of the cluster, so run it on
// a private one). Run it short:
//
//	go test ./cmd/hoso -run '^$' -bench BenchmarkImport -benchtime 1x -import-people 2000
func BenchmarkImport(b *testing.B) {
	file := filepath.Join(b.TempDir(), "tinh.xlsx")
	if code, _, stderr := runImportCmd(b, "", "import", "sample", "--people", strconv.Itoa(*importPeople), "--out", file); code != 0 {
		b.Fatal(stderr)
	}
	rows := fileRows(b, file)
	var imported, copied, copiedKeyed, caughtUp, goCPU, pgCPU time.Duration
	pgKnown := true
	var events, peak int64
	for b.Loop() {
		pool, url := pgtest.New(b)
		org := importOrg(b, pool)
		stop := heapPeak(&peak)
		stopProfile := cpuProfile(b, *importProfile)
		began := time.Now()
		if code, stdout, stderr := runImportCmd(b, url, "import", file, "--org", org, "--decision", importDecision, "--workers", strconv.Itoa(*importWorkers)); code != 0 {
			b.Fatalf("import: %s%s", stdout, stderr)
		}
		took := time.Since(began)
		imported += took
		stopProfile()
		stop()
		_, n, _ := dossierCounts(b, pool)
		events += int64(n)
		bare, keyed := rawCopy(b, pool)
		copied += bare
		copiedKeyed += keyed
		// Logged at once: the catch-up of a large file may outlast the run.
		b.Logf("%d rows, %d events imported in %s (%.0f events/s); raw COPY %s, keyed COPY %s; heap peak %d MiB",
			rows, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), bare.Round(time.Millisecond), keyed.Round(time.Millisecond), atomic.LoadInt64(&peak)>>20)
		if *importCatchUp > 0 {
			// The import's dirty pages are written out first, so the
			// cluster's CPU below is the catch-up's and not a checkpoint
			// of the import's writes that happens to fall in it.
			if _, err := pool.Exec(context.Background(), `CHECKPOINT`); err != nil {
				b.Logf("no checkpoint before the catch-up (%v): its PostgreSQL CPU may include the import's", err)
			}
			goBefore := processCPU()
			pgBefore, pgOK := clusterCPU(context.Background(), pool)
			heapProfile(b, *catchUpHeap, ".before")
			stopProfile := cpuProfile(b, *catchUpProfile)
			c := catchUp(b, pool, *importCatchUp)
			stopProfile()
			heapProfile(b, *catchUpHeap, ".after")
			g := processCPU() - goBefore
			pgAfter, pgOKAfter := clusterCPU(context.Background(), pool)
			p := pgAfter - pgBefore
			pgKnown = pgKnown && pgOK && pgOKAfter
			caughtUp += c
			goCPU += g
			pgCPU += p
			b.Logf("read models caught up in %s (CPU: Go %s, PostgreSQL cluster %s)", c.Round(time.Millisecond), g.Round(10*time.Millisecond), p.Round(10*time.Millisecond))
		}
	}
	iters := float64(b.N)
	b.ReportMetric(float64(rows)*iters/imported.Seconds(), "rows/s")
	importRate := float64(events) / imported.Seconds()
	copyRate := float64(events) / copied.Seconds()
	b.ReportMetric(importRate, "events/s")
	b.ReportMetric(copyRate, "copy-events/s")
	b.ReportMetric(importRate/copyRate, "ratio")
	keyedRate := float64(events) / copiedKeyed.Seconds()
	b.ReportMetric(keyedRate, "keyed-copy-events/s")
	b.ReportMetric(importRate/keyedRate, "keyed-ratio")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if *importCatchUp > 0 {
		b.ReportMetric(caughtUp.Seconds()/iters, "catch-up-s")
		b.ReportMetric(goCPU.Seconds()/iters, "catchup-go-cpu-s")
		if pgKnown {
			b.ReportMetric(pgCPU.Seconds()/iters, "catchup-pg-cpu-s")
		}
	}
	b.ReportMetric(float64(events)/iters, "events")
}

// heapPeak samples the heap every 50 ms into peak until stopped.
func heapPeak(peak *int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if int64(ms.HeapInuse) > atomic.LoadInt64(peak) {
				atomic.StoreInt64(peak, int64(ms.HeapInuse))
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}

// cpuProfile profiles the CPU into file until stopped (nothing when file
// is empty).
func cpuProfile(b *testing.B, file string) (stop func()) {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// heapProfile writes a heap profile to file+suffix (nothing when file is
// empty). Its alloc_space counts from the process's start: the difference
// of two is what was allocated between them.
func heapProfile(b *testing.B, file, suffix string) {
	if file == "" {
		return
	}
	f, err := os.Create(file + suffix)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// rawCopy copies the dossier events the import wrote — the same bytes,
// every column of the events table — with one COPY into a table of the
// events table's columns without its keys (bare), then with one COPY into
// a table with its keys and indexes too (keyed: the primary key on event
// id, the unique stream version, the global order), and returns how long
// each COPY took.
func rawCopy(b *testing.B, pool *pgxpool.Pool) (bare, keyed time.Duration) {
	b.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_import_copy, bench_import_copy_keyed;
		CREATE TABLE bench_import_copy (LIKE events INCLUDING DEFAULTS);
		CREATE TABLE bench_import_copy_keyed (LIKE events INCLUDING ALL)`); err != nil {
		b.Fatal(err)
	}
	cols := []string{"seq", "event_id", "stream_id", "stream_version", "type", "data", "metadata", "recorded_at", "effective_date", "prev_hash", "hash"}
	q, err := pool.Query(ctx, `SELECT seq, event_id, stream_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash
		FROM events WHERE stream_id LIKE 'dossier-%'`)
	if err != nil {
		b.Fatal(err)
	}
	all, err := pgx.CollectRows(q, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		b.Fatal(err)
	}
	timed := func(table string) time.Duration {
		began := time.Now()
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(all)); err != nil {
			b.Fatal(err)
		}
		return time.Since(began)
	}
	bare = timed("bench_import_copy")
	keyed = timed("bench_import_copy_keyed")
	if _, err := pool.Exec(ctx, `DROP TABLE bench_import_copy, bench_import_copy_keyed`); err != nil {
		b.Fatal(err)
	}
	return bare, keyed
}

// catchUp runs the service's read models from nothing over the log and
// returns how long until every one has caught up.
func catchUp(b *testing.B, pool *pgxpool.Pool, limit time.Duration) time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The imported dossiers are sealed: the read models open them as the
	// service's do.
	store, err := service.SealStore(ctx, pool, postgres.New(pool, postgres.Options{}), mustKEK(b, testKEK))
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Preset("tien-giang-2025")
	if err != nil {
		b.Fatal(err)
	}
	ps, err := service.Projections(store, policy.ForDeployment(pol), service.Privacy(store, []byte(importKey)))
	if err != nil {
		b.Fatal(err)
	}
	cfg := projections.Config{PollInterval: 100 * time.Millisecond, SharedReadStall: *importStall}
	if !*importShared {
		cfg.SharedReadBuffer = -1
	}
	r := projections.NewRunner(pool, store, cfg)
	began := time.Now()
	go r.Run(ctx, ps...)
	for _, p := range ps {
		for {
			ok, err := r.CaughtUp(ctx, p.Name())
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				break
			}
			if time.Since(began) > limit {
				b.Fatalf("%s has not caught up in %s", p.Name(), limit)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return time.Since(began)
}
