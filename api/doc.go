// Package api is hoso's HTTP interface (Echo): the routes HR units, auditors
// and inspectors use, their authentication and org-scoped authorization, and
// the one place where error kinds become RFC 9457 problem+json responses.
package api
