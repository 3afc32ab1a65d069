package dossier

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current event shapes")

// samples holds one fully populated value per stored event type: the golden
// files pin their JSON so a renamed or retyped field breaks a test, not
// stored history.
func samples() map[string]domain.Event {
	full := identity()
	full.OtherNames = "Tí"
	full.PlaceOfBirth = Address{Place: "00004", Detail: "Bệnh viện Bạch Mai"}
	full.Religion = "khong"
	full.CitizenIDIssuedOn = domain.MustDate(2021, 4, 15)
	full.CitizenIDIssuedBy = "Cục Cảnh sát QLHC về TTXH"
	full.Phone = "0912345678"
	full.Residence = Address{Place: "00004", Detail: "số 1 phố Điện Biên Phủ"}
	patch := Patch{
		Header:         &HeaderPatch{Class: ClassVienChuc, PhotoSHA256: sha2hex},
		Identity:       &full,
		Background:     &Background{OccupationBeforeRecruitment: "Sinh viên", FirstRecruitedOn: domain.MustDate(2013, 8, 1), FirstRecruitingOrg: "Sở Tư pháp", PartyAdmittedOn: domain.MustDate(2018, 5, 19)},
		Qualifications: &Qualifications{GeneralEducation: "12/12", HighestQualification: "thac_si", Major: "Luật", PoliticalTheory: "trung_cap", ITLevel: "co_ban", Languages: []LanguageLevel{{Language: "Tiếng Anh", Level: "B2"}}},
		Position:       &Position{Current: "Phó Trưởng phòng", AppointedOn: domain.MustDate(2022, 1, 1), MainDuty: "Tổng hợp"},
		Salary: &Salary{Rank: "01.003", AppointedOn: domain.MustDate(2013, 8, 1), Step: 4, Coefficient: 333, EffectiveOn: domain.MustDate(2022, 8, 1), PercentPaid: 100,
			PositionAllowance: 30, OtherAllowances: []Allowance{{Name: "Công vụ", Percent: 25}}, JobPosition: "chuyen_vien_tong_hop", JobPositionSalaryVND: 9_500_000},
		Health:          &Health{Status: "Tốt", HeightCM: 170, WeightKG: 65, BloodGroup: "O+"},
		PersonalHistory: &PersonalHistory{Arrests: "Không"},
		Income:          &Income{Housing: "Nhà riêng 60 m²"},
		PartyUnions:     &PartyUnions{PartyCell: "Chi bộ Phòng Tổng hợp", TradeUnionJoinedOn: domain.MustDate(2013, 9, 1)},
		Insurance:       &Insurance{SocialInsuranceNumber: "0123456789", SocialInsuranceFrom: domain.MustDate(2013, 8, 1)},
		Other:           &Other{Notes: "—"},
		Rows: []Row{
			trainingRow(1, TrainingDegree, "dai_hoc"),
			{Table: TableWorkHistory, WorkHistory: &WorkHistoryRow{ID: id(401), From: MustYearMonth(2013, 8), Org: "Sở Tư pháp", Title: "Chuyên viên"}},
			{Table: TableSalaryHistory, SalaryHistory: &SalaryHistoryRow{ID: id(402), From: MustYearMonth(2013, 8), To: MustYearMonth(2016, 7), Code: "01.003", Step: 1, Coefficient: 234}},
			familyRow(1, "Nguyễn Văn Ba"),
			{Table: TableRewards, Reward: &RewardRow{ID: id(403), Year: 2020, Form: "Bằng khen", Title: "Chiến sĩ thi đua cơ sở", DecidingBody: "UBND tỉnh"}},
			{Table: TableDiscipline, Discipline: &DisciplineRow{ID: id(404), Kind: DisciplineAdministrative, From: domain.MustDate(2019, 1, 1), To: domain.MustDate(2019, 12, 31), Form: "Khiển trách", DecidingBody: "Giám đốc Sở"}},
			{Table: TableEvaluations, Evaluation: &EvaluationRow{ID: id(405), Year: 2023, Rating: RatingExcellent, EmulationTitle: "Lao động tiên tiến"}},
		},
	}
	return map[string]domain.Event{
		TypeCreated: func() Created {
			c := created()
			c.ArrivedFromOutsideProvince = true
			lc := contract()
			c.LabourContract = &lc
			return c
		}(),
		TypeSectionUpdated:   SectionUpdated{Patch: patch},
		TypeRowAdded:         RowAdded{Row: trainingRow(1, TrainingLanguage, "B2")},
		TypeRowAmended:       RowAmended{Row: familyRow(1, "Nguyễn Văn Bá")},
		TypeDocumentAttached: DocumentAttached{Attachment: Attachment{Document: domain.SourceDocument{Kind: "diploma", Number: "B 123456", Date: domain.MustDate(2012, 6, 30), Issuer: "Đại học Luật Hà Nội", SHA256: sha1hex}, Title: "Bằng cử nhân"}},
		TypeCorrected:        Corrected{Corrects: eventID(0), Patch: Patch{Header: &HeaderPatch{PersonalIDNumber: "002090000001"}}, Reactivate: true},
		TypeTransferInitiated: TransferInitiated{TransferID: transferID, Kind: TransferBetweenOrgs, FromOrg: orgA, FromUnit: unitA1,
			TargetOrg: orgB, TargetUnit: unitB1},
		TypeTransferReceived:         TransferReceived{TransferID: transferID, Kind: TransferBetweenOrgs, ManagingOrg: orgB, EmployingUnit: unitB1},
		TypeTransferRejected:         TransferRejected{TransferID: transferID},
		TypeTransferCancelled:        TransferCancelled{TransferID: transferID},
		TypeStatusChanged:            StatusChanged{Status: StatusRetired},
		TypeProposalSubmitted:        ProposalSubmitted{ProposalID: id(600), Kind: ProposalAnnualSupplement, Year: 2023, Patch: Patch{Health: patch.Health, Rows: []Row{familyRow(2, "Trần Thị Bình")}}},
		TypeProposalAccepted:         ProposalAccepted{ProposalID: id(600), Patch: Patch{Health: patch.Health}, Edited: true},
		TypeProposalRejected:         ProposalRejected{ProposalID: id(600)},
		TypeCivilServantNumberIssued: CivilServantNumberIssued{Number: "01.003-000123"},
		TypeManagingOrgChanged:       ManagingOrgChanged{FromOrg: orgA, ToOrg: orgC, EmployingUnit: orgC, Cause: Cause{Kind: "merge", OrgID: orgA, EventID: id(700)}},
		TypeTransferRequested:        TransferRequested{RequestID: id(801), RequestingOrg: orgC},
		TypeReactivated:              Reactivated{ManagingOrg: orgC, EmployingUnit: orgC, Departure: id(800), FromStatus: StatusTransferredOut},
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	all := samples()
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range all {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, EventTypes()) {
		t.Fatalf("samples cover %q, EventTypes() = %q", got, EventTypes())
	}
	for name, ev := range all {
		t.Run(name, func(t *testing.T) {
			if ev.EventType() != name {
				t.Fatalf("EventType() = %q, want %q", ev.EventType(), name)
			}
			got, err := json.MarshalIndent(ev, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s changed shape:\n%s\nwant\n%s\n(a stored shape only gains fields: add a field or a new version)", path, got, want)
			}
			// The stored bytes decode back to the same value.
			back, err := Decode(name, want)
			if err != nil {
				t.Fatalf("Decode(golden): %v", err)
			}
			if !reflect.DeepEqual(back, ev) {
				t.Fatalf("Decode(golden) = %#v, want %#v", back, ev)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, data string
		ok              bool
	}{
		{"unknown type", "dossier.exploded.v1", `{}`, false},
		{"no version", "dossier.created", `{}`, false},
		{"malformed", TypeStatusChanged, `{"status":`, false},
		{"null", TypeStatusChanged, `null`, false},
		{"array", TypeStatusChanged, `[]`, false},
		{"empty", TypeStatusChanged, ``, false},
		{"trailing garbage", TypeStatusChanged, `{"status":"retired"} x`, false},
		{"invalid enum", TypeStatusChanged, `{"status":"promoted"}`, false},
		{"invalid class", TypeCreated, `{"class":"boss"}`, false},
		{"invalid coefficient", TypeSectionUpdated, `{"patch":{"salary":{"coefficient":2.345}}}`, false},
		{"wrong type", TypeCivilServantNumberIssued, `{"number":42}`, false},
		{"unknown fields are kept for later versions", TypeStatusChanged, `{"status":"retired","decided_by":"x"}`, true},
		{"fields missing are zero", TypeTransferRejected, `{}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := Decode(tc.typ, []byte(tc.data))
			if tc.ok {
				if err != nil {
					t.Fatalf("Decode(%s, %s) = %v", tc.typ, tc.data, err)
				}
				if ev.EventType() != tc.typ {
					t.Fatalf("EventType() = %s", ev.EventType())
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Decode(%s, %s) err = %v, want ErrInvalid", tc.typ, tc.data, err)
			}
		})
	}
}

// TestUpcaster shows the mechanism for a breaking change: a retired shape
// (here an imagined "dossier.status_changed.v0" that called the field
// "reason") is rewritten to the current one on every read.
func TestUpcaster(t *testing.T) {
	t.Parallel()
	c := codec.WithUpcaster("dossier.status_changed.v0", func(data []byte) (string, []byte, error) {
		var old struct {
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(data, &old); err != nil {
			return "", nil, err
		}
		b, err := json.Marshal(map[string]string{"status": old.Reason})
		return TypeStatusChanged, b, err
	})
	ev, err := c.Decode("dossier.status_changed.v0", []byte(`{"reason":"deceased"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev != (StatusChanged{Status: StatusDeceased}) {
		t.Fatalf("upcast = %#v", ev)
	}
	if _, err := c.Decode("dossier.status_changed.v0", []byte(`{"reason":`)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("failing upcast err = %v, want ErrInvalid", err)
	}
	// The package's own codec has no such version.
	if _, err := Decode("dossier.status_changed.v0", []byte(`{"reason":"deceased"}`)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Decode(v0) err = %v, want ErrInvalid", err)
	}
}

func TestEventTypesAreVersioned(t *testing.T) {
	t.Parallel()
	for _, n := range EventTypes() {
		if !strings.HasPrefix(n, "dossier.") || !strings.Contains(n, ".v") {
			t.Errorf("stored name %q lacks the dossier. prefix or a version", n)
		}
	}
}
