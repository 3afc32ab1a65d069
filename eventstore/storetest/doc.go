// Package storetest is the conformance suite every eventstore.Store backend
// passes: round trips of the whole envelope, expected versions, stream and
// log reads, a many-goroutine race on one stream, idempotent retries, input
// validation, and a subscription under concurrent writers that must deliver
// every event exactly once and in order, live and after a restart.
//
// A backend's test calls Run with a constructor of fresh, empty stores.
// The suite has no "short" mode: it is sized to pass quickly with -race on
// two cores, and CI runs all of it.
//
// ReadAll and Subscribe return only a backend's stable prefix, which on
// PostgreSQL can lag a commit while other transactions in the cluster are
// running. The suite therefore waits (with a deadline) for events to become
// readable instead of expecting them in the same instant.
package storetest
