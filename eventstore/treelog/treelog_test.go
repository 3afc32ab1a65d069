package treelog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// appendEvents appends n dossier events spread over a few streams and returns
// them as stored, in global order.
func appendEvents(t *testing.T, s eventstore.Store, n int) []eventstore.Event {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		stream := fmt.Sprintf("dossier-%08d", i%7)
		data, _ := json.Marshal(map[string]any{"ho_ten": "Nguyễn Thị Hoa", "ngach": "01.003", "bac": i%9 + 1})
		if _, err := s.Append(ctx, stream, eventstore.Any, eventstore.EventData{
			Type: "dossier.salary_raised.v1", Data: data,
			Meta: eventstore.Metadata{Actor: eventstore.Actor{AccountID: "acc-1", Name: "Trần Văn Bình"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return readAll(t, s)
}

func readAll(t *testing.T, s eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	pos := eventstore.Start
	for {
		batch, err := s.ReadAll(context.Background(), pos, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
		pos = batch[len(batch)-1].Position
	}
}

// reference is the merkle module's own in-memory tree over the events' leaf
// hashes: the log must give exactly its roots and proofs.
func reference(events []eventstore.Event) *testonly.Tree {
	tr := testonly.New(rfc6962.DefaultHasher)
	for _, e := range events {
		lh := e.LeafHash()
		tr.Append(lh[:])
	}
	return tr
}

func hashesEqual(a []eventstore.Hash, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i][:], b[i]) {
			return false
		}
	}
	return true
}

func TestSequenceRootsAndProofs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	store := memstore.New(nil)
	// 1100 leaves: four complete level-8 nodes and a ragged edge; batches of
	// 97 so that batch boundaries fall everywhere relative to subtrees.
	events := appendEvents(t, store, 1100)
	log := treelog.New(pool, store, treelog.Options{BatchSize: 97})

	n, err := log.SequenceOnce(ctx)
	if err != nil || n != len(events) {
		t.Fatalf("SequenceOnce = %d, %v; want %d, nil", n, err, len(events))
	}
	if n, err := log.SequenceOnce(ctx); err != nil || n != 0 {
		t.Fatalf("second SequenceOnce = %d, %v; want 0, nil", n, err)
	}
	size, err := log.Size(ctx)
	if err != nil || size != uint64(len(events)) {
		t.Fatalf("Size = %d, %v; want %d", size, err, len(events))
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM merkle_nodes WHERE level = 8`).Scan(&stored); err != nil || stored != 4 {
		t.Fatalf("level-8 nodes stored = %d, %v; want 4", stored, err)
	}

	ref := reference(events)
	sizes := []uint64{0, 1, 2, 3, 7, 8, 97, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1099, 1100}
	for _, s := range sizes {
		root, err := log.Root(ctx, s)
		if err != nil {
			t.Fatalf("Root(%d): %v", s, err)
		}
		if want := ref.HashAt(s); !bytes.Equal(root[:], want) {
			t.Errorf("Root(%d) = %x, want %x", s, root, want)
		}
	}
	// InclusionProofs gives every leaf's path of a tree at once, equal to
	// the reference's, whatever the order and repetitions asked.
	for _, s := range []uint64{1, 257, 1100} {
		var idx []uint64
		for i := s; i > 0; i-- {
			idx = append(idx, i-1, (i-1)/2)
		}
		ps, err := log.InclusionProofs(ctx, idx, s)
		if err != nil || len(ps) != len(idx) {
			t.Fatalf("InclusionProofs(…, %d) = %d paths, %v", s, len(ps), err)
		}
		for k, i := range idx {
			if want, _ := ref.InclusionProof(i, s); !hashesEqual(ps[k], want) {
				t.Errorf("InclusionProofs: leaf %d in %d differs from the reference", i, s)
			}
		}
	}
	if _, err := log.InclusionProofs(ctx, []uint64{3, 9}, 9); !errors.Is(err, treelog.ErrRange) {
		t.Errorf("InclusionProofs with leaf 9 of 9: %v, want ErrRange", err)
	}
	for _, s := range sizes[1:] {
		root, _ := log.Root(ctx, s)
		for _, i := range []uint64{0, s / 3, s / 2, s - 1} {
			p, err := log.InclusionProof(ctx, i, s)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, s, err)
			}
			want, _ := ref.InclusionProof(i, s)
			if !hashesEqual(p, want) {
				t.Errorf("InclusionProof(%d, %d) differs from the reference", i, s)
			}
			if err := treelog.VerifyInclusion(events[i].LeafHash(), i, s, p, root); err != nil {
				t.Errorf("VerifyInclusion(%d, %d): %v", i, s, err)
			}
			if err := treelog.VerifyInclusion(events[(i+1)%s].LeafHash(), i, s, p, root); s > 1 && err == nil {
				t.Errorf("VerifyInclusion accepted the wrong leaf at %d in %d", i, s)
			}
		}
		for _, m := range sizes {
			if m > s {
				break
			}
			p, err := log.ConsistencyProof(ctx, m, s)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", m, s, err)
			}
			want, _ := ref.ConsistencyProof(m, s)
			if !hashesEqual(p, want) {
				t.Errorf("ConsistencyProof(%d, %d) differs from the reference", m, s)
			}
			if m > 0 {
				rootM, _ := log.Root(ctx, m)
				if err := treelog.VerifyConsistency(m, s, p, rootM, root); err != nil {
					t.Errorf("VerifyConsistency(%d, %d): %v", m, s, err)
				}
			}
		}
	}

	for _, i := range []int{0, 500, 1099} {
		got, err := log.LeafIndex(ctx, events[i].ID)
		if err != nil || got != uint64(i) {
			t.Errorf("LeafIndex(event %d) = %d, %v", i, got, err)
		}
	}
	if _, err := log.LeafIndex(ctx, uuid.New()); !errors.Is(err, treelog.ErrNotFound) {
		t.Errorf("LeafIndex(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := log.Root(ctx, 1101); !errors.Is(err, treelog.ErrRange) {
		t.Errorf("Root(size+1) error = %v, want ErrRange", err)
	}
	if _, err := log.InclusionProof(ctx, 5, 5); !errors.Is(err, treelog.ErrRange) {
		t.Errorf("InclusionProof(5, 5) error = %v, want ErrRange", err)
	}
	if _, err := log.ConsistencyProof(ctx, 9, 8); !errors.Is(err, treelog.ErrRange) {
		t.Errorf("ConsistencyProof(9, 8) error = %v, want ErrRange", err)
	}

	leaves, err := log.ReadLeaves(ctx, 1098, 10)
	if err != nil || len(leaves) != 2 {
		t.Fatalf("ReadLeaves(1098) = %d leaves, %v", len(leaves), err)
	}
	if l, e := leaves[1], events[1099]; l.Index != 1099 || l.EventID != e.ID || l.Position != e.Position ||
		l.StreamID != e.StreamID || l.Version != e.Version || l.Hash != e.LeafHash() {
		t.Errorf("leaf 1099 = %+v, does not match its event", l)
	}
}

// TestResumeAfterRestart: a fresh Log (no cached edge, as after a crash)
// continues the same tree.
func TestResumeAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	store := memstore.New(nil)
	appendEvents(t, store, 300)
	if _, err := treelog.New(pool, store, treelog.Options{BatchSize: 64}).SequenceOnce(ctx); err != nil {
		t.Fatal(err)
	}
	events := appendEvents(t, store, 333)
	log := treelog.New(pool, store, treelog.Options{BatchSize: 50})
	if n, err := log.SequenceOnce(ctx); err != nil || n != 333 {
		t.Fatalf("resumed SequenceOnce = %d, %v; want 333", n, err)
	}
	root, err := log.Root(ctx, uint64(len(events)))
	if want := reference(events).Hash(); err != nil || !bytes.Equal(root[:], want) {
		t.Fatalf("Root after resume = %x, %v; want %x", root, err, want)
	}
}

// TestConcurrentSequencers: several sequencers racing while writers append
// still give each event exactly one leaf, densely, in global order.
func TestConcurrentSequencers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	store := memstore.New(nil)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		log := treelog.New(pool, store, treelog.Options{BatchSize: 10 + i*7})
		wg.Go(func() {
			for {
				if _, err := log.SequenceOnce(ctx); err != nil {
					t.Error(err)
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	events := appendEvents(t, store, 600)
	close(stop)
	wg.Wait()
	log := treelog.New(pool, store, treelog.Options{})
	if _, err := log.SequenceOnce(ctx); err != nil {
		t.Fatal(err)
	}
	leaves, err := log.ReadLeaves(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) != len(events) {
		t.Fatalf("%d leaves for %d events", len(leaves), len(events))
	}
	for i, l := range leaves {
		if l.Index != uint64(i) || l.EventID != events[i].ID {
			t.Fatalf("leaf %d = index %d event %s, want event %s", i, l.Index, l.EventID, events[i].ID)
		}
	}
	root, _ := log.Root(ctx, uint64(len(events)))
	if want := reference(events).Hash(); !bytes.Equal(root[:], want) {
		t.Fatalf("Root = %x, want %x", root, want)
	}
}

func TestRunFollowsTheStore(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	store := memstore.New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	log := treelog.New(pool, store, treelog.Options{PollInterval: 50 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- log.Run(ctx) }()

	appendEvents(t, store, 40)
	deadline := time.Now().Add(10 * time.Second)
	for {
		size, err := log.Size(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if size == 40 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run sequenced %d of 40 events in 10s", size)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v after cancel, want nil", err)
	}
}

func TestTablesAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	store := memstore.New(nil)
	appendEvents(t, store, 300)
	if _, err := treelog.New(pool, store, treelog.Options{}).SequenceOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE merkle_leaves SET leaf_hash = leaf_hash WHERE leaf_index = 0`,
		`DELETE FROM merkle_leaves WHERE leaf_index = 299`,
		`TRUNCATE merkle_leaves CASCADE`,
		`UPDATE merkle_nodes SET hash = hash`,
		`DELETE FROM merkle_nodes`,
	} {
		if _, err := pool.Exec(ctx, stmt); err == nil {
			t.Errorf("%s: succeeded, want refused", stmt)
		}
	}
}

// TestNodeCacheGivesTheSameProofs: a Log with a node cache answers every
// root and proof as the reference does, while the tree grows under it
// (nodes cached at one size serve the next) and while the cache is too
// small to hold a single pass (eviction), and whatever was read first.
func TestNodeCacheGivesTheSameProofs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	store := memstore.New(nil)
	seq := treelog.New(pool, store, treelog.Options{BatchSize: 97})
	for _, cacheSize := range []int{3, 1 << 12} {
		t.Run(fmt.Sprint("cache=", cacheSize), func(t *testing.T) {
			log := treelog.New(pool, nil, treelog.Options{NodeCache: cacheSize})
			for _, grow := range []int{300, 500, 400} {
				// The subtests share the tables: sequence what is there so far.
				appendEvents(t, store, grow)
				if _, err := seq.SequenceOnce(ctx); err != nil {
					t.Fatal(err)
				}
				events := readAll(t, store)
				ref := reference(events)
				size := uint64(len(events))
				for _, s := range []uint64{1, 255, 256, 257, size / 2, size - 1, size} {
					root, err := log.Root(ctx, s)
					if want := ref.HashAt(s); err != nil || !bytes.Equal(root[:], want) {
						t.Errorf("size %d: Root(%d) = %x, %v; want %x", size, s, root, err, want)
					}
					for _, i := range []uint64{0, s / 3, s / 2, s - 1} {
						p, err := log.InclusionProof(ctx, i, s)
						if want, _ := ref.InclusionProof(i, s); err != nil || !hashesEqual(p, want) {
							t.Errorf("size %d: InclusionProof(%d, %d) = %x, %v; want %x", size, i, s, p, err, want)
						}
					}
					for _, m := range []uint64{1, s / 2, s - 1} {
						p, err := log.ConsistencyProof(ctx, m, s)
						if want, _ := ref.ConsistencyProof(m, s); err != nil || !hashesEqual(p, want) {
							t.Errorf("size %d: ConsistencyProof(%d, %d) = %x, %v; want %x", size, m, s, p, err, want)
						}
					}
				}
				idx := make([]uint64, 0, size)
				for i := range size {
					idx = append(idx, size-1-i)
				}
				ps, err := log.InclusionProofs(ctx, idx, size)
				if err != nil {
					t.Fatal(err)
				}
				for k, i := range idx {
					if want, _ := ref.InclusionProof(i, size); !hashesEqual(ps[k], want) {
						t.Fatalf("size %d: InclusionProofs path of leaf %d = %x, want %x", size, i, ps[k], want)
					}
				}
				// The cached Log remembers the sizes it has seen; a size past
				// the tree is still refused, and the next growth still read.
				if _, err := log.Root(ctx, size+1); !errors.Is(err, treelog.ErrRange) {
					t.Errorf("size %d: Root(%d) error = %v, want ErrRange", size, size+1, err)
				}
				if _, err := log.ConsistencyProof(ctx, size, size+1); !errors.Is(err, treelog.ErrRange) {
					t.Errorf("size %d: ConsistencyProof(%d, %d) error = %v, want ErrRange", size, size, size+1, err)
				}
			}
		})
	}
}
