package cvform

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

var (
	//go:embed fonts/Tinos-Regular.ttf
	fontRegular []byte
	//go:embed fonts/Tinos-Bold.ttf
	fontBold []byte
	//go:embed fonts/Tinos-Italic.ttf
	fontItalic []byte
)

// FontName is the PostScript name of the embedded font, as pdffonts lists
// it (after its subset prefix).
const FontName = "Tinos"

// Form is what one CV form shows.
type Form struct {
	// Document is the dossier's content as the reader may see it: the
	// caller blanks the sensitive parts (as the JSON read does) and sets
	// Redacted.
	Document dossier.Document
	Version  uint64
	// Redacted: the reader may not see sensitive fields; they print as
	// withheld, never as their value.
	Redacted bool
	// ManagingOrg and EmployingUnit are the orgs' names.
	ManagingOrg, EmployingUnit string
	// AsOf and EffectiveOn are the time-travel parameters the form answers
	// (zero: the dossier as it stands).
	AsOf        time.Time
	EffectiveOn domain.Date
	// PrintedAt is when the form was made (the PDF's creation date).
	PrintedAt   time.Time
	Attestation Attestation
}

// Attestation is item 38: the managing org's confirmation.
type Attestation struct {
	Org   string      // the attesting org's name
	Place string      // "Phú Thọ": the place line of the signature block
	Date  domain.Date // the date of the attestation
	// HeadTitle and HeadName are the head's (or a delegate's) title and
	// name; empty leaves the lines to be filled by hand.
	HeadTitle, HeadName string
	// Signature, when set, notes that the export carrying this form is
	// digitally signed.
	Signature *SignatureNote
}

// SignatureNote describes the digital signature over an export.
type SignatureNote struct {
	Signer      string    // the seal certificate's subject
	Fingerprint string    // SHA-256 of the certificate, hex
	SignedAt    time.Time // the signing time
}

const (
	pageW, pageH         = 210.0, 297.0
	marginL, marginR     = 20.0, 15.0
	marginT, marginB     = 15.0, 18.0
	contentW             = pageW - marginL - marginR
	lineH                = 5.5
	bodySize, smallSize  = 11.0, 9.5
	family               = "Tinos"
	withheld             = "(không hiển thị: thông tin nhạy cảm)"
	signatureSpace       = "\x00space"
	pageFooterAliasNbPgs = "{nb}"
)

// Render makes the PDF. cat names catalogued codes (ranks, ethnicities,
// places…); a code it does not know prints as the code.
func Render(f Form, cat *catalog.Catalog) ([]byte, error) {
	r := &renderer{form: f, cat: cat, pdf: fpdf.New("P", "mm", "A4", "")}
	p := r.pdf
	p.AddUTF8FontFromBytes(family, "", fontRegular)
	p.AddUTF8FontFromBytes(family, "B", fontBold)
	p.AddUTF8FontFromBytes(family, "I", fontItalic)
	p.SetMargins(marginL, marginT, marginR)
	p.SetAutoPageBreak(true, marginB)
	p.AliasNbPages(pageFooterAliasNbPgs)
	p.SetTitle("Sơ yếu lý lịch — "+f.Document.Identity.BirthNameCaps, true)
	p.SetCreator("hoso", true)
	p.SetProducer("hoso (codeberg.org/go-pdf/fpdf)", true)
	at := f.PrintedAt
	if at.IsZero() {
		at = time.Unix(0, 0)
	}
	p.SetCreationDate(at.UTC())
	p.SetModificationDate(at.UTC())
	p.SetFooterFunc(r.footer)
	p.AddPage()
	r.body()
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("cvform: %w", err)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("cvform: %w", err)
	}
	return buf.Bytes(), nil
}

type renderer struct {
	form Form
	cat  *catalog.Catalog
	pdf  *fpdf.Fpdf
}

func (r *renderer) footer() {
	p := r.pdf
	p.SetY(-12)
	p.SetFont(family, "I", 8.5)
	name := r.form.Document.Identity.BirthNameCaps
	p.CellFormat(contentW/2, 4, "Sơ yếu lý lịch: "+name, "", 0, "L", false, 0, "")
	p.CellFormat(contentW/2, 4, fmt.Sprintf("Trang %d/%s", p.PageNo(), pageFooterAliasNbPgs), "", 0, "R", false, 0, "")
}

