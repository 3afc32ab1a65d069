package catalog

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
)

var (
	before2025 = domain.MustDate(2025, 6, 30)
	in2020     = domain.MustDate(2020, 5, 3)
	in2026     = domain.MustDate(2026, 12, 7)
)

// resolution202 is Resolution 202/2025/QH15, art. 1, written out by hand
// and independently of data/place.json: each province-level unit from
// 1/7/2025 (its code under Decision 19/2025/QĐ-TTg: the code of the
// predecessor holding the new administrative centre) ← the pre-reform units
// (codes of Decision 124/2004/QĐ-TTg) it was formed from. The 11 units not
// rearranged list themselves.
var resolution202 = map[string][]string{
	"01": {"01"},             // Hà Nội (not rearranged)
	"04": {"04"},             // Cao Bằng (not rearranged)
	"08": {"02", "08"},       // Tuyên Quang ← Hà Giang + Tuyên Quang
	"11": {"11"},             // Điện Biên (not rearranged)
	"12": {"12"},             // Lai Châu (not rearranged)
	"14": {"14"},             // Sơn La (not rearranged)
	"15": {"10", "15"},       // Lào Cai ← Lào Cai + Yên Bái (code of Yên Bái)
	"19": {"06", "19"},       // Thái Nguyên ← Bắc Kạn + Thái Nguyên
	"20": {"20"},             // Lạng Sơn (not rearranged)
	"22": {"22"},             // Quảng Ninh (not rearranged)
	"24": {"24", "27"},       // Bắc Ninh ← Bắc Giang + Bắc Ninh (code of Bắc Giang)
	"25": {"17", "25", "26"}, // Phú Thọ ← Hòa Bình + Phú Thọ + Vĩnh Phúc
	"31": {"30", "31"},       // Hải Phòng ← Hải Dương + Hải Phòng
	"33": {"33", "34"},       // Hưng Yên ← Hưng Yên + Thái Bình
	"37": {"35", "36", "37"}, // Ninh Bình ← Hà Nam + Nam Định + Ninh Bình
	"38": {"38"},             // Thanh Hóa (not rearranged)
	"40": {"40"},             // Nghệ An (not rearranged)
	"42": {"42"},             // Hà Tĩnh (not rearranged)
	"44": {"44", "45"},       // Quảng Trị ← Quảng Bình + Quảng Trị (code of Quảng Bình)
	"46": {"46"},             // Huế (not rearranged)
	"48": {"48", "49"},       // Đà Nẵng ← Đà Nẵng + Quảng Nam
	"51": {"51", "62"},       // Quảng Ngãi ← Quảng Ngãi + Kon Tum
	"52": {"52", "64"},       // Gia Lai ← Bình Định + Gia Lai (code of Bình Định)
	"56": {"56", "58"},       // Khánh Hòa ← Khánh Hòa + Ninh Thuận
	"66": {"54", "66"},       // Đắk Lắk ← Phú Yên + Đắk Lắk
	"68": {"60", "67", "68"}, // Lâm Đồng ← Bình Thuận + Đắk Nông + Lâm Đồng
	"75": {"70", "75"},       // Đồng Nai ← Bình Phước + Đồng Nai
	"79": {"74", "77", "79"}, // Hồ Chí Minh ← Bình Dương + Bà Rịa - Vũng Tàu + Hồ Chí Minh
	"80": {"72", "80"},       // Tây Ninh ← Tây Ninh + Long An (code of Long An)
	"82": {"82", "87"},       // Đồng Tháp ← Tiền Giang + Đồng Tháp (code of Tiền Giang)
	"86": {"83", "84", "86"}, // Vĩnh Long ← Bến Tre + Trà Vinh + Vĩnh Long
	"91": {"89", "91"},       // An Giang ← An Giang + Kiên Giang (code of Kiên Giang)
	"92": {"92", "93", "94"}, // Cần Thơ ← Cần Thơ + Hậu Giang + Sóc Trăng
	"96": {"95", "96"},       // Cà Mau ← Bạc Liêu + Cà Mau
}

