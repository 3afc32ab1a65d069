package catalog

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
)

// The columns of the pre-reform list as the GSO site exported it, one row
// per commune with its district and province.
var pre2025Columns = []column{
	{"province_name", true, []string{"province_name", "tỉnh thành phố", "tỉnh / thành phố", "tỉnh/thành phố"}},
	{"province_code", true, []string{"province_code", "mã tp", "mã tỉnh"}},
	{"district_name", true, []string{"district_name", "quận huyện", "quận / huyện", "quận/huyện"}},
	{"district_code", true, []string{"district_code", "mã qh", "mã huyện"}},
	{"commune_name", false, []string{"commune_name", "phường xã", "phường / xã", "phường/xã"}},
	{"commune_code", false, []string{"commune_code", "mã px", "mã xã"}},
	{"commune_level", false, []string{"commune_level", "cấp"}},
}

var (
	districtCode = regexp.MustCompile(`^\d{3}$`)
	pre2025Level = map[string]string{"phường": LevelWard, "xã": LevelCommune, "thị trấn": LevelTown,
		"ward": LevelWard, "commune": LevelCommune, "town": LevelTown}
)

// LoadPre2025Places parses the list of administrative units in force until
// 30 June 2025 (codes of Decision 124/2004/QĐ-TTg as amended), in the
// layout the General Statistics Office's site exported: one row per
// commune, with columns "Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH",
// "Phường Xã", "Mã PX", "Cấp" (or province_name, province_code,
// district_name, district_code, commune_name, commune_code,
// commune_level), other columns ignored; a district without communes has
// the commune columns empty. CSV conventions are those of LoadPlaces.
//
// It returns one row per province, district and commune, each with Until
// 30/6/2025 and no known start, parented province ← district ← commune;
// WithPlaces adds them as "pre2025-CODE" entries, and the new list's
// predecessor codes then name them. A code that appears with two names is
// refused.
func LoadPre2025Places(r io.Reader) ([]PlaceRow, error) {
	cr, cell, err := openCSV(r, pre2025Columns)
	if err != nil {
		return nil, err
	}
	var v domain.ValidationError
	until := ReformDate.AddDays(-1)
	var rows []PlaceRow
	seen := map[string]int{} // code → rows index
	add := func(at string, field string, row PlaceRow) {
		if i, dup := seen[row.Code]; dup {
			if rows[i].Name != row.Name || rows[i].Parent != row.Parent || rows[i].Level != row.Level {
				v.Add(at+field, "duplicate", fmt.Sprintf("%s is %q on line %d", row.Code, rows[i].Name, rows[i].Line))
			}
			return
		}
		seen[row.Code] = len(rows)
		rows = append(rows, row)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			v.Add(fmt.Sprintf("line %d", line), "csv", err.Error())
			break
		}
		if len(rows) >= maxPlaceRows*2 {
			v.Add(fmt.Sprintf("line %d", line), "length", fmt.Sprintf("at most %d units", maxPlaceRows*2))
			break
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		at := fmt.Sprintf("line %d/", line)
		before := len(v.Problems)
		pc, pn := zeroPad(cell(rec, "province_code"), 2), cell(rec, "province_name")
		pl := ""
		switch {
		case strings.HasPrefix(pn, "Tỉnh "):
			pl = LevelProvince
		case strings.HasPrefix(pn, "Thành phố "):
			pl = LevelCity
		default:
			v.Add(at+"province_name", "format", "begins with Tỉnh or Thành phố")
		}
		if !provinceCode.MatchString(pc) {
			v.Add(at+"province_code", "format", "2 digits")
		}
		dc, dn := zeroPad(cell(rec, "district_code"), 3), cell(rec, "district_name")
		if !districtCode.MatchString(dc) {
			v.Add(at+"district_code", "format", "3 digits")
		}
		if dn == "" || len([]rune(dn)) > maxNameLen {
			v.Add(at+"district_name", "required", "")
		}
		cc, cn := zeroPad(cell(rec, "commune_code"), 5), cell(rec, "commune_name")
		cl := pre2025Level[strings.ToLower(cell(rec, "commune_level"))]
		if cc != "" || cn != "" {
			if !communeCode.MatchString(cc) {
				v.Add(at+"commune_code", "format", "5 digits")
			}
			if cn == "" || len([]rune(cn)) > maxNameLen {
				v.Add(at+"commune_name", "required", "")
			}
			if cl == "" {
				v.Add(at+"commune_level", "enum", "Phường, Xã or Thị trấn")
			}
		}
		if len(v.Problems) != before {
			continue
		}
		add(at, "province_code", PlaceRow{Line: line, Code: pc, Name: pn, Level: pl, Until: until})
		add(at, "district_code", PlaceRow{Line: line, Code: dc, Name: dn, Level: LevelDistrict, Parent: pc, Until: until})
		if cc != "" {
			add(at, "commune_code", PlaceRow{Line: line, Code: cc, Name: cn, Level: cl, Parent: dc, Until: until})
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, domain.Invalid("", "required", "no unit in the file")
	}
	return rows, nil
}