func (r *renderer) font(style string, size float64) { r.pdf.SetFont(family, style, size) }

// line writes "label: value" as one paragraph, the label in bold.
func (r *renderer) line(label, value string) {
	p := r.pdf
	r.font("B", bodySize)
	p.Write(lineH, label+": ")
	r.font("", bodySize)
	if value == "" {
		value = "…"
	}
	p.Write(lineH, value)
	p.Ln(lineH)
}

// item writes a numbered item whose parts share a line ("Sinh ngày: …
// Nơi sinh: …").
func (r *renderer) item(n int, parts ...string) {
	p := r.pdf
	for i := 0; i+1 < len(parts); i += 2 {
		r.font("B", bodySize)
		prefix := ""
		if i == 0 {
			prefix = strconv.Itoa(n) + ") "
		} else {
			prefix = "; "
		}
		p.Write(lineH, prefix+parts[i]+": ")
		r.font("", bodySize)
		v := parts[i+1]
		if v == "" {
			v = "…"
		}
		p.Write(lineH, v)
	}
	p.Ln(lineH)
}

// sensitive is v, or the withheld marker for a reader without the right.
func (r *renderer) sensitive(v string) string {
	if r.form.Redacted {
		return withheld
	}
	return v
}

// keepWithNext starts a new page when a title would be left at the foot of
// one with nothing of its item under it.
func (r *renderer) keepWithNext() {
	if r.pdf.GetY()+lineH+18 > pageH-marginB {
		r.pdf.AddPage()
	}
}

func (r *renderer) heading(n int, title string) {
	p := r.pdf
	r.keepWithNext()
	p.Ln(1.5)
	r.font("B", bodySize)
	p.MultiCell(contentW, lineH, strconv.Itoa(n)+") "+title, "", "L", false)
}

func (r *renderer) sub(title string) {
	r.keepWithNext()
	r.font("I", bodySize)
	r.pdf.MultiCell(contentW, lineH, title, "", "L", false)
}

