package verify

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// Kind classifies a Problem.
type Kind string

// The kinds of problem Verify reports; see the package documentation.
const (
	Edited        Kind = "edited"
	Deleted       Kind = "deleted"
	Reordered     Kind = "reordered"
	HashChain     Kind = "hash_chain"
	MerkleLeaf    Kind = "merkle_leaf"
	MerkleMissing Kind = "merkle_missing"
	MerkleNode    Kind = "merkle_node"
	// Content: an Inspect check of a layer above found the event's
	// content inconsistent with what it names (e.g. a served manifest's
	// bytes, kept outside the event, no longer hash to its digest).
	Content Kind = "content"
)

// Problem is one finding. Stream and Version name the event; both are empty
// for a problem of the tree itself (a stored interior node).
type Problem struct {
	Stream  string
	Version uint64
	Kind    Kind
	Detail  string
}

// String is the one-line form `hoso verify` prints:
// "dossier-…@3: edited: stored hash … is not the hash of the stored content".
func (p Problem) String() string {
	if p.Stream == "" {
		return fmt.Sprintf("(tree): %s: %s", p.Kind, p.Detail)
	}
	return fmt.Sprintf("%s@%d: %s: %s", p.Stream, p.Version, p.Kind, p.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	Events  uint64 // events read
	Streams int    // distinct streams among them
	// Problems are sorted by stream, version and kind; empty when intact.
	Problems []Problem

	// TreeChecked says whether a Tree was given; the fields below are set
	// only then.
	TreeChecked bool
	TreeSize    uint64          // leaves checked: the tree's size when Verify began
	Root        eventstore.Hash // RFC 6962 root recomputed from those leaves
	Unsequenced uint64          // events after the last leaf (not yet sequenced)
}

// OK reports whether nothing was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Summary is one line for an intact ledger (and a count otherwise).
func (r *Report) Summary() string {
	if !r.OK() {
		return fmt.Sprintf("FAILED: %d problems in %d events in %d streams", len(r.Problems), r.Events, r.Streams)
	}
	s := fmt.Sprintf("ok: %d events in %d streams", r.Events, r.Streams)
	if !r.TreeChecked {
		return s + ", hash chains intact (Merkle log not checked)"
	}
	s += fmt.Sprintf(", merkle root %s at size %d", r.Root, r.TreeSize)
	if r.Unsequenced > 0 {
		s += fmt.Sprintf(" (%d newer events not yet sequenced)", r.Unsequenced)
	}
	return s
}

// Tree is the Merkle log to check the events against; *treelog.Log is one.
type Tree interface {
	Size(ctx context.Context) (uint64, error)
	ReadLeaves(ctx context.Context, from uint64, limit int) ([]treelog.Leaf, error)
	ReadNodes(ctx context.Context, level uint, from uint64, limit int) ([]treelog.Node, error)
}

// Options tune Verify; the zero value checks the hash chains only.
type Options struct {
	Tree      Tree // nil: skip the Merkle checks
	BatchSize int  // events per ReadAll (5000 when zero)
	Workers   int  // hashing goroutines (GOMAXPROCS when zero)
	// Inspect, when set, sees every event read, in global order, and
	// returns a finding about its content ("" when none), reported as a
	// Content problem; its error means it could not look and stops
	// Verify. It lets a layer above check what this package cannot read
	// (app/approvals: a served manifest's bytes against its digest).
	Inspect func(ctx context.Context, e eventstore.Event) (string, error)
}

// Verify reads the whole log from store and checks it. It returns an error
// only when it could not read (the store or the tree failed, or ctx ended);
// what it found is in the Report.
func Verify(ctx context.Context, store eventstore.Store, opts Options) (*Report, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 5000
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	c := newChecker(opts.Tree != nil)
	c.inspect = opts.Inspect
	g, ctx := errgroup.WithContext(ctx)

	if opts.Tree != nil {
		// The size is taken before the events are read, so every leaf
		// checked commits to an event that ReadAll will return, and leaves
		// added meanwhile are not mistaken for leaves of deleted events.
		size, err := opts.Tree.Size(ctx)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		c.treeSize = size
		c.leaves = make(chan []treelog.Leaf, 4)
		g.Go(func() error { return readLeaves(ctx, opts.Tree, size, c.leaves) })
	}

	work := make(chan *batch, opts.Workers)
	ordered := make(chan *batch, opts.Workers+2)
	g.Go(func() error {
		defer close(work)
		defer close(ordered)
		pos := eventstore.Start
		for {
			events, err := store.ReadAll(ctx, pos, opts.BatchSize)
			if err != nil {
				return fmt.Errorf("verify: reading the log after %s: %w", pos, err)
			}
			if len(events) == 0 {
				return nil
			}
			pos = events[len(events)-1].Position
			b := &batch{events: events, done: make(chan struct{})}
			for _, ch := range []chan *batch{ordered, work} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	})
	for range opts.Workers {
		g.Go(func() error {
			h := &hasher{}
			for b := range work {
				b.hash(h, c.withTree)
				close(b.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		for b := range ordered {
			select {
			case <-b.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := c.check(ctx, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return c.finish(context.WithoutCancel(ctx), opts.Tree)
}

// batch is one ReadAll result on its way through the pipeline.
type batch struct {
	events []eventstore.Event
	ok     []bool            // stored Hash equals the recomputed one
	leaf   []eventstore.Hash // LeafHash of the stored Hash (tree checks only)
	done   chan struct{}     // closed when ok and leaf are filled
}

func (b *batch) hash(h *hasher, tree bool) {
	b.ok = make([]bool, len(b.events))
	if tree {
		b.leaf = make([]eventstore.Hash, len(b.events))
	}
	for i := range b.events {
		e := &b.events[i]
		b.ok[i] = h.matches(e)
		if tree {
			b.leaf[i] = leafHash(e.Hash)
		}
	}
}

func readLeaves(ctx context.Context, t Tree, size uint64, out chan<- []treelog.Leaf) error {
	defer close(out)
	const page = 10000
	for from := uint64(0); from < size; {
		leaves, err := t.ReadLeaves(ctx, from, int(min(size-from, page)))
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if len(leaves) == 0 {
			return nil
		}
		from = leaves[len(leaves)-1].Index + 1
		// With a leaf deleted below size, the page can run past size into
		// leaves sequenced after Verify began; those are not checked.
		for len(leaves) > 0 && leaves[len(leaves)-1].Index >= size {
			leaves = leaves[:len(leaves)-1]
		}
		select {
		case out <- leaves:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// stream is the running state of one stream: the last version accepted in
// order and its hash. suspect holds every event from the first one that did
// not fit, for diagnosis at the end.
type stream struct {
	next    uint64 // the version expected next
	last    eventstore.Hash
	suspect []suspect
}

type suspect struct {
	e  eventstore.Event
	ok bool
}

type checker struct {
	inspect  func(ctx context.Context, e eventstore.Event) (string, error)
	events   uint64
	streams  map[string]*stream
	problems []Problem

	// Merkle state, when a tree is checked.
	withTree   bool
	treeSize   uint64
	leaves     chan []treelog.Leaf
	pending    []treelog.Leaf // the current page, consumed from the front
	nextIndex  uint64         // the leaf index expected next
	root       *compact.Range
	nodes      map[compact.NodeID]eventstore.Hash // recomputed, at stored levels
	leavesDone bool
	unseq      uint64
}

func newChecker(tree bool) *checker {
	c := &checker{streams: make(map[string]*stream), withTree: tree}
	if tree {
		c.root = treelog.NewTree()
		c.nodes = make(map[compact.NodeID]eventstore.Hash)
	}
	return c
}

func (c *checker) add(stream string, version uint64, kind Kind, format string, args ...any) {
	c.problems = append(c.problems, Problem{Stream: stream, Version: version, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

func (c *checker) check(ctx context.Context, b *batch) error {
	for i := range b.events {
		e := &b.events[i]
		c.events++
		s := c.streams[e.StreamID]
		if s == nil {
			s = &stream{next: 1}
			c.streams[e.StreamID] = s
		}
		if s.suspect == nil && b.ok[i] && e.Version == s.next && e.PrevHash == s.last {
			s.next++
			s.last = e.Hash
		} else {
			s.suspect = append(s.suspect, suspect{e: *e, ok: b.ok[i]})
		}
		if c.withTree {
			if err := c.matchLeaf(ctx, e, b.leaf[i]); err != nil {
				return err
			}
		}
		if c.inspect != nil {
			finding, err := c.inspect(ctx, *e)
			if err != nil {
				return fmt.Errorf("verify: inspecting %s@%d: %w", e.StreamID, e.Version, err)
			}
			if finding != "" {
				c.add(e.StreamID, e.Version, Content, "%s", finding)
			}
		}
	}
	return nil
}

// peekLeaf returns the next unconsumed leaf, fetching a page when needed.
func (c *checker) peekLeaf(ctx context.Context) (*treelog.Leaf, error) {
	for len(c.pending) == 0 {
		if c.leavesDone {
			return nil, nil
		}
		select {
		case p, ok := <-c.leaves:
			if !ok {
				c.leavesDone = true
				return nil, nil
			}
			c.pending = p
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &c.pending[0], nil
}

// consumeLeaf folds the next leaf into the recomputed tree.
func (c *checker) consumeLeaf() {
	l := c.pending[0]
	c.pending = c.pending[1:]
	if l.Index != c.nextIndex {
		c.add(l.StreamID, l.Version, MerkleLeaf, "leaf indices jump from %d to %d: leaves were deleted", c.nextIndex, l.Index)
	}
	c.nextIndex = l.Index + 1
	c.root.Append(l.Hash[:], func(id compact.NodeID, h []byte) {
		if id.Level > 0 && id.Level%treelog.NodeStride == 0 {
			c.nodes[id] = eventstore.Hash(h)
		}
	})
}

// matchLeaf walks the leaves in step with the events, both in global order.
func (c *checker) matchLeaf(ctx context.Context, e *eventstore.Event, leafHash eventstore.Hash) error {
	for {
		l, err := c.peekLeaf(ctx)
		if err != nil {
			return err
		}
		if l == nil {
			// Past the last leaf checked: sequenced later, or not yet.
			c.unseq++
			return nil
		}
		switch l.Position.Compare(e.Position) {
		case -1:
			c.add(l.StreamID, l.Version, Deleted, "leaf %d commits to event %s at %s, which the store no longer has", l.Index, l.EventID, l.Position)
			c.consumeLeaf()
			continue
		case 1:
			c.add(e.StreamID, e.Version, MerkleMissing, "event %s at %s is inside the sequenced range but has no leaf: inserted after sequencing", e.ID, e.Position)
			return nil
		}
		switch {
		case l.EventID == e.ID && l.StreamID == e.StreamID && l.Version != e.Version:
			c.add(e.StreamID, e.Version, Reordered, "leaf %d placed event %s at version %d, the store now says %d", l.Index, e.ID, l.Version, e.Version)
		case l.EventID != e.ID || l.StreamID != e.StreamID:
			c.add(e.StreamID, e.Version, MerkleLeaf, "leaf %d commits to event %s (%s@%d), the store has %s here", l.Index, l.EventID, l.StreamID, l.Version, e.ID)
		case l.Hash != leafHash:
			c.add(e.StreamID, e.Version, MerkleLeaf, "leaf %d hash %s is not the leaf hash %s of the event's stored hash: the leaf or the event's hash was rewritten", l.Index, l.Hash, leafHash)
		}
		c.consumeLeaf()
		return nil
	}
}

// finish drains the leaves, checks the stored nodes, diagnoses the suspect
// streams and sorts the report.
func (c *checker) finish(ctx context.Context, tree Tree) (*Report, error) {
	r := &Report{Events: c.events, Streams: len(c.streams), TreeChecked: c.withTree}
	if c.withTree {
		for {
			l, err := c.peekLeaf(ctx)
			if err != nil {
				return nil, err
			}
			if l == nil {
				break
			}
			c.add(l.StreamID, l.Version, Deleted, "leaf %d commits to event %s at %s, which the store no longer has", l.Index, l.EventID, l.Position)
			c.consumeLeaf()
		}
		if c.nextIndex != c.treeSize {
			c.add("", 0, MerkleLeaf, "the tree has size %d but leaves end at index %d", c.treeSize, c.nextIndex)
		}
		if err := c.checkNodes(ctx, tree); err != nil {
			return nil, err
		}
		r.TreeSize = c.nextIndex
		r.Root = treelog.EmptyRoot()
		if root, err := c.root.GetRootHash(nil); err == nil && root != nil {
			r.Root = eventstore.Hash(root)
		}
		r.Unsequenced = c.unseq
	}
	for name, s := range c.streams {
		if s.suspect != nil {
			c.diagnose(name, s)
		}
	}
	r.Problems = dedupe(c.problems)
	return r, nil
}

// checkNodes compares the stored interior nodes with the recomputed ones.
func (c *checker) checkNodes(ctx context.Context, tree Tree) error {
	const page = 10000
	for level := uint(treelog.NodeStride); level < 64 && c.treeSize>>level > 0; level += treelog.NodeStride {
		complete := c.treeSize >> level // nodes whose subtree the checked leaves fill
		var seen uint64
		for from := uint64(0); ; {
			nodes, err := tree.ReadNodes(ctx, level, from, page)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			for _, n := range nodes {
				if n.Index >= complete {
					continue // completed after Verify took the tree's size
				}
				seen++
				want, ok := c.nodes[compact.NewNodeID(level, n.Index)]
				if ok && want != n.Hash {
					c.add("", 0, MerkleNode, "stored node %d/%d is %s, the leaves give %s", level, n.Index, n.Hash, want)
				}
			}
			if len(nodes) < page {
				break
			}
			from = nodes[len(nodes)-1].Index + 1
		}
		if seen != complete {
			c.add("", 0, MerkleNode, "level %d holds %d stored nodes, want %d", level, seen, complete)
		}
	}
	return nil
}

// maxCandidates bounds the versions tried per edited-looking event when
// looking for the version its content really belongs to.
const maxCandidates = 64

// diagnose explains a stream whose events did not all fit the chain in
// arrival order: it sorts them by version and finds the most specific cause.
func (c *checker) diagnose(name string, s *stream) {
	prefix := s.next - 1 // versions 1..prefix verified in order, ending in s.last
	recs := s.suspect
	slices.SortStableFunc(recs, func(a, b suspect) int { return cmp.Compare(a.e.Version, b.e.Version) })

	// Candidate true versions for rows whose hash fails: the versions other
	// failing rows claim, and the versions just past the prefix.
	var candidates []uint64
	for _, r := range recs {
		if !r.ok && len(candidates) < maxCandidates {
			candidates = append(candidates, r.e.Version)
		}
	}
	for v := prefix + 1; v <= prefix+uint64(len(recs)) && len(candidates) < 2*maxCandidates; v++ {
		candidates = append(candidates, v)
	}

	type placed struct {
		r       *suspect
		flagged bool // already reported as edited or reordered
	}
	byVersion := make(map[uint64]placed, len(recs))
	var maxVersion uint64
	for i := range recs {
		r := &recs[i]
		v := r.e.Version
		flagged := false
		if !r.ok {
			flagged = true
			if w, found := trueVersion(r.e, candidates); found {
				c.add(name, v, Reordered, "the event stored as version %d (%s) hashes as version %d: versions were swapped or moved", v, r.e.ID, w)
				v = w
			} else {
				c.add(name, v, Edited, "stored hash %s is not the hash of the stored content (%s): event %s was altered", r.e.Hash, r.e.ComputeHash(), r.e.ID)
			}
		}
		if v <= prefix {
			c.add(name, r.e.Version, Reordered, "event %s claims version %d, which the stream already has", r.e.ID, v)
			continue
		}
		if _, dup := byVersion[v]; dup {
			c.add(name, r.e.Version, Reordered, "event %s is a second event at version %d", r.e.ID, v)
			continue
		}
		byVersion[v] = placed{r: r, flagged: flagged}
		maxVersion = max(maxVersion, v)
	}

	for v := prefix + 1; v <= maxVersion; v++ {
		p, ok := byVersion[v]
		if !ok {
			gapEnd := v
			for gapEnd+1 <= maxVersion {
				if _, ok := byVersion[gapEnd+1]; ok {
					break
				}
				gapEnd++
			}
			if gapEnd == v {
				c.add(name, v, Deleted, "version %d is missing: the stream goes from %d to %d", v, v-1, v+1)
			} else {
				c.add(name, v, Deleted, "versions %d to %d are missing", v, gapEnd)
			}
			v = gapEnd
			continue
		}
		var want eventstore.Hash
		switch {
		case v == 1:
		case v-1 == prefix:
			want = s.last
		default:
			prev, ok := byVersion[v-1]
			if !ok {
				continue // reported as deleted
			}
			want = prev.r.e.Hash
		}
		if p.r.e.PrevHash != want && !p.flagged {
			c.add(name, v, HashChain, "prev_hash %s is not the hash %s of version %d: that event was rewritten and re-hashed, or this link was", p.r.e.PrevHash, want, v-1)
		}
	}
}

// trueVersion finds the version, among candidates, under which e's content
// hashes to its stored hash.
func trueVersion(e eventstore.Event, candidates []uint64) (uint64, bool) {
	claimed := e.Version
	for _, w := range candidates {
		if w == claimed || w == 0 {
			continue
		}
		e.Version = w
		if e.ComputeHash() == e.Hash {
			return w, true
		}
	}
	return 0, false
}

// dedupe keeps the first problem per (stream, version, kind) — a middle
// deletion is seen by the chain and by the tree — and sorts.
func dedupe(ps []Problem) []Problem {
	type key struct {
		stream  string
		version uint64
		kind    Kind
		tree    string
	}
	seen := make(map[key]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		k := key{p.Stream, p.Version, p.Kind, ""}
		if p.Stream == "" {
			k.tree = p.Detail // tree problems have no event to merge on
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Kind, b.Kind))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}
