// Package archtest holds the test that keeps hoso's imports pointing
// inward:
//
//	cmd → api → app → ledger → domain, eventstore
//	projections → ledger, domain, eventstore
//	processes → app, projections (api and cmd read their progress)
//
// It parses the import clauses of every Go file in the module (test files
// included, so a test cannot pull a layer upwards either) and fails on any
// import that breaks the direction. The rules are in archtest_test.go; the
// wiring packages internal/service and internal/demo may import anything.
package archtest
