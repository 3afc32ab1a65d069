package treelog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/hoso-ledger/hoso/eventstore"
)

var (
	// ErrNotFound: the event has no leaf (unknown, or not sequenced yet).
	ErrNotFound = errors.New("treelog: event not in the tree")
	// ErrRange: a leaf index or tree size beyond the tree's current size, or
	// sizes in the wrong order.
	ErrRange = errors.New("treelog: index or size out of range")
)

// NodeStride is the level spacing of the interior nodes kept in
// merkle_nodes: every complete node at a level that is a positive multiple of
// NodeStride is stored, so any other node is rebuilt from at most
// 2^(NodeStride-1) stored hashes.
const NodeStride = 8

// DefaultBatchSize is how many events one sequencer transaction takes.
const DefaultBatchSize = 2000

var hasher = rfc6962.DefaultHasher

// factory builds the compact ranges every root and node comes from.
var factory = &compact.RangeFactory{Hash: hasher.HashChildren}

// Leaf is one row of the log: the event at Index in global order.
type Leaf struct {
	Index    uint64
	EventID  uuid.UUID
	Position eventstore.Position
	StreamID string
	Version  uint64
	Hash     eventstore.Hash // RFC 6962 leaf hash: SHA-256(0x00 ‖ event hash)
}

// Node is a stored interior node: the root of the complete perfect subtree
// over leaves [Index<<Level, (Index+1)<<Level).
type Node struct {
	Level uint
	Index uint64
	Hash  eventstore.Hash
}

// Options tune a Log; the zero value is fine.
type Options struct {
	// BatchSize is the number of events per sequencer transaction
	// (DefaultBatchSize when zero).
	BatchSize int
	// PollInterval bounds how long Run waits for the store's subscription to
	// report a new event before looking anyway (1s when zero).
	PollInterval time.Duration
	// Log receives Run's transient errors (discarded when nil).
	Log *slog.Logger
	// NodeCache is how many node hashes the proofs and roots keep in
	// memory (none when zero). A proof names only complete perfect
	// subtrees, whose hashes never change once stored (merkle_nodes refuses
	// updates), so a remembered hash is never stale; it saves the rows and
	// the rehashing below the stored levels that every proof of a busy
	// stretch of the tree shares (a thousand sync packages' checkpoint
	// proofs read the same upper nodes). A Log that must see the tables as
	// they are now — an integrity check looking for tampered rows — leaves
	// it at zero.
	NodeCache int
}

// Log is the Merkle log in the merkle_leaves and merkle_nodes tables of a
// PostgreSQL database. Its methods are safe for concurrent use, and any number
// of Logs, in any number of processes, may sequence the same tables.
type Log struct {
	pool  *pgxpool.Pool
	store eventstore.Store
	opts  Options

	// mu guards the compact range of the tree as this process last wrote it,
	// which saves rebuilding the right edge from the database each batch.
	mu   sync.Mutex
	edge *compact.Range

	// cache holds node hashes read for proofs and roots (Options.NodeCache);
	// nil when off.
	cache *lru.Cache[compact.NodeID, []byte]

	// sizeSeen is the largest tree size this Log has read, kept with the
	// node cache (and under the same rule: only while the tables refuse
	// updates and deletes, so the tree never shrinks). A proof or root for
	// a size at or under it needs no read of the tail: a thousand sync
	// packages ask for the same checkpoint's size three times each.
	sizeSeen atomic.Uint64
}

// New returns the log kept in pool's database. store is the event store to
// sequence; it may be nil for a Log that only serves roots and proofs. A
// sequencing batch holds one connection of pool (its transaction and lock)
// while it reads from store, so a store on the same pool needs the pool to
// have a second connection free.
func New(pool *pgxpool.Pool, store eventstore.Store, opts Options) *Log {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	l := &Log{pool: pool, store: store, opts: opts}
	if opts.NodeCache > 0 {
		l.cache, _ = lru.New[compact.NodeID, []byte](opts.NodeCache) // errs only on a size ≤ 0
	}
	return l
}

