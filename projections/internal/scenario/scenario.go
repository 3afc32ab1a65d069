// Package scenario is the history the audit trail and org tree projections are
// tested against: a province, a district merged away in the 2025 reform, and
// dossiers updated, corrected, transferred and reassigned, written through
// the domain commands into a memstore. The expectations it records come from
// the domain, never from the projections under test.
package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// AnyCatalogue accepts every code: catalogue rules are the domain's tests'
// business, not the audit trail's.
type AnyCatalogue struct{}

func (AnyCatalogue) Has(kind, code string) bool { return true }

// Ledger writes histories through the domain's commands into a memstore,
// and keeps, beside the log, what the tests expect from the trail, computed
// with the domain directly (never with the projection's code).
type Ledger struct {
	t     testing.TB
	Store *memstore.Store
	l     ledger.Ledger
	clock time.Time
	// Concerns is, per event id, the orgs an entry for it concerns (see
	// audit.Filter.Orgs), from the domain's own replay.
	Concerns map[uuid.UUID][]domain.OrgID
}

func NewLedger(t testing.TB) *Ledger {
	s := memstore.New(nil)
	return &Ledger{t: t, Store: s, l: ledger.Ledger{Store: s}, clock: time.Date(2024, 1, 10, 2, 0, 0, 0, time.UTC),
		Concerns: map[uuid.UUID][]domain.OrgID{}}
}

// Actor is who acts: an account, its name and the org it acts for.
type Actor struct {
	Account domain.AccountID
	Name    string
	Org     domain.OrgID
}

func (l *Ledger) Meta(a Actor, eff domain.Date) domain.Meta {
	l.clock = l.clock.Add(time.Minute)
	return domain.Meta{
		Actor:         domain.Actor{Account: a.Account, Name: a.Name, ActingOrg: a.Org},
		RecordedAt:    l.clock,
		EffectiveDate: eff,
		Source: domain.SourceDocument{Kind: "decision", Number: fmt.Sprintf("%d/QĐ-UBND", l.clock.Unix()%10000),
			Date: eff, Issuer: "UBND tỉnh Đồng Tháp", SHA256: fmt.Sprintf("%064x", l.clock.Unix())},
		Reason:        "nhập sai số liệu",
		RequestID:     "req-" + l.clock.Format("150405"),
		CorrelationID: "corr-1",
	}
}

// append writes events to stream and returns their ids.
func (l *Ledger) Append(stream string, expected uint64, m domain.Meta, events []domain.Event) []uuid.UUID {
	l.t.Helper()
	if len(events) == 0 {
		l.t.Fatalf("%s: the command raised no event", stream)
	}
	ids := make([]uuid.UUID, len(events))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	if _, err := l.l.Append(context.Background(), stream, eventstore.Exactly(expected), m, events, ids); err != nil {
		l.t.Fatalf("append to %s: %v", stream, err)
	}
	return ids
}

func (l *Ledger) Load(stream string, decode ledger.Decoder) ledger.History {
	l.t.Helper()
	h, err := l.l.Load(context.Background(), stream, decode)
	if err != nil {
		l.t.Fatalf("load %s: %v", stream, err)
	}
	return h
}

func (l *Ledger) CreateOrg(a Actor, id domain.OrgID, eff domain.Date, c org.CreateOrg) uuid.UUID {
	l.t.Helper()
	m := l.Meta(a, eff)
	evs, err := org.Create(id, m, c)
	if err != nil {
		l.t.Fatalf("create org %s: %v", c.Name, err)
	}
	ids := l.Append(id.StreamID(), 0, m, evs)
	l.Concerns[ids[0]] = []domain.OrgID{id}
	return ids[0]
}

