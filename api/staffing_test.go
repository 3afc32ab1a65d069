package api_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/internal/service"
)

// staffingEnv is a province with a Department of Health, its HR officer
// and the HR officer of the province above it, on a fixed clock.
type staffingEnv struct {
	env          *apitest.Env
	dept         domain.OrgID
	hrDept, hrUp string
	pids         int
}

func startStaffing(t *testing.T, cfg service.Config) *staffingEnv {
	t.Helper()
	start := time.Now()
	today := time.Date(2026, 6, 15, 9, 0, 0, 0, domain.VietnamZone)
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	env := apitest.Start(t, apitest.Options{Now: func() time.Time { return today.Add(time.Since(start)) }, Config: cfg})
	s := &staffingEnv{env: env, dept: env.Org("Sở Y tế tỉnh Thử Nghiệm", "SYT-TN", env.Root)}
	env.Account("tccb.syt.bc", "SoYTe@BienChe2026", account.KindOrg, account.RoleHROfficer, s.dept)
	env.Account("tccb.snv.bc", "SoNoiVu@BienChe2026", account.KindOrg, account.RoleHROfficer, env.Root)
	s.hrDept = env.Login("tccb.syt.bc", "SoYTe@BienChe2026")
	s.hrUp = env.Login("tccb.snv.bc", "SoNoiVu@BienChe2026")
	return s
}

func quotaDecision() map[string]any {
	return map[string]any{"kind": "decision", "number": "112/QĐ-UBND", "date": "2026-01-05", "issuer": "UBND tỉnh Thử Nghiệm"}
}

// decisionNumbered is quotaDecision with another number.
func decisionNumbered(number string) map[string]any {
	d := quotaDecision()
	d["number"] = number
	return d
}

func workerContract() map[string]any {
	return map[string]any{"number": "07/2026/HĐLĐ", "signed_on": "2026-06-10", "kind": "fixed_term",
		"from": "2026-06-15", "to": "2027-06-14", "job_title": "Nhân viên lái xe", "duties": "Lái xe phục vụ công tác",
		"wage_vnd": 6200000, "employer_representative": "Trần Văn Giám", "employer_representative_title": "Giám đốc"}
}

// hire opens a dossier of class in the department through the API;
// contract, when given, is the labour contract.
func (s *staffingEnv) hire(t *testing.T, class string, contract map[string]any) *apitest.Response {
	t.Helper()
	s.pids++
	body := map[string]any{
		"class": class, "managing_org": s.dept, "employing_unit": s.dept,
		"personal_id_number": fmt.Sprintf("079090%06d", s.pids),
		"identity": map[string]any{"birth_name": fmt.Sprintf("Nguyễn Văn Biên %d", s.pids), "gender": "male", "date_of_birth": "1990-03-15",
			"ethnicity": "01", "religion": "none"},
		"effective_date":  "2026-06-15",
		"source_document": map[string]any{"kind": "decision", "number": fmt.Sprintf("%d/QĐ-SYT", s.pids), "date": "2026-06-15", "issuer": "Sở Y tế"},
	}
	if contract != nil {
		body["labour_contract"] = contract
		body["source_document"] = map[string]any{"kind": "contract", "number": contract["number"], "date": "2026-06-15", "issuer": "Sở Y tế"}
	}
	return s.env.Do(http.MethodPost, "/api/v1/dossiers", s.hrDept, body)
}

type staffingReport struct {
	Rows []struct {
		Values map[string]string `json:"values"`
		Count  int               `json:"count"`
	} `json:"rows"`
	BM02 *struct {
		Total           int `json:"total"`
		ContractWorkers int `json:"contract_workers"`
	} `json:"bm02"`
	Staffing []struct {
		Org        domain.OrgID `json:"org"`
		Year       int          `json:"year"`
		Categories []struct {
			Category string `json:"category"`
			Quota    int    `json:"quota"`
			Actual   int    `json:"actual"`
			Over     bool   `json:"over"`
		} `json:"categories"`
		Decision struct {
			Number string `json:"number"`
		} `json:"decision"`
		BienChe *struct {
			Quota                  int  `json:"quota"`
			Actual                 int  `json:"actual"`
			ContractWorkersInQuota bool `json:"contract_workers_in_quota"`
		} `json:"bien_che"`
		ContractWorkers int      `json:"contract_workers"`
		OverQuota       bool     `json:"over_quota"`
		Over            []string `json:"over"`
	} `json:"staffing"`
}