func (r *renderer) body() {
	f, d, p := r.form, r.form.Document, r.pdf
	id := d.Identity

	// Header block: the orgs on the left, the photo box on the right.
	r.font("", bodySize)
	top := p.GetY()
	r.line("Cơ quan, đơn vị có thẩm quyền quản lý", f.ManagingOrg)
	r.line("Cơ quan, đơn vị sử dụng", f.EmployingUnit)
	r.line("Số hiệu cán bộ, công chức, viên chức", d.Header.CivilServantNumber)
	r.line("Số định danh cá nhân", r.sensitive(d.Header.PersonalIDNumber))
	r.font("", smallSize)
	p.Rect(pageW-marginR-30, top+30, 30, 40, "D")
	p.SetXY(pageW-marginR-30, top+46)
	p.CellFormat(30, 4, "Ảnh 4 x 6 cm", "", 2, "C", false, 0, "")
	p.SetY(top + 30)

	r.font("B", 14)
	p.CellFormat(contentW-32, 8, "SƠ YẾU LÝ LỊCH", "", 1, "C", false, 0, "")
	r.font("B", 12)
	p.CellFormat(contentW-32, 6, classTitle(d.Header.Class), "", 1, "C", false, 0, "")
	r.font("I", smallSize)
	p.CellFormat(contentW-32, 5, "(Theo mẫu ban hành kèm theo Thông tư số 06/2023/TT-BNV)", "", 1, "C", false, 0, "")
	p.CellFormat(contentW-32, 5, r.standing(), "", 1, "C", false, 0, "")
	if f.Redacted {
		p.CellFormat(contentW-32, 5, "Bản của người đọc không có quyền xem thông tin nhạy cảm: các mục ấy không hiển thị.", "", 1, "C", false, 0, "")
	}
	p.SetY(top + 72)

	// Identity, items 1–10.
	r.item(1, "Họ và tên khai sinh (viết chữ in hoa)", id.BirthNameCaps, "Giới tính", gender(id.Gender))
	r.item(2, "Các tên gọi khác", id.OtherNames)
	r.item(3, "Sinh ngày", id.DateOfBirth.Vietnamese())
	r.item(4, "Nơi sinh", r.address(id.PlaceOfBirth))
	r.item(5, "Quê quán", r.address(id.HomeTown))
	r.item(6, "Dân tộc", r.sensitive(r.name(catalog.KindEthnicity, id.Ethnicity)))
	r.item(7, "Tôn giáo", r.sensitive(r.name(catalog.KindReligion, id.Religion)))
	r.item(8, "Số CCCD", r.sensitive(d.Header.PersonalIDNumber), "Ngày cấp", r.sensitive(id.CitizenIDIssuedOn.Vietnamese()),
		"Nơi cấp", r.sensitive(id.CitizenIDIssuedBy), "Số điện thoại", id.Phone)
	r.item(9, "Số BHXH", r.sensitive(d.Insurance.SocialInsuranceNumber), "Số thẻ BHYT", r.sensitive(d.Insurance.HealthInsuranceNumber))
	r.item(10, "Nơi ở hiện nay", r.address(id.Residence))

	// Background, items 11–18.
	b := d.Background
	r.item(11, "Thành phần gia đình xuất thân", b.FamilyBackground)
	r.item(12, "Nghề nghiệp trước khi được tuyển dụng", b.OccupationBeforeRecruitment)
	r.item(13, "Ngày được tuyển dụng lần đầu", b.FirstRecruitedOn.Vietnamese(), "Cơ quan, đơn vị tuyển dụng", b.FirstRecruitingOrg)
	r.item(14, "Ngày vào cơ quan hiện đang công tác", b.JoinedCurrentOrgOn.Vietnamese())
	r.item(15, "Ngày vào Đảng Cộng sản Việt Nam", r.sensitive(b.PartyAdmittedOn.Vietnamese()), "Ngày chính thức", r.sensitive(b.PartyConfirmedOn.Vietnamese()))
	r.item(16, "Ngày tham gia tổ chức chính trị - xã hội đầu tiên", b.FirstSocioPoliticalOrgOn.Vietnamese(), "Tổ chức", b.FirstSocioPoliticalOrg)
	r.item(17, "Ngày nhập ngũ", b.MilitaryEnlistedOn.Vietnamese(), "Ngày xuất ngũ", b.MilitaryDischargedOn.Vietnamese(), "Quân hàm cao nhất", b.MilitaryHighestRank)
	r.item(18, "Đối tượng chính sách", b.PolicyGroup)

	// Qualifications, items 19–22.
	q := d.Qualifications
	r.item(19, "Trình độ giáo dục phổ thông", q.GeneralEducation)
	r.item(20, "Trình độ chuyên môn cao nhất", r.name(catalog.KindQualification, q.HighestQualification), "Chuyên ngành", q.Major)
	title := r.name(catalog.KindAcademicTitle, q.AcademicTitle)
	if q.AcademicTitleYear > 0 {
		title += ", năm " + strconv.Itoa(q.AcademicTitleYear)
	}
	r.item(21, "Học hàm", title)
	r.item(22, "Danh hiệu nhà nước phong tặng", strings.Join(q.StateHonours, "; "))

	// Position, items 23–29.
	pos := d.Position
	r.item(23, "Chức vụ hiện tại", pos.Current)
	r.item(24, "Ngày bổ nhiệm", pos.AppointedOn.Vietnamese(), "Ngày bổ nhiệm lại", pos.ReappointedOn.Vietnamese())
	r.item(25, "Được quy hoạch chức danh", pos.Planned)
	r.item(26, "Chức vụ kiêm nhiệm", pos.Concurrent)
	r.item(27, "Chức vụ Đảng hiện tại", r.sensitive(pos.Party))
	r.item(28, "Công việc chính được giao", pos.MainDuty)
	r.item(29, "Sở trường công tác", pos.Strengths)

	r.salary()
	h := d.Health
	r.item(31, "Tình trạng sức khỏe", r.sensitive(h.Status), "Chiều cao", r.sensitive(unit(h.HeightCM, " cm")),
		"Cân nặng", r.sensitive(unit(h.WeightKG, " kg")), "Nhóm máu", r.sensitive(h.BloodGroup))

	r.training()
	r.heading(33, "Tóm tắt quá trình công tác")
	rows := make([][]string, 0, len(d.WorkHistory))
	for _, w := range d.WorkHistory {
		rows = append(rows, []string{span(w.From, w.To), joinNonEmpty(", ", w.Title, w.Org)})
	}
	r.table([]column{{"Từ tháng, năm đến tháng, năm", 40}, {"Chức danh, chức vụ, đơn vị công tác", contentW - 40}}, rows)

	r.heading(34, "Đặc điểm lịch sử bản thân")
	ph := d.PersonalHistory
	r.line("Khai rõ: bị bắt, bị tù, đã khai báo cho ai, những vấn đề gì", r.sensitive(orNone(ph.Arrests)))
	r.line("Bản thân có làm việc trong chế độ cũ", r.sensitive(orNone(ph.FormerRegimeWork)))
	r.line("Có thân nhân ở nước ngoài, quan hệ với tổ chức nước ngoài", r.sensitive(orNone(ph.ForeignRelations)))

	r.rewardsDiscipline()
	r.family()
	r.income()
	r.attestation()
}

