package calendar

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// Solar dates the lunar calendar answers for. Beyond them ΔT is an
// extrapolation and the published Vietnamese tables end, so the package
// refuses rather than guess.
var (
	lunarFirst = domain.MustDate(1900, time.January, 1)
	lunarLast  = domain.MustDate(2100, time.December, 31)
)

// Accuracy: new moons are good to about a minute (Meeus, plus ΔT), solar
// terms to about 15 minutes. A handful of events in 1900–2100 fall closer than
// that to midnight at UTC+7, so the month they start could differ from a
// published almanac by a day: new moons on 1944-06-20, 1967-07-07,
// 2054-05-08, 2077-11-15 and 2085-10-18 (under a minute from midnight), and
// the major terms near 1938-09-24 (leap month 8 of 1938) and 2033-09-23.
// Tết and the holidays of 1900–2100 are not among them.

// LunarDate is a date of the Vietnamese lunisolar calendar (âm lịch). Year is
// the Gregorian year in which its Tết falls; Leap marks the intercalary month
// (tháng nhuận) that repeats the number of the month before it.
type LunarDate struct {
	Day   int  `json:"day"`
	Month int  `json:"month"`
	Year  int  `json:"year"`
	Leap  bool `json:"leap"`
}

// String is "d/m/yyyy", with " nhuận" after the month of a leap month.
func (l LunarDate) String() string {
	if l.Leap {
		return fmt.Sprintf("%d/%d nhuận/%d", l.Day, l.Month, l.Year)
	}
	return fmt.Sprintf("%d/%d/%d", l.Day, l.Month, l.Year)
}

// lunarMonth is one month of the computed table.
type lunarMonth struct {
	start int // Julian Day Number of day 1
	month int
	year  int
	leap  bool
}

type lunarTable struct {
	months    []lunarMonth // consecutive; months[i+1].start ends months[i]
	yearFirst map[int]int  // lunar year → index of its month 1
}

// table computes every lunar month from late 1897 to 2102 once, on first
// use: about 2,500 new moons, a millisecond of work, after which conversions
// are a binary search.
var table = sync.OnceValue(buildLunarTable)

func buildLunarTable() *lunarTable {
	// k = 0 is the new moon of 6 January 2000; 12.3685 lunations a year.
	const kFirst, kLast = -1265, 1270
	n := kLast - kFirst + 1
	days := make([]int, n)
	sectors := make([]int, n)
	for i := range n {
		days[i] = newMoonDay(kFirst + i)
		sectors[i] = sunSectorAtDayStart(days[i])
	}
	// crossed reports whether month i (from days[i] to days[i+1]) contains
	// the Sun's crossing of boundary*30°. A winter month can hold two major
	// terms, so the crossed boundaries are a range, not a single sector.
	steps := func(i int) int { return (sectors[i+1] - sectors[i] + 12) % 12 }
	crossed := func(i, boundary int) bool {
		d := (boundary - sectors[i] + 12) % 12
		return d >= 1 && d <= steps(i)
	}
	// Month 11 is the month holding the winter solstice (270°, boundary 9).
	var elevens []int
	for i := 0; i < n-1; i++ {
		if crossed(i, 9) {
			elevens = append(elevens, i)
		}
	}
	t := &lunarTable{yearFirst: map[int]int{}}
	for e := 0; e+1 < len(elevens); e++ {
		i0, i1 := elevens[e], elevens[e+1]
		y0, _, _ := civilFromJDN(days[i0])
		leapAt := -1
		if i1-i0 == 13 {
			// The leap month is the first after month 11 with no major term.
			for j := i0 + 1; j < i1; j++ {
				if steps(j) == 0 {
					leapAt = j
					break
				}
			}
		}
		num, year := 11, y0
		for j := i0; j < i1; j++ {
			m := lunarMonth{start: days[j], month: num, year: year}
			if j == leapAt {
				m.month, m.leap = t.months[len(t.months)-1].month, true
				m.year = t.months[len(t.months)-1].year
			} else {
				if j != i0 {
					num++
					if num == 13 {
						num, year = 1, y0+1
					}
					m.month, m.year = num, year
				}
				if m.month == 1 {
					t.yearFirst[m.year] = len(t.months)
				}
			}
			t.months = append(t.months, m)
		}
	}
	// A sentinel month closes the last real one.
	last := elevens[len(elevens)-1]
	t.months = append(t.months, lunarMonth{start: days[last]})
	return t
}

