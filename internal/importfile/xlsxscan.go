package importfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanBook reads a workbook's sheets with a byte scanner of their XML
// instead of excelize's row iterator, which decodes every cell with
// encoding/xml's reflection and was a third of an import's CPU. It reads
// the plain subset that HR systems and Excel write — cells of shared
// strings, inline strings, formula strings and numbers, the five XML
// entities and character references — and gives for it exactly what
// excelize's Rows.Columns with RawCellValue gives. A sheet with anything
// else (a boolean, error or ISO-date cell, an escaped character "_x000D_",
// CDATA, a DOCTYPE, prefixed element names) is left to excelize: see
// plain.
type scanBook struct {
	z      *zip.ReadCloser
	sheets []scanSheet // as the workbook lists them
	sst    []string
}

type scanSheet struct {
	name string
	part *zip.File // nil when the workbook names no part for it
}

// sheet finds a sheet by name as excelize does (case-insensitively);
// listed is false when the workbook has no such sheet.
func (b *scanBook) sheet(name string) (part *zip.File, listed bool) {
	for _, s := range b.sheets {
		if strings.EqualFold(s.name, name) {
			return s.part, true
		}
	}
	return nil, false
}

// errNotPlain is a workbook part outside the scanner's subset.
var errNotPlain = errors.New("importfile: not plain spreadsheet XML")

// openScanBook opens name for scanning; (nil, nil) when its shared
// strings are outside the subset (the whole workbook is then excelize's).
func openScanBook(name string) (*scanBook, error) {
	z, err := zip.OpenReader(name)
	if err != nil {
		return nil, err
	}
	b := &scanBook{z: z}
	if err := b.load(); err != nil {
		z.Close()
		if errors.Is(err, errNotPlain) {
			return nil, nil
		}
		return nil, err
	}
	return b, nil
}

func (b *scanBook) Close() error { return b.z.Close() }

type xmlRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

const relOfficeDocument = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

func (b *scanBook) part(name string) *zip.File {
	for _, f := range b.z.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func (b *scanBook) unmarshal(name string, v any) error {
	f := b.part(name)
	if f == nil {
		return fmt.Errorf("%w: no part %s", errNotPlain, name)
	}
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	return xml.NewDecoder(r).Decode(v)
}

// target resolves a relationship's target against the folder of the part
// that names it.
func target(dir, t string) string {
	if strings.HasPrefix(t, "/") {
		return strings.TrimPrefix(t, "/")
	}
	return path.Join(dir, t)
}

// load finds the sheets' parts (the package's relationships to the
// workbook, the workbook's to its sheets) and reads the shared strings.
func (b *scanBook) load() error {
	var root xmlRels
	if err := b.unmarshal("_rels/.rels", &root); err != nil {
		return err
	}
	wb := ""
	for _, r := range root.Rels {
		if r.Type == relOfficeDocument {
			wb = target("", r.Target)
		}
	}
	if wb == "" {
		return fmt.Errorf("%w: no workbook", errNotPlain)
	}
	dir := path.Dir(wb)
	var rels xmlRels
	if err := b.unmarshal(path.Join(dir, "_rels", path.Base(wb)+".rels"), &rels); err != nil {
		return err
	}
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := b.unmarshal(wb, &book); err != nil {
		return err
	}
	for _, s := range book.Sheets {
		sh := scanSheet{name: s.Name}
		for _, r := range rels.Rels {
			if r.ID == s.RID {
				sh.part = b.part(target(dir, r.Target))
			}
		}
		b.sheets = append(b.sheets, sh)
	}
	sst := ""
	for _, r := range rels.Rels {
		if strings.HasSuffix(r.Type, "/sharedStrings") {
			sst = target(dir, r.Target)
		}
	}
	if sst == "" || b.part(sst) == nil {
		return nil
	}
	var ss struct {
		SI []struct {
			T *string `xml:"t"`
			R []struct {
				T *string `xml:"t"`
			} `xml:"r"`
		} `xml:"si"`
	}
	if err := b.unmarshal(sst, &ss); err != nil {
		return fmt.Errorf("%w: shared strings: %w", errNotPlain, err)
	}
	b.sst = make([]string, len(ss.SI))
	for i, si := range ss.SI {
		var v strings.Builder
		if si.T != nil {
			v.WriteString(*si.T)
		}
		for _, r := range si.R {
			if r.T != nil {
				v.WriteString(*r.T)
			}
		}
		if hasEscape([]byte(v.String())) {
			return fmt.Errorf("%w: an escaped character in a shared string", errNotPlain)
		}
		b.sst[i] = v.String()
	}
	return nil
}

// notPlain are the byte sequences of what the scanner leaves to excelize.
var notPlain = [][]byte{
	[]byte("<![CDATA["), []byte("<!DOCTYPE"), []byte("<!ENTITY"), []byte(":sheetData"),
	[]byte(`t="b"`), []byte(`t="e"`), []byte(`t="d"`), []byte(`t='b'`), []byte(`t='e'`), []byte(`t='d'`),
}

// hasEscape reports whether b holds an escaped character as Excel writes
// one ("_x000D_": "_x", four hex digits, "_"), which excelize decodes.
func hasEscape(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("_x"))
		if j < 0 {
			return false
		}
		j += i
		if j+6 < len(b) && b[j+6] == '_' && isHex(b[j+2:j+6]) {
			return true
		}
		i = j + 2
	}
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return true
}