// standing names the moment the form shows.
func (r *renderer) standing() string {
	f := r.form
	s := fmt.Sprintf("Hồ sơ %s, phiên bản %d", f.Document.Header.DossierID, f.Version)
	if !f.AsOf.IsZero() {
		s += ", như đã ghi nhận lúc " + f.AsOf.In(domain.VietnamZone).Format("15:04:05 02/01/2006")
	}
	if !f.EffectiveOn.IsZero() {
		s += ", hiệu lực ngày " + f.EffectiveOn.Vietnamese()
	}
	return s
}

func (r *renderer) salary() {
	s := r.form.Document.Salary
	r.heading(30, "Tiền lương")
	if s.Rank != "" {
		r.line("Ngạch", fmt.Sprintf("%s, mã số %s", r.name(catalog.KindRank, s.Rank), s.Rank))
	}
	if s.Title != "" {
		r.line("Chức danh nghề nghiệp", fmt.Sprintf("%s, mã số %s", r.name(catalog.KindTitle, s.Title), s.Title))
	}
	r.line("Ngày bổ nhiệm", s.AppointedOn.Vietnamese())
	r.line("Bậc lương", fmt.Sprintf("%s; hệ số %s; ngày hưởng %s; phần trăm hưởng %s; phụ cấp thâm niên vượt khung %s",
		unit(s.Step, ""), coefficient(s.Coefficient), s.EffectiveOn.Vietnamese(), unit(s.PercentPaid, "%"), unit(s.SeniorityBeyondScale, "%")))
	other := make([]string, 0, len(s.OtherAllowances))
	for _, a := range s.OtherAllowances {
		v := a.Name
		switch {
		case a.Coefficient != 0:
			v += " " + coefficient(a.Coefficient)
		case a.Percent != 0:
			v += " " + strconv.Itoa(a.Percent) + "%"
		case a.AmountVND != 0:
			v += " " + vnd(a.AmountVND)
		}
		other = append(other, v)
	}
	r.line("Phụ cấp", fmt.Sprintf("chức vụ %s; kiêm nhiệm %s; khác: %s", coefficient(s.PositionAllowance), coefficient(s.ConcurrentAllowance), orNone(strings.Join(other, "; "))))
	jp := r.name(catalog.KindPosition, s.JobPosition)
	if s.JobPosition != "" {
		jp += ", mã số " + s.JobPosition
	}
	r.line("Vị trí việc làm", jp)
	if s.JobPositionSalaryVND > 0 {
		r.line("Lương theo vị trí việc làm", vnd(s.JobPositionSalaryVND))
	}
}

// trainingTables are item 32's tables in the form's order.
var trainingTables = []struct {
	kind  dossier.TrainingKind
	title string
}{
	{dossier.TrainingDegree, "Chuyên môn, nghiệp vụ (văn bằng)"},
	{dossier.TrainingPoliticalTheory, "Lý luận chính trị"},
	{dossier.TrainingStateManagement, "Quản lý nhà nước, bồi dưỡng nghiệp vụ"},
	{dossier.TrainingDefence, "Quốc phòng, an ninh"},
	{dossier.TrainingIT, "Tin học"},
	{dossier.TrainingLanguage, "Ngoại ngữ, tiếng dân tộc"},
	{dossier.TrainingOther, "Đào tạo, bồi dưỡng khác"},
}

