package imports

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

func oneCell(sheet, key, value string) *cells {
	s, _ := importfile.SheetByKey(sheet)
	rec := importfile.Record{Row: 2, Values: make([]string, len(s.Columns)), Cols: make([]int, len(s.Columns))}
	for i := range rec.Cols {
		rec.Cols[i] = i
	}
	rec.Values[s.Index(key)] = value
	return &cells{sheet: s, rec: rec}
}

// TestCellParsers: dates, months and coefficients as people and Excel
// write them; anything else is a format problem at the cell.
func TestCellParsers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"05/03/2024", "2024-03-05"}, {"5/3/2024", "2024-03-05"}, {"2024-03-05", "2024-03-05"}, {"45356", "2024-03-05"},
		{"", ""}, {"31/02/1990", "!"}, {"05-03-2024", "!"}, {"1e5", "!"},
	} {
		cl := oneCell("identity", "date_of_birth", c.in)
		d := cl.date("date_of_birth")
		got := d.String()
		if d.IsZero() {
			got = ""
		}
		if len(cl.problems) > 0 {
			got = "!"
			if cl.problems[0].Cell != "D2" || cl.problems[0].Code != "format" {
				t.Errorf("date %q: problem %+v", c.in, cl.problems[0])
			}
		}
		if got != c.want {
			t.Errorf("date %q = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"09/2019", "2019-09"}, {"9/2019", "2019-09"}, {"2019-09", "2019-09"}, {"43709", "2019-09"}, {"13/2020", "!"}, {"2019", "!"},
	} {
		cl := oneCell("career", "from", c.in)
		got := cl.month("from").String()
		if len(cl.problems) > 0 {
			got = "!"
		}
		if got != c.want {
			t.Errorf("month %q = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want dossier.Coefficient
		bad  bool
	}{{"2.34", 234, false}, {"2,34", 234, false}, {"2.3399999999999999", 234, false}, {"4", 400, false}, {"hai", 0, true}, {"-1", 0, true}} {
		cl := oneCell("salary", "coefficient", c.in)
		got := cl.coefficient("coefficient")
		if got != c.want || (len(cl.problems) > 0) != c.bad {
			t.Errorf("coefficient %q = %v (%v), want %v (bad %v)", c.in, got, cl.problems, c.want, c.bad)
		}
	}
	if firstDay(dossier.MustYearMonth(2019, 9)) != domain.MustDate(2019, 9, 1) {
		t.Error("firstDay")
	}
}
