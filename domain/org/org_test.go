package org

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

var (
	actor = domain.AccountID(uuid.MustParse("0190a000-0000-7000-8000-0000000000a1"))
	self  = domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000001"))
	p1    = domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000011"))
	p2    = domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000012"))
	s1    = domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000021"))
	s2    = domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000022"))
)

func day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

func meta(eff domain.Date) domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: actor, Name: "Trần Thị Bình"},
		RecordedAt:    time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC),
		EffectiveDate: eff,
		Source:        domain.SourceDocument{Kind: "decision", Number: "1234/QĐ-UBND", Date: eff, Issuer: "UBND tỉnh Đồng Tháp"},
	}
}

// step is one event of a given history with its effective date.
type step struct {
	e   domain.Event
	eff domain.Date
}

func history(steps ...step) []domain.Recorded {
	h := make([]domain.Recorded, len(steps))
	for i, s := range steps {
		h[i] = domain.Recorded{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i)}), Version: uint64(i + 1), Event: s.e, Meta: meta(s.eff)}
	}
	return h
}

func given(t *testing.T, steps ...step) *Org {
	t.Helper()
	o, err := Replay(history(steps...))
	if err != nil {
		t.Fatalf("Replay(given) = %v", err)
	}
	return o
}

// hasRule reports whether err names rule, as a validation problem or as a
// state rule.
func hasRule(err error, rule string) bool {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			if p.Rule == rule || p.Field == rule {
				return true
			}
		}
	}
	var se *domain.StateError
	return errors.As(err, &se) && se.Rule == rule
}

var (
	founded = step{Created{Org: self, Name: "Sở Nội vụ tỉnh Tiền Giang", Code: "000.00.31.H57", Kind: KindDepartment, Level: LevelProvince, Parent: p1}, day(2008, 1, 1)}
	merged  = step{Merged{Successor: s1}, day(2025, 7, 1)}
)

func TestCreate(t *testing.T) {
	t.Parallel()
	eff := day(2024, 3, 1)
	good := CreateOrg{Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "000.00.25.H45", Kind: KindDepartment, Level: LevelProvince, Parent: p1}
	with := func(f func(*CreateOrg)) CreateOrg { c := good; f(&c); return c }
	noSource := meta(eff)
	noSource.Source = domain.SourceDocument{}
	badSource := meta(eff)
	badSource.Source.Number = ""
	noActor := meta(eff)
	noActor.Actor = domain.Actor{}
	tests := []struct {
		name string
		m    domain.Meta
		c    CreateOrg
		then []domain.Event
		err  error
		rule string
	}{
		{"department under a committee", meta(eff), good,
			[]domain.Event{Created{Org: self, Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "000.00.25.H45", Kind: KindDepartment, Level: LevelProvince, Parent: p1}}, nil, ""},
		{"root committee", meta(eff), CreateOrg{Name: "UBND tỉnh Phú Thọ", Code: "H45", Kind: KindProvinceCommittee, Level: LevelProvince},
			[]domain.Event{Created{Org: self, Name: "UBND tỉnh Phú Thọ", Code: "H45", Kind: KindProvinceCommittee, Level: LevelProvince}}, nil, ""},
		{"name is NFC with spaces collapsed", meta(eff), with(func(c *CreateOrg) { c.Name = "  Sở Nội vu\u0323   tỉnh Phú Thọ " }),
			[]domain.Event{Created{Org: self, Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "000.00.25.H45", Kind: KindDepartment, Level: LevelProvince, Parent: p1}}, nil, ""},
		{"district committee before the reform", meta(day(2025, 6, 30)), CreateOrg{Name: "UBND huyện Cái Bè", Code: "H57.05", Kind: KindDistrictCommittee, Level: LevelDistrict, Parent: p1},
			[]domain.Event{Created{Org: self, Name: "UBND huyện Cái Bè", Code: "H57.05", Kind: KindDistrictCommittee, Level: LevelDistrict, Parent: p1}}, nil, ""},
		{"district committee after the reform", meta(day(2025, 7, 1)), CreateOrg{Name: "UBND huyện Cái Bè", Code: "H57.05", Kind: KindDistrictCommittee, Level: LevelDistrict}, nil, domain.ErrInvalid, "abolished"},
		{"name required", meta(eff), with(func(c *CreateOrg) { c.Name = " \t" }), nil, domain.ErrInvalid, "name"},
		{"code format", meta(eff), with(func(c *CreateOrg) { c.Code = "H45/01" }), nil, domain.ErrInvalid, "code"},
		{"code required", meta(eff), with(func(c *CreateOrg) { c.Code = "" }), nil, domain.ErrInvalid, "code"},
		{"unknown kind", meta(eff), with(func(c *CreateOrg) { c.Kind = "sở" }), nil, domain.ErrInvalid, "kind"},
		{"unknown level", meta(eff), with(func(c *CreateOrg) { c.Level = "ward" }), nil, domain.ErrInvalid, "level"},
		{"kind fixes the level", meta(eff), with(func(c *CreateOrg) { c.Kind = KindProvinceCommittee; c.Level = LevelCommune }), nil, domain.ErrInvalid, "kind"},
		{"own parent", meta(eff), with(func(c *CreateOrg) { c.Parent = self }), nil, domain.ErrInvalid, "self"},
		{"decision required", noSource, good, nil, domain.ErrInvalid, "source_document"},
		{"decision must be complete", badSource, good, nil, domain.ErrInvalid, "source_document/number"},
		{"actor required", noActor, good, nil, domain.ErrInvalid, "actor/account_id"},
		{"effective date required", meta(domain.Date{}), good, nil, domain.ErrInvalid, "effective_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Create(self, tt.m, tt.c)
			check(t, got, err, tt.then, tt.err, tt.rule)
		})
	}
}

