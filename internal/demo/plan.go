package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// stepKind names what a planned command does, for the summary.
type stepKind string

const (
	kindCreate     stepKind = "create"
	kindUpdate     stepKind = "update"
	kindRow        stepKind = "row"
	kindAmend      stepKind = "amend"
	kindCorrect    stepKind = "correct"
	kindInitiate   stepKind = "transfer_initiated"
	kindReceive    stepKind = "transfer_received"
	kindStatus     stepKind = "status"
	kindNumber     stepKind = "civil_servant_number"
	kindProposal   stepKind = "proposal"
	kindAcceptProp stepKind = "proposal_accepted"
	kindAttach     stepKind = "attach"
)

// step is one planned command on one dossier. Each writes exactly one
// event, which is what lets a resumed run count how many steps are done.
type step struct {
	eff    domain.Date
	rec    time.Time
	org    string // key of the org acting (the managing org, or the receiver)
	kind   stepKind
	source *domain.SourceDocument
	reason string
	// personal makes the person's own account the actor (self-declaration).
	personal bool
	do       func(ctx context.Context, g *gen, id domain.DossierID, ifMatch uint64, m domain.Meta) error
}

// plan is one person's career as commands in effective-date order.
type plan struct {
	index    int
	person   person
	steps    []step
	archived bool
	transfer bool
	correct  bool
}

// salaryScale is a pay scale of Decree 204/2004: starting coefficient, the
// increment per step, the number of steps, and years between steps.
type salaryScale struct {
	start, inc dossier.Coefficient
	steps      int
	years      int
}

var (
	scaleA2 = salaryScale{440, 34, 8, 3}
	scaleA1 = salaryScale{234, 33, 9, 3}
	scaleB  = salaryScale{186, 20, 12, 2}
	scaleC1 = salaryScale{165, 18, 12, 2}
)

func (s salaryScale) coefficient(step int) dossier.Coefficient {
	return s.start + s.inc*dossier.Coefficient(step-1)
}

// job is a career track: the class, the rank or title codes (real catalogue
// codes) before and after promotion, the scales, the job position and the
// schools that train for it.
type job struct {
	class       dossier.Class
	code, upper string // rank or professional title; upper is the promotion
	isTitle     bool
	scale       salaryScale
	position    string
	positionVN  string
	degree      string
	major       string
	institution string
}

var (
	jobsAdmin = weighted[job]{
		{50, job{dossier.ClassCongChuc, "01.003", "01.002", false, scaleA1, "cv_to_chuc_can_bo", "Chuyên viên", "bachelor", "Quản lý nhà nước", "Học viện Hành chính Quốc gia"}},
		{12, job{dossier.ClassCongChuc, "06.031", "06.030", false, scaleA1, "ke_toan", "Kế toán viên", "bachelor", "Kế toán", "Học viện Tài chính"}},
		{8, job{dossier.ClassCongChuc, "04.025", "04.024", false, scaleA1, "thanh_tra", "Thanh tra viên", "bachelor", "Luật", "Trường Đại học Luật Hà Nội"}},
		{8, job{dossier.ClassCongChuc, "01.004", "", false, scaleB, "van_thu", "Văn thư", "college", "Văn thư lưu trữ", "Trường Cao đẳng Nội vụ Hà Nội"}},
		{6, job{dossier.ClassCanBo, "01.003", "01.002", false, scaleA1, "pho_chu_tich_ubnd", "Phó Chủ tịch Ủy ban nhân dân", "bachelor", "Kinh tế", "Trường Đại học Kinh tế Quốc dân"}},
		{6, job{dossier.ClassNguoiLaoDong, "01.005", "", false, scaleC1, "lai_xe", "Nhân viên lái xe", "intermediate", "Lái xe", "Trường Trung cấp nghề Phú Thọ"}},
	}
	jobsHealth = weighted[job]{
		{40, job{dossier.ClassVienChuc, "V.08.01.03", "V.08.01.02", true, scaleA1, "bac_si", "Bác sĩ", "bachelor", "Y đa khoa", "Trường Đại học Y Hà Nội"}},
		{40, job{dossier.ClassVienChuc, "V.08.05.12", "V.08.05.11", true, scaleA1, "", "Điều dưỡng", "bachelor", "Điều dưỡng", "Trường Đại học Điều dưỡng Nam Định"}},
		{12, job{dossier.ClassVienChuc, "V.08.08.22", "V.08.08.21", true, scaleA1, "", "Dược sĩ", "bachelor", "Dược học", "Trường Đại học Dược Hà Nội"}},
		{8, job{dossier.ClassNguoiLaoDong, "01.005", "", false, scaleC1, "bao_ve", "Nhân viên bảo vệ", "intermediate", "Bảo vệ", "Trường Trung cấp nghề Phú Thọ"}},
	}
	jobsEducation = weighted[job]{
		{85, job{dossier.ClassVienChuc, "V.07.05.15", "V.07.05.14", true, scaleA1, "giao_vien", "Giáo viên", "bachelor", "Sư phạm", "Trường Đại học Sư phạm Hà Nội"}},
		{8, job{dossier.ClassVienChuc, "V.07.05.15", "V.07.05.14", true, scaleA1, "giao_vien", "Giáo viên", "master", "Sư phạm", "Trường Đại học Hùng Vương"}},
		{7, job{dossier.ClassNguoiLaoDong, "01.005", "", false, scaleC1, "phuc_vu", "Nhân viên phục vụ", "intermediate", "Phục vụ", "Trường Trung cấp nghề Phú Thọ"}},
	}
	groups = weighted[group]{{50, groupAdmin}, {25, groupHealth}, {25, groupEducation}}
)

