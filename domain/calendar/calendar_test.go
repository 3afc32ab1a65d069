package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// published is docs/domain.md's table of civil-service days off, transcribed
// as ranges (weekends inside a range are not days off).
var published = []struct {
	year     int
	off      [][2]string
	saturday []string
}{
	{2024, [][2]string{{"01-01", "01-01"}, {"02-08", "02-14"}, {"04-18", "04-18"}, {"04-29", "05-01"}, {"09-02", "09-03"}}, []string{"05-04"}},
	{2025, [][2]string{{"01-01", "01-01"}, {"01-27", "01-31"}, {"04-07", "04-07"}, {"04-30", "05-02"}, {"09-01", "09-02"}}, []string{"04-26"}},
	{2026, [][2]string{{"01-01", "01-02"}, {"02-16", "02-20"}, {"04-27", "04-27"}, {"04-30", "05-01"}, {"08-31", "09-02"}}, []string{"01-10", "08-22"}},
}

func inYear(y int, md string) domain.Date { return date(fmt.Sprintf("%04d-%s", y, md)) }

func TestOfficialTableMatchesPublished(t *testing.T) {
	t.Parallel()
	cal := Official()
	for _, p := range published {
		var wantOff []domain.Date
		for _, r := range p.off {
			for d := inYear(p.year, r[0]); !d.After(inYear(p.year, r[1])); d = d.AddDays(1) {
				if !isWeekend(d) {
					wantOff = append(wantOff, d)
				}
			}
		}
		var wantSat []domain.Date
		for _, s := range p.saturday {
			wantSat = append(wantSat, inYear(p.year, s))
		}
		got, err := cal.DaysOff(p.year)
		if err != nil || !slices.Equal(got, wantOff) {
			t.Errorf("DaysOff(%d) = %v, %v, want %v", p.year, got, err, wantOff)
		}
		gotSat, err := cal.WorkingSaturdays(p.year)
		if err != nil || !slices.Equal(gotSat, wantSat) {
			t.Errorf("WorkingSaturdays(%d) = %v, %v, want %v", p.year, gotSat, err, wantSat)
		}
		// Every day of the year agrees with the table.
		for d := inYear(p.year, "01-01"); d.Year() == p.year; d = d.AddDays(1) {
			want := !isWeekend(d) && !slices.Contains(wantOff, d) || slices.Contains(wantSat, d)
			if ok, err := cal.IsWorkingDay(d); err != nil || ok != want {
				t.Errorf("IsWorkingDay(%s) = %v, %v, want %v", d, ok, err, want)
			}
		}
		if !cal.HasTable(p.year) {
			t.Errorf("HasTable(%d) = false", p.year)
		}
	}
}

func TestComputedYears(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		off  []string
	}{
		// Tết 6 Feb 2027 is a Saturday: 5, 8, 9 Feb off, and 6–7 Feb move to
		// 10–11 Feb; Hùng Kings 16 Apr (Fri); 1/5 (Sat) moves to 3/5; 2/9 is
		// a Thursday, so 3/9 joins it.
		{2027, []string{"2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
			"2027-04-16", "2027-04-30", "2027-05-03", "2027-09-02", "2027-09-03"}},
		// 2023 by the Labour Code alone: 2/9 on Saturday takes 1/9 and moves
		// to Monday 4/9, as the government decided that year; Tết 22 Jan
		// (Sun) with 21 Jan (Sat) moves to 26–27 Jan.
		{2023, []string{"2023-01-02", "2023-01-23", "2023-01-24", "2023-01-25", "2023-01-26", "2023-01-27",
			"2023-05-01", "2023-05-02", "2023-05-03", "2023-09-01", "2023-09-04"}},
	}
	cal := Official()
	for _, tt := range tests {
		var want []domain.Date
		for _, s := range tt.off {
			want = append(want, date(s))
		}
		got, err := cal.DaysOff(tt.year)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("DaysOff(%d) = %v, %v, want %v", tt.year, got, err, want)
		}
		if sats, err := cal.WorkingSaturdays(tt.year); err != nil || len(sats) != 0 {
			t.Errorf("WorkingSaturdays(%d) = %v, %v, want none", tt.year, sats, err)
		}
		if cal.HasTable(tt.year) {
			t.Errorf("HasTable(%d) = true", tt.year)
		}
	}
}

