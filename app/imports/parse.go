package imports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

// cells reads one record of one sheet and collects its format problems
// under the columns they concern; the domain checks the rest.
type cells struct {
	sheet    importfile.Sheet
	rec      importfile.Record
	problems []importfile.Problem
}

func (c *cells) get(k string) string { return c.rec.Get(c.sheet, k) }

func (c *cells) add(k, code, reason string) {
	c.problems = append(c.problems, importfile.Problem{
		Sheet: c.sheet.Key, Row: c.rec.Row, Column: k, Cell: c.rec.Cell(c.sheet, k), Code: code, Reason: reason,
	})
}

// excelEpoch is day 0 of Excel's serial dates (1900 date system, after
// its 1900 leap-year bug).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// serial reads an Excel serial date ("35431", what a date-formatted cell
// holds); ok is false for anything else. Serials below 10000 (before
// 18/05/1927) are refused: a bare year ("2019") typed into a month cell
// must not read as a day of 1905.
func serial(s string) (time.Time, bool) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 10000 || n > 200000 || strings.ContainsAny(s, "eE") {
		return time.Time{}, false
	}
	return excelEpoch.AddDate(0, 0, int(n)), true
}

// date reads a dd/mm/yyyy cell (d/m/yyyy, yyyy-mm-dd and Excel serials are
// accepted as well); "" is the zero date.
func (c *cells) date(k string) domain.Date {
	s := c.get(k)
	if s == "" {
		return domain.Date{}
	}
	if t, ok := serial(s); ok {
		return domain.DateOf(t.Add(12 * time.Hour))
	}
	for _, layout := range []string{"2/1/2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if d, err := domain.NewDate(t.Year(), t.Month(), t.Day()); err == nil {
				return d
			}
		}
	}
	c.add(k, "format", "ngày không hợp lệ, ghi theo dạng dd/mm/yyyy (ví dụ 05/03/2024)")
	return domain.Date{}
}

// month reads a mm/yyyy cell (m/yyyy, yyyy-mm and Excel serials too).
func (c *cells) month(k string) dossier.YearMonth {
	s := c.get(k)
	if s == "" {
		return dossier.YearMonth{}
	}
	var t time.Time
	ok := false
	if t, ok = serial(s); !ok {
		for _, layout := range []string{"1/2006", "2006-01"} {
			var err error
			if t, err = time.Parse(layout, s); err == nil {
				ok = true
				break
			}
		}
	}
	if ok {
		if m, err := dossier.NewYearMonth(t.Year(), t.Month()); err == nil {
			return m
		}
	}
	c.add(k, "format", "tháng không hợp lệ, ghi theo dạng mm/yyyy (ví dụ 09/2019)")
	return dossier.YearMonth{}
}

func (c *cells) integer(k string) int {
	s := c.get(k)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		c.add(k, "format", "phải là một số nguyên không âm")
		return 0
	}
	return n
}

func (c *cells) coefficient(k string) dossier.Coefficient {
	s := strings.ReplaceAll(c.get(k), ",", ".") // Vietnamese decimal comma
	if s == "" {
		return 0
	}
	v, err := dossier.ParseCoefficient(s)
	if err != nil {
		// Excel stores 2.34 as 2.3399999999999999: two decimals, rounded.
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f >= 0 && f < 1e6 {
			return dossier.Coefficient(f*100 + 0.5)
		}
		c.add(k, "format", "hệ số ghi dạng 2.34 (tối đa hai chữ số thập phân)")
	}
	return v
}

func (c *cells) choice(k string, choices []string) int {
	s := c.get(k)
	if s == "" {
		return -1
	}
	for i, x := range choices {
		if strings.EqualFold(s, x) {
			return i
		}
	}
	c.add(k, "enum", "chỉ nhận một trong: "+strings.Join(choices, ", "))
	return -1
}

// document reads a row's own decision columns; zero when none is filled.
func (c *cells) document(kind string) domain.SourceDocument {
	d := domain.SourceDocument{Kind: kind, Number: c.get("decision_number"), Issuer: c.get("decision_issuer"), Date: c.date("decision_date")}
	if d.Number == "" && d.Issuer == "" && d.Date.IsZero() {
		return domain.SourceDocument{}
	}
	return d
}

// firstDay is the first day of a month; the zero date for the zero month.
func firstDay(m dossier.YearMonth) domain.Date {
	if m.IsZero() {
		return domain.Date{}
	}
	return domain.MustDate(m.Year(), m.Month(), 1)
}

// ParseDecision reads the import's decision as people write it:
// "số/ký hiệu, dd/mm/yyyy, cơ quan ban hành" ("15/QĐ-UBND, 01/12/2026,
// UBND tỉnh Phú Thọ"); the issuer may itself contain commas.
func ParseDecision(s string) (domain.SourceDocument, error) {
	parts := strings.SplitN(s, ",", 3)
	if len(parts) != 3 {
		return domain.SourceDocument{}, domain.Invalid("decision", "format", `"số/ký hiệu, dd/mm/yyyy, cơ quan ban hành"`)
	}
	date, err := domain.ParseVietnameseDate(strings.TrimSpace(parts[1]))
	if err != nil {
		return domain.SourceDocument{}, domain.Invalid("decision", "format", fmt.Sprintf("the date %q is not dd/mm/yyyy", strings.TrimSpace(parts[1])))
	}
	d := domain.SourceDocument{Kind: "decision", Number: strings.TrimSpace(parts[0]), Date: date, Issuer: strings.TrimSpace(parts[2])}
	return d, d.Validate("decision")
}
