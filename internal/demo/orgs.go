package demo

import (
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
)

// Key dates of the demo province.
var (
	// founded is when the demo's orgs begin: Phú Thọ was re-established on
	// 1 January 1997 (split from Vĩnh Phú). Careers that began earlier are
	// opened on that day with their earlier years as work history.
	founded = domain.MustDate(1997, 1, 1)
	// reform is the two-level local government: district committees end
	// and communes are founded (org.DistrictLevelAbolished).
	reform = org.DistrictLevelAbolished
	// agricultureRenamed is when the agriculture and environment departments
	// merged; the demo keeps it as a rename, so name history is visible.
	agricultureRenamed = domain.MustDate(2025, 3, 1)
)

// group says which orgs a person can move between: administrations trade
// civil servants, hospitals doctors and nurses, schools teachers.
type group string

const (
	groupAdmin     group = "admin"
	groupHealth    group = "health"
	groupEducation group = "education"
)

// orgSpec is one org of the demo province.
type orgSpec struct {
	key    string
	name   string
	code   string
	kind   org.Kind
	level  org.Level
	parent string // key; "" for the root
	from   domain.Date
	group  group
	// successor is the key of the org a historic district committee merged
	// into on the reform date.
	successor string
	// hr is the key of the HR account that keeps this org's dossiers.
	hr string
	// weight is the org's share of the dossiers recruited into it.
	weight int
}

