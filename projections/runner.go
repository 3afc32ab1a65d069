package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/pgerr"
)

// Config tunes a Runner. Zero fields take the defaults noted.
type Config struct {
	// BatchSize caps the events applied in one transaction (default 1000).
	BatchSize int
	// BatchWindow is how long a batch waits for more events once it has one
	// (default 50ms): the upper bound a live event waits before it is applied.
	BatchWindow time.Duration
	// MaxAttempts is how many times one event's transaction is tried before
	// the projection stops as failed (default 6). Tries that find the
	// database unavailable (pgerr.Unavailable) do not count.
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the exponential backoff between
	// attempts (defaults 200ms and 10s).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// PollInterval is how often an idle worker checks whether it is caught up
	// (and, for a rebuild, tries to swap), and how often a failed one looks
	// for a retry (default 2s).
	PollInterval time.Duration
	// SwapLockTimeout bounds how long a swap waits for readers holding the
	// old views before trying again later (default 5s).
	SwapLockTimeout time.Duration
	// Changed, when set, is called after every commit of a projection's
	// read model and after a rebuilt one is swapped in, with its name: an
	// in-process cache of a read model drops what it holds then.
	Changed func(projection string)
	// SharedReadBuffer bounds the events of the log read once and shared by
	// the workers of the runner (default 16 × BatchSize): the furthest a
	// slow projection can hold the others back before it is left to read
	// on its own. Negative: every worker reads the log on its own.
	SharedReadBuffer int
	// SharedReadStall is how long a projection on the shared read's oldest
	// page may go without taking events before, with the window full and
	// another projection waiting at its end, it is left to read on its own
	// (default 5s; negative: at once). One still taking events is waited
	// for: an evicted projection reads and opens the log again on its own,
	// which in a catch-up from nothing cost more than the wait (the audit
	// trail, the slowest, read the log up to 2.4 times), and the catch-up
	// ends with the slowest projection either way.
	SharedReadStall time.Duration
	Logger          *slog.Logger     // default: discard
	Metrics         *Metrics         // default: unregistered collectors
	Now             func() time.Time // default time.Now; used for lag only
}

