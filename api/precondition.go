package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// SetETag sends version as the response's strong entity tag. Clients send it
// back unchanged in If-Match to write what they read.
func SetETag(c echo.Context, version uint64) {
	c.Response().Header().Set("ETag", ETag(version))
}

// ETag is the entity tag of a stream version: the decimal number, quoted.
func ETag(version uint64) string { return `"` + strconv.FormatUint(version, 10) + `"` }

// IfMatch returns the version the client read, from If-Match. Every write
// needs one: missing is 428 if_match_required; anything but one quoted
// positive version (a weak tag, "*", a list) is 400 bad_parameter, because
// each of those would let a write through without saying what it overwrites.
// The handler passes the version to the app service, whose
// *ledger.VersionMismatchError becomes 412 version_mismatch.
func IfMatch(c echo.Context) (uint64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		return 0, &Error{Status: http.StatusPreconditionRequired, Code: CodePreconditionMissing,
			Detail: `send If-Match with the ETag you read, e.g. If-Match: "3"`,
			Errors: []FieldProblem{{Field: "header:If-Match", Rule: "required"}}}
	}
	v, ok := parseETag(h)
	if !ok {
		return 0, &Error{Status: http.StatusBadRequest, Code: CodeBadParameter,
			Detail: `If-Match must be one strong ETag as sent by the server, e.g. "3"`,
			Errors: []FieldProblem{{Field: "header:If-Match", Rule: "etag"}}}
	}
	return v, nil
}

func parseETag(s string) (uint64, bool) {
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	digits := s[1 : len(s)-1]
	if digits[0] == '0' || len(digits) > 20 {
		return 0, false // versions start at 1; 0 would mean "don't check" to the app
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	return v, err == nil
}
