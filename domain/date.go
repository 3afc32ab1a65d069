package domain

import (
	"fmt"
	"time"
)

// VietnamZone is Asia/Ho_Chi_Minh. Vietnam has kept UTC+7 without daylight
// saving since 1975, so a fixed zone is exact for every date this ledger holds
// and needs no tzdata on the host.
var VietnamZone = time.FixedZone("ICT", 7*60*60)

// Date is a calendar date with no time of day: the effective date of a legal
// fact, a birth date, a deadline. The zero Date is invalid ("unset").
type Date struct {
	y int
	m time.Month
	d int
}

// NewDate returns the date, or an error wrapping ErrInvalid when it does not
// exist (31 February) or lies outside years 1900–2200.
func NewDate(year int, month time.Month, day int) (Date, error) {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Year() != year || t.Month() != month || t.Day() != day || year < 1900 || year > 2200 {
		return Date{}, Invalid("date", "range", fmt.Sprintf("%04d-%02d-%02d does not exist", year, month, day))
	}
	return Date{year, month, day}, nil
}

// MustDate is NewDate for constants in tables and tests; it panics on a bad date.
func MustDate(year int, month time.Month, day int) Date {
	d, err := NewDate(year, month, day)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseDate parses ISO 8601 "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Invalid("date", "format", fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s))
	}
	return NewDate(t.Year(), t.Month(), t.Day())
}

// ParseVietnameseDate parses "02/01/2006" (dd/mm/yyyy), the form people type.
func ParseVietnameseDate(s string) (Date, error) {
	t, err := time.Parse("02/01/2006", s)
	if err != nil {
		return Date{}, Invalid("date", "format", fmt.Sprintf("%q is not a date (dd/mm/yyyy)", s))
	}
	return NewDate(t.Year(), t.Month(), t.Day())
}

// DateOf is the calendar date in Vietnam at instant t.
func DateOf(t time.Time) Date {
	v := t.In(VietnamZone)
	return Date{v.Year(), v.Month(), v.Day()}
}

func (d Date) Year() int             { return d.y }
func (d Date) Month() time.Month     { return d.m }
func (d Date) Day() int              { return d.d }
func (d Date) IsZero() bool          { return d == Date{} }
func (d Date) Weekday() time.Weekday { return d.midnightUTC().Weekday() }

// String is ISO 8601, the form stored in events and used in the API.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d)
}

// Vietnamese is dd/mm/yyyy, the form shown to people.
func (d Date) Vietnamese() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.d, d.m, d.y)
}

// AddDays returns the date n calendar days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	t := d.midnightUTC().AddDate(0, 0, n)
	return Date{t.Year(), t.Month(), t.Day()}
}

// DaysUntil is the number of calendar days from d to e (negative if e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.midnightUTC().Sub(d.midnightUTC()).Hours() / 24)
}

// Compare returns -1, 0 or +1.
func (d Date) Compare(e Date) int {
	return d.midnightUTC().Compare(e.midnightUTC())
}

func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }
func (d Date) After(e Date) bool  { return d.Compare(e) > 0 }

// StartInVietnam is the first instant of the date in Asia/Ho_Chi_Minh.
func (d Date) StartInVietnam() time.Time {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, VietnamZone)
}

func (d Date) midnightUTC() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC) }

// MarshalText encodes ISO 8601; the zero Date encodes as "".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes ISO 8601; "" decodes to the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
