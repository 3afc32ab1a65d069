package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/devdb"
	"github.com/hoso-ledger/hoso/internal/service"
)

// syncBuffer collects the service's log for the test's report.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lateFailures counts the sequencer errors of batches that failed after
// extending their copy of the tree's edge: in their COPY or their COMMIT.
func lateFailures(s string) int {
	return strings.Count(s, "treelog: inserting") + strings.Count(s, "treelog: committing")
}

// TestPostgresCrashesUnderWrites kills PostgreSQL with SIGKILL — a crash, not
// closed connections — six times while writers append through the service's
// store and the service's Merkle sequencer runs, restarting it each time.
// Afterwards the whole ledger must verify (hash chains, leaves and stored
// interior nodes) and every acknowledged append must be in it. It runs its
// own private cluster, since it kills the server.
func TestPostgresCrashesUnderWrites(t *testing.T) {
	t.Parallel()
	const (
		crashes = 6
		writers = 6
		// Appends acknowledged between two crashes: a level-8 node (256
		// leaves) completes every other crash or so, and the last ones
		// after the last restart.
		between = 150
	)
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hoso-crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the server may run as nobody
		t.Fatal(err)
	}
	cluster, err := devdb.Open(filepath.Join(dir, "var"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	if err := cluster.Ensure(ctx, "crash"); err != nil {
		t.Fatal(err)
	}
	// A killed server leaves its writes in the OS page cache, so fsync
	// changes nothing about what survives here; off, it spares every commit
	// and each restart's end-of-recovery checkpoint a flush to a disk that
	// other test runs share.
	conn, err := pgx.Connect(ctx, cluster.URL("crash"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `ALTER SYSTEM SET fsync = off`)
	if err == nil {
		_, err = conn.Exec(ctx, `SELECT pg_reload_conf()`)
	}
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	logs := &syncBuffer{}
	svc, err := service.Open(ctx, service.Config{
		DatabaseURL:   cluster.URL("crash"),
		KEK:           apitest.KEK,
		Listen:        "127.0.0.1:0",
		NoProjections: true,
		Registerer:    prometheus.NewRegistry(),
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
		PollInterval:  20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)

	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(runCtx, nil) }()
	writeCtx, stopWriters := context.WithCancel(ctx)
	var (
		wg         sync.WaitGroup
		acked      atomic.Int64
		ackedIDs   = make([][]uuid.UUID, writers)
		callerLate atomic.Int64
	)
	stop := sync.OnceFunc(func() {
		stopWriters()
		wg.Wait()
		stopRun()
		if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	defer stop()

	// Writers append one event at a time, each with its own id, and retry
	// an append (same id, same content: the store recognizes a stored
	// retry) until it is acknowledged.
	for w := range writers {
		wg.Go(func() {
			for i := 0; writeCtx.Err() == nil; i++ {
				data, _ := json.Marshal(map[string]any{"ho_ten": "Nguyễn Thị Hoa", "ngach": "01.003", "bac": i%9 + 1})
				e := eventstore.EventData{
					ID: uuid.Must(uuid.NewV7()), Type: "dossier.salary_raised.v1", Data: data,
					Meta: eventstore.Metadata{
						Actor:      eventstore.Actor{AccountID: "acc-hr-01", Name: "Phạm Thị Lan"},
						RecordedAt: time.Now(), EffectiveDate: "2026-12-02",
					},
				}
				stream := fmt.Sprintf("dossier-w%d-%d", w, i%5)
				for writeCtx.Err() == nil {
					if _, err := svc.Store.Append(writeCtx, stream, eventstore.Any, e); err == nil {
						ackedIDs[w] = append(ackedIDs[w], e.ID)
						acked.Add(1)
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	// Approvals call SequenceOnce on the service's Log beside its Run, which
	// after an outage may sit in its back-off for seconds: sequencing goes
	// on here too, so that batches are in flight when the crashes come.
	wg.Go(func() {
		for writeCtx.Err() == nil {
			if _, err := svc.Tree.SequenceOnce(writeCtx); err != nil && lateFailures(err.Error()) > 0 {
				callerLate.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})

	deadline := time.Now().Add(2 * time.Minute) // against a hang, not a measure
	awaitAppends := func(what string) {
		t.Helper()
		for from := acked.Load(); acked.Load() < from+between; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d appends acknowledged, want %d", what, acked.Load()-from, between)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for c := range crashes {
		awaitAppends(fmt.Sprintf("before crash %d", c+1))
		// Alternately the postmaster alone (its backends die when they
		// notice) and every server process at once.
		crashCtx, cancel := context.WithDeadline(ctx, deadline)
		err := cluster.Crash(crashCtx, c%2 == 1)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for {
			err := cluster.Ensure(ctx)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("restart after crash %d: %v", c+1, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	awaitAppends("after the last restart")
	stopWriters()

	// Sequence what the writers left, as the last batches did: through the
	// service's Log, with whatever edge it holds.
	for {
		_, seqErr := svc.Tree.SequenceOnce(ctx)
		n, err := svc.EventCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		size, err := svc.Tree.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if size == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tree holds %d of %d events (last error %v)", size, n, seqErr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	t.Logf("%d appends acknowledged; %d sequencer batches failed in their COPY or COMMIT",
		acked.Load(), lateFailures(logs.String())+int(callerLate.Load()))

	rep, err := verify.Verify(ctx, svc.RawStore, verify.Options{Tree: svc.Tree})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Unsequenced != 0 {
		var lines []string
		for _, p := range rep.Problems {
			lines = append(lines, p.String())
		}
		t.Fatalf("verify after %d crashes: %s\n%s", crashes, rep.Summary(), strings.Join(lines, "\n"))
	}
	stored := make(map[uuid.UUID]bool, rep.Events)
	for pos := eventstore.Start; ; {
		events, err := svc.Store.ReadAll(ctx, pos, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			stored[e.ID] = true
		}
		pos = events[len(events)-1].Position
	}
	lost := 0
	for _, ids := range ackedIDs {
		for _, id := range ids {
			if !stored[id] {
				lost++
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged appends are not in the ledger", lost, acked.Load())
	}
}
