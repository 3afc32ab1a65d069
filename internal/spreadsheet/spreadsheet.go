// Package spreadsheet writes hoso's reports as .xlsx workbooks in the
// layout of Vietnamese administrative forms: the issuing org and the form
// number above a centred title and date, a multi-row header with merged
// cells, numbered columns, the rows, and a total row whose sums are Excel
// formulas with their values cached, all in Times New Roman.
//
// Rows go through excelize's StreamWriter, which spills to a temporary
// file past a threshold, so a report of any length is written in bounded
// memory. Write builds the whole workbook before it returns: a caller that
// writes into a buffer sends nothing when an error occurs.
package spreadsheet

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/xuri/excelize/v2"
)

// MediaType is the media type of an .xlsx workbook.
const MediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Font is the typeface of every cell: the one Vietnamese administrative
// documents are set in (Decree 30/2020 on official documents).
const Font = "Times New Roman"

// Kind is how a column's values are written.
type Kind uint8

const (
	// Text cells hold strings.
	Text Kind = iota
	// Int cells hold whole numbers (int).
	Int
	// Date cells hold a calendar date (a time.Time whose year, month and
	// day are the date), shown dd/mm/yyyy.
	Date
	// Instant cells hold a moment (time.Time), shown in Vietnam's time
	// (Asia/Ho_Chi_Minh) as dd/mm/yyyy hh:mm:ss.
	Instant
)

// Column describes one column.
type Column struct {
	Width float64
	Kind  Kind
	// Sum asks for this column's total, =SUM over the data rows, in the
	// total row (Int columns only).
	Sum bool
}

// HeaderCell is one cell of the header block, which may span rows and
// columns: Row and Col count from 0 at the block's top-left cell; Rows and
// Cols are the span (0 is read as 1).
type HeaderCell struct {
	Row, Col, Rows, Cols int
	Text                 string
}

// Report is one worksheet's layout.
type Report struct {
	// Sheet is the worksheet's name (at most 31 characters).
	Sheet string
	// Issuer is the org line at the top left; Form the form's number at
	// the top right ("Biểu số 02"); either may be empty.
	Issuer, Form string
	// Title and Subtitle are centred over the table (Subtitle typically
	// the date the figures hold on).
	Title, Subtitle string
	Columns         []Column
	// Header is the header block, HeaderRows rows tall.
	Header     []HeaderCell
	HeaderRows int
	// NumberRow adds under the header the row of column numbers (1), (2),
	// … that official forms carry.
	NumberRow bool
	// TotalLabel, when set, adds after the data a total row with this
	// label in the first column and the sums of the Sum columns.
	TotalLabel string
	// Footer lines are written under the table, one per row.
	Footer []string
	// DateLine ("…, ngày 07 tháng 12 năm 2026") and Signatures close an
	// official form: the signature blocks side by side across the table's
	// width, the date line over the last one.
	DateLine   string
	Signatures []Signature
}

// Signature is one signature block: the signer's title (bold) and, under
// it, what the signature must carry ("(Ký tên, đóng dấu)", italic).
type Signature struct{ Title, Note string }

// Layout is where Write put things, for callers and tests: 1-based row
// numbers of the first data row, the last data row (FirstData-1 when there
// is none) and the total row (0 when there is none).
type Layout struct {
	FirstData, LastData, Total int
}

