package policy

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// TestStaffingQuotaReading_PT5_2d_TG5_1b: whether labour-contract workers
// count against the biên chế is a policy option; the presets keep them
// apart, each with its article, and a province's file can count them. A
// composed deployment takes the provincial reading, and a file that states
// none gets the default (apart).
func TestStaffingQuotaReading_PT5_2d_TG5_1b(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		preset, article string
	}{
		{"phu-tho-2021", "Điều 5.2đ"},
		{"binh-tan-2013", "Điều 2.2b–c, 8.1"},
		{"tien-giang-2025", "Điều 5.1b"},
		{"hue-health-2017", "Điều 2.2"},
		{"binh-dinh-2022", ""},
	} {
		p, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		got := ForDeployment(p).StaffingQuota()
		if got.ContractWorkersInQuota || got.Article != tc.article {
			t.Errorf("%s: StaffingQuota() = %+v, want contract workers apart, article %q", tc.preset, got, tc.article)
		}
	}
	base := `{"name":"dong-thap-2026","title":"t","source":"s","deadlines":[{"action":"create_dossier","amount":3,"unit":"days","anchor":"decision_date"}]`
	p, err := Parse([]byte(base + `,"staffing_quota":{"contract_workers_in_quota":true,"article":"Điều 7"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := ForDeployment(p).StaffingQuota(); !got.ContractWorkersInQuota || got.Article != "Điều 7" {
		t.Errorf("composed StaffingQuota() = %+v, want the province's reading", got)
	}
	// The option survives a round trip through the file form.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil || back.StaffingQuota() != p.StaffingQuota() {
		t.Errorf("round trip: %+v, %v; want %+v", back.StaffingQuota(), err, p.StaffingQuota())
	}
	for _, bad := range []struct{ body, field string }{
		{`,"staffing_quota":{"article":"Điều 7"}}`, "staffing_quota/contract_workers_in_quota"},
		{`,"staffing_quota":{"contract_workers_in_quota":false}}`, "staffing_quota/article"},
	} {
		if _, err := Parse([]byte(base + bad.body)); err == nil || !hasField(err, bad.field) {
			t.Errorf("Parse(%s) = %v, want a problem at %s", bad.body, err, bad.field)
		}
	}
}

func hasField(err error, field string) bool {
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	for _, p := range v.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}
