package stats_test

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// Law 80/2025/QH15 (in force 1 July 2025) makes the job position (vị trí
// việc làm) the primary classification of a civil servant, beside the
// rank (ngạch). The headcount groups by the position's code and by its
// group (Decree 62/2020: lanh_dao_quan_ly, chuyen_mon_nghiep_vu,
// chuyen_mon_dung_chung, ho_tro_phuc_vu), on the effective axis like the
// rank: a change of position counts from its effective date.
func TestHeadcountByJobPosition_Law80(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	cat := catalog.Default()
	m := l.meta
	salary := func(id domain.DossierID, eff domain.Date, s dossier.Salary) {
		mm := m(orgA, eff, eff)
		l.DossierDo(id, mm, func(x *dossier.Dossier) ([]domain.Event, error) {
			return x.UpdateSection(dossier.Patch{Salary: &s}, mm, cat)
		})
	}
	// Hòa: chuyên viên (01.003) on the job position "managing cadres and civil servants", made head
	// of division (trưởng phòng) on 1 September 2025, rank unchanged.
	hoa, _ := l.create(person{name: "Phạm Thị Hòa", sex: dossier.GenderFemale, dob: d(1985, 4, 2), class: dossier.ClassCongChuc, org: orgA},
		m(orgA, d(2020, 1, 2), d(2020, 1, 2)))
	salary(hoa, d(2020, 1, 2), dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, JobPosition: "cv_quan_ly_cbccvc"})
	salary(hoa, d(2025, 9, 1), dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, JobPosition: "truong_phong"})
	// Khoa: chuyên viên too, an accountant (a shared specialist position).
	khoa, _ := l.create(person{name: "Vũ Đức Khoa", sex: dossier.GenderMale, dob: d(1990, 8, 8), class: dossier.ClassCongChuc, org: orgA},
		m(orgA, d(2021, 3, 1), d(2021, 3, 1)))
	salary(khoa, d(2021, 3, 1), dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267, JobPosition: "ke_toan"})
	// Lan: an archivist-clerk with no job position recorded yet.
	l.create(person{name: "Đỗ Thị Lan", sex: dossier.GenderFemale, dob: d(1995, 1, 1), class: dossier.ClassCongChuc, org: orgA},
		m(orgA, d(2022, 5, 1), d(2022, 5, 1)))

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, stats.New(nil), 1, l.Events(), 1)
	orgs := []domain.OrgID{orgA}
	for _, tc := range []struct {
		asOf domain.Date
		dims []stats.Dimension
		want string
	}{
		{d(2025, 8, 31), []stats.Dimension{stats.ByJobPosition}, "=1 cv_quan_ly_cbccvc=1 ke_toan=1"},
		{d(2025, 9, 1), []stats.Dimension{stats.ByJobPosition}, "=1 ke_toan=1 truong_phong=1"},
		// The position first, then the rank: same rank, two positions.
		{d(2025, 9, 1), []stats.Dimension{stats.ByJobPosition, stats.ByRank}, "/=1 ke_toan/01.003=1 truong_phong/01.003=1"},
		{d(2025, 8, 31), []stats.Dimension{stats.ByJobPosGroup}, "=1 chuyen_mon_dung_chung=1 chuyen_mon_nghiep_vu=1"},
		{d(2025, 9, 1), []stats.Dimension{stats.ByJobPosGroup, stats.ByRankGroup}, "/=1 chuyen_mon_dung_chung/chuyen_vien=1 lanh_dao_quan_ly/chuyen_vien=1"},
	} {
		if got := headcount(t, pool, tc.asOf, orgs, tc.dims...); got != tc.want {
			t.Errorf("Law 80/2025: Headcount(%s, %v) = %s, want %s", tc.asOf, tc.dims, got, tc.want)
		}
	}
	if dm, err := stats.ParseDimension("job_position_group"); err != nil || dm != stats.ByJobPosGroup {
		t.Errorf("ParseDimension(job_position_group) = %v, %v", dm, err)
	}
}