// TestResolution202ProvinceMapping (Resolution 202/2025/QH15 art. 1): the
// catalogue holds exactly the 34 units in force from 1/7/2025 and the 63
// before, with unique codes; every old unit has exactly one successor, and
// the 63 → 34 mapping is total and equals the resolution as written out
// above.
func TestResolution202ProvinceMapping(t *testing.T) {
	t.Parallel()
	c := Default()
	provincesOn := func(d domain.Date) []Place {
		return append(c.PlacesOn(LevelProvince, d), c.PlacesOn(LevelCity, d)...)
	}
	now, old := provincesOn(ReformDate), provincesOn(before2025)
	if len(now) != 34 || len(old) != 63 {
		t.Fatalf("%d units on 1/7/2025 and %d on 30/6/2025, want 34 and 63", len(now), len(old))
	}
	codes := map[string]bool{}
	for _, p := range now {
		if codes[p.Official] || !provinceCode.MatchString(p.Official) || p.Code != p.Official {
			t.Errorf("code %q (%s) duplicate or malformed", p.Code, p.Name)
		}
		codes[p.Official] = true
		var got []string
		for _, q := range c.PlacePredecessors(p.Code) {
			got = append(got, q.Official)
		}
		if want := resolution202[p.Code]; !slices.Equal(got, want) {
			t.Errorf("%s %s ← %v, want %v (Resolution 202/2025/QH15)", p.Code, p.Name, got, want)
		}
	}
	if len(codes) != len(resolution202) {
		t.Errorf("%d codes, the resolution has %d", len(codes), len(resolution202))
	}
	covered := map[string]int{}
	for _, p := range old {
		if len(p.Successors) != 1 {
			t.Errorf("%s %s has successors %v, want exactly one", p.Code, p.Name, p.Successors)
			continue
		}
		covered[p.Official]++
		s, _ := c.Place(p.Successors[0])
		if !s.InForceOn(ReformDate) || p.InForceOn(ReformDate) || !p.InForceOn(before2025) {
			t.Errorf("%s → %s: the old unit must end on 30/6/2025 and the new one start on 1/7/2025", p.Code, s.Code)
		}
		if !slices.Contains(resolution202[s.Code], p.Official) {
			t.Errorf("%s %s → %s %s, not in Resolution 202/2025/QH15", p.Code, p.Name, s.Code, s.Name)
		}
	}
	total := 0
	for _, olds := range resolution202 {
		for _, o := range olds {
			total++
			if covered[o] != 1 {
				t.Errorf("old province %s is covered %d times", o, covered[o])
			}
		}
	}
	if total != 63 {
		t.Errorf("the written-out resolution covers %d old units, want 63", total)
	}
	for _, p := range append(now, old...) {
		if !norm.NFC.IsNormalString(p.Name) || !strings.HasPrefix(p.Name, "Tỉnh ") && !strings.HasPrefix(p.Name, "Thành phố ") {
			t.Errorf("%s: name %q", p.Code, p.Name)
		}
	}
}

