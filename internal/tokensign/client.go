package tokensign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is hoso's API as an approver uses it.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string // a session token or API key (Bearer)
	HTTP    *http.Client
}

// Month names one approval: org, YYYY-MM, level (unit or department)
// and supplement (0: the approval itself).
type Month struct {
	Org, Month, Level string
	Supplement        int
}

func (m Month) path(suffix string) string {
	q := url.Values{}
	if m.Level != "" && m.Level != "unit" {
		q.Set("level", m.Level)
	}
	if m.Supplement > 0 {
		q.Set("supplement", strconv.Itoa(m.Supplement))
	}
	p := "/api/v1/approvals/" + url.PathEscape(m.Org) + "/" + url.PathEscape(m.Month) + suffix
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// ProblemError is a refusal from the API (RFC 9457).
type ProblemError struct {
	Status int
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func (e *ProblemError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Detail)
}

func (c Client) do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode >= 300 {
		p := &ProblemError{Status: resp.StatusCode}
		_ = json.Unmarshal(b, p)
		return nil, nil, p
	}
	return b, resp.Header, nil
}

// Login returns a session token for username and password.
func (c Client) Login(ctx context.Context, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	b, _, err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", "application/json", body)
	if err != nil {
		return "", err
	}
	var r struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Token == "" {
		return "", fmt.Errorf("tokensign: the login answer holds no token")
	}
	return r.Token, nil
}

// Manifest fetches the exact bytes to sign and checks them against the
// digest the server announces.
func (c Client) Manifest(ctx context.Context, m Month) ([]byte, error) {
	b, h, err := c.do(ctx, http.MethodGet, m.path("/manifest"), "", nil)
	if err != nil {
		return nil, err
	}
	if want := h.Get("X-Manifest-SHA256"); want != "" && want != digest(b) {
		return nil, fmt.Errorf("tokensign: the manifest's bytes do not match X-Manifest-SHA256 %s", want)
	}
	return b, nil
}

// Upload sends a detached CMS (DER) and returns the recorded approval (JSON).
func (c Client) Upload(ctx context.Context, m Month, der []byte) ([]byte, error) {
	b, _, err := c.do(ctx, http.MethodPost, m.path("/signature"), "application/pkcs7-signature", der)
	return b, err
}

// SignMonth fetches m's manifest, signs it on the token and uploads the
// signature: what `hoso sign` does online. It returns the manifest and
// the recorded approval.
func SignMonth(ctx context.Context, c Client, tok *Token, m Month, now time.Time) (manifest, approval []byte, err error) {
	manifest, err = c.Manifest(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	der, err := tok.Sign(manifest, now)
	if err != nil {
		return manifest, nil, err
	}
	approval, err = c.Upload(ctx, m, der)
	return manifest, approval, err
}
