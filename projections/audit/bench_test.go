package audit_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// BenchmarkRebuild measures a rebuild of the trail: 2,000 dossiers of 10
// events each, interleaved as careers interleave in the log, applied in the
// runner's default batches of 1,000, one transaction per batch. Snapshot
// rows are written every 4 events (production: 16), so that this short
// history pays for them in the proportion a career of a hundred would.
//
//	go test -run '^$' -bench Rebuild -benchtime 3x ./projections/audit/
func BenchmarkRebuild(b *testing.B) {
	pool := projectiontest.NewDB(b)
	l := projectiontest.NewOffice(b)
	hr := projectiontest.Actor{Account: domain.AccountID(projectiontest.NewID()), Name: "Cán bộ tổ chức", Org: domain.OrgID(projectiontest.NewID())}
	l.CreateOrg(hr, hr.Org, projectiontest.Day(2020, 1, 1), org.CreateOrg{Name: "Sở Nội vụ", Code: "000.00.31.H60", Kind: org.KindDepartment, Level: org.LevelProvince})
	const dossiers = 2000
	ids := make([]domain.DossierID, dossiers)
	for i := range ids {
		ids[i] = domain.DossierID(projectiontest.NewID())
		l.CreateDossier(hr, projectiontest.Day(2024, 1, 15), dossier.CreateDossier{DossierID: ids[i], Class: dossier.ClassCongChuc,
			ManagingOrg: hr.Org, EmployingUnit: hr.Org, PersonalIDNumber: projectiontest.PersonalIDOf(i), Identity: projectiontest.Identity(fmt.Sprintf("Nguyễn Văn %d", i))})
	}
	var first = map[domain.DossierID]bool{}
	for step := range 9 {
		for i, id := range ids {
			l.DossierDo(hr, id, projectiontest.Day(2024, 2, 1+step), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
				switch step % 3 {
				case 0:
					s := dossier.Salary{Rank: "01.003", Step: 1 + step, Coefficient: dossier.Coefficient(234 + 33*step)}
					return d.UpdateSection(dossier.Patch{Salary: &s}, m, projectiontest.AnyCode{})
				case 1:
					return d.AddRow(dossier.Row{Table: dossier.TableTraining, Training: &dossier.TrainingRow{ID: projectiontest.NewID(),
						Kind: dossier.TrainingDegree, Institution: fmt.Sprintf("Trường %d", step), Qualification: "dai_hoc", From: dossier.MustYearMonth(2010, 9)}}, m, projectiontest.AnyCode{})
				}
				if i%20 == 0 && !first[id] {
					first[id] = true
					h := l.Load(id.StreamID(), dossier.Decode)
					return d.Correct(dossier.Correction{Corrects: h.Events[1].ID, Patch: dossier.Patch{Other: &dossier.Other{Notes: "hiệu chỉnh"}}}, m, projectiontest.AnyCode{})
				}
				return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: fmt.Sprintf("Chức vụ %d", step)}}, m, projectiontest.AnyCode{})
			})
		}
	}
	evs := l.Events()
	p := audit.NewLagging(4, false)
	ctx := context.Background()
	gen := 0
	start := time.Now()
	for b.Loop() {
		gen++
		tb := projections.NewTables(gen)
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return p.Setup(ctx, tx, tb) }); err != nil {
			b.Fatal(err)
		}
		for chunk := range slices.Chunk(evs, 1000) {
			if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return p.ApplyBatch(ctx, tx, tb, chunk) }); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(gen*len(evs))/time.Since(start).Seconds(), "events/s")
}
