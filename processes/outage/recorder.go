// Package outage keeps hoso's health history and acts on it (Bình Tân
// 04/2013/QĐ-UBND art. 14.7): a Recorder in every process writes, every
// few seconds, whether each function it provides is up
// (health_intervals, migration 00098); a Detector derives the outages
// from that history (domain/outage), appends the notice to the orgs once
// an outage has lasted two whole working days and the end once it is
// over, and sends the notice by e-mail when a Mailer is configured.
//
// Both are driven by the database alone and keep no state in memory that
// a restart would lose: a restarted Recorder starts a new stretch, a
// restarted Detector derives the same outages (their ids are derived from
// function and start) and finds their notices in the ledger, where the
// expected version lets exactly one in.
package outage

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultInterval is how often a Recorder reports: often enough that a
// stopped process shows within a minute, rarely enough that it costs the
// database one small update per function every ten seconds.
const DefaultInterval = 10 * time.Second

// GraceFor is how long after its last report a stretch still counts as
// up: three missed reports, so one slow write or a pause of the garbage
// collector is no outage. The Detector must use the Recorders' value.
func GraceFor(interval time.Duration) time.Duration { return 3 * interval }

var recorders atomic.Int64

// Probe says whether a function is up now: nil, or why not.
type Probe func(ctx context.Context) error

// Recorder reports the functions of one process. Zero fields take the
// defaults noted.
type Recorder struct {
	Pool *pgxpool.Pool
	// Instance names the process in the history (host/pid/start/n when empty).
	Instance string
	// Probes are the functions this process provides; a nil Probe is up
	// for as long as the process reports.
	Probes   map[string]Probe
	Interval time.Duration    // DefaultInterval
	Now      func() time.Time // time.Now
	Logger   *slog.Logger

	mu        sync.Mutex
	current   map[string]stretch // function → the row this process extends
	failedAt  time.Time          // first report the database did not take
	lastFail  time.Time
	failError string
}

type stretch struct {
	id    int64
	state string
}

func (r *Recorder) init() {
	if r.Interval <= 0 {
		r.Interval = DefaultInterval
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Instance == "" {
		host, _ := os.Hostname()
		// The sequence tells apart two recorders of one process (tests run
		// several services in one).
		r.Instance = fmt.Sprintf("%s/%d/%s/%d", host, os.Getpid(), time.Now().UTC().Format(time.RFC3339), recorders.Add(1))
	}
	if r.current == nil {
		r.current = map[string]stretch{}
	}
}

// Run reports every Interval until ctx ends. A database that does not
// answer stops nothing: the reports resume when it returns, the first of
// them recording the time it was unreachable.
func (r *Recorder) Run(ctx context.Context) error {
	r.mu.Lock()
	r.init()
	r.mu.Unlock()
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		if err := r.Report(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("health report not written; retrying", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Report probes every function and writes the results in one transaction.
// When the database cannot take them it returns the error and remembers
// the time, and the next report that gets through writes a "down" stretch
// for every function over the time the database was unreachable.
func (r *Recorder) Report(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	now := r.Now().UTC()
	type result struct{ state, detail string }
	results := map[string]result{}
	names := make([]string, 0, len(r.Probes))
	for f, p := range r.Probes {
		names = append(names, f)
		res := result{state: "up"}
		if p != nil {
			pctx, cancel := context.WithTimeout(ctx, r.Interval)
			if err := p(pctx); err != nil {
				res = result{state: "down", detail: truncate(err.Error(), 500)}
			}
			cancel()
		}
		results[f] = res
	}
	slices.Sort(names)
	next := map[string]stretch{}
	// A database that does not answer must not hold the reports up past
	// the grace: the next report tries again.
	wctx, cancel := context.WithTimeout(ctx, GraceFor(r.Interval))
	defer cancel()
	ctx = wctx
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		if !r.failedAt.IsZero() {
			for _, f := range names {
				if _, err := tx.Exec(ctx, `INSERT INTO health_intervals (function, instance, state, since, last_seen, detail)
VALUES ($1, $2, 'down', $3, $4, $5)`, f, r.Instance, r.failedAt, r.lastFail, "database unreachable: "+r.failError); err != nil {
					return err
				}
			}
		}
		for _, f := range names {
			res := results[f]
			if cur, ok := r.current[f]; ok && cur.state == res.state && r.failedAt.IsZero() {
				// Only a report in time continues the stretch: a gap the
				// Detector may already have seen must stay a gap.
				tag, err := tx.Exec(ctx, `UPDATE health_intervals SET last_seen = $2, detail = $3
 WHERE id = $1 AND last_seen >= $4 AND last_seen <= $2`, cur.id, now, res.detail, now.Add(-GraceFor(r.Interval)))
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 1 {
					next[f] = cur
					continue
				}
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO health_intervals (function, instance, state, since, last_seen, detail)
VALUES ($1, $2, $3, $4, $4, $5) RETURNING id`, f, r.Instance, res.state, now, res.detail).Scan(&id); err != nil {
				return err
			}
			next[f] = stretch{id: id, state: res.state}
		}
		return nil
	})
	if err != nil {
		if r.failedAt.IsZero() {
			r.failedAt = now
		}
		r.lastFail, r.failError = now, truncate(err.Error(), 400)
		return err
	}
	if !r.failedAt.IsZero() {
		r.Logger.Info("database reachable again; recorded the time it was not", "from", r.failedAt, "to", r.lastFail)
	}
	r.current, r.failedAt, r.lastFail, r.failError = next, time.Time{}, time.Time{}, ""
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Interval is one row of the health history.
type Interval struct {
	Function string    `json:"function"`
	Instance string    `json:"instance"`
	State    string    `json:"state"` // up | down
	Since    time.Time `json:"since"`
	LastSeen time.Time `json:"last_seen"`
	Detail   string    `json:"detail,omitempty"`
}

// History reads the health history since from (every row when zero),
// oldest first.
func History(ctx context.Context, db interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, from time.Time) ([]Interval, error) {
	rows, err := db.Query(ctx, `SELECT function, instance, state, since, last_seen, detail FROM health_intervals
 WHERE last_seen >= $1 ORDER BY since, id`, from)
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Interval, error) {
		var i Interval
		err := row.Scan(&i.Function, &i.Instance, &i.State, &i.Since, &i.LastSeen, &i.Detail)
		i.Since, i.LastSeen = i.Since.UTC(), i.LastSeen.UTC()
		return i, err
	})
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	return out, nil
}

// errString keeps an error's text readable in one line.
func errString(err error) string {
	if err == nil {
		return ""
	}
	var s []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			s = append(s, l)
		}
	}
	return strings.Join(s, "; ")
}
