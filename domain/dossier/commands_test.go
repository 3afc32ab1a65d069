package dossier

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

var (
	invalid  = domain.ErrInvalid
	conflict = domain.ErrConflict
	notFound = domain.ErrNotFound
)

func TestCreate(t *testing.T) {
	t.Parallel()
	nfd := "Nguye\u0302\u0303n Va\u0306n An" // "Nguyễn Văn An" typed with combining marks
	base := func() CreateDossier {
		return CreateDossier{DossierID: dossierID, Class: ClassCongChuc, ManagingOrg: orgA, EmployingUnit: unitA1,
			PersonalIDNumber: personalID, Identity: Identity{BirthName: "Nguyễn Văn An", Gender: GenderMale,
				DateOfBirth: domain.MustDate(1990, 5, 12), Ethnicity: "kinh", HomeTown: Address{Place: "26734", Detail: "xóm Đông"}}}
	}
	with := func(f func(*CreateDossier)) CreateDossier { c := base(); f(&c); return c }
	tests := []struct {
		name string
		cmd  CreateDossier
		meta domain.Meta
		want []domain.Event
		err  *wantErr
	}{
		{name: "valid", cmd: base(), meta: meta(), want: []domain.Event{created()}},
		{name: "NFC and caps", cmd: with(func(c *CreateDossier) { c.Identity.BirthName = "  " + nfd + " " }), meta: meta(),
			want: []domain.Event{created()}},
		{name: "female born 2001", cmd: with(func(c *CreateDossier) {
			c.Identity.Gender, c.Identity.DateOfBirth, c.PersonalIDNumber = GenderFemale, domain.MustDate(2001, 1, 2), "038301000001"
		}), meta: meta()},
		{name: "everything missing", cmd: CreateDossier{}, meta: domain.Meta{}, err: &wantErr{kind: invalid, fields: []string{
			"meta/actor/account_id:required", "meta/recorded_at:required", "meta/effective_date:required", "meta/source:required",
			"dossier_id:required", "class:required", "managing_org:required", "employing_unit:required",
			"identity/birth_name:required", "identity/gender:required", "identity/date_of_birth:required",
			"personal_id_number:format"}}},
		{name: "personal id not 12 digits", cmd: with(func(c *CreateDossier) { c.PersonalIDNumber = "00109001234X" }), meta: meta(),
			err: &wantErr{kind: invalid, fields: []string{"personal_id_number:format"}}},
		{name: "personal id says female", cmd: with(func(c *CreateDossier) { c.PersonalIDNumber = "001190012345" }), meta: meta(),
			err: &wantErr{kind: invalid, fields: []string{"personal_id_number:mismatch"}}},
		{name: "personal id says 1991", cmd: with(func(c *CreateDossier) { c.PersonalIDNumber = "001091012345" }), meta: meta(),
			err: &wantErr{kind: invalid, fields: []string{"personal_id_number:mismatch"}}},
		{name: "catalogue and range at once", cmd: with(func(c *CreateDossier) {
			c.Identity.Ethnicity, c.Identity.Religion, c.Identity.HomeTown.Place = "martian", "x", "99999"
			c.Identity.Gender = "other"
		}), meta: meta(), err: &wantErr{kind: invalid, fields: []string{
			"identity/ethnicity:catalogue", "identity/religion:catalogue", "identity/home_town/place:catalogue", "identity/gender:enum"}}},
		{name: "born after the decision", cmd: with(func(c *CreateDossier) {
			c.Identity.DateOfBirth, c.PersonalIDNumber = domain.MustDate(2025, 1, 1), "001225012345"
		}), meta: meta(), err: &wantErr{kind: invalid, fields: []string{"identity/date_of_birth:range"}}},
		{name: "source without issuer", cmd: base(), meta: func() domain.Meta { m := meta(); m.Source.Issuer = ""; return m }(),
			err: &wantErr{kind: invalid, fields: []string{"meta/source/issuer:required"}}},
		{name: "invalid utf8", cmd: with(func(c *CreateDossier) { c.Identity.OtherNames = "\xff" }), meta: meta(),
			err: &wantErr{kind: invalid, fields: []string{"identity/other_names:utf8"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Create(tc.cmd, tc.meta, cat)
			checkErr(t, err, tc.err)
			if tc.want != nil && !equalEvents(got, tc.want) {
				t.Fatalf("Create = %#v, want %#v", got, tc.want)
			}
			if err == nil {
				d := mustReplay(t, given(got...))
				if d.ID() != dossierID || d.Status() != StatusActive || d.Archived() || d.Version() != 1 {
					t.Fatalf("after create: id %v status %v archived %v version %d", d.ID(), d.Status(), d.Archived(), d.Version())
				}
			}
		})
	}
}

func equalEvents(a, b []domain.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !deepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestUpdateSection(t *testing.T) {
	t.Parallel()
	salary := Salary{Rank: "01.003", Step: 3, Coefficient: 300, EffectiveOn: domain.MustDate(2024, 1, 1), JobPosition: "chuyen_vien_tong_hop"}
	newID := identity()
	newID.OtherNames = "Tí"
	retired := StatusChanged{Status: StatusRetired}
	runCommandCases(t, []commandCase{
		{name: "identity needs no decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Identity: &newID}, noSource(meta()), cat)
			},
			then: []domain.Event{SectionUpdated{Patch: Patch{Identity: &newID}}}},
		{name: "salary with its decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.UpdateSection(Patch{Salary: &salary}, meta(), cat) },
			then: []domain.Event{SectionUpdated{Patch: Patch{Salary: &salary}}}},
		{name: "salary without decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Salary: &salary}, noSource(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "position without decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Position: &Position{Current: "Trưởng phòng"}}, noSource(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "every bad salary field at once", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Salary: &Salary{Rank: "99.999", Title: "X", JobPosition: "boss", Step: 40, PercentPaid: 120,
					OtherAllowances: []Allowance{{Percent: 5}}}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/salary/rank:catalogue", "patch/salary/title:catalogue",
				"patch/salary/job_position:catalogue", "patch/salary/step:range", "patch/salary/percent_paid:range",
				"patch/salary/other_allowances/0/name:required"}}},
		{name: "qualifications catalogued", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Qualifications: &Qualifications{HighestQualification: "tien_si", AcademicTitle: "gs",
					PoliticalTheory: "so_cap", StateManagement: "x", ITLevel: "y", Languages: []LanguageLevel{{Language: "Anh", Level: "C9"}}}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/qualifications/highest_qualification:catalogue",
				"patch/qualifications/academic_title:catalogue", "patch/qualifications/political_theory:catalogue",
				"patch/qualifications/state_management:catalogue", "patch/qualifications/it_level:catalogue",
				"patch/qualifications/languages/0/level:catalogue"}}},
		{name: "health ranges", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Health: &Health{HeightCM: 400, BloodGroup: "Z"}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/health/height_cm:range", "patch/health/blood_group:enum"}}},
		{name: "rows are not sections", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Rows: []Row{familyRow(1, "Nguyễn Văn Ba")}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/rows:use_row_commands", "patch:required"}}},
		{name: "personal id only by correction", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Header: &HeaderPatch{PersonalIDNumber: "001090099999"}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/header/personal_id_number:correction_only"}}},
		{name: "class change on a decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Header: &HeaderPatch{Class: ClassVienChuc}}, meta(), cat)
			},
			then: []domain.Event{SectionUpdated{Patch: Patch{Header: &HeaderPatch{Class: ClassVienChuc}}}}},
		{name: "birth year disagrees with the personal id", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				x := identity()
				x.DateOfBirth = domain.MustDate(1991, 5, 12)
				return d.UpdateSection(Patch{Identity: &x}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/identity:mismatch"}}},
		{name: "archived", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) { return d.UpdateSection(Patch{Identity: &newID}, meta(), cat) },
			err:  &wantErr{kind: conflict, rule: "archived"}},
	})
}