// plain reads sheet f through once and reports whether the scanner reads
// it (see scanBook).
func plain(f *zip.File) (bool, error) {
	r, err := f.Open()
	if err != nil {
		return false, err
	}
	defer r.Close()
	const keep = 16 // longer than every marker
	buf := make([]byte, 1<<16)
	n, data := 0, false
	for {
		m, err := io.ReadFull(r, buf[n:])
		chunk := buf[:n+m]
		for _, p := range notPlain {
			if bytes.Contains(chunk, p) {
				return false, nil
			}
		}
		if hasEscape(chunk) {
			return false, nil
		}
		data = data || bytes.Contains(chunk, []byte("<sheetData"))
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return data, nil
		}
		if err != nil {
			return false, err
		}
		n = copy(buf, chunk[len(chunk)-keep:])
	}
}

// rows scans sheet f: next returns each row's cells in turn, from row 1,
// an empty row for every row number the sheet skips, io.EOF after the
// last.
func (b *scanBook) rows(f *zip.File) (next func() ([]string, error), done func() error, err error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	s := &sheetScanner{r: bufio.NewReaderSize(rc, 1<<16), sst: b.sst}
	return s.next, rc.Close, nil
}

type sheetScanner struct {
	r     *bufio.Reader
	sst   []string
	buf   []byte // the current row's XML
	row   int    // the row number last returned
	ahead int    // a row read whose number is ahead of row
	cells []string
	end   bool
}

