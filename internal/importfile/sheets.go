package importfile

// Column is one column of an import sheet.
type Column struct {
	// Key is the column's stable name: the CSV header may use it instead
	// of the Vietnamese one, and problems name it.
	Key string
	// Header is the Vietnamese header written in the template.
	Header string
	// Catalogue is the catalogue kind whose codes the cell takes (a
	// drop-down list in the template), or "".
	Catalogue string
	// Choices are the fixed values the cell takes (a drop-down list), or nil.
	Choices []string
	// Required columns must be present in the header and filled in.
	Required bool
	// Format is the expected shape, for the template's note ("dd/mm/yyyy").
	Format string
}

// Sheet is one sheet of the workbook (one CSV file).
type Sheet struct {
	// Key is the sheet's stable name and its CSV file name (Key + ".csv").
	Key string
	// Name is the Vietnamese sheet name in the workbook.
	Name    string
	Columns []Column
	// About is the sheet's line in the instructions sheet.
	About string
}

// Column formats.
const (
	FormatDate  = "dd/mm/yyyy"
	FormatMonth = "mm/yyyy"
)

// The keys of the column every history sheet starts with.
const ColPersonalID = "personal_id_number"

var pid = Column{Key: ColPersonalID, Header: "Số định danh cá nhân", Required: true, Format: "12 chữ số"}

// Choices of the fixed lists, as written in the cells.
var (
	Genders     = []string{"Nam", "Nữ"}
	Classes     = []string{"can_bo", "cong_chuc", "vien_chuc", "nguoi_lao_dong"}
	FamilySides = []string{"Bản thân", "Bên vợ/chồng"}
	Trainings   = []string{"professional_degree", "political_theory", "state_management", "defence_security", "it", "language", "other"}
	// Ratings are the four levels of the annual evaluation (Decree
	// 90/2020), in the domain's order: excellent, good, completed, not
	// completed.
	Ratings = []string{"Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ", "Không hoàn thành nhiệm vụ"}
	// Disciplines are party and administrative discipline.
	Disciplines = []string{"Đảng", "Chính quyền"}
)