func familyRow(n int, name string) Row {
	return Row{Table: TableFamily, Family: &FamilyRow{ID: id(100 + n), Side: FamilyOwn, Relation: "Bố", Name: name, BirthYear: 1960}}
}

func trainingRow(n int, kind TrainingKind, q string) Row {
	return Row{Table: TableTraining, Training: &TrainingRow{ID: id(200 + n), Kind: kind, From: MustYearMonth(2008, 9),
		To: MustYearMonth(2012, 6), Institution: "Đại học Luật Hà Nội", Qualification: q}}
}

func TestRows(t *testing.T) {
	t.Parallel()
	father := familyRow(1, "Nguyễn Văn Ba")
	fatherFixed := familyRow(1, "Nguyễn Văn Bá")
	degree := trainingRow(1, TrainingDegree, "dai_hoc")
	eval := Row{Table: TableEvaluations, Evaluation: &EvaluationRow{ID: id(300), Year: 2023, Rating: RatingGood}}
	runCommandCases(t, []commandCase{
		{name: "add family row without decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(father, noSource(meta()), cat) },
			then: []domain.Event{RowAdded{Row: father}}},
		{name: "add degree needs its decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(degree, noSource(meta()), cat) },
			err:  &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "add evaluation", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(eval, meta(), cat) },
			then: []domain.Event{RowAdded{Row: eval}}},
		{name: "evaluation without decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(eval, noSource(meta()), cat) },
			err:  &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "row text is stored NFC and trimmed", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(familyRow(1, " Nguye\u0302\u0303n Va\u0306n Ba "), meta(), cat)
			},
			then: []domain.Event{RowAdded{Row: father}}},
		{name: "add twice", given: []domain.Event{created(), RowAdded{Row: father}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(father, meta(), cat) },
			err:  &wantErr{kind: conflict, rule: "duplicate_row"}},
		{name: "amend", given: []domain.Event{created(), RowAdded{Row: father}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AmendRow(fatherFixed, meta(), cat) },
			then: []domain.Event{RowAmended{Row: fatherFixed}}},
		{name: "amend a missing row", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AmendRow(father, meta(), cat) },
			err:  &wantErr{kind: notFound}},
		{name: "language level comes from its own catalogue", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(trainingRow(2, TrainingLanguage, "dai_hoc"), meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row/training/qualification:catalogue"}}},
		{name: "row fields at once", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(Row{Table: TableTraining, Training: &TrainingRow{Kind: "magic", To: MustYearMonth(2001, 1)}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row/id:required", "row/training/kind:enum", "row/training/from:required"}}},
		{name: "to before from", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(Row{Table: TableWorkHistory, WorkHistory: &WorkHistoryRow{ID: id(400), From: MustYearMonth(2020, 1),
					To: MustYearMonth(2019, 1), Org: "Sở Nội vụ"}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row/work_history/to:range"}}},
		{name: "salary history code is a rank or title", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(Row{Table: TableSalaryHistory, SalaryHistory: &SalaryHistoryRow{ID: id(401), From: MustYearMonth(2020, 1),
					Code: "nope", Coefficient: 234}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row/salary_history/code:catalogue"}}},
		{name: "discipline and reward rules", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(Row{Table: TableDiscipline, Discipline: &DisciplineRow{ID: id(402), Kind: "moral"}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row/discipline/kind:enum", "row/discipline/from:required", "row/discipline/form:required"}}},
		{name: "reward in the future", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(Row{Table: TableRewards, Reward: &RewardRow{ID: id(403), Year: 2030, Form: "Bằng khen"}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row/reward/year:range"}}},
		{name: "wrong field for the table", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AddRow(Row{Table: TableTraining, Family: father.Family}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"row:shape"}}},
		{name: "unknown table", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(Row{Table: "pets"}, meta(), cat) },
			err:  &wantErr{kind: invalid, fields: []string{"row/table:enum"}}},
		{name: "archived", given: []domain.Event{created(), StatusChanged{Status: StatusDeceased}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AddRow(father, meta(), cat) },
			err:  &wantErr{kind: conflict, rule: "archived"}},
	})
}

func TestAttachDocument(t *testing.T) {
	t.Parallel()
	att := Attachment{Document: domain.SourceDocument{Kind: "diploma", Number: "B 123456", Date: domain.MustDate(2012, 6, 30),
		Issuer: "Đại học Luật Hà Nội", SHA256: sha1hex}, Title: "Bằng cử nhân"}
	runCommandCases(t, []commandCase{
		{name: "attach", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AttachDocument(att, noSource(meta())) },
			then: []domain.Event{DocumentAttached{Attachment: att}}},
		{name: "archived dossiers accept attachments", given: []domain.Event{created(), StatusChanged{Status: StatusRetired}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AttachDocument(att, meta()) },
			then: []domain.Event{DocumentAttached{Attachment: att}}},
		{name: "same scan twice", given: []domain.Event{created(), DocumentAttached{Attachment: att}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AttachDocument(att, meta()) },
			err:  &wantErr{kind: conflict, rule: "duplicate_attachment"}},
		{name: "no scan hash", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				a := att
				a.Document.SHA256, a.Document.Issuer = "", ""
				return d.AttachDocument(a, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"attachment/document/sha256:required", "attachment/document/issuer:required"}}},
		{name: "bad scan hash", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				a := att
				a.Document.SHA256 = "ABC"
				return d.AttachDocument(a, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"attachment/document/sha256:format"}}},
	})
}

func TestCorrect(t *testing.T) {
	t.Parallel()
	fixed := identity()
	fixed.BirthName, fixed.BirthNameCaps = "Nguyễn Văn Ân", "NGUYỄN VĂN ÂN"
	retired := StatusChanged{Status: StatusRetired}
	runCommandCases(t, []commandCase{
		{name: "fix the birth name given at creation", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(0), Patch: Patch{Identity: &fixed}}, withReason(noSource(meta())), cat)
			},
			then: []domain.Event{Corrected{Corrects: eventID(0), Patch: Patch{Identity: &fixed}}}},
		{name: "fix the personal id number", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(0), Patch: Patch{Header: &HeaderPatch{PersonalIDNumber: " 002090000001 "}}}, withReason(meta()), cat)
			},
			then: []domain.Event{Corrected{Corrects: eventID(0), Patch: Patch{Header: &HeaderPatch{PersonalIDNumber: "002090000001"}}}}},
		{name: "personal id must still match", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(0), Patch: Patch{Header: &HeaderPatch{PersonalIDNumber: "002390000001"}}}, withReason(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/header/personal_id_number:mismatch"}}},
		{name: "reason, target and patch required", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.Correct(Correction{}, meta(), cat) },
			err:  &wantErr{kind: invalid, fields: []string{"meta/reason:required", "corrects:required", "patch:required"}}},
		{name: "unknown event", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: id(9999), Patch: Patch{Identity: &fixed}}, withReason(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"corrects:unknown_event"}}},
		{name: "catalogue applies to corrections", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				x := fixed
				x.Religion = "cult"
				return d.Correct(Correction{Corrects: eventID(0), Patch: Patch{Identity: &x}}, withReason(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/identity/religion:catalogue"}}},
		{name: "archived dossiers accept corrections", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(0), Patch: Patch{Identity: &fixed}}, withReason(meta()), cat)
			},
			then: []domain.Event{Corrected{Corrects: eventID(0), Patch: Patch{Identity: &fixed}}}},
		{name: "reactivate", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(1), Reactivate: true}, withReason(meta()), cat)
			},
			then: []domain.Event{Corrected{Corrects: eventID(1), Reactivate: true}}},
		{name: "reactivate without reason", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(1), Reactivate: true}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"meta/reason:required"}}},
		{name: "reactivate through another event", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(0), Reactivate: true}, withReason(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"corrects:not_archiving_event"}}},
		{name: "reactivate an active dossier", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Correct(Correction{Corrects: eventID(0), Reactivate: true}, withReason(meta()), cat)
			},
			err: &wantErr{kind: conflict, rule: "not_archived"}},
	})
}

