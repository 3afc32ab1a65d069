package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

func TestParseTableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		json   string
		fields []string // every problem, in order
	}{
		{"not json", `{`, []string{"table"}},
		{"trailing data", `{"year":2030,"days_off":[],"working_saturdays":[]} {}`, []string{"table"}},
		{"unknown field", `{"year":2030,"holidays":[]}`, []string{"table"}},
		{"wrong type", `{"year":"2030"}`, []string{"table"}},
		{"empty", `{}`, []string{"years"}},
		{"both shapes", `{"year":2030,"years":[{"year":2031}]}`, []string{"years"}},
		{"missing year", `{"years":[{"days_off":["2030-01-01"]}]}`, []string{"years/0/year"}},
		{"year range", `{"year":1899}`, []string{"year"}},
		{"duplicate year", `{"years":[{"year":2030},{"year":2030}]}`, []string{"years/1/year"}},
		{"every date problem", `{"years":[{"year":2030},{"year":2031,
			"days_off":["2031-13-01","2030-01-02","2031-01-04","2031-01-02","2031-01-02"],
			"working_saturdays":["2031-01-06","2031-01-11","2031-01-02"]}]}`,
			[]string{"years/1/days_off/0", "years/1/days_off/1", "years/1/days_off/2", "years/1/days_off/4",
				"years/1/working_saturdays/0", "years/1/working_saturdays/2"}},
	}
	for _, tt := range tests {
		_, err := ParseTable([]byte(tt.json))
		var v *domain.ValidationError
		if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &v) {
			t.Errorf("%s: error = %v, want a ValidationError", tt.name, err)
			continue
		}
		var got []string
		for _, p := range v.Problems {
			got = append(got, p.Field)
		}
		if !slices.Equal(got, tt.fields) {
			t.Errorf("%s: problems on %v, want %v (%v)", tt.name, got, tt.fields, err)
		}
	}
}

func TestParseTableShapes(t *testing.T) {
	t.Parallel()
	single := `{"year":2030,"days_off":["2030-01-02","2030-01-01"],"working_saturdays":["2030-01-12"]}`
	multi := `{"years":[` + single + `,{"year":2031}]}`
	ts, err := ParseTable([]byte(single))
	if err != nil || len(ts) != 1 || ts[0].Year != 2030 ||
		!slices.Equal(ts[0].DaysOff, []domain.Date{date("2030-01-01"), date("2030-01-02")}) ||
		!slices.Equal(ts[0].WorkingSaturdays, []domain.Date{date("2030-01-12")}) {
		t.Errorf("ParseTable(single) = %+v, %v", ts, err)
	}
	ts, err = ParseTable([]byte(multi))
	if err != nil || len(ts) != 2 || ts[1].Year != 2031 || len(ts[1].DaysOff) != 0 {
		t.Errorf("ParseTable(multi) = %+v, %v", ts, err)
	}
}

// The CLI's JSON output of a year is a valid table: a user can print a year,
// edit it, and feed it back.
func TestYearJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, y := range []int{2026, 2027} {
		yt, err := Official().Year(y)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(yt)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := ParseCalendar(b)
		if err != nil {
			t.Fatalf("ParseCalendar(%s): %v", b, err)
		}
		back, err := cal.Year(y)
		if err != nil || !slices.Equal(back.DaysOff, yt.DaysOff) || !slices.Equal(back.WorkingSaturdays, yt.WorkingSaturdays) {
			t.Errorf("round trip of %d = %+v, %v, want %+v", y, back, err, yt)
		}
	}
	b, _ := json.Marshal(YearTable{Year: 2030})
	if want := `{"year":2030,"days_off":[],"working_saturdays":[]}`; string(b) != want {
		t.Errorf("Marshal(empty year) = %s, want %s", b, want)
	}
}

func TestParseCalendarOverrides(t *testing.T) {
	t.Parallel()
	// A province that also closed on 3 March 2026 and worked no Saturdays.
	cal, err := ParseCalendar([]byte(`{"year":2026,"days_off":["2026-01-01","2026-03-03"],"working_saturdays":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		d    string
		want bool
	}{
		{"2026-03-03", false}, {"2026-01-02", true}, {"2026-01-10", false}, {"2026-02-17", true},
		{"2025-01-27", false}, // other years keep the official table
	}
	for _, c := range checks {
		if got, err := cal.IsWorkingDay(date(c.d)); err != nil || got != c.want {
			t.Errorf("IsWorkingDay(%s) = %v, %v, want %v", c.d, got, err, c.want)
		}
	}
	// The official calendar is untouched.
	if ok, _ := Official().IsWorkingDay(date("2026-03-03")); !ok {
		t.Error("ParseCalendar changed the official calendar")
	}
}

func TestFuzzSeedsCommitted(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseTable", "*"))
	if err != nil || len(files) < 3 {
		t.Fatalf("want committed seeds in testdata/fuzz/FuzzParseTable, got %v, %v", files, err)
	}
}

func FuzzParseTable(f *testing.F) {
	f.Add(officialJSON)
	f.Add([]byte(`{"year":2030,"days_off":["2030-01-01"],"working_saturdays":["2030-01-12"]}`))
	if b, err := os.ReadFile(filepath.Join("testdata", "sample-table-2027.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := ParseTable(b)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		// What parses, re-encodes to an equivalent table.
		again, err := json.Marshal(struct {
			Years []YearTable `json:"years"`
		}{ts})
		if err != nil {
			t.Fatal(err)
		}
		ts2, err := ParseTable(again)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", again, err)
		}
		b1, _ := json.Marshal(ts)
		b2, _ := json.Marshal(ts2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the table: %s → %s", b1, b2)
		}
		cal, err := New(ts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, yt := range ts {
			for _, d := range yt.DaysOff {
				if ok, err := cal.IsWorkingDay(d); err != nil || ok {
					t.Fatalf("IsWorkingDay(%s) = %v, %v on a listed day off", d, ok, err)
				}
			}
		}
	})
}