// TestStaffingQuotaAndContractWorkers_PT5_2d_TG5_1b, end to end through
// real HTTP on PostgreSQL: the province's HR records the Department of
// Health's staffing quota for 2026 by the people's committee's decision
// (PT 5.2đ; BT 8.1 "theo biên chế được giao"); the department's own HR
// may not; bad input is a problem naming the field and writes nothing.
// The department hires civil servants and labour-contract workers, the
// latter on their own form (TG 5.1b); the headcount report sets the quota
// beside the people in service and flags what is over; the workers are
// counted apart (by class, and apart from BM02's columns) and found by
// their class; a civil servant holds no labour contract.
func TestStaffingQuotaAndContractWorkers_PT5_2d_TG5_1b(t *testing.T) {
	t.Parallel()
	s := startStaffing(t, service.Config{})
	env, dept := s.env, s.dept
	path := "/api/v1/orgs/" + dept.String() + "/staffing-quotas"
	etag := func() string {
		r := env.Do(http.MethodGet, "/api/v1/orgs/"+dept.String(), s.hrUp, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET org: %d %s", r.Status, r.Body)
		}
		return r.Header.Get("ETag")
	}
	good := map[string]any{"year": 2026, "counts": map[string]int{"cong_chuc": 2, "nguoi_lao_dong": 1},
		"source_document": quotaDecision()}
	with := func(k string, v any) map[string]any {
		out := map[string]any{}
		for x, y := range good {
			out[x] = y
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	v0 := etag()
	for _, tc := range []struct {
		name    string
		token   string
		body    any
		ifMatch string
		status  int
		field   string
	}{
		{"the department's own HR decides no quota for itself", s.hrDept, good, v0, http.StatusForbidden, ""},
		{"without If-Match", s.hrUp, good, "", http.StatusPreconditionRequired, ""},
		{"stale If-Match", s.hrUp, good, `"99"`, http.StatusPreconditionFailed, "header:If-Match"},
		{"without the decision", s.hrUp, with("source_document", nil), v0, http.StatusUnprocessableEntity, "/source_document"},
		{"without the year", s.hrUp, with("year", nil), v0, http.StatusUnprocessableEntity, "/year"},
		{"a year too far ahead", s.hrUp, with("year", 2031), v0, http.StatusUnprocessableEntity, "/year"},
		{"no counts", s.hrUp, with("counts", map[string]int{}), v0, http.StatusUnprocessableEntity, "/counts"},
		{"an unknown category", s.hrUp, with("counts", map[string]int{"hop_dong_68": 3}), v0, http.StatusUnprocessableEntity, "/counts/hop_dong_68"},
		{"a negative count", s.hrUp, with("counts", map[string]int{"cong_chuc": -2}), v0, http.StatusUnprocessableEntity, "/counts/cong_chuc"},
		{"counts that are not numbers", s.hrUp, with("counts", map[string]string{"cong_chuc": "hai"}), v0, http.StatusUnprocessableEntity, "/counts"},
		{"NUL in the decision's number", s.hrUp, with("source_document", decisionNumbered("112/QĐ\x00UBND")), v0, http.StatusUnprocessableEntity, "/source_document/number"},
		{"a 10,000-character decision number", s.hrUp, with("source_document", decisionNumbered(strings.Repeat("Ư", 10000))), v0, http.StatusUnprocessableEntity, "/source_document/number"},
	} {
		var headers []string
		if tc.ifMatch != "" {
			headers = []string{"If-Match", tc.ifMatch}
		}
		r := env.Do(http.MethodPost, path, tc.token, tc.body, headers...)
		if r.Status != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
		}
		p := r.Problem()
		if tc.field != "" && !slices.ContainsFunc(p.Errors, func(e struct {
			Field  string `json:"field"`
			Rule   string `json:"rule"`
			Detail string `json:"detail"`
		}) bool {
			return e.Field == tc.field
		}) {
			t.Errorf("%s: problem %+v does not name %s", tc.name, p, tc.field)
		}
	}
	if got := etag(); got != v0 {
		t.Fatalf("bad input wrote: ETag %s, was %s", got, v0)
	}

	r := env.Do(http.MethodPost, path, s.hrUp, good, "If-Match", v0)
	if r.Status != http.StatusOK {
		t.Fatalf("assigning the quota: %d %s", r.Status, r.Body)
	}
	var view struct {
		StaffingQuotas []struct {
			Year     int            `json:"year"`
			From     string         `json:"from"`
			Counts   map[string]int `json:"counts"`
			Decision struct {
				Number string `json:"number"`
				Issuer string `json:"issuer"`
			} `json:"decision"`
		} `json:"staffing_quotas"`
	}
	r.JSON(&view)
	if len(view.StaffingQuotas) != 1 || view.StaffingQuotas[0].Counts["cong_chuc"] != 2 || view.StaffingQuotas[0].From != "2026-06-15" ||
		view.StaffingQuotas[0].Decision.Number != "112/QĐ-UBND" {
		t.Fatalf("the org's quotas = %+v", view.StaffingQuotas)
	}

	// Three civil servants and two labour-contract workers.
	for range 3 {
		if r := s.hire(t, "cong_chuc", nil); r.Status != http.StatusCreated {
			t.Fatalf("hiring a civil servant: %d %s", r.Status, r.Body)
		}
	}
	var worker struct {
		ID       domain.DossierID `json:"id"`
		Document struct {
			LabourContract map[string]any `json:"labour_contract"`
		} `json:"document"`
	}
	for i := range 2 {
		r := s.hire(t, "nguoi_lao_dong", workerContract())
		if r.Status != http.StatusCreated {
			t.Fatalf("hiring a worker: %d %s", r.Status, r.Body)
		}
		if i == 0 {
			r.JSON(&worker)
		}
	}
	if worker.Document.LabourContract["number"] != "07/2026/HĐLĐ" || worker.Document.LabourContract["kind"] != "fixed_term" {
		t.Fatalf("the worker's document holds %+v, want the contract", worker.Document.LabourContract)
	}
	// Bad contracts: the field named, nothing created.
	long := workerContract()
	long["to"] = "2029-06-16"
	for _, tc := range []struct {
		name, class string
		contract    map[string]any
		field       string
	}{
		{"a public employee holds no labour contract", "vien_chuc", workerContract(), "/labour_contract"},
		{"a fixed term beyond 36 months", "nguoi_lao_dong", long, "/labour_contract/to"},
		{"the form's duties missing", "nguoi_lao_dong", map[string]any{"number": "08/HĐLĐ", "signed_on": "2026-06-01", "kind": "indefinite", "from": "2026-06-01"}, "/labour_contract/duties"},
	} {
		r := s.hire(t, tc.class, tc.contract)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s, want 422", tc.name, r.Status, r.Body)
		}
		if p := r.Problem(); len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: problem %+v, want it to name %s", tc.name, p, tc.field)
		}
	}
	env.WaitCaughtUp()

	// Found by their class.
	var list struct {
		Items []struct {
			ID domain.DossierID `json:"id"`
		} `json:"items"`
	}
	env.Do(http.MethodGet, "/api/v1/dossiers?class=nguoi_lao_dong&managing_org="+dept.String(), s.hrDept, nil).JSON(&list)
	if len(list.Items) != 2 {
		t.Fatalf("search by class nguoi_lao_dong found %d, want 2", len(list.Items))
	}

	// The headcount: quota beside the people in service, over-quota flagged.
	var rep staffingReport
	r = env.Do(http.MethodGet, "/api/v1/reports/headcount?as_of=2026-06-15&group_by=class&org="+dept.String(), s.hrDept, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("headcount: %d %s", r.Status, r.Body)
	}
	r.JSON(&rep)
	byClass := map[string]int{}
	for _, row := range rep.Rows {
		byClass[row.Values["class"]] = row.Count
	}
	if byClass["cong_chuc"] != 3 || byClass["nguoi_lao_dong"] != 2 {
		t.Errorf("headcount by class = %v, want 3 civil servants and 2 workers apart", byClass)
	}
	if len(rep.Staffing) != 1 {
		t.Fatalf("staffing = %+v, want the department's", rep.Staffing)
	}
	st := rep.Staffing[0]
	if st.Org != dept || st.Year != 2026 || st.Decision.Number != "112/QĐ-UBND" || !st.OverQuota ||
		!slices.Equal(st.Over, []string{"cong_chuc", "nguoi_lao_dong", "bien_che"}) || st.ContractWorkers != 2 ||
		st.BienChe == nil || st.BienChe.Quota != 2 || st.BienChe.Actual != 3 || st.BienChe.ContractWorkersInQuota {
		t.Errorf("staffing = %+v, want cong_chuc 3 > 2, nguoi_lao_dong 2 > 1, biên chế 3 > 2 without the workers", st)
	}
	// Before the hiring nobody was over.
	env.Do(http.MethodGet, "/api/v1/reports/headcount?as_of=2026-06-14&org="+dept.String(), s.hrDept, nil).JSON(&rep)
	if len(rep.Staffing) != 1 || rep.Staffing[0].OverQuota {
		t.Errorf("staffing on 14/6 = %+v, want within the quota", rep.Staffing)
	}
	// A year with no decision shows none.
	env.Do(http.MethodGet, "/api/v1/reports/headcount?as_of=2025-12-31&org="+dept.String(), s.hrDept, nil).JSON(&rep)
	if len(rep.Staffing) != 0 {
		t.Errorf("staffing in 2025 = %+v, want none", rep.Staffing)
	}
	// BM02 counts the CBCCVC; the workers apart.
	env.Do(http.MethodGet, "/api/v1/reports/headcount?as_of=2026-06-15&format=bm02&org="+dept.String(), s.hrDept, nil).JSON(&rep)
	if rep.BM02 == nil || rep.BM02.Total != 3 || rep.BM02.ContractWorkers != 2 {
		t.Errorf("bm02 = %+v, want total 3 and 2 contract workers apart", rep.BM02)
	}

	// A civil servant's dossier takes no labour contract.
	civil := s.hire(t, "cong_chuc", nil)
	var cs struct {
		ID domain.DossierID `json:"id"`
	}
	civil.JSON(&cs)
	r = env.Do(http.MethodPatch, "/api/v1/dossiers/"+cs.ID.String(), s.hrDept, map[string]any{
		"patch": map[string]any{"labour_contract": workerContract()}, "effective_date": "2026-06-15",
		"source_document": map[string]any{"kind": "contract", "number": "09/HĐLĐ", "date": "2026-06-15", "issuer": "Sở Y tế"},
	}, "If-Match", `"1"`)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a contract for a civil servant: %d %s", r.Status, r.Body)
	}
	if p := r.Problem(); len(p.Errors) == 0 || p.Errors[0].Field != "/patch/labour_contract" || p.Errors[0].Rule != "class" {
		t.Errorf("problem = %+v, want /patch/labour_contract class", p)
	}
}