// retirement is the statutory retirement date (Labour Code 2019 art. 169,
// Decree 135/2020): men 60 years 3 months from 2021 rising 3 months a
// year to 62, women 55 years 4 months rising 4 months a year to 60.
// Approximated by birth year, which is close enough for a demo.
func retirement(p person) domain.Date {
	y := p.born.Year()
	var months int
	if p.gender == dossier.GenderMale {
		months = 720 + 3*min(max(y-1960, 0), 8)
	} else {
		months = 660 + 4*min(max(y-1965, 0), 15)
	}
	t := time.Date(p.born.Year(), p.born.Month()+time.Month(months), p.born.Day(), 0, 0, 0, 0, time.UTC)
	return domain.DateOf(t).AddDays(1)
}

func ym(d domain.Date) dossier.YearMonth { return dossier.MustYearMonth(d.Year(), d.Month()) }

// planner builds one plan; its helpers append steps.
type planner struct {
	g    *gen
	r    *rand.Rand
	p    *plan
	end  domain.Date // last day of service (asOf, or the day of leaving)
	rows int
}

func (pl *planner) rowID(what string) uuid.UUID {
	pl.rows++
	return uuid.NewSHA1(pl.g.ns, fmt.Appendf(nil, "dossier/%d/%s/%d", pl.p.index, what, pl.rows))
}

// decision is a decision of org on (or a few days before) eff.
func (pl *planner) decision(orgKey string, eff domain.Date, kind string) *domain.SourceDocument {
	s := specOf(orgKey)
	abbr := map[string]string{"province_committee": "UBND", "district_committee": "UBND", "commune_committee": "UBND", "department": "SNV", "public_service_unit": "ĐV"}[string(s.kind)]
	return &domain.SourceDocument{
		Kind:   kind,
		Number: fmt.Sprintf("%d/QĐ-%s", 1+pl.r.IntN(2400), abbr),
		Date:   eff.AddDays(-pl.r.IntN(6)),
		Issuer: s.nameOn(eff),
	}
}

// add plans s unless it falls after the person left service; it reports
// whether s was planned.
func (pl *planner) add(s step) bool {
	if s.eff.After(pl.end) {
		return false
	}
	pl.p.steps = append(pl.p.steps, s)
	return true
}

