// Package api is hoso's HTTP interface (Echo): the routes HR units, auditors
// and inspectors use, their authentication and org-scoped authorization, and
// the one place where error kinds become RFC 9457 problem+json responses.
//
// Every route is one line of the table in routes.go, with what it asks of
// the caller (public, pending password change, authenticated); the tests
// hold that table and the OpenAPI document (openapi.yaml) to each other in
// both directions, and the access matrix to both.
//
// It runs no SQL: everything it stores or reads besides the ledger goes
// through the small interfaces of storage.go (and api/auth's, and
// readlog.Sink), which internal/pgadapter implements on PostgreSQL.
package api