// nodes is nodeHashes for proofs and roots, through the node cache when
// there is one: only the nodes it does not hold are read, in one batch.
// The sequencer does not use it: it reads inside its own transaction.
func (l *Log) nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	if l.cache == nil {
		return nodeHashes(ctx, l.pool, ids)
	}
	out := make([][]byte, len(ids))
	var missing []compact.NodeID
	var at []int
	for i, id := range ids {
		if h, ok := l.cache.Get(id); ok {
			out[i] = h
			continue
		}
		missing = append(missing, id)
		at = append(at, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	read, err := nodeHashes(ctx, l.pool, missing)
	if err != nil {
		return nil, err
	}
	for j, h := range read {
		// The callers' Rehash works in place on the slice of hashes, never
		// on a hash's bytes, so the cache and they may share them.
		l.cache.Add(missing[j], h)
		out[at[j]] = h
	}
	return out, nil
}

// querier is what reads need: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// SequenceOnce appends a leaf for every event the store's ReadAll returns
// after the last sequenced one, batch by batch, until it is caught up. It
// returns how many leaves it added (also when it fails part way: the batches
// before the failure are committed).
func (l *Log) SequenceOnce(ctx context.Context) (int, error) {
	if l.store == nil {
		return 0, errors.New("treelog: SequenceOnce on a Log without a store")
	}
	total := 0
	for {
		n, err := l.sequenceBatchRetrying(ctx)
		total += n
		if err != nil || n < l.opts.BatchSize {
			return total, err
		}
	}
}

// sequenceBatchRetrying retries a batch that lost a race with a writer that
// did not take the advisory lock (a unique violation): the retry re-reads the
// committed tail, so it neither skips nor repeats an event.
func (l *Log) sequenceBatchRetrying(ctx context.Context) (int, error) {
	return backoff.Retry(ctx, func() (int, error) {
		n, _, err := l.sequenceBatch(ctx)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation) {
			return n, backoff.Permanent(err)
		}
		return n, err
	}, backoff.WithBackOff(&backoff.ZeroBackOff{}), backoff.WithMaxTries(4), backoff.WithMaxElapsedTime(0))
}

// tail is the committed end of the tree: its size and the position of its
// last event (Start when empty).
type tail struct {
	size uint64
	last eventstore.Position
}

func readTail(ctx context.Context, q querier) (tail, error) {
	var (
		idx int64
		pos string
	)
	err := q.QueryRow(ctx, `SELECT leaf_index, position FROM merkle_leaves ORDER BY leaf_index DESC LIMIT 1`).Scan(&idx, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return tail{last: eventstore.Start}, nil
	}
	if err != nil {
		return tail{}, fmt.Errorf("treelog: reading the tree's tail: %w", err)
	}
	p, err := eventstore.ParsePosition(pos)
	if err != nil {
		return tail{}, fmt.Errorf("treelog: leaf %d: %w", idx, err)
	}
	return tail{size: uint64(idx) + 1, last: p}, nil
}

