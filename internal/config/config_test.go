package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/internal/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// problems is one line per problem Load reported.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// TestLoadReportsEveryProblem: one start names every bad variable, each on
// its own line, so an operator fixes them all in one pass.
func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{
		"HOSO_DATABASE_URL":    "postgres://db/hoso",
		"HOSO_TRUSTED_PROXIES": "bad",
		"HOSO_METRICS_LISTEN":  ":x",
		"HOSO_LISTEN":          "8080",
		"HOSO_READ_LOG":        "ASYNC",
		"HOSO_PROJECTIONS":     "no",
		"HOSO_POLICY":          "atlantis",
		"HOSO_EVENTSTORE_URL":  "http://esdb:2113",
		"HOSO_CHECKPOINT_KEY":  filepath.Join(t.TempDir(), "none.key"),
	}), config.NeedPersonalIDKey)
	want := []string{
		"HOSO_EVENTSTORE_URL must start with esdb://",
		"HOSO_LISTEN: \"8080\": want host:port",
		"HOSO_METRICS_LISTEN: \":x\": port \"x\"",
		"HOSO_TRUSTED_PROXIES: \"bad\": want CIDRs",
		"HOSO_POLICY: policy preset \"atlantis\"",
		"HOSO_PERSONAL_ID_KEY is not set",
		"HOSO_PROJECTIONS is \"no\"",
		"HOSO_READ_LOG is \"ASYNC\"",
		"HOSO_CHECKPOINT_KEY: ",
	}
	got := problems(err)
	if len(got) != len(want) {
		t.Fatalf("Load = %d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
		}
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 32)
	tests := []struct {
		name string
		vars map[string]string
		need config.Need
		want string // fmt of the fields checked, or the error's text
	}{
		{"defaults on the private cluster", nil, config.NeedPersonalIDKey,
			"listen=127.0.0.1:8080 metrics= proxies=[] key=hoso-development-only-personal-id-key projections=true async=false"},
		{"everything set", map[string]string{
			"HOSO_DATABASE_URL": "postgres://db/hoso", "HOSO_LISTEN": ":0", "HOSO_METRICS_LISTEN": "127.0.0.1:http",
			"HOSO_TRUSTED_PROXIES": "10.0.0.0/8", "HOSO_PERSONAL_ID_KEY": long, "HOSO_PROJECTIONS": "off", "HOSO_READ_LOG": "async",
		}, config.NeedPersonalIDKey,
			"listen=:0 metrics=127.0.0.1:http proxies=[10.0.0.0/8] key=" + long + " projections=false async=true"},
		{"no key where none is needed", map[string]string{"HOSO_DATABASE_URL": "postgres://db/hoso"}, 0,
			"listen=127.0.0.1:8080 metrics= proxies=[] key= projections=true async=false"},
		{"a short key", map[string]string{"HOSO_PERSONAL_ID_KEY": "short"}, 0, "HOSO_PERSONAL_ID_KEY is 5 bytes, want at least 32"},
		{"durable read log", map[string]string{"HOSO_READ_LOG": "durable", "HOSO_PROJECTIONS": "on"}, 0,
			"listen=127.0.0.1:8080 metrics= proxies=[] key=hoso-development-only-personal-id-key projections=true async=false"},
		{"read log off", map[string]string{"HOSO_READ_LOG": "off"}, 0, `HOSO_READ_LOG is "off": want durable (the default) or async`},
		{"port out of range", map[string]string{"HOSO_LISTEN": "127.0.0.1:70000"}, 0, `HOSO_LISTEN: "127.0.0.1:70000": port 70000 out of range`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tc.vars), tc.need)
			got := fmt.Sprintf("listen=%s metrics=%s proxies=%v key=%s projections=%v async=%v",
				c.Listen, c.MetricsListen, c.TrustedProxies, c.PersonalIDKey, !c.NoProjections, c.AsyncReadLog)
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Load(%v) = %s, want %s", tc.vars, got, tc.want)
			}
		})
	}
}

func TestLoadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(env(map[string]string{"HOSO_SIGNING_TRUST_ROOTS": junk, "HOSO_CHECKPOINT_KEY": junk}), 0)
	got := problems(err)
	if len(got) != 2 || !strings.HasPrefix(got[0], "HOSO_SIGNING_TRUST_ROOTS: ") || !strings.HasPrefix(got[1], "HOSO_CHECKPOINT_KEY: ") {
		t.Errorf("Load with unreadable files = %q, want both named", got)
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // the parsed networks, or the error's text
	}{
		{"", "[]"},
		{"10.0.0.0/8", "[10.0.0.0/8]"},
		{" 10.0.0.0/8, 192.168.1.7 2001:db8::/32,::1 ", "[10.0.0.0/8 192.168.1.7/32 2001:db8::/32 ::1/128]"},
		{"10.0.0.1/8", "[10.0.0.0/8]"},
		{"10.0.0.0/33,proxy.local,10.0.0.0/8", `HOSO_TRUSTED_PROXIES: "10.0.0.0/33", "proxy.local": want CIDRs`},
	}
	for _, tc := range tests {
		nets, err := config.TrustedProxies(tc.in)
		got := fmt.Sprint(nets)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("TrustedProxies(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestLoadPolicy: HOSO_POLICY names a preset or a file (a path with a slash
// or ending in .json), read once at start; either way the deployment gets
// the national layer (Decree 27/2026) beside it, and a bad file is reported
// with every problem, beside the other variables' problems.
func TestLoadPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "dong-thap.json")
	if err := os.WriteFile(good, []byte(`{"name":"dong-thap-2026","title":"Đồng Tháp","source":"QĐ …",
		"deadlines":[{"action":"create_dossier","amount":2,"unit":"working_days","anchor":"decision_date","article":"Điều 3","valid_from":"2026-09-01"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(dir, "gia-lai.yml")
	if err := os.WriteFile(yml, []byte("name: gia-lai-2026\ntitle: Tỉnh Gia Lai\nsource: QĐ giả định\nlayer: provincial\n"+
		"deadlines:\n  - action: create_dossier\n    amount: 2\n    unit: working_days\n    anchor: decision_date\n    valid_from: 2026-09-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"Bad Name","title":"","source":"s",
		"deadlines":[{"action":"create_dossier","amount":0,"unit":"days","anchor":"decision_date","valid_from":"1/7/2026"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value string
		want  string // provincial name and layers, or the error's start
	}{
		{"", "tien-giang-2025 [decree-27-2026 tien-giang-2025]"},
		{"phu-tho-2021", "phu-tho-2021 [decree-27-2026 phu-tho-2021]"},
		{"decree-27-2026", "decree-27-2026 [decree-27-2026]"},
		{good, "dong-thap-2026 [decree-27-2026 dong-thap-2026]"},
		{yml, "gia-lai-2026 [decree-27-2026 gia-lai-2026]"},
		{bad, "HOSO_POLICY: " + bad + ": invalid: name: format"},
		{filepath.Join(dir, "none.json"), "HOSO_POLICY: open " + filepath.Join(dir, "none.json")},
		{"atlantis", `HOSO_POLICY: policy preset "atlantis"`},
	}
	for _, tc := range tests {
		c, err := config.Load(env(map[string]string{"HOSO_POLICY": tc.value}), 0)
		var got string
		if err != nil {
			got = err.Error()
		} else {
			var names []string
			for _, l := range c.Policy.Layers() {
				names = append(names, l.Name())
			}
			got = fmt.Sprintf("%s %v", c.Policy.Name(), names)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("HOSO_POLICY=%q: %s, want %s…", tc.value, got, tc.want)
		}
	}
	// Every problem of the file, in one line of the report.
	_, err := config.Load(env(map[string]string{"HOSO_POLICY": bad, "HOSO_READ_LOG": "x"}), 0)
	got := problems(err)
	if len(got) != 2 {
		t.Fatalf("Load = %q, want the file's line and HOSO_READ_LOG's", got)
	}
	for _, w := range []string{"name: format", "title: required", "deadlines/0/amount: range", "deadlines/0/valid_from: format"} {
		if !strings.Contains(got[0], w) {
			t.Errorf("file problems %q lack %q", got[0], w)
		}
	}
}

func TestSigningChecksVariables(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{"HOSO_OCSP_URL": "http://ocsp.example.vn/", "HOSO_TSA_URL": "https://tsa.example.vn/tsr", "HOSO_OCSP_UNREACHABLE": "accept-with-note"}), 0)
	if err != nil || c.OCSPURL != "http://ocsp.example.vn/" || c.TSAURL != "https://tsa.example.vn/tsr" || c.OCSPUnreachable != "accept-with-note" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	if c, _ := config.Load(env(nil), 0); c.OCSPUnreachable != "refuse" {
		t.Errorf("default HOSO_OCSP_UNREACHABLE = %q, want refuse", c.OCSPUnreachable)
	}
	_, err = config.Load(env(map[string]string{"HOSO_OCSP_URL": "ftp://x", "HOSO_TSA_URL": "not a url", "HOSO_OCSP_UNREACHABLE": "maybe"}), 0)
	got := strings.Split(err.Error(), "\n")
	if len(got) != 3 || !strings.HasPrefix(got[0], "HOSO_OCSP_URL") || !strings.HasPrefix(got[1], "HOSO_TSA_URL") || !strings.HasPrefix(got[2], "HOSO_OCSP_UNREACHABLE") {
		t.Fatalf("errors = %q, want the three variables named", got)
	}
}

func TestLoadKEK(t *testing.T) {
	t.Parallel()
	const key = "Y21kLXRlc3RzLWtleS1lbmNyeXB0aW9uLWtleS0zMmI="
	db := "postgres://db/hoso"
	tests := []struct {
		name string
		vars map[string]string
		want string // "local", "pkcs11", "none", or the error's text
	}{
		{"none on the private cluster", nil, "none"},
		{"required elsewhere", map[string]string{"HOSO_DATABASE_URL": db}, "HOSO_KEK is not set"},
		{"a local key", map[string]string{"HOSO_DATABASE_URL": db, "HOSO_KEK": key}, "local"},
		{"a bad local key", map[string]string{"HOSO_KEK": "abc"}, "HOSO_KEK: key 1 is"},
		{"an HSM", map[string]string{"HOSO_DATABASE_URL": db, "HOSO_KEK_PKCS11": "module=/m.so;token=t;key=k", "HOSO_KEK_PKCS11_PIN": "1"}, "pkcs11"},
		{"an HSM and the old keys", map[string]string{"HOSO_DATABASE_URL": db, "HOSO_KEK_PKCS11": "module=/m.so;token=t;key=k", "HOSO_KEK": key}, "pkcs11+local"},
		{"a bad HSM setting", map[string]string{"HOSO_DATABASE_URL": db, "HOSO_KEK_PKCS11": "module=/m.so", "HOSO_KEK": key}, "HOSO_KEK_PKCS11: missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tc.vars), config.NeedKEK)
			var kinds []string
			if c.KEKPKCS11 != nil {
				kinds = append(kinds, "pkcs11")
			}
			if c.KEK != nil {
				kinds = append(kinds, "local")
			}
			got := strings.Join(kinds, "+")
			if got == "" {
				got = "none"
			}
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("Load(%v) = %s, want %s", tc.vars, got, tc.want)
			}
		})
	}
}

// TestLoadOIDC: single sign-on takes all four HOSO_OIDC_* variables or
// none, and says which are missing.
func TestLoadOIDC(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"HOSO_OIDC_ISSUER": "https://sso.hue.gov.vn/realms/hue", "HOSO_OIDC_CLIENT_ID": "hoso",
		"HOSO_OIDC_CLIENT_SECRET": "bi-mat", "HOSO_OIDC_REDIRECT_URL": "https://hoso.hue.gov.vn/login/oidc/callback",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		vars map[string]string
		want string // the config's OIDC, or the error's text
	}{
		{"none", nil, "{   }"},
		{"all four", good, "{https://sso.hue.gov.vn/realms/hue hoso bi-mat https://hoso.hue.gov.vn/login/oidc/callback}"},
		{"on the machine itself", with("HOSO_OIDC_ISSUER", "http://127.0.0.1:5556"),
			"{http://127.0.0.1:5556 hoso bi-mat https://hoso.hue.gov.vn/login/oidc/callback}"},
		{"no secret", with("HOSO_OIDC_CLIENT_SECRET", ""),
			"single sign-on needs all four HOSO_OIDC_* variables: HOSO_OIDC_ISSUER, HOSO_OIDC_CLIENT_ID, HOSO_OIDC_REDIRECT_URL set, HOSO_OIDC_CLIENT_SECRET not"},
		{"only the issuer", map[string]string{"HOSO_OIDC_ISSUER": "https://sso.example"},
			"single sign-on needs all four HOSO_OIDC_* variables: HOSO_OIDC_ISSUER set, HOSO_OIDC_CLIENT_ID, HOSO_OIDC_CLIENT_SECRET, HOSO_OIDC_REDIRECT_URL not"},
		{"plain http elsewhere", with("HOSO_OIDC_ISSUER", "http://sso.example"),
			`HOSO_OIDC_ISSUER is "http://sso.example": want https:// (plain http only on the machine itself)`},
		{"not a URL", with("HOSO_OIDC_ISSUER", "sso.example"), `HOSO_OIDC_ISSUER is "sso.example": want an absolute https:// URL`},
		{"another callback path", with("HOSO_OIDC_REDIRECT_URL", "https://hoso.example/callback"),
			`HOSO_OIDC_REDIRECT_URL is "https://hoso.example/callback": its path must be /login/oidc/callback`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tc.vars), 0)
			got := fmt.Sprint(c.OIDC)
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Load(%v) = %s, want %s", tc.vars, got, tc.want)
			}
		})
	}
}