func (pl *planner) row(eff domain.Date, orgKey string, src bool, r dossier.Row) {
	s := step{eff: eff, org: orgKey, kind: kindRow, do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
		_, err := g.dossiers.AddRow(ctx, id, v, r, m)
		return err
	}}
	if src {
		s.source = pl.decision(orgKey, eff, "decision")
	}
	pl.add(s)
}

func (pl *planner) update(eff domain.Date, orgKey string, src bool, p dossier.Patch) {
	s := step{eff: eff, org: orgKey, kind: kindUpdate, do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
		_, err := g.dossiers.UpdateSection(ctx, id, v, p, m)
		return err
	}}
	if src {
		s.source = pl.decision(orgKey, eff, "decision")
	}
	pl.add(s)
}

// managerOn is who manages the dossier of someone employed by key on d.
func managerOn(key string, d domain.Date) string {
	if d.Before(reform) {
		return key
	}
	return managerAfterReform(key)
}

// newPlan draws person i's career. Person 0 is the demo's personal-account
// holder: recruited in 2015 by the Sở Nội vụ and still serving, so the
// account has an active dossier to propose changes to.
func (g *gen) newPlan(i int) *plan {
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), uint64(i)))
	pl := &planner{g: g, r: r, p: &plan{index: i}}
	p := newPerson(r, i, g.seedOffset)
	grp := groups.pick(r)
	if i == 0 {
		p.born = domain.MustDate(1990, 4, 12)
		p.personalID = fmt.Sprintf("%s%d90%06d", p.birthplace.idCode, map[dossier.Gender]int{dossier.GenderMale: 0, dossier.GenderFemale: 1}[p.gender], g.seedOffset)
		p.typedName = p.name
		grp = groupAdmin
	}
	pl.p.person = p
	jobs := map[group]weighted[job]{groupAdmin: jobsAdmin, groupHealth: jobsHealth, groupEducation: jobsEducation}[grp]
	jb := jobs.pick(r)

	adult := p.born.AddDays(22*365 + 6)
	recruit := adult.AddDays(r.IntN(8 * 365))
	if recruit.After(asOf) {
		recruit = asOf.AddDays(-r.IntN(max(1, adult.DaysUntil(asOf)+1)))
	}
	if i == 0 {
		recruit, jb = domain.MustDate(2015, 3, 2), jobsAdmin[0].v
	}
	start := recruit
	if start.Before(founded) {
		start = founded
	}
	emp, ok := employer(r.IntN, grp, start, "")
	if !ok || jb.class == dossier.ClassCanBo && emp.kind != "province_committee" && emp.kind != "district_committee" && emp.kind != "commune_committee" {
		jb = jobsAdmin[0].v
		emp, _ = employer(r.IntN, groupAdmin, start, "")
	}
	if i == 0 {
		emp = specOf("so-noi-vu")
	}

	pl.end = asOf
	switch n := r.IntN(1000); {
	case i == 0:
	case retirement(p).Before(asOf) || retirement(p) == asOf:
		pl.end = retirement(p)
	case n < 10 && start.AddDays(400).Before(asOf):
		pl.end = start.AddDays(400 + r.IntN(max(1, start.AddDays(400).DaysUntil(asOf))))
	}
	leaving := dossier.StatusRetired
	if pl.end != asOf && !retirement(p).Before(pl.end.AddDays(1)) {
		leaving = pick(r, []dossier.Status{dossier.StatusResigned, dossier.StatusResigned, dossier.StatusDeceased})
	}

	cur := emp.key
	// 1. Creation, on the recruitment decision (or, for careers older than
	// the province, its re-establishment).
	created := dossier.CreateDossier{
		DossierID:        g.dossierID(i),
		Class:            jb.class,
		ManagingOrg:      g.orgID(cur),
		EmployingUnit:    g.orgID(cur),
		PersonalIDNumber: p.personalID,
		Identity:         p.identity(p.typedName),
	}
	recruitingOrg := emp.nameOn(start)
	if recruit.Before(founded) {
		recruitingOrg = "Ủy ban nhân dân tỉnh Vĩnh Phú"
	}
	recruitment := pl.decision(cur, start, "decision")
	pl.add(step{eff: start, org: cur, kind: kindCreate, source: recruitment,
		do: func(ctx context.Context, g *gen, _ domain.DossierID, _ uint64, m domain.Meta) error {
			_, err := g.dossiers.Create(ctx, created, m)
			return err
		}})
	// The scanned recruitment decision (the bytes would be in the blob
	// store; the demo has none, so the digest is of a stand-in).
	scan := dossier.Attachment{Document: *recruitment, Title: "Quyết định tuyển dụng (bản chụp)"}
	sum := sha256.Sum256(fmt.Appendf(nil, "hoso-demo scan %d %d", g.cfg.Seed, i))
	scan.Document.SHA256 = hex.EncodeToString(sum[:])
	pl.add(step{eff: start.AddDays(1), org: cur, kind: kindAttach, do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
		_, err := g.dossiers.Attach(ctx, id, v, scan, m)
		return err
	}})

	// 2. Background, qualifications, salary, position and health as first entered.
	bg := dossier.Background{
		FamilyBackground:            pick(r, []string{"Nông dân", "Nông dân", "Công nhân", "Cán bộ, công chức", "Tiểu thương"}),
		OccupationBeforeRecruitment: "Sinh viên",
		FirstRecruitedOn:            recruit,
		FirstRecruitingOrg:          recruitingOrg,
		JoinedCurrentOrgOn:          start,
	}
	pl.update(start.AddDays(1), cur, false, dossier.Patch{Background: &bg})
	quals := dossier.Qualifications{GeneralEducation: "12/12", HighestQualification: jb.degree, Major: jb.major}
	step1 := 1
	if recruit.Before(founded) { // years served before the province was re-established count
		step1 = min(jb.scale.steps, 1+(recruit.DaysUntil(founded)/365)/jb.scale.years)
	}
	sal := dossier.Salary{
		AppointedOn: start, Step: step1, Coefficient: jb.scale.coefficient(step1), EffectiveOn: start,
		JobPosition: jb.position,
	}
	if jb.isTitle {
		sal.Title = jb.code
	} else {
		sal.Rank = jb.code
	}
	q0, s0 := quals, sal
	pl.update(start.AddDays(2), cur, true, dossier.Patch{Qualifications: &q0, Salary: &s0})
	pos := dossier.Position{Current: jb.positionVN, AppointedOn: start, MainDuty: jb.positionVN + " — " + emp.nameOn(start)}
	pl.update(start.AddDays(2), cur, true, dossier.Patch{Position: &pos})
	pl.update(start.AddDays(5), cur, false, dossier.Patch{Health: &dossier.Health{
		Status: "Tốt", HeightCM: 150 + r.IntN(30), WeightKG: 45 + r.IntN(35), BloodGroup: pick(r, []string{"O", "A", "B", "AB", "O", "A"}),
	}})

	// 3. The degree, the work history and the family as first declared.
	gradYear := recruit.Year() - r.IntN(2)
	pl.row(start.AddDays(3), cur, true, dossier.Row{Table: dossier.TableTraining, Training: &dossier.TrainingRow{
		ID: pl.rowID("training"), Kind: dossier.TrainingDegree,
		From: dossier.MustYearMonth(gradYear-4, 9), To: dossier.MustYearMonth(gradYear, 6),
		Institution: jb.institution, Major: jb.major, Mode: "Chính quy", Qualification: jb.degree,
	}})
	if recruit.Before(founded) {
		pl.row(start.AddDays(3), cur, false, dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &dossier.WorkHistoryRow{
			ID: pl.rowID("work"), From: ym(recruit), To: dossier.MustYearMonth(1996, 12), Org: "Ủy ban nhân dân tỉnh Vĩnh Phú", Title: jb.positionVN,
		}})
	}
	work := dossier.WorkHistoryRow{ID: pl.rowID("work"), From: ym(start), Org: emp.nameOn(start), Title: jb.positionVN}
	opened := work // the step keeps its own copy: work changes at a transfer
	pl.row(start.AddDays(3), cur, false, dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &opened})
	for _, rel := range []struct{ relation, middle string }{{"Bố", pick(r, middleMale)}, {"Mẹ", "Thị"}} {
		family := p.family
		if rel.relation == "Mẹ" {
			family = pick(r, []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đỗ", "Bùi"})
		}
		name := family + " " + rel.middle + " " + pick(r, map[string][]string{"Bố": givenMale, "Mẹ": givenFemale}[rel.relation])
		pl.row(start.AddDays(4), cur, false, dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{
			ID: pl.rowID("family"), Side: dossier.FamilyOwn, Relation: rel.relation, Name: name,
			BirthYear: p.born.Year() - 22 - r.IntN(10), Details: pick(r, []string{"Làm ruộng", "Nghỉ hưu", "Đã mất", "Buôn bán"}),
		}})
	}

	// 4. A misspelt name is corrected within months, citing the birth certificate.
	if p.typedName != p.name {
		ident := p.identity(p.name)
		pl.p.correct = pl.add(step{eff: start.AddDays(20 + r.IntN(180)), org: cur, kind: kindCorrect, reason: "Sai chính tả họ tên so với giấy khai sinh",
			do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
				first, err := g.firstEventID(ctx, id)
				if err != nil {
					return err
				}
				_, err = g.dossiers.Correct(ctx, id, v, dossier.Correction{Corrects: first, Patch: dossier.Patch{Identity: &ident}}, m)
				return err
			}})
	}

	// 5. Marriage and children.
	if married := p.born.AddDays((25 + r.IntN(8)) * 365); married.Before(pl.end) && r.IntN(100) < 85 {
		on := married
		if on.Before(start.AddDays(30)) {
			on = start.AddDays(30 + r.IntN(60))
		}
		spouseGiven := map[dossier.Gender][]string{dossier.GenderMale: givenFemale, dossier.GenderFemale: givenMale}[p.gender]
		spouseMiddle := map[dossier.Gender][]string{dossier.GenderMale: middleFemale, dossier.GenderFemale: middleMale}[p.gender]
		relation := map[dossier.Gender]string{dossier.GenderMale: "Vợ", dossier.GenderFemale: "Chồng"}[p.gender]
		pl.row(on, cur, false, dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{
			ID: pl.rowID("family"), Side: dossier.FamilyOwn, Relation: relation,
			Name:      pick(r, []string{"Nguyễn", "Trần", "Lê", "Phạm", "Vũ", "Đặng", p.family}) + " " + pick(r, spouseMiddle) + " " + pick(r, spouseGiven),
			BirthYear: p.born.Year() - 3 + r.IntN(6), Details: pick(r, []string{"Giáo viên", "Kinh doanh", "Công nhân", "Viên chức", "Nhân viên văn phòng"}),
		}})
		for c := range 1 + r.IntN(3) {
			born := on.AddDays(300 + c*(700+r.IntN(900)))
			pl.row(born.AddDays(30), cur, false, dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{
				ID: pl.rowID("family"), Side: dossier.FamilyOwn, Relation: "Con", BirthYear: born.Year(),
				Name: p.family + " " + pick(r, append(middleMale, middleFemale...)) + " " + pick(r, append(givenMale, givenFemale...)),
			}})
		}
	}

	// 6. The years: evaluations, rewards, salary steps, a promotion,
	// training, one transfer for some, the civil-servant number, the new ID card.
	transferOn := domain.Date{}
	if i != 0 && r.IntN(100) < 15 && start.AddDays(3*365).Before(pl.end.AddDays(-60)) {
		transferOn = start.AddDays(3*365 + r.IntN(start.AddDays(3*365).DaysUntil(pl.end.AddDays(-60))))
		if !transferOn.Before(reform.AddDays(-40)) && transferOn.Before(reform) {
			transferOn = reform.AddDays(-60) // never pending across the reform
		}
	}
	lastRaise := start
	promoted := jb.upper == ""
	scale, code := jb.scale, jb.code
	trainings := []struct {
		after int
		odds  int
		kind  dossier.TrainingKind
		qual  string
		inst  string
		apply func(*dossier.Qualifications)
	}{
		{3, 70, dossier.TrainingIT, "co_ban", "Trung tâm Tin học tỉnh Phú Thọ", func(q *dossier.Qualifications) { q.ITLevel = "co_ban" }},
		{4, 50, dossier.TrainingLanguage, "B1", "Trường Đại học Hùng Vương", func(q *dossier.Qualifications) {
			q.Languages = []dossier.LanguageLevel{{Language: "Tiếng Anh", Level: "B1"}}
		}},
		{5, 60, dossier.TrainingStateManagement, "chuyen_vien", "Trường Chính trị tỉnh Phú Thọ", func(q *dossier.Qualifications) { q.StateManagement = "chuyen_vien" }},
		{8, 40, dossier.TrainingPoliticalTheory, "trung_cap", "Trường Chính trị tỉnh Phú Thọ", func(q *dossier.Qualifications) { q.PoliticalTheory = "trung_cap" }},
	}
	for y := start.Year(); y <= asOf.Year(); y++ {
		if i == 0 && y == 2026 {
			pl.personalSteps(cur)
		}
		// The new chip ID card, 2021–2022, with phone and residence.
		if y == 2021 && start.Before(domain.MustDate(2021, 3, 1)) {
			on := domain.MustDate(2021, time.Month(3+r.IntN(9)), 1+r.IntN(27))
			ident := p.identity(p.name)
			ident.CitizenIDIssuedOn = on.AddDays(-20 - r.IntN(60))
			ident.CitizenIDIssuedBy = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
			ident.Phone = fmt.Sprintf("09%08d", r.IntN(100_000_000))
			ident.Residence = dossier.Address{Place: "25", Detail: pick(r, []string{"Phường Việt Trì", "Xã Lâm Thao", "Xã Phù Ninh", "Phường Nông Trang", "Phường Thanh Miếu"})}
			pl.update(on, managerOn(cur, on), false, dossier.Patch{Identity: &ident})
		}
		if y == 2019 && (jb.class == dossier.ClassCongChuc || jb.class == dossier.ClassCanBo) && start.Before(domain.MustDate(2019, 6, 1)) {
			on := domain.MustDate(2019, 6, 14)
			number := fmt.Sprintf("25.%06d", (i*7919+g.seedOffset)%1_000_000)
			pl.add(step{eff: on, org: cur, kind: kindNumber, source: pl.decision("so-noi-vu", on, "decision"),
				do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
					_, err := g.dossiers.IssueCivilServantNumber(ctx, id, v, number, m)
					return err
				}})
		}
		served := start.Year()
		for _, t := range trainings {
			if y == served+t.after && r.IntN(100) < t.odds && jb.class != dossier.ClassNguoiLaoDong {
				on := domain.MustDate(y, time.Month(3+r.IntN(8)), 1+r.IntN(27))
				mgr := managerOn(cur, on)
				tr := dossier.TrainingRow{ID: pl.rowID("training"), Kind: t.kind, From: dossier.MustYearMonth(y, on.Month()-1), To: ym(on),
					Institution: t.inst, Mode: "Bồi dưỡng", Qualification: t.qual}
				if t.kind == dossier.TrainingLanguage {
					tr.Language, tr.Score = "Tiếng Anh", fmt.Sprint(55+r.IntN(40))
				}
				pl.row(on, mgr, true, dossier.Row{Table: dossier.TableTraining, Training: &tr})
				t.apply(&quals)
				q := quals
				pl.update(on.AddDays(7), mgr, true, dossier.Patch{Qualifications: &q})
			}
		}
		// The transfer: decision by the sending org, receipt by the other,
		// then the work history closed and opened.
		if !transferOn.IsZero() && transferOn.Year() == y {
			to, ok := employer(r.IntN, grp, transferOn, cur)
			mgr := managerOn(cur, transferOn)
			if ok && to.key != mgr {
				pl.p.transfer = true
				xfer := uuid.NewSHA1(g.ns, fmt.Appendf(nil, "dossier/%d/transfer", i))
				target := g.orgID(to.key)
				pl.add(step{eff: transferOn, org: mgr, kind: kindInitiate, source: pl.decision(mgr, transferOn, "decision"),
					do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
						_, err := g.dossiers.InitiateTransfer(ctx, id, v, dossier.TransferOrder{TransferID: xfer, Kind: dossier.TransferBetweenOrgs, TargetOrg: target}, m)
						return err
					}})
				recv := transferOn.AddDays(7 + r.IntN(14))
				pl.add(step{eff: recv, org: to.key, kind: kindReceive, source: pl.decision(to.key, recv, "decision"),
					do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
						_, err := g.dossiers.ReceiveTransfer(ctx, id, v, xfer, m)
						return err
					}})
				closed := work
				closed.To = ym(transferOn)
				pl.add(step{eff: recv.AddDays(1), org: to.key, kind: kindAmend, do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
					_, err := g.dossiers.AmendRow(ctx, id, v, dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &closed}, m)
					return err
				}})
				cur = to.key
				work = dossier.WorkHistoryRow{ID: pl.rowID("work"), From: ym(recv), Org: to.nameOn(recv), Title: jb.positionVN}
				next := work
				pl.row(recv.AddDays(1), cur, false, dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &next})
			}
		}
		// Salary steps come every scale.years after the last; the old
		// period goes to the salary history.
		for raise := lastRaise.AddDays(scale.years*365 + 1); raise.Year() == y && sal.Step < scale.steps; raise = lastRaise.AddDays(scale.years*365 + 1) {
			mgr := managerOn(cur, raise)
			pl.row(raise, mgr, true, dossier.Row{Table: dossier.TableSalaryHistory, SalaryHistory: &dossier.SalaryHistoryRow{
				ID: pl.rowID("salary"), From: ym(lastRaise), To: ym(raise.AddDays(-1)), Code: code, Step: sal.Step, Coefficient: sal.Coefficient,
			}})
			sal.Step++
			sal.Coefficient = scale.coefficient(sal.Step)
			sal.EffectiveOn = raise
			s := sal
			pl.update(raise, mgr, true, dossier.Patch{Salary: &s})
			lastRaise = raise
		}
		// A promotion to the principal rank or the second grade, once,
		// after nine years, to the first step that pays no less.
		if !promoted && y-start.Year() >= 9 && r.IntN(100) < 12 {
			promoted = true
			on := domain.MustDate(y, time.Month(4+r.IntN(6)), 1)
			if !on.After(lastRaise.AddDays(30)) {
				on = lastRaise.AddDays(31)
			}
			mgr := managerOn(cur, on)
			pl.row(on, mgr, true, dossier.Row{Table: dossier.TableSalaryHistory, SalaryHistory: &dossier.SalaryHistoryRow{
				ID: pl.rowID("salary"), From: ym(lastRaise), To: ym(on.AddDays(-1)), Code: code, Step: sal.Step, Coefficient: sal.Coefficient,
			}})
			scale, code = scaleA2, jb.upper
			st := 1
			for st < scale.steps && scale.coefficient(st) < sal.Coefficient {
				st++
			}
			sal.Step, sal.Coefficient, sal.AppointedOn, sal.EffectiveOn = st, scale.coefficient(st), on, on
			if jb.isTitle {
				sal.Title = code
			} else {
				sal.Rank = code
			}
			s := sal
			pl.update(on, mgr, true, dossier.Patch{Salary: &s})
			lastRaise = on
		}
		// The yearly evaluation in December, sometimes an award in January.
		if eval := domain.MustDate(y, 12, 15+r.IntN(10)); eval.After(start.AddDays(60)) {
			rating := weighted[dossier.Rating]{{15, dossier.RatingExcellent}, {60, dossier.RatingGood}, {23, dossier.RatingCompleted}, {2, dossier.RatingNotCompleted}}.pick(r)
			row := dossier.EvaluationRow{ID: pl.rowID("evaluation"), Year: y, Rating: rating}
			if rating == dossier.RatingExcellent {
				row.EmulationTitle = "Chiến sĩ thi đua cơ sở"
			} else if rating == dossier.RatingGood {
				row.EmulationTitle = "Lao động tiên tiến"
			}
			mgr := managerOn(cur, eval)
			pl.row(eval, mgr, true, dossier.Row{Table: dossier.TableEvaluations, Evaluation: &row})
			if rating == dossier.RatingExcellent && r.IntN(100) < 40 {
				award := domain.MustDate(y+1, 1, 10+r.IntN(15))
				pl.row(award, managerOn(cur, award), true, dossier.Row{Table: dossier.TableRewards, Reward: &dossier.RewardRow{
					ID: pl.rowID("reward"), Year: y, Form: pick(r, []string{"Bằng khen", "Giấy khen"}),
					Title:        pick(r, []string{"Đã có thành tích xuất sắc trong thực hiện nhiệm vụ năm " + fmt.Sprint(y), "Hoàn thành xuất sắc nhiệm vụ năm " + fmt.Sprint(y)}),
					DecidingBody: pick(r, []string{"Chủ tịch Ủy ban nhân dân tỉnh Phú Thọ", "Thủ trưởng " + specOf(managerOn(cur, award)).nameOn(award)}),
				}})
			}
		}
	}

	// 7. Leaving service archives the dossier.
	if pl.end != asOf {
		pl.p.archived = true
		reason := leaving
		pl.add(step{eff: pl.end, org: managerOn(cur, pl.end), kind: kindStatus, source: pl.decision(managerOn(cur, pl.end), pl.end, "decision"),
			do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
				_, err := g.dossiers.ChangeStatus(ctx, id, v, reason, m)
				return err
			}})
	}
	pl.finish()
	return pl.p
}

