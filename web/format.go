package web

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
)

func itoa(n int) string { return strconv.Itoa(n) }

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// vnDate writes an ISO date "2025-06-01" as dd/mm/yyyy; other text as is.
func vnDate(s string) string {
	if !isoDate.MatchString(s) {
		return s
	}
	return s[8:10] + "/" + s[5:7] + "/" + s[0:4]
}

// vnTime writes an instant as dd/mm/yyyy HH:MM in Vietnam.
func vnTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.VietnamZone).Format("02/01/2006 15:04")
}

// vnNumber writes a number with Vietnamese separators: 1.234.567,5.
func vnNumber(f float64) string {
	neg := f < 0
	f = math.Abs(f)
	s := strconv.FormatFloat(f, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("," + frac)
	}
	return b.String()
}

// Vietnamese names of the values the API answers as codes.
var (
	statusNames = map[string]string{
		"active": "Đang công tác", "retired": "Nghỉ hưu", "resigned": "Thôi việc", "deceased": "Từ trần",
		"downsized": "Tinh giản biên chế", "contract_ended": "Chấm dứt hợp đồng", "transferred_out": "Chuyển ra ngoài tỉnh",
	}
	statusOrder = []string{"active", "retired", "resigned", "deceased", "downsized", "contract_ended", "transferred_out"}
	classNames  = map[string]string{"can_bo": "Cán bộ", "cong_chuc": "Công chức", "vien_chuc": "Viên chức", "nguoi_lao_dong": "Người lao động"}
	sexNames    = map[string]string{"male": "Nam", "female": "Nữ"}
	roleNames   = map[string]string{
		"admin": "Quản trị", "approver": "Phê duyệt", "auditor": "Kiểm toán", "hr_officer": "Cán bộ tổ chức",
		"inspector": "Thanh tra", "self": "Cá nhân", "unit_head": "Thủ trưởng đơn vị",
	}
)

func named(m map[string]string, code string) string {
	if n, ok := m[code]; ok {
		return n
	}
	return code
}

// catalogKindOf is the catalogue a field's code is from, by the field's
// name in the document.
var catalogKindOf = map[string]string{
	"rank": catalog.KindRank, "title": catalog.KindTitle, "job_position": catalog.KindPosition, "position": catalog.KindPosition,
	"ethnicity": catalog.KindEthnicity, "religion": catalog.KindReligion, "qualification": catalog.KindQualification,
	"political_theory": catalog.KindPoliticalTheory, "state_management": catalog.KindStateManagement,
	"it_level": catalog.KindITLevel, "place": catalog.KindPlace, "highest_qualification": catalog.KindQualification, "language_level": catalog.KindLanguageLevel, "academic_title": catalog.KindAcademicTitle,
}

// codeName is the catalogue's name of code for the field, or code.
func (a *App) codeName(field, code string) string {
	if kind, ok := catalogKindOf[field]; ok {
		if e, ok := a.cfg.Catalog.Lookup(kind, code); ok {
			return e.Name
		}
	}
	return code
}

// sectionNames are the sections of the CV form (mẫu 2C), in its order.
var sectionNames = []struct{ Key, Name string }{
	{"header", "Thông tin hồ sơ"},
	{"identity", "I. Sơ yếu lý lịch"},
	{"background", "Quá trình tham gia tổ chức"},
	{"qualifications", "Trình độ"},
	{"position", "Chức vụ, vị trí việc làm"},
	{"salary", "Ngạch, bậc lương"},
	{"health", "Sức khoẻ"},
	{"training", "II. Đào tạo, bồi dưỡng"},
	{"work_history", "III. Quá trình công tác"},
	{"personal_history", "Đặc điểm lịch sử bản thân"},
	{"rewards", "Khen thưởng"},
	{"discipline", "Kỷ luật"},
	{"evaluations", "Đánh giá, xếp loại"},
	{"family", "IV. Quan hệ gia đình"},
	{"salary_history", "V. Diễn biến quá trình lương"},
	{"income", "Thu nhập"},
	{"party_unions", "Đảng, đoàn thể"},
	{"insurance", "Bảo hiểm"},
	{"other", "Thông tin khác"},
	{"attachments", "Tệp đính kèm"},
}

