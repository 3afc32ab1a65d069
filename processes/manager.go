package processes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/internal/pgerr"
)

// Manager runs the succession processes. Zero fields take the defaults noted.
type Manager struct {
	Store *Store
	// Succession moves one dossier (its Ledger, Managed and Clock); its
	// Workers is how many steps run at once (4 when zero).
	Succession app.Succession
	// ListAfter names the projections whose read model Succession.Managed
	// queries: a process lists its dossiers only once the Decisions
	// projection has its decision and each of these has applied the log up
	// to it, so no dossier created before the decision is missed by a read
	// model that lags. Empty (tests listing from the log): no wait.
	ListAfter []string
	// StepSize is how many steps are read, run and recorded at a time (100).
	StepSize int
	// MaxAttempts is how often a failing step is tried before it is
	// recorded as failed (8). Attempts that find the database unavailable
	// do not count.
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the wait before a failed step is
	// tried again, doubling each time (1 s and 10 min).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// PollInterval is how often an idle manager looks for new decisions and
	// for steps whose retry is due, and a standby one for the lock (2 s).
	PollInterval time.Duration
	Now          func() time.Time // time.Now when nil
	Logger       *slog.Logger     // discards when nil

	// afterStep, when set (tests), is called after each recorded step.
	afterStep func()

	once sync.Once
	wake chan struct{}
}

func (m *Manager) init() {
	m.once.Do(func() {
		m.wake = make(chan struct{}, 1)
		if m.StepSize <= 0 {
			m.StepSize = 100
		}
		if m.MaxAttempts <= 0 {
			m.MaxAttempts = 8
		}
		if m.InitialBackoff <= 0 {
			m.InitialBackoff = time.Second
		}
		if m.MaxBackoff <= 0 {
			m.MaxBackoff = 10 * time.Minute
		}
		if m.PollInterval <= 0 {
			m.PollInterval = 2 * time.Second
		}
		if m.Now == nil {
			m.Now = time.Now
		}
		if m.Logger == nil {
			m.Logger = slog.New(slog.DiscardHandler)
		}
		if m.Succession.Workers <= 0 {
			m.Succession.Workers = 4
		}
	})
}

func (m *Manager) now() time.Time { return m.Now().UTC() }

// Start registers the succession process of an org that has just ended
// with successors, and wakes the manager; it returns the process's status.
// Starting it again returns the same process. The error wraps
// domain.ErrInvalid when the org did not end with successors.
func (m *Manager) Start(ctx context.Context, o domain.OrgID) (Status, error) {
	m.init()
	dec, err := app.FindSuccession(ctx, m.Succession.Ledger, o)
	if err != nil {
		return Status{}, err
	}
	if err := m.Store.register(ctx, dec.Event.ID, o, dec.Successors, dec.Kind, m.now()); err != nil {
		return Status{}, err
	}
	m.Wake()
	return m.Store.Get(ctx, dec.Event.ID)
}

// Get returns a process's status; ErrNotFound when there is none.
func (m *Manager) Get(ctx context.Context, id uuid.UUID) (Status, error) {
	return m.Store.Get(ctx, id)
}

