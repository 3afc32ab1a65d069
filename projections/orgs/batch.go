package orgs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// ApplyBatch implements projections.BatchApplier. A dossier's creation is
// the management change that comes by the tens of thousands (an import
// creates a dossier per person), and Apply spends two statements on each:
// a run of creations is written with one insert and one recomputation of
// the intervals. Every other event is applied by Apply, in order, after the
// creations before it are written, so it reads what Apply would have.
// Events Apply does nothing with (most of a dossier's: its trainings,
// salary steps, evaluations) do not end a run: an import writes each
// dossier's creation followed by its career, and ending the run there
// wrote every creation with statements of its own.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	var run creations
	for i, ev := range events {
		if ev.Type == dossier.TypeCreated {
			if err := run.add(i, ev); err != nil {
				return &projections.EventError{Index: i, Err: err}
			}
			continue
		}
		if ignored(ev) {
			continue
		}
		if err := run.write(ctx, tx, t); err != nil {
			return err
		}
		if err := p.Apply(ctx, tx, t, ev); err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
	}
	return run.write(ctx, tx, t)
}

// creations are the management rows of dossiers' creations, column by
// column.
type creations struct {
	events, dossiers []uuid.UUID
	orgs             []*uuid.UUID
	from             []time.Time
	positions        []string
}

func (c *creations) add(i int, ev eventstore.Event) error {
	id, e, err := decodeDossier(ev)
	if err != nil || e == nil {
		return err
	}
	created, ok := e.(dossier.Created)
	if !ok {
		return fmt.Errorf("orgs: %s decoded as %T", ev.Type, e)
	}
	c.events = append(c.events, ev.ID)
	c.dossiers = append(c.dossiers, id)
	c.orgs = append(c.orgs, nullOrg(created.ManagingOrg))
	c.from = append(c.from, effective(ev))
	c.positions = append(c.positions, ev.Position.String())
	return nil
}

// write inserts the rows gathered (idempotent by event id) and recomputes
// the intervals of the dossiers that gained one, then empties c.
func (c *creations) write(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	if len(c.events) == 0 {
		return nil
	}
	m := t.Name(ManagementView)
	rows, err := tx.Query(ctx, `INSERT INTO `+m+` (event_id, dossier_id, org_id, valid_from, position, cause)
SELECT e, d, o, f, p, 'created' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[]) AS x(e, d, o, f, p)
ON CONFLICT (event_id) DO NOTHING RETURNING dossier_id`, c.events, c.dossiers, c.orgs, c.from, c.positions)
	if err != nil {
		return fmt.Errorf("orgs: dossiers' creations: %w", err)
	}
	changed, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("orgs: dossiers' creations: %w", err)
	}
	*c = creations{}
	if len(changed) == 0 {
		return nil
	}
	// recompute, for many dossiers at once.
	_, err = tx.Exec(ctx, `
UPDATE `+m+` h SET valid_to = n.next
  FROM (SELECT event_id, lead(valid_from) OVER (PARTITION BY dossier_id ORDER BY valid_from, position) AS next
          FROM `+m+` WHERE dossier_id = ANY($1)) n
 WHERE h.dossier_id = ANY($1) AND h.event_id = n.event_id AND h.valid_to IS DISTINCT FROM n.next`, changed)
	if err != nil {
		return fmt.Errorf("orgs: management history of created dossiers: %w", err)
	}
	return nil
}

// ignored says whether Apply does nothing with ev without reading or
// writing anything: neither an org's event nor a dossier event that can
// change management.
func ignored(ev eventstore.Event) bool {
	return !strings.HasPrefix(ev.Type, "org.") && !canChangeManagement(ev.Type)
}