// sequenceBatch adds one batch of leaves in one transaction and reports the
// tail it ended at.
func (l *Log) sequenceBatch(ctx context.Context) (_ int, _ tail, err error) {
	defer func() {
		if err != nil {
			// A batch that failed may have failed in its COMMIT, whose
			// outcome the client cannot know when the connection died
			// there: the next batch rebuilds the edge from what the
			// database holds rather than trust any in-memory state.
			l.forgetEdge()
		}
	}()
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return 0, tail{}, fmt.Errorf("treelog: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// Scoped to the schema so that tests, each in its own schema, and
	// several ledgers in one database do not wait on each other. The lock
	// is held without an xid until the INSERTs, so it does not hold back the
	// store's snapshot-xmin high-water mark while ReadAll runs.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('hoso.treelog:' || current_schema(), 0))`); err != nil {
		return 0, tail{}, fmt.Errorf("treelog: taking the sequencer lock: %w", err)
	}
	t, err := readTail(ctx, tx)
	if err != nil {
		return 0, tail{}, err
	}
	events, err := l.store.ReadAll(ctx, t.last, l.opts.BatchSize)
	if err != nil {
		return 0, t, fmt.Errorf("treelog: reading the store after %s: %w", t.last, err)
	}
	if len(events) == 0 {
		return 0, t, nil
	}

	edge, err := l.edgeAt(ctx, tx, t.size)
	if err != nil {
		return 0, t, err
	}
	leaves := make([][]any, len(events))
	var nodes [][]any
	visit := func(id compact.NodeID, h []byte) {
		if id.Level > 0 && id.Level%NodeStride == 0 {
			nodes = append(nodes, []any{int16(id.Level), int64(id.Index), h})
		}
	}
	prev := t.last
	for i, e := range events {
		if !e.Position.After(prev) {
			return 0, t, fmt.Errorf("treelog: store returned %s after %s: positions must increase", e.Position, prev)
		}
		prev = e.Position
		lh := e.LeafHash()
		leaves[i] = []any{
			int64(t.size) + int64(i),
			pgtype.UUID{Bytes: e.ID, Valid: true},
			e.Position.String(),
			e.StreamID,
			int64(e.Version),
			lh[:],
		}
		if err := edge.Append(lh[:], visit); err != nil {
			return 0, t, fmt.Errorf("treelog: %w", err)
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"merkle_leaves"},
		[]string{"leaf_index", "event_id", "position", "stream_id", "stream_version", "leaf_hash"},
		pgx.CopyFromRows(leaves)); err != nil {
		return 0, t, fmt.Errorf("treelog: inserting %d leaves at %d: %w", len(leaves), t.size, err)
	}
	if len(nodes) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"merkle_nodes"},
			[]string{"level", "node_index", "hash"}, pgx.CopyFromRows(nodes)); err != nil {
			return 0, t, fmt.Errorf("treelog: inserting nodes: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, t, fmt.Errorf("treelog: committing leaves at %d: %w", t.size, err)
	}
	// Only now is edge known to be what the database holds. Nothing appends
	// to it once cached: edgeAt hands out copies.
	l.mu.Lock()
	l.edge = edge
	l.mu.Unlock()
	return len(events), tail{size: t.size + uint64(len(events)), last: prev}, nil
}

