package dossier

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
)

// Catalogue answers whether a code exists in one of the central reference
// catalogues kept by the DoHA (Phú Thọ art. 14.2). Catalogued fields take
// only catalogue values: free text does not sync to the national database.
//
// Kinds are exactly: "rank", "title" (professional title), "position" (job
// position), "ethnicity", "religion", "qualification", "place",
// "political_theory", "state_management", "it_level", "language_level",
// "academic_title". Has must be a pure lookup (no I/O at decision time): the
// caller loads the catalogue it decides against.
type Catalogue interface {
	Has(kind, code string) bool
}

// normalize NFC-normalizes and trims every string reachable from ptr (a
// pointer to a payload struct), so the same name typed on different
// keyboards is stored as the same bytes, and reports, under their JSON
// paths, strings that break the text rule (domain.CheckText): a person's
// name (a field tagged `text:"name"`) is one line of at most
// domain.MaxPersonName characters; any other text may span lines and has
// at most domain.MaxFreeText. Reflection keeps the rule in one place for
// the ~150 text fields of the form.
func normalize(v *domain.ValidationError, prefix string, ptr any) {
	walkStrings(reflect.ValueOf(ptr).Elem(), prefix, false, func(path string, s reflect.Value, name bool) {
		str := s.String()
		if !utf8.ValidString(str) {
			v.Add(path, "utf8", "not valid UTF-8")
			return
		}
		str = norm.NFC.String(strings.TrimSpace(str))
		if name {
			domain.CheckText(v, path, str, domain.MaxPersonName, false)
		} else {
			domain.CheckText(v, path, str, domain.MaxFreeText, true)
		}
		s.SetString(str)
	})
}

func walkStrings(v reflect.Value, path string, name bool, f func(string, reflect.Value, bool)) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			f(path, v, name)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, name, f)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), path+"/"+strconv.Itoa(i), name, f)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			jname, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if jname == "" || jname == "-" {
				jname = sf.Name
			}
			walkStrings(v.Field(i), path+"/"+jname, sf.Tag.Get("text") == "name", f)
		}
	}
}

// caps is the birth name as the form prints it.
func caps(name string) string { return norm.NFC.String(strings.ToUpper(name)) }

// merge copies the problems of err (a *domain.ValidationError) into v.
func merge(v *domain.ValidationError, err error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		v.Problems = append(v.Problems, ve.Problems...)
	} else if err != nil {
		v.Add("", "invalid", err.Error())
	}
}

// checkMeta validates what every command needs in its meta: an actor and
// both clocks; the source document when the change is state-side (and any
// document that is given); a reason when asked.
func checkMeta(v *domain.ValidationError, m domain.Meta, needSource, needReason bool) {
	if m.Actor.Account.IsZero() {
		v.Add("meta/actor/account_id", "required", "")
	}
	if m.RecordedAt.IsZero() {
		v.Add("meta/recorded_at", "required", "")
	}
	if m.EffectiveDate.IsZero() {
		v.Add("meta/effective_date", "required", "")
	}
	if needSource && m.Source.IsZero() {
		v.Add("meta/source", "required", "a state-side change carries its source document")
	} else if !m.Source.IsZero() {
		merge(v, m.Source.Validate("meta/source"))
	}
	if needReason && strings.TrimSpace(m.Reason) == "" {
		v.Add("meta/reason", "required", "")
	} else if m.Reason != "" {
		domain.CheckText(v, "meta/reason", m.Reason, domain.MaxReason, true)
	}
	domain.CheckImport(v, "meta/", m)
}

// checker validates payload fields against the rules and the catalogue.
type checker struct {
	v   *domain.ValidationError
	cat Catalogue
	// on is the command's effective date: nothing a person did can be later.
	on domain.Date
}

func (c checker) required(path, s string) {
	if s == "" {
		c.v.Add(path, "required", "")
	}
}

// code checks a catalogued field; "" means unset and passes.
func (c checker) code(path, kind, s string) {
	if s != "" && (c.cat == nil || !c.cat.Has(kind, s)) {
		c.v.Add(path, "catalogue", fmt.Sprintf("%q is not in the %s catalogue", s, kind))
	}
}

// notAfter refuses a date later than the command's effective date.
func (c checker) notAfter(path string, d domain.Date) {
	if !d.IsZero() && !c.on.IsZero() && d.After(c.on) {
		c.v.Add(path, "range", "after the effective date "+c.on.String())
	}
}

func (c checker) between(path string, n, lo, hi int) {
	if n != 0 && (n < lo || n > hi) {
		c.v.Add(path, "range", fmt.Sprintf("between %d and %d", lo, hi))
	}
}

