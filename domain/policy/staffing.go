package policy

// StaffingQuotaRule is how a jurisdiction reads the staffing quota (biên
// chế): whether the labour-contract workers (người lao động) count against
// it. The regulations keep the quota and the contracts apart (PT 5.2đ
// "quản lý biên chế, hợp đồng"; BT 2.2b–c and 8.1: the Decree 68/2000
// contract workers are listed apart from the CBCCVC "theo biên chế được
// giao"); Huế 2.2 calls them all "cán bộ công chức, viên chức" for its
// own purposes. So the default is that they do not count, and a province
// that counts them (a public service unit's approved number of people
// that includes its contracts) says so here.
type StaffingQuotaRule struct {
	// ContractWorkersInQuota: people of class nguoi_lao_dong count against
	// the org's biên chế total (can_bo + cong_chuc + vien_chuc); otherwise
	// they are compared only with the approved number of labour contracts,
	// when one is assigned.
	ContractWorkersInQuota bool   `json:"contract_workers_in_quota"`
	Article                string `json:"article,omitempty"`
	Note                   string `json:"note,omitempty"`
	// set records that a file stated the rule, so a composed policy takes
	// the provincial layer's over the national one only when it is stated.
	set bool
}

// StaffingQuota is the policy's reading of the staffing quota: the
// provincial layer's when its file states one, else the national layer's,
// else the default (contract workers do not count against the biên chế).
func (p Policy) StaffingQuota() StaffingQuotaRule { return p.staffingQuota }

type rawStaffingQuota struct {
	ContractWorkersInQuota *bool  `json:"contract_workers_in_quota"`
	Article                string `json:"article"`
	Note                   string `json:"note"`
}