// Sheets are the sheets of the import workbook, in the order they are
// read: the identity sheet first, since every other row names its person.
var Sheets = []Sheet{
	{Key: "identity", Name: "Lý lịch", About: "một dòng cho mỗi người: lập hồ sơ (sơ yếu lý lịch, mục 1–30)", Columns: []Column{
		pid,
		{Key: "birth_name", Header: "Họ và tên khai sinh", Required: true},
		{Key: "gender", Header: "Giới tính", Choices: Genders, Required: true},
		{Key: "date_of_birth", Header: "Ngày sinh", Required: true, Format: FormatDate},
		{Key: "class", Header: "Đối tượng", Choices: Classes, Required: true},
		{Key: "place_of_birth", Header: "Nơi sinh (mã)", Catalogue: "place"},
		{Key: "home_town", Header: "Quê quán (mã)", Catalogue: "place"},
		{Key: "ethnicity", Header: "Dân tộc (mã)", Catalogue: "ethnicity"},
		{Key: "religion", Header: "Tôn giáo (mã)", Catalogue: "religion"},
		{Key: "phone", Header: "Số điện thoại"},
		{Key: "first_recruited_on", Header: "Ngày tuyển dụng lần đầu", Format: FormatDate},
		{Key: "first_recruiting_org", Header: "Cơ quan tuyển dụng lần đầu"},
		{Key: "joined_current_org_on", Header: "Ngày về cơ quan hiện tại", Format: FormatDate},
		{Key: "rank", Header: "Ngạch (mã)", Catalogue: "rank"},
		{Key: "title", Header: "Chức danh nghề nghiệp (mã)", Catalogue: "title"},
		{Key: "step", Header: "Bậc lương"},
		{Key: "coefficient", Header: "Hệ số lương", Format: "2.34"},
		{Key: "salary_effective_on", Header: "Ngày hưởng lương hiện tại", Format: FormatDate},
		{Key: "job_position", Header: "Vị trí việc làm (mã)", Catalogue: "position"},
		{Key: "position", Header: "Chức vụ hiện tại"},
		{Key: "highest_qualification", Header: "Trình độ chuyên môn cao nhất (mã)", Catalogue: "qualification"},
		{Key: "major", Header: "Chuyên ngành"},
	}},
	{Key: "career", Name: "Quá trình công tác", About: "mỗi dòng một giai đoạn công tác (mục 33), hiệu lực từ tháng bắt đầu", Columns: []Column{
		pid,
		{Key: "from", Header: "Từ tháng", Required: true, Format: FormatMonth},
		{Key: "to", Header: "Đến tháng", Format: FormatMonth},
		{Key: "org", Header: "Cơ quan, đơn vị", Required: true},
		{Key: "title", Header: "Chức danh, chức vụ"},
	}},
	{Key: "training", Name: "Đào tạo, bồi dưỡng", About: "mỗi dòng một khóa đào tạo (mục 32), hiệu lực từ tháng kết thúc", Columns: []Column{
		pid,
		{Key: "kind", Header: "Loại", Choices: Trainings, Required: true},
		{Key: "from", Header: "Từ tháng", Required: true, Format: FormatMonth},
		{Key: "to", Header: "Đến tháng", Format: FormatMonth},
		{Key: "institution", Header: "Cơ sở đào tạo"},
		{Key: "major", Header: "Chuyên ngành"},
		{Key: "mode", Header: "Hình thức"},
		{Key: "qualification", Header: "Văn bằng, trình độ (mã)", Catalogue: "qualification"},
		{Key: "decision_number", Header: "Số văn bằng, quyết định"},
		{Key: "decision_date", Header: "Ngày cấp", Format: FormatDate},
		{Key: "decision_issuer", Header: "Nơi cấp"},
	}},
	{Key: "salary", Name: "Diễn biến lương", About: "mỗi dòng một lần xếp, nâng lương (mục 37), hiệu lực từ tháng hưởng", Columns: []Column{
		pid,
		{Key: "from", Header: "Từ tháng", Required: true, Format: FormatMonth},
		{Key: "to", Header: "Đến tháng", Format: FormatMonth},
		{Key: "code", Header: "Mã ngạch, chức danh", Required: true},
		{Key: "step", Header: "Bậc"},
		{Key: "coefficient", Header: "Hệ số", Required: true, Format: "2.34"},
		{Key: "decision_number", Header: "Số quyết định"},
		{Key: "decision_date", Header: "Ngày quyết định", Format: FormatDate},
		{Key: "decision_issuer", Header: "Cơ quan quyết định"},
	}},
	{Key: "family", Name: "Quan hệ gia đình", About: "mỗi dòng một người thân (mục 36)", Columns: []Column{
		pid,
		{Key: "side", Header: "Bên", Choices: FamilySides, Required: true},
		{Key: "relation", Header: "Quan hệ", Required: true},
		{Key: "name", Header: "Họ và tên", Required: true},
		{Key: "birth_year", Header: "Năm sinh"},
		{Key: "details", Header: "Quê quán, nghề nghiệp, chức danh, chức vụ, nơi công tác"},
	}},
	{Key: "party", Name: "Đảng, đoàn thể", About: "một dòng cho mỗi người là đảng viên hay đoàn viên", Columns: []Column{
		pid,
		{Key: "party_admitted_on", Header: "Ngày vào Đảng", Format: FormatDate},
		{Key: "party_confirmed_on", Header: "Ngày chính thức", Format: FormatDate},
		{Key: "party_cell", Header: "Chi bộ"},
		{Key: "party_card_number", Header: "Số thẻ đảng viên"},
		{Key: "trade_union_joined_on", Header: "Ngày vào Công đoàn", Format: FormatDate},
		{Key: "youth_union_joined_on", Header: "Ngày vào Đoàn TNCS Hồ Chí Minh", Format: FormatDate},
	}},
	{Key: "evaluations", Name: "Đánh giá, xếp loại", About: "mỗi dòng một năm đánh giá, xếp loại chất lượng (mục 35), hiệu lực ngày 31/12 của năm", Columns: []Column{
		pid,
		{Key: "year", Header: "Năm", Required: true, Format: "yyyy"},
		{Key: "rating", Header: "Xếp loại", Choices: Ratings, Required: true},
		{Key: "emulation_title", Header: "Danh hiệu thi đua"},
	}},
	{Key: "rewards", Name: "Khen thưởng", About: "mỗi dòng một hình thức khen thưởng (mục 34), hiệu lực ngày quyết định (31/12 của năm khi không ghi)", Columns: []Column{
		pid,
		{Key: "year", Header: "Năm", Required: true, Format: "yyyy"},
		{Key: "form", Header: "Hình thức khen thưởng", Required: true},
		{Key: "title", Header: "Nội dung, thành tích"},
		{Key: "decision_number", Header: "Số quyết định"},
		{Key: "decision_date", Header: "Ngày quyết định", Format: FormatDate},
		{Key: "decision_issuer", Header: "Cấp quyết định"},
	}},
	{Key: "discipline", Name: "Kỷ luật", About: "mỗi dòng một hình thức kỷ luật (mục 34), hiệu lực từ ngày bắt đầu", Columns: []Column{
		pid,
		{Key: "kind", Header: "Loại kỷ luật", Choices: Disciplines, Required: true},
		{Key: "from", Header: "Từ ngày", Required: true, Format: FormatDate},
		{Key: "to", Header: "Đến ngày", Format: FormatDate},
		{Key: "form", Header: "Hình thức kỷ luật", Required: true},
		{Key: "act", Header: "Hành vi vi phạm"},
		{Key: "decision_number", Header: "Số quyết định"},
		{Key: "decision_date", Header: "Ngày quyết định", Format: FormatDate},
		{Key: "decision_issuer", Header: "Cấp quyết định"},
	}},
	{Key: "attachments", Name: "Tài liệu đính kèm", About: "mỗi dòng một văn bản đã số hóa (bản chụp trong kho lưu trữ, theo SHA-256)", Columns: []Column{
		pid,
		{Key: "kind", Header: "Loại văn bản", Required: true},
		{Key: "number", Header: "Số, ký hiệu", Required: true},
		{Key: "date", Header: "Ngày ban hành", Required: true, Format: FormatDate},
		{Key: "issuer", Header: "Cơ quan ban hành", Required: true},
		{Key: "sha256", Header: "SHA-256 bản chụp", Required: true, Format: "64 ký tự hex"},
		{Key: "title", Header: "Trích yếu"},
	}},
}

// SheetByKey returns the sheet with key k.
func SheetByKey(k string) (Sheet, bool) {
	for _, s := range Sheets {
		if s.Key == k {
			return s, true
		}
	}
	return Sheet{}, false
}

// Index returns the position of the column with key k, or -1.
func (s Sheet) Index(k string) int {
	for i, c := range s.Columns {
		if c.Key == k {
			return i
		}
	}
	return -1
}
