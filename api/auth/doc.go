// Package auth holds hoso's credentials and sessions: argon2id password
// hashes, opaque bearer tokens stored only as their SHA-256, idle and absolute
// session expiry, API keys for service accounts, and login throttling.
//
// None of it is in the ledger: the ledger records that a password was set or
// reset and by whom, never the secret or its hash; these tables are
// operational state that can be rotated or wiped without touching history.
//
// The rules live here; the rows live behind two interfaces, Credentials
// (passwords and tokens) and Counters (the login throttle), implemented on
// PostgreSQL by internal/pgadapter.
package auth
