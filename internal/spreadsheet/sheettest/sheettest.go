// Package sheettest reads workbooks back for tests, as a person checking
// them in Excel would: merged ranges, numbered lines, fonts, and every SUM
// formula recomputed from the cells it covers.
package sheettest

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/internal/spreadsheet"
)

// MergedRanges lists the sheet's merged ranges as "A1:B2".
func MergedRanges(t testing.TB, f *excelize.File, sheet string) []string {
	t.Helper()
	ms, err := f.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	return out
}

// DataLines is the row numbers of the numbered lines: column A holding 1,
// 2, … in order (a header's "STT" and "(1)" are not numbers).
func DataLines(t testing.TB, f *excelize.File, sheet string) []int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for i, r := range rows {
		if len(r) > 0 && r[0] == strconv.Itoa(len(out)+1) {
			out = append(out, i+1)
		}
	}
	return out
}

var sumFormula = regexp.MustCompile(`^SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)$`)

// CheckSums finds every formula of the sheet, checks it is a SUM of its
// own column, recomputes it from the cells it covers and compares with the
// value cached in the file (what a reader shows before recalculating). It
// returns the totals by column letter.
func CheckSums(t testing.TB, f *excelize.File, sheet string) map[string]int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for i, r := range rows {
		for j := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			formula, err := f.GetCellFormula(sheet, cell)
			if err != nil || formula == "" {
				continue
			}
			m := sumFormula.FindStringSubmatch(formula)
			col, _ := excelize.ColumnNumberToName(j + 1)
			if m == nil || m[1] != col || m[3] != col {
				t.Errorf("%s: formula %q is not a SUM of its own column", cell, formula)
				continue
			}
			from, _ := strconv.Atoi(m[2])
			to, _ := strconv.Atoi(m[4])
			sum := 0
			for row := from; row <= to; row++ {
				v, _ := f.GetCellValue(sheet, col+strconv.Itoa(row))
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Errorf("%s%d = %q, summed by %s, is not a number", col, row, v, cell)
				}
				sum += n
			}
			if cached, _ := f.GetCellValue(sheet, cell); cached != strconv.Itoa(sum) {
				t.Errorf("%s = %s cached, the cells sum to %d", cell, cached, sum)
			}
			out[col] = sum
		}
	}
	return out
}

// CheckFont fails the test unless cell is set in spreadsheet.Font.
func CheckFont(t testing.TB, f *excelize.File, sheet, cell string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil || s.Font == nil || s.Font.Family != spreadsheet.Font {
		t.Errorf("%s's font = %+v (%v), want %s", cell, s, err, spreadsheet.Font)
	}
}
