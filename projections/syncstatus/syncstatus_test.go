package syncstatus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

func uid(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte("hoso-syncstatus-"+s)) }

var (
	unitA = domain.OrgID(uid("unitA"))
	unitB = domain.OrgID(uid("unitB"))
	doh   = domain.OrgID(uid("doh"))
	other = domain.OrgID(uid("other"))
)

func d(y int, m time.Month, day int) domain.Date { return domain.MustDate(y, m, day) }

// TestPackages: each package's state from its events, judged against its
// Decree 27 due date; fed twice, the same rows.
func TestPackages(t *testing.T) {
	t.Parallel()
	l := projectiontest.NewLedger(t)
	actor := domain.Actor{Account: domain.AccountID(uid("system")), Name: "hoso"}
	at := func(day domain.Date, hour int) domain.Meta {
		return domain.Meta{Actor: actor, RecordedAt: projectiontest.At(day).Add(time.Duration(hour) * time.Minute), EffectiveDate: day}
	}
	// Approved on Friday 27/11/2026: due Monday 30/11 (1 day, the
	// Saturday moved to the next working day).
	approved := projectiontest.At(d(2026, 11, 27))
	queue := func(name string, org domain.OrgID) uuid.UUID {
		id := uid(name)
		l.Append(nationalsync.StreamID(id), eventstore.NoStream, at(d(2026, 11, 27), 1), []domain.Event{nationalsync.Queued{
			Package: id, Org: org, Month: "2026-11", Department: doh, UnitDigest: "u", DepartmentDigest: "d",
			UnitApproval: uid(name + "-u"), DepartmentApproval: uid("dept"), ApprovedAt: approved, Due: d(2026, 11, 30), Article: "NĐ 27/2026"}})
		return id
	}
	send := func(id uuid.UUID, day domain.Date, answer domain.Event) {
		evs := []domain.Event{nationalsync.Sent{Package: id, Digest: "p", Endpoint: "https://csdl.test", Attempt: 1}}
		if answer != nil {
			evs = append(evs, answer)
		}
		l.Append(nationalsync.StreamID(id), eventstore.Any, at(day, 2), evs)
	}
	onTime, late, rejected, waiting := queue("on-time", unitA), queue("late", unitA), queue("rejected", unitB), queue("waiting", unitB)
	send(onTime, d(2026, 11, 30), nationalsync.Acknowledged{Package: onTime, Digest: "p", Receipt: []byte(`{}`)})
	send(late, d(2026, 12, 1), nil)
	send(late, d(2026, 12, 2), nationalsync.Acknowledged{Package: late, Digest: "p", Receipt: []byte(`{}`)})
	send(rejected, d(2026, 11, 28), nationalsync.Rejected{Package: rejected, Digest: "p", Status: 422, Reasons: []string{"level 1: edited"}})
	// A second answer after the first changes nothing.
	send(rejected, d(2026, 11, 29), nationalsync.Acknowledged{Package: rejected, Digest: "p", Receipt: []byte(`{}`)})
	send(waiting, d(2026, 11, 28), nil)

	pool := projectiontest.NewDB(t)
	one := projectiontest.Build(t, pool, syncstatus.New(), 1, l.Events(), 2)
	// The runner's way, the events in batches (twice, as a redelivering
	// transport would), folds to the same rows as one event at a time.
	for _, n := range []int{1, 4, len(l.Events())} {
		batched := projectiontest.Setup(t, pool, syncstatus.New(), 1+n+1)
		projectiontest.ApplyInBatches(t, pool, syncstatus.New(), batched, l.Events(), n)
		projectiontest.ApplyInBatches(t, pool, syncstatus.New(), batched, l.Events(), n)
		if a, b := projectiontest.Dump(t, pool, projectiontest.DumpTable(one.Name(syncstatus.View), "package_id")),
			projectiontest.Dump(t, pool, projectiontest.DumpTable(batched.Name(syncstatus.View), "package_id")); a != b {
			t.Errorf("batches of %d: %s\none at a time: %s", n, b, a)
		}
	}
	ctx := context.Background()
	list := func(f syncstatus.Filter) map[uuid.UUID]syncstatus.Package {
		t.Helper()
		ps, err := syncstatus.List(ctx, pool, f)
		if err != nil {
			t.Fatal(err)
		}
		out := map[uuid.UUID]syncstatus.Package{}
		for _, p := range ps {
			out[p.ID] = p
		}
		return out
	}
	all := list(syncstatus.Filter{Orgs: []domain.OrgID{doh}, Today: d(2026, 12, 3)})
	for _, tc := range []struct {
		name          string
		id            uuid.UUID
		state         string
		attempts      int
		late, overdue bool
		reasons       int
	}{
		{"acknowledged on its due date", onTime, "acknowledged", 1, false, false, 0},
		{"acknowledged after it", late, "acknowledged", 2, true, false, 0},
		{"rejected, then answered again: still owed", rejected, "rejected", 2, true, true, 1},
		{"sent, no answer past the due date", waiting, "sent", 1, true, true, 0},
	} {
		p, ok := all[tc.id]
		if !ok || p.State != tc.state || p.Attempts != tc.attempts || p.Late != tc.late || p.Overdue != tc.overdue || len(p.Reasons) != tc.reasons ||
			p.Due == nil || *p.Due != d(2026, 11, 30) {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
	if got := list(syncstatus.Filter{Orgs: []domain.OrgID{unitA}, Today: d(2026, 12, 3)}); len(got) != 2 {
		t.Errorf("unit A sees %d packages, want its 2", len(got))
	}
	if got := list(syncstatus.Filter{Orgs: []domain.OrgID{doh}, Problems: true, Today: d(2026, 12, 3)}); len(got) != 3 {
		t.Errorf("problems: %d, want late, rejected and overdue", len(got))
	}
	if got := list(syncstatus.Filter{Orgs: []domain.OrgID{doh}, Today: d(2026, 11, 30)}); got[waiting].Overdue {
		t.Errorf("overdue on its due date")
	}
	if _, err := syncstatus.Get(ctx, pool, onTime, []domain.OrgID{other}, d(2026, 12, 3)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another org's package: %v, want not found", err)
	}
}
