// Package accounts is the administrators' list of accounts: who they are,
// their home org, their state and the roles their grants give, so that
// GET /api/v1/accounts lists an administrator's scope with filters and
// paging without replaying every account stream.
//
// # Views
//
//   - accounts: one row per account ever created, as it stands after
//     everything on record (its status is account.Account.Status), with
//     folded, the diacritics-free search key of the username and the
//     display name (vntext.Fold).
//   - account_grants: one row per grant, with its validity and the date it
//     was revoked; the roles "in force on a date" are read from it.
//
// The ledger stays the authority: an account's page (GET
// /api/v1/accounts/{id}) replays its stream. The list is as fresh as the
// projection; internal/pgadapter waits for it to apply what the log held
// before answering, so an account created by an answered request is
// listed.
package accounts
