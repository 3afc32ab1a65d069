package cvform_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app/cvform"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/internal/pdftest"
)

// sample is a dossier with every kind of item filled, and careerRows rows
// of work history.
func sample(careerRows int) dossier.Document {
	d := dossier.Document{Schema: dossier.DocumentSchema}
	d.Header = dossier.Header{DossierID: domain.DossierID(uuid.MustParse("01900000-0000-7000-8000-000000000016")),
		Class: dossier.ClassVienChuc, Status: dossier.StatusActive, CivilServantNumber: "VC-0001234", PersonalIDNumber: "025090001234"}
	d.Identity = dossier.Identity{BirthName: "Nguyễn Thị Hồng Nhung", BirthNameCaps: "NGUYỄN THỊ HỒNG NHUNG", Gender: dossier.GenderFemale,
		OtherNames: "Ngọc", DateOfBirth: domain.MustDate(1988, 7, 9), Ethnicity: "01", Religion: "01",
		CitizenIDIssuedOn: domain.MustDate(2021, 4, 21), CitizenIDIssuedBy: "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
		Phone: "0912345678", Residence: dossier.Address{Detail: "Số 12, đường Hùng Vương"}}
	d.Background = dossier.Background{FirstRecruitedOn: domain.MustDate(2012, 9, 1), FirstRecruitingOrg: "Bệnh viện Đa khoa tỉnh",
		PartyAdmittedOn: domain.MustDate(2015, 5, 19), PartyConfirmedOn: domain.MustDate(2016, 5, 19)}
	d.Qualifications = dossier.Qualifications{GeneralEducation: "12/12", Major: "Điều dưỡng"}
	d.Position = dossier.Position{Current: "Điều dưỡng trưởng khoa", AppointedOn: domain.MustDate(2020, 3, 1), Party: "Bí thư chi bộ"}
	d.Salary = dossier.Salary{Step: 4, Coefficient: 306, EffectiveOn: domain.MustDate(2023, 1, 1), PercentPaid: 100}
	d.Health = dossier.Health{Status: "Tốt", HeightCM: 158, WeightKG: 50, BloodGroup: "O"}
	d.Training = []dossier.TrainingRow{{Kind: dossier.TrainingDegree, From: dossier.MustYearMonth(2006, 9), To: dossier.MustYearMonth(2010, 6),
		Institution: "Trường Đại học Y Hà Nội", Major: "Điều dưỡng", Mode: "Chính quy"}}
	for i := range careerRows {
		y := 2012 + i/4
		d.WorkHistory = append(d.WorkHistory, dossier.WorkHistoryRow{From: dossier.MustYearMonth(y, time.Month(1+3*(i%4))),
			To: dossier.MustYearMonth(y, time.Month(3+3*(i%4))), Org: fmt.Sprintf("Khoa Hồi sức tích cực số %d, Bệnh viện Đa khoa tỉnh Phú Thọ", i+1), Title: "Điều dưỡng viên"})
	}
	d.Evaluations = []dossier.EvaluationRow{{Year: 2024, Rating: dossier.RatingExcellent, EmulationTitle: "Chiến sĩ thi đua cơ sở"}}
	d.Family = []dossier.FamilyRow{{Side: dossier.FamilyOwn, Relation: "Mẹ", Name: "Trần Thị Lụa", BirthYear: 1960, Details: "Hưu trí, Việt Trì"}}
	d.SalaryHistory = []dossier.SalaryHistoryRow{{From: dossier.MustYearMonth(2020, 1), Code: "V.08.05.13", Step: 3, Coefficient: 286}}
	return d
}

func form(doc dossier.Document, redacted bool) cvform.Form {
	return cvform.Form{Document: doc, Version: 7, Redacted: redacted, ManagingOrg: "Sở Y tế tỉnh Phú Thọ", EmployingUnit: "Bệnh viện Đa khoa tỉnh Phú Thọ",
		PrintedAt: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC),
		Attestation: cvform.Attestation{Org: "Sở Y tế tỉnh Phú Thọ", Place: "Phú Thọ", Date: domain.MustDate(2026, 12, 7),
			HeadTitle: "Giám đốc", HeadName: "Lê Văn Đức"}}
}

