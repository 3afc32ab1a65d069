package projectiontest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
)

// Actor is who acts: an account, its name and the org it acts for.
type Actor struct {
	Account domain.AccountID
	Name    string
	Org     domain.OrgID
}

// Office writes as the people of orgs do: each command by an Actor on an
// effective date, recorded a minute after the previous one, on a numbered
// decision. Beside the log it keeps Concerns, what the audit trail must
// file each event under, computed with the domain directly (never with a
// projection's code). Its commands shadow the Ledger's of the same names:
// they take an Actor and an effective date instead of a Meta.
type Office struct {
	*Ledger
	clock time.Time
	// Concerns is, per event id, the orgs an entry for it concerns (see
	// audit.Filter.Orgs), from the domain's own replay.
	Concerns map[uuid.UUID][]domain.OrgID
}

// NewOffice is an Office on a fresh memstore, its clock at 10 January 2024.
func NewOffice(t testing.TB) *Office {
	return &Office{Ledger: NewLedger(t), clock: time.Date(2024, 1, 10, 2, 0, 0, 0, time.UTC),
		Concerns: map[uuid.UUID][]domain.OrgID{}}
}

// Meta is a's envelope for a decision effective eff, recorded a minute
// after the previous command.
func (o *Office) Meta(a Actor, eff domain.Date) domain.Meta {
	o.clock = o.clock.Add(time.Minute)
	return domain.Meta{
		Actor:         domain.Actor{Account: a.Account, Name: a.Name, ActingOrg: a.Org},
		RecordedAt:    o.clock,
		EffectiveDate: eff,
		Source: domain.SourceDocument{Kind: "decision", Number: fmt.Sprintf("%d/QĐ-UBND", o.clock.Unix()%10000),
			Date: eff, Issuer: "UBND tỉnh Đồng Tháp", SHA256: fmt.Sprintf("%064x", o.clock.Unix())},
		Reason:        "nhập sai số liệu",
		RequestID:     "req-" + o.clock.Format("150405"),
		CorrelationID: "corr-1",
	}
}

// CreateOrg has a create the org; the event concerns the org.
func (o *Office) CreateOrg(a Actor, id domain.OrgID, eff domain.Date, c org.CreateOrg) uuid.UUID {
	o.t.Helper()
	ev := o.Ledger.CreateOrg(id, o.Meta(a, eff), c)
	o.Concerns[ev] = []domain.OrgID{id}
	return ev
}

// OrgDo has a run a command on the org; the event concerns the org.
func (o *Office) OrgDo(a Actor, id domain.OrgID, eff domain.Date, f func(*org.Org, domain.Meta) ([]domain.Event, error)) uuid.UUID {
	o.t.Helper()
	m := o.Meta(a, eff)
	ids := o.Ledger.OrgDo(id, m, func(x *org.Org) ([]domain.Event, error) { return f(x, m) })
	if len(ids) == 0 {
		o.t.Fatalf("org %s: the command raised no event", id)
	}
	o.Concerns[ids[0]] = []domain.OrgID{id}
	return ids[0]
}

// CreateDossier has a open a dossier; the event concerns its managing org.
func (o *Office) CreateDossier(a Actor, eff domain.Date, c dossier.CreateDossier) uuid.UUID {
	o.t.Helper()
	ev := o.Ledger.CreateDossier(c, o.Meta(a, eff), AnyCode{})
	o.Concerns[ev] = []domain.OrgID{c.ManagingOrg}
	return ev
}

