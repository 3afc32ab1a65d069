package dossier

import (
	"slices"

	"github.com/google/uuid"
)

// Table names a table section of the dossier.
type Table string

// Tables. Their rows carry caller-given ids so a row can be amended later.
const (
	TableTraining      Table = "training"
	TableWorkHistory   Table = "work_history"
	TableSalaryHistory Table = "salary_history"
	TableFamily        Table = "family"
	TableRewards       Table = "rewards"
	TableDiscipline    Table = "discipline"
	TableEvaluations   Table = "evaluations"
)

// Tables lists every table, in document order.
func Tables() []Table {
	return []Table{TableTraining, TableWorkHistory, TableRewards, TableDiscipline, TableEvaluations, TableFamily, TableSalaryHistory}
}

// evidenced reports whether changes to the table are state-side and so need
// their source document (Tiền Giang 5.4: salary, rewards, discipline,
// evaluations, degrees).
func (t Table) evidenced() bool {
	switch t {
	case TableTraining, TableSalaryHistory, TableRewards, TableDiscipline, TableEvaluations:
		return true
	}
	return false
}

// Row is one row of one table: Table says which, and exactly the matching
// field is set. A tagged union keeps the stored JSON typed per table
// ({"table":"family","family":{…}}) instead of a loose map.
type Row struct {
	Table         Table             `json:"table"`
	Training      *TrainingRow      `json:"training,omitempty"`
	WorkHistory   *WorkHistoryRow   `json:"work_history,omitempty"`
	SalaryHistory *SalaryHistoryRow `json:"salary_history,omitempty"`
	Family        *FamilyRow        `json:"family,omitempty"`
	Reward        *RewardRow        `json:"reward,omitempty"`
	Discipline    *DisciplineRow    `json:"discipline,omitempty"`
	Evaluation    *EvaluationRow    `json:"evaluation,omitempty"`
}

// ID is the row's id, or uuid.Nil when the row's field for Table is missing.
func (r Row) ID() uuid.UUID {
	switch r.Table {
	case TableTraining:
		if r.Training != nil {
			return r.Training.ID
		}
	case TableWorkHistory:
		if r.WorkHistory != nil {
			return r.WorkHistory.ID
		}
	case TableSalaryHistory:
		if r.SalaryHistory != nil {
			return r.SalaryHistory.ID
		}
	case TableFamily:
		if r.Family != nil {
			return r.Family.ID
		}
	case TableRewards:
		if r.Reward != nil {
			return r.Reward.ID
		}
	case TableDiscipline:
		if r.Discipline != nil {
			return r.Discipline.ID
		}
	case TableEvaluations:
		if r.Evaluation != nil {
			return r.Evaluation.ID
		}
	}
	return uuid.Nil
}

// setCount is how many of the row's table fields are set; a well-formed Row
// has exactly one, the one Table names.
func (r Row) setCount() int {
	n := 0
	for _, set := range []bool{r.Training != nil, r.WorkHistory != nil, r.SalaryHistory != nil, r.Family != nil, r.Reward != nil, r.Discipline != nil, r.Evaluation != nil} {
		if set {
			n++
		}
	}
	return n
}

// HeaderPatch changes header fields that are data rather than standing:
// the class (a state-side change that needs its decision), the photo and —
// through a correction only — the personal ID number. An empty field means
// "unchanged".
type HeaderPatch struct {
	Class            Class  `json:"class,omitzero"`
	PersonalIDNumber string `json:"personal_id_number,omitempty"`
	PhotoSHA256      string `json:"photo_sha256,omitempty"`
}

// Patch replaces whole sections and upserts table rows. A set section
// replaces the stored one entirely (the caller sends the section as it should
// read), which keeps replay trivial and makes every stored event
// self-describing; field-level changes are recovered with Diff. Rows replace
// the row with the same id, or are appended when the id is new.
type Patch struct {
	Header          *HeaderPatch     `json:"header,omitempty"`
	Identity        *Identity        `json:"identity,omitempty"`
	Background      *Background      `json:"background,omitempty"`
	Qualifications  *Qualifications  `json:"qualifications,omitempty"`
	Position        *Position        `json:"position,omitempty"`
	Salary          *Salary          `json:"salary,omitempty"`
	Health          *Health          `json:"health,omitempty"`
	PersonalHistory *PersonalHistory `json:"personal_history,omitempty"`
	Income          *Income          `json:"income,omitempty"`
	PartyUnions     *PartyUnions     `json:"party_unions,omitempty"`
	Insurance       *Insurance       `json:"insurance,omitempty"`
	Other           *Other           `json:"other,omitempty"`
	Rows            []Row            `json:"rows,omitempty"`
	// LabourContract replaces the labour contract (class nguoi_lao_dong
	// only); state-side: it carries its source document, the contract.
	LabourContract *LabourContract `json:"labour_contract,omitempty"`
}

