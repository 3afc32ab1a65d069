package dossier

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// fakeCatalogue is a hand-written Catalogue: kind → codes.
type fakeCatalogue map[string][]string

func (c fakeCatalogue) Has(kind, code string) bool { return slices.Contains(c[kind], code) }

var cat = fakeCatalogue{
	"rank":             {"01.003", "01.002"},
	"title":            {"V.08.01.03"},
	"position":         {"chuyen_vien_tong_hop"},
	"ethnicity":        {"kinh", "tay"},
	"religion":         {"khong", "phat_giao"},
	"qualification":    {"dai_hoc", "thac_si"},
	"place":            {"00004", "26734"},
	"political_theory": {"trung_cap", "cao_cap"},
	"state_management": {"chuyen_vien"},
	"it_level":         {"co_ban"},
	"language_level":   {"B1", "B2"},
	"academic_title":   {"pgs"},
}

func id(n int) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint("hoso-test-", n))) }

var (
	dossierID = domain.DossierID(id(1))
	orgA      = domain.OrgID(id(10))
	orgB      = domain.OrgID(id(11))
	orgC      = domain.OrgID(id(12))
	unitA1    = domain.OrgID(id(20))
	unitA2    = domain.OrgID(id(21))
	unitB1    = domain.OrgID(id(22))
	hr        = domain.AccountID(id(30))
	person    = domain.AccountID(id(31))
	t0        = time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	src       = domain.SourceDocument{Kind: "decision", Number: "123/QĐ-UBND", Date: domain.MustDate(2024, 2, 28), Issuer: "UBND tỉnh Phú Thọ"}
	sha1hex   = strings.Repeat("ab", 32)
	sha2hex   = strings.Repeat("cd", 32)
	// personalID encodes a man born in 1990: century/gender digit 0, year 90.
	personalID = "001090012345"
)

func identity() Identity {
	return Identity{
		BirthName:     "Nguyễn Văn An",
		BirthNameCaps: "NGUYỄN VĂN AN",
		Gender:        GenderMale,
		DateOfBirth:   domain.MustDate(1990, 5, 12),
		Ethnicity:     "kinh",
		HomeTown:      Address{Place: "26734", Detail: "xóm Đông"},
	}
}

func created() Created {
	return Created{DossierID: dossierID, Class: ClassCongChuc, ManagingOrg: orgA, EmployingUnit: unitA1,
		PersonalIDNumber: personalID, Identity: identity()}
}

// meta is what HR of orgA sends, with the decision, on 2024-03-01.
func meta() domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: hr, ActingOrg: orgA},
		RecordedAt:    t0,
		EffectiveDate: domain.MustDate(2024, 3, 1),
		Source:        src,
	}
}

func withOrg(m domain.Meta, org domain.OrgID) domain.Meta { m.Actor.ActingOrg = org; return m }
func withReason(m domain.Meta) domain.Meta                { m.Reason = "nhập sai"; return m }
func noSource(m domain.Meta) domain.Meta                  { m.Source = domain.SourceDocument{}; return m }

// eventID is the id given() assigns to the i-th event of a history.
func eventID(i int) uuid.UUID { return id(1000 + i) }

// given turns events into a stored history: ids eventID(i), versions from 1,
// recorded a minute apart, all effective 2024-03-01.
func given(evs ...domain.Event) []domain.Recorded {
	h := make([]domain.Recorded, len(evs))
	for i, e := range evs {
		m := meta()
		m.RecordedAt = t0.Add(time.Duration(i) * time.Minute)
		h[i] = domain.Recorded{ID: eventID(i), Version: uint64(i + 1), Event: e, Meta: m}
	}
	return h
}

func mustReplay(t *testing.T, h []domain.Recorded) *Dossier {
	t.Helper()
	d, err := Replay(h)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return d
}

// wantErr describes an expected failure: its kind, and the StateError rule
// or the ValidationError fields (every one, in any order).
type wantErr struct {
	kind   error
	rule   string
	fields []string // "field:rule"
}

func checkErr(t *testing.T, err error, w *wantErr) {
	t.Helper()
	if w == nil {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("err = nil, want %v", w.kind)
	}
	if !errors.Is(err, w.kind) {
		t.Fatalf("err = %v, want kind %v", err, w.kind)
	}
	if w.rule != "" {
		var se *domain.StateError
		if !errors.As(err, &se) || se.Rule != w.rule {
			t.Fatalf("err = %v, want StateError rule %q", err, w.rule)
		}
	}
	if w.fields != nil {
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v, want a ValidationError", err)
		}
		var got []string
		for _, p := range ve.Problems {
			got = append(got, p.Field+":"+p.Rule)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(w.fields))
		if !slices.Equal(got, want) {
			t.Fatalf("problems = %q, want %q", got, want)
		}
	}
}

// commandCase is one given/when/then row: a history, a command on the
// dossier it folds into, and the events or error the command must return.
type commandCase struct {
	name  string
	given []domain.Event
	when  func(d *Dossier) ([]domain.Event, error)
	then  []domain.Event
	err   *wantErr
}

func runCommandCases(t *testing.T, cases []commandCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := given(tc.given...)
			d := mustReplay(t, h)
			before := d.Document()
			got, err := tc.when(d)
			checkErr(t, err, tc.err)
			if tc.err == nil && !reflect.DeepEqual(got, tc.then) {
				t.Fatalf("events =\n%#v\nwant\n%#v", got, tc.then)
			}
			if !reflect.DeepEqual(d.Document(), before) {
				t.Fatalf("the command mutated the dossier")
			}
			// What a command raises must always fold.
			if err == nil && len(got) > 0 {
				mustReplay(t, given(append(slices.Clone(tc.given), got...)...))
			}
		})
	}
}

func deepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
