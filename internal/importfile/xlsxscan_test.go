package importfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// excelizeRows is every row of sheet as excelize's iterator gives it.
func excelizeRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cells)
	}
	return out
}

// scannedRows is every row of sheet as the scanner gives it; ok is false
// when the sheet is left to excelize.
func scannedRows(t *testing.T, b *scanBook, sheet string) (out [][]string, ok bool) {
	t.Helper()
	part, _ := b.sheet(sheet)
	if part == nil {
		t.Fatalf("the scanner does not find sheet %s", sheet)
	}
	if ok, err := plain(part); err != nil || !ok {
		return nil, false
	}
	next, done, err := b.rows(part)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	for {
		cells, err := next()
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			t.Fatalf("%s: %v", sheet, err)
		}
		out = append(out, cells)
	}
}

func sameRows(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal) }

// writeBook saves a workbook built by build (excelize's cell API: shared
// strings, as Excel writes them) and opens it both ways.
func writeBook(t *testing.T, build func(f *excelize.File)) (*excelize.File, *scanBook) {
	t.Helper()
	f := excelize.NewFile()
	build(f)
	name := filepath.Join(t.TempDir(), "book.xlsx")
	if err := errors.Join(f.SaveAs(name), f.Close()); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	b, err := openScanBook(name)
	if err != nil || b == nil {
		t.Fatalf("openScanBook: %v, %v", b, err)
	}
	t.Cleanup(func() { b.Close() })
	return x, b
}

