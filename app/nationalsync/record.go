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
// handlers made PostgreSQL commit, and wait for its disk, five times a
// package. A write joins the queue; if no group is being written, its
// owner writes the queue as one group (the envelopes in one statement,
// then every event through eventstore.AppendStreams, one commit on
// PostgreSQL, then the answered packages' envelopes dropped in one
// statement), and hands the next group to the owner of the first write
// that queued meanwhile. No timer: a lone package is written at once,
// and writes queue only while a group is being written, which is when
// waiting costs nothing.
type recorder struct {
	mu      sync.Mutex
	queue   []*record
	writing bool
	// drops are the answered packages whose kept envelopes are still to
	// be removed: with the next group's envelopes, in the same statement,
	// or on their own once no group waits. Only the writer touches them.
	drops []uuid.UUID
}

// flushTimeout bounds the writing of one group: the group is other
// packages' too, so it does not end with the context of the package whose
// owner happens to write it.
const flushTimeout = time.Minute

// record writes r with the group it joins and returns r's own outcome.
func (w *Worker) record(ctx context.Context, r *record) error {
	g := &w.recorder
	r.done, r.promote = make(chan struct{}), make(chan struct{})
	g.mu.Lock()
	g.queue = append(g.queue, r)
	if g.writing {
		g.mu.Unlock()
		select {
		case <-r.done:
			return r.err
		case <-r.promote: // the group being written has ended: write the queue
		}
		g.mu.Lock()
	}
	g.writing = true
	group := g.take()
	g.mu.Unlock()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	w.writeGroup(fctx, group)
	cancel()

	g.mu.Lock()
	var idle []uuid.UUID
	if len(g.queue) > 0 {
		close(g.queue[0].promote) // still writing: its owner goes on
	} else {
		idle, g.drops = g.drops, nil
		g.writing = false
	}
	g.mu.Unlock()
	if len(idle) > 0 {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		w.dropEnvelopes(fctx, idle)
		cancel()
	}
	<-r.done // r is in the group just written (take keeps the first write)
	return r.err
}

// take removes from the queue the writes that can be written together:
// one per stream (a package delivered twice at once, after a broker's
// redelivery, waits for the next group). Called with mu held.
func (g *recorder) take() []*record {
	streams := make(map[string]bool, len(g.queue))
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
			w.recorder.drops = append(w.recorder.drops, r.drop)
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
	drops := w.recorder.drops
	if drops == nil {
		drops = []uuid.UUID{}
	}
	if _, err := w.Source.Pool.Exec(ctx, `WITH answered AS (DELETE FROM sync_envelopes WHERE package_id = ANY($5::uuid[]))
INSERT INTO sync_envelopes (package_id, digest, envelope, kept_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::timestamptz[])
ON CONFLICT (package_id) DO UPDATE SET digest = EXCLUDED.digest, envelope = EXCLUDED.envelope, kept_at = EXCLUDED.kept_at`,
		ids, digests, envelopes, at, drops); err != nil {
		return fmt.Errorf("nationalsync: keeping the envelopes of %d packages: %w", len(keep), err)
	}
	w.recorder.drops = nil
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
