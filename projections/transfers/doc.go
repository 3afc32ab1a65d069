// Package transfers is the index from a transfer to its dossier, so that
// /transfers/{id} finds the dossier without scanning the log.
//
// # Views
//
//   - transfer_dossiers: (transfer_id, dossier_id, position) for every
//     dossier.transfer_initiated event, whoever recorded it (the API, an
//     import, a tool writing to the ledger).
//
// The index is a projection, not a row the API writes after the append:
// a process that died between the append and such an insert lost the row
// for good, and the API had to fall back on the audit trail. Rebuilt from
// the log, the index cannot miss a transfer the ledger holds. Readers
// that must see their own write wait for the projection to catch up
// (internal/pgadapter does on a miss).
package transfers
