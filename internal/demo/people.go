package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// weighted picks one of its values with probability proportional to its weight.
type weighted[T any] []struct {
	w int
	v T
}

func (ws weighted[T]) pick(r *rand.Rand) T {
	total := 0
	for _, x := range ws {
		total += x.w
	}
	n := r.IntN(total)
	for _, x := range ws {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return ws[len(ws)-1].v
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// ethnicGroup is an ethnicity (catalogue code) with the family names and
// religions common in it. Phú Thọ since 2025 includes the old Hòa Bình
// province, where most people are Mường, hence their share.
type ethnicGroup struct {
	code      string
	families  weighted[string]
	religions weighted[string]
}

// kinhFamilies follows the commonly cited shares of Vietnamese family names.
var kinhFamilies = weighted[string]{
	{380, "Nguyễn"}, {110, "Trần"}, {95, "Lê"}, {70, "Phạm"}, {30, "Hoàng"}, {20, "Huỳnh"},
	{45, "Phan"}, {25, "Vũ"}, {15, "Võ"}, {21, "Đặng"}, {20, "Bùi"}, {14, "Đỗ"}, {13, "Hồ"},
	{13, "Ngô"}, {10, "Dương"}, {5, "Lý"}, {8, "Đinh"}, {6, "Trịnh"}, {6, "Đào"}, {5, "Cao"},
	{4, "Lương"}, {4, "Hà"}, {3, "Tạ"}, {3, "Kiều"}, {3, "Văn"},
}

var ethnicities = weighted[ethnicGroup]{
	{800, ethnicGroup{"01", kinhFamilies, weighted[string]{{880, "none"}, {70, "phat_giao"}, {45, "cong_giao"}, {5, "tin_lanh"}}}},
	{100, ethnicGroup{"06", weighted[string]{{30, "Đinh"}, {30, "Bùi"}, {15, "Quách"}, {15, "Hà"}, {10, "Xa"}}, weighted[string]{{97, "none"}, {3, "cong_giao"}}}}, // Mường
	{20, ethnicGroup{"02", weighted[string]{{40, "Nông"}, {30, "Hoàng"}, {15, "Lường"}, {15, "Ma"}}, weighted[string]{{95, "none"}, {5, "phat_giao"}}}},            // Tày
	{20, ethnicGroup{"03", weighted[string]{{35, "Lò"}, {25, "Quàng"}, {20, "Cầm"}, {20, "Lường"}}, weighted[string]{{100, "none"}}}},                              // Thái
	{20, ethnicGroup{"09", weighted[string]{{45, "Bàn"}, {35, "Triệu"}, {20, "Lý"}}, weighted[string]{{100, "none"}}}},                                             // Dao
	{10, ethnicGroup{"08", weighted[string]{{30, "Giàng"}, {30, "Sùng"}, {25, "Vàng"}, {15, "Thào"}}, weighted[string]{{70, "none"}, {30, "tin_lanh"}}}},           // Mông
	{10, ethnicGroup{"07", weighted[string]{{50, "Nông"}, {30, "Hoàng"}, {20, "Lăng"}}, weighted[string]{{100, "none"}}}},                                          // Nùng
	{8, ethnicGroup{"18", weighted[string]{{50, "Lưu"}, {50, "Tạ"}}, weighted[string]{{100, "none"}}}},                                                             // Sán Dìu
	{7, ethnicGroup{"04", weighted[string]{{40, "Lý"}, {30, "Trương"}, {30, "Lâm"}}, weighted[string]{{60, "phat_giao"}, {40, "none"}}}},                           // Hoa
	{5, ethnicGroup{"05", weighted[string]{{40, "Thạch"}, {30, "Danh"}, {30, "Sơn"}}, weighted[string]{{90, "phat_giao"}, {10, "none"}}}},                          // Khmer
}

var (
	middleMale   = []string{"Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Ngọc", "Thanh", "Xuân", "Đình", "Trọng", "Mạnh", "Tiến"}
	middleFemale = []string{"Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Thùy", "Phương", "Hồng", "Bích", "Diệu"}
	givenMale    = []string{"An", "Anh", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa", "Long", "Mạnh", "Minh", "Nam", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Thắng", "Thành", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Hưng", "Kiên", "Lâm", "Nghĩa", "Toàn"}
	givenFemale  = []string{"An", "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "Nga", "Ngọc", "Nhung", "Phương", "Quỳnh", "Thảo", "Thu", "Thủy", "Trang", "Uyên", "Vân", "Yến", "Hồng", "Tâm"}
)

// typos are misspellings HR plausibly typed and later corrected.
var typos = map[string]string{
	"Anh": "Ánh", "Hùng": "Hưng", "Dũng": "Dung", "Hằng": "Hăng", "Thảo": "Thao", "Tuấn": "Tuân",
	"Hương": "Hướng", "Minh": "Mình", "Linh": "Lình", "Lan": "Lân", "Sơn": "Son", "Long": "Lông",
}

// birthProvince is a province of birth: its pre-2025 place code (the code
// in force when the person was born) and the three-digit province code
// that opens personal ID numbers (Circular 59/2021/TT-BCA).
type birthProvince struct {
	place  string
	idCode string
	name   string
}

var birthProvinces = weighted[birthProvince]{
	{55, birthProvince{"pre2025-25", "025", "Phú Thọ"}},
	{15, birthProvince{"pre2025-26", "026", "Vĩnh Phúc"}},
	{15, birthProvince{"pre2025-17", "017", "Hòa Bình"}},
	{4, birthProvince{"pre2025-01", "001", "Hà Nội"}},
	{3, birthProvince{"pre2025-08", "008", "Tuyên Quang"}},
	{3, birthProvince{"pre2025-15", "015", "Yên Bái"}},
	{3, birthProvince{"pre2025-38", "038", "Thanh Hóa"}},
	{2, birthProvince{"pre2025-40", "040", "Nghệ An"}},
}

// person is one synthetic public servant's identity.
type person struct {
	name       string // as it should read
	typedName  string // as first entered; differs when a correction is planned
	gender     dossier.Gender
	born       domain.Date
	birthplace birthProvince
	ethnicity  string
	religion   string
	personalID string
	family     string // family name, for relatives
	middle     string
}

// asOf is the demo's "today": the last effective date it generates, fixed
// so the output depends on the seed alone.
var asOf = domain.MustDate(2026, 10, 31)

// newPerson draws person i. Ages are 22–62 on asOf. The personal ID number
// is the birth province code, the century/gender digit, the birth year's
// last two digits and six digits that are a bijection of i (7919 is prime
// to 10^6), so numbers never repeat within one demo.
func newPerson(r *rand.Rand, i int, seedOffset int) person {
	g := ethnicities.pick(r)
	p := person{ethnicity: g.code, religion: g.religions.pick(r), birthplace: birthProvinces.pick(r)}
	p.family = g.families.pick(r)
	var given string
	if r.IntN(100) < 52 {
		p.gender, p.middle, given = dossier.GenderFemale, pick(r, middleFemale), pick(r, givenFemale)
	} else {
		p.gender, p.middle, given = dossier.GenderMale, pick(r, middleMale), pick(r, givenMale)
	}
	p.name = p.family + " " + p.middle + " " + given
	p.typedName = p.name
	if typo, ok := typos[given]; ok && r.IntN(100) < 25 {
		p.typedName = p.family + " " + p.middle + " " + typo
	}
	ageDays := 22*365 + 6 + r.IntN(40*365)
	p.born = asOf.AddDays(-ageDays)
	y := p.born.Year()
	digit := 2 * (y/100 - 19)
	if p.gender == dossier.GenderFemale {
		digit++
	}
	tail := (i*7919 + seedOffset) % 1_000_000
	p.personalID = fmt.Sprintf("%s%d%02d%06d", p.birthplace.idCode, digit, y%100, tail)
	return p
}

func (p person) identity(name string) dossier.Identity {
	return dossier.Identity{
		BirthName:    name,
		Gender:       p.gender,
		DateOfBirth:  p.born,
		PlaceOfBirth: dossier.Address{Place: p.birthplace.place},
		HomeTown:     dossier.Address{Place: p.birthplace.place},
		Ethnicity:    p.ethnicity,
		Religion:     p.religion,
	}
}
