package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/compact"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/eventstore/verify"
)

// sliceStore serves a fixed, possibly tampered, global log through ReadAll:
// the only method Verify uses.
type sliceStore struct {
	eventstore.Store // nil: any other method panics
	log              []eventstore.Event
}

func (s *sliceStore) ReadAll(_ context.Context, from eventstore.Position, limit int) ([]eventstore.Event, error) {
	i, _ := slices.BinarySearchFunc(s.log, from, func(e eventstore.Event, p eventstore.Position) int { return e.Position.Compare(p) })
	if i < len(s.log) && s.log[i].Position == from {
		i++
	}
	end := min(len(s.log), i+limit)
	return slices.Clone(s.log[i:end]), nil
}

// memTree is a Merkle log held in memory, built the way the sequencer builds
// it, that a test can then tamper with.
type memTree struct {
	leaves []treelog.Leaf
	nodes  map[uint][]treelog.Node
}

func newMemTree(events []eventstore.Event) *memTree {
	t := &memTree{nodes: map[uint][]treelog.Node{}}
	r := treelog.NewTree()
	for i, e := range events {
		lh := e.LeafHash()
		t.leaves = append(t.leaves, treelog.Leaf{Index: uint64(i), EventID: e.ID, Position: e.Position, StreamID: e.StreamID, Version: e.Version, Hash: lh})
		r.Append(lh[:], func(id compact.NodeID, h []byte) {
			if id.Level > 0 && id.Level%treelog.NodeStride == 0 {
				t.nodes[id.Level] = append(t.nodes[id.Level], treelog.Node{Level: id.Level, Index: id.Index, Hash: eventstore.Hash(h)})
			}
		})
	}
	return t
}

func (t *memTree) Size(context.Context) (uint64, error) {
	if len(t.leaves) == 0 {
		return 0, nil
	}
	return t.leaves[len(t.leaves)-1].Index + 1, nil
}

func (t *memTree) ReadLeaves(_ context.Context, from uint64, limit int) ([]treelog.Leaf, error) {
	var out []treelog.Leaf
	for _, l := range t.leaves {
		if l.Index >= from && len(out) < limit {
			out = append(out, l)
		}
	}
	return out, nil
}

func (t *memTree) ReadNodes(_ context.Context, level uint, from uint64, limit int) ([]treelog.Node, error) {
	var out []treelog.Node
	for _, n := range t.nodes[level] {
		if n.Index >= from && len(out) < limit {
			out = append(out, n)
		}
	}
	return out, nil
}

