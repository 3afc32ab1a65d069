package dossier

import (
	"fmt"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// ContractKind is the kind of a labour contract (Labour Code 2019 art.
// 20.1): of indefinite term, or of a fixed term of at most 36 months.
type ContractKind string

// Contract kinds.
const (
	ContractIndefinite ContractKind = "indefinite" // không xác định thời hạn
	ContractFixedTerm  ContractKind = "fixed_term" // xác định thời hạn
)

// MaxFixedTermMonths is the longest fixed term (Labour Code 2019 art.
// 20.1b: "không quá 36 tháng").
const MaxFixedTermMonths = 36

// LabourContract is the labour-contract worker's own form (người lao động:
// TG 5.1b, the labour-contract form of Circular 05/2023/TT-BNV, Appendix
// II), in place of the CV form's staffing items: the contract's number and
// signing, the parties' representative, its kind and term (Article 1),
// the work and place, working hours (Article 2), pay and allowances
// (Article 3). The items are reconstructed from the form as it circulates,
// not from the official PDF: treat them as approximate, as domain.md does
// for the CV form. Only a dossier of class nguoi_lao_dong holds one.
type LabourContract struct {
	Number                      string       `json:"number"`
	SignedOn                    domain.Date  `json:"signed_on,omitzero"`
	SignedAt                    string       `json:"signed_at,omitempty"`
	EmployerRepresentative      string       `json:"employer_representative,omitempty" text:"name"`
	EmployerRepresentativeTitle string       `json:"employer_representative_title,omitempty"`
	Kind                        ContractKind `json:"kind"`
	From                        domain.Date  `json:"from,omitzero"`
	To                          domain.Date  `json:"to,omitzero"`
	Workplace                   string       `json:"workplace,omitempty"`
	JobTitle                    string       `json:"job_title,omitempty"`
	Duties                      string       `json:"duties"`
	WorkingHours                string       `json:"working_hours,omitempty"`
	WageVND                     int64        `json:"wage_vnd,omitempty"`
	PayForm                     string       `json:"pay_form,omitempty"`
	Allowances                  string       `json:"allowances,omitempty"`
	OtherTerms                  string       `json:"other_terms,omitempty"`
}

// labourContract validates a contract held by a dossier of class (the
// class after the command). Problems: "class" when the dossier is not a
// labour-contract worker's; "required" for the number, signing date,
// kind, start and duties; "enum" for the kind; "range" for a signing date
// after the command's effective date, an end before the start, a fixed
// term without an end or beyond 36 months, an indefinite one with an end,
// a negative wage.
func (c checker) labourContract(path string, class Class, lc LabourContract) {
	if class != ClassNguoiLaoDong {
		c.v.Add(path, "class", fmt.Sprintf("only a labour-contract worker (nguoi_lao_dong) has a labour contract, not a %s", class))
		return
	}
	c.required(path+"/number", lc.Number)
	if lc.SignedOn.IsZero() {
		c.v.Add(path+"/signed_on", "required", "")
	}
	c.notAfter(path+"/signed_on", lc.SignedOn)
	if lc.From.IsZero() {
		c.v.Add(path+"/from", "required", "")
	}
	c.required(path+"/duties", lc.Duties)
	switch lc.Kind {
	case "":
		c.v.Add(path+"/kind", "required", "")
	case ContractIndefinite:
		if !lc.To.IsZero() {
			c.v.Add(path+"/to", "range", "a contract of indefinite term has no end")
		}
	case ContractFixedTerm:
		switch {
		case lc.To.IsZero():
			c.v.Add(path+"/to", "required", "a fixed-term contract ends")
		case !lc.From.IsZero() && lc.To.Before(lc.From):
			c.v.Add(path+"/to", "range", "before from")
		case !lc.From.IsZero() && addMonths(lc.From, MaxFixedTermMonths).Before(lc.To):
			c.v.Add(path+"/to", "range", fmt.Sprintf("a fixed term is at most %d months (Labour Code 2019 art. 20.1b)", MaxFixedTermMonths))
		}
	default:
		c.v.Add(path+"/kind", "enum", "indefinite or fixed_term")
	}
	if lc.WageVND < 0 {
		c.v.Add(path+"/wage_vnd", "range", "not negative")
	}
}

// addMonths is d plus n calendar months, the day clamped to the target
// month's length (31 January + 1 month is 28 or 29 February).
func addMonths(d domain.Date, n int) domain.Date {
	first := time.Date(d.Year(), d.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	out, err := domain.NewDate(first.Year(), first.Month(), min(d.Day(), last))
	if err != nil {
		return d // outside the calendar's range: no later date to compare with
	}
	return out
}