// TestSuccessorByRecordedDate (Resolution 202/2025/QH15): a code is read as
// it was on the day it was recorded, and Successor gives the unit in force
// today. Tiền Giang is in Đồng Tháp, Bình Định in Gia Lai, as issue 14 says.
func TestSuccessorByRecordedDate(t *testing.T) {
	t.Parallel()
	c := Default()
	tests := []struct {
		code     string
		recorded domain.Date
		meant    string // name of the unit the code denoted then
		now      string // code of the successor in force today
		nowName  string
	}{
		{"82", in2020, "Tỉnh Tiền Giang", "82", "Tỉnh Đồng Tháp"},
		{"87", in2020, "Tỉnh Đồng Tháp", "82", "Tỉnh Đồng Tháp"},
		{"52", in2020, "Tỉnh Bình Định", "52", "Tỉnh Gia Lai"},
		{"64", in2020, "Tỉnh Gia Lai", "52", "Tỉnh Gia Lai"},
		{"26", before2025, "Tỉnh Vĩnh Phúc", "25", "Tỉnh Phú Thọ"},
		{"10", in2020, "Tỉnh Lào Cai", "15", "Tỉnh Lào Cai"},
		{"15", in2020, "Tỉnh Yên Bái", "15", "Tỉnh Lào Cai"},
		{"91", in2020, "Tỉnh Kiên Giang", "91", "Tỉnh An Giang"},
		{"89", in2020, "Tỉnh An Giang", "91", "Tỉnh An Giang"},
		{"74", in2020, "Tỉnh Bình Dương", "79", "Thành phố Hồ Chí Minh"},
		{"01", in2020, "Thành phố Hà Nội", "01", "Thành phố Hà Nội"},
		{"82", ReformDate, "Tỉnh Đồng Tháp", "82", "Tỉnh Đồng Tháp"},
		{"82", in2026, "Tỉnh Đồng Tháp", "82", "Tỉnh Đồng Tháp"},
		{"pre2025-82", in2020, "Tỉnh Tiền Giang", "82", "Tỉnh Đồng Tháp"},
	}
	for _, tt := range tests {
		p, ok := c.PlaceOn(tt.code, tt.recorded)
		s, ok2 := c.Successor(tt.code, tt.recorded)
		if !ok || !ok2 || p.Name != tt.meant || s.Code != tt.now || s.Name != tt.nowName {
			t.Errorf("%s on %s = %q → %s %q (%v %v); want %q → %s %q", tt.code, tt.recorded, p.Name, s.Code, s.Name, ok, ok2, tt.meant, tt.now, tt.nowName)
		}
		if got := c.SuccessorsOn(tt.code, tt.recorded, in2026); len(got) != 1 || got[0].Code != tt.now {
			t.Errorf("SuccessorsOn(%s, %s) = %v", tt.code, tt.recorded, got)
		}
	}
	// Unknown codes, and codes asked about on a day they meant nothing.
	for _, tt := range []struct {
		code string
		d    domain.Date
	}{{"99", in2020}, {"03", in2026}, {"pre2025-82", in2026}, {"87", in2026}, {"", in2020}} {
		if p, ok := c.PlaceOn(tt.code, tt.d); ok {
			t.Errorf("PlaceOn(%q, %s) = %+v, want none", tt.code, tt.d, p)
		}
		if p, ok := c.Successor(tt.code, tt.d); ok {
			t.Errorf("Successor(%q, %s) = %+v, want none", tt.code, tt.d, p)
		}
	}
	// Asked on a day before the reform, an old unit is its own answer.
	if got := c.SuccessorsOn("82", in2020, before2025); len(got) != 1 || got[0].Code != "pre2025-82" {
		t.Errorf("SuccessorsOn(82, 2020, 30/6/2025) = %v, want Tiền Giang itself", got)
	}
	// The old Ba Đình wards were split: no single successor is known.
	if p, ok := c.Successor("00001", in2020); ok {
		t.Errorf("Successor(00001) = %+v; the old ward's lineage is unknown without the commune file", p)
	}
}

