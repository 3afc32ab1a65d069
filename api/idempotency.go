package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
)

// Idempotency headers.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed is "true" on a response replayed from a key.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
)

const (
	// idempotencyTTL is how long a key's response is replayed; after it the
	// key may be used afresh.
	idempotencyTTL = 24 * time.Hour
	// maxStoredResponse bounds what is kept per key. POST answers are
	// small; a larger one is answered but not kept, so a retry runs again.
	maxStoredResponse = 1 << 20
)

// replayedHeaders are the response headers a replay repeats: those that
// describe the result. Request ids are not: the replay is its own request.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "ETag", "Content-Location", "Content-Disposition"}

// idempotent makes a POST sent with an Idempotency-Key run once per caller
// and key: the first response (2xx or 4xx, but not 408, 429 or 5xx, which
// are worth retrying) is stored and replayed to every retry with the same
// request. The same key with another request (method, path, query,
// If-Match, Content-Type or body) is 422 idempotency_key_reused; a retry
// while the first is still running is 409 idempotency_key_in_flight with
// Retry-After. Authenticate applies it, so it needs a caller.
//
// Limit: the key is recorded in the read-model database and the events in
// the store, not in one transaction. If the process dies after appending but
// before storing the response, the in-flight row goes stale (after the
// request timeout) and a retry runs the command again; commands with client-
// or key-derived ids are idempotent in the store anyway, and the others fail
// their If-Match.
func (s *Server) idempotent(c echo.Context, next echo.HandlerFunc) error {
	req := c.Request()
	key := req.Header.Get(HeaderIdempotencyKey)
	if req.Method != http.MethodPost || key == "" {
		return next(c)
	}
	if !validIdempotencyKey(key) {
		return BadParameter("header:"+HeaderIdempotencyKey, "format", "1 to 255 printable ASCII characters (a UUID is a good choice)")
	}
	caller := CallerOf(c)
	if caller == nil {
		return next(c)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: fmt.Sprintf("limit %d bytes", tooLarge.Limit)}
		}
		return &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "could not read the body", Err: err}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	fingerprint := requestFingerprint(req, body)

	ctx := req.Context()
	k := IdempotencyKey{Account: uuid.UUID(caller.ID()), Key: key, Fingerprint: fingerprint}
	now := s.deps.now()
	claimed, err := s.deps.Idempotency.Claim(ctx, k, req.Method, c.Path(), now, now.Add(-idempotencyTTL), now.Add(-s.staleAfter()))
	if err != nil {
		return err
	}
	if !claimed {
		return s.replay(c, k)
	}
	if rand.IntN(sweepEvery) == 0 {
		s.sweepIdempotencyKeys(ctx, now)
	}
	return s.runOnce(c, next, k)
}

// sweepEvery: about one keyed POST in this many also deletes a batch of
// expired keys, so the table stays about a day's worth of keys without a
// background job to start and stop.
const sweepEvery = 100

func (s *Server) sweepIdempotencyKeys(ctx context.Context, now time.Time) {
	if err := s.deps.Idempotency.Sweep(ctx, now.Add(-idempotencyTTL)); err != nil {
		s.log.Warn("idempotency: sweeping expired keys", "error", err.Error())
	}
}

// staleAfter is when an unfinished key is taken over: no request runs
// longer than the server's timeout, so its process must have died.
func (s *Server) staleAfter() time.Duration { return s.cfg.RequestTimeout + 30*time.Second }

func (s *Server) runOnce(c echo.Context, next echo.HandlerFunc, k IdempotencyKey) (err error) {
	rec := &responseRecorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	// The row must not outlive a request that did not finish, or the key
	// would be blocked until it goes stale. Writes after the handler use a
	// context that survives the request's cancellation.
	finished := false
	bg := context.WithoutCancel(c.Request().Context())
	defer func() {
		if !finished {
			_ = s.deps.Idempotency.Release(bg, k)
		}
	}()
	if herr := next(c); herr != nil {
		c.Error(herr) // render now, so the stored response is the one sent
	}
	status := c.Response().Status
	if status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || rec.overflow {
		return nil // the deferred release lets a retry run again
	}
	headers := map[string]string{}
	for _, h := range replayedHeaders {
		if v := c.Response().Header().Get(h); v != "" {
			headers[h] = v
		}
	}
	if err := s.deps.Idempotency.Complete(bg, k, s.deps.now(), status, headers, rec.body.Bytes()); err != nil {
		// The client has its answer; a retry will run again, which is the
		// behaviour without a key. Say so to operators.
		s.log.Error("idempotency: storing response", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "error", err.Error())
		return nil
	}
	finished = true
	return nil
}

func (s *Server) replay(c echo.Context, k IdempotencyKey) error {
	rec, err := s.deps.Idempotency.Lookup(c.Request().Context(), k.Account, k.Key)
	if errors.Is(err, domain.ErrNotFound) {
		// The first request failed and released the key between our
		// claim and this read: the client may simply retry.
		return s.inFlight()
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(rec.Fingerprint, k.Fingerprint[:]) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeIdempotencyMismatch,
			Detail: "this Idempotency-Key was used for a different request; use a new key for a new request",
			Errors: []FieldProblem{{Field: "header:" + HeaderIdempotencyKey, Rule: "reused"}}}
	}
	if !rec.Completed {
		return s.inFlight()
	}
	h := c.Response().Header()
	for name, v := range rec.Headers {
		h.Set(name, v)
	}
	h.Set(HeaderIdempotentReplayed, "true")
	c.Response().WriteHeader(rec.Status)
	_, err = c.Response().Write(rec.Body)
	return err
}

func (s *Server) inFlight() error {
	return &Error{Status: http.StatusConflict, Code: CodeIdempotencyInFlight,
		Detail: "a request with this Idempotency-Key is still running; retry after a moment",
		Errors: []FieldProblem{{Field: "header:" + HeaderIdempotencyKey, Rule: "in_flight"}}}
}

// requestFingerprint identifies "the same request": everything that can
// change what a POST does.
func requestFingerprint(r *http.Request, body []byte) [32]byte {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("If-Match"), r.Header.Get(echo.HeaderContentType)} {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	h.Write(body)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func validIdempotencyKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// responseRecorder passes the response through and keeps a copy of the
// body, up to maxStoredResponse.
type responseRecorder struct {
	http.ResponseWriter
	body     bytes.Buffer
	overflow bool
}

func (r *responseRecorder) Write(p []byte) (int, error) {
	if !r.overflow {
		if r.body.Len()+len(p) > maxStoredResponse {
			r.overflow = true
			r.body.Reset()
		} else {
			r.body.Write(p)
		}
	}
	return r.ResponseWriter.Write(p)
}

func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
