package stats

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// history builds a dossier's recorded history in memory through the
// domain's commands.
type history struct {
	t    *testing.T
	recs []domain.Recorded
	rng  *rand.Rand
	now  time.Time
}

var (
	orgs  = []domain.OrgID{domain.OrgID(uuid.NewSHA1(uuid.NameSpaceOID, []byte("o1"))), domain.OrgID(uuid.NewSHA1(uuid.NameSpaceOID, []byte("o2"))), domain.OrgID(uuid.NewSHA1(uuid.NameSpaceOID, []byte("o3")))}
	actor = domain.AccountID(uuid.NewSHA1(uuid.NameSpaceOID, []byte("hr")))
)

func (h *history) meta(org domain.OrgID, eff domain.Date) domain.Meta {
	h.now = h.now.Add(time.Hour)
	return domain.Meta{
		Actor:      domain.Actor{Account: actor, ActingOrg: org},
		RecordedAt: h.now, EffectiveDate: eff, Reason: "sửa",
		Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ", Date: eff, Issuer: "UBND"},
	}
}

// try runs a command; a refusal (the state does not allow it) is skipped.
func (h *history) try(m domain.Meta, decide func(*dossier.Dossier) ([]domain.Event, error)) bool {
	var d *dossier.Dossier
	if len(h.recs) > 0 {
		var err error
		if d, err = dossier.Replay(h.recs); err != nil {
			h.t.Fatal(err)
		}
	}
	evs, err := decide(d)
	if err != nil {
		if errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrInvalid) {
			return false
		}
		h.t.Fatal(err)
	}
	for _, e := range evs {
		h.recs = append(h.recs, domain.Recorded{ID: uuid.Must(uuid.NewV7()), Version: uint64(len(h.recs) + 1), Event: e, Meta: m})
	}
	return len(evs) > 0
}

func (h *history) date() domain.Date {
	return domain.MustDate(2015, 1, 1).AddDays(h.rng.IntN(3650))
}

var (
	ranks  = []string{"01.001", "01.002", "01.003", "01.004", "06.031"}
	quals  = []string{"bachelor", "master", "doctorate", "college"}
	ethnic = []string{"01", "02", "05"}
)

// randomHistory drives a random career through the domain: creation, then
// updates of every counted section, transfers, org mergers, archiving,
// corrections (reactivating ones included), with effective dates in any
// order so that many events are retroactive.
func randomHistory(t *testing.T, seed uint64) []domain.Recorded {
	h := &history{t: t, rng: rand.New(rand.NewPCG(seed, 7)), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cat := catalog.Default()
	id := domain.DossierID(uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "d%d", seed)))
	dob := domain.MustDate(1970, 3, 4)
	m := h.meta(orgs[0], h.date())
	if !h.try(m, func(*dossier.Dossier) ([]domain.Event, error) {
		return dossier.Create(dossier.CreateDossier{DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: orgs[0], EmployingUnit: orgs[0],
			PersonalIDNumber: "025070123456",
			Identity:         dossier.Identity{BirthName: "Nguyễn Văn An", Gender: dossier.GenderMale, DateOfBirth: dob, Ethnicity: "01", Religion: "none"}}, m, cat)
	}) {
		t.Fatal("create refused")
	}
	// The creation must come first in the stream but need not be the
	// earliest effective date: patch histories may hold events before it.
	for step := 0; step < 25; step++ {
		d, _ := dossier.Replay(h.recs)
		managing, _ := d.ManagingOrg()
		m := h.meta(managing, h.date())
		switch h.rng.IntN(10) {
		case 0, 1:
			h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) {
				return x.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: ranks[h.rng.IntN(len(ranks))], Step: 1 + h.rng.IntN(9), JobPosition: "chuyen_vien"}}, m, cat)
			})
		case 2:
			h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) {
				q := dossier.Qualifications{HighestQualification: quals[h.rng.IntN(len(quals))], ITLevel: "co_ban",
					Languages: []dossier.LanguageLevel{{Language: "Tiếng Anh", Level: "B1"}}}
				return x.UpdateSection(dossier.Patch{Qualifications: &q}, m, cat)
			})
		case 3:
			h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) {
				id := x.Document().Identity
				id.Ethnicity = ethnic[h.rng.IntN(len(ethnic))]
				bg := dossier.Background{PartyAdmittedOn: domain.MustDate(2000+h.rng.IntN(20), 5, 19)}
				return x.UpdateSection(dossier.Patch{Identity: &id, Background: &bg}, m, cat)
			})
		case 4:
			target := orgs[h.rng.IntN(len(orgs))]
			tid := uuid.Must(uuid.NewV7())
			if h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) {
				return x.InitiateTransfer(dossier.TransferOrder{TransferID: tid, Kind: dossier.TransferBetweenOrgs, TargetOrg: target}, m)
			}) {
				m2 := h.meta(target, h.date())
				h.try(m2, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ReceiveTransfer(tid, m2) })
			}
		case 5:
			to := orgs[h.rng.IntN(len(orgs))]
			h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) {
				return x.ReassignManagingOrg(dossier.Reassignment{FromOrg: managing, ToOrg: to,
					Cause: dossier.Cause{Kind: "merge", OrgID: managing, EventID: uuid.Must(uuid.NewV7())}}, m)
			})
		case 6:
			h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ChangeStatus(dossier.StatusRetired, m) })
		case 7:
			tid := uuid.Must(uuid.NewV7())
			if h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) {
				return x.InitiateTransfer(dossier.TransferOrder{TransferID: tid, Kind: dossier.TransferOutOfProvince}, m)
			}) {
				m2 := h.meta(managing, h.date())
				h.try(m2, func(x *dossier.Dossier) ([]domain.Event, error) { return x.ReceiveTransfer(tid, m2) })
			}
		case 8, 9:
			// Correct a random earlier event: change the rank, sometimes
			// reactivating when the dossier is archived.
			target := h.recs[h.rng.IntN(len(h.recs))]
			d, _ := dossier.Replay(h.recs)
			c := dossier.Correction{Corrects: target.ID, Patch: dossier.Patch{Salary: &dossier.Salary{Rank: ranks[h.rng.IntN(len(ranks))]}}}
			if d.Archived() && h.rng.IntN(2) == 0 {
				for _, r := range h.recs {
					if _, ok := r.Event.(dossier.StatusChanged); ok {
						c.Corrects = r.ID
					}
					if tr, ok := r.Event.(dossier.TransferReceived); ok && tr.Kind == dossier.TransferOutOfProvince {
						c.Corrects = r.ID
					}
				}
				c.Reactivate = true
			}
			h.try(m, func(x *dossier.Dossier) ([]domain.Event, error) { return x.Correct(c, m, cat) })
		}
	}
	return h.recs
}