func loadSample(t *testing.T) []PlaceRow {
	t.Helper()
	b, err := os.ReadFile("testdata/places/sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := LoadPlaces(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestLoadPlacesSample: the documented CSV format loads, and the loaded
// communes resolve old codes by the date they were recorded (Resolution
// 202/2025/QH15 and the Standing Committee resolutions on communes: old
// wards end 30/6/2025, new ones start 1/7/2025).
func TestLoadPlacesSample(t *testing.T) {
	t.Parallel()
	rows := loadSample(t)
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	want := PlaceRow{Line: 4, Code: "00008", Name: "Phường Ngọc Hà", Level: LevelWard, Parent: "01", Predecessors: []string{"00006", "00007", "00008"}, Effective: ReformDate}
	if r := rows[2]; r.Code != want.Code || r.Name != want.Name || r.Level != want.Level || r.Parent != want.Parent ||
		!slices.Equal(r.Predecessors, want.Predecessors) || r.Effective != want.Effective || r.Line != want.Line {
		t.Errorf("row = %+v, want %+v", r, want)
	}
	if rows[0].Level != LevelCity || rows[0].Parent != "" || rows[0].Effective != ReformDate {
		t.Errorf("province row = %+v", rows[0])
	}
	def := Default()
	before := def.Version()
	c, err := def.WithPlaces("2025.07.01-sample", "testdata/places/sample.csv (illustrative)", rows)
	if err != nil {
		t.Fatal(err)
	}
	if def.Version() != before || len(def.Entries(KindPlace)) == len(c.Entries(KindPlace)) {
		t.Fatal("WithPlaces changed Default or added nothing")
	}
	// A code reused across the reform: 00004 was Trúc Bạch, is Ba Đình.
	if p, _ := c.PlaceOn("00004", in2020); p.Name != "Phường Trúc Bạch" {
		t.Errorf("00004 in 2020 = %q", p.Name)
	}
	if p, _ := c.PlaceOn("00004", in2026); p.Name != "Phường Ba Đình" || p.Parent != "01" || p.Level != LevelWard {
		t.Errorf("00004 in 2026 = %+v", p)
	}
	for _, tt := range []struct {
		code string
		want []string
	}{
		{"00001", []string{"00004"}},
		{"00004", []string{"00004"}},
		{"00006", []string{"00004", "00008"}}, // split between two new wards
		{"00007", []string{"00008"}},
		{"00008", []string{"00008", "00025"}},
		{"00013", []string{"00025"}}, // unknown before the file: a placeholder keeps it resolvable
		{"28261", []string{"28249"}},
		{"82", []string{"82"}},
	} {
		var got []string
		for _, p := range c.SuccessorsOn(tt.code, in2020, in2026) {
			got = append(got, p.Code)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("SuccessorsOn(%s) = %v, want %v", tt.code, got, tt.want)
		}
		s, ok := c.Successor(tt.code, in2020)
		if unique := len(tt.want) == 1; ok != unique || unique && s.Code != tt.want[0] {
			t.Errorf("Successor(%s) = %s, %v", tt.code, s.Code, ok)
		}
	}
	if r, ok := c.Resolve(KindPlace, "pre2025-00001"); !ok || r.Code != "00004" {
		t.Errorf("Resolve(pre2025-00001) = %+v, %v", r, ok)
	}
	if p, ok := c.Place("pre2025-00013"); !ok || !p.InForceOn(before2025) || p.InForceOn(ReformDate) {
		t.Errorf("placeholder = %+v, %v", p, ok)
	}
	var preds []string
	for _, p := range c.PlacePredecessors("00008") {
		preds = append(preds, p.Code)
	}
	if !slices.Equal(preds, []string{"pre2025-00006", "pre2025-00007", "pre2025-00008"}) {
		t.Errorf("predecessors of 00008 = %v", preds)
	}
	if p, _ := c.PlaceOn("28249", in2026); p.Parent != "82" {
		t.Errorf("28249's parent = %q, want Đồng Tháp", p.Parent)
	}
	// An override of another kind keeps the loaded places and their lineage.
	o, err := c.Override([]byte(overrideRank))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.SuccessorsOn("00006", in2020, in2026); len(got) != 2 {
		t.Errorf("after an override, 00006 → %v", got)
	}
	// Loading the same file again adds nothing and loses no lineage.
	again, err := c.WithPlaces("2", "", rows)
	if err != nil || len(again.Entries(KindPlace)) != len(c.Entries(KindPlace)) || len(again.SuccessorsOn("00006", in2020, in2026)) != 2 {
		t.Errorf("second load: %v", err)
	}
}

// TestLoadPlacesRefuses: every problem is reported with its line and
// column, and nothing is half-loaded.
func TestLoadPlacesRefuses(t *testing.T) {
	t.Parallel()
	const head = "code,name,level,province_code,predecessors,effective\n"
	tests := []struct {
		name, csv, field, rule string
	}{
		{"empty", "", "", "required"},
		{"header only", head, "", "required"},
		{"missing column", "code,name,level\n01,Hà Nội,Tỉnh\n", "line 1/province_code", "required"},
		{"duplicate column", "code,mã,name,level,province_code\n", "line 1/code", "duplicate"},
		{"not utf-8", head + "01,H\xe0 N\xf4i,Tỉnh,,,\n", "", "encoding"},
		{"level", head + "00004,Phường Ba Đình,Quận,01,,\n", "line 2/level", "enum"},
		{"province code", head + "001,Hà Nội,Tỉnh,,,\n", "line 2/code", "format"},
		{"commune code", head + "000004,Phường Ba Đình,Phường,01,,\n", "line 2/code", "format"},
		{"commune code letters", head + "0004a,Phường Ba Đình,Phường,01,,\n", "line 2/code", "format"},
		{"duplicate code", head + "01,Hà Nội,Tỉnh,,,\n01,Hà Nội,Tỉnh,,,\n", "line 3/code", "duplicate"},
		{"no name", head + "01,,Tỉnh,,,\n", "line 2/name", "required"},
		{"no province", head + "00004,Phường Ba Đình,Phường,,,\n", "line 2/province_code", "format"},
		{"province in a province", head + "01,Hà Nội,Tỉnh,79,,\n", "line 2/province_code", "format"},
		{"predecessor", head + "00004,Phường Ba Đình,Phường,01,000001,\n", "line 2/predecessors", "format"},
		{"date", head + "00004,Phường Ba Đình,Phường,01,,31/6/2025\n", "line 2/effective", "format"},
		{"iso date", head + "00004,Phường Ba Đình,Phường,01,,2025-13-01\n", "line 2/effective", "format"},
		{"quoting", head + "00004,\"Phường Ba Đình,Phường,01,,\n", "line 2", "csv"},
	}
	for _, tt := range tests {
		_, err := LoadPlaces(strings.NewReader(tt.csv))
		var v *domain.ValidationError
		if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &v) || !hasProblem(v, tt.field, tt.rule) {
			t.Errorf("%s: %v, want %s %s", tt.name, err, tt.field, tt.rule)
		}
	}
	// Leading zeros a spreadsheet dropped are restored by the row's level.
	rows, err := LoadPlaces(strings.NewReader(head + "4,Phường Ba Đình,Phường,1,6;7 1,\n1,Thành phố Hà Nội,Thành phố Trung ương,,1,\n"))
	if err != nil || rows[0].Code != "00004" || rows[0].Parent != "01" || !slices.Equal(rows[0].Predecessors, []string{"00006", "00007", "00001"}) ||
		rows[1].Code != "01" || !slices.Equal(rows[1].Predecessors, []string{"01"}) {
		t.Errorf("zero padding: %+v, %v", rows, err)
	}
	if _, err := LoadPlaces(strings.NewReader(head + "01,Thành phố Hà Nội,Tỉnh,,00001,\n")); err == nil {
		t.Error("a province formed from a commune was accepted")
	}
	// WithPlaces refuses references it cannot place.
	for _, tt := range []struct{ name, csv, field string }{
		{"unknown province", head + "00004,Phường Ba Đình,Phường,03,,\n", "line 2/province_code"},
		{"old province after the reform", head + "00004,Phường Ba Đình,Phường,87,,\n", "line 2/province_code"},
		{"unknown predecessor, not the reform date", head + "00004,Phường Ba Đình,Phường,01,99999,2026-01-01\n", "line 2/predecessors"},
		{"changed name", head + "82,Tỉnh Tiền Giang,Tỉnh,,,\n", "line 2/code"},
	} {
		rows, err := LoadPlaces(strings.NewReader(tt.csv))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, err = Default().WithPlaces("x", "", rows)
		var v *domain.ValidationError
		if !errors.As(err, &v) || !hasProblem(v, tt.field, "") {
			t.Errorf("%s: %v, want a problem at %s", tt.name, err, tt.field)
		}
	}
}

func hasProblem(v *domain.ValidationError, field, rule string) bool {
	for _, p := range v.Problems {
		if p.Field == field && (rule == "" || p.Rule == rule) {
			return true
		}
	}
	return false
}

// FuzzLoadPlaces: LoadPlaces never panics and refuses only with
// ErrInvalid; whatever it accepts is well formed, and WithPlaces either
// refuses it with ErrInvalid or yields a catalogue whose every loaded code
// is found on its effective date.
func FuzzLoadPlaces(f *testing.F) {
	if b, err := os.ReadFile("testdata/places/sample.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("code,name,level,province_code\n01,Hà Nội,Tỉnh,\n"))
	f.Add([]byte("Mã,Tên,Cấp,Mã tỉnh,Mã đơn vị cũ\n00004,Phường Ba Đình,Phường,01,\"00001;00004\"\n"))
	f.Add([]byte("code,name\n\"x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := LoadPlaces(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			return
		}
		for _, r := range rows {
			if r.Name == "" || !norm.NFC.IsNormalString(r.Name) || r.Level == "" || r.Effective.IsZero() {
				t.Fatalf("accepted row %+v", r)
			}
		}
		c, err := Default().WithPlaces("fuzz", "", rows)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("WithPlaces err = %v, want ErrInvalid", err)
			}
			return
		}
		for _, r := range rows {
			if p, ok := c.PlaceOn(r.Code, r.Effective); !ok || p.Official != r.Code {
				t.Fatalf("%s not found on %s", r.Code, r.Effective)
			}
		}
	})
}

