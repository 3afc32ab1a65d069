package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hoso-ledger/hoso/api"
)

// Conformance is the API's OpenAPI document, loaded and checked once per
// test binary, with a router over its paths. Env.Do checks every request and
// response against it (see CheckExchange) unless Options.NoOpenAPI is set.
type Conformance struct {
	Doc    *openapi3.T
	router routers.Router
}

var loadConformance = sync.OnceValues(func() (*Conformance, error) {
	raw, err := api.OpenAPI()
	if err != nil {
		return nil, err
	}
	return LoadConformance(raw)
})

// LoadConformance parses an OpenAPI document (JSON or YAML), validates it
// (doc.Validate: structure, references, schemas, examples) and builds the
// router the checks use.
func LoadConformance(raw []byte) (*Conformance, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing the OpenAPI document: %w", err)
	}
	return &Conformance{Doc: doc, router: router}, nil
}

// OpenAPI returns the served document's conformance checker, failing the
// test when the document does not load or validate.
func OpenAPI(t interface {
	Helper()
	Fatalf(string, ...any)
}) *Conformance {
	t.Helper()
	c, err := loadConformance()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return c
}

// Operation names the documented operation serving method and path
// (a path as sent, "/api/v1/dossiers/0192…"): its path template, e.g.
// "/api/v1/dossiers/{id}". ok is false when the document has no such
// operation.
func (c *Conformance) Operation(method, path string) (template string, ok bool) {
	req, err := http.NewRequest(method, "http://hoso.test"+path, nil)
	if err != nil {
		return "", false
	}
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		return "", false
	}
	return route.Path, true
}

var validationOptions = &openapi3filter.Options{
	// The server authenticates; the document only says which scheme.
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	// Report every problem at once, and fail statuses the operation does
	// not list (those that fall to "default" must still be problem+json).
	MultiError:            true,
	IncludeResponseStatus: true,
}

// CheckExchange checks one request (with its body, since req.Body has been
// sent) and the response to it against the document, and returns what is
// wrong, or nil:
//
//   - a request to a path or method the document does not have is wrong
//     unless the server answered it 404 or 405 (a test probing a route that
//     does not exist);
//   - a request the document says is invalid (a malformed body, an unknown
//     field, a wrong type) is wrong unless the server refused it with a 4xx:
//     negative tests send such requests on purpose, and the server must turn
//     them down;
//   - the response must be one the operation documents, with the documented
//     media type, headers and body schema.
func (c *Conformance) CheckExchange(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("OpenAPI: %s %s is not documented in api/openapi.yaml (%v), yet the server answered %d", req.Method, req.URL.Path, err, status)
	}
	opts := *validationOptions
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		// File parts have arbitrary media types the validator cannot decode;
		// the handler checks the form itself.
		opts.ExcludeRequestBody = true
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: &opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		if status < 400 || status >= 500 {
			return fmt.Errorf("OpenAPI: the server answered %d to a request that api/openapi.yaml says is invalid (%s %s): %v", status, req.Method, route.Path, err)
		}
	}
	// The request may have been consumed by validation: give the response
	// check a fresh one.
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                &opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Reason == "status is not supported" {
			return fmt.Errorf("OpenAPI: %s %s answered %d, a status api/openapi.yaml does not list for it", req.Method, route.Path, status)
		}
		return fmt.Errorf("OpenAPI: the response %d to %s %s does not match api/openapi.yaml: %v\nbody: %s", status, req.Method, route.Path, err, clip(respBody))
	}
	return nil
}

// ValidateRequest checks a request (with its body) against the document
// alone: nil when the document accepts it. Tests use it to show the document
// requires what the server requires.
func (c *Conformance) ValidateRequest(req *http.Request, body []byte) error {
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: validationOptions})
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
