package calendar

import (
	"errors"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

func date(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestTetAndHungKings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year       int
		tet, hungs string
	}{
		{2024, "2024-02-10", "2024-04-18"},
		{2025, "2025-01-29", "2025-04-07"},
		{2026, "2026-02-17", "2026-04-26"},
	}
	for _, tt := range tests {
		if got, err := Tet(tt.year); err != nil || got != date(tt.tet) {
			t.Errorf("Tet(%d) = %v, %v, want %s", tt.year, got, err, tt.tet)
		}
		if got, err := LunarToSolar(10, 3, tt.year, false); err != nil || got != date(tt.hungs) {
			t.Errorf("LunarToSolar(10, 3, %d) = %v, %v, want %s", tt.year, got, err, tt.hungs)
		}
		want := LunarDate{Day: 10, Month: 3, Year: tt.year}
		if got, err := SolarToLunar(date(tt.hungs)); err != nil || got != want {
			t.Errorf("SolarToLunar(%s) = %v, %v, want %v", tt.hungs, got, err, want)
		}
	}
}

func TestKnownLunarDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		solar string
		lunar LunarDate
	}{
		{"2026-02-17", LunarDate{1, 1, 2026, false}},
		{"2026-02-16", LunarDate{29, 12, 2025, false}}, // last day of Ất Tỵ
		{"2025-07-25", LunarDate{1, 6, 2025, true}},    // leap sixth month of 2025
		{"2025-07-24", LunarDate{30, 6, 2025, false}},
		{"2025-10-06", LunarDate{15, 8, 2025, false}}, // Mid-Autumn
		{"2024-09-17", LunarDate{15, 8, 2024, false}},
		{"2023-09-29", LunarDate{15, 8, 2023, false}},
		{"2023-03-22", LunarDate{1, 2, 2023, true}}, // leap second month of 2023
		{"1900-01-31", LunarDate{1, 1, 1900, false}},
		{"1900-01-01", LunarDate{1, 12, 1899, false}},
		{"2100-12-31", LunarDate{1, 12, 2100, false}},
	}
	for _, tt := range tests {
		got, err := SolarToLunar(date(tt.solar))
		if err != nil || got != tt.lunar {
			t.Errorf("SolarToLunar(%s) = %v, %v, want %v", tt.solar, got, err, tt.lunar)
		}
		back, err := LunarToSolar(tt.lunar.Day, tt.lunar.Month, tt.lunar.Year, tt.lunar.Leap)
		if err != nil || back != date(tt.solar) {
			t.Errorf("LunarToSolar(%v) = %v, %v, want %s", tt.lunar, back, err, tt.solar)
		}
	}
}

// At UTC+7 the Vietnamese calendar differs from the Chinese one (UTC+8)
// whenever a new moon or a major solar term falls between 23:00 and 24:00
// Vietnam time. These are the published cases.
func TestVietnamDiffersFromChina(t *testing.T) {
	t.Parallel()
	tets := []struct {
		year          int
		vietnam, chin string
		why           string
	}{
		{1985, "1985-01-21", "1985-02-20", "the 1984 winter solstice fell at 23:23 on 21 Dec UTC+7, so month 11 began 23 Nov, not 22 Dec; Vietnam then had no leap month in 1984 but one in 1985"},
		{2007, "2007-02-17", "2007-02-18", "new moon at 23:14 UTC+7 on 17 Feb"},
		{1968, "1968-01-29", "1968-01-30", "new moon on 29 Jan at 23:29 UTC+7 (North Vietnam's Tết Mậu Thân)"},
	}
	for _, tt := range tets {
		got, err := Tet(tt.year)
		if err != nil || got != date(tt.vietnam) {
			t.Errorf("Tet(%d) = %v, %v, want %s (%s)", tt.year, got, err, tt.vietnam, tt.why)
		}
		if got == date(tt.chin) {
			t.Errorf("Tet(%d) = China's %s", tt.year, tt.chin)
		}
	}
	// 1987: the major term at 150° (Xử thử) fell at 23:10 on 23 August UTC+7,
	// the last day of month 7, so the month after it is the leap one; in China
	// it fell on 24 August and the leap month was the sixth.
	leaps := []struct{ year, vietnam, china int }{{1984, 0, 10}, {1985, 2, 0}, {1987, 7, 6}}
	for _, tt := range leaps {
		if got, err := LeapMonth(tt.year); err != nil || got != tt.vietnam {
			t.Errorf("LeapMonth(%d) = %d, %v, want %d (China: %d)", tt.year, got, err, tt.vietnam, tt.china)
		}
	}
}