func (s *sheetScanner) next() ([]string, error) {
	if s.ahead > 0 {
		s.row++
		if s.row < s.ahead {
			return nil, nil
		}
		s.ahead = 0
		return s.cells, nil
	}
	if s.end {
		return nil, io.EOF
	}
	num, cells, err := s.readRow()
	if err == io.EOF {
		s.end = true
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	if num == 0 {
		num = s.row + 1
	}
	if num <= s.row {
		return nil, fmt.Errorf("%w: row %d after row %d", errNotPlain, num, s.row)
	}
	s.row++
	if num > s.row {
		s.ahead, s.cells = num, cells
		return nil, nil
	}
	return cells, nil
}

// readRow reads up to the next <row> element and parses it; io.EOF at
// the end of sheetData.
func (s *sheetScanner) readRow() (int, []string, error) {
	for {
		// Skip to the next tag.
		if _, err := s.r.ReadSlice('<'); err != nil {
			if err == bufio.ErrBufferFull {
				continue
			}
			return 0, nil, err
		}
		head, err := s.r.Peek(4)
		if err != nil {
			return 0, nil, io.EOF
		}
		if string(head[:3]) == "row" && isSpaceOr(head[3], "/>") {
			break
		}
		if string(head) == "/she" {
			if end, err := s.r.Peek(10); err == nil && string(end) == "/sheetData" {
				return 0, nil, io.EOF
			}
		}
	}
	// The row's tag, and its content when it is not empty.
	s.buf = append(s.buf[:0], '<')
	for {
		line, err := s.r.ReadSlice('>')
		s.buf = append(s.buf, line...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return 0, nil, fmt.Errorf("importfile: a row's tag is cut short: %w", err)
		}
	}
	tagEnd := len(s.buf)
	if !bytes.HasSuffix(s.buf, []byte("/>")) {
		for !bytes.HasSuffix(s.buf, []byte("</row>")) {
			line, err := s.r.ReadSlice('>')
			s.buf = append(s.buf, line...)
			if err != nil && err != bufio.ErrBufferFull {
				return 0, nil, fmt.Errorf("importfile: a row is cut short: %w", err)
			}
		}
	}
	num := 0
	if v, ok := attr(s.buf[:tagEnd], "r"); ok {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 || n > 1048576 {
			return 0, nil, fmt.Errorf("%w: row number %q", errNotPlain, v)
		}
		num = n
	}
	cells, err := s.parseCells(s.buf[tagEnd:])
	return num, cells, err
}

func isSpaceOr(c byte, others string) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || strings.IndexByte(others, c) >= 0
}

// attr is the value of attribute name in tag (no entity in it: the
// attributes read are numbers, references and types).
func attr(tag []byte, name string) ([]byte, bool) {
	for i := 0; ; {
		j := bytes.Index(tag[i:], []byte(name))
		if j < 0 {
			return nil, false
		}
		j += i
		k := j + len(name)
		i = k
		if j == 0 || !isSpaceOr(tag[j-1], "") {
			continue
		}
		for k < len(tag) && isSpaceOr(tag[k], "") {
			k++
		}
		if k >= len(tag) || tag[k] != '=' {
			continue
		}
		k++
		for k < len(tag) && isSpaceOr(tag[k], "") {
			k++
		}
		if k >= len(tag) || tag[k] != '"' && tag[k] != '\'' {
			continue
		}
		q := tag[k]
		end := bytes.IndexByte(tag[k+1:], q)
		if end < 0 {
			return nil, false
		}
		return tag[k+1 : k+1+end], true
	}
}

// element finds the next element named name in b at or after i: its tag,
// its content (nil for an empty element) and the index after it; ok is
// false when there is none.
func element(b []byte, i int, name string) (tag, content []byte, after int, ok bool) {
	for {
		j := bytes.Index(b[i:], []byte("<"+name))
		if j < 0 {
			return nil, nil, len(b), false
		}
		j += i
		k := j + 1 + len(name)
		if k >= len(b) || !isSpaceOr(b[k], "/>") {
			i = k
			continue
		}
		e := bytes.IndexByte(b[k:], '>')
		if e < 0 {
			return nil, nil, len(b), false
		}
		e += k
		tag = b[j : e+1]
		if b[e-1] == '/' {
			return tag, nil, e + 1, true
		}
		closing := []byte("</" + name + ">")
		c := bytes.Index(b[e+1:], closing)
		if c < 0 {
			return nil, nil, len(b), false
		}
		return tag, b[e+1 : e+1+c], e + 1 + c + len(closing), true
	}
}