var (
	transferID = id(500)
	toB        = TransferInitiated{TransferID: transferID, Kind: TransferBetweenOrgs, FromOrg: orgA, FromUnit: unitA1, TargetOrg: orgB, TargetUnit: unitB1}
	toA2       = TransferInitiated{TransferID: transferID, Kind: TransferInternal, FromOrg: orgA, FromUnit: unitA1, TargetOrg: unitA2}
	out        = TransferInitiated{TransferID: transferID, Kind: TransferOutOfProvince, FromOrg: orgA, FromUnit: unitA1}
)

func TestTransfers(t *testing.T) {
	t.Parallel()
	order := TransferOrder{TransferID: transferID, Kind: TransferBetweenOrgs, TargetOrg: orgB, TargetUnit: unitB1}
	runCommandCases(t, []commandCase{
		{name: "initiate between orgs", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, meta()) },
			then: []domain.Event{toB}},
		{name: "initiate internal", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID, Kind: TransferInternal, TargetOrg: unitA2, TargetAncestry: []domain.OrgID{unitA2, orgA}}, meta())
			},
			then: []domain.Event{toA2}},
		// Tiền Giang art. 10.2–10.3: another org receives through a
		// between_orgs transfer, by its own act.
		{name: "internal to a unit outside the managing org", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID, Kind: TransferInternal, TargetOrg: orgB, TargetAncestry: []domain.OrgID{orgB}}, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"target_org:outside_org"}}},
		{name: "internal with no known ancestry", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID, Kind: TransferInternal, TargetOrg: unitA2}, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"target_org:outside_org"}}},
		{name: "initiate out of province", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID, Kind: TransferOutOfProvince}, meta())
			},
			then: []domain.Event{out}},
		{name: "already in transfer", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) {
				o := order
				o.TransferID = id(501)
				return d.InitiateTransfer(o, meta())
			},
			err: &wantErr{kind: conflict, rule: "transfer_pending"}},
		{name: "archived", given: []domain.Event{created(), StatusChanged{Status: StatusResigned}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, meta()) },
			err:  &wantErr{kind: conflict, rule: "archived"}},
		{name: "needs its decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, noSource(meta())) },
			err:  &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "target rules per kind", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{Kind: TransferBetweenOrgs, TargetOrg: orgA}, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"transfer_id:required", "target_org:same_org"}}},
		{name: "internal to the same unit", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID, Kind: TransferInternal, TargetOrg: unitA1, TargetUnit: unitA2}, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"target_org:same_unit", "target_unit:not_allowed"}}},
		{name: "out of province names no org", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID, Kind: TransferOutOfProvince, TargetOrg: orgB}, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"target_org:not_allowed"}}},
		{name: "no kind", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.InitiateTransfer(TransferOrder{TransferID: transferID}, meta())
			},
			err: &wantErr{kind: invalid, fields: []string{"kind:required"}}},
		{name: "sent by another org", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, withOrg(meta(), orgC)) },
			err:  &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "transfer id reused", given: []domain.Event{created(), toB, TransferCancelled{TransferID: transferID}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, meta()) },
			err:  &wantErr{kind: conflict, rule: "duplicate_transfer"}},
		{name: "receive between orgs", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transferID, withOrg(meta(), orgB)) },
			then: []domain.Event{TransferReceived{TransferID: transferID, Kind: TransferBetweenOrgs, ManagingOrg: orgB, EmployingUnit: unitB1}}},
		{name: "receive internal", given: []domain.Event{created(), toA2},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReceiveTransfer(transferID, withOrg(meta(), unitA2))
			},
			then: []domain.Event{TransferReceived{TransferID: transferID, Kind: TransferInternal, ManagingOrg: orgA, EmployingUnit: unitA2}}},
		{name: "hand over out of the province", given: []domain.Event{created(), out},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transferID, meta()) },
			then: []domain.Event{TransferReceived{TransferID: transferID, Kind: TransferOutOfProvince}}},
		{name: "internal received by the sender for a unit it does not act for", given: []domain.Event{created(), toA2},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transferID, meta()) },
			err:  &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "receive by the sender", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transferID, meta()) },
			err:  &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "receive with nothing pending", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transferID, withOrg(meta(), orgB)) },
			err:  &wantErr{kind: conflict, rule: "no_transfer"}},
		{name: "receive another transfer", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(id(501), withOrg(meta(), orgB)) },
			err:  &wantErr{kind: conflict, rule: "no_transfer"}},
		{name: "receive without decision", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReceiveTransfer(transferID, noSource(withOrg(meta(), orgB)))
			},
			err: &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "reject", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.RejectTransfer(transferID, withReason(noSource(withOrg(meta(), orgB))))
			},
			then: []domain.Event{TransferRejected{TransferID: transferID}}},
		{name: "reject without reason", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.RejectTransfer(transferID, withOrg(meta(), orgB)) },
			err:  &wantErr{kind: invalid, fields: []string{"meta/reason:required"}}},
		{name: "reject by a stranger", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.RejectTransfer(transferID, withReason(withOrg(meta(), orgC)))
			},
			err: &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "cancel", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.CancelTransfer(transferID, withReason(meta())) },
			then: []domain.Event{TransferCancelled{TransferID: transferID}}},
		{name: "cancel by the target", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.CancelTransfer(transferID, withReason(withOrg(meta(), orgB)))
			},
			err: &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "cancel a closed transfer", given: []domain.Event{created(), toB, TransferRejected{TransferID: transferID}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.CancelTransfer(transferID, withReason(meta())) },
			err:  &wantErr{kind: conflict, rule: "no_transfer"}},
	})
}

