package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// applyIn sets up generation gen and feeds it with feed, in one transaction.
func applyIn(t *testing.T, pool *pgxpool.Pool, gen int, feed func(ctx context.Context, tx pgx.Tx, tb projections.Tables) error) {
	t.Helper()
	ctx := context.Background()
	tb := projections.NewTables(gen)
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := audit.New().Setup(ctx, tx, tb); err != nil {
			return err
		}
		return feed(ctx, tx, tb)
	})
	if err != nil {
		t.Fatalf("generation %d: %v", gen, err)
	}
}

// dump is every entry of a generation, as text, in log order. (The
// snapshot rows depend on where batches ended; checkSnapshots checks them.)
func dump(t *testing.T, pool *pgxpool.Pool, gen int) string {
	t.Helper()
	tb := projections.NewTables(gen)
	var out string
	err := pool.QueryRow(context.Background(), fmt.Sprintf(`
SELECT coalesce((SELECT string_agg(row_to_json(e)::text, E'\n' ORDER BY position) FROM %s e), '')`,
		tb.Name(audit.EntriesView))).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIdempotentAndBatchIndependent feeds the same log three ways — in
// small batches each given twice, by a projection that remembers nothing
// between batches and keeps snapshots lagging, so that every batch catches
// up from the trail; one event at a time each given twice; and as one batch
// holding every event twice — and requires identical entries.
func TestIdempotentAndBatchIndependent(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	w := projectiontest.NewWorld(t)
	evs := w.Events()
	p := audit.New()

	applyIn(t, pool, 1, func(ctx context.Context, tx pgx.Tx, tb projections.Tables) error {
		for chunk := range slices.Chunk(evs, 4) {
			for range 2 {
				if err := audit.NewLagging(3, true).ApplyBatch(ctx, tx, tb, chunk); err != nil {
					return err
				}
			}
		}
		return nil
	})
	applyIn(t, pool, 2, func(ctx context.Context, tx pgx.Tx, tb projections.Tables) error {
		for _, ev := range evs {
			for range 2 {
				if err := p.Apply(ctx, tx, tb, ev); err != nil {
					return err
				}
			}
		}
		return nil
	})
	applyIn(t, pool, 3, func(ctx context.Context, tx pgx.Tx, tb projections.Tables) error {
		return p.ApplyBatch(ctx, tx, tb, append(slices.Clone(evs), evs...))
	})

	checkSnapshots(t, pool, w, 1, 1)
	one, two, three := dump(t, pool, 1), dump(t, pool, 2), dump(t, pool, 3)
	if one != two || one != three {
		t.Fatalf("generations differ:\nbatches:\n%s\n\none by one:\n%s\n\none batch:\n%s", one, two, three)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+projections.NewTables(1).Name(audit.EntriesView)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(evs) {
		t.Fatalf("%d entries for %d events", n, len(evs))
	}
}

// TestSnapshotsMatchReplay checks the projection's working copy of every
// dossier against the domain's own fold of the history up to the row's
// version, including the dossiers whose history holds corrections: current
// rows (written on every event) and lagging ones.
func TestSnapshotsMatchReplay(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	w := projectiontest.NewWorld(t)
	evs := w.Events()
	for gen, every := range map[int]int{1: 1, 2: 2, 3: 5} {
		p := audit.NewLagging(every, gen == 3)
		applyIn(t, pool, gen, func(ctx context.Context, tx pgx.Tx, tb projections.Tables) error {
			for chunk := range slices.Chunk(evs, 3) {
				if err := p.ApplyBatch(ctx, tx, tb, chunk); err != nil {
					return err
				}
			}
			return nil
		})
		want := 1
		if every == 1 {
			want = 3 // every dossier has a current row
		}
		checkSnapshots(t, pool, w, gen, want)
	}
}

// checkSnapshots compares every snapshot row of generation gen with
// dossier.Replay of the dossier's history up to the row's version, and
// requires at least min rows.
func checkSnapshots(t *testing.T, pool *pgxpool.Pool, w *projectiontest.World, gen, min int) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT dossier_id, version, doc FROM `+projections.NewTables(gen).Name(audit.DossiersView))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id      uuid.UUID
		version int64
		doc     []byte
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.version, &x.doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < min {
		t.Fatalf("generation %d: %d snapshot rows, want at least %d", gen, len(got), min)
	}
	for _, r := range got {
		h := w.Load(domain.DossierID(r.id).StreamID(), dossier.Decode).Events
		d, err := dossier.Replay(h[:r.version])
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(d.Document())
		if !jsonEqual(t, r.doc, want) {
			t.Errorf("generation %d: snapshot of %s at version %d =\n%s\nwant (dossier.Replay)\n%s", gen, r.id, r.version, r.doc, want)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// trail builds the world and the audit trail through the runner, as
// production does, with small batches that mix dossiers.
func trail(t *testing.T) (*pgxpool.Pool, *projectiontest.World) {
	t.Helper()
	pool := projectiontest.NewDB(t)
	w := projectiontest.NewWorld(t)
	projectiontest.Rebuild(t, pool, w.Store, audit.New(), projections.Config{BatchSize: 5, PollInterval: 50 * time.Millisecond})
	return pool, w
}

func change(t *testing.T, e audit.Entry, path string) (before, after string) {
	t.Helper()
	for _, c := range e.Diff {
		if c.Path == path {
			return string(c.Before), string(c.After)
		}
	}
	t.Fatalf("%s (%s): no change at %s; diff: %+v", e.EventID, e.Type, path, e.Diff)
	return "", ""
}

func paths(e audit.Entry) []string {
	var out []string
	for _, c := range e.Diff {
		out = append(out, c.Path)
	}
	return out
}

func TestDossierHistoryAndDiffs(t *testing.T) {
	t.Parallel()
	pool, w := trail(t)
	ctx := context.Background()
	entries, err := audit.ByDossier(ctx, pool, w.An)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 9 {
		t.Fatalf("ByDossier(an) = %d entries, want 9", len(entries))
	}
	byID := map[uuid.UUID]audit.Entry{}
	for i, e := range entries {
		if e.Version != uint64(i+1) || e.Dossier != w.An || e.StreamID != w.An.StreamID() {
			t.Fatalf("entry %d: version %d, dossier %s, stream %s", i, e.Version, e.Dossier, e.StreamID)
		}
		byID[e.EventID] = e
	}

	created := entries[0]
	if b, a := change(t, created, "/identity/birth_name"); b != "null" || a != `"Nguyễn Văn An"` {
		t.Errorf("creation /identity/birth_name = %s → %s", b, a)
	}
	if created.ManagingOrg != w.District || created.Type != dossier.TypeCreated {
		t.Errorf("creation: managing org %s, type %s", created.ManagingOrg, created.Type)
	}

	upd := byID[w.SalaryUpdate]
	for path, want := range map[string][2]string{
		"/salary/coefficient":  {"0.00", "2.67"},
		"/salary/step":         {"null", "2"},
		"/salary/rank":         {"null", `"01.003"`},
		"/salary/effective_on": {"null", `"2024-03-01"`},
	} {
		if b, a := change(t, upd, path); b != want[0] || a != want[1] {
			t.Errorf("update %s = %s → %s, want %s → %s", path, b, a, want[0], want[1])
		}
	}
	if len(upd.Diff) != 4 || upd.IsCorrection {
		t.Errorf("update: paths %v, correction %v", paths(upd), upd.IsCorrection)
	}
	if upd.ActorAccount != w.HrDistrict.Account || upd.ActorName != w.HrDistrict.Name || upd.ActingOrg != w.District ||
		upd.EffectiveDate != projectiontest.Day(2024, 3, 1) || upd.Source.Number == "" || upd.Source.Date != projectiontest.Day(2024, 3, 1) ||
		upd.Source.Issuer != "UBND tỉnh Đồng Tháp" || len(upd.Source.SHA256) != 64 || upd.RequestID == "" || upd.CorrelationID != "corr-1" {
		t.Errorf("update envelope not carried over: %+v", upd)
	}

	fix := byID[w.SalaryFix]
	if !fix.IsCorrection || fix.Corrects != w.SalaryUpdate || fix.Reason == "" {
		t.Errorf("correction: is %v, corrects %s (want %s), reason %q", fix.IsCorrection, fix.Corrects, w.SalaryUpdate, fix.Reason)
	}
	if got := paths(fix); !slices.Equal(got, []string{"/salary/coefficient", "/salary/step"}) {
		t.Errorf("correction changed %v, want coefficient and step", got)
	}
	if b, a := change(t, fix, "/salary/coefficient"); b != "2.67" || a != "3.00" {
		t.Errorf("correction /salary/coefficient = %s → %s, want 2.67 → 3.00", b, a)
	}
	if b, a := change(t, fix, "/salary/step"); b != "2" || a != "3" {
		t.Errorf("correction /salary/step = %s → %s, want 2 → 3", b, a)
	}

	// The older position decision's correction is overridden by the newer
	// decision: nothing current changes, and the trail says so.
	if pf := byID[w.PositionFix]; !pf.IsCorrection || pf.Corrects != w.PositionUpdate || pf.Diff == nil || len(pf.Diff) != 0 {
		t.Errorf("position correction: correction %v, corrects %s, diff %+v (want empty)", pf.IsCorrection, pf.Corrects, pf.Diff)
	}

	rcv := byID[w.TransferReceived]
	if rcv.ManagingOrg != w.District || rcv.ManagingOrgAfter != w.Dept || rcv.ActingOrg != w.Dept {
		t.Errorf("transfer received: managing %s → %s, acting %s", rcv.ManagingOrg, rcv.ManagingOrgAfter, rcv.ActingOrg)
	}
	if b, a := change(t, rcv, "/header/managing_org"); b != `"`+w.District.String()+`"` || a != `"`+w.Dept.String()+`"` {
		t.Errorf("transfer received /header/managing_org = %s → %s", b, a)
	}
	for _, e := range entries {
		if e.Type == dossier.TypeTransferInitiated && (e.Diff == nil || len(e.Diff) != 0 || len(e.Data) == 0) {
			t.Errorf("transfer initiated: diff %v (want empty, not nil), data %s", e.Diff, e.Data)
		}
	}

	// Chí left the province and was reactivated by a correction of the
	// transfer: the correction folds through the recorded history.
	chi, err := audit.ByDossier(ctx, pool, w.Chi)
	if err != nil {
		t.Fatal(err)
	}
	last := chi[len(chi)-1]
	if last.EventID != w.Reactivated || !last.IsCorrection || last.Corrects != w.OutReceived {
		t.Fatalf("last entry of chi: %+v", last)
	}
	if b, a := change(t, last, "/header/status"); b != `"transferred_out"` || a != `"active"` {
		t.Errorf("reactivation /header/status = %s → %s", b, a)
	}
	if b, a := change(t, last, "/header/managing_org"); b != "null" || a != `"`+w.Doha.String()+`"` {
		t.Errorf("reactivation /header/managing_org = %s → %s", b, a)
	}
	if !last.ManagingOrg.IsZero() || last.ManagingOrgAfter != w.Doha {
		t.Errorf("reactivation: managing %s → %s", last.ManagingOrg, last.ManagingOrgAfter)
	}
	out := chi[len(chi)-2]
	if out.ManagingOrg != w.Doha || !out.ManagingOrgAfter.IsZero() {
		t.Errorf("transfer out: managing %s → %s", out.ManagingOrg, out.ManagingOrgAfter)
	}

	if none, err := audit.ByDossier(ctx, pool, domain.DossierID(projectiontest.NewID())); err != nil || len(none) != 0 {
		t.Errorf("ByDossier(unknown) = %v, %v", none, err)
	}
}

func TestQueryPagesEveryEntryOnce(t *testing.T) {
	t.Parallel()
	pool, w := trail(t)
	evs := w.Events()
	ctx := context.Background()

	districtActor, annID := w.HrDistrict.Account, w.An
	yes, no := true, false
	window := [2]time.Time{evs[10].Meta.RecordedAt, evs[25].Meta.RecordedAt}
	concerns := func(ev eventstore.Event, orgs ...domain.OrgID) bool {
		return slices.ContainsFunc(w.Concerns[ev.ID], func(o domain.OrgID) bool { return slices.Contains(orgs, o) })
	}
	effective := func(ev eventstore.Event) domain.Date {
		d, err := domain.ParseDate(ev.Meta.EffectiveDate)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name string
		f    audit.Filter
		want func(eventstore.Event) bool
	}{
		{"everything", audit.Filter{}, func(eventstore.Event) bool { return true }},
		{"actor", audit.Filter{Actor: &districtActor}, func(ev eventstore.Event) bool { return ev.Meta.Actor.AccountID == districtActor.String() }},
		{"district", audit.Filter{Orgs: []domain.OrgID{w.District}}, func(ev eventstore.Event) bool { return concerns(ev, w.District) }},
		{"district subtree", audit.Filter{Orgs: []domain.OrgID{w.District, w.Unit}}, func(ev eventstore.Event) bool { return concerns(ev, w.District, w.Unit) }},
		{"commune", audit.Filter{Orgs: []domain.OrgID{w.Commune}}, func(ev eventstore.Event) bool { return concerns(ev, w.Commune) }},
		{"recorded period", audit.Filter{From: window[0], To: window[1]}, func(ev eventstore.Event) bool {
			return !ev.Meta.RecordedAt.Before(window[0]) && ev.Meta.RecordedAt.Before(window[1])
		}},
		{"effective 2024 Q2-Q3", audit.Filter{EffectiveFrom: projectiontest.Day(2024, 4, 1), EffectiveTo: projectiontest.Day(2024, 9, 30)}, func(ev eventstore.Event) bool {
			d := effective(ev)
			return !d.Before(projectiontest.Day(2024, 4, 1)) && !d.After(projectiontest.Day(2024, 9, 30))
		}},
		{"types", audit.Filter{Types: []string{dossier.TypeCorrected, "org.renamed.v1"}}, func(ev eventstore.Event) bool {
			return ev.Type == dossier.TypeCorrected || ev.Type == "org.renamed.v1"
		}},
		{"dossier", audit.Filter{Dossier: &annID}, func(ev eventstore.Event) bool { return ev.StreamID == annID.StreamID() }},
		{"corrections", audit.Filter{Correction: &yes}, func(ev eventstore.Event) bool { return ev.Type == dossier.TypeCorrected }},
		{"not corrections", audit.Filter{Correction: &no, Dossier: &annID}, func(ev eventstore.Event) bool {
			return ev.Type != dossier.TypeCorrected && ev.StreamID == annID.StreamID()
		}},
		{"actor and org and type", audit.Filter{Actor: &districtActor, Orgs: []domain.OrgID{w.District}, Types: []string{dossier.TypeSectionUpdated}},
			func(ev eventstore.Event) bool {
				return ev.Meta.Actor.AccountID == districtActor.String() && concerns(ev, w.District) && ev.Type == dossier.TypeSectionUpdated
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var want []uuid.UUID
			for _, ev := range evs {
				if tc.want(ev) {
					want = append(want, ev.ID)
				}
			}
			if len(want) == 0 {
				t.Fatal("the case selects nothing: it proves nothing")
			}
			for _, limit := range []int{1, 3, 1000} {
				f := tc.f
				f.Limit = limit
				var got []uuid.UUID
				pages := 0
				for {
					p, err := audit.Query(ctx, pool, f)
					if err != nil {
						t.Fatal(err)
					}
					pages++
					if len(p.Entries) > limit || pages > len(evs)+1 {
						t.Fatalf("page of %d entries for limit %d (page %d)", len(p.Entries), limit, pages)
					}
					for _, e := range p.Entries {
						got = append(got, e.EventID)
					}
					if p.Next == "" {
						break
					}
					f.Cursor = p.Next
				}
				if !slices.Equal(got, want) {
					t.Fatalf("limit %d: got %d entries %v\nwant %d in log order %v", limit, len(got), got, len(want), want)
				}
			}
		})
	}
}

// TestCorrectionsShowWhatTheyCorrect: a correction listed across dossiers
// carries the entry it corrects (who recorded it, when, on which document,
// in which org), the target being outside the page; other entries carry
// none.
func TestCorrectionsShowWhatTheyCorrect(t *testing.T) {
	t.Parallel()
	pool, _ := trail(t)
	ctx := context.Background()
	yes := true
	for _, f := range []audit.Filter{{Correction: &yes}, {Types: []string{dossier.TypeCorrected}, Limit: 1}, {}} {
		var seen int
		for {
			p, err := audit.Query(ctx, pool, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				if !e.IsCorrection {
					if e.Corrected != nil {
						t.Errorf("%s (%s) carries a corrected entry", e.EventID, e.Type)
					}
					continue
				}
				seen++
				history, err := audit.ByDossier(ctx, pool, e.Dossier)
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(history, func(h audit.Entry) bool { return h.EventID == e.Corrects })
				if i < 0 || e.Corrected == nil {
					t.Fatalf("correction %s: target %s in history %v, Corrected %+v", e.EventID, e.Corrects, i >= 0, e.Corrected)
				}
				tg, c := history[i], *e.Corrected
				want := tg.AsCorrected()
				if want.EventID != tg.EventID || want.RecordedAt != tg.RecordedAt || want.Source != tg.Source || want.ManagingOrg != tg.ManagingOrg {
					t.Fatalf("AsCorrected(%+v) = %+v", tg, want)
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("correction %s: Corrected = %+v, want %+v", e.EventID, c, want)
				}
			}
			if p.Next == "" {
				break
			}
			f.Cursor = p.Next
		}
		if seen == 0 {
			t.Fatalf("filter %+v: no correction: the test proves nothing", f)
		}
	}
}

// TestEntriesAreTheLog checks entry by entry that the trail is the log:
// same ids, streams, versions, positions, types, payloads and hashes.
func TestEntriesAreTheLog(t *testing.T) {
	t.Parallel()
	pool, w := trail(t)
	evs := w.Events()
	p, err := audit.Query(context.Background(), pool, audit.Filter{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != len(evs) || p.Next != "" {
		t.Fatalf("%d entries (next %q) for %d events", len(p.Entries), p.Next, len(evs))
	}
	for i, e := range p.Entries {
		ev := evs[i]
		if e.EventID != ev.ID || e.StreamID != ev.StreamID || e.Version != ev.Version || e.Position != ev.Position ||
			e.Type != ev.Type || e.Hash != ev.Hash || !e.RecordedAt.Equal(ev.Meta.RecordedAt) || !jsonEqual(t, e.Data, ev.Data) {
			t.Errorf("entry %d = %s %s@%d %s, want %s %s@%d %s", i, e.EventID, e.StreamID, e.Version, e.Type, ev.ID, ev.StreamID, ev.Version, ev.Type)
		}
		if isDossier := bytes.HasPrefix([]byte(ev.StreamID), []byte("dossier-")); isDossier != (e.Diff != nil) {
			t.Errorf("entry %d (%s): diff %v", i, ev.StreamID, e.Diff)
		}
	}
}

func TestQueryRefusesBadInput(t *testing.T) {
	t.Parallel()
	pool, _ := trail(t)
	ctx := context.Background()
	for _, f := range []audit.Filter{
		{Cursor: "not-a-cursor"},
		{Limit: -1},
		{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{EffectiveFrom: projectiontest.Day(2025, 1, 1), EffectiveTo: projectiontest.Day(2024, 1, 1)},
	} {
		if _, err := audit.Query(ctx, pool, f); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Query(%+v) err = %v, want ErrInvalid", f, err)
		}
	}
}

// TestUnknownTypesAndGaps: a dossier event of a type this release does not
// know is recorded (without a diff) and the stream goes on; an event that
// skips a version is refused and named, since its diff would be wrong.
func TestUnknownTypesAndGaps(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	w := projectiontest.NewWorld(t)
	evs := w.Events()
	p := audit.New()
	hist, err := w.Store.ReadStream(context.Background(), w.Binh.StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	next := func(from eventstore.Event, typ string, version uint64, n uint64) eventstore.Event {
		major, minor := last.Position.Parts()
		e := from
		e.ID, e.Type, e.Version, e.Position = projectiontest.NewID(), typ, version, eventstore.NewPosition(major, minor+n)
		return e
	}
	health := hist[1] // dossier.section_updated.v1 (health)
	top := hist[len(hist)-1].Version
	future := next(health, "dossier.future_fact.v1", top+1, 1)
	after := next(health, dossier.TypeSectionUpdated, top+2, 2)
	gap := next(health, dossier.TypeSectionUpdated, top+4, 3)

	applyIn(t, pool, 1, func(ctx context.Context, tx pgx.Tx, tb projections.Tables) error {
		if err := p.ApplyBatch(ctx, tx, tb, append(slices.Clone(evs), future, after)); err != nil {
			return err
		}
		err := p.ApplyBatch(ctx, tx, tb, []eventstore.Event{gap})
		if ee, ok := errors.AsType[*projections.EventError](err); !ok || ee.Index != 0 {
			return fmt.Errorf("gap: err = %v, want an EventError naming it", err)
		}
		return nil
	})
	entries, err := audit.ByDossier(context.Background(), pointViews(t, pool), w.Binh)
	if err != nil {
		t.Fatal(err)
	}
	n := len(entries)
	if n < 2 || entries[n-2].EventID != future.ID || entries[n-2].Diff != nil || entries[n-1].EventID != after.ID || entries[n-1].Diff == nil {
		t.Fatalf("last entries of binh: %+v", entries[max(0, n-2):])
	}
}

// pointViews points the stable view names at generation 1, as the runner's
// swap would, and returns pool.
func pointViews(t *testing.T, pool *pgxpool.Pool) *pgxpool.Pool {
	t.Helper()
	projectiontest.PointViews(t, pool, audit.New(), projections.NewTables(1))
	return pool
}
