// Package account is the Account aggregate (who may log in, and with which
// rights over which orgs) and the pure authorization policy that turns an
// account's grants into yes or no.
//
// # Accounts
//
// The Department of Home Affairs administers accounts; orgs get org
// accounts; a person gets a personal account tied to their own dossier;
// integrations use service accounts with API keys. An account is assigned
// by a written decision, and every grant of a role cites its decision
// (Meta.Source); access is granted, restricted, extended and revoked, never
// edited in place, and nothing is deleted: closing an account ends it and
// keeps its history (Phú Thọ 7; Bình Tân 5–6; Tiền Giang 5.2–5.3, 15.6).
//
// Secrets never enter the ledger. A password event records that the
// password was set or reset and by whom, never the password or its hash (the
// hash lives in the credential store, outside the event log, so that erasing
// or rotating it never needs to touch history). An API-key event records the
// key's id, never the key. A certificate event keeps the public certificate
// (PEM), its SHA-256 fingerprint, subject and validity: those are public and
// are what a later signature is checked against.
//
// # Rules that guard privileges
//
//   - No actor may raise their own privileges (Phú Thọ 7): granting or
//     extending a role, reinstating a suspension, resetting a password,
//     registering a certificate or issuing an API key for one's own account
//     is refused with domain.ErrForbidden. Lowering one's own privileges
//     (revoking a grant, closing) is allowed.
//   - A closed account accepts nothing more.
//   - The self role exists only on personal accounts and only over the
//     person's own dossier.
//   - Each kind of account may hold only some roles (see AllowedRoles): a
//     service cannot approve or administer, a personal account cannot
//     administer.
//
// # Authorization
//
// Policy decides Can(action, org) from active grants and an org-ancestry
// function, denying by default. The table of actions by roles is
// documented on Permits.
package account