func (l *Ledger) OrgDo(a Actor, id domain.OrgID, eff domain.Date, f func(*org.Org, domain.Meta) ([]domain.Event, error)) uuid.UUID {
	l.t.Helper()
	h := l.Load(id.StreamID(), org.Decode)
	o, err := org.Replay(h.Events)
	if err != nil {
		l.t.Fatal(err)
	}
	m := l.Meta(a, eff)
	evs, err := f(o, m)
	if err != nil {
		l.t.Fatalf("org %s: %v", id, err)
	}
	ids := l.Append(id.StreamID(), h.Version, m, evs)
	l.Concerns[ids[0]] = []domain.OrgID{id}
	return ids[0]
}

func (l *Ledger) CreateDossier(a Actor, eff domain.Date, c dossier.CreateDossier) uuid.UUID {
	l.t.Helper()
	m := l.Meta(a, eff)
	evs, err := dossier.Create(c, m, AnyCatalogue{})
	if err != nil {
		l.t.Fatalf("create dossier: %v", err)
	}
	ids := l.Append(c.DossierID.StreamID(), 0, m, evs)
	l.Concerns[ids[0]] = []domain.OrgID{c.ManagingOrg}
	return ids[0]
}

// dossierDo runs a command on the dossier and records which orgs the event
// concerns: the managing org before it and, if it changed, after it.
func (l *Ledger) DossierDo(a Actor, id domain.DossierID, eff domain.Date, f func(*dossier.Dossier, domain.Meta) ([]domain.Event, error)) uuid.UUID {
	l.t.Helper()
	h := l.Load(id.StreamID(), dossier.Decode)
	d, err := dossier.Replay(h.Events)
	if err != nil {
		l.t.Fatal(err)
	}
	m := l.Meta(a, eff)
	evs, err := f(d, m)
	if err != nil {
		l.t.Fatalf("dossier %s: %v", id, err)
	}
	ids := l.Append(id.StreamID(), h.Version, m, evs)
	after, err := dossier.Replay(l.Load(id.StreamID(), dossier.Decode).Events)
	if err != nil {
		l.t.Fatal(err)
	}
	var concerns []domain.OrgID
	before, ok := d.ManagingOrg()
	if ok {
		concerns = append(concerns, before)
	}
	if now, ok2 := after.ManagingOrg(); ok2 && (!ok || now != before) {
		concerns = append(concerns, now)
	}
	l.Concerns[ids[0]] = concerns
	return ids[0]
}

func (l *Ledger) CreateAccount(a Actor, id domain.AccountID, eff domain.Date, c account.CreateAccount) uuid.UUID {
	l.t.Helper()
	m := l.Meta(a, eff)
	evs, err := account.Create(id, m, c)
	if err != nil {
		l.t.Fatalf("create account: %v", err)
	}
	ids := l.Append(id.StreamID(), 0, m, evs)
	l.Concerns[ids[0]] = []domain.OrgID{a.Org}
	return ids[0]
}

// raw appends an event of a stream no domain package here decodes
// (approvals, reservations…): the trail records it all the same.
func (l *Ledger) Raw(a Actor, stream, typ string, data any) uuid.UUID {
	l.t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		l.t.Fatal(err)
	}
	m := l.Meta(a, domain.DateOf(l.clock))
	id := uuid.Must(uuid.NewV7())
	if _, err := l.Store.Append(context.Background(), stream, eventstore.Any,
		eventstore.EventData{ID: id, Type: typ, Data: b, Meta: ledger.EnvelopeMetadata(m)}); err != nil {
		l.t.Fatal(err)
	}
	l.Concerns[id] = []domain.OrgID{a.Org}
	return id
}

func (l *Ledger) Events() []eventstore.Event {
	l.t.Helper()
	evs, err := l.Store.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	return evs
}

func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func Day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

// Identity is a man born in 1990, whose personal ID number must then read
// "xxx0 90 xxxxxx".
func Identity(name string) dossier.Identity {
	return dossier.Identity{BirthName: name, Gender: dossier.GenderMale, DateOfBirth: Day(1990, 5, 12), Ethnicity: "kinh"}
}

func PersonalID(n int) string { return fmt.Sprintf("001090%06d", n) }

