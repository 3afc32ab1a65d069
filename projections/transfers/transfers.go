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

// View is the index's one view: a transfer, its dossier, its parties and
// where it stands.
const View = "transfer_dossiers"

// Name is the projection's stable name.
const Name = "transfers"

// The states of a transfer, as GET /transfers answers them.
const (
	StatePending   = "pending"
	StateReceived  = "received"
	StateRejected  = "rejected"
	StateCancelled = "cancelled"
)

// Projection indexes transfers by id. It implements projections.Projection.
type Projection struct{}

// New returns the transfers projection.
func New() *Projection { return &Projection{} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection. Version 2 keeps the parties
// and the state, so that the orgs find their incoming and outgoing
// transfers without knowing their numbers.
func (*Projection) Version() int { return 2 }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{View} }

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	tbl := t.Name(View)
	_, err := tx.Exec(ctx, `CREATE TABLE `+tbl+` (
    transfer_id  uuid PRIMARY KEY,
    dossier_id   uuid NOT NULL,
    position     text COLLATE "C" NOT NULL,
    kind         text NOT NULL,
    from_org     uuid,
    target_org   uuid,
    state        text NOT NULL,
    initiated_on text NOT NULL
);
CREATE INDEX `+t.Name("transfer_from")+` ON `+tbl+` (from_org, position);
CREATE INDEX `+t.Name("transfer_target")+` ON `+tbl+` (target_org, position)`)
	return err
}

// Apply implements projections.Projection. It is idempotent: the row is
// keyed by the transfer id, a transfer id is initiated once (the dossier
// refuses a second initiation with the same id), and a transfer is closed
// once (received, rejected or cancelled), by a later event.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	var state string
	switch ev.Type {
	case dossier.TypeTransferInitiated:
	case dossier.TypeTransferReceived:
		state = StateReceived
	case dossier.TypeTransferRejected:
		state = StateRejected
	case dossier.TypeTransferCancelled:
		state = StateCancelled
	default:
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
	switch e := e.(type) {
	case dossier.TransferInitiated:
		_, err = tx.Exec(ctx, `INSERT INTO `+t.Name(View)+` (transfer_id, dossier_id, position, kind, from_org, target_org, state, initiated_on)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
ON CONFLICT (transfer_id) DO NOTHING`, e.TransferID, d, ev.Position.String(), e.Kind.String(), orgOrNil(e.FromOrg), orgOrNil(e.TargetOrg), ev.Meta.EffectiveDate)
		return err
	case dossier.TransferReceived:
		return closeTransfer(ctx, tx, t, e.TransferID, state)
	case dossier.TransferRejected:
		return closeTransfer(ctx, tx, t, e.TransferID, state)
	case dossier.TransferCancelled:
		return closeTransfer(ctx, tx, t, e.TransferID, state)
	}
	return fmt.Errorf("transfers: %s decoded as %T", ev.Type, e)
}

func closeTransfer(ctx context.Context, tx pgx.Tx, t projections.Tables, tid uuid.UUID, state string) error {
	_, err := tx.Exec(ctx, `UPDATE `+t.Name(View)+` SET state = $2 WHERE transfer_id = $1`, tid, state)
	return err
}

func orgOrNil(o domain.OrgID) *uuid.UUID {
	if o.IsZero() {
		return nil
	}
	u := uuid.UUID(o)
	return &u
}

// Querier is what DossierOf and List read through: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx whose search_path holds the view.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
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

// Direction says which side of a transfer the listed orgs are on.
type Direction int

const (
	// Either lists transfers sent or received by the orgs.
	Either Direction = iota
	// Incoming lists transfers whose target is one of the orgs.
	Incoming
	// Outgoing lists transfers sent by one of the orgs.
	Outgoing
)

// Query selects transfers for List. An empty Orgs selects nothing: the
// caller's scope is always given, never "everything".
type Query struct {
	Orgs      []domain.OrgID
	Direction Direction
	States    []string // none: every state
	Limit     int
	// Cursor is Page.Next of the previous page, "" for the first.
	Cursor string
}

// Row is one transfer of the index.
type Row struct {
	ID          uuid.UUID
	DossierID   domain.DossierID
	Kind        string
	FromOrg     domain.OrgID
	TargetOrg   domain.OrgID // zero out of the province
	State       string
	InitiatedOn domain.Date
}

// Page is one page of List, newest transfer first.
type Page struct {
	Items []Row
	Next  string // "" on the last page
}

// ErrInvalid is what List wraps when the cursor is not one it gave.
var ErrInvalid = domain.ErrInvalid

// List returns the transfers of q's orgs, newest first (by the log's
// order, so a page boundary never moves under a concurrent append).
func List(ctx context.Context, db Querier, q Query) (Page, error) {
	if len(q.Orgs) == 0 {
		return Page{}, nil
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Cursor != "" {
		if _, err := eventstore.ParsePosition(q.Cursor); err != nil {
			return Page{}, fmt.Errorf("%w: malformed transfer cursor", ErrInvalid)
		}
	}
	orgs := make([]uuid.UUID, len(q.Orgs))
	for i, o := range q.Orgs {
		orgs[i] = uuid.UUID(o)
	}
	var side string
	switch q.Direction {
	case Incoming:
		side = `target_org = ANY($1)`
	case Outgoing:
		side = `from_org = ANY($1)`
	default:
		side = `(target_org = ANY($1) OR from_org = ANY($1))`
	}
	rows, err := db.Query(ctx, `SELECT transfer_id, dossier_id, position, kind, from_org, target_org, state, initiated_on
FROM `+View+` WHERE `+side+`
  AND (coalesce(cardinality($2::text[]), 0) = 0 OR state = ANY($2))
  AND ($3 = '' OR position < $3 COLLATE "C")
ORDER BY position COLLATE "C" DESC LIMIT $4`, orgs, q.States, q.Cursor, q.Limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("transfers: list: %w", err)
	}
	defer rows.Close()
	var (
		page      Page
		positions []string
	)
	for rows.Next() {
		var (
			r        Row
			d        uuid.UUID
			pos      string
			from, to *uuid.UUID
			on       string
		)
		if err := rows.Scan(&r.ID, &d, &pos, &r.Kind, &from, &to, &r.State, &on); err != nil {
			return Page{}, fmt.Errorf("transfers: list: %w", err)
		}
		r.DossierID = domain.DossierID(d)
		if from != nil {
			r.FromOrg = domain.OrgID(*from)
		}
		if to != nil {
			r.TargetOrg = domain.OrgID(*to)
		}
		// A date the store did not set parses as zero: the row is still
		// listed, without its date.
		r.InitiatedOn, _ = domain.ParseDate(on)
		page.Items = append(page.Items, r)
		positions = append(positions, pos)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("transfers: list: %w", err)
	}
	if len(page.Items) > q.Limit {
		page.Items = page.Items[:q.Limit]
		page.Next = positions[q.Limit-1]
	}
	return page, nil
}
