package timetravel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/timetravel"
)

func uid(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte("hoso-timetravel-"+s)) }

var (
	orgA = domain.OrgID(uid("orgA"))
	orgB = domain.OrgID(uid("orgB"))
	hr   = domain.AccountID(uid("hr"))
	src  = domain.SourceDocument{Kind: "decision", Number: "7/QĐ-UBND", Date: domain.MustDate(2022, 1, 3), Issuer: "UBND tỉnh Gia Lai"}
)

func day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

// at is 9:00 in Vietnam on the day.
func at(y int, m time.Month, d int) time.Time {
	return day(y, m, d).StartInVietnam().Add(9 * time.Hour)
}

// writer runs commands on one dossier, with explicit clocks.
type writer struct {
	*projectiontest.Ledger
	id  domain.DossierID
	ids []uuid.UUID
}

func (w *writer) meta(org domain.OrgID, recorded time.Time, effective domain.Date) domain.Meta {
	return domain.Meta{Actor: domain.Actor{Account: hr, ActingOrg: org}, RecordedAt: recorded, EffectiveDate: effective, Source: src, Reason: "hiệu chỉnh"}
}

func (w *writer) do(m domain.Meta, decide func(*dossier.Dossier) ([]domain.Event, error)) uuid.UUID {
	ids := w.DossierDo(w.id, m, decide)
	w.ids = append(w.ids, ids...)
	return ids[0]
}

func (w *writer) create(m domain.Meta) {
	w.do(m, func(*dossier.Dossier) ([]domain.Event, error) {
		return dossier.Create(dossier.CreateDossier{DossierID: w.id, Class: dossier.ClassCongChuc, ManagingOrg: orgA, EmployingUnit: orgA,
			PersonalIDNumber: "052085001234",
			Identity:         dossier.Identity{BirthName: "Võ Văn Đông", Gender: dossier.GenderMale, DateOfBirth: day(1985, 7, 1), Ethnicity: "kinh"}}, m, projectiontest.AnyCode{})
	})
}

func salary(coef dossier.Coefficient) *dossier.Salary {
	return &dossier.Salary{Rank: "01.003", Step: int(coef / 33), Coefficient: coef}
}

func newStore(t testing.TB) eventstore.Store {
	return postgres.New(projectiontest.NewDB(t), postgres.Options{})
}

