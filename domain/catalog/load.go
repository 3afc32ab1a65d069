package catalog

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hoso-ledger/hoso/domain"
)

// PlaceRow is one row of an official list of administrative units, as
// LoadPlaces reads it. Codes are official codes as published, not
// catalogue codes.
type PlaceRow struct {
	Line         int         // 1-based line of the row in the file, for messages
	Code         string      // 2 digits for a province-level unit, 5 for a commune-level one
	Name         string      // NFC
	Level        string      // one of the Level constants
	Parent       string      // official code of the enclosing unit: the province ("" for a province); the district for a pre-2025 commune
	Until        domain.Date // last day in force, for a pre-2025 unit (LoadPre2025Places); zero for a unit in force
	Predecessors []string
	Effective    domain.Date // first day in force; ReformDate when the file leaves it empty
}

// The column names LoadPlaces accepts, matched after NFC, lower-casing and
// trimming; the first alias is the canonical one.
var placeColumns = []column{
	{"code", true, []string{"code", "mã", "ma", "mã đơn vị", "mã đvhc"}},
	{"name", true, []string{"name", "tên", "ten", "tên đơn vị", "tên đvhc"}},
	{"level", true, []string{"level", "cấp", "cap", "cấp đơn vị"}},
	{"province_code", true, []string{"province_code", "mã tỉnh", "ma tinh", "mã tp", "mã tỉnh/thành phố"}},
	{"predecessors", false, []string{"predecessors", "mã đơn vị cũ", "mã đvhc cũ", "mã tiền thân", "đơn vị trước sắp xếp"}},
	{"effective", false, []string{"effective", "valid_from", "ngày hiệu lực", "hiệu lực từ"}},
}

// The level words LoadPlaces accepts (lower-cased, NFC).
var levelWords = map[string]string{
	"tỉnh": LevelProvince, "province": LevelProvince,
	"thành phố trung ương": LevelCity, "thành phố trực thuộc trung ương": LevelCity, "thành phố": LevelCity, "city": LevelCity,
	"phường": LevelWard, "ward": LevelWard,
	"xã": LevelCommune, "commune": LevelCommune,
	"đặc khu": LevelSpecialZone, "special_zone": LevelSpecialZone,
}

var (
	provinceCode = regexp.MustCompile(`^\d{2}$`)
	communeCode  = regexp.MustCompile(`^\d{5}$`)
	codeSplit    = regexp.MustCompile(`[;,\s]+`)
)

// maxPlaceRows bounds a file: the official list after the reform has 3,321
// communes, wards and special zones and 34 provinces.
const maxPlaceRows = 20000