func TestTransferState(t *testing.T) {
	t.Parallel()
	received := TransferReceived{TransferID: transferID, Kind: TransferBetweenOrgs, ManagingOrg: orgB, EmployingUnit: unitB1}
	d := mustReplay(t, given(created(), toB))
	if tr, ok := d.PendingTransfer(); !ok || tr.TargetOrg != orgB || tr.InitiatedOn != domain.MustDate(2024, 3, 1) {
		t.Fatalf("PendingTransfer = %+v, %v", tr, ok)
	}
	d = mustReplay(t, given(created(), toB, received))
	if org, ok := d.ManagingOrg(); !ok || org != orgB || d.EmployingUnit() != unitB1 {
		t.Fatalf("after receive: managing %v %v, unit %v", org, ok, d.EmployingUnit())
	}
	if _, ok := d.PendingTransfer(); ok {
		t.Fatal("transfer still pending after receive")
	}

	h := given(created(), out, TransferReceived{TransferID: transferID, Kind: TransferOutOfProvince})
	d = mustReplay(t, h)
	if _, ok := d.ManagingOrg(); ok || !d.ManagementRevoked() || !d.Archived() || d.Status() != StatusTransferredOut {
		t.Fatalf("after out of province: revoked %v archived %v status %v", d.ManagementRevoked(), d.Archived(), d.Status())
	}
	if doc := d.Document(); doc.Header.ManagingOrg != nil || !doc.Header.ManagementRevoked {
		t.Fatalf("document header = %+v", doc.Header)
	}
	// Reactivating (the hand-over was recorded by mistake) restores the org.
	h = given(created(), out, TransferReceived{TransferID: transferID, Kind: TransferOutOfProvince},
		Corrected{Corrects: eventID(2), Reactivate: true})
	d = mustReplay(t, h)
	if org, ok := d.ManagingOrg(); !ok || org != orgA || d.Archived() || d.Status() != StatusActive || d.ManagementRevoked() {
		t.Fatalf("after reactivation: managing %v %v archived %v status %v", org, ok, d.Archived(), d.Status())
	}
}

