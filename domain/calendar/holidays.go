package calendar

import (
	"sort"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// Holiday is a public holiday of Labour Code 2019 art. 112 as it falls in a
// given year, before art. 111 moves it off a weekly rest day.
type Holiday struct {
	Date domain.Date `json:"date"`
	Name string      `json:"name"`
}

// Holidays lists the public holidays of year per Labour Code 2019 art. 112:
// New Year (1/1); Tết, the last day of the old lunar year and the first four
// of the new; Hùng Kings' day (10/3 lunar); Reunification day (30/4); Labour
// day (1/5); National day (2/9) and the day before or after it. The law lets
// the Prime Minister pick that day; we take 1/9 when 2/9 falls on a Tuesday,
// Friday or Saturday (so the days off join a weekend, as the decisions of
// 2022–2025 did) and 3/9 otherwise. Years 1900–2100; errors wrap
// domain.ErrInvalid.
func Holidays(year int) ([]Holiday, error) {
	if year < 1900 || year > 2100 {
		return nil, domain.Invalid("year", "range", "holidays are computed for 1900–2100")
	}
	tet, err := Tet(year)
	if err != nil {
		return nil, err
	}
	hung, err := LunarToSolar(10, 3, year, false)
	if err != nil {
		return nil, err
	}
	d := func(m time.Month, day int) domain.Date { return domain.MustDate(year, m, day) }
	hs := []Holiday{
		{d(time.January, 1), "Tết Dương lịch"},
		{tet.AddDays(-1), "Tết Âm lịch (ngày cuối năm)"},
		{tet, "Tết Âm lịch (mùng 1)"},
		{tet.AddDays(1), "Tết Âm lịch (mùng 2)"},
		{tet.AddDays(2), "Tết Âm lịch (mùng 3)"},
		{tet.AddDays(3), "Tết Âm lịch (mùng 4)"},
		{hung, "Giỗ Tổ Hùng Vương"},
		{d(time.April, 30), "Ngày Chiến thắng"},
		{d(time.May, 1), "Ngày Quốc tế lao động"},
		{d(time.September, 2), "Quốc khánh"},
	}
	switch d(time.September, 2).Weekday() {
	case time.Tuesday, time.Friday, time.Saturday:
		hs = append(hs, Holiday{d(time.September, 1), "Quốc khánh (ngày liền kề)"})
	default:
		hs = append(hs, Holiday{d(time.September, 3), "Quốc khánh (ngày liền kề)"})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Date.Before(hs[j].Date) })
	return hs, nil
}

func isWeekend(d domain.Date) bool {
	w := d.Weekday()
	return w == time.Saturday || w == time.Sunday
}

// computedYear derives a year's weekdays off from the Labour Code when no
// official table exists: every holiday on a weekday, and for each holiday on
// a Saturday or Sunday the next weekday not already off (art. 111). It cannot
// know the swaps the government announces each year; those come in tables.
func computedYear(year int) (YearTable, error) {
	hs, err := Holidays(year)
	if err != nil {
		return YearTable{}, err
	}
	off := map[domain.Date]bool{}
	for _, h := range hs {
		if !isWeekend(h.Date) {
			off[h.Date] = true
		}
	}
	for _, h := range hs {
		if !isWeekend(h.Date) {
			continue
		}
		d := h.Date.AddDays(1)
		for isWeekend(d) || off[d] {
			d = d.AddDays(1)
		}
		off[d] = true
	}
	t := YearTable{Year: year, DaysOff: make([]domain.Date, 0, len(off)), WorkingSaturdays: []domain.Date{}}
	for d := range off {
		t.DaysOff = append(t.DaysOff, d)
	}
	sortDates(t.DaysOff)
	return t, nil
}

func sortDates(ds []domain.Date) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].Before(ds[j]) })
}
