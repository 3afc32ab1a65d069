package attachments

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// View is the index's one view: sha256 → dossier_id.
const View = "attachment_dossiers"

// Name is the projection's stable name.
const Name = "attachments"

// Projection indexes attachments by digest. It implements
// projections.Projection.
type Projection struct{}

// New returns the attachments projection.
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
    sha256     text NOT NULL,
    dossier_id uuid NOT NULL,
    PRIMARY KEY (sha256, dossier_id)
)`)
	return err
}

// Apply implements projections.Projection. It is idempotent: a dossier
// cites a scan once however often it is attached.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	sha, d, err := citation(ev)
	if err != nil || sha == "" {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+t.Name(View)+` (sha256, dossier_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, sha, d)
	return err
}

// citation is the scan ev cites and the dossier citing it ("" when ev
// cites none).
func citation(ev eventstore.Event) (sha string, d uuid.UUID, err error) {
	if ev.Type != dossier.TypeDocumentAttached {
		return "", d, nil
	}
	id, ok := strings.CutPrefix(ev.StreamID, "dossier-")
	if !ok {
		return "", d, nil
	}
	d, err = uuid.Parse(id)
	if err != nil {
		return "", d, nil // not a dossier stream this release knows
	}
	e, err := dossier.Decode(ev.Type, ev.Data)
	if err != nil {
		return "", d, fmt.Errorf("attachments: %w", err)
	}
	da, ok := e.(dossier.DocumentAttached)
	if !ok {
		return "", d, fmt.Errorf("attachments: %s decoded as %T", ev.Type, e)
	}
	// An attachment recorded without its bytes' digest names no download.
	return da.Attachment.Document.SHA256, d, nil
}

// ApplyBatch implements projections.BatchApplier: the batch's citations
// in one statement (an import attaches a scan to every dossier it creates,
// and Apply spends a statement on each).
func (*Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	var shas []string
	var dossiers []uuid.UUID
	for i, ev := range events {
		sha, d, err := citation(ev)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		if sha != "" {
			shas, dossiers = append(shas, sha), append(dossiers, d)
		}
	}
	if len(shas) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+t.Name(View)+` (sha256, dossier_id)
SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING`, shas, dossiers)
	if err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	return nil
}

// Querier is what Dossiers reads through: a *pgxpool.Pool, a *pgx.Conn or
// a pgx.Tx whose search_path holds the view.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Dossiers returns the dossiers that cite the scan sha256, sorted (none
// when no event names it, or the projection has not applied it yet).
func Dossiers(ctx context.Context, db Querier, sha256 string) ([]domain.DossierID, error) {
	rows, err := db.Query(ctx, `SELECT dossier_id FROM `+View+` WHERE sha256 = $1 ORDER BY dossier_id`, sha256)
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	out := make([]domain.DossierID, len(ids))
	for i, id := range ids {
		out[i] = domain.DossierID(id)
	}
	return out, nil
}