// TestFoldMatchesDomain holds the projection's fold to the domain's:
// for random histories and every date around each boundary, the interval
// containing the date has the attributes that dossier.ReplayEffectiveOn's
// document shows, and there is no interval exactly when the dossier did not
// exist or was out of the headcount. The facts are fed in stream order,
// one event at a time, as the projection receives them.
func TestFoldMatchesDomain(t *testing.T) {
	t.Parallel()
	corrections, reactivations, retro := 0, 0, 0
	for seed := range uint64(200) {
		recs := randomHistory(t, seed)
		st := &state{refs: map[uuid.UUID]ref{}}
		var maxEff domain.Date
		for _, r := range recs {
			if err := st.add(r); err != nil {
				t.Fatal(err)
			}
			if c, ok := r.Event.(dossier.Corrected); ok {
				corrections++
				if c.Reactivate {
					reactivations++
				}
			} else if r.Meta.EffectiveDate.Before(maxEff) {
				retro++
			} else {
				maxEff = r.Meta.EffectiveDate
			}
		}
		ivs := intervals(st.facts)
		var dates []domain.Date
		for _, r := range recs {
			e := r.Meta.EffectiveDate
			dates = append(dates, e.AddDays(-1), e, e.AddDays(1))
		}
		dates = append(dates, domain.MustDate(2030, 1, 1))
		for _, day := range dates {
			var got *interval
			for i := range ivs {
				if !day.Before(ivs[i].From) && (ivs[i].To.IsZero() || day.Before(ivs[i].To)) {
					if got != nil {
						t.Fatalf("seed %d: two intervals contain %s", seed, day)
					}
					got = &ivs[i]
				}
			}
			d, err := dossier.ReplayEffectiveOn(recs, day)
			want := attrs{}
			counted := false
			if err == nil {
				want = fromDocument(d.Document())
				counted = want.counted()
			} else if !errors.Is(err, domain.ErrNotFound) {
				t.Fatal(err)
			}
			switch {
			case got == nil && counted:
				t.Errorf("seed %d, %s: no interval, want %+v", seed, day, want)
			case got != nil && !counted:
				t.Errorf("seed %d, %s: interval %s–%s %+v, want none", seed, day, got.From, got.To, got.Attrs)
			case got != nil && !got.Attrs.equal(want):
				t.Errorf("seed %d, %s: interval %s–%s\n got  %+v\n want %+v", seed, day, got.From, got.To, got.Attrs, want)
			}
		}
		// Adjacent intervals differ (else they would have been merged).
		for i := 1; i < len(ivs); i++ {
			if ivs[i-1].To == ivs[i].From && ivs[i-1].Attrs.equal(ivs[i].Attrs) {
				t.Errorf("seed %d: intervals %d and %d not merged", seed, i-1, i)
			}
		}
	}
	// The generator must exercise what the fold is about.
	if corrections < 100 || reactivations < 5 || retro < 500 {
		t.Errorf("weak generator: %d corrections, %d reactivations, %d retroactive events", corrections, reactivations, retro)
	}
}

