package compliance_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/outage"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestOutageNotices: a notice to two orgs is an item of each, closed by
// the outage's end; an org not notified sees nothing; applying the log
// twice changes nothing.
func TestOutageNotices(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	start := time.Date(2026, 4, 29, 3, 0, 0, 0, time.UTC)
	id := outage.ID(outage.FunctionAPI, start)
	m := domain.Meta{Actor: domain.Actor{Name: "hoso outage detector"}, RecordedAt: time.Date(2026, 5, 5, 17, 0, 0, 0, time.UTC),
		EffectiveDate: d(2026, 5, 6), Reason: outage.Basis}
	l.Append(outage.Stream(id), eventstore.NoStream, m, []domain.Event{outage.Notified{OutageID: id, Function: outage.FunctionAPI,
		StartedAt: start, WorkingDays: 2, Orgs: []uuid.UUID{uuid.UUID(orgA), uuid.UUID(orgB)}, Basis: outage.Basis}})
	pool := projectiontest.NewDB(t)
	p := preset(t, "binh-tan-2013")
	projectiontest.Build(t, pool, p, 1, l.Events(), 2)
	ctx := context.Background()
	got, err := compliance.Outages(ctx, pool, []domain.OrgID{orgA, orgC})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Org != orgA || got[0].OutageID != id || !got[0].StartedAt.Equal(start) || !got[0].EndedAt.IsZero() ||
		got[0].WorkingDays != 2 || !got[0].NotifiedAt.Equal(m.RecordedAt) {
		t.Fatalf("orgA's notices = %+v", got)
	}

	end := time.Date(2026, 5, 6, 2, 0, 0, 0, time.UTC)
	m.RecordedAt = end.Add(time.Minute)
	l.Append(outage.Stream(id), eventstore.Exactly(1), m, []domain.Event{outage.Ended{OutageID: id, Function: outage.FunctionAPI,
		StartedAt: start, EndedAt: end, WorkingDays: 2}})
	projectiontest.Build(t, pool, p, 2, l.Events(), 2)
	got, err = compliance.Outages(ctx, pool, []domain.OrgID{orgA, orgB, orgC})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d items, want one per org notified", len(got))
	}
	for _, n := range got {
		if !n.EndedAt.Equal(end) {
			t.Errorf("org %s: ended %s, want %s", n.Org, n.EndedAt, end)
		}
	}
	if none, err := compliance.Outages(ctx, pool, []domain.OrgID{orgC}); err != nil || len(none) != 0 {
		t.Errorf("orgC was not notified: %+v %v", none, err)
	}
}