func check(t *testing.T, got []domain.Event, err error, want []domain.Event, wantErr error, rule string) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("err = %v, want %v", err, wantErr)
		}
		if rule != "" && !hasRule(err, rule) {
			t.Fatalf("err = %v, want it to name %q", err, rule)
		}
		if got != nil {
			t.Fatalf("events = %#v alongside an error", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("err = %v, want none", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %#v, want %#v", got, want)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	eff := day(2024, 3, 1)
	tests := []struct {
		name  string
		given []step
		when  func(*Org) ([]domain.Event, error)
		then  []domain.Event
		err   error
		rule  string
	}{
		{"rename keeps the code", []step{founded},
			func(o *Org) ([]domain.Event, error) {
				return o.Rename(meta(eff), "Sở Nội vụ  tỉnh Tiền Giang (mới)", "")
			},
			[]domain.Event{Renamed{Name: "Sở Nội vụ tỉnh Tiền Giang (mới)", Code: "000.00.31.H57"}}, nil, ""},
		{"rename with a new code", []step{founded},
			func(o *Org) ([]domain.Event, error) {
				return o.Rename(meta(eff), "Sở Nội vụ tỉnh Đồng Tháp", "000.00.31.H20")
			},
			[]domain.Event{Renamed{Name: "Sở Nội vụ tỉnh Đồng Tháp", Code: "000.00.31.H20"}}, nil, ""},
		{"rename to the current name is a no-op", []step{founded},
			func(o *Org) ([]domain.Event, error) {
				return o.Rename(meta(eff), "Sở Nội vụ tỉnh Tiền Giang", "")
			}, nil, nil, ""},
		{"rename needs a name", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Rename(meta(eff), "", "") }, nil, domain.ErrInvalid, "name"},
		{"rename before creation", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Rename(meta(day(2007, 12, 31)), "X", "") }, nil, domain.ErrConflict, "before_creation"},
		{"rename after the end", []step{founded, merged},
			func(o *Org) ([]domain.Event, error) { return o.Rename(meta(day(2025, 8, 1)), "X", "") }, nil, domain.ErrConflict, "ended"},
		{"rename needs its decision", []step{founded},
			func(o *Org) ([]domain.Event, error) {
				m := meta(eff)
				m.Source = domain.SourceDocument{}
				return o.Rename(m, "X", "")
			}, nil, domain.ErrInvalid, "source_document"},

		{"move records the previous parent", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Move(meta(eff), p2, []domain.OrgID{p2}) },
			[]domain.Event{Moved{Parent: p2, Previous: p1}}, nil, ""},
		{"move to the root", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Move(meta(eff), domain.OrgID{}, nil) },
			[]domain.Event{Moved{Previous: p1}}, nil, ""},
		{"move to the current parent is a no-op", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Move(meta(eff), p1, []domain.OrgID{p1}) }, nil, nil, ""},
		{"move under itself", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Move(meta(eff), self, nil) }, nil, domain.ErrInvalid, "self"},
		{"move under a descendant", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Move(meta(eff), p2, []domain.OrgID{p2, self, p1}) }, nil, domain.ErrInvalid, "cycle"},
		{"move after the end", []step{founded, merged},
			func(o *Org) ([]domain.Event, error) { return o.Move(meta(day(2025, 8, 1)), p2, nil) }, nil, domain.ErrConflict, "ended"},

		{"merge", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Merge(meta(day(2025, 7, 1)), s1) },
			[]domain.Event{Merged{Successor: s1}}, nil, ""},
		{"merge into itself", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Merge(meta(eff), self) }, nil, domain.ErrInvalid, "self"},
		{"merge needs a successor", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Merge(meta(eff), domain.OrgID{}) }, nil, domain.ErrInvalid, "successor"},
		{"merge twice", []step{founded, merged},
			func(o *Org) ([]domain.Event, error) { return o.Merge(meta(day(2025, 8, 1)), s2) }, nil, domain.ErrConflict, "ended"},
		{"merge before a recorded change", []step{founded, {Renamed{Name: "B", Code: "B"}, day(2025, 6, 1)}},
			func(o *Org) ([]domain.Event, error) { return o.Merge(meta(day(2025, 5, 31)), s1) }, nil, domain.ErrConflict, "before_last_change"},

		{"split", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Split(meta(eff), []domain.OrgID{s1, s2}) },
			[]domain.Event{Split{Successors: []domain.OrgID{s1, s2}}}, nil, ""},
		{"split into one", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Split(meta(eff), []domain.OrgID{s1}) }, nil, domain.ErrInvalid, "min"},
		{"split into the same org twice", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Split(meta(eff), []domain.OrgID{s1, s1}) }, nil, domain.ErrInvalid, "duplicate"},
		{"split into itself", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Split(meta(eff), []domain.OrgID{s1, self}) }, nil, domain.ErrInvalid, "successors/1"},
		{"split after the end", []step{founded, merged},
			func(o *Org) ([]domain.Event, error) { return o.Split(meta(day(2025, 8, 1)), []domain.OrgID{s1, s2}) }, nil, domain.ErrConflict, "ended"},

		{"dissolve with dossiers and a successor", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Dissolve(meta(eff), true, s1) },
			[]domain.Event{Dissolved{Successor: s1, ManagedDossiers: true}}, nil, ""},
		{"dissolve without dossiers needs no successor", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Dissolve(meta(eff), false, domain.OrgID{}) },
			[]domain.Event{Dissolved{}}, nil, ""},
		{"dissolve with dossiers and no successor", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Dissolve(meta(eff), true, domain.OrgID{}) }, nil, domain.ErrInvalid, "successor"},
		{"dissolve into itself", []step{founded},
			func(o *Org) ([]domain.Event, error) { return o.Dissolve(meta(eff), false, self) }, nil, domain.ErrInvalid, "self"},
		{"dissolve after the end", []step{founded, {Dissolved{}, day(2020, 1, 1)}},
			func(o *Org) ([]domain.Event, error) { return o.Dissolve(meta(day(2021, 1, 1)), false, domain.OrgID{}) }, nil, domain.ErrConflict, "ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := given(t, tt.given...)
			before := *o
			got, err := tt.when(o)
			check(t, got, err, tt.then, tt.err, tt.rule)
			if !reflect.DeepEqual(before, *o) {
				t.Fatal("a command changed the aggregate; only Replay may")
			}
		})
	}
}