// edgeAt returns a private copy of the compact range [0, size): the cached
// one when this process wrote the tree up to size, else rebuilt from the
// stored nodes (after a restart, or when another sequencer moved on).
func (l *Log) edgeAt(ctx context.Context, q querier, size uint64) (*compact.Range, error) {
	l.mu.Lock()
	cached := l.edge
	l.mu.Unlock()
	if cached != nil && cached.End() == size {
		// A copy of the hashes slice, not the slice itself: Append writes
		// merged hashes into its backing array in place, so a range sharing
		// it would rewrite the cached edge's hashes — harmless only if the
		// batch commits. A failed batch would leave the cache claiming size
		// leaves with some of the failed batch's hashes in it, and every
		// node the next batches stored from it would be wrong, for good
		// (merkle_nodes refuses updates). The []byte hashes themselves are
		// never modified, only replaced, so they may be shared.
		return factory.NewRange(0, size, slices.Clone(cached.Hashes()))
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := nodeHashes(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	return factory.NewRange(0, size, hashes)
}

// forgetEdge drops the cached edge, so that the next batch rebuilds it from
// the stored nodes.
func (l *Log) forgetEdge() {
	l.mu.Lock()
	l.edge = nil
	l.mu.Unlock()
}

// Run sequences until ctx is done, then returns nil. Between rounds it waits
// for the store's subscription to report an event past the tree's tail, or
// PollInterval, whichever comes first. Errors are logged and retried with
// back-off: a sequencer outage only delays proofs, it loses nothing.
func (l *Log) Run(ctx context.Context) error {
	if l.store == nil {
		return errors.New("treelog: Run on a Log without a store")
	}
	failed := &backoff.ExponentialBackOff{InitialInterval: l.opts.PollInterval, Multiplier: 2, MaxInterval: time.Minute}
	failed.Reset()
	for {
		_, err := l.SequenceOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			l.opts.Log.Warn("treelog: sequencing failed", "err", err)
			if !sleep(ctx, failed.NextBackOff()) {
				return nil
			}
			continue
		}
		failed.Reset()
		t, err := readTail(ctx, l.pool)
		if err != nil {
			continue
		}
		l.waitPast(ctx, t.last)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// waitPast returns when the store has an event after pos, or after
// PollInterval.
func (l *Log) waitPast(ctx context.Context, pos eventstore.Position) {
	wctx, cancel := context.WithTimeout(ctx, l.opts.PollInterval)
	defer cancel()
	for range l.store.Subscribe(wctx, pos) {
		return
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Size is the number of leaves in the tree.
func (l *Log) Size(ctx context.Context) (uint64, error) {
	t, err := readTail(ctx, l.pool)
	return t.size, err
}

// LeafIndex returns the leaf index of an event; ErrNotFound when the event is
// not in the tree (unknown, or not sequenced yet).
func (l *Log) LeafIndex(ctx context.Context, eventID uuid.UUID) (uint64, error) {
	var idx int64
	err := l.pool.QueryRow(ctx, `SELECT leaf_index FROM merkle_leaves WHERE event_id = $1`,
		pgtype.UUID{Bytes: eventID, Valid: true}).Scan(&idx)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: event %s", ErrNotFound, eventID)
	}
	if err != nil {
		return 0, fmt.Errorf("treelog: %w", err)
	}
	return uint64(idx), nil
}

// raiseSizeSeen records size as seen unless a larger one was: concurrent
// proofs read sizes in any order, and sizeSeen must never go down.
func (l *Log) raiseSizeSeen(size uint64) {
	for {
		seen := l.sizeSeen.Load()
		if size <= seen || l.sizeSeen.CompareAndSwap(seen, size) {
			return
		}
	}
}

// checkSize returns ErrRange unless size ≤ the tree's current size.
func (l *Log) checkSize(ctx context.Context, size uint64) error {
	if l.cache != nil && size <= l.sizeSeen.Load() {
		return nil
	}
	cur, err := l.Size(ctx)
	if err != nil {
		return err
	}
	if l.cache != nil {
		l.raiseSizeSeen(cur)
	}
	if size > cur {
		return fmt.Errorf("%w: size %d, the tree has %d leaves", ErrRange, size, cur)
	}
	return nil
}

// Root returns the RFC 6962 root of the tree's first size leaves (the hash of
// the empty string for size 0); ErrRange when the tree is smaller.
func (l *Log) Root(ctx context.Context, size uint64) (eventstore.Hash, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return eventstore.Hash{}, err
	}
	if size == 0 {
		return toHash(hasher.EmptyRoot()), nil
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := l.nodes(ctx, ids)
	if err != nil {
		return eventstore.Hash{}, err
	}
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return eventstore.Hash{}, fmt.Errorf("treelog: %w", err)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return eventstore.Hash{}, fmt.Errorf("treelog: %w", err)
	}
	return toHash(root), nil
}

// InclusionProof returns the RFC 6962 audit path of leaf index in the tree of
// the given size; ErrRange unless index < size ≤ the tree's size.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([]eventstore.Hash, error) {
	if index >= size {
		return nil, fmt.Errorf("%w: leaf %d in a tree of size %d", ErrRange, index, size)
	}
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRange, err)
	}
	return l.rehash(ctx, nodes)
}

// InclusionProofs is InclusionProof for many leaves of the tree of the
// given size at once: every node the paths need is read once, so the paths
// of a month's thousands of events (a sync package, an audit bundle) cost a
// few batched round trips instead of a few per event, and a node below the
// stored levels is rebuilt from its leaves once, not once per path.
func (l *Log) InclusionProofs(ctx context.Context, indexes []uint64, size uint64) ([][]eventstore.Hash, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	plans := make([]proof.Nodes, len(indexes))
	at := map[compact.NodeID]int{}
	var unique []compact.NodeID
	for i, index := range indexes {
		if index >= size {
			return nil, fmt.Errorf("%w: leaf %d in a tree of size %d", ErrRange, index, size)
		}
		n, err := proof.Inclusion(index, size)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRange, err)
		}
		plans[i] = n
		for _, id := range n.IDs {
			if _, ok := at[id]; !ok {
				at[id] = len(unique)
				unique = append(unique, id)
			}
		}
	}
	hashes := make([][]byte, 0, len(unique))
	for from := 0; from < len(unique); from += 1000 {
		hs, err := l.nodes(ctx, unique[from:min(from+1000, len(unique))])
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, hs...)
	}
	out := make([][]eventstore.Hash, len(indexes))
	for i, n := range plans {
		h := make([][]byte, len(n.IDs)) // Rehash works in place
		for j, id := range n.IDs {
			h[j] = hashes[at[id]]
		}
		p, err := n.Rehash(h, hasher.HashChildren)
		if err != nil {
			return nil, fmt.Errorf("treelog: %w", err)
		}
		out[i] = make([]eventstore.Hash, len(p))
		for j, x := range p {
			out[i][j] = toHash(x)
		}
	}
	return out, nil
}

