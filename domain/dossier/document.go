package dossier

import (
	"slices"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// DocumentSchema is the version of the Document shape. Like event payloads,
// the document only gains fields; a breaking change raises it.
const DocumentSchema = 1

// Document is the dossier's current content, section by section in the order
// of the CV form (appendix of Circular 06/2023/TT-BNV). It is a plain value:
// projections store it as JSON, Diff compares two of them. Table sections are
// kept in the order rows were added; rows are amended in place and never
// removed, so a row's index is stable and Diff paths stay meaningful.
type Document struct {
	Schema          int                `json:"schema"`
	Header          Header             `json:"header"`
	Identity        Identity           `json:"identity"`
	Background      Background         `json:"background"`
	Qualifications  Qualifications     `json:"qualifications"`
	Position        Position           `json:"position"`
	Salary          Salary             `json:"salary"`
	Health          Health             `json:"health"`
	Training        []TrainingRow      `json:"training"`
	WorkHistory     []WorkHistoryRow   `json:"work_history"`
	PersonalHistory PersonalHistory    `json:"personal_history"`
	Rewards         []RewardRow        `json:"rewards"`
	Discipline      []DisciplineRow    `json:"discipline"`
	Evaluations     []EvaluationRow    `json:"evaluations"`
	Family          []FamilyRow        `json:"family"`
	SalaryHistory   []SalaryHistoryRow `json:"salary_history"`
	Income          Income             `json:"income"`
	PartyUnions     PartyUnions        `json:"party_unions"`
	Insurance       Insurance          `json:"insurance"`
	Other           Other              `json:"other"`
	Attachments     []Attachment       `json:"attachments"`
	// LabourContract is the labour-contract worker's own form (TG 5.1b;
	// contract.go); absent for every other class.
	LabourContract *LabourContract `json:"labour_contract,omitempty"`
}

// Header is the top of the form plus the ledger's own standing of the
// dossier. Only commands change it: create, transfers, status changes, the
// civil-servant number, org reassignments and corrections.
type Header struct {
	DossierID domain.DossierID `json:"dossier_id"`
	Class     Class            `json:"class"`
	Status    Status           `json:"status"`
	Archived  bool             `json:"archived"`
	// ManagingOrg is null once management was revoked (transfer out of the
	// province); ManagementRevoked then says so explicitly.
	ManagingOrg        *domain.OrgID `json:"managing_org"`
	ManagementRevoked  bool          `json:"management_revoked"`
	EmployingUnit      domain.OrgID  `json:"employing_unit"`
	CivilServantNumber string        `json:"civil_servant_number,omitempty"`
	PersonalIDNumber   string        `json:"personal_id_number"`
	PhotoSHA256        string        `json:"photo_sha256,omitempty"`
}

// Address is a catalogued place (commune or ward code, post-2025 codes) plus
// the free-text remainder (house, street, hamlet).
type Address struct {
	Place  string `json:"place,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Identity is items 1–10 of the form.
type Identity struct {
	BirthName string `json:"birth_name" text:"name"`
	// BirthNameCaps is the birth name in capitals, as the form prints it.
	// Commands derive it from BirthName; callers need not send it.
	BirthNameCaps     string      `json:"birth_name_caps"`
	Gender            Gender      `json:"gender"`
	OtherNames        string      `json:"other_names,omitempty" text:"name"`
	DateOfBirth       domain.Date `json:"date_of_birth,omitzero"`
	PlaceOfBirth      Address     `json:"place_of_birth,omitzero"`
	HomeTown          Address     `json:"home_town,omitzero"`
	Ethnicity         string      `json:"ethnicity,omitempty"`
	Religion          string      `json:"religion,omitempty"`
	CitizenIDIssuedOn domain.Date `json:"citizen_id_issued_on,omitzero"`
	CitizenIDIssuedBy string      `json:"citizen_id_issued_by,omitempty"`
	Phone             string      `json:"phone,omitempty"`
	Residence         Address     `json:"residence,omitzero"`
}

// Background is items 11–18.
type Background struct {
	FamilyBackground            string      `json:"family_background,omitempty"`
	OccupationBeforeRecruitment string      `json:"occupation_before_recruitment,omitempty"`
	FirstRecruitedOn            domain.Date `json:"first_recruited_on,omitzero"`
	FirstRecruitingOrg          string      `json:"first_recruiting_org,omitempty"`
	JoinedCurrentOrgOn          domain.Date `json:"joined_current_org_on,omitzero"`
	PartyAdmittedOn             domain.Date `json:"party_admitted_on,omitzero"`
	PartyConfirmedOn            domain.Date `json:"party_confirmed_on,omitzero"`
	FirstSocioPoliticalOrg      string      `json:"first_socio_political_org,omitempty"`
	FirstSocioPoliticalOrgOn    domain.Date `json:"first_socio_political_org_on,omitzero"`
	MilitaryEnlistedOn          domain.Date `json:"military_enlisted_on,omitzero"`
	MilitaryDischargedOn        domain.Date `json:"military_discharged_on,omitzero"`
	MilitaryHighestRank         string      `json:"military_highest_rank,omitempty"`
	PolicyGroup                 string      `json:"policy_group,omitempty"`
}

// LanguageLevel is one foreign or ethnic language with its catalogued level.
type LanguageLevel struct {
	Language string `json:"language"`
	Level    string `json:"level"`
}

// Qualifications is items 19–22, the summary the reports count by. The
// detail is in the Training table.
type Qualifications struct {
	GeneralEducation     string          `json:"general_education,omitempty"`
	HighestQualification string          `json:"highest_qualification,omitempty"`
	Major                string          `json:"major,omitempty"`
	AcademicTitle        string          `json:"academic_title,omitempty"`
	AcademicTitleYear    int             `json:"academic_title_year,omitempty"`
	PoliticalTheory      string          `json:"political_theory,omitempty"`
	StateManagement      string          `json:"state_management,omitempty"`
	ITLevel              string          `json:"it_level,omitempty"`
	Languages            []LanguageLevel `json:"languages,omitempty"`
	StateHonours         []string        `json:"state_honours,omitempty"`
}

// Position is items 23–29. Leadership positions (chức vụ) are free text; the
// catalogued job position (vị trí việc làm) is in Salary, as on the form.
type Position struct {
	Current       string      `json:"current,omitempty"`
	AppointedOn   domain.Date `json:"appointed_on,omitzero"`
	ReappointedOn domain.Date `json:"reappointed_on,omitzero"`
	Planned       string      `json:"planned,omitempty"`
	Concurrent    string      `json:"concurrent,omitempty"`
	Party         string      `json:"party,omitempty"`
	MainDuty      string      `json:"main_duty,omitempty"`
	Strengths     string      `json:"strengths,omitempty"`
}

// Allowance is one allowance beside salary: a coefficient, a percentage or
// an amount, whichever the decision states.
type Allowance struct {
	Name        string      `json:"name"`
	Coefficient Coefficient `json:"coefficient,omitempty"`
	Percent     int         `json:"percent,omitempty"`
	AmountVND   int64       `json:"amount_vnd,omitempty"`
}

// Salary is item 30: rank (civil servants) or professional title (public
// employees) with step and coefficient, allowances, and — kept side by side
// since the Civil Servants Law 80/2025 — the job position and its salary.
type Salary struct {
	Rank                 string      `json:"rank,omitempty"`
	Title                string      `json:"title,omitempty"`
	AppointedOn          domain.Date `json:"appointed_on,omitzero"`
	Step                 int         `json:"step,omitempty"`
	Coefficient          Coefficient `json:"coefficient"`
	EffectiveOn          domain.Date `json:"effective_on,omitzero"`
	PercentPaid          int         `json:"percent_paid,omitempty"`
	SeniorityBeyondScale int         `json:"seniority_beyond_scale_percent,omitempty"`
	PositionAllowance    Coefficient `json:"position_allowance"`
	ConcurrentAllowance  Coefficient `json:"concurrent_allowance"`
	OtherAllowances      []Allowance `json:"other_allowances,omitempty"`
	JobPosition          string      `json:"job_position,omitempty"`
	JobPositionSalaryVND int64       `json:"job_position_salary_vnd,omitempty"`
}

// Health is item 31.
type Health struct {
	Status     string `json:"status,omitempty"`
	HeightCM   int    `json:"height_cm,omitempty"`
	WeightKG   int    `json:"weight_kg,omitempty"`
	BloodGroup string `json:"blood_group,omitempty"`
}

// PersonalHistory is item 34.
type PersonalHistory struct {
	Arrests          string `json:"arrests,omitempty"`
	FormerRegimeWork string `json:"former_regime_work,omitempty"`
	ForeignRelations string `json:"foreign_relations,omitempty"`
}

// Income is the non-table part of item 37 (salary history is its own table).
type Income struct {
	OtherIncome string `json:"other_income,omitempty"`
	Housing     string `json:"housing,omitempty"`
	Land        string `json:"land,omitempty"`
}

// PartyUnions holds party cell and socio-political organisations.
type PartyUnions struct {
	PartyCell          string      `json:"party_cell,omitempty"`
	PartyCardNumber    string      `json:"party_card_number,omitempty"`
	TradeUnionJoinedOn domain.Date `json:"trade_union_joined_on,omitzero"`
	YouthUnionJoinedOn domain.Date `json:"youth_union_joined_on,omitzero"`
	WomenUnionJoinedOn domain.Date `json:"women_union_joined_on,omitzero"`
	VeteransJoinedOn   domain.Date `json:"veterans_joined_on,omitzero"`
	Other              string      `json:"other,omitempty"`
}

// Insurance is the social and health insurance of the person.
type Insurance struct {
	SocialInsuranceNumber string      `json:"social_insurance_number,omitempty"`
	SocialInsuranceFrom   domain.Date `json:"social_insurance_from,omitzero"`
	HealthInsuranceNumber string      `json:"health_insurance_number,omitempty"`
	HealthCarePlace       string      `json:"health_care_place,omitempty"`
}

// Other is the free "other information" module.
type Other struct {
	Notes string `json:"notes,omitempty"`
}

// Attachment is a document attached to the dossier. The scan itself lives in
// content-addressed storage under SHA256.
type Attachment struct {
	Document domain.SourceDocument `json:"document"`
	Title    string                `json:"title,omitempty"`
}

// TrainingKind says which training table of item 32 a row belongs to; it
// also picks the catalogue its Qualification comes from.
type TrainingKind string

// Training kinds.
const (
	TrainingDegree          TrainingKind = "professional_degree"
	TrainingPoliticalTheory TrainingKind = "political_theory"
	TrainingStateManagement TrainingKind = "state_management"
	TrainingDefence         TrainingKind = "defence_security"
	TrainingIT              TrainingKind = "it"
	TrainingLanguage        TrainingKind = "language"
	TrainingOther           TrainingKind = "other"
)

// catalogueKind is the catalogue a row's Qualification must come from, or ""
// when the kind is not catalogued.
func (k TrainingKind) catalogueKind() (string, bool) {
	switch k {
	case TrainingDegree:
		return "qualification", true
	case TrainingPoliticalTheory:
		return "political_theory", true
	case TrainingStateManagement:
		return "state_management", true
	case TrainingIT:
		return "it_level", true
	case TrainingLanguage:
		return "language_level", true
	case TrainingDefence, TrainingOther:
		return "", true
	}
	return "", false
}

// TrainingRow is one row of the training tables (item 32).
type TrainingRow struct {
	ID            uuid.UUID    `json:"id"`
	Kind          TrainingKind `json:"kind"`
	From          YearMonth    `json:"from,omitzero"`
	To            YearMonth    `json:"to,omitzero"`
	Institution   string       `json:"institution,omitempty"`
	Major         string       `json:"major,omitempty"`
	Mode          string       `json:"mode,omitempty"`
	Qualification string       `json:"qualification,omitempty"`
	Language      string       `json:"language,omitempty"`
	Score         string       `json:"score,omitempty"`
}

// WorkHistoryRow is one row of item 33.
type WorkHistoryRow struct {
	ID    uuid.UUID `json:"id"`
	From  YearMonth `json:"from,omitzero"`
	To    YearMonth `json:"to,omitzero"`
	Org   string    `json:"org"`
	Title string    `json:"title,omitempty"`
}

// RewardRow is one award of item 35.
type RewardRow struct {
	ID           uuid.UUID `json:"id"`
	Year         int       `json:"year"`
	Form         string    `json:"form"`
	Title        string    `json:"title,omitempty"`
	DecidingBody string    `json:"deciding_body,omitempty"`
}

// DisciplineKind separates party from administrative discipline.
type DisciplineKind string

// Discipline kinds.
const (
	DisciplineParty          DisciplineKind = "party"
	DisciplineAdministrative DisciplineKind = "administrative"
)

// DisciplineRow is one disciplinary measure of item 35.
type DisciplineRow struct {
	ID           uuid.UUID      `json:"id"`
	Kind         DisciplineKind `json:"kind"`
	From         domain.Date    `json:"from,omitzero"`
	To           domain.Date    `json:"to,omitzero"`
	Form         string         `json:"form"`
	Act          string         `json:"act,omitempty"`
	DecidingBody string         `json:"deciding_body,omitempty"`
}

// Rating is the annual professional evaluation.
type Rating string

// Ratings (Decree 90/2020 levels).
const (
	RatingExcellent    Rating = "excellent"     // hoàn thành xuất sắc nhiệm vụ
	RatingGood         Rating = "good"          // hoàn thành tốt nhiệm vụ
	RatingCompleted    Rating = "completed"     // hoàn thành nhiệm vụ
	RatingNotCompleted Rating = "not_completed" // không hoàn thành nhiệm vụ
)

// EvaluationRow is one year's evaluation of item 35.
type EvaluationRow struct {
	ID             uuid.UUID `json:"id"`
	Year           int       `json:"year"`
	Rating         Rating    `json:"rating"`
	EmulationTitle string    `json:"emulation_title,omitempty"`
}

// FamilySide is whose family a relative belongs to.
type FamilySide string

// Family sides.
const (
	FamilyOwn    FamilySide = "own"
	FamilySpouse FamilySide = "spouse"
)

// FamilyRow is one relative of item 36.
type FamilyRow struct {
	ID        uuid.UUID  `json:"id"`
	Side      FamilySide `json:"side"`
	Relation  string     `json:"relation"`
	Name      string     `json:"name" text:"name"`
	BirthYear int        `json:"birth_year,omitempty"`
	Details   string     `json:"details,omitempty"`
}

// SalaryHistoryRow is one row of item 37's salary history. Code is a rank or
// professional-title code.
type SalaryHistoryRow struct {
	ID          uuid.UUID   `json:"id"`
	From        YearMonth   `json:"from,omitzero"`
	To          YearMonth   `json:"to,omitzero"`
	Code        string      `json:"code"`
	Step        int         `json:"step,omitempty"`
	Coefficient Coefficient `json:"coefficient"`
}

func (r TrainingRow) rowID() uuid.UUID      { return r.ID }
func (r WorkHistoryRow) rowID() uuid.UUID   { return r.ID }
func (r RewardRow) rowID() uuid.UUID        { return r.ID }
func (r DisciplineRow) rowID() uuid.UUID    { return r.ID }
func (r EvaluationRow) rowID() uuid.UUID    { return r.ID }
func (r FamilyRow) rowID() uuid.UUID        { return r.ID }
func (r SalaryHistoryRow) rowID() uuid.UUID { return r.ID }

// clone returns a copy sharing no slice with d, so callers may keep or edit
// what an accessor returned without touching the aggregate.
func (d Document) clone() Document {
	c := d
	if d.Header.ManagingOrg != nil {
		o := *d.Header.ManagingOrg
		c.Header.ManagingOrg = &o
	}
	c.Qualifications = d.Qualifications.clone()
	c.Salary = d.Salary.clone()
	c.Training = slices.Clone(d.Training)
	c.WorkHistory = slices.Clone(d.WorkHistory)
	c.Rewards = slices.Clone(d.Rewards)
	c.Discipline = slices.Clone(d.Discipline)
	c.Evaluations = slices.Clone(d.Evaluations)
	c.Family = slices.Clone(d.Family)
	c.SalaryHistory = slices.Clone(d.SalaryHistory)
	c.Attachments = slices.Clone(d.Attachments)
	return c
}

func (q Qualifications) clone() Qualifications {
	q.Languages = slices.Clone(q.Languages)
	q.StateHonours = slices.Clone(q.StateHonours)
	return q
}

func (s Salary) clone() Salary {
	s.OtherAllowances = slices.Clone(s.OtherAllowances)
	return s
}
