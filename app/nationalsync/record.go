package nationalsync

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// A record is one package's write waiting for its group: an attempt
// (sync.sent, with the envelope to keep first when it is a new seal) or
// an answer (sync.acknowledged or sync.rejected, after which the kept
// envelope is dropped).
type record struct {
	stream string
	events []eventstore.EventData
	keep   *keptEnvelope // kept, durably, before events are appended
	drop   uuid.UUID     // the package whose kept envelope goes once events are appended

	err     error
	done    chan struct{} // closed once the group holding the record was written
	promote chan struct{} // closed to make the record's owner write the next group
}

type keptEnvelope struct {
	pkg      uuid.UUID
	digest   string
	envelope []byte
	at       time.Time
}

// recorder groups the writes of the packages a worker delivers at once:
// each package's attempt and answer was a durable commit of its own (and
// its envelope another, and the envelope's removal a third), so sixteen
// handlers made PostgreSQL run five commits a package. Up to
// groupWriters groups are written at once; a write that finds them all
// busy queues, and when one ends, the owner of the first queued write
// writes it with the others queued behind it as one group (the envelopes
// in one statement, then every event through eventstore.AppendStreams,
// one commit on PostgreSQL). No timer: a write waits only while every
// writer is busy, which is when waiting costs nothing. One writer was
// measured slower than none: a group's commits are sequential, and the
// packages queued behind them waited for the disk twice a group, where
// PostgreSQL already shares one flush among concurrent commits.
type recorder struct {
	mu      sync.Mutex
	queue   []*record
	writers int
	// drops are the answered packages whose kept envelopes are still to
	// be removed: with a later group's envelopes, in the same statement,
	// or on their own once no write waits.
	drops []uuid.UUID
}

// groupWriters is how many groups are written at once.
const groupWriters = 4

// flushTimeout bounds the writing of one group: the group is other
// packages' too, so it does not end with the context of the package whose
// owner happens to write it.
const flushTimeout = time.Minute

// record writes r with the group it joins and returns r's own outcome.
func (w *Worker) record(ctx context.Context, r *record) error {
	g := &w.recorder
	r.done, r.promote = make(chan struct{}), make(chan struct{})
	g.mu.Lock()
	if g.writers == groupWriters {
		g.queue = append(g.queue, r)
		g.mu.Unlock()
		select {
		case <-r.done: // written by another write's owner
			return r.err
		case <-r.promote: // a writer is free, and r was first in the queue
		}
		g.mu.Lock()
	} else {
		g.writers++
	}
	group := append([]*record{r}, g.take(r.stream)...)
	g.mu.Unlock()

	defer w.handOff(ctx) // even on a panic, which fails this message only
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	w.writeGroup(fctx, group)
	return r.err // r is first in its group
}

// handOff ends a writer's turn: the owner of the first queued write
// writes the next group in its place, or, with nothing queued, the writer
// leaves; the last to leave removes the answered packages' envelopes.
func (w *Worker) handOff(ctx context.Context) {
	g := &w.recorder
	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.queue = g.queue[1:]
		close(next.promote)
		g.mu.Unlock()
		return
	}
	g.writers--
	var drops []uuid.UUID
	if g.writers == 0 {
		drops, g.drops = g.drops, nil
	}
	g.mu.Unlock()
	if len(drops) > 0 {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		defer cancel()
		w.dropEnvelopes(fctx, drops)
	}
}

// take removes from the queue the writes that can join a group with a
// write to stream: one per stream (a package delivered twice at once,
// after a broker's redelivery, waits for a later group). Called with mu
// held.
func (g *recorder) take(stream string) []*record {
	streams := map[string]bool{stream: true}
	var group, rest []*record
	for _, r := range g.queue {
		if streams[r.stream] {
			rest = append(rest, r)
			continue
		}
		streams[r.stream] = true
		group = append(group, r)
	}
	g.queue = rest
	return group
}

