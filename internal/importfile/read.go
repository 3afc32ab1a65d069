package importfile

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"
)

// Record is one data row of a sheet: Row is its row number in the sheet
// (the header is row 1), Values its cells in the order of Sheet.Columns
// ("" for a column the file does not have).
type Record struct {
	Row    int
	Values []string
	// Cols is, for each sheet column, its 0-based column in the file (-1
	// when the file lacks it), for problems to name the cell ("C12").
	Cols []int
}

// Cell is the spreadsheet reference of the record's cell in column k
// ("C12"), or "" when the file lacks the column.
func (r Record) Cell(s Sheet, k string) string {
	i := s.Index(k)
	if i < 0 || i >= len(r.Cols) || r.Cols[i] < 0 {
		return ""
	}
	col, _ := excelize.ColumnNumberToName(r.Cols[i] + 1)
	return fmt.Sprintf("%s%d", col, r.Row)
}

// Get returns the value of the column with key k.
func (r Record) Get(s Sheet, k string) string {
	if i := s.Index(k); i >= 0 && i < len(r.Values) {
		return r.Values[i]
	}
	return ""
}

// HeaderError is a sheet whose header row cannot be read: required columns
// missing, a header twice, a header that names no column.
type HeaderError struct {
	Sheet    Sheet
	Missing  []string // keys of required columns absent
	Unknown  []string // headers that name no column
	Repeated []string
}

func (e *HeaderError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, "unknown "+strings.Join(e.Unknown, ", "))
	}
	if len(e.Repeated) > 0 {
		parts = append(parts, "repeated "+strings.Join(e.Repeated, ", "))
	}
	return fmt.Sprintf("sheet %s: header: %s", e.Sheet.Key, strings.Join(parts, "; "))
}

// Source is an import file opened for reading, sheet by sheet, as many
// times as needed (the import validates everything, then writes).
type Source interface {
	// SHA256 is the hex SHA-256 of the file's bytes (of a folder: of its
	// CSV files' names and digests, sorted), what imported events name.
	SHA256() string
	// Each calls fn for every non-blank data row of sheet, in order,
	// streaming: no sheet is loaded whole. A sheet the file lacks has no
	// rows. A header that cannot be read is a *HeaderError.
	Each(sheet Sheet, fn func(Record) error) error
	Close() error
}

// Open opens an import file: a workbook (.xlsx), a zip of CSV files, or a
// folder of CSV files (one per sheet, named Sheet.Key + ".csv", UTF-8).
func Open(name string) (Source, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return openDir(name)
	}
	sum, err := fileSHA256(name)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		f, err := excelize.OpenFile(name)
		if err != nil {
			return nil, fmt.Errorf("importfile: %s is not a readable workbook: %w", name, err)
		}
		return &xlsxSource{f: f, sum: sum}, nil
	case ".zip":
		z, err := zip.OpenReader(name)
		if err != nil {
			return nil, fmt.Errorf("importfile: %s is not a readable zip: %w", name, err)
		}
		return &csvSource{fsys: z, sum: sum, close: z.Close}, nil
	}
	return nil, fmt.Errorf("importfile: %s: expected a .xlsx workbook, a .zip of CSV files or a folder of them", name)
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func openDir(dir string) (Source, error) {
	fsys := os.DirFS(dir)
	names, err := fs.Glob(fsys, "*.csv")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("importfile: %s holds no .csv file", dir)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		s, err := fileSHA256(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00%s\n", n, s)
	}
	return &csvSource{fsys: fsys, sum: hex.EncodeToString(h.Sum(nil)), close: func() error { return nil }}, nil
}

