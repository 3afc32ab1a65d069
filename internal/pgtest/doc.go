// Package pgtest gives each test its own freshly migrated PostgreSQL schema
// on the server named by HOSO_TEST_DATABASE_URL, so storage tests run in
// parallel against the real database without seeing each other's rows.
// A test fails, never skips, when the variable is unset: `make test` always
// provides it.
package pgtest
