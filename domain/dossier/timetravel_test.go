package dossier

import (
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// at builds a stored event with explicit clocks.
func at(i int, e domain.Event, recorded time.Time, effective domain.Date) domain.Recorded {
	m := meta()
	m.RecordedAt, m.EffectiveDate = recorded, effective
	return domain.Recorded{ID: eventID(i), Version: uint64(i + 1), Event: e, Meta: m}
}

func day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

func instant(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 3, 0, 0, 0, time.UTC) }

func TestTimeTravel(t *testing.T) {
	t.Parallel()
	s2023 := Salary{Rank: "01.003", Step: 2, Coefficient: 267}
	s2023fixed := Salary{Rank: "01.003", Step: 3, Coefficient: 300}
	s2025 := Salary{Rank: "01.003", Step: 4, Coefficient: 333}
	// Created mid-2022; a 2023 salary decision; a 2025 one; then, in
	// mid-2025, the 2023 decision is found to have been typed wrong; a
	// between-orgs transfer decided in May 2025 was received in June.
	h := []domain.Recorded{
		at(0, created(), instant(2022, 6, 1), day(2022, 6, 1)),
		at(1, SectionUpdated{Patch: Patch{Salary: &s2023}}, instant(2023, 1, 10), day(2023, 1, 1)),
		at(2, SectionUpdated{Patch: Patch{Salary: &s2025}}, instant(2025, 1, 10), day(2025, 1, 1)),
		at(3, TransferInitiated{TransferID: transferID, Kind: TransferBetweenOrgs, FromOrg: orgA, FromUnit: unitA1, TargetOrg: orgB},
			instant(2025, 5, 2), day(2025, 5, 1)),
		at(4, Corrected{Corrects: eventID(1), Patch: Patch{Salary: &s2023fixed}}, instant(2025, 6, 1), day(2025, 6, 1)),
		at(5, TransferReceived{TransferID: transferID, Kind: TransferBetweenOrgs, ManagingOrg: orgB, EmployingUnit: orgB},
			instant(2025, 6, 10), day(2025, 6, 10)),
	}
	type view struct {
		coefficient Coefficient
		managing    domain.OrgID
		pending     bool
		version     uint64
	}
	look := func(d *Dossier) view {
		org, _ := d.ManagingOrg()
		_, pending := d.PendingTransfer()
		return view{d.Document().Salary.Coefficient, org, pending, d.Version()}
	}
	tests := []struct {
		name   string
		replay func() (*Dossier, error)
		want   view
	}{
		{"now", func() (*Dossier, error) { return Replay(h) }, view{333, orgB, false, 6}},
		{"effective 2024: the corrected 2023 salary", func() (*Dossier, error) { return ReplayEffectiveOn(h, day(2024, 1, 1)) },
			view{300, orgA, false, 5}},
		{"effective 2022: no salary yet", func() (*Dossier, error) { return ReplayEffectiveOn(h, day(2022, 12, 31)) },
			view{0, orgA, false, 1}},
		{"effective mid-May 2025: transfer pending", func() (*Dossier, error) { return ReplayEffectiveOn(h, day(2025, 5, 15)) },
			view{333, orgA, true, 5}},
		{"known in 2024: the salary as typed", func() (*Dossier, error) { return ReplayKnownAt(h, instant(2024, 1, 1)) },
			view{267, orgA, false, 2}},
		{"known after the correction", func() (*Dossier, error) { return ReplayKnownAt(h, instant(2025, 6, 2)) },
			view{333, orgA, true, 5}},
		{"known in Feb 2025 about 2024", func() (*Dossier, error) { return ReplayAt(h, instant(2025, 2, 1), day(2024, 1, 1)) },
			view{267, orgA, false, 2}},
		{"known in July 2025 about 2024", func() (*Dossier, error) { return ReplayAt(h, instant(2025, 7, 1), day(2024, 1, 1)) },
			view{300, orgA, false, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := tc.replay()
			if err != nil {
				t.Fatal(err)
			}
			if got := look(d); got != tc.want {
				t.Fatalf("view = %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := ReplayEffectiveOn(h, day(2022, 5, 31)); !errorsIs(err, domain.ErrNotFound) {
		t.Fatalf("before creation: err = %v, want ErrNotFound", err)
	}
	if _, err := ReplayKnownAt(h, instant(2022, 5, 31)); !errorsIs(err, domain.ErrNotFound) {
		t.Fatalf("before recording: err = %v, want ErrNotFound", err)
	}
}
