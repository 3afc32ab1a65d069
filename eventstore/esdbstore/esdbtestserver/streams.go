package esdbtestserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type streamsService struct {
	api.UnimplementedStreamsServer
	srv *Server
}

// noRevision stands for "the stream does not exist" (EventStoreDB's -1).
const noRevision = -1

type expectKind int

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectRevision
)

type expectation struct {
	kind     expectKind
	revision uint64
}

// Append implements the client-streaming append: one options message, then
// the proposed events, then a single reply.
func (s *streamsService) Append(stream api.Streams_AppendServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "first append message must carry options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return status.Error(codes.InvalidArgument, "empty stream name")
	}
	var exp expectation
	switch o := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		exp = expectation{kind: expectRevision, revision: o.Revision}
	case *api.AppendReq_Options_NoStream:
		exp.kind = expectNoStream
	case *api.AppendReq_Options_StreamExists:
		exp.kind = expectExists
	default:
		exp.kind = expectAny
	}
	var events []proposed
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := req.GetProposedMessage()
		if pm == nil {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		id, err := fromProtoUUID(pm.GetId())
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		md := pm.GetMetadata()
		if md["type"] == "" {
			return status.Error(codes.InvalidArgument, "event type is required")
		}
		events = append(events, proposed{
			id:          id,
			eventType:   md["type"],
			contentType: md["content-type"],
			data:        pm.GetData(),
			meta:        pm.GetCustomMetadata(),
		})
	}
	if h := s.srv.opts.BeforeAppend; h != nil {
		h(name)
	}
	return stream.SendAndClose(s.srv.append(name, exp, events))
}

// append decides an append the way EventStoreDB's index writer does:
// idempotent when the ids are already where this append would put them,
// a wrong-expected-version reply when the stream is elsewhere, a write
// otherwise.
func (s *Server) append(name string, exp expectation, events []proposed) *api.AppendResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[name]
	current := int64(len(idx)) - 1

	if !s.opts.DisableIdempotency && len(events) > 0 {
		start := int64(-2) // where the batch would already sit, if it is a retry
		switch exp.kind {
		case expectNoStream:
			start = 0
		case expectRevision:
			start = int64(exp.revision) + 1
		case expectAny, expectExists:
			// The real server consults a cache of recently written ids; the
			// whole stream is the cache here.
			for rev, i := range idx {
				if s.log[i].id == events[0].id {
					start = int64(rev)
					break
				}
			}
		}
		if start >= 0 && start <= current && s.log[idx[start]].id == events[0].id {
			if last, ok := s.storedRun(idx, start, events); ok {
				r := &s.log[idx[last]]
				return success(int64(r.revision), r)
			}
			// Some ids match and others do not: EventStoreDB calls this
			// corrupted idempotency and answers wrong expected version.
			return wrongExpectedVersion(current, exp)
		}
	}

	ok := false
	switch exp.kind {
	case expectAny:
		ok = true
	case expectNoStream:
		ok = current == noRevision
	case expectExists:
		ok = current != noRevision
	case expectRevision:
		ok = current == int64(exp.revision)
	}
	if !ok {
		return wrongExpectedVersion(current, exp)
	}
	if len(events) == 0 {
		if current == noRevision {
			return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
				CurrentRevisionOption: &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}},
				PositionOption:        &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
			}}}
		}
		return success(current, &s.log[idx[current]])
	}
	s.writeLocked(name, events)
	last := &s.log[len(s.log)-1]
	return success(int64(last.revision), last)
}

// storedRun reports whether events are stored consecutively from revision
// start, and the revision of the last one.
func (s *Server) storedRun(idx []int, start int64, events []proposed) (int64, bool) {
	for i, e := range events {
		rev := start + int64(i)
		if rev >= int64(len(idx)) || s.log[idx[rev]].id != e.id {
			return 0, false
		}
	}
	return start + int64(len(events)) - 1, true
}

func success(revision int64, last *record) *api.AppendResp {
	commit, prepare := last.position()
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(revision)},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: commit, PreparePosition: prepare,
		}},
	}}}
}

