// Package reservation holds the events of reservation streams, which make
// a key unique across the whole ledger (a personal ID number, a login
// name) where no single aggregate can, and the pure helpers that name
// those streams. Claiming and releasing, which need the store, are use
// cases in package app.
package reservation