// ledger appends events to streams s0…s(streams-1) round robin and returns the
// log as stored.
func ledger(t testing.TB, streams, events int) []eventstore.Event {
	t.Helper()
	ctx := context.Background()
	s := memstore.New(nil)
	for i := range events {
		data, _ := json.Marshal(map[string]any{"ho_ten": "Lê Văn Tám", "chuc_vu": "Chuyên viên", "lan": i})
		if _, err := s.Append(ctx, fmt.Sprintf("dossier-s%d", i%streams), eventstore.Any, eventstore.EventData{
			Type: "dossier.position_changed.v1", Data: data,
			Meta: eventstore.Metadata{Actor: eventstore.Actor{AccountID: "acc-7"}, Reason: "Quyết định số 12/QĐ-UBND"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Positions with holes, as PostgreSQL's are, so a forged event can be
	// slipped between two.
	for i := range all {
		all[i].Position = eventstore.NewPosition(7, uint64(10*(i+1)))
	}
	return all
}

// find returns the index in log of stream's version.
func find(t *testing.T, log []eventstore.Event, stream string, version uint64) int {
	t.Helper()
	for i, e := range log {
		if e.StreamID == stream && e.Version == version {
			return i
		}
	}
	t.Fatalf("%s@%d not in the log", stream, version)
	return -1
}

type finding struct {
	Stream  string
	Version uint64
	Kind    verify.Kind
}

func findings(r *verify.Report) []finding {
	var out []finding
	for _, p := range r.Problems {
		out = append(out, finding{p.Stream, p.Version, p.Kind})
	}
	return out
}

func rehash(e *eventstore.Event) { e.Hash = e.ComputeHash() }

func TestVerify(t *testing.T) {
	t.Parallel()
	const s1 = "dossier-s1"
	tests := []struct {
		name     string
		tamper   func(t *testing.T, log []eventstore.Event) []eventstore.Event
		tampTree func(t *testing.T, tr *memTree)
		want     []finding // with the tree
		noTree   []finding // without it; nil means the same as want minus Merkle kinds
	}{
		{name: "intact", tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event { return log }},
		{
			name: "payload edited",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				i := find(t, log, s1, 3)
				log[i].Data = json.RawMessage(strings.Replace(string(log[i].Data), "Chuyên viên", "Giám đốc", 1))
				return log
			},
			want: []finding{{s1, 3, verify.Edited}},
		},
		{
			name: "metadata edited",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				i := find(t, log, s1, 1)
				log[i].RawMetadata = json.RawMessage(strings.Replace(string(log[i].RawMetadata), "acc-7", "acc-8", 1))
				return log
			},
			want: []finding{{s1, 1, verify.Edited}},
		},
		{
			name: "middle version deleted",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				return slices.Delete(log, find(t, log, s1, 4), find(t, log, s1, 4)+1)
			},
			want: []finding{{s1, 4, verify.Deleted}},
		},
		{
			name: "first version deleted",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				return slices.Delete(log, find(t, log, s1, 1), find(t, log, s1, 1)+1)
			},
			want: []finding{{s1, 1, verify.Deleted}},
		},
		{
			name: "two middle versions deleted",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				log = slices.Delete(log, find(t, log, s1, 5), find(t, log, s1, 5)+1)
				return slices.Delete(log, find(t, log, s1, 4), find(t, log, s1, 4)+1)
			},
			want: []finding{{s1, 4, verify.Deleted}, {s1, 5, verify.Deleted}},
			// Without the tree a gap of two is one problem at its start.
			noTree: []finding{{s1, 4, verify.Deleted}},
		},
		{
			name: "last version deleted: only the tree knows",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				return slices.Delete(log, find(t, log, s1, 75), find(t, log, s1, 75)+1)
			},
			want:   []finding{{s1, 75, verify.Deleted}},
			noTree: []finding{},
		},
		{
			name: "versions 2 and 4 swapped",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				a, b := find(t, log, s1, 2), find(t, log, s1, 4)
				log[a].Version, log[b].Version = 4, 2
				return log
			},
			want: []finding{{s1, 2, verify.Reordered}, {s1, 4, verify.Reordered}},
		},
		{
			name: "adjacent versions swapped",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				a, b := find(t, log, s1, 6), find(t, log, s1, 7)
				log[a].Version, log[b].Version = 7, 6
				return log
			},
			want: []finding{{s1, 6, verify.Reordered}, {s1, 7, verify.Reordered}},
		},
		{
			name: "edited and re-hashed",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				i := find(t, log, s1, 5)
				log[i].Data = json.RawMessage(`{"chuc_vu":"Giám đốc"}`)
				rehash(&log[i])
				return log
			},
			want: []finding{{s1, 5, verify.MerkleLeaf}, {s1, 6, verify.HashChain}},
		},
		{
			name: "edited, re-hashed and the rest of the stream re-chained: only the tree knows",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				i := find(t, log, s1, 5)
				log[i].Data = json.RawMessage(`{"chuc_vu":"Giám đốc"}`)
				rehash(&log[i])
				prev := log[i].Hash
				for v := uint64(6); v <= 75; v++ {
					j := find(t, log, s1, v)
					log[j].PrevHash = prev
					rehash(&log[j])
					prev = log[j].Hash
				}
				return log
			},
			want:   leafRun(s1, 5, 75),
			noTree: []finding{},
		},
		{
			name: "forged event inserted among sequenced ones",
			tamper: func(t *testing.T, log []eventstore.Event) []eventstore.Event {
				forged := eventstore.Chain("dossier-forged", 0, eventstore.Hash{}, []eventstore.Prepared{{
					ID: uuid.New(), Type: "dossier.created.v1", Data: []byte(`{}`), RawMetadata: []byte(`{}`),
				}})[0]
				maj, min := log[20].Position.Parts()
				forged.Position = eventstore.NewPosition(maj, min-5)
				return slices.Insert(log, 20, forged)
			},
			want:   []finding{{"dossier-forged", 1, verify.MerkleMissing}},
			noTree: []finding{},
		},
		{
			name: "leaf hash tampered",
			tampTree: func(t *testing.T, tr *memTree) {
				tr.leaves[33].Hash[0] ^= 1
			},
			want:   []finding{{"", 0, verify.MerkleNode}, {"dossier-s1", 9, verify.MerkleLeaf}}, // leaf 33
			noTree: []finding{},
		},
		{
			name: "stored node tampered",
			tampTree: func(t *testing.T, tr *memTree) {
				tr.nodes[8][0].Hash[0] ^= 1
			},
			want:   []finding{{"", 0, verify.MerkleNode}},
			noTree: []finding{},
		},
		{
			name: "leaf deleted",
			tampTree: func(t *testing.T, tr *memTree) {
				tr.leaves = slices.Delete(tr.leaves, 100, 101)
			},
			// Leaf 100 is s0@26; the jump in indices is seen at leaf 101, s1@26.
			want:   []finding{{"", 0, verify.MerkleNode}, {"dossier-s0", 26, verify.MerkleMissing}, {"dossier-s1", 26, verify.MerkleLeaf}},
			noTree: []finding{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// 4 streams × 75 events: 300 leaves, one level-8 node.
			log := ledger(t, 4, 300)
			tree := newMemTree(log)
			if tc.tamper != nil {
				log = tc.tamper(t, slices.Clone(log))
			}
			if tc.tampTree != nil {
				tc.tampTree(t, tree)
			}
			store := &sliceStore{log: log}
			for _, withTree := range []bool{true, false} {
				opts := verify.Options{BatchSize: 7, Workers: 3}
				want := tc.want
				if withTree {
					opts.Tree = tree
				} else if tc.noTree != nil {
					want = tc.noTree
				} else {
					want = withoutMerkle(tc.want)
				}
				r, err := verify.Verify(context.Background(), store, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got := findings(r); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("tree=%v: Verify found\n%v\nwant\n%v\nproblems:\n%s", withTree, got, want, lines(r.Problems))
				}
				if r.OK() != (len(want) == 0) {
					t.Errorf("tree=%v: OK() = %v with %d problems", withTree, r.OK(), len(r.Problems))
				}
			}
		})
	}
}

