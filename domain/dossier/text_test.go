package dossier

import (
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/vntext"
)

// TestCreateRefusesHostileText: every text of a creation — the names, the
// free text, the source document, the reason — follows the one text rule
// and its limit, and a refusal names the field.
func TestCreateRefusesHostileText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      func(*CreateDossier, *domain.Meta)
		wantField string
		wantRule  string
	}{
		{"NUL in the birth name", func(c *CreateDossier, _ *domain.Meta) { c.Identity.BirthName = "Nguyễn\x00 An" }, "identity/birth_name", vntext.RuleControl},
		{"ANSI escape in the birth name", func(c *CreateDossier, _ *domain.Meta) { c.Identity.BirthName = "\x1b[2JNguyễn An" }, "identity/birth_name", vntext.RuleControl},
		{"new line in the birth name", func(c *CreateDossier, _ *domain.Meta) { c.Identity.BirthName = "Nguyễn\nAn" }, "identity/birth_name", vntext.RuleControl},
		{"bidi override in other names", func(c *CreateDossier, _ *domain.Meta) { c.Identity.OtherNames = "\u202EnA" }, "identity/other_names", vntext.RuleBidi},
		{"zero-width space in the birth name", func(c *CreateDossier, _ *domain.Meta) { c.Identity.BirthName = "Nguy\u200Bễn An" }, "identity/birth_name", vntext.RuleInvisible},
		{"U+FFFD in the birth name", func(c *CreateDossier, _ *domain.Meta) { c.Identity.BirthName = "Nguy\uFFFDn An" }, "identity/birth_name", vntext.RuleReplacement},
		{"a name of 101 characters", func(c *CreateDossier, _ *domain.Meta) { c.Identity.BirthName = strings.Repeat("a", 101) }, "identity/birth_name", "too_long"},
		{"BEL in free text", func(c *CreateDossier, _ *domain.Meta) { c.Identity.HomeTown.Detail = "xóm\a" }, "identity/home_town/detail", vntext.RuleControl},
		{"free text of 4001 characters", func(c *CreateDossier, _ *domain.Meta) { c.Identity.HomeTown.Detail = strings.Repeat("x", 4001) }, "identity/home_town/detail", "too_long"},
		{"document number of 101 characters", func(_ *CreateDossier, m *domain.Meta) { m.Source.Number = strings.Repeat("1", 101) }, "meta/source/number", "too_long"},
		{"document issuer of 10,000 characters", func(_ *CreateDossier, m *domain.Meta) { m.Source.Issuer = strings.Repeat("Ủ", 10000) }, "meta/source/issuer", "too_long"},
		{"control character in the document kind", func(_ *CreateDossier, m *domain.Meta) { m.Source.Kind = "decision\x07" }, "meta/source/kind", vntext.RuleControl},
		{"reason of 1001 characters", func(_ *CreateDossier, m *domain.Meta) { m.Reason = strings.Repeat("r", 1001) }, "meta/reason", "too_long"},
		{"bidi isolate in the reason", func(_ *CreateDossier, m *domain.Meta) { m.Reason = "nhập sai \u2066x\u2069" }, "meta/reason", vntext.RuleBidi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := CreateDossier{DossierID: dossierID, Class: ClassCongChuc, ManagingOrg: orgA, EmployingUnit: unitA1,
				PersonalIDNumber: personalID, Identity: identity()}
			m := meta()
			tt.edit(&c, &m)
			_, err := Create(c, m, cat)
			checkErr(t, err, &wantErr{kind: domain.ErrInvalid, fields: []string{tt.wantField + ":" + tt.wantRule}})
		})
	}
	// A new line is fine where text may span lines.
	c := CreateDossier{DossierID: dossierID, Class: ClassCongChuc, ManagingOrg: orgA, EmployingUnit: unitA1,
		PersonalIDNumber: personalID, Identity: identity()}
	c.Identity.HomeTown.Detail = "xóm Đông\nthôn 3"
	if _, err := Create(c, meta(), cat); err != nil {
		t.Errorf("Create with a two-line address detail = %v, want nil", err)
	}
}