func rangeError(field string) error {
	return domain.Invalid(field, "range", "the lunar calendar covers solar dates 1900-01-01 to 2100-12-31")
}

// SolarToLunar converts a solar date to the Vietnamese lunar calendar. Dates
// outside 1900-01-01..2100-12-31 (and the zero Date) give an error wrapping
// domain.ErrInvalid.
func SolarToLunar(d domain.Date) (LunarDate, error) {
	if d.IsZero() || d.Before(lunarFirst) || d.After(lunarLast) {
		return LunarDate{}, rangeError("date")
	}
	t := table()
	j := jdnFromCivil(d.Year(), int(d.Month()), d.Day())
	// The first month starting after j, minus one, holds j.
	i := sort.Search(len(t.months), func(i int) bool { return t.months[i].start > j }) - 1
	m := t.months[i]
	return LunarDate{Day: j - m.start + 1, Month: m.month, Year: m.year, Leap: m.leap}, nil
}

// LunarToSolar converts a lunar date to the solar calendar. It returns an
// error wrapping domain.ErrInvalid, naming the field, when the month is not
// 1–12, the year has no such (leap) month, the day exceeds the month's length
// (29 or 30), or the result lies outside 1900-01-01..2100-12-31.
func LunarToSolar(day, month, year int, leap bool) (domain.Date, error) {
	i, err := monthIndex(month, year, leap)
	if err != nil {
		return domain.Date{}, err
	}
	t := table()
	length := t.months[i+1].start - t.months[i].start
	if day < 1 || day > length {
		return domain.Date{}, domain.Invalid("day", "range", fmt.Sprintf("lunar month %d of %d has %d days", month, year, length))
	}
	y, m, d := civilFromJDN(t.months[i].start + day - 1)
	out, err := domain.NewDate(y, time.Month(m), d)
	if err != nil || out.Before(lunarFirst) || out.After(lunarLast) {
		return domain.Date{}, rangeError("year")
	}
	return out, nil
}

// monthIndex finds a month in the table.
func monthIndex(month, year int, leap bool) (int, error) {
	if month < 1 || month > 12 {
		return 0, domain.Invalid("month", "range", "a lunar month is 1–12")
	}
	t := table()
	first, ok := t.yearFirst[year]
	next, okNext := t.yearFirst[year+1]
	if !ok || !okNext {
		return 0, rangeError("year")
	}
	for i := first; i < next; i++ {
		if t.months[i].month == month && t.months[i].leap == leap {
			return i, nil
		}
	}
	return 0, domain.Invalid("leap", "range", fmt.Sprintf("lunar year %d has no leap month %d", year, month))
}

// MonthLength is the number of days (29 or 30) of a lunar month; errors as
// for LunarToSolar.
func MonthLength(month, year int, leap bool) (int, error) {
	i, err := monthIndex(month, year, leap)
	if err != nil {
		return 0, err
	}
	t := table()
	return t.months[i+1].start - t.months[i].start, nil
}

// LeapMonth is the number of the month that lunar year repeats as a leap
// month, or 0 when the year has 12 months.
func LeapMonth(year int) (int, error) {
	t := table()
	first, ok := t.yearFirst[year]
	next, okNext := t.yearFirst[year+1]
	if !ok || !okNext {
		return 0, rangeError("year")
	}
	for i := first; i < next; i++ {
		if t.months[i].leap {
			return t.months[i].month, nil
		}
	}
	return 0, nil
}

// Tet is the first day of lunar year year (Tết Nguyên Đán).
func Tet(year int) (domain.Date, error) { return LunarToSolar(1, 1, year, false) }

// YearName is the sexagenary (can chi) name of a lunar year, e.g. "Bính Ngọ"
// for 2026.
func YearName(year int) string {
	stems := [10]string{"Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý"}
	branches := [12]string{"Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"}
	return stems[((year-4)%10+10)%10] + " " + branches[((year-4)%12+12)%12]
}
