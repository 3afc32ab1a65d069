// Package transfers is the index of transfers: from a transfer to its
// dossier, so that /transfers/{id} finds the dossier without scanning the
// log, and from an org to the transfers it sent or receives, so that GET
// /transfers lists an org's inbox and out-tray.
//
// # Views
//
//   - transfer_dossiers: (transfer_id, dossier_id, position, kind,
//     from_org, target_org, state, initiated_on) for every
//     dossier.transfer_initiated event, whoever recorded it (the API, an
//     import, a tool writing to the ledger); state is pending until a
//     dossier.transfer_received, _rejected or _cancelled event closes it.
//
// The index is a projection, not a row the API writes after the append:
// a process that died between the append and such an insert lost the row
// for good, and the API had to fall back on the audit trail. Rebuilt from
// the log, the index cannot miss a transfer the ledger holds. Readers
// that must see their own write wait for the projection to catch up
// (internal/pgadapter does on a miss, and before every list).
package transfers