func TestChangeStatus(t *testing.T) {
	t.Parallel()
	worker := created()
	worker.Class = ClassNguoiLaoDong
	runCommandCases(t, []commandCase{
		{name: "retire", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusRetired, meta()) },
			then: []domain.Event{StatusChanged{Status: StatusRetired}}},
		{name: "transferred out directly", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusTransferredOut, meta()) },
			then: []domain.Event{StatusChanged{Status: StatusTransferredOut}}},
		{name: "contract ended for a worker", given: []domain.Event{worker},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusContractEnded, meta()) },
			then: []domain.Event{StatusChanged{Status: StatusContractEnded}}},
		{name: "civil servants hold no contract", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusContractEnded, meta()) },
			err:  &wantErr{kind: invalid, fields: []string{"status:class"}}},
		{name: "active is not a status change", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusActive, noSource(meta())) },
			err:  &wantErr{kind: invalid, fields: []string{"status:enum", "meta/source:required"}}},
		{name: "unset", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(Status{}, meta()) },
			err:  &wantErr{kind: invalid, fields: []string{"status:required"}}},
		{name: "while a transfer is pending", given: []domain.Event{created(), toB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusDeceased, meta()) },
			err:  &wantErr{kind: conflict, rule: "transfer_pending"}},
		{name: "twice", given: []domain.Event{created(), StatusChanged{Status: StatusRetired}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.ChangeStatus(StatusDeceased, meta()) },
			err:  &wantErr{kind: conflict, rule: "archived"}},
	})
	d := mustReplay(t, given(created(), StatusChanged{Status: StatusDownsized}))
	if !d.Archived() || d.Status() != StatusDownsized {
		t.Fatalf("after downsizing: archived %v status %v", d.Archived(), d.Status())
	}
	if org, ok := d.ManagingOrg(); !ok || org != orgA {
		t.Fatalf("downsizing must keep the managing org, got %v %v", org, ok)
	}
	d = mustReplay(t, given(created(), StatusChanged{Status: StatusTransferredOut}))
	if _, ok := d.ManagingOrg(); ok || !d.ManagementRevoked() {
		t.Fatal("transferred_out must revoke management")
	}
}

