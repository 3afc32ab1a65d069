package audit_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestFastPathHolds checks, on every state every dossier of the world went
// through, that the section-wise diff the trail stores is dossier.Diff's.
func TestFastPathHolds(t *testing.T) {
	t.Parallel()
	w := projectiontest.NewWorld(t)
	for _, id := range []domain.DossierID{w.An, w.Binh, w.Chi} {
		checkDiffs(t, id.String(), w.Load(id.StreamID(), dossier.Decode).Events, nil)
	}
}

// checkDiffs replays h event by event and wants both diffs the projection
// can store (over every section, over the sections the event touches) to
// be dossier.Diff's; mustChange names the events that must change the
// document, so that a case that changes nothing is not mistaken for a test.
func checkDiffs(t *testing.T, name string, h []domain.Recorded, mustChange func(domain.Event) bool) {
	t.Helper()
	var prev dossier.Document
	for n := 1; n <= len(h); n++ {
		d, err := dossier.Replay(h[:n])
		if err != nil {
			t.Fatal(err)
		}
		doc := d.Document()
		if n > 1 {
			e := h[n-1].Event
			want := dossier.Diff(prev, doc)
			if want == nil {
				want = []dossier.FieldChange{}
			}
			for how, got := range map[string][]dossier.FieldChange{
				"every section":           audit.SparseDiff(prev, doc),
				"the sections it touches": audit.DiffOf(prev, doc, e),
			} {
				if !reflect.DeepEqual(got, want) {
					g, _ := json.Marshal(got)
					x, _ := json.Marshal(want)
					t.Errorf("%s version %d (%s), comparing %s: diff = %s, want %s", name, n, e.EventType(), how, g, x)
				}
			}
			if mustChange != nil && mustChange(e) && len(want) == 0 {
				t.Errorf("%s: %s changed nothing: the case tests nothing", name, e.EventType())
			}
		}
		prev = doc
	}
}

// TestSparseDiffOfTables checks the row-by-row diff of tables against
// dossier.Diff on the changes a table goes through: rows appended,
// changed in the middle, removed, and a table appearing or emptied.
func TestSparseDiffOfTables(t *testing.T) {
	t.Parallel()
	row := func(n int, org string) dossier.WorkHistoryRow {
		return dossier.WorkHistoryRow{ID: [16]byte{byte(n)}, From: dossier.MustYearMonth(2000+n, 1), Org: org, Title: "Chuyên viên"}
	}
	three := []dossier.WorkHistoryRow{row(1, "Sở Nội vụ"), row(2, "Sở Y tế"), row(3, "UBND xã")}
	changed := []dossier.WorkHistoryRow{row(1, "Sở Nội vụ"), row(2, "Sở Tài chính"), row(3, "UBND xã")}
	cases := []struct {
		name          string
		before, after []dossier.WorkHistoryRow
	}{
		{"append", three[:2], three},
		{"change in the middle", three, changed},
		{"remove the last", three, three[:2]},
		{"remove the first", three, three[1:]},
		{"nil to one row", nil, three[:1]},
		{"empty to one row", []dossier.WorkHistoryRow{}, three[:1]},
		{"one row to empty", three[:1], []dossier.WorkHistoryRow{}},
		{"one row to nil", three[:1], nil},
		{"append and change", three[:2], changed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after dossier.Document
			before.WorkHistory, after.WorkHistory = c.before, c.after
			before.Family = []dossier.FamilyRow{{Relation: "Cha", Name: "Võ Văn Ba"}}
			after.Family = []dossier.FamilyRow{{Relation: "Cha", Name: "Võ Văn Ba"}, {Relation: "Mẹ", Name: "Đỗ Thị Tư", BirthYear: 1950}}
			got, want := audit.SparseDiff(before, after), dossier.Diff(before, after)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				x, _ := json.Marshal(want)
				t.Errorf("SparseDiff = %s, want %s", g, x)
			}
		})
	}
}

// TestTouchedSections covers, event type by event type, the events the
// scenario world does not produce: the diff over the sections an event can
// touch must be dossier.Diff's over the whole document.
func TestTouchedSections(t *testing.T) {
	t.Parallel()
	org, unit, other := domain.OrgID(uuid.New()), domain.OrgID(uuid.New()), domain.OrgID(uuid.New())
	row := dossier.WorkHistoryRow{ID: uuid.New(), From: dossier.MustYearMonth(2001, 3), Org: "Sở Y tế", Title: "Chuyên viên"}
	amended := row
	amended.Title = "Chuyên viên chính"
	family := dossier.FamilyRow{ID: uuid.New(), Relation: "Mẹ", Name: "Đỗ Thị Tư", BirthYear: 1950}
	proposal, rejected, transfer, refused := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	events := []domain.Event{
		dossier.Created{DossierID: domain.DossierID(uuid.New()), Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: unit,
			PersonalIDNumber: "001090000001", Identity: dossier.Identity{BirthName: "Lê Thị Hoa"}},
		dossier.RowAdded{Row: dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &row}},
		dossier.RowAmended{Row: dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &amended}},
		dossier.ProposalSubmitted{ProposalID: proposal, Kind: dossier.ProposalChange, Patch: dossier.Patch{
			Health: &dossier.Health{HeightCM: 158}, Rows: []dossier.Row{{Table: dossier.TableFamily, Family: &family}}}},
		dossier.ProposalAccepted{ProposalID: proposal, Patch: dossier.Patch{
			Health: &dossier.Health{HeightCM: 158}, Rows: []dossier.Row{{Table: dossier.TableFamily, Family: &family}}}},
		dossier.ProposalSubmitted{ProposalID: rejected, Kind: dossier.ProposalChange, Patch: dossier.Patch{Other: &dossier.Other{Notes: "xin sửa"}}},
		dossier.ProposalRejected{ProposalID: rejected},
		dossier.TransferInitiated{TransferID: transfer, Kind: dossier.TransferBetweenOrgs, FromOrg: org, FromUnit: unit, TargetOrg: other, TargetUnit: other},
		dossier.TransferCancelled{TransferID: transfer},
		dossier.TransferInitiated{TransferID: refused, Kind: dossier.TransferBetweenOrgs, FromOrg: org, FromUnit: unit, TargetOrg: other, TargetUnit: other},
		dossier.TransferRejected{TransferID: refused},
		dossier.StatusChanged{Status: dossier.StatusRetired},
	}
	h := make([]domain.Recorded, len(events))
	for i, e := range events {
		h[i] = domain.Recorded{ID: uuid.New(), Version: uint64(i + 1), Event: e}
	}
	checkDiffs(t, "every event type", h, func(e domain.Event) bool {
		switch e.(type) {
		case dossier.RowAdded, dossier.RowAmended, dossier.ProposalAccepted, dossier.StatusChanged:
			return true
		}
		return false
	})
}
