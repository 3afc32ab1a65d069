package processes

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// DecisionsView lists every decision that ended an org with successors:
// the triggers of succession processes.
const DecisionsView = "succession_decisions"

// ProjectionName is the Decisions projection's stable name.
const ProjectionName = "succession_decisions"

// Decisions is the projection that finds succession decisions in the log.
type Decisions struct{}

// NewProjection returns the Decisions projection.
func NewProjection() *Decisions { return &Decisions{} }

// Name implements projections.Projection.
func (*Decisions) Name() string { return ProjectionName }

// Version implements projections.Projection.
func (*Decisions) Version() int { return 1 }

// Views implements projections.Projection.
func (*Decisions) Views() []string { return []string{DecisionsView} }

// Setup implements projections.Projection.
func (*Decisions) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %s (
    decision_id uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    kind        text        NOT NULL,   -- merge, split, dissolution
    successors  uuid[]      NOT NULL,
    recorded_at timestamptz NOT NULL,
    position    text COLLATE "C" NOT NULL
)`, t.Name(DecisionsView)))
	return err
}

// Apply implements projections.Projection.
func (*Decisions) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	switch ev.Type {
	case org.TypeMerged, org.TypeSplit, org.TypeDissolved:
	default:
		return nil
	}
	rest, ok := strings.CutPrefix(ev.StreamID, "org-")
	if !ok {
		return nil
	}
	id, err := uuid.Parse(rest)
	if err != nil {
		return nil // not an org stream of ours
	}
	e, err := org.Decode(ev.Type, ev.Data)
	if err != nil {
		return err
	}
	var kind string
	var successors []domain.OrgID
	switch e := e.(type) {
	case org.Merged:
		kind, successors = "merge", []domain.OrgID{e.Successor}
	case org.Split:
		kind, successors = "split", e.Successors
	case org.Dissolved:
		if e.Successor.IsZero() {
			return nil // nothing to move
		}
		kind, successors = "dissolution", []domain.OrgID{e.Successor}
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+t.Name(DecisionsView)+` (decision_id, org_id, kind, successors, recorded_at, position)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (decision_id) DO NOTHING`,
		ev.ID, id, kind, uuids(successors), ev.Meta.RecordedAt, ev.Position.String())
	return err
}

func uuids(ids []domain.OrgID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[i] = uuid.UUID(id)
	}
	return out
}