func (r *renderer) training() {
	r.heading(32, "Quá trình đào tạo, bồi dưỡng")
	q := r.form.Document.Qualifications
	r.line("Lý luận chính trị", r.name(catalog.KindPoliticalTheory, q.PoliticalTheory))
	r.line("Quản lý nhà nước", r.name(catalog.KindStateManagement, q.StateManagement))
	r.line("Tin học", r.name(catalog.KindITLevel, q.ITLevel))
	langs := make([]string, 0, len(q.Languages))
	for _, l := range q.Languages {
		langs = append(langs, joinNonEmpty(" ", l.Language, r.name(catalog.KindLanguageLevel, l.Level)))
	}
	r.line("Ngoại ngữ, tiếng dân tộc", orNone(strings.Join(langs, "; ")))
	cols := []column{{"Từ tháng, năm đến tháng, năm", 32}, {"Tên cơ sở đào tạo", 48}, {"Chuyên ngành", 35}, {"Hình thức", 20}, {"Văn bằng, trình độ", contentW - 135}}
	for _, t := range trainingTables {
		var rows [][]string
		for _, row := range r.form.Document.Training {
			if row.Kind != t.kind {
				continue
			}
			kind, _ := trainingCatalogue(row.Kind)
			qual := r.name(kind, row.Qualification)
			if row.Language != "" || row.Score != "" {
				qual = joinNonEmpty(", ", row.Language, qual, row.Score)
			}
			rows = append(rows, []string{span(row.From, row.To), row.Institution, row.Major, row.Mode, qual})
		}
		if len(rows) == 0 {
			continue
		}
		r.sub(t.title)
		r.table(cols, rows)
	}
}

func (r *renderer) rewardsDiscipline() {
	d := r.form.Document
	r.heading(35, "Khen thưởng, kỷ luật")
	r.sub("Kết quả đánh giá, xếp loại hằng năm")
	rows := make([][]string, 0, len(d.Evaluations))
	for _, e := range d.Evaluations {
		rows = append(rows, []string{strconv.Itoa(e.Year), rating(e.Rating), e.EmulationTitle})
	}
	r.table([]column{{"Năm", 20}, {"Xếp loại chất lượng", 85}, {"Danh hiệu thi đua", contentW - 105}}, rows)
	r.sub("Khen thưởng")
	rows = rows[:0]
	for _, w := range d.Rewards {
		rows = append(rows, []string{strconv.Itoa(w.Year), w.Form, w.Title, w.DecidingBody})
	}
	r.table([]column{{"Năm", 20}, {"Hình thức", 50}, {"Nội dung", 60}, {"Cấp quyết định", contentW - 130}}, rows)
	r.sub("Kỷ luật")
	rows = rows[:0]
	for _, x := range d.Discipline {
		kind := "Chính quyền"
		if x.Kind == dossier.DisciplineParty {
			kind = "Đảng"
		}
		rows = append(rows, []string{joinNonEmpty(" – ", x.From.Vietnamese(), x.To.Vietnamese()), kind, x.Form, x.Act, x.DecidingBody})
	}
	r.table([]column{{"Từ ngày – đến ngày", 40}, {"Loại", 22}, {"Hình thức", 35}, {"Hành vi vi phạm", 45}, {"Cơ quan quyết định", contentW - 142}}, rows)
}

func (r *renderer) family() {
	r.heading(36, "Quan hệ gia đình")
	if r.form.Redacted {
		r.font("", bodySize)
		r.pdf.MultiCell(contentW, lineH, withheld, "", "L", false)
		return
	}
	cols := []column{{"Mối quan hệ", 28}, {"Họ và tên", 45}, {"Năm sinh", 20}, {"Quê quán, nghề nghiệp, chức danh, chức vụ, đơn vị công tác, học tập, nơi ở", contentW - 93}}
	for _, side := range []struct {
		side  dossier.FamilySide
		title string
	}{{dossier.FamilyOwn, "Về bản thân"}, {dossier.FamilySpouse, "Về bên vợ (hoặc chồng)"}} {
		var rows [][]string
		for _, m := range r.form.Document.Family {
			if m.Side == side.side {
				rows = append(rows, []string{m.Relation, m.Name, unit(m.BirthYear, ""), m.Details})
			}
		}
		r.sub(side.title)
		r.table(cols, rows)
	}
}

func (r *renderer) income() {
	d := r.form.Document
	r.heading(37, "Diễn biến quá trình lương")
	rows := make([][]string, 0, len(d.SalaryHistory))
	for _, s := range d.SalaryHistory {
		rows = append(rows, []string{span(s.From, s.To), s.Code, unit(s.Step, ""), coefficient(s.Coefficient)})
	}
	r.table([]column{{"Từ tháng, năm đến tháng, năm", 45}, {"Mã ngạch, chức danh", 50}, {"Bậc lương", 35}, {"Hệ số lương", contentW - 130}}, rows)
	r.line("Thu nhập khác", orNone(d.Income.OtherIncome))
	r.line("Nhà ở", orNone(d.Income.Housing))
	r.line("Đất ở", orNone(d.Income.Land))
}