// personalSteps are the self-declaration of person 0: the 2025 annual CV
// supplement, submitted through the personal account and accepted by HR.
func (pl *planner) personalSteps(cur string) {
	submitted := domain.MustDate(2026, 1, 12)
	proposal := uuid.NewSHA1(pl.g.ns, []byte("dossier/0/proposal/2025"))
	patch := dossier.Patch{Other: &dossier.Other{Notes: "Bổ sung lý lịch năm 2025: không có thay đổi về quan hệ gia đình."}}
	pl.add(step{eff: submitted, org: cur, kind: kindProposal, personal: true, do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
		_, err := g.dossiers.SubmitProposal(ctx, id, v, dossier.ProposalDraft{ProposalID: proposal, Kind: dossier.ProposalAnnualSupplement, Year: 2025, Patch: patch}, m)
		return err
	}})
	pl.add(step{eff: submitted.AddDays(5), org: cur, kind: kindAcceptProp, do: func(ctx context.Context, g *gen, id domain.DossierID, v uint64, m domain.Meta) error {
		_, err := g.dossiers.AcceptProposal(ctx, id, v, proposal, nil, m)
		return err
	}})
}

// finish orders the steps by effective date (stable: same-day steps keep
// their planned order) and stamps each with a recorded_at a few working
// hours to days after it took effect, strictly increasing within the
// dossier. Steps effective before the reform are recorded before it, so
// the merger's reassignments come after them on both axes.
func (pl *planner) finish() {
	steps := pl.p.steps
	slices.SortStableFunc(steps, func(a, b step) int { return a.eff.Compare(b.eff) })
	beforeReform := reform.StartInVietnam().Add(-14 * time.Hour)
	var prev time.Time
	for i := range steps {
		s := &steps[i]
		lag := time.Duration(1+pl.r.IntN(6))*24*time.Hour + time.Duration(8+pl.r.IntN(9))*time.Hour + time.Duration(pl.r.IntN(60))*time.Minute
		rec := s.eff.StartInVietnam().Add(lag)
		if s.eff.Before(reform) && rec.After(beforeReform) {
			rec = beforeReform.Add(-time.Duration(len(steps)-i) * time.Minute)
		}
		if !rec.After(prev) {
			rec = prev.Add(time.Minute)
		}
		s.rec, prev = rec.UTC(), rec
	}
	pl.p.steps = steps
}