// ConsistencyProof returns the RFC 6962 proof that the tree of size n extends
// the tree of size m; ErrRange unless m ≤ n ≤ the tree's size. It is empty
// when m is 0 or m equals n.
func (l *Log) ConsistencyProof(ctx context.Context, m, n uint64) ([]eventstore.Hash, error) {
	if m > n {
		return nil, fmt.Errorf("%w: sizes %d > %d", ErrRange, m, n)
	}
	if err := l.checkSize(ctx, n); err != nil {
		return nil, err
	}
	nodes, err := proof.Consistency(m, n)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRange, err)
	}
	return l.rehash(ctx, nodes)
}

func (l *Log) rehash(ctx context.Context, nodes proof.Nodes) ([]eventstore.Hash, error) {
	hashes, err := l.nodes(ctx, nodes.IDs)
	if err != nil {
		return nil, err
	}
	p, err := nodes.Rehash(hashes, hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("treelog: %w", err)
	}
	out := make([]eventstore.Hash, len(p))
	for i, h := range p {
		out[i] = toHash(h)
	}
	return out, nil
}

// VerifyInclusion checks an inclusion proof from InclusionProof: that the leaf
// with leafHash (an event's LeafHash) is at index in the tree of size whose
// root is root.
func VerifyInclusion(leafHash eventstore.Hash, index, size uint64, path []eventstore.Hash, root eventstore.Hash) error {
	return proof.VerifyInclusion(hasher, index, size, leafHash[:], toBytes(path), root[:])
}

// VerifyConsistency checks a consistency proof from ConsistencyProof: that
// the tree of size n with root rootN extends the tree of size m with rootM.
func VerifyConsistency(m, n uint64, path []eventstore.Hash, rootM, rootN eventstore.Hash) error {
	return proof.VerifyConsistency(hasher, m, n, toBytes(path), rootM[:], rootN[:])
}

// NewTree returns an empty in-memory tree builder, for callers (verify, tests)
// that recompute a root from leaf hashes: Append each leaf hash in order, then
// take GetRootHash.
func NewTree() *compact.Range { return factory.NewEmptyRange(0) }

// EmptyRoot is the root of the empty tree: SHA-256 of the empty string.
func EmptyRoot() eventstore.Hash { return toHash(hasher.EmptyRoot()) }

