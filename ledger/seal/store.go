package seal

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Paths names, for an event type, the payload members to seal: each path
// is a list of object keys, Wildcard standing for every element of an
// array. nil: the type carries nothing sensitive. The domain provides it
// (dossier.SensitivePayloadPaths).
type Paths func(eventType string) [][]string

// Store is an eventstore.Store that seals the sensitive members of the
// events of the streams it covers on Append and opens them on every read.
// The store beneath holds, hashes and chains only the sealed bytes.
//
// Events stored before sealing began (plaintext) are read as they are.
// An event whose key cannot be had fails the read (or, on Append, the
// whole append, so nothing is written) with an error wrapping ErrKey.
type Store struct {
	inner  eventstore.Store
	keys   *Keyring
	paths  Paths
	prefix string

	mu    sync.RWMutex
	tries map[string]*trie
}

// NewStore wraps inner: events of the streams whose id starts with
// streamPrefix ("dossier-") are sealed under their stream's data key.
func NewStore(inner eventstore.Store, keys *Keyring, paths Paths, streamPrefix string) *Store {
	return &Store{inner: inner, keys: keys, paths: paths, prefix: streamPrefix, tries: map[string]*trie{}}
}

// Inner is the store beneath, which returns events as stored (sealed).
func (s *Store) Inner() eventstore.Store { return s.inner }

// Keys is the keyring the store seals with.
func (s *Store) Keys() *Keyring { return s.keys }

func (s *Store) trie(eventType string) *trie {
	s.mu.RLock()
	t, ok := s.tries[eventType]
	s.mu.RUnlock()
	if ok {
		return t
	}
	if p := s.paths(eventType); len(p) > 0 {
		t = newTrie(p)
	}
	s.mu.Lock()
	s.tries[eventType] = t
	s.mu.Unlock()
	return t
}

func eventAAD(stream, id, eventType string) []byte {
	const tag = "hoso/seal/event/v1\x00"
	b := make([]byte, 0, len(tag)+len(stream)+len(id)+len(eventType)+2)
	b = append(append(append(b, tag...), stream...), 0)
	b = append(append(append(b, id...), 0), eventType...)
	return b
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	out, err := s.seal(ctx, stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.inner.Append(ctx, stream, expected, out...)
}

var _ eventstore.BulkAppender = (*Store)(nil)

// AppendNewStreams implements eventstore.BulkAppender: every stream sealed
// as Append seals it, then written by the store beneath in one request
// (eventstore.AppendNewStreams: its own bulk path, or its fallback). The
// data keys of new dossiers are created first; a refused batch leaves them
// stored, unused until the dossier is created.
func (s *Store) AppendNewStreams(ctx context.Context, streams []eventstore.NewStream) ([]eventstore.AppendResult, error) {
	var scopes []string
	for _, ns := range streams {
		if strings.HasPrefix(ns.Stream, s.prefix) && slices.ContainsFunc(ns.Events, func(e eventstore.EventData) bool { return s.trie(e.Type) != nil }) {
			scopes = append(scopes, ns.Stream)
		}
	}
	if err := s.keys.Warm(ctx, scopes); err != nil {
		return nil, err
	}
	out := make([]eventstore.NewStream, len(streams))
	for i, ns := range streams {
		evs, err := s.seal(ctx, ns.Stream, ns.Events)
		if err != nil {
			return nil, err
		}
		out[i] = eventstore.NewStream{Stream: ns.Stream, Events: evs}
	}
	return eventstore.AppendNewStreams(ctx, s.inner, out)
}

// seal returns events with their sensitive members sealed under stream's
// data key (events itself when nothing is sealed).
func (s *Store) seal(ctx context.Context, stream string, events []eventstore.EventData) ([]eventstore.EventData, error) {
	if !strings.HasPrefix(stream, s.prefix) {
		return events, nil
	}
	var out []eventstore.EventData
	for i, e := range events {
		t := s.trie(e.Type)
		if t == nil {
			continue
		}
		k, err := s.keys.Key(ctx, stream, true)
		if err != nil {
			return nil, err
		}
		data, sealed, err := sealMembers(k, eventAAD(stream, e.ID.String(), e.Type), e.Data, t)
		if err != nil {
			return nil, fmt.Errorf("sealing %s: %w", e.Type, err)
		}
		if !sealed {
			continue
		}
		if out == nil {
			out = append([]eventstore.EventData(nil), events...)
		}
		out[i].Data = data
	}
	if out == nil {
		return events, nil
	}
	return out, nil
}

// Open returns ev with its sealed members put back (ev itself when it has
// none).
func (s *Store) Open(ctx context.Context, ev eventstore.Event) (eventstore.Event, error) {
	if !strings.HasPrefix(ev.StreamID, s.prefix) || !IsSealed(ev.Data) {
		return ev, nil
	}
	k, err := s.keys.Key(ctx, ev.StreamID, false)
	if err != nil {
		return ev, fmt.Errorf("opening %s@%d: %w", ev.StreamID, ev.Version, err)
	}
	data, err := openMembers(k, eventAAD(ev.StreamID, ev.ID.String(), ev.Type), ev.Data)
	if err != nil {
		return ev, fmt.Errorf("opening %s@%d: %w", ev.StreamID, ev.Version, err)
	}
	ev.Data = data
	return ev, nil
}

func (s *Store) openAll(ctx context.Context, evs []eventstore.Event, err error) ([]eventstore.Event, error) {
	if err != nil {
		return evs, err
	}
	for i := range evs {
		if evs[i], err = s.Open(ctx, evs[i]); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	evs, err := s.inner.ReadStream(ctx, stream, opts)
	return s.openAll(ctx, evs, err)
}

// ReadStreams implements eventstore.Store.
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.Event, error) {
	read, err := s.inner.ReadStreams(ctx, streams)
	if err != nil {
		return nil, err
	}
	for n, evs := range read {
		if read[n], err = s.openAll(ctx, evs, nil); err != nil {
			return nil, err
		}
	}
	return read, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.Event, error) {
	evs, err := s.inner.ReadAll(ctx, from, limit)
	return s.openAll(ctx, evs, err)
}

// Subscribe implements eventstore.Store. An event that does not open ends
// the subscription with its error, like any non-retryable error.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for ev, err := range s.inner.Subscribe(ctx, from) {
			if err == nil {
				if ev, err = s.Open(ctx, ev); err != nil {
					yield(ev, err)
					return
				}
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}

type pendingReader interface {
	Pending(ctx context.Context, from eventstore.Position) (bool, error)
}

// Pending forwards projections.PendingReader to the store beneath; a store
// without the notion has nothing pending that ReadAll would not return.
func (s *Store) Pending(ctx context.Context, from eventstore.Position) (bool, error) {
	if p, ok := s.inner.(pendingReader); ok {
		return p.Pending(ctx, from)
	}
	return false, nil
}

// OpenWith returns ev's payload with its sealed members put back, opened
// with raw, the data key of ev's stream handed over by a key release (the
// national receiver has no keyring). A payload with nothing sealed is
// returned as it is; a wrong key is an error wrapping ErrKey.
func OpenWith(raw []byte, ev eventstore.Event) ([]byte, error) {
	if !IsSealed(ev.Data) {
		return ev.Data, nil
	}
	k, err := newDataKey(raw)
	if err != nil {
		return nil, err
	}
	data, err := openMembers(k, eventAAD(ev.StreamID, ev.ID.String(), ev.Type), ev.Data)
	if err != nil {
		return nil, fmt.Errorf("opening %s@%d: %w", ev.StreamID, ev.Version, err)
	}
	return data, nil
}