// wrongExpectedVersion fills both the current fields and the ones servers
// since 20.6.0 still send for older clients, as EventStoreDB does.
func wrongExpectedVersion(current int64, exp expectation) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current == noRevision {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch exp.kind {
	case expectAny:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expectNoStream:
		// The 20.6.0 fields have no "no stream" case; servers leave them unset.
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectRevision:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: exp.revision}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// Read serves reads and catch-up subscriptions of one stream or of $all.
func (s *streamsService) Read(req *api.ReadReq, out api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read options are required")
	}
	structured := o.GetUuidOption().GetString_() == nil
	f, err := newFilter(o.GetFilter())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	backward := o.GetReadDirection() == api.ReadReq_Options_Backwards
	subscribe := o.GetSubscription() != nil
	if subscribe && backward {
		return status.Error(codes.InvalidArgument, "subscriptions read forwards")
	}
	count := o.GetCount()

	switch so := o.GetStreamOption().(type) {
	case *api.ReadReq_Options_Stream:
		name := string(so.Stream.GetStreamIdentifier().GetStreamName())
		if subscribe {
			return s.srv.subscribe(out, structured, nil, name, func() int { return s.srv.streamStartLocked(so.Stream, name) })
		}
		return s.srv.readStream(out, structured, so.Stream, name, backward, count)
	case *api.ReadReq_Options_All:
		if subscribe {
			return s.srv.subscribe(out, structured, f, "", func() int { return s.srv.allStartLocked(so.All, true) })
		}
		return s.srv.readAll(out, structured, f, so.All, backward, count)
	}
	return status.Error(codes.InvalidArgument, "read needs a stream or $all")
}

func (s *Server) readStream(out api.Streams_ReadServer, structured bool, o *api.ReadReq_Options_StreamOptions, name string, backward bool, count uint64) error {
	s.mu.Lock()
	idx := s.streams[name]
	var batch []record
	if len(idx) > 0 {
		last := int64(len(idx)) - 1
		var from int64
		switch r := o.GetRevisionOption().(type) {
		case *api.ReadReq_Options_StreamOptions_Start:
			from = 0
		case *api.ReadReq_Options_StreamOptions_End:
			from = last
			if !backward {
				from = last + 1
			}
		case *api.ReadReq_Options_StreamOptions_Revision:
			from = int64(r.Revision)
			if backward && from > last {
				from = last // a backward read past the end starts at the last event
			}
		}
		step := int64(1)
		if backward {
			step = -1
		}
		for rev := from; rev >= 0 && rev <= last && uint64(len(batch)) < count; rev += step {
			batch = append(batch, s.log[idx[rev]])
		}
	}
	s.mu.Unlock()
	if len(idx) == 0 {
		return out.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)},
		}}})
	}
	for i := range batch {
		if err := out.Send(eventResp(&batch[i], structured)); err != nil {
			return err
		}
	}
	return nil
}

// readAll reads $all. Forwards, a position is inclusive (the event at it is
// the first read); backwards, exclusive.
func (s *Server) readAll(out api.Streams_ReadServer, structured bool, f *filter, o *api.ReadReq_Options_AllOptions, backward bool, count uint64) error {
	s.mu.Lock()
	var batch []record
	if backward {
		end := len(s.log)
		if p := o.GetPosition(); p != nil {
			end = s.indexAt(p.GetCommitPosition(), p.GetPreparePosition())
		} else if o.GetStart() != nil {
			end = 0
		}
		for i := end - 1; i >= 0 && uint64(len(batch)) < count; i-- {
			if f.match(&s.log[i]) {
				batch = append(batch, s.log[i])
			}
		}
	} else {
		for i := s.allStartLocked(o, false); i < len(s.log) && uint64(len(batch)) < count; i++ {
			if f.match(&s.log[i]) {
				batch = append(batch, s.log[i])
			}
		}
	}
	s.mu.Unlock()
	for i := range batch {
		if err := out.Send(eventResp(&batch[i], structured)); err != nil {
			return err
		}
	}
	return nil
}

