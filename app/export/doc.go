// Package export builds and verifies the signed export of a dossier: a zip
// package with the CV form (PDF), the dossier's JSON as of a stated
// instant, its attachments' digests, its events' hashes with their
// inclusion proofs and the latest signed checkpoint of the ledger, a
// manifest listing every file's SHA-256, and the org's seal's detached CMS
// signature (RFC 5652) over the manifest.
//
// A detached CMS over a manifest rather than a PAdES signature inside the
// PDF: no maintained Go PAdES library resolves from the module proxy here
// (digitorus/pdfsign is only served as an unreleased pseudo-version), and
// a manifest signature covers the whole package, not the PDF alone, while
// remote signing services (SmartCA…) sign exactly such a hash. A third
// party verifies it with `openssl cms -verify` and sha256sum, or with
// `hoso audit verify`, which also checks the events against the
// checkpoint.
package export
