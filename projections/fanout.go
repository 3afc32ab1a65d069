package projections

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hoso-ledger/hoso/eventstore"
)

// hub is one read of the log shared by the workers of a Runner. Reading
// the log, opening the sealed members and decoding every event is the same
// work for every projection; with a worker per projection each did it
// again (eleven times for the service's read models), and during a
// catch-up from nothing that was about a third of all the work.
//
// The hub subscribes to the store from the position of the first worker
// that attaches and keeps the events it read in a window of immutable
// pages, handed as they are to every attached worker. A worker attaches
// when its position is in the window (or at its end), and otherwise reads
// on its own (ReadAll, page by page) until it is: a worker far behind (a
// rebuild from the start) or ahead (a checkpoint past the others) does not
// hold the others back. The window holds at most max events: when it is
// full, the hub drops its oldest page once no worker needs it; when a
// worker waits at the window's end, it evicts the workers still on the
// oldest page that have taken no events for stall, which go on reading on
// their own. A slow projection that is still moving is waited for: left
// to read on its own, it would read and open the log a second time on the
// same two cores, and the catch-up ends with it anyway. So a stuck
// projection delays the others by at most max events and stall, and an
// evicted one rejoins when its own reads reach the window.
//
// The hub only shares the reading: every worker keeps its own checkpoint,
// transactions, retries and state, exactly as when it read alone.
type hub struct {
	store    eventstore.Store
	pageSize int
	max      int
	stall    time.Duration

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change of the window or of a worker's place
	running bool
	epoch   int // of the current reader: a stopped reader's late pages are dropped
	cancel  context.CancelFunc
	done    chan struct{} // closed when the current reader has stopped
	pages   [][]eventstore.Event
	lo      int64               // sequence number of pages[0]
	start   eventstore.Position // just before pages[0][0]
	head    eventstore.Position // the last event read
	held    int                 // events in pages
	subs    map[*hubSub]struct{}
}

// hubSub is one attached worker's place in the window: the page it reads
// next (a sequence number) and the offset in it.
type hubSub struct {
	next    int64
	off     int
	moved   time.Time // when it last took events (or attached)
	evicted bool
	err     error
}

var errEvicted = errors.New("projections: evicted from the shared read")

func newHub(store eventstore.Store, pageSize, max int, stall time.Duration) *hub {
	return &hub{store: store, pageSize: pageSize, max: max, stall: stall, changed: make(chan struct{}), subs: map[*hubSub]struct{}{}}
}

// signal wakes everyone waiting for a change. Called with mu held.
func (h *hub) signal() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *hub) hi() int64 { return h.lo + int64(len(h.pages)) }

// attach places a worker whose last event is at pos, starting the reader
// there when none runs. It reports false when pos is outside the window.
func (h *hub) attach(pos eventstore.Position) (*hubSub, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &hubSub{moved: time.Now()}
	switch {
	case !h.running:
		h.startReader(pos)
		s.next = h.hi()
	case pos.Compare(h.start) == 0:
		s.next = h.lo
	case pos.After(h.start) && !pos.After(h.head):
		k := sort.Search(len(h.pages), func(k int) bool {
			p := h.pages[k]
			return p[len(p)-1].Position.Compare(pos) >= 0
		})
		if k == len(h.pages) {
			return nil, false
		}
		p := h.pages[k]
		i := sort.Search(len(p), func(i int) bool { return p[i].Position.Compare(pos) >= 0 })
		if p[i].Position.Compare(pos) != 0 {
			return nil, false // not an event's position: read on one's own
		}
		s.next, s.off = h.lo+int64(k), i+1
		if s.off == len(p) {
			s.next, s.off = s.next+1, 0
		}
	default:
		return nil, false
	}
	h.subs[s] = struct{}{}
	h.signal()
	return s, true
}

// startReader starts reading the log after pos. Called with mu held.
func (h *hub) startReader(pos eventstore.Position) {
	ctx, cancel := context.WithCancel(context.Background())
	h.epoch++
	h.running, h.cancel, h.done = true, cancel, make(chan struct{})
	h.start, h.head = pos, pos
	h.lo += int64(len(h.pages))
	h.pages, h.held = nil, 0
	go h.read(ctx, h.epoch, pos, h.done)
}

// detach removes s; the last worker to leave stops the reader and waits
// until it has.
func (h *hub) detach(s *hubSub) {
	h.mu.Lock()
	delete(h.subs, s)
	if len(h.subs) > 0 || !h.running {
		h.signal()
		h.mu.Unlock()
		return
	}
	done := h.stop()
	h.mu.Unlock()
	<-done
}

// stop ends the current reader and empties the window. Called with mu held.
func (h *hub) stop() (done chan struct{}) {
	h.cancel()
	h.running = false
	h.lo += int64(len(h.pages))
	h.pages, h.held = nil, 0
	h.signal()
	return h.done
}