func TestLeapMonths(t *testing.T) {
	t.Parallel()
	want := map[int]int{
		1995: 8, 1998: 5, 2001: 4, 2004: 2, 2006: 7, 2009: 5, 2012: 4, 2014: 9,
		2017: 6, 2020: 4, 2023: 2, 2024: 0, 2025: 6, 2026: 0, 2028: 5,
	}
	for y, w := range want {
		if got, err := LeapMonth(y); err != nil || got != w {
			t.Errorf("LeapMonth(%d) = %d, %v, want %d", y, got, err, w)
		}
	}
}

// TestEveryDay walks every solar day of the supported range, checking the
// round trip and the calendar's structure at once.
func TestEveryDay(t *testing.T) {
	t.Parallel()
	first, last := date("1900-01-01"), date("2100-12-31")
	prev, err := SolarToLunar(first)
	if err != nil {
		t.Fatal(err)
	}
	monthsInYear := map[int]int{prev.Year: 1}
	days := 0
	for d := first; !d.After(last); d = d.AddDays(1) {
		l, err := SolarToLunar(d)
		if err != nil {
			t.Fatalf("SolarToLunar(%s): %v", d, err)
		}
		back, err := LunarToSolar(l.Day, l.Month, l.Year, l.Leap)
		if err != nil || back != d {
			t.Fatalf("LunarToSolar(SolarToLunar(%s) = %v) = %v, %v", d, l, back, err)
		}
		days++
		if d == first {
			continue
		}
		if l.Day == 1 {
			if prev.Day != 29 && prev.Day != 30 {
				t.Fatalf("lunar month %v ending %s has %d days", prev, d.AddDays(-1), prev.Day)
			}
			switch {
			case l.Leap:
				if l.Month != prev.Month || l.Year != prev.Year || prev.Leap {
					t.Fatalf("%s: leap month %v does not follow its month (%v)", d, l, prev)
				}
			case l.Month == 1:
				if prev.Month != 12 || l.Year != prev.Year+1 {
					t.Fatalf("%s: year starts after %v", d, prev)
				}
				if lo, hi := domain.MustDate(l.Year, time.January, 21), domain.MustDate(l.Year, time.February, 20); d.Before(lo) || d.After(hi) {
					t.Fatalf("Tết %d on %s, outside 21 Jan–20 Feb", l.Year, d)
				}
			default:
				if l.Month != prev.Month+1 || l.Year != prev.Year {
					t.Fatalf("%s: month %v follows %v", d, l, prev)
				}
			}
			monthsInYear[l.Year]++
		} else if l.Day != prev.Day+1 || l.Month != prev.Month || l.Year != prev.Year || l.Leap != prev.Leap {
			t.Fatalf("%s: %v follows %v", d, l, prev)
		}
		prev = l
	}
	if days != first.DaysUntil(last)+1 {
		t.Fatalf("walked %d days", days)
	}
	for y := 1900; y <= 2099; y++ {
		n := monthsInYear[y]
		leap, err := LeapMonth(y)
		if err != nil {
			t.Fatal(err)
		}
		if (n != 12 || leap != 0) && (n != 13 || leap == 0) {
			t.Errorf("lunar year %d has %d months, leap month %d", y, n, leap)
		}
	}
}

func TestLunarErrors(t *testing.T) {
	t.Parallel()
	solar := []domain.Date{{}, date("2101-01-01"), date("2200-12-31")}
	for _, d := range solar {
		if _, err := SolarToLunar(d); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("SolarToLunar(%v) error = %v, want ErrInvalid", d, err)
		}
	}
	lunar := []struct {
		day, month, year int
		leap             bool
		field            string
	}{
		{1, 13, 2026, false, "month"},
		{1, 0, 2026, false, "month"},
		{0, 1, 2026, false, "day"},
		{31, 1, 2026, false, "day"},
		{1, 6, 2026, true, "leap"},   // 2026 has no leap month
		{1, 1, 1899, false, "year"},  // 1899's Tết is before 1900
		{1, 12, 2101, false, "year"}, // beyond the table
	}
	for _, tt := range lunar {
		_, err := LunarToSolar(tt.day, tt.month, tt.year, tt.leap)
		var v *domain.ValidationError
		if !errors.As(err, &v) || !errors.Is(err, domain.ErrInvalid) || v.Problems[0].Field != tt.field {
			t.Errorf("LunarToSolar(%d, %d, %d, %v) error = %v, want ErrInvalid on %q", tt.day, tt.month, tt.year, tt.leap, err, tt.field)
		}
	}
	if n, err := MonthLength(6, 2025, true); err != nil || n != 29 {
		t.Errorf("MonthLength(6 leap, 2025) = %d, %v, want 29", n, err)
	}
}

func TestYearName(t *testing.T) {
	t.Parallel()
	for y, want := range map[int]string{2024: "Giáp Thìn", 2025: "Ất Tỵ", 2026: "Bính Ngọ", 1968: "Mậu Thân", 1985: "Ất Sửu"} {
		if got := YearName(y); got != want {
			t.Errorf("YearName(%d) = %q, want %q", y, got, want)
		}
	}
}