func TestRenderReadsBackAsAPersonWould(t *testing.T) {
	t.Parallel()
	pdf, err := cvform.Render(form(sample(3), false), catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	text := pdftest.Text(t, pdf, 1, 0)
	for _, want := range []string{
		"SƠ YẾU LÝ LỊCH", "VIÊN CHỨC", "Thông tư số 06/2023/TT-BNV",
		"NGUYỄN THỊ HỒNG NHUNG", "Nữ", "09/07/1988", // item 1, 3: dd/mm/yyyy
		"Kinh", "025090001234", "21/04/2021", "19/05/2015",
		"Sở Y tế tỉnh Phú Thọ", "Bệnh viện Đa khoa tỉnh Phú Thọ",
		"Tóm tắt quá trình công tác", "Quan hệ gia đình", "Trần Thị Lụa",
		"Diễn biến quá trình lương", "V.08.05.13", "3,06",
		"Hoàn thành xuất sắc nhiệm vụ", "Trường Đại học Y Hà Nội",
		"38) Xác nhận của cơ quan, tổ chức, đơn vị quản lý",
		"Phú Thọ, ngày 07 tháng 12 năm 2026", "GIÁM ĐỐC", "Lê Văn Đức",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q", want)
		}
	}
	for i := 1; i <= 38; i++ {
		if !strings.Contains(text, fmt.Sprintf("%d) ", i)) {
			t.Errorf("pdftotext lacks item %d", i)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
	fonts := pdftest.Fonts(t, pdf)
	if len(fonts) != 3 {
		t.Fatalf("pdffonts lists %v, want the 3 styles of Tinos", fonts)
	}
	for _, f := range fonts {
		if !strings.Contains(strings.ToLower(f.Name), strings.ToLower(cvform.FontName)) || !f.Embedded {
			t.Errorf("pdffonts: %+v is not Tinos embedded", f)
		}
	}
}

func TestLongCareerRepeatsTheTableHeader(t *testing.T) {
	t.Parallel()
	pdf, err := cvform.Render(form(sample(80), false), catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	n := pdftest.Pages(t, pdf)
	if n < 3 {
		t.Fatalf("80 career rows on %d pages, want at least 3", n)
	}
	page1 := pdftest.Text(t, pdf, 1, 1)
	var career []int // pages that hold career rows
	for p := 1; p <= n; p++ {
		text := pdftest.Text(t, pdf, p, p)
		if strings.Contains(text, "Khoa Hồi sức tích cực số") {
			career = append(career, p)
			if !strings.Contains(text, "Chức danh, chức vụ, đơn vị công tác") {
				t.Errorf("page %d holds career rows without the table's header", p)
			}
		}
	}
	if len(career) < 2 {
		t.Fatalf("career rows on pages %v, want them to flow over at least 2 pages\npage 1:\n%s", career, page1)
	}
	all := pdftest.Text(t, pdf, 1, 0)
	for _, i := range []int{1, 40, 80} {
		if !strings.Contains(all, fmt.Sprintf("Khoa Hồi sức tích cực số %d,", i)) {
			t.Errorf("career row %d is missing", i)
		}
	}
	if !strings.Contains(all, fmt.Sprintf("Trang %d/%d", n, n)) {
		t.Errorf("no page number %d/%d", n, n)
	}
}

func TestRedactedFormLeavesSensitiveDataOut(t *testing.T) {
	t.Parallel()
	doc := sample(1)
	// What the API hands the renderer for a reader without read_sensitive:
	// the blanked document, flagged.
	doc.Header.PersonalIDNumber, doc.Identity.Ethnicity, doc.Identity.Religion = "", "", ""
	doc.Background.PartyAdmittedOn, doc.Background.PartyConfirmedOn, doc.Position.Party = domain.Date{}, domain.Date{}, ""
	doc.Health, doc.Family = dossier.Health{}, nil
	pdf, err := cvform.Render(form(doc, true), catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	text := pdftest.Text(t, pdf, 1, 0)
	for _, leak := range []string{"Kinh", "025090001234", "19/05/2015", "Bí thư chi bộ", "Trần Thị Lụa", "158 cm"} {
		if strings.Contains(text, leak) {
			t.Errorf("the redacted form shows %q", leak)
		}
	}
	if !strings.Contains(text, "không hiển thị") || !strings.Contains(text, "NGUYỄN THỊ HỒNG NHUNG") {
		t.Errorf("the redacted form should name the person and say what it withholds:\n%s", text)
	}
}

// TestPageOneRendersNonBlank renders page 1 with pdftoppm and checks that
// it carries ink, neither blank nor black.
func TestPageOneRendersNonBlank(t *testing.T) {
	t.Parallel()
	pdf, err := cvform.Render(form(sample(12), false), catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if dark := pdftest.Ink(t, pdftest.PagePNG(t, pdf, 1, 60)); dark < 0.01 || dark > 0.5 {
		t.Fatalf("page 1 has %.2f%% dark pixels: blank or black", dark*100)
	}
}