// next returns the events after s's place that the window holds, waiting
// for the reader when s has them all. The slice is shared with the other
// workers: read it, never change it.
func (h *hub) next(ctx context.Context, s *hubSub) ([]eventstore.Event, error) {
	for {
		h.mu.Lock()
		switch {
		case s.err != nil:
			h.mu.Unlock()
			return nil, s.err
		case s.evicted || s.next < h.lo:
			h.mu.Unlock()
			return nil, errEvicted
		case s.next < h.hi():
			evs := h.pages[s.next-h.lo][s.off:]
			s.next, s.off, s.moved = s.next+1, 0, time.Now()
			h.signal()
			h.mu.Unlock()
			return evs, nil
		}
		wait := h.changed
		h.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// read subscribes to the log after from and publishes what arrives in
// pages: as many events as are there, up to pageSize.
func (h *hub) read(ctx context.Context, epoch int, from eventstore.Position, done chan struct{}) {
	events := make(chan eventstore.Event, h.pageSize)
	var subErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(events)
		for ev, err := range h.store.Subscribe(ctx, from) {
			if err != nil {
				subErr = err
				return
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				return
			}
		}
	})
	defer func() {
		wg.Wait()
		close(done)
	}()
	scratch := make([]eventstore.Event, 0, h.pageSize)
	for {
		ev, ok := <-events
		if !ok {
			wg.Wait()
			h.fail(ctx, epoch, subErr)
			return
		}
		scratch = append(scratch[:0], ev)
	drain:
		for len(scratch) < h.pageSize {
			select {
			case ev, ok := <-events:
				if !ok {
					break drain
				}
				scratch = append(scratch, ev)
			default:
				break drain
			}
		}
		// A page is as long as what was queued, often far less than
		// pageSize: allocating pageSize for each was the catch-up's largest
		// allocation.
		if !h.publish(ctx, epoch, slices.Clone(scratch)) {
			return
		}
	}
}

// fail hands the subscription's error to every attached worker and stops
// the reader: the next worker to attach starts another.
func (h *hub) fail(ctx context.Context, epoch int, err error) {
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		err = errors.New("projections: subscription ended")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if epoch != h.epoch || !h.running {
		return
	}
	for s := range h.subs {
		s.err = err
	}
	h.cancel()
	h.running = false
	h.lo += int64(len(h.pages))
	h.pages, h.held = nil, 0
	h.signal()
}

// publish appends page to the window once there is room, making room as
// the type's comment says. It returns false when the reader was stopped.
func (h *hub) publish(ctx context.Context, epoch int, page []eventstore.Event) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		if epoch != h.epoch || !h.running || ctx.Err() != nil {
			return false
		}
		if len(h.pages) == 0 || h.held+len(page) <= h.max {
			break
		}
		waiting := false
		for s := range h.subs {
			waiting = waiting || s.next == h.hi()
		}
		// The oldest page goes once none of its workers still needs it:
		// each has moved on, or is evicted because another waits and it
		// has taken nothing for stall.
		now, needed := time.Now(), false
		var patience time.Duration
		for s := range h.subs {
			if s.next != h.lo || s.evicted {
				continue
			}
			if left := h.stall - now.Sub(s.moved); !waiting || left > 0 {
				if !needed || left < patience {
					patience = left
				}
				needed = true
				continue
			}
			s.evicted = true
		}
		if needed {
			wait := h.changed
			h.mu.Unlock()
			var timeout <-chan time.Time
			var t *time.Timer
			if waiting {
				t = time.NewTimer(patience)
				timeout = t.C
			}
			select {
			case <-wait:
			case <-timeout:
			case <-ctx.Done():
			}
			if t != nil {
				t.Stop()
			}
			h.mu.Lock()
			continue
		}
		oldest := h.pages[0]
		h.pages[0] = nil
		h.pages = h.pages[1:]
		h.lo++
		h.held -= len(oldest)
		h.start = oldest[len(oldest)-1].Position
	}
	h.pages = append(h.pages, page)
	h.held += len(page)
	h.head = page[len(page)-1].Position
	h.signal()
	return true
}

// feed sends to out every event after from, in order, from the hub while
// the worker is in its window and from its own reads otherwise, until ctx
// is done or a read fails.
func (r *Runner) feed(ctx context.Context, name string, from eventstore.Position, out chan<- eventstore.Event) error {
	pos := from
	send := func(evs []eventstore.Event) error {
		for _, ev := range evs {
			select {
			case out <- ev:
				pos = ev.Position
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	if r.hub == nil {
		for ev, err := range r.store.Subscribe(ctx, from) {
			if err != nil {
				return err
			}
			if err := send([]eventstore.Event{ev}); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	s, _ := r.hub.attach(pos)
	for {
		if s != nil {
			err := r.shared(ctx, s, send)
			r.hub.detach(s)
			s = nil
			if !errors.Is(err, errEvicted) {
				return err
			}
			r.m.evictions.WithLabelValues(name).Inc()
		}
		// On one's own until the window is reached.
		evs, err := r.store.ReadAll(ctx, pos, r.cfg.BatchSize)
		if err != nil {
			return err
		}
		if err := send(evs); err != nil {
			return err
		}
		if len(evs) == 0 {
			// Past the window's end: the hub has not read as far yet.
			if s, err = r.hub.waitAttach(ctx, pos, r.cfg.PollInterval); err != nil {
				return err
			}
		} else {
			s, _ = r.hub.attach(pos)
		}
	}
}

func (r *Runner) shared(ctx context.Context, s *hubSub, send func([]eventstore.Event) error) error {
	for {
		evs, err := r.hub.next(ctx, s)
		if err != nil {
			return err
		}
		if err := send(evs); err != nil {
			return err
		}
	}
}

// waitAttach attaches a worker whose last event is at pos as soon as the
// window reaches it, waiting at most d (then nil: read on one's own again).
func (h *hub) waitAttach(ctx context.Context, pos eventstore.Position, d time.Duration) (*hubSub, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		h.mu.Lock()
		wait := h.changed
		h.mu.Unlock()
		if s, ok := h.attach(pos); ok {
			return s, nil
		}
		select {
		case <-wait:
		case <-t.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
