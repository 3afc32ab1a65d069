package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/vntext"
)

// Querier is what Search reads through: a *pgxpool.Pool, a *pgx.Conn or a
// pgx.Tx whose search_path holds the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Query selects accounts. Scope is required: accounts whose home org is
// one of its orgs (an empty scope lists nothing, never everything). The
// other fields do not filter when zero.
type Query struct {
	Scope []domain.OrgID
	// Roles keeps accounts holding a grant of one of these roles in force
	// on Today (whatever the account's own state: States filters that).
	Roles  []string
	States []string // active, restricted, closed
	Text   string   // a part of the username or display name, diacritics ignored
	Today  domain.Date
	After  string // the cursor: usernames after this one
	Limit  int    // at most this many; 0: 100
}

// Item is one account of the list.
type Item struct {
	ID          domain.AccountID
	Version     uint64
	Kind        string
	Username    string
	DisplayName string
	HomeOrg     domain.OrgID
	Dossier     domain.DossierID // zero: not a personal account
	Status      string
	CreatedOn   domain.Date
	// Roles are the distinct roles of the grants in force on Today, sorted.
	Roles []string
}

// Page is one page of the list, by username.
type Page struct {
	Items []Item
	// Next is the username to pass as After for the next page; "" on the
	// last page.
	Next string
}

// Search lists the accounts q selects, by username.
func Search(ctx context.Context, db Querier, q Query) (Page, error) {
	page := Page{Items: []Item{}}
	if len(q.Scope) == 0 {
		return page, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	scope := make([]uuid.UUID, len(q.Scope))
	for i, o := range q.Scope {
		scope[i] = uuid.UUID(o)
	}
	today := time.Date(q.Today.Year(), q.Today.Month(), q.Today.Day(), 0, 0, 0, 0, time.UTC)
	inForce := `g.account_id = a.account_id AND g.valid_from <= $2 AND (g.valid_until IS NULL OR g.valid_until >= $2)
        AND (g.revoked_on IS NULL OR g.revoked_on > $2)`
	sql := `SELECT a.account_id, a.version, a.kind, a.username, a.display_name, a.home_org, a.dossier_id, a.status, a.created_on,
    ARRAY(SELECT DISTINCT g.role FROM ` + GrantsView + ` g WHERE ` + inForce + ` ORDER BY g.role)
  FROM ` + AccountsView + ` a
 WHERE a.home_org = ANY($1) AND a.username > $3`
	args := []any{scope, today, q.After}
	if len(q.States) > 0 {
		args = append(args, q.States)
		sql += fmt.Sprintf(` AND a.status = ANY($%d)`, len(args))
	}
	if len(q.Roles) > 0 {
		args = append(args, q.Roles)
		sql += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM `+GrantsView+` g WHERE `+inForce+` AND g.role = ANY($%d))`, len(args))
	}
	if text := vntext.Fold(q.Text); text != "" {
		args = append(args, "%"+likeEscape(text)+"%")
		sql += fmt.Sprintf(` AND a.folded LIKE $%d`, len(args))
	}
	args = append(args, limit+1)
	sql += fmt.Sprintf(` ORDER BY a.username LIMIT $%d`, len(args))
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return page, fmt.Errorf("accounts: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			it       Item
			id, home uuid.UUID
			dossier  *uuid.UUID
			created  time.Time
			version  int64
			roles    []string
		)
		if err := rows.Scan(&id, &version, &it.Kind, &it.Username, &it.DisplayName, &home, &dossier, &it.Status, &created, &roles); err != nil {
			return page, fmt.Errorf("accounts: search: %w", err)
		}
		it.ID, it.HomeOrg, it.Version, it.Roles = domain.AccountID(id), domain.OrgID(home), uint64(version), roles
		if dossier != nil {
			it.Dossier = domain.DossierID(*dossier)
		}
		it.CreatedOn = domain.DateOf(created)
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("accounts: search: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = page.Items[limit-1].Username
	}
	return page, nil
}

// likeEscape makes s match itself in a LIKE pattern (backslash is
// PostgreSQL's default escape).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
