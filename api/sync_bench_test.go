package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

// benchMeta is a seed envelope safe to make from many goroutines.
func benchMeta(n int) domain.Meta {
	now := time.Now().UTC()
	today := domain.DateOf(now)
	return domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.MustParse("00000000-0000-7000-8000-000000000001")), Name: "bench"},
		RecordedAt: now, EffectiveDate: today,
		Source: domain.SourceDocument{Kind: "decision", Number: fmt.Sprintf("%d/QĐ-BENCH", n), Date: today, Issuer: "Sở Nội vụ"}}
}

// benchDossiers creates n dossiers managed by unit, 8 at a time.
func benchDossiers(b *testing.B, w *syncWorld, unit domain.OrgID, n, from int) {
	b.Helper()
	dob := domain.MustDate(1985, time.April, 12)
	var g errgroup.Group
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			_, err := w.Svc.Deps.Dossiers.Create(context.Background(), dossier.CreateDossier{
				DossierID: domain.DossierID(uuid.Must(uuid.NewV7())), Class: dossier.ClassCongChuc, ManagingOrg: unit, EmployingUnit: unit,
				PersonalIDNumber: fmt.Sprintf("079085%06d", from+i),
				Identity:         dossier.Identity{BirthName: fmt.Sprintf("Nguyễn Văn Thử %d", from+i), Gender: dossier.GenderMale, DateOfBirth: dob, Ethnicity: "01", Religion: "none"},
			}, benchMeta(from+i))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// signAt approves o's month at level (through the service, as the API
// does) with c's certificate.
func signAt(b *testing.B, w *syncWorld, o domain.OrgID, level approval.Level, c certtest.Signer) {
	b.Helper()
	ctx := context.Background()
	month := approval.MonthOf(time.Now())
	served, err := w.Svc.Approvals.Manifest(ctx, o, month, level, benchMeta(0))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Svc.Approvals.Submit(ctx, o, month, level, c.SignGo(b, served.Bytes), benchMeta(0)); err != nil {
		b.Fatal(err)
	}
}

// benchUnitDossiers is the unit-month of BenchmarkSyncPackage5000: the
// brief's 5,000 dossiers. (Until the manifests' bytes left the
// approval.manifest_served event, a unit manifest over 1 MiB could not be
// served and this ran 3,000.)
const benchUnitDossiers = 5000

// BenchmarkSyncPackage5000: building and sealing the sync package of one
// unit-month of benchUnitDossiers new dossiers (both approvals, every event's bytes and
// inclusion proof, checkpoint proofs, RFC 8785, the sync key's signature),
// beside the raw baseline: the same events' rows read with one SQL query,
// encoded as JSON and hashed.
func BenchmarkSyncPackage5000(b *testing.B) {
	w := startSync(b, 2*time.Minute)
	unit := w.Org("Sở Y tế", "000.00.02.B1", w.Root)
	head := w.approver(b, "giamdoc.bench", "Giám đốc Sở Y tế", unit)
	director := w.approver(b, "giamdoc.snv.bench", "Giám đốc Sở Nội vụ", w.doh)
	benchDossiers(b, w, unit, benchUnitDossiers, 0)
	signAt(b, w, unit, approval.LevelUnit, head.cert)
	signAt(b, w, w.doh, approval.LevelDepartment, director.cert)
	var id uuid.UUID
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		err := w.Svc.Pool.QueryRow(context.Background(), `SELECT package_id FROM sync_packages WHERE org_id = $1 AND state = 'acknowledged'`, uuid.UUID(unit)).Scan(&id)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("no acknowledged package: %v", err)
		}
	}
	h := w.history(b, id)
	src := w.Svc.SyncWorker.Source
	b.Run("build+seal", func(b *testing.B) {
		var size int
		for b.Loop() {
			p, err := nationalsync.Build(context.Background(), src, h.Queued)
			if err != nil {
				b.Fatal(err)
			}
			env, _, err := nationalsync.Seal(p, w.syncKey.Signer)
			if err != nil {
				b.Fatal(err)
			}
			size = len(env)
		}
		b.ReportMetric(float64(size)/1e6, "MB/package")
	})
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := nationalsync.Build(context.Background(), src, h.Queued); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("seal", func(b *testing.B) {
		p, err := nationalsync.Build(context.Background(), src, h.Queued)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, _, err := nationalsync.Seal(p, w.syncKey.Signer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-postgres", func(b *testing.B) {
		for b.Loop() {
			rows, err := w.Svc.Pool.Query(context.Background(), `SELECT event_id, stream_id, stream_version, type, data, metadata, hash FROM events WHERE stream_id LIKE 'dossier-%' ORDER BY seq`)
			if err != nil {
				b.Fatal(err)
			}
			type row struct {
				ID      uuid.UUID
				Stream  string
				Version int64
				Type    string
				Data    []byte
				Meta    []byte
				Hash    []byte
			}
			var out []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.ID, &r.Stream, &r.Version, &r.Type, &r.Data, &r.Meta, &r.Hash); err != nil {
					b.Fatal(err)
				}
				out = append(out, r)
			}
			rows.Close()
			if len(out) != benchUnitDossiers {
				b.Fatalf("%d rows", len(out))
			}
			j, _ := json.Marshal(out)
			_ = sha256.Sum256(j)
		}
	})
}

