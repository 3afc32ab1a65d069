package spreadsheet_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/internal/spreadsheet"
	"github.com/hoso-ledger/hoso/internal/spreadsheet/sheettest"
)

func TestWriteReadsBack(t *testing.T) {
	t.Parallel()
	r := spreadsheet.Report{
		Sheet: "BM02", Issuer: "SỞ NỘI VỤ TỈNH PHÚ THỌ", Form: "Biểu số 02",
		Title: "BÁO CÁO SỐ LƯỢNG, CHẤT LƯỢNG", Subtitle: "(Tính đến ngày 07/12/2026)",
		Columns: []spreadsheet.Column{{Width: 30}, {Kind: spreadsheet.Int, Sum: true}, {Kind: spreadsheet.Int, Sum: true}, {Kind: spreadsheet.Date}, {Kind: spreadsheet.Instant}},
		Header: []spreadsheet.HeaderCell{
			{Row: 0, Col: 0, Rows: 2, Text: "Tên đơn vị"},
			{Row: 0, Col: 1, Cols: 2, Text: "Số lượng"},
			{Row: 1, Col: 1, Text: "Nam"}, {Row: 1, Col: 2, Text: "Nữ"},
			{Row: 0, Col: 3, Rows: 2, Text: "Ngày"}, {Row: 0, Col: 4, Rows: 2, Text: "Lúc"},
		},
		HeaderRows: 2, NumberRow: true, TotalLabel: "Tổng cộng", Footer: []string{"Ghi chú: thử"},
		DateLine:   "Việt Trì, ngày 07 tháng 12 năm 2026",
		Signatures: []spreadsheet.Signature{{Title: "NGƯỜI LẬP BIỂU", Note: "(Ký, ghi rõ họ tên)"}, {Title: "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", Note: "(Ký tên, đóng dấu)"}},
	}
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC) // 08:02:03 in Vietnam
	rows := [][]any{
		{"Sở Y tế", 3, 4, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), at},
		{"Sở Nội vụ", 10, 0, nil, nil},
	}
	var buf bytes.Buffer
	lay, err := spreadsheet.Write(&buf, r, slices.Values(rows))
	if err != nil {
		t.Fatal(err)
	}
	if want := (spreadsheet.Layout{FirstData: 8, LastData: 9, Total: 10}); lay != want {
		t.Fatalf("layout = %+v, want %+v", lay, want)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells := []struct{ cell, want string }{
		{"A1", "SỞ NỘI VỤ TỈNH PHÚ THỌ"}, {"C1", "Biểu số 02"},
		{"A2", "BÁO CÁO SỐ LƯỢNG, CHẤT LƯỢNG"}, {"A3", "(Tính đến ngày 07/12/2026)"},
		{"A5", "Tên đơn vị"}, {"B5", "Số lượng"}, {"B6", "Nam"}, {"C6", "Nữ"}, {"A7", "(1)"}, {"E7", "(5)"},
		{"A8", "Sở Y tế"}, {"B8", "3"}, {"D8", "05/01/2026"}, {"E8", "07/12/2026 08:02:03"}, {"D9", ""},
		{"A10", "Tổng cộng"}, {"B10", "13"}, {"C10", "4"}, {"A12", "Ghi chú: thử"},
		{"C14", "Việt Trì, ngày 07 tháng 12 năm 2026"}, {"A14", ""}, {"A15", "NGƯỜI LẬP BIỂU"}, {"C15", "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ"},
		{"A16", "(Ký, ghi rõ họ tên)"}, {"C16", "(Ký tên, đóng dấu)"},
	}
	for _, c := range cells {
		if got, err := f.GetCellValue("BM02", c.cell); err != nil || got != c.want {
			t.Errorf("%s = %q (%v), want %q", c.cell, got, err, c.want)
		}
	}
	merges := sheettest.MergedRanges(t, f, "BM02")
	for _, m := range []string{"A1:B1", "C1:E1", "A2:E2", "A5:A6", "B5:C5", "D5:D6", "E5:E6", "A12:E12", "C14:E14", "A15:B15", "C15:E15", "A16:B16", "C16:E16"} {
		if !slices.Contains(merges, m) {
			t.Errorf("merged ranges %v lack %s", merges, m)
		}
	}
	for cell, want := range map[string]string{"B10": "SUM(B8:B9)", "C10": "SUM(C8:C9)", "A10": ""} {
		if got, _ := f.GetCellFormula("BM02", cell); got != want {
			t.Errorf("formula %s = %q, want %q", cell, got, want)
		}
	}
	sheettest.CheckFont(t, f, "BM02", "A8")
	if sums := sheettest.CheckSums(t, f, "BM02"); sums["B"] != 13 || sums["C"] != 4 {
		t.Errorf("sums = %v, want B 13, C 4", sums)
	}
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	cols := []spreadsheet.Column{{}, {Kind: spreadsheet.Int}}
	cases := []struct {
		name string
		r    spreadsheet.Report
		rows [][]any
	}{
		{"no columns", spreadsheet.Report{}, nil},
		{"short row", spreadsheet.Report{Columns: cols}, [][]any{{"a"}}},
		{"text in a number column", spreadsheet.Report{Columns: cols}, [][]any{{"a", "b"}}},
		{"header outside", spreadsheet.Report{Columns: cols, HeaderRows: 1, Header: []spreadsheet.HeaderCell{{Col: 1, Cols: 2, Text: "x"}}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if _, err := spreadsheet.Write(&buf, c.r, slices.Values(c.rows)); err == nil {
				t.Fatal("Write succeeded")
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written on error", buf.Len())
			}
		})
	}
}
