package compliance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
)

// ViewReports holds every report an org submitted (org.report_submitted.v1).
// The report due dates themselves are not rows: they follow from the
// policy, the calendar and the org tree on any date, so ReportDuties
// computes them when asked and only the submissions, which are events,
// are stored.
const ViewReports = "compliance_reports"

func setupReports(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    event_id     uuid        PRIMARY KEY,   -- the org.report_submitted event
    org_id       uuid        NOT NULL,
    action       text        NOT NULL,      -- policy report kind
    period       text        NOT NULL,      -- 2026, 2026-H1, 2026-Q3
    sent_on      date        NOT NULL,      -- the effective date: the day the report was sent
    sha256       text        NOT NULL,      -- the report file's digest
    doc_number   text        NOT NULL,      -- the dispatch (công văn) number
    doc_date     date,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX %[2]s ON %[1]s (org_id, action, period, sent_on);`, t.Name(ViewReports), t.Name("compliance_reports_by_org")))
	return err
}

// writeReports records the batch's report submissions; the event id is the
// key, so applying an event twice changes nothing.
func writeReports(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	for i, ev := range events {
		if ev.Type != org.TypeReportSubmitted {
			continue
		}
		rec, err := ledger.Recorded(ev, org.Decode)
		if err != nil {
			return &projections.EventError{Index: i, Err: err}
		}
		sub := rec.Event.(org.ReportSubmitted)
		id, err := uuid.Parse(strings.TrimPrefix(ev.StreamID, "org-"))
		if err != nil {
			return &projections.EventError{Index: i, Err: fmt.Errorf("compliance: report in stream %s: %w", ev.StreamID, err)}
		}
		m := rec.Meta
		sent := m.EffectiveDate
		if sent.IsZero() {
			sent = domain.DateOf(m.RecordedAt)
		}
		var docDate *string
		if !m.Source.Date.IsZero() {
			d := m.Source.Date.String()
			docDate = &d
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+t.Name(ViewReports)+`
  (event_id, org_id, action, period, sent_on, sha256, doc_number, doc_date, recorded_at)
VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8::date, $9) ON CONFLICT (event_id) DO NOTHING`,
			ev.ID, id, sub.Kind, sub.Period, sent.String(), sub.SHA256, m.Source.Number, docDate, m.RecordedAt); err != nil {
			return err
		}
	}
	return nil
}

// Owing is an org that may owe reports: its role and the days it existed.
type Owing struct {
	Org domain.OrgID
	// Owner is the role it owes as: policy.EachOrg (an org below the
	// province's people's committee) or policy.Province (the province's
	// designated Department of Home Affairs, or the committee).
	Owner policy.Owner
	// Created and Closed bound the org's life (Closed zero while it
	// serves): it owes a report only if it serves on the due date.
	Created, Closed domain.Date
}

// ReportDuty is one report an org owes for a period and how it was met.
type ReportDuty struct {
	Org     domain.OrgID
	Action  policy.ActionKind
	Period  string // 2026, 2026-H1, 2026-Q3
	Article string
	Layer   policy.Layer
	Due     domain.Date
	// Outcome is OutcomeOpen until a submission, then OutcomeDone.
	Outcome Outcome
	// The first submission: its event, the day it was sent, its dispatch
	// and the file's digest; Submissions counts them all.
	EventID     uuid.UUID
	SentOn      domain.Date
	DocNumber   string
	SHA256      string
	Submissions int
	// Late: sent after Due, or open past Due on the as-of date;
	// WorkingDaysLate counts the working days after Due to the sending
	// (or, while open, to the as-of date).
	Late            bool
	WorkingDaysLate int
}

// ReportQuery asks for the report duties of Orgs for the reporting years
// FromYear…ToYear, judged on AsOf (open duties past their due date on AsOf
// are late). LateOnly keeps the late ones.
type ReportQuery struct {
	Orgs             []Owing
	FromYear, ToYear int
	AsOf             domain.Date
	LateOnly         bool
}

// MaxReportYears bounds one ReportQuery's span.
const MaxReportYears = 10

// ReportDuties lists, by due date then org, every report the policy asks
// of q.Orgs for the years asked (policy.Policy.ReportsDue: the rules in
// force on each due date; a due date on a day off moves to the next
// working day), each with its first submission from the view. A report
// owed by each_org is owed by every Owing of that role that serves on its
// due date, one owed by the province by the Owing of role Province.
// Errors wrap domain.ErrInvalid for a span beyond MaxReportYears or years
// the calendar cannot answer.
func ReportDuties(ctx context.Context, db Querier, pol policy.Policy, cal *calendar.Calendar, q ReportQuery) ([]ReportDuty, error) {
	if q.ToYear < q.FromYear || q.ToYear-q.FromYear >= MaxReportYears {
		return nil, domain.Invalid("year", "range", fmt.Sprintf("at most %d years", MaxReportYears))
	}
	var out []ReportDuty
	for y := q.FromYear; y <= q.ToYear; y++ {
		reports, err := pol.ReportsDue(y, cal)
		if err != nil {
			return nil, err
		}
		for _, r := range reports {
			for _, o := range q.Orgs {
				if o.Owner != r.OwedBy || o.Created.After(r.Due) || (!o.Closed.IsZero() && !o.Closed.After(r.Due)) {
					continue
				}
				out = append(out, ReportDuty{Org: o.Org, Action: r.Action, Period: r.Period, Article: r.Article, Layer: r.Layer,
					Due: r.Due, Outcome: OutcomeOpen})
			}
		}
	}
	if len(out) == 0 {
		return []ReportDuty{}, nil
	}
	if err := attachSubmissions(ctx, db, out); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, d := range out {
		done := d.SentOn
		if d.Outcome == OutcomeOpen {
			done = q.AsOf
		}
		if done.After(d.Due) {
			n, err := cal.WorkingDaysLate(d.Due, done)
			if err != nil {
				return nil, err
			}
			d.Late, d.WorkingDaysLate = true, n
		}
		if !q.LateOnly || d.Late {
			kept = append(kept, d)
		}
	}
	slices.SortStableFunc(kept, func(a, b ReportDuty) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return slices.Compare(a.Org[:], b.Org[:])
	})
	return kept, nil
}

// attachSubmissions fills each duty's first submission, in one query.
func attachSubmissions(ctx context.Context, db Querier, duties []ReportDuty) error {
	orgs := make([]uuid.UUID, 0, len(duties))
	for _, d := range duties {
		orgs = append(orgs, uuid.UUID(d.Org))
	}
	rows, err := db.Query(ctx, `SELECT org_id, action, period, count(*),
       (array_agg(event_id ORDER BY sent_on, recorded_at))[1], min(sent_on),
       (array_agg(doc_number ORDER BY sent_on, recorded_at))[1], (array_agg(sha256 ORDER BY sent_on, recorded_at))[1]
  FROM `+ViewReports+` WHERE org_id = ANY($1) GROUP BY 1, 2, 3`, orgs)
	if err != nil {
		return fmt.Errorf("compliance: reports: %w", err)
	}
	defer rows.Close()
	type key struct {
		org            uuid.UUID
		action, period string
	}
	type sub struct {
		n        int
		event    uuid.UUID
		sent     time.Time
		doc, sha string
	}
	subs := map[key]sub{}
	for rows.Next() {
		var (
			k key
			s sub
		)
		if err := rows.Scan(&k.org, &k.action, &k.period, &s.n, &s.event, &s.sent, &s.doc, &s.sha); err != nil {
			return fmt.Errorf("compliance: reports: %w", err)
		}
		subs[k] = s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compliance: reports: %w", err)
	}
	for i := range duties {
		d := &duties[i]
		if s, ok := subs[key{uuid.UUID(d.Org), d.Action.String(), d.Period}]; ok {
			d.Outcome, d.EventID, d.SentOn, d.DocNumber, d.SHA256, d.Submissions = OutcomeDone, s.event, dateOf(s.sent), s.doc, s.sha, s.n
		}
	}
	return nil
}

// TreeOrg is what Owers needs of one org of the tree.
type TreeOrg struct {
	ID, Parent domain.OrgID // Parent zero: a root (a province's people's committee)
	// HomeAffairs is a root's designated Department of Home Affairs (zero
	// when none, and for every other org).
	HomeAffairs     domain.OrgID
	Created, Closed domain.Date
}

// Owers says who owes reports in a tree. Reading (BT 13, HU 13, TG 15.5,
// BĐ III.2 name "các cơ quan, đơn vị"; TG 16.8 names Sở Nội vụ): every org
// below a root owes the each_org reports, the root itself does not (it is
// whom they report to); the province's own report (policy.Province) is
// owed by the root's designated Department of Home Affairs, or by the root
// when none is designated.
func Owers(tree []TreeOrg) []Owing {
	byID := make(map[domain.OrgID]TreeOrg, len(tree))
	for _, o := range tree {
		byID[o.ID] = o
	}
	var out []Owing
	for _, o := range tree {
		if !o.Parent.IsZero() {
			out = append(out, Owing{Org: o.ID, Owner: policy.EachOrg, Created: o.Created, Closed: o.Closed})
			continue
		}
		owner := o
		if h, ok := byID[o.HomeAffairs]; ok {
			owner = h
		}
		out = append(out, Owing{Org: owner.ID, Owner: policy.Province, Created: owner.Created, Closed: owner.Closed})
	}
	return out
}