func loadPre2025Sample(t *testing.T) []PlaceRow {
	t.Helper()
	b, err := os.ReadFile("testdata/places/pre2025-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := LoadPre2025Places(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestLoadPre2025Places (Law 72/2025/QH15: the district level ends on
// 30/6/2025): the pre-reform list loads as retired provinces, districts and
// communes parented province ← district ← commune, in either order with the
// new list, and an address written with an old commune code resolves to
// the new ward.
func TestLoadPre2025Places(t *testing.T) {
	t.Parallel()
	old := loadPre2025Sample(t)
	var codes []string
	for _, r := range old {
		codes = append(codes, r.Level+":"+r.Code+"<"+r.Parent)
		if r.Until != before2025 || !r.Effective.IsZero() {
			t.Errorf("%s: until %s, from %s", r.Code, r.Until, r.Effective)
		}
	}
	want := []string{"city:01<", "district:001<01", "ward:00001<001", "ward:00004<001", "ward:00006<001", "ward:00007<001",
		"ward:00008<001", "ward:00013<001", "province:46<", "district:999<46", "province:82<", "district:998<82", "commune:28261<998"}
	if !slices.Equal(codes, want) {
		t.Errorf("rows = %v\nwant %v", codes, want)
	}
	newRows := loadSample(t)
	check := func(name string, c *Catalog) {
		if p, ok := c.PlaceOn("00013", in2020); !ok || p.Name != "Phường Ngọc Hà" || p.Parent != "pre2025-001" {
			t.Errorf("%s: 00013 in 2020 = %+v, %v", name, p, ok)
		}
		if d, ok := c.PlaceOn("001", in2020); !ok || d.Level != LevelDistrict || d.Name != "Quận Ba Đình" || d.Parent != "pre2025-01" {
			t.Errorf("%s: district 001 in 2020 = %+v, %v", name, d, ok)
		}
		if _, ok := c.PlaceOn("001", in2026); ok {
			t.Errorf("%s: a district in force in 2026", name)
		}
		if s, ok := c.Successor("00013", in2020); !ok || s.Name != "Phường Giảng Võ" {
			t.Errorf("%s: Successor(00013) = %+v, %v", name, s, ok)
		}
		if p, _ := c.Place("pre2025-46"); p.Name != "Thành phố Huế" {
			t.Errorf("%s: the curated Huế entry was replaced by %q", name, p.Name)
		}
		if p, _ := c.PlaceOn("28261", in2020); p.Name != "Xã Mẫu" || p.Level != LevelCommune {
			t.Errorf("%s: 28261 = %+v", name, p)
		}
	}
	oldFirst, err := Default().WithPlaces("a", "", old)
	if err != nil {
		t.Fatal(err)
	}
	if oldFirst, err = oldFirst.WithPlaces("b", "", newRows); err != nil {
		t.Fatal(err)
	}
	check("old list first", oldFirst)
	newFirst, err := Default().WithPlaces("a", "", newRows)
	if err != nil {
		t.Fatal(err)
	}
	if newFirst, err = newFirst.WithPlaces("b", "", old); err != nil {
		t.Fatal(err)
	}
	check("new list first", newFirst)

	const head = "Tỉnh Thành Phố,Mã TP,Quận Huyện,Mã QH,Phường Xã,Mã PX,Cấp\n"
	for _, tt := range []struct{ name, csv, field, rule string }{
		{"missing column", "Tỉnh Thành Phố,Mã TP\n", "line 1/district_name", "required"},
		{"province name", head + "Hà Nội,01,Quận Ba Đình,001,,,\n", "line 2/province_name", "format"},
		{"district code", head + "Thành phố Hà Nội,01,Quận Ba Đình,0001,,,\n", "line 2/district_code", "format"},
		{"commune level", head + "Thành phố Hà Nội,01,Quận Ba Đình,001,Phường Phúc Xá,00001,Quận\n", "line 2/commune_level", "enum"},
		{"two names", head + "Thành phố Hà Nội,01,Quận Ba Đình,001,,,\nThành phố Hà Nội,01,Quận Hoàn Kiếm,001,,,\n", "line 3/district_code", "duplicate"},
	} {
		_, err := LoadPre2025Places(strings.NewReader(tt.csv))
		var v *domain.ValidationError
		if !errors.As(err, &v) || !hasProblem(v, tt.field, tt.rule) {
			t.Errorf("%s: %v, want %s %s", tt.name, err, tt.field, tt.rule)
		}
	}
	if rows, err := LoadPre2025Places(strings.NewReader(head + "Thành phố Hà Nội,1,Quận Ba Đình,1,Phường Phúc Xá,1,Phường\n")); err != nil ||
		len(rows) != 3 || rows[0].Code != "01" || rows[1].Code != "001" || rows[2].Code != "00001" || rows[2].Parent != "001" {
		t.Errorf("zero padding: %+v, %v", rows, err)
	}
	// Only units retired by the 2025 reform load as historical.
	bad := slices.Clone(old)
	bad[0].Until = in2020
	if _, err := Default().WithPlaces("x", "", bad); err == nil || !strings.Contains(err.Error(), "line 2/until") {
		t.Errorf("until 2020: %v", err)
	}
}

// FuzzLoadPre2025Places: never panics, refuses only with ErrInvalid, and
// what it accepts WithPlaces either refuses with ErrInvalid or finds on
// 30/6/2025.
func FuzzLoadPre2025Places(f *testing.F) {
	if b, err := os.ReadFile("testdata/places/pre2025-sample.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Tỉnh Thành Phố,Mã TP,Quận Huyện,Mã QH\nTỉnh Mẫu,99,Huyện Mẫu,998\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := LoadPre2025Places(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			return
		}
		c, err := Default().WithPlaces("fuzz", "", rows)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("WithPlaces err = %v, want ErrInvalid", err)
			}
			return
		}
		for _, r := range rows {
			if _, ok := c.PlaceOn(r.Code, before2025); !ok {
				t.Fatalf("%s not found on 30/6/2025", r.Code)
			}
		}
	})
}
