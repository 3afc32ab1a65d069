package approvals_test

import (
	"context"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
)

// BenchmarkManifest5000 prepares the manifest of a unit-month of 5,000
// dossiers (one creation and one section update each: 10,000 entries),
// against the raw SQL that only reads the same events with their leaves.
//
//	go test ./app/approvals -run '^$' -bench Manifest5000 -benchtime 3x -count 3
func BenchmarkManifest5000(b *testing.B) {
	ctx := context.Background()
	w, pool, store, tree := newWorld(b)
	month := approval.MonthOf(time.Now()).Prev()
	founded := month.Start().AddDate(-1, 0, 0)
	w.org(b, province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(b, unitA, org.CreateOrg{Name: "Sở Giáo dục", Code: "H45.09", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	positionPatch := dossier.Patch{Position: &dossier.Position{Current: "Giáo viên"}}
	const dossiers = 5000
	for i := 0; i < dossiers; i++ {
		when := month.Start().Add(time.Duration(i) * time.Minute)
		d := w.dossier(b, unitA, when)
		m := at(when.Add(time.Second))
		m.Actor.ActingOrg = unitA
		if _, err := w.dossiers.UpdateSection(ctx, d, 1, positionPatch, m); err != nil {
			b.Fatal(err)
		}
	}
	svc := approvals.New(approvals.Config{Pool: pool, Store: store, Tree: tree, Policy: preset(b), Calendar: calendar.Official()})
	if m, raw, err := svc.BuildManifest(ctx, unitA, month, approval.LevelUnit); err != nil || m.Count != 2*dossiers {
		b.Fatalf("manifest: %d entries, %v", m.Count, err)
	} else {
		b.Logf("the manifest: %d entries, %d bytes", m.Count, len(raw))
	}
	b.Run("manifest", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := svc.BuildManifest(ctx, unitA, month, approval.LevelUnit); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw_sql_baseline", func(b *testing.B) {
		for b.Loop() {
			rows, err := pool.Query(ctx, `
				SELECT l.leaf_index, e.event_id, e.stream_id, e.stream_version, e.type, e.hash, e.recorded_at, e.data
				  FROM merkle_leaves l JOIN events e ON e.event_id = l.event_id
				 WHERE e.stream_id LIKE 'dossier-%' AND e.recorded_at >= $1 AND e.recorded_at < $2
				 ORDER BY l.leaf_index`, month.Start(), month.Next().Start())
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 2*dossiers {
				b.Fatalf("%d rows, %v", n, rows.Err())
			}
		}
	})
}
