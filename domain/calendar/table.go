package calendar

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// YearTable is the civil-service working-day table of one year, as the
// government publishes it: the weekdays (Monday–Friday) off, compensatory
// days included, and the Saturdays worked in exchange. Swaps cannot be
// computed, which is why tables win over the Labour Code computation.
//
// Its JSON form is {"year":2026,"days_off":["2026-01-01",…],
// "working_saturdays":["2026-01-10",…]}, dates ascending.
type YearTable struct {
	Year             int           `json:"year"`
	DaysOff          []domain.Date `json:"days_off"`
	WorkingSaturdays []domain.Date `json:"working_saturdays"`
}

// MarshalJSON writes empty lists as [] rather than null.
func (t YearTable) MarshalJSON() ([]byte, error) {
	type plain YearTable
	p := plain(t)
	if p.DaysOff == nil {
		p.DaysOff = []domain.Date{}
	}
	if p.WorkingSaturdays == nil {
		p.WorkingSaturdays = []domain.Date{}
	}
	return json.Marshal(p)
}

// officialJSON holds the tables published for civil servants (Prime
// Minister's decisions and the Ministry of Home Affairs' notices), exactly as
// listed in docs/domain.md.
//
//go:embed official.json
var officialJSON []byte

// Years a table may describe: the range of domain.Date.
const tableFirstYear, tableLastYear = 1900, 2200

// maxTableBytes bounds what ParseTable reads; a real table is a few kB.
const maxTableBytes = 1 << 20

type yearJSON struct {
	Year             *int     `json:"year"`
	DaysOff          []string `json:"days_off"`
	WorkingSaturdays []string `json:"working_saturdays"`
}

type tableJSON struct {
	Years            []yearJSON `json:"years"`
	Year             *int       `json:"year"`
	DaysOff          []string   `json:"days_off"`
	WorkingSaturdays []string   `json:"working_saturdays"`
}

// ParseTable decodes and validates a working-day table. Two shapes are
// accepted: one year, exactly as `hoso calendar YEAR --json` prints it, or
// {"years":[{…},{…}]} for several. Every problem is reported at once in an
// error wrapping domain.ErrInvalid whose field paths follow the document
// ("years/1/days_off/3"): unknown fields, a year outside 1900–2200 or given
// twice, a malformed date, a date outside its year, a day off on a weekend,
// a working day that is not a Saturday, a date listed twice, a date both off
// and worked.
func ParseTable(b []byte) ([]YearTable, error) {
	if len(b) > maxTableBytes {
		return nil, domain.Invalid("table", "size", fmt.Sprintf("larger than %d bytes", maxTableBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var doc tableJSON
	if err := dec.Decode(&doc); err != nil {
		return nil, domain.Invalid("table", "json", jsonDetail(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, domain.Invalid("table", "json", "unexpected data after the table")
	}
	var v domain.ValidationError
	single := doc.Year != nil || doc.DaysOff != nil || doc.WorkingSaturdays != nil
	var items []yearJSON
	prefix := func(i int) string { return "years/" + strconv.Itoa(i) + "/" }
	switch {
	case single && doc.Years != nil:
		v.Add("years", "exclusive", "give either one year or a years list, not both")
		return nil, v.Err()
	case single:
		items = []yearJSON{{doc.Year, doc.DaysOff, doc.WorkingSaturdays}}
		prefix = func(int) string { return "" }
	case len(doc.Years) == 0:
		v.Add("years", "required", "at least one year")
		return nil, v.Err()
	default:
		items = doc.Years
	}
	out := make([]YearTable, 0, len(items))
	seenYear := map[int]bool{}
	for i, it := range items {
		p := prefix(i)
		if it.Year == nil {
			v.Add(p+"year", "required", "")
			continue
		}
		year := *it.Year
		if year < tableFirstYear || year > tableLastYear {
			v.Add(p+"year", "range", fmt.Sprintf("%d is outside %d–%d", year, tableFirstYear, tableLastYear))
			continue
		}
		if seenYear[year] {
			v.Add(p+"year", "unique", fmt.Sprintf("%d is given twice", year))
			continue
		}
		seenYear[year] = true
		t := YearTable{Year: year}
		seen := map[domain.Date]string{}
		t.DaysOff = parseDates(&v, p+"days_off", it.DaysOff, year, seen, func(d domain.Date) string {
			if isWeekend(d) {
				return "weekday"
			}
			return ""
		})
		t.WorkingSaturdays = parseDates(&v, p+"working_saturdays", it.WorkingSaturdays, year, seen, func(d domain.Date) string {
			if d.Weekday() != time.Saturday {
				return "saturday"
			}
			return ""
		})
		out = append(out, t)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseDates parses one list; seen spans both lists of a year so a date
// cannot be both off and worked.
func parseDates(v *domain.ValidationError, field string, raw []string, year int, seen map[domain.Date]string, rule func(domain.Date) string) []domain.Date {
	out := make([]domain.Date, 0, len(raw))
	for i, s := range raw {
		f := field + "/" + strconv.Itoa(i)
		d, err := domain.ParseDate(s)
		if err != nil {
			v.Add(f, "format", fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s))
			continue
		}
		if d.Year() != year {
			v.Add(f, "year", fmt.Sprintf("%s is not in %d", d, year))
			continue
		}
		if r := rule(d); r != "" {
			v.Add(f, r, fmt.Sprintf("%s is a %s", d, d.Weekday()))
			continue
		}
		if other, dup := seen[d]; dup {
			v.Add(f, "unique", fmt.Sprintf("%s is already listed at %s", d, other))
			continue
		}
		seen[d] = f
		out = append(out, d)
	}
	sortDates(out)
	return out
}

// jsonDetail keeps decoder errors short and free of the input's contents
// beyond what locates the problem.
func jsonDetail(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated document"
	default:
		return err.Error()
	}
}