// LoadPlaces parses an official list of administrative units in force from
// a date, as CSV. It does no I/O of its own: the caller opens the file.
//
// The format (an assumption: the National Statistics Office publishes the
// list as a spreadsheet at danhmuchanhchinh.nso.gov.vn; export it as CSV):
//
//   - UTF-8 (a leading byte-order mark is allowed), comma-separated, RFC
//     4180 quoting;
//   - a header row; columns are found by name, in any order, and columns
//     with other names (English name, administrative centre…) are ignored;
//   - code (Mã): 2 digits for a province or centrally-run city, 5 digits
//     for a ward, commune or special zone (leading zeros a spreadsheet
//     dropped are restored: "4" on a ward's row is 00004);
//   - name (Tên): the full name with its level word, "Phường Ba Đình";
//   - level (Cấp): Tỉnh, Thành phố Trung ương, Phường, Xã, Đặc khu (or the
//     English level constants);
//   - province_code (Mã tỉnh): the official code of the province the unit
//     belongs to, from the same file or already in the catalogue; empty for a province;
//   - predecessors (optional; Mã đơn vị cũ): the official codes of the units
//     it was formed from, as they were the day before it took effect,
//     separated by ';', ',' or spaces: communes for a commune-level unit
//     (5 digits), provinces for a province (2 digits). An old unit split between new ones is
//     listed under each of them;
//   - effective (optional; Ngày hiệu lực): YYYY-MM-DD or dd/mm/yyyy; empty
//     means 1/7/2025.
//
// Every problem is reported at once, in a *domain.ValidationError (wrapping
// domain.ErrInvalid) whose fields are "line N/column".
func LoadPlaces(r io.Reader) ([]PlaceRow, error) {
	cr, cell, err := openCSV(r, placeColumns)
	if err != nil {
		return nil, err
	}
	var v domain.ValidationError
	var rows []PlaceRow
	seen := map[string]int{}
	for {
		line, _ := cr.FieldPos(0)
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			v.Add(fmt.Sprintf("line %d", line+1), "csv", err.Error())
			break // the reader cannot resynchronise after a quoting error
		}
		line, _ = cr.FieldPos(0)
		if len(rows) >= maxPlaceRows {
			v.Add(fmt.Sprintf("line %d", line), "length", fmt.Sprintf("at most %d rows", maxPlaceRows))
			break
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line, as spreadsheets leave at the end
		}
		at := fmt.Sprintf("line %d/", line)
		row := PlaceRow{Line: line, Code: cell(rec, "code"), Name: cell(rec, "name"), Parent: cell(rec, "province_code")}
		lv := strings.ToLower(cell(rec, "level"))
		row.Level = levelWords[lv]
		if row.Level == "" {
			v.Add(at+"level", "enum", fmt.Sprintf("%q is not Tỉnh, Thành phố Trung ương, Phường, Xã or Đặc khu", lv))
		}
		provinceLevel := row.Level == LevelProvince || row.Level == LevelCity
		width := 5
		if provinceLevel {
			width = 2
		}
		row.Code = zeroPad(row.Code, width)
		row.Parent = zeroPad(row.Parent, 2)
		switch {
		case provinceLevel && !provinceCode.MatchString(row.Code):
			v.Add(at+"code", "format", "a province-level code is 2 digits")
		case row.Level != "" && !provinceLevel && !communeCode.MatchString(row.Code):
			v.Add(at+"code", "format", "a commune-level code is 5 digits")
		}
		if first, dup := seen[row.Code]; dup && row.Code != "" {
			v.Add(at+"code", "duplicate", fmt.Sprintf("%s is already on line %d", row.Code, first))
		} else {
			seen[row.Code] = line
		}
		switch {
		case row.Name == "":
			v.Add(at+"name", "required", "")
		case utf8.RuneCountInString(row.Name) > maxNameLen:
			v.Add(at+"name", "length", fmt.Sprintf("at most %d characters", maxNameLen))
		}
		if provinceLevel {
			if row.Parent != "" && row.Parent != row.Code {
				v.Add(at+"province_code", "format", "a province belongs to no province")
			}
			row.Parent = ""
		} else if !provinceCode.MatchString(row.Parent) {
			v.Add(at+"province_code", "format", "2 digits")
		}
		for _, p := range codeSplit.Split(cell(rec, "predecessors"), -1) {
			if p == "" {
				continue
			}
			if p = zeroPad(p, width); row.Level != "" && len(p) != width || !provinceCode.MatchString(p) && !communeCode.MatchString(p) {
				v.Add(at+"predecessors", "format", fmt.Sprintf("%q is not a %d-digit code", p, width))
			} else if !slices.Contains(row.Predecessors, p) {
				row.Predecessors = append(row.Predecessors, p)
			}
		}
		switch s := cell(rec, "effective"); {
		case s == "":
			row.Effective = ReformDate
		case strings.Contains(s, "/"):
			if row.Effective, err = parseDMY(s); err != nil {
				v.Add(at+"effective", "format", fmt.Sprintf("%q is not dd/mm/yyyy", s))
			}
		default:
			if row.Effective, err = domain.ParseDate(s); err != nil {
				v.Add(at+"effective", "format", fmt.Sprintf("%q is not YYYY-MM-DD", s))
			}
		}
		rows = append(rows, row)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, domain.Invalid("", "required", "no unit in the file")
	}
	return rows, nil
}

func provinceLevel(l string) bool { return l == LevelProvince || l == LevelCity }

// placeholderName begins the name of an old unit known only by its code.
const placeholderName = "Đơn vị hành chính cũ mã "

