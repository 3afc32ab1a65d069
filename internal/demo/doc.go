// Package demo generates a synthetic province — Phú Thọ after the 2025
// merger — into a ledger, for demonstrations, manual testing and load
// measurements: the province's People's Committee, departments, hospitals
// and schools, two historic district committees merged into communes on
// 1 July 2025, staff accounts, and a few thousand careers (recruitment,
// ranks and professional titles with real catalogue codes, salary steps,
// training, work history, yearly evaluations, rewards, transfers between
// orgs, corrections, retirements and other departures).
//
// Everything is written through the application services of package app,
// never as raw events, so the demo only ever contains what the domain
// accepts, and exercises the same code paths as the API. The one exception
// is the marker stream "demo-<seed>" that records that a demo was started
// and completed; it holds no personnel data.
//
// # Time
//
// Every command carries its historic effective date and a recorded_at a
// few days later (as if HR had entered each decision as it came), so both
// time axes are meaningful: "as known in March 2019" and "as in effect on
// 1 March 2024" give different, plausible answers.
//
// # Determinism and idempotency
//
// The people, orgs, accounts and careers are a pure function of the seed
// and the dossier count (the event ids and the order of the log are not:
// dossiers are written concurrently). Run on a ledger whose marker says the
// demo completed does nothing. A run that died halfway resumes: every
// dossier's planned commands each write exactly one event, so the number of
// events already in its stream (minus the merger's reassignments) says how
// many to skip, and each command is sent with that version as If-Match, so
// two concurrent runs cannot both write a step.
package demo
