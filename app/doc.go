// Package app is the thin application layer between callers (the HTTP API,
// the CLI, background processes) and the domain: it loads an aggregate's
// history from the event store, lets the domain decide, and appends what the
// domain raised with the expected version it loaded, so a concurrent edit is
// refused rather than overwritten.
//
// It maps domain.Meta onto the store's envelope and back; it holds no rules
// of its own.
package app