// TestLoad writes a career with a late correction of an old salary decision
// and a decision recorded late with a retroactive effective date, and asks
// for it on both axes.
func TestLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	w := &writer{Ledger: projectiontest.NewLedgerOn(t, store), id: domain.DossierID(uid("dong"))}
	w.create(w.meta(orgA, at(2022, 1, 10), day(2022, 1, 10)))
	s2023 := w.do(w.meta(orgA, at(2023, 1, 10), day(2023, 1, 1)), func(d *dossier.Dossier) ([]domain.Event, error) {
		m := w.meta(orgA, at(2023, 1, 10), day(2023, 1, 1))
		return d.UpdateSection(dossier.Patch{Salary: salary(267)}, m, projectiontest.AnyCode{})
	})
	// Recorded in March 2025, effective from 1 January 2025 (retroactive).
	w.do(w.meta(orgA, at(2025, 3, 15), day(2025, 1, 1)), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: salary(333)}, w.meta(orgA, at(2025, 3, 15), day(2025, 1, 1)), projectiontest.AnyCode{})
	})
	// In June 2025 the 2023 decision is found mistyped: 3.00, not 2.67.
	w.do(w.meta(orgA, at(2025, 6, 2), day(2025, 6, 2)), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: s2023, Patch: dossier.Patch{Salary: salary(300)}}, w.meta(orgA, at(2025, 6, 2), day(2025, 6, 2)), projectiontest.AnyCode{})
	})
	tid := uid("transfer")
	w.do(w.meta(orgA, at(2025, 9, 1), day(2025, 9, 1)), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: tid, Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, w.meta(orgA, at(2025, 9, 1), day(2025, 9, 1)))
	})
	w.do(w.meta(orgB, at(2025, 9, 8), day(2025, 9, 8)), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.ReceiveTransfer(tid, w.meta(orgB, at(2025, 9, 8), day(2025, 9, 8)))
	})

	ptr := func(t time.Time) *time.Time { return &t }
	date := func(d domain.Date) *domain.Date { return &d }
	tests := []struct {
		name    string
		q       timetravel.Query
		coef    dossier.Coefficient
		org     domain.OrgID
		version uint64
	}{
		{"now", timetravel.Query{}, 333, orgB, 6},
		{"known before the correction", timetravel.Query{KnownAt: ptr(at(2025, 6, 1))}, 333, orgA, 3},
		{"known before the retroactive decision", timetravel.Query{KnownAt: ptr(at(2025, 3, 14))}, 267, orgA, 2},
		{"known in 2024: the typo as it stood", timetravel.Query{KnownAt: ptr(at(2024, 5, 1))}, 267, orgA, 2},
		{"known right after the correction", timetravel.Query{KnownAt: ptr(at(2025, 6, 2))}, 333, orgA, 4},
		{"in effect in 2024, as known now: corrected", timetravel.Query{EffectiveOn: date(day(2024, 5, 1))}, 300, orgA, 4},
		{"in effect on 1 Jan 2025: the retroactive decision", timetravel.Query{EffectiveOn: date(day(2025, 1, 1))}, 333, orgA, 4},
		{"in effect on 31 Dec 2024", timetravel.Query{EffectiveOn: date(day(2024, 12, 31))}, 300, orgA, 4},
		{"in effect during the transfer", timetravel.Query{EffectiveOn: date(day(2025, 9, 5))}, 333, orgA, 5},
		{"after the transfer", timetravel.Query{EffectiveOn: date(day(2025, 9, 8))}, 333, orgB, 6},
		{"2024 as known in May 2025: before the correction", timetravel.Query{KnownAt: ptr(at(2025, 5, 1)), EffectiveOn: date(day(2024, 5, 1))}, 267, orgA, 2},
		{"2024 as known in July 2025: corrected", timetravel.Query{KnownAt: ptr(at(2025, 7, 1)), EffectiveOn: date(day(2024, 5, 1))}, 300, orgA, 4},
		{"Jan 2025 as known in Feb 2025: retroactive decision not yet known", timetravel.Query{KnownAt: ptr(at(2025, 2, 1)), EffectiveOn: date(day(2025, 1, 15))}, 267, orgA, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := timetravel.Load(ctx, store, w.id, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			org, _ := d.ManagingOrg()
			if got := d.Document().Salary.Coefficient; got != tt.coef || org != tt.org || d.Version() != tt.version {
				t.Errorf("Load(%s) = coefficient %v, org %v, version %d; want %v, %v, %d", tt.name, got, org == orgA, d.Version(), tt.coef, tt.org == orgA, tt.version)
			}
		})
	}

	for _, q := range []timetravel.Query{
		{KnownAt: ptr(at(2022, 1, 9))},
		{EffectiveOn: date(day(2021, 12, 31))},
	} {
		if _, err := timetravel.Load(ctx, store, w.id, q); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("before creation: %v, want ErrNotFound", err)
		}
	}
	if _, err := timetravel.Load(ctx, store, domain.DossierID(uid("nobody")), timetravel.Query{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown dossier: %v, want ErrNotFound", err)
	}
}

// BenchmarkAsOfPastInstant loads a ~100-event dossier from PostgreSQL as
// known at an instant in the middle of its history and reports the 95th
// percentile (target: under 20 ms).
func BenchmarkAsOfPastInstant(b *testing.B) {
	ctx := context.Background()
	store := newStore(b)
	w := &writer{Ledger: projectiontest.NewLedgerOn(b, store), id: domain.DossierID(uid("bench"))}
	start := at(2010, 1, 4)
	w.create(w.meta(orgA, start, domain.DateOf(start)))
	for i := 1; i < 100; i++ {
		rec := start.Add(time.Duration(i) * 30 * 24 * time.Hour)
		m := w.meta(orgA, rec, domain.DateOf(rec))
		if i%10 == 0 {
			target := w.ids[len(w.ids)-5]
			w.do(m, func(d *dossier.Dossier) ([]domain.Event, error) {
				return d.Correct(dossier.Correction{Corrects: target, Patch: dossier.Patch{Salary: salary(dossier.Coefficient(234 + i))}}, m, projectiontest.AnyCode{})
			})
			continue
		}
		w.do(m, func(d *dossier.Dossier) ([]domain.Event, error) {
			if i%3 == 0 {
				return d.AddRow(dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: uid(fmt.Sprint("row", i)), Side: dossier.FamilyOwn, Relation: "Con", Name: fmt.Sprint("Võ Thị ", i)}}, m, projectiontest.AnyCode{})
			}
			return d.UpdateSection(dossier.Patch{Salary: salary(dossier.Coefficient(234 + i))}, m, projectiontest.AnyCode{})
		})
	}
	instant := start.Add(50 * 30 * 24 * time.Hour)
	q := timetravel.Query{KnownAt: &instant}
	var took []time.Duration
	for b.Loop() {
		began := time.Now()
		d, err := timetravel.Load(ctx, store, w.id, q)
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(began))
		if d.Version() != 51 {
			b.Fatalf("version %d as known then, want 51", d.Version())
		}
	}
	slices.Sort(took)
	p95 := took[min(len(took)-1, len(took)*95/100)]
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
}
