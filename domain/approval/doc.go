// Package approval is the monthly approval of one org's data: the manifest
// served to the approver and the detached CMS signature over it (Tiền Giang
// art. 6, 11.3, 12).
//
// One stream per org and month, "approval-<org uuid>-<yyyy-mm>", holds the
// manifests served for that month (approval.manifest_served.v2, each with
// the digest and size of its canonical bytes, which are kept by digest
// outside the ledger so that what was signed stays readable for ever
// whatever its size; v1 events, which held the bytes inline, are still
// read) and at most
// one approval.signed.v1, which seals the month: data changed after it goes
// into a later month's manifest, flagged, never into a second signature.
//
// A unit's approval covers the events that created or changed the data of
// the dossiers it manages; the Department of Home Affairs' approval (level
// department) covers the units' approvals of the month, never events
// directly. A unit approval signed after the department's sealed it is
// covered by a supplementary department approval (SupplementStreamID,
// NewSupplement), each its own stream, so no signature is ever reopened.
//
// The package is pure: the manifest's content, the CMS verification, the
// trust roots and the signer's authority are checked by the caller
// (app/approvals), which hands over only the facts this aggregate decides on.
package approval
