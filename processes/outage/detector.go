package outage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/outage"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

var errNoOrgs = errors.New("no org to notify")

// DefaultCheckEvery is how often a Detector looks: a notice is due at a
// midnight, and a minute late is still that day.
const DefaultCheckEvery = time.Minute

// Actor is who appends the notices: the detector, no account.
var Actor = domain.Actor{Name: "hoso outage detector"}

// Detector derives outages from the health history and records what
// BT 14.7 asks. Zero fields take the defaults noted; Pool, Ledger,
// Calendar and Orgs are required.
type Detector struct {
	Pool     *pgxpool.Pool
	Ledger   ledger.Ledger
	Calendar outage.Calendar
	// Orgs are the orgs concerned by an outage: those that use the
	// software, i.e. every active org (their ids, in any order).
	Orgs func(ctx context.Context) ([]uuid.UUID, error)
	// Mailer sends the notices by e-mail; nil: none is sent (the event and
	// the compliance view remain).
	Mailer Mailer
	// Addresses are an org's e-mail addresses (none: no mail to it).
	Addresses func(org uuid.UUID) []string
	// OrgName names an org in a message (the id when nil or empty).
	OrgName func(ctx context.Context, org uuid.UUID) string
	// Grace must be GraceFor the Recorders' interval (GraceFor(DefaultInterval)).
	Grace      time.Duration
	CheckEvery time.Duration    // DefaultCheckEvery
	Now        func() time.Time // time.Now
	Logger     *slog.Logger
}