func (c checker) year(path string, y int, required bool) {
	if y == 0 {
		if required {
			c.v.Add(path, "required", "")
		}
		return
	}
	if y < 1900 || !c.on.IsZero() && y > c.on.Year() {
		c.v.Add(path, "range", "a year from 1900 to the effective year")
	}
}

func (c checker) months(path string, from, to YearMonth, required bool) {
	if from.IsZero() && required {
		c.v.Add(path+"/from", "required", "")
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		c.v.Add(path+"/to", "range", "before from")
	}
}

func (c checker) address(path string, a Address) { c.code(path+"/place", "place", a.Place) }

func (c checker) identity(path string, id Identity) {
	c.required(path+"/birth_name", id.BirthName)
	if id.Gender == "" {
		c.v.Add(path+"/gender", "required", "")
	} else if !id.Gender.valid() {
		c.v.Add(path+"/gender", "enum", "male or female")
	}
	if id.DateOfBirth.IsZero() {
		c.v.Add(path+"/date_of_birth", "required", "")
	}
	c.notAfter(path+"/date_of_birth", id.DateOfBirth)
	c.address(path+"/place_of_birth", id.PlaceOfBirth)
	c.address(path+"/home_town", id.HomeTown)
	c.address(path+"/residence", id.Residence)
	c.code(path+"/ethnicity", "ethnicity", id.Ethnicity)
	c.code(path+"/religion", "religion", id.Religion)
	c.notAfter(path+"/citizen_id_issued_on", id.CitizenIDIssuedOn)
}

func (c checker) qualifications(path string, q Qualifications) {
	c.code(path+"/highest_qualification", "qualification", q.HighestQualification)
	c.code(path+"/academic_title", "academic_title", q.AcademicTitle)
	c.year(path+"/academic_title_year", q.AcademicTitleYear, false)
	c.code(path+"/political_theory", "political_theory", q.PoliticalTheory)
	c.code(path+"/state_management", "state_management", q.StateManagement)
	c.code(path+"/it_level", "it_level", q.ITLevel)
	for i, l := range q.Languages {
		p := path + "/languages/" + strconv.Itoa(i)
		c.required(p+"/language", l.Language)
		c.required(p+"/level", l.Level)
		c.code(p+"/level", "language_level", l.Level)
	}
}

func (c checker) salary(path string, s Salary) {
	c.code(path+"/rank", "rank", s.Rank)
	c.code(path+"/title", "title", s.Title)
	c.code(path+"/job_position", "position", s.JobPosition)
	c.between(path+"/step", s.Step, 1, 20)
	c.between(path+"/percent_paid", s.PercentPaid, 1, 100)
	c.between(path+"/seniority_beyond_scale_percent", s.SeniorityBeyondScale, 1, 100)
	if s.JobPositionSalaryVND < 0 {
		c.v.Add(path+"/job_position_salary_vnd", "range", "not negative")
	}
	for i, a := range s.OtherAllowances {
		p := path + "/other_allowances/" + strconv.Itoa(i)
		c.required(p+"/name", a.Name)
		c.between(p+"/percent", a.Percent, 1, 100)
		if a.AmountVND < 0 {
			c.v.Add(p+"/amount_vnd", "range", "not negative")
		}
	}
}

