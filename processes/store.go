package processes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
)

// States of a process.
const (
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed" // every step was tried; some failed for good
)

// Status is what a process did so far.
type Status struct {
	ID         uuid.UUID // the decision event's id
	Kind       string    // "succession"
	Org        domain.OrgID
	Successors []domain.OrgID
	Detail     string // merge, split, dissolution
	State      string
	// Listed is false until the dossiers are listed; Total is then their
	// number, and Moved + Skipped + Failed + Pending = Total.
	Listed    bool
	Total     int
	Moved     int
	Skipped   map[string]int // by the rule that kept the dossier in place
	Failed    int            // gave up after the attempts
	Pending   int            // still to do, including steps waiting for a retry
	Failures  []Failure      // failed and retrying steps, at most MaxFailuresShown
	StartedAt time.Time
	UpdatedAt time.Time
	// FinishedAt is set once no step is pending.
	FinishedAt *time.Time
}

// Failure is a step that failed at least once.
type Failure struct {
	Dossier  domain.DossierID
	Attempts int
	Error    string
	// Retrying is true while the step is pending, until NextAttemptAt; false
	// once it failed for good.
	Retrying      bool
	NextAttemptAt time.Time
}

// MaxFailuresShown bounds Status.Failures: a process whose every step
// fails must not answer with thousands of copies of one reason.
const MaxFailuresShown = 100

// ErrNotFound: no process has that id.
var ErrNotFound = fmt.Errorf("processes: %w", domain.ErrNotFound)

// Store keeps the processes' progress in PostgreSQL (tables processes and
// process_steps, migration 00030; the Decisions projection's view).
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns the store on pool's current schema.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// process is a running process as the manager needs it.
type process struct {
	id     uuid.UUID
	org    domain.OrgID
	listed bool
}

// register records a process unless it exists.
func (s *Store) register(ctx context.Context, id uuid.UUID, o domain.OrgID, successors []domain.OrgID, detail string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO processes (id, kind, org_id, successors, detail, started_at, updated_at)
VALUES ($1, 'succession', $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING`, id, uuid.UUID(o), uuids(successors), detail, now)
	return err
}

// discover registers the decisions the Decisions projection has seen and
// no process has yet. Before the projection's first generation exists
// there is nothing to discover.
func (s *Store) discover(ctx context.Context, now time.Time) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, DecisionsView).Scan(&exists); err != nil || !exists {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO processes (id, kind, org_id, successors, detail, started_at, updated_at)
SELECT d.decision_id, 'succession', d.org_id, d.successors, d.kind, $1, $1 FROM `+DecisionsView+` d
 WHERE NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = d.decision_id)
ON CONFLICT (id) DO NOTHING`, now)
	return err
}

// ready reports whether the process's decision is in the Decisions view
// and every projection of after has applied the log up to it.
func (s *Store) ready(ctx context.Context, id uuid.UUID, after []string) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, DecisionsView).Scan(&ok); err != nil || !ok {
		return false, err // the Decisions projection has not set up its view yet
	}
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+DecisionsView+` d WHERE d.decision_id = $1
   AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS a(name)
        WHERE NOT EXISTS (SELECT 1 FROM projection_checkpoints c
              WHERE c.projection = a.name AND c.live AND c.position COLLATE "C" >= d.position COLLATE "C")))`, id, after).Scan(&ok)
	return ok, err
}

// running lists the processes not finished, oldest first.
func (s *Store) running(ctx context.Context) ([]process, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, org_id, total IS NOT NULL FROM processes WHERE state = 'running' ORDER BY started_at, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (process, error) {
		var p process
		var o uuid.UUID
		err := r.Scan(&p.id, &o, &p.listed)
		p.org = domain.OrgID(o)
		return p, err
	})
}

// list writes the steps of a process, once: a second call (a restart that
// listed again) changes nothing.
func (s *Store) list(ctx context.Context, id uuid.UUID, dossiers []domain.DossierID, now time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE processes SET total = $2, updated_at = $3 WHERE id = $1 AND total IS NULL`, id, len(dossiers), now)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(dossiers))
		for i, d := range dossiers {
			ids[i] = uuid.UUID(d)
		}
		_, err = tx.Exec(ctx, `INSERT INTO process_steps (process_id, dossier_id, seq, next_attempt_at, updated_at)
SELECT $1, d, n, $3, $3 FROM unnest($2::uuid[]) WITH ORDINALITY AS u(d, n)
ON CONFLICT DO NOTHING`, id, ids, now)
		return err
	})
}

// step is a pending step due now.
type step struct {
	dossier  domain.DossierID
	attempts int
}

// due returns up to limit pending steps of a process whose time has come,
// in listing order.
func (s *Store) due(ctx context.Context, id uuid.UUID, now time.Time, limit int) ([]step, error) {
	rows, err := s.pool.Query(ctx, `SELECT dossier_id, attempts FROM process_steps
 WHERE process_id = $1 AND outcome = 'pending' AND next_attempt_at <= $2
 ORDER BY next_attempt_at, seq LIMIT $3`, id, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (step, error) {
		var st step
		var d uuid.UUID
		err := r.Scan(&d, &st.attempts)
		st.dossier = domain.DossierID(d)
		return st, err
	})
}

// done records a step that finished: moved, or skipped by rule.
func (s *Store) done(ctx context.Context, id uuid.UUID, d domain.DossierID, outcome, rule string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE process_steps SET outcome = $3, rule = NULLIF($4, ''), updated_at = $5
 WHERE process_id = $1 AND dossier_id = $2 AND outcome = 'pending'`, id, uuid.UUID(d), outcome, rule, now)
	return err
}

