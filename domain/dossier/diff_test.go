package dossier

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	renamed := identity()
	renamed.BirthName, renamed.BirthNameCaps = "Nguyễn Văn Ân", "NGUYỄN VĂN ÂN"
	salary := Salary{Rank: "01.003", Coefficient: 234}
	raised := Salary{Rank: "01.003", Coefficient: 267}
	tests := []struct {
		name   string
		before []domain.Event
		after  []domain.Event
		want   []FieldChange
	}{
		{name: "nothing", before: nil, after: nil, want: nil},
		{name: "a name", after: []domain.Event{SectionUpdated{Patch: Patch{Identity: &renamed}}}, want: []FieldChange{
			{Path: "/identity/birth_name", Before: "Nguyễn Văn An", After: "Nguyễn Văn Ân"},
			{Path: "/identity/birth_name_caps", Before: "NGUYỄN VĂN AN", After: "NGUYỄN VĂN ÂN"},
		}},
		{name: "a coefficient stays exact", before: []domain.Event{SectionUpdated{Patch: Patch{Salary: &salary}}},
			after: []domain.Event{SectionUpdated{Patch: Patch{Salary: &raised}}}, want: []FieldChange{
				{Path: "/salary/coefficient", Before: json.Number("2.34"), After: json.Number("2.67")},
			}},
		{name: "a row added", after: []domain.Event{RowAdded{Row: familyRow(1, "B")}}, want: []FieldChange{
			{Path: "/family/0", Before: nil, After: map[string]any{"id": id(101).String(), "side": "own", "relation": "Bố", "name": "B", "birth_year": json.Number("1960")}},
		}},
		{name: "a row amended", before: []domain.Event{RowAdded{Row: familyRow(1, "B")}},
			after: []domain.Event{RowAdded{Row: familyRow(1, "B")}, RowAmended{Row: familyRow(1, "C")}}, want: []FieldChange{
				{Path: "/family/0/name", Before: "B", After: "C"},
			}},
		{name: "management revoked", after: []domain.Event{StatusChanged{Status: StatusTransferredOut}}, want: []FieldChange{
			{Path: "/header/archived", Before: false, After: true},
			{Path: "/header/management_revoked", Before: false, After: true},
			{Path: "/header/managing_org", Before: orgA.String(), After: nil},
			{Path: "/header/status", Before: "active", After: "transferred_out"},
		}},
		{name: "a field that appears", after: []domain.Event{CivilServantNumberIssued{Number: "7"}}, want: []FieldChange{
			{Path: "/header/civil_servant_number", Before: nil, After: "7"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := mustReplay(t, given(append([]domain.Event{created()}, tc.before...)...)).Document()
			b := mustReplay(t, given(append([]domain.Event{created()}, tc.after...)...)).Document()
			if got := Diff(a, b); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Diff =\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

func TestEscapePointer(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a/b": "a~1b", "m~n": "m~0n", "~/": "~0~1", "plain": "plain"} {
		if got := EscapePointer(in); got != want {
			t.Errorf("EscapePointer(%q) = %q, want %q", in, got, want)
		}
	}
}