func TestComputedDiffersFromOfficial(t *testing.T) {
	t.Parallel()
	// The Labour Code alone gives 28/1–1/2 for Tết 2025 (1/2 a Saturday,
	// moved to 3/2); the government chose 27–31/1. Tables must win.
	ok, err := Computed().IsWorkingDay(date("2025-02-03"))
	if err != nil || ok {
		t.Errorf("Computed().IsWorkingDay(2025-02-03) = %v, %v, want false", ok, err)
	}
	ok, err = Official().IsWorkingDay(date("2025-02-03"))
	if err != nil || !ok {
		t.Errorf("Official().IsWorkingDay(2025-02-03) = %v, %v, want true", ok, err)
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	cal := Official()
	tests := []struct {
		name string
		fn   func(domain.Date, int) (domain.Date, error)
		from string
		n    int
		want string
	}{
		{"workdays across Tết 2026", cal.AddWorkingDays, "2026-02-12", 5, "2026-02-26"},
		{"workdays onto a working Saturday", cal.AddWorkingDays, "2026-01-09", 1, "2026-01-10"},
		{"workdays across 30/4–1/5 2024", cal.AddWorkingDays, "2024-04-26", 3, "2024-05-04"},
		{"workdays plain week", cal.AddWorkingDays, "2026-03-02", 5, "2026-03-09"},
		{"workdays from a Saturday", cal.AddWorkingDays, "2026-03-07", 1, "2026-03-09"},
		{"workdays zero", cal.AddWorkingDays, "2026-03-07", 0, "2026-03-07"},
		{"workdays backwards over Tết", cal.AddWorkingDays, "2026-02-23", -1, "2026-02-13"},
		{"workdays across the year end", cal.AddWorkingDays, "2025-12-31", 2, "2026-01-06"},
		{"days ending in Tết move to the next working day", cal.AddDays, "2026-02-06", 10, "2026-02-23"},
		{"days ending on a working Saturday stay", cal.AddDays, "2026-01-01", 9, "2026-01-10"},
		{"days ending on Sunday before 1–2/9 2025", cal.AddDays, "2025-08-30", 1, "2025-09-03"},
		{"days ending on a working day", cal.AddDays, "2026-03-02", 30, "2026-04-01"},
		{"days zero on a weekend", cal.AddDays, "2026-03-07", 0, "2026-03-09"},
		{"days in a computed year", cal.AddDays, "2027-01-27", 10, "2027-02-12"},
	}
	for _, tt := range tests {
		got, err := tt.fn(date(tt.from), tt.n)
		if err != nil || got != date(tt.want) {
			t.Errorf("%s: (%s, %d) = %v, %v, want %s", tt.name, tt.from, tt.n, got, err, tt.want)
		}
	}
}

func TestWorkingDaysLate(t *testing.T) {
	t.Parallel()
	cal := Official()
	tests := []struct {
		due, done string
		want      int
	}{
		{"2026-02-13", "2026-02-13", 0},
		{"2026-02-13", "2026-02-01", 0},
		{"2026-02-13", "2026-02-23", 1}, // Tết week does not count
		{"2026-02-13", "2026-02-21", 1}, // a Saturday counts as the Monday after
		{"2026-03-06", "2026-03-16", 6}, // Mon 9 … Mon 16
		{"2026-01-09", "2026-01-10", 1}, // working Saturday
		{"2026-01-09", "2026-01-12", 2}, // Sat 10 and Mon 12
		{"2025-12-31", "2026-01-05", 1}, // 1–2 Jan off
		{"2026-04-24", "2026-04-28", 1}, // 27/4 is off
		{"2026-04-24", "2026-04-27", 1}, // done on a day off: late by the next working day
	}
	for _, tt := range tests {
		got, err := cal.WorkingDaysLate(date(tt.due), date(tt.done))
		if err != nil || got != tt.want {
			t.Errorf("WorkingDaysLate(%s, %s) = %d, %v, want %d", tt.due, tt.done, got, err, tt.want)
		}
	}
}

func TestCalendarErrors(t *testing.T) {
	t.Parallel()
	cal := Official()
	far := date("2150-03-02")
	checks := []struct {
		name string
		err  error
	}{
		{"IsWorkingDay zero", second(cal.IsWorkingDay(domain.Date{}))},
		{"IsWorkingDay 2150", second(cal.IsWorkingDay(far))},
		{"DaysOff 2150", second(cal.DaysOff(2150))},
		{"AddWorkingDays zero", second(cal.AddWorkingDays(domain.Date{}, 1))},
		{"AddWorkingDays huge", second(cal.AddWorkingDays(date("2026-01-01"), 1_000_000))},
		{"AddWorkingDays into 2101", second(cal.AddWorkingDays(date("2100-12-30"), 5))},
		{"AddDays negative", second(cal.AddDays(date("2026-01-01"), -1))},
		{"WorkingDaysLate zero", second(cal.WorkingDaysLate(domain.Date{}, date("2026-01-01")))},
	}
	for _, c := range checks {
		if !errors.Is(c.err, domain.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", c.name, c.err)
		}
	}
	// A supplied table makes a year beyond the computed range usable.
	c2, err := New(YearTable{Year: 2150, DaysOff: []domain.Date{far}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c2.IsWorkingDay(far); err != nil || ok {
		t.Errorf("IsWorkingDay(%s) with a 2150 table = %v, %v, want false", far, ok, err)
	}
	if ok, err := c2.IsWorkingDay(far.AddDays(1)); err != nil || !ok {
		t.Errorf("IsWorkingDay(%s) with a 2150 table = %v, %v, want true", far.AddDays(1), ok, err)
	}
	// New validates what it is given.
	if _, err := New(YearTable{Year: 2030, WorkingSaturdays: []domain.Date{date("2030-01-07")}}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("New with a Monday as working Saturday: error = %v, want ErrInvalid", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestHolidays(t *testing.T) {
	t.Parallel()
	hs, err := Holidays(2026)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, h.Date.String())
	}
	want := []string{"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
		"2026-04-26", "2026-04-30", "2026-05-01", "2026-09-02", "2026-09-03"}
	if !slices.Equal(got, want) {
		t.Errorf("Holidays(2026) = %v, want %v", got, want)
	}
	if _, err := Holidays(2101); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Holidays(2101) error = %v, want ErrInvalid", err)
	}
}

// A Calendar fills its per-year cache lazily; many goroutines may ask at once.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	cal := Computed()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := 2030; y < 2040; y++ {
				d := domain.MustDate(y, 2, 1+i)
				if _, err := cal.AddWorkingDays(d, 20); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
