// Package devdb starts a private PostgreSQL cluster for the default local
// setup: no configuration, no system service, just the PostgreSQL binaries
// found on the machine. The cluster lives under the repository's ignored var/
// directory and listens only on a Unix socket there, so it never collides with
// a system PostgreSQL and leaves nothing behind outside the checkout.
//
// initdb and pg_ctl refuse to run as root, so when hoso runs as root the
// cluster's files are owned by, and the server runs as, the unprivileged
// "nobody" account.
package devdb