// attestation is the declarant's commitment and item 38, side by side.
func (r *renderer) attestation() {
	p, a := r.pdf, r.form.Attestation
	if p.GetY() > pageH-marginB-75 {
		p.AddPage()
	}
	p.Ln(3)
	r.font("B", bodySize)
	p.MultiCell(contentW, lineH, "38) Xác nhận của cơ quan, tổ chức, đơn vị quản lý", "", "L", false)
	top := p.GetY()
	half := contentW / 2
	place := a.Place
	if place == "" {
		place = "……"
	}
	date := "ngày …… tháng …… năm ……"
	if !a.Date.IsZero() {
		date = fmt.Sprintf("ngày %02d tháng %02d năm %04d", a.Date.Day(), a.Date.Month(), a.Date.Year())
	}
	col := func(x float64, lines ...[2]string) {
		p.SetXY(x, top)
		for _, l := range lines {
			if l[1] == signatureSpace {
				p.Ln(18)
				continue
			}
			r.font(l[0], bodySize)
			p.SetX(x)
			p.MultiCell(half, lineH, l[1], "", "C", false)
		}
	}
	col(marginL,
		[2]string{"B", "NGƯỜI KHAI"},
		[2]string{"I", "Tôi xin cam đoan những lời khai trên đây là đúng sự thật"},
		[2]string{"I", "(Ký tên, ghi rõ họ tên)"},
		[2]string{"", signatureSpace},
		[2]string{"B", r.form.Document.Identity.BirthName})
	left := p.GetY()
	head := a.HeadTitle
	if head == "" {
		head = "THỦ TRƯỞNG CƠ QUAN, TỔ CHỨC, ĐƠN VỊ"
	}
	lines := [][2]string{
		{"I", place + ", " + date},
		{"", a.Org},
		{"B", strings.ToUpper(head)},
		{"I", "(Ký tên, đóng dấu)"},
		{"", signatureSpace},
		{"B", a.HeadName},
	}
	col(marginL+half, lines...)
	if p.GetY() < left {
		p.SetY(left)
	}
	if s := a.Signature; s != nil {
		p.Ln(3)
		r.font("I", smallSize)
		p.MultiCell(contentW, 4.5, fmt.Sprintf("Bản điện tử này thuộc một gói xuất đã được ký số: chữ ký số CMS (RFC 5652) tách rời trên tệp manifest.json, "+
			"liệt kê mã băm SHA-256 của từng tệp trong gói, kể cả tệp này. Người ký: %s. Chứng thư số SHA-256: %s. Thời điểm ký: %s.",
			s.Signer, s.Fingerprint, s.SignedAt.In(domain.VietnamZone).Format("15:04:05 02/01/2006")), "", "L", false)
	}
}

// column is one column of a table: its header and width in mm.
type column struct {
	title string
	w     float64
}

// table draws a bordered table; a row that would cross the bottom margin
// starts a new page, which repeats the header row first.
func (r *renderer) table(cols []column, rows [][]string) {
	p := r.pdf
	auto, margin := p.GetAutoPageBreak()
	p.SetAutoPageBreak(false, margin)
	defer p.SetAutoPageBreak(auto, margin)
	const cellH = 4.6
	limit := pageH - marginB
	height := func(cells []string, style string) (float64, [][]string) {
		r.font(style, smallSize)
		n := 1
		split := make([][]string, len(cols))
		for i, c := range cols {
			split[i] = p.SplitText(cells[i], c.w)
			if len(split[i]) == 0 {
				split[i] = []string{""}
			}
			n = max(n, len(split[i]))
		}
		return float64(n)*cellH + 1.5, split
	}
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	draw := func(split [][]string, h float64, style string, fill bool) {
		r.font(style, smallSize)
		x, y := marginL, p.GetY()
		for i, c := range cols {
			if fill {
				p.SetFillColor(235, 235, 235)
				p.Rect(x, y, c.w, h, "FD")
			} else {
				p.Rect(x, y, c.w, h, "D")
			}
			for j, l := range split[i] {
				p.SetXY(x, y+0.75+float64(j)*cellH)
				align := "L"
				if fill {
					align = "C"
				}
				p.CellFormat(c.w, cellH, l, "", 0, align, false, 0, "")
			}
			x += c.w
		}
		p.SetXY(marginL, y+h)
	}
	hh, hs := height(titles, "B")
	header := func() { draw(hs, hh, "B", true) }
	if p.GetY()+hh+cellH*2 > limit {
		p.AddPage()
	}
	header()
	if len(rows) == 0 {
		r.font("I", smallSize)
		p.CellFormat(contentW, cellH+1.5, "(không có)", "LRB", 1, "C", false, 0, "")
		p.SetX(marginL)
		return
	}
	for _, row := range rows {
		h, split := height(row, "")
		if p.GetY()+h > limit {
			p.AddPage()
			header()
		}
		draw(split, h, "", false)
	}
	p.Ln(1)
}

