// Package breaches is the read model of the suspected personal-data
// breaches (domain/breach): one row per breach, for the list and the
// record the API serves to administrators and inspectors.
package breaches

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/breach"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// View is the projection's one view.
const View = "breaches"

// Name is the projection's stable name.
const Name = "breaches"

// Projection keeps the breaches table. It implements projections.Projection.
type Projection struct{}

// New returns the breaches projection.
func New() *Projection { return &Projection{} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection.
func (*Projection) Version() int { return 1 }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{View} }

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, `CREATE TABLE `+t.Name(View)+` (
    breach_id   uuid PRIMARY KEY,
    what        text NOT NULL,
    detected_at timestamptz NOT NULL,
    dossiers    uuid[] NOT NULL,
    orgs        uuid[] NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL,
    position    text COLLATE "C" NOT NULL
)`)
	return err
}

// Apply implements projections.Projection; idempotent (keyed by breach id,
// and a breach stream is created once).
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	if ev.Type != breach.TypeSuspected || !strings.HasPrefix(ev.StreamID, "breach-") {
		return nil
	}
	e, err := breach.Decode(ev.Type, ev.Data)
	if err != nil {
		return fmt.Errorf("breaches: %w", err)
	}
	s, ok := e.(breach.Suspected)
	if !ok {
		return fmt.Errorf("breaches: %s decoded as %T", ev.Type, e)
	}
	dossiers, orgs := nonNil(s.Dossiers), nonNil(s.Orgs)
	_, err = tx.Exec(ctx, `INSERT INTO `+t.Name(View)+` (breach_id, what, detected_at, dossiers, orgs, recorded_at, recorded_by, position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (breach_id) DO NOTHING`,
		s.BreachID, s.What, s.DetectedAt, dossiers, orgs, ev.Meta.RecordedAt, ev.Meta.Actor.AccountID, ev.Position.String())
	return err
}

func nonNil(ids []uuid.UUID) []uuid.UUID {
	if ids == nil {
		return []uuid.UUID{}
	}
	return ids
}

// Breach is one row.
type Breach struct {
	breach.Suspected
	RecordedAt time.Time
	RecordedBy string
}

// Querier is a *pgxpool.Pool, *pgx.Conn or pgx.Tx whose search_path holds the view.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const selectCols = `breach_id, what, detected_at, dossiers, orgs, recorded_at, recorded_by FROM ` + View

func scan(rows pgx.Rows) ([]Breach, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Breach, error) {
		var b Breach
		err := r.Scan(&b.BreachID, &b.What, &b.DetectedAt, &b.Dossiers, &b.Orgs, &b.RecordedAt, &b.RecordedBy)
		b.DetectedAt, b.RecordedAt = b.DetectedAt.UTC(), b.RecordedAt.UTC()
		return b, err
	})
}

// List is the breaches that concern one of orgs, newest detection first.
func List(ctx context.Context, db Querier, orgs []domain.OrgID) ([]Breach, error) {
	ids := make([]uuid.UUID, len(orgs))
	for i, o := range orgs {
		ids[i] = uuid.UUID(o)
	}
	rows, err := db.Query(ctx, `SELECT `+selectCols+` WHERE orgs && $1 ORDER BY detected_at DESC, breach_id`, ids)
	if err != nil {
		return nil, err
	}
	return scan(rows)
}

// Get is one breach; domain.ErrNotFound when the view has none.
func Get(ctx context.Context, db Querier, id uuid.UUID) (Breach, error) {
	rows, err := db.Query(ctx, `SELECT `+selectCols+` WHERE breach_id = $1`, id)
	if err != nil {
		return Breach{}, err
	}
	bs, err := scan(rows)
	if err != nil {
		return Breach{}, err
	}
	if len(bs) == 0 {
		return Breach{}, fmt.Errorf("breaches: breach %s: %w", id, domain.ErrNotFound)
	}
	return bs[0], nil
}