// DossierDo has a run a command on the dossier; the event concerns the
// managing org before it and, if it changed, after it.
func (o *Office) DossierDo(a Actor, id domain.DossierID, eff domain.Date, f func(*dossier.Dossier, domain.Meta) ([]domain.Event, error)) uuid.UUID {
	o.t.Helper()
	m := o.Meta(a, eff)
	var before *dossier.Dossier
	ids := o.Ledger.DossierDo(id, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		before = d
		return f(d, m)
	})
	if len(ids) == 0 {
		o.t.Fatalf("dossier %s: the command raised no event", id)
	}
	after, err := dossier.Replay(o.Load(id.StreamID(), dossier.Decode).Events)
	if err != nil {
		o.t.Fatal(err)
	}
	var concerns []domain.OrgID
	was, ok := before.ManagingOrg()
	if ok {
		concerns = append(concerns, was)
	}
	if now, ok2 := after.ManagingOrg(); ok2 && (!ok || now != was) {
		concerns = append(concerns, now)
	}
	o.Concerns[ids[0]] = concerns
	return ids[0]
}

// CreateAccount has a create the account; the event concerns a's org.
func (o *Office) CreateAccount(a Actor, id domain.AccountID, eff domain.Date, c account.CreateAccount) uuid.UUID {
	o.t.Helper()
	ev := o.Ledger.CreateAccount(id, o.Meta(a, eff), c)
	o.Concerns[ev] = []domain.OrgID{a.Org}
	return ev
}

// Raw appends, as a on the clock's date, an event of a stream no domain
// package here decodes (approvals, reservations…): the trail records it
// all the same, under a's org.
func (o *Office) Raw(a Actor, stream, typ string, data any) uuid.UUID {
	o.t.Helper()
	ev := o.AppendJSON(stream, typ, data, o.Meta(a, domain.DateOf(o.clock)))
	o.Concerns[ev] = []domain.OrgID{a.Org}
	return ev
}

// Identity is a man born on 12 May 1990 (PersonalIDOf numbers him).
func Identity(name string) dossier.Identity {
	return dossier.Identity{BirthName: name, Gender: dossier.GenderMale, DateOfBirth: Day(1990, 5, 12), Ethnicity: "kinh"}
}

// PersonalIDOf is the personal ID number, serial n, of a person with
// Identity.
func PersonalIDOf(n int) string { return PersonalID(dossier.GenderMale, Day(1990, 5, 12), n) }

// World is the scenario every test reads: a province with a department, a
// district with a unit, a commune that absorbs the district in the 2025
// reform, and dossiers that are updated, corrected, transferred and
// reassigned.
type World struct {
	*Office
	Province, Doha, Dept, District, Unit, Commune domain.OrgID
	Admin, HrDistrict, HrDept, HrCommune          Actor

	An, Binh, Chi domain.DossierID

	SalaryUpdate, SalaryFix, PositionUpdate, PositionFix, TrainingAdded uuid.UUID
	TransferReceived, Reassigned, OutReceived, Reactivated              uuid.UUID
	Renamed, Merged                                                     uuid.UUID
	Salary, FixedSalary                                                 dossier.Salary
}