// name is the catalogued name of code, or code itself when unknown.
func (r *renderer) name(kind, code string) string {
	if code == "" || kind == "" || r.cat == nil {
		return code
	}
	if e, ok := r.cat.Lookup(kind, code); ok {
		return e.Name
	}
	return code
}

// address is the detail, then the place and the units enclosing it.
func (r *renderer) address(a dossier.Address) string {
	parts := []string{a.Detail}
	code := a.Place
	for i := 0; code != "" && r.cat != nil && i < 4; i++ {
		pl, ok := r.cat.Place(code)
		if !ok {
			parts = append(parts, code)
			break
		}
		parts = append(parts, pl.Name)
		code = pl.Parent
	}
	if r.cat == nil && code != "" {
		parts = append(parts, code)
	}
	return joinNonEmpty(", ", parts...)
}

func trainingCatalogue(k dossier.TrainingKind) (string, bool) {
	switch k {
	case dossier.TrainingDegree:
		return catalog.KindQualification, true
	case dossier.TrainingPoliticalTheory:
		return catalog.KindPoliticalTheory, true
	case dossier.TrainingStateManagement:
		return catalog.KindStateManagement, true
	case dossier.TrainingIT:
		return catalog.KindITLevel, true
	case dossier.TrainingLanguage:
		return catalog.KindLanguageLevel, true
	}
	return "", false
}

// The form's words for the enumerations.
var (
	classTitles = map[dossier.Class]string{dossier.ClassCanBo: "CÁN BỘ", dossier.ClassCongChuc: "CÔNG CHỨC",
		dossier.ClassVienChuc: "VIÊN CHỨC", dossier.ClassNguoiLaoDong: "NGƯỜI LAO ĐỘNG"}
	genders = map[dossier.Gender]string{dossier.GenderMale: "Nam", dossier.GenderFemale: "Nữ"}
	ratings = map[dossier.Rating]string{dossier.RatingExcellent: "Hoàn thành xuất sắc nhiệm vụ", dossier.RatingGood: "Hoàn thành tốt nhiệm vụ",
		dossier.RatingCompleted: "Hoàn thành nhiệm vụ", dossier.RatingNotCompleted: "Không hoàn thành nhiệm vụ"}
)

func classTitle(c dossier.Class) string {
	if t, ok := classTitles[c]; ok {
		return t
	}
	return "CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC"
}

func gender(g dossier.Gender) string { return genders[g] }

func rating(r dossier.Rating) string {
	if t, ok := ratings[r]; ok {
		return t
	}
	return string(r)
}

// month is mm/yyyy, the precision of the form's from–to columns.
func month(v dossier.YearMonth) string {
	if v.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%04d", v.Month(), v.Year())
}

func span(from, to dossier.YearMonth) string {
	switch {
	case from.IsZero() && to.IsZero():
		return ""
	case to.IsZero():
		return month(from) + " – nay"
	}
	return month(from) + " – " + month(to)
}

// coefficient is written with a decimal comma, as Vietnamese documents do.
func coefficient(c dossier.Coefficient) string {
	if c == 0 {
		return ""
	}
	return strings.Replace(c.String(), ".", ",", 1)
}

// vnd groups thousands with dots: 12.500.000 đồng.
func vnd(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String() + " đồng"
}

func unit(n int, suffix string) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n) + suffix
}

func orNone(s string) string {
	if s == "" {
		return "không"
	}
	return s
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