func (c Config) withDefaults() Config {
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.BatchWindow <= 0 {
		c.BatchWindow = 50 * time.Millisecond
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 6
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = 200 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.SwapLockTimeout <= 0 {
		c.SwapLockTimeout = 5 * time.Second
	}
	if c.SharedReadBuffer == 0 {
		c.SharedReadBuffer = 16 * c.BatchSize
	}
	if c.SharedReadBuffer > 0 {
		c.SharedReadBuffer = max(c.SharedReadBuffer, 2*c.BatchSize)
	}
	if c.SharedReadStall == 0 {
		c.SharedReadStall = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics, _ = NewMetrics(nil)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Runner applies the event log to projections. Its tables (read models and
// projection_checkpoints) are in the current schema of pool's connections.
// One Runner may serve many projections; several processes may run the same
// projections at once (each generation is worked by one of them at a time,
// the others stand by).
type Runner struct {
	pool  *pgxpool.Pool
	store eventstore.Store
	cfg   Config
	log   *slog.Logger
	m     *Metrics
	hub   *hub // nil: every worker reads on its own
	// decoded shares the decoding of payloads between the workers that
	// share the hub's read (Decode); nil without a hub.
	decoded *decodedMemo
}

// NewRunner returns a runner over the store's log writing to pool.
func NewRunner(pool *pgxpool.Pool, store eventstore.Store, cfg Config) *Runner {
	cfg = cfg.withDefaults()
	r := &Runner{pool: pool, store: store, cfg: cfg, log: cfg.Logger, m: cfg.Metrics}
	if cfg.SharedReadBuffer > 0 {
		r.hub = newHub(store, cfg.BatchSize, cfg.SharedReadBuffer, max(cfg.SharedReadStall, 0))
		r.decoded = newDecodedMemo(cfg.SharedReadBuffer + 2*cfg.BatchSize)
	}
	return r
}

var (
	errRetired         = errors.New("projections: generation was replaced or dropped")
	errMoved           = errors.New("projections: checkpoint moved under this worker")
	errFailedElsewhere = fmt.Errorf("%w: generation is in state failed", ErrFailed)
	errLocked          = errors.New("projections: another worker holds this generation")
)

// PoisonError is returned (by Rebuild) and recorded (in the status) when a
// projection stops on an event it cannot apply. It wraps ErrFailed and the
// projection's error.
type PoisonError struct {
	Projection string
	Generation int
	EventID    string
	Position   eventstore.Position
	Type       string
	Err        error
}

func (e *PoisonError) Error() string {
	return fmt.Sprintf("projections: %s generation %d stopped on event %s (%s at %s): %v",
		e.Projection, e.Generation, e.EventID, e.Type, e.Position, e.Err)
}

func (e *PoisonError) Unwrap() []error { return []error{ErrFailed, e.Err} }

// Run keeps every projection in ps current until ctx is done, then returns
// nil once all its workers have stopped. Each projection has its own worker:
// one that fails on a poison event waits in state failed (for Retry, or the
// next start of Run, which clears it) while the others go on. A projection
// whose live generation was built with another Version is rebuilt aside and
// swapped in; the old generation keeps serving, frozen, until then.
//
// Run returns ErrInvalid at once for an invalid projection or a name given twice.
func (r *Runner) Run(ctx context.Context, ps ...Projection) error {
	seen := map[string]bool{}
	for _, p := range ps {
		if err := validate(p); err != nil {
			return err
		}
		if seen[p.Name()] {
			return fmt.Errorf("%w: %s given twice", ErrInvalid, p.Name())
		}
		seen[p.Name()] = true
	}
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() { r.supervise(ctx, p) })
	}
	wg.Wait()
	return nil
}

func (r *Runner) supervise(ctx context.Context, p Projection) {
	log := r.log.With("projection", p.Name())
	// Starting the runner is the operator's way to retry a failed projection.
	for ctx.Err() == nil {
		n, err := clearFailed(ctx, r.pool, p.Name())
		if err == nil {
			if n > 0 {
				log.Info("projection: clearing failed state on start")
			}
			break
		}
		log.Error("projection: reading state", "err", err)
		sleep(ctx, r.cfg.MaxBackoff)
	}
	restart := r.waits()
	for ctx.Err() == nil {
		g, build, err := r.plan(ctx, p, false, false)
		if err == nil {
			_, err = r.consume(ctx, p, g, build, nil)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err == nil, errors.Is(err, errRetired), errors.Is(err, errMoved):
			restart.Reset()
		case errors.Is(err, ErrFailed):
			r.m.setState(p.Name(), StateFailed)
			r.waitRetry(ctx, p.Name())
		case errors.Is(err, errLocked):
			sleep(ctx, r.cfg.PollInterval)
		default:
			wait := restart.NextBackOff()
			log.Error("projection: worker stopped, restarting", "err", err, "backoff", wait)
			sleep(ctx, wait)
		}
	}
}

// waitRetry returns once no generation of name is failed any more.
func (r *Runner) waitRetry(ctx context.Context, name string) {
	for sleep(ctx, r.cfg.PollInterval) {
		var failed bool
		err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM projection_checkpoints WHERE projection = $1 AND state = 'failed')`, name).Scan(&failed)
		if err == nil && !failed {
			return
		}
	}
}

// RebuildOptions tunes Rebuild.
type RebuildOptions struct {
	// Fresh discards an interrupted rebuild of the same version instead of
	// resuming it from its checkpoint.
	Fresh bool
	// Progress, when set, is called after every committed batch.
	Progress func(Progress)
}

// Progress reports a worker's advance.
type Progress struct {
	Projection     string
	Generation     int
	Position       eventstore.Position
	Applied        int64     // events applied by this call so far
	LastRecordedAt time.Time // of the last applied event
	Elapsed        time.Duration
}

// Rebuild builds a new generation of p from the start of the log beside the
// live one (which keeps serving and, in whatever process runs it, keeps
// following the log), and swaps the views to it once it has caught up with
// both the log and the live generation. It returns nil after the swap, the
// context's error when cancelled (a later Rebuild resumes where this one
// stopped unless opts.Fresh), and a *PoisonError (ErrFailed) when an event
// cannot be applied.
func (r *Runner) Rebuild(ctx context.Context, p Projection, opts RebuildOptions) error {
	if err := validate(p); err != nil {
		return err
	}
	g, _, err := r.plan(ctx, p, true, opts.Fresh)
	if err != nil {
		return err
	}
	if err := dropRetired(ctx, r.pool, p.Name(), p.Version(), g.gen); err != nil {
		r.log.Warn("projection: dropping stale generations", "projection", p.Name(), "err", err)
	}
	for {
		swapped, err := r.consume(ctx, p, g, true, opts.Progress)
		switch {
		case swapped:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil, errors.Is(err, errMoved), errors.Is(err, errLocked):
			// Another process works this generation: wait for it, and stop
			// when it has swapped it in.
			if errors.Is(err, errLocked) {
				sleep(ctx, r.cfg.PollInterval)
			}
			if err := r.reload(ctx, g); err != nil {
				return err
			}
			if g.live {
				return nil
			}
		default:
			return err
		}
	}
}

// Retry clears the failed state of the projection called name so that its
// worker (in this or any process) resumes from its checkpoint. It returns
// ErrUnknown when name has no generation, and nil when none was failed.
func (r *Runner) Retry(ctx context.Context, name string) (cleared bool, err error) {
	var known bool
	if err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM projection_checkpoints WHERE projection = $1)`, name).Scan(&known); err != nil {
		return false, fmt.Errorf("projections: %w", err)
	}
	if !known {
		return false, fmt.Errorf("%w: %q has no generation", ErrUnknown, name)
	}
	n, err := clearFailed(ctx, r.pool, name)
	return n > 0, err
}

// plan picks the generation to work on: in Run, the live one (created on
// first start) or, when its Version is outdated, a rebuild; in Rebuild, an
// interrupted rebuild of this version or a new generation.
func (r *Runner) plan(ctx context.Context, p Projection, rebuild, fresh bool) (g *generation, build bool, err error) {
	var stale bool
	// Whether a live generation created now could have its query indexes
	// at once (see createGeneration). Events appended after this look only
	// make the generation maintain them row by row, as it always did.
	head, err := r.store.ReadAll(ctx, eventstore.Start, 1)
	if err != nil {
		return nil, false, fmt.Errorf("projections: %s: reading the log's first event: %w", p.Name(), err)
	}
	logEmpty := len(head) == 0
	err = inTx(ctx, r.pool, func(tx pgx.Tx) error {
		if err := lockProjection(ctx, tx, p.Name()); err != nil {
			return err
		}
		gens, err := loadGenerations(ctx, tx, p.Name(), false)
		if err != nil {
			return err
		}
		var live, building *generation
		next := 1
		for _, x := range gens {
			next = max(next, x.gen+1)
			switch {
			case x.live:
				live = x
			case x.state == StateRetired:
				stale = true
			case x.version == p.Version():
				building = x
			default:
				stale = true
			}
		}
		if rebuild && fresh && building != nil {
			if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET state = 'retired', updated_at = now() WHERE projection = $1 AND generation = $2`, p.Name(), building.gen); err != nil {
				return err
			}
			building, stale = nil, true
		}
		switch {
		case !rebuild && live != nil && live.version == p.Version():
			g = live
		case !rebuild && live == nil && building == nil:
			g, err = createGeneration(ctx, tx, p, next, true, logEmpty)
		case building != nil:
			g, build = building, true
			if g.state == StateFailed && rebuild {
				// An explicit rebuild is a retry of the interrupted one.
				if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET state = 'rebuilding', error = NULL, failed_event_id = NULL, failed_position = NULL, failed_event_type = NULL, failed_at = NULL WHERE projection = $1 AND generation = $2`, p.Name(), g.gen); err != nil {
					return err
				}
				g.state = StateRebuilding
			}
		default:
			g, err = createGeneration(ctx, tx, p, next, false, false)
			build = true
			if err == nil {
				r.log.Info("projection: building a new generation", "projection", p.Name(), "generation", g.gen, "version", g.version)
			}
		}
		return err
	})
	if err == nil && stale && !rebuild {
		if err := dropRetired(ctx, r.pool, p.Name(), p.Version(), g.gen); err != nil {
			r.log.Warn("projection: dropping stale generations", "projection", p.Name(), "err", err)
		}
	}
	return g, build, err
}

