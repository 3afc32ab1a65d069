package calendar

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// Calendar answers which days are civil-service working days and does the
// deadline arithmetic of the Civil Code. A year with a table (official or
// supplied) follows it exactly; any other year in 1900–2100 is computed from
// the Labour Code (see Holidays). Years with neither are refused with an
// error wrapping domain.ErrInvalid rather than guessed.
//
// A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	tables map[int]YearTable
	cache  sync.Map // year → *yearSets, filled on first use
}

type yearSets struct {
	off, worked map[domain.Date]bool
	table       YearTable
}

// maxSpan bounds n in the arithmetic: no deadline in any regulation is near
// it, and it keeps a typo from looping through centuries.
const maxSpan = 10000

var official = sync.OnceValue(func() *Calendar {
	ts, err := ParseTable(officialJSON)
	if err != nil {
		// The embedded data is tested; reaching this is a build defect.
		panic("calendar: embedded official table: " + err.Error())
	}
	return newCalendar(ts)
})

// Official is the calendar with the tables published for civil servants
// (2024, 2025 and 2026) and the Labour Code computation for other years.
func Official() *Calendar { return official() }

// Computed is the calendar with no tables at all: every year from the Labour
// Code. It shows what the law alone gives, before the government's swaps.
func Computed() *Calendar { return newCalendar(nil) }

// New returns the official calendar with tables replacing or adding years.
// Tables that did not come from ParseTable are validated the same way (by a
// JSON round trip); errors wrap domain.ErrInvalid.
func New(tables ...YearTable) (*Calendar, error) {
	if len(tables) == 0 {
		return Official(), nil
	}
	b, err := marshalTables(tables)
	if err != nil {
		return nil, err
	}
	ts, err := ParseTable(b)
	if err != nil {
		return nil, err
	}
	return official().with(ts), nil
}

// ParseCalendar parses a user-supplied table (see ParseTable) and returns the
// official calendar with the table's years overriding it.
func ParseCalendar(b []byte) (*Calendar, error) {
	ts, err := ParseTable(b)
	if err != nil {
		return nil, err
	}
	return official().with(ts), nil
}

func marshalTables(ts []YearTable) ([]byte, error) {
	doc := struct {
		Years []YearTable `json:"years"`
	}{ts}
	return json.Marshal(doc)
}

func newCalendar(ts []YearTable) *Calendar {
	c := &Calendar{tables: map[int]YearTable{}}
	for _, t := range ts {
		c.tables[t.Year] = t
	}
	return c
}

func (c *Calendar) with(ts []YearTable) *Calendar {
	n := &Calendar{tables: make(map[int]YearTable, len(c.tables)+len(ts))}
	for y, t := range c.tables {
		n.tables[y] = t
	}
	for _, t := range ts {
		n.tables[t.Year] = t
	}
	return n
}

// year returns the sets of one year, building them once.
func (c *Calendar) year(y int) (*yearSets, error) {
	if v, ok := c.cache.Load(y); ok {
		return v.(*yearSets), nil
	}
	t, ok := c.tables[y]
	if !ok {
		var err error
		if t, err = computedYear(y); err != nil {
			return nil, domain.Invalid("date", "range", fmt.Sprintf("no working-day table for %d and holidays are computed for 1900–2100 only", y))
		}
	}
	s := &yearSets{off: map[domain.Date]bool{}, worked: map[domain.Date]bool{}, table: t}
	for _, d := range t.DaysOff {
		s.off[d] = true
	}
	for _, d := range t.WorkingSaturdays {
		s.worked[d] = true
	}
	v, _ := c.cache.LoadOrStore(y, s)
	return v.(*yearSets), nil
}

// HasTable reports whether year follows a published or supplied table rather
// than the Labour Code computation.
func (c *Calendar) HasTable(year int) bool {
	_, ok := c.tables[year]
	return ok
}

