package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Options tunes a Store. The zero value is usable.
type Options struct {
	// Clock stamps RecordedAt when the caller leaves it zero; time.Now when nil.
	Clock func() time.Time
	// PollInterval bounds how long a caught-up subscription waits without a
	// notification before reading again. Default 500ms.
	PollInterval time.Duration
	// BatchSize is how many events a subscription reads per query while it
	// catches up. Default 500.
	BatchSize int
	// HeadCacheSize bounds how many streams' last version and hash the store
	// remembers, saving the read before an append. Default 4096; negative
	// disables the cache.
	HeadCacheSize int
}

// Store is an eventstore.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	now   func() time.Time
	poll  time.Duration
	batch int
	heads headCache
	notes notifier

	// Test hooks, set only by export_test.go. naive makes ReadAll trust seq
	// alone (the classic gap bug); beforeCommit, when set, runs appends in an
	// explicit transaction and is called after the INSERT, before COMMIT.
	naive        bool
	beforeCommit func()

	// announce's state: a notifier goroutine is running; another round is due.
	announcing, announceAgain atomic.Bool
}

var _ eventstore.Store = (*Store)(nil)

// New returns a Store on pool, whose connections must see the events table
// of package migrations (through their search_path).
func New(pool *pgxpool.Pool, opts Options) *Store {
	s := &Store{pool: pool, now: opts.Clock, poll: opts.PollInterval, batch: opts.BatchSize}
	if s.now == nil {
		s.now = time.Now
	}
	if s.poll <= 0 {
		s.poll = 500 * time.Millisecond
	}
	if s.batch <= 0 {
		s.batch = 500
	}
	size := opts.HeadCacheSize
	if size == 0 {
		size = 4096
	}
	s.heads.max = size
	s.notes.pool = pool
	return s
}

// columns is the select list every decoder expects, in this order.
const columns = `transaction_id, seq, event_id, stream_id, stream_version, type, data, metadata, prev_hash, hash`

const (
	insertOne = `INSERT INTO events (event_id, stream_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING transaction_id, seq`

	// Rows come out of unnest in array order, so seq increases with the
	// stream version within one append.
	insertMany = `INSERT INTO events (event_id, stream_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash)
SELECT u.event_id, $1, u.stream_version, u.type, u.data, u.metadata, u.recorded_at, u.effective_date, u.prev_hash, u.hash
FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::timestamptz[], $8::date[], $9::bytea[], $10::bytea[])
     AS u(event_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash)
RETURNING transaction_id, seq`

	selectHead = `SELECT stream_version, hash FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`

	selectByIDs = `SELECT ` + columns + ` FROM events WHERE event_id = ANY($1::uuid[])`

	// pg_current_snapshot() is the statement's own snapshot, so every row
	// below its xmin is visible to this very statement.
	selectAll = `SELECT ` + columns + ` FROM events
WHERE (transaction_id, seq) > ($1::xid8, $2::bigint)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id, seq
LIMIT $3`

	// selectPending tells a caught-up subscription that committed events wait
	// behind another transaction, so it should look again soon rather than
	// wait for a notification that the blocking transaction may never send.
	// "After from" is split into a later transaction, or from's own with a
	// later seq, so that each half bounds the index scan by plain scalar
	// comparisons, which the btree narrows at run time to the tighter of
	// from and the snapshot's xmin. Each half asks for its first row in
	// index order (ORDER BY … LIMIT 1, in a scalar subquery, which keeps
	// them, where EXISTS drops them): under EXISTS the planner of a generic
	// plan, expecting a third of the log to match, chose a sequential scan
	// that stops at the first match, and there is none (90 ms a call at
	// 100,000 events). Written as (transaction_id, seq) > ($1, $2) AND
	// transaction_id >= xmin, the scan started at from and walked every
	// event below xmin: all of the log for a projection far behind (25 –
	// 70 ms a call, and CaughtUp asks it while a projection catches up).
	selectPending = `SELECT (SELECT true FROM events
        WHERE transaction_id > $1::xid8 AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY transaction_id LIMIT 1) IS NOT NULL
    OR (SELECT true FROM events
        WHERE transaction_id = $1::xid8 AND seq > $2::bigint AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY seq LIMIT 1) IS NOT NULL`

	// selectAllNaive is the bug the store exists to avoid; tests only.
	selectAllNaive = `SELECT ` + columns + ` FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`

	selectStreamForward = `SELECT ` + columns + ` FROM events
WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`
	selectStreamBackward = `SELECT ` + columns + ` FROM events
WHERE stream_id = $1 AND stream_version <= $2 ORDER BY stream_version DESC LIMIT $3`
	selectStreamExists = `SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = $1)`
	selectStreams      = `SELECT ` + columns + ` FROM events
WHERE stream_id = ANY($1) ORDER BY stream_id, stream_version`
)

