package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoso-ledger/hoso/eventstore"
)

var _ eventstore.BulkAppender = (*Store)(nil)

const (
	// Version 1 of a stream is one probe of the (stream_id, stream_version)
	// key per name.
	selectExisting = `SELECT stream_id FROM events WHERE stream_id = ANY($1::text[]) AND stream_version = 1`

	// The positions of this transaction's rows, walked on the global-order
	// index: the last of each stream is its append's position.
	selectOwnPositions = `SELECT stream_id, transaction_id, max(seq) FROM events
WHERE transaction_id = pg_current_xact_id() GROUP BY stream_id, transaction_id`
)

// copyColumns are the columns the service may insert (the migration grants
// no others); transaction_id and seq take their defaults, as in insert.
var copyColumns = []string{"event_id", "stream_id", "stream_version", "type", "data", "metadata", "recorded_at", "effective_date", "prev_hash", "hash"}

// AppendNewStreams implements eventstore.BulkAppender with one transaction:
// a probe of the streams' absence, one COPY of every event (in request
// order, so seq increases with the stream version as in Append), and a
// read of the positions the rows were given. A concurrent creation of one
// of the streams fails the COPY on the (stream_id, stream_version) key;
// it is then reported like a stream found by the probe.
func (s *Store) AppendNewStreams(ctx context.Context, streams []eventstore.NewStream) ([]eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	chained, err := eventstore.PrepareNewStreams(streams, s.now())
	if err != nil || len(chained) == 0 {
		return nil, err
	}
	names := make([]string, len(streams))
	for i, ns := range streams {
		names[i] = ns.Stream
	}
	out, err := s.copyNew(ctx, names, chained)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
		if err != nil {
			return nil, err
		}
		s.announce()
		for i, evs := range chained {
			last := evs[len(evs)-1]
			s.heads.put(last.StreamID, head{last.Version, last.Hash})
			out[i].FirstVersion, out[i].LastVersion = 1, last.Version
		}
		return out, nil
	}
	// Lost a race for a stream, or an event id is taken: say which.
	if exist, err := s.existing(ctx, s.pool, names); err != nil || len(exist) > 0 {
		return nil, errors.Join(err, streamsExist(exist))
	}
	var ids [][16]byte
	for _, evs := range chained {
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
	}
	stored, err := s.query(ctx, 0, selectByIDs, ids)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: looking up event ids: %w", err)
	}
	if len(stored) > 0 {
		e := stored[0]
		return nil, &eventstore.IDReusedError{EventID: e.ID.String(), Stream: e.StreamID, Version: e.Version}
	}
	return nil, fmt.Errorf("eventstore/postgres: bulk append: %w", pgErr)
}

func streamsExist(names []string) error {
	if len(names) == 0 {
		return nil
	}
	return &eventstore.StreamsExistError{Streams: names}
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) existing(ctx context.Context, q querier, names []string) ([]string, error) {
	rows, err := q.Query(ctx, selectExisting, names)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: probing streams: %w", err)
	}
	exist, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: probing streams: %w", err)
	}
	return exist, nil
}

// copyNew is AppendNewStreams' transaction; the results carry positions only.
func (s *Store) copyNew(ctx context.Context, names []string, chained [][]eventstore.Event) ([]eventstore.AppendResult, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: bulk append: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	exist, err := s.existing(ctx, tx, names)
	if err != nil || len(exist) > 0 {
		return nil, errors.Join(err, streamsExist(exist))
	}
	i, j := 0, 0
	var rowErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for i < len(chained) && j == len(chained[i]) {
			i, j = i+1, 0
		}
		if i == len(chained) {
			return nil, nil
		}
		e := &chained[i][j]
		j++
		day, err := effectiveDay(e)
		if err != nil {
			rowErr = err
			return nil, err
		}
		return []any{[16]byte(e.ID), e.StreamID, int64(e.Version), e.Type, []byte(e.Data), []byte(e.RawMetadata),
			e.Meta.RecordedAt, day, e.PrevHash[:], e.Hash[:]}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, copyColumns, src); err != nil {
		if rowErr != nil {
			return nil, rowErr
		}
		return nil, err
	}
	rows, err := tx.Query(ctx, selectOwnPositions)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: bulk append positions: %w", err)
	}
	at := make(map[string]int, len(names))
	for k, n := range names {
		at[n] = k
	}
	out := make([]eventstore.AppendResult, len(names))
	for rows.Next() {
		var stream string
		var xid uint64
		var seq int64
		if err := rows.Scan(&stream, &xid, &seq); err != nil {
			rows.Close()
			return nil, err
		}
		if k, ok := at[stream]; ok {
			out[k].Position = eventstore.NewPosition(xid, uint64(seq))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventstore/postgres: bulk append positions: %w", err)
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("eventstore/postgres: bulk append: %w", err)
	}
	return out, nil
}