// TestHistoryAnswersOldQuestions: the name and parent in force on any date,
// including a rename decided earlier but recorded later.
func TestHistoryAnswersOldQuestions(t *testing.T) {
	t.Parallel()
	o := given(t,
		founded,
		step{Renamed{Name: "Sở Nội vụ tỉnh Tiền Giang (B)", Code: "B"}, day(2020, 5, 1)},
		step{Moved{Parent: p2, Previous: p1}, day(2025, 7, 1)},
		step{Renamed{Name: "Sở Nội vụ tỉnh Tiền Giang (A2)", Code: "A2"}, day(2015, 1, 1)}, // back-dated, entered late
		step{Merged{Successor: s1}, day(2025, 7, 1)},
	)
	names := []struct {
		on   domain.Date
		want string
		ok   bool
	}{
		{day(2007, 12, 31), "", false},
		{day(2008, 1, 1), "Sở Nội vụ tỉnh Tiền Giang", true},
		{day(2014, 12, 31), "Sở Nội vụ tỉnh Tiền Giang", true},
		{day(2015, 1, 1), "Sở Nội vụ tỉnh Tiền Giang (A2)", true},
		{day(2024, 3, 1), "Sở Nội vụ tỉnh Tiền Giang (B)", true},
		{day(2030, 1, 1), "Sở Nội vụ tỉnh Tiền Giang (B)", true},
	}
	for _, n := range names {
		if got, ok := o.NameOn(n.on); got != n.want || ok != n.ok {
			t.Errorf("NameOn(%s) = %q, %v; want %q, %v", n.on, got, ok, n.want, n.ok)
		}
	}
	if got, _ := o.CodeOn(day(2016, 1, 1)); got != "A2" {
		t.Errorf("CodeOn(2016-01-01) = %q, want A2", got)
	}
	parents := []struct {
		on   domain.Date
		want domain.OrgID
		ok   bool
	}{
		{day(2007, 1, 1), domain.OrgID{}, false},
		{day(2025, 6, 30), p1, true},
		{day(2025, 7, 1), p2, true},
	}
	for _, p := range parents {
		if got, ok := o.ParentOn(p.on); got != p.want || ok != p.ok {
			t.Errorf("ParentOn(%s) = %v, %v; want %v, %v", p.on, got, ok, p.want, p.ok)
		}
	}
	if !o.ActiveOn(day(2025, 6, 30)) || o.ActiveOn(day(2025, 7, 1)) || o.ActiveOn(day(2007, 1, 1)) {
		t.Error("ActiveOn: want active from 2008-01-01 until the merger on 2025-07-01")
	}
	if o.Status() != StatusMerged || o.Active() || !reflect.DeepEqual(o.Successors(), []domain.OrgID{s1}) || o.ClosedOn() != day(2025, 7, 1) {
		t.Errorf("end = %s %v %v %s", o.Status(), o.Active(), o.Successors(), o.ClosedOn())
	}
	if o.Name() != "Sở Nội vụ tỉnh Tiền Giang (B)" || o.Code() != "B" || o.Parent() != p2 || o.Version() != 5 || o.ID() != self {
		t.Errorf("current = %q %q %v v%d %v", o.Name(), o.Code(), o.Parent(), o.Version(), o.ID())
	}
	if o.Kind() != KindDepartment || o.Level() != LevelProvince || o.CreatedOn() != day(2008, 1, 1) {
		t.Errorf("identity = %s %s %s", o.Kind(), o.Level(), o.CreatedOn())
	}
	if len(o.Names()) != 3 || len(o.Parents()) != 2 {
		t.Errorf("histories: %d names, %d parents; want 3, 2", len(o.Names()), len(o.Parents()))
	}
}

