// Package app holds the use cases: the commands that callers (the HTTP API,
// the CLI, background processes) run on dossiers, orgs and accounts, the
// reservations that make personal ID numbers and login names unique, and
// org succession. Each loads an aggregate's history through package ledger,
// lets the domain decide, and appends what the domain raised at the version
// it loaded, so a concurrent edit is refused rather than overwritten.
//
// It holds no rules of its own (those are domain's) and no envelope or
// cache plumbing (ledger's).
package app
