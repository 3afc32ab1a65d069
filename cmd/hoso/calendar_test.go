package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCalendar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	custom := filepath.Join(dir, "2026.json")
	if err := os.WriteFile(custom, []byte(`{"year":2026,"days_off":["2026-01-01","2026-03-03"],"working_saturdays":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"year":2026,"days_off":["2026-01-03"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // exact, when code is 0
		stderr string // substring, when code is not 0
	}{
		{"year json", []string{"2026", "--json"}, 0,
			`{"year":2026,"days_off":["2026-01-01","2026-01-02","2026-02-16","2026-02-17","2026-02-18","2026-02-19","2026-02-20","2026-04-27","2026-04-30","2026-05-01","2026-08-31","2026-09-01","2026-09-02"],"working_saturdays":["2026-01-10","2026-08-22"]}` + "\n", ""},
		{"flag first", []string{"--json", "2024"}, 0,
			`{"year":2024,"days_off":["2024-01-01","2024-02-08","2024-02-09","2024-02-12","2024-02-13","2024-02-14","2024-04-18","2024-04-29","2024-04-30","2024-05-01","2024-09-02","2024-09-03"],"working_saturdays":["2024-05-04"]}` + "\n", ""},
		{"year text", []string{"2025"}, 0, "Ngày nghỉ năm 2025 (theo bảng công bố):\n" +
			"01/01/2025 Thứ Tư\n27/01/2025 Thứ Hai\n28/01/2025 Thứ Ba\n29/01/2025 Thứ Tư\n30/01/2025 Thứ Năm\n31/01/2025 Thứ Sáu\n" +
			"07/04/2025 Thứ Hai\n30/04/2025 Thứ Tư\n01/05/2025 Thứ Năm\n02/05/2025 Thứ Sáu\n01/09/2025 Thứ Hai\n02/09/2025 Thứ Ba\n" +
			"Thứ Bảy làm việc năm 2025:\n26/04/2025 Thứ Bảy\n", ""},
		{"computed year json", []string{"2027", "--json"}, 0,
			`{"year":2027,"days_off":["2027-01-01","2027-02-05","2027-02-08","2027-02-09","2027-02-10","2027-02-11","2027-04-16","2027-04-30","2027-05-03","2027-09-02","2027-09-03"],"working_saturdays":[]}` + "\n", ""},
		{"custom table", []string{"2026", "--json", "--table", custom}, 0,
			`{"year":2026,"days_off":["2026-01-01","2026-03-03"],"working_saturdays":[]}` + "\n", ""},
		{"custom table with =", []string{"2026", "--table=" + custom, "--json"}, 0,
			`{"year":2026,"days_off":["2026-01-01","2026-03-03"],"working_saturdays":[]}` + "\n", ""},
		{"add workdays", []string{"add", "2026-02-12", "5", "--workdays"}, 0, "2026-02-26\n", ""},
		{"add workdays backwards", []string{"add", "2026-02-23", "-1", "--workdays"}, 0, "2026-02-13\n", ""},
		{"add days", []string{"add", "2026-02-06", "10", "--days"}, 0, "2026-02-23\n", ""},
		{"add with custom table", []string{"add", "2026-03-02", "1", "--workdays", "--table", custom}, 0, "2026-03-04\n", ""},
		{"lunar", []string{"lunar", "2026-02-17"}, 0, "1/1/2026 âm lịch (năm Bính Ngọ)\n", ""},
		{"lunar leap", []string{"lunar", "2025-07-25"}, 0, "1/6 nhuận/2025 âm lịch (năm Ất Tỵ)\n", ""},
		{"lunar json", []string{"lunar", "2026-02-17", "--json"}, 0, `{"day":1,"month":1,"year":2026,"leap":false}` + "\n", ""},
		{"lunar json leap", []string{"lunar", "--json", "2025-08-22"}, 0, `{"day":29,"month":6,"year":2025,"leap":true}` + "\n", ""},
		{"lunar after the leap month", []string{"lunar", "2025-09-06"}, 0, "15/7/2025 âm lịch (năm Ất Tỵ)\n", ""},
		{"solar", []string{"solar", "10", "3", "2026"}, 0, "2026-04-26\n", ""},
		{"solar leap", []string{"solar", "1", "6", "2025", "--leap"}, 0, "2025-07-25\n", ""},
		{"help", []string{"--help"}, 0, calendarUsage + "\n", ""},

		{"no args", nil, 2, "", "missing YEAR"},
		{"bad year", []string{"twenty"}, 2, "", "neither a year nor a subcommand"},
		{"year range", []string{"1800"}, 2, "", "outside 1900–2200"},
		{"year without table or computation", []string{"2150"}, 2, "", "2150"},
		{"two years", []string{"2025", "2026"}, 2, "", "exactly one YEAR"},
		{"unknown flag", []string{"2026", "--yaml"}, 2, "", "unknown flag --yaml"},
		{"flag for another subcommand", []string{"2026", "--leap"}, 2, "", "unknown flag --leap"},
		{"missing table", []string{"2026", "--table", filepath.Join(dir, "nope.json")}, 2, "", "--table"},
		{"table without value", []string{"2026", "--table"}, 2, "", "needs a value"},
		{"invalid table", []string{"2026", "--table", broken}, 2, "", "days_off/0"},
		{"add without unit", []string{"add", "2026-02-12", "5"}, 2, "", "exactly one of --workdays or --days"},
		{"add with both units", []string{"add", "2026-02-12", "5", "--days", "--workdays"}, 2, "", "exactly one of"},
		{"add bad date", []string{"add", "12/02/2026", "5", "--days"}, 2, "", "not a date"},
		{"add bad n", []string{"add", "2026-02-12", "five", "--days"}, 2, "", "not a whole number"},
		{"add negative days", []string{"add", "2026-02-12", "-5", "--days"}, 2, "", "n: range"},
		{"lunar out of range", []string{"lunar", "2150-01-01"}, 2, "", "1900-01-01 to 2100-12-31"},
		{"lunar missing date", []string{"lunar"}, 2, "", "one DATE"},
		{"solar no leap month", []string{"solar", "1", "6", "2026", "--leap"}, 2, "", "no leap month 6"},
		{"solar day 31", []string{"solar", "31", "1", "2026"}, 2, "", "day: range"},
		{"solar not a number", []string{"solar", "x", "1", "2026"}, 2, "", "DAY"},
		{"duplicate flag", []string{"2026", "--json", "--json"}, 2, "", "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := runCalendar(tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("runCalendar(%q) = %d, want %d; stdout %q, stderr %q", tt.args, code, tt.code, out.String(), errb.String())
			}
			if tt.code == 0 {
				if out.String() != tt.stdout || errb.Len() != 0 {
					t.Errorf("runCalendar(%q) stdout = %q, stderr %q, want stdout %q", tt.args, out.String(), errb.String(), tt.stdout)
				}
				return
			}
			if out.Len() != 0 {
				t.Errorf("runCalendar(%q) wrote %q to stdout on error", tt.args, out.String())
			}
			first, _, _ := strings.Cut(errb.String(), "\n")
			if !strings.HasPrefix(first, "hoso calendar: ") || !strings.Contains(first, tt.stderr) {
				t.Errorf("runCalendar(%q) stderr first line = %q, want one line containing %q", tt.args, first, tt.stderr)
			}
		})
	}
}
