package projections

import (
	"context"
	"reflect"
	"sync"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Decoder turns a stored payload into its domain event: an aggregate
// package's Decode (dossier.Decode, account.Decode).
type Decoder func(eventType string, data []byte) (domain.Event, error)

// Decode returns decode(ev.Type, ev.Data). Called with the context a Runner
// hands Apply or ApplyBatch, while the runner's workers share one read of
// the log, the result is shared too: the first projection to ask decodes,
// the others get the same value (or error). Four read models decode every
// dossier event; decoding each payload once saves three in four decodes.
//
// The value is therefore shared by projections running at once: a
// projection must not change it, nor anything it points to, nor keep it
// and change it later (TestSharedDecodingIsNotChanged feeds the service's
// read models with a check after every batch). decode must be the
// package-level decoder of the event's aggregate: the decoder is part of
// the key, by its function value.
func Decode(ctx context.Context, ev eventstore.Event, decode Decoder) (domain.Event, error) {
	m, _ := ctx.Value(decodedKey{}).(*decodedMemo)
	if m == nil {
		return decode(ev.Type, ev.Data)
	}
	e := m.entry(memoKey{id: ev.ID, decoder: reflect.ValueOf(decode).Pointer()})
	e.once.Do(func() { e.ev, e.err = decode(ev.Type, ev.Data) })
	return e.ev, e.err
}

type decodedKey struct{}

type memoKey struct {
	id      uuid.UUID
	decoder uintptr
}

type decoded struct {
	once sync.Once
	ev   domain.Event
	err  error
}

// decodedMemo keeps the decoded events of about the last max events asked
// for: two generations of at most max each; an entry found in the older
// one moves to the newer, and when the newer is full the older is dropped.
// The workers sharing a read are at most the shared window apart, so a
// memo of that size serves the slowest of them the decodings of the
// fastest; a worker evicted from the window decodes on its own.
type decodedMemo struct {
	mu       sync.Mutex
	max      int
	cur, old map[memoKey]*decoded
}

func newDecodedMemo(max int) *decodedMemo {
	return &decodedMemo{max: max, cur: make(map[memoKey]*decoded, max)}
}

func (m *decodedMemo) entry(k memoKey) *decoded {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.cur[k]; ok {
		return e
	}
	e, ok := m.old[k]
	if !ok {
		e = &decoded{}
	}
	if len(m.cur) >= m.max {
		m.old, m.cur = m.cur, make(map[memoKey]*decoded, m.max)
	}
	m.cur[k] = e
	return e
}

// withDecoded is ctx carrying the runner's memo of decoded events.
func (r *Runner) withDecoded(ctx context.Context) context.Context {
	if r.decoded == nil {
		return ctx
	}
	return context.WithValue(ctx, decodedKey{}, r.decoded)
}

// Recorded is ledger.Recorded with the payload decoded through Decode
// (shared between the runner's workers; the Recorded's Event must not be
// changed).
func Recorded(ctx context.Context, ev eventstore.Event, decode Decoder) (domain.Recorded, error) {
	return ledger.Recorded(ev, func(string, []byte) (domain.Event, error) { return Decode(ctx, ev, decode) })
}
