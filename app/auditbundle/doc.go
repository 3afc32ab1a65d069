// Package auditbundle writes and checks the offline audit bundle of one
// org-month's approval: one JSON file holding everything an auditor needs
// to check the approval with no access to the ledger's database.
//
// It holds the approval stream (manifests served and the approval.signed
// event with its CMS signature), every event the signed manifest lists with
// its content and an inclusion proof in the tree the manifest names, the
// certificates in the signature, and a signed checkpoint of the Merkle log
// with a consistency proof from the manifest's tree to it and an inclusion
// proof of the approval event.
//
// Verify recomputes every event's hash from its canonical bytes (so an
// event edited in the database before the export is named), checks the
// approval stream's hash chain, the manifest's digest and events root, the
// CMS signature over the manifest's exact bytes (and the chain to trust
// roots when given), each listed event's hash and inclusion, and the
// checkpoint's signature and consistency. Event contents are stored as
// base64 of the exact stored bytes, because re-encoding JSON could change
// them and every hash with them.
package auditbundle
