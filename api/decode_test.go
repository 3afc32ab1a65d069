package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/hoso-ledger/hoso/domain"
)

type sampleRequest struct {
	Name  string      `json:"name"`
	Count int         `json:"count"`
	Born  domain.Date `json:"born"`
	Tags  []string    `json:"tags"`
}

func TestDecodeJSONBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"valid", `{"name":"Nguyễn Văn An","count":2,"born":"1990-05-17","tags":["a"]}`, 0, "", ""},
		{"malformed", `{"name":`, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"empty", ``, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"syntax", `{"name" "x"}`, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"wrong type", `{"count":"two"}`, http.StatusUnprocessableEntity, CodeValidation, "/count"},
		{"unknown field", `{"nmae":"x"}`, http.StatusUnprocessableEntity, CodeValidation, "/nmae"},
		{"bad date", `{"born":"17/05/1990"}`, http.StatusUnprocessableEntity, CodeValidation, ""},
		{"impossible date", `{"born":"1990-02-30"}`, http.StatusUnprocessableEntity, CodeValidation, ""},
		{"two values", `{} {}`, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"trailing garbage", `{}x`, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"invalid utf-8", "{\"name\":\"\xff\"}", http.StatusBadRequest, CodeMalformedJSON, ""},
		{"too large", `{"name":"` + strings.Repeat("a", maxJSONBody) + `"}`, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v sampleRequest
			err := decodeJSONBytes([]byte(tt.body), &v)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("decode(%s) = %v, want nil", tt.body, err)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("decode(%.40s) = %v, want *Error", tt.body, err)
			}
			if apiErr.Status != tt.wantStatus || apiErr.Code != tt.wantCode {
				t.Errorf("decode(%.40s) = %d %s, want %d %s", tt.body, apiErr.Status, apiErr.Code, tt.wantStatus, tt.wantCode)
			}
			if tt.wantField != "" && (len(apiErr.Errors) == 0 || apiErr.Errors[0].Field != tt.wantField) {
				t.Errorf("decode(%.40s) fields = %+v, want %s", tt.body, apiErr.Errors, tt.wantField)
			}
		})
	}
}

