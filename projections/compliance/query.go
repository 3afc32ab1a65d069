package compliance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/internal/cursor"
)

// Querier is what the query functions read through: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx whose search_path holds the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ErrInvalid: a malformed query (no orgs, a bad cursor or page size, a date
// range the wrong way round). It wraps domain.ErrInvalid.
var ErrInvalid = fmt.Errorf("compliance: %w", domain.ErrInvalid)

// Item is one required action and how it was met.
type Item struct {
	ID      uuid.UUID // the event that triggered it
	Dossier domain.DossierID
	// Org managed the dossier when the trigger happened (for a transfer:
	// the sending org). Zero only for a dossier whose management had been
	// revoked.
	Org domain.OrgID
	// Counterpart is the receiving org of a transfer between orgs, else zero.
	Counterpart domain.OrgID
	Action      policy.ActionKind
	Article     string      // of the regulation
	Anchor      string      // the rule's anchor kind (policy.Anchor name)
	AnchorDate  domain.Date // the date the deadline counts from
	Due         domain.Date
	Unit        string // working_days or days
	Trigger     string // stored event type that opened the item
	TransferID  uuid.UUID
	Outcome     Outcome
	ClosedBy    uuid.UUID   // the event that closed it (the trigger itself for instant actions)
	ClosedOn    domain.Date // recorded date, in Vietnam, of that event; zero while open
	// Late, LateBy (in the rule's unit) and WorkingDaysLate judge a done
	// item; they are zero for open, cancelled and rejected ones.
	Late            bool
	LateBy          int
	WorkingDaysLate int
	RecordedAt      time.Time // of the trigger
}

// Done is the date the action was done: ClosedOn of a done item, else zero.
func (it Item) Done() domain.Date {
	if it.Outcome != OutcomeDone {
		return domain.Date{}
	}
	return it.ClosedOn
}

// Filter selects items for Items.
type Filter struct {
	// Orgs is required: items whose Org or Counterpart is one of them (the
	// caller expands an org subtree into its ids).
	Orgs []domain.OrgID
	// From and To bound the due date, both included; zero is unbounded.
	From, To domain.Date
	// LateOnly keeps done items that were late.
	LateOnly bool
	// Actions keeps these action kinds; empty keeps all.
	Actions []policy.ActionKind
	// Cursor is Page.Next of the previous page; empty for the first.
	Cursor string
	// Limit is the page size, 1–1000; 0 means 100.
	Limit int
}

// Page is one page of items, by due date then id.
type Page struct {
	Items []Item
	// Next is the cursor of the following page; empty on the last.
	Next string
}

const itemColumns = `item_id, dossier_id, org_id, counterpart_org, action, article, anchor, anchor_date, due_date,
       unit, trigger_type, transfer_id, outcome, closed_by, closed_on, late, late_by, working_days_late, recorded_at`

