// Package bench checks the read models together, over a whole province
// written by the demo generator through the app services, rather than each
// over the events of its own tests.
//
//   - TestCountsAgree (always run, real PostgreSQL): a small demo province,
//     every read model run to caught-up by the runner, and their counts
//     compared with the ledger's (dossiers, archived, audit entries, orgs).
//   - The benchmarks measure rebuilds and queries on an existing province
//     (HOSO_BENCH_DATABASE_URL, e.g. one written by `hoso demo --dossiers
//     50000`) beside raw-PostgreSQL baselines; they are skipped when it is
//     unset. BenchmarkCountsAgree runs the counts check on that province.
//     docs/benchmarks.md has the commands and figures.
//
// The package has no non-test code: it exists for its tests.
package bench
