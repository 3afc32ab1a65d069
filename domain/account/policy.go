package account

import (
	"slices"

	"github.com/hoso-ledger/hoso/domain"
)

// Action is something an account may be allowed to do.
type Action string

// The actions the policy decides.
const (
	ActionReadDossier    Action = "read_dossier"    // read the non-sensitive parts of a dossier
	ActionWriteDossier   Action = "write_dossier"   // create, update, correct, transfer (self: declare)
	ActionReadSensitive  Action = "read_sensitive"  // ethnicity, religion, health, identity numbers… (Law 91/2025)
	ActionExport         Action = "export"          // export dossiers and statistics (Huế 12.1)
	ActionApproveMonth   Action = "approve_month"   // sign the monthly approval (Tiền Giang 6, 11.3)
	ActionReadAudit      Action = "read_audit"      // read the audit trail
	ActionManageAccounts Action = "manage_accounts" // create accounts, grant, restrict, revoke
	ActionManageOrgs     Action = "manage_orgs"     // create, rename, move, merge, split, dissolve orgs
)

var actions = []Action{ActionReadDossier, ActionWriteDossier, ActionReadSensitive, ActionExport,
	ActionApproveMonth, ActionReadAudit, ActionManageAccounts, ActionManageOrgs}

// Actions lists every action the policy knows.
func Actions() []Action { return slices.Clone(actions) }

// permits is the table of Permits. Separation of duties is deliberate:
// administrators manage accounts and orgs but do not read dossiers
// (confidentiality: only those with the competent authority's consent read
// them, Phú Thọ 4.3, Bình Tân 8.2) — an administrator who also keeps
// dossiers holds hr_officer as a second, written grant. Approvers read what
// they sign, sensitive fields included, but do not edit it. Inspectors read
// dossiers and the audit trail, not the sensitive fields (a separate,
// logged grant of hr_officer is needed for those). Auditors read the audit
// trail only.
var permits = map[Role][]Action{
	RoleAdmin:     {ActionReadAudit, ActionManageAccounts, ActionManageOrgs},
	RoleHROfficer: {ActionReadDossier, ActionWriteDossier, ActionReadSensitive, ActionExport},
	RoleApprover:  {ActionReadDossier, ActionReadSensitive, ActionExport, ActionApproveMonth},
	RoleInspector: {ActionReadDossier, ActionReadAudit},
	RoleAuditor:   {ActionReadAudit},
	RoleSelf:      {ActionReadDossier, ActionWriteDossier, ActionReadSensitive},
}

// Permits reports whether role r allows action a anywhere in its scope:
//
//	action           admin  hr_officer  approver  inspector  auditor  self
//	read_dossier       -        ✓          ✓          ✓          -      own
//	write_dossier      -        ✓          -          -          -      own (self-declaration, reviewed by HR)
//	read_sensitive     -        ✓          ✓          -          -      own
//	export             -        ✓          ✓          -          -      -
//	approve_month      -        -          ✓          -          -      -
//	read_audit         ✓        -          -          ✓          ✓      -
//	manage_accounts    ✓        -          -          -          -      -
//	manage_orgs        ✓        -          -          -          -      -
//
// The scope of every role but self is the subtree of the granted org: the
// org and everything below it (the two-level model: the level above checks
// and answers for its units). The scope of self is one dossier.
func Permits(r Role, a Action) bool { return slices.Contains(permits[r], a) }

// Policy decides what the holder of some grants may do. Build it from the
// grants in force at the moment of the decision (Account.Grants) and an
// ancestry function over the org tree on that date; it holds no clock and
// does no I/O. The zero Policy denies everything.
type Policy struct {
	grants   []Grant
	ancestry func(domain.OrgID) []domain.OrgID
}

// NewPolicy returns the policy for grants. ancestry(org) must return org
// itself followed by its ancestors up to the root; a nil function means
// every org stands alone (a grant covers only the org it names).
func NewPolicy(grants []Grant, ancestry func(domain.OrgID) []domain.OrgID) Policy {
	return Policy{grants: slices.Clone(grants), ancestry: ancestry}
}

// Can reports whether some grant allows action on target: a grant whose
// role permits the action, rooted at target or at one of its ancestors.
// Everything else is denied: an unknown action, a zero target, an org
// outside every granted subtree, and the self role (which is over a
// dossier; see CanOnDossier).
func (p Policy) Can(action Action, target domain.OrgID) bool {
	if target.IsZero() {
		return false
	}
	var chain []domain.OrgID
	for _, g := range p.grants {
		if g.Role == RoleSelf || g.Org.IsZero() || !Permits(g.Role, action) {
			continue
		}
		if chain == nil {
			chain = p.chain(target)
		}
		if slices.Contains(chain, g.Org) {
			return true
		}
	}
	return false
}

// CanOnDossier reports whether action is allowed on dossier, which the org
// managingOrg manages: either through an org grant over managingOrg (as
// Can), or through a self grant over exactly this dossier.
func (p Policy) CanOnDossier(action Action, managingOrg domain.OrgID, dossier domain.DossierID) bool {
	for _, g := range p.grants {
		if g.Role == RoleSelf && !dossier.IsZero() && g.Dossier == dossier && Permits(RoleSelf, action) {
			return true
		}
	}
	return p.Can(action, managingOrg)
}

func (p Policy) chain(target domain.OrgID) []domain.OrgID {
	if p.ancestry == nil {
		return []domain.OrgID{target}
	}
	// The target is included even if the function forgot it: a grant on an
	// org always covers that org.
	return append([]domain.OrgID{target}, p.ancestry(target)...)
}
