package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoso-ledger/hoso/eventstore"
)

// State is where a generation of a projection stands, as stored in
// projection_checkpoints.state.
type State string

const (
	// StateRunning: the live generation, applying events (behind the head when
	// last checked).
	StateRunning State = "running"
	// StateCaughtUp: the live generation had applied every event of the log
	// when last checked.
	StateCaughtUp State = "caught_up"
	// StateRebuilding: a generation being built beside the live one.
	StateRebuilding State = "rebuilding"
	// StateFailed: stopped on a poison event; the status names it. Cleared by
	// a restart of the runner or by Retry.
	StateFailed State = "failed"
	// StateRetired: replaced by a rebuilt generation, its tables about to be
	// dropped.
	StateRetired State = "retired"
)

// generation is the runner's in-memory view of one checkpoint row.
type generation struct {
	projection string
	gen        int
	version    int
	live       bool
	state      State
	tables     []string
	pos        eventstore.Position
	lastAt     time.Time // recorded_at of the last applied event
	indexed    bool      // QueryIndexes created (not query_indexes_pending)
}

func (g *generation) t() Tables { return Tables{gen: g.gen} }

const selectGenerations = `
SELECT generation, version, live, state, tables, position, last_recorded_at, NOT query_indexes_pending
  FROM projection_checkpoints WHERE projection = $1 ORDER BY generation`

