package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The machine the benchmarks run on is shared, so the catch-up's wall time
// swings with other people's load; the CPU it spends, in this process and
// in the PostgreSQL cluster serving it, swings much less.

// processCPU is this process's CPU time so far (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clusterCPU is the CPU time so far of the whole PostgreSQL cluster the
// pool talks to: the postmaster, its live children and the children it
// has reaped (a backend that closed its connection, an autovacuum worker).
// It counts every client's work, so it means something only on a private
// cluster (./bin/hoso devdb). ok is false when /proc cannot tell (another
// machine, another OS).
func clusterCPU(ctx context.Context, pool *pgxpool.Pool) (cpu time.Duration, ok bool) {
	var backend int
	if err := pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return 0, false
	}
	f, ok := procStat(backend)
	if !ok {
		return 0, false
	}
	postmaster, _ := strconv.Atoi(f[1])
	pm, ok := procStat(postmaster)
	if !ok {
		return 0, false
	}
	cpu = ticks(pm, 11) + ticks(pm, 12) + ticks(pm, 13) + ticks(pm, 14)
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, d := range dir {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if f, ok := procStat(pid); ok && f[1] == strconv.Itoa(postmaster) {
			cpu += ticks(f, 11) + ticks(f, 12)
		}
	}
	return cpu, true
}

// procStat returns the fields of /proc/pid/stat after the command name
// (which may hold spaces): f[0] is the state, f[1] the parent's pid,
// f[11] and f[12] utime and stime, f[13] and f[14] the reaped children's.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return nil, false
	}
	f := strings.Fields(s[i+2:])
	return f, len(f) >= 15
}

// ticks reads field i of a /proc stat line, in clock ticks (USER_HZ, 100
// a second on Linux whatever the kernel's own tick rate).
func ticks(f []string, i int) time.Duration {
	n, _ := strconv.ParseInt(f[i], 10, 64)
	return time.Duration(n) * 10 * time.Millisecond
}