// encloses reports whether a unit of level parent can contain one of level
// child: a province contains districts and communes, a district (before
// 2025) communes, wards and towns.
func encloses(parent, child string) bool {
	switch parent {
	case LevelProvince, LevelCity:
		return child != LevelProvince && child != LevelCity
	case LevelDistrict:
		return child == LevelWard || child == LevelCommune || child == LevelTown
	}
	return false
}

// WithPlaces returns c with the units of an official list added to its
// place catalogue, under the given version and source (cite the
// resolution or decision the list comes from). c is not changed.
//
// Each row becomes an entry under its official code, in force from its
// effective date; a row already in the catalogue with the same name and
// date (the 34 provinces) is kept as it is. Its province must be in force
// on that date, in the file or in c. Each predecessor code is read as it
// was the day before (PlaceOn): "82" on 30/6/2025 is pre2025-82 Tiền Giang.
// A predecessor c does not know is added as a retired entry "pre2025-CODE"
// (for the 2025 reform; another date refuses it) so that an address written
// with it still resolves; its name says it is a placeholder. An old unit
// with one successor gets it as its Entry.Successor (Resolve follows it);
// a split one keeps all of them for SuccessorsOn.
//
// Rows with Until set (LoadPre2025Places) are added as retired entries
// "pre2025-CODE" parented to "pre2025-PARENT"; only Until = 30/6/2025 is
// accepted. A placeholder learns its name and parent from them, and an old
// province already in the catalogue keeps its curated entry. The two lists
// can be added in either order. Problems are reported together, as
// LoadPlaces does, with the fields "line N/code", "line N/province_code"
// (the parent), "line N/predecessors", "line N/until".
func (c *Catalog) WithPlaces(version, source string, rows []PlaceRow) (*Catalog, error) {
	var v domain.ValidationError
	cur := c.Entries(KindPlace)
	index := map[string]int{}
	for i, e := range cur {
		index[e.Code] = i
	}
	// Rows first, so provinces in the file can parent communes in it.
	key := func(r PlaceRow) string {
		if r.Until.IsZero() {
			return r.Code
		}
		return historicalPrefix + r.Code
	}
	reformEve := ReformDate.AddDays(-1)
	fileRows := map[string]bool{}
	for _, r := range rows {
		at := fmt.Sprintf("line %d/", r.Line)
		k := key(r)
		if !r.Until.IsZero() && r.Until != reformEve {
			v.Add(at+"until", "range", "only units retired by the 2025 reform (until 2025-06-30) can be loaded")
			continue
		}
		if i, ok := index[k]; ok {
			e := cur[i]
			switch {
			case fileRows[k]:
				v.Add(at+"code", "duplicate", fmt.Sprintf("%s is twice in the file", r.Code))
			case strings.HasPrefix(e.Name, placeholderName) && !r.Until.IsZero():
				cur[i].Name, cur[i].Group, cur[i].Note = r.Name, r.Level, "" // a placeholder learns its name and parent
				fileRows[k] = true
			case !r.Until.IsZero() && provinceLevel(r.Level) && provinceLevel(e.Level()):
				// an old province as the pre-2025 file names it ("Tỉnh Thừa Thiên
				// Huế"): the catalogue's curated entry stands
			case e.Name != r.Name || e.ValidFrom != r.Effective:
				v.Add(at+"code", "duplicate", fmt.Sprintf("%s is already %q from %s", r.Code, e.Name, e.ValidFrom))
			}
			continue
		}
		fileRows[k] = true
		index[k] = len(cur)
		cur = append(cur, Entry{Kind: KindPlace, Code: k, Name: r.Name, Group: r.Level, ValidFrom: r.Effective, ValidUntil: r.Until})
	}
	before := buildPlaces(c.Entries(KindPlace), c.lineage)
	on := func(code string, d domain.Date) (string, bool) {
		for _, i := range before.byOfficial[code] {
			if before.list[i].InForceOn(d) {
				return before.list[i].Code, true
			}
		}
		return "", false
	}
	succ := map[string][]string{}
	for k, s := range c.lineage {
		succ[k] = slices.Clone(s)
	}
	for _, r := range rows {
		at := fmt.Sprintf("line %d/", r.Line)
		k := key(r)
		if r.Parent != "" {
			pk, day := r.Parent, r.Effective
			if !r.Until.IsZero() {
				pk, day = historicalPrefix+r.Parent, r.Until
			}
			i, ok := index[pk]
			if !ok || !cur[i].InForceOn(day) || !encloses(cur[i].Group, r.Level) {
				v.Add(at+"province_code", "reference", fmt.Sprintf("no unit %s enclosing a %s in force on %s", r.Parent, r.Level, day))
			} else if fileRows[k] {
				cur[index[k]].Parent = cur[i].Code
			}
		}
		if !fileRows[k] || !r.Until.IsZero() {
			continue
		}
		dayBefore := r.Effective.AddDays(-1)
		for _, p := range r.Predecessors {
			old, ok := on(p, dayBefore)
			if !ok {
				if r.Effective != ReformDate {
					v.Add(at+"predecessors", "reference", fmt.Sprintf("no unit %s in force on %s", p, dayBefore))
					continue
				}
				old = historicalPrefix + p
				if _, known := index[old]; !known {
					index[old] = len(cur)
					cur = append(cur, Entry{Kind: KindPlace, Code: old, Name: placeholderName + p, ValidUntil: dayBefore,
						Note: "Chỉ biết mã: đơn vị cũ được nêu là tiền thân trong danh mục mới nhưng chưa có trong danh mục của hoso."})
				}
			}
			if !slices.Contains(succ[old], r.Code) {
				succ[old] = append(succ[old], r.Code)
			}
		}
	}
	for old, news := range succ {
		i, ok := index[old]
		if !ok {
			continue
		}
		if len(news) == 1 && cur[i].Successor == "" {
			cur[i].Successor = news[0]
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Validate the result exactly as a catalogue file is validated.
	b, err := json.Marshal(file{Kind: KindPlace, Version: version, Source: source, Entries: cur})
	if err != nil {
		return nil, err
	}
	l, _ := parseFile(&v, "", b)
	if err := v.Err(); err != nil {
		return nil, err
	}
	lists := maps.Clone(c.lists)
	lists[KindPlace] = l
	return &Catalog{lists: lists, lineage: succ}, nil
}

// zeroPad restores the leading zeros a spreadsheet drops from a code
// ("4" → "00004"); anything but 1 to width digits is returned unchanged.
func zeroPad(code string, width int) string {
	if code == "" || len(code) >= width || strings.Trim(code, "0123456789") != "" {
		return code
	}
	return strings.Repeat("0", width-len(code)) + code
}

// parseDMY reads d/m/yyyy with or without leading zeros ("1/7/2025").
func parseDMY(s string) (domain.Date, error) {
	t, err := time.Parse("2/1/2006", s)
	if err != nil {
		return domain.Date{}, err
	}
	return domain.NewDate(t.Year(), t.Month(), t.Day())
}

type column struct {
	field    string
	required bool
	aliases  []string
}

// openCSV reads the header of a CSV file and finds columns by name. cell
// returns a record's value for a field, NFC and trimmed ("" when the
// column is absent or the record short).
func openCSV(r io.Reader, columns []column) (*csv.Reader, func(rec []string, field string) string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, nil, domain.Invalid("", "encoding", "the file is not UTF-8")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, domain.Invalid("", "required", "empty file: a header row is required")
		}
		return nil, nil, domain.Invalid("line 1", "csv", err.Error())
	}
	var v domain.ValidationError
	col := map[string]int{}
	for i, h := range header {
		h = strings.Join(strings.Fields(strings.ToLower(nfc(h))), " ")
		for _, c := range columns {
			if slices.Contains(c.aliases, h) {
				if _, dup := col[c.field]; dup {
					v.Add("line 1/"+c.field, "duplicate", "two columns for "+c.field)
				}
				col[c.field] = i
			}
		}
	}
	for _, c := range columns {
		if _, ok := col[c.field]; !ok && c.required {
			v.Add("line 1/"+c.field, "required", fmt.Sprintf("no column named %q", c.aliases[0]))
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	cell := func(rec []string, field string) string {
		i, ok := col[field]
		if !ok || i >= len(rec) {
			return ""
		}
		return nfc(rec[i])
	}
	return cr, cell, nil
}