// BenchmarkSyncDeliver1000: 1,000 unit-months approved, then one
// department approval queues 1,000 packages; measured from that approval
// to the last acknowledgement (relay, JetStream, 4 delivery workers, the
// reference receiver verifying everything). Baseline: the same envelopes
// POSTed over plain HTTP to a handler that only stores them.
//
// n=1000 is the brief's size; n=200 fits a busy machine's session (its
// setup approves each unit-month through the real service).
func BenchmarkSyncDeliver1000(b *testing.B) {
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchDeliver(b, n) })
	}
}

// benchSyncWorkers overrides the delivery's concurrency (the service's
// DefaultSyncWorkers when zero), to compare settings on one machine.
var benchSyncWorkers = flag.Int("sync-workers", 0, "BenchmarkSyncDeliver1000: packages delivered at once (0: the service's default)")

// benchDeliverProfile, when set, is where to write the CPU profile of the
// measured phase alone (the setup's approvals otherwise dominate it).
var benchDeliverProfile = flag.String("deliver-cpuprofile", "", "BenchmarkSyncDeliver1000: write the measured phase's CPU profile here")

// benchDeliverPGStat, when set, logs where PostgreSQL's time went in the
// measured phase: its statements (pg_stat_statements, which the server
// must preload; reset at the phase's start), its commits and WAL bytes,
// per package.
var benchDeliverPGStat = flag.Bool("deliver-pgstat", false, "BenchmarkSyncDeliver1000: log the measured phase's statements, commits and WAL per package (needs pg_stat_statements preloaded)")

