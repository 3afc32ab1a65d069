// Package attachments is the index from a scan (by SHA-256) to the
// dossiers that cite it: a download is served only to a caller who may
// read one of them.
//
// # Views
//
//   - attachment_dossiers: (sha256, dossier_id) for every
//     dossier.document_attached event.
//
// The bytes themselves stay in the attachments table, written before the
// event is appended (content-addressed: bytes no event names are harmless
// and found again by the same upload). The index is a projection rather
// than a row the API writes after the append, so a crash between the two
// can no longer leave a stored attachment that nobody may download: the
// index is rebuilt from the log.
package attachments
