// Package projectiontest is what the read models' tests share, as
// eventstore/storetest is for the stores: a Ledger that writes histories
// through the domain's commands into a store (a memstore unless given one),
// an Office and a World on top of it (a province whose history the audit
// trail and org tree are checked against, with the expectations computed by
// the domain, never by a projection), and the plumbing that runs a
// projection against a fresh, migrated PostgreSQL schema of its own
// (NewDB, Build, Apply, Rebuild, CatchUp, Dump, Twice).
//
// Every helper fails the test it is given on error, so tests read as their
// scenario. Nothing here decides what a projection should produce: a test
// states that from the domain (a replay, a date rule) or from the scenario.
package projectiontest
