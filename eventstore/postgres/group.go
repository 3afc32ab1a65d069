package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoso-ledger/hoso/eventstore"
)

var _ eventstore.GroupAppender = (*Store)(nil)

const (
	// insertGroup is insertMany with a stream per row: rows come out of
	// unnest in array order, so seq increases with the version within
	// each stream's append.
	insertGroup = `INSERT INTO events (event_id, stream_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash)
SELECT u.event_id, u.stream_id, u.stream_version, u.type, u.data, u.metadata, u.recorded_at, u.effective_date, u.prev_hash, u.hash
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::timestamptz[], $8::date[], $9::bytea[], $10::bytea[])
     AS u(event_id, stream_id, stream_version, type, data, metadata, recorded_at, effective_date, prev_hash, hash)
RETURNING stream_id, transaction_id, seq`

	// selectHeads is selectHead for several streams, each one probe of
	// the (stream_id, stream_version) key from its end.
	selectHeads = `SELECT h.stream_id, h.stream_version, h.hash FROM unnest($1::text[]) AS n(stream_id),
LATERAL (SELECT stream_id, stream_version, hash FROM events e WHERE e.stream_id = n.stream_id ORDER BY stream_version DESC LIMIT 1) h`
)

// groupPart is one stream's append of a group, chained on its head.
type groupPart struct {
	at      int // index in the request
	stream  string
	head    head
	chained []eventstore.Event
}

// AppendStreams implements eventstore.GroupAppender. The appends whose
// streams are where expected (by the remembered heads, else one read of
// all the others) are inserted by one statement, its own transaction: one
// commit for the group. The rest, and the whole group when that insert
// hits a unique key (a head moved meanwhile, or ids sent again), go
// through Append one by one, which tells a retry from a conflict from a
// reused id; the failed insert wrote nothing.
func (s *Store) AppendStreams(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.StreamOutcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventstore.DistinctAppends(appends); err != nil {
		return nil, err
	}
	out := make([]eventstore.StreamOutcome, len(appends))
	now := s.now()
	prepared := make([][]eventstore.Prepared, len(appends))
	heads := make([]head, len(appends))
	known := make([]bool, len(appends))
	var unknown []string
	for i, a := range appends {
		ps, err := eventstore.Prepare(a.Stream, a.Events, now)
		if err != nil {
			out[i].Err = err
			continue
		}
		prepared[i] = ps
		if a.Expected.IsNoStream() {
			known[i] = true
		} else if heads[i], known[i] = s.heads.get(a.Stream); !known[i] || !a.Expected.Matches(heads[i].version) {
			known[i] = false
			unknown = append(unknown, a.Stream)
		}
	}
	if len(unknown) > 0 {
		read, err := s.readHeads(ctx, unknown)
		if err != nil {
			return nil, err
		}
		for i, a := range appends {
			if prepared[i] != nil && !known[i] {
				heads[i], known[i] = read[a.Stream], true
			}
		}
	}
	var group []groupPart
	var alone []int // appends not where expected: Append decides
	for i, a := range appends {
		if prepared[i] == nil {
			continue
		}
		if !a.Expected.Matches(heads[i].version) {
			alone = append(alone, i)
			continue
		}
		group = append(group, groupPart{at: i, stream: a.Stream, head: heads[i], chained: eventstore.Chain(a.Stream, heads[i].version, heads[i].hash, prepared[i])})
	}
	if len(group) > 0 {
		positions, err := s.insertGroup(ctx, group)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			s.announce()
			for _, g := range group {
				last := g.chained[len(g.chained)-1]
				s.heads.put(g.stream, head{last.Version, last.Hash})
				out[g.at].Result = eventstore.AppendResult{FirstVersion: g.head.version + 1, LastVersion: last.Version, Position: positions[g.stream]}
			}
		case errors.As(err, &pgErr) && pgErr.Code == uniqueViolation:
			for _, g := range group {
				alone = append(alone, g.at)
			}
		default:
			return nil, fmt.Errorf("eventstore/postgres: grouped append: %w", err)
		}
	}
	for _, i := range alone {
		a := appends[i]
		out[i].Result, out[i].Err = s.Append(ctx, a.Stream, a.Expected, a.Events...)
	}
	return out, nil
}

// readHeads reads the heads of streams (a stream absent has the zero head).
func (s *Store) readHeads(ctx context.Context, streams []string) (map[string]head, error) {
	rows, err := s.pool.Query(ctx, selectHeads, streams)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: reading heads: %w", err)
	}
	defer rows.Close()
	out := make(map[string]head, len(streams))
	for rows.Next() {
		var stream string
		var version int64
		var hash []byte
		if err := rows.Scan(&stream, &version, &hash); err != nil {
			return nil, fmt.Errorf("eventstore/postgres: reading heads: %w", err)
		}
		var h head
		if len(hash) != len(h.hash) {
			return nil, fmt.Errorf("eventstore/postgres: stream %s@%d: stored hash has %d bytes", stream, version, len(hash))
		}
		h.version = uint64(version)
		copy(h.hash[:], hash)
		out[stream] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventstore/postgres: reading heads: %w", err)
	}
	for stream, h := range out {
		s.heads.put(stream, h)
	}
	return out, nil
}

// insertGroup inserts every part's events in one statement (its own
// transaction unless the test hook asks for an explicit one) and returns
// the position of each stream's last event.
func (s *Store) insertGroup(ctx context.Context, group []groupPart) (map[string]eventstore.Position, error) {
	n := 0
	for _, g := range group {
		n += len(g.chained)
	}
	var (
		ids      = make([][16]byte, 0, n)
		streams  = make([]string, 0, n)
		versions = make([]int64, 0, n)
		types    = make([]string, 0, n)
		data     = make([][]byte, 0, n)
		meta     = make([][]byte, 0, n)
		recorded = make([]time.Time, 0, n)
		days     = make([]time.Time, 0, n)
		prev     = make([][]byte, 0, n)
		hashes   = make([][]byte, 0, n)
	)
	for _, g := range group {
		for i := range g.chained {
			e := &g.chained[i]
			day, err := effectiveDay(e)
			if err != nil {
				return nil, err
			}
			ids, streams, versions, types = append(ids, e.ID), append(streams, g.stream), append(versions, int64(e.Version)), append(types, e.Type)
			data, meta = append(data, e.Data), append(meta, e.RawMetadata)
			recorded, days = append(recorded, e.Meta.RecordedAt), append(days, day)
			prev, hashes = append(prev, e.PrevHash[:]), append(hashes, e.Hash[:])
		}
	}
	args := []any{ids, streams, versions, types, data, meta, recorded, days, prev, hashes}
	if s.beforeCommit == nil {
		return scanGroupPositions(s.pool.Query(ctx, insertGroup, args...))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	pos, err := scanGroupPositions(tx.Query(ctx, insertGroup, args...))
	if err != nil {
		return nil, err
	}
	s.beforeCommit()
	return pos, tx.Commit(ctx)
}

// scanGroupPositions reads insertGroup's RETURNING rows: each stream's
// highest is the position of its append's last event.
func scanGroupPositions(rows pgx.Rows, err error) (map[string]eventstore.Position, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]eventstore.Position{}
	for rows.Next() {
		var stream string
		var xid uint64
		var seq int64
		if err := rows.Scan(&stream, &xid, &seq); err != nil {
			return nil, err
		}
		if p := eventstore.NewPosition(xid, uint64(seq)); p.After(out[stream]) {
			out[stream] = p
		}
	}
	return out, rows.Err()
}
