package importfile

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/domain/catalog"
)

// Names of the template's own sheets.
const (
	InstructionsSheet = "Hướng dẫn"
	ListsSheet        = "Danh mục"
)

// templateRows is how many rows of each sheet carry the drop-down lists.
const templateRows = 60000

// WriteTemplate writes the import workbook: an instructions sheet, one
// sheet per Sheets entry with Vietnamese headers, text-formatted cells (so
// Excel keeps "01/02/1990" and leading zeros as typed) and drop-down lists
// of the catalogue codes, which live in a hidden sheet.
func WriteTemplate(w io.Writer, cat *catalog.Catalog) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", InstructionsSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: "Times New Roman"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Family: "Times New Roman"}})
	if err != nil {
		return err
	}
	// The data sheets come before the hidden lists in the workbook.
	for _, s := range Sheets {
		if _, err := f.NewSheet(s.Name); err != nil {
			return err
		}
	}
	lists, err := writeLists(f, cat)
	if err != nil {
		return err
	}
	for _, s := range Sheets {
		for i, c := range s.Columns {
			col, _ := excelize.ColumnNumberToName(i + 1)
			h := c.Header
			if c.Required {
				h += " (*)"
			}
			if err := f.SetCellStr(s.Name, col+"1", h); err != nil {
				return err
			}
			if err := f.SetColStyle(s.Name, col, text); err != nil {
				return err
			}
			if err := f.SetColWidth(s.Name, col, col, 22); err != nil {
				return err
			}
			ref, ok := lists[listKey(c)]
			if !ok {
				continue
			}
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, templateRows))
			dv.SetSqrefDropList(ref)
			dv.SetError(excelize.DataValidationErrorStyleStop, "Giá trị không hợp lệ", "Chọn một mã trong danh mục.")
			if err := f.AddDataValidation(s.Name, dv); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(s.Columns))
		if err := f.SetCellStyle(s.Name, "A1", last+"1", bold); err != nil {
			return err
		}
		if err := f.SetPanes(s.Name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	if err := writeInstructions(f, bold); err != nil {
		return err
	}
	if err := f.SetSheetVisible(ListsSheet, false); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// listKey names the list a column draws from: its catalogue kind, or the
// column's own key for fixed choices.
func listKey(c Column) string {
	if c.Catalogue != "" {
		return "cat:" + c.Catalogue
	}
	if len(c.Choices) > 0 {
		return "choices:" + c.Key
	}
	return ""
}

// writeLists fills the hidden lists sheet, one column per list (codes, and
// beside each catalogue its names for the reader), and returns each list's
// range for the data validations.
func writeLists(f *excelize.File, cat *catalog.Catalog) (map[string]string, error) {
	if _, err := f.NewSheet(ListsSheet); err != nil {
		return nil, err
	}
	refs := map[string]string{}
	col := 1
	put := func(key, title string, codes, names []string) error {
		if _, done := refs[key]; done || len(codes) == 0 {
			return nil
		}
		c, _ := excelize.ColumnNumberToName(col)
		if err := f.SetCellStr(ListsSheet, c+"1", title); err != nil {
			return err
		}
		for i, code := range codes {
			if err := f.SetCellStr(ListsSheet, fmt.Sprintf("%s%d", c, i+2), code); err != nil {
				return err
			}
		}
		if names != nil {
			n, _ := excelize.ColumnNumberToName(col + 1)
			for i, name := range names {
				if err := f.SetCellStr(ListsSheet, fmt.Sprintf("%s%d", n, i+2), name); err != nil {
					return err
				}
			}
			col++
		}
		col++
		refs[key] = fmt.Sprintf("'%s'!$%s$2:$%s$%d", ListsSheet, c, c, len(codes)+1)
		return nil
	}
	for _, s := range Sheets {
		for _, c := range s.Columns {
			var err error
			switch {
			case c.Catalogue != "":
				var codes, names []string
				for _, e := range cat.Entries(c.Catalogue) {
					codes, names = append(codes, e.Code), append(names, e.Name)
				}
				err = put(listKey(c), c.Catalogue, codes, names)
			case len(c.Choices) > 0:
				err = put(listKey(c), c.Key, c.Choices, nil)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return refs, nil
}

var instructions = []string{
	"MẪU NHẬP HỒ SƠ CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC VÀO HOSO",
	"",
	"1. Mỗi người một dòng ở trang \"Lý lịch\"; các trang khác nối với người đó bằng Số định danh cá nhân (12 chữ số).",
	"2. Cột có dấu (*) là bắt buộc. Ngày ghi dd/mm/yyyy (05/03/2024); tháng ghi mm/yyyy (09/2019); hệ số ghi 2.34.",
	"3. Cột \"(mã)\" và cột có danh sách thả xuống chỉ nhận mã trong danh mục dùng chung của Sở Nội vụ.",
	"4. Quá trình công tác, diễn biến lương và đào tạo được ghi thành các sự kiện lịch sử với ngày hiệu lực của chính dòng đó,",
	"   kèm mã SHA-256 của tệp và số dòng, để nhật ký kiểm tra cho biết mỗi thông tin đến từ đâu.",
	"5. Hệ thống kiểm tra mọi dòng trước khi ghi. Có dòng lỗi thì không ghi gì (trừ khi chọn bỏ qua dòng lỗi) và trả báo cáo lỗi:",
	"   ô lỗi tô đỏ, cột \"Lý do\" ghi lý do bằng tiếng Việt.",
	"6. Nhập lại cùng một tệp không ghi thêm gì; một lần nhập bị ngắt giữa chừng chạy lại sẽ hoàn tất, mỗi người đúng một hồ sơ.",
	"7. Có thể dùng CSV (UTF-8) thay cho tệp này: mỗi trang một tệp, tên tệp là mã trang, trong một thư mục hoặc tệp zip.",
	"",
	"Trang\tMã trang (tên tệp CSV)\tNội dung",
}

func writeInstructions(f *excelize.File, bold int) error {
	row := 1
	for _, line := range instructions {
		if err := f.SetCellStr(InstructionsSheet, fmt.Sprintf("A%d", row), line); err != nil {
			return err
		}
		row++
	}
	if err := f.SetSheetRow(InstructionsSheet, fmt.Sprintf("A%d", row-1), &[]any{"Trang", "Mã trang (tên tệp CSV)", "Nội dung"}); err != nil {
		return err
	}
	if err := f.SetCellStyle(InstructionsSheet, fmt.Sprintf("A%d", row-1), fmt.Sprintf("C%d", row-1), bold); err != nil {
		return err
	}
	for _, s := range Sheets {
		if err := f.SetSheetRow(InstructionsSheet, fmt.Sprintf("A%d", row), &[]any{s.Name, s.Key + ".csv", s.About}); err != nil {
			return err
		}
		row++
	}
	return f.SetColWidth(InstructionsSheet, "A", "A", 30)
}
