package esdbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Event id claims.
//
// EventStoreDB has no index by event id: its duplicate detection looks at
// the stream being written and a bounded cache of recent ids. hoso needs
// more: an id stored in one stream must never be stored again in another
// (consumers deduplicate by event id, so a second copy would vanish
// downstream), and a retry must be recognized however long after the
// original it comes. So before an event is appended, its id is claimed: a
// one-event stream "_hoso-id-" + prefix + id, written with expected revision
// "no stream", records which hoso stream the id belongs to. The claim is
// written before the event because EventStoreDB cannot write two streams
// atomically, and the order makes the failure modes safe: a crash after the
// claim leaves an orphan claim (the id is in no stream), never an unclaimed
// stored event.
//
// The claim streams begin with "_", outside hoso's namespace (which begins
// with a letter or with a prefix that does), so $all filters leave them out.

// claimType is the event type of a claim.
const claimType = "hoso.event_id_claimed.v1"

type claimData struct {
	Stream string `json:"stream"` // the hoso stream the id belongs to
}

// claim is a stored claim: the hoso stream it names and where it sits.
type claim struct {
	stream   string
	revision uint64 // in the claim stream, for a compare-and-set takeover
	created  int64  // Unix nanoseconds of the server's "created" stamp
}

func (s *Store) claimStream(id uuid.UUID) string {
	return "_hoso-id-" + s.opts.StreamPrefix + id.String()
}

// claimConcurrency bounds the claim writes one Append has in flight.
const claimConcurrency = 16

// errRaced asks Append for another attempt: another writer changed a claim
// between our read and our write.
var errRaced = errors.New("esdbstore: claim raced")

// claimIDs claims, for stream, the ids of ps that this Append call has not
// claimed yet (claimed records those it has). An id already claimed for stream
// may be a retry of an append buried deeper than the tail that Append
// searched, so the whole stream is searched for such ids; when they are all
// found there, in order and with the same content, the append is a late
// retry and its original result is returned with done true. An id claimed
// for another stream where it is stored is an *eventstore.IDReusedError; a
// claim for another stream whose event never landed is an orphan, taken over
// once it is older than ClaimTimeout (younger, its append may be in flight).
func (s *Store) claimIDs(ctx context.Context, c *esdb.Client, stream string, ps []eventstore.Prepared, claimed map[uuid.UUID]bool) (eventstore.AppendResult, bool, error) {
	// The common case is fresh ids: claim them concurrently (a bulk import
	// sends large batches, so at most claimConcurrency at a time), and look
	// closer only at those already claimed.
	results := make([]error, len(ps))
	var wg sync.WaitGroup
	sem := make(chan struct{}, claimConcurrency)
	for i, p := range ps {
		if !claimed[p.ID] {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				results[i] = s.writeClaim(ctx, c, p.ID, stream, esdb.NoStream{})
			})
		}
	}
	wg.Wait()
	ours := false // some id is already claimed for this very stream
	for i, p := range ps {
		if claimed[p.ID] {
			continue
		}
		err := results[i]
		if err == nil {
			claimed[p.ID] = true
			continue
		}
		if !isWrongExpectedVersion(err) {
			return eventstore.AppendResult{}, false, err
		}
		cl, err := s.readClaim(ctx, c, p.ID)
		if err != nil {
			return eventstore.AppendResult{}, false, err
		}
		if cl.stream == stream {
			claimed[p.ID] = true
			ours = true
			continue
		}
		stored, found, err := s.find(ctx, c, cl.stream, p.ID)
		if err != nil {
			return eventstore.AppendResult{}, false, err
		}
		if found {
			return eventstore.AppendResult{}, false, &eventstore.IDReusedError{EventID: p.ID.String(), Stream: stored.StreamID, Version: stored.Version}
		}
		if age := s.opts.Now().UnixNano() - cl.created; age < s.opts.ClaimTimeout.Nanoseconds() {
			return eventstore.AppendResult{}, false, fmt.Errorf("%w: event id %s is being appended to %s", eventstore.ErrIDReused, p.ID, cl.stream)
		}
		err = s.writeClaim(ctx, c, p.ID, stream, esdb.Revision(cl.revision))
		if isWrongExpectedVersion(err) {
			return eventstore.AppendResult{}, false, errRaced
		}
		if err != nil {
			return eventstore.AppendResult{}, false, err
		}
		s.opts.Logger.Info("esdbstore: took over an orphan event id claim",
			"event_id", p.ID.String(), "from_stream", cl.stream, "to_stream", stream)
		claimed[p.ID] = true
	}
	if !ours {
		return eventstore.AppendResult{}, false, nil
	}
	whole, err := s.read(ctx, c, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, uint64(maxCount))
	if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
		return eventstore.AppendResult{}, false, err
	}
	return retried(stream, ps, whole)
}

func (s *Store) writeClaim(ctx context.Context, c *esdb.Client, id uuid.UUID, stream string, expected esdb.ExpectedRevision) error {
	data, err := json.Marshal(claimData{Stream: stream})
	if err != nil {
		return err
	}
	_, err = c.AppendToStream(ctx, s.claimStream(id), esdb.AppendToStreamOptions{ExpectedRevision: expected}, esdb.EventData{
		// A fresh id per claim write, so EventStoreDB's own idempotency never
		// mistakes a takeover for a retry of the first claim.
		EventID:     uuid.New(),
		EventType:   claimType,
		ContentType: esdb.ContentTypeJson,
		Data:        data,
	})
	if err != nil && !isWrongExpectedVersion(err) {
		s.recover(c, err)
		return fmt.Errorf("esdbstore: claim event id %s: %w", id, err)
	}
	return err
}

// readClaim reads the current (last) claim of an id.
func (s *Store) readClaim(ctx context.Context, c *esdb.Client, id uuid.UUID) (claim, error) {
	name := s.claimStream(id)
	rs, err := c.ReadStream(ctx, name, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		s.recover(c, err)
		return claim{}, fmt.Errorf("esdbstore: read claim of %s: %w", id, err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) || isNotFound(err) {
		// It was there a moment ago: claims are never deleted, so this is
		// a server we do not understand; let Append try again.
		return claim{}, errRaced
	}
	if err != nil {
		s.recover(c, err)
		return claim{}, fmt.Errorf("esdbstore: read claim of %s: %w", id, err)
	}
	r := ev.OriginalEvent()
	var d claimData
	if r == nil || r.EventType != claimType || json.Unmarshal(r.Data, &d) != nil || d.Stream == "" {
		return claim{}, &CorruptError{Stream: name, Reason: "not an event id claim"}
	}
	return claim{stream: d.Stream, revision: r.EventNumber, created: r.CreatedDate.UnixNano()}, nil
}

// find looks an id up in a whole stream.
func (s *Store) find(ctx context.Context, c *esdb.Client, stream string, id uuid.UUID) (eventstore.Event, bool, error) {
	events, err := s.read(ctx, c, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, uint64(maxCount))
	if errors.Is(err, eventstore.ErrNotFound) {
		return eventstore.Event{}, false, nil
	}
	if err != nil {
		return eventstore.Event{}, false, err
	}
	for _, e := range events {
		if e.ID == id {
			return e, true, nil
		}
	}
	return eventstore.Event{}, false, nil
}