const uniqueViolation = pgerrcode.UniqueViolation

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	prepared, err := eventstore.Prepare(stream, events, s.now())
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	// lost is set once an INSERT has hit a unique key: from then on only a
	// fresh read of the head will do.
	for lost := false; ; lost = true {
		// A known head saves a round trip: a new stream's (NoStream) or one
		// remembered. A remembered head can only be stale by being behind
		// (the log only grows), and then the INSERT hits the unique key.
		h, ok := head{}, !lost && expected.IsNoStream()
		if !ok && !lost {
			h, ok = s.heads.get(stream)
		}
		if !ok || !expected.Matches(h.version) {
			if h, err = s.readHead(ctx, stream); err != nil {
				return eventstore.AppendResult{}, err
			}
		}
		if !expected.Matches(h.version) {
			if res, done, err := s.retried(ctx, stream, prepared); done || err != nil {
				return res, err
			}
			return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: h.version}
		}
		chained := eventstore.Chain(stream, h.version, h.hash, prepared)
		pos, err := s.insert(ctx, stream, chained)
		if err == nil {
			s.announce()
			last := chained[len(chained)-1]
			s.heads.put(stream, head{last.Version, last.Hash})
			return eventstore.AppendResult{FirstVersion: h.version + 1, LastVersion: last.Version, Position: pos}, nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
			return eventstore.AppendResult{}, fmt.Errorf("eventstore/postgres: appending to %s: %w", stream, err)
		}
		// Either these ids are stored (a retry, or a reuse), or another
		// writer took the version: look, then go round with a fresh head,
		// which reports the conflict unless expected is Any.
		if res, done, err := s.retried(ctx, stream, prepared); done || err != nil {
			return res, err
		}
		s.heads.forget(stream)
		if err := ctx.Err(); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
}

// notifySQL wakes the subscriptions of every other listener on this
// schema: other processes, or other Stores in this one. $1 is the backend
// of this Store's own listener (0 when it has none), whose subscriptions
// announce wakes directly. The channel is named after the events table's
// oid so that several schemas in one database (tests) do not wake each
// other's readers.
//
// Listeners register by holding a shared advisory lock (listenerLock) on
// their LISTEN connection, so the statement notifies only when one exists:
// with nobody else listening (a single process, a benchmark) it is a
// read-only statement, with no transaction id, commit record or WAL flush,
// where an unconditional NOTIFY would cost all three on every append. It is
// exact, not a cached guess: a listener that registers after the lock table
// was read reads the log after registering, and so after the events this
// statement announces had committed.
//
// The NOTIFY commits asynchronously (synchronous_commit off for its own
// transaction only): it changes no data, and a crash that loses it loses a
// wake-up, which polling covers. A durable commit would wait for a WAL flush
// while holding PostgreSQL's global notify lock, serializing every process's
// notifications behind the disk.
const notifySQL = `SELECT set_config('synchronous_commit', 'off', true), pg_notify('hoso_events_' || 'events'::regclass::oid::text, '')
FROM pg_locks
WHERE locktype = 'advisory' AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = hashtext('hoso.events.listeners')::oid
  AND objid = hashtext('events'::regclass::oid::text)::oid AND objsubid = 2
  AND pid <> $1
LIMIT 1`

// listenerLock registers a LISTEN connection for notifySQL; the lock lasts
// as long as the session, so a listener that dies unregisters with it.
const listenerLock = `SELECT pg_advisory_lock_shared(hashtext('hoso.events.listeners'), hashtext('events'::regclass::oid::text)),
       'hoso_events_' || 'events'::regclass::oid::text, pg_backend_pid()`

