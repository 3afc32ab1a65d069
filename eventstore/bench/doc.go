// Package bench holds the event store's benchmarks beside their raw
// PostgreSQL baselines, measured in the same run against the same server so
// that the ratios in docs/benchmarks.md compare like with like: a plain
// INSERT of the same bytes into a bare table (1 and 8 writers), COPY of
// batches of 10, the store's Append (one event at 1 and 8 writers, batches
// of 10), ReadAll, the Merkle sequencer and verify throughput.
//
// Run them with `make bench` (HOSO_TEST_DATABASE_URL as for the tests).
// The package has no code of its own: everything is in bench_test.go.
package bench