func TestProposals(t *testing.T) {
	t.Parallel()
	pid, pid2 := id(600), id(601)
	health := Health{Status: "Tốt", HeightCM: 170, WeightKG: 65, BloodGroup: "O"}
	wife := Row{Table: TableFamily, Family: &FamilyRow{ID: id(602), Side: FamilyOwn, Relation: "Vợ", Name: "Trần Thị Bình", BirthYear: 1992}}
	change := ProposalSubmitted{ProposalID: pid, Kind: ProposalChange, Patch: Patch{Health: &health}}
	supp := ProposalSubmitted{ProposalID: pid, Kind: ProposalAnnualSupplement, Year: 2023, Patch: Patch{Rows: []Row{wife}}}
	pm := withOrg(noSource(meta()), domain.OrgID{})
	pm.Actor.Account = person
	edited := Patch{Health: &Health{Status: "Tốt", HeightCM: 171, WeightKG: 65, BloodGroup: "O"}}
	runCommandCases(t, []commandCase{
		{name: "propose a change", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalChange, Patch: Patch{Health: &health}}, pm, cat)
			},
			then: []domain.Event{change}},
		{name: "annual supplement", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalAnnualSupplement, Year: 2023, Patch: Patch{Rows: []Row{wife}}}, pm, cat)
			},
			then: []domain.Event{supp}},
		{name: "nothing changed this year", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalAnnualSupplement, Year: 2024}, pm, cat)
			},
			then: []domain.Event{ProposalSubmitted{ProposalID: pid, Kind: ProposalAnnualSupplement, Year: 2024}}},
		{name: "empty change, header, year", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{Kind: ProposalChange, Year: 2020, Patch: Patch{Header: &HeaderPatch{}}}, pm, cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"proposal_id:required", "year:not_allowed", "patch/header:not_allowed"}}},
		{name: "empty change", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalChange}, pm, cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch:required"}}},
		{name: "supplement for a future year", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalAnnualSupplement, Year: 2031}, pm, cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"year:range"}}},
		{name: "supplement without year, unknown kind", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalAnnualSupplement}, pm, cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"year:required"}}},
		{name: "unknown kind", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: "wish", Patch: Patch{Health: &health}}, pm, cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"kind:enum"}}},
		{name: "proposal id reused", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalChange, Patch: Patch{Health: &health}}, pm, cat)
			},
			err: &wantErr{kind: conflict, rule: "duplicate_proposal"}},
		{name: "second supplement for a year under review", given: []domain.Event{created(), supp},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid2, Kind: ProposalAnnualSupplement, Year: 2023}, pm, cat)
			},
			err: &wantErr{kind: conflict, rule: "proposal_pending"}},
		{name: "supplement for a year already accepted", given: []domain.Event{created(), supp, ProposalAccepted{ProposalID: pid, Patch: supp.Patch}},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid2, Kind: ProposalAnnualSupplement, Year: 2023}, pm, cat)
			},
			err: &wantErr{kind: conflict, rule: "already_supplemented"}},
		{name: "resubmit after a rejected supplement", given: []domain.Event{created(), supp, ProposalRejected{ProposalID: pid}},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid2, Kind: ProposalAnnualSupplement, Year: 2023}, pm, cat)
			},
			then: []domain.Event{ProposalSubmitted{ProposalID: pid2, Kind: ProposalAnnualSupplement, Year: 2023}}},
		{name: "archived", given: []domain.Event{created(), StatusChanged{Status: StatusRetired}},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.SubmitProposal(ProposalDraft{ProposalID: pid, Kind: ProposalChange, Patch: Patch{Health: &health}}, pm, cat)
			},
			err: &wantErr{kind: conflict, rule: "archived"}},
		{name: "accept as submitted", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AcceptProposal(pid, nil, noSource(meta()), cat) },
			then: []domain.Event{ProposalAccepted{ProposalID: pid, Patch: change.Patch}}},
		{name: "accept edited", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AcceptProposal(pid, &edited, noSource(meta()), cat) },
			then: []domain.Event{ProposalAccepted{ProposalID: pid, Patch: edited, Edited: true}}},
		{name: "accept a state-side edit without decision", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AcceptProposal(pid, &Patch{Salary: &Salary{Rank: "01.003"}}, noSource(meta()), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "accept an edit with a bad code", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.AcceptProposal(pid, &Patch{Salary: &Salary{Rank: "bogus"}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/salary/rank:catalogue"}}},
		{name: "accept an unknown proposal", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AcceptProposal(pid, nil, meta(), cat) },
			err:  &wantErr{kind: notFound}},
		{name: "accept twice", given: []domain.Event{created(), change, ProposalAccepted{ProposalID: pid, Patch: change.Patch}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.AcceptProposal(pid, nil, meta(), cat) },
			err:  &wantErr{kind: conflict, rule: "proposal_closed"}},
		{name: "reject", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) { return d.RejectProposal(pid, withReason(meta())) },
			then: []domain.Event{ProposalRejected{ProposalID: pid}}},
		{name: "reject without reason", given: []domain.Event{created(), change},
			when: func(d *Dossier) ([]domain.Event, error) { return d.RejectProposal(pid, meta()) },
			err:  &wantErr{kind: invalid, fields: []string{"meta/reason:required"}}},
		{name: "reject a rejected one", given: []domain.Event{created(), change, ProposalRejected{ProposalID: pid}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.RejectProposal(pid, withReason(meta())) },
			err:  &wantErr{kind: conflict, rule: "proposal_closed"}},
	})

	change2 := change
	change2.ProposalID = pid2
	d := mustReplay(t, given(created(), supp, ProposalAccepted{ProposalID: pid, Patch: supp.Patch}, change2))
	if doc := d.Document(); len(doc.Family) != 1 || doc.Family[0].Name != "Trần Thị Bình" {
		t.Fatalf("family after accepted supplement = %+v", doc.Family)
	}
	ps := d.Proposals()
	if len(ps) != 2 || ps[0].ID != pid2 || ps[0].State != ProposalStatePending || ps[1].ID != pid || ps[1].State != ProposalStateAccepted {
		t.Fatalf("Proposals = %+v, want the pending change first, then the accepted supplement", ps)
	}
	if p, ok := d.Proposal(pid2); !ok || p.SubmittedBy != hr || p.Kind != ProposalChange {
		t.Fatalf("Proposal(%v) = %+v, %v", pid2, p, ok)
	}
	if _, ok := d.Proposal(id(9999)); ok {
		t.Fatal("Proposal of an unknown id reported ok")
	}
}

func TestIssueCivilServantNumber(t *testing.T) {
	t.Parallel()
	runCommandCases(t, []commandCase{
		{name: "issue", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber(" 01.003-000123 ", meta()) },
			then: []domain.Event{CivilServantNumberIssued{Number: "01.003-000123"}}},
		{name: "only once", given: []domain.Event{created(), CivilServantNumberIssued{Number: "1"}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber("2", meta()) },
			err:  &wantErr{kind: conflict, rule: "already_issued"}},
		{name: "empty and without decision", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber(" ", noSource(meta())) },
			err:  &wantErr{kind: invalid, fields: []string{"number:required", "meta/source:required"}}},
		{name: "bad characters", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber("số 12", meta()) },
			err:  &wantErr{kind: invalid, fields: []string{"number:format"}}},
		{name: "archived", given: []domain.Event{created(), StatusChanged{Status: StatusRetired}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber("1", meta()) },
			err:  &wantErr{kind: conflict, rule: "archived"}},
	})
	if d := mustReplay(t, given(created(), CivilServantNumberIssued{Number: "42"})); d.CivilServantNumber() != "42" {
		t.Fatalf("CivilServantNumber = %q", d.CivilServantNumber())
	}
}