func TestReplayRefusesWhatIsNotAnOrgHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    []domain.Recorded
		err  error
	}{
		{"empty", nil, domain.ErrNotFound},
		{"no creation first", history(step{Renamed{Name: "X", Code: "X"}, day(2020, 1, 1)}), domain.ErrInvalid},
		{"created twice", history(founded, founded), domain.ErrInvalid},
		{"a pointer event", history(founded, step{&Renamed{Name: "X", Code: "X"}, day(2020, 1, 1)}), domain.ErrInvalid},
		{"a nil event", history(founded, step{nil, day(2020, 1, 1)}), domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Replay(tt.h); !errors.Is(err, tt.err) {
				t.Fatalf("Replay = %v, want %v", err, tt.err)
			}
		})
	}
}

// TestReplayDamagedMetaNeverFails: apply is total; a change whose envelope
// lost its effective date falls back to the decision's date.
func TestReplayDamagedMetaNeverFails(t *testing.T) {
	t.Parallel()
	h := history(founded, step{Renamed{Name: "B", Code: "B"}, day(2020, 1, 1)})
	h[1].Meta.EffectiveDate = domain.Date{}
	h[1].Meta.Source.Date = day(2019, 1, 1)
	o, err := Replay(h)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := o.NameOn(day(2019, 1, 1)); got != "B" {
		t.Errorf("NameOn(2019-01-01) = %q, want B (from the decision's date)", got)
	}
}