// ReadLeaves returns up to limit leaves with index ≥ from, in index order.
func (l *Log) ReadLeaves(ctx context.Context, from uint64, limit int) ([]Leaf, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT leaf_index, event_id, position, stream_id, stream_version, leaf_hash
		FROM merkle_leaves WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2`, int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("treelog: reading leaves: %w", err)
	}
	out := make([]Leaf, 0, min(limit, 4096))
	var (
		idx, ver int64
		id       pgtype.UUID
		pos      string
		stream   string
		hash     []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&idx, &id, &pos, &stream, &ver, &hash}, func() error {
		p, err := eventstore.ParsePosition(pos)
		if err != nil {
			return fmt.Errorf("leaf %d: %w", idx, err)
		}
		if len(hash) != len(eventstore.Hash{}) {
			return fmt.Errorf("leaf %d: hash of %d bytes", idx, len(hash))
		}
		out = append(out, Leaf{Index: uint64(idx), EventID: id.Bytes, Position: p, StreamID: stream, Version: uint64(ver), Hash: toHash(hash)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("treelog: reading leaves: %w", err)
	}
	return out, nil
}

// ReadNodes returns up to limit stored interior nodes of one level with
// index ≥ from, in index order.
func (l *Log) ReadNodes(ctx context.Context, level uint, from uint64, limit int) ([]Node, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT node_index, hash FROM merkle_nodes
		WHERE level = $1 AND node_index >= $2 ORDER BY node_index LIMIT $3`, int16(level), int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("treelog: reading nodes: %w", err)
	}
	var (
		out  []Node
		idx  int64
		hash []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&idx, &hash}, func() error {
		if len(hash) != len(eventstore.Hash{}) {
			return fmt.Errorf("node %d/%d: hash of %d bytes", level, idx, len(hash))
		}
		out = append(out, Node{Level: level, Index: uint64(idx), Hash: toHash(hash)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("treelog: reading nodes: %w", err)
	}
	return out, nil
}

// nodeHashes returns the hashes of complete nodes in one statement. A node
// at a stored level (0 for leaves, multiples of NodeStride) is one row; any
// other is rebuilt with a compact range from the rows of the stored level
// just below it. The ranges travel as arrays and are joined in one
// statement, not queued as one statement each: a proof's handful of small
// index ranges cost PostgreSQL one executor start, not one per node.
func nodeHashes(ctx context.Context, q querier, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	levels := make([]int16, len(ids))
	firsts := make([]int64, len(ids))
	ends := make([]int64, len(ids))
	for i, id := range ids {
		base := id.Level - id.Level%NodeStride
		levels[i] = int16(base)
		firsts[i] = int64(id.Index << (id.Level - base))
		ends[i] = int64((id.Index + 1) << (id.Level - base))
	}
	rows, err := q.Query(ctx, `
		SELECT r.i, l.leaf_index, l.leaf_hash
		FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(level, first, stop, i)
		JOIN merkle_leaves l ON l.leaf_index >= r.first AND l.leaf_index < r.stop
		WHERE r.level = 0
		UNION ALL
		SELECT r.i, n.node_index, n.hash
		FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(level, first, stop, i)
		JOIN merkle_nodes n ON n.level = r.level AND n.node_index >= r.first AND n.node_index < r.stop
		WHERE r.level > 0
		ORDER BY 1, 2`, levels, firsts, ends)
	if err != nil {
		return nil, fmt.Errorf("treelog: reading %d nodes: %w", len(ids), err)
	}
	found := make([][][]byte, len(ids))
	var (
		ord, idx int64
		hash     []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&ord, &idx, &hash}, func() error {
		if ord < 1 || ord > int64(len(ids)) {
			return fmt.Errorf("row for node %d of %d", ord, len(ids))
		}
		found[ord-1] = append(found[ord-1], hash)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("treelog: reading %d nodes: %w", len(ids), err)
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := combine(id, found[i])
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// combine builds node id from the hashes of its descendants at the stored
// level below it.
func combine(id compact.NodeID, hashes [][]byte) ([]byte, error) {
	base := id.Level - id.Level%NodeStride
	want := uint64(1) << (id.Level - base)
	if uint64(len(hashes)) != want {
		return nil, fmt.Errorf("treelog: node %d/%d: found %d of its %d stored descendants at level %d: the tree tables are incomplete", id.Level, id.Index, len(hashes), want, base)
	}
	if len(hashes) == 1 {
		return hashes[0], nil
	}
	begin, _ := id.Coverage()
	r := factory.NewEmptyRange(begin)
	for j, h := range hashes {
		if base == 0 {
			if err := r.Append(h, nil); err != nil {
				return nil, fmt.Errorf("treelog: %w", err)
			}
			continue
		}
		lo := begin + uint64(j)<<base
		sub, err := factory.NewRange(lo, lo+1<<base, [][]byte{h})
		if err != nil {
			return nil, fmt.Errorf("treelog: %w", err)
		}
		if err := r.AppendRange(sub, nil); err != nil {
			return nil, fmt.Errorf("treelog: %w", err)
		}
	}
	if hs := r.Hashes(); len(hs) == 1 {
		return hs[0], nil
	}
	return nil, fmt.Errorf("treelog: node %d/%d did not fold into one hash", id.Level, id.Index)
}

func toHash(b []byte) eventstore.Hash {
	var h eventstore.Hash
	copy(h[:], b)
	return h
}

func toBytes(hs []eventstore.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
