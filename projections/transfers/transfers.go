package transfers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// View is the index's one view: transfer_id → dossier_id.
const View = "transfer_dossiers"

// Name is the projection's stable name.
const Name = "transfers"

// Projection indexes transfers by id. It implements projections.Projection.
type Projection struct{}

// New returns the transfers projection.
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
    transfer_id uuid PRIMARY KEY,
    dossier_id  uuid NOT NULL,
    position    text COLLATE "C" NOT NULL
)`)
	return err
}

// Apply implements projections.Projection. It is idempotent: the row is
// keyed by the transfer id, and a transfer id is initiated once (the
// dossier refuses a second initiation with the same id).
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	if ev.Type != dossier.TypeTransferInitiated {
		return nil
	}
	id, ok := strings.CutPrefix(ev.StreamID, "dossier-")
	if !ok {
		return nil
	}
	d, err := uuid.Parse(id)
	if err != nil {
		return nil // not a dossier stream this release knows
	}
	e, err := dossier.Decode(ev.Type, ev.Data)
	if err != nil {
		return fmt.Errorf("transfers: %w", err)
	}
	ti, ok := e.(dossier.TransferInitiated)
	if !ok {
		return fmt.Errorf("transfers: %s decoded as %T", ev.Type, e)
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+t.Name(View)+` (transfer_id, dossier_id, position) VALUES ($1, $2, $3)
ON CONFLICT (transfer_id) DO NOTHING`, ti.TransferID, d, ev.Position.String())
	return err
}

// Querier is what DossierOf reads through: a *pgxpool.Pool, a *pgx.Conn
// or a pgx.Tx whose search_path holds the view.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DossierOf returns the dossier whose transfer tid is: domain.ErrNotFound
// when the index holds no such transfer (none was initiated, or the
// projection has not applied it yet).
func DossierOf(ctx context.Context, db Querier, tid uuid.UUID) (domain.DossierID, error) {
	var id uuid.UUID
	err := db.QueryRow(ctx, `SELECT dossier_id FROM `+View+` WHERE transfer_id = $1`, tid).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.DossierID{}, fmt.Errorf("transfers: transfer %s: %w", tid, domain.ErrNotFound)
	}
	if err != nil {
		return domain.DossierID{}, fmt.Errorf("transfers: transfer %s: %w", tid, err)
	}
	return domain.DossierID(id), nil
}
