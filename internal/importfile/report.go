package importfile

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Problem is one reason a row cannot be imported. It names where (sheet,
// row, column, cell) and why, never the cell's value: problems are stored
// with an import's status, and values may be personal data.
type Problem struct {
	Sheet  string `json:"sheet"`            // Sheet.Key
	Row    int    `json:"row"`              // row number in the sheet (header = 1); 1 for a header problem
	Column string `json:"column,omitempty"` // Column.Key; "" for the whole row
	Cell   string `json:"cell,omitempty"`   // "C12", when the file has the column
	Code   string `json:"code"`             // stable rule name: required, format, catalogue, duplicate_in_file, personal_id_taken…
	Reason string `json:"reason"`           // in Vietnamese
}

// Report is the outcome of checking a file.
type Report struct {
	FileSHA256  string    `json:"file_sha256"`
	Rows        int       `json:"rows"`         // data rows read, all sheets
	InvalidRows int       `json:"invalid_rows"` // rows with at least one problem (or whose person's identity row has one)
	Problems    []Problem `json:"problems"`
	// Values holds the cells of rows with problems, keyed "sheet/row", when
	// the caller asked to keep them for a local report; never serialized.
	Values map[string][]string `json:"-"`
}

// ValuesKey is the key of Report.Values for a sheet's row.
func ValuesKey(sheet string, row int) string { return fmt.Sprintf("%s/%d", sheet, row) }

// Sort orders problems by sheet (workbook order), row and column.
func (r *Report) Sort() {
	order := map[string]int{}
	for i, s := range Sheets {
		order[s.Key] = i
	}
	slices.SortStableFunc(r.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(order[a.Sheet], order[b.Sheet]), cmp.Compare(a.Row, b.Row))
	})
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteXLSX writes the error report as a workbook: for each sheet with
// problems, its rows with problems under the template's headers, the
// original row number first, the bad cells filled red and a last column of
// reasons in Vietnamese. Cell values are shown when the report kept them
// (Values); a report read back from storage has none, and shows the
// positions and reasons only.
func (r *Report) WriteXLSX(w io.Writer) error {
	r.Sort()
	f := excelize.NewFile()
	defer f.Close()
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: "Times New Roman"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	bad, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Family: "Times New Roman"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FF9999"}}})
	if err != nil {
		return err
	}
	plain, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Family: "Times New Roman"}})
	if err != nil {
		return err
	}
	first := true
	summary := [][]any{{"Tệp (SHA-256)", r.FileSHA256}, {"Số dòng đã đọc", r.Rows}, {"Số dòng lỗi", r.InvalidRows}, {"Số lỗi", len(r.Problems)}}
	for _, s := range Sheets {
		probs := slices.DeleteFunc(slices.Clone(r.Problems), func(p Problem) bool { return p.Sheet != s.Key })
		if len(probs) == 0 {
			continue
		}
		if first {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return err
			}
			first = false
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(s.Name)
		if err != nil {
			return err
		}
		if err := sw.SetColWidth(len(s.Columns)+2, len(s.Columns)+2, 80); err != nil {
			return err
		}
		hdr := []any{excelize.Cell{StyleID: head, Value: "Dòng"}}
		for _, c := range s.Columns {
			hdr = append(hdr, excelize.Cell{StyleID: head, Value: c.Header})
		}
		hdr = append(hdr, excelize.Cell{StyleID: head, Value: "Lý do"})
		if err := sw.SetRow("A1", hdr); err != nil {
			return err
		}
		out := 2
		for i := 0; i < len(probs); {
			j := i
			for j < len(probs) && probs[j].Row == probs[i].Row {
				j++
			}
			row := probs[i:j]
			vals := r.Values[ValuesKey(s.Key, row[0].Row)]
			cells := []any{excelize.Cell{StyleID: plain, Value: row[0].Row}}
			var reasons []string
			for ci, c := range s.Columns {
				style := plain
				if slices.ContainsFunc(row, func(p Problem) bool { return p.Column == c.Key }) {
					style = bad
				}
				v := ""
				if ci < len(vals) {
					v = vals[ci]
				}
				cells = append(cells, excelize.Cell{StyleID: style, Value: v})
			}
			for _, p := range row {
				where := "dòng"
				if ci := s.Index(p.Column); ci >= 0 {
					where = s.Columns[ci].Header
				}
				reasons = append(reasons, where+": "+p.Reason)
			}
			cells = append(cells, excelize.Cell{StyleID: plain, Value: strings.Join(reasons, "; ")})
			if err := sw.SetRow(fmt.Sprintf("A%d", out), cells); err != nil {
				return err
			}
			out++
			i = j
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	const sum = "Tóm tắt"
	if first {
		if err := f.SetSheetName("Sheet1", sum); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(sum); err != nil {
		return err
	}
	for i, line := range summary {
		if err := f.SetSheetRow(sum, fmt.Sprintf("A%d", i+1), &line); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}