var bloodGroups = []string{"A", "B", "AB", "O", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"}

func (c checker) health(path string, h Health) {
	c.between(path+"/height_cm", h.HeightCM, 40, 250)
	c.between(path+"/weight_kg", h.WeightKG, 2, 300)
	if h.BloodGroup != "" && !slices.Contains(bloodGroups, h.BloodGroup) {
		c.v.Add(path+"/blood_group", "enum", strings.Join(bloodGroups, ", "))
	}
}

func (c checker) row(path string, r Row) {
	if !slices.Contains(Tables(), r.Table) {
		c.v.Add(path+"/table", "enum", fmt.Sprintf("%q is not a table", r.Table))
		return
	}
	if r.setCount() != 1 || rowFieldMissing(r) {
		c.v.Add(path, "shape", fmt.Sprintf("exactly the %q field must be set", r.Table))
		return
	}
	if r.ID() == [16]byte{} {
		c.v.Add(path+"/id", "required", "rows carry a caller-given UUID")
	}
	switch r.Table {
	case TableTraining:
		t := r.Training
		p := path + "/training"
		kind, ok := t.Kind.catalogueKind()
		if !ok {
			c.v.Add(p+"/kind", "enum", "unknown training kind")
		} else if kind != "" {
			c.code(p+"/qualification", kind, t.Qualification)
		}
		c.months(p, t.From, t.To, true)
	case TableWorkHistory:
		p := path + "/work_history"
		c.months(p, r.WorkHistory.From, r.WorkHistory.To, true)
		c.required(p+"/org", r.WorkHistory.Org)
	case TableSalaryHistory:
		p, s := path+"/salary_history", r.SalaryHistory
		c.months(p, s.From, s.To, true)
		c.required(p+"/code", s.Code)
		if s.Code != "" && (c.cat == nil || !c.cat.Has("rank", s.Code) && !c.cat.Has("title", s.Code)) {
			c.v.Add(p+"/code", "catalogue", fmt.Sprintf("%q is neither a rank nor a professional title", s.Code))
		}
		c.between(p+"/step", s.Step, 1, 20)
	case TableFamily:
		p, f := path+"/family", r.Family
		if f.Side != FamilyOwn && f.Side != FamilySpouse {
			c.v.Add(p+"/side", "enum", "own or spouse")
		}
		c.required(p+"/relation", f.Relation)
		c.required(p+"/name", f.Name)
		c.year(p+"/birth_year", f.BirthYear, false)
	case TableRewards:
		p := path + "/reward"
		c.year(p+"/year", r.Reward.Year, true)
		c.required(p+"/form", r.Reward.Form)
	case TableDiscipline:
		p, d := path+"/discipline", r.Discipline
		if d.Kind != DisciplineParty && d.Kind != DisciplineAdministrative {
			c.v.Add(p+"/kind", "enum", "party or administrative")
		}
		if d.From.IsZero() {
			c.v.Add(p+"/from", "required", "")
		}
		if !d.From.IsZero() && !d.To.IsZero() && d.To.Before(d.From) {
			c.v.Add(p+"/to", "range", "before from")
		}
		c.required(p+"/form", d.Form)
	case TableEvaluations:
		p, e := path+"/evaluation", r.Evaluation
		c.year(p+"/year", e.Year, true)
		switch e.Rating {
		case RatingExcellent, RatingGood, RatingCompleted, RatingNotCompleted:
		default:
			c.v.Add(p+"/rating", "enum", "excellent, good, completed or not_completed")
		}
	}
}

// rowFieldMissing reports whether the one set field is not the one Table names.
func rowFieldMissing(r Row) bool {
	switch r.Table {
	case TableTraining:
		return r.Training == nil
	case TableWorkHistory:
		return r.WorkHistory == nil
	case TableSalaryHistory:
		return r.SalaryHistory == nil
	case TableFamily:
		return r.Family == nil
	case TableRewards:
		return r.Reward == nil
	case TableDiscipline:
		return r.Discipline == nil
	case TableEvaluations:
		return r.Evaluation == nil
	}
	return true
}

// patch validates every section and row of p (header rules are the
// caller's: they depend on the command).
func (c checker) patch(path string, p Patch) {
	if p.Identity != nil {
		c.identity(path+"/identity", *p.Identity)
	}
	if p.Qualifications != nil {
		c.qualifications(path+"/qualifications", *p.Qualifications)
	}
	if p.Salary != nil {
		c.salary(path+"/salary", *p.Salary)
	}
	if p.Health != nil {
		c.health(path+"/health", *p.Health)
	}
	if h := p.Header; h != nil && h.PhotoSHA256 != "" && !isSHA256(h.PhotoSHA256) {
		c.v.Add(path+"/header/photo_sha256", "format", "64 lower-case hex digits")
	}
	seen := map[[16]byte]bool{}
	for i, r := range p.Rows {
		rp := path + "/rows/" + strconv.Itoa(i)
		c.row(rp, r)
		if id := r.ID(); id != [16]byte{} {
			if seen[id] {
				c.v.Add(rp+"/id", "duplicate", "the same row twice in one patch")
			}
			seen[id] = true
		}
	}
}

// isSHA256 reports whether s is 64 lower-case hex digits, the form
// domain.SourceDocument uses for scans.
func isSHA256(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// checkPersonalID validates a personal ID number (số định danh cá nhân,
// Circular 59/2021/TT-BCA): 12 digits whose 4th digit encodes century and
// gender (0/1 for 1900s male/female, 2/3 for 2000s, …) and whose 5th–6th are
// the last two digits of the birth year. Checking them against the identity
// catches the commonest typing errors before they reach the national database.
func checkPersonalID(v *domain.ValidationError, path, number string, id Identity) {
	if len(number) != 12 || strings.Trim(number, "0123456789") != "" {
		v.Add(path, "format", "12 digits")
		return
	}
	if id.DateOfBirth.IsZero() || !id.Gender.valid() {
		return
	}
	y := id.DateOfBirth.Year()
	code := 2 * (y/100 - 19)
	if id.Gender == GenderFemale {
		code++
	}
	if int(number[3]-'0') != code || number[4:6] != fmt.Sprintf("%02d", y%100) {
		v.Add(path, "mismatch", "century/gender digit or birth year disagrees with gender and date of birth")
	}
}