func TestReassignManagingOrg(t *testing.T) {
	t.Parallel()
	cause := Cause{Kind: "merge", OrgID: orgA, EventID: id(700)}
	employedByA := created()
	employedByA.EmployingUnit = orgA
	moved := ManagingOrgChanged{FromOrg: orgA, ToOrg: orgC, EmployingUnit: unitA1, Cause: cause}
	runCommandCases(t, []commandCase{
		{name: "merge keeps a sub-unit", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReassignManagingOrg(Reassignment{FromOrg: orgA, ToOrg: orgC, Cause: cause}, meta())
			},
			then: []domain.Event{moved}},
		{name: "employed by the merged org itself", given: []domain.Event{employedByA},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReassignManagingOrg(Reassignment{FromOrg: orgA, ToOrg: orgC, Cause: cause}, meta())
			},
			then: []domain.Event{ManagingOrgChanged{FromOrg: orgA, ToOrg: orgC, EmployingUnit: orgC, Cause: cause}}},
		{name: "idempotent per cause", given: []domain.Event{created(), moved},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReassignManagingOrg(Reassignment{FromOrg: orgA, ToOrg: orgC, Cause: cause}, meta())
			},
			then: nil},
		{name: "managed by someone else now", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReassignManagingOrg(Reassignment{FromOrg: orgB, ToOrg: orgC, Cause: cause}, meta())
			},
			err: &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "payload rules", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReassignManagingOrg(Reassignment{FromOrg: orgA, ToOrg: orgA, Cause: Cause{Kind: "whim"}}, noSource(meta()))
			},
			err: &wantErr{kind: invalid, fields: []string{"to_org:same_org", "cause/kind:enum", "cause/org_id:required",
				"cause/event_id:required", "meta/source:required"}}},
		{name: "archived", given: []domain.Event{created(), StatusChanged{Status: StatusRetired}},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.ReassignManagingOrg(Reassignment{FromOrg: orgA, ToOrg: orgC, Cause: cause}, meta())
			},
			err: &wantErr{kind: conflict, rule: "archived"}},
	})
	d := mustReplay(t, given(created(), moved))
	if org, _ := d.ManagingOrg(); org != orgC || d.EmployingUnit() != unitA1 {
		t.Fatalf("after merge: managing %v unit %v", org, d.EmployingUnit())
	}
}

func TestReplayRejectsBadHistories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    []domain.Recorded
		kind error
	}{
		{"empty", nil, notFound},
		{"no creation first", given(StatusChanged{Status: StatusRetired}), invalid},
		{"created twice", given(created(), created()), invalid},
		{"versions not increasing", func() []domain.Recorded {
			h := given(created(), CivilServantNumberIssued{Number: "1"})
			h[1].Version = 1
			return h
		}(), invalid},
		{"correction of a later event", func() []domain.Recorded {
			return given(created(), Corrected{Corrects: eventID(2), Reactivate: true}, StatusChanged{Status: StatusRetired})
		}(), invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Replay(tc.h); !errorsIs(err, tc.kind) {
				t.Fatalf("Replay err = %v, want %v", err, tc.kind)
			}
		})
	}
}

func TestCorrectionFoldsAfterItsTarget(t *testing.T) {
	t.Parallel()
	fixed := identity()
	fixed.BirthName, fixed.BirthNameCaps = "Nguyễn Văn Ân", "NGUYỄN VĂN ÂN"
	later := identity()
	later.OtherNames = "Tí"
	// The creation's name is corrected after a later identity update:
	// the later update still wins, the correction shows in the past.
	h := given(created(), SectionUpdated{Patch: Patch{Identity: &later}}, Corrected{Corrects: eventID(0), Patch: Patch{Identity: &fixed}})
	if got := mustReplay(t, h).Document().Identity; got.BirthName != "Nguyễn Văn An" || got.OtherNames != "Tí" {
		t.Fatalf("identity = %+v, want the later update", got)
	}
	// Correcting the latest event changes the present.
	h = given(created(), SectionUpdated{Patch: Patch{Identity: &later}}, Corrected{Corrects: eventID(1), Patch: Patch{Identity: &fixed}})
	d := mustReplay(t, h)
	if got := d.Document().Identity; got.BirthName != "Nguyễn Văn Ân" {
		t.Fatalf("identity = %+v, want the correction", got)
	}
	if d.Version() != 3 {
		t.Fatalf("Version = %d, want 3", d.Version())
	}
	// A correction of a correction folds after the one it corrects.
	again := fixed
	again.OtherNames = "Tèo"
	h = given(created(), Corrected{Corrects: eventID(0), Patch: Patch{Identity: &fixed}}, SectionUpdated{Patch: Patch{Identity: &later}},
		Corrected{Corrects: eventID(1), Patch: Patch{Identity: &again}})
	if got := mustReplay(t, h).Document().Identity; got.OtherNames != "Tí" {
		t.Fatalf("identity = %+v, want the later update to win", got)
	}
}

func TestRowAmendedInPlace(t *testing.T) {
	t.Parallel()
	h := given(created(), RowAdded{Row: familyRow(1, "A")}, RowAdded{Row: familyRow(2, "B")}, RowAmended{Row: familyRow(1, "A2")})
	doc := mustReplay(t, h).Document()
	if len(doc.Family) != 2 || doc.Family[0].Name != "A2" || doc.Family[1].Name != "B" {
		t.Fatalf("family = %+v", doc.Family)
	}
	// The accessor's copy is the caller's.
	doc.Family[0].Name = "mutated"
	if mustReplay(t, h).Document().Family[0].Name != "A2" {
		t.Fatal("Document shares memory with the aggregate")
	}
}