func loadGenerations(ctx context.Context, q pgx.Tx, name string, forUpdate bool) ([]*generation, error) {
	sql := selectGenerations
	if forUpdate {
		sql += " FOR UPDATE"
	}
	rows, err := q.Query(ctx, sql, name)
	if err != nil {
		return nil, fmt.Errorf("projections: loading %s: %w", name, err)
	}
	defer rows.Close()
	var out []*generation
	for rows.Next() {
		g := &generation{projection: name}
		var pos string
		var lastAt *time.Time
		if err := rows.Scan(&g.gen, &g.version, &g.live, &g.state, &g.tables, &pos, &lastAt, &g.indexed); err != nil {
			return nil, fmt.Errorf("projections: loading %s: %w", name, err)
		}
		if g.pos, err = eventstore.ParsePosition(pos); err != nil {
			return nil, fmt.Errorf("projections: %s generation %d: stored checkpoint: %w", name, g.gen, err)
		}
		if lastAt != nil {
			g.lastAt = *lastAt
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// lockProjection serializes planning, swaps and drops of one projection's
// generations across processes (not batches: those lock their own row).
func lockProjection(ctx context.Context, tx pgx.Tx, name string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hoso.projections'), hashtext(current_schema() || '.' || $1))`, name)
	if err != nil {
		return fmt.Errorf("projections: locking %s: %w", name, err)
	}
	return nil
}

// createGeneration runs the projection's Setup for generation gen, checks
// that every view's table exists, records the checkpoint at Start and, for a
// live generation, creates the views. A live generation's query indexes
// are created with it only when the log is empty (logEmpty); over a log
// that already holds events they are left for the runner to create once
// the generation has caught up (query_indexes_pending), as for a rebuilt
// one: maintaining them row by row through the whole log cost more than
// the rest of the catch-up's writes.
func createGeneration(ctx context.Context, tx pgx.Tx, p Projection, gen int, live, logEmpty bool) (*generation, error) {
	_, hasIndexes := p.(QueryIndexer)
	indexNow := hasIndexes && live && logEmpty
	g := &generation{projection: p.Name(), gen: gen, version: p.Version(), live: live, state: StateRebuilding, pos: eventstore.Start,
		indexed: !hasIndexes}
	if live {
		g.state = StateRunning
	}
	t := g.t()
	if err := p.Setup(ctx, tx, t); err != nil {
		return nil, fmt.Errorf("projections: %s: setting up generation %d: %w", p.Name(), gen, err)
	}
	for _, v := range p.Views() {
		name := t.Name(v)
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			return nil, fmt.Errorf("projections: %s: %w", p.Name(), err)
		}
		if !exists {
			return nil, fmt.Errorf("%w: %s: Setup did not create table %s for view %s", ErrInvalid, p.Name(), name, v)
		}
		g.tables = append(g.tables, name)
	}
	_, err := tx.Exec(ctx, `
INSERT INTO projection_checkpoints (projection, generation, version, live, state, tables, position, query_indexes_pending)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, g.projection, g.gen, g.version, g.live, g.state, g.tables, g.pos.String(), !g.indexed)
	if err != nil {
		return nil, fmt.Errorf("projections: %s: recording generation %d: %w", p.Name(), gen, err)
	}
	if indexNow {
		if err := createQueryIndexes(ctx, tx, p, g); err != nil {
			return nil, err
		}
	}
	if live {
		if err := pointViews(ctx, tx, p.Views(), t); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// pointViews makes each view select from generation t's table. CREATE OR
// REPLACE keeps grants and dependent objects but refuses a changed column
// list (a new Version may drop or retype columns); then the view is dropped
// and created again, still inside the caller's transaction, so readers see
// the old view or the new one, never none.
func pointViews(ctx context.Context, tx pgx.Tx, views []string, t Tables) error {
	var appRole bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app')`).Scan(&appRole); err != nil {
		return err
	}
	for _, v := range views {
		if err := pointView(ctx, tx, v, t); err != nil {
			return err
		}
		// The API reads as hoso_app; a dropped and recreated view lost its grant.
		if appRole {
			if _, err := tx.Exec(ctx, `GRANT SELECT ON `+v+` TO hoso_app`); err != nil {
				return fmt.Errorf("projections: granting %s: %w", v, err)
			}
		}
	}
	return nil
}

func pointView(ctx context.Context, tx pgx.Tx, v string, t Tables) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	_, err = sp.Exec(ctx, fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS SELECT * FROM %s`, v, t.Name(v)))
	if err == nil {
		return sp.Commit(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || (pgErr.Code != pgerrcode.InvalidTableDefinition && pgErr.Code != pgerrcode.DatatypeMismatch) {
		_ = sp.Rollback(ctx)
		return fmt.Errorf("projections: pointing view %s at %s: %w", v, t.Name(v), err)
	}
	if err := sp.Rollback(ctx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`DROP VIEW IF EXISTS %s; CREATE VIEW %s AS SELECT * FROM %s`, v, v, t.Name(v))); err != nil {
		return fmt.Errorf("projections: recreating view %s on %s: %w", v, t.Name(v), err)
	}
	return nil
}

// errNotYet: the generation being built is behind the live one; swap later.
var errNotYet = errors.New("projections: rebuilt generation is not caught up yet")

// createQueryIndexes creates p's query indexes on g's tables (see
// QueryIndexer) and records that they exist; the caller sets g.indexed once
// tx has committed.
func createQueryIndexes(ctx context.Context, tx pgx.Tx, p Projection, g *generation) error {
	if qi, ok := p.(QueryIndexer); ok {
		for _, stmt := range qi.QueryIndexes(g.t()) {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("projections: %s: indexing generation %d: %w", p.Name(), g.gen, err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET query_indexes_pending = false WHERE projection = $1 AND generation = $2`, g.projection, g.gen); err != nil {
		return fmt.Errorf("projections: %s: indexing generation %d: %w", p.Name(), g.gen, err)
	}
	return nil
}

// swap makes g the live generation if it has applied at least everything the
// live one has, so a reader never sees the model go back. Locking the live
// row stops its worker from committing meanwhile. The old generation is
// marked retired; dropRetired removes its tables afterwards, in its own
// transaction, so the swap itself holds locks only briefly.
func swap(ctx context.Context, db beginner, p Projection, g *generation, lockTimeout time.Duration) error {
	return inTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, lockTimeout.Milliseconds())); err != nil {
			return err
		}
		if err := lockProjection(ctx, tx, p.Name()); err != nil {
			return err
		}
		gens, err := loadGenerations(ctx, tx, p.Name(), true)
		if err != nil {
			return err
		}
		var mine, live *generation
		for _, x := range gens {
			if x.gen == g.gen {
				mine = x
			}
			if x.live {
				live = x
			}
		}
		switch {
		case mine == nil || mine.state == StateRetired:
			return errRetired
		case mine.state == StateFailed:
			return errFailedElsewhere
		case mine.pos != g.pos:
			return errMoved
		case mine.live:
			return nil
		case live != nil && live.pos.After(mine.pos):
			return errNotYet
		}
		if live != nil {
			if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET live = false, state = 'retired', updated_at = now() WHERE projection = $1 AND generation = $2`, p.Name(), live.gen); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET live = true, state = 'caught_up', updated_at = now() WHERE projection = $1 AND generation = $2`, p.Name(), g.gen); err != nil {
			return err
		}
		if err := pointViews(ctx, tx, p.Views(), g.t()); err != nil {
			return err
		}
		g.live, g.state = true, StateCaughtUp
		return nil
	})
}

