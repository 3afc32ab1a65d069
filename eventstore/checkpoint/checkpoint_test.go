package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

func testKey(t *testing.T) checkpoint.Key {
	t.Helper()
	k, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "var", "checkpoint.key"), "hoso.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// appendN appends n events to stream and sequences the tree until it holds
// them all (the stable prefix may trail a transaction running elsewhere).
func appendN(t *testing.T, pool *pgxpool.Pool, store eventstore.Store, tree *treelog.Log, stream string, n int) {
	t.Helper()
	ctx := context.Background()
	before, err := tree.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := store.Append(ctx, stream, eventstore.Any, eventstore.EventData{
			Type: "test.happened.v1", Data: []byte(fmt.Sprintf(`{"i":%d}`, i)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := tree.SequenceOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if size, _ := tree.Size(ctx); size >= before+uint64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("sequencer did not catch up")
		}
	}
}

func newLedger(t *testing.T) (*pgxpool.Pool, eventstore.Store, *treelog.Log) {
	pool, _ := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	return pool, store, treelog.New(pool, store, treelog.Options{})
}

func TestKeyRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	k1, err := checkpoint.LoadOrCreateKey(path, "hoso.test/a")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := checkpoint.LoadOrCreateKey(path, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	if k1.VerifierKey != k2.VerifierKey || k2.Signer.Name() != "hoso.test/a" {
		t.Fatalf("reloaded key %s, want %s", k2.VerifierKey, k1.VerifierKey)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	v, err := checkpoint.LoadVerifier(path + ".pub")
	if err != nil || v.KeyHash() != k1.Verifier.KeyHash() {
		t.Fatalf("LoadVerifier = %v, %v", v, err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store, tree := newLedger(t)
	key := testKey(t)
	log := checkpoint.New(pool, tree, key, nil)
	appendN(t, pool, store, tree, "dossier-a", 13)
	saved, err := log.Take(ctx, checkpoint.ReasonManual)
	if err != nil {
		t.Fatal(err)
	}
	if latest, err := log.Latest(ctx); err != nil || latest.Size != 13 || string(latest.Note) != string(saved.Note) {
		t.Fatalf("Latest = %+v, %v", latest, err)
	}
	if !strings.HasPrefix(string(saved.Note), "hoso.test/ledger\n13\n") {
		t.Fatalf("note = %q", saved.Note)
	}

	// The log grows: it still extends the checkpoint.
	appendN(t, pool, store, tree, "dossier-b", 8)
	res, err := checkpoint.Verify(ctx, tree, saved.Note, key.Verifier)
	if err != nil || res.CurrentSize != 21 {
		t.Fatalf("Verify(grown log) = %+v, %v", res, err)
	}

	// Same size as the checkpoint: an empty proof, equal roots.
	if _, err := checkpoint.Verify(ctx, tree, mustTake(t, log).Note, key.Verifier); err != nil {
		t.Fatalf("Verify(current checkpoint) = %v", err)
	}

	// A note signed by another key, or edited, proves nothing.
	other := testKey(t)
	if _, err := checkpoint.Verify(ctx, tree, saved.Note, other.Verifier); !errors.Is(err, checkpoint.ErrBadNote) {
		t.Errorf("Verify(other key) = %v, want ErrBadNote", err)
	}
	edited := []byte(strings.Replace(string(saved.Note), "\n13\n", "\n12\n", 1))
	if _, err := checkpoint.Verify(ctx, tree, edited, key.Verifier); !errors.Is(err, checkpoint.ErrBadNote) {
		t.Errorf("Verify(edited note) = %v, want ErrBadNote", err)
	}
}

// tamper runs statements with triggers off, as an intruder with superuser
// rights (or a restore from backup) would.
func tamper(t *testing.T, pool *pgxpool.Pool, sql ...string) { pgtest.Tamper(t, pool, sql...) }

func mustTake(t *testing.T, l *checkpoint.Log) checkpoint.Signed {
	t.Helper()
	s, err := l.Take(context.Background(), checkpoint.ReasonManual)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// after the checkpoint at 10 leaves, before Verify
		act  func(t *testing.T, pool *pgxpool.Pool, store eventstore.Store, tree *treelog.Log)
		want error
	}{
		{"truncated log", func(t *testing.T, pool *pgxpool.Pool, _ eventstore.Store, _ *treelog.Log) {
			tamper(t, pool, `DELETE FROM merkle_nodes`, `DELETE FROM merkle_leaves WHERE leaf_index >= 7`, `DELETE FROM events WHERE stream_id = 'dossier-late'`)
		}, checkpoint.ErrTruncated},
		{"older backup restored", func(t *testing.T, pool *pgxpool.Pool, _ eventstore.Store, _ *treelog.Log) {
			tamper(t, pool, `DELETE FROM merkle_nodes`, `DELETE FROM merkle_leaves WHERE leaf_index >= 4`)
		}, checkpoint.ErrTruncated},
		{"backup restored, then written over past the checkpoint", func(t *testing.T, pool *pgxpool.Pool, store eventstore.Store, tree *treelog.Log) {
			tamper(t, pool, `DELETE FROM merkle_nodes`, `DELETE FROM merkle_leaves WHERE leaf_index >= 4`,
				`DELETE FROM events WHERE stream_id = 'dossier-late'`)
			appendN(t, pool, store, tree, "dossier-forked", 9)
		}, checkpoint.ErrForked},
		{"one leaf rewritten", func(t *testing.T, pool *pgxpool.Pool, _ eventstore.Store, _ *treelog.Log) {
			tamper(t, pool, `DELETE FROM merkle_nodes`, `UPDATE merkle_leaves SET leaf_hash = sha256(leaf_hash) WHERE leaf_index = 2`)
		}, checkpoint.ErrForked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, store, tree := newLedger(t)
			key := testKey(t)
			appendN(t, pool, store, tree, "dossier-early", 4)
			appendN(t, pool, store, tree, "dossier-late", 6)
			saved := mustTake(t, checkpoint.New(pool, tree, key, nil))
			tc.act(t, pool, store, tree)
			_, err := checkpoint.Verify(ctx, tree, saved.Note, key.Verifier)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestRunDaily: the loop takes a checkpoint as it starts and stops with its
// context.
func TestRunDaily(t *testing.T) {
	t.Parallel()
	pool, store, tree := newLedger(t)
	appendN(t, pool, store, tree, "dossier-a", 3)
	log := checkpoint.New(pool, tree, testKey(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- log.RunDaily(ctx, time.Hour, func(err error) { t.Errorf("daily checkpoint: %v", err) })
	}()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		cp, err := log.Latest(context.Background())
		if err == nil {
			if cp.Size != 3 || cp.Reason != checkpoint.ReasonDaily {
				t.Errorf("first daily checkpoint = size %d, reason %s", cp.Size, cp.Reason)
			}
			break
		}
		if !errors.Is(err, checkpoint.ErrNotFound) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no checkpoint a minute after RunDaily started (then: %v)", <-done)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunDaily ended with %v, want context.Canceled", err)
	}
}

// TestRunDailyRetriesSoonAfterAFailure: a checkpoint that fails (the
// database refuses it, as during an outage) is tried again within the
// retry wait, not a whole interval later, so an outage at the hour of the
// daily checkpoint does not cost the day's checkpoint.
func TestRunDailyRetriesSoonAfterAFailure(t *testing.T) {
	t.Parallel()
	pool, store, tree := newLedger(t)
	appendN(t, pool, store, tree, "dossier-a", 2)
	ctx := context.Background()
	// Refuse checkpoints until the test lifts the refusal.
	for _, sql := range []string{
		`CREATE TABLE refuse_checkpoints (on_ bool)`,
		`INSERT INTO refuse_checkpoints VALUES (true)`,
		`CREATE FUNCTION refuse_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM refuse_checkpoints) THEN RAISE EXCEPTION 'refused for the test'; END IF;
  RETURN NEW;
END $$`,
		`CREATE TRIGGER refuse BEFORE INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_checkpoint()`,
		`GRANT SELECT ON refuse_checkpoints TO hoso_app`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	log := checkpoint.New(pool, tree, testKey(t), nil)
	log.SetRetry(20 * time.Millisecond)
	failed := make(chan struct{}, 100)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- log.RunDaily(runCtx, time.Hour, func(error) { failed <- struct{}{} })
	}()
	defer func() {
		cancel()
		<-done
	}()
	<-failed // the first attempt, at start, was refused
	if _, err := pool.Exec(ctx, `DELETE FROM refuse_checkpoints`); err != nil {
		t.Fatal(err)
	}
	// Not a timing requirement: the bound only has to be far below the
	// hour after which the old loop tried again.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		cp, err := log.Latest(ctx)
		if err == nil {
			if cp.Size != 2 || cp.Reason != checkpoint.ReasonDaily {
				t.Errorf("checkpoint after the failure = size %d, reason %s", cp.Size, cp.Reason)
			}
			return
		}
		if !errors.Is(err, checkpoint.ErrNotFound) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint a minute after the database accepted them again: the failed one waits for the next interval")
		}
	}
}