func leafRun(stream string, from, to uint64) []finding {
	var out []finding
	for v := from; v <= to; v++ {
		out = append(out, finding{stream, v, verify.MerkleLeaf})
	}
	return out
}

func withoutMerkle(fs []finding) []finding {
	return slices.DeleteFunc(slices.Clone(fs), func(f finding) bool { return strings.HasPrefix(string(f.Kind), "merkle_") })
}

func lines(ps []verify.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// TestGlobalOrderNotVersionOrder: a backend may legitimately return a
// stream's events out of version order in the global log; that alone is no
// problem.
func TestGlobalOrderNotVersionOrder(t *testing.T) {
	t.Parallel()
	log := ledger(t, 3, 60)
	a, b := find(t, log, "dossier-s2", 3), find(t, log, "dossier-s2", 4)
	log[a], log[b] = log[b], log[a]
	log[a].Position, log[b].Position = log[b].Position, log[a].Position
	r, err := verify.Verify(context.Background(), &sliceStore{log: log}, verify.Options{})
	if err != nil || !r.OK() {
		t.Fatalf("Verify = %v, %v; want intact:\n%s", r, err, lines(r.Problems))
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	log := ledger(t, 5, 50)
	tree := newMemTree(log[:40])
	r, err := verify.Verify(context.Background(), &sliceStore{log: log}, verify.Options{Tree: tree})
	if err != nil {
		t.Fatal(err)
	}
	r40 := treelog.NewTree()
	for _, e := range log[:40] {
		lh := e.LeafHash()
		r40.Append(lh[:], nil)
	}
	root, _ := r40.GetRootHash(nil)
	want := fmt.Sprintf("ok: 50 events in 5 streams, merkle root %x at size 40 (10 newer events not yet sequenced)", root)
	if got := r.Summary(); got != want {
		t.Errorf("Summary() = %q\nwant        %q", got, want)
	}

	empty, err := verify.Verify(context.Background(), &sliceStore{}, verify.Options{Tree: newMemTree(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want = "ok: 0 events in 0 streams, merkle root e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 at size 0"
	if got := empty.Summary(); got != want {
		t.Errorf("empty Summary() = %q, want %q", got, want)
	}
}

type failingStore struct{ eventstore.Store }

var errDown = errors.New("database down")

func (failingStore) ReadAll(context.Context, eventstore.Position, int) ([]eventstore.Event, error) {
	return nil, errDown
}

func (failingStore) Subscribe(context.Context, eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return nil
}

func TestReadErrorIsAnError(t *testing.T) {
	t.Parallel()
	if _, err := verify.Verify(context.Background(), failingStore{}, verify.Options{}); !errors.Is(err, errDown) {
		t.Fatalf("Verify over a failing store = %v, want %v", err, errDown)
	}
}

// TestFastHashAgrees: verify's allocation-free hash must give exactly
// ComputeHash and LeafHash, or verify silently falls back to the slow path.
func TestFastHashAgrees(t *testing.T) {
	t.Parallel()
	for _, e := range ledger(t, 3, 40) {
		if got, want := verify.FastHash(&e), e.ComputeHash(); got != want {
			t.Fatalf("fast hash of %s@%d = %s, ComputeHash = %s", e.StreamID, e.Version, got, want)
		}
		if got, want := verify.LeafHash(e.Hash), e.LeafHash(); got != want {
			t.Fatalf("leaf hash of %s@%d = %s, LeafHash = %s", e.StreamID, e.Version, got, want)
		}
	}
	for _, v := range []uint64{0, 1, 9, 10, 99, 1 << 40, 1<<64 - 1} {
		e := eventstore.Event{ID: uuid.New(), StreamID: "s", Version: v, Type: "a.b.v1", Data: []byte(`{}`), RawMetadata: []byte(`{}`)}
		if verify.FastHash(&e) != e.ComputeHash() {
			t.Errorf("fast hash differs at version %d", v)
		}
	}
}

// BenchmarkVerify is verify's own CPU cost per event (no I/O): hashing,
// chain and leaf checks, on 1 and 2 workers.
func BenchmarkVerify(b *testing.B) {
	log := ledger(b, 200, 20000)
	tree := newMemTree(log)
	store := &sliceStore{log: log}
	for _, workers := range []int{1, 2} {
		for _, withTree := range []bool{false, true} {
			opts := verify.Options{Workers: workers}
			if withTree {
				opts.Tree = tree
			}
			b.Run(fmt.Sprintf("workers=%d/tree=%v", workers, withTree), func(b *testing.B) {
				for b.Loop() {
					r, err := verify.Verify(context.Background(), store, opts)
					if err != nil || !r.OK() {
						b.Fatal(r, err)
					}
				}
				b.ReportMetric(float64(len(log)*b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