func benchDeliver(b *testing.B, n int) {
	w := startSyncWith(b, syncOptions{Timeout: 2 * time.Minute, Workers: *benchSyncWorkers})
	ctx := context.Background()
	approver := domain.AccountID(uuid.Must(uuid.NewV7()))
	if _, err := w.Svc.Deps.Accounts.Create(ctx, approver, account.CreateAccount{Kind: account.KindOrg, Username: "bench.heads", DisplayName: "Thủ trưởng", HomeOrg: w.Root}, benchMeta(0)); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	cert := w.root.Issue(b, "Thủ trưởng các đơn vị", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	units := make([]domain.OrgID, n)
	for i := range units {
		units[i] = domain.OrgID(uuid.Must(uuid.NewV7()))
		if _, err := w.Svc.Deps.Orgs.Create(ctx, units[i], org.CreateOrg{Name: fmt.Sprintf("Đơn vị %d", i), Code: fmt.Sprintf("000.10.%02d.B%d", i%100, i),
			Kind: org.KindDepartment, Level: org.LevelProvince, Parent: w.Root}, benchMeta(i)); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Svc.Deps.Accounts.Grant(ctx, approver, 0, account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: account.RoleApprover, Org: units[i]}, benchMeta(i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Svc.Deps.Accounts.RegisterCertificate(ctx, approver, 0, cert.PEM, benchMeta(0)); err != nil {
		b.Fatal(err)
	}
	for i, u := range units {
		benchDossiers(b, w, u, 1, 100000+i)
	}
	w.WaitCaughtUp()
	var g errgroup.Group
	g.SetLimit(4)
	for _, u := range units {
		g.Go(func() error {
			month := approval.MonthOf(time.Now())
			served, err := w.Svc.Approvals.Manifest(ctx, u, month, approval.LevelUnit, benchMeta(0))
			if err != nil {
				return err
			}
			_, err = w.Svc.Approvals.Submit(ctx, u, month, approval.LevelUnit, cert.SignGo(b, served.Bytes), benchMeta(0))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	director := w.approver(b, "giamdoc.snv.bench", "Giám đốc Sở Nội vụ", w.doh)
	b.ResetTimer()
	if *benchDeliverProfile != "" {
		f, err := os.Create(*benchDeliverProfile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	var stat0 pgActivity
	if *benchDeliverPGStat {
		stat0 = readPGActivity(b, w, true)
	}
	pg0 := postgresCPU(b, w)
	start, cpu0 := time.Now(), processCPU()
	signAt(b, w, w.doh, approval.LevelDepartment, director.cert)
	for {
		var settled int
		if err := w.Svc.Pool.QueryRow(ctx, `SELECT count(*) FROM sync_packages WHERE state = 'acknowledged'`).Scan(&settled); err != nil {
			b.Fatal(err)
		}
		if settled == n {
			break
		}
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("%d of %d acknowledged after 10 minutes", settled, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	pgCPU := postgresCPU(b, w) - pg0
	b.StopTimer()
	if *benchDeliverPGStat {
		logPGActivity(b, w, stat0, n)
	}
	if *benchDeliverProfile != "" {
		pprof.StopCPUProfile()
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "packages/s")
	// The CPU this process (relay, worker, receiver, projections) spent,
	// PostgreSQL's not included: what the two cores must give per package.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "client-cpu-ms/package")
	// PostgreSQL's share, from its processes' accounting: the other half
	// of what two cores must give.
	if pgCPU >= 0 {
		b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(n), "postgres-cpu-ms/package")
	}
	// Where the time went, from the sync events' recorded times: seconds
	// after the start at which the first and the last of each was written.
	rows, err := w.Svc.Pool.Query(ctx, `SELECT type, min(recorded_at), max(recorded_at), count(*) FROM events WHERE stream_id LIKE 'sync-%' GROUP BY type ORDER BY min(recorded_at)`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var (
			typ         string
			first, last time.Time
			count       int
		)
		if err := rows.Scan(&typ, &first, &last, &count); err != nil {
			b.Fatal(err)
		}
		b.Logf("%-22s ×%-5d first %6.2f s, last %6.2f s", typ, count, first.Sub(start).Seconds(), last.Sub(start).Seconds())
	}
	rows.Close()
	b.Logf("%-22s        all acknowledged in the read model at %6.2f s", "", elapsed.Seconds())

	// The raw baseline: the stored envelopes, POSTed again to a bare store.
	held, err := w.national.Held()
	if err != nil || len(held) != n {
		b.Fatalf("held %d (%v)", len(held), err)
	}
	envs := make([][]byte, len(held))
	for i, id := range held {
		if envs[i], err = os.ReadFile(filepath.Join(w.national.Dir, "packages", id.String()+".json")); err != nil {
			b.Fatal(err)
		}
	}
	var envBytes int
	for _, e := range envs {
		envBytes += len(e)
	}
	b.Logf("envelopes: %d bytes a package on average", envBytes/len(envs))
	dir := b.TempDir()
	var mu sync.Mutex
	bare := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		mu.Lock()
		defer mu.Unlock()
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%x", sum[:8])), body, 0o600); err != nil {
			rw.WriteHeader(500)
			return
		}
		rw.WriteHeader(201)
	}))
	defer bare.Close()
	t0 := time.Now()
	var pg errgroup.Group
	pg.SetLimit(4)
	for _, e := range envs {
		pg.Go(func() error {
			resp, err := http.Post(bare.URL, "application/json", bytes.NewReader(e))
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		})
	}
	if err := pg.Wait(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "raw-http-packages/s")
}

// pgActivity is the server's cumulative commits and WAL bytes.
type pgActivity struct{ commits, rollbacks, walBytes int64 }

// readPGActivity reads them, first resetting pg_stat_statements if reset.
func readPGActivity(b *testing.B, w *syncWorld, reset bool) pgActivity {
	b.Helper()
	ctx := context.Background()
	if reset {
		if _, err := w.Svc.Pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public`); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Svc.Pool.Exec(ctx, `SELECT public.pg_stat_statements_reset()`); err != nil {
			b.Fatal(err)
		}
	}
	// Statistics are flushed by each backend at its transaction's end, at
	// most once a second: what is read is at most that stale, which a
	// phase of several seconds absorbs.
	if _, err := w.Svc.Pool.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
		b.Fatal(err)
	}
	var a pgActivity
	if err := w.Svc.Pool.QueryRow(ctx, `SELECT sum(xact_commit), sum(xact_rollback), (SELECT wal_bytes FROM pg_stat_wal)::bigint FROM pg_stat_database`).Scan(&a.commits, &a.rollbacks, &a.walBytes); err != nil {
		b.Fatal(err)
	}
	return a
}

// logPGActivity logs the phase's commits, WAL and heaviest statements per package.
func logPGActivity(b *testing.B, w *syncWorld, from pgActivity, n int) {
	b.Helper()
	time.Sleep(1100 * time.Millisecond) // the backends' last statistics flush
	to := readPGActivity(b, w, false)
	per := func(v int64) float64 { return float64(v) / float64(n) }
	b.Logf("per package: %.2f commits, %.2f rollbacks, %.0f WAL bytes", per(to.commits-from.commits), per(to.rollbacks-from.rollbacks), per(to.walBytes-from.walBytes))
	rows, err := w.Svc.Pool.Query(context.Background(), `SELECT total_exec_time, calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
		FROM public.pg_stat_statements ORDER BY total_exec_time DESC LIMIT 40`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var total float64
	b.Logf("%9s %9s %9s  statement", "ms/pkg", "calls/pkg", "rows/pkg")
	for rows.Next() {
		var (
			ms         float64
			calls, rws int64
			query      string
		)
		if err := rows.Scan(&ms, &calls, &rws, &query); err != nil {
			b.Fatal(err)
		}
		total += ms
		b.Logf("%9.3f %9.2f %9.2f  %s", ms/float64(n), per(calls), per(rws), query)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	var all float64
	var calls int64
	if err := w.Svc.Pool.QueryRow(context.Background(), `SELECT sum(total_exec_time), sum(calls) FROM public.pg_stat_statements`).Scan(&all, &calls); err != nil {
		b.Fatal(err)
	}
	b.Logf("all statements: %.3f ms/package executing, %.2f calls/package (top 40 above: %.3f ms)", all/float64(n), per(calls), total/float64(n))
}

// postgresCPU is the CPU time (user and system) PostgreSQL's server has
// used: its postmaster's children, those running and those ended, read
// from /proc. It is -1 when the server is not on this machine's /proc
// (a remote server, another OS): the figure is then not reported.
func postgresCPU(b *testing.B, w *syncWorld) time.Duration {
	b.Helper()
	var pid int
	if err := w.Svc.Pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	backend, ok := procStat(pid)
	if !ok {
		return -1
	}
	postmaster, ok := procStat(backend.ppid)
	if !ok {
		return -1
	}
	// The ended children are in the postmaster's cutime and cstime.
	ticks := postmaster.utime + postmaster.stime + postmaster.cutime + postmaster.cstime
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	for _, d := range dirs {
		var child int
		if _, err := fmt.Sscan(d.Name(), &child); err != nil {
			continue
		}
		if st, ok := procStat(child); ok && st.ppid == backend.ppid {
			ticks += st.utime + st.stime
		}
	}
	const clockTicks = 100 // USER_HZ, which Linux fixes at 100 for /proc
	return time.Duration(ticks) * time.Second / clockTicks
}

type procTimes struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

// procStat reads /proc/pid/stat's parent and CPU times (fields 4 and 14 – 17).
func procStat(pid int) (procTimes, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procTimes{}, false
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis do not.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return procTimes{}, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 15 {
		return procTimes{}, false
	}
	var st procTimes
	if _, err := fmt.Sscan(f[1], &st.ppid); err != nil {
		return procTimes{}, false
	}
	for j, dst := range []*int64{&st.utime, &st.stime, &st.cutime, &st.cstime} {
		if _, err := fmt.Sscan(f[11+j], dst); err != nil {
			return procTimes{}, false
		}
	}
	return st, true
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
