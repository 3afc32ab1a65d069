package esdbtestserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"google.golang.org/grpc"
)

// Options tune the test server.
type Options struct {
	// DisableIdempotency turns off the server's own duplicate detection by
	// event id, so a test can show that esdbstore's duplicate check does not
	// lean on it (the real server's is a bounded cache, best-effort).
	DisableIdempotency bool
	// Version is what ServerFeatures reports; "23.10.0" when empty.
	Version string
	// BeforeAppend, when set, runs after an append request has arrived and
	// before the server decides it: a test writes there to lose a race on
	// purpose and so reach the wrong-expected-version path deterministically.
	BeforeAppend func(stream string)
}

// Server is an in-process protocol test server. Its log lives in memory and
// survives Stop and Start. The zero value is not usable; call New.
type Server struct {
	opts       Options
	instanceID uuid.UUID

	mu      sync.Mutex
	log     []record         // $all order
	streams map[string][]int // stream name → indices into log, by revision
	next    uint64           // byte offset of the next record
	changed chan struct{}    // closed and replaced on every write

	lmu  sync.Mutex // guards the listener state below
	addr string     // kept across Stop so Start can rebind the same port
	gs   *grpc.Server
	done chan struct{}
}

// record is one event as the log holds it.
type record struct {
	stream      string
	revision    uint64
	id          uuid.UUID
	eventType   string
	contentType string
	created     int64 // .NET ticks (100 ns) since the Unix epoch, as the server stamps them
	data, meta  []byte
	commit      uint64
	prepare     uint64
}

func (r *record) position() (commit, prepare uint64) { return r.commit, r.prepare }

// before reports whether r lies strictly before the $all position (c, p).
func (r *record) before(c, p uint64) bool {
	return r.commit < c || (r.commit == c && r.prepare < p)
}

// New returns a stopped server holding, like a fresh EventStoreDB, a few
// events in system streams, so that readers of $all must filter them out.
func New(opts Options) *Server {
	if opts.Version == "" {
		opts.Version = "23.10.0"
	}
	s := &Server{
		opts:       opts,
		instanceID: uuid.New(),
		streams:    make(map[string][]int),
		next:       0,
		changed:    make(chan struct{}),
	}
	s.AppendSystemEvent()
	s.AppendSystemEvent()
	return s
}

// AppendSystemEvent writes one event to a system stream ("$" prefix, "$"
// event type), as the real server does on its own (statistics, scavenges,
// settings). Tests call it to interleave foreign events with hoso's.
func (s *Server) AppendSystemEvent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	const stream = "$stats-127.0.0.1:2113"
	s.writeLocked(stream, []proposed{{
		id:          uuid.New(),
		eventType:   "$statsCollected",
		contentType: "application/json",
		data:        []byte(`{"proc-cpu":0.1}`),
	}})
}

// Start listens on addr ("127.0.0.1:0" for a free port) and serves. With an
// empty addr it rebinds the address of the previous Start, which is how a
// test brings the server back after Stop.
func (s *Server) Start(addr string) error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.gs != nil {
		return errors.New("esdbtestserver: already started")
	}
	if addr == "" {
		addr = s.addr
	}
	if addr == "" {
		return errors.New("esdbtestserver: no address to listen on")
	}
	// The port of a stopped server may linger briefly; retry the bind.
	lis, err := backoff.Retry(context.Background(), func() (net.Listener, error) {
		return net.Listen("tcp", addr)
	}, backoff.WithBackOff(backoff.NewConstantBackOff(20*time.Millisecond)), backoff.WithMaxTries(50), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return fmt.Errorf("esdbtestserver: listen: %w", err)
	}
	gs := grpc.NewServer()
	streams.RegisterStreamsServer(gs, &streamsService{srv: s})
	serverfeatures.RegisterServerFeaturesServer(gs, &featuresService{srv: s})
	gossip.RegisterGossipServer(gs, &gossipService{srv: s})
	s.gs = gs
	s.addr = lis.Addr().String()
	done := make(chan struct{})
	s.done = done
	go func() {
		defer close(done)
		_ = gs.Serve(lis) // returns when Stop closes the listener
	}()
	return nil
}

// Stop closes the listener and every connection at once, failing in-flight
// calls and subscriptions with Unavailable, as a crashed or partitioned
// server would. The log is kept; Start("") serves it again.
func (s *Server) Stop() {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.gs == nil {
		return
	}
	s.gs.Stop()
	<-s.done
	s.gs = nil
}

// Addr is host:port of the last Start.
func (s *Server) Addr() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.addr
}

// URL is the single-node connection string for the client:
// esdb://127.0.0.1:PORT?tls=false. Single-node URLs make the client skip
// gossip and go straight to ServerFeatures.
func (s *Server) URL() string { return "esdb://" + s.Addr() + "?tls=false" }

// Len is the number of events in the log, system events included.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// proposed is an event as an append carries it.
type proposed struct {
	id          uuid.UUID
	eventType   string
	contentType string
	data, meta  []byte
}

// writeLocked appends events to stream at its end. The records of one append
// share the commit position of the first record and each has its own
// prepare position, both byte offsets.
func (s *Server) writeLocked(stream string, ps []proposed) {
	idx := s.streams[stream]
	commit := s.next
	now := time.Now().UnixNano() / 100
	for i, p := range ps {
		r := record{
			stream:      stream,
			revision:    uint64(len(idx) + i),
			id:          p.id,
			eventType:   p.eventType,
			contentType: p.contentType,
			created:     now,
			data:        p.data,
			meta:        p.meta,
			commit:      commit,
			prepare:     s.next,
		}
		// A prepare record's size: a fixed header plus its variable parts.
		s.next += uint64(64 + len(stream) + len(p.eventType) + len(p.data) + len(p.meta))
		s.streams[stream] = append(s.streams[stream], len(s.log))
		s.log = append(s.log, r)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
	srv *Server
}

// GetSupportedMethods lists what the test server implements. Leaving out
// batchappend keeps the client on the plain Append call.
func (f *featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const svc = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: f.srv.opts.Version,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: svc, MethodName: "read"},
			{ServiceName: svc, MethodName: "append"},
			{ServiceName: "event_store.client.gossip.gossip", MethodName: "read"},
		},
	}, nil
}

type gossipService struct {
	gossip.UnimplementedGossipServer
	srv *Server
}

// Read reports a one-node cluster whose only member is the leader, so that
// cluster-style connection strings (gossip seeds, esdb+discover) work too.
func (g *gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	host, portText, err := net.SplitHostPort(g.srv.Addr())
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, err
	}
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   protoUUID(g.srv.instanceID, true),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(port)},
	}}}, nil
}