// writeGroup writes group and settles each of its records.
func (w *Worker) writeGroup(ctx context.Context, group []*record) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	var keep []*record
	for _, r := range group {
		if r.keep != nil {
			keep = append(keep, r)
		}
	}
	if len(keep) > 0 {
		if err := w.keepEnvelopes(ctx, keep); err != nil {
			for _, r := range keep {
				r.err = err
			}
		}
	}
	var appends []eventstore.StreamAppend
	var appending []*record
	for _, r := range group {
		if r.err == nil {
			appends = append(appends, eventstore.StreamAppend{Stream: r.stream, Expected: eventstore.Any, Events: r.events})
			appending = append(appending, r)
		}
	}
	if len(appends) == 0 {
		return
	}
	out, err := eventstore.AppendStreams(ctx, w.Source.Store, appends)
	for i, r := range appending {
		switch {
		case err != nil:
			r.err = err
		case out[i].Err != nil:
			r.err = out[i].Err
		case r.drop != uuid.Nil && w.Source.Pool != nil:
			// Answered for good: never sent again, so its bytes need no keeping.
			w.recorder.mu.Lock()
			w.recorder.drops = append(w.recorder.drops, r.drop)
			w.recorder.mu.Unlock()
		}
	}
}

// dropEnvelopes removes the kept envelopes of answered packages. Its
// commit does not wait for the disk: a removal lost in a crash leaves
// rows that nothing reads (as does a failure, only logged).
func (w *Worker) dropEnvelopes(ctx context.Context, ids []uuid.UUID) {
	err := pgx.BeginFunc(ctx, w.Source.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sync_envelopes WHERE package_id = ANY($1)`, ids)
		return err
	})
	if err != nil && w.Logger != nil {
		w.Logger.Warn("national sync: the kept envelopes of answered packages not dropped", "packages", len(ids), "error", err.Error())
	}
}

// keepEnvelopes stores the envelopes of keep in one statement, replacing
// a package's kept envelope (only ever one that no attempt announced: the
// worker reuses an announced one rather than sealing anew), and removes
// those of the packages answered since the last time, in the same commit.
func (w *Worker) keepEnvelopes(ctx context.Context, keep []*record) error {
	ids := make([]uuid.UUID, len(keep))
	digests := make([]string, len(keep))
	envelopes := make([][]byte, len(keep))
	at := make([]time.Time, len(keep))
	for i, r := range keep {
		k := r.keep
		ids[i], digests[i], envelopes[i], at[i] = k.pkg, k.digest, k.envelope, k.at
	}
	w.recorder.mu.Lock()
	drops := w.recorder.drops
	w.recorder.drops = nil
	w.recorder.mu.Unlock()
	if drops == nil {
		drops = []uuid.UUID{}
	}
	if _, err := w.Source.Pool.Exec(ctx, `WITH answered AS (DELETE FROM sync_envelopes WHERE package_id = ANY($5::uuid[]))
INSERT INTO sync_envelopes (package_id, digest, envelope, kept_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::timestamptz[])
ON CONFLICT (package_id) DO UPDATE SET digest = EXCLUDED.digest, envelope = EXCLUDED.envelope, kept_at = EXCLUDED.kept_at`,
		ids, digests, envelopes, at, drops); err != nil {
		w.recorder.mu.Lock()
		w.recorder.drops = append(w.recorder.drops, drops...)
		w.recorder.mu.Unlock()
		return fmt.Errorf("nationalsync: keeping the envelopes of %d packages: %w", len(keep), err)
	}
	return nil
}

// appendGrouped appends e to the package's stream with the group it joins;
// keep, when set, is stored first, and drop's envelope removed after.
func (w *Worker) appendGrouped(ctx context.Context, stream string, cause, id uuid.UUID, e domain.Event, keep *keptEnvelope, drop uuid.UUID) error {
	data, err := ledger.EventData([]domain.Event{e}, meta(w.now(), cause, id), nil)
	if err != nil {
		return err
	}
	return w.record(ctx, &record{stream: stream, events: data, keep: keep, drop: drop})
}