// TestReplayIsDeterministic is the property test: any history the commands
// can produce replays to the same state every time.
func TestReplayIsDeterministic(t *testing.T) {
	t.Parallel()
	for seed := range uint64(200) {
		h := randomHistory(t, rand.New(rand.NewPCG(seed, 7)))
		a, err := Replay(h)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		b, _ := Replay(append([]domain.Recorded(nil), h...))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two replays differ:\n%+v\n%+v", seed, a, b)
		}
		for i := 1; i < len(a.names); i++ {
			if a.names[i].From.Before(a.names[i-1].From) {
				t.Fatalf("seed %d: name history out of order: %+v", seed, a.names)
			}
		}
	}
}

// randomHistory drives the commands with random input and keeps what they
// accept, so the history is one the domain could have written.
func randomHistory(t *testing.T, r *rand.Rand) []domain.Recorded {
	t.Helper()
	start := day(2000, 1, 1).AddDays(r.IntN(5000))
	evs, err := Create(self, meta(start), CreateOrg{Name: "Đơn vị", Code: "DV", Kind: KindPublicServiceUnit, Level: LevelUnit, Parent: p1})
	if err != nil {
		t.Fatal(err)
	}
	steps := []step{{evs[0], start}}
	for range r.IntN(12) {
		o, _ := Replay(history(steps...))
		eff := start.AddDays(r.IntN(8000) - 500)
		var evs []domain.Event
		switch r.IntN(6) {
		case 0, 1:
			evs, _ = o.Rename(meta(eff), []string{"Tên A", "Tên B", "Tên C"}[r.IntN(3)], "")
		case 2, 3:
			evs, _ = o.Move(meta(eff), []domain.OrgID{p1, p2, {}}[r.IntN(3)], nil)
		case 4:
			evs, _ = o.Merge(meta(eff), s1)
		case 5:
			evs, _ = o.Dissolve(meta(eff), r.IntN(2) == 0, s2)
		}
		for _, e := range evs {
			steps = append(steps, step{e, eff})
		}
	}
	return history(steps...)
}

