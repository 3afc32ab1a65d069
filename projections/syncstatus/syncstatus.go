package syncstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// Name is the projection's stable name; View the table readers query.
const (
	Name = "syncstatus"
	View = "sync_packages"
)

// Projection implements projections.Projection.
type Projection struct{}

var _ projections.Projection = (*Projection)(nil)

// New returns the projection.
func New() *Projection { return &Projection{} }

func (*Projection) Name() string    { return Name }
func (*Projection) Version() int    { return 1 }
func (*Projection) Views() []string { return []string{View} }

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    package_id      uuid        PRIMARY KEY,
    org_id          uuid        NOT NULL,   -- the unit whose month it is
    department_org  uuid        NOT NULL,
    month           text        NOT NULL,
    supplement      integer     NOT NULL,
    approved_at     timestamptz NOT NULL,   -- the department approval
    due_date        date,                   -- NULL: no rule in force
    article         text        NOT NULL,
    state           text        NOT NULL,   -- queued | sent | acknowledged | rejected
    attempts        integer     NOT NULL,
    last_attempt_at timestamptz,
    settled_at      timestamptz,            -- acknowledged or rejected
    digest          text        NOT NULL,
    status          integer     NOT NULL,   -- the receiver's HTTP status of a rejection
    reasons         jsonb       NOT NULL,
    version         bigint      NOT NULL
);
CREATE INDEX %[2]s ON %[1]s (org_id, month);
CREATE INDEX %[3]s ON %[1]s (department_org, month);`,
		t.Name(View), t.Name("sync_packages_by_org"), t.Name("sync_packages_by_department")))
	return err
}

// Apply implements projections.Projection.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	sql, args, err := statement(t, ev)
	if err != nil || sql == "" {
		return err
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("syncstatus: %w", err)
	}
	return nil
}

// ApplyBatch implements projections.BatchApplier: the same statement per
// event as Apply, sent in one round trip. Each package moves through three
// events, so a batch of live deliveries was three waits per package on
// PostgreSQL's answer; the statements differ per event type and each
// package's row changes in order, so they are pipelined, not merged.
func (*Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	b := &pgx.Batch{}
	var at []int // the event of each queued statement
	for i, ev := range events {
		sql, args, err := statement(t, ev)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		if sql != "" {
			b.Queue(sql, args...)
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	for _, i := range at {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return &projections.EventError{Index: i, Err: fmt.Errorf("syncstatus: %w", err)}
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("syncstatus: %w", err)
	}
	return nil
}

// statement is the one statement that folds ev into the view, or "" for
// an event the view does not show.
func statement(t projections.Tables, ev eventstore.Event) (string, []any, error) {
	if !strings.HasPrefix(ev.Type, "sync.") || !strings.HasPrefix(ev.StreamID, "sync-") {
		return "", nil, nil
	}
	e, err := nationalsync.Decode(ev.Type, ev.Data)
	if err != nil {
		for _, k := range nationalsync.EventTypes() {
			if k == ev.Type {
				return "", nil, fmt.Errorf("syncstatus: %s@%d: %w", ev.StreamID, ev.Version, err)
			}
		}
		return "", nil, nil // a type this release does not know
	}
	tbl, v, at := t.Name(View), int64(ev.Version), ev.Meta.RecordedAt
	switch e := e.(type) {
	case nationalsync.Queued:
		var due *time.Time
		if !e.Due.IsZero() {
			d := time.Date(e.Due.Year(), e.Due.Month(), e.Due.Day(), 0, 0, 0, 0, time.UTC)
			due = &d
		}
		return `INSERT INTO ` + tbl + ` (package_id, org_id, department_org, month, supplement, approved_at, due_date, article,
    state, attempts, digest, status, reasons, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, '', 0, '[]', $9) ON CONFLICT (package_id) DO NOTHING`,
			[]any{e.Package, uuid.UUID(e.Org), uuid.UUID(e.Department), e.Month, e.Supplement, e.ApprovedAt, due, e.Article, v}, nil
	case nationalsync.Sent:
		return `UPDATE ` + tbl + ` SET attempts = attempts + 1, last_attempt_at = $2, digest = $3,
    state = CASE WHEN state IN ('acknowledged', 'rejected') THEN state ELSE 'sent' END, version = $4
 WHERE package_id = $1 AND version < $4`, []any{e.Package, at, e.Digest, v}, nil
	case nationalsync.Acknowledged:
		// The first answer settles the package; a later one (a receiver
		// answering twice) only moves the version. One statement for both,
		// as each package's answer is a statement of every delivery.
		return `UPDATE ` + tbl + ` SET ` + settled + `, version = $4,
    state = CASE WHEN ` + isSettled + ` THEN state ELSE 'acknowledged' END
 WHERE package_id = $1 AND version < $4`, []any{e.Package, at, e.Digest, v}, nil
	case nationalsync.Rejected:
		reasons, _ := json.Marshal(e.Reasons)
		return `UPDATE ` + tbl + ` SET ` + settled + `, version = $6,
    status = CASE WHEN ` + isSettled + ` THEN status ELSE $4 END,
    reasons = CASE WHEN ` + isSettled + ` THEN reasons ELSE $5 END,
    state = CASE WHEN ` + isSettled + ` THEN state ELSE 'rejected' END
 WHERE package_id = $1 AND version < $6`, []any{e.Package, at, e.Digest, e.Status, reasons, v}, nil
	}
	return "", nil, nil
}

// isSettled and settled are the parts of the answers' statements that
// leave a package answered before as it was: every SET of one row reads
// the row as it was before the statement.
const (
	isSettled = `state IN ('acknowledged', 'rejected')`
	settled   = `settled_at = CASE WHEN ` + isSettled + ` THEN settled_at ELSE $2 END,
    digest = CASE WHEN ` + isSettled + ` THEN digest ELSE $3 END`
)

// Package is one row, judged on a day.
type Package struct {
	ID            uuid.UUID    `json:"id"`
	Org           domain.OrgID `json:"org_id"`
	Department    domain.OrgID `json:"department_org_id"`
	Month         string       `json:"month"`
	Supplement    int          `json:"supplement,omitempty"`
	ApprovedAt    time.Time    `json:"approved_at"`
	Due           *domain.Date `json:"due_date,omitempty"`
	Article       string       `json:"article,omitempty"`
	State         string       `json:"state"`
	Attempts      int          `json:"attempts"`
	LastAttemptAt *time.Time   `json:"last_attempt_at,omitempty"`
	SettledAt     *time.Time   `json:"settled_at,omitempty"`
	Digest        string       `json:"package_sha256,omitempty"`
	Status        int          `json:"rejection_status,omitempty"`
	Reasons       []string     `json:"reasons"`
	// Late: acknowledged after the due date (Vietnam calendar), or not
	// acknowledged and the due date has passed (Overdue too).
	Late    bool `json:"late"`
	Overdue bool `json:"overdue"`
}

// Querier is a *pgxpool.Pool, *pgx.Conn or pgx.Tx whose search_path holds
// the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ErrNotFound: no such package (in the caller's orgs).
var ErrNotFound = fmt.Errorf("syncstatus: %w", domain.ErrNotFound)

// Filter selects packages: of Orgs (the unit's or the department's), of
// Month when set, only late or failed (rejected) ones when Problems; judged
// on Today.
type Filter struct {
	// All ignores Orgs: the operator's view (`hoso sync status`).
	All      bool
	Orgs     []domain.OrgID
	Month    string
	Problems bool
	ID       uuid.UUID
	Today    domain.Date
}

// List returns the packages f selects, newest month first, at most 1,000.
func List(ctx context.Context, db Querier, f Filter) ([]Package, error) {
	orgs := make([]uuid.UUID, len(f.Orgs))
	for i, o := range f.Orgs {
		orgs[i] = uuid.UUID(o)
	}
	var id *uuid.UUID
	if f.ID != uuid.Nil {
		id = &f.ID
	}
	rows, err := db.Query(ctx, `SELECT package_id, org_id, department_org, month, supplement, approved_at, due_date, article, state,
       attempts, last_attempt_at, settled_at, digest, status, reasons
  FROM `+View+`
 WHERE ($4 OR org_id = ANY($1) OR department_org = ANY($1)) AND ($2 = '' OR month = $2) AND ($3::uuid IS NULL OR package_id = $3)
 ORDER BY month DESC, approved_at DESC, package_id LIMIT 1000`, orgs, f.Month, id, f.All)
	if err != nil {
		return nil, fmt.Errorf("syncstatus: %w", err)
	}
	defer rows.Close()
	out := []Package{}
	for rows.Next() {
		var (
			p       Package
			org, dp uuid.UUID
			due     *time.Time
			reasons []byte
		)
		if err := rows.Scan(&p.ID, &org, &dp, &p.Month, &p.Supplement, &p.ApprovedAt, &due, &p.Article, &p.State,
			&p.Attempts, &p.LastAttemptAt, &p.SettledAt, &p.Digest, &p.Status, &reasons); err != nil {
			return nil, fmt.Errorf("syncstatus: %w", err)
		}
		p.Org, p.Department = domain.OrgID(org), domain.OrgID(dp)
		if err := json.Unmarshal(reasons, &p.Reasons); err != nil {
			return nil, fmt.Errorf("syncstatus: reasons: %w", err)
		}
		if due != nil {
			d := domain.MustDate(due.Year(), due.Month(), due.Day())
			p.Due = &d
			switch {
			case p.State == string(nationalsync.StateAcknowledged):
				p.Late = domain.DateOf(*p.SettledAt).After(d)
			default:
				p.Overdue = f.Today.After(d)
				p.Late = p.Overdue
			}
		}
		if f.Problems && !p.Late && p.State != string(nationalsync.StateRejected) {
			continue
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Get returns one package if it belongs to (or is the department's of)
// one of orgs; ErrNotFound otherwise.
func Get(ctx context.Context, db Querier, id uuid.UUID, orgs []domain.OrgID, today domain.Date) (Package, error) {
	ps, err := List(ctx, db, Filter{Orgs: orgs, ID: id, Today: today})
	if err != nil {
		return Package{}, err
	}
	if len(ps) == 0 {
		return Package{}, ErrNotFound
	}
	return ps[0], nil
}
