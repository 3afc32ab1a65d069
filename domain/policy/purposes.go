package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
)

// Purpose is why a dossier is read. Decree 27/2026 (as summarised in
// docs/domain.md; the article is to verify) lets the managing agency read
// its people's dossiers for personnel work within its competence and asks
// for the person's consent otherwise; the Personal Data Protection Law
// 91/2025/QH15 asks that every processing have a legal basis and be
// logged. So a read outside personnel work states its purpose, from this
// closed catalogue, with the reference of the act behind it (an inspection
// decision, a court's request…), and the policy says which purposes need
// the person's recorded consent. The zero Purpose is invalid.
type Purpose struct{ name string }

// The closed set of purposes.
var (
	// PurposePersonnel: personnel work of the managing org's (or the
	// employing unit's) HR, within their competence. Never stated:
	// it is what an HR, approver or self grant reads for.
	PurposePersonnel = Purpose{"personnel"}
	// PurposeInspection: an inspection (thanh tra, kiểm tra) under a
	// decision of the inspecting body.
	PurposeInspection = Purpose{"inspection"}
	// PurposeAudit: the State Audit (kiểm toán nhà nước) or an internal audit.
	PurposeAudit = Purpose{"audit"}
	// PurposeStatistics: statistics or research on one person's dossier
	// (aggregates go through the reports, which read no dossier).
	PurposeStatistics = Purpose{"statistics"}
	// PurposeCourt: a request of a court or a procuracy.
	PurposeCourt = Purpose{"court"}
	// PurposePolice: a request of an investigating body (police) under the
	// criminal procedure or a security law.
	PurposePolice = Purpose{"police"}
	// PurposeTransfer: handing data to another state body (not a transfer
	// of the dossier, which is personnel work of the orgs concerned).
	PurposeTransfer = Purpose{"transfer"}
	// PurposeOther: anything else; the reference says what.
	PurposeOther = Purpose{"other"}
)

var purposes = []Purpose{PurposePersonnel, PurposeInspection, PurposeAudit, PurposeStatistics, PurposeCourt,
	PurposePolice, PurposeTransfer, PurposeOther}

// Purposes lists every purpose, personnel work first.
func Purposes() []Purpose { return slices.Clone(purposes) }

// ParsePurpose returns the purpose named s; an unknown name gives an error
// wrapping domain.ErrInvalid.
func ParsePurpose(s string) (Purpose, error) {
	for _, p := range purposes {
		if p.name == s {
			return p, nil
		}
	}
	return Purpose{}, fmt.Errorf("policy: unknown purpose %q: %w", s, domain.ErrInvalid)
}

func (p Purpose) String() string { return p.name }

// IsZero reports whether p is the invalid zero value.
func (p Purpose) IsZero() bool { return p.name == "" }

// MarshalText writes the stable name.
func (p Purpose) MarshalText() ([]byte, error) { return []byte(p.name), nil }

// UnmarshalText reads a stable name; anything else wraps domain.ErrInvalid.
func (p *Purpose) UnmarshalText(b []byte) error {
	v, err := ParsePurpose(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// PurposeRule says what a read for one purpose needs besides the caller's
// grant: the person's recorded consent, and a reference (the number of the
// decision or request behind the read).
type PurposeRule struct {
	Purpose           Purpose `json:"purpose"`
	ConsentRequired   bool    `json:"consent_required"`
	ReferenceRequired bool    `json:"reference_required"`
	Article           string  `json:"article"`
	Note              string  `json:"note,omitempty"`
	Layer             Layer   `json:"-"`
}

type rawPurposeRule struct {
	Purpose           string `json:"purpose"`
	ConsentRequired   *bool  `json:"consent_required"`
	ReferenceRequired bool   `json:"reference_required"`
	Article           string `json:"article"`
	Note              string `json:"note"`
}

// ReadPurposes lists the purpose rules of every layer, national first.
func (p Policy) ReadPurposes() []PurposeRule { return slices.Clone(p.purposes) }

// ReadPurpose is the rule a read for purpose follows. Of several layers the
// stricter wins, field by field: a province may require consent or a
// reference where the decree does not, never waive them. A purpose no layer
// lists is refused (ok false): the catalogue of a deployment is what its
// policy files say, and personnel work is never listed (it needs no rule).
func (p Policy) ReadPurpose(purpose Purpose) (PurposeRule, bool) {
	var out PurposeRule
	found := false
	for _, r := range p.purposes {
		if r.Purpose != purpose {
			continue
		}
		if !found {
			out, found = r, true
			continue
		}
		if r.ConsentRequired && !out.ConsentRequired || r.ReferenceRequired && !out.ReferenceRequired {
			out.Article, out.Note, out.Layer = r.Article, r.Note, r.Layer
		}
		out.ConsentRequired = out.ConsentRequired || r.ConsentRequired
		out.ReferenceRequired = out.ReferenceRequired || r.ReferenceRequired
	}
	return out, found
}

// parsePurposes validates the read_purposes of a policy file into p,
// adding each problem to v.
func parsePurposes(v *domain.ValidationError, raw []rawPurposeRule, layer Layer, text func(field, s string, required bool)) []PurposeRule {
	var out []PurposeRule
	seen := map[Purpose]string{}
	for i, r := range raw {
		f := "read_purposes/" + strconv.Itoa(i) + "/"
		pur, err := ParsePurpose(r.Purpose)
		switch {
		case r.Purpose == "":
			v.Add(f+"purpose", "required", "")
		case err != nil:
			v.Add(f+"purpose", "enum", "one of "+names(purposes[1:]))
		case pur == PurposePersonnel:
			v.Add(f+"purpose", "personnel", "personnel work within the managing org's competence needs no rule (Decree 27/2026)")
		case seen[pur] != "":
			v.Add(f+"purpose", "unique", pur.name+" already has a rule at "+seen[pur])
		}
		if r.ConsentRequired == nil {
			v.Add(f+"consent_required", "required", "true or false")
		}
		text(f+"article", r.Article, true)
		text(f+"note", r.Note, false)
		if err == nil && pur != PurposePersonnel && seen[pur] == "" && r.ConsentRequired != nil {
			seen[pur] = strings.TrimSuffix(f, "/")
			out = append(out, PurposeRule{Purpose: pur, ConsentRequired: *r.ConsentRequired,
				ReferenceRequired: r.ReferenceRequired, Article: r.Article, Note: r.Note, Layer: layer})
		}
	}
	return out
}
