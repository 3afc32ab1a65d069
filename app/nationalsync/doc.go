// Package nationalsync delivers approved months to the national database of
// cadres, civil servants and public employees (Decree 27/2026/NĐ-CP,
// Circular 06/2023/TT-BNV, Tiền Giang art. 11.3 and 12).
//
// The pieces, in the order a package travels:
//
//   - Relay reads the committed log past its publish checkpoint. Each
//     department-level approval.signed.v1 (and supplement) yields one
//     package per unit approval it covers: Relay appends its
//     sync.queued.v1 (stream "sync-<id>") and then publishes a reference to
//     it on the broker (watermill; NATS JetStream in production). The log
//     is the outbox: nothing is published that was not committed, and the
//     checkpoint moves only after the broker accepted the messages, so
//     everything committed is published at least once.
//   - Worker consumes those references, rebuilds the package from the
//     ledger (Build), seals it with the province's sync key (Seal) and hands
//     it to a Sender (HTTPSender: HOSO_NATIONAL_URL with a token and/or a
//     client certificate; an LGSP/NDXP gateway is another Sender), with
//     retries and backoff. A package names its department approval by
//     digest; that approval travels once, before the first package that
//     names it, as a Department (Departments keeps it, SealDepartment
//     seals it), and again when the receiver answers 424
//     department_approval_missing. Each attempt is a sync.sent.v1, the answer a
//     sync.acknowledged.v1 (with the receiver's signed receipt) or a
//     sync.rejected.v1 (with its reasons).
//   - Receiver is the reference national side: it verifies everything in a
//     package without trusting the sender (Verify; a Department once,
//     VerifyDepartment, kept under its manifest's digest), stores it,
//     answers a signed receipt, answers a replay with the same receipt and
//     refuses a tampered package or Department with its reasons.
//
// Exactly once in effect: the relay may publish twice and the worker may
// send twice; the package id is stable (nationalsync.PackageID) and the
// receiver is idempotent by it, and the package's fold keeps the first
// answer.
//
// A package holds personal data, so its body is never stored in
// PostgreSQL: only its id, digest and state are (the events and the
// projections/syncstatus read model). It is rebuilt from the ledger each
// time it is sent.
package nationalsync
