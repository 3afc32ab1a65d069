package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

func TestReadPurposesOfTheNationalLayer(t *testing.T) {
	t.Parallel()
	p := ForDeployment(mustPreset(t, DefaultPreset))
	for _, tc := range []struct {
		purpose            Purpose
		consent, reference bool
	}{
		{PurposeInspection, false, true},
		{PurposeAudit, false, true},
		{PurposeStatistics, true, false},
		{PurposeCourt, false, true},
		{PurposePolice, false, true},
		{PurposeTransfer, true, true},
		{PurposeOther, true, true},
	} {
		r, ok := p.ReadPurpose(tc.purpose)
		if !ok || r.ConsentRequired != tc.consent || r.ReferenceRequired != tc.reference || r.Article == "" {
			t.Errorf("ReadPurpose(%s) = %+v, %v; want consent %v, reference %v, an article", tc.purpose, r, ok, tc.consent, tc.reference)
		}
	}
	if _, ok := p.ReadPurpose(PurposePersonnel); ok {
		t.Error("personnel work has a purpose rule; it needs none")
	}
}

func TestReadPurposesStricterLayerWins(t *testing.T) {
	t.Parallel()
	prov, err := Parse([]byte(`{"name":"strict","title":"t","source":"s","read_purposes":[
		{"purpose":"inspection","consent_required":true,"article":"QĐ tỉnh 1"},
		{"purpose":"statistics","consent_required":false,"reference_required":true,"article":"QĐ tỉnh 2"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := ForDeployment(prov)
	if r, _ := p.ReadPurpose(PurposeInspection); !r.ConsentRequired || !r.ReferenceRequired || r.Article != "QĐ tỉnh 1" {
		t.Errorf("inspection = %+v, want the province's consent and the decree's reference", r)
	}
	// The province cannot waive the decree's consent.
	if r, _ := p.ReadPurpose(PurposeStatistics); !r.ConsentRequired || !r.ReferenceRequired {
		t.Errorf("statistics = %+v, want consent (decree) and reference (province)", r)
	}
}

func TestReadPurposesParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rules, field, rule string
	}{
		{`{"consent_required":true,"article":"a"}`, "read_purposes/0/purpose", "required"},
		{`{"purpose":"gossip","consent_required":true,"article":"a"}`, "read_purposes/0/purpose", "enum"},
		{`{"purpose":"personnel","consent_required":false,"article":"a"}`, "read_purposes/0/purpose", "personnel"},
		{`{"purpose":"court","article":"a"}`, "read_purposes/0/consent_required", "required"},
		{`{"purpose":"court","consent_required":false}`, "read_purposes/0/article", "required"},
		{`{"purpose":"court","consent_required":false,"article":"a"},{"purpose":"court","consent_required":true,"article":"b"}`, "read_purposes/1/purpose", "unique"},
	} {
		_, err := Parse([]byte(`{"name":"x","title":"t","source":"s","read_purposes":[` + tc.rules + `]}`))
		var v *domain.ValidationError
		if !errors.As(err, &v) {
			t.Errorf("Parse(%s) = %v, want a validation error", tc.rules, err)
			continue
		}
		found := false
		for _, p := range v.Problems {
			found = found || p.Field == tc.field && p.Rule == tc.rule
		}
		if !found {
			t.Errorf("Parse(%s) = %v, want %s %s", tc.rules, err, tc.field, tc.rule)
		}
	}
	for _, p := range Purposes() {
		if q, err := ParsePurpose(p.String()); err != nil || q != p {
			t.Errorf("ParsePurpose(%s) = %v, %v", p, q, err)
		}
	}
	if _, err := ParsePurpose(strings.ToUpper("court")); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("ParsePurpose(COURT) = %v, want ErrInvalid", err)
	}
}
