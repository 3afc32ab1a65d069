package bench_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The machine the benchmarks run on is shared, so wall-clock rates swing
// with other people's load. CPU time spent per event, by this process and
// by the PostgreSQL backends serving it, swings much less: the benchmarks
// report both. The server's share is read from /proc for the backends
// whose application_name is this process's (set in benchDB), so it needs
// the server on the same machine and /proc readable; otherwise only the
// client's share is reported.

// appName tags this process's connections.
var appName = fmt.Sprintf("hoso-bench-%d", os.Getpid())

type cpuMeter struct {
	pool   *pgxpool.Pool
	client time.Duration
	server map[int]time.Duration
}

func startCPU(b *testing.B, pool *pgxpool.Pool) *cpuMeter {
	b.Helper()
	return &cpuMeter{pool: pool, client: clientCPU(), server: serverCPU(pool)}
}

// report adds client-µs/event and, when known, server-µs/event.
func (m *cpuMeter) report(b *testing.B, events int) {
	b.Helper()
	if events == 0 {
		return
	}
	b.ReportMetric(float64((clientCPU()-m.client).Microseconds())/float64(events), "client-µs/event")
	after := serverCPU(m.pool)
	if after == nil {
		return
	}
	var d time.Duration
	for pid, t := range after {
		d += t - m.server[pid]
	}
	b.ReportMetric(float64(d.Microseconds())/float64(events), "server-µs/event")
}

func clientCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time so far of each backend serving this process,
// by pid; nil when /proc cannot tell.
func serverCPU(pool *pgxpool.Pool) map[int]time.Duration {
	rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, appName)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return nil
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return nil
		}
		// Fields after the command name (which may hold spaces): utime and
		// stime are the 14th and 15th of the whole line, in clock ticks
		// (100 a second on Linux).
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) < 13 {
			return nil
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(u+st) * 10 * time.Millisecond
	}
	if rows.Err() != nil {
		return nil
	}
	return out
}
