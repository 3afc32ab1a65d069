package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
)

// anyCatalogue accepts every code: catalogue rules are the domain's tests'
// business, not the audit trail's.
type anyCatalogue struct{}

func (anyCatalogue) Has(kind, code string) bool { return true }

// ledger writes histories through the domain's commands into a memstore,
// and keeps, beside the log, what the tests expect from the trail, computed
// with the domain directly (never with the projection's code).
type ledger struct {
	t     testing.TB
	store *memstore.Store
	l     app.Ledger
	clock time.Time
	// concerns is, per event id, the orgs an entry for it concerns (see
	// audit.Filter.Orgs), from the domain's own replay.
	concerns map[uuid.UUID][]domain.OrgID
}

func newLedger(t testing.TB) *ledger {
	s := memstore.New(nil)
	return &ledger{t: t, store: s, l: app.Ledger{Store: s}, clock: time.Date(2024, 1, 10, 2, 0, 0, 0, time.UTC),
		concerns: map[uuid.UUID][]domain.OrgID{}}
}

// actor is who acts: an account, its name and the org it acts for.
type actor struct {
	account domain.AccountID
	name    string
	org     domain.OrgID
}

func (l *ledger) meta(a actor, eff domain.Date) domain.Meta {
	l.clock = l.clock.Add(time.Minute)
	return domain.Meta{
		Actor:         domain.Actor{Account: a.account, Name: a.name, ActingOrg: a.org},
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
func (l *ledger) append(stream string, expected uint64, m domain.Meta, events []domain.Event) []uuid.UUID {
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

func (l *ledger) load(stream string, decode app.Decoder) app.History {
	l.t.Helper()
	h, err := l.l.Load(context.Background(), stream, decode)
	if err != nil {
		l.t.Fatalf("load %s: %v", stream, err)
	}
	return h
}

func (l *ledger) createOrg(a actor, id domain.OrgID, eff domain.Date, c org.CreateOrg) uuid.UUID {
	l.t.Helper()
	m := l.meta(a, eff)
	evs, err := org.Create(id, m, c)
	if err != nil {
		l.t.Fatalf("create org %s: %v", c.Name, err)
	}
	ids := l.append(id.StreamID(), 0, m, evs)
	l.concerns[ids[0]] = []domain.OrgID{id}
	return ids[0]
}

func (l *ledger) orgDo(a actor, id domain.OrgID, eff domain.Date, f func(*org.Org, domain.Meta) ([]domain.Event, error)) uuid.UUID {
	l.t.Helper()
	h := l.load(id.StreamID(), org.Decode)
	o, err := org.Replay(h.Events)
	if err != nil {
		l.t.Fatal(err)
	}
	m := l.meta(a, eff)
	evs, err := f(o, m)
	if err != nil {
		l.t.Fatalf("org %s: %v", id, err)
	}
	ids := l.append(id.StreamID(), h.Version, m, evs)
	l.concerns[ids[0]] = []domain.OrgID{id}
	return ids[0]
}

func (l *ledger) createDossier(a actor, eff domain.Date, c dossier.CreateDossier) uuid.UUID {
	l.t.Helper()
	m := l.meta(a, eff)
	evs, err := dossier.Create(c, m, anyCatalogue{})
	if err != nil {
		l.t.Fatalf("create dossier: %v", err)
	}
	ids := l.append(c.DossierID.StreamID(), 0, m, evs)
	l.concerns[ids[0]] = []domain.OrgID{c.ManagingOrg}
	return ids[0]
}

// dossierDo runs a command on the dossier and records which orgs the event
// concerns: the managing org before it and, if it changed, after it.
func (l *ledger) dossierDo(a actor, id domain.DossierID, eff domain.Date, f func(*dossier.Dossier, domain.Meta) ([]domain.Event, error)) uuid.UUID {
	l.t.Helper()
	h := l.load(id.StreamID(), dossier.Decode)
	d, err := dossier.Replay(h.Events)
	if err != nil {
		l.t.Fatal(err)
	}
	m := l.meta(a, eff)
	evs, err := f(d, m)
	if err != nil {
		l.t.Fatalf("dossier %s: %v", id, err)
	}
	ids := l.append(id.StreamID(), h.Version, m, evs)
	after, err := dossier.Replay(l.load(id.StreamID(), dossier.Decode).Events)
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
	l.concerns[ids[0]] = concerns
	return ids[0]
}

func (l *ledger) createAccount(a actor, id domain.AccountID, eff domain.Date, c account.CreateAccount) uuid.UUID {
	l.t.Helper()
	m := l.meta(a, eff)
	evs, err := account.Create(id, m, c)
	if err != nil {
		l.t.Fatalf("create account: %v", err)
	}
	ids := l.append(id.StreamID(), 0, m, evs)
	l.concerns[ids[0]] = []domain.OrgID{a.org}
	return ids[0]
}

// raw appends an event of a stream no domain package here decodes
// (approvals, reservations…): the trail records it all the same.
func (l *ledger) raw(a actor, stream, typ string, data any) uuid.UUID {
	l.t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		l.t.Fatal(err)
	}
	m := l.meta(a, domain.DateOf(l.clock))
	id := uuid.Must(uuid.NewV7())
	if _, err := l.store.Append(context.Background(), stream, eventstore.Any,
		eventstore.EventData{ID: id, Type: typ, Data: b, Meta: app.EnvelopeMetadata(m)}); err != nil {
		l.t.Fatal(err)
	}
	l.concerns[id] = []domain.OrgID{a.org}
	return id
}

func (l *ledger) events() []eventstore.Event {
	l.t.Helper()
	evs, err := l.store.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	return evs
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

// identity is a man born in 1990, whose personal ID number must then read
// "xxx0 90 xxxxxx".
func identity(name string) dossier.Identity {
	return dossier.Identity{BirthName: name, Gender: dossier.GenderMale, DateOfBirth: day(1990, 5, 12), Ethnicity: "kinh"}
}

func personalID(n int) string { return fmt.Sprintf("001090%06d", n) }

// world is the scenario every test reads: a province with a department, a
// district with a unit, a commune that absorbs the district in the 2025
// reform, and dossiers that are updated, corrected, transferred and
// reassigned.
type world struct {
	*ledger
	province, doha, dept, district, unit, commune domain.OrgID
	admin, hrDistrict, hrDept, hrCommune          actor

	an, binh, chi domain.DossierID

	salaryUpdate, salaryFix, positionUpdate, positionFix, trainingAdded uuid.UUID
	transferReceived, reassigned, outReceived, reactivated              uuid.UUID
	renamed, merged                                                     uuid.UUID
	salary, fixedSalary                                                 dossier.Salary
}

func buildWorld(t testing.TB) *world {
	w := &world{ledger: newLedger(t)}
	w.province, w.doha, w.dept, w.district, w.unit, w.commune =
		domain.OrgID(newID()), domain.OrgID(newID()), domain.OrgID(newID()), domain.OrgID(newID()), domain.OrgID(newID()), domain.OrgID(newID())
	w.admin = actor{domain.AccountID(newID()), "Trần Thị Bình", w.doha}
	w.hrDistrict = actor{domain.AccountID(newID()), "Lê Văn Cường", w.district}
	w.hrDept = actor{domain.AccountID(newID()), "Phạm Thu Dung", w.dept}
	w.hrCommune = actor{domain.AccountID(newID()), "Hồ Minh Em", w.commune}

	founded := day(2020, 1, 1)
	w.createOrg(w.admin, w.province, founded, org.CreateOrg{Name: "UBND tỉnh Tiền Giang", Code: "000.00.00.H60", Kind: org.KindProvinceCommittee, Level: org.LevelProvince})
	w.createOrg(w.admin, w.doha, founded, org.CreateOrg{Name: "Sở Nội vụ tỉnh Tiền Giang", Code: "000.00.31.H60", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: w.province})
	w.createOrg(w.admin, w.dept, founded, org.CreateOrg{Name: "Sở Y tế tỉnh Tiền Giang", Code: "000.00.32.H60", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: w.province})
	w.createOrg(w.admin, w.district, founded, org.CreateOrg{Name: "UBND huyện Cái Bè", Code: "000.01.00.H60", Kind: org.KindDistrictCommittee, Level: org.LevelDistrict, Parent: w.province})
	w.createOrg(w.admin, w.unit, founded, org.CreateOrg{Name: "Phòng Nội vụ huyện Cái Bè", Code: "000.01.01.H60", Kind: org.KindOther, Level: org.LevelUnit, Parent: w.district})
	w.createAccount(w.admin, w.hrDistrict.account, founded, account.CreateAccount{Kind: account.KindOrg, Username: "hr.caibe", DisplayName: w.hrDistrict.name, HomeOrg: w.district})

	// Dossier An: created, salary set, training added, position updated,
	// the salary decision corrected, then transferred to the department.
	w.an = domain.DossierID(newID())
	w.createDossier(w.hrDistrict, day(2024, 1, 15), dossier.CreateDossier{DossierID: w.an, Class: dossier.ClassCongChuc,
		ManagingOrg: w.district, EmployingUnit: w.unit, PersonalIDNumber: personalID(1), Identity: identity("Nguyễn Văn An")})
	w.salary = dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267, EffectiveOn: day(2024, 3, 1)}
	w.salaryUpdate = w.dossierDo(w.hrDistrict, w.an, day(2024, 3, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: &w.salary}, m, anyCatalogue{})
	})
	w.trainingAdded = w.dossierDo(w.hrDistrict, w.an, day(2024, 3, 5), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableTraining, Training: &dossier.TrainingRow{ID: newID(), Kind: dossier.TrainingDegree,
			Institution: "Đại học Cần Thơ", Qualification: "dai_hoc", From: dossier.MustYearMonth(2008, 9), To: dossier.MustYearMonth(2012, 6)}}, m, anyCatalogue{})
	})
	w.positionUpdate = w.dossierDo(w.hrDistrict, w.an, day(2024, 4, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên", MainDuty: "Tổ chức cán bộ"}}, m, anyCatalogue{})
	})
	w.fixedSalary = dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, EffectiveOn: day(2024, 3, 1)}
	w.salaryFix = w.dossierDo(w.hrDistrict, w.an, day(2024, 5, 20), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.salaryUpdate, Patch: dossier.Patch{Salary: &w.fixedSalary}}, m, anyCatalogue{})
	})
	// A newer position decision, then a correction of the older one: the
	// domain folds the correction right after what it corrects, so the newer
	// decision still stands and the correction changes nothing current.
	w.dossierDo(w.hrDistrict, w.an, day(2024, 6, 15), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Phó Trưởng phòng", AppointedOn: day(2024, 6, 15)}}, m, anyCatalogue{})
	})
	w.positionFix = w.dossierDo(w.hrDistrict, w.an, day(2024, 7, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.positionUpdate, Patch: dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên chính"}}}, m, anyCatalogue{})
	})
	transfer := newID()
	w.dossierDo(w.hrDistrict, w.an, day(2024, 8, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: transfer, Kind: dossier.TransferBetweenOrgs, TargetOrg: w.dept}, m)
	})
	w.transferReceived = w.dossierDo(w.hrDept, w.an, day(2024, 8, 10), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReceiveTransfer(transfer, m)
	})

	w.renamed = w.orgDo(w.admin, w.dept, day(2024, 6, 1), func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
		return o.Rename(m, "Sở Y tế tỉnh Tiền Giang (mới)", "")
	})

	// Dossier Bình stays with the district until the 2025 reform.
	w.binh = domain.DossierID(newID())
	w.createDossier(w.hrDistrict, day(2024, 2, 1), dossier.CreateDossier{DossierID: w.binh, Class: dossier.ClassVienChuc,
		ManagingOrg: w.district, EmployingUnit: w.district, PersonalIDNumber: personalID(2), Identity: identity("Trần Văn Bình")})
	w.dossierDo(w.hrDistrict, w.binh, day(2024, 9, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Health: &dossier.Health{HeightCM: 170, WeightKG: 65, BloodGroup: "O"}}, m, anyCatalogue{})
	})
	w.dossierDo(w.hrDistrict, w.binh, day(2024, 9, 2), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: newID(), Side: dossier.FamilyOwn,
			Relation: "Mẹ", Name: "Nguyễn Thị Hoa", BirthYear: 1965}}, m, anyCatalogue{})
	})
	w.dossierDo(w.hrDistrict, w.binh, day(2024, 9, 3), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.AttachDocument(dossier.Attachment{Document: m.Source, Title: "Quyết định tuyển dụng"}, m)
	})
	w.dossierDo(w.hrDistrict, w.binh, day(2024, 9, 4), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.IssueCivilServantNumber("VC-2024-000123", m)
	})

	// Dossier Chí, in the DoHA, leaves the province by mistake and comes back.
	w.chi = domain.DossierID(newID())
	hrDoha := actor{w.admin.account, w.admin.name, w.doha}
	w.createDossier(hrDoha, day(2024, 3, 1), dossier.CreateDossier{DossierID: w.chi, Class: dossier.ClassCongChuc,
		ManagingOrg: w.doha, EmployingUnit: w.doha, PersonalIDNumber: personalID(3), Identity: identity("Lý Văn Chí")})
	out := newID()
	w.dossierDo(hrDoha, w.chi, day(2024, 10, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
	})
	w.outReceived = w.dossierDo(hrDoha, w.chi, day(2024, 10, 15), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReceiveTransfer(out, m)
	})
	w.reactivated = w.dossierDo(hrDoha, w.chi, day(2024, 11, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: w.outReceived, Reactivate: true}, m, anyCatalogue{})
	})

	w.raw(w.hrDistrict, "approval-"+w.district.String()+"-2024-09", "approval.signed.v1", map[string]any{"month": "2024-09"})
	w.raw(w.admin, "reservation-code-000.02.00.H60", "reservation.made.v1", map[string]any{"code": "000.02.00.H60"})

	// The 2025 reform: the district is merged into a new commune, its unit
	// moves under the commune, and Bình's dossier follows.
	reform := day(2025, 7, 1)
	w.createOrg(w.admin, w.commune, reform, org.CreateOrg{Name: "UBND xã Cái Bè", Code: "000.02.00.H60", Kind: org.KindCommuneCommittee, Level: org.LevelCommune, Parent: w.province})
	w.orgDo(w.admin, w.unit, reform, func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
		return o.Move(m, w.commune, []domain.OrgID{w.commune, w.province})
	})
	w.merged = w.orgDo(w.admin, w.district, reform, func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
		return o.Merge(m, w.commune)
	})
	w.reassigned = w.dossierDo(w.admin, w.binh, reform, func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.ReassignManagingOrg(dossier.Reassignment{FromOrg: w.district, ToOrg: w.commune,
			Cause: dossier.Cause{Kind: "merge", OrgID: w.district, EventID: w.merged}}, m)
	})
	w.dossierDo(w.hrCommune, w.binh, day(2025, 8, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Position: &dossier.Position{Current: "Viên chức"}}, m, anyCatalogue{})
	})
	return w
}