// IsEmpty reports whether the patch changes nothing.
func (p Patch) IsEmpty() bool { return p.sectionCount() == 0 && len(p.Rows) == 0 }

func (p Patch) sectionCount() int {
	n := 0
	for _, set := range []bool{p.Header != nil, p.Identity != nil, p.Background != nil, p.Qualifications != nil, p.Position != nil, p.Salary != nil, p.Health != nil, p.PersonalHistory != nil, p.Income != nil, p.PartyUnions != nil, p.Insurance != nil, p.Other != nil, p.LabourContract != nil} {
		if set {
			n++
		}
	}
	return n
}

// evidenced reports whether the patch makes a state-side change that must
// carry its source document.
func (p Patch) evidenced() bool {
	if p.Position != nil || p.Salary != nil || p.Qualifications != nil || p.LabourContract != nil || p.Header != nil && !p.Header.Class.IsZero() {
		return true
	}
	for _, r := range p.Rows {
		if r.Table.evidenced() {
			return true
		}
	}
	return false
}

// applyPatch writes p into d. It never fails: p was validated when decided.
func applyPatch(d *Document, p Patch) {
	if h := p.Header; h != nil {
		if !h.Class.IsZero() {
			d.Header.Class = h.Class
		}
		if h.PersonalIDNumber != "" {
			d.Header.PersonalIDNumber = h.PersonalIDNumber
		}
		if h.PhotoSHA256 != "" {
			d.Header.PhotoSHA256 = h.PhotoSHA256
		}
	}
	if p.Identity != nil {
		d.Identity = *p.Identity
	}
	if p.Background != nil {
		d.Background = *p.Background
	}
	if p.Qualifications != nil {
		d.Qualifications = p.Qualifications.clone()
	}
	if p.Position != nil {
		d.Position = *p.Position
	}
	if p.Salary != nil {
		d.Salary = p.Salary.clone()
	}
	if p.Health != nil {
		d.Health = *p.Health
	}
	if p.PersonalHistory != nil {
		d.PersonalHistory = *p.PersonalHistory
	}
	if p.Income != nil {
		d.Income = *p.Income
	}
	if p.PartyUnions != nil {
		d.PartyUnions = *p.PartyUnions
	}
	if p.Insurance != nil {
		d.Insurance = *p.Insurance
	}
	if p.Other != nil {
		d.Other = *p.Other
	}
	if p.LabourContract != nil {
		lc := *p.LabourContract
		d.LabourContract = &lc
	}
	for _, r := range p.Rows {
		upsertRow(d, r)
	}
}

// upsertRow replaces the row with r's id or appends r. A malformed row (no
// field for its table) is ignored: apply never fails, and commands never
// raise one.
func upsertRow(d *Document, r Row) {
	switch r.Table {
	case TableTraining:
		if r.Training != nil {
			d.Training = upsert(d.Training, *r.Training)
		}
	case TableWorkHistory:
		if r.WorkHistory != nil {
			d.WorkHistory = upsert(d.WorkHistory, *r.WorkHistory)
		}
	case TableSalaryHistory:
		if r.SalaryHistory != nil {
			d.SalaryHistory = upsert(d.SalaryHistory, *r.SalaryHistory)
		}
	case TableFamily:
		if r.Family != nil {
			d.Family = upsert(d.Family, *r.Family)
		}
	case TableRewards:
		if r.Reward != nil {
			d.Rewards = upsert(d.Rewards, *r.Reward)
		}
	case TableDiscipline:
		if r.Discipline != nil {
			d.Discipline = upsert(d.Discipline, *r.Discipline)
		}
	case TableEvaluations:
		if r.Evaluation != nil {
			d.Evaluations = upsert(d.Evaluations, *r.Evaluation)
		}
	}
}

type identified interface{ rowID() uuid.UUID }

func upsert[T identified](rows []T, row T) []T {
	if i := slices.IndexFunc(rows, func(x T) bool { return x.rowID() == row.rowID() }); i >= 0 {
		rows = slices.Clone(rows) // never write into a slice an earlier state may share
		rows[i] = row
		return rows
	}
	return append(rows, row)
}

// hasRow reports whether d holds a row of table t with the given id.
func hasRow(d *Document, t Table, id uuid.UUID) bool {
	has := func(ids []uuid.UUID) bool { return slices.Contains(ids, id) }
	switch t {
	case TableTraining:
		return has(rowIDs(d.Training))
	case TableWorkHistory:
		return has(rowIDs(d.WorkHistory))
	case TableSalaryHistory:
		return has(rowIDs(d.SalaryHistory))
	case TableFamily:
		return has(rowIDs(d.Family))
	case TableRewards:
		return has(rowIDs(d.Rewards))
	case TableDiscipline:
		return has(rowIDs(d.Discipline))
	case TableEvaluations:
		return has(rowIDs(d.Evaluations))
	}
	return false
}

func rowIDs[T identified](rows []T) []uuid.UUID {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.rowID()
	}
	return ids
}
