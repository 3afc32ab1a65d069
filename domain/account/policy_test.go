package account

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// TestPermitsTable restates the documented table independently, cell by
// cell, so a change to the policy must change this test too.
func TestPermitsTable(t *testing.T) {
	t.Parallel()
	//                 admin hr appr insp aud self
	table := map[Action]string{
		ActionReadDossier:    "-xxx-x",
		ActionWriteDossier:   "-x---x",
		ActionReadSensitive:  "-xx--x",
		ActionExport:         "-xx---",
		ActionApproveMonth:   "--x---",
		ActionReadAudit:      "x--xx-",
		ActionManageAccounts: "x-----",
		ActionManageOrgs:     "x-----",
	}
	cols := []Role{RoleAdmin, RoleHROfficer, RoleApprover, RoleInspector, RoleAuditor, RoleSelf}
	if len(table) != len(Actions()) {
		t.Fatalf("table has %d actions, policy %d", len(table), len(Actions()))
	}
	for _, a := range Actions() {
		row, ok := table[a]
		if !ok {
			t.Fatalf("action %s missing from the table", a)
		}
		for i, r := range cols {
			if got, want := Permits(r, a), row[i] == 'x'; got != want {
				t.Errorf("Permits(%s, %s) = %v, want %v", r, a, got, want)
			}
		}
	}
	if Permits(RoleHROfficer, "delete_dossier") || Permits("owner", ActionReadDossier) {
		t.Error("unknown actions and roles must be denied")
	}
}

func TestPolicyCan(t *testing.T) {
	t.Parallel()
	// province ─┬─ dept ── unit
	//           └─ sibling
	province, dept, unit, sibling, stranger := oid(10), oid(11), oid(12), oid(13), oid(14)
	parent := map[domain.OrgID]domain.OrgID{dept: province, unit: dept, sibling: province}
	ancestry := func(o domain.OrgID) []domain.OrgID {
		chain := []domain.OrgID{o}
		for p, ok := parent[o]; ok; p, ok = parent[p] {
			chain = append(chain, p)
		}
		return chain
	}
	g := func(r Role, o domain.OrgID) Grant { return Grant{Role: r, Org: o} }
	tests := []struct {
		name   string
		grants []Grant
		action Action
		target domain.OrgID
		want   bool
	}{
		{"no grants", nil, ActionReadDossier, dept, false},
		{"hr on the org itself", []Grant{g(RoleHROfficer, dept)}, ActionWriteDossier, dept, true},
		{"hr reaches below", []Grant{g(RoleHROfficer, dept)}, ActionWriteDossier, unit, true},
		{"hr does not reach above", []Grant{g(RoleHROfficer, dept)}, ActionReadDossier, province, false},
		{"hr does not reach a sibling", []Grant{g(RoleHROfficer, dept)}, ActionReadDossier, sibling, false},
		{"the province level reaches every unit", []Grant{g(RoleHROfficer, province)}, ActionExport, unit, true},
		{"hr cannot approve", []Grant{g(RoleHROfficer, province)}, ActionApproveMonth, dept, false},
		{"approver approves below", []Grant{g(RoleApprover, dept)}, ActionApproveMonth, unit, true},
		{"approver cannot write", []Grant{g(RoleApprover, dept)}, ActionWriteDossier, dept, false},
		{"admin manages accounts", []Grant{g(RoleAdmin, province)}, ActionManageAccounts, unit, true},
		{"admin does not read dossiers", []Grant{g(RoleAdmin, province)}, ActionReadDossier, unit, false},
		{"inspector reads, not sensitive", []Grant{g(RoleInspector, province)}, ActionReadSensitive, unit, false},
		{"auditor reads the audit trail", []Grant{g(RoleAuditor, dept)}, ActionReadAudit, unit, true},
		{"two grants, the second one allows", []Grant{g(RoleAuditor, dept), g(RoleHROfficer, sibling)}, ActionWriteDossier, sibling, true},
		{"self gives nothing on an org", []Grant{{Role: RoleSelf, Dossier: dossier}}, ActionReadDossier, dept, false},
		{"unknown action", []Grant{g(RoleHROfficer, dept)}, "drop_tables", dept, false},
		{"zero target", []Grant{g(RoleHROfficer, dept)}, ActionReadDossier, domain.OrgID{}, false},
		{"org outside the tree", []Grant{g(RoleHROfficer, province)}, ActionReadDossier, stranger, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NewPolicy(tt.grants, ancestry).Can(tt.action, tt.target); got != tt.want {
				t.Errorf("Can(%s, %v) = %v, want %v", tt.action, tt.target, got, tt.want)
			}
		})
	}
}

func TestPolicyOnDossier(t *testing.T) {
	t.Parallel()
	self := NewPolicy([]Grant{{Role: RoleSelf, Dossier: dossier}}, nil)
	tests := []struct {
		name   string
		p      Policy
		action Action
		org    domain.OrgID
		d      domain.DossierID
		want   bool
	}{
		{"self reads own", self, ActionReadDossier, home, dossier, true},
		{"self declares on own", self, ActionWriteDossier, home, dossier, true},
		{"self cannot approve own", self, ActionApproveMonth, home, dossier, false},
		{"self cannot read another", self, ActionReadDossier, home, elsewho, false},
		{"zero dossier", self, ActionReadDossier, home, domain.DossierID{}, false},
		{"org grant covers the managed dossier", NewPolicy([]Grant{{Role: RoleHROfficer, Org: home}}, nil), ActionReadDossier, home, elsewho, true},
		{"nil ancestry covers only the named org", NewPolicy([]Grant{{Role: RoleHROfficer, Org: home}}, nil), ActionReadDossier, other, elsewho, false},
		{"zero policy denies", Policy{}, ActionReadDossier, home, dossier, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.CanOnDossier(tt.action, tt.org, tt.d); got != tt.want {
				t.Errorf("CanOnDossier(%s) = %v, want %v", tt.action, got, tt.want)
			}
		})
	}
}

// TestPolicyFromAccount wires the aggregate to the policy the way a caller
// does: grants on a date, then decisions.
func TestPolicyFromAccount(t *testing.T) {
	t.Parallel()
	a := given(t, orgAcct, hr, step{Restricted{Reason: "x"}, day(2024, 6, 1)})
	if !NewPolicy(a.Grants(day(2024, 5, 31)), nil).Can(ActionWriteDossier, home) {
		t.Error("before the suspension the hr grant should allow writing")
	}
	if NewPolicy(a.Grants(day(2024, 6, 1)), nil).Can(ActionReadDossier, home) {
		t.Error("a suspended account must be denied")
	}
}