// NewWorld writes the World into a fresh memstore.
func NewWorld(t testing.TB) *World {
	w := &World{Office: NewOffice(t)}
	w.Province, w.Doha, w.Dept, w.District, w.Unit, w.Commune =
		domain.OrgID(NewID()), domain.OrgID(NewID()), domain.OrgID(NewID()), domain.OrgID(NewID()), domain.OrgID(NewID()), domain.OrgID(NewID())
	w.Admin = Actor{domain.AccountID(NewID()), "Trần Thị Bình", w.Doha}
	w.HrDistrict = Actor{domain.AccountID(NewID()), "Lê Văn Cường", w.District}
	w.HrDept = Actor{domain.AccountID(NewID()), "Phạm Thu Dung", w.Dept}
	w.HrCommune = Actor{domain.AccountID(NewID()), "Hồ Minh Em", w.Commune}

	founded := Day(2020, 1, 1)
	w.CreateOrg(w.Admin, w.Province, founded, org.CreateOrg{Name: "UBND tỉnh Tiền Giang", Code: "000.00.00.H60", Kind: org.KindProvinceCommittee, Level: org.LevelProvince})
	w.CreateOrg(w.Admin, w.Doha, founded, org.CreateOrg{Name: "Sở Nội vụ tỉnh Tiền Giang", Code: "000.00.31.H60", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: w.Province})
	w.CreateOrg(w.Admin, w.Dept, founded, org.CreateOrg{Name: "Sở Y tế tỉnh Tiền Giang", Code: "000.00.32.H60", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: w.Province})
	w.CreateOrg(w.Admin, w.District, founded, org.CreateOrg{Name: "UBND huyện Cái Bè", Code: "000.01.00.H60", Kind: org.KindDistrictCommittee, Level: org.LevelDistrict, Parent: w.Province})
	w.CreateOrg(w.Admin, w.Unit, founded, org.CreateOrg{Name: "Phòng Nội vụ huyện Cái Bè", Code: "000.01.01.H60", Kind: org.KindOther, Level: org.LevelUnit, Parent: w.District})
	w.CreateAccount(w.Admin, w.HrDistrict.Account, founded, account.CreateAccount{Kind: account.KindOrg, Username: "hr.caibe", DisplayName: w.HrDistrict.Name, HomeOrg: w.District})

	// Dossier An: created, salary set, training added, position updated,
	// the salary decision corrected, then transferred to the department.
	w.An = domain.DossierID(NewID())
	w.CreateDossier(w.HrDistrict, Day(2024, 1, 15), dossier.CreateDossier{DossierID: w.An, Class: dossier.ClassCongChuc,
		ManagingOrg: w.District, EmployingUnit: w.Unit, PersonalIDNumber: PersonalIDOf(1), Identity: Identity("Nguyễn Văn An")})
	w.Salary = dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267, EffectiveOn: Day(2024, 3, 1)}
	w.SalaryUpdate = w.DossierDo(w.HrDistrict, w.An, Day(2024, 3, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: &w.Salary}, m, AnyCode{})
	})
	w.TrainingAdded = w.DossierDo(w.HrDistrict, w.An, Day(2024, 3, 5), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableTraining, Training: &dossier.TrainingRow{ID: NewID(), Kind: dossier.TrainingDegree,
			Institution: "Đại học Cần Thơ", Qualification: "dai_hoc", From: dossier.MustYearMonth(2008, 9), To: dossier.MustYearMonth(2012, 6)}}, m, AnyCode{})
	})
	w.PositionUpdate = w.DossierDo(w.HrDistrict, w.An, Day(2024, 4, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên", MainDuty: "Tổ chức cán bộ"}}, m, AnyCode{})
	})
	w.FixedSalary = dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, EffectiveOn: Day(2024, 3, 1)}
	w.SalaryFix = w.DossierDo(w.HrDistrict, w.An, Day(2024, 5, 20), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.SalaryUpdate, Patch: dossier.Patch{Salary: &w.FixedSalary}}, m, AnyCode{})
	})
	// A newer position decision, then a correction of the older one: the
	// domain folds the correction right after what it corrects, so the newer
	// decision still stands and the correction changes nothing current.
	w.DossierDo(w.HrDistrict, w.An, Day(2024, 6, 15), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Phó Trưởng phòng", AppointedOn: Day(2024, 6, 15)}}, m, AnyCode{})
	})
	w.PositionFix = w.DossierDo(w.HrDistrict, w.An, Day(2024, 7, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.PositionUpdate, Patch: dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên chính"}}}, m, AnyCode{})
	})
	transfer := NewID()
	w.DossierDo(w.HrDistrict, w.An, Day(2024, 8, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: transfer, Kind: dossier.TransferBetweenOrgs, TargetOrg: w.Dept}, m)
	})
	w.TransferReceived = w.DossierDo(w.HrDept, w.An, Day(2024, 8, 10), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReceiveTransfer(transfer, m)
	})

	w.Renamed = w.OrgDo(w.Admin, w.Dept, Day(2024, 6, 1), func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
		return o.Rename(m, "Sở Y tế tỉnh Tiền Giang (mới)", "")
	})

	// Dossier Bình stays with the district until the 2025 reform.
	w.Binh = domain.DossierID(NewID())
	w.CreateDossier(w.HrDistrict, Day(2024, 2, 1), dossier.CreateDossier{DossierID: w.Binh, Class: dossier.ClassVienChuc,
		ManagingOrg: w.District, EmployingUnit: w.District, PersonalIDNumber: PersonalIDOf(2), Identity: Identity("Trần Văn Bình")})
	w.DossierDo(w.HrDistrict, w.Binh, Day(2024, 9, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Health: &dossier.Health{HeightCM: 170, WeightKG: 65, BloodGroup: "O"}}, m, AnyCode{})
	})
	w.DossierDo(w.HrDistrict, w.Binh, Day(2024, 9, 2), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: NewID(), Side: dossier.FamilyOwn,
			Relation: "Mẹ", Name: "Nguyễn Thị Hoa", BirthYear: 1965}}, m, AnyCode{})
	})
	w.DossierDo(w.HrDistrict, w.Binh, Day(2024, 9, 3), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AttachDocument(dossier.Attachment{Document: m.Source, Title: "Quyết định tuyển dụng"}, m)
	})
	w.DossierDo(w.HrDistrict, w.Binh, Day(2024, 9, 4), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.IssueCivilServantNumber("VC-2024-000123", m)
	})

	// Dossier Chí, in the DoHA, leaves the province by mistake and comes back.
	w.Chi = domain.DossierID(NewID())
	hrDoha := Actor{w.Admin.Account, w.Admin.Name, w.Doha}
	w.CreateDossier(hrDoha, Day(2024, 3, 1), dossier.CreateDossier{DossierID: w.Chi, Class: dossier.ClassCongChuc,
		ManagingOrg: w.Doha, EmployingUnit: w.Doha, PersonalIDNumber: PersonalIDOf(3), Identity: Identity("Lý Văn Chí")})
	out := NewID()
	w.DossierDo(hrDoha, w.Chi, Day(2024, 10, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
	})
	w.OutReceived = w.DossierDo(hrDoha, w.Chi, Day(2024, 10, 15), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReceiveTransfer(out, m)
	})
	w.Reactivated = w.DossierDo(hrDoha, w.Chi, Day(2024, 11, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.OutReceived, Reactivate: true}, m, AnyCode{})
	})

	w.Raw(w.HrDistrict, "approval-"+w.District.String()+"-2024-09", "approval.signed.v1", map[string]any{"month": "2024-09"})
	w.Raw(w.Admin, "reservation-code-000.02.00.H60", "reservation.made.v1", map[string]any{"code": "000.02.00.H60"})

	// The 2025 reform: the district is merged into a new commune, its unit
	// moves under the commune, and Bình's dossier follows.
	reform := Day(2025, 7, 1)
	w.CreateOrg(w.Admin, w.Commune, reform, org.CreateOrg{Name: "UBND xã Cái Bè", Code: "000.02.00.H60", Kind: org.KindCommuneCommittee, Level: org.LevelCommune, Parent: w.Province})
	w.OrgDo(w.Admin, w.Unit, reform, func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
		return o.Move(m, w.Commune, []domain.OrgID{w.Commune, w.Province})
	})
	w.Merged = w.OrgDo(w.Admin, w.District, reform, func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
		return o.Merge(m, w.Commune)
	})
	w.Reassigned = w.DossierDo(w.Admin, w.Binh, reform, func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReassignManagingOrg(dossier.Reassignment{FromOrg: w.District, ToOrg: w.Commune,
			Cause: dossier.Cause{Kind: "merge", OrgID: w.District, EventID: w.Merged}}, m)
	})
	w.DossierDo(w.HrCommune, w.Binh, Day(2025, 8, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Viên chức"}}, m, AnyCode{})
	})
	return w
}