// Write writes r with rows (one []any per data row, one value per column:
// string, int, time.Time or nil for an empty cell) as an .xlsx workbook to
// w. It returns an error, having written nothing to w, when a row does not
// fit the columns or the layout is invalid.
func Write(w io.Writer, r Report, rows iter.Seq[[]any]) (Layout, error) {
	if len(r.Columns) == 0 {
		return Layout{}, errors.New("spreadsheet: no columns")
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := r.Sheet
	if sheet == "" {
		sheet = "Báo cáo"
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return Layout{}, fmt.Errorf("spreadsheet: sheet name: %w", err)
	}
	if err := f.SetDefaultFont(Font); err != nil {
		return Layout{}, fmt.Errorf("spreadsheet: font: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return Layout{}, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return Layout{}, fmt.Errorf("spreadsheet: %w", err)
	}
	for i, c := range r.Columns {
		if c.Width > 0 {
			if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
				return Layout{}, fmt.Errorf("spreadsheet: width: %w", err)
			}
		}
	}
	wr := &writer{sw: sw, cols: len(r.Columns)}
	half := max(1, len(r.Columns)/2)

	// Issuer and form on one line, each over half the width.
	if r.Issuer != "" || r.Form != "" {
		row := make([]any, len(r.Columns))
		row[0] = excelize.Cell{StyleID: st.issuer, Value: r.Issuer}
		if half < len(r.Columns) {
			row[half] = excelize.Cell{StyleID: st.form, Value: r.Form}
		}
		wr.merge(1, 1, half, 1)
		if half < len(r.Columns) {
			wr.merge(half+1, 1, len(r.Columns)-half, 1)
		}
		wr.add(row, 0)
	}
	for _, t := range []struct {
		text  string
		style int
		h     float64
	}{{r.Title, st.title, 36}, {r.Subtitle, st.subtitle, 0}} {
		if t.text == "" {
			continue
		}
		wr.merge(1, wr.next, len(r.Columns), 1)
		wr.add([]any{excelize.Cell{StyleID: t.style, Value: t.text}}, t.h)
	}
	wr.add(nil, 0) // a blank line before the table

	// The header block: every cell of the block gets the header style (so
	// merged areas keep their borders), the text in each span's top-left.
	if r.HeaderRows > 0 {
		block := make([][]any, r.HeaderRows)
		for i := range block {
			block[i] = make([]any, len(r.Columns))
			for j := range block[i] {
				block[i][j] = excelize.Cell{StyleID: st.header}
			}
		}
		top := wr.next
		for _, h := range r.Header {
			rows, cols := max(h.Rows, 1), max(h.Cols, 1)
			if h.Row < 0 || h.Col < 0 || h.Row+rows > r.HeaderRows || h.Col+cols > len(r.Columns) {
				return Layout{}, fmt.Errorf("spreadsheet: header cell %q outside the block", h.Text)
			}
			block[h.Row][h.Col] = excelize.Cell{StyleID: st.header, Value: h.Text}
			if rows > 1 || cols > 1 {
				wr.merge(h.Col+1, top+h.Row, cols, rows)
			}
		}
		for _, row := range block {
			wr.add(row, 0)
		}
	}
	if r.NumberRow {
		row := make([]any, len(r.Columns))
		for i := range row {
			row[i] = excelize.Cell{StyleID: st.number, Value: fmt.Sprintf("(%d)", i+1)}
		}
		wr.add(row, 0)
	}

	lay := Layout{FirstData: wr.next}
	sums := make([]int, len(r.Columns))
	for values := range rows {
		if wr.err != nil {
			break
		}
		if len(values) != len(r.Columns) {
			return Layout{}, fmt.Errorf("spreadsheet: row %d has %d values for %d columns", wr.next, len(values), len(r.Columns))
		}
		row := make([]any, len(values))
		for i, v := range values {
			c, err := st.cell(r.Columns[i].Kind, v)
			if err != nil {
				return Layout{}, fmt.Errorf("spreadsheet: row %d column %d: %w", wr.next, i+1, err)
			}
			if n, ok := v.(int); ok && r.Columns[i].Sum {
				sums[i] += n
			}
			row[i] = c
		}
		wr.add(row, 0)
	}
	lay.LastData = wr.next - 1

	if r.TotalLabel != "" {
		row := make([]any, len(r.Columns))
		for i, c := range r.Columns {
			cell := excelize.Cell{StyleID: st.totalText}
			switch {
			case i == 0:
				cell.Value = r.TotalLabel
			case c.Sum:
				cell.StyleID = st.totalInt
				cell.Value = sums[i]
				if lay.LastData >= lay.FirstData {
					col := columnName(i + 1)
					cell.Formula = fmt.Sprintf("SUM(%s%d:%s%d)", col, lay.FirstData, col, lay.LastData)
				}
			}
			row[i] = cell
		}
		lay.Total = wr.next
		wr.add(row, 0)
	}
	if len(r.Footer) > 0 {
		wr.add(nil, 0)
	}
	for _, line := range r.Footer {
		wr.merge(1, wr.next, len(r.Columns), 1)
		wr.add([]any{excelize.Cell{StyleID: st.footer, Value: line}}, 0)
	}
	if n := len(r.Signatures); n > 0 && n <= len(r.Columns) {
		wr.add(nil, 0)
		// Block i spans columns from(i) … from(i+1)-1.
		from := func(i int) int { return i*len(r.Columns)/n + 1 }
		line := func(style int, text func(Signature) string, only int) {
			row := make([]any, len(r.Columns))
			for i, sig := range r.Signatures {
				if only >= 0 && i != only {
					continue
				}
				row[from(i)-1] = excelize.Cell{StyleID: style, Value: text(sig)}
				wr.merge(from(i), wr.next, from(i+1)-from(i), 1)
			}
			wr.add(row, 0)
		}
		if r.DateLine != "" {
			line(st.subtitle, func(Signature) string { return r.DateLine }, n-1)
		}
		line(st.issuer, func(s Signature) string { return s.Title }, -1)
		line(st.subtitle, func(s Signature) string { return s.Note }, -1)
	}
	if wr.err != nil {
		return Layout{}, fmt.Errorf("spreadsheet: %w", wr.err)
	}
	if err := sw.Flush(); err != nil {
		return Layout{}, fmt.Errorf("spreadsheet: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return Layout{}, fmt.Errorf("spreadsheet: %w", err)
	}
	return lay, nil
}

// writer appends rows in order (the StreamWriter's one rule) and keeps the
// first error.
type writer struct {
	sw   *excelize.StreamWriter
	cols int
	next int // the 1-based number of the next row
	err  error
}

func (w *writer) add(row []any, height float64) {
	if w.next == 0 {
		w.next = 1
	}
	if w.err == nil {
		var opts []excelize.RowOpts
		if height > 0 {
			opts = append(opts, excelize.RowOpts{Height: height})
		}
		if row == nil {
			row = []any{}
		}
		w.err = w.sw.SetRow(cellName(1, w.next), row, opts...)
	}
	w.next++
}

// merge merges cols × rows cells from (col, row), both 1-based; a row of 0
// is the next row to be written.
func (w *writer) merge(col, row, cols, rows int) {
	if w.next == 0 {
		w.next = 1
	}
	if row == 0 {
		row = w.next
	}
	if w.err == nil && (cols > 1 || rows > 1) {
		w.err = w.sw.MergeCell(cellName(col, row), cellName(col+cols-1, row+rows-1))
	}
}

func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil { // only for coordinates out of Excel's range, which Write never makes
		panic(err)
	}
	return name
}

// columnName is the letters of a 1-based column number.
func columnName(col int) string {
	name, err := excelize.ColumnNumberToName(col)
	if err != nil {
		panic(err)
	}
	return name
}

// vietnam is Asia/Ho_Chi_Minh: UTC+7 all year since 1975, so a fixed zone
// answers without the system's time-zone database.
var vietnam = time.FixedZone("ICT", 7*3600)

type styles struct {
	issuer, form, title, subtitle, header, number, text, integer, date, instant, totalText, totalInt, footer int
}

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	font := func(size float64, bold, italic bool) *excelize.Font {
		return &excelize.Font{Family: Font, Size: size, Bold: bold, Italic: italic}
	}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	dateFmt, instantFmt := "dd/mm/yyyy", "dd/mm/yyyy hh:mm:ss"
	var st styles
	defs := []struct {
		dst *int
		s   excelize.Style
	}{
		{&st.issuer, excelize.Style{Font: font(12, true, false), Alignment: center}},
		{&st.form, excelize.Style{Font: font(12, false, true), Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}}},
		{&st.title, excelize.Style{Font: font(14, true, false), Alignment: center}},
		{&st.subtitle, excelize.Style{Font: font(12, false, true), Alignment: center}},
		{&st.header, excelize.Style{Font: font(11, true, false), Alignment: center, Border: border}},
		{&st.number, excelize.Style{Font: font(10, false, true), Alignment: center, Border: border}},
		{&st.text, excelize.Style{Font: font(11, false, false), Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}, Border: border}},
		{&st.integer, excelize.Style{Font: font(11, false, false), Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "top"}, Border: border, NumFmt: 1}},
		{&st.date, excelize.Style{Font: font(11, false, false), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"}, Border: border, CustomNumFmt: &dateFmt}},
		{&st.instant, excelize.Style{Font: font(11, false, false), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"}, Border: border, CustomNumFmt: &instantFmt}},
		{&st.totalText, excelize.Style{Font: font(11, true, false), Alignment: center, Border: border}},
		{&st.totalInt, excelize.Style{Font: font(11, true, false), Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "top"}, Border: border, NumFmt: 1}},
		{&st.footer, excelize.Style{Font: font(11, false, true)}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.s)
		if err != nil {
			return styles{}, fmt.Errorf("spreadsheet: style: %w", err)
		}
		*d.dst = id
	}
	return st, nil
}

// cell turns one value into a styled cell of its column's kind.
func (st styles) cell(k Kind, v any) (excelize.Cell, error) {
	if v == nil {
		return excelize.Cell{StyleID: st.text}, nil
	}
	switch k {
	case Text:
		s, ok := v.(string)
		if !ok {
			return excelize.Cell{}, fmt.Errorf("%T in a text column", v)
		}
		return excelize.Cell{StyleID: st.text, Value: s}, nil
	case Int:
		n, ok := v.(int)
		if !ok {
			return excelize.Cell{}, fmt.Errorf("%T in a number column", v)
		}
		return excelize.Cell{StyleID: st.integer, Value: n}, nil
	case Date, Instant:
		t, ok := v.(time.Time)
		if !ok {
			return excelize.Cell{}, fmt.Errorf("%T in a date column", v)
		}
		if t.IsZero() {
			return excelize.Cell{StyleID: st.text}, nil
		}
		style := st.date
		if k == Instant {
			// Excel has no time zones: the wall clock in Vietnam is written.
			t = t.In(vietnam)
			style = st.instant
		}
		y, m, d := t.Date()
		wall := time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		if k == Date {
			wall = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		return excelize.Cell{StyleID: style, Value: wall}, nil
	}
	return excelize.Cell{}, fmt.Errorf("unknown kind %d", k)
}
