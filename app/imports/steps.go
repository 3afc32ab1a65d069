package imports

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/internal/importfile"
	"github.com/hoso-ledger/hoso/ledger"
)

// step is one row of a history sheet as the command it would have been:
// the event id derived from the file and row (so a re-run recognizes what
// it wrote), the envelope with the row's own effective date and its
// imported_from, and the decision on the person's dossier.
type step struct {
	sheet  string
	pid    string
	row    int
	id     uuid.UUID
	meta   domain.Meta
	decide func(*dossier.Dossier, dossier.Catalogue) ([]domain.Event, error)
}

// person is an identity row as a creation plus its first sections.
type person struct {
	row    int
	create dossier.CreateDossier
	meta   domain.Meta
	// sections is the identity row's background, qualifications, salary
	// and position as one section update (nil when none is filled).
	sections *step
}

// file is what every row of one import shares.
type file struct {
	sha      string
	ns       uuid.UUID
	org      domain.OrgID
	decision domain.SourceDocument
	actor    domain.Actor
	now      domain.Date
	meta     func(sheet string, row int, eff domain.Date, src domain.SourceDocument) domain.Meta
}

// importNamespace roots every id an import derives.
var importNamespace = uuid.MustParse("0193a5e2-7c1d-7b8e-9f00-696d706f7274")

// DossierID is the dossier an import of the file with SHA-256 sha creates
// for the person with number pid: derived, so a resumed or repeated import
// finds the dossier it created instead of creating another.
func DossierID(sha, pid string) domain.DossierID {
	return domain.DossierID(ledger.DerivedID(uuid.NewSHA1(importNamespace, []byte(sha)), "dossier/"+pid))
}

func (f *file) eventID(sheet string, row int) uuid.UUID {
	return ledger.DerivedID(f.ns, fmt.Sprintf("event/%s/%d", sheet, row))
}

func (f *file) rowID(sheet string, row int) uuid.UUID {
	return ledger.DerivedID(f.ns, fmt.Sprintf("row/%s/%d", sheet, row))
}

// importedFrom names the source of a row in the envelope.
func importedFrom(sha, sheet string, row int) string {
	return fmt.Sprintf("tệp SHA-256 %s, trang %s, dòng %d", sha, sheet, row)
}

// parsePerson reads an identity row.
func (f *file) parsePerson(c *cells) person {
	p := person{row: c.rec.Row, meta: f.meta(c.sheet.Key, c.rec.Row, f.decision.Date, f.decision)}
	pid := c.get(importfile.ColPersonalID)
	p.create = dossier.CreateDossier{
		DossierID:        DossierID(f.sha, pid),
		ManagingOrg:      f.org,
		EmployingUnit:    f.org,
		PersonalIDNumber: pid,
		Identity: dossier.Identity{
			BirthName:    c.get("birth_name"),
			DateOfBirth:  c.date("date_of_birth"),
			PlaceOfBirth: dossier.Address{Place: c.get("place_of_birth")},
			HomeTown:     dossier.Address{Place: c.get("home_town")},
			Ethnicity:    c.get("ethnicity"),
			Religion:     c.get("religion"),
			Phone:        c.get("phone"),
		},
	}
	switch c.choice("gender", importfile.Genders) {
	case 0:
		p.create.Identity.Gender = dossier.GenderMale
	case 1:
		p.create.Identity.Gender = dossier.GenderFemale
	}
	if i := c.choice("class", importfile.Classes); i >= 0 {
		p.create.Class, _ = dossier.ParseClass(importfile.Classes[i])
	}
	var patch dossier.Patch
	bg := dossier.Background{
		FirstRecruitedOn:   c.date("first_recruited_on"),
		FirstRecruitingOrg: c.get("first_recruiting_org"),
		JoinedCurrentOrgOn: c.date("joined_current_org_on"),
	}
	if bg != (dossier.Background{}) {
		patch.Background = &bg
	}
	sal := dossier.Salary{
		Rank: c.get("rank"), Title: c.get("title"), Step: c.integer("step"), Coefficient: c.coefficient("coefficient"),
		EffectiveOn: c.date("salary_effective_on"), JobPosition: c.get("job_position"),
	}
	if sal.Rank != "" || sal.Title != "" || sal.Step != 0 || sal.Coefficient != 0 || sal.JobPosition != "" || !sal.EffectiveOn.IsZero() {
		patch.Salary = &sal
	}
	if pos := c.get("position"); pos != "" {
		patch.Position = &dossier.Position{Current: pos}
	}
	if q, m := c.get("highest_qualification"), c.get("major"); q != "" || m != "" {
		patch.Qualifications = &dossier.Qualifications{HighestQualification: q, Major: m}
	}
	if !patch.IsEmpty() {
		p.sections = &step{sheet: c.sheet.Key, pid: pid, row: c.rec.Row, id: f.eventID(c.sheet.Key, c.rec.Row), meta: p.meta,
			decide: func(d *dossier.Dossier, cat dossier.Catalogue) ([]domain.Event, error) {
				return d.UpdateSection(patch, p.meta, cat)
			}}
	}
	return p
}

// yearEnd is 31 December of year y, or today for this year's fact
// imported before its end; the zero date for a year out of range (the
// domain reports the year).
func (f *file) yearEnd(y int) domain.Date {
	if y < 1 || y > 9999 {
		return domain.Date{}
	}
	if d := domain.MustDate(y, 12, 31); !d.After(f.now) || y != f.now.Year() {
		return d
	}
	return f.now
}

