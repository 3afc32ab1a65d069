package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckQueryString(t *testing.T) {
	t.Parallel()
	dossiers := routeParams["GET /api/v1/dossiers"]
	tests := []struct {
		raw         string
		field, rule string // "": accepted
	}{
		{"", "", ""},
		{"q=nguy%E1%BB%85n+v%C4%83n", "", ""},
		{"q=Nguyễn+Văn", "", ""}, // raw UTF-8, as some clients send it
		{"status=active&status=retired,resigned&limit=5", "", ""},
		{"ethnicity=&ethnicity=09", "", ""},
		{"&&q=an&", "", ""},
		{"q=an&q=an", "query:q", "repeated"},
		{"q=&q=an", "query:q", "repeated"},
		{"personal_id_number=&personal_id_number=001085054321", "query:personal_id_number", "repeated"},
		{"nme=an", "query:nme", "unknown"},
		{"=an", "query:", "unknown"},
		{"q%00=an", "query:q\uFFFD", "control"},
		{"q=a%00b", "query:q", "control"},
		{"q=a%09b", "query:q", "control"},
		{"q=a%7Fb", "query:q", "control"},
		{"q=a%C2%80b", "query:q", "control"},
		{"q=a%C2%9Fb", "query:q", "control"},
		{"q=%FF", "query:q", "encoding"},
		{"q=%ED%A0%80", "query:q", "encoding"}, // a UTF-16 surrogate
		{"q=%zz", "query:q", "encoding"},
		{"q=%", "query:q", "encoding"},
		{"q%zz=an", "query:q%zz", "encoding"},
		{"q=an;status=active", "query:q", "encoding"},
		{"rank=%00", "query:rank", "control"},
		{strings.Repeat("x", 500) + "=1", "query:" + strings.Repeat("x", 64) + "…", "unknown"},
	}
	for _, tt := range tests {
		err := checkQueryString(dossiers, tt.raw)
		if tt.field == "" {
			if err != nil {
				t.Errorf("checkQueryString(%.40q) = %v, want nil", tt.raw, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != CodeBadParameter || len(e.Errors) != 1 ||
			e.Errors[0].Field != tt.field || e.Errors[0].Rule != tt.rule {
			t.Errorf("checkQueryString(%.40q) = %#v, want 400 bad_parameter naming %q rule %q", tt.raw, err, tt.field, tt.rule)
		}
	}
	if err := checkQueryString(nil, "q=an"); err == nil {
		t.Errorf("a route that takes no parameters accepted q")
	}
}

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{"", ""},
		{"q=an&limit=5", "q=an&limit=5"},
		{"personal_id_number=001085054321", "personal_id_number=[redacted]"},
		{"personal%5Fid%5Fnumber=001085054321&q=an", "personal%5Fid%5Fnumber=[redacted]&q=an"},
		{"ethnicity=09&religion=none&party_member=true&rank=01.003", "ethnicity=[redacted]&religion=[redacted]&party_member=[redacted]&rank=01.003"},
		{"ethnicity=&ethnicity=09,01", "ethnicity=[redacted]&ethnicity=[redacted]"},
		{"religion", "religion=[redacted]"},
		{"q=a;personal_id_number=001085054321", "q=[redacted]"},
	}
	for _, tt := range tests {
		if got := redactQuery(tt.raw); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// FuzzQueryString: whatever the query string, checkQueryString answers
// nil or a 400 naming a query parameter; what it accepts decodes without
// loss into known parameters of valid, control-free text, each single
// parameter once; and the read log's form of it shows no protected value.
func FuzzQueryString(f *testing.F) {
	for _, s := range []string{
		"q=nguyen+van+an", "q=a%00b", "ethnicity=&ethnicity=09", "q=%FF%FE", "q=%zz", "q=an;x=1",
		"personal_id_number=001085054321&personal_id_number=", "rank=01.003%C2%9B", "status=active,retired&status=resigned",
		"nme=an", "=", "&&", "q=" + strings.Repeat("a", 300), "personal%5Fid%5Fnumber=1", "type=%00",
	} {
		f.Add(s)
	}
	params := routeParams["GET /api/v1/dossiers"]
	f.Fuzz(func(t *testing.T, raw string) {
		err := checkQueryString(params, raw)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || len(e.Errors) != 1 ||
				!strings.HasPrefix(e.Errors[0].Field, "query:") || !utf8.ValidString(e.Errors[0].Field) {
				t.Fatalf("checkQueryString(%q) = %#v, want a 400 naming a query parameter", raw, err)
			}
		} else {
			values, perr := url.ParseQuery(raw)
			if perr != nil {
				t.Fatalf("checkQueryString(%q) accepted what net/url cannot parse: %v", raw, perr)
			}
			for name, vs := range values {
				kind, ok := params[name]
				if !ok || kind == one && len(vs) > 1 {
					t.Fatalf("checkQueryString(%q) accepted %s ×%d", raw, name, len(vs))
				}
				for _, v := range vs {
					if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
						t.Fatalf("checkQueryString(%q) accepted %s=%q", raw, name, v)
					}
				}
			}
		}
		for pair := range strings.SplitSeq(redactQuery(raw), "&") {
			rawName, value, _ := strings.Cut(pair, "=")
			name, uerr := url.QueryUnescape(rawName)
			if uerr == nil && slices.Contains(protectedParams, name) && value != redactedValue {
				t.Fatalf("redactQuery(%q) shows %s=%q", raw, name, value)
			}
		}
	})
}