func (d *Detector) init() {
	if d.Grace <= 0 {
		d.Grace = GraceFor(DefaultInterval)
	}
	if d.CheckEvery <= 0 {
		d.CheckEvery = DefaultCheckEvery
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run checks every CheckEvery until ctx ends; a failed check is logged and
// tried again at the next.
func (d *Detector) Run(ctx context.Context) error {
	d.init()
	t := time.NewTicker(d.CheckEvery)
	defer t.Stop()
	for {
		if _, err := d.Check(ctx); err != nil && ctx.Err() == nil {
			d.Logger.Warn("outage check failed; trying again", "error", errString(err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Status is one outage as a check found it.
type Status struct {
	outage.Outage
	WorkingDays int  `json:"working_days"`
	Notified    bool `json:"notified"`
	Ended       bool `json:"ended_recorded"`
	// Appended names the events this check appended.
	Appended []string `json:"appended,omitempty"`

	notice *outage.Notified
}

// Outages derives the outages from the health history as of now, with the
// working days each has covered (until its end, or now).
func Outages(ctx context.Context, db interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, cal outage.Calendar, grace time.Duration, now time.Time) ([]Status, error) {
	rows, err := db.Query(ctx, `SELECT function, instance, state = 'up', since, last_seen FROM health_intervals`)
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	seen, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outage.Seen, error) {
		var s outage.Seen
		err := row.Scan(&s.Function, &s.Instance, &s.Up, &s.Since, &s.LastSeen)
		s.Since, s.LastSeen = s.Since.UTC(), s.LastSeen.UTC()
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	var out []Status
	for _, o := range outage.Derive(seen, grace, now.UTC()) {
		end := o.End
		if o.Ongoing() {
			end = now
		}
		n, err := outage.WorkingDays(cal, o.Start, end)
		if err != nil {
			return nil, err
		}
		out = append(out, Status{Outage: o, WorkingDays: n})
	}
	return out, nil
}

// Check is one pass: every outage that has reached the notice gets its
// notice (once), every noticed outage that is over gets its end (once),
// and the notices' e-mails not yet sent are sent. It returns every outage
// found, with what it holds in the ledger.
func (d *Detector) Check(ctx context.Context) ([]Status, error) {
	d.init()
	now := d.Now().UTC()
	found, err := Outages(ctx, d.Pool, d.Calendar, d.Grace, now)
	if err != nil {
		return nil, err
	}
	var errs []error
	for i := range found {
		st := &found[i]
		if st.WorkingDays < outage.NoticeAfter {
			continue // never noticed, so nothing in the ledger to read either
		}
		if err := d.record(ctx, st, now); err != nil {
			errs = append(errs, fmt.Errorf("outage %s of %s: %w", st.ID, st.Function, err))
			continue
		}
		if st.notice != nil && d.Mailer != nil {
			if err := d.mail(ctx, *st.notice); err != nil {
				errs = append(errs, fmt.Errorf("outage %s of %s: mail: %w", st.ID, st.Function, err))
			}
		}
	}
	return found, errors.Join(errs...)
}

// Look is Check without writing: every outage, and for those long enough
// to be noticed, what the ledger holds of them.
func (d *Detector) Look(ctx context.Context) ([]Status, error) {
	d.init()
	found, err := Outages(ctx, d.Pool, d.Calendar, d.Grace, d.Now().UTC())
	if err != nil {
		return nil, err
	}
	for i := range found {
		st := &found[i]
		if st.WorkingDays < outage.NoticeAfter {
			continue
		}
		h, err := d.Ledger.Load(ctx, outage.Stream(st.ID), outage.Decode)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, r := range h.Events {
			switch e := r.Event.(type) {
			case outage.Notified:
				st.Notified, st.Ended = true, st.Ended || !e.EndedAt.IsZero()
			case outage.Ended:
				st.Ended = true
			}
		}
	}
	return found, nil
}

// FunctionState is one function now.
type FunctionState struct {
	Function string
	Up       bool
	LastUp   time.Time // zero: never reported up
	Detail   string    // why the latest report of a process said down
}

// Current is each function's state as of now: up when a process's latest
// report says up and is at most grace old.
func Current(ctx context.Context, db interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, grace time.Duration, now time.Time) ([]FunctionState, error) {
	rows, err := db.Query(ctx, `SELECT DISTINCT ON (function, instance) function, state = 'up', last_seen, detail
  FROM health_intervals ORDER BY function, instance, since DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	by := map[string]*FunctionState{}
	var order []string
	for rows.Next() {
		var (
			f, detail string
			up        bool
			last      time.Time
		)
		if err := rows.Scan(&f, &up, &last, &detail); err != nil {
			rows.Close()
			return nil, err
		}
		st := by[f]
		if st == nil {
			st = &FunctionState{Function: f}
			by[f] = st
			order = append(order, f)
		}
		switch {
		case up && !last.Add(grace).Before(now):
			st.Up, st.Detail = true, ""
			fallthrough
		case up:
			if last.After(st.LastUp) {
				st.LastUp = last.UTC()
			}
		case !st.Up && detail != "":
			st.Detail = detail
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]FunctionState, 0, len(order))
	for _, f := range outage.Functions {
		if st := by[f]; st != nil {
			out = append(out, *st)
			delete(by, f)
		}
	}
	for _, f := range order {
		if st := by[f]; st != nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

// record appends what the outage's stream lacks. Another detector that
// appended first makes the append fail on the expected version: the
// stream is then read again and judged anew.
func (d *Detector) record(ctx context.Context, st *Status, now time.Time) error {
	for range 3 {
		h, err := d.Ledger.Load(ctx, outage.Stream(st.ID), outage.Decode)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		var history []domain.Event
		for _, r := range h.Events {
			history = append(history, r.Event)
		}
		st.Notified, st.Ended = false, false
		for _, e := range history {
			switch e := e.(type) {
			case outage.Notified:
				st.Notified, st.Ended, st.notice = true, st.Ended || !e.EndedAt.IsZero(), &e
			case outage.Ended:
				st.Ended = true
			}
		}
		var orgs []uuid.UUID
		if !st.Notified {
			if orgs, err = d.Orgs(ctx); err != nil {
				return fmt.Errorf("the orgs to notify: %w", err)
			}
			if len(orgs) == 0 {
				return errNoOrgs
			}
		}
		events, err := outage.Decide(st.Outage, history, st.WorkingDays, orgs)
		if errors.Is(err, outage.ErrNothingToDo) {
			return nil
		}
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(events))
		for i, e := range events {
			ids[i] = ledger.DerivedID(st.ID, e.EventType())
		}
		expected := eventstore.NoStream
		if h.Version > 0 {
			expected = eventstore.Exactly(h.Version)
		}
		m := domain.Meta{Actor: Actor, RecordedAt: now, EffectiveDate: domain.DateOf(now),
			Reason: outage.Basis, CorrelationID: st.ID.String()}
		_, err = d.Ledger.Append(ctx, outage.Stream(st.ID), expected, m, events, ids)
		switch {
		case err == nil:
			for _, e := range events {
				st.Appended = append(st.Appended, e.EventType())
				switch e := e.(type) {
				case outage.Notified:
					st.Notified, st.Ended, st.notice = true, !e.EndedAt.IsZero(), &e
					d.Logger.Warn("outage notice recorded (BT 14.7)", "function", st.Function, "since", st.Start, "working_days", st.WorkingDays, "orgs", len(e.Orgs))
				case outage.Ended:
					st.Ended = true
					d.Logger.Info("outage end recorded", "function", st.Function, "since", st.Start, "until", st.End)
				}
			}
			return nil
		case errors.Is(err, eventstore.ErrConflict), errors.Is(err, eventstore.ErrIDReused):
			continue
		default:
			return err
		}
	}
	return fmt.Errorf("%w: the outage's stream kept changing", domain.ErrConflict)
}