// Items lists the items of f.Orgs, by due date then id, with keyset paging.
// It returns ErrInvalid for an empty Orgs, a Limit outside 0–1000, To
// before From, or a cursor it did not make.
func Items(ctx context.Context, db Querier, f Filter) (Page, error) {
	if len(f.Orgs) == 0 {
		return Page{}, fmt.Errorf("%w: orgs: at least one", ErrInvalid)
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 1000:
		return Page{}, fmt.Errorf("%w: limit %d: want 1–1000", ErrInvalid, f.Limit)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return Page{}, fmt.Errorf("%w: to %s is before from %s", ErrInvalid, f.To, f.From)
	}
	args := []any{orgIDs(f.Orgs)}
	where := []string{`(org_id = ANY($1) OR counterpart_org = ANY($1))`}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if !f.From.IsZero() {
		where = append(where, "due_date >= "+arg(f.From.String())+"::date")
	}
	if !f.To.IsZero() {
		where = append(where, "due_date <= "+arg(f.To.String())+"::date")
	}
	if f.LateOnly {
		where = append(where, "late")
	}
	if len(f.Actions) > 0 {
		names := make([]string, len(f.Actions))
		for i, a := range f.Actions {
			names[i] = a.String()
		}
		where = append(where, "action = ANY("+arg(names)+"::text[])")
	}
	if f.Cursor != "" {
		due, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		where = append(where, "(due_date, item_id) > ("+arg(due.String())+"::date, "+arg(id)+"::uuid)")
	}
	sql := `SELECT ` + itemColumns + ` FROM ` + ViewItems + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY due_date, item_id LIMIT ` + arg(limit+1)
	items, err := queryItems(ctx, db, sql, args...)
	if err != nil {
		return Page{}, err
	}
	var page Page
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.Next = encodeCursor(last.Due, last.ID)
	}
	page.Items = items
	return page, nil
}

// OverdueItem is an item not done by the as-of date although due before it.
type OverdueItem struct {
	Item
	// DaysOverdue is the calendar days from the due date to the as-of date.
	DaysOverdue int
}

// Overdue lists, for orgs (as Org: each side of a transfer owes its own
// deadlines, PT 9.1 / HU 10.2, and the other side's delay is not its
// own), the items whose due date is before asOf and that were not closed by asOf (still open, or closed
// after it), by due date then id. On today's date that is what is overdue
// now; on a past date, what was overdue then as the ledger knows it now
// (an action recorded late counts as overdue until the day it was
// recorded). It returns ErrInvalid for empty orgs or a zero asOf.
func Overdue(ctx context.Context, db Querier, orgs []domain.OrgID, asOf domain.Date) ([]OverdueItem, error) {
	if len(orgs) == 0 {
		return nil, fmt.Errorf("%w: orgs: at least one", ErrInvalid)
	}
	if asOf.IsZero() {
		return nil, fmt.Errorf("%w: as-of date required", ErrInvalid)
	}
	items, err := queryItems(ctx, db, `SELECT `+itemColumns+` FROM `+ViewItems+`
 WHERE org_id = ANY($1)
   AND due_date < $2::date AND (closed_on IS NULL OR closed_on > $2::date)
 ORDER BY due_date, item_id`, orgIDs(orgs), asOf.String())
	if err != nil {
		return nil, err
	}
	out := make([]OverdueItem, len(items))
	for i, it := range items {
		out[i] = OverdueItem{Item: it, DaysOverdue: it.Due.DaysUntil(asOf)}
	}
	return out, nil
}

// SummaryQuery selects what Summary counts.
type SummaryQuery struct {
	// Orgs is required; items count for their Org (the managing org when
	// the trigger happened), so a transfer counts for the sending org.
	Orgs []domain.OrgID
	// From and To bound the due date of the items counted as on time, late
	// or closed (both included; zero is unbounded).
	From, To domain.Date
	// AsOf is the date OpenOverdue is taken on (required).
	AsOf domain.Date
}

// OrgSummary is one org's compliance counts.
type OrgSummary struct {
	Org    domain.OrgID
	OnTime int // done by the due date
	Late   int // done after it
	// Closed: transfers cancelled or rejected, never judged.
	Closed int
	// OpenOverdue: due before AsOf and not closed by AsOf (whatever From/To say).
	OpenOverdue int
}

// Summary counts, per org of q.Orgs that has any item, the items done on
// time and late (due in From–To) and those overdue as of AsOf. It returns
// ErrInvalid for empty orgs, a zero AsOf or To before From.
func Summary(ctx context.Context, db Querier, q SummaryQuery) ([]OrgSummary, error) {
	if len(q.Orgs) == 0 {
		return nil, fmt.Errorf("%w: orgs: at least one", ErrInvalid)
	}
	if q.AsOf.IsZero() {
		return nil, fmt.Errorf("%w: as-of date required", ErrInvalid)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, fmt.Errorf("%w: to %s is before from %s", ErrInvalid, q.To, q.From)
	}
	var from, to *string
	if !q.From.IsZero() {
		s := q.From.String()
		from = &s
	}
	if !q.To.IsZero() {
		s := q.To.String()
		to = &s
	}
	rows, err := db.Query(ctx, `
SELECT org_id,
       count(*) FILTER (WHERE in_period AND outcome = 'done' AND NOT late),
       count(*) FILTER (WHERE in_period AND outcome = 'done' AND late),
       count(*) FILTER (WHERE in_period AND outcome IN ('cancelled', 'rejected')),
       count(*) FILTER (WHERE due_date < $4::date AND (closed_on IS NULL OR closed_on > $4::date))
  FROM (SELECT *, (due_date >= coalesce($2::date, '-infinity') AND due_date <= coalesce($3::date, 'infinity')) AS in_period
          FROM `+ViewItems+` WHERE org_id = ANY($1)) i
 GROUP BY org_id ORDER BY org_id`, orgIDs(q.Orgs), from, to, q.AsOf.String())
	if err != nil {
		return nil, fmt.Errorf("compliance: summary: %w", err)
	}
	defer rows.Close()
	var out []OrgSummary
	for rows.Next() {
		var s OrgSummary
		var org uuid.UUID
		if err := rows.Scan(&org, &s.OnTime, &s.Late, &s.Closed, &s.OpenOverdue); err != nil {
			return nil, fmt.Errorf("compliance: summary: %w", err)
		}
		s.Org = domain.OrgID(org)
		out = append(out, s)
	}
	return out, rows.Err()
}

func queryItems(ctx context.Context, db Querier, sql string, args ...any) ([]Item, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("compliance: items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var dossierID uuid.UUID
		var org, counterpart, transfer, closedBy *uuid.UUID
		var action, outcome string
		var anchorDate, due time.Time
		var closedOn *time.Time
		if err := rows.Scan(&it.ID, &dossierID, &org, &counterpart, &action, &it.Article, &it.Anchor, &anchorDate, &due,
			&it.Unit, &it.Trigger, &transfer, &outcome, &closedBy, &closedOn, &it.Late, &it.LateBy, &it.WorkingDaysLate,
			&it.RecordedAt); err != nil {
			return nil, fmt.Errorf("compliance: items: %w", err)
		}
		it.Dossier = domain.DossierID(dossierID)
		if org != nil {
			it.Org = domain.OrgID(*org)
		}
		if counterpart != nil {
			it.Counterpart = domain.OrgID(*counterpart)
		}
		if transfer != nil {
			it.TransferID = *transfer
		}
		if closedBy != nil {
			it.ClosedBy = *closedBy
		}
		if it.Action, err = policy.ParseActionKind(action); err != nil {
			return nil, fmt.Errorf("compliance: item %s: %w", it.ID, err)
		}
		it.Outcome = Outcome(outcome)
		it.AnchorDate, it.Due = dateOf(anchorDate), dateOf(due)
		if closedOn != nil {
			it.ClosedOn = dateOf(*closedOn)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// dateOf reads a PostgreSQL date, which pgx returns as midnight UTC.
func dateOf(t time.Time) domain.Date {
	d, _ := domain.NewDate(t.Year(), t.Month(), t.Day())
	return d
}

func orgIDs(orgs []domain.OrgID) []uuid.UUID {
	out := make([]uuid.UUID, len(orgs))
	for i, o := range orgs {
		out[i] = uuid.UUID(o)
	}
	return out
}

// itemsList names the cursors of the compliance items (see
// internal/cursor); the key is the last row's (due date, id).
const itemsList = "compliance.items"

type itemsKey struct {
	Due string    `json:"d"`
	ID  uuid.UUID `json:"i"`
}

func encodeCursor(due domain.Date, id uuid.UUID) string {
	return cursor.Encode(itemsList, itemsKey{Due: due.String(), ID: id})
}

func decodeCursor(s string) (domain.Date, string, error) {
	bad := fmt.Errorf("%w: cursor is not one of ours", ErrInvalid)
	var k itemsKey
	if err := cursor.Decode(s, itemsList, &k); err != nil || k.ID == uuid.Nil {
		return domain.Date{}, "", bad
	}
	due, err := domain.ParseDate(k.Due)
	if err != nil {
		return domain.Date{}, "", bad
	}
	return due, k.ID.String(), nil
}

// Approval is one monthly approval and where it fell against the approval
// window of the jurisdiction policy.
type Approval struct {
	EventID       uuid.UUID
	Org           domain.OrgID
	Month         string // yyyy-mm
	Level         string // unit | department
	Timing        string // early | in_window | late
	WindowStart   domain.Date
	WindowEnd     domain.Date
	SignedOn      domain.Date // recorded date, in Vietnam
	SignerAccount domain.AccountID
	SignerSubject string
	RecordedAt    time.Time
}

// Flagged reports an approval signed outside its window: allowed, but the
// inspectors' business.
func (a Approval) Flagged() bool { return a.Timing != "in_window" }

// Approvals lists the monthly approvals of orgs, newest month first; with
// flaggedOnly, only the early and late ones. At most 1000 rows.
func Approvals(ctx context.Context, db Querier, orgs []domain.OrgID, flaggedOnly bool) ([]Approval, error) {
	rows, err := db.Query(ctx, `SELECT event_id, org_id, month, level, timing, window_start, window_end, signed_on, signer_account, signer_subject, recorded_at
  FROM `+ViewApprovals+`
 WHERE org_id = ANY($1) AND (NOT $2 OR timing <> 'in_window')
 ORDER BY month DESC, org_id, level LIMIT 1000`, orgIDs(orgs), flaggedOnly)
	if err != nil {
		return nil, fmt.Errorf("compliance: approvals: %w", err)
	}
	defer rows.Close()
	out := []Approval{}
	for rows.Next() {
		var (
			a           Approval
			org, signer uuid.UUID
			start, end  *time.Time
			signed      time.Time
		)
		if err := rows.Scan(&a.EventID, &org, &a.Month, &a.Level, &a.Timing, &start, &end, &signed, &signer, &a.SignerSubject, &a.RecordedAt); err != nil {
			return nil, fmt.Errorf("compliance: approvals: %w", err)
		}
		a.Org, a.SignerAccount, a.SignedOn = domain.OrgID(org), domain.AccountID(signer), dateOf(signed)
		if start != nil {
			a.WindowStart = dateOf(*start)
		}
		if end != nil {
			a.WindowEnd = dateOf(*end)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