// World is the scenario every test reads: a province with a department, a
// district with a unit, a commune that absorbs the district in the 2025
// reform, and dossiers that are updated, corrected, transferred and
// reassigned.
type World struct {
	*Ledger
	Province, Doha, Dept, District, Unit, Commune domain.OrgID
	Admin, HrDistrict, HrDept, HrCommune          Actor

	An, Binh, Chi domain.DossierID

	SalaryUpdate, SalaryFix, PositionUpdate, PositionFix, TrainingAdded uuid.UUID
	TransferReceived, Reassigned, OutReceived, Reactivated              uuid.UUID
	Renamed, Merged                                                     uuid.UUID
	Salary, FixedSalary                                                 dossier.Salary
}

func Build(t testing.TB) *World {
	w := &World{Ledger: NewLedger(t)}
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
		ManagingOrg: w.District, EmployingUnit: w.Unit, PersonalIDNumber: PersonalID(1), Identity: Identity("Nguyễn Văn An")})
	w.Salary = dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267, EffectiveOn: Day(2024, 3, 1)}
	w.SalaryUpdate = w.DossierDo(w.HrDistrict, w.An, Day(2024, 3, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: &w.Salary}, m, AnyCatalogue{})
	})
	w.TrainingAdded = w.DossierDo(w.HrDistrict, w.An, Day(2024, 3, 5), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableTraining, Training: &dossier.TrainingRow{ID: NewID(), Kind: dossier.TrainingDegree,
			Institution: "Đại học Cần Thơ", Qualification: "dai_hoc", From: dossier.MustYearMonth(2008, 9), To: dossier.MustYearMonth(2012, 6)}}, m, AnyCatalogue{})
	})
	w.PositionUpdate = w.DossierDo(w.HrDistrict, w.An, Day(2024, 4, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên", MainDuty: "Tổ chức cán bộ"}}, m, AnyCatalogue{})
	})
	w.FixedSalary = dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, EffectiveOn: Day(2024, 3, 1)}
	w.SalaryFix = w.DossierDo(w.HrDistrict, w.An, Day(2024, 5, 20), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.SalaryUpdate, Patch: dossier.Patch{Salary: &w.FixedSalary}}, m, AnyCatalogue{})
	})
	// A newer position decision, then a correction of the older one: the
	// domain folds the correction right after what it corrects, so the newer
	// decision still stands and the correction changes nothing current.
	w.DossierDo(w.HrDistrict, w.An, Day(2024, 6, 15), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Phó Trưởng phòng", AppointedOn: Day(2024, 6, 15)}}, m, AnyCatalogue{})
	})
	w.PositionFix = w.DossierDo(w.HrDistrict, w.An, Day(2024, 7, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.PositionUpdate, Patch: dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên chính"}}}, m, AnyCatalogue{})
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
		ManagingOrg: w.District, EmployingUnit: w.District, PersonalIDNumber: PersonalID(2), Identity: Identity("Trần Văn Bình")})
	w.DossierDo(w.HrDistrict, w.Binh, Day(2024, 9, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Health: &dossier.Health{HeightCM: 170, WeightKG: 65, BloodGroup: "O"}}, m, AnyCatalogue{})
	})
	w.DossierDo(w.HrDistrict, w.Binh, Day(2024, 9, 2), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: NewID(), Side: dossier.FamilyOwn,
			Relation: "Mẹ", Name: "Nguyễn Thị Hoa", BirthYear: 1965}}, m, AnyCatalogue{})
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
		ManagingOrg: w.Doha, EmployingUnit: w.Doha, PersonalIDNumber: PersonalID(3), Identity: Identity("Lý Văn Chí")})
	out := NewID()
	w.DossierDo(hrDoha, w.Chi, Day(2024, 10, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
	})
	w.OutReceived = w.DossierDo(hrDoha, w.Chi, Day(2024, 10, 15), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReceiveTransfer(out, m)
	})
	w.Reactivated = w.DossierDo(hrDoha, w.Chi, Day(2024, 11, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.OutReceived, Reactivate: true}, m, AnyCatalogue{})
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
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Viên chức"}}, m, AnyCatalogue{})
	})
	return w
}
