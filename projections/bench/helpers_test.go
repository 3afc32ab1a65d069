package bench_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// policyPreset is the jurisdiction policy the compliance model runs under
// here; any preset would do.
const policyPreset = "phu-tho-2021"

// readModels returns the five read models wired as a deployment wires them.
func readModels(tb testing.TB, store eventstore.Store) []projections.Projection {
	tb.Helper()
	pol, err := policy.Preset(policyPreset)
	if err != nil {
		tb.Fatal(err)
	}
	comp, err := compliance.New(pol, calendar.Official())
	if err != nil {
		tb.Fatal(err)
	}
	return []projections.Projection{dossiers.New(store), audit.New(), orgs.New(), comp, stats.New(catalog.Default())}
}

// ledgerCounts are counted in the ledger itself: SQL over the events
// table, and a replay of every dossier stream by the domain for the
// archived ones.
type ledgerCounts struct {
	Events         int // every event of the log
	DossierEvents  int // events of dossier streams
	DossierStreams int
	OrgStreams     int
	Archived       int // dossiers whose replayed status is out of service
}

func countLedger(tb testing.TB, pool *pgxpool.Pool, store eventstore.Store) ledgerCounts {
	tb.Helper()
	ctx := context.Background()
	var c ledgerCounts
	err := pool.QueryRow(ctx, `
SELECT count(*),
       count(*) FILTER (WHERE stream_id LIKE 'dossier-%'),
       count(DISTINCT stream_id) FILTER (WHERE stream_id LIKE 'dossier-%'),
       count(DISTINCT stream_id) FILTER (WHERE stream_id LIKE 'org-%')
  FROM events`).Scan(&c.Events, &c.DossierEvents, &c.DossierStreams, &c.OrgStreams)
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'dossier-%'`)
	if err != nil {
		tb.Fatal(err)
	}
	var streams []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		streams = append(streams, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	l := ledger.Ledger{Store: store}
	for _, s := range streams {
		h, err := l.Load(ctx, s, dossier.Decode)
		if err != nil {
			tb.Fatal(err)
		}
		d, err := dossier.Replay(h.Events)
		if err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
		if d.Archived() {
			c.Archived++
		}
	}
	return c
}

// modelCounts are counted in the read models' views.
type modelCounts struct {
	DossierRows        int // dossiers
	ArchivedRows       int // dossiers WHERE archived
	ArchiveListed      int // what dossiers.Archive pages through over every org
	OpenDepartures     int // dossiers_archive entries not undone by a reactivation
	AuditEntries       int // audit_entries
	AuditDossierEvents int // audit_entries of dossier events
	OrgRows            int // orgs
	ManagedDossiers    int // dossiers with an open management interval or a revocation
	ComplianceDossiers int // compliance_dossiers
	StatsDossiers      int // stats_dossiers
	StatsInService     int // stats intervals open today (people in service now)
}

func countModels(tb testing.TB, pool *pgxpool.Pool) modelCounts {
	tb.Helper()
	ctx := context.Background()
	var c modelCounts
	for _, q := range []struct {
		sql  string
		dest []any
	}{
		{`SELECT count(*), count(*) FILTER (WHERE archived) FROM dossiers`, []any{&c.DossierRows, &c.ArchivedRows}},
		{`SELECT count(*) FROM dossiers_archive WHERE reactivated_by IS NULL`, []any{&c.OpenDepartures}},
		{`SELECT count(*), count(*) FILTER (WHERE dossier_id IS NOT NULL) FROM audit_entries`, []any{&c.AuditEntries, &c.AuditDossierEvents}},
		{`SELECT count(*) FROM orgs`, []any{&c.OrgRows}},
		{`SELECT count(DISTINCT dossier_id) FROM org_dossier_management WHERE valid_to IS NULL`, []any{&c.ManagedDossiers}},
		{`SELECT count(*) FROM compliance_dossiers`, []any{&c.ComplianceDossiers}},
		{`SELECT count(*) FROM stats_dossiers`, []any{&c.StatsDossiers}},
		{`SELECT count(DISTINCT dossier_id) FROM stats_intervals WHERE valid_to IS NULL`, []any{&c.StatsInService}},
	} {
		if err := pool.QueryRow(ctx, q.sql).Scan(q.dest...); err != nil {
			tb.Fatalf("%s: %v", q.sql, err)
		}
	}
	c.ArchiveListed = listArchive(tb, pool)
	return c
}

// listArchive pages through the whole archive with dossiers.Archive, in
// the scope of every org.
func listArchive(tb testing.TB, pool *pgxpool.Pool) int {
	tb.Helper()
	ctx := context.Background()
	tree, err := orgs.Tree(ctx, pool)
	if err != nil {
		tb.Fatal(err)
	}
	q := dossiers.ArchiveQuery{IncludeRevoked: true, Limit: dossiers.MaxLimit}
	for _, o := range tree {
		q.Scope = append(q.Scope, o.ID)
	}
	n := 0
	for {
		page, err := dossiers.Archive(ctx, pool, q)
		if err != nil {
			tb.Fatal(err)
		}
		n += len(page.Items)
		if page.Next == "" {
			return n
		}
		q.Cursor = page.Next
	}
}

// compareCounts reports every disagreement between the ledger and the read
// models at once, and returns the figures as a table.
func compareCounts(l ledgerCounts, m modelCounts) (table string, err error) {
	checks := []struct {
		what        string
		model, want int
		wantWhat    string
	}{
		{"dossiers rows", m.DossierRows, l.DossierStreams, "dossier streams"},
		{"dossiers rows archived", m.ArchivedRows, l.Archived, "dossiers archived by replay"},
		{"dossiers.Archive listing (every org in scope)", m.ArchiveListed, l.Archived, "dossiers archived by replay"},
		{"dossiers_archive open departures", m.OpenDepartures, l.Archived, "dossiers archived by replay"},
		{"audit_entries", m.AuditEntries, l.Events, "events in the log"},
		{"audit_entries of dossier events", m.AuditDossierEvents, l.DossierEvents, "events of dossier streams"},
		{"orgs rows", m.OrgRows, l.OrgStreams, "org streams"},
		{"dossiers with a current manager (org_dossier_management)", m.ManagedDossiers, l.DossierStreams, "dossier streams"},
		{"compliance_dossiers rows", m.ComplianceDossiers, l.DossierStreams, "dossier streams"},
		{"stats_dossiers rows", m.StatsDossiers, l.DossierStreams, "dossier streams"},
	}
	var b strings.Builder
	var errs []error
	fmt.Fprintf(&b, "| read model | count | ledger | count | agree |\n|---|---:|---|---:|---|\n")
	for _, c := range checks {
		ok := "yes"
		if c.model != c.want {
			ok = "**no**"
			errs = append(errs, fmt.Errorf("%s = %d, want %d (%s)", c.what, c.model, c.want, c.wantWhat))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %s |\n", c.what, c.model, c.wantWhat, c.want, ok)
	}
	fmt.Fprintf(&b, "\n(stats: %d people in service by their open intervals; %d dossiers − %d archived = %d)\n",
		m.StatsInService, l.DossierStreams, l.Archived, l.DossierStreams-l.Archived)
	return b.String(), errors.Join(errs...)
}
