package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/internal/config"
)

// TestSMTPVariables: outage notices are mailed only with HOSO_SMTP_URL;
// every problem of the three variables is reported at once.
func TestSMTPVariables(t *testing.T) {
	t.Parallel()
	org := uuid.MustParse("01890000-0000-7000-8000-0000000000a1")
	other := uuid.MustParse("01890000-0000-7000-8000-0000000000b2")
	base := map[string]string{"HOSO_DATABASE_URL": "postgres://db/hoso", "HOSO_PERSONAL_ID_KEY": strings.Repeat("k", 32)}
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		enabled bool
		want    []string
	}{
		{"off", nil, false, nil},
		{"on", map[string]string{"HOSO_SMTP_URL": "smtp://hoso:s3cr%40t@mail.binhtan.gov.vn:587", "HOSO_SMTP_FROM": "hoso@binhtan.gov.vn",
			"HOSO_SMTP_TO": org.String() + "=vanthu@noivu.vn, truongphong@noivu.vn ; *=cntt@binhtan.gov.vn"}, true, nil},
		{"from and to without the server", map[string]string{"HOSO_SMTP_FROM": "a@b.vn"}, false,
			[]string{"HOSO_SMTP_FROM and HOSO_SMTP_TO need HOSO_SMTP_URL"}},
		{"every problem", map[string]string{"HOSO_SMTP_URL": "http://mail", "HOSO_SMTP_FROM": "Hồ sơ <a@b.vn>",
			"HOSO_SMTP_TO": "phòng-nội-vụ=a@b.vn; " + org.String() + "=not an address; nothing"}, false,
			[]string{"HOSO_SMTP_URL: scheme \"http\"", "HOSO_SMTP_FROM: ", "HOSO_SMTP_TO: \"phòng-nội-vụ\" is not an org id; \"not an address\" is not an e-mail address; \"nothing\": want"}},
		{"no recipients", map[string]string{"HOSO_SMTP_URL": "smtps://mail", "HOSO_SMTP_FROM": "a@b.vn"}, true,
			[]string{"HOSO_SMTP_TO is not set"}},
	} {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range tc.vars {
			vars[k] = v
		}
		c, err := config.Load(env(vars), 0)
		got := problems(err)
		if c.SMTP.Enabled() != tc.enabled || len(got) != len(tc.want) {
			t.Errorf("%s: enabled %v, problems %q; want %v, %q", tc.name, c.SMTP.Enabled(), got, tc.enabled, tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s: problem %d = %q, want %q…", tc.name, i, got[i], w)
			}
		}
		if tc.name == "on" {
			if a := c.SMTP.Addresses(org); !slices.Equal(a, []string{"vanthu@noivu.vn", "truongphong@noivu.vn"}) {
				t.Errorf("org's addresses %q", a)
			}
			if a := c.SMTP.Addresses(other); !slices.Equal(a, []string{"cntt@binhtan.gov.vn"}) {
				t.Errorf("another org's addresses %q", a)
			}
			if pw, _ := c.SMTP.URL.User.Password(); pw != "s3cr@t" {
				t.Errorf("password %q", pw)
			}
		}
	}
}

// FuzzSMTPTo: any HOSO_SMTP_TO either is refused with its problems named
// or yields only well-formed addresses; nothing panics.
func FuzzSMTPTo(f *testing.F) {
	for _, s := range []string{"", "*=a@b.vn", "01890000-0000-7000-8000-0000000000a1=a@b.vn, c@d.vn; *=e@f.vn", "=;=,", "x=y", "*=Hồ Sơ <a@b.vn>", ";;;*=a@b.vn;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, to string) {
		c, err := config.Load(env(map[string]string{"HOSO_DATABASE_URL": "postgres://db/hoso", "HOSO_SMTP_URL": "smtp://mail",
			"HOSO_SMTP_FROM": "a@b.vn", "HOSO_SMTP_TO": to}), 0)
		if err != nil {
			if !strings.Contains(err.Error(), "HOSO_SMTP_TO") {
				t.Fatalf("%q: a problem not naming the variable: %v", to, err)
			}
			return
		}
		all := slices.Clone(c.SMTP.Default)
		for _, a := range c.SMTP.To {
			all = append(all, a...)
		}
		if len(all) == 0 {
			t.Fatalf("%q accepted with no address", to)
		}
		for _, a := range all {
			if a == "" || strings.ContainsAny(a, ",;<> \r\n") {
				t.Fatalf("%q gave the address %q", to, a)
			}
		}
	})
}