// TestScannerReadsAsExcelize: on what Excel-like writers put in a sheet —
// shared and inline strings with entities, line ends, spaces and
// Vietnamese, numbers, formulas, rich text, gaps between cells and rows —
// the scanner gives every row exactly as excelize's iterator does; a sheet
// with what it leaves out (a boolean, an escaped character) is excelize's.
func TestScannerReadsAsExcelize(t *testing.T) {
	t.Parallel()
	x, b := writeBook(t, func(f *excelize.File) {
		set := func(sheet, cell string, v any) {
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
		set("Sheet1", "A1", "Số định danh cá nhân")
		set("Sheet1", "B1", "Họ và tên")
		set("Sheet1", "A2", "025090000001")
		set("Sheet1", "B2", "  Nguyễn Văn A & <Bình> \"Út\" 'x'  ")
		set("Sheet1", "D2", "dòng một\r\ndòng hai\rba\nbốn\ttab")
		set("Sheet1", "A5", 42)
		set("Sheet1", "B5", 2.34)
		set("Sheet1", "C5", 35431)
		set("Sheet1", "AA5", "xa")
		set("Sheet1", "A7", "")
		set("Sheet1", "B7", "  ")
		if err := f.SetCellFormula("Sheet1", "C7", "A5*2"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellRichText("Sheet1", "A8", []excelize.RichTextRun{{Text: "Phó "}, {Text: "Giám đốc", Font: &excelize.Font{Bold: true}}}); err != nil {
			t.Fatal(err)
		}
		set("Sheet1", "B8", "Nguyễn Văn A & <Bình> \"Út\" 'x'") // a shared string used twice
		set("Sheet1", "B9", "Nguyễn Văn A & <Bình> \"Út\" 'x'")
		set("Sheet1", "C9", "lai_xe, _x12_, _xZZZZ_") // not escapes
		if _, err := f.NewSheet("Escape"); err != nil {
			t.Fatal(err)
		}
		sw, err := f.NewStreamWriter("Escape")
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(sw.SetRow("A1", []any{"a_x000D_b"}), sw.Flush()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.NewSheet("Bool"); err != nil {
			t.Fatal(err)
		}
		set("Bool", "A1", true)
		if _, err := f.NewSheet("Empty"); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []struct {
		sheet   string
		scanned bool
	}{{"Sheet1", true}, {"Bool", false}, {"Empty", true}, {"Escape", false}} {
		want := excelizeRows(t, x, c.sheet)
		got, scanned := scannedRows(t, b, c.sheet)
		if scanned != c.scanned {
			t.Errorf("%s: scanned %v, want %v", c.sheet, scanned, c.scanned)
		}
		if scanned && !sameRows(got, want) {
			t.Errorf("%s: the scanner gives\n%q\nexcelize gives\n%q", c.sheet, got, want)
		}
	}
}

// TestScannerLeavesEscapesToExcelize: a workbook whose shared strings hold
// an escaped character ("_x000D_") is read by excelize alone.
func TestScannerLeavesEscapesToExcelize(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	if err := f.SetCellValue("Sheet1", "A1", "a_x000D_b"); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "book.xlsx")
	if err := errors.Join(f.SaveAs(name), f.Close()); err != nil {
		t.Fatal(err)
	}
	b, err := openScanBook(name)
	if err != nil || b != nil {
		t.Errorf("openScanBook: %v, %v; want neither a book nor an error", b, err)
	}
}

// TestScannerOnSheetXML: hand-written sheet XML in the forms writers use —
// inline strings with runs and phonetic runs, single quotes and spaces in
// attributes, cells and rows without references, character references,
// self-closing cells and rows — reads as excelize reads it.
func TestScannerOnSheetXML(t *testing.T) {
	t.Parallel()
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>`
	for _, body := range []string{
		`<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><r><t>b</t></r><r><rPr><b/></rPr><t xml:space="preserve"> c </t></r><rPh sb="0" eb="1"><t>PH</t></rPh></is></c></row>`,
		`<row><c t = 'inlineStr' r = 'B1'><is><t>&#7853;&#x1EA1;&amp;&lt;&gt;&quot;&apos;</t></is></c></row><row/><row r="4"><c r="C4"/><c r="D4"><v>1.5</v></c></row>`,
		`<row r="2" spans="1:3"><c r="A2" t="str"><f>CONCAT("a","b")</f><v>ab</v></c><c r="B2"><f>1/0</f></c><c r="C2" s="3"><v>45000</v></c></row><row r="9"><c r="A9"><v>  7 </v></c></row>`,
		`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`, // no shared strings part: an index to nothing
		"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\r\nb\rc&#13;d</t></is></c><c r=\"B1\"><v>1\r</v></c></row>",
		``,
	} {
		dir := t.TempDir()
		name := filepath.Join(dir, "book.xlsx")
		f := excelize.NewFile()
		if err := f.SaveAs(name); err != nil {
			t.Fatal(err)
		}
		f.Close()
		replaceSheet(t, name, head+body+`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
		x, err := excelize.OpenFile(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := openScanBook(name)
		if err != nil || b == nil {
			t.Fatalf("openScanBook: %v, %v", b, err)
		}
		want := excelizeRows(t, x, "Sheet1")
		got, scanned := scannedRows(t, b, "Sheet1")
		if !scanned || !sameRows(got, want) {
			t.Errorf("%s:\nthe scanner (%v) gives %q\nexcelize gives %q", body, scanned, got, want)
		}
		x.Close()
		b.Close()
	}
}

// replaceSheet rewrites the workbook name with xml as its first sheet.
func replaceSheet(t *testing.T, name, xml string) {
	t.Helper()
	in, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range in.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			_, err = io.WriteString(w, xml)
		} else {
			var r io.ReadCloser
			if r, err = f.Open(); err == nil {
				_, err = io.Copy(w, r)
				r.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(zw.Close(), in.Close()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestScannerOnStreamedSheets: a sheet written by excelize's stream writer
// (inline strings, what `hoso import sample` and many exports write), with
// numbers, blanks and skipped rows, reads as excelize reads it.
func TestScannerOnStreamedSheets(t *testing.T) {
	t.Parallel()
	x, b := writeBook(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		rows := map[int][]any{
			1:  {"Số định danh cá nhân", "Từ tháng", "Đến tháng", "Cơ quan, đơn vị"},
			2:  {"025065630946", "10/1990", nil, "Phòng Nghiệp vụ, tỉnh Phú Thọ"},
			3:  {"025065630946", 33000, 2.5, "Sở & <Ban>"},
			5:  {nil, nil, "", "  x  "},
			6:  {"a\r\nb", "đúng", -1, ""},
			40: {"cuối"},
		}
		for _, r := range []int{1, 2, 3, 5, 6, 40} {
			cell, _ := excelize.CoordinatesToCellName(1, r)
			if err := sw.SetRow(cell, rows[r]); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	want := excelizeRows(t, x, "Sheet1")
	got, scanned := scannedRows(t, b, "Sheet1")
	switch {
	case !scanned:
		t.Fatal("the streamed sheet was left to excelize")
	case !sameRows(got, want):
		t.Errorf("the scanner gives\n%q\nexcelize gives\n%q", got, want)
	}
}

// TestOpenRefusesWhatIsNoWorkbook: a .xlsx that is not a zip, or a zip
// with no workbook in it, is refused at Open, by the scanner or by
// excelize after it.
func TestOpenRefusesWhatIsNoWorkbook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "rac.xlsx")
	if err := os.WriteFile(garbage, []byte("không phải một tệp zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("docProps/app.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "<Properties/>")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "rong.xlsx")
	if err := os.WriteFile(empty, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{garbage, empty} {
		if src, err := Open(name); err == nil {
			src.Close()
			t.Errorf("%s opened", filepath.Base(name))
		}
	}
}
