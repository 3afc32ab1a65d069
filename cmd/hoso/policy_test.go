package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hoso-ledger/hoso/domain/policy"
)

// TestPolicyCommand: `hoso policy check` prints every problem of a file at
// once (exit 1) or a one-line summary (exit 0); `hoso policy show` prints
// the rules in force on a date with the national layer beside the
// provincial one: Decree 27/2026 (NĐ 27/2026) from 1 July 2026 only.
func TestPolicyCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"Đồng Tháp","title":"t","source":"s","deadlines":[
		{"action":"create_dossier","amount":0,"unit":"weeks","anchor":"decision_date"},
		{"action":"status_change","amount":5,"unit":"days","anchor":"effective_date","valid_from":"2026-07-01","valid_until":"2026-06-30"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "dong-thap.json")
	if err := os.WriteFile(good, []byte(`{"name":"dong-thap-2026","title":"Tỉnh Đồng Tháp","source":"QĐ giả định",
		"deadlines":[{"action":"create_dossier","amount":2,"unit":"working_days","anchor":"decision_date","article":"Điều 3","valid_from":"2026-09-01"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(dir, "dong-thap.yaml")
	if err := os.WriteFile(yml, []byte("name: dong-thap-2026\ntitle: Tỉnh Đồng Tháp\nsource: QĐ giả định\ndeadlines:\n"+
		"  - {action: create_dossier, amount: 2, unit: working_days, anchor: decision_date, article: Điều 3, valid_from: 2026-09-01}\n"+
		"  - {action: status_change, amount: 0, unit: days, anchor: effective_date, valid_until: 2026-13-01}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	quota := filepath.Join(dir, "quota.json")
	if err := os.WriteFile(quota, []byte(`{"name":"dong-thap-2026","title":"Tỉnh Đồng Tháp","source":"QĐ giả định",
		"deadlines":[{"action":"create_dossier","amount":2,"unit":"working_days","anchor":"decision_date","article":"Điều 3"}],
		"staffing_quota":{"contract_workers_in_quota":true,"article":"Điều 7"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	badQuota := filepath.Join(dir, "bad-quota.json")
	if err := os.WriteFile(badQuota, []byte(`{"name":"dong-thap-2026","title":"Tỉnh Đồng Tháp","source":"QĐ giả định",
		"deadlines":[{"action":"create_dossier","amount":2,"unit":"working_days","anchor":"decision_date","article":"Điều 3"}],
		"staffing_quota":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		code      int
		stdout    []string // substrings
		notStdout []string
		stderr    string // substring
	}{
		{"check bad", []string{"policy", "check", bad}, nil, 1, []string{
			bad + ": name: format", bad + ": deadlines/0/unit: enum", bad + ": deadlines/0/amount: range",
			bad + ": deadlines/1/valid_until: range", bad + ": 4 problem(s)"}, nil, ""},
		{"check good", []string{"policy", "check", good}, nil, 0, []string{good + ": ok: dong-thap-2026 (provincial layer), 1 deadlines"}, nil, ""},
		{"check preset file", []string{"policy", "check", filepath.Join("..", "..", "domain", "policy", "presets", "decree-27-2026.json")}, nil, 0, []string{"(national layer), 3 deadlines"}, nil, ""},
		{"check yaml", []string{"policy", "check", yml}, nil, 1, []string{
			yml + ": deadlines/1/amount: range", yml + ": deadlines/1/valid_until: format", yml + ": 2 problem(s)"}, []string{"deadlines/0"}, ""},
		{"check missing", []string{"policy", "check", filepath.Join(dir, "none.json")}, nil, 1, nil, nil, "no such file"},
		{"check without file", []string{"policy", "check"}, nil, 2, nil, nil, "usage:"},
		{"unknown subcommand", []string{"policy", "edit"}, nil, 2, nil, nil, `unknown subcommand "edit"`},
		{"help", []string{"policy", "-h"}, nil, 0, []string{"hoso policy check FILE"}, nil, ""},
		// The default deployment (Tiền Giang 2025 + the national layer): from
		// 1 July 2026 the decree's creation deadline is in force.
		{"show default after the decree", []string{"policy", "show", "--on", "2026-07-09"}, nil, 0, []string{
			"Rules in force on 2026-07-09 — [decree-27-2026 tien-giang-2025]",
			"create_dossier", "NĐ 27/2026  2026-07-01", "national_sync_manual", "transfer_between_orgs", "Điều 10.3", "monthly_approval"}, nil, ""},
		{"show default before the decree", []string{"policy", "show", "--on", "2026-06-15"}, nil, 0,
			[]string{"transfer_between_orgs", "provincial"}, []string{"create_dossier", "NĐ 27/2026"}, ""},
		{"show a file", []string{"policy", "show", "--on", "2026-09-01", "--policy", good}, nil, 0,
			[]string{"[decree-27-2026 dong-thap-2026]", "create_dossier 2 working_days decision_date Điều 3 2026-09-01 - provincial", "create_dossier 3 days decision_date NĐ 27/2026 2026-07-01 - national"}, nil, ""},
		{"show HOSO_POLICY", []string{"policy", "show", "--on", "2026-09-01"}, map[string]string{"HOSO_POLICY": "binh-dinh-2022"}, 0,
			[]string{"[decree-27-2026 binh-dinh-2022]", "account_issued"}, nil, ""},
		{"show a bad HOSO_POLICY", []string{"policy", "show"}, map[string]string{"HOSO_POLICY": bad}, 1, nil, nil, "name: format"},
		{"show a bad date", []string{"policy", "show", "--on", "9/7/2026"}, nil, 2, nil, nil, "want YYYY-MM-DD"},
		// The staffing-quota reading is a policy option (PT 5.2đ, TG 5.1b).
		{"show lists the staffing quota reading", []string{"policy", "show", "--on", "2026-09-01"}, nil, 0,
			[]string{"Options:", "transfer_on_request=false", "staffing_quota contract_workers_in_quota=false (Điều 5.1b)"}, nil, ""},
		{"show a file counting contract workers", []string{"policy", "show", "--on", "2026-09-01", "--policy", quota}, nil, 0,
			[]string{"staffing_quota contract_workers_in_quota=true (Điều 7)"}, nil, ""},
		{"check a staffing quota without its article", []string{"policy", "check", badQuota}, nil, 1,
			[]string{badQuota + ": staffing_quota/contract_workers_in_quota: required", badQuota + ": staffing_quota/article: required"}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("hoso %v: exit %d, want %d (stdout %q, stderr %q)", tc.args, code, tc.code, stdout.String(), stderr.String())
			}
			// The table's columns are padded: compare with single spaces.
			flat := strings.Join(strings.Fields(stdout.String()), " ")
			for _, s := range tc.stdout {
				if !strings.Contains(flat, strings.Join(strings.Fields(s), " ")) {
					t.Errorf("hoso %v: stdout %q lacks %q", tc.args, stdout.String(), s)
				}
			}
			for _, s := range tc.notStdout {
				if strings.Contains(flat, s) {
					t.Errorf("hoso %v: stdout %q has %q", tc.args, stdout.String(), s)
				}
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("hoso %v: stderr %q lacks %q", tc.args, stderr.String(), tc.stderr)
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(policy.Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("policy.schema.json")
	if err != nil {
		t.Fatalf("the published schema does not compile: %v", err)
	}
	return s
}

func schemaAccepts(t *testing.T, s *jsonschema.Schema, b []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// TestPolicySchema: every embedded preset (each file as shipped and as
// MarshalJSON writes it) validates against the published JSON Schema, and
// the schema and policy.Parse — the authority — agree on documents that
// are valid or invalid for reasons both can see.
func TestPolicySchema(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "domain", "policy", "presets", "*.json"))
	if err != nil || len(files) != len(policy.PresetNames()) {
		t.Fatalf("preset files %v (%v), want %d", files, err, len(policy.PresetNames()))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemaAccepts(t, s, b); err != nil {
			t.Errorf("%s does not validate against the schema: %v", f, err)
		}
	}
	for _, p := range policy.Presets() {
		b, err := p.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := schemaAccepts(t, s, b); err != nil {
			t.Errorf("MarshalJSON(%s) does not validate against the schema: %v", p.Name(), err)
		}
	}
	const ok = `"name":"x","title":"t","source":"s"`
	docs := []struct {
		name  string
		json  string
		valid bool
	}{
		{"minimal", `{` + ok + `,"reports":[{"action":"report_year","month":12,"day":1}]}`, true},
		{"national layer with dates", `{` + ok + `,"layer":"national","deadlines":[{"action":"create_dossier","amount":3,"unit":"days","anchor":"decision_date","valid_from":"2026-07-01","valid_until":"2030-12-31"}]}`, true},
		{"successive rules", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":3,"unit":"days","anchor":"decision_date","valid_until":"2026-06-30"},{"action":"create_dossier","amount":2,"unit":"days","anchor":"decision_date","valid_from":"2026-07-01"}]}`, true},
		{"null lists", `{` + ok + `,"deadlines":null,"approval_windows":[{"action":"monthly_approval","last":5,"unit":"days"}],"reports":null}`, true},
		{"no rule", `{` + ok + `}`, false},
		{"empty lists", `{` + ok + `,"deadlines":[],"reports":[]}`, false},
		{"unknown field", `{` + ok + `,"deadline":[],"reports":[{"action":"report_year","month":12,"day":1}]}`, false},
		{"bad name", `{"name":"Phu Tho","title":"t","source":"s","reports":[{"action":"report_year","month":12,"day":1}]}`, false},
		{"blank title", `{"name":"x","title":"  ","source":"s","reports":[{"action":"report_year","month":12,"day":1}]}`, false},
		{"bad layer", `{` + ok + `,"layer":"district","reports":[{"action":"report_year","month":12,"day":1}]}`, false},
		{"report kind among deadlines", `{` + ok + `,"deadlines":[{"action":"report_year","amount":5,"unit":"days","anchor":"effective_date"}]}`, false},
		{"amount 0", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":0,"unit":"days","anchor":"decision_date"}]}`, false},
		{"amount 367", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":367,"unit":"days","anchor":"decision_date"}]}`, false},
		{"unit weeks", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":3,"unit":"weeks","anchor":"decision_date"}]}`, false},
		{"bad anchor", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":3,"unit":"days","anchor":"birthday"}]}`, false},
		{"unknown rule field", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":3,"unit":"days","anchor":"decision_date","layer":"national"}]}`, false},
		{"date format", `{` + ok + `,"deadlines":[{"action":"create_dossier","amount":3,"unit":"days","anchor":"decision_date","valid_from":"1/7/2026"}]}`, false},
		{"window 21", `{` + ok + `,"approval_windows":[{"action":"monthly_approval","last":21,"unit":"days"}]}`, false},
		{"month 13", `{` + ok + `,"reports":[{"action":"report_year","month":13,"day":1}]}`, false},
		{"year offset 2", `{` + ok + `,"reports":[{"action":"report_year","month":12,"day":1,"year_offset":2}]}`, false},
		{"long note", `{` + ok + `,"reports":[{"action":"report_year","month":12,"day":1,"note":"` + strings.Repeat("ư", 501) + `"}]}`, false},
		{"note of 500 characters", `{` + ok + `,"reports":[{"action":"report_year","month":12,"day":1,"note":"` + strings.Repeat("ư", 500) + `"}]}`, true},
	}
	for _, d := range docs {
		_, perr := policy.Parse([]byte(d.json))
		serr := schemaAccepts(t, s, []byte(d.json))
		if (perr == nil) != d.valid || (serr == nil) != d.valid {
			t.Errorf("%s: Parse error %v, schema error %v; want valid=%v from both", d.name, perr, serr, d.valid)
		}
	}
}
