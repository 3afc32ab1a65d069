package memstore

import (
	"context"

	"github.com/hoso-ledger/hoso/eventstore"
)

var _ eventstore.BulkAppender = (*Store)(nil)

// AppendNewStreams implements eventstore.BulkAppender: one critical
// section, so the streams appear in the log together, in request order.
func (s *Store) AppendNewStreams(ctx context.Context, streams []eventstore.NewStream) ([]eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	chained, err := eventstore.PrepareNewStreams(streams, s.now())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var exist []string
	for _, ns := range streams {
		if len(s.streams[ns.Stream]) > 0 {
			exist = append(exist, ns.Stream)
		}
	}
	if len(exist) > 0 {
		return nil, &eventstore.StreamsExistError{Streams: exist}
	}
	for _, evs := range chained {
		for _, e := range evs {
			if at, ok := s.byID[e.ID]; ok {
				stored := s.log[at]
				return nil, &eventstore.IDReusedError{EventID: e.ID.String(), Stream: stored.StreamID, Version: stored.Version}
			}
		}
	}
	out := make([]eventstore.AppendResult, len(chained))
	for i, evs := range chained {
		for _, e := range evs {
			e.Position = eventstore.NewPosition(0, uint64(len(s.log)+1))
			s.byID[e.ID] = len(s.log)
			s.streams[e.StreamID] = append(s.streams[e.StreamID], len(s.log))
			s.log = append(s.log, e)
		}
		last := s.log[len(s.log)-1]
		out[i] = eventstore.AppendResult{FirstVersion: 1, LastVersion: last.Version, Position: last.Position}
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return out, nil
}
