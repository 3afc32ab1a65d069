package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

const calendarUsage = `usage:
  hoso calendar YEAR [--json] [--table FILE]        days off and Saturdays worked
  hoso calendar add DATE N --workdays|--days [--table FILE]
                                                    deadline N working/calendar days after DATE
  hoso calendar lunar DATE [--json]                 lunar date of DATE (YYYY-MM-DD)
  hoso calendar solar DAY MONTH YEAR [--leap]       solar date of a lunar date`

// usageError is bad input: one line on stderr, exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func badf(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// runCalendar runs `hoso calendar ARGS`. It needs no configuration or
// database: the calendar is pure, and a --table file is the only input read.
func runCalendar(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, calendarUsage)
		return 0
	}
	err := calendarCommand(args, stdout)
	if err == nil {
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintln(stderr, "hoso calendar: "+msg)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, domain.ErrInvalid) {
		if len(args) == 0 {
			fmt.Fprintln(stderr, calendarUsage)
		}
		return 2
	}
	return 1
}

// calendarArgs separates positional arguments from flags, so flags may come
// anywhere ("hoso calendar 2026 --json"); "-3" is a number, not a flag.
type calendarArgs struct {
	pos   []string
	flags map[string]string // name → value ("" for booleans)
}

func parseCalendarArgs(args []string, boolFlags, valueFlags []string) (calendarArgs, error) {
	out := calendarArgs{flags: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			out.pos = append(out.pos, a)
			continue
		}
		if _, err := strconv.Atoi(a); err == nil {
			out.pos = append(out.pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case contains(boolFlags, name):
			if hasValue {
				return out, badf("flag --%s takes no value", name)
			}
		case contains(valueFlags, name):
			if !hasValue {
				if i+1 >= len(args) {
					return out, badf("flag --%s needs a value", name)
				}
				i++
				value = args[i]
			}
			if value == "" {
				return out, badf("flag --%s needs a value", name)
			}
		default:
			return out, badf("unknown flag %s", a)
		}
		if _, dup := out.flags[name]; dup {
			return out, badf("flag --%s given twice", name)
		}
		out.flags[name] = value
	}
	return out, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (a calendarArgs) has(name string) bool { _, ok := a.flags[name]; return ok }

func calendarCommand(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badf("missing YEAR or subcommand (add, lunar, solar)")
	}
	switch args[0] {
	case "add":
		return calendarAdd(args[1:], stdout)
	case "lunar":
		return calendarLunar(args[1:], stdout)
	case "solar":
		return calendarSolar(args[1:], stdout)
	default:
		return calendarYear(args, stdout)
	}
}

// loadCalendar is the official calendar, or the official one overridden by
// the --table file.
func loadCalendar(a calendarArgs) (*calendar.Calendar, error) {
	path, ok := a.flags["table"]
	if !ok {
		return calendar.Official(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, badf("--table: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, badf("--table: %v", err)
	}
	cal, err := calendar.ParseCalendar(b)
	if err != nil {
		return nil, fmt.Errorf("--table %s: %w", path, err)
	}
	return cal, nil
}

func calendarYear(args []string, stdout io.Writer) error {
	a, err := parseCalendarArgs(args, []string{"json"}, []string{"table"})
	if err != nil {
		return err
	}
	if len(a.pos) != 1 {
		return badf("want exactly one YEAR, got %d arguments", len(a.pos))
	}
	year, err := strconv.Atoi(a.pos[0])
	if err != nil {
		return badf("%q is neither a year nor a subcommand (add, lunar, solar)", a.pos[0])
	}
	if year < 1900 || year > 2200 {
		return badf("year %d is outside 1900–2200", year)
	}
	cal, err := loadCalendar(a)
	if err != nil {
		return err
	}
	t, err := cal.Year(year)
	if err != nil {
		return err
	}
	if a.has("json") {
		return writeJSON(stdout, t)
	}
	var b strings.Builder
	origin := "theo Bộ luật Lao động 2019, chưa có bảng công bố"
	if cal.HasTable(year) {
		origin = "theo bảng công bố"
	}
	fmt.Fprintf(&b, "Ngày nghỉ năm %d (%s):\n", year, origin)
	for _, d := range t.DaysOff {
		fmt.Fprintf(&b, "%s %s\n", d.Vietnamese(), weekdayVI(d.Weekday()))
	}
	fmt.Fprintf(&b, "Thứ Bảy làm việc năm %d:\n", year)
	if len(t.WorkingSaturdays) == 0 {
		b.WriteString("(không có)\n")
	}
	for _, d := range t.WorkingSaturdays {
		fmt.Fprintf(&b, "%s %s\n", d.Vietnamese(), weekdayVI(d.Weekday()))
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func weekdayVI(w time.Weekday) string {
	return [...]string{"Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}[w]
}

func calendarAdd(args []string, stdout io.Writer) error {
	a, err := parseCalendarArgs(args, []string{"workdays", "days"}, []string{"table"})
	if err != nil {
		return err
	}
	if len(a.pos) != 2 {
		return badf("add wants DATE N, got %d arguments", len(a.pos))
	}
	if a.has("workdays") == a.has("days") {
		return badf("add wants exactly one of --workdays or --days")
	}
	d, err := domain.ParseDate(a.pos[0])
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(a.pos[1])
	if err != nil {
		return badf("%q is not a whole number of days", a.pos[1])
	}
	cal, err := loadCalendar(a)
	if err != nil {
		return err
	}
	var due domain.Date
	if a.has("workdays") {
		due, err = cal.AddWorkingDays(d, n)
	} else {
		due, err = cal.AddDays(d, n)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, due)
	return err
}

func calendarLunar(args []string, stdout io.Writer) error {
	a, err := parseCalendarArgs(args, []string{"json"}, nil)
	if err != nil {
		return err
	}
	if len(a.pos) != 1 {
		return badf("lunar wants one DATE (YYYY-MM-DD), got %d arguments", len(a.pos))
	}
	d, err := domain.ParseDate(a.pos[0])
	if err != nil {
		return err
	}
	l, err := calendar.SolarToLunar(d)
	if err != nil {
		return err
	}
	if a.has("json") {
		return writeJSON(stdout, l)
	}
	_, err = fmt.Fprintf(stdout, "%s âm lịch (năm %s)\n", l, calendar.YearName(l.Year))
	return err
}

func calendarSolar(args []string, stdout io.Writer) error {
	a, err := parseCalendarArgs(args, []string{"leap"}, nil)
	if err != nil {
		return err
	}
	if len(a.pos) != 3 {
		return badf("solar wants DAY MONTH YEAR, got %d arguments", len(a.pos))
	}
	var n [3]int
	for i, name := range []string{"DAY", "MONTH", "YEAR"} {
		if n[i], err = strconv.Atoi(a.pos[i]); err != nil {
			return badf("%s %q is not a number", name, a.pos[i])
		}
	}
	d, err := calendar.LunarToSolar(n[0], n[1], n[2], a.has("leap"))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, d)
	return err
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
