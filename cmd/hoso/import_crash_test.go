package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// committedCounts is dossierCounts that tolerates a server gone away (it
// answers -1 then), for polling across a crash.
func committedEvents(pool *pgxpool.Pool) int {
	var n int
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE stream_id LIKE 'dossier-%'`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// committedEventsOnceBack is committedEvents asked of a server just
// restarted: the pool may first hand out a connection the crash cut (one
// failed query each), so it asks again until the server answers, for up
// to a minute.
func committedEventsOnceBack(pool *pgxpool.Pool) int {
	n := committedEvents(pool)
	for deadline := time.Now().Add(time.Minute); n < 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		n = committedEvents(pool)
	}
	return n
}

// TestImportSurvivesPostgresCrash: PostgreSQL itself (not the importer)
// is killed with SIGKILL half-way through `hoso import` and started again
// while the command still runs. The command fails with a clear error that
// says to run it again; the re-run finishes with exactly one dossier per
// person and every row's event once, every event committed before the
// crash is still there, and `hoso verify` passes.
func TestImportSurvivesPostgresCrash(t *testing.T) {
	t.Parallel()
	cluster := pgtest.CrashableCluster(t, "importcrash")
	pool, url := pgtest.NewAt(t, cluster.URL("importcrash"))
	orgID := importOrg(t, pool)
	file := filepath.Join(t.TempDir(), "tinh.xlsx")
	const people = 300
	if code, _, stderr := runImportCmd(t, url, "import", "sample", "--people", "300", "--out", file); code != 0 {
		t.Fatal(stderr)
	}

	type outcome struct {
		code           int
		stdout, stderr string
	}
	done := make(chan outcome, 1)
	go func() {
		code, stdout, stderr := runImportCmd(t, url, "import", file, "--org", orgID, "--decision", importDecision, "--workers", "4", "--batch", "20")
		done <- outcome{code, stdout, stderr}
	}()
	// Crash the server once the dossiers' first events and some history
	// are committed.
	committed := 0
	for deadline := time.Now().Add(2 * time.Minute); committed < people+people/2; time.Sleep(10 * time.Millisecond) {
		committed = committedEvents(pool)
		select {
		case o := <-done:
			t.Fatalf("the import finished before the crash (%d events seen): exit %d\n%s%s", committed, o.code, o.stdout, o.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import wrote too little in 2 minutes (%d events)", committed)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cluster.Crash(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Ensure(ctx, "importcrash"); err != nil {
		t.Fatal(err)
	}
	var crashed outcome
	select {
	case crashed = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the import did not end within 2 minutes of the crash")
	}
	t.Logf("the crashed import: exit %d\n%s", crashed.code, crashed.stderr)
	if crashed.code == 0 {
		t.Fatalf("the import went through a crash of its database and said it succeeded:\n%s%s", crashed.stdout, crashed.stderr)
	}
	if !strings.Contains(crashed.stderr, "run the same command again to resume") {
		t.Errorf("the crashed import does not say what to do:\n%s", crashed.stderr)
	}
	// Every event committed before the crash survived it.
	survived := committedEventsOnceBack(pool)
	if survived < committed {
		t.Fatalf("%d events were committed before the crash, %d after it", committed, survived)
	}

	events := importAgain(t, url, pool, file, orgID, people, "re-run after the crash", "after the re-run")
	if survived >= events {
		t.Fatalf("the crash came after the import had written everything (%d events); the test proved nothing", survived)
	}
	if code, stdout, stderr := runImportCmd(t, url, "verify"); code != 0 {
		t.Errorf("hoso verify after the crash: exit %d\n%s%s", code, stdout, stderr)
	}
}