// Wake makes an idle manager look for work now rather than at its next poll.
func (m *Manager) Wake() {
	m.init()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run works on the processes until ctx ends, then returns nil. It first
// waits for the schema's lock (another manager may hold it), then makes
// the steps that failed for good pending again: starting the manager is
// the operator's way to retry them.
func (m *Manager) Run(ctx context.Context) error {
	m.init()
	retried := false
	for {
		release, err := m.lock(ctx)
		if err == nil {
			if !retried {
				// Only the first time this manager holds the lock, not after
				// each of its own hiccups.
				err = m.retryFailed(ctx)
				retried = err == nil
			}
			if err == nil {
				err = m.work(ctx)
			}
			release()
		}
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errLocked) {
			m.Logger.Error("processes: manager stopped, restarting", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(m.PollInterval):
		}
	}
}

// lock takes the session advisory lock that makes this the schema's one
// working manager, on a connection of its own: closing it (or losing it)
// releases the lock. A lost lock is still safe: every step is idempotent.
func (m *Manager) lock(ctx context.Context) (release func(), err error) {
	conn, err := pgx.ConnectConfig(ctx, m.Store.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('hoso.processes'), hashtext(current_schema()))`).Scan(&ok); err != nil || !ok {
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			err = errLocked
		}
		return nil, err
	}
	return func() { conn.Close(context.WithoutCancel(ctx)) }, nil
}

// retryFailed makes the failed steps pending again.
func (m *Manager) retryFailed(ctx context.Context) error {
	n, err := m.Store.retryFailed(ctx, m.now())
	if n > 0 {
		m.Logger.Info("processes: retrying failed steps on start", "steps", n)
	}
	return err
}

// work runs passes until ctx ends or one fails.
func (m *Manager) work(ctx context.Context) error {
	tick := time.NewTicker(m.PollInterval)
	defer tick.Stop()
	for {
		if err := m.pass(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.wake:
		case <-tick.C:
		}
	}
}

// pass registers new decisions and runs every due step of every running
// process.
func (m *Manager) pass(ctx context.Context) error {
	if err := m.Store.discover(ctx, m.now()); err != nil {
		return fmt.Errorf("discovering decisions: %w", err)
	}
	running, err := m.Store.running(ctx)
	if err != nil {
		return err
	}
	for _, p := range running {
		err := m.advance(ctx, p)
		switch {
		case err == nil:
		case ctx.Err() != nil, pgerr.Unavailable(err):
			return fmt.Errorf("process %s: %w", p.id, err)
		default:
			// One process that cannot go on (say, its org's stream cannot be
			// read) must not hold up the others; the next pass tries again.
			m.Logger.Error("processes: process stalled", "process", p.id.String(), "error", err.Error())
		}
	}
	return nil
}

// advance lists a process's dossiers if it has not, runs its due steps,
// StepSize at a time, and ends it when none is pending.
func (m *Manager) advance(ctx context.Context, p process) error {
	dec, err := app.FindSuccession(ctx, m.Succession.Ledger, p.org)
	if err != nil {
		return err
	}
	if dec.Event.ID != p.id {
		return fmt.Errorf("the org's succession is decision %s, not this process's", dec.Event.ID)
	}
	if !p.listed {
		if len(m.ListAfter) > 0 {
			ok, err := m.Store.ready(ctx, p.id, m.ListAfter)
			if err != nil || !ok {
				return err // not yet: the next pass looks again
			}
		}
		ids, err := m.Succession.List(ctx, dec)
		if err != nil {
			return err
		}
		if err := m.Store.list(ctx, p.id, ids, m.now()); err != nil {
			return err
		}
	}
	for {
		steps, err := m.Store.due(ctx, p.id, m.now(), m.StepSize)
		if err != nil {
			return err
		}
		if len(steps) == 0 {
			break
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(m.Succession.Workers)
		for _, st := range steps {
			g.Go(func() error { return m.step(gctx, dec, st) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if err := m.Store.touch(ctx, p.id, m.now()); err != nil {
			return err
		}
	}
	ended, err := m.Store.finish(ctx, p.id, m.now())
	if ended {
		m.Logger.Info("processes: succession ended", "process", p.id.String(), "org", p.org.String())
	}
	return err
}

// step runs one step and records its outcome. Only an error of the
// process's own store, or ctx ending, is returned: the step's own failure
// is recorded against it.
func (m *Manager) step(ctx context.Context, dec app.SuccessionDecision, st step) error {
	outcome, err := m.Succession.Step(ctx, dec, st.dossier)
	if ctx.Err() != nil {
		return ctx.Err() // stopped, not failed: the step stays pending
	}
	now := m.now()
	switch {
	case err == nil && (outcome == "moved" || outcome == "already"):
		// "already": this decision's step moved it before a kill lost the record.
		err = m.Store.done(ctx, dec.Event.ID, st.dossier, "moved", "", now)
	case err == nil:
		err = m.Store.done(ctx, dec.Event.ID, st.dossier, "skipped", outcome, now)
	case pgerr.Unavailable(err):
		return err // an outage, not the step's fault: the pass stops and is retried
	default:
		giveUp := st.attempts+1 >= m.MaxAttempts
		m.Logger.Warn("processes: step failed", "process", dec.Event.ID.String(), "dossier", st.dossier.String(),
			"attempt", st.attempts+1, "giving_up", giveUp, "error", err.Error())
		err = m.Store.failed(ctx, dec.Event.ID, st.dossier, err.Error(), giveUp, now.Add(m.backoff(st.attempts)), now)
	}
	if err == nil && m.afterStep != nil {
		m.afterStep()
	}
	return err
}

// backoff is the wait after the attempts+1-th failure.
func (m *Manager) backoff(attempts int) time.Duration {
	d := m.InitialBackoff
	for range attempts {
		d *= 2
		if d >= m.MaxBackoff {
			return m.MaxBackoff
		}
	}
	return d
}