// reload refreshes g from its row.
func (r *Runner) reload(ctx context.Context, g *generation) error {
	return inTx(ctx, r.pool, func(tx pgx.Tx) error {
		gens, err := loadGenerations(ctx, tx, g.projection, false)
		if err != nil {
			return err
		}
		for _, x := range gens {
			if x.gen == g.gen && x.state != StateRetired {
				*g = *x
				return nil
			}
		}
		return errRetired
	})
}

// lock takes the session advisory lock that makes this process the only
// worker of g, on a connection of its own so that holding it costs the pool
// nothing. Closing the connection (or losing it) releases the lock; the
// checkpoint comparison in every batch keeps even a lost lock safe.
func (r *Runner) lock(ctx context.Context, g *generation) (release func(), err error) {
	var schema string
	if err := r.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	var ok bool
	key := schema + "." + g.projection + "/" + strconv.Itoa(g.gen)
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('hoso.projection_worker'), hashtext($1))`, key).Scan(&ok); err != nil || !ok {
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			err = errLocked
		}
		return nil, err
	}
	return func() { conn.Close(context.WithoutCancel(ctx)) }, nil
}

// consume feeds g from the subscription until ctx is done, an error stops
// it, or (build) it has been swapped in.
func (r *Runner) consume(ctx context.Context, p Projection, g *generation, build bool, progress func(Progress)) (swapped bool, err error) {
	release, err := r.lock(ctx, g)
	if err != nil {
		return false, err
	}
	defer release()
	// Another worker may have advanced g before we took the lock.
	if err := r.reload(ctx, g); err != nil {
		return false, err
	}
	if g.state == StateFailed {
		return false, errFailedElsewhere
	}
	log := r.log.With("projection", p.Name(), "generation", g.gen)
	log.Info("projection: worker started", "position", g.pos.String(), "rebuild", build)
	r.m.setState(p.Name(), g.state)

	subCtx, cancel := context.WithCancel(ctx)
	events := make(chan eventstore.Event, 2*r.cfg.BatchSize)
	subErr := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(events)
		if err := r.feed(subCtx, p.Name(), g.pos, events); err != nil && subCtx.Err() == nil {
			subErr <- err
		}
	}()
	defer func() { cancel(); <-done }()

	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	buf := make([]eventstore.Event, 0, r.cfg.BatchSize)
	last := g.pos // duplicate deliveries (at or before it) are dropped
	start := time.Now()
	var applied int64
	for {
		buf = buf[:0]
		select {
		case <-ctx.Done():
			return false, nil
		case ev, ok := <-events:
			if !ok {
				return false, subscriptionError(subErr)
			}
			if !ev.Position.After(last) {
				continue
			}
			buf, last = append(buf, ev), ev.Position
		case <-tick.C:
			if swapped, err := r.idle(ctx, p, g, build); err != nil || swapped {
				return swapped, err
			}
			continue
		}
		window := time.NewTimer(r.cfg.BatchWindow)
	fill:
		for len(buf) < cap(buf) {
			select {
			case ev, ok := <-events:
				if !ok {
					break fill
				}
				if !ev.Position.After(last) {
					continue
				}
				buf, last = append(buf, ev), ev.Position
			case <-window.C:
				break fill
			case <-ctx.Done():
				window.Stop()
				return false, nil
			}
		}
		window.Stop()
		if err := r.flush(ctx, p, g, buf); err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			return false, err
		}
		applied += int64(len(buf))
		if progress != nil {
			progress(Progress{Projection: p.Name(), Generation: g.gen, Position: g.pos, Applied: applied,
				LastRecordedAt: g.lastAt, Elapsed: time.Since(start)})
		}
		if len(events) > 0 || len(buf) == cap(buf) {
			// More is queued, or likely is (a full batch: the shared read
			// hands pages over a moment apart). Asking the log for its head
			// after every batch of a catch-up read and opened one event
			// per batch and projection; the ticker still asks it every
			// PollInterval.
			r.m.lag.WithLabelValues(p.Name()).Set(r.cfg.Now().Sub(g.lastAt).Seconds())
			continue
		}
		if swapped, err := r.idle(ctx, p, g, build); err != nil || swapped {
			return swapped, err
		}
	}
}

func subscriptionError(c chan error) error {
	select {
	case err := <-c:
		return fmt.Errorf("projections: subscription: %w", err)
	default:
		return errors.New("projections: subscription ended")
	}
}

// idle runs when nothing is queued: it checks whether g has reached the
// head of the log, updates lag and state, and swaps a caught-up rebuild in.
func (r *Runner) idle(ctx context.Context, p Projection, g *generation, build bool) (swapped bool, err error) {
	next, err := r.store.ReadAll(ctx, g.pos, 1)
	if err != nil {
		return false, fmt.Errorf("projections: checking the head: %w", err)
	}
	caughtUp := len(next) == 0
	lag := 0.0
	if !caughtUp {
		from := g.lastAt
		if from.IsZero() {
			from = next[0].Meta.RecordedAt
		}
		lag = r.cfg.Now().Sub(from).Seconds()
	}
	r.m.lag.WithLabelValues(p.Name()).Set(lag)
	if !build && caughtUp && !g.indexed {
		// A live generation created over a long log: its query indexes,
		// built once over the finished tables (see createGeneration).
		began := time.Now()
		if err := inTx(ctx, r.pool, func(tx pgx.Tx) error { return createQueryIndexes(ctx, tx, p, g) }); err != nil {
			return false, err
		}
		g.indexed = true
		r.log.Info("projection: indexed caught-up generation", "projection", p.Name(), "generation", g.gen, "took", time.Since(began).String())
	}
	if build {
		if !caughtUp {
			return false, nil
		}
		if !g.indexed {
			// Index now, then catch up with what arrived meanwhile and swap.
			began := time.Now()
			if err := inTx(ctx, r.pool, func(tx pgx.Tx) error { return createQueryIndexes(ctx, tx, p, g) }); err != nil {
				return false, err
			}
			g.indexed = true
			r.log.Info("projection: indexed rebuilt generation", "projection", p.Name(), "generation", g.gen, "took", time.Since(began).String())
			return false, nil
		}
		err := swap(ctx, r.pool, p, g, r.cfg.SwapLockTimeout)
		var pgErr *pgconn.PgError
		switch {
		case errors.Is(err, errNotYet):
			return false, nil
		case errors.As(err, &pgErr) && pgErr.Code == pgerrcode.LockNotAvailable: // a long reader
			r.log.Warn("projection: swap waited too long for readers; trying again", "projection", p.Name(), "generation", g.gen)
			return false, nil
		case err != nil:
			return false, err
		}
		r.changed(p.Name())
		r.log.Info("projection: swapped in rebuilt generation", "projection", p.Name(), "generation", g.gen, "position", g.pos.String())
		r.m.setState(p.Name(), StateCaughtUp)
		if err := dropRetired(ctx, r.pool, p.Name(), p.Version(), g.gen); err != nil {
			r.log.Warn("projection: dropping the old generation", "projection", p.Name(), "err", err)
		}
		return true, nil
	}
	want := StateRunning
	if caughtUp {
		want = StateCaughtUp
	}
	if g.state != want && (g.state == StateRunning || g.state == StateCaughtUp) {
		if err := setState(ctx, r.pool, g, g.state, want); err != nil {
			return false, err
		}
		g.state = want
		r.m.setState(p.Name(), want)
	}
	return false, nil
}

// flush commits buf, splitting it to isolate a failing event: the events
// before an attributed failure are committed on their own; an unattributed
// failure halves the batch; one event that keeps failing is retried with
// backoff and then recorded as the poison that stops the projection. A
// database that cannot be reached is waited for, however long, with the
// same capped backoff: it says nothing about the event, and counting it
// would stop the projection on a healthy event after any outage longer
// than MaxAttempts backoffs.
func (r *Runner) flush(ctx context.Context, p Projection, g *generation, buf []eventstore.Event) error {
	attempts, outage := 0, 0
	attemptWaits, outageWaits := r.waits(), r.waits()
	for len(buf) > 0 {
		chunk := buf
		for {
			err := r.commit(ctx, p, g, chunk)
			if err == nil {
				buf = buf[len(chunk):]
				attempts, outage = 0, 0
				attemptWaits.Reset()
				outageWaits.Reset()
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, errRetired) || errors.Is(err, errMoved) || errors.Is(err, errFailedElsewhere) {
				return err
			}
			r.m.retries.WithLabelValues(p.Name()).Inc()
			if pgerr.Unavailable(err) {
				outage++
				wait := outageWaits.NextBackOff()
				r.log.Warn("projection: database unavailable, waiting", "projection", p.Name(), "generation", g.gen,
					"position", g.pos.String(), "tries", outage, "backoff", wait, "err", err)
				if !sleep(ctx, wait) {
					return ctx.Err()
				}
				continue
			}
			var ee *EventError
			attributed := errors.As(err, &ee) && ee.Index >= 0 && ee.Index < len(chunk)
			if attributed && ee.Index > 0 {
				chunk = chunk[:ee.Index]
				continue
			}
			if !attributed && len(chunk) > 1 {
				chunk = chunk[:len(chunk)/2]
				continue
			}
			attempts++
			ev := chunk[0]
			if attempts >= r.cfg.MaxAttempts {
				if attributed {
					err = ee.Err
				}
				if ferr := markFailed(ctx, r.pool, g, ev, err); ferr != nil {
					return ferr
				}
				g.state = StateFailed
				r.m.failures.WithLabelValues(p.Name()).Inc()
				r.m.setState(p.Name(), StateFailed)
				perr := &PoisonError{Projection: p.Name(), Generation: g.gen, EventID: ev.ID.String(), Position: ev.Position, Type: ev.Type, Err: err}
				r.log.Error("projection: stopped on poison event", "projection", p.Name(), "generation", g.gen,
					"event_id", ev.ID.String(), "event_type", ev.Type, "position", ev.Position.String(), "attempts", attempts, "err", err)
				return perr
			}
			wait := attemptWaits.NextBackOff()
			r.log.Warn("projection: event failed, retrying", "projection", p.Name(), "event_id", ev.ID.String(),
				"event_type", ev.Type, "attempt", attempts, "backoff", wait, "err", err)
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
		}
	}
	return nil
}

// commit applies chunk to g and moves g's checkpoint past it, in one
// transaction. The row lock and position check make a batch apply only on
// top of exactly the state this worker expects.
func (r *Runner) commit(ctx context.Context, p Projection, g *generation, chunk []eventstore.Event) error {
	began := time.Now()
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// A read model is derived data: a commit lost in a server crash takes its
	// checkpoint with it and is simply applied again, so the batch need not
	// wait for the WAL flush.
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return err
	}
	var pos string
	var state State
	err = tx.QueryRow(ctx, `SELECT position, state FROM projection_checkpoints WHERE projection = $1 AND generation = $2 FOR UPDATE`,
		g.projection, g.gen).Scan(&pos, &state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errRetired
	case err != nil:
		return err
	case state == StateRetired:
		return errRetired
	case state == StateFailed:
		return errFailedElsewhere
	case pos != g.pos.String():
		return errMoved
	}
	t := g.t()
	actx := r.withDecoded(ctx)
	if ba, ok := p.(BatchApplier); ok {
		if err := ba.ApplyBatch(actx, tx, t, chunk); err != nil {
			return err
		}
	} else {
		for i, ev := range chunk {
			if err := p.Apply(actx, tx, t, ev); err != nil {
				return &EventError{Index: i, Err: err}
			}
		}
	}
	last := chunk[len(chunk)-1]
	_, err = tx.Exec(ctx, `