// dropRetired drops the tables of p's retired generations and of stale
// builds (not live, of another version than keepVersion), and deletes their
// checkpoints. Dropping waits for readers still inside the old tables.
func dropRetired(ctx context.Context, db beginner, name string, keepVersion int, keepGen int) error {
	return inTx(ctx, db, func(tx pgx.Tx) error {
		if err := lockProjection(ctx, tx, name); err != nil {
			return err
		}
		gens, err := loadGenerations(ctx, tx, name, true)
		if err != nil {
			return err
		}
		for _, g := range gens {
			stale := !g.live && g.gen != keepGen && (g.state == StateRetired || g.version != keepVersion)
			if !stale {
				continue
			}
			for _, table := range g.tables {
				if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{table}.Sanitize()); err != nil {
					return fmt.Errorf("projections: dropping %s: %w", table, err)
				}
			}
			if _, err := tx.Exec(ctx, `DELETE FROM projection_checkpoints WHERE projection = $1 AND generation = $2`, name, g.gen); err != nil {
				return err
			}
		}
		return nil
	})
}

// markFailed records the poison event on g's checkpoint row. The position
// guard keeps a stale worker from overwriting a newer runner's row.
func markFailed(ctx context.Context, db beginner, g *generation, ev eventstore.Event, cause error) error {
	return inTx(ctx, db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
UPDATE projection_checkpoints
   SET state = 'failed', error = $4, failed_event_id = $5, failed_position = $6, failed_event_type = $7,
       failed_at = now(), updated_at = now()
 WHERE projection = $1 AND generation = $2 AND position = $3 AND state <> 'retired'`,
			g.projection, g.gen, g.pos.String(), truncate(cause.Error(), 4000), ev.ID, ev.Position.String(), ev.Type)
		if err != nil {
			return fmt.Errorf("projections: recording failure of %s: %w", g.projection, err)
		}
		if tag.RowsAffected() == 0 {
			return errMoved
		}
		return nil
	})
}

// clearFailed returns p's failed generations to work: running when live,
// rebuilding otherwise. It reports how many it cleared.
func clearFailed(ctx context.Context, db beginner, name string) (int64, error) {
	var n int64
	err := inTx(ctx, db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
UPDATE projection_checkpoints
   SET state = CASE WHEN live THEN 'running' ELSE 'rebuilding' END,
       error = NULL, failed_event_id = NULL, failed_position = NULL, failed_event_type = NULL, failed_at = NULL,
       updated_at = now()
 WHERE projection = $1 AND state = 'failed'`, name)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// setState records a live generation's caught_up/running flip; it touches
// nothing if the row moved on or changed state meanwhile.
func setState(ctx context.Context, db beginner, g *generation, from, to State) error {
	return inTx(ctx, db, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
UPDATE projection_checkpoints SET state = $4, updated_at = now()
 WHERE projection = $1 AND generation = $2 AND state = $3`, g.projection, g.gen, from, to)
		return err
	})
}

type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// inTx runs f in a transaction, committing when it returns nil.
func inTx(ctx context.Context, db beginner, f func(pgx.Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
