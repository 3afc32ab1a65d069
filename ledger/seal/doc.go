// Package seal encrypts the sensitive parts of dossiers at rest (Personal
// Data Protection Law 91/2025, Decree 27/2026): envelope encryption with one
// AES-256-GCM data key per dossier, each data key stored only wrapped by a
// key-encryption key (KEK) that never enters the database (a KeyWrapper:
// a key from configuration, or an HSM through PKCS#11).
//
// Three seams use it, so that nothing above them changes:
//
//   - Store wraps an eventstore.Store: on Append it moves the sensitive
//     members of a dossier event's payload (Paths, from the domain) into one
//     sealed member "$sealed"; on every read it puts them back. The hash
//     chain and the Merkle log cover what is stored, the ciphertext, so they
//     verify without any key; readers of the wrapped store see plaintext.
//   - Keyring.Box seals a read model's blob (a document, a diff, a fact
//     list) under the same dossier key.
//   - Token is a keyed hash for the columns that must stay searchable
//     (personal ID number, ethnicity, religion) without holding the value.
//
// Sealing is deterministic for a given key, scope, event and plaintext (the
// nonce is derived from them, as in SIV), so a retried append sends the same
// bytes and the store's idempotency holds.
package seal