// indexAt is the index of the first record at or after position (c, p).
// Callers hold s.mu.
func (s *Server) indexAt(c, p uint64) int {
	lo, hi := 0, len(s.log)
	for lo < hi {
		mid := (lo + hi) / 2
		if s.log[mid].before(c, p) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// allStartLocked is the index of the first record a forward read or a
// subscription of $all returns: a read starts at its position, a
// subscription after it. Callers hold s.mu.
func (s *Server) allStartLocked(o *api.ReadReq_Options_AllOptions, subscription bool) int {
	switch {
	case o.GetStart() != nil:
		return 0
	case o.GetEnd() != nil:
		return len(s.log)
	}
	p := o.GetPosition()
	i := s.indexAt(p.GetCommitPosition(), p.GetPreparePosition())
	if subscription && i < len(s.log) && s.log[i].commit == p.GetCommitPosition() && s.log[i].prepare == p.GetPreparePosition() {
		i++
	}
	return i
}

// streamStartLocked is the index into the log after which a subscription
// to one stream delivers: after the event at its revision, exclusive.
// Callers hold s.mu.
func (s *Server) streamStartLocked(o *api.ReadReq_Options_StreamOptions, name string) int {
	switch r := o.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		idx := s.streams[name]
		if r.Revision < uint64(len(idx)) {
			return idx[r.Revision] + 1
		}
		return len(s.log)
	case *api.ReadReq_Options_StreamOptions_End:
		return len(s.log)
	}
	return 0
}

// subscribe runs a catch-up subscription: a confirmation, the stored events
// after the start, CaughtUp, then live events until the client goes away or
// the server stops. With a filter it also sends checkpoints, every
// window × multiplier records scanned and on catching up, as the real
// server does so that a filtered subscriber can persist progress through
// long runs of foreign events.
func (s *Server) subscribe(out api.Streams_ReadServer, structured bool, f *filter, stream string, start func() int) error {
	if err := out.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}); err != nil {
		return err
	}
	s.mu.Lock()
	next := start()
	s.mu.Unlock()
	caughtUp := false
	scanned := 0
	var lastScanned *record
	for {
		s.mu.Lock()
		batch := s.log[next:len(s.log):len(s.log)] // records never change once written
		wake := s.changed
		s.mu.Unlock()
		for i := range batch {
			r := &batch[i]
			next++
			scanned++
			lastScanned = r
			if (stream == "" || r.stream == stream) && f.match(r) {
				if err := out.Send(eventResp(r, structured)); err != nil {
					return err
				}
			}
			if f != nil && f.checkpointEvery > 0 && scanned%f.checkpointEvery == 0 {
				if err := out.Send(checkpoint(r)); err != nil {
					return err
				}
			}
		}
		if len(batch) > 0 {
			continue
		}
		if !caughtUp {
			caughtUp = true
			if f != nil && lastScanned != nil {
				if err := out.Send(checkpoint(lastScanned)); err != nil {
					return err
				}
			}
			if err := out.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-out.Context().Done():
			return status.FromContextError(out.Context().Err()).Err()
		case <-wake:
		}
	}
}

func checkpoint(r *record) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition: r.commit, PreparePosition: r.prepare,
	}}}
}

func eventResp(r *record, structured bool) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoUUID(r.id, structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.prepare,
			CommitPosition:   r.commit,
			Metadata: map[string]string{
				"type":         r.eventType,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.commit},
	}}}
}

// filter is a server-side $all filter on stream names or event types.
type filter struct {
	onType          bool
	prefixes        []string
	re              *regexp.Regexp
	checkpointEvery int
}

func newFilter(o *api.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	var expr *api.ReadReq_Options_FilterOptions_Expression
	f := &filter{}
	switch x := o.GetFilter().(type) {
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = x.StreamIdentifier
	case *api.ReadReq_Options_FilterOptions_EventType:
		expr = x.EventType
		f.onType = true
	default:
		return nil, errors.New("filter needs a stream identifier or event type expression")
	}
	f.prefixes = expr.GetPrefix()
	if r := expr.GetRegex(); r != "" {
		re, err := regexp.Compile(r)
		if err != nil {
			return nil, fmt.Errorf("filter regex: %w", err)
		}
		f.re = re
	}
	if len(f.prefixes) == 0 && f.re == nil {
		return nil, errors.New("filter needs prefixes or a regex")
	}
	window := 32 // the server's default search window
	if m, ok := o.GetWindow().(*api.ReadReq_Options_FilterOptions_Max); ok && m.Max > 0 {
		window = int(m.Max)
	}
	mult := int(o.GetCheckpointIntervalMultiplier())
	if mult == 0 {
		mult = 1
	}
	f.checkpointEvery = window * mult
	return f, nil
}

// match reports whether r passes f; a nil filter passes everything.
func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	subject := r.stream
	if f.onType {
		subject = r.eventType
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return f.re != nil && f.re.MatchString(subject)
}

func protoUUID(id uuid.UUID, structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func fromProtoUUID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(st.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(st.GetLeastSignificantBits()))
		return id, nil
	}
	if s := u.GetString_(); s != "" {
		return uuid.Parse(s)
	}
	return uuid.Nil, errors.New("event id is required")
}