// orgSpecs is the province, parents before children. Codes follow the shape
// of the electronic agency identifiers (000.00.XX.H45, H45 being Phú Thọ).
var orgSpecs = []orgSpec{
	{key: "ubnd-tinh", name: "Ủy ban nhân dân tỉnh Phú Thọ", code: "000.00.00.H45", kind: org.KindProvinceCommittee, level: org.LevelProvince, from: founded, group: groupAdmin, hr: "tccb.sonoivu", weight: 5},
	{key: "so-noi-vu", name: "Sở Nội vụ tỉnh Phú Thọ", code: "000.00.01.H45", kind: org.KindDepartment, level: org.LevelProvince, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sonoivu", weight: 6},
	{key: "so-tai-chinh", name: "Sở Tài chính tỉnh Phú Thọ", code: "000.00.02.H45", kind: org.KindDepartment, level: org.LevelProvince, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sotaichinh", weight: 6},
	{key: "so-tu-phap", name: "Sở Tư pháp tỉnh Phú Thọ", code: "000.00.03.H45", kind: org.KindDepartment, level: org.LevelProvince, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sonoivu", weight: 4},
	{key: "so-nong-nghiep", name: "Sở Nông nghiệp và Phát triển nông thôn tỉnh Phú Thọ", code: "000.00.04.H45", kind: org.KindDepartment, level: org.LevelProvince, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sonoivu", weight: 5},
	{key: "so-y-te", name: "Sở Y tế tỉnh Phú Thọ", code: "000.00.05.H45", kind: org.KindDepartment, level: org.LevelProvince, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.soyte", weight: 4},
	{key: "so-gd-dt", name: "Sở Giáo dục và Đào tạo tỉnh Phú Thọ", code: "000.00.06.H45", kind: org.KindDepartment, level: org.LevelProvince, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sogddt", weight: 4},
	{key: "bv-da-khoa", name: "Bệnh viện Đa khoa tỉnh Phú Thọ", code: "000.05.01.H45", kind: org.KindPublicServiceUnit, level: org.LevelUnit, parent: "so-y-te", from: founded, group: groupHealth, hr: "tccb.soyte", weight: 10},
	{key: "bv-san-nhi", name: "Bệnh viện Sản Nhi tỉnh Phú Thọ", code: "000.05.02.H45", kind: org.KindPublicServiceUnit, level: org.LevelUnit, parent: "so-y-te", from: founded, group: groupHealth, hr: "tccb.soyte", weight: 6},
	{key: "cdc", name: "Trung tâm Kiểm soát bệnh tật tỉnh Phú Thọ", code: "000.05.03.H45", kind: org.KindPublicServiceUnit, level: org.LevelUnit, parent: "so-y-te", from: founded, group: groupHealth, hr: "tccb.soyte", weight: 4},
	{key: "thpt-hung-vuong", name: "Trường THPT Chuyên Hùng Vương", code: "000.06.01.H45", kind: org.KindPublicServiceUnit, level: org.LevelUnit, parent: "so-gd-dt", from: founded, group: groupEducation, hr: "tccb.sogddt", weight: 7},
	{key: "thpt-viet-tri", name: "Trường THPT Việt Trì", code: "000.06.02.H45", kind: org.KindPublicServiceUnit, level: org.LevelUnit, parent: "so-gd-dt", from: founded, group: groupEducation, hr: "tccb.sogddt", weight: 7},
	{key: "thpt-lam-thao", name: "Trường THPT Lâm Thao", code: "000.06.03.H45", kind: org.KindPublicServiceUnit, level: org.LevelUnit, parent: "so-gd-dt", from: founded, group: groupEducation, hr: "tccb.sogddt", weight: 6},
	{key: "huyen-lam-thao", name: "Ủy ban nhân dân huyện Lâm Thao", code: "000.20.00.H45", kind: org.KindDistrictCommittee, level: org.LevelDistrict, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sonoivu", successor: "xa-lam-thao", weight: 9},
	{key: "huyen-phu-ninh", name: "Ủy ban nhân dân huyện Phù Ninh", code: "000.21.00.H45", kind: org.KindDistrictCommittee, level: org.LevelDistrict, parent: "ubnd-tinh", from: founded, group: groupAdmin, hr: "tccb.sonoivu", successor: "xa-phu-ninh", weight: 8},
	{key: "xa-lam-thao", name: "Ủy ban nhân dân xã Lâm Thao", code: "000.30.01.H45", kind: org.KindCommuneCommittee, level: org.LevelCommune, parent: "ubnd-tinh", from: reform, group: groupAdmin, hr: "tccb.sonoivu", weight: 4},
	{key: "xa-phu-ninh", name: "Ủy ban nhân dân xã Phù Ninh", code: "000.30.02.H45", kind: org.KindCommuneCommittee, level: org.LevelCommune, parent: "ubnd-tinh", from: reform, group: groupAdmin, hr: "tccb.sonoivu", weight: 3},
	{key: "phuong-viet-tri", name: "Ủy ban nhân dân phường Việt Trì", code: "000.30.03.H45", kind: org.KindCommuneCommittee, level: org.LevelCommune, parent: "ubnd-tinh", from: reform, group: groupAdmin, hr: "tccb.sonoivu", weight: 3},
}

// renamedAgriculture is the agriculture department's name from agricultureRenamed.
const renamedAgriculture = "Sở Nông nghiệp và Môi trường tỉnh Phú Thọ"

func specOf(key string) orgSpec {
	for _, s := range orgSpecs {
		if s.key == key {
			return s
		}
	}
	panic("demo: no org " + key)
}

// servesOn reports whether the org exists and has not merged away on d.
func (s orgSpec) servesOn(d domain.Date) bool {
	if d.Before(s.from) {
		return false
	}
	return s.successor == "" || d.Before(reform)
}

// nameOn is the org's name on d.
func (s orgSpec) nameOn(d domain.Date) string {
	if s.key == "so-nong-nghiep" && !d.Before(agricultureRenamed) {
		return renamedAgriculture
	}
	return s.name
}

// employer picks an org of group g serving on d, by weight.
func employer(pickN func(int) int, g group, d domain.Date, not string) (orgSpec, bool) {
	var ws weighted[orgSpec]
	total := 0
	for _, s := range orgSpecs {
		if s.group == g && s.key != not && s.servesOn(d) && s.weight > 0 {
			ws = append(ws, struct {
				w int
				v orgSpec
			}{s.weight, s})
			total += s.weight
		}
	}
	if total == 0 {
		return orgSpec{}, false
	}
	n := pickN(total)
	for _, x := range ws {
		if n < x.w {
			return x.v, true
		}
		n -= x.w
	}
	return ws[len(ws)-1].v, true
}

// managerAfterReform is who manages a dossier of org key from the reform
// on: the successor of a merged district committee, else the org itself.
func managerAfterReform(key string) string {
	if s := specOf(key); s.successor != "" {
		return s.successor
	}
	return key
}