// editableSections are those the API's PATCH takes as a whole section.
var editableSections = map[string]bool{
	"identity": true, "background": true, "qualifications": true, "position": true, "salary": true, "health": true,
	"personal_history": true, "income": true, "party_unions": true, "insurance": true, "other": true,
}

// fieldNames label the fields of the form; a field not here shows its
// name with spaces.
var fieldNames = map[string]string{
	"full_name": "Họ và tên", "other_names": "Tên gọi khác", "birth_date": "Ngày sinh", "sex": "Giới tính",
	"birth_place": "Nơi sinh", "home_town": "Quê quán", "ethnicity": "Dân tộc", "religion": "Tôn giáo",
	"permanent_address": "Nơi thường trú", "current_address": "Nơi ở hiện nay", "phone": "Điện thoại",
	"email": "Thư điện tử", "citizen_id_issued_on": "Ngày cấp CCCD", "citizen_id_issued_by": "Nơi cấp CCCD",
	"personal_id_number": "Số định danh cá nhân", "civil_servant_number": "Số hiệu cán bộ, công chức",
	"class": "Loại", "status": "Trạng thái", "managing_org": "Cơ quan quản lý", "employing_unit": "Đơn vị sử dụng",
	"rank": "Ngạch", "title": "Chức danh nghề nghiệp", "job_position": "Vị trí việc làm", "qualification": "Trình độ chuyên môn",
	"political_theory": "Lý luận chính trị", "state_management": "Quản lý nhà nước", "it_level": "Tin học",
	"languages": "Ngoại ngữ", "language_level": "Trình độ ngoại ngữ", "academic_title": "Học hàm",
	"grade": "Bậc", "coefficient": "Hệ số", "from": "Từ ngày", "to": "Đến ngày", "since": "Từ ngày",
	"height_cm": "Chiều cao (cm)", "weight_kg": "Cân nặng (kg)", "blood_type": "Nhóm máu", "health_status": "Tình trạng sức khoẻ",
	"party_member": "Đảng viên", "party_admitted_on": "Ngày vào Đảng", "party_confirmed_on": "Ngày chính thức",
	"social_insurance_number": "Số sổ BHXH", "health_insurance_number": "Số thẻ BHYT",
	"recruited_on": "Ngày tuyển dụng", "recruiting_agency": "Cơ quan tuyển dụng", "position": "Chức vụ",
	"archived": "Đã lưu trữ", "management_revoked": "Thu hồi quyền quản lý", "dossier_id": "Mã hồ sơ",
	"relation": "Quan hệ", "name": "Họ và tên", "birth_year": "Năm sinh", "description": "Nội dung",
	"school": "Cơ sở đào tạo", "major": "Chuyên ngành", "form": "Hình thức", "degree": "Văn bằng",
	"year": "Năm", "result": "Kết quả", "decision": "Quyết định", "reason": "Lý do", "kind": "Loại",
	"sha256": "SHA-256", "media_type": "Kiểu tệp", "uploaded_at": "Tải lên lúc",
	"birth_name": "Họ và tên khai sinh", "birth_name_caps": "Họ và tên (chữ in hoa)", "gender": "Giới tính",
	"date_of_birth": "Ngày sinh", "place_of_birth": "Nơi sinh", "residence": "Nơi ở hiện nay",
	"family_background": "Thành phần gia đình xuất thân", "occupation_before_recruitment": "Nghề nghiệp trước khi tuyển dụng",
	"first_recruited_on": "Ngày được tuyển dụng lần đầu", "first_recruiting_org": "Cơ quan tuyển dụng lần đầu",
	"joined_current_org_on": "Ngày vào cơ quan hiện nay", "first_socio_political_org": "Tham gia tổ chức chính trị - xã hội đầu tiên",
	"first_socio_political_org_on": "Ngày tham gia", "military_enlisted_on": "Ngày nhập ngũ", "military_discharged_on": "Ngày xuất ngũ",
	"military_highest_rank": "Quân hàm cao nhất", "policy_group": "Đối tượng chính sách", "general_education": "Giáo dục phổ thông",
	"highest_qualification": "Trình độ chuyên môn cao nhất", "academic_title_year": "Năm phong học hàm", "state_honours": "Danh hiệu nhà nước",
	"current": "Chức vụ hiện tại", "reappointed_on": "Ngày bổ nhiệm lại", "planned": "Chức vụ quy hoạch", "concurrent": "Chức vụ kiêm nhiệm",
	"party": "Chức vụ Đảng", "main_duty": "Công việc chính được giao", "strengths": "Sở trường công tác",
	"step": "Bậc lương", "effective_on": "Ngày hưởng", "percent_paid": "Tỷ lệ hưởng (%)", "seniority_beyond_scale_percent": "Phụ cấp thâm niên vượt khung (%)",
	"position_allowance": "Phụ cấp chức vụ", "concurrent_allowance": "Phụ cấp kiêm nhiệm", "other_allowances": "Phụ cấp khác",
	"job_position_salary_vnd": "Lương theo vị trí việc làm (đồng)", "appointed_on": "Ngày bổ nhiệm", "blood_group": "Nhóm máu",
	"other_income": "Nguồn thu nhập khác", "housing": "Nhà ở", "land": "Đất ở", "party_cell": "Chi bộ", "party_card_number": "Số thẻ đảng viên",
	"trade_union_joined_on": "Ngày vào Công đoàn", "youth_union_joined_on": "Ngày vào Đoàn", "women_union_joined_on": "Ngày vào Hội Phụ nữ",
	"veterans_joined_on": "Ngày vào Hội Cựu chiến binh", "other": "Khác", "social_insurance_from": "Tham gia BHXH từ",
	"health_care_place": "Nơi khám chữa bệnh ban đầu", "notes": "Ghi chú", "document": "Văn bản", "place": "Địa danh", "detail": "Chi tiết",
	"language": "Ngoại ngữ", "level": "Trình độ", "institution": "Cơ sở đào tạo", "mode": "Hình thức", "org": "Cơ quan, đơn vị",
	"emulation_title": "Danh hiệu thi đua", "rating": "Xếp loại", "details": "Chi tiết", "side": "Bên", "percent": "Tỷ lệ (%)",
	"amount_vnd": "Số tiền (đồng)", "date": "Ngày", "number": "Số", "issuer": "Cơ quan ban hành", "arrests": "Bị bắt, bị tù",
	"former_regime_work": "Làm việc trong chế độ cũ", "foreign_relations": "Quan hệ với nước ngoài",
}