// parseStep reads a row of a history sheet.
func (f *file) parseStep(c *cells) step {
	key, row := c.sheet.Key, c.rec.Row
	s := step{sheet: key, pid: c.get(importfile.ColPersonalID), row: row, id: f.eventID(key, row)}
	rowID := f.rowID(key, row)
	addRow := func(eff domain.Date, src domain.SourceDocument, r dossier.Row) {
		if src.IsZero() {
			src = f.decision
		}
		s.meta = f.meta(key, row, eff, src)
		s.decide = func(d *dossier.Dossier, cat dossier.Catalogue) ([]domain.Event, error) {
			return d.AddRow(r, s.meta, cat)
		}
	}
	switch key {
	case "career":
		w := dossier.WorkHistoryRow{ID: rowID, From: c.month("from"), To: c.month("to"), Org: c.get("org"), Title: c.get("title")}
		addRow(firstDay(w.From), domain.SourceDocument{}, dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &w})
	case "training":
		t := dossier.TrainingRow{ID: rowID, From: c.month("from"), To: c.month("to"), Institution: c.get("institution"),
			Major: c.get("major"), Mode: c.get("mode"), Qualification: c.get("qualification")}
		if i := c.choice("kind", importfile.Trainings); i >= 0 {
			t.Kind = dossier.TrainingKind(importfile.Trainings[i])
		}
		// A degree holds from the month the training ended.
		eff := firstDay(t.To)
		if eff.IsZero() {
			eff = firstDay(t.From)
		}
		addRow(eff, c.document("certificate"), dossier.Row{Table: dossier.TableTraining, Training: &t})
	case "salary":
		r := dossier.SalaryHistoryRow{ID: rowID, From: c.month("from"), To: c.month("to"), Code: c.get("code"),
			Step: c.integer("step"), Coefficient: c.coefficient("coefficient")}
		addRow(firstDay(r.From), c.document("decision"), dossier.Row{Table: dossier.TableSalaryHistory, SalaryHistory: &r})
	case "family":
		r := dossier.FamilyRow{ID: rowID, Relation: c.get("relation"), Name: c.get("name"), BirthYear: c.integer("birth_year"), Details: c.get("details")}
		switch c.choice("side", importfile.FamilySides) {
		case 0:
			r.Side = dossier.FamilyOwn
		case 1:
			r.Side = dossier.FamilySpouse
		}
		addRow(f.decision.Date, domain.SourceDocument{}, dossier.Row{Table: dossier.TableFamily, Family: &r})
	case "party":
		admitted, confirmed := c.date("party_admitted_on"), c.date("party_confirmed_on")
		pu := dossier.PartyUnions{PartyCell: c.get("party_cell"), PartyCardNumber: c.get("party_card_number"),
			TradeUnionJoinedOn: c.date("trade_union_joined_on"), YouthUnionJoinedOn: c.date("youth_union_joined_on")}
		s.meta = f.meta(key, row, f.decision.Date, f.decision)
		// The party dates live in the background section, which an update
		// replaces whole: keep what the identity row put there.
		s.decide = func(d *dossier.Dossier, cat dossier.Catalogue) ([]domain.Event, error) {
			bg := d.Document().Background
			bg.PartyAdmittedOn, bg.PartyConfirmedOn = admitted, confirmed
			return d.UpdateSection(dossier.Patch{Background: &bg, PartyUnions: &pu}, s.meta, cat)
		}
	case "evaluations":
		// An evaluation is of the year that ends with it (Decree 90/2020
		// evaluates in December).
		r := dossier.EvaluationRow{ID: rowID, Year: c.integer("year"), EmulationTitle: c.get("emulation_title")}
		if i := c.choice("rating", importfile.Ratings); i >= 0 {
			r.Rating = []dossier.Rating{dossier.RatingExcellent, dossier.RatingGood, dossier.RatingCompleted, dossier.RatingNotCompleted}[i]
		}
		addRow(f.yearEnd(r.Year), domain.SourceDocument{}, dossier.Row{Table: dossier.TableEvaluations, Evaluation: &r})
	case "rewards":
		src := c.document("decision")
		r := dossier.RewardRow{ID: rowID, Year: c.integer("year"), Form: c.get("form"), Title: c.get("title"), DecidingBody: src.Issuer}
		eff := src.Date
		if eff.IsZero() {
			eff = f.yearEnd(r.Year)
		}
		addRow(eff, src, dossier.Row{Table: dossier.TableRewards, Reward: &r})
	case "discipline":
		src := c.document("decision")
		r := dossier.DisciplineRow{ID: rowID, From: c.date("from"), To: c.date("to"), Form: c.get("form"), Act: c.get("act"), DecidingBody: src.Issuer}
		switch c.choice("kind", importfile.Disciplines) {
		case 0:
			r.Kind = dossier.DisciplineParty
		case 1:
			r.Kind = dossier.DisciplineAdministrative
		}
		addRow(r.From, src, dossier.Row{Table: dossier.TableDiscipline, Discipline: &r})
	case "attachments":
		a := dossier.Attachment{Title: c.get("title"), Document: domain.SourceDocument{
			Kind: c.get("kind"), Number: c.get("number"), Date: c.date("date"), Issuer: c.get("issuer"), SHA256: c.get("sha256"),
		}}
		s.meta = f.meta(key, row, f.decision.Date, f.decision)
		s.decide = func(d *dossier.Dossier, _ dossier.Catalogue) ([]domain.Event, error) {
			return d.AttachDocument(a, s.meta)
		}
	default:
		panic("imports: no step for sheet " + key)
	}
	return s
}
