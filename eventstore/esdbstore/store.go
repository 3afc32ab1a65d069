package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// StreamPrefix namespaces hoso's streams inside the database: hoso's
	// stream "dossier-…" is EventStoreDB's StreamPrefix+"dossier-…", and
	// $all is filtered to the prefix. Empty means no prefix, in which case
	// every stream whose name begins with a letter is taken to be hoso's
	// (EventStoreDB's own streams begin with "$", hoso's event id claims
	// with "_"). A prefix must begin with a letter, for the same reason.
	// Tests use a fresh prefix to share one server.
	StreamPrefix string
	// DedupWindow is how many of a stream's latest events Append reads
	// besides the last one it needs for the hash chain, as a fast path for
	// recognizing an idempotent retry of a recent append without consulting
	// the event id claims. Zero reads just as many as the append carries,
	// which finds a retry of the stream's last append (claims find any
	// other), and lets Append skip the read altogether when the TipCache
	// knows the stream; a positive window reads the tail on every append.
	DedupWindow int
	// MaxAppendAttempts bounds how often Append re-reads and retries, after
	// a short random backoff, when a concurrent writer moved the stream
	// under an eventstore.Any append. Default 64.
	MaxAppendAttempts int
	// ResubscribeMinDelay and ResubscribeMaxDelay bound the exponential
	// backoff between attempts to resume a dropped subscription. Defaults
	// 50 ms and 5 s.
	ResubscribeMinDelay, ResubscribeMaxDelay time.Duration
	// TipCache bounds how many streams' last version and hash the Store
	// remembers from its own appends, to skip the tail read when it appends
	// to the same stream again. Default 10000.
	TipCache int
	// ClaimTimeout is how old a claim on an event id (see claims.go) for a
	// stream where the event never landed must be before another stream may
	// take the id over; younger, the claiming append may still be in flight.
	// Default 1 minute, well over an append's deadline.
	ClaimTimeout time.Duration
	// ReadAllPage is how many $all records ReadAll fetches per call to the
	// server; foreign and system records are dropped from each page.
	// Default 512.
	ReadAllPage int
	// Now is the clock stamping RecordedAt; time.Now when nil.
	Now func() time.Time
	// Logger receives resubscription notices and, for stores made by Open,
	// the client library's own log. Nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.DedupWindow < 0 {
		o.DedupWindow = 0
	}
	if o.MaxAppendAttempts <= 0 {
		o.MaxAppendAttempts = 64
	}
	if o.ResubscribeMinDelay <= 0 {
		o.ResubscribeMinDelay = 50 * time.Millisecond
	}
	if o.ResubscribeMaxDelay < o.ResubscribeMinDelay {
		o.ResubscribeMaxDelay = max(5*time.Second, o.ResubscribeMinDelay)
	}
	if o.TipCache <= 0 {
		o.TipCache = 10000
	}
	if o.ClaimTimeout <= 0 {
		o.ClaimTimeout = time.Minute
	}
	if o.ReadAllPage < 2 {
		o.ReadAllPage = 512
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Store is an eventstore.Store on EventStoreDB. It is safe for concurrent use.
type Store struct {
	opts Options
	// conf is set when the Store made its own client (Open): the client
	// library closes a client for good once node discovery fails, so such a
	// Store dials a fresh one rather than staying dead after an outage.
	conf *esdb.Configuration

	tips tips

	// bad is a configuration error New could not return; every call
	// reports it.
	bad error

	mu     sync.Mutex
	client *esdb.Client
	closed bool
}

// checkPrefix enforces Options.StreamPrefix's rule.
func checkPrefix(p string) error {
	if p == "" {
		return nil
	}
	if c := p[0]; ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
		return nil
	}
	return fmt.Errorf("%w: esdbstore: stream prefix %q must begin with a letter (\"$\" is EventStoreDB's, \"_\" hoso's id claims)", eventstore.ErrInvalid, p)
}

var _ eventstore.Store = (*Store)(nil)