func fieldLabel(key string) string {
	if n, ok := fieldNames[key]; ok {
		return n
	}
	return strings.ReplaceAll(key, "_", " ")
}

// field is one labelled value of a section, formatted for reading.
type field struct {
	Key, Label, Value string
	// Raw is the JSON value, for the edit form.
	Raw  any
	Kind string // "string", "number", "bool", "null", "object", "array"
}

// section is one section of the form as a page shows it.
type section struct {
	Key, Name string
	Fields    []field   // an object section
	Rows      [][]field // a table section
	Columns   []string  // its column labels
	Editable  bool
	Redacted  bool
	// Table: a repeated section, whose rows are added and edited one by
	// one; RowIDs are the ids of Rows, in order.
	Table  bool
	RowIDs []string
	// Downloads are, for the attachments, the SHA-256 of each row's scan
	// ("" when a row names none), for its download link.
	Downloads []string
}

// sectionsOf lays a dossier document (the API's JSON) out by the sections
// of the form. Sensitive fields blanked by the API stay blank: the page
// shows what the API answered, no more.
func (a *App) sectionsOf(doc map[string]any, redacted []string, orgName func(string) string) []section {
	var out []section
	for _, sn := range sectionNames {
		v, ok := doc[sn.Key]
		_, table := rowTypes[sn.Key]
		if !ok && !table {
			continue
		}
		s := section{Key: sn.Key, Name: sn.Name, Editable: editableSections[sn.Key], Table: table}
		for _, p := range redacted {
			if p == "/"+sn.Key {
				s.Redacted = true
			}
		}
		switch t := v.(type) {
		case map[string]any:
			s.Fields = a.fieldsOf(t, orgName)
		case []any:
			cols := map[string]bool{}
			for _, row := range t {
				if m, ok := row.(map[string]any); ok {
					for k := range m {
						if k != "id" {
							cols[k] = true
						}
					}
				}
			}
			keys := sortedKeys(cols)
			for _, k := range keys {
				s.Columns = append(s.Columns, fieldLabel(k))
			}
			for _, row := range t {
				m, _ := row.(map[string]any)
				rid, _ := m["id"].(string)
				s.RowIDs = append(s.RowIDs, rid)
				var fs []field
				for _, k := range keys {
					fs = append(fs, a.fieldOf(k, m[k], orgName))
				}
				s.Rows = append(s.Rows, fs)
				if sn.Key == "attachments" {
					doc, _ := m["document"].(map[string]any)
					sha, _ := doc["sha256"].(string)
					s.Downloads = append(s.Downloads, sha)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (a *App) fieldsOf(m map[string]any, orgName func(string) string) []field {
	var out []field
	for _, k := range sortedKeys(m) {
		out = append(out, a.fieldOf(k, m[k], orgName))
	}
	return out
}

// fieldOf formats one value: dates dd/mm/yyyy, numbers with Vietnamese
// separators, catalogue codes by name, orgs by name.
func (a *App) fieldOf(key string, v any, orgName func(string) string) field {
	f := field{Key: key, Label: fieldLabel(key), Raw: v}
	switch t := v.(type) {
	case nil:
		f.Kind = "null"
	case bool:
		f.Kind, f.Value = "bool", map[bool]string{true: "Có", false: "Không"}[t]
	case float64:
		f.Kind, f.Value = "number", vnNumber(t)
		if strings.HasSuffix(key, "year") {
			f.Value = strconv.FormatFloat(t, 'f', -1, 64)
		}
	case string:
		f.Kind = "string"
		switch {
		case key == "status":
			f.Value = named(statusNames, t)
		case key == "class":
			f.Value = named(classNames, t)
		case key == "sex" || key == "gender":
			f.Value = named(sexNames, t)
		case key == "managing_org" || key == "employing_unit" || strings.HasSuffix(key, "_org"):
			f.Value = orgName(t)
		default:
			f.Value = vnDate(a.codeName(key, t))
		}
	case []any:
		f.Kind = "array"
		var parts []string
		for _, e := range t {
			switch et := e.(type) {
			case string:
				parts = append(parts, a.codeName(key, et))
			case map[string]any:
				var kv []string
				for _, k := range sortedKeys(et) {
					kv = append(kv, fieldLabel(k)+": "+a.fieldOf(k, et[k], orgName).Value)
				}
				parts = append(parts, strings.Join(kv, ", "))
			default:
				b, _ := json.Marshal(et)
				parts = append(parts, string(b))
			}
		}
		f.Value = strings.Join(parts, "; ")
	case map[string]any:
		f.Kind = "object"
		var kv []string
		for _, k := range sortedKeys(t) {
			if s := a.fieldOf(k, t[k], orgName).Value; s != "" {
				kv = append(kv, fieldLabel(k)+": "+s)
			}
		}
		f.Value = strings.Join(kv, "; ")
	default:
		f.Value = fmt.Sprint(t)
	}
	return f
}

// jsonText is a JSON value as compact text ("" for null), for diffs.
func jsonText(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return vnDate(str)
	}
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		return vnNumber(n)
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return map[bool]string{true: "Có", false: "Không"}[b]
	}
	return s
}
