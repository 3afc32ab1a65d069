package nationalsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Sender hands a sealed envelope to the national side and returns its
// receipt (the exact bytes it answered). It returns a *RejectedError when
// the receiver refused the package for good (it will refuse it again);
// any other error is transient (down, 5xx, timeout) and worth retrying.
// HTTPSender is the direct transport; a province's integration gateway
// (LGSP/NDXP) is another implementation.
type Sender interface {
	Send(ctx context.Context, envelope []byte) (receipt []byte, err error)
	Endpoint() string
}

// RejectedError is the receiver's refusal, with its problem's code and
// reasons.
type RejectedError struct {
	Status  int
	Code    string
	Reasons []string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("nationalsync: the receiver refused the package (%d): %v", e.Status, e.Reasons)
}

// HTTPSender POSTs envelopes to URL (the national endpoint,
// HOSO_NATIONAL_URL) with a bearer Token and/or a TLS client certificate.
type HTTPSender struct {
	URL    string
	Token  string
	Client *http.Client
}

// NewHTTPSender returns a sender with a per-request timeout and, when tlsCfg
// is set (client certificate, pinned roots), mutual TLS.
func NewHTTPSender(url, token string, tlsCfg *tls.Config, timeout time.Duration) *HTTPSender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	// The worker sends many packages at once to one host: with Go's
	// default of 2 idle connections per host, all but two were closed
	// after each answer and the next package dialled (and, over TLS,
	// shook hands) again.
	tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
	return &HTTPSender{URL: url, Token: token, Client: &http.Client{Transport: tr, Timeout: timeout}}
}

// maxIdleConnsPerHost keeps a connection for each package in flight, well
// above the service's default concurrency (16).
const maxIdleConnsPerHost = 64

// Endpoint implements Sender.
func (s *HTTPSender) Endpoint() string { return s.URL }

// Send implements Sender: 200 or 201 is a receipt; 4xx other than 408 and
// 429 a rejection (the reasons of a problem+json body); anything else, or
// no answer, a transient error.
func (s *HTTPSender) Send(ctx context.Context, envelope []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(envelope))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("nationalsync: sending: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("nationalsync: reading the answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated:
		if _, err := ParseReceipt(body); err != nil {
			return nil, fmt.Errorf("nationalsync: the receiver answered %d without a receipt: %w", resp.StatusCode, err)
		}
		return body, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		var p struct {
			Code    string   `json:"code"`
			Detail  string   `json:"detail"`
			Reasons []string `json:"reasons"`
		}
		_ = json.Unmarshal(body, &p)
		if len(p.Reasons) == 0 {
			p.Reasons = []string{fmt.Sprintf("HTTP %d: %s", resp.StatusCode, firstLine(body))}
		}
		return nil, &RejectedError{Status: resp.StatusCode, Code: p.Code, Reasons: p.Reasons}
	}
	return nil, fmt.Errorf("nationalsync: the receiver answered %d: %s", resp.StatusCode, firstLine(body))
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// IsRejected reports whether err is the receiver's refusal.
func IsRejected(err error) (*RejectedError, bool) {
	var r *RejectedError
	ok := errors.As(err, &r)
	return r, ok
}
