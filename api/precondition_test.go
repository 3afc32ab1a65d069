package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func contextWith(header, value, query string) echo.Context {
	req := httptest.NewRequest(http.MethodPost, "/x?"+query, nil)
	if header != "" {
		req.Header.Set(header, value)
	}
	return echo.New().NewContext(req, httptest.NewRecorder())
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   uint64
		status int // 0: accepted
	}{
		{`"1"`, 1, 0},
		{` "42" `, 42, 0},
		{`"18446744073709551615"`, 18446744073709551615, 0},
		{``, 0, http.StatusPreconditionRequired},
		{`"0"`, 0, http.StatusBadRequest},
		{`"007"`, 0, http.StatusBadRequest},
		{`42`, 0, http.StatusBadRequest},
		{`W/"42"`, 0, http.StatusBadRequest},
		{`*`, 0, http.StatusBadRequest},
		{`"1", "2"`, 0, http.StatusBadRequest},
		{`""`, 0, http.StatusBadRequest},
		{`"-1"`, 0, http.StatusBadRequest},
		{`"18446744073709551616"`, 0, http.StatusBadRequest},
	}
	for _, tc := range tests {
		got, err := IfMatch(contextWith("If-Match", tc.header, ""))
		var e *Error
		switch {
		case tc.status == 0 && (err != nil || got != tc.want):
			t.Errorf("IfMatch(%q) = %d, %v; want %d", tc.header, got, err, tc.want)
		case tc.status != 0 && (!errors.As(err, &e) || e.Status != tc.status || e.Errors[0].Field != "header:If-Match"):
			t.Errorf("IfMatch(%q) = %d, %v; want a %d naming header:If-Match", tc.header, got, err, tc.status)
		}
	}
}

func TestETagRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []uint64{1, 9, 10, 1 << 40} {
		c := contextWith("", "", "")
		SetETag(c, v)
		got, err := IfMatch(contextWith("If-Match", c.Response().Header().Get("ETag"), ""))
		if err != nil || got != v {
			t.Errorf("IfMatch(SetETag(%d)) = %d, %v", v, got, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		want  int
		bad   bool
	}{
		{"", 50, false},
		{"limit=1", 1, false},
		{"limit=200", 200, false},
		{"limit=0", 0, true},
		{"limit=201", 0, true},
		{"limit=-5", 0, true},
		{"limit=ten", 0, true},
	}
	for _, tc := range tests {
		got, err := PageSize(contextWith("", "", tc.query), 50, 200)
		var e *Error
		if tc.bad {
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != CodeBadParameter || e.Errors[0].Field != "query:limit" {
				t.Errorf("PageSize(%q) = %d, %v; want 400 bad_parameter naming query:limit", tc.query, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PageSize(%q) = %d, %v; want %d", tc.query, got, err, tc.want)
		}
	}
}

func FuzzIfMatch(f *testing.F) {
	for _, s := range []string{`"1"`, `W/"1"`, `*`, `"0"`, `"99999999999999999999"`, `"1","2"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		v, err := IfMatch(contextWith("If-Match", h, ""))
		if err == nil && (v == 0 || ETag(v) != strings.TrimSpace(h)) {
			t.Errorf("IfMatch(%q) accepted %d, which is not what the server would have sent", h, v)
		}
	})
}