// New returns a Store on client, which the caller keeps and closes. If the
// client closes itself (after an outage longer than its node discovery
// allows), operations fail until the caller builds a new Store; Open avoids
// that by owning its client.
func New(client *esdb.Client, opts Options) *Store {
	opts = opts.withDefaults()
	return &Store{opts: opts, client: client, bad: checkPrefix(opts.StreamPrefix), tips: tips{max: opts.TipCache}}
}

// Open connects to EventStoreDB with a connection string, for example
// "esdb://127.0.0.1:2113?tls=false" for a single insecure node, or
// "esdb://admin:changeit@node1:2113,node2:2113,node3:2113?tlsCAFile=/etc/hoso/esdb-ca.crt&nodePreference=leader"
// for a cluster. Errors wrap eventstore.ErrInvalid for a bad string or
// options. Close releases the connection.
func Open(connectionString string, opts Options) (*Store, error) {
	if err := checkPrefix(opts.StreamPrefix); err != nil {
		return nil, err
	}
	conf, err := esdb.ParseConnectionString(connectionString)
	if err != nil {
		// A URL syntax error quotes the whole string, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("%w: esdbstore: connection string is not a valid URL", eventstore.ErrInvalid)
		}
		return nil, fmt.Errorf("%w: esdbstore: connection string: %v", eventstore.ErrInvalid, err)
	}
	opts = opts.withDefaults()
	conf.Logger = clientLogger(opts.Logger)
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdbstore: %w", err)
	}
	return &Store{opts: opts, conf: conf, client: client, tips: tips{max: opts.TipCache}}, nil
}

// Close closes a client that Open made; for a Store from New it only stops
// the Store. Later calls return eventstore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conf != nil {
		return s.client.Close()
	}
	return nil
}

// current returns the client to use now.
func (s *Store) current() (*esdb.Client, error) {
	if s.bad != nil {
		return nil, s.bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	return s.client, nil
}

// recover replaces c with a freshly dialled client when c has closed itself
// and the Store owns its configuration. It reports whether trying again can
// help.
func (s *Store) recover(c *esdb.Client, err error) bool {
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeConnectionClosed {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.conf == nil {
		return false
	}
	if s.client == c {
		fresh, err := esdb.NewClient(s.conf)
		if err != nil {
			return false
		}
		_ = c.Close()
		s.client = fresh
		s.opts.Logger.Info("esdbstore: client closed itself after failed discovery; dialled a new one")
	}
	return true
}

// name is the EventStoreDB stream of a hoso stream.
func (s *Store) name(stream string) string { return s.opts.StreamPrefix + stream }

// ours maps an EventStoreDB stream and event type back to a hoso stream id,
// or reports that the event belongs to someone else: EventStoreDB's system
// streams and events ("$…"), or streams outside the prefix.
func (s *Store) ours(esdbStream, eventType string) (string, bool) {
	stream, ok := strings.CutPrefix(esdbStream, s.opts.StreamPrefix)
	if !ok || stream == "" || strings.HasPrefix(eventType, "$") {
		return "", false
	}
	c := stream[0]
	return stream, ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// filter is the server-side $all filter matching ours: the prefix, or
// names beginning with a letter.
func (s *Store) filter() *esdb.SubscriptionFilter {
	if s.opts.StreamPrefix != "" {
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{s.opts.StreamPrefix}}
	}
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Regex: "^[A-Za-z]"}
}

// clientLogger adapts the client library's printf-style log to slog. Its
// info level is chatty connection chatter, so it goes to debug.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...interface{}) {
		lvl := slog.LevelDebug
		switch level {
		case esdb.LogWarn:
			lvl = slog.LevelInfo
		case esdb.LogError:
			lvl = slog.LevelWarn
		}
		if !l.Enabled(context.Background(), lvl) {
			return
		}
		l.Log(context.Background(), lvl, "esdb client: "+fmt.Sprintf(format, args...))
	}
}

// isWrongExpectedVersion recognizes EventStoreDB's optimistic concurrency
// failure by the client's error code, never by its message.
func isWrongExpectedVersion(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion
}

// isNotFound recognizes a read of a stream without events.
func isNotFound(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeResourceNotFound
}
