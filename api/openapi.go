package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v4"
)

// openAPIYAML is the API's OpenAPI 3.1 document, written by hand beside the
// routes. It is served as JSON; api/apitest validates every request and
// response of the end-to-end tests against it, so it cannot drift from the
// routes unnoticed.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIPath is where the document is served, without a token.
const OpenAPIPath = "/api/v1/openapi.json"

var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return out, nil
})

// OpenAPI returns the OpenAPI 3.1 document as JSON; it fails only when the
// embedded YAML does not parse (a test catches that before a release).
func OpenAPI() ([]byte, error) { return openAPIJSON() }

func serveOpenAPI(c echo.Context) error {
	doc, err := OpenAPI()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
}
