package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiClient sends requests to the API's handler in process.
type apiClient struct{ h http.Handler }

// reply is one answer of the API.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx answer.
func (r reply) OK() bool { return r.Status >= 200 && r.Status < 300 }

// decode reads the JSON body into v.
func (r reply) decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("web: API answer %d: %w", r.Status, err)
	}
	return nil
}

// problem is the API's problem+json (api.Problem), as much as pages use.
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field  string `json:"field"`
		Rule   string `json:"rule"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// problem decodes a refusal; a body that is not a problem still gives the
// status.
func (r reply) problem() problem {
	var p problem
	_ = json.Unmarshal(r.Body, &p)
	if p.Status == 0 {
		p.Status = r.Status
	}
	return p
}

// recorder is the response writer the API answers into.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// call is one API request on behalf of the browser's request from: its
// context, its client address (the API's read log and login throttling see
// the browser, and trust X-Forwarded-For only from its configured proxies)
// and the session token. body is JSON-encoded unless it is an io.Reader,
// sent as is with the Content-Type in hdr.
func (a apiClient) call(from *http.Request, method, path, token string, body any, hdr ...string) reply {
	return a.callCtx(from.Context(), from, method, path, token, body, hdr...)
}

func (a apiClient) callCtx(ctx context.Context, from *http.Request, method, path, token string, body any, hdr ...string) reply {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return reply{Status: http.StatusInternalServerError, Body: []byte(`{"code":"internal"}`)}
		}
		rd, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return reply{Status: http.StatusBadRequest, Body: []byte(`{"code":"bad_request"}`)}
	}
	req.RemoteAddr = from.RemoteAddr
	req.TLS = from.TLS
	if xff := from.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		req.Header["X-Forwarded-For"] = xff
	}
	if rid := from.Header.Get("X-Request-Id"); rid != "" {
		req.Header.Set("X-Request-Id", rid)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := &recorder{header: http.Header{}}
	a.h.ServeHTTP(w, req)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return reply{Status: w.status, Header: w.header, Body: w.body.Bytes()}
}

// etagVersion is the version of a strong ETag `"12"`.
func etagVersion(etag string) string { return strings.Trim(etag, `"`) }