// TestDesignateHomeAffairs: the province's people's committee designates,
// by decision, the one Department of Home Affairs that approves the
// province's month at level 2 (Tiền Giang art. 11.3, 12); a later decision
// replaces it, so a province has at most one at a time.
func TestDesignateHomeAffairs(t *testing.T) {
	t.Parallel()
	province := step{Created{Org: self, Name: "UBND tỉnh Đồng Tháp", Code: "H20", Kind: KindProvinceCommittee, Level: LevelProvince}, day(2008, 1, 1)}
	department := step{Created{Org: self, Name: "Sở Y tế", Code: "S01", Kind: KindDepartment, Level: LevelProvince, Parent: p1}, day(2008, 1, 1)}
	designated := step{HomeAffairsDesignated{HomeAffairs: s1}, day(2020, 1, 1)}
	inside := func(o domain.OrgID) []domain.OrgID { return []domain.OrgID{o, self} }
	eff := day(2025, 7, 1)
	tests := []struct {
		name  string
		given []step
		when  func(*Org) ([]domain.Event, error)
		then  []domain.Event
		err   error
		rule  string
	}{
		{"designate", []step{province},
			func(o *Org) ([]domain.Event, error) { return o.DesignateHomeAffairs(meta(eff), s1, inside(s1)) },
			[]domain.Event{HomeAffairsDesignated{HomeAffairs: s1}}, nil, ""},
		{"another replaces it", []step{province, designated},
			func(o *Org) ([]domain.Event, error) { return o.DesignateHomeAffairs(meta(eff), s2, inside(s2)) },
			[]domain.Event{HomeAffairsDesignated{HomeAffairs: s2}}, nil, ""},
		{"the same again is a no-op", []step{province, designated},
			func(o *Org) ([]domain.Event, error) { return o.DesignateHomeAffairs(meta(eff), s1, inside(s1)) }, nil, nil, ""},
		{"a department outside the province", []step{province},
			func(o *Org) ([]domain.Event, error) {
				return o.DesignateHomeAffairs(meta(eff), s1, []domain.OrgID{s1, p2})
			}, nil, domain.ErrInvalid, "outside_province"},
		{"the committee itself", []step{province},
			func(o *Org) ([]domain.Event, error) { return o.DesignateHomeAffairs(meta(eff), self, inside(self)) }, nil, domain.ErrInvalid, "self"},
		{"needs the department", []step{province},
			func(o *Org) ([]domain.Event, error) { return o.DesignateHomeAffairs(meta(eff), domain.OrgID{}, nil) }, nil, domain.ErrInvalid, "home_affairs"},
		{"needs its decision", []step{province},
			func(o *Org) ([]domain.Event, error) {
				m := meta(eff)
				m.Source = domain.SourceDocument{}
				return o.DesignateHomeAffairs(m, s1, inside(s1))
			}, nil, domain.ErrInvalid, "source_document"},
		{"only a province designates", []step{department},
			func(o *Org) ([]domain.Event, error) { return o.DesignateHomeAffairs(meta(eff), s1, inside(s1)) }, nil, domain.ErrConflict, "not_province"},
		{"before the province existed", []step{province},
			func(o *Org) ([]domain.Event, error) {
				return o.DesignateHomeAffairs(meta(day(2007, 1, 1)), s1, inside(s1))
			}, nil, domain.ErrConflict, "before_creation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.when(given(t, tt.given...))
			check(t, got, err, tt.then, tt.err, tt.rule)
		})
	}
	o := given(t, province, designated, step{HomeAffairsDesignated{HomeAffairs: s2}, day(2025, 7, 1)})
	for _, c := range []struct {
		on   domain.Date
		want domain.OrgID
		ok   bool
	}{{day(2019, 12, 31), domain.OrgID{}, false}, {day(2020, 1, 1), s1, true}, {day(2025, 6, 30), s1, true}, {day(2025, 7, 1), s2, true}} {
		if got, ok := o.HomeAffairsOn(c.on); got != c.want || ok != c.ok {
			t.Errorf("HomeAffairsOn(%s) = %v, %v; want %v, %v", c.on, got, ok, c.want, c.ok)
		}
	}
}