// failed records a failed attempt: retried at next, or (giveUp) failed for good.
func (s *Store) failed(ctx context.Context, id uuid.UUID, d domain.DossierID, reason string, giveUp bool, next, now time.Time) error {
	outcome := "pending"
	if giveUp {
		outcome = "failed"
	}
	_, err := s.pool.Exec(ctx, `UPDATE process_steps SET outcome = $3, attempts = attempts + 1, error = $4, next_attempt_at = $5, updated_at = $6
 WHERE process_id = $1 AND dossier_id = $2 AND outcome = 'pending'`, id, uuid.UUID(d), outcome, reason, next, now)
	return err
}

// finish ends a listed process with no pending step: failed when a step
// failed for good, done otherwise. It reports whether the process ended.
func (s *Store) finish(ctx context.Context, id uuid.UUID, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE processes p SET
    state = CASE WHEN EXISTS (SELECT 1 FROM process_steps WHERE process_id = p.id AND outcome = 'failed') THEN 'failed' ELSE 'done' END,
    updated_at = $2, finished_at = $2
 WHERE id = $1 AND state = 'running' AND total IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM process_steps WHERE process_id = p.id AND outcome = 'pending')`, id, now)
	return tag.RowsAffected() > 0, err
}

// touch records that a process made progress.
func (s *Store) touch(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE processes SET updated_at = $2 WHERE id = $1`, id, now)
	return err
}

// retryFailed makes every failed step pending again, with its attempts
// reset, and their processes running: what starting a manager does.
func (s *Store) retryFailed(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE process_steps SET outcome = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 WHERE outcome = 'failed'`, now)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `UPDATE processes SET state = 'running', finished_at = NULL, updated_at = $1 WHERE state = 'failed'`, now)
		return err
	})
	return n, err
}

// Get returns one process's status; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Status, error) {
	all, err := s.query(ctx, `WHERE p.id = $1`, id)
	if err != nil {
		return Status{}, err
	}
	if len(all) == 0 {
		return Status{}, ErrNotFound
	}
	return all[0], nil
}

// List returns the processes, newest first, at most limit (all when ≤ 0).
func (s *Store) List(ctx context.Context, limit int) ([]Status, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	return s.query(ctx, `ORDER BY p.started_at DESC, p.id LIMIT $1`, limit)
}

func (s *Store) query(ctx context.Context, tail string, args ...any) ([]Status, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.kind, p.org_id, p.successors, p.detail, p.state, p.total,
       p.started_at, p.updated_at, p.finished_at,
       count(st.dossier_id) FILTER (WHERE st.outcome = 'moved'),
       count(st.dossier_id) FILTER (WHERE st.outcome = 'failed'),
       count(st.dossier_id) FILTER (WHERE st.outcome = 'pending')
  FROM processes p LEFT JOIN process_steps st ON st.process_id = p.id `+
		groupBefore(tail), args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Status, error) {
		var st Status
		var o uuid.UUID
		var succ []uuid.UUID
		var total *int32
		var moved, failed, pending int64
		if err := r.Scan(&st.ID, &st.Kind, &o, &succ, &st.Detail, &st.State, &total, &st.StartedAt, &st.UpdatedAt, &st.FinishedAt,
			&moved, &failed, &pending); err != nil {
			return st, err
		}
		st.Org = domain.OrgID(o)
		st.Successors = make([]domain.OrgID, len(succ))
		for i, u := range succ {
			st.Successors[i] = domain.OrgID(u)
		}
		if total != nil {
			st.Listed, st.Total = true, int(*total)
		}
		st.Moved, st.Failed, st.Pending = int(moved), int(failed), int(pending)
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.details(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// groupBefore puts the GROUP BY between the WHERE and ORDER BY of tail.
func groupBefore(tail string) string {
	const group = ` GROUP BY p.id `
	if len(tail) >= 5 && tail[:5] == "WHERE" {
		return tail + group
	}
	return group + tail
}

// details fills the skipped counts and the failures of st.
func (s *Store) details(ctx context.Context, st *Status) error {
	st.Skipped = map[string]int{}
	rows, err := s.pool.Query(ctx, `SELECT coalesce(rule, ''), count(*) FROM process_steps WHERE process_id = $1 AND outcome = 'skipped' GROUP BY rule`, st.ID)
	if err != nil {
		return err
	}
	var rule string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&rule, &n}, func() error { st.Skipped[rule] = n; return nil }); err != nil {
		return err
	}
	rows, err = s.pool.Query(ctx, `SELECT dossier_id, attempts, coalesce(error, ''), outcome = 'pending', next_attempt_at FROM process_steps
 WHERE process_id = $1 AND (outcome = 'failed' OR (outcome = 'pending' AND attempts > 0))
 ORDER BY seq LIMIT $2`, st.ID, MaxFailuresShown)
	if err != nil {
		return err
	}
	st.Failures, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Failure, error) {
		var f Failure
		var d uuid.UUID
		err := r.Scan(&d, &f.Attempts, &f.Error, &f.Retrying, &f.NextAttemptAt)
		f.Dossier = domain.DossierID(d)
		return f, err
	})
	if err != nil {
		return err
	}
	if st.Failures == nil {
		st.Failures = []Failure{}
	}
	return nil
}

// errLocked: another manager works on this schema.
var errLocked = errors.New("processes: another manager is working")