func TestRetirementDate(t *testing.T) {
	t.Parallel()
	d := domain.MustDate
	for _, tc := range []struct {
		sex  dossier.Gender
		dob  domain.Date
		want domain.Date
	}{
		{dossier.GenderMale, d(1960, 12, 15), d(2020, 12, 15)}, // 60
		{dossier.GenderMale, d(1961, 1, 10), d(2021, 4, 10)},   // 60y3m
		{dossier.GenderMale, d(1961, 9, 30), d(2021, 12, 30)},  // 60y3m
		{dossier.GenderMale, d(1961, 10, 1), d(2022, 4, 1)},    // 60y6m
		{dossier.GenderMale, d(1966, 3, 1), d(2027, 12, 1)},    // 61y9m
		{dossier.GenderMale, d(1966, 4, 1), d(2028, 4, 1)},     // 62
		{dossier.GenderMale, d(1980, 1, 1), d(2042, 1, 1)},     // 62
		{dossier.GenderFemale, d(1965, 12, 1), d(2020, 12, 1)}, // 55
		{dossier.GenderFemale, d(1966, 1, 1), d(2021, 5, 1)},   // 55y4m
		{dossier.GenderFemale, d(1966, 9, 1), d(2022, 5, 1)},   // 55y8m
		{dossier.GenderFemale, d(1975, 4, 1), d(2034, 12, 1)},  // 59y8m
		{dossier.GenderFemale, d(1975, 5, 1), d(2035, 5, 1)},   // 60
		{dossier.GenderFemale, d(1990, 2, 2), d(2050, 2, 2)},   // 60
		{dossier.Gender(""), d(1990, 2, 2), domain.Date{}},     // unknown sex
		{dossier.GenderMale, domain.Date{}, domain.Date{}},     // unknown birth
	} {
		if got := RetirementDate(tc.sex, tc.dob); got != tc.want {
			t.Errorf("RetirementDate(%s, %s) = %s, want %s", tc.sex, tc.dob, got, tc.want)
		}
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	g := newGroups(catalog.Default())
	for _, tc := range []struct{ got, want string }{
		{g.rankGroup("01.002"), "chuyen_vien_chinh"},
		{g.rankGroup("06.031"), "chuyen_vien"},
		{g.rankGroup("nope"), ""},
		{g.titleGrade("V.08.01.03"), "III"},
		{g.titleGrade("V.07.02.06"), "IV"},
	} {
		if tc.got != tc.want {
			t.Errorf("group = %q, want %q", tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		ls      []dossier.LanguageLevel
		foreign string
		ethnic  bool
	}{
		{nil, "", false},
		{[]dossier.LanguageLevel{{Language: "Tiếng Anh", Level: "B1"}}, "bac_3", false},
		// An old certificate C stands for B2 through its catalogue successor.
		{[]dossier.LanguageLevel{{Language: "Tiếng Pháp", Level: "A2"}, {Language: "Tiếng Anh", Level: "chung_chi_c"}}, "bac_4", false},
		{[]dossier.LanguageLevel{{Language: "Tiếng Khmer", Level: "B1"}}, "", true},
		{[]dossier.LanguageLevel{{Language: "tiếng Ê Đê", Level: "A2"}, {Language: "Tiếng Hoa", Level: "A2"}}, "bac_2", true},
	} {
		f, e := g.languages(tc.ls)
		if f != tc.foreign || e != tc.ethnic {
			t.Errorf("languages(%v) = %q, %v; want %q, %v", tc.ls, f, e, tc.foreign, tc.ethnic)
		}
	}
}

func TestChangedRows(t *testing.T) {
	t.Parallel()
	row := func(from int, rank string) intervalRow {
		return intervalRow{From: domain.MustDate(2020, 1, from), Rank: rank}
	}
	closed := func(r intervalRow, to int) intervalRow { r.To = domain.MustDate(2020, 1, to); return r }
	a, b, c := row(1, "01.003"), row(10, "01.002"), row(20, "01.001")
	cases := []struct {
		name              string
		stored, now       []intervalRow
		wantGone, wantNew []intervalRow
	}{
		{"new dossier", nil, []intervalRow{a}, nil, []intervalRow{a}},
		{"unchanged", []intervalRow{closed(a, 10), b}, []intervalRow{closed(a, 10), b}, nil, nil},
		{"one more interval closes the last", []intervalRow{closed(a, 10), b}, []intervalRow{closed(a, 10), closed(b, 20), c},
			[]intervalRow{b}, []intervalRow{closed(b, 20), c}},
		{"a correction removes one", []intervalRow{closed(a, 10), b}, []intervalRow{a}, []intervalRow{closed(a, 10), b}, []intervalRow{a}},
	}
	for _, tc := range cases {
		gone, added := changedRows(tc.stored, tc.now)
		if !reflect.DeepEqual(gone, tc.wantGone) || !reflect.DeepEqual(added, tc.wantNew) {
			t.Errorf("%s: gone %v, added %v; want %v, %v", tc.name, gone, added, tc.wantGone, tc.wantNew)
		}
	}
}
