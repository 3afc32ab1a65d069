// Package syncstatus is the read model of deliveries to the national
// database: one row per sync package (nationalsync events), with its
// state, attempts, the receiver's answer and the package's deadline
// (Decree 27/2026's 1 day from the department approval, moved off days
// off; the due date is decided when the package is queued and stored in
// sync.queued.v1). A package is late when it was acknowledged after its
// due date, or is still unacknowledged after it (Late and Overdue): sent,
// failing or rejected, a package not acknowledged is still owed.
//
// Only ids, digests, states and reasons are stored: a package's body,
// which holds personal data, never is.
//
// Idempotent: a row only moves forward by stream version, so feeding the
// log twice changes nothing.
package syncstatus