func TestPhoto(t *testing.T) {
	t.Parallel()
	runCommandCases(t, []commandCase{
		{name: "photo by hash, no decision needed", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Header: &HeaderPatch{PhotoSHA256: sha2hex}}, noSource(meta()), cat)
			},
			then: []domain.Event{SectionUpdated{Patch: Patch{Header: &HeaderPatch{PhotoSHA256: sha2hex}}}}},
		{name: "photo hash malformed", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Header: &HeaderPatch{PhotoSHA256: "AB" + sha2hex[2:]}}, meta(), cat)
			},
			err: &wantErr{kind: invalid, fields: []string{"patch/header/photo_sha256:format"}}},
	})
}

// TestReactivate: TG 10.1 — a person received back (from another province,
// or re-employed) has the archived dossier reactivated by decision under
// the receiving org, the same dossier and history; an active dossier is not
// reactivated again, and a deceased person's never.
func TestReactivate(t *testing.T) {
	t.Parallel()
	retired := StatusChanged{Status: StatusRetired}
	back := Reactivated{ManagingOrg: orgC, EmployingUnit: orgC, Departure: eventID(1), FromStatus: StatusRetired}
	runCommandCases(t, []commandCase{
		{name: "retired person re-employed (TG 10.1)", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Reactivate(Reactivation{ManagingOrg: orgC}, withOrg(meta(), orgC))
			},
			then: []domain.Event{back}},
		{name: "already active", given: []domain.Event{created(), retired, back},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Reactivate(Reactivation{ManagingOrg: orgC}, withOrg(meta(), orgC))
			},
			err: &wantErr{kind: conflict, rule: "not_archived"}},
		{name: "deceased", given: []domain.Event{created(), StatusChanged{Status: StatusDeceased}},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Reactivate(Reactivation{ManagingOrg: orgC}, withOrg(meta(), orgC))
			},
			err: &wantErr{kind: conflict, rule: "deceased"}},
		{name: "without decision or org", given: []domain.Event{created(), retired},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.Reactivate(Reactivation{}, noSource(meta()))
			},
			err: &wantErr{kind: invalid, fields: []string{"managing_org:required", "meta/source:required"}}},
	})
	d := mustReplay(t, given(created(), StatusChanged{Status: StatusTransferredOut},
		Reactivated{ManagingOrg: orgC, EmployingUnit: orgC, Departure: eventID(1), FromStatus: StatusTransferredOut}))
	if org, ok := d.ManagingOrg(); !ok || org != orgC || d.Archived() || d.ManagementRevoked() || d.Status() != StatusActive || d.EmployingUnit() != orgC {
		t.Fatalf("after reactivation: managing %v %v, archived %v, revoked %v, status %v", org, ok, d.Archived(), d.ManagementRevoked(), d.Status())
	}
}

// TestTransferRequests: HU 10.2 (the receiving org asks the old org for the
// dossier) and BT 10 (with transfer_on_request, a transfer between orgs
// starts only on the receiving org's written request).
func TestTransferRequests(t *testing.T) {
	t.Parallel()
	reqB := TransferRequested{RequestID: id(600), RequestingOrg: orgB}
	order := TransferOrder{TransferID: transferID, Kind: TransferBetweenOrgs, TargetOrg: orgB, TargetUnit: unitB1, RequireRequest: true}
	runCommandCases(t, []commandCase{
		{name: "HU 10.2: the receiving org lodges its request", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.RequestTransfer(TransferRequest{RequestID: id(600), RequestingOrg: orgB}, withOrg(meta(), orgB))
			},
			then: []domain.Event{reqB}},
		{name: "only by the requesting org", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.RequestTransfer(TransferRequest{RequestID: id(600), RequestingOrg: orgB}, meta())
			},
			err: &wantErr{kind: conflict, rule: "wrong_org"}},
		{name: "not by the managing org", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.RequestTransfer(TransferRequest{RequestID: id(600), RequestingOrg: orgA}, meta())
			},
			err: &wantErr{kind: conflict, rule: "same_org"}},
		{name: "with its document", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.RequestTransfer(TransferRequest{RequestingOrg: orgB}, noSource(withOrg(meta(), orgB)))
			},
			err: &wantErr{kind: invalid, fields: []string{"meta/source:required", "request_id:required"}}},
		{name: "BT 10: no transfer without the request", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, meta()) },
			err:  &wantErr{kind: conflict, rule: RuleTransferRequestRequired}},
		{name: "BT 10: another org's request is not the target's", given: []domain.Event{created(), TransferRequested{RequestID: id(601), RequestingOrg: unitA2}},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, meta()) },
			err:  &wantErr{kind: conflict, rule: RuleTransferRequestRequired}},
		{name: "BT 10: on the target's request", given: []domain.Event{created(), reqB},
			when: func(d *Dossier) ([]domain.Event, error) { return d.InitiateTransfer(order, meta()) },
			then: []domain.Event{toB}},
		{name: "BT 10: a request answers one transfer", given: []domain.Event{created(), reqB, toB, TransferCancelled{TransferID: transferID}},
			when: func(d *Dossier) ([]domain.Event, error) {
				o := order
				o.TransferID = id(502)
				return d.InitiateTransfer(o, meta())
			},
			err: &wantErr{kind: conflict, rule: RuleTransferRequestRequired}},
	})
}
