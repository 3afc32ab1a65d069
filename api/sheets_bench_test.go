package api_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/spreadsheet"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// provinceDossiers and provinceUnits size the benchmark's province: 50,000
// people in service across 300 units, as in the target of issue 16.
const (
	provinceDossiers = 50_000
	provinceUnits    = 300
)

// BenchmarkProvinceReport produces the BM02 report of a 50,000-dossier
// province through the real HTTP route, as a workbook and as JSON, beside
// the raw baseline: the same per-org query on the pool written as CSV, with
// neither HTTP nor excelize. The people are loaded as facts straight into
// the stats read model (the demo generator takes 18 minutes for such a
// province; the report reads only this table and the org tree).
//
// Reported per report: ns/op, B/op (every byte allocated while producing
// it, an upper bound of what it holds at once), and peak-RSS-MB, the
// process's peak resident set after the runs (server and client share it).
func BenchmarkProvinceReport(b *testing.B) {
	env := apitest.Start(b)
	units := make([]domain.OrgID, provinceUnits)
	for i := range units {
		units[i] = env.Org(fmt.Sprintf("Đơn vị sự nghiệp số %d", i+1), fmt.Sprintf("000.%02d.%02d.T01", i/100, i%100), env.Root)
	}
	hr := env.Session(env.Account("tccb.tinh", "TinhThu@Bench2026", account.KindOrg, account.RoleHROfficer, env.Root))
	env.WaitCaughtUp()
	loadFacts(b, env, units)
	asOf := "2026-12-01"
	path := "/api/v1/reports/headcount?format=bm02&as_of=" + asOf

	fetch := func(b *testing.B, accept string) int {
		req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+hr)
		req.Header.Set("Accept", accept)
		resp, err := env.Client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %v", accept, resp.StatusCode, err)
		}
		return int(n)
	}
	b.Run("xlsx", func(b *testing.B) {
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			size = fetch(b, spreadsheet.MediaType)
		}
		b.ReportMetric(float64(size)/1024, "KiB")
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fetch(b, "application/json")
		}
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
	})
	b.Run("raw-csv", func(b *testing.B) {
		b.ReportAllocs()
		day, err := domain.ParseDate(asOf)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		scope, err := env.Svc.Deps.Views.OrgSubtree(ctx, []domain.OrgID{env.Root})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			lines, err := stats.ReportByOrg(ctx, env.Svc.Pool, scope, day)
			if err != nil {
				b.Fatal(err)
			}
			w := csv.NewWriter(bufio.NewWriter(io.Discard))
			for _, l := range lines {
				rec := []string{l.Org.String(), strconv.Itoa(l.Total), strconv.Itoa(l.Women), strconv.Itoa(l.PartyMembers),
					strconv.Itoa(l.Bachelor), strconv.Itoa(l.AgeUpTo30.Men), strconv.Itoa(l.AgeUpTo30.Women)}
				if err := w.Write(rec); err != nil {
					b.Fatal(err)
				}
			}
			w.Flush()
		}
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
	})
}

// loadFacts writes provinceDossiers intervals in force since 2020 into the
// stats read model (through its view), spread over units, with every BM02
// attribute drawn at random so that each column counts someone.
func loadFacts(b *testing.B, env *apitest.Env, units []domain.OrgID) {
	b.Helper()
	ids := make([]uuid.UUID, len(units))
	for i, u := range units {
		ids[i] = uuid.UUID(u)
	}
	start := time.Now()
	_, err := env.Svc.Pool.Exec(context.Background(), `
INSERT INTO stats_intervals (dossier_id, valid_from, valid_to, org_id, unit_id, class, sex, birth_date, retires_on,
    ethnicity, minority, religion, religious, party_admitted_on, rank, rank_group, title, title_grade, job_position,
    job_position_group, qualification, political_theory, state_management, it_level, foreign_language, ethnic_language)
SELECT gen_random_uuid(), date '2020-01-01', NULL, u, u,
       (ARRAY['cong_chuc','vien_chuc'])[1 + g % 2],
       (ARRAY['male','female'])[1 + (g / 2) % 2],
       date '1962-01-01' + (g * 37 % 15000),
       date '1962-01-01' + (g * 37 % 15000) + 365 * 62,
       (ARRAY['01','02','04'])[1 + g % 3], g % 3 <> 0,
       (ARRAY['none','02'])[1 + g % 2], g % 2 = 1,
       CASE WHEN g % 4 = 0 THEN date '2010-05-19' END,
       '', (ARRAY['chuyen_vien_cao_cap','chuyen_vien_chinh','chuyen_vien','can_su','nhan_vien',''])[1 + g % 6],
       '', (ARRAY['I','II','III','IV',''])[1 + g % 5],
       '', (ARRAY['lanh_dao_quan_ly','chuyen_mon_nghiep_vu','ho_tro_phuc_vu'])[1 + g % 3],
       (ARRAY['doctorate','master','bachelor','college','intermediate','elementary'])[1 + g % 6],
       (ARRAY['cu_nhan','cao_cap','trung_cap','so_cap',''])[1 + g % 5],
       (ARRAY['chuyen_vien_cao_cap','chuyen_vien_chinh','chuyen_vien',''])[1 + g % 4],
       (ARRAY['co_ban','nang_cao',''])[1 + g % 3],
       (ARRAY['bac_1','bac_3','bac_4',''])[1 + g % 4],
       g % 7 = 0
  FROM generate_series(1, $1::int) AS g, LATERAL (SELECT ($2::uuid[])[1 + g % cardinality($2::uuid[])] AS u) x`,
		provinceDossiers, ids)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.Svc.Pool.Exec(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d intervals over %d units loaded in %s", provinceDossiers, len(units), time.Since(start).Round(time.Millisecond))
}

// peakRSS is the process's peak resident set size in MB (Linux reports
// ru_maxrss in KiB).
func peakRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