// announce tells subscribers that events committed: this process's at once,
// other processes' through NOTIFY. The NOTIFY is sent after the append has
// committed, from a separate statement, because PostgreSQL serializes the
// commits of transactions that NOTIFY (measured here: 16 writers went from
// about 2,500 to under 300 appends/s). Bursts are coalesced: one NOTIFY in
// flight at a time, at most one per notifyInterval. A NOTIFY that fails or is
// lost (a crash right after commit) only delays other processes' subscribers
// until they poll.
func (s *Store) announce() {
	s.notes.broadcast()
	s.announceAgain.Store(true)
	if !s.announcing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		for {
			for s.announceAgain.Swap(false) {
				// Under sustained appends, one NOTIFY per interval is enough
				// and leaves the server's time to the appends. With nobody
				// else listening the next look can wait longer: a listener
				// that registers meanwhile has read the log once already,
				// and hears of the events after that at most idleNotifyInterval
				// late.
				wait := idleNotifyInterval
				if notified, err := s.notifyOthers(); notified || err != nil { // best effort: see above
					wait = notifyInterval
				}
				time.Sleep(wait)
			}
			s.announcing.Store(false)
			// An append may have asked between the last Swap and Store.
			if !s.announceAgain.Load() || !s.announcing.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// notifyOthers runs notifySQL once and reports whether it notified, that
// is, whether another listener was registered.
func (s *Store) notifyOthers() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tag, err := s.pool.Exec(ctx, notifySQL, int32(s.notes.pid.Load()))
	return tag.RowsAffected() > 0, err
}

// notifyInterval spaces NOTIFYs under sustained load; it is the most it adds
// to another process's delivery latency. idleNotifyInterval spaces the
// looks for a listener while none is registered: the most a new listener's
// first wake-up can be late.
const (
	notifyInterval     = 2 * time.Millisecond
	idleNotifyInterval = 50 * time.Millisecond
)

type head struct {
	version uint64
	hash    eventstore.Hash
}

func (s *Store) readHead(ctx context.Context, stream string) (head, error) {
	var h head
	var version int64
	var hash []byte
	err := s.pool.QueryRow(ctx, selectHead, stream).Scan(&version, &hash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return h, nil
	case err != nil:
		return h, fmt.Errorf("eventstore/postgres: reading head of %s: %w", stream, err)
	case len(hash) != len(h.hash):
		return h, fmt.Errorf("eventstore/postgres: stream %s@%d: stored hash has %d bytes", stream, version, len(hash))
	}
	h.version = uint64(version)
	copy(h.hash[:], hash)
	s.heads.put(stream, h)
	return h, nil
}

// insert writes chained events in one statement and returns the position of
// the last. The statement is its own transaction unless a test hook asks for
// an explicit one.
func (s *Store) insert(ctx context.Context, stream string, chained []eventstore.Event) (eventstore.Position, error) {
	sql, args, err := insertArgs(stream, chained)
	if err != nil {
		return eventstore.Position{}, err
	}
	if s.beforeCommit == nil {
		return scanPositions(s.pool.Query(ctx, sql, args...))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return eventstore.Position{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	pos, err := scanPositions(tx.Query(ctx, sql, args...))
	if err != nil {
		return pos, err
	}
	s.beforeCommit()
	return pos, tx.Commit(ctx)
}

func insertArgs(stream string, es []eventstore.Event) (string, []any, error) {
	if len(es) == 1 {
		e := &es[0]
		day, err := effectiveDay(e)
		if err != nil {
			return "", nil, err
		}
		return insertOne, []any{[16]byte(e.ID), stream, int64(e.Version), e.Type, []byte(e.Data), []byte(e.RawMetadata),
			e.Meta.RecordedAt, day, e.PrevHash[:], e.Hash[:]}, nil
	}
	var (
		ids      = make([][16]byte, len(es))
		versions = make([]int64, len(es))
		types    = make([]string, len(es))
		data     = make([][]byte, len(es))
		meta     = make([][]byte, len(es))
		recorded = make([]time.Time, len(es))
		days     = make([]time.Time, len(es))
		prev     = make([][]byte, len(es))
		hashes   = make([][]byte, len(es))
	)
	for i := range es {
		e := &es[i]
		day, err := effectiveDay(e)
		if err != nil {
			return "", nil, err
		}
		ids[i], versions[i], types[i] = e.ID, int64(e.Version), e.Type
		data[i], meta[i] = e.Data, e.RawMetadata
		recorded[i], days[i] = e.Meta.RecordedAt, day
		prev[i], hashes[i] = e.PrevHash[:], e.Hash[:]
	}
	return insertMany, []any{stream, ids, versions, types, data, meta, recorded, days, prev, hashes}, nil
}

// effectiveDay is the effective_date column: midnight UTC of the calendar
// date, which pgx sends as that date. Prepare has validated the format.
func effectiveDay(e *eventstore.Event) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, e.Meta.EffectiveDate)
	if err != nil {
		return d, &eventstore.ValidationError{Index: -1, Field: "metadata.effective_date", Rule: "format", Msg: err.Error()}
	}
	return d, nil
}

// scanPositions reads the RETURNING rows of an insert: the highest is the
// position of the append's last event.
func scanPositions(rows pgx.Rows, err error) (eventstore.Position, error) {
	var last eventstore.Position
	if err != nil {
		return last, err
	}
	defer rows.Close()
	for rows.Next() {
		var xid uint64
		var seq int64
		if err := rows.Scan(&xid, &seq); err != nil {
			return last, err
		}
		if p := eventstore.NewPosition(xid, uint64(seq)); p.After(last) {
			last = p
		}
	}
	return last, rows.Err()
}

// retried recognizes a retry of a stored append: every id stored, in this
// stream, consecutively, with the same content. done reports that the append
// is already stored and res is its original result.
func (s *Store) retried(ctx context.Context, stream string, ps []eventstore.Prepared) (res eventstore.AppendResult, done bool, err error) {
	ids := make([][16]byte, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	stored, err := s.query(ctx, len(ids), selectByIDs, ids)
	if err != nil {
		return res, false, fmt.Errorf("eventstore/postgres: looking up event ids: %w", err)
	}
	if len(stored) == 0 {
		return res, false, nil
	}
	byID := make(map[uuid.UUID]*eventstore.Event, len(stored))
	for i := range stored {
		byID[stored[i].ID] = &stored[i]
	}
	found := 0
	for _, p := range ps {
		e, ok := byID[p.ID]
		if !ok {
			continue
		}
		found++
		if e.StreamID != stream || !p.SameContent(*e) || (found > 1 && e.Version != res.LastVersion+1) {
			return eventstore.AppendResult{}, false, &eventstore.IDReusedError{EventID: p.ID.String(), Stream: e.StreamID, Version: e.Version}
		}
		if found == 1 {
			res.FirstVersion = e.Version
		}
		res.LastVersion = e.Version
		res.Position = e.Position
	}
	if found != len(ps) {
		return eventstore.AppendResult{}, false, fmt.Errorf("%w: %d of %d event ids are already stored: a retry must resend the same batch", eventstore.ErrIDReused, found, len(ps))
	}
	return res, true, nil
}

// ReadStream implements eventstore.Store. It sees every committed event of
// the stream (read-your-writes), not only the global log's stable prefix.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	if err := eventstore.ValidateStreamID(stream); err != nil {
		return nil, err
	}
	var limit *int64
	if opts.Limit > 0 {
		l := int64(opts.Limit)
		limit = &l
	}
	var (
		events []eventstore.Event
		err    error
	)
	if opts.Direction == eventstore.Backward {
		from := int64(math.MaxInt64)
		if opts.From > 0 && opts.From < math.MaxInt64 {
			from = int64(opts.From)
		}
		events, err = s.query(ctx, opts.Limit, selectStreamBackward, stream, from, limit)
		if err == nil && len(events) > 0 && opts.From == 0 {
			s.heads.put(stream, head{events[0].Version, events[0].Hash})
		}
	} else {
		from := int64(1)
		if opts.From > 0 {
			from = int64(min(opts.From, math.MaxInt64))
		}
		// A read from past version 1 also fetches the event just before,
		// as a witness that the stream exists: a cache asking "anything
		// after my version?" then gets its usual empty answer in one round
		// trip instead of two (the range, then an existence check).
		witness := from > 1
		qfrom, qlimit := from, limit
		if witness {
			qfrom--
			if limit != nil {
				l := *limit + 1
				qlimit = &l
			}
		}
		events, err = s.query(ctx, opts.Limit+1, selectStreamForward, stream, qfrom, qlimit)
		if err == nil && witness && len(events) > 0 && events[0].Version == uint64(qfrom) {
			w := events[0]
			events = events[1:]
			if len(events) == 0 {
				s.heads.put(stream, head{w.Version, w.Hash})
				return nil, nil
			}
		}
		if err == nil && len(events) > 0 && (opts.Limit == 0 || len(events) < opts.Limit) {
			last := events[len(events)-1]
			s.heads.put(stream, head{last.Version, last.Hash})
		}
		if err == nil && len(events) == 0 && !witness {
			return nil, fmt.Errorf("%w: %s", eventstore.ErrNotFound, stream) // every stream has a version 1
		}
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: reading %s: %w", stream, err)
	}
	if len(events) > 0 {
		return events, nil
	}
	// Nothing in range: a missing stream is ErrNotFound, a range past the
	// end of an existing one is simply empty.
	var exists bool
	if err := s.pool.QueryRow(ctx, selectStreamExists, stream).Scan(&exists); err != nil {
		return nil, fmt.Errorf("eventstore/postgres: reading %s: %w", stream, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: %s", eventstore.ErrNotFound, stream)
	}
	return nil, nil
}

// readStreamsChunk bounds the stream ids one query of ReadStreams names,
// and readStreamsParallel how many such queries run at once: a month-end
// manifest's 5,000 dossiers are a few queries, answered and decoded side
// by side, each answer a few megabytes.
const (
	readStreamsChunk    = 1000
	readStreamsParallel = 4
)

// ReadStreams implements eventstore.Store: indexed queries by chunk of
// names (stream_id = ANY), like ReadStream read-your-writes.
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.Event, error) {
	names, err := eventstore.DistinctStreams(streams)
	if err != nil {
		return nil, err
	}
	var (
		mu  sync.Mutex
		out = make(map[string][]eventstore.Event, len(names))
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readStreamsParallel)
	for start := 0; start < len(names); start += readStreamsChunk {
		chunk := names[start:min(start+readStreamsChunk, len(names))]
		g.Go(func() error {
			events, err := s.query(gctx, 2*len(chunk), selectStreams, chunk)
			if err != nil {
				return fmt.Errorf("eventstore/postgres: reading %d streams: %w", len(chunk), err)
			}
			mu.Lock()
			defer mu.Unlock()
			// A stream is in one chunk only, its events in version order.
			for _, e := range events {
				out[e.StreamID] = append(out[e.StreamID], e)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadAll implements eventstore.Store: the stable prefix only, in
// (transaction id, seq) order.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.Event, error) {
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	xid, seq := from.Parts()
	var (
		events []eventstore.Event
		err    error
	)
	if s.naive {
		events, err = s.query(ctx, limit, selectAllNaive, clampInt64(seq), lim)
	} else {
		events, err = s.query(ctx, limit, selectAll, xid, clampInt64(seq), lim)
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: reading the log after %s: %w", from, err)
	}
	return events, nil
}

func clampInt64(v uint64) int64 { return int64(min(v, math.MaxInt64)) }

// pending reports whether committed events after from wait behind a
// transaction that is still running.
func (s *Store) pending(ctx context.Context, from eventstore.Position) (bool, error) {
	if s.naive {
		return false, nil
	}
	xid, seq := from.Parts()
	var p bool
	err := s.pool.QueryRow(ctx, selectPending, xid, clampInt64(seq)).Scan(&p)
	return p, err
}

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		release := s.notes.acquire()
		defer release()
		pos := from
		// Grows while events wait behind another transaction.
		held := min(s.poll, maxPendingBackoff)
		pending := &backoff.ExponentialBackOff{InitialInterval: min(time.Millisecond, held), Multiplier: 2, MaxInterval: held}
		pending.Reset()
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		sleep := func(d time.Duration, wake <-chan struct{}) bool {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				yield(eventstore.Event{}, ctx.Err())
				return false
			case <-wake:
				if !timer.Stop() {
					<-timer.C
				}
			case <-timer.C:
			}
			return true
		}
		for {
			// Take the wake-up channel before reading, so a notification
			// that arrives during the read is not lost.
			wake := s.notes.changed()
			var pend bool
			// Reads are idempotent: retry what may pass, a few times.
			batch, err := backoff.Retry(ctx, func() ([]eventstore.Event, error) {
				// Pending before ReadAll: each takes its own snapshot and
				// the stable prefix only grows. The other way round, an
				// event held back for the read whose blocker ended before
				// the pending check was neither read nor pending, and the
				// subscription slept a whole poll interval with its
				// notification already spent.
				var err error
				pend, err = s.pending(ctx, pos)
				var batch []eventstore.Event
				if err == nil {
					batch, err = s.ReadAll(ctx, pos, s.batch)
				}
				if err != nil && !transient(err) {
					return nil, backoff.Permanent(err)
				}
				return batch, err
			}, backoff.WithBackOff(&linearBackOff{step: 200 * time.Millisecond}), backoff.WithMaxTries(6), backoff.WithMaxElapsedTime(0))
			if err != nil {
				if ctx.Err() != nil {
					yield(eventstore.Event{}, ctx.Err())
					return
				}
				yield(eventstore.Event{}, err)
				return
			}
			for _, e := range batch {
				if !yield(e, nil) {
					return
				}
				pos = e.Position
			}
			if len(batch) == s.batch {
				continue
			}
			wait := s.poll
			if pend {
				wait = pending.NextBackOff()
			} else {
				pending.Reset()
			}
			if !sleep(wait, wake) {
				return
			}
		}
	}
}

// maxPendingBackoff caps the wait of a subscription whose next events are
// committed but held back by a running transaction: the blocker's end sends
// no notification, so this is how soon after it the events arrive.
const maxPendingBackoff = 50 * time.Millisecond

// linearBackOff waits one step longer on every try: 200, 400, 600 ms...
// for a subscription's failed reads, which the exponential backoffs of
// package backoff would space out more.
type linearBackOff struct {
	step, next time.Duration
}

func (b *linearBackOff) Reset() { b.next = 0 }

func (b *linearBackOff) NextBackOff() time.Duration {
	b.next += b.step
	return b.next
}

// transient reports whether a failed read may pass if tried again: lost or
// refused connections, server shutdown, resource exhaustion.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return pgerrcode.IsConnectionException(c) || pgerrcode.IsTransactionRollback(c) ||
			pgerrcode.IsInsufficientResources(c) || pgerrcode.IsOperatorIntervention(c)
	}
	var connectErr *pgconn.ConnectError
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.As(err, &connectErr)
}

