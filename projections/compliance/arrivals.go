package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// closeArrivals closes the TG 10.1a items (transfer_in_from_outside) of the
// dossiers an acknowledged sync package carried as arrivals: the national
// database holding the approved arrival is what the request was for. It
// runs after the batch's items are written, so a rebuild that meets the
// arrival and its acknowledgement in one batch closes the item too; only
// open items are touched, so a second feed changes nothing. No stored
// event was a sync.acknowledged.v1 before this rule, so the existing
// generations need no rebuild.
func (p *Projection) closeArrivals(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	for i, ev := range events {
		if ev.Type != nationalsync.TypeAcknowledged {
			continue
		}
		e, err := nationalsync.Decode(ev.Type, ev.Data)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		ack := e.(nationalsync.Acknowledged)
		if len(ack.Arrivals) == 0 {
			continue
		}
		ids := make([]uuid.UUID, len(ack.Arrivals))
		for j, d := range ack.Arrivals {
			ids[j] = uuid.UUID(d)
		}
		if err := p.closeArrivalItems(ctx, tx, t, ids, ev); err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
	}
	return nil
}

func (p *Projection) closeArrivalItems(ctx context.Context, tx pgx.Tx, t projections.Tables, dossiers []uuid.UUID, ev eventstore.Event) error {
	tbl := t.Name(ViewItems)
	rows, err := tx.Query(ctx, `SELECT item_id, due_date, unit FROM `+tbl+`
 WHERE dossier_id = ANY($1) AND action = $2 AND outcome = 'open' AND recorded_at <= $3`,
		dossiers, policy.TransferInFromOutside.String(), ev.Meta.RecordedAt)
	if err != nil {
		return fmt.Errorf("compliance: arrivals: %w", err)
	}
	type open struct {
		id   uuid.UUID
		due  time.Time
		unit string
	}
	var items []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.due, &o.unit); err != nil {
			rows.Close()
			return fmt.Errorf("compliance: arrivals: %w", err)
		}
		items = append(items, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compliance: arrivals: %w", err)
	}
	on := domain.DateOf(ev.Meta.RecordedAt)
	for _, o := range items {
		it := &item{ID: o.id, Due: domain.MustDate(o.due.Year(), o.due.Month(), o.due.Day()), Unit: o.unit}
		if err := p.close(it, OutcomeDone, ev.ID, on); err != nil {
			return err
		}
		closed := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
		if _, err := tx.Exec(ctx, `UPDATE `+tbl+` SET outcome = 'done', closed_by = $2, closed_on = $3, late = $4, late_by = $5, working_days_late = $6
 WHERE item_id = $1 AND outcome = 'open'`, o.id, ev.ID, closed, it.Late, it.LateBy, it.LateWD); err != nil {
			return fmt.Errorf("compliance: arrivals: %w", err)
		}
	}
	return nil
}