// Year is the table in force for year: the published or supplied one, or
// the one computed from the Labour Code.
func (c *Calendar) Year(year int) (YearTable, error) {
	s, err := c.year(year)
	if err != nil {
		return YearTable{}, err
	}
	t := s.table
	t.DaysOff = append([]domain.Date{}, t.DaysOff...)
	t.WorkingSaturdays = append([]domain.Date{}, t.WorkingSaturdays...)
	return t, nil
}

// IsWorkingDay reports whether civil servants work on d: Monday to Friday
// unless the year's table puts it off, or a Saturday the table designates.
// The zero Date and years the calendar cannot answer give an error wrapping
// domain.ErrInvalid.
func (c *Calendar) IsWorkingDay(d domain.Date) (bool, error) {
	if d.IsZero() {
		return false, domain.Invalid("date", "required", "")
	}
	s, err := c.year(d.Year())
	if err != nil {
		return false, err
	}
	switch d.Weekday() {
	case time.Saturday:
		return s.worked[d], nil
	case time.Sunday:
		return false, nil
	default:
		return !s.off[d], nil
	}
}

// DaysOff lists the weekdays of year that are not working days, ascending.
func (c *Calendar) DaysOff(year int) ([]domain.Date, error) {
	t, err := c.Year(year)
	return t.DaysOff, err
}

// WorkingSaturdays lists the Saturdays of year that are working days.
func (c *Calendar) WorkingSaturdays(year int) ([]domain.Date, error) {
	t, err := c.Year(year)
	return t.WorkingSaturdays, err
}

// NextWorkingDay is d when it is a working day, else the first working day
// after it.
func (c *Calendar) NextWorkingDay(d domain.Date) (domain.Date, error) {
	for range maxSpan {
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return domain.Date{}, err
		}
		if ok {
			return d, nil
		}
		d = d.AddDays(1)
	}
	return domain.Date{}, domain.Invalid("date", "range", "no working day found")
}

// AddWorkingDays is the deadline of n working days counted from d: the n-th
// working day after d, since counting starts the day after the event (Civil
// Code art. 147). n < 0 counts backwards (the |n|-th working day before d);
// n = 0 returns d. Errors wrap domain.ErrInvalid.
func (c *Calendar) AddWorkingDays(d domain.Date, n int) (domain.Date, error) {
	if n > maxSpan || n < -maxSpan {
		return domain.Date{}, domain.Invalid("n", "range", fmt.Sprintf("|n| must be at most %d", maxSpan))
	}
	if d.IsZero() {
		return domain.Date{}, domain.Invalid("date", "required", "")
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return domain.Date{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// AddDays is the deadline of n calendar days counted from d (Civil Code arts.
// 147–148): d+n, moved to the next working day when that is a day off. n must
// be 0 or more; errors wrap domain.ErrInvalid.
func (c *Calendar) AddDays(d domain.Date, n int) (domain.Date, error) {
	if n < 0 || n > maxSpan {
		return domain.Date{}, domain.Invalid("n", "range", fmt.Sprintf("n must be 0–%d", maxSpan))
	}
	if d.IsZero() {
		return domain.Date{}, domain.Invalid("date", "required", "")
	}
	return c.NextWorkingDay(d.AddDays(n))
}

// WorkingDaysLate is how many working days after due the action done on done
// came: 0 when done is on or before due. An action on a day off counts as on
// the next working day, so a Saturday after a Friday deadline is 1 day late.
func (c *Calendar) WorkingDaysLate(due, done domain.Date) (int, error) {
	if due.IsZero() || done.IsZero() {
		return 0, domain.Invalid("date", "required", "")
	}
	if !done.After(due) {
		return 0, nil
	}
	if due.DaysUntil(done) > 2*maxSpan {
		return 0, domain.Invalid("date", "range", "the dates are too far apart")
	}
	end, err := c.NextWorkingDay(done)
	if err != nil {
		return 0, err
	}
	late := 0
	for d := due.AddDays(1); !d.After(end); d = d.AddDays(1) {
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return 0, err
		}
		if ok {
			late++
		}
	}
	return late, nil
}
