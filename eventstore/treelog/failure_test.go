package treelog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// cancellingStore, while cancel is set, cancels the sequencer's context once
// ReadAll has returned events, so the batch fails after it has appended them
// to its copy of the tree's edge, at its first statement afterwards.
type cancellingStore struct {
	eventstore.Store
	cancel context.CancelFunc
}

func (s *cancellingStore) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.Event, error) {
	events, err := s.Store.ReadAll(ctx, from, limit)
	if len(events) > 0 && s.cancel != nil {
		s.cancel()
	}
	return events, err
}

// refuseWhileArmed installs a trigger on merkle_leaves that fails while the
// table fail_armed has a row. deferred makes it a constraint trigger checked
// at COMMIT, so the batch fails in its commit, after every insert succeeded.
// action is the PL/pgSQL that fails.
func refuseWhileArmed(t *testing.T, pool *pgxpool.Pool, deferred bool, action string) {
	t.Helper()
	when := "BEFORE INSERT"
	kind := "TRIGGER"
	tail := ""
	if deferred {
		when, kind, tail = "AFTER INSERT", "CONSTRAINT TRIGGER", " DEFERRABLE INITIALLY DEFERRED"
	}
	for _, stmt := range []string{
		`CREATE TABLE fail_armed (armed bool PRIMARY KEY)`,
		`CREATE FUNCTION fail_if_armed() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF EXISTS (SELECT 1 FROM fail_armed) THEN ` + action + `; END IF;
			RETURN NEW;
		END $$`,
		`CREATE ` + kind + ` fail_if_armed ` + when + ` ON merkle_leaves` + tail +
			` FOR EACH ROW EXECUTE FUNCTION fail_if_armed()`,
	} {
		if _, err := pool.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestFailedBatchLeavesNoTrace: a batch that fails after it extended its copy
// of the tree's right edge — refused at COMMIT, its connection killed during
// COMMIT (the outcome the client cannot know), its COPY refused, its context
// cancelled — must leave nothing behind in memory or on disk: the batches
// after it, by the same Log, store interior nodes that verify accepts and the
// reference tree's root.
func TestFailedBatchLeavesNoTrace(t *testing.T) {
	t.Parallel()
	type failure struct {
		name string
		// arm makes the next batch fail; disarm lets batches succeed again.
		arm, disarm func(t *testing.T, pool *pgxpool.Pool)
		cancel      bool // the store cancels the batch's context instead
	}
	armed := func(t *testing.T, pool *pgxpool.Pool) {
		if _, err := pool.Exec(context.Background(), `INSERT INTO fail_armed VALUES (true)`); err != nil {
			t.Fatal(err)
		}
	}
	disarm := func(t *testing.T, pool *pgxpool.Pool) {
		if _, err := pool.Exec(context.Background(), `DELETE FROM fail_armed`); err != nil {
			t.Fatal(err)
		}
	}
	install := func(deferred bool, action string) func(*testing.T, *pgxpool.Pool) {
		return func(t *testing.T, pool *pgxpool.Pool) {
			refuseWhileArmed(t, pool, deferred, action)
			armed(t, pool)
		}
	}
	for _, tc := range []failure{
		{name: "refused at commit", arm: install(true, `RAISE EXCEPTION 'refused at commit'`), disarm: disarm},
		{name: "connection killed during commit",
			arm:    install(true, `PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5)`),
			disarm: disarm},
		{name: "leaves refused", arm: install(false, `RAISE EXCEPTION 'leaves refused'`), disarm: disarm},
		{name: "context cancelled", cancel: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool, _ := pgtest.New(t)
			mem := memstore.New(nil)
			store := &cancellingStore{Store: mem}
			ctx := context.Background()
			// 100 leaves first: the cached edge then holds three hashes
			// (64, 32 and 4 leaves) in a slice with room to grow, the
			// shape a later append writes into.
			appendEvents(t, mem, 100)
			log := treelog.New(pool, store, treelog.Options{BatchSize: 100})
			if n, err := log.SequenceOnce(ctx); err != nil || n != 100 {
				t.Fatalf("first SequenceOnce = %d, %v; want 100, nil", n, err)
			}
			events := appendEvents(t, mem, 500)

			fctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if tc.cancel {
				store.cancel = cancel
			} else {
				tc.arm(t, pool)
			}
			n, err := log.SequenceOnce(fctx)
			store.cancel = nil
			if err == nil || n != 0 {
				t.Fatalf("failing SequenceOnce = %d, %v; want 0 and an error", n, err)
			}
			if size, err := log.Size(ctx); err != nil || size != 100 {
				t.Fatalf("Size after the failed batch = %d, %v; want 100", size, err)
			}
			if !tc.cancel {
				tc.disarm(t, pool)
			}
			t.Logf("the failed batch: %v", err)

			// 500 more leaves in five batches: leaves 0..599 complete the
			// level-8 nodes 0 and 1, whose left parts the failed batch's
			// edge held.
			if n, err := log.SequenceOnce(ctx); err != nil || n != 500 {
				t.Fatalf("SequenceOnce after the failure = %d, %v; want 500, nil", n, err)
			}
			rep, err := verify.Verify(ctx, mem, verify.Options{Tree: log})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				var lines []string
				for _, p := range rep.Problems {
					lines = append(lines, p.String())
				}
				t.Fatalf("verify after a failed batch: %s\n%s", rep.Summary(), strings.Join(lines, "\n"))
			}
			root, err := log.Root(ctx, uint64(len(events)))
			if want := reference(events).Hash(); err != nil || string(root[:]) != string(want) {
				t.Fatalf("Root(%d) = %x, %v; want %x", len(events), root, err, want)
			}
		})
	}
}
