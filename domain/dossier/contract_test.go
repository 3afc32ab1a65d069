package dossier

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

func contract() LabourContract {
	return LabourContract{Number: "15/2024/HĐLĐ", SignedOn: domain.MustDate(2024, 2, 26), SignedAt: "Mỹ Tho",
		EmployerRepresentative: "Trần Văn Giám", EmployerRepresentativeTitle: "Giám đốc", Kind: ContractFixedTerm,
		From: domain.MustDate(2024, 3, 1), To: domain.MustDate(2027, 2, 28), Workplace: "Văn phòng Sở",
		JobTitle: "Nhân viên lái xe", Duties: "Lái xe phục vụ công tác", WorkingHours: "8 giờ/ngày, thứ Hai – thứ Sáu",
		WageVND: 6_200_000, PayForm: "chuyển khoản", Allowances: "Phụ cấp trách nhiệm"}
}

// TestLabourContract_TG5_1b: a labour-contract worker (người lao động) is
// recorded on their own form, the labour contract (TG 5.1b: Circular
// 05/2023/TT-BNV, Appendix II), with its required items; only a dossier of
// class nguoi_lao_dong holds one; it is state-side (the contract is its
// source document); a fixed term is at most 36 months (Labour Code 2019
// art. 20.1b).
func TestLabourContract_TG5_1b(t *testing.T) {
	t.Parallel()
	worker := created()
	worker.Class = ClassNguoiLaoDong
	good := contract()
	with := func(f func(*LabourContract)) *LabourContract { c := contract(); f(&c); return &c }
	update := func(lc *LabourContract, m domain.Meta) func(d *Dossier) ([]domain.Event, error) {
		return func(d *Dossier) ([]domain.Event, error) { return d.UpdateSection(Patch{LabourContract: lc}, m, cat) }
	}
	runCommandCases(t, []commandCase{
		{name: "a worker's contract", given: []domain.Event{worker}, when: update(&good, meta()),
			then: []domain.Event{SectionUpdated{Patch: Patch{LabourContract: &good}}}},
		{name: "indefinite, no end", given: []domain.Event{worker},
			when: update(with(func(c *LabourContract) { c.Kind, c.To = ContractIndefinite, domain.Date{} }), meta()),
			then: []domain.Event{SectionUpdated{Patch: Patch{LabourContract: with(func(c *LabourContract) { c.Kind, c.To = ContractIndefinite, domain.Date{} })}}}},
		{name: "a civil servant holds none", given: []domain.Event{created()}, when: update(&good, meta()),
			err: &wantErr{kind: invalid, fields: []string{"patch/labour_contract:class"}}},
		{name: "a class change to worker in the same patch", given: []domain.Event{created()},
			when: func(d *Dossier) ([]domain.Event, error) {
				return d.UpdateSection(Patch{Header: &HeaderPatch{Class: ClassNguoiLaoDong}, LabourContract: &good}, meta(), cat)
			},
			then: []domain.Event{SectionUpdated{Patch: Patch{Header: &HeaderPatch{Class: ClassNguoiLaoDong}, LabourContract: &good}}}},
		{name: "needs the contract as its source", given: []domain.Event{worker}, when: update(&good, noSource(meta())),
			err: &wantErr{kind: invalid, fields: []string{"meta/source:required"}}},
		{name: "the form's required items", given: []domain.Event{worker}, when: update(&LabourContract{}, meta()),
			err: &wantErr{kind: invalid, fields: []string{"patch/labour_contract/number:required", "patch/labour_contract/signed_on:required",
				"patch/labour_contract/from:required", "patch/labour_contract/duties:required", "patch/labour_contract/kind:required"}}},
		{name: "a fixed term beyond 36 months", given: []domain.Event{worker},
			when: update(with(func(c *LabourContract) { c.To = domain.MustDate(2027, 3, 2) }), meta()),
			err:  &wantErr{kind: invalid, fields: []string{"patch/labour_contract/to:range"}}},
		{name: "a fixed term without its end", given: []domain.Event{worker},
			when: update(with(func(c *LabourContract) { c.To = domain.Date{} }), meta()),
			err:  &wantErr{kind: invalid, fields: []string{"patch/labour_contract/to:required"}}},
		{name: "an end before the start", given: []domain.Event{worker},
			when: update(with(func(c *LabourContract) { c.To = domain.MustDate(2024, 2, 1) }), meta()),
			err:  &wantErr{kind: invalid, fields: []string{"patch/labour_contract/to:range"}}},
		{name: "an indefinite contract with an end", given: []domain.Event{worker},
			when: update(with(func(c *LabourContract) { c.Kind = ContractIndefinite }), meta()),
			err:  &wantErr{kind: invalid, fields: []string{"patch/labour_contract/to:range"}}},
		{name: "an unknown kind, a future signature, a negative wage", given: []domain.Event{worker},
			when: update(with(func(c *LabourContract) {
				c.Kind, c.SignedOn, c.WageVND = "seasonal", domain.MustDate(2024, 3, 2), -1
			}), meta()),
			err: &wantErr{kind: invalid, fields: []string{"patch/labour_contract/kind:enum", "patch/labour_contract/signed_on:range", "patch/labour_contract/wage_vnd:range"}}},
	})

	// At creation: the contract comes with the worker's dossier and is in
	// the document; another class is refused.
	c := CreateDossier{DossierID: dossierID, Class: ClassNguoiLaoDong, ManagingOrg: orgA, EmployingUnit: unitA1,
		PersonalIDNumber: personalID, Identity: identity(), LabourContract: &good}
	evs, err := Create(c, meta(), cat)
	if err != nil {
		t.Fatalf("Create(worker with contract) = %v", err)
	}
	d := mustReplay(t, given(evs...))
	if got := d.Document().LabourContract; got == nil || *got != good {
		t.Fatalf("document's labour contract = %+v, want %+v", got, good)
	}
	c.Class = ClassVienChuc
	_, err = Create(c, meta(), cat)
	checkErr(t, err, &wantErr{kind: invalid, fields: []string{"labour_contract:class"}})
	// A dossier created before labour contracts existed decodes unchanged.
	old, err := Decode(TypeCreated, []byte(`{"dossier_id":"`+dossierID.String()+`","class":"nguoi_lao_dong","managing_org":"`+orgA.String()+`","employing_unit":"`+unitA1.String()+`","personal_id_number":"`+personalID+`","identity":{"birth_name":"Nguyễn Văn An","birth_name_caps":"NGUYỄN VĂN AN","gender":"male"}}`))
	if err != nil || old.(Created).LabourContract != nil {
		t.Fatalf("Decode(old created) = %+v, %v; want no contract", old, err)
	}
}