// parseCells reads a row's cells as excelize does: a cell's column is its
// reference's ("C12"), or the one after the previous cell's; cells with
// no value are left out, but for formulas, whose cell is "".
func (s *sheetScanner) parseCells(row []byte) ([]string, error) {
	var cells []string
	col := 0
	for i := 0; ; {
		tag, content, after, ok := element(row, i, "c")
		if !ok {
			return cells, nil
		}
		i = after
		col++
		if ref, ok := attr(tag, "r"); ok {
			c, err := refColumn(ref)
			if err != nil {
				return nil, err
			}
			col = c
		}
		typ, _ := attr(tag, "t")
		val, formula, err := s.value(string(typ), content)
		if err != nil {
			return nil, err
		}
		if val == "" && !formula {
			continue
		}
		for len(cells) < col-1 {
			cells = append(cells, "")
		}
		cells = append(cells, val)
	}
}

// refColumn is the 1-based column of a cell reference ("AB12" → 28).
func refColumn(ref []byte) (int, error) {
	col := 0
	i := 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > 16384 {
			return 0, fmt.Errorf("%w: cell reference %q", errNotPlain, ref)
		}
	}
	if i == 0 || i == len(ref) {
		return 0, fmt.Errorf("%w: cell reference %q", errNotPlain, ref)
	}
	return col, nil
}

// value is a cell's raw value, as excelize gives it with RawCellValue.
func (s *sheetScanner) value(typ string, content []byte) (string, bool, error) {
	_, _, _, formula := element(content, 0, "f")
	if typ == "inlineStr" {
		if _, is, _, ok := element(content, 0, "is"); ok {
			v, err := richText(is)
			return v, formula, err
		}
	}
	v := ""
	if _, raw, _, ok := element(content, 0, "v"); ok {
		var err error
		if v, err = text(raw); err != nil {
			return "", false, err
		}
	}
	if typ == "s" && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n >= len(s.sst) {
			return "", formula, nil // excelize reads an invalid index as no value
		}
		return s.sst[n], formula, nil
	}
	return v, formula, nil
}

// richText is the text of a string item (<is>, <si>): its <t>, then its
// runs' <t> (a valid item has one or the other), leaving out phonetic runs
// (<rPh>), as excelize reads it.
func richText(b []byte) (string, error) {
	if bytes.Contains(b, []byte("<rPh")) {
		var kept []byte
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("<rPh"))
			if j < 0 {
				kept = append(kept, b[i:]...)
				break
			}
			kept = append(kept, b[i:i+j]...)
			_, _, after, ok := element(b, i+j, "rPh")
			if !ok {
				return "", fmt.Errorf("%w: a phonetic run cut short", errNotPlain)
			}
			i = after
		}
		b = kept
	}
	var out strings.Builder
	for i := 0; ; {
		_, t, after, ok := element(b, i, "t")
		if !ok {
			return out.String(), nil
		}
		i = after
		v, err := text(t)
		if err != nil {
			return "", err
		}
		out.WriteString(v)
	}
}

// text decodes character data: entities, character references, and line
// ends as an XML parser normalizes them ("\r\n" and "\r" to "\n").
func text(b []byte) (string, error) {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '&':
			e := bytes.IndexByte(b[i:], ';')
			if e < 0 {
				return "", fmt.Errorf("%w: an unterminated entity", errNotPlain)
			}
			name := string(b[i+1 : i+e])
			i += e
			switch name {
			case "lt":
				out = append(out, '<')
			case "gt":
				out = append(out, '>')
			case "amp":
				out = append(out, '&')
			case "quot":
				out = append(out, '"')
			case "apos":
				out = append(out, '\'')
			default:
				r, ok := charRef(name)
				if !ok {
					return "", fmt.Errorf("%w: entity &%s;", errNotPlain, name)
				}
				out = utf8.AppendRune(out, r)
			}
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}

func charRef(name string) (rune, bool) {
	if !strings.HasPrefix(name, "#") {
		return 0, false
	}
	var n uint64
	var err error
	if strings.HasPrefix(name, "#x") {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || n == 0 || n > utf8.MaxRune || !utf8.ValidRune(rune(n)) {
		return 0, false
	}
	return rune(n), true
}