// query runs a select of columns and decodes every row; sizeHint (when
// positive) is the expected row count, saving the result's regrowth.
func (s *Store) query(ctx context.Context, sizeHint int, sql string, args ...any) ([]eventstore.Event, error) {
	rows, err := s.pool.Query(ctx, sql, append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out     = make([]eventstore.Event, 0, min(max(sizeHint, 0), 4096))
		strings = make(map[string]string) // stream ids and types repeat
	)
	for rows.Next() {
		e, err := decode(rows.RawValues(), strings)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// decode builds an event from the binary columns of one row. Decoding the
// raw wire values directly avoids pgx's per-value reflection, which is most
// of a naive scan's cost.
func decode(raw [][]byte, interned map[string]string) (eventstore.Event, error) {
	var e eventstore.Event
	if len(raw) != 10 || len(raw[0]) != 8 || len(raw[1]) != 8 || len(raw[2]) != 16 || len(raw[4]) != 8 ||
		len(raw[8]) != len(e.PrevHash) || len(raw[9]) != len(e.Hash) {
		return e, errors.New("eventstore/postgres: unexpected row shape")
	}
	e.Position = eventstore.NewPosition(binary.BigEndian.Uint64(raw[0]), binary.BigEndian.Uint64(raw[1]))
	copy(e.ID[:], raw[2])
	e.StreamID = intern(interned, raw[3])
	e.Version = binary.BigEndian.Uint64(raw[4])
	e.Type = intern(interned, raw[5])
	// One allocation holds both payloads; the full slice expressions keep an
	// append to Data from overwriting the metadata.
	buf := make([]byte, len(raw[6])+len(raw[7]))
	n := copy(buf, raw[6])
	copy(buf[n:], raw[7])
	e.Data = buf[:n:n]
	e.RawMetadata = buf[n:len(buf):len(buf)]
	copy(e.PrevHash[:], raw[8])
	copy(e.Hash[:], raw[9])
	meta, err := decodeMetadata(e.RawMetadata)
	if err != nil {
		return e, fmt.Errorf("event %s: %w", e.ID, err)
	}
	e.Meta = meta
	return e, nil
}

func intern(m map[string]string, b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < 1024 {
		m[s] = s
	}
	return s
}

// headCache remembers the last version and hash of recently used streams.
type headCache struct {
	mu  sync.Mutex
	max int
	m   map[string]head
}

func (c *headCache) get(stream string) (head, bool) {
	if c.max < 0 {
		return head{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[stream]
	return h, ok
}

// put records h unless a later head is known: reads racing with appends may
// report an older head, and the log only grows.
func (c *headCache) put(stream string, h head) {
	if c.max < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]head)
	}
	if old, ok := c.m[stream]; ok {
		if old.version < h.version {
			c.m[stream] = h
		}
		return
	}
	if len(c.m) >= c.max {
		for k := range c.m { // evict an arbitrary entry: cheap, and a miss costs one read
			delete(c.m, k)
			break
		}
	}
	c.m[stream] = h
}

func (c *headCache) forget(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, stream)
}