// TestContractWorkersInQuotaIsAPolicyOption_PT5_2d: where a province's
// policy counts the labour-contract workers against the biên chế
// (staffing_quota.contract_workers_in_quota), the same people put the
// department over its total; by default they do not.
func TestContractWorkersInQuotaIsAPolicyOption_PT5_2d(t *testing.T) {
	t.Parallel()
	counting, err := policy.Parse([]byte(`{"name":"thu-nghiem-2026","title":"Tỉnh Thử Nghiệm","source":"QĐ thử nghiệm",
		"deadlines":[{"action":"create_dossier","amount":30,"unit":"days","anchor":"decision_date","article":"Điều 3"}],
		"staffing_quota":{"contract_workers_in_quota":true,"article":"Điều 7"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cfg     service.Config
		counted bool
		actual  int
		over    []string
	}{
		{"default: apart", service.Config{}, false, 3, []string{}},
		{"the province counts them", service.Config{Policy: policy.ForDeployment(counting)}, true, 5, []string{"bien_che"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startStaffing(t, tc.cfg)
			r := s.env.Do(http.MethodGet, "/api/v1/orgs/"+s.dept.String(), s.hrUp, nil)
			r = s.env.Do(http.MethodPost, "/api/v1/orgs/"+s.dept.String()+"/staffing-quotas", s.hrUp, map[string]any{
				"year": 2026, "counts": map[string]int{"cong_chuc": 4}, "source_document": quotaDecision(),
			}, "If-Match", r.Header.Get("ETag"))
			if r.Status != http.StatusOK {
				t.Fatalf("assigning: %d %s", r.Status, r.Body)
			}
			for range 3 {
				s.hire(t, "cong_chuc", nil)
			}
			for range 2 {
				s.hire(t, "nguoi_lao_dong", workerContract())
			}
			s.env.WaitCaughtUp()
			var rep staffingReport
			s.env.Do(http.MethodGet, "/api/v1/reports/headcount?as_of=2026-06-15&org="+s.dept.String(), s.hrDept, nil).JSON(&rep)
			if len(rep.Staffing) != 1 || rep.Staffing[0].BienChe == nil {
				t.Fatalf("staffing = %+v", rep.Staffing)
			}
			st := rep.Staffing[0]
			if st.BienChe.Actual != tc.actual || st.BienChe.ContractWorkersInQuota != tc.counted || !slices.Equal(st.Over, tc.over) || st.ContractWorkers != 2 {
				t.Errorf("staffing = %+v, want biên chế actual %d (workers counted: %v), over %v", st, tc.actual, tc.counted, tc.over)
			}
		})
	}
}