func TestDecodeNormalizesToNFC(t *testing.T) {
	t.Parallel()
	decomposed := "Nguye\u0302\u0303n" // e + combining circumflex + combining tilde
	var v sampleRequest
	if err := decodeJSONBytes([]byte(`{"name":"`+decomposed+`"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != "Nguyễn" {
		t.Fatalf("name = %q (% x), want NFC %q", v.Name, v.Name, "Nguyễn")
	}
}

// FuzzDecodeJSONBytes: no input may panic, and every failure is a problem
// with a 4xx status and a stable code.
func FuzzDecodeJSONBytes(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"Trần","count":1,"born":"2000-01-01","tags":[]}`, `{"count":1e400}`, `[`, "\xff", `{"born":"0000-00-00"}`, `null`,
		`{"name":"a","name":"b"}`, `{"NAME":"a"}`, `{"tags":["\ud800"]}`, `{"name":"\ud83d\ude00"}`, `{"n\u0061me":"x","name":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v sampleRequest
		err := decodeJSONBytes(body, &v)
		if err == nil {
			return
		}
		p := problemFor(err)
		if p.Status < 400 || p.Status >= 500 || p.Code == "" || p.Code == CodeInternal {
			t.Fatalf("decode(%q) → %d %s, want a 4xx problem", body, p.Status, p.Code)
		}
	})
}

func TestProblemForMapsKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		{domain.Invalid("identity/birth_name", "required", ""), 422, CodeValidation},
		{&domain.StateError{Aggregate: "dossier", Rule: "archived"}, 409, CodeConflict},
		{domain.ErrNotFound, 404, CodeNotFound},
		{domain.ErrForbidden, 403, CodeForbidden},
		{errors.New("boom"), 500, CodeInternal},
		{&Error{Status: 428, Code: CodePreconditionMissing}, 428, CodePreconditionMissing},
		// PostgreSQL unreachable: the request may be fine, retry later.
		{fmt.Errorf("reading: %w", &pgconn.ConnectError{}), 503, CodeUnavailable},
		{fmt.Errorf("reading: %w", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}), 503, CodeUnavailable},
		{fmt.Errorf("reading: %w", &pgconn.PgError{Code: pgerrcode.AdminShutdown}), 503, CodeUnavailable},
		{&pgconn.PgError{Code: pgerrcode.CrashShutdown}, 503, CodeUnavailable},
		{&pgconn.PgError{Code: pgerrcode.CannotConnectNow}, 503, CodeUnavailable},
		{&pgconn.PgError{Code: pgerrcode.ConnectionFailure}, 503, CodeUnavailable},
		{fmt.Errorf("querying: %w", pgconn.ErrConnClosed), 503, CodeUnavailable},
		{fmt.Errorf("acquiring: %w", puddle.ErrClosedPool), 503, CodeUnavailable},
		// PostgreSQL answering with an error of ours is not an outage.
		{&pgconn.PgError{Code: pgerrcode.UniqueViolation}, 500, CodeInternal},
		{&pgconn.PgError{Code: pgerrcode.UndefinedTable}, 500, CodeInternal},
		{context.DeadlineExceeded, 503, CodeTimeout},
	}
	for _, tt := range tests {
		p := problemFor(tt.err)
		if p.Status != tt.wantStatus || p.Code != tt.wantCode || p.Type != "urn:hoso:problem:"+tt.wantCode || p.Title == "" {
			t.Errorf("problemFor(%v) = %d %s %q, want %d %s", tt.err, p.Status, p.Code, p.Title, tt.wantStatus, tt.wantCode)
		}
	}
}

type nestedRequest struct {
	Patch struct {
		Identity struct {
			BirthName string `json:"birth_name"`
		} `json:"identity"`
	} `json:"patch"`
	Rows   []sampleRequest   `json:"rows"`
	Labels map[string]string `json:"labels"`
}

// TestDecodeRefusesAmbiguousBodies: a key given twice, a key that differs
// from its field's name only in case, and a string with an unpaired UTF-16
// surrogate are all refused with 400, naming the member, at every level —
// encoding/json would silently take the last duplicate, match keys in any
// case and turn the surrogate into U+FFFD.
func TestDecodeRefusesAmbiguousBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		wantField string
		wantRule  string
	}{
		{"valid", `{"patch":{"identity":{"birth_name":"An"}},"rows":[{"name":"a"}],"labels":{"A":"1","a":"2"}}`, "", ""},
		{"escaped key spelled exactly", `{"p\u0061tch":{}}`, "", ""},
		{"surrogate pair", `{"rows":[{"name":"\ud83d\ude00"}]}`, "", ""},
		{"duplicate top-level key", `{"patch":{},"patch":{}}`, "/patch", "duplicate_key"},
		{"duplicate nested key", `{"patch":{"identity":{"birth_name":"A","birth_name":"B"}}}`, "/patch/identity/birth_name", "duplicate_key"},
		{"duplicate key in an array item", `{"rows":[{"name":"a"},{"name":"a","count":1,"name":"b"}]}`, "/rows/1/name", "duplicate_key"},
		{"duplicate map key", `{"labels":{"a":"1","a":"2"}}`, "/labels/a", "duplicate_key"},
		{"duplicate through an escape", `{"patch":{},"p\u0061tch":{}}`, "/patch", "duplicate_key"},
		{"case-variant top-level key", `{"Patch":{}}`, "/Patch", "key_case"},
		{"case-variant nested key", `{"patch":{"identity":{"Birth_Name":"A"}}}`, "/patch/identity/Birth_Name", "key_case"},
		{"case-variant key in an array item", `{"rows":[{"NAME":"a"}]}`, "/rows/0/NAME", "key_case"},
		{"lone high surrogate", `{"patch":{"identity":{"birth_name":"A\ud800"}}}`, "/patch/identity/birth_name", "unpaired_surrogate"},
		{"lone low surrogate", `{"rows":[{"name":"\udc00x"}]}`, "/rows/0/name", "unpaired_surrogate"},
		{"high surrogate before a non-surrogate", `{"rows":[{"name":"\ud800\u0041"}]}`, "/rows/0/name", "unpaired_surrogate"},
		{"lone surrogate in a key", `{"labels":{"\ud800":"x"}}`, "/labels", "unpaired_surrogate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v nestedRequest
			err := decodeRequestBytes([]byte(tt.body), &v)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("decode(%s) = %v, want nil", tt.body, err)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("decode(%s) = %v, want *Error", tt.body, err)
			}
			if apiErr.Status != http.StatusBadRequest || apiErr.Code != CodeMalformedJSON {
				t.Errorf("decode(%s) = %d %s, want 400 %s", tt.body, apiErr.Status, apiErr.Code, CodeMalformedJSON)
			}
			if len(apiErr.Errors) != 1 || apiErr.Errors[0].Field != tt.wantField || apiErr.Errors[0].Rule != tt.wantRule {
				t.Errorf("decode(%s) fields = %+v, want %s %s", tt.body, apiErr.Errors, tt.wantField, tt.wantRule)
			}
		})
	}
}
