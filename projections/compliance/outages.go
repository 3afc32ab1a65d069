package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/outage"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// ViewOutages holds one row per org notified of an outage (BT 14.7,
// system.outage_notified.v1), closed by system.outage_ended.v1: the
// compliance view's item of each org concerned.
const ViewOutages = "compliance_outages"

func setupOutages(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    outage_id     uuid        NOT NULL,
    org_id        uuid        NOT NULL,
    function      text        NOT NULL,
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz,           -- NULL while it lasts
    working_days  integer     NOT NULL,  -- at the notice (at the end once ended)
    notified_at   timestamptz NOT NULL,  -- the notice's recorded_at
    event_id      uuid        NOT NULL,  -- the notice
    PRIMARY KEY (org_id, outage_id)
);
CREATE INDEX %[2]s ON %[1]s (outage_id);`, t.Name(ViewOutages), t.Name("compliance_outages_by_outage")))
	return err
}

// writeOutages applies the batch's outage events. The keys make a repeat
// change nothing.
func writeOutages(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	for i, ev := range events {
		if ev.Type != outage.TypeNotified && ev.Type != outage.TypeEnded {
			continue
		}
		e, err := outage.Decode(ev.Type, ev.Data)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		switch e := e.(type) {
		case outage.Notified:
			var ended *time.Time
			if !e.EndedAt.IsZero() {
				ended = &e.EndedAt
			}
			_, err = tx.Exec(ctx, `INSERT INTO `+t.Name(ViewOutages)+`
  (outage_id, org_id, function, started_at, ended_at, working_days, notified_at, event_id)
SELECT $1, o, $3, $4, $5, $6, $7, $8 FROM unnest($2::uuid[]) AS o
ON CONFLICT (org_id, outage_id) DO NOTHING`, e.OutageID, e.Orgs, e.Function, e.StartedAt, ended, e.WorkingDays, ev.Meta.RecordedAt, ev.ID)
		case outage.Ended:
			_, err = tx.Exec(ctx, `UPDATE `+t.Name(ViewOutages)+` SET ended_at = $2, working_days = $3 WHERE outage_id = $1`,
				e.OutageID, e.EndedAt, e.WorkingDays)
		}
		if err != nil {
			return fmt.Errorf("compliance: outages: %w", err)
		}
	}
	return nil
}

// OutageNotice is one org's item of an outage notice.
type OutageNotice struct {
	OutageID    uuid.UUID
	Org         domain.OrgID
	Function    string
	StartedAt   time.Time
	EndedAt     time.Time // zero while it lasts
	WorkingDays int
	NotifiedAt  time.Time
	EventID     uuid.UUID
}

// Outages lists the outage notices to orgs, newest first; at most 1000.
func Outages(ctx context.Context, db Querier, orgs []domain.OrgID) ([]OutageNotice, error) {
	rows, err := db.Query(ctx, `SELECT outage_id, org_id, function, started_at, ended_at, working_days, notified_at, event_id
  FROM `+ViewOutages+` WHERE org_id = ANY($1) ORDER BY started_at DESC, function, org_id LIMIT 1000`, orgIDs(orgs))
	if err != nil {
		return nil, fmt.Errorf("compliance: outages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OutageNotice, error) {
		var (
			n     OutageNotice
			org   uuid.UUID
			ended *time.Time
		)
		err := row.Scan(&n.OutageID, &org, &n.Function, &n.StartedAt, &ended, &n.WorkingDays, &n.NotifiedAt, &n.EventID)
		n.Org, n.StartedAt, n.NotifiedAt = domain.OrgID(org), n.StartedAt.UTC(), n.NotifiedAt.UTC()
		if ended != nil {
			n.EndedAt = ended.UTC()
		}
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("compliance: outages: %w", err)
	}
	return out, nil
}