// header maps a header row onto sheet's columns: for each file column, the
// index of the sheet column it is (-1 for an empty header).
func header(sheet Sheet, cells []string) ([]int, error) {
	e := &HeaderError{Sheet: sheet}
	at := make([]int, len(cells))
	seen := map[int]bool{}
	for i, c := range cells {
		// The template marks required columns with " (*)".
		c = strings.TrimSpace(strings.TrimSuffix(clean(c), "(*)"))
		at[i] = -1
		if c == "" {
			continue
		}
		j := slices.IndexFunc(sheet.Columns, func(col Column) bool {
			return strings.EqualFold(c, col.Header) || strings.EqualFold(c, col.Key)
		})
		switch {
		case j < 0:
			e.Unknown = append(e.Unknown, c)
		case seen[j]:
			e.Repeated = append(e.Repeated, c)
		default:
			seen[j], at[i] = true, j
		}
	}
	for j, col := range sheet.Columns {
		if col.Required && !seen[j] {
			e.Missing = append(e.Missing, col.Key)
		}
	}
	if len(e.Missing)+len(e.Unknown)+len(e.Repeated) > 0 {
		return nil, e
	}
	return at, nil
}

// clean trims and NFC-normalizes a cell: the same name typed on different
// keyboards must compare equal. Invalid UTF-8 is kept as is, for the
// domain's text rule to refuse with its own reason.
func clean(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// record places a file row's cells into the sheet's column order; it
// reports false for a blank row.
func record(sheet Sheet, at []int, row int, cells []string) (Record, bool) {
	r := Record{Row: row, Values: make([]string, len(sheet.Columns)), Cols: make([]int, len(sheet.Columns))}
	for j := range r.Cols {
		r.Cols[j] = slices.Index(at, j)
	}
	blank := true
	for i, c := range cells {
		if i >= len(at) || at[i] < 0 {
			if strings.TrimSpace(c) != "" && i >= len(at) {
				blank = false // a value under no header: keep the row, the checks will see the gap
			}
			continue
		}
		r.Values[at[i]] = clean(c)
		if r.Values[at[i]] != "" {
			blank = false
		}
	}
	return r, !blank
}

type xlsxSource struct {
	f   *excelize.File
	sum string
}

func (s *xlsxSource) SHA256() string { return s.sum }
func (s *xlsxSource) Close() error   { return s.f.Close() }

func (s *xlsxSource) Each(sheet Sheet, fn func(Record) error) error {
	if idx, _ := s.f.GetSheetIndex(sheet.Name); idx < 0 {
		return nil
	}
	rows, err := s.f.Rows(sheet.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(sheet, func() ([]string, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		// Raw values: a date typed into a date-formatted cell arrives as
		// its serial number, which the parser reads, instead of as text
		// in whatever display format the cell had.
		return rows.Columns(excelize.Options{RawCellValue: true})
	}, fn)
}

// eachRow reads a sheet's rows from next (the cells of the next row,
// io.EOF after the last): the first is the header, the others records
// for fn, blank rows left out.
func eachRow(sheet Sheet, next func() ([]string, error), fn func(Record) error) error {
	var at []int
	for n := 1; ; n++ {
		cells, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if at == nil {
			if at, err = header(sheet, cells); err != nil {
				return err
			}
			continue
		}
		if r, ok := record(sheet, at, n, cells); ok {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
}

type csvSource struct {
	fsys  fs.FS
	sum   string
	close func() error
}

func (s *csvSource) SHA256() string { return s.sum }
func (s *csvSource) Close() error   { return s.close() }

func (s *csvSource) Each(sheet Sheet, fn func(Record) error) error {
	f, err := s.open(sheet.Key + ".csv")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return eachRow(sheet, func() ([]string, error) {
		cells, err := cr.Read()
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("importfile: %s.csv: %w", sheet.Key, err)
		}
		return cells, err
	}, fn)
}

// open finds name at the top of the file system or in one folder below it
// (a zip made of a folder).
func (s *csvSource) open(name string) (fs.File, error) {
	f, err := s.fsys.Open(name)
	if !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	matches, _ := fs.Glob(s.fsys, path.Join("*", name))
	if len(matches) == 1 {
		return s.fsys.Open(matches[0])
	}
	return nil, err
}
