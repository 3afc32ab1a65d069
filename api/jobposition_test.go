package api_test

import (
	"bytes"
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// TestJobPositionSearchAndReport_Law80: Law 80/2025/QH15 (in force 1 July
// 2025) makes the job position (vị trí việc làm) the primary
// classification of a civil servant, beside the rank. Through real HTTP on
// PostgreSQL: the dossier list filters by position code (exact: the
// position is a catalogue code) and by the position's group, its rows show
// the job position before the rank, and the headcount groups by position
// and by group beside the rank.
func TestJobPositionSearchAndReport_Law80(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	dept := env.Org("Sở Tài chính", "STC", env.Root)
	env.Account("tccb.stc", "SoTaiChinh@Test2026", account.KindOrg, account.RoleHROfficer, dept)
	hr := env.Login("tccb.stc", "SoTaiChinh@Test2026")
	set := func(name string, s *dossier.Salary) domain.DossierID {
		t.Helper()
		id := env.Dossier(dept, name)
		if s != nil {
			if _, err := env.Svc.Deps.Dossiers.UpdateSection(context.Background(), id, 1, dossier.Patch{Salary: s}, env.Meta()); err != nil {
				t.Fatalf("salary of %s: %v", name, err)
			}
		}
		return id
	}
	head := set("Nguyễn Văn Trưởng", &dossier.Salary{Rank: "01.002", Step: 2, Coefficient: 478, JobPosition: "truong_phong"})
	acct := set("Trần Thị Kế", &dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, JobPosition: "ke_toan"})
	clerk := set("Lê Văn Thư", &dossier.Salary{Rank: "01.003", Step: 1, Coefficient: 234, JobPosition: "van_thu"})
	set("Phạm Văn Mới", nil) // no job position recorded yet
	env.WaitCaughtUp()

	type list struct {
		Items []struct {
			ID          domain.DossierID `json:"id"`
			JobPosition string           `json:"job_position"`
			Rank        string           `json:"rank"`
		} `json:"items"`
	}
	ids := func(l list) string {
		var out []string
		for _, it := range l.Items {
			out = append(out, it.ID.String())
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	want := func(xs ...domain.DossierID) string {
		var out []string
		for _, x := range xs {
			out = append(out, x.String())
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	var l list
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"job_position=ke_toan", want(acct)},
		{"job_position=ke_toan&job_position=truong_phong", want(acct, head)},
		// A code, not a name: matched exactly.
		{"job_position=Ke%20toan", ""},
		{"job_position_group=lanh_dao_quan_ly", want(head)},
		{"job_position_group=chuyen_mon_dung_chung", want(acct, clerk)},
		// The group narrows the codes given.
		{"job_position_group=chuyen_mon_dung_chung&job_position=ke_toan&job_position=truong_phong", want(acct)},
		{"job_position_group=ho_tro_phuc_vu", ""},
	} {
		get(t, env, "/api/v1/dossiers?"+tc.query, hr, http.StatusOK, &l)
		if got := ids(l); got != tc.want {
			t.Errorf("Law 80/2025: GET /dossiers?%s = %s, want %s", tc.query, got, tc.want)
		}
	}
	wantProblem(t, env.Do(http.MethodGet, "/api/v1/dossiers?job_position_group=phong_ban", hr, nil), http.StatusBadRequest, "query:job_position_group", "enum")

	// The row shows the job position, and before the rank.
	r := get(t, env, "/api/v1/dossiers?job_position=truong_phong", hr, http.StatusOK, &l)
	if len(l.Items) != 1 || l.Items[0].JobPosition != "truong_phong" || l.Items[0].Rank != "01.002" {
		t.Fatalf("row = %+v", l.Items)
	}
	if jp, rk := bytes.Index(r.Body, []byte(`"job_position"`)), bytes.Index(r.Body, []byte(`"rank"`)); jp < 0 || rk < 0 || jp > rk {
		t.Errorf("Law 80/2025: the row shows the rank before the job position: %s", r.Body)
	}

	// The headcount by job position (and group) beside the rank.
	var hc struct {
		GroupBy []string `json:"group_by"`
		Rows    []struct {
			Values map[string]string `json:"values"`
			Count  int               `json:"count"`
		} `json:"rows"`
	}
	rows := func() string {
		var out []string
		for _, r := range hc.Rows {
			var vs []string
			for _, g := range hc.GroupBy {
				vs = append(vs, r.Values[g])
			}
			out = append(out, strings.Join(vs, "/")+"="+strings.Repeat("I", r.Count))
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	get(t, env, "/api/v1/reports/headcount?group_by=job_position,rank", hr, http.StatusOK, &hc)
	if got, w := rows(), "/=I ke_toan/01.003=I truong_phong/01.002=I van_thu/01.003=I"; got != w {
		t.Errorf("Law 80/2025: headcount by job_position,rank = %s, want %s", got, w)
	}
	get(t, env, "/api/v1/reports/headcount?group_by=job_position_group", hr, http.StatusOK, &hc)
	if got, w := rows(), "=I chuyen_mon_dung_chung=II lanh_dao_quan_ly=I"; got != w {
		t.Errorf("Law 80/2025: headcount by job_position_group = %s, want %s", got, w)
	}
}
