package service_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// privacySide is one of the two ledgers the benchmark compares: the same
// demo province written in clear (the baseline, as before this change) or
// sealed, each in a schema of its own.
type privacySide struct {
	name  string
	pool  *pgxpool.Pool
	store eventstore.Store
	pv    seal.Privacy
	ids   []domain.DossierID
}

// benchDossiers is the size of the benchmark's province: big enough for
// every kind of event the demo writes, small enough to write twice in a
// minute.
const benchDossiers = 400

func privacySides(b *testing.B) []*privacySide {
	b.Helper()
	ctx := context.Background()
	var out []*privacySide
	for _, sealed := range []bool{false, true} {
		pool, _ := pgtest.New(b)
		raw := postgres.New(pool, postgres.Options{BatchSize: 2000})
		s := &privacySide{name: "clear", pool: pool, store: raw}
		if sealed {
			st, err := service.SealStore(ctx, pool, raw, apitest.KEK)
			if err != nil {
				b.Fatal(err)
			}
			s.name, s.store, s.pv = "sealed", st, service.Privacy(st, apitest.PersonalIDKey)
		}
		if _, err := demo.Run(ctx, ledger.Ledger{Store: s.store}, demo.Config{Dossiers: benchDossiers, Seed: 1, Workers: 2, PersonalIDKey: apitest.PersonalIDKey}); err != nil {
			b.Fatal(err)
		}
		rows, err := pool.Query(ctx, `SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'dossier-%' ORDER BY 1`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var stream string
			if err := rows.Scan(&stream); err != nil {
				b.Fatal(err)
			}
			id, err := domain.ParseDossierID(stream[len("dossier-"):])
			if err != nil {
				b.Fatal(err)
			}
			s.ids = append(s.ids, id)
		}
		rows.Close()
		out = append(out, s)
	}
	return out
}

// BenchmarkPrivacy measures what sealing costs: the rebuild of the three
// read models that seal (dossiers, audit, stats) and the two reads of a
// dossier (the read model's document, the ledger's history replayed), on
// the same demo province written in clear and sealed, in the same run.
//
//	go test -run '^$' -bench BenchmarkPrivacy -benchtime 1x ./internal/service/
func BenchmarkPrivacy(b *testing.B) {
	ctx := context.Background()
	sides := privacySides(b)
	models := []func(s *privacySide) projections.Projection{
		func(s *privacySide) projections.Projection { return dossiers.New(s.store).WithPrivacy(s.pv) },
		func(s *privacySide) projections.Projection { return audit.New().WithPrivacy(s.pv) },
		func(s *privacySide) projections.Projection {
			return stats.New(catalog.Default()).WithPrivacy(s.pv)
		},
	}
	// Rounds interleave the two sides, so that a slower period of a shared
	// machine weighs on both.
	for range 3 {
		for _, m := range models {
			for _, s := range sides {
				p := m(s)
				b.Run("rebuild/"+p.Name()+"/"+s.name, func(b *testing.B) {
					r := projections.NewRunner(s.pool, s.store, projections.Config{PollInterval: 200 * time.Millisecond})
					var applied int64
					var took, cpu, server time.Duration
					for b.Loop() {
						var last projections.Progress
						began, cpuBegan, serverBegan := time.Now(), processCPU(), backendCPU(b, s.pool)
						if err := r.Rebuild(ctx, p, projections.RebuildOptions{Fresh: true, Progress: func(pr projections.Progress) { last = pr }}); err != nil {
							b.Fatal(err)
						}
						took, cpu = took+time.Since(began), cpu+processCPU()-cpuBegan
						for pid, t := range backendCPU(b, s.pool) {
							server += t - serverBegan[pid]
						}
						applied += last.Applied
					}
					b.ReportMetric(float64(applied)/took.Seconds(), "events/s")
					b.ReportMetric(float64(cpu.Microseconds())/float64(applied), "client-cpu-µs/event")
					b.ReportMetric(float64(server.Microseconds())/float64(applied), "server-cpu-µs/event")
				})
			}
		}
	}
	for _, s := range sides {
		r := projections.NewRunner(s.pool, s.store, projections.Config{PollInterval: 200 * time.Millisecond})
		if err := r.Rebuild(ctx, dossiers.New(s.store).WithPrivacy(s.pv), projections.RebuildOptions{Fresh: true}); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range sides {
		b.Run("read-model/"+s.name, func(b *testing.B) {
			pv := s.pv
			if pv.Keys != nil {
				// A fresh keyring, its data keys unwrapped by one read of
				// each dossier before the timing: a serving process's
				// steady state.
				pv = service.Privacy(mustSeal(b, s), apitest.PersonalIDKey)
				for _, id := range s.ids {
					if _, err := dossiers.GetWith(ctx, s.pool, pv, id); err != nil {
						b.Fatal(err)
					}
				}
			}
			reads(b, len(s.ids), func(i int) error {
				_, err := dossiers.GetWith(ctx, s.pool, pv, s.ids[i])
				return err
			})
		})
	}
	for _, s := range sides {
		b.Run("ledger-load/"+s.name, func(b *testing.B) {
			reads(b, len(s.ids), func(i int) error {
				_, err := (ledger.Ledger{Store: s.store}).Load(ctx, s.ids[i].StreamID(), dossier.Decode)
				return err
			})
		})
	}
	b.Logf("%d dossiers, %d events per side", len(sides[0].ids), countEvents(b, sides[0].pool))
}

// reads runs read over every dossier, three times, in each iteration,
// and reports its wall and client CPU time per read.
func reads(b *testing.B, n int, read func(i int) error) {
	var count int
	var took, cpu time.Duration
	for b.Loop() {
		began, cpuBegan := time.Now(), processCPU()
		for i := range 3 * n {
			if err := read(i % n); err != nil {
				b.Fatal(err)
			}
		}
		took, cpu, count = took+time.Since(began), cpu+processCPU()-cpuBegan, count+3*n
	}
	b.ReportMetric(float64(took.Microseconds())/float64(count), "µs/read")
	b.ReportMetric(float64(cpu.Microseconds())/float64(count), "client-cpu-µs/read")
}

// processCPU is the CPU time this process has used (user and system): the
// machine is shared, so wall time alone says little.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the CPU time so far of each PostgreSQL backend serving
// this database (the private cluster's, which only this benchmark uses),
// by pid, read from /proc: utime and stime, in clock ticks of 10 ms. A
// backend that ends during a measurement takes its time with it, so the
// server figure is a floor.
func backendCPU(b *testing.B, pool *pgxpool.Pool) map[int32]time.Duration {
	rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	total := map[int32]time.Duration{}
	for _, pid := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // a backend that ended
		}
		// Fields after the command (in parentheses): utime and stime are the 14th and 15th.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) > 13 {
			u, _ := strconv.Atoi(f[11])
			st, _ := strconv.Atoi(f[12])
			total[pid] = time.Duration(u+st) * 10 * time.Millisecond
		}
	}
	return total
}

func mustSeal(b *testing.B, s *privacySide) *seal.Store {
	st, err := service.SealStore(context.Background(), s.pool, s.store.(*seal.Store).Inner(), apitest.KEK)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func countEvents(b *testing.B, pool *pgxpool.Pool) int {
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
