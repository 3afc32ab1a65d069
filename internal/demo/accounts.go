package demo

import (
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// Account is one demo login: what the ledger records (kind, role, scope)
// and the password the demo announces, for the service that keeps
// credentials to set. The passwords are public by design: never run the
// demo on a ledger that holds real data.
type Account struct {
	ID          domain.AccountID
	Username    string
	Password    string
	DisplayName string
	Kind        account.Kind
	Role        account.Role
	// Org is the root of the role's scope (zero for the personal account).
	Org domain.OrgID
	// Dossier is the personal account's own dossier.
	Dossier domain.DossierID
}

// accountSpec is an Account before the seed gives it its ids.
type accountSpec struct {
	username, password, name string
	kind                     account.Kind
	role                     account.Role
	org                      string // key
}

// accountSpecs are the demo's staff accounts; the personal account is added
// by Accounts because its dossier depends on the seed.
var accountSpecs = []accountSpec{
	{"quantri", "QuanTri@Demo2026", "Quản trị hệ thống Sở Nội vụ", account.KindAdministrator, account.RoleAdmin, "ubnd-tinh"},
	{"tccb.sonoivu", "SoNoiVu@Demo2026", "Phòng Tổ chức cán bộ — Sở Nội vụ", account.KindOrg, account.RoleHROfficer, "ubnd-tinh"},
	{"tccb.soyte", "SoYTe@Demo2026", "Phòng Tổ chức cán bộ — Sở Y tế", account.KindOrg, account.RoleHROfficer, "so-y-te"},
	{"tccb.sogddt", "SoGDDT@Demo2026", "Phòng Tổ chức cán bộ — Sở Giáo dục và Đào tạo", account.KindOrg, account.RoleHROfficer, "so-gd-dt"},
	{"tccb.sotaichinh", "SoTaiChinh@Demo2026", "Văn phòng — Sở Tài chính", account.KindOrg, account.RoleHROfficer, "so-tai-chinh"},
	{"pheduyet", "PheDuyet@Demo2026", "Lãnh đạo Sở Nội vụ (phê duyệt)", account.KindOrg, account.RoleApprover, "ubnd-tinh"},
	// A unit's month is approved by its own head (level 1), never by the
	// Sở Nội vụ's approver, who signs level 2 over it.
	{"pheduyet.soyte", "PheDuyetSYT@Demo2026", "Giám đốc Sở Y tế (phê duyệt)", account.KindOrg, account.RoleApprover, "so-y-te"},
	{"thanhtra", "ThanhTra@Demo2026", "Thanh tra Sở Nội vụ", account.KindOrg, account.RoleInspector, "ubnd-tinh"},
	{"kiemtoan", "KiemToan@Demo2026", "Kiểm toán nội bộ", account.KindOrg, account.RoleAuditor, "ubnd-tinh"},
}

// personalUsername is the personal account of dossier 0.
const (
	personalUsername = "canhan.demo"
	personalPassword = "CaNhan@Demo2026"
)

// Accounts lists the demo's accounts for a seed, with their ids and
// passwords: the administrator, HR officers per department, an approver,
// an inspector, an auditor and one personal account.
func Accounts(seed int64) []Account {
	g := newGen(Config{Seed: seed})
	out := make([]Account, 0, len(accountSpecs)+1)
	for _, s := range accountSpecs {
		out = append(out, Account{
			ID: g.accountID(s.username), Username: s.username, Password: s.password, DisplayName: s.name,
			Kind: s.kind, Role: s.role, Org: g.orgID(s.org),
		})
	}
	p := g.newPlan(0)
	out = append(out, Account{
		ID: g.accountID(personalUsername), Username: personalUsername, Password: personalPassword, DisplayName: p.person.name,
		Kind: account.KindPersonal, Role: account.RoleSelf, Dossier: g.dossierID(0),
	})
	return out
}

func (g *gen) accountID(username string) domain.AccountID {
	return domain.AccountID(uuid.NewSHA1(g.ns, []byte("account/"+username)))
}
