// Package approvals runs the monthly approval by digital signature: it
// builds an org-month's manifest from the ledger, serves it, verifies the
// detached CMS signature uploaded for it, and records the approval
// (domain/approval) with a signed checkpoint of the Merkle log.
//
// # What a manifest covers
//
// A unit manifest for org O and month M lists every event of a dossier
// stream recorded in M (Asia/Ho_Chi_Minh) while O managed the dossier,
// just before or just after the event: a transfer belongs to both orgs. It
// also carries over, flagged "carried_over", events recorded in M−1 that
// M−1's approval did not cover (recorded after it was signed), so that
// nothing changed after a signature escapes the next one; and it flags
// "corrects_approved" a dossier.corrected whose target an approval of O
// covered. Management is decided by replaying the dossier streams, not from
// a read model, so the manifest at a given tree size is a function of the
// ledger alone.
//
// A department manifest (level department) lists instead the
// approval.signed unit approvals of M by the orgs of one province, and only
// the province's designated Department of Home Affairs
// (org.home_affairs_designated.v1, app.HomeAffairsProvince) may have one.
// A unit approval signed after that was sealed goes into a supplementary
// department approval (supplement n, its own stream), which lists exactly
// the unit approvals no earlier department approval of M covers.
//
// # Who signs
//
// A unit approval's signer holds the approver role on the unit itself (a
// grant on an ancestor does not count); a department approval's signer is
// an approver over the Sở Nội vụ who signed none of the unit approvals it
// covers (same account, certificate or certificate subject).
//
// Entries are in global log order; events_root is the RFC 6962 root over
// their leaf hashes (SHA-256(0x00 ‖ event hash)); the manifest also records
// the global tree's size and root when it was built. Its bytes are RFC 8785
// canonical JSON, which is what the approver signs.
//
// # Served, then signed
//
// Serving records the manifest in the approval stream (the same entries as
// the last served one give back the same bytes, so a page reload is not a
// new manifest). The signature must be over the latest served manifest,
// and the month's entries, recomputed at submission, must still be the
// served ones: otherwise the approver fetches and signs again.
//
// The ledger queries are PostgreSQL's (the events and merkle_leaves
// tables); the EventStoreDB backend would need an index of dossier events
// by recorded month.
package approvals
