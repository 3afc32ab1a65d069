package orgs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
)

// Querier is what the query functions read through: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx whose search_path holds the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Org is an org as it stands now: its name, code and parent are those in
// force at the latest effective date on record (as org.Org reports them).
type Org struct {
	ID     domain.OrgID
	Code   string
	Name   string
	Kind   org.Kind
	Level  org.Level
	Parent domain.OrgID // zero for a root
	Status org.Status   // active, merged, split or dissolved
	// Successors took over when the org ended: one for a merger, two or
	// more for a split, zero or one for a dissolution.
	Successors []domain.OrgID
	CreatedOn  domain.Date
	ClosedOn   domain.Date // zero while active
	// HomeAffairs is a province's designated Department of Home Affairs
	// (org.home_affairs_designated.v1) in force at the latest date; zero
	// for every other org.
	HomeAffairs domain.OrgID
}

// Successor is the org that took over everything a merged or dissolved org
// managed; zero when there is none or the org was split.
func (o Org) Successor() domain.OrgID {
	if len(o.Successors) == 1 {
		return o.Successors[0]
	}
	return domain.OrgID{}
}

// Tree returns every org ever created, ended ones included (their dossiers'
// history still points at them), ordered by name then id.
func Tree(ctx context.Context, db Querier) ([]Org, error) {
	rows, err := db.Query(ctx, `SELECT org_id, code, name, kind, level, parent, status, successors, created_on, closed_on, home_affairs
  FROM `+OrgsView+` ORDER BY name, org_id`)
	if err != nil {
		return nil, fmt.Errorf("orgs: tree: %w", err)
	}
	defer rows.Close()
	out := []Org{}
	for rows.Next() {
		var (
			o               Org
			id              uuid.UUID
			parent          *uuid.UUID
			kind, level, st string
			successors      []uuid.UUID
			created         time.Time
			closed          *time.Time
			doh             *uuid.UUID
		)
		if err := rows.Scan(&id, &o.Code, &o.Name, &kind, &level, &parent, &st, &successors, &created, &closed, &doh); err != nil {
			return nil, fmt.Errorf("orgs: tree: %w", err)
		}
		o.ID, o.Kind, o.Level, o.Status = domain.OrgID(id), org.Kind(kind), org.Level(level), org.Status(st)
		if parent != nil {
			o.Parent = domain.OrgID(*parent)
		}
		for _, s := range successors {
			o.Successors = append(o.Successors, domain.OrgID(s))
		}
		o.CreatedOn = toDate(created)
		if closed != nil {
			o.ClosedOn = toDate(*closed)
		}
		if doh != nil {
			o.HomeAffairs = domain.OrgID(*doh)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("orgs: tree: %w", err)
	}
	return out, nil
}

// Subtree returns the roots and every org below them in the current tree,
// each once, sorted. Orgs that ended stay where they were in the tree, so a
// subtree includes the units that were merged away inside it. Unknown roots
// contribute nothing.
func Subtree(ctx context.Context, db Querier, roots []domain.OrgID) ([]domain.OrgID, error) {
	return orgIDs(ctx, db, `SELECT DISTINCT descendant FROM `+ClosureView+` WHERE ancestor = ANY($1) ORDER BY descendant`, toUUIDs(roots))
}

// SubtreeOn answers the historic question: the roots and every org below
// them in the tree as it stood on date d (parents in force on d, orgs that
// existed on d), each once, sorted. It walks the parent history instead of
// the closure, which holds only the current tree.
func SubtreeOn(ctx context.Context, db Querier, roots []domain.OrgID, d domain.Date) ([]domain.OrgID, error) {
	return orgIDs(ctx, db, `
WITH RECURSIVE edges AS (
    SELECT org_id, parent FROM `+ParentsView+`
     WHERE valid_from <= $2::date AND (valid_to IS NULL OR valid_to > $2::date) AND parent IS NOT NULL
), sub AS (
    SELECT o.org_id FROM `+OrgsView+` o WHERE o.org_id = ANY($1) AND o.created_on <= $2::date
    UNION
    SELECT e.org_id FROM edges e JOIN sub s ON e.parent = s.org_id
)
SELECT s.org_id FROM sub s JOIN `+OrgsView+` o USING (org_id)
 WHERE o.created_on <= $2::date AND (o.closed_on IS NULL OR o.closed_on > $2::date)
 ORDER BY s.org_id`, toUUIDs(roots), d.String())
}

// NameOn returns the name org bore on d, exactly as decided then. After the
// org ended it is the last name it bore (how its old records name it). It
// returns an error wrapping domain.ErrNotFound for an unknown org or a date
// before its creation.
func NameOn(ctx context.Context, db Querier, o domain.OrgID, d domain.Date) (string, error) {
	rows, err := db.Query(ctx, `SELECT name FROM `+NamesView+`
 WHERE org_id = $1 AND valid_from <= $2::date AND (valid_to IS NULL OR valid_to > $2::date)`, uuid.UUID(o), d.String())
	if err != nil {
		return "", fmt.Errorf("orgs: name of %s: %w", o, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("orgs: name of %s: %w", o, err)
	}
	if len(names) == 0 {
		return "", fmt.Errorf("orgs: org %s had no name on %s: %w", o, d, domain.ErrNotFound)
	}
	return names[0], nil
}

// ManagedBy returns the org that managed the dossier on d. It returns an
// error wrapping domain.ErrNotFound when no org did: an unknown dossier, a
// date before its creation, or a date after a transfer out of the province.
func ManagedBy(ctx context.Context, db Querier, dossier domain.DossierID, d domain.Date) (domain.OrgID, error) {
	ids, err := orgIDs(ctx, db, `SELECT org_id FROM `+ManagementView+`
 WHERE dossier_id = $1 AND valid_from <= $2::date AND (valid_to IS NULL OR valid_to > $2::date) AND org_id IS NOT NULL`,
		uuid.UUID(dossier), d.String())
	if err != nil {
		return domain.OrgID{}, err
	}
	if len(ids) == 0 {
		return domain.OrgID{}, fmt.Errorf("orgs: no org managed dossier %s on %s: %w", dossier, d, domain.ErrNotFound)
	}
	return ids[0], nil
}

// ManagedDossiers returns the dossiers org managed on d, sorted. Archived
// dossiers (retired, resigned…) stay with their org and are included;
// dossiers transferred out of the province are not.
func ManagedDossiers(ctx context.Context, db Querier, o domain.OrgID, d domain.Date) ([]domain.DossierID, error) {
	rows, err := db.Query(ctx, `SELECT dossier_id FROM `+ManagementView+`
 WHERE org_id = $1 AND valid_from <= $2::date AND (valid_to IS NULL OR valid_to > $2::date)
 ORDER BY dossier_id`, uuid.UUID(o), d.String())
	if err != nil {
		return nil, fmt.Errorf("orgs: dossiers of %s: %w", o, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("orgs: dossiers of %s: %w", o, err)
	}
	out := make([]domain.DossierID, 0, len(ids))
	for _, id := range ids {
		if len(out) == 0 || out[len(out)-1] != domain.DossierID(id) {
			out = append(out, domain.DossierID(id))
		}
	}
	return out, nil
}

func orgIDs(ctx context.Context, db Querier, sql string, args ...any) ([]domain.OrgID, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("orgs: query: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("orgs: query: %w", err)
	}
	out := make([]domain.OrgID, len(ids))
	for i, id := range ids {
		out[i] = domain.OrgID(id)
	}
	return out, nil
}

func toUUIDs(ids []domain.OrgID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[i] = uuid.UUID(id)
	}
	return out
}

func toDate(t time.Time) domain.Date {
	d, err := domain.NewDate(t.Year(), t.Month(), t.Day())
	if err != nil {
		return domain.Date{}
	}
	return d
}
