package account

import "slices"

// Kind is the sort of account. It fixes which roles the account may hold.
type Kind string

// The kinds of account.
const (
	KindAdministrator Kind = "administrator" // DoHA system administrators
	KindOrg           Kind = "org"           // tài khoản đơn vị: an org's account, used by its HR staff
	KindPersonal      Kind = "personal"      // tài khoản cá nhân: one person, tied to their dossier
	KindService       Kind = "service"       // an integration (national sync, SSO bridge), API keys only
)

var kinds = []Kind{KindAdministrator, KindOrg, KindPersonal, KindService}

// Valid reports whether k is one of the listed kinds.
func (k Kind) Valid() bool { return slices.Contains(kinds, k) }

// Role is a set of permitted actions, granted over an org subtree (or, for
// RoleSelf, over one dossier).
type Role string

// The roles.
const (
	RoleAdmin     Role = "admin"      // manage accounts and orgs, read the audit trail; not dossiers
	RoleHROfficer Role = "hr_officer" // keep the dossiers of the orgs managed
	RoleApprover  Role = "approver"   // the head or delegate who signs the monthly approval
	RoleInspector Role = "inspector"  // inspection: read dossiers and the audit trail
	RoleAuditor   Role = "auditor"    // read the audit trail only
	RoleSelf      Role = "self"       // the person over their own dossier
)

var roles = []Role{RoleAdmin, RoleHROfficer, RoleApprover, RoleInspector, RoleAuditor, RoleSelf}

// Valid reports whether r is one of the listed roles.
func (r Role) Valid() bool { return slices.Contains(roles, r) }

// allowed is which roles each kind may hold. Administration stays with
// administrator and org accounts (orgs create accounts for their sub-units);
// approval needs a human who signs with their own certificate; self exists
// only where there is a person with a dossier.
var allowed = map[Kind][]Role{
	KindAdministrator: {RoleAdmin, RoleHROfficer, RoleApprover, RoleInspector, RoleAuditor},
	KindOrg:           {RoleAdmin, RoleHROfficer, RoleApprover, RoleInspector, RoleAuditor},
	KindPersonal:      {RoleSelf, RoleHROfficer, RoleApprover, RoleInspector, RoleAuditor},
	KindService:       {RoleHROfficer, RoleInspector, RoleAuditor},
}

// AllowedRoles lists the roles an account of kind k may be granted.
func AllowedRoles(k Kind) []Role { return slices.Clone(allowed[k]) }

// Status is the account's current standing.
type Status string

// The statuses. Closed is final.
const (
	StatusActive     Status = "active"
	StatusRestricted Status = "restricted"
	StatusClosed     Status = "closed"
)