UPDATE projection_checkpoints
   SET position = $3, events_applied = events_applied + $4, last_event_id = $5, last_event_type = $6,
       last_recorded_at = $7, updated_at = now()
 WHERE projection = $1 AND generation = $2`,
		g.projection, g.gen, last.Position.String(), len(chunk), last.ID, last.Type, last.Meta.RecordedAt)
	if err != nil {
		return err
	}
	// Once the work is sent, learn its outcome: a COMMIT abandoned on
	// cancellation may still commit on the server, leaving this worker with a
	// stale position and its metrics short.
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	g.pos, g.lastAt = last.Position, last.Meta.RecordedAt
	r.changed(p.Name())
	r.m.applied.WithLabelValues(p.Name()).Add(float64(len(chunk)))
	r.m.batch.WithLabelValues(p.Name()).Observe(time.Since(began).Seconds())
	return nil
}

func (r *Runner) changed(name string) {
	if r.cfg.Changed != nil {
		r.cfg.Changed(name)
	}
}

// waits doubles the wait between tries from InitialBackoff up to
// MaxBackoff.
func (r *Runner) waits() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{InitialInterval: min(r.cfg.InitialBackoff, r.cfg.MaxBackoff), Multiplier: 2, MaxInterval: r.cfg.MaxBackoff}
	b.Reset()
	return b
}

// sleep waits d or until ctx is done; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
